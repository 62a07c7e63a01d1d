/* counter.h - the guest's view of the generic timer's virtual counter: its value and its
 * frequency, for timeouts and watchdogs in test guests. */
#pragma once

#include <stdint.h>

/* CNTVCT_EL0, after an ISB so that it is not read early. */
static inline uint64_t
guest_counter(void)
{
	uint64_t now;
	__asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(now));
	return now;
}

/* CNTFRQ_EL0: counter ticks per second. */
static inline uint64_t
guest_counter_hz(void)
{
	uint64_t hz;
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(hz));
	return hz;
}
