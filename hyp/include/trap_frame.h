/* trap_frame.h - the register frame vectors.S saves on every exception taken to EL2.
 * Offsets are shared with assembly; the static asserts keep the two in step. */
#pragma once

#define TRAP_FRAME_ELR 248
#define TRAP_FRAME_SPSR 256
#define TRAP_FRAME_SP 264
#define TRAP_FRAME_SIZE 272

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

typedef struct trap_frame {
	uint64_t x[31];
	uint64_t elr;
	uint64_t spsr;
	uint64_t sp; /* the interrupted SP, recorded only for exceptions taken at EL2 */
} trap_frame_t;

_Static_assert(offsetof(trap_frame_t, elr) == TRAP_FRAME_ELR, "frame layout");
_Static_assert(offsetof(trap_frame_t, spsr) == TRAP_FRAME_SPSR, "frame layout");
_Static_assert(offsetof(trap_frame_t, sp) == TRAP_FRAME_SP, "frame layout");
_Static_assert(sizeof(trap_frame_t) == TRAP_FRAME_SIZE, "frame layout");

/* Loads `frame` into the CPU and erets to it (vectors.S); never returns. */
__attribute__((noreturn)) void trap_frame_return(const trap_frame_t *frame);
#endif
