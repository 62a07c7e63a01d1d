/* object.h - what every first-class object shares: type, lifecycle state, reference count
 * and the partition it is charged to. Per-type behaviour comes from the generated table. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "bothy_abi.h"
#include "bothy_objects.h"
#include "spinlock.h"

typedef enum object_state {
	OBJECT_STATE_INIT = 0,  /* being configured */
	OBJECT_STATE_ACTIVE,    /* in use; configuration calls now fail */
	OBJECT_STATE_FAILED,    /* activation failed; only deletion is left */
} object_state_t;

struct partition;

typedef struct object_header {
	/* First: LDAR takes no offset, and every cap lookup reads two states (cspace, object). */
	object_state_t state; /* under lock */
	object_type_t type;
	uint32_t refcount;    /* atomic; the object is destroyed when it reaches zero */
	spinlock_t lock;
	struct partition *partition; /* charged for this object's memory; NULL for the root */
	struct object_header *next_dead; /* link in the destruction queue (object.c) */
} object_header_t;

typedef struct {
	error_t error;
	cap_id_t new_cap;
} object_create_result_t;

/* Allocates a zeroed object of `type` from `partition` in state INIT, with one reference. */
error_t object_create(struct partition *partition, object_type_t type, object_header_t **out);

/* The last reference is gone: deactivate (if ACTIVE), clean up and free (object.c). */
void object_release(object_header_t *object);

/* Reference counting, inline: every hypercall that names an object takes and drops one. */
static inline void
object_get(object_header_t *object)
{
	(void)__atomic_fetch_add(&object->refcount, 1U, __ATOMIC_RELAXED);
}

/* A reference to an object found through a pointer that holds none (the scheduler's run
 * queues): taken unless the count is already zero, when the object's destruction has begun
 * and it must be left alone. Returns whether the reference was taken. */
static inline bool
object_get_unless_dying(object_header_t *object)
{
	uint32_t count = __atomic_load_n(&object->refcount, __ATOMIC_RELAXED);
	do {
		if (count == 0U) {
			return false;
		}
	} while (!__atomic_compare_exchange_n(&object->refcount, &count, count + 1U, true,
					      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
	return true;
}

static inline void
object_put(object_header_t *object)
{
	if (__atomic_sub_fetch(&object->refcount, 1U, __ATOMIC_ACQ_REL) == 0U) {
		object_release(object);
	}
}

/* INIT -> ACTIVE via the type's activate hook (FAILED if it fails); else ERROR_OBJECT_STATE. */
error_t object_activate(object_header_t *object);

/* OK when the object is in `state`, ERROR_OBJECT_STATE otherwise. No lock: a state only
 * ever moves on from INIT, once (object_activate stores it with release), and the caller
 * holds a reference, so the value read cannot be a torn or recycled one. */
static inline error_t
object_expect_state(object_header_t *object, object_state_t state)
{
	return __atomic_load_n(&object->state, __ATOMIC_ACQUIRE) == state ? OK
									   : ERROR_OBJECT_STATE;
}

/* An object of `type` (new reference) named by a cap in the caller's cspace with the
 * object_activate right: how configuration calls name objects before activation. Rights are
 * checked before the type, as Gunyah does. */
error_t object_lookup_configurable(cap_id_t cap, object_type_t type, object_header_t **out);

/* An ACTIVE object of `type` (new reference) named by a cap in the caller's cspace with
 * `rights`: how operational calls name objects. The cap's errors come first, then
 * ERROR_OBJECT_STATE for an object not yet (or never) activated. */
error_t object_lookup_active(cap_id_t cap, object_type_t type, cap_rights_t rights,
			     object_header_t **out);

/* The partition_create_<type> hypercalls: look up both caps in the caller's cspace, create
 * the object, and put a master cap with all rights into `cspace`. */
object_create_result_t partition_create_object(cap_id_t src_partition, cap_id_t cspace,
					       object_type_t type);
