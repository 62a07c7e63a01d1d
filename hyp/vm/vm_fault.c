/* vm_fault.c - what happens when a guest does something bothy does not handle: the fault is
 * reported with the decoded syndrome and the VM is stopped; the rest of the system runs on. */
#include <stdbool.h>
#include <stdint.h>

#include "console.h"
#include "esr.h"
#include "platform.h"
#include "sched.h"
#include "sysreg.h"
#include "vgic.h"
#include "vm.h"

#define ROOT_VM_FAULT_EXIT_STATUS 4U

void
vm_stop(vm_t *vm, uint32_t exit_reason, const char *reason)
{
	spinlock_acquire(&vm->vcpus_lock);
	vm->stopped = true;
	vm->exit_reason = exit_reason;
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		sched_stop_vcpu(vm->vcpus[i]);
	}
	spinlock_release(&vm->vcpus_lock);
	hyp_log("VM '%s' stopped: %s", vm->name, reason);
	vcpu_t *rm = root_vm_vcpu();
	if (rm != NULL && rm->vm != vm) {
		sched_wake(rm); /* the RM decides what happens next (vcpu_run_check) */
	}
}

void
vm_request_reset(vm_t *vm)
{
	/* Restarting needs fresh images, which only the RM has: stop, and let it restart. */
	vm_stop(vm, VM_EXIT_REASON_RESET, "reset requested; the RM restarts it");
}

error_t
vm_prepare_restart(vm_t *vm)
{
	error_t err = OK;
	bool restarted = false;
	spinlock_acquire(&vm->vcpus_lock);
	if (vm->stopped) {
		for (unsigned i = 0; i < vm->vcpu_count && err == OK; i++) {
			err = sched_make_off(vm->vcpus[i]);
		}
		if (err == OK) {
			if (vm->vic != NULL) {
				vgic_reset(vm->vic);
			}
			vm->cntvoff = sysreg_read(cntpct_el0);
			vm->stopped = false;
			vm->exit_reason = VM_EXIT_REASON_NONE;
			restarted = true;
		}
	}
	spinlock_release(&vm->vcpus_lock);
	if (restarted) {
		/* Outside vcpus_lock, which the vGIC and stage-2 updates it makes need not nest
		 * in; every vCPU stays off until the RM powers vCPU 0 on after this returns. */
		vuart_reset(vm);
	}
	return err;
}

void
vm_fault(vcpu_t *vcpu, const trap_frame_t *frame, uint64_t esr)
{
	uint64_t far = sysreg_read(far_el2);
	uint64_t ipa = (sysreg_read(hpfar_el2) >> 4) << 12 | (far & 0xfffU);
	console_panic_printf("[hyp] VM fault: VM '%s' vCPU %u stopped\n", vcpu->vm->name,
			     vcpu->index);
	esr_print("ESR_EL2", esr);
	console_panic_printf("  FAR_EL2 0x%016lx (guest VA)  IPA 0x%016lx  ELR 0x%016lx\n", far,
			     ipa, frame->elr);
	if (vcpu->vm->is_root) {
		/* The root VM holds every other VM's state: it cannot be stopped alone. */
		console_panic_puts("[hyp] the root VM cannot continue: stopping the machine\n");
		platform_exit_failure(ROOT_VM_FAULT_EXIT_STATUS);
	}
	vm_stop(vcpu->vm, VM_EXIT_REASON_FAULT, "guest fault");
	/* The stopped vCPU never resumes: the scheduler picks something else or idles. */
	sched_return_to_guest();
	__builtin_unreachable();
}
