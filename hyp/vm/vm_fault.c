/* vm_fault.c - what happens when a guest does something bothy does not handle: the fault is
 * reported with the decoded syndrome and the VM is stopped. Nothing is silently ignored. */
#include <stdint.h>

#include "console.h"
#include "esr.h"
#include "platform.h"
#include "sysreg.h"
#include "vm.h"

#define ROOT_VM_FAULT_EXIT_STATUS 4U

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
	/* Only the root VM runs until VM lifecycle support arrives, and it holds every other
	 * VM's state: it cannot be stopped alone, so its fault ends the machine. */
	console_panic_puts("[hyp] the root VM cannot continue: stopping the machine\n");
	platform_exit_failure(ROOT_VM_FAULT_EXIT_STATUS);
}
