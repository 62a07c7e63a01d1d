/* vgic_internal.h - what the vGIC's files share: identification values, interrupt lookup and
 * kicking, and the interrupt-bank registers common to the GICD and the GICR SGI_base frame. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "mmio.h"
#include "objects/thread.h"
#include "vgic.h"

#define VGIC_LR_EMPTY 0xffffU /* vgic_vcpu_t.lr_intid of a free list register */

#define VGIC_IIDR ((0x42U << 24) | 0x43bU) /* ProductID 'B', Implementer Arm (JEP106 0x43b) */
#define VGIC_PIDR2 0x3bU                   /* ArchRev 3: GICv3 */
#define VGIC_PIDR2_OFFSET 0xffe8U          /* in the GICD and in each GICR RD_base frame */

#define VGIC_GICR_STRIDE 0x20000U   /* one redistributor: RD_base frame, then SGI_base */
#define VGIC_GICR_SGI_BASE 0x10000U

/* Pending as the GIC sees it: latched, or a level-sensitive line held high. */
static inline bool
vgic_irq_pending(const vgic_irq_t *irq)
{
	return irq->pending || (!irq->edge && irq->level);
}

/* Latches `irq` pending: an edge, ISPENDR, an SGI or an injection. A listed level entry's
 * latch is consumed when the guest acknowledges it (sync_lr), which must not swallow a
 * latch raised after it was listed: the guest may have acknowledged before this one. */
static inline void
vgic_irq_latch(vgic_irq_t *irq)
{
	irq->pending = true;
	irq->relatched = irq->relatched || irq->in_lr;
}

/* Some interrupt state of the VM changed: every vCPU's next flush rescans. Under lock. */
static inline void
vgic_changed(vic_t *vic)
{
	__atomic_store_n(&vic->generation, vic->generation + 1U, __ATOMIC_RELAXED); /* vgic_idle */
}

/* Sets the ready bit of INTID `intid` (private to `vcpu` if < 32) to `ready`. */
static inline __attribute__((always_inline)) void
vgic_irq_set_ready(vic_t *vic, thread_t *vcpu, uint32_t intid, bool ready)
{
	if (intid < VGIC_NR_PRIVATE) {
		uint32_t bit = 1U << intid;
		vcpu->vgic.ready_private = ready ? vcpu->vgic.ready_private | bit
						 : vcpu->vgic.ready_private & ~bit;
		return;
	}
	uint64_t bit = 1ULL << (intid % 64U);
	uint64_t *word = &vic->ready_spis[intid / 64U];
	*word = ready ? *word | bit : *word & ~bit;
}

/* Keeps the ready bitmaps (vic->ready_spis, vgic.ready_private) in step with `irq`, INTID
 * `intid` (private to `vcpu` if < 32): set exactly while it is enabled and pending. Every
 * change to enabled, pending, level or trigger is followed by this. Under vic->lock. */
static inline __attribute__((always_inline)) void
vgic_irq_track(vic_t *vic, thread_t *vcpu, uint32_t intid, const vgic_irq_t *irq)
{
	vgic_irq_set_ready(vic, vcpu, intid, irq->enabled && vgic_irq_pending(irq));
}

/* Resets one interrupt to its architectural defaults: disabled, Group 0, priority 0. */
static inline void
vgic_irq_reset(vgic_irq_t *irq, bool edge)
{
	*irq = (vgic_irq_t){ .edge = edge, .hw_intid = VGIC_NO_HWIRQ };
}

/* INTID `intid` of this VM: private ones are `vcpu`'s. NULL if it does not exist (an SPI at
 * or beyond max_virqs, or a private INTID without a vCPU). Caller holds vic->lock. */
vgic_irq_t *vgic_get_irq(vic_t *vic, thread_t *vcpu, uint32_t intid);

/* After a state change of `irq` (INTID `intid`, private to `vcpu` if < 32): kicks its target
 * if it is now deliverable, or sits in a list register that may need updating. Under lock. */
void vgic_irq_changed(vic_t *vic, thread_t *vcpu, uint32_t intid, vgic_irq_t *irq);

/* IGROUPR, IS/ICENABLER, IS/ICPENDR, IS/ICACTIVER, IPRIORITYR, ICFGR and IGRPMODR at
 * `offset` (relative to the GICD or SGI_base frame) for INTIDs in [first, end); other
 * INTIDs read as zero and ignore writes. MMIO_UNHANDLED if `offset` is none of these.
 * Reads must arrive with access->value == 0. Caller holds vic->lock. */
mmio_result_t vgic_mmio_irq_bank(vic_t *vic, thread_t *vcpu, uint32_t offset,
				 mmio_access_t *access, uint32_t first, uint32_t end);

/* Redistributor `index` (< max_vcpus), `offset` into its two frames. Under vic->lock. */
mmio_result_t vgic_gicr_mmio(vic_t *vic, unsigned index, uint32_t offset, mmio_access_t *access);
