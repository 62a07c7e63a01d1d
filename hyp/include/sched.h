/* sched.h - per-CPU fixed-priority round-robin scheduling of vCPUs, time slices on the EL2
 * timer, blocking on WFI and wake-up by interrupts, and the idle loop. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "trap_frame.h"
#include "vm.h"

#define SCHED_DEFAULT_PRIORITY 32U
#define SCHED_MAX_PRIORITY 63U
#define SCHED_DEFAULT_TIMESLICE_US 5000U

/* Per-CPU set-up: scheduler state, EL2 timer and reschedule SGI enabled. */
void sched_cpu_init(void);

/* Makes an activated vCPU known to the scheduler of its affinity CPU (state stays OFF). */
void sched_add_vcpu(vcpu_t *vcpu);
/* Forgets a vCPU (its object is going away); it must not be running. */
void sched_remove_vcpu(vcpu_t *vcpu);

/* OFF -> READY with the given entry state; ERROR_BUSY if the vCPU is not OFF or is OFF but
 * still loaded on its CPU (switching away after CPU_OFF: sched_vcpu_off is false). */
error_t sched_power_on(vcpu_t *vcpu, uint64_t entry, uint64_t context);

/* The current vCPU stops running: OFF (CPU_OFF), BLOCKED (WFI) or STOPPED (fault). The
 * caller then leaves through sched_return_to_guest, which switches away. */
void sched_current_power_off(void);
void sched_current_stop(void);
/* scheduler_yield: the current vCPU gives its CPU to any ready vCPU of equal priority. */
void sched_yield(void);
/* WFI/WFE: blocks the current vCPU unless an interrupt is already pending for it. */
void sched_current_wait(void);
/* Stops any vCPU for good (its VM stopped); a running one is switched away promptly. */
void sched_stop_vcpu(vcpu_t *vcpu);
/* STOPPED -> OFF for a restart; ERROR_RETRY while it is still loaded on its CPU. */
error_t sched_make_off(vcpu_t *vcpu);
/* Whether a vCPU is OFF (or STOPPED) and no longer loaded, its registers saved: PSCI
 * AFFINITY_INFO's OFF, after which CPU_ON (sched_power_on) succeeds. */
bool sched_vcpu_off(const vcpu_t *vcpu);
/* A vCPU's state, for status queries. */
vcpu_state_t sched_vcpu_state(const vcpu_t *vcpu);
/* Whether `vcpu` is still loaded on its CPU: a stopped one keeps running until that CPU
 * passes through its scheduler, so its memory may not be taken away before this is false. */
bool sched_vcpu_loaded(const vcpu_t *vcpu);
/* Moves a vCPU to another physical CPU; only while it is OFF. */
error_t sched_set_affinity(vcpu_t *vcpu, unsigned cpu);

/* The general exit: vGIC sync, the scheduler if needed, vGIC flush (see below). */
void sched_exit_slow(void);

/* Every exception from a guest ends here: run the scheduler if needed, refresh the vCPU's
 * list registers, and return to whichever vCPU should run (or idle). The interrupted vCPU's
 * registers are in its own frame already (vectors.S saves guest registers in place). */
static inline void
sched_return_to_guest(void)
{
	/* Inline because every exception passes here: a vCPU that keeps its CPU and has no
	 * interrupt in flight in its vGIC (a hypercall of the RM, say) needs nothing more. */
	cpu_sched_t *cs = sched_this_cpu();
	vcpu_t *cur = cs->current;
	if (__atomic_load_n(&cs->resched, __ATOMIC_RELAXED) || cur == NULL ||
	    cur->state != VCPU_STATE_RUNNING ||
	    (cur->vic != NULL && !vgic_idle(cur->vic, &cur->vgic))) {
		sched_exit_slow();
	}
}

/* The scheduler side of vcpu_kick (vm.h). */
void sched_wake(vcpu_t *vcpu);

/* Enters the scheduler on a CPU that has no vCPU yet (boot). Never returns. */
__attribute__((noreturn)) void sched_start(void);

/* The EL2 timer (CNTHP) fired / the reschedule SGI arrived on this CPU. */
void sched_timer_irq(void);
void sched_ipi(void);

/* Arms (deadline != 0) or disarms the emulated EL1 physical timer of the current vCPU. */
void sched_set_ptimer(vcpu_t *vcpu, uint64_t deadline);

/* Physical counter ticks for `us` microseconds. */
uint64_t sched_us_to_ticks(uint64_t us);
