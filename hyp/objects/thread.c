/* thread.c - thread objects (vCPUs): configuration before activation (cspace, priority,
 * affinity), joining the scheduler on activation and leaving everything at the end. */
#include "object.h"
#include "object_ops.h"
#include "objects/thread.h"
#include "sched.h"
#include "vm.h"

#define VCPU_OPTIONS_VALID 0x0UL /* Gunyah's option bits (AArch64 only) are all unsupported */

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

error_t
thread_configure(thread_t *thread, uint64_t options)
{
	if ((options & ~VCPU_OPTIONS_VALID) != 0U) {
		return ERROR_ARGUMENT_INVALID;
	}
	return object_expect_state(&thread->header, OBJECT_STATE_INIT);
}

error_t
thread_set_priority(thread_t *thread, unsigned priority)
{
	if (priority > SCHED_MAX_PRIORITY) {
		return ERROR_ARGUMENT_INVALID;
	}
	error_t err = object_expect_state(&thread->header, OBJECT_STATE_INIT);
	if (err == OK) {
		thread->priority = priority;
		thread->priority_set = true;
	}
	return err;
}

error_t
thread_set_timeslice(thread_t *thread, uint64_t nanoseconds)
{
	if (nanoseconds < 100000U || nanoseconds > 1000000000U) {
		return ERROR_ARGUMENT_INVALID; /* 100 us to 1 s */
	}
	error_t err = object_expect_state(&thread->header, OBJECT_STATE_INIT);
	if (err == OK) {
		thread->timeslice = sched_us_to_ticks(nanoseconds / 1000U);
	}
	return err;
}

error_t
thread_activate(object_header_t *object)
{
	thread_t *thread = (thread_t *)object;
	if (thread->vm == NULL) {
		return ERROR_OBJECT_CONFIG; /* a vCPU needs an address space to run in */
	}
	if (!thread->priority_set) {
		thread->priority = SCHED_DEFAULT_PRIORITY;
	}
	if (thread->timeslice == 0U) {
		thread->timeslice = sched_us_to_ticks(SCHED_DEFAULT_TIMESLICE_US);
	}
	thread->state = VCPU_STATE_OFF;
	sched_add_vcpu(thread);
	thread->scheduled = true;
	return OK;
}

void
thread_cleanup(object_header_t *object)
{
	thread_t *thread = (thread_t *)object;
	if (thread->scheduled) {
		sched_remove_vcpu(thread);
	}
	if (thread->vic != NULL) {
		spinlock_acquire(&thread->vic->lock);
		if (thread->vic->vcpus[thread->index] == thread) {
			thread->vic->vcpus[thread->index] = NULL;
		}
		spinlock_release(&thread->vic->lock);
		object_put(&thread->vic->header);
		thread->vic = NULL;
	}
	if (thread->vm != NULL) {
		vm_t *vm = thread->vm;
		spinlock_acquire(&vm->vcpus_lock);
		for (unsigned i = 0; i < vm->vcpu_count; i++) {
			if (vm->vcpus[i] == thread) {
				vm->vcpus[i] = vm->vcpus[--vm->vcpu_count];
			}
		}
		spinlock_release(&vm->vcpus_lock);
		object_put(&vm->header);
		thread->vm = NULL;
	}
	if (thread->cspace != NULL) {
		object_put(&thread->cspace->header);
		thread->cspace = NULL;
	}
}
