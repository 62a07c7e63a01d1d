/* asm_macros.h - assembly helpers shared by the EL2 entry and exception code.
 * Included from .S files only. */
#pragma once

#include "hyp_config.h"

/* sp = top of the stack of the CPU whose index is in \index; clobbers \tmp1, \tmp2.
 * Each CPU owns [guard page][stack] in hyp_stacks; the top is the start of the next slot. */
.macro set_cpu_stack index, tmp1, tmp2
	adrp	\tmp1, hyp_stacks
	add	\tmp1, \tmp1, :lo12:hyp_stacks
	mov	\tmp2, #HYP_STACK_STRIDE
	madd	\tmp1, \index, \tmp2, \tmp1
	add	sp, \tmp1, \tmp2
.endm
