/* vgic_delivery.c - getting virtual interrupts to vCPUs: injection, line levels, HW binding,
 * and the ICH list registers (boot init, context switch, flush before entry, sync after exit). */
#include <stdbool.h>
#include <stdint.h>

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

static unsigned
lr_count(void)
{
	return __atomic_load_n(&nr_lrs, __ATOMIC_RELAXED);
}

/* mrs/msr encode the register in the instruction, hence one case per list register. */
#define LR_CASES(op)                                                                       \
	op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7) op(8) op(9) op(10) op(11) op(12)    \
		op(13) op(14) op(15)

static uint64_t
lr_read(unsigned n)
{
	switch (n) {
#define LR_READ(i)                                                                         \
	case i:                                                                            \
		return sysreg_read(ich_lr##i##_el2);
		LR_CASES(LR_READ)
#undef LR_READ
	default:
		return 0U;
	}
}

static void
lr_write(unsigned n, uint64_t value)
{
	switch (n) {
#define LR_WRITE(i)                                                                        \
	case i:                                                                            \
		sysreg_write(ich_lr##i##_el2, value);                                      \
		break;
		LR_CASES(LR_WRITE)
#undef LR_WRITE
	default:
		break;
	}
}

vgic_irq_t *
vgic_get_irq(vic_t *vic, thread_t *vcpu, uint32_t intid)
{
	if (intid < VGIC_NR_PRIVATE) {
		return vcpu != NULL ? &vcpu->vgic.private_irqs[intid] : NULL;
	}
	return intid < vic->max_virqs ? &vic->spis[intid - VGIC_NR_PRIVATE] : NULL;
}

/* Pending, enabled, and its group enabled in the distributor: the vCPU should see it. */
static bool
deliverable(const vic_t *vic, const vgic_irq_t *irq)
{
	return irq->enabled && vgic_irq_pending(irq) &&
	       (irq->group1 ? vic->enabled_grp1 : vic->enabled_grp0);
}

void
vgic_irq_changed(vic_t *vic, thread_t *vcpu, uint32_t intid, const vgic_irq_t *irq)
{
	thread_t *target = vcpu;
	vgic_changed(vic);
	if (intid >= VGIC_NR_PRIVATE) {
		target = irq->target < vic->max_vcpus ? vic->vcpus[irq->target] : NULL;
	}
	/* A listed one may need withdrawing or re-pending, which only its CPU can do. */
	if (target != NULL && (irq->in_lr || deliverable(vic, irq))) {
		vcpu_kick(target);
	}
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
		vgic_irq_changed(vic, vcpu, intid, irq);
	}
	spinlock_release(&vic->lock);
	return irq != NULL ? OK : ERROR_ARGUMENT_INVALID;
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
		if (level && irq->edge) {
			vgic_irq_latch(irq); /* configured edge-triggered: a rising edge latches */
		}
		irq->level = level;
		vgic_irq_changed(vic, vcpu, intid, irq);
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
	sysreg_write(ich_hcr_el2, 0U);
	isb();
}

void
vgic_load(thread_t *vcpu)
{
	vgic_vcpu_t *v = &vcpu->vgic;
	for (unsigned n = 0; n < lr_count(); n++) {
		lr_write(n, v->lr[n]);
	}
	sysreg_write(ich_ap0r0_el2, v->ap0r0);
	sysreg_write(ich_ap1r0_el2, v->ap1r0);
	sysreg_write(ich_vmcr_el2, v->vmcr);
	sysreg_write(ich_hcr_el2, v->hcr | ICH_HCR_EN);
	isb();
}

void
vgic_save(thread_t *vcpu)
{
	vgic_vcpu_t *v = &vcpu->vgic;
	for (unsigned n = 0; n < lr_count(); n++) {
		v->lr[n] = lr_read(n);
	}
	v->ap0r0 = sysreg_read(ich_ap0r0_el2);
	v->ap1r0 = sysreg_read(ich_ap1r0_el2);
	v->vmcr = sysreg_read(ich_vmcr_el2);
	v->hcr = sysreg_read(ich_hcr_el2);
	/* Disabled, the interface raises no maintenance interrupts on a CPU without a vCPU. */
	sysreg_write(ich_hcr_el2, 0U);
	isb();
}

/* Writes `irq` into free list register `n` as pending. */
static void
list_irq(thread_t *vcpu, unsigned n, uint32_t intid, vgic_irq_t *irq)
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
	vcpu->vgic.lr_intid[n] = (uint16_t)intid;
	vcpu->vgic.lr_live |= (uint16_t)(1U << n);
	vcpu->vgic.lr[n] = lr;
	lr_write(n, lr);
}

/* A vINTID may occupy only one list register, so an edge interrupt raised again while the
 * guest handles it becomes pending+active in place. Not for HW entries, where 0b11 is not
 * allowed; those wait for the deactivation. */
static void
repend_lr(vic_t *vic, thread_t *vcpu, unsigned n)
{
	uint64_t lr = vcpu->vgic.lr[n];
	vgic_irq_t *irq = vgic_get_irq(vic, vcpu, vcpu->vgic.lr_intid[n]);
	if ((lr & LR_STATE) == LR_ACTIVE && (lr & LR_HW) == 0U && irq->edge &&
	    deliverable(vic, irq)) {
		irq->pending = false;
		vcpu->vgic.lr[n] = lr | LR_PENDING;
		lr_write(n, lr | LR_PENDING);
	}
}

void
vgic_flush(thread_t *vcpu)
{
	vic_t *vic = vcpu->vic;
	if (vic == NULL) {
		return;
	}
	unsigned count = lr_count();
	vgic_irq_t *irq = NULL;
	uint32_t best_intid = 0;
	unsigned n = 0;

	spinlock_acquire(&vic->lock);
	if (!vcpu->vgic.rescan && vcpu->vgic.flushed_generation == vic->generation) {
		/* Nothing changed since the last flush: the list registers are still right. Most
		 * exits (MMIO, hypercalls, traps) take this way. A change made meanwhile on
		 * another CPU kicks this vCPU, whose exit then comes back here. */
		spinlock_release(&vic->lock);
		return;
	}
	for (unsigned i = 0; i < count; i++) {
		if (vcpu->vgic.lr_intid[i] != VGIC_LR_EMPTY) {
			repend_lr(vic, vcpu, i);
		}
	}
	for (;;) {
		/* Highest priority (lowest value) first; ties go to the lowest INTID. */
		irq = NULL;
		for (uint32_t intid = 0; intid < VGIC_NR_IRQS; intid++) {
			vgic_irq_t *c = candidate(vic, vcpu, intid);
			if (c != NULL && (irq == NULL || c->priority < irq->priority)) {
				irq = c;
				best_intid = intid;
			}
		}
		while (n < count && vcpu->vgic.lr_intid[n] != VGIC_LR_EMPTY) {
			n++;
		}
		if (irq == NULL || n == count) {
			break;
		}
		list_irq(vcpu, n, best_intid, irq);
	}
	/* Some did not fit: underflow (at most one LR still valid) brings us back to refill.
	 * Every LR is valid now, so with two or more it cannot fire before the guest has
	 * worked; with a single LR it would fire at once, so leftovers wait for an exit. */
	vcpu->vgic.hcr = ICH_HCR_EN | (irq != NULL && count > 1U ? ICH_HCR_UIE : 0U);
	sysreg_write(ich_hcr_el2, vcpu->vgic.hcr);
	vcpu->vgic.flushed_generation = vic->generation;
	vcpu->vgic.rescan = irq != NULL; /* leftovers: look again at every entry */
	/* Only sync and flush change the list registers' occupancy: a sync that changes one
	 * sets rescan, so the next flush gets here again and recomputes this. */
	vcpu->vgic.quiet_generation = vcpu->vgic.lr_live == 0U && !vcpu->vgic.rescan
					      ? vic->generation
					      : VGIC_NOT_QUIET;
	spinlock_release(&vic->lock);
}

/* Folds list register `n` back into the interrupt it holds. */
static void
sync_lr(vic_t *vic, thread_t *vcpu, unsigned n)
{
	uint64_t old = vcpu->vgic.lr[n];
	uint64_t lr = lr_read(n);
	vgic_irq_t *irq = vgic_get_irq(vic, vcpu, vcpu->vgic.lr_intid[n]);

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
		lr = 0U; /* also drops the EOI bit, ending its maintenance condition */
		lr_write(n, lr);
		irq->in_lr = false;
		vcpu->vgic.lr_intid[n] = VGIC_LR_EMPTY;
		vcpu->vgic.lr_live &= (uint16_t)~(1U << n);
	}
	if (lr != old) {
		vcpu->vgic.rescan = true; /* acknowledged, deactivated or withdrawn */
	}
	vcpu->vgic.lr[n] = lr;
}

void
vgic_sync(thread_t *vcpu)
{
	vic_t *vic = vcpu->vic;
	if (vic == NULL) {
		return;
	}
	unsigned count = lr_count();
	spinlock_acquire(&vic->lock);
	vcpu->vgic.vmcr = sysreg_read(ich_vmcr_el2); /* for vgic_has_pending */
	for (unsigned n = 0; n < count; n++) {
		if (vcpu->vgic.lr_intid[n] != VGIC_LR_EMPTY) {
			sync_lr(vic, vcpu, n);
		}
	}
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
vgic_has_pending(thread_t *vcpu)
{
	vic_t *vic = vcpu->vic;
	if (vic == NULL) {
		return false;
	}
	uint64_t vmcr = vcpu->vgic.vmcr;
	bool found = false;
	spinlock_acquire(&vic->lock);
	for (unsigned n = 0; n < lr_count() && !found; n++) {
		uint64_t lr = vcpu->vgic.lr[n];
		found = (lr & LR_PENDING) != 0U &&
			unmasked(vmcr, (lr & LR_GROUP1) != 0U, (uint8_t)(lr >> LR_PRIORITY_SHIFT));
	}
	for (uint32_t intid = 0; intid < VGIC_NR_IRQS && !found; intid++) {
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
