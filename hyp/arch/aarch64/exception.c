/* exception.c - the C side of every EL2 exception vector: route guest traps to their
 * handlers; anything unexpected at EL2 is a panic, anything unexpected from a guest a VM fault. */
#include <stdint.h>

#include "esr.h"
#include "hypercall.h"
#include "panic.h"
#include "sysreg.h"
#include "vm.h"

void exception_hyp_sp0(trap_frame_t *frame);
void exception_hyp_sync(trap_frame_t *frame);
void exception_hyp_irq(trap_frame_t *frame);
void exception_hyp_fiq(trap_frame_t *frame);
void exception_hyp_serror(trap_frame_t *frame);
void exception_lower_sync(trap_frame_t *frame);
void exception_lower_irq(trap_frame_t *frame);
void exception_lower_fiq(trap_frame_t *frame);
void exception_lower_serror(trap_frame_t *frame);
void exception_lower_aarch32(trap_frame_t *frame);

void
exception_hyp_sp0(trap_frame_t *frame)
{
	panic_exception("exception taken with SP_EL0 at EL2", frame);
}

void
exception_hyp_sync(trap_frame_t *frame)
{
	panic_exception("synchronous exception at EL2", frame);
}

void
exception_hyp_irq(trap_frame_t *frame)
{
	panic_exception("IRQ at EL2 (interrupts are not enabled at EL2 yet)", frame);
}

void
exception_hyp_fiq(trap_frame_t *frame)
{
	panic_exception("FIQ at EL2", frame);
}

void
exception_hyp_serror(trap_frame_t *frame)
{
	panic_exception("SError at EL2", frame);
}

void
exception_lower_sync(trap_frame_t *frame)
{
	vcpu_t *vcpu = vcpu_current();
	uint64_t esr = sysreg_read(esr_el2);
	if (vcpu == NULL) {
		panic_exception("guest exception with no current vCPU", frame);
	}
	switch (ESR_EC(esr)) {
	case ESR_EC_HVC64: {
		uint32_t imm = (uint32_t)(esr & 0xffffU);
		if (imm == 0U) {
			smccc_handle(vcpu, frame);
		} else {
			hypercall_native(frame, imm);
		}
		return; /* ELR already points past the HVC */
	}
	case ESR_EC_SMC64:
		/* A trapped SMC (HCR_EL2.TSC) returns to the SMC itself: step over it. */
		frame->elr += 4U;
		smccc_handle(vcpu, frame);
		return;
	default:
		vm_fault(vcpu, frame, esr);
	}
}

void
exception_lower_irq(trap_frame_t *frame)
{
	panic_exception("physical IRQ while a guest ran (no interrupt routing yet)", frame);
}

void
exception_lower_fiq(trap_frame_t *frame)
{
	panic_exception("physical FIQ while a guest ran", frame);
}

void
exception_lower_serror(trap_frame_t *frame)
{
	vcpu_t *vcpu = vcpu_current();
	if (vcpu == NULL) {
		panic_exception("SError from a lower EL with no current vCPU", frame);
	}
	vm_fault(vcpu, frame, sysreg_read(esr_el2));
}

void
exception_lower_aarch32(trap_frame_t *frame)
{
	panic_exception("exception from AArch32, which bothy never runs", frame);
}
