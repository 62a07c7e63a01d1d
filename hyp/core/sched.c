/* sched.c - per-CPU fixed-priority round-robin scheduling of vCPUs: the highest priority
 * runnable vCPU runs; equals share the CPU in time slices ended by the EL2 timer (CNTHP). */
#include <stdbool.h>
#include <stdint.h>

#include "cpu.h"
#include "gic.h"
#include "hyp_config.h"
#include "object.h"
#include "panic.h"
#include "sched.h"
#include "sched_cpu.h"
#include "spinlock.h"
#include "sysreg.h"
#include "vcpu_context.h"
#include "vgic.h"

#define CNTHP_CTL_ENABLE 1UL
#define CNTV_CTL_ENABLE 1UL
#define CNTV_CTL_IMASK 2UL

cpu_sched_t sched_cpus[PLATFORM_CPU_COUNT];

/* Per CPU: where vectors.S saves a guest's registers, the loaded vCPU's own frame (NULL
 * while idle, when no guest can trap). */
trap_frame_t *cpu_guest_frame[PLATFORM_CPU_COUNT];

void idle_enter(void) __attribute__((noreturn));
void sched_idle_loop(void) __attribute__((noreturn));

static cpu_sched_t *
this_cpu(void)
{
	return sched_this_cpu();
}

uint64_t
sched_us_to_ticks(uint64_t us)
{
	return sysreg_read(cntfrq_el0) * us / 1000000U;
}

void
sched_cpu_init(void)
{
	sysreg_write(cnthp_ctl_el2, 0);
	gic_enable_ppi(GIC_SGI_RESCHEDULE);
	gic_enable_ppi(PLATFORM_TIMER_HYP_PPI);
	gic_enable_ppi(PLATFORM_TIMER_VIRTUAL_PPI);
	gic_enable_ppi(GIC_PPI_MAINTENANCE);
}

void
sched_add_vcpu(vcpu_t *vcpu)
{
	cpu_sched_t *cs = &sched_cpus[vcpu->affinity];
	spinlock_acquire(&cs->lock);
	vcpu->sched_next = cs->vcpus;
	cs->vcpus = vcpu;
	spinlock_release(&cs->lock);
}

static void
unlink_vcpu(cpu_sched_t *cs, vcpu_t *vcpu)
{
	for (vcpu_t **link = &cs->vcpus; *link != NULL; link = &(*link)->sched_next) {
		if (*link == vcpu) {
			*link = vcpu->sched_next;
			vcpu->sched_next = NULL;
			return;
		}
	}
}

void
sched_remove_vcpu(vcpu_t *vcpu)
{
	cpu_sched_t *cs = &sched_cpus[vcpu->affinity];
	spinlock_acquire(&cs->lock);
	if (cs->current == vcpu) {
		/* Cannot happen: the loaded vCPU's reference is the scheduler's (schedule), so
		 * its last one is dropped only after its CPU has switched away from it. */
		panic("removing vCPU %u of VM '%s' while it runs", vcpu->index, vcpu->vm->name);
	}
	unlink_vcpu(cs, vcpu);
	spinlock_release(&cs->lock);
}

error_t
sched_set_affinity(vcpu_t *vcpu, unsigned cpu)
{
	if (cpu >= PLATFORM_CPU_COUNT) {
		return ERROR_ARGUMENT_INVALID;
	}
	cpu_sched_t *old = &sched_cpus[vcpu->affinity];
	spinlock_acquire(&old->lock);
	bool off = vcpu->state == VCPU_STATE_OFF || vcpu->state == VCPU_STATE_STOPPED;
	bool listed = false;
	for (vcpu_t *v = old->vcpus; v != NULL; v = v->sched_next) {
		listed = listed || v == vcpu;
	}
	if (off && listed) {
		unlink_vcpu(old, vcpu);
	}
	spinlock_release(&old->lock);
	if (!off) {
		return ERROR_BUSY;
	}
	vcpu->affinity = cpu;
	if (listed) {
		sched_add_vcpu(vcpu);
	}
	return OK;
}

/* Makes `cs`'s CPU run its scheduler soon: now if it is this CPU, else by SGI. */
static void
poke(cpu_sched_t *cs)
{
	cs->resched = true;
	unsigned cpu = (unsigned)(cs - sched_cpus);
	if (cpu != cpu_index()) {
		gic_send_sgi(GIC_SGI_RESCHEDULE, cpu);
	}
}

error_t
sched_power_on(vcpu_t *vcpu, uint64_t entry, uint64_t context)
{
	cpu_sched_t *cs = &sched_cpus[vcpu->affinity];
	error_t err = OK;
	spinlock_acquire(&cs->lock);
	if (vcpu->state != VCPU_STATE_OFF || cs->current == vcpu) {
		/* Not off, or off but still loaded: its CPU has not yet passed through schedule(),
		 * which saves its EL1 and FP/SIMD registers under this lock. A reset before that
		 * save would be overwritten by it, or (if nothing else is runnable there) the vCPU
		 * would run on with the old registers. Still "on" for PSCI too (sched_vcpu_off). */
		err = ERROR_BUSY;
	} else {
		vcpu_context_reset(vcpu, entry, context);
		vcpu->state = VCPU_STATE_READY;
		poke(cs);
	}
	spinlock_release(&cs->lock);
	return err;
}

/* Arms CNTHP for `deadline` if it is off or armed for later. Under cs->lock, on cs's own
 * CPU. No isb: the caller returns to a guest, and that eret synchronizes the writes. */
static void
arm_timer_by(cpu_sched_t *cs, uint64_t deadline)
{
	if (cs->timer_deadline == 0U || deadline < cs->timer_deadline) {
		cs->timer_deadline = deadline;
		sysreg_write(cnthp_cval_el2, deadline);
		sysreg_write(cnthp_ctl_el2, CNTHP_CTL_ENABLE);
	}
}

/* Whether `woken`, now READY on this CPU, can wait for the running vCPU's next pass
 * through the scheduler instead of forcing one now: it cannot preempt (not of higher
 * priority), and if it is an equal the slice timer is armed so that the current one
 * yields at the end of its slice. The common case of a hypercall waking a vCPU of
 * another VM on the same CPU (a message, a doorbell) then returns straight to the
 * caller. Under cs->lock. */
static bool
wake_can_wait(cpu_sched_t *cs, const vcpu_t *woken)
{
	const vcpu_t *cur = cs->current;
	if (cs != this_cpu() || cur == NULL || cur == woken || cur->state != VCPU_STATE_RUNNING ||
	    woken->priority > cur->priority) {
		return false;
	}
	if (woken->priority == cur->priority) {
		arm_timer_by(cs, cs->slice_end);
	}
	return true;
}

void
sched_wake(vcpu_t *vcpu)
{
	cpu_sched_t *cs = &sched_cpus[vcpu->affinity];
	spinlock_acquire(&cs->lock);
	if (vcpu->state == VCPU_STATE_BLOCKED) {
		vcpu->state = VCPU_STATE_READY;
		vcpu->wake_deadline = 0;
		if (!wake_can_wait(cs, vcpu)) {
			poke(cs);
		}
	} else if (vcpu->state == VCPU_STATE_RUNNING) {
		/* Running (so cs->current): if it is about to block in WFI, it must not. */
		__atomic_store_n(&cs->current_woken, true, __ATOMIC_RELAXED);
		if (vcpu->affinity != cpu_index()) {
			/* Running elsewhere: an exit makes that CPU refill the list registers. */
			poke(cs);
		}
	}
	spinlock_release(&cs->lock);
}

void
vcpu_kick(vcpu_t *vcpu)
{
	sched_wake(vcpu);
}

/* The current vCPU leaves RUNNING for `state`. A stop from another CPU (vm_stop) wins: a
 * STOPPED vCPU must never become runnable again by finishing a trap that began before the
 * stop. */
static void
set_current_state(vcpu_state_t state)
{
	cpu_sched_t *cs = this_cpu();
	spinlock_acquire(&cs->lock);
	vcpu_t *cur = cs->current;
	if (cur->state == VCPU_STATE_RUNNING) {
		cur->state = state;
	}
	cs->resched = true;
	spinlock_release(&cs->lock);
}

void
sched_stop_vcpu(vcpu_t *vcpu)
{
	cpu_sched_t *cs = &sched_cpus[vcpu->affinity];
	spinlock_acquire(&cs->lock);
	vcpu_state_t old = vcpu->state;
	vcpu->state = VCPU_STATE_STOPPED;
	vcpu->wake_deadline = 0;
	vcpu->ptimer_deadline = 0;
	if (old == VCPU_STATE_RUNNING || cs->current == vcpu) {
		poke(cs); /* its CPU switches away on its next pass through the scheduler */
	}
	spinlock_release(&cs->lock);
}

error_t
sched_make_off(vcpu_t *vcpu)
{
	cpu_sched_t *cs = &sched_cpus[vcpu->affinity];
	error_t err = OK;
	spinlock_acquire(&cs->lock);
	if (cs->current == vcpu) {
		err = ERROR_RETRY; /* still loaded: its CPU has not switched away yet */
	} else {
		vcpu->state = VCPU_STATE_OFF;
	}
	spinlock_release(&cs->lock);
	return err;
}

bool
sched_vcpu_off(const vcpu_t *vcpu)
{
	cpu_sched_t *cs = &sched_cpus[vcpu->affinity];
	spinlock_acquire(&cs->lock);
	bool off = (vcpu->state == VCPU_STATE_OFF || vcpu->state == VCPU_STATE_STOPPED) &&
		   cs->current != vcpu;
	spinlock_release(&cs->lock);
	return off;
}

vcpu_state_t
sched_vcpu_state(const vcpu_t *vcpu)
{
	return __atomic_load_n(&vcpu->state, __ATOMIC_ACQUIRE);
}

bool
sched_vcpu_loaded(const vcpu_t *vcpu)
{
	cpu_sched_t *cs = &sched_cpus[vcpu->affinity];
	spinlock_acquire(&cs->lock);
	bool loaded = cs->current == vcpu;
	spinlock_release(&cs->lock);
	return loaded;
}

void
sched_yield(void)
{
	cpu_sched_t *cs = this_cpu();
	spinlock_acquire(&cs->lock);
	cs->slice_end = 0; /* the slice is over: equals go first */
	cs->resched = true;
	spinlock_release(&cs->lock);
}

void
sched_current_power_off(void)
{
	set_current_state(VCPU_STATE_OFF);
}

void
sched_current_stop(void)
{
	set_current_state(VCPU_STATE_STOPPED);
}

/* The physical counter value at which the loaded vCPU's virtual timer fires, or 0. */
static uint64_t
vtimer_deadline(const vcpu_t *vcpu)
{
	uint64_t ctl = sysreg_read(cntv_ctl_el0);
	if ((ctl & (CNTV_CTL_ENABLE | CNTV_CTL_IMASK)) != CNTV_CTL_ENABLE) {
		return 0;
	}
	uint64_t deadline = sysreg_read(cntv_cval_el0) + vcpu->vm->cntvoff;
	return deadline != 0U ? deadline : 1U;
}

/* The current vCPU blocks in the scheduler pass that follows (schedule, under the one hold
 * of the run-queue lock that also picks what runs next), unless a wake-up arrives first.
 * Order: clear current_woken, then look at the vGIC, then (in schedule) block unless
 * current_woken is set. An interrupt raised meanwhile is either seen by the look (its vic
 * lock section came first) or wakes after it; that wake (sched_wake) then either finds
 * current_woken cleared already (the clear precedes our vic lock release, which precedes
 * its vic lock section) and sets it before schedule looks, or finds the vCPU BLOCKED. */
void
sched_current_wait(void)
{
	cpu_sched_t *cs = this_cpu();
	vcpu_t *vcpu = cs->current;
	uint64_t deadline = vtimer_deadline(vcpu);
	if (deadline != 0U && deadline <= sysreg_read(cntpct_el0)) {
		return; /* the timer has fired already: its interrupt is on its way */
	}
	__atomic_store_n(&cs->current_woken, false, __ATOMIC_RELAXED);
	cs->resched = true; /* also clears vgic_synced below on the way out (sched_exit_slow) */
	/* Sync first: since the last exit the guest may have changed its priority mask or
	 * group enables, or acknowledged a listed interrupt, and a guest polling with "enable;
	 * WFI; acknowledge" must see neither a stale mask (it would sleep through a pending
	 * interrupt) nor a stale pending entry. */
	if (vcpu->vic != NULL) {
		bool pending = vgic_sync_has_pending(vcpu);
		cs->vgic_synced = true; /* sched_exit_slow need not read the list registers again */
		if (pending) {
			return; /* WFI completes at once */
		}
	}
	cs->wait_deadline = deadline;
	cs->waiting = true;
}

/* One pass over the CPU's vCPUs: what should run, and what CNTHP must wake up for. */
typedef struct run_queue_scan {
	vcpu_t *next;    /* NULL: nothing runnable, idle */
	bool tied;       /* another runnable vCPU has next's priority */
	uint64_t due_m1; /* earliest timer of any vCPU (blocked virtual, emulated physical)
			  * minus 1, as kept by earliest_m1; UINT64_MAX for none */
} run_queue_scan_t;

/* `deadline` - 1 if that is below `due_m1`, else `due_m1`. A deadline of 0 (none) wraps to
 * UINT64_MAX and so never wins: the earliest of several timers is one unsigned minimum per
 * timer, with no separate test for "none". */
static inline uint64_t
earliest_m1(uint64_t due_m1, uint64_t deadline)
{
	uint64_t d = deadline - 1U;
	return d < due_m1 ? d : due_m1;
}

/* The highest priority runnable vCPU; among equals the one that ran least recently, except
 * that the current vCPU keeps the CPU against equals until its slice ends. */
static run_queue_scan_t
scan_run_queue(cpu_sched_t *cs, bool slice_over)
{
	run_queue_scan_t scan = { .next = NULL, .tied = false, .due_m1 = UINT64_MAX };
	for (vcpu_t *v = cs->vcpus; v != NULL; v = v->sched_next) {
		vcpu_state_t state = v->state;
		scan.due_m1 = earliest_m1(scan.due_m1, v->ptimer_deadline);
		scan.due_m1 = earliest_m1(scan.due_m1,
					  state == VCPU_STATE_BLOCKED ? v->wake_deadline : 0U);
		if (state != VCPU_STATE_READY && state != VCPU_STATE_RUNNING) {
			continue;
		}
		if (scan.next == NULL || v->priority > scan.next->priority) {
			scan.next = v;
			scan.tied = false;
		} else if (v->priority == scan.next->priority) {
			scan.tied = true;
			if (v->last_run < scan.next->last_run) {
				scan.next = v;
			}
		}
	}
	vcpu_t *cur = cs->current;
	if (scan.tied && !slice_over && cur != NULL && cur->state == VCPU_STATE_RUNNING &&
	    scan.next->priority == cur->priority) {
		scan.next = cur;
	}
	return scan;
}

/* Makes CNTHP fire no later than `due_m1` + 1 (earliest_m1's form; UINT64_MAX: it need not
 * fire). Firing early is harmless: sched_timer_irq finds nothing expired and the scheduler
 * pass it asks for arms the timer again. So a timer armed for that or earlier is left
 * alone, and one no longer needed is left to fire, except when the CPU goes idle (`idle`):
 * a stale expiry there would only wake it for nothing. On a CPU that switches between
 * vCPUs of equal priority (a message queue's two ends), that spares a disarm at each switch
 * and a re-arm at each wake-up (wake_can_wait). */
static void
program_timer(cpu_sched_t *cs, uint64_t due_m1, uint64_t now, bool idle)
{
	uint64_t armed = cs->timer_deadline; /* 0: off */
	if (due_m1 == UINT64_MAX) {
		if (idle && armed != 0U) {
			cs->timer_deadline = 0;
			sysreg_write(cnthp_ctl_el2, 0);
		}
		return;
	}
	uint64_t due = due_m1 + 1U;
	if (armed != 0U && armed <= due) {
		return;
	}
	cs->timer_deadline = due;
	sysreg_write(cnthp_cval_el2, due > now ? due : now);
	sysreg_write(cnthp_ctl_el2, CNTHP_CTL_ENABLE);
	isb(); /* before the idle loop's WFI, which is no context synchronization event */
}

/* Chooses what runs next on this CPU and switches to it. Returns only if the interrupted
 * vCPU keeps running. Its general registers need no saving: vectors.S saved them in its own
 * frame (cpu_guest_frame). */
static void
schedule(cpu_sched_t *cs)
{
	uint64_t now = sysreg_read(cntpct_el0);
	spinlock_acquire(&cs->lock);
	cs->resched = false;
	vcpu_t *prev = cs->current;
	if (cs->waiting) {
		/* sched_current_wait found nothing pending: block, unless woken since then or
		 * stopped from another CPU (a STOPPED vCPU must never become runnable again). */
		cs->waiting = false;
		if (prev->state == VCPU_STATE_RUNNING &&
		    !__atomic_load_n(&cs->current_woken, __ATOMIC_RELAXED)) {
			prev->state = VCPU_STATE_BLOCKED;
			prev->wake_deadline = cs->wait_deadline;
		}
	}
	bool slice_over = now >= cs->slice_end;
	run_queue_scan_t scan = scan_run_queue(cs, slice_over);
	vcpu_t *next = scan.next;
	/* The CPU holds a reference to the vCPU it loads, so that deleting a running vCPU's
	 * last cap destroys it only once it is off its CPU. One whose last reference is gone
	 * already (its destruction waits for this lock to unlink it) never runs again. */
	while (next != NULL && next != prev && !object_get_unless_dying(&next->header)) {
		next->state = VCPU_STATE_STOPPED;
		scan = scan_run_queue(cs, slice_over);
		next = scan.next;
	}
	if (next != prev || (slice_over && next != NULL)) {
		/* A new slice: for a vCPU switched in, or one whose slice ran out. */
		cs->slice_end = now + (next != NULL ? next->timeslice : 0U);
		if (next != NULL) {
			next->last_run = ++cs->sequence;
		}
	}
	uint64_t due_m1 = scan.due_m1;
	if (scan.tied) {
		/* An equal waits for the CPU: the slice's end is a deadline too (never 0: it
		 * was just set from now, or is still ahead of now). */
		due_m1 = earliest_m1(due_m1, cs->slice_end);
	}
	program_timer(cs, due_m1, now, next == NULL);
	if (next == prev) {
		if (next != NULL) {
			next->state = VCPU_STATE_RUNNING;
		}
		spinlock_release(&cs->lock);
		return;
	}
	if (prev != NULL) {
		if (prev->state == VCPU_STATE_RUNNING) {
			prev->state = VCPU_STATE_READY;
		}
		vcpu_context_save(prev);
	}
	cs->current = next;
	cpu_guest_frame[cpu_index()] = next != NULL ? &next->regs : NULL;
	if (next != NULL) {
		next->state = VCPU_STATE_RUNNING;
	}
	spinlock_release(&cs->lock);
	if (prev != NULL) {
		/* Outside the lock: if it was the last reference, destroying prev unlinks it. */
		object_put(&prev->header);
	}
	if (next == NULL) {
		idle_enter();
	}
	vcpu_context_load(next); /* with vgic_load's flush */
	trap_frame_return(&next->regs);
}

void
sched_exit_slow(void)
{
	cpu_sched_t *cs = this_cpu();
	vcpu_t *cur = cs->current;
	if (cs->vgic_synced) {
		cs->vgic_synced = false; /* sched_current_wait synced already */
	} else if (cur != NULL && cur->vic != NULL) {
		vgic_sync(cur);
	}
	if (cs->resched || cur == NULL || cur->state != VCPU_STATE_RUNNING) {
		schedule(cs);
	}
	if (cur->vic != NULL) {
		vgic_flush(cur);
	}
}

void
sched_idle_loop(void)
{
	cpu_sched_t *cs = this_cpu();
	for (;;) {
		if (__atomic_load_n(&cs->resched, __ATOMIC_ACQUIRE)) {
			schedule(cs); /* returns only if there is still nothing to run */
		}
		/* WFI with IRQs masked still wakes on a pending interrupt; unmasking only after
		 * it means an IRQ that arrived after the check above cannot be consumed by the
		 * handler just before a WFI that would then sleep through the wake-up. */
		__asm__ volatile("wfi\n\tmsr daifclr, #2\n\tisb\n\tmsr daifset, #2" ::: "memory");
	}
}

void
sched_start(void)
{
	this_cpu()->resched = true;
	idle_enter();
}

void
sched_timer_irq(void)
{
	cpu_sched_t *cs = this_cpu();
	uint64_t now = sysreg_read(cntpct_el0);
	sysreg_write(cnthp_ctl_el2, 0);
	struct {
		vcpu_t *vcpu;
		uint32_t intid;
	} expired[2U * VM_MAX_VCPUS];
	unsigned count = 0;
	spinlock_acquire(&cs->lock);
	cs->timer_deadline = 0;
	/* Each expired vCPU is kept alive by a reference taken under the lock: once the lock
	 * is dropped, its last cap may be deleted and it destroyed (sched_remove_vcpu waits
	 * for this lock only while unlinking). A vCPU being destroyed already is skipped. */
	for (vcpu_t *v = cs->vcpus; v != NULL && count + 2U <= 2U * VM_MAX_VCPUS;
	     v = v->sched_next) {
		bool vtimer = v->state == VCPU_STATE_BLOCKED && v->wake_deadline != 0U &&
			      v->wake_deadline <= now;
		bool ptimer = v->ptimer_deadline != 0U && v->ptimer_deadline <= now;
		if ((!vtimer && !ptimer) || !object_get_unless_dying(&v->header)) {
			continue;
		}
		if (vtimer) {
			v->wake_deadline = 0;
			expired[count].vcpu = v;
			expired[count++].intid = PLATFORM_TIMER_VIRTUAL_PPI;
		}
		if (ptimer) {
			v->ptimer_deadline = 0;
			expired[count].vcpu = v;
			expired[count++].intid = PLATFORM_TIMER_PHYSICAL_PPI;
		}
		if (vtimer && ptimer) {
			object_get(&v->header); /* one reference per entry */
		}
	}
	cs->resched = true;
	spinlock_release(&cs->lock);
	/* Outside the run-queue lock: injection takes the vGIC lock, then wakes the vCPU. */
	for (unsigned i = 0; i < count; i++) {
		vcpu_t *v = expired[i].vcpu;
		if (v->vic != NULL) {
			(void)vgic_inject(v->vic, v, expired[i].intid);
		} else {
			sched_wake(v);
		}
		object_put(&v->header);
	}
}

void
sched_set_ptimer(vcpu_t *vcpu, uint64_t deadline)
{
	cpu_sched_t *cs = &sched_cpus[vcpu->affinity];
	spinlock_acquire(&cs->lock);
	vcpu->ptimer_deadline = deadline;
	cs->resched = true; /* re-arms CNTHP on the way back to the guest */
	spinlock_release(&cs->lock);
}

void
sched_ipi(void)
{
	this_cpu()->resched = true;
}
