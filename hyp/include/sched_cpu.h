/* sched_cpu.h - the per-CPU scheduler state (owned and changed only by core/sched.c), visible
 * so that every exception can find the current vCPU and test for the fast exit inline. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "cpu.h"
#include "hyp_config.h"
#include "objects/thread.h"
#include "spinlock.h"

typedef struct cpu_sched {
	spinlock_t lock;
	struct thread *current; /* loaded on this CPU, RUNNING (or just stopped running) */
	struct thread *vcpus;   /* every vCPU with affinity to this CPU, any state */
	uint64_t sequence;      /* hands out last_run values */
	uint64_t slice_end;
	uint64_t timer_deadline; /* what CNTHP is armed for, or 0 when it is off */
	bool resched;
	bool vgic_synced; /* the current vCPU's vGIC was synced during this exit (WFI) */
	/* WFI: sched_current_wait found nothing pending, so the scheduler pass of this exit
	 * blocks the current vCPU with wake_deadline = wait_deadline, unless current_woken
	 * (set by sched_wake for the running vCPU, from any CPU) says a wake-up came since. */
	bool waiting;
	bool current_woken;
	uint64_t wait_deadline;
} cpu_sched_t;

extern cpu_sched_t sched_cpus[PLATFORM_CPU_COUNT];

static inline cpu_sched_t *
sched_this_cpu(void)
{
	return &sched_cpus[cpu_index()];
}
