/* vcpu_calls.c - the vCPU and vic hypercalls: options, priority, time slice and affinity
 * before activation, power-on, and attaching vCPUs to a VM's virtual GIC. */
#include "cspace.h"
#include "hypercall_handlers.h"
#include "objects/thread.h"
#include "sched.h"
#include "vgic.h"
#include "vm.h"

hypercall_vcpu_configure_result_t
hypercall_vcpu_configure(cap_id_t cap_id, uint64_t vcpu_options)
{
	object_header_t *th;
	error_t err = object_lookup_configurable(cap_id, OBJECT_TYPE_THREAD, &th);
	if (err == OK) {
		err = thread_configure((thread_t *)th, vcpu_options);
		object_put(th);
	}
	return (hypercall_vcpu_configure_result_t){ .error = err };
}

static error_t
lookup_thread(cap_id_t cap, cap_rights_t rights, thread_t **out)
{
	return cspace_lookup(caller_cspace(), cap, OBJECT_TYPE_THREAD, rights,
			     (object_header_t **)out);
}

hypercall_vcpu_poweron_result_t
hypercall_vcpu_poweron(cap_id_t cap_id, uint64_t entry_point, uint64_t context, uint64_t flags)
{
	if (flags != 0U) {
		return (hypercall_vcpu_poweron_result_t){ .error = ERROR_ARGUMENT_INVALID };
	}
	thread_t *th;
	error_t err = lookup_thread(cap_id, CAP_RIGHTS_THREAD_POWER, &th);
	if (err == OK) {
		err = object_expect_state(&th->header, OBJECT_STATE_ACTIVE);
		if (err == OK && th->vm->stopped) {
			err = vm_prepare_restart(th->vm); /* the RM restarting a stopped VM */
		}
		if (err == OK) {
			err = sched_power_on(th, entry_point, context);
		}
		object_put(&th->header);
	}
	return (hypercall_vcpu_poweron_result_t){ .error = err };
}

hypercall_vcpu_set_affinity_result_t
hypercall_vcpu_set_affinity(cap_id_t cap_id, uint16_t affinity)
{
	thread_t *th;
	error_t err = lookup_thread(cap_id, CAP_RIGHTS_THREAD_AFFINITY, &th);
	if (err == OK) {
		err = sched_set_affinity(th, affinity);
		object_put(&th->header);
	}
	return (hypercall_vcpu_set_affinity_result_t){ .error = err };
}

hypercall_vcpu_set_priority_result_t
hypercall_vcpu_set_priority(cap_id_t cap_id, uint32_t priority)
{
	thread_t *th;
	error_t err = lookup_thread(cap_id, CAP_RIGHTS_THREAD_PRIORITY, &th);
	if (err == OK) {
		err = thread_set_priority(th, priority);
		object_put(&th->header);
	}
	return (hypercall_vcpu_set_priority_result_t){ .error = err };
}

hypercall_vcpu_set_timeslice_result_t
hypercall_vcpu_set_timeslice(cap_id_t cap_id, uint64_t timeslice)
{
	thread_t *th;
	error_t err = lookup_thread(cap_id, CAP_RIGHTS_THREAD_TIMESLICE, &th);
	if (err == OK) {
		err = thread_set_timeslice(th, timeslice);
		object_put(&th->header);
	}
	return (hypercall_vcpu_set_timeslice_result_t){ .error = err };
}

hypercall_vic_configure_result_t
hypercall_vic_configure(cap_id_t vic, uint32_t max_vcpus, uint32_t max_virqs,
			uint64_t vic_options, uint32_t max_msis)
{
	if (vic_options != 0U || max_msis != 0U) {
		return (hypercall_vic_configure_result_t){ .error = ERROR_ARGUMENT_INVALID };
	}
	object_header_t *v;
	error_t err = object_lookup_configurable(vic, OBJECT_TYPE_VIC, &v);
	if (err == OK) {
		err = vgic_configure((vic_t *)v, max_vcpus, max_virqs);
		object_put(v);
	}
	return (hypercall_vic_configure_result_t){ .error = err };
}

hypercall_vic_attach_vcpu_result_t
hypercall_vic_attach_vcpu(cap_id_t vic, cap_id_t vcpu, uint32_t index)
{
	object_header_t *v, *th;
	error_t err = cspace_lookup(caller_cspace(), vic, OBJECT_TYPE_VIC,
				    CAP_RIGHTS_VIC_ATTACH_VCPU, &v);
	if (err != OK) {
		return (hypercall_vic_attach_vcpu_result_t){ .error = err };
	}
	err = object_lookup_configurable(vcpu, OBJECT_TYPE_THREAD, &th);
	if (err == OK) {
		thread_t *thread = (thread_t *)th;
		err = vgic_attach_vcpu((vic_t *)v, thread, index);
		if (err == OK && thread->vm != NULL && thread->vm->vic == NULL) {
			thread->vm->vic = (vic_t *)v; /* the VM's devices signal through this vic */
		}
		object_put(th);
	}
	object_put(v);
	return (hypercall_vic_attach_vcpu_result_t){ .error = err };
}

/* Gunyah's vcpu_run_state values that bothy reports. */

hypercall_vcpu_run_check_result_t
hypercall_vcpu_run_check(cap_id_t cap_id)
{
	thread_t *th;
	hypercall_vcpu_run_check_result_t result = { .error = OK };
	result.error = lookup_thread(cap_id, CAP_RIGHTS_THREAD_POWER, &th);
	if (result.error != OK) {
		return result;
	}
	vcpu_state_t state = sched_vcpu_state(th);
	if (state == VCPU_STATE_STOPPED && sched_vcpu_loaded(th)) {
		state = VCPU_STATE_RUNNING; /* stopped, but still on its way off its CPU */
	}
	switch (state) {
	case VCPU_STATE_OFF:
	case VCPU_STATE_STOPPED:
		result.vcpu_state = VCPU_RUN_STATE_POWERED_OFF;
		/* bothy: state_data_0 says why the VM stopped (vm_exit_reason, abi/types.yaml). */
		result.state_data_0 = th->vm != NULL ? th->vm->exit_reason : VM_EXIT_REASON_NONE;
		break;
	case VCPU_STATE_BLOCKED:
		result.vcpu_state = VCPU_RUN_STATE_EXPECTS_WAKEUP;
		break;
	default:
		result.vcpu_state = VCPU_RUN_STATE_READY;
		break;
	}
	object_put(&th->header);
	return result;
}

hypercall_scheduler_yield_result_t
hypercall_scheduler_yield(uint32_t control, uint64_t arg1)
{
	(void)arg1; /* only used by directed yields, which bothy does not offer */
	if ((control & 0xffffU) != 0U) {
		return (hypercall_scheduler_yield_result_t){ .error = ERROR_ARGUMENT_INVALID };
	}
	sched_yield();
	return (hypercall_scheduler_yield_result_t){ .error = OK };
}
