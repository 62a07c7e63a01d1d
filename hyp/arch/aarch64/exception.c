/* exception.c - the C side of every EL2 exception vector: route guest traps to their
 * handlers; anything unexpected at EL2 is a panic, anything unexpected from a guest a VM fault. */
#include <stdint.h>

#include "console.h"
#include "esr.h"
#include "hypercall.h"
#include "irq.h"
#include "mmio.h"
#include "panic.h"
#include "sched.h"
#include "sysreg.h"
#include "trapped_insn.h"
#include "vcpu_context.h"
#include "vcpu_sysreg.h"
#include "vgic.h"
#include "vm.h"
#include "vuart.h"

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

#define ISS_DABT_ISV (1U << 24)
#define ISS_DABT_SSE (1U << 21)
#define ISS_DABT_SF (1U << 15)
#define ISS_DABT_S1PTW (1U << 7)
#define ISS_DABT_WNR (1U << 6)
#define ISS_WFX_WFE 1U
#define SPSR_EL_MASK (3U << 2) /* SPSR_ELx.M[3:2]: the exception level taken from */
#define PAR_F 1U
#define PAR_PA_MASK 0x000ffffffffff000UL /* PAR_EL1.PA, bits [51:12] */

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

/* Only the idle loop runs with interrupts unmasked at EL2. */
void
exception_hyp_irq(trap_frame_t *frame)
{
	(void)frame;
	irq_handle();
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

/* The IPA of a write that took a stage-2 permission fault. HPFAR_EL2 is only defined for
 * translation, access flag and address size faults, so ask stage 1 instead: it allowed this
 * write at the guest's EL, so a write translation at that EL finds the same IPA unless the
 * guest changed its tables meanwhile (then false: the guest retries the access). PAR_EL1 is
 * the guest's and still live: saved and restored around the AT. */
static bool
permission_fault_ipa(const trap_frame_t *frame, uint64_t far, uint64_t *ipa)
{
	uint64_t saved = sysreg_read(par_el1);
	if ((frame->spsr & SPSR_EL_MASK) == 0U) {
		__asm__ volatile("at s1e0w, %0" ::"r"(far));
	} else {
		__asm__ volatile("at s1e1w, %0" ::"r"(far));
	}
	isb();
	uint64_t par = sysreg_read(par_el1);
	sysreg_write(par_el1, saved);
	if ((par & PAR_F) != 0U) {
		return false;
	}
	*ipa = (par & PAR_PA_MASK) | (far & 0xfffU);
	return true;
}

#define VECTOR_CURRENT_SP0 0x000U
#define VECTOR_CURRENT_SPX 0x200U
#define VECTOR_LOWER_AARCH64 0x400U
#define VECTOR_LOWER_AARCH32 0x600U
#define SPSR_M_EL1H 0x5UL
#define SPSR_DAIF (0xfUL << 6)
#define SPSR_SSBS (1UL << 12)
#define SPSR_PAN (1UL << 22)
#define SPSR_DIT (1UL << 24)
#define SCTLR_SPAN (1UL << 23)
#define SCTLR_DSSBS (1UL << 44)

/* Enters the guest's EL1 synchronous exception vector with `esr_el1`, as the Arm ARM says
 * the CPU does: ELR_EL1 the trapped instruction, SPSR_EL1 the guest's PSTATE, then EL1h
 * with DAIF masked, PAN set unless SCTLR_EL1.SPAN, SSBS from SCTLR_EL1.DSSBS, DIT kept, at
 * VBAR_EL1 plus the offset for where it came from. Guests run at EL1 or EL0 only. */
static void
inject_sync(trap_frame_t *frame, uint64_t esr_el1)
{
	uint64_t spsr = frame->spsr;
	uint64_t offset;
	if ((spsr & SPSR_AARCH32) != 0U) {
		offset = VECTOR_LOWER_AARCH32;
	} else if ((spsr & SPSR_EL_MASK) == 0U) {
		offset = VECTOR_LOWER_AARCH64;
	} else {
		offset = (spsr & 1U) != 0U ? VECTOR_CURRENT_SPX : VECTOR_CURRENT_SP0;
	}
	uint64_t sctlr = sysreg_read(sctlr_el1);
	uint64_t pstate = SPSR_M_EL1H | SPSR_DAIF | (spsr & SPSR_DIT);
	if (((sysreg_read(id_aa64mmfr1_el1) >> 20) & 0xfUL) != 0U) { /* FEAT_PAN */
		pstate |= (sctlr & SCTLR_SPAN) == 0U ? SPSR_PAN : (spsr & SPSR_PAN);
	}
	if (((sysreg_read(id_aa64pfr1_el1) >> 4) & 0xfUL) != 0U && /* FEAT_SSBS */
	    (sctlr & SCTLR_DSSBS) != 0U) {
		pstate |= SPSR_SSBS;
	}
	sysreg_write(esr_el1, esr_el1);
	sysreg_write(elr_el1, frame->elr);
	sysreg_write(spsr_el1, spsr);
	frame->elr = sysreg_read(vbar_el1) + offset;
	frame->spsr = pstate;
}

/* Makes the trapped instruction UNDEFINED for the guest: the exception the CPU takes to
 * EL1 for an instruction it does not implement (EC 0: unknown reason, IL as trapped). */
static void
inject_undefined(trap_frame_t *frame, uint64_t esr)
{
	inject_sync(frame, esr & ESR_IL);
}

#define ESR_EC_SHIFT 26U
#define ISS_WNR (1U << 6)
#define FSC_SYNC_EXTERNAL 0x10U /* synchronous external abort, not on a table walk */
#define ABORTS_REPORTED 16U

/* A stage-2 fault at an IPA that nothing maps, with no device there: the guest takes a
 * synchronous external abort, as Gunyah gives it (a data abort from EL1 is ESR_EL1
 * 0x96000010, 0x96000050 for a write; a fetch 0x86000010), with FAR_EL1 the faulting
 * virtual address. The guest decides what follows: Linux kills the process (SIGBUS). */
static __attribute__((noinline)) void
inject_external_abort(vcpu_t *vcpu, trap_frame_t *frame, uint64_t esr)
{
	bool fetch = ESR_EC(esr) == ESR_EC_IABT_LOWER;
	bool from_el1 = (frame->spsr & SPSR_AARCH32) == 0U && (frame->spsr & SPSR_EL_MASK) != 0U;
	uint64_t ec = fetch ? (from_el1 ? ESR_EC_IABT_CUR : ESR_EC_IABT_LOWER)
			    : (from_el1 ? ESR_EC_DABT_CUR : ESR_EC_DABT_LOWER);
	uint64_t wnr = fetch ? 0U : (esr & ISS_WNR);
	uint64_t far = sysreg_read(far_el2);
	uint64_t ipa = ((sysreg_read(hpfar_el2) >> 4) << 12) | (far & 0xfffU);
	/* Reported, never as a "VM fault:" (the VM is not stopped), and only the first few of
	 * each VM: a guest that aborts in a loop must not flood the shared console. */
	uint32_t n = __atomic_fetch_add(&vcpu->vm->aborts_injected, 1U, __ATOMIC_RELAXED);
	if (n < ABORTS_REPORTED) {
		hyp_log("VM '%s' vCPU %u: %s at IPA 0x%lx (VA 0x%lx, ELR 0x%lx): nothing mapped there; "
			"external abort injected",
			vcpu->vm->name, vcpu->index, fetch ? "fetch" : (wnr != 0U ? "write" : "read"),
			ipa, far, frame->elr);
	}
	inject_sync(frame, (ec << ESR_EC_SHIFT) | ESR_IL | wnr | FSC_SYNC_EXTERNAL);
	sysreg_write(far_el1, far);
}

/* Whether a stage-2 abort is a translation fault at an IPA that nothing maps: the guest
 * gets an abort (inject_external_abort). The root VM is not given one: it is the RM, which
 * holds every other VM's state, and such an access is a bug there (vm_fault stops all). */
static bool
abort_is_injected(const vcpu_t *vcpu, uint64_t esr)
{
	uint32_t fsc = (uint32_t)ESR_ISS(esr) & 0x3fU;
	return !vcpu->vm->is_root && fsc >= 0x04U && fsc <= 0x07U;
}

/* A stage-2 fault on an address the VM has no memory at, or a write to a page it may only
 * read (the vPL011's shadow): an emulated device, or a fault.
 * Not inlined: its stack frame would otherwise be set up on every exception, hypercalls too. */
static __attribute__((noinline)) void
data_abort(vcpu_t *vcpu, trap_frame_t *frame, uint64_t esr)
{
	uint32_t iss = (uint32_t)ESR_ISS(esr);
	uint32_t dfsc = iss & 0x3fU;
	bool translation_fault = dfsc >= 0x04U && dfsc <= 0x07U;
	bool permission_fault = dfsc >= 0x0cU && dfsc <= 0x0fU;
	bool write = (iss & ISS_DABT_WNR) != 0U;
	if ((iss & ISS_DABT_ISV) == 0U || (iss & ISS_DABT_S1PTW) != 0U ||
	    !(translation_fault || (permission_fault && write))) {
		if (abort_is_injected(vcpu, esr)) {
			inject_external_abort(vcpu, frame, esr);
			return;
		}
		vm_fault(vcpu, frame, esr);
	}
	uint64_t far = sysreg_read(far_el2);
	uint64_t ipa = ((sysreg_read(hpfar_el2) >> 4) << 12) | (far & 0xfffU);
	if (permission_fault && !permission_fault_ipa(frame, far, &ipa)) {
		return; /* ELR unchanged: the guest retries */
	}
	unsigned rt = (iss >> 16) & 0x1fU;
	mmio_access_t access = {
		.ipa = ipa,
		.size = 1U << ((iss >> 22) & 3U),
		.write = write,
		.value = 0,
	};
	if (access.write) {
		access.value = rt == 31U ? 0U : frame->x[rt];
		if (access.size < 8U) {
			access.value &= (1UL << (8U * access.size)) - 1U;
		}
	}
	/* The root VM's only emulated device is its vGIC: its console is the console_write
	 * hypercall, and a UART would take an SPI from its vic. The vGIC maps no pages, so a
	 * permission fault is the vPL011's or the guest's own. */
	mmio_result_t result = vcpu->vm->is_root ? MMIO_UNHANDLED : vuart_mmio(vcpu, &access);
	if (result == MMIO_UNHANDLED && vcpu->vic != NULL && !permission_fault) {
		result = vgic_mmio(vcpu, &access);
	}
	if (result != MMIO_HANDLED) {
		if (abort_is_injected(vcpu, esr)) {
			inject_external_abort(vcpu, frame, esr);
			return;
		}
		vm_fault(vcpu, frame, esr);
	}
	if (!access.write && rt != 31U) {
		uint64_t value = access.value;
		unsigned bits = 8U * access.size;
		if ((iss & ISS_DABT_SSE) != 0U && bits < 64U && (value >> (bits - 1U)) != 0U) {
			value |= ~0UL << bits;
		}
		if ((iss & ISS_DABT_SF) == 0U) {
			value &= 0xffffffffUL;
		}
		frame->x[rt] = value;
	}
	trapped_insn_skip(frame, esr); /* a 16-bit T32 load or store from AArch32 EL0 too */
}

/* Every synchronous trap but a native hypercall and WFI/WFE, including the exit. Not
 * inlined: its stack frame and the vCPU it needs would otherwise be set up for those two as
 * well; reached by a tail call, so it costs those it handles no frame of the caller's. */
static __attribute__((noinline)) void
lower_sync_other(trap_frame_t *frame, uint64_t esr)
{
	vcpu_t *vcpu = vcpu_current();
	if (vcpu == NULL) {
		panic_exception("guest exception with no current vCPU", frame);
	}
	if ((frame->spsr & SPSR_AARCH32) != 0U && !trapped_insn_condition_holds(esr, frame->spsr)) {
		/* An AArch32 instruction that failed its condition check may still trap; it must
		 * then do nothing (Arm ARM): step over it. */
		trapped_insn_skip(frame, esr);
		sched_return_to_guest();
		return;
	}
	switch (ESR_EC(esr)) {
	case ESR_EC_SMC64:
		/* A trapped SMC (HCR_EL2.TSC) returns to the SMC itself: step over it. */
		trapped_insn_skip(frame, esr);
		smccc_handle(vcpu, frame);
		break;
	case ESR_EC_FP:
		vcpu_fp_trap(vcpu); /* returns to the same instruction */
		break;
	case ESR_EC_SYSREG:
		switch (vcpu_sysreg_trap(vcpu, esr, frame)) {
		case SYSREG_HANDLED:
			trapped_insn_skip(frame, esr);
			break;
		case SYSREG_UNDEFINED:
			inject_undefined(frame, esr);
			break;
		default:
			vm_fault(vcpu, frame, esr);
		}
		break;
	case ESR_EC_DABT_LOWER:
		data_abort(vcpu, frame, esr);
		break;
	case ESR_EC_IABT_LOWER:
		if (!abort_is_injected(vcpu, esr)) {
			vm_fault(vcpu, frame, esr);
		}
		inject_external_abort(vcpu, frame, esr);
		break;
	default:
		vm_fault(vcpu, frame, esr);
	}
	sched_return_to_guest();
}

/* hvc #0: an SMCCC call, and the exit. Out of line for the same reason as lower_sync_other,
 * but apart from it: its own frame is smaller. */
static __attribute__((noinline)) void
lower_smccc(trap_frame_t *frame)
{
	smccc_handle(vcpu_current(), frame); /* ELR already points past the HVC */
	sched_return_to_guest();
}

/* WFI/WFE from AArch32 EL0: maybe a 16-bit T32 one, in an IT block, or one whose condition
 * failed, which must not wait. Out of line so that AArch64's WFI and the hypercalls before
 * it keep a frame-less exception_lower_sync. */
static __attribute__((noinline)) void
lower_wfx_aarch32(trap_frame_t *frame, uint64_t esr)
{
	bool wait = (ESR_ISS(esr) & ISS_WFX_WFE) == 0U &&
		    trapped_insn_condition_holds(esr, frame->spsr);
	trapped_insn_skip(frame, esr);
	if (wait) {
		sched_current_wait();
	}
	sched_return_to_guest();
}

/* The two traps every IPC round trip takes, native hypercalls and WFI, are tested first and
 * directly instead of through the switch's jump table; the rest are tail calls. Neither needs
 * the vCPU here: a lower-EL exception is only ever taken from the vCPU loaded on this CPU
 * (the vectors found its frame), and the hypercalls that need it find it themselves. Only
 * lower_sync_other keeps the no-vCPU panic, for the traps that are not calls. */
void
exception_lower_sync(trap_frame_t *frame)
{
	uint64_t esr = sysreg_read(esr_el2);
	uint32_t ec = ESR_EC(esr);
	uint32_t imm = (uint32_t)(esr & 0xffffU);
	if (ec == ESR_EC_HVC64) {
		/* ELR already points past the HVC */
		if (imm == 0U) {
			lower_smccc(frame);
			return;
		}
		hypercall_native(frame, imm);
	} else if (ec == ESR_EC_WFX) {
		if ((frame->spsr & SPSR_AARCH32) != 0U) {
			lower_wfx_aarch32(frame, esr);
			return;
		}
		frame->elr += 4U; /* AArch64's are 4 bytes (IL 1) and unconditional */
		if ((ESR_ISS(esr) & ISS_WFX_WFE) == 0U) {
			sched_current_wait();
		} /* WFE: nothing to wait for that a guest could see; just reschedule */
	} else {
		lower_sync_other(frame, esr);
		return;
	}
	sched_return_to_guest();
}

void
exception_lower_irq(trap_frame_t *frame)
{
	(void)frame; /* the guest's registers are in its vCPU's frame; an IRQ needs none */
	irq_handle();
	sched_return_to_guest();
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
