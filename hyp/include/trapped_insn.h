/* trapped_insn.h - stepping a guest over the instruction that trapped: by its length
 * (ESR_EL2.IL), with AArch32's ITSTATE moved on, and the condition check of AArch32 traps. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "trap_frame.h"

#define ESR_IL (1UL << 25)    /* the trapped instruction is 32 bits (else a 16-bit T32 one) */
#define SPSR_AARCH32 (1UL << 4) /* SPSR_EL2.M[4]: the exception came from AArch32 */

/* Whether a trapped AArch32 instruction with syndrome `esr` passed its condition code check
 * against `spsr`'s NZCV (Arm ARM: "Conditional execution" of trapped instructions): true for
 * exception classes that carry no condition (and so for every AArch64 trap). A T32
 * instruction whose syndrome leaves COND invalid (ISS.CV clear) has the condition ITSTATE
 * gives it. One that failed must be stepped over without effect. */
bool trapped_insn_condition_holds(uint64_t esr, uint64_t spsr);

/* `spsr` with AArch32's ITSTATE advanced past one instruction (the Arm ARM's ITAdvance):
 * what it would be had the trapped instruction executed. */
uint64_t trapped_insn_it_advance(uint64_t spsr);

/* Steps `frame` over the instruction that trapped with syndrome `esr`: ELR by 2 or 4 bytes
 * as ESR.IL says, and from AArch32 ITSTATE too. */
static inline void
trapped_insn_skip(trap_frame_t *frame, uint64_t esr)
{
	frame->elr += (esr & ESR_IL) != 0U ? 4U : 2U;
	if ((frame->spsr & SPSR_AARCH32) != 0U) {
		frame->spsr = trapped_insn_it_advance(frame->spsr);
	}
}
