/* vgic_delivery.c - getting virtual interrupts to vCPUs: injection, line levels, HW binding,
 * and the ICH list registers (boot init, context switch, flush before entry, sync after exit). */
#include <stdbool.h>
#include <stdint.h>

#include "sched_cpu.h"
#include "sysreg.h"
#include "vgic_internal.h"
#include "vm.h"

#define ICH_HCR_EN (1ULL << 0)
#define ICH_HCR_UIE (1ULL << 1)
#define ICH_VTR_LISTREGS(vtr) ((unsigned)((vtr) & 0x1fU) + 1U)
#define ICH_VMCR_VENG0 (1ULL << 0)
#define ICH_VMCR_VENG1 (1ULL << 1)
#define ICH_VMCR_VPMR(vmcr) (((vmcr) >> 24) & 0xffU)

#define LR_PINTID_SHIFT 32
#define LR_EOI (1ULL << 41) /* HW=0 only: maintenance interrupt when the guest deactivates */
#define LR_PRIORITY_SHIFT 48
#define LR_GROUP1 (1ULL << 60)
#define LR_HW (1ULL << 61)
#define LR_PENDING (1ULL << 62)
#define LR_ACTIVE (1ULL << 63)
#define LR_STATE (LR_PENDING | LR_ACTIVE)

/* List registers per CPU; every CPU of the board has the same count. */
static unsigned nr_lrs;

/* Per CPU: the list registers that may hold a valid entry (those the last vCPU loaded had
 * live). Every other one is invalid and asks for no maintenance, so a switch writes only
 * these and the next vCPU's, and saves only the live ones. */
static uint16_t lr_dirty[PLATFORM_CPU_COUNT];

static unsigned
lr_count(void)
{
	return __atomic_load_n(&nr_lrs, __ATOMIC_RELAXED);
}

/* mrs/msr encode the register in the instruction, so list register n is reached by a
 * branch into a table of 8-byte entries, one access and a branch out each: four
 * instructions, inline, where a switch through a jump table took ten and a call. n < 16
 * always (it comes from lr_live or lr_count); the mask keeps a bad n inside the table. */
#define LR_TABLE(insn)                                                                     \
	insn(0) insn(1) insn(2) insn(3) insn(4) insn(5) insn(6) insn(7) insn(8) insn(9)    \
		insn(10) insn(11) insn(12) insn(13) insn(14) insn(15)
#define LR_MRS(i) "mrs %[v], ich_lr" #i "_el2\n\tb 2f\n\t"
#define LR_MSR(i) "msr ich_lr" #i "_el2, %[v]\n\tb 2f\n\t"

static inline uint64_t
lr_read(unsigned n)
{
	uint64_t value;
	uint64_t at;
	__asm__ volatile("adr %[at], 1f\n\t"
			 "add %[at], %[at], %[n], lsl #3\n\t"
			 "br %[at]\n"
			 "1:\t" LR_TABLE(LR_MRS) "2:"
			 : [v] "=r"(value), [at] "=&r"(at)
			 : [n] "r"((uint64_t)(n & 15U)));
	return value;
}

static inline void
lr_write(unsigned n, uint64_t value)
{
	uint64_t at;
	__asm__ volatile("adr %[at], 1f\n\t"
			 "add %[at], %[at], %[n], lsl #3\n\t"
			 "br %[at]\n"
			 "1:\t" LR_TABLE(LR_MSR) "2:"
			 : [at] "=&r"(at)
			 : [n] "r"((uint64_t)(n & 15U)), [v] "r"(value)
			 : "memory");
}

vgic_irq_t *
vgic_get_irq(vic_t *vic, thread_t *vcpu, uint32_t intid)
{
	if (intid < VGIC_NR_PRIVATE) {
		return vcpu != NULL ? &vcpu->vgic.private_irqs[intid] : NULL;
	}
	return intid < vic->max_virqs ? &vic->spis[intid - VGIC_NR_PRIVATE] : NULL;
}

/* Its group is enabled in the distributor. */
static bool
group_enabled(const vic_t *vic, const vgic_irq_t *irq)
{
	return irq->group1 ? vic->enabled_grp1 : vic->enabled_grp0;
}

/* The interrupt list register entry INTID `intid` of `vcpu` holds: no range check, since
 * it was a valid INTID when listed and a vic's max_virqs is fixed once it is active. */
static vgic_irq_t *
listed_irq(vic_t *vic, thread_t *vcpu, uint32_t intid)
{
	return intid < VGIC_NR_PRIVATE ? &vcpu->vgic.private_irqs[intid]
				       : &vic->spis[intid - VGIC_NR_PRIVATE];
}

/* Pending, enabled, and its group enabled in the distributor: the vCPU should see it. */
static bool
deliverable(const vic_t *vic, const vgic_irq_t *irq)
{
	return irq->enabled && vgic_irq_pending(irq) && group_enabled(vic, irq);
}

/* The vCPU an interrupt's state change concerns: `vcpu` for a private one, else the
 * SPI's target (NULL if it routes nowhere). */
static thread_t *
irq_target(vic_t *vic, thread_t *vcpu, uint32_t intid, const vgic_irq_t *irq)
{
	if (intid < VGIC_NR_PRIVATE) {
		return vcpu;
	}
	return irq->target < vic->max_vcpus ? vic->vcpus[irq->target] : NULL;
}

static uint64_t list_irq_saved(thread_t *vcpu, unsigned n, uint32_t intid, vgic_irq_t *irq);

/* Lists deliverable `irq` straight into the saved list registers of `target` when that vCPU
 * is not loaded and its list registers are otherwise up to date (quiet): a queue or doorbell
 * waking a blocked receiver then costs its switch-in no flush pass. Any free register will
 * do, since the GIC itself picks the best pending entry. Under vic->lock. */
static bool
list_while_saved(vic_t *vic, thread_t *target, uint32_t intid, vgic_irq_t *irq)
{
	vgic_vcpu_t *v = &target->vgic;
	uint32_t free = ~(uint32_t)v->lr_live & ((1U << lr_count()) - 1U);
	if (__atomic_load_n(&v->loaded, __ATOMIC_ACQUIRE) || v->rescan ||
	    v->flushed_generation != vic->generation || free == 0U) {
		return false;
	}
	(void)list_irq_saved(target, (unsigned)__builtin_ctz(free), intid, irq);
	return true;
}

/* vgic_irq_changed, inlined into the raise and lower paths of queues and doorbells, for a
 * caller that knows whether `irq` is now ready (enabled and pending). */
static inline __attribute__((always_inline)) void
irq_changed_ready(vic_t *vic, thread_t *vcpu, uint32_t intid, vgic_irq_t *irq, bool ready)
{
	vgic_irq_set_ready(vic, vcpu, intid, ready);
	thread_t *target = irq_target(vic, vcpu, intid, irq);
	bool deliver = ready && group_enabled(vic, irq);
	bool listed = target != NULL && deliver && !irq->in_lr &&
		      list_while_saved(vic, target, intid, irq);
	if (!listed) {
		vgic_changed(vic);
	}
	/* A listed one may need withdrawing or re-pending, which only its CPU can do. */
	if (target != NULL && (irq->in_lr || deliver)) {
		vcpu_kick(target);
	}
}

static inline __attribute__((always_inline)) void
irq_changed(vic_t *vic, thread_t *vcpu, uint32_t intid, vgic_irq_t *irq)
{
	irq_changed_ready(vic, vcpu, intid, irq, irq->enabled && vgic_irq_pending(irq));
}

void
vgic_irq_changed(vic_t *vic, thread_t *vcpu, uint32_t intid, vgic_irq_t *irq)
{
	irq_changed(vic, vcpu, intid, irq);
}

/* The INTIDs that may be candidates for `vcpu`, as two 64-bit words in INTID order: its
 * ready private ones and the VM's ready SPIs (whatever their target). Under vic->lock. */
_Static_assert(VGIC_NR_IRQS == 128U, "the ready bitmaps are two 64-bit words");

static void
ready_words(const vic_t *vic, const thread_t *vcpu, uint64_t words[VGIC_NR_IRQS / 64U])
{
	words[0] = vcpu->vgic.ready_private | (vic->ready_spis[0] & ~0xffffffffULL);
	words[1] = vic->ready_spis[1];
}

/* Takes the lowest INTID out of `words`; false when none is left. */
static bool
next_ready(uint64_t words[VGIC_NR_IRQS / 64U], uint32_t *intid)
{
	for (unsigned w = 0; w < VGIC_NR_IRQS / 64U; w++) {
		if (words[w] != 0U) {
			unsigned bit = (unsigned)__builtin_ctzll(words[w]);
			words[w] &= words[w] - 1U;
			*intid = w * 64U + bit;
			return true;
		}
	}
	return false;
}

/* INTID `intid` if it is for `vcpu`, deliverable and not yet in a list register. */
static vgic_irq_t *
candidate(vic_t *vic, thread_t *vcpu, uint32_t intid)
{
	vgic_irq_t *irq = vgic_get_irq(vic, vcpu, intid);
	if (irq == NULL || irq->in_lr || !deliverable(vic, irq) ||
	    (intid >= VGIC_NR_PRIVATE && irq->target != vcpu->index)) {
		return NULL;
	}
	return irq;
}

error_t
vgic_inject(vic_t *vic, thread_t *vcpu, uint32_t intid)
{
	if (intid < VGIC_NR_PRIVATE && (vcpu == NULL || vcpu->vic != vic)) {
		return ERROR_ARGUMENT_INVALID;
	}
	spinlock_acquire(&vic->lock);
	vgic_irq_t *irq = vgic_get_irq(vic, vcpu, intid);
	if (irq != NULL) {
		vgic_irq_latch(irq);
		irq_changed(vic, vcpu, intid, irq);
	}
	spinlock_release(&vic->lock);
	return irq != NULL ? OK : ERROR_ARGUMENT_INVALID;
}

static void sync_lr(vic_t *vic, thread_t *vcpu, unsigned n);
static void refresh_lr(vic_t *vic, thread_t *vcpu, unsigned n);

/* The line of listed level interrupt `irq` dropped and its vCPU `target` is the one loaded
 * on this CPU (a queue's receiver draining it in a hypercall, typically): fold in and
 * update its list register here and now, so that no other vCPU needs to look again (the
 * vic's generation stays) and this one's exit stays on the fast path unless the interrupt
 * became deliverable again (latched meanwhile). Under vic->lock. */
/* lower_listed_here's general way for entry `n`: fold it in, then bring it up to date.
 * Out of line, so that its registers and calls do not weigh on the usual way. */
static __attribute__((noinline)) void
lower_listed_slow(vic_t *vic, thread_t *target, unsigned n, vgic_irq_t *irq)
{
	vgic_vcpu_t *v = &target->vgic;
	bool rescan = v->rescan;
	sync_lr(vic, target, n);
	if (irq->in_lr) {
		refresh_lr(vic, target, n);
	}
	v->rescan = rescan || (!irq->in_lr && deliverable(vic, irq));
	if (v->rescan) {
		v->quiet_generation = VGIC_NOT_QUIET;
	}
}

static bool
lower_listed_here(vic_t *vic, thread_t *target, uint32_t intid, vgic_irq_t *irq)
{
	vgic_vcpu_t *v = &target->vgic;
	for (uint32_t live = v->lr_live; live != 0U; live &= live - 1U) {
		unsigned n = (unsigned)__builtin_ctz(live);
		if (v->lr_intid[n] != intid) {
			continue;
		}
		/* The usual case: the guest has acknowledged the entry (it is in its handler)
		 * and no latch waits to be consumed. Then only the EOI request goes, straight
		 * in the hardware register; the saved copy stays what the next sync compares
		 * with, so that sync still sees the acknowledge. */
		uint64_t lr = lr_read(n);
		if (!irq->pending && (lr & (LR_STATE | LR_HW)) == LR_ACTIVE) {
			if ((lr & LR_EOI) != 0U) {
				lr_write(n, lr & ~LR_EOI);
			}
			return true;
		}
		lower_listed_slow(vic, target, n, irq);
		return true;
	}
	return false;
}

/* The line of level-sensitive `irq` dropped: pending now only if latched. Under lock. */
static inline __attribute__((always_inline)) void
lower_level(vic_t *vic, thread_t *vcpu, uint32_t intid, vgic_irq_t *irq)
{
	bool ready = irq->enabled && irq->pending;
	thread_t *target = irq_target(vic, vcpu, intid, irq);
	if (irq->in_lr && target != NULL && target == sched_this_cpu()->current) {
		vgic_irq_set_ready(vic, vcpu, intid, ready);
		if (lower_listed_here(vic, target, intid, irq)) {
			return;
		}
	}
	irq_changed_ready(vic, vcpu, intid, irq, ready);
}

error_t
vgic_set_level(vic_t *vic, thread_t *vcpu, uint32_t intid, bool level)
{
	if (intid < VGIC_NR_PRIVATE && (vcpu == NULL || vcpu->vic != vic)) {
		return ERROR_ARGUMENT_INVALID;
	}
	spinlock_acquire(&vic->lock);
	vgic_irq_t *irq = vgic_get_irq(vic, vcpu, intid);
	if (irq != NULL && irq->level != level) {
		irq->level = level;
		if (irq->edge) {
			if (level) {
				vgic_irq_latch(irq); /* configured edge-triggered: a rising edge latches */
			}
			irq_changed(vic, vcpu, intid, irq);
		} else if (level) {
			/* A level-sensitive line went up: pending, whatever its latch says. */
			irq_changed_ready(vic, vcpu, intid, irq, irq->enabled);
		} else {
			lower_level(vic, vcpu, intid, irq);
		}
	}
	spinlock_release(&vic->lock);
	return irq != NULL ? OK : ERROR_ARGUMENT_INVALID;
}

error_t
vgic_bind_hw(vic_t *vic, uint32_t intid, uint32_t hw_intid)
{
	/* pINTID must be a PPI or SPI: SGIs cannot be deactivated through a list register. */
	if (intid < VGIC_NR_PRIVATE || intid >= vic->max_virqs || hw_intid < 16U ||
	    hw_intid >= 1020U) {
		return ERROR_ARGUMENT_INVALID;
	}
	spinlock_acquire(&vic->lock);
	vgic_irq_t *irq = &vic->spis[intid - VGIC_NR_PRIVATE];
	error_t err = irq->hw_intid == VGIC_NO_HWIRQ ? OK : ERROR_VIRQ_BOUND;
	if (err == OK) {
		irq->hw_intid = hw_intid;
		vgic_changed(vic);
	}
	spinlock_release(&vic->lock);
	return err;
}

void
vgic_cpu_init(void)
{
	unsigned count = ICH_VTR_LISTREGS(sysreg_read(ich_vtr_el2));
	__atomic_store_n(&nr_lrs, count < VGIC_NR_LRS_MAX ? count : VGIC_NR_LRS_MAX,
			 __ATOMIC_RELAXED);
	for (unsigned n = 0; n < lr_count(); n++) {
		lr_write(n, 0U); /* their reset values are unknown */
	}
	lr_dirty[cpu_index()] = 0U;
	sysreg_write(ich_hcr_el2, 0U);
	isb();
}

static __attribute__((noinline)) void flush_pass(vic_t *vic, thread_t *vcpu);

/* vgic_flush under vic->lock, with `vcpu` loaded. The test is inline: the pass's big frame
 * would cost more than the test on the common way through. */
static inline __attribute__((always_inline)) void
flush_locked(vic_t *vic, thread_t *vcpu)
{
	if (!vcpu->vgic.rescan && vcpu->vgic.flushed_generation == vic->generation) {
		/* Nothing changed since the last flush: the list registers are still right. Most
		 * exits (MMIO, hypercalls, traps) take this way, and so does the switch-in of a
		 * vCPU whose interrupt was listed while it was saved (list_while_saved). A change
		 * made meanwhile on another CPU kicks this vCPU, whose exit then comes back here. */
		return;
	}
	flush_pass(vic, vcpu);
}

/* A list register not live in its vCPU is zero there (sync_lr, vgic_reset) and invalid,
 * without EOI maintenance, in the hardware while that vCPU is loaded (lr_dirty). */
static void
load_registers(vgic_vcpu_t *v)
{
	uint16_t *dirty = &lr_dirty[cpu_index()];
	for (uint32_t mask = *dirty | v->lr_live; mask != 0U; mask &= mask - 1U) {
		unsigned n = (unsigned)__builtin_ctz(mask);
		lr_write(n, v->lr[n]);
	}
	*dirty = v->lr_live;
	sysreg_write(ich_ap0r0_el2, v->ap0r0);
	sysreg_write(ich_ap1r0_el2, v->ap1r0);
	sysreg_write(ich_vmcr_el2, v->vmcr);
	sysreg_write(ich_hcr_el2, v->hcr | ICH_HCR_EN);
}

void
vgic_load(thread_t *vcpu)
{
	vic_t *vic = vcpu->vic;
	if (vic == NULL) {
		load_registers(&vcpu->vgic);
		isb();
		return;
	}
	spinlock_acquire(&vic->lock);
	vcpu->vgic.loaded = true;
	load_registers(&vcpu->vgic);
	flush_locked(vic, vcpu);
	spinlock_release(&vic->lock);
	isb();
}

static void
save_registers(vgic_vcpu_t *v)
{
	for (uint32_t live = v->lr_live; live != 0U; live &= live - 1U) {
		unsigned n = (unsigned)__builtin_ctz(live);
		v->lr[n] = lr_read(n);
	}
	lr_dirty[cpu_index()] = v->lr_live;
	v->ap0r0 = sysreg_read(ich_ap0r0_el2);
	v->ap1r0 = sysreg_read(ich_ap1r0_el2);
	v->vmcr = sysreg_read(ich_vmcr_el2);
	v->hcr = sysreg_read(ich_hcr_el2);
	/* Disabled, the interface raises no maintenance interrupts on a CPU without a vCPU. */
	sysreg_write(ich_hcr_el2, 0U);
}

/* Runs under the scheduler's lock, so it must not take the vic lock (the raise path takes
 * them the other way round). It need not: while `loaded` is set nobody else touches lr[],
 * and the release store hands lr[] over to list_while_saved complete. */
void
vgic_save(thread_t *vcpu)
{
	save_registers(&vcpu->vgic);
	__atomic_store_n(&vcpu->vgic.loaded, false, __ATOMIC_RELEASE);
	isb();
}

/* Puts `irq` into free list register `n` of `vcpu` as pending, in its saved copy only (the
 * caller writes the hardware register if the vCPU is loaded). Returns the register value. */
static uint64_t
list_irq_saved(thread_t *vcpu, unsigned n, uint32_t intid, vgic_irq_t *irq)
{
	uint64_t lr = LR_PENDING | ((uint64_t)irq->priority << LR_PRIORITY_SHIFT) | intid;
	if (irq->group1) {
		lr |= LR_GROUP1;
	}
	if (irq->hw_intid != VGIC_NO_HWIRQ) {
		lr |= LR_HW | ((uint64_t)irq->hw_intid << LR_PINTID_SHIFT);
	} else if (!irq->edge) {
		lr |= LR_EOI; /* so a line still high after the guest's EOI is delivered again */
	}
	if (irq->edge) {
		irq->pending = false; /* the edge now lives in the LR; a level latch stays until
				       * the guest acknowledges (see sync_lr) */
	}
	irq->in_lr = true;
	irq->relatched = false;
	if (irq->edge) {
		vgic_irq_track(vcpu->vic, vcpu, intid, irq); /* its latch went into the LR */
	}
	vcpu->vgic.lr_intid[n] = (uint16_t)intid;
	vcpu->vgic.lr_live |= (uint16_t)(1U << n);
	vcpu->vgic.lr[n] = lr;
	return lr;
}

/* Writes `irq` into free list register `n` of the loaded `vcpu` as pending. */
static void
list_irq(thread_t *vcpu, unsigned n, uint32_t intid, vgic_irq_t *irq)
{
	lr_write(n, list_irq_saved(vcpu, n, intid, irq));
}

/* Brings listed entry `n` up to date with its interrupt before the guest runs again.
 * - Edge: a vINTID may occupy only one list register, so one raised again while the guest
 *   handles it becomes pending+active in place.
 * - Level, acknowledged: the maintenance interrupt at deactivation (EOI bit) is needed only
 *   while the line is still up, to deliver it again. A device that dropped its line while
 *   the guest handled it (a queue the handler drained) then costs no exit at the EOI; if
 *   the line rises again, the change kicks this vCPU through here, which sets the bit again.
 * HW entries are left alone: 0b11 is not allowed for them, and their deactivation goes to
 * the physical interrupt. */
static void
refresh_lr(vic_t *vic, thread_t *vcpu, unsigned n)
{
	uint64_t lr = vcpu->vgic.lr[n];
	uint32_t intid = vcpu->vgic.lr_intid[n];
	vgic_irq_t *irq = listed_irq(vic, vcpu, intid);
	if ((lr & LR_STATE) != LR_ACTIVE || (lr & LR_HW) != 0U) {
		return;
	}
	uint64_t want = lr;
	if (irq->edge) {
		if (deliverable(vic, irq)) {
			irq->pending = false;
			vgic_irq_track(vic, vcpu, intid, irq);
			want = lr | LR_PENDING;
		}
	} else {
		want = vgic_irq_pending(irq) ? lr | LR_EOI : lr & ~LR_EOI;
	}
	if (want != lr) {
		vcpu->vgic.lr[n] = want;
		lr_write(n, want);
	}
}

/* flush_locked's pass over the list registers and the ready interrupts. Not inlined: its
 * big frame would then be paid by every caller's common way through, which skips it. */
static __attribute__((noinline)) void
flush_pass(vic_t *vic, thread_t *vcpu)
{
	unsigned count = lr_count();
	unsigned n = 0;

	for (uint32_t live = vcpu->vgic.lr_live; live != 0U; live &= live - 1U) {
		refresh_lr(vic, vcpu, (unsigned)__builtin_ctz(live));
	}
	/* One pass over the ready INTIDs keeps the best candidates for the free list registers,
	 * highest priority (lowest value) first, ties to the lowest INTID (the pass's order, kept
	 * by inserting after equals). The ready bitmaps make this pass visit only interrupts
	 * that are enabled and pending; a scan of all 128 took about 2000 instructions. */
	unsigned free = count - (unsigned)__builtin_popcount(vcpu->vgic.lr_live);
	vgic_irq_t *best[VGIC_NR_LRS_MAX];
	uint32_t best_intid[VGIC_NR_LRS_MAX];
	unsigned found = 0;
	bool leftover = false;
	uint64_t ready[VGIC_NR_IRQS / 64U];
	ready_words(vic, vcpu, ready);
	uint32_t intid;
	while (!(free == 0U && leftover) && next_ready(ready, &intid)) {
		vgic_irq_t *c = candidate(vic, vcpu, intid);
		if (c == NULL) {
			continue;
		}
		if (free == 0U) {
			leftover = true; /* every LR is busy: only whether one waits matters */
			continue;
		}
		unsigned at = found;
		while (at > 0U && c->priority < best[at - 1U]->priority) {
			at--;
		}
		if (at == free) {
			leftover = true; /* worse than every one kept */
			continue;
		}
		leftover = leftover || found == free;
		found -= found == free ? 1U : 0U; /* the worst kept one drops out */
		for (unsigned j = found; j > at; j--) {
			best[j] = best[j - 1U];
			best_intid[j] = best_intid[j - 1U];
		}
		best[at] = c;
		best_intid[at] = intid;
		found++;
	}
	for (unsigned i = 0; i < found; i++) {
		while (vcpu->vgic.lr_intid[n] != VGIC_LR_EMPTY) {
			n++;
		}
		list_irq(vcpu, n, best_intid[i], best[i]);
	}
	/* Some did not fit: underflow (at most one LR still valid) brings us back to refill.
	 * Every LR is valid now, so with two or more it cannot fire before the guest has
	 * worked; with a single LR it would fire at once, so leftovers wait for an exit. */
	vcpu->vgic.hcr = ICH_HCR_EN | (leftover && count > 1U ? ICH_HCR_UIE : 0U);
	sysreg_write(ich_hcr_el2, vcpu->vgic.hcr);
	vcpu->vgic.flushed_generation = vic->generation;
	vcpu->vgic.rescan = leftover; /* leftovers: look again at every entry */
	vcpu->vgic.quiet_generation = vcpu->vgic.rescan ? VGIC_NOT_QUIET : vic->generation;
}

void
vgic_flush(thread_t *vcpu)
{
	vic_t *vic = vcpu->vic;
	if (vic == NULL) {
		return;
	}
	spinlock_acquire(&vic->lock);
	flush_locked(vic, vcpu);
	spinlock_release(&vic->lock);
}

/* Folds list register `n` back into the interrupt it holds. */
static void
sync_lr(vic_t *vic, thread_t *vcpu, unsigned n)
{
	uint64_t old = vcpu->vgic.lr[n];
	uint64_t hw = lr_read(n);
	uint64_t lr = hw;
	uint32_t intid = vcpu->vgic.lr_intid[n];
	vgic_irq_t *irq = listed_irq(vic, vcpu, intid);

	if ((hw & LR_STATE) == 0U && ((hw & LR_EOI) == 0U || (hw & LR_HW) != 0U)) {
		/* The usual end of an entry, taken in one step: acknowledged and deactivated,
		 * nothing left in the hardware register. The same as the general way below. */
		if ((old & LR_PENDING) != 0U && !irq->edge && irq->pending != irq->relatched) {
			irq->pending = irq->relatched;
			vgic_irq_track(vic, vcpu, intid, irq); /* nothing else here moves readiness */
		}
		irq->active = false;
		irq->relatched = false;
		irq->in_lr = false;
		vcpu->vgic.lr_intid[n] = VGIC_LR_EMPTY;
		vcpu->vgic.lr_live &= (uint16_t)~(1U << n);
		vcpu->vgic.lr[n] = 0U;
		if (deliverable(vic, irq)) {
			vcpu->vgic.rescan = true;
		}
		return;
	}
	irq->active = (lr & LR_ACTIVE) != 0U;
	if ((lr & LR_PENDING) == 0U) {
		/* Acknowledged: that consumes the level latch that was listed (the line may stay
		 * high), not one raised since; which came first is unknown, so that one is
		 * delivered again rather than risk losing it. */
		if ((old & LR_PENDING) != 0U && !irq->edge) {
			irq->pending = irq->relatched;
		}
	} else if (irq->edge) {
		irq->pending = false; /* an edge raised while still listed merges with it */
	}
	/* Still pending in the LR, a new latch merged with it; otherwise it is in `pending`. */
	irq->relatched = false;
	/* Withdraw a not yet acknowledged entry that was disabled, or whose line dropped.
	 * HW entries stay: the physical interrupt is active until the guest deactivates it. */
	if ((lr & LR_STATE) == LR_PENDING && (lr & LR_HW) == 0U &&
	    (!irq->enabled || (!irq->edge && !vgic_irq_pending(irq)))) {
		if (irq->edge) {
			irq->pending = true;
		}
		lr &= ~LR_STATE;
	}
	if ((lr & LR_STATE) == 0U) {
		/* A withdrawn entry is still valid in the hardware: clear it. An invalid one is
		 * ignored by the GIC unless it still asks for EOI maintenance (ICH_EISR_EL2);
		 * otherwise it may stay behind (lr_dirty no longer covers it). */
		if ((hw & LR_STATE) != 0U || ((hw & LR_EOI) != 0U && (hw & LR_HW) == 0U)) {
			lr_write(n, 0U);
		}
		lr = 0U;
		irq->in_lr = false;
		vcpu->vgic.lr_intid[n] = VGIC_LR_EMPTY;
		vcpu->vgic.lr_live &= (uint16_t)~(1U << n);
	}
	vcpu->vgic.lr[n] = lr;
	vgic_irq_track(vic, vcpu, intid, irq);
	/* Deactivated or withdrawn while still deliverable (a level line still up, a latch
	 * raised meanwhile): list it again. Any other change needs no pass: an entry left in
	 * its register is refreshed when its interrupt changes (that bumps the generation),
	 * and interrupts that found no free register already left `rescan` set. */
	if (!irq->in_lr && deliverable(vic, irq)) {
		vcpu->vgic.rescan = true;
	}
}

/* Under vic->lock: reads every live list register back (vgic_sync). */
static void
sync_locked(vic_t *vic, thread_t *vcpu)
{
	vcpu->vgic.vmcr = sysreg_read(ich_vmcr_el2); /* for the pending check */
	for (uint32_t live = vcpu->vgic.lr_live; live != 0U; live &= live - 1U) {
		sync_lr(vic, vcpu, (unsigned)__builtin_ctz(live));
	}
}

void
vgic_sync(thread_t *vcpu)
{
	vic_t *vic = vcpu->vic;
	if (vic == NULL) {
		return;
	}
	spinlock_acquire(&vic->lock);
	sync_locked(vic, vcpu);
	spinlock_release(&vic->lock);
}

/* Whether the virtual CPU interface would signal an interrupt of this group and priority. */
static bool
unmasked(uint64_t vmcr, bool group1, uint8_t priority)
{
	uint64_t enable = group1 ? ICH_VMCR_VENG1 : ICH_VMCR_VENG0;
	return (vmcr & enable) != 0U && priority < ICH_VMCR_VPMR(vmcr);
}

bool
vgic_sync_has_pending(thread_t *vcpu)
{
	vic_t *vic = vcpu->vic;
	if (vic == NULL) {
		return false;
	}
	spinlock_acquire(&vic->lock);
	sync_locked(vic, vcpu);
	uint64_t vmcr = vcpu->vgic.vmcr;
	bool found = false;
	/* Only live entries can be pending: sync_lr zeroes the others. */
	for (uint32_t live = vcpu->vgic.lr_live; live != 0U && !found; live &= live - 1U) {
		uint64_t lr = vcpu->vgic.lr[__builtin_ctz(live)];
		found = (lr & LR_PENDING) != 0U &&
			unmasked(vmcr, (lr & LR_GROUP1) != 0U, (uint8_t)(lr >> LR_PRIORITY_SHIFT));
	}
	uint64_t ready[VGIC_NR_IRQS / 64U];
	ready_words(vic, vcpu, ready);
	uint32_t intid;
	while (!found && next_ready(ready, &intid)) {
		vgic_irq_t *irq = candidate(vic, vcpu, intid);
		found = irq != NULL && unmasked(vmcr, irq->group1, irq->priority);
	}
	spinlock_release(&vic->lock);
	return found;
}

void
vgic_maintenance(thread_t *vcpu)
{
	/* A late interrupt after vgic_save finds ICH_HCR_EL2 already 0: nothing to do. */
	if (vcpu == NULL) {
		return;
	}
	vgic_sync(vcpu);
	vgic_flush(vcpu);
}
