/* cspace.c - capability spaces: slots with generations, obfuscated cap IDs, rights checks,
 * and the derivation tree that copy, delete and revoke maintain across cspaces. */
#include <stdbool.h>
#include <stddef.h>

#include "cspace.h"
#include "object_ops.h"
#include "partition.h"
#include "util_string.h"

/* RETIRED: a slot whose generation is exhausted is never reused, so no ID ever repeats. */
typedef enum cap_state { CAP_FREE = 0, CAP_VALID, CAP_REVOKED, CAP_RETIRED } cap_state_t;

/* Derivation links point at slots of any cspace; all of them (and every slot) are guarded
 * by one lock. Cap operations are short and rare next to the calls that use caps. */
typedef struct cap_slot {
	object_header_t *object; /* holds a reference while VALID or REVOKED */
	cap_rights_t rights;
	uint32_t generation; /* bumped on free, so stale IDs never match a reused slot */
	uint8_t state;
	struct cap_slot *parent, *first_child, *next_sibling, *prev_sibling;
} cap_slot_t;

static spinlock_t cap_lock;

/* Cap ID = ((generation << 16 | index) XOR key) * K mod 2^64: a bijection, so every slot
 * generation has exactly one ID, yet IDs reveal neither index nor generation without the key.
 * The top 16 bits of the unmasked value must be zero: a guessed ID rarely decodes at all. */
#define CAP_ID_MULTIPLIER 0x9e3779b97f4a7c15ULL
#define CAP_ID_INVERSE 0xf1de83e19937733dULL

_Static_assert(CAP_ID_MULTIPLIER * CAP_ID_INVERSE == 1U, "inverse of the cap-ID multiplier");

_Static_assert(CSPACE_MAX_CAPS <= 0x10000U, "slot indices fit 16 bits of a cap ID");

static cap_id_t
encode(const cspace_t *cs, uint32_t index, uint32_t generation)
{
	uint64_t raw = ((uint64_t)generation << 16) | index;
	return (raw ^ cs->key) * CAP_ID_MULTIPLIER;
}

/* Whether a cap ID decodes to a slot of this cspace at all; if so *slot is that slot, in any
 * state, and *generation the ID's generation. As in Gunyah, an ID that decodes to no slot is
 * ERROR_ARGUMENT_INVALID and a slot that does not hold the ID's generation is
 * ERROR_CSPACE_CAP_NULL. Callers have seen the cspace ACTIVE, so its slots exist.
 * CSPACE_CAP_INVALID needs no test of its own: find_free never fills a slot in the
 * generation it decodes to, so that slot is FREE or RETIRED there, never a cap. */
static bool
decode_any(const cspace_t *cs, cap_id_t cap, cap_slot_t **slot, uint32_t *generation)
{
	uint64_t raw = (cap * CAP_ID_INVERSE) ^ cs->key;
	uint64_t index = raw & 0xffffU;
	if ((raw >> 48) != 0U || index >= cs->max_caps) {
		return false;
	}
	cap_slot_t *found = &cs->slots[index];
	/* Opaque to the compiler from here: it would otherwise recompute the address (a
	 * multiply by the slot size) before each later access to the slot. */
	__asm__("" : "+r"(found));
	*slot = found;
	*generation = (uint32_t)(raw >> 16);
	return true;
}

/* decode_any for delete: OK with *out the slot if it holds a cap (VALID or REVOKED) of the
 * ID's generation; ERROR_CSPACE_CAP_NULL if it does not; ERROR_ARGUMENT_INVALID for no slot. */
static error_t
decode(const cspace_t *cs, cap_id_t cap, cap_slot_t **out)
{
	uint32_t generation = 0;
	cap_slot_t *slot = NULL;
	if (!decode_any(cs, cap, &slot, &generation)) {
		return ERROR_ARGUMENT_INVALID;
	}
	if (slot->generation != generation ||
	    (slot->state != CAP_VALID && slot->state != CAP_REVOKED)) {
		return ERROR_CSPACE_CAP_NULL;
	}
	*out = slot;
	return OK;
}

/* A slot from decode_any checked for use: it holds a cap of the ID's generation that is not
 * revoked, to an object of `type` (unless OBJECT_TYPE_ANY), with every right in `rights`. */
static error_t
check_slot(const cap_slot_t *slot, uint32_t generation, object_type_t type, cap_rights_t rights)
{
	/* Every field read once, up front. */
	uint32_t held_generation = slot->generation;
	uint8_t state = slot->state;
	const object_header_t *object = slot->object;
	cap_rights_t held = slot->rights;
	if (held_generation != generation || state != CAP_VALID) {
		/* Another generation's slot, or one that is FREE or RETIRED: the ID's generation
		 * was (or will be) another cap's. */
		return held_generation == generation && state == CAP_REVOKED
			       ? ERROR_CSPACE_CAP_REVOKED
			       : ERROR_CSPACE_CAP_NULL;
	}
	if (type != OBJECT_TYPE_ANY && object->type != type) {
		return ERROR_CSPACE_WRONG_OBJECT_TYPE;
	}
	if ((held & rights) != rights) {
		return ERROR_CSPACE_INSUFFICIENT_RIGHTS;
	}
	return OK;
}

/* decode_any, then check_slot: the error for a cap ID as a call's argument. */
static inline __attribute__((always_inline)) error_t
find_cap(const cspace_t *cs, cap_id_t cap, object_type_t type, cap_rights_t rights,
	 cap_slot_t **slot)
{
	uint32_t generation = 0;
	if (!decode_any(cs, cap, slot, &generation)) {
		return ERROR_ARGUMENT_INVALID;
	}
	return check_slot(*slot, generation, type, rights);
}

static bool
is_active(const cspace_t *cs)
{
	return __atomic_load_n(&cs->header.state, __ATOMIC_ACQUIRE) == OBJECT_STATE_ACTIVE;
}

error_t
cspace_configure(cspace_t *cs, uint32_t max_caps)
{
	if (max_caps == 0U || max_caps > CSPACE_MAX_CAPS) {
		return ERROR_ARGUMENT_INVALID;
	}
	spinlock_acquire(&cs->header.lock);
	error_t err = cs->header.state == OBJECT_STATE_INIT ? OK : ERROR_OBJECT_STATE;
	if (err == OK) {
		cs->max_caps = max_caps;
	}
	spinlock_release(&cs->header.lock);
	return err;
}

error_t
cspace_activate(object_header_t *object)
{
	cspace_t *cs = (cspace_t *)object;
	if (cs->max_caps == 0U) {
		return ERROR_OBJECT_CONFIG;
	}
	size_t bytes = (size_t)cs->max_caps * sizeof(cap_slot_t);
	cs->slots = partition_alloc(cs->header.partition, bytes, 16);
	if (cs->slots == NULL) {
		return ERROR_NOMEM;
	}
	memset(cs->slots, 0, bytes);
	cs->key = cspace_random_key();
	return OK;
}

static void
unlink_slot(cap_slot_t *slot)
{
	/* Children move up to this slot's parent so a later revoke of an ancestor finds them. */
	cap_slot_t *child = slot->first_child;
	while (child != NULL) {
		cap_slot_t *next = child->next_sibling;
		child->parent = slot->parent;
		child->prev_sibling = NULL;
		child->next_sibling = NULL;
		if (slot->parent != NULL) {
			child->next_sibling = slot->parent->first_child;
			if (child->next_sibling != NULL) {
				child->next_sibling->prev_sibling = child;
			}
			slot->parent->first_child = child;
		}
		child = next;
	}
	if (slot->prev_sibling != NULL) {
		slot->prev_sibling->next_sibling = slot->next_sibling;
	} else if (slot->parent != NULL) {
		slot->parent->first_child = slot->next_sibling;
	}
	if (slot->next_sibling != NULL) {
		slot->next_sibling->prev_sibling = slot->prev_sibling;
	}
	slot->parent = slot->first_child = slot->next_sibling = slot->prev_sibling = NULL;
}

/* Empties a slot (under cap_lock); returns the reference the caller must drop unlocked. */
static object_header_t *
free_slot(cspace_t *cs, cap_slot_t *slot)
{
	object_header_t *object = slot->object;
	unlink_slot(slot);
	slot->object = NULL;
	slot->rights = 0;
	if (slot->generation == UINT32_MAX) {
		slot->state = CAP_RETIRED; /* stays counted in `used`: never handed out again */
	} else {
		slot->state = CAP_FREE;
		slot->generation++;
		cs->used--;
	}
	return object;
}

void
cspace_deactivate(object_header_t *object)
{
	cspace_t *cs = (cspace_t *)object;
	for (uint32_t i = 0; i < cs->max_caps; i++) {
		spinlock_acquire(&cap_lock);
		cap_state_t state = (cap_state_t)cs->slots[i].state;
		object_header_t *held = (state == CAP_VALID || state == CAP_REVOKED)
						? free_slot(cs, &cs->slots[i])
						: NULL;
		spinlock_release(&cap_lock);
		if (held != NULL) {
			object_put(held); /* outside the lock: this may destroy another cspace */
		}
	}
}

void
cspace_cleanup(object_header_t *object)
{
	cspace_t *cs = (cspace_t *)object;
	if (cs->slots != NULL) {
		partition_free(cs->header.partition, cs->slots,
			       (size_t)cs->max_caps * sizeof(cap_slot_t));
		cs->slots = NULL;
	}
}

/* cspace_lookup and cspace_lookup_active. The object's state is read under cap_lock, before
 * the reference is taken, so a lookup that fails on it never touches the refcount. */
static inline __attribute__((always_inline)) error_t
lookup(cspace_t *cs, cap_id_t cap, object_type_t type, cap_rights_t rights, bool want_active,
       object_header_t **out)
{
	if (cs == NULL || !is_active(cs)) {
		return ERROR_CSPACE_CAP_NULL;
	}
	spinlock_acquire(&cap_lock);
	cap_slot_t *slot = NULL;
	error_t err = find_cap(cs, cap, type, rights, &slot);
	/* Read once: the atomics below would make the compiler read it again each time. */
	object_header_t *object = err == OK ? slot->object : NULL;
	if (err == OK && want_active) {
		err = object_expect_state(object, OBJECT_STATE_ACTIVE);
	}
	if (err == OK) {
		object_get(object);
		*out = object;
	}
	spinlock_release(&cap_lock);
	return err;
}

error_t
cspace_lookup(cspace_t *cs, cap_id_t cap, object_type_t type, cap_rights_t rights,
	      object_header_t **out)
{
	return lookup(cs, cap, type, rights, false, out);
}

error_t
cspace_lookup_active(cspace_t *cs, cap_id_t cap, object_type_t type, cap_rights_t rights,
		     object_header_t **out)
{
	return lookup(cs, cap, type, rights, true, out);
}

/* A free slot of cs and the ID it will have (under cap_lock), or NULL when the cspace is
 * full. Exactly one (index, generation) per key would encode to CSPACE_CAP_INVALID: that
 * generation is skipped, or, if it is the slot's last, the slot is retired. */
static cap_slot_t *
find_free(cspace_t *cs, cap_id_t *id)
{
	for (uint32_t i = 0; i < cs->max_caps && cs->used < cs->max_caps; i++) {
		cap_slot_t *slot = &cs->slots[i];
		if (slot->state != CAP_FREE) {
			continue;
		}
		*id = encode(cs, i, slot->generation);
		if (*id != CSPACE_CAP_INVALID) {
			return slot;
		}
		if (slot->generation == UINT32_MAX) {
			slot->state = CAP_RETIRED;
			cs->used++;
			continue;
		}
		slot->generation++;
		*id = encode(cs, i, slot->generation); /* a bijection: cannot be invalid again */
		return slot;
	}
	return NULL;
}

static void
fill_slot(cspace_t *cs, cap_slot_t *slot, object_header_t *object, cap_rights_t rights,
	  cap_slot_t *parent)
{
	object_get(object);
	slot->object = object;
	slot->rights = rights;
	slot->state = CAP_VALID;
	slot->parent = parent;
	if (parent != NULL) {
		slot->next_sibling = parent->first_child;
		if (slot->next_sibling != NULL) {
			slot->next_sibling->prev_sibling = slot;
		}
		parent->first_child = slot;
	}
	cs->used++;
}

error_t
cspace_create_master_cap(cspace_t *cs, object_header_t *object, cap_rights_t rights,
			 cap_id_t *out)
{
	if (!is_active(cs)) {
		return ERROR_OBJECT_STATE;
	}
	spinlock_acquire(&cap_lock);
	cap_slot_t *slot = find_free(cs, out);
	if (slot != NULL) {
		fill_slot(cs, slot, object, rights, NULL);
	}
	spinlock_release(&cap_lock);
	return slot != NULL ? OK : ERROR_CSPACE_FULL;
}

error_t
cspace_copy_cap(cspace_t *src, cap_id_t src_cap, cspace_t *dest, cap_rights_t mask,
		cap_id_t *out)
{
	if (!is_active(src) || !is_active(dest)) {
		return ERROR_CSPACE_CAP_NULL;
	}
	spinlock_acquire(&cap_lock);
	cap_slot_t *from = NULL;
	error_t err = find_cap(src, src_cap, OBJECT_TYPE_ANY, 0, &from);
	cap_slot_t *to = NULL;
	if (err == OK) {
		to = find_free(dest, out);
		err = to != NULL ? OK : ERROR_CSPACE_FULL;
	}
	if (err == OK) {
		fill_slot(dest, to, from->object, from->rights & mask, from);
	}
	spinlock_release(&cap_lock);
	return err;
}

error_t
cspace_delete_cap(cspace_t *cs, cap_id_t cap)
{
	if (!is_active(cs)) {
		return ERROR_CSPACE_CAP_NULL;
	}
	spinlock_acquire(&cap_lock);
	cap_slot_t *slot = NULL;
	error_t err = decode(cs, cap, &slot);
	object_header_t *held = err == OK ? free_slot(cs, slot) : NULL;
	spinlock_release(&cap_lock);
	if (held != NULL) {
		object_put(held);
	}
	return err;
}

error_t
cspace_revoke_cap(cspace_t *cs, cap_id_t cap)
{
	if (!is_active(cs)) {
		return ERROR_CSPACE_CAP_NULL;
	}
	spinlock_acquire(&cap_lock);
	cap_slot_t *slot = NULL;
	error_t err = find_cap(cs, cap, OBJECT_TYPE_ANY, 0, &slot);
	if (err == OK) {
		slot->state = CAP_REVOKED;
	}
	spinlock_release(&cap_lock);
	return err;
}

error_t
cspace_revoke_caps(cspace_t *cs, cap_id_t master)
{
	if (!is_active(cs)) {
		return ERROR_CSPACE_CAP_NULL;
	}
	spinlock_acquire(&cap_lock);
	cap_slot_t *root = NULL;
	error_t err = find_cap(cs, master, OBJECT_TYPE_ANY, 0, &root);
	if (err == OK) {
		/* Depth-first over the derivation tree below master, without recursion. */
		cap_slot_t *node = root->first_child;
		while (node != NULL) {
			node->state = CAP_REVOKED;
			if (node->first_child != NULL) {
				node = node->first_child;
				continue;
			}
			while (node != root && node->next_sibling == NULL) {
				node = node->parent;
			}
			node = node == root ? NULL : node->next_sibling;
		}
	}
	spinlock_release(&cap_lock);
	return err;
}
