/* pmu.h - how benchmark guests count instructions with the Arm PMU: event counter 0 counts
 * INST_RETIRED at EL1 and EL2 (NSH), which QEMU makes exact and deterministic under -icount. */
#pragma once

#include <stdint.h>

#define PMU_EVENT_INST_RETIRED 0x08UL
/* PMEVTYPER<n>_EL0 filter bits: P/U clear (count EL1 and EL0), NSH set (count EL2 too). */
#define PMEVTYPER_NSH (1UL << 27)

#define PMCR_E (1UL << 0) /* enable */
#define PMCR_P (1UL << 1) /* reset the event counters */
#define PMCR_D (1UL << 3) /* cycle counter divider: not wanted */
#define PMCR_N_SHIFT 11
#define PMCR_N_MASK 0x1fUL

#define PMU_COUNTER0 (1UL << 0)

/* Number of event counters the (virtual) PMU offers, PMCR_EL0.N. */
static inline unsigned
pmu_counter_count(void)
{
	uint64_t pmcr;
	__asm__ volatile("mrs %0, pmcr_el0" : "=r"(pmcr));
	return (unsigned)((pmcr >> PMCR_N_SHIFT) & PMCR_N_MASK);
}

/* Program counter 0 for INST_RETIRED (EL1 + EL2), reset it to zero and start it. */
static inline void
pmu_start_instruction_counter(void)
{
	uint64_t pmcr;
	__asm__ volatile("msr pmcntenclr_el0, %0\n\tisb" ::"r"(PMU_COUNTER0));
	__asm__ volatile("msr pmevtyper0_el0, %0" ::"r"(PMU_EVENT_INST_RETIRED | PMEVTYPER_NSH));
	__asm__ volatile("mrs %0, pmcr_el0" : "=r"(pmcr));
	pmcr = (pmcr & ~PMCR_D) | PMCR_E | PMCR_P;
	__asm__ volatile("msr pmcr_el0, %0" ::"r"(pmcr));
	__asm__ volatile("msr pmcntenset_el0, %0\n\tisb" ::"r"(PMU_COUNTER0) : "memory");
}

/* Counter 0 now (32 bits wide: take differences modulo 2^32). */
static inline uint32_t
pmu_read_instruction_counter(void)
{
	uint64_t value;
	__asm__ volatile("isb\n\tmrs %0, pmevcntr0_el0" : "=r"(value)::"memory");
	return (uint32_t)value;
}
