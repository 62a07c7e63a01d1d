/* thread.c - thread objects (vCPUs): attaching a cspace and releasing it at the end.
 * Power, affinity and scheduling arrive with VM support. */
#include "object.h"
#include "object_ops.h"
#include "objects/thread.h"

error_t
thread_attach_cspace(thread_t *thread, cspace_t *cspace)
{
	spinlock_acquire(&thread->header.lock);
	error_t err = thread->header.state == OBJECT_STATE_INIT ? OK : ERROR_OBJECT_STATE;
	if (err == OK) {
		cspace_t *old = thread->cspace;
		object_get(&cspace->header);
		thread->cspace = cspace;
		spinlock_release(&thread->header.lock);
		if (old != NULL) {
			object_put(&old->header);
		}
		return OK;
	}
	spinlock_release(&thread->header.lock);
	return err;
}

void
thread_cleanup(object_header_t *object)
{
	thread_t *thread = (thread_t *)object;
	if (thread->cspace != NULL) {
		object_put(&thread->cspace->header);
		thread->cspace = NULL;
	}
}
