/* child.h - the vcpu-life guest's child VM: its program (child.S, copied into the child's
 * memory by main.c), its modes and the mailbox page it shares with the root VM. */
#pragma once

/* vcpu_poweron's context argument, x0 at the child's entry. */
#define CHILD_MODE_SPIN 0  /* count in the mailbox for ever */
#define CHILD_MODE_ABORT 1 /* load from, then fetch from, an IPA nothing maps; then spin */
#define CHILD_MODE_OFF 2   /* PSCI CPU_OFF at once */

/* Where mode 1 aborts: this far past the start of the child's memory (beyond its extent). */
#define CHILD_UNMAPPED_OFFSET 0x200000
#define CHILD_UNMAPPED_FETCH_OFFSET 0x201000

#define CHILD_MAILBOX_OFFSET 0x2000
#define CHILD_MB_COUNT 0x00      /* spin iterations so far */
#define CHILD_MB_STAGE 0x08      /* mode 1: 1 after the load's abort, 2 after the fetch's */
#define CHILD_MB_LOAD_ESR 0x10   /* the load's abort: ESR_EL1, FAR_EL1, ELR_EL1, SPSR_EL1 */
#define CHILD_MB_FETCH_ESR 0x30  /* the fetch's abort: the same four */
#define CHILD_MB_UNEXPECTED 0x50 /* non-zero: vector slot + 1 of an exception not expected */
#define CHILD_MB_LOAD_PC 0x58    /* the address of mode 1's load instruction */

#ifndef __ASSEMBLER__
#include <stdint.h>

extern const char life_child_start[];
extern const char life_child_end[];

typedef struct {
	uint64_t esr, far, elr, spsr;
} child_abort_t;

typedef struct {
	uint64_t count;
	uint64_t stage;
	child_abort_t load;
	child_abort_t fetch;
	uint64_t unexpected;
	uint64_t load_pc;
} child_mailbox_t;

_Static_assert(__builtin_offsetof(child_mailbox_t, stage) == CHILD_MB_STAGE, "mailbox");
_Static_assert(__builtin_offsetof(child_mailbox_t, load) == CHILD_MB_LOAD_ESR, "mailbox");
_Static_assert(__builtin_offsetof(child_mailbox_t, fetch) == CHILD_MB_FETCH_ESR, "mailbox");
_Static_assert(__builtin_offsetof(child_mailbox_t, unexpected) == CHILD_MB_UNEXPECTED, "mailbox");
_Static_assert(__builtin_offsetof(child_mailbox_t, load_pc) == CHILD_MB_LOAD_PC, "mailbox");
#endif
