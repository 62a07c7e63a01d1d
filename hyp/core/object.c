/* object.c - the generic lifecycle of first-class objects: create (charged to a partition),
 * activate, reference counting, and destruction that returns memory to its partition. */
#include <stdbool.h>
#include <stddef.h>

#include "object.h"
#include "object_ops.h"
#include "partition.h"
#include "util_string.h"

#define OBJECT_ALIGN 16U

error_t
object_create(partition_t *partition, object_type_t type, object_header_t **out)
{
	const object_type_info_t *info = &object_type_info[type];
	object_header_t *object = partition_alloc(partition, info->size, OBJECT_ALIGN);
	if (object == NULL) {
		return ERROR_NOMEM;
	}
	memset(object, 0, info->size);
	object->type = type;
	object->state = OBJECT_STATE_INIT;
	object->refcount = 1;
	object->partition = partition;
	object_get(&partition->header); /* a partition outlives everything charged to it */
	*out = object;
	return OK;
}

/* Destroying an object drops the references it holds (a cspace's caps, the partition it is
 * charged to), which can destroy more objects. Done recursively, a chain of objects each
 * holding the last reference to the next would overflow the EL2 stack, so objects whose
 * last reference is gone join a queue that one loop drains: stack depth stays constant. */
static spinlock_t dead_lock;
static object_header_t *dead_queue;
static bool draining;

static void
destroy(object_header_t *object)
{
	const object_type_info_t *info = &object_type_info[object->type];
	if (object->state == OBJECT_STATE_ACTIVE && info->deactivate != NULL) {
		info->deactivate(object);
	}
	if (info->cleanup != NULL) {
		info->cleanup(object);
	}
	partition_t *partition = object->partition;
	if (partition != NULL) {
		partition_free(partition, object, info->size);
		object_put(&partition->header);
	}
}

void
object_release(object_header_t *object)
{
	spinlock_acquire(&dead_lock);
	object->next_dead = dead_queue;
	dead_queue = object;
	if (draining) {
		spinlock_release(&dead_lock); /* the loop already running will destroy it */
		return;
	}
	draining = true;
	while (dead_queue != NULL) {
		object_header_t *next = dead_queue;
		dead_queue = next->next_dead;
		spinlock_release(&dead_lock);
		destroy(next);
		spinlock_acquire(&dead_lock);
	}
	draining = false;
	spinlock_release(&dead_lock);
}

error_t
object_activate(object_header_t *object)
{
	spinlock_acquire(&object->lock);
	if (object->state != OBJECT_STATE_INIT) {
		spinlock_release(&object->lock);
		return ERROR_OBJECT_STATE;
	}
	const object_type_info_t *info = &object_type_info[object->type];
	error_t err = info->activate != NULL ? info->activate(object) : OK;
	__atomic_store_n(&object->state, err == OK ? OBJECT_STATE_ACTIVE : OBJECT_STATE_FAILED,
			 __ATOMIC_RELEASE); /* object_expect_state reads it without the lock */
	spinlock_release(&object->lock);
	return err;
}
