/* cpu.h - physical CPU identity and bring-up state, owned by core/smp.c.
 * The CPU index is kept in TPIDR_EL2 so any EL2 code can ask which CPU it runs on. */
#pragma once

#include <stdint.h>

#include "sysreg.h"

static inline unsigned
cpu_index(void)
{
	return (unsigned)sysreg_read(tpidr_el2);
}

/* Inside a polling loop: a hint that this CPU only waits. Under QEMU's round-robin TCG
 * (-icount) it hands the host thread to the other CPUs, whose progress is being awaited. */
static inline void
cpu_relax(void)
{
	__asm__ volatile("yield" ::: "memory");
}

/* Starts every secondary CPU through PSCI and waits until each reports in; panics if one
 * does not come up. Called once on CPU 0 after the MMU is on. */
void smp_start_secondaries(void);

/* Number of CPUs online so far (CPU 0 included). */
unsigned smp_online_count(void);

/* C entry points called from entry.S with the MMU off and a valid stack. */
__attribute__((noreturn)) void boot_cpu_main(void);
__attribute__((noreturn)) void secondary_cpu_main(unsigned index);
