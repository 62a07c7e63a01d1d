/* hwirq.c - hwirq objects: the physical SPIs the config passes through to guest VMs, created
 * at boot, bound to a vic's SPI by the RM, and forwarded from the IRQ path to that vic. */
#include <stddef.h>
#include <stdint.h>

#include "gic.h"
#include "hyp_config.h"
#include "object_ops.h"
#include "objects/hwirq.h"
#include "panic.h"
#include "partition.h"
#include "root_boot_info.h"

#define HWIRQ_MAX ROOT_BOOT_INFO_MAX_HWIRQS /* the boot information lists them all */

static const uint32_t platform_hwirqs[] = PLATFORM_HWIRQS; /* 0-terminated */
/* Filled once at boot, then read-only: the IRQ path looks interrupts up here without a
 * lock. Each entry holds a reference, so a hwirq outlives every cap to it. */
static hwirq_t *hwirqs[HWIRQ_MAX];
static unsigned hwirq_count;

/* The interrupts the hypervisor never hands out: SGIs and PPIs (its scheduler IPI, timers,
 * vGIC maintenance; they are per CPU and not passthrough material anyway), its UART's. */
static bool
reserved_intid(uint32_t intid)
{
	return intid < 32U || intid >= GIC_INTID_SPURIOUS - 3U || intid == PLATFORM_UART_IRQ;
}

void
hwirq_boot_init(void)
{
	for (unsigned i = 0; platform_hwirqs[i] != 0U; i++) {
		uint32_t intid = platform_hwirqs[i];
		if (i == HWIRQ_MAX || reserved_intid(intid)) {
			panic("config passes through INTID %u: not an SPI a guest may own, or more "
			      "than %u", intid, HWIRQ_MAX);
		}
		object_header_t *object;
		error_t err = object_create(partition_root(), OBJECT_TYPE_HWIRQ, &object);
		if (err == OK) {
			err = object_activate(object);
		}
		if (err != OK) {
			panic("hwirq %u creation failed with error %d", intid, (int)err);
		}
		hwirq_t *h = (hwirq_t *)object;
		h->intid = intid;
		/* Disabled until bound; whatever a previous owner left is cleared. */
		gic_disable_spi(intid);
		gic_clear_spi(intid);
		hwirqs[i] = h;
		hwirq_count = i + 1U;
	}
}

hwirq_t *
hwirq_boot_object(unsigned n)
{
	return n < hwirq_count ? hwirqs[n] : NULL;
}

error_t
hwirq_bind(hwirq_t *hwirq, vic_t *vic, uint32_t virq)
{
	spinlock_acquire(&hwirq->lock);
	error_t err = virq_source_bind(&hwirq->virq, vic, virq);
	if (err == OK) {
		/* virq_source_bind made (vic, virq) exclusive, so no other HW binding exists. */
		err = vgic_bind_hw(vic, virq, hwirq->intid);
		if (err != OK) {
			object_put(&virq_source_unbind(&hwirq->virq)->header);
		}
	}
	if (err == OK) {
		gic_enable_spi(hwirq->intid, vgic_hw_target_cpu(vic, virq));
	}
	spinlock_release(&hwirq->lock);
	return err;
}

error_t
hwirq_unbind(hwirq_t *hwirq)
{
	spinlock_acquire(&hwirq->lock);
	if (!virq_source_bound(&hwirq->virq)) {
		spinlock_release(&hwirq->lock);
		return ERROR_VIRQ_NOT_BOUND;
	}
	/* Disabled first (and the distributor done with it), so it cannot be signalled again
	 * while the binding goes away; then nothing of it is left pending or active. An
	 * interrupt already taken on another CPU waits for this lock in hwirq_forward, finds
	 * the source unbound and is deactivated there. */
	gic_disable_spi(hwirq->intid);
	(void)vgic_unbind_hw(hwirq->virq.vic, hwirq->virq.virq);
	vic_t *vic = virq_source_unbind(&hwirq->virq);
	gic_clear_spi(hwirq->intid);
	spinlock_release(&hwirq->lock);
	object_put(&vic->header);
	return OK;
}

bool
hwirq_forward(uint32_t intid)
{
	for (unsigned i = 0; i < hwirq_count; i++) {
		hwirq_t *h = hwirqs[i];
		if (h->intid != intid) {
			continue;
		}
		/* The lock orders this with unbind: a bound source holds its vic alive. */
		spinlock_acquire(&h->lock);
		bool bound = virq_source_bound(&h->virq);
		virq_source_pulse(&h->virq);
		spinlock_release(&h->lock);
		return bound;
	}
	return false;
}
