/* vgic_hwirq.c - the vGIC's side of hardware interrupt passthrough: which physical CPU a bound
 * SPI should be routed to, and undoing a binding (vgic_bind_hw, in vgic_delivery.c, makes it). */
#include <stdint.h>

#include "vgic_internal.h"

unsigned
vgic_hw_target_cpu(vic_t *vic, uint32_t intid)
{
	spinlock_acquire(&vic->lock);
	vgic_irq_t *irq = vgic_get_irq(vic, NULL, intid);
	unsigned target = irq != NULL && irq->target < vic->max_vcpus ? irq->target : 0U;
	thread_t *vcpu = vic->vcpus[target] != NULL ? vic->vcpus[target] : vic->vcpus[0];
	/* Affinity only changes while the vCPU is off; a stale answer costs a kick, not an
	 * interrupt: delivery always goes through the vic, which kicks the target's CPU. */
	unsigned cpu = vcpu != NULL ? vcpu->affinity : 0U;
	spinlock_release(&vic->lock);
	return cpu;
}

error_t
vgic_unbind_hw(vic_t *vic, uint32_t intid)
{
	spinlock_acquire(&vic->lock);
	vgic_irq_t *irq = vgic_get_irq(vic, NULL, intid);
	error_t err = irq != NULL && intid >= VGIC_NR_PRIVATE && irq->hw_intid != VGIC_NO_HWIRQ
			      ? OK
			      : ERROR_VIRQ_NOT_BOUND;
	if (err == OK) {
		/* A latch not yet listed would be delivered as a software interrupt that no
		 * device raised any more; one already listed keeps its HW bit in the list
		 * register, and the guest's deactivation of it is then harmless (the caller
		 * has made the physical interrupt inactive). */
		irq->hw_intid = VGIC_NO_HWIRQ;
		irq->pending = irq->in_lr && irq->pending;
		irq->relatched = false;
		vgic_irq_changed(vic, NULL, intid, irq);
	}
	spinlock_release(&vic->lock);
	return err;
}
