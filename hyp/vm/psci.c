/* psci.c - PSCI 1.1 for guests over HVC: vCPU power (CPU_ON/OFF/SUSPEND, AFFINITY_INFO) is
 * the scheduler's; system power (SYSTEM_OFF/RESET) stops the VM, or the machine for the root/primary. */
#include <stdint.h>

#include "console.h"
#include "platform.h"
#include "psci.h"
#include "sched.h"
#include "vm.h"

#define SMCCC_VERSION_ID 0x80000000U

#define PSCI_VERSION_1_1 0x10001U
#define PSCI_TOS_NOT_PRESENT_MP 2U
#define ROOT_VM_RESET_EXIT_STATUS 5U
#define AFFINITY_ON 0U
#define AFFINITY_OFF 1U

static uint32_t
base_function(uint32_t function_id)
{
	return function_id & ~PSCI_FUNCTION_SMC64;
}

bool
psci_is_supported(uint32_t function_id)
{
	switch (base_function(function_id)) {
	case PSCI_FUNCTION_VERSION:
	case PSCI_FUNCTION_CPU_SUSPEND:
	case PSCI_FUNCTION_CPU_OFF:
	case PSCI_FUNCTION_CPU_ON:
	case PSCI_FUNCTION_AFFINITY_INFO:
	case PSCI_FUNCTION_MIGRATE_INFO_TYPE:
	case PSCI_FUNCTION_SYSTEM_OFF:
	case PSCI_FUNCTION_SYSTEM_RESET:
	case PSCI_FUNCTION_FEATURES:
		return true;
	default:
		return false;
	}
}

/* The vCPU of `vm` with this MPIDR (Aff0 = vCPU index, higher levels 0), or NULL. */
static vcpu_t *
vcpu_by_mpidr(vm_t *vm, uint64_t mpidr)
{
	if ((mpidr & 0xff00ffff00UL) != 0U) {
		return NULL;
	}
	vcpu_t *found = NULL;
	spinlock_acquire(&vm->vcpus_lock);
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		if (vm->vcpus[i]->index == (mpidr & 0xffU)) {
			found = vm->vcpus[i];
		}
	}
	spinlock_release(&vm->vcpus_lock);
	return found;
}

static int64_t
cpu_on(vcpu_t *caller, uint64_t mpidr, uint64_t entry, uint64_t context)
{
	vcpu_t *target = vcpu_by_mpidr(caller->vm, mpidr);
	if (target == NULL) {
		return PSCI_RETURN_INVALID_PARAMETERS;
	}
	return sched_power_on(target, entry, context) == OK ? PSCI_RETURN_SUCCESS : PSCI_RETURN_ALREADY_ON;
}

static int64_t
affinity_info(vcpu_t *caller, uint64_t mpidr, uint64_t level)
{
	vcpu_t *target = vcpu_by_mpidr(caller->vm, mpidr);
	if (target == NULL || level != 0U) {
		return PSCI_RETURN_INVALID_PARAMETERS;
	}
	/* OFF only once the vCPU's CPU has switched away from it (its registers saved): a
	 * caller may CPU_ON it at once, and that must then succeed and start it afresh. */
	return sched_vcpu_off(target) ? AFFINITY_OFF : AFFINITY_ON;
}

static void
system_off(vcpu_t *vcpu)
{
	vm_t *vm = vcpu->vm;
	hyp_log("VM '%s' requested PSCI SYSTEM_OFF", vm->name);
	if (vm->is_root || vm->is_primary) {
		/* The primary VM is the system's reason to run; the root VM holds everyone. */
		hyp_log("powering off the machine");
		platform_system_off();
	}
	vm_stop(vm, VM_EXIT_REASON_POWER_OFF, "powered off (PSCI SYSTEM_OFF)");
}

static void
system_reset(vcpu_t *vcpu)
{
	vm_t *vm = vcpu->vm;
	if (vm->is_root) {
		/* The root VM holds every VM's state: it cannot be restarted alone. */
		hyp_log("VM '%s' requested PSCI SYSTEM_RESET; the root VM cannot be restarted: "
			"stopping the machine", vm->name);
		platform_exit_failure(ROOT_VM_RESET_EXIT_STATUS);
	}
	hyp_log("VM '%s' requested PSCI SYSTEM_RESET", vm->name);
	vm_request_reset(vm);
}

bool
psci_handle(vcpu_t *vcpu, trap_frame_t *frame)
{
	uint32_t function_id = (uint32_t)frame->x[0];
	int64_t ret = PSCI_RETURN_SUCCESS;
	if ((function_id & 0xbfffffe0U) != PSCI_FUNCTION_VERSION) {
		return false; /* not in the PSCI range 0x84000000-0x8400001f (or SMC64) */
	}
	switch (base_function(function_id)) {
	case PSCI_FUNCTION_VERSION:
		ret = PSCI_VERSION_1_1;
		break;
	case PSCI_FUNCTION_CPU_SUSPEND:
		/* Every power state is a standby state for a vCPU: wait for an interrupt. */
		sched_current_wait();
		break;
	case PSCI_FUNCTION_CPU_OFF:
		sched_current_power_off();
		break;
	case PSCI_FUNCTION_CPU_ON:
		ret = cpu_on(vcpu, frame->x[1], frame->x[2], frame->x[3]);
		break;
	case PSCI_FUNCTION_AFFINITY_INFO:
		ret = affinity_info(vcpu, frame->x[1], frame->x[2]);
		break;
	case PSCI_FUNCTION_MIGRATE_INFO_TYPE:
		ret = PSCI_TOS_NOT_PRESENT_MP;
		break;
	case PSCI_FUNCTION_SYSTEM_OFF:
		system_off(vcpu);
		break;
	case PSCI_FUNCTION_SYSTEM_RESET:
		system_reset(vcpu);
		break;
	case PSCI_FUNCTION_FEATURES:
		/* SMCCC_VERSION is listed here too: that is how Linux finds SMCCC 1.1. */
		ret = psci_is_supported((uint32_t)frame->x[1]) || frame->x[1] == SMCCC_VERSION_ID
			      ? PSCI_RETURN_SUCCESS
			      : PSCI_RETURN_NOT_SUPPORTED;
		break;
	default:
		ret = PSCI_RETURN_NOT_SUPPORTED;
		break;
	}
	frame->x[0] = (uint64_t)ret;
	return true;
}
