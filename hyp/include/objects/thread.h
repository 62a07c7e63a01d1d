/* thread.h - the thread object: a vCPU with its full EL1 context, its VM and its scheduling
 * state. The scheduler (core/sched.c) and vcpu context code (arch/aarch64/vcpu_context.c) own it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "cspace.h"
#include "object.h"
#include "trap_frame.h"
#include "vgic.h"

struct vm;

typedef enum vcpu_state {
	VCPU_STATE_OFF = 0,  /* powered off: waits for vcpu_poweron or PSCI CPU_ON */
	VCPU_STATE_READY,    /* runnable, on its CPU's run queue */
	VCPU_STATE_RUNNING,  /* loaded on its CPU */
	VCPU_STATE_BLOCKED,  /* WFI/WFE or CPU_SUSPEND: waits for an interrupt */
	VCPU_STATE_STOPPED,  /* faulted or its VM stopped; never runs again until reset */
} vcpu_state_t;

/* EL1 system registers a guest owns; saved and restored on every vCPU switch. */
typedef struct el1_context {
	uint64_t sctlr, actlr, cpacr, ttbr0, ttbr1, tcr, mair, amair, vbar, contextidr;
	uint64_t esr, far, afsr0, afsr1, par, sp_el0, sp_el1, elr, spsr;
	uint64_t tpidr_el0, tpidrro_el0, tpidr_el1, csselr, cntkctl, mdscr;
	uint64_t cntv_ctl, cntv_cval; /* the virtual timer */
	uint64_t cntp_ctl, cntp_cval; /* the EL1 physical timer, emulated (vcpu_sysreg.c) */
	uint64_t tpidr2_el0, vdisr;   /* only where the CPUs have SME, RAS (vcpu_context.c) */
} el1_context_t;

/* The EL2 controls that come with a vCPU's VM, worked out once at its first load after a
 * reset (its VM is complete by then) instead of at every load (vcpu_context.c). */
typedef struct el2_controls {
	uint64_t vttbr, hcr, cntvoff, vmpidr;
	uint64_t mdcr_traps; /* MDCR_EL2 but for HPMN, which is per physical CPU */
	bool valid;
} el2_controls_t;

/* FP/SIMD registers: q0-q31 as pairs of 64-bit halves, FPSR and FPCR. */
typedef struct fp_context {
	uint64_t q[64];
	uint64_t fpsr, fpcr;
} __attribute__((aligned(16))) fp_context_t;

typedef struct thread {
	object_header_t header;
	struct vm *vm;     /* addrspace_attach_thread; holds a reference */
	vic_t *vic;        /* vic_attach_vcpu; holds a reference */
	unsigned index;    /* vCPU number in its VM (MPIDR Aff0, redistributor index) */
	cspace_t *cspace;  /* attached in INIT by cspace_attach_thread; holds a reference */
	uint32_t options;  /* vcpu_configure flags */

	trap_frame_t regs; /* general registers, PC and PSTATE while not running */
	el2_controls_t el2; /* before el1: both in reach of ldp offsets from the vCPU */
	el1_context_t el1;
	fp_context_t fp;
	bool fp_loaded; /* its FP/SIMD registers are in the CPU (used since it was loaded) */
	vgic_vcpu_t vgic;

	/* Scheduling, under the owning CPU's run-queue lock. */
	vcpu_state_t state;
	unsigned affinity;    /* physical CPU index */
	unsigned priority;    /* higher runs first */
	bool priority_set;    /* vcpu_set_priority was called (else the default) */
	bool scheduled;       /* activated: known to its CPU's scheduler */
	uint64_t timeslice;   /* counter ticks per slice */
	uint64_t wake_deadline; /* counter value at which a blocked vCPU's vtimer fires, or 0 */
	uint64_t ptimer_deadline; /* counter value at which the emulated EL1 physical timer fires, or 0 */
	uint64_t last_run;    /* scheduler sequence number: round robin among equals */
	struct thread *sched_next; /* the affinity CPU's list of vCPUs */
} thread_t;

/* cspace_attach_thread: the thread (in INIT) will look its caps up in `cspace`. */
error_t thread_attach_cspace(thread_t *thread, cspace_t *cspace);

/* vcpu_configure, vcpu_set_priority, vcpu_set_timeslice: only before activation. */
error_t thread_configure(thread_t *thread, uint64_t options);
error_t thread_set_priority(thread_t *thread, unsigned priority);
error_t thread_set_timeslice(thread_t *thread, uint64_t nanoseconds);
