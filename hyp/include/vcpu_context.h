/* vcpu_context.h - moving a vCPU's EL1 state in and out of the CPU: system registers,
 * FP/SIMD, timer, vGIC and the EL2 controls that belong to its VM. */
#pragma once

#include "vm.h"

/* Resets a vCPU's architectural state for a (re)start at `entry` with x0 = `context`. */
void vcpu_context_reset(vcpu_t *vcpu, uint64_t entry, uint64_t context);

/* Loads everything but the general registers (those are erets from vcpu->regs). Ends with
 * no isb: the writes take effect at the eret into the vCPU that follows. */
void vcpu_context_load(vcpu_t *vcpu);
/* Saves everything but the general registers and leaves the CPU with no guest state live
 * that could fire (virtual timer disabled, ICH_HCR_EL2 = 0). */
void vcpu_context_save(vcpu_t *vcpu);

/* Once per CPU at boot: the EL2 controls common to every vCPU (VTCR, VPIDR, CNTHCTL). */
void vcpu_context_cpu_init(void);

/* The loaded vCPU's first FP/SIMD access since it was switched in trapped (ESR EC 0x07):
 * load its FP/SIMD registers and stop trapping; the instruction then runs again. The next
 * switch away saves them (and only then). */
void vcpu_fp_trap(vcpu_t *vcpu);

/* FP/SIMD save and restore (fp_context.S). */
void fp_context_save(fp_context_t *fp);
void fp_context_load(const fp_context_t *fp);
