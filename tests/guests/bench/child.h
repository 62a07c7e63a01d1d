/* child.h - the bench guest's child VM: its program (child.S, copied into the child's memory
 * by vcpu_bench.c), the modes it runs in, and the mailbox page it shares with the root VM.
 * Included from C and from assembly. */
#pragma once

/* vcpu_poweron's context argument, x0 at the child's entry. */
#define CHILD_MODE_YIELD 0 /* loop: scheduler_yield */
#define CHILD_MODE_SGI 1   /* loop: SGI to itself, take and EOI it, then scheduler_yield */

/* The native hvc immediate of scheduler_yield (checked against bothy_abi.h in C). */
#define CHILD_HVC_SCHEDULER_YIELD 0x603b

/* The mailbox: one page at this offset into the child's memory, mapped into both VMs. The
 * child program must end below it (vcpu_bench.c checks). Fields are 64-bit words at offsets: */
#define CHILD_MAILBOX_OFFSET 0x2000
#define CHILD_MB_YIELDS 0x00     /* scheduler_yield calls the child has returned from */
#define CHILD_MB_IRQS 0x08       /* SGIs (INTID 0) taken and EOIed; stored with YIELDS */
#define CHILD_MB_STOP 0x10       /* root -> child: non-zero means PSCI CPU_OFF after a yield */
#define CHILD_MB_SPURIOUS 0x18   /* IRQ exceptions whose IAR read was spurious (1020-1023) */
#define CHILD_MB_FAULT_KIND 0x20 /* non-zero: the child stopped itself on something unexpected */
#define CHILD_MB_FAULT_ESR 0x28  /* ESR_EL1 of that exception */
#define CHILD_MB_FAULT_ELR 0x30  /* ELR_EL1 of that exception */

/* CHILD_MB_FAULT_KIND values: 1-16 is an unexpected exception (vector slot + 1), 0x100 | INTID
 * an IRQ other than SGI 0, then an unknown mode, and an SGI that never arrived. */
#define CHILD_FAULT_IRQ_INTID 0x100
#define CHILD_FAULT_BAD_MODE 0x200
#define CHILD_FAULT_SGI_TIMEOUT 0x201

#ifndef __ASSEMBLER__
#include <stdint.h>

/* The program: position independent, copied to the start of the child's memory. */
extern const char bench_child_start[];
extern const char bench_child_end[];

typedef struct {
	uint64_t yields;
	uint64_t irqs;
	uint64_t stop;
	uint64_t spurious;
	uint64_t fault_kind;
	uint64_t fault_esr;
	uint64_t fault_elr;
} child_mailbox_t;

_Static_assert(__builtin_offsetof(child_mailbox_t, yields) == CHILD_MB_YIELDS, "mailbox");
_Static_assert(__builtin_offsetof(child_mailbox_t, irqs) == CHILD_MB_IRQS, "mailbox");
_Static_assert(__builtin_offsetof(child_mailbox_t, stop) == CHILD_MB_STOP, "mailbox");
_Static_assert(__builtin_offsetof(child_mailbox_t, spurious) == CHILD_MB_SPURIOUS, "mailbox");
_Static_assert(__builtin_offsetof(child_mailbox_t, fault_kind) == CHILD_MB_FAULT_KIND, "mailbox");
_Static_assert(__builtin_offsetof(child_mailbox_t, fault_esr) == CHILD_MB_FAULT_ESR, "mailbox");
_Static_assert(__builtin_offsetof(child_mailbox_t, fault_elr) == CHILD_MB_FAULT_ELR, "mailbox");
#endif
