/* vgic_distributor.c - the vic object (configure, activate, vCPU attach), the MMIO entry point
 * of the whole vGIC, the virtual GICD, and the interrupt banks it shares with GICR SGI_base. */
#include <stdbool.h>
#include <stdint.h>

#include "gic.h"
#include "object_ops.h"
#include "platform_config.h"
#include "vgic_internal.h"
#include "vm.h"

#define GICD_CTLR 0x0000U
#define GICD_TYPER 0x0004U
#define GICD_IIDR 0x0008U
#define GICD_IGROUPR 0x0080U
#define GICD_IPRIORITYR 0x0400U
#define GICD_IPRIORITYR_END 0x0800U
#define GICD_ICFGR 0x0c00U
#define GICD_ICFGR_END 0x0d00U
#define GICD_IGRPMODR 0x0d00U
#define GICD_IGRPMODR_END 0x0d80U
#define GICD_IROUTER 0x6000U
#define GICD_IROUTER_END 0x8000U

#define GICD_CTLR_ENABLE_GRP0 (1U << 0)
#define GICD_CTLR_ENABLE_GRP1 (1U << 1)
#define GICD_CTLR_ARE (1U << 4)
#define GICD_CTLR_DS (1U << 6)

#define GICD_TYPER_IDBITS (9U << 19) /* 10 INTID bits */
#define GICD_TYPER_NO1N (1U << 25)   /* no 1-of-N SPI routing */

#define GICD_IROUTER_IRM (1U << 31)

/* The one-bit-per-INTID banks: each 0x80 bytes, bank number = offset / 0x80. */
enum bit_bank {
	BANK_IGROUPR = 1,
	BANK_ISENABLER,
	BANK_ICENABLER,
	BANK_ISPENDR,
	BANK_ICPENDR,
	BANK_ISACTIVER,
	BANK_ICACTIVER,
	BANK_END,
};

error_t
vgic_configure(vic_t *vic, unsigned max_vcpus, unsigned max_virqs)
{
	if (max_vcpus == 0U || max_vcpus > VGIC_MAX_VCPUS || max_virqs > VGIC_NR_IRQS) {
		return ERROR_ARGUMENT_INVALID;
	}
	spinlock_acquire(&vic->header.lock);
	error_t err = vic->header.state == OBJECT_STATE_INIT ? OK : ERROR_OBJECT_STATE;
	if (err == OK) {
		vic->max_vcpus = max_vcpus;
		vic->max_virqs = max_virqs != 0U ? max_virqs : VGIC_NR_IRQS;
	}
	spinlock_release(&vic->header.lock);
	return err;
}

/* Runs under vic->header.lock (object_activate); the object is zeroed, so only the SPIs'
 * non-zero defaults need writing. Private interrupts are reset when a vCPU attaches. */
error_t
vgic_activate(vic_t *vic)
{
	if (vic->max_vcpus == 0U) {
		return ERROR_OBJECT_CONFIG; /* vic_configure never succeeded */
	}
	for (unsigned i = 0; i < VGIC_NR_SPIS; i++) {
		vgic_irq_reset(&vic->spis[i], false);
	}
	return OK;
}

error_t
vic_activate(object_header_t *object)
{
	return vgic_activate((vic_t *)object);
}

error_t
vgic_attach_vcpu(vic_t *vic, thread_t *vcpu, unsigned index)
{
	/* ACTIVE is final, and max_vcpus is fixed once it is reached. */
	error_t err = object_expect_state(&vic->header, OBJECT_STATE_ACTIVE);
	if (err != OK) {
		return err;
	}
	if (index >= vic->max_vcpus) {
		return ERROR_ARGUMENT_INVALID;
	}
	spinlock_acquire(&vcpu->header.lock);
	if (vcpu->header.state != OBJECT_STATE_INIT) {
		err = ERROR_OBJECT_STATE;
	} else if (vcpu->vic != NULL) {
		err = ERROR_BUSY;
	} else {
		spinlock_acquire(&vic->lock);
		if (vic->vcpus[index] != NULL) {
			err = ERROR_BUSY;
		} else {
			/* The thread is zeroed: only non-zero defaults need writing. */
			vgic_vcpu_t *v = &vcpu->vgic;
			for (uint32_t intid = 0; intid < VGIC_NR_PRIVATE; intid++) {
				vgic_irq_reset(&v->private_irqs[intid], intid < 16U); /* SGIs are edge */
			}
			for (unsigned n = 0; n < VGIC_NR_LRS_MAX; n++) {
				v->lr_intid[n] = VGIC_LR_EMPTY;
			}
			v->sleeping = true; /* GICR_WAKER resets with ProcessorSleep set */
			v->rescan = true;
			v->quiet_generation = VGIC_NOT_QUIET;
			object_get(&vic->header);
			vcpu->vic = vic;
			vcpu->index = index;
			vic->vcpus[index] = vcpu;
		}
		spinlock_release(&vic->lock);
	}
	spinlock_release(&vcpu->header.lock);
	return err;
}

static bool
bit_read(const vgic_irq_t *irq, unsigned bank)
{
	switch (bank) {
	case BANK_IGROUPR:
		return irq->group1;
	case BANK_ISENABLER:
	case BANK_ICENABLER:
		return irq->enabled;
	case BANK_ISPENDR:
	case BANK_ICPENDR:
		return vgic_irq_pending(irq);
	default:
		return irq->active;
	}
}

/* Applies one bit of a write; returns whether the interrupt's state changed. Only IGROUPR
 * takes zeros: in the set/clear banks a zero bit means "leave alone". */
static bool
bit_write(vgic_irq_t *irq, unsigned bank, bool bit)
{
	vgic_irq_t old = *irq;
	if (bank == BANK_IGROUPR) {
		irq->group1 = bit;
	} else if (bit) {
		switch (bank) {
		case BANK_ISENABLER:
		case BANK_ICENABLER:
			irq->enabled = bank == BANK_ISENABLER;
			break;
		case BANK_ISPENDR:
			vgic_irq_latch(irq);
			break;
		case BANK_ICPENDR:
			irq->pending = false; /* a level line stays as it is */
			irq->relatched = false;
			break;
		default:
			irq->active = bank == BANK_ISACTIVER;
			break;
		}
	}
	return old.group1 != irq->group1 || old.enabled != irq->enabled ||
	       old.pending != irq->pending || old.relatched != irq->relatched ||
	       old.active != irq->active;
}

mmio_result_t
vgic_mmio_irq_bank(vic_t *vic, thread_t *vcpu, uint32_t offset, mmio_access_t *access,
		   uint32_t first, uint32_t end)
{
	uint32_t intid;
	vgic_irq_t *irq;

	if (offset >= GICD_IPRIORITYR && offset < GICD_IPRIORITYR_END) {
		if (access->size == 8U) {
			return MMIO_FAULT;
		}
		for (unsigned i = 0; i < access->size; i++) {
			intid = offset - GICD_IPRIORITYR + i;
			irq = intid >= first && intid < end ? vgic_get_irq(vic, vcpu, intid) : NULL;
			if (irq == NULL) {
				continue;
			}
			if (access->write) {
				irq->priority = (uint8_t)(access->value >> (8U * i));
			} else {
				access->value |= (uint64_t)irq->priority << (8U * i);
			}
		}
		return MMIO_HANDLED;
	}

	unsigned bank = offset / 0x80U;
	bool bits = offset >= GICD_IGROUPR && bank < BANK_END;
	bool cfg = offset >= GICD_ICFGR && offset < GICD_ICFGR_END;
	if (!bits && !cfg && !(offset >= GICD_IGRPMODR && offset < GICD_IGRPMODR_END)) {
		return MMIO_UNHANDLED;
	}
	if (access->size != 4U) {
		return MMIO_FAULT;
	}
	if (!bits && !cfg) {
		return MMIO_HANDLED; /* IGRPMODR: one security state has no Group 1 Secure */
	}
	/* One bit per INTID in the bit banks; two in ICFGR, of which the upper says "edge". */
	unsigned width = bits ? 1U : 2U;
	uint32_t base = bits ? (offset % 0x80U) * 8U : (offset - GICD_ICFGR) * 4U;
	for (unsigned i = 0; i < 32U / width; i++) {
		intid = base + i;
		irq = intid >= first && intid < end ? vgic_get_irq(vic, vcpu, intid) : NULL;
		if (irq == NULL) {
			continue;
		}
		unsigned shift = width * i + width - 1U;
		if (!access->write) {
			access->value |= (uint64_t)(bits ? bit_read(irq, bank) : irq->edge) << shift;
			continue;
		}
		bool bit = ((access->value >> shift) & 1U) != 0U;
		if (bits) {
			if (bit_write(irq, bank, bit)) {
				vgic_irq_changed(vic, vcpu, intid, irq);
			}
		} else if (intid >= 16U) {
			/* SGIs are always edge. Software must disable an interrupt before changing
			 * its trigger, so this cannot make anything deliverable: no kick. */
			irq->edge = bit;
			vgic_irq_track(vic, vcpu, intid, irq); /* a level line's pending follows */
		}
	}
	return MMIO_HANDLED;
}

/* GICD_IROUTER<n>: only Aff0 (the vCPU index) is kept; IRM=1 routes to vCPU 0. */
static mmio_result_t
irouter_access(vic_t *vic, uint32_t offset, mmio_access_t *access)
{
	if (access->size == 1U) {
		return MMIO_FAULT;
	}
	uint32_t intid = (offset - GICD_IROUTER) / 8U;
	vgic_irq_t *irq = intid >= VGIC_NR_PRIVATE ? vgic_get_irq(vic, NULL, intid) : NULL;
	if (irq == NULL || (offset & 4U) != 0U) {
		return MMIO_HANDLED; /* no such SPI, or the Aff3 half: RAZ/WI */
	}
	if (!access->write) {
		access->value = irq->target;
		return MMIO_HANDLED;
	}
	irq->target = (access->value & GICD_IROUTER_IRM) != 0U ? 0U : (uint8_t)access->value;
	vgic_irq_changed(vic, NULL, intid, irq);
	return MMIO_HANDLED;
}

static mmio_result_t
gicd_access(vic_t *vic, uint32_t offset, mmio_access_t *access)
{
	if (offset >= GICD_IROUTER && offset < GICD_IROUTER_END) {
		return irouter_access(vic, offset, access);
	}
	/* With affinity routing, the GICD banks of SGIs and PPIs are RAZ/WI. */
	mmio_result_t result = vgic_mmio_irq_bank(vic, NULL, offset, access, VGIC_NR_PRIVATE,
						  vic->max_virqs);
	if (result != MMIO_UNHANDLED) {
		return result;
	}
	if (access->size != 4U) {
		return MMIO_FAULT;
	}
	switch (offset) {
	case GICD_CTLR:
		if (access->write) {
			bool was0 = vic->enabled_grp0, was1 = vic->enabled_grp1;
			vic->enabled_grp0 = (access->value & GICD_CTLR_ENABLE_GRP0) != 0U;
			vic->enabled_grp1 = (access->value & GICD_CTLR_ENABLE_GRP1) != 0U;
			/* Enabling a group can release interrupts pending on any vCPU. */
			if ((vic->enabled_grp0 && !was0) || (vic->enabled_grp1 && !was1)) {
				for (unsigned i = 0; i < vic->max_vcpus; i++) {
					if (vic->vcpus[i] != NULL) {
						vcpu_kick(vic->vcpus[i]);
					}
				}
			}
		} else {
			/* ARE is RAO and RWP reads 0: changes take effect at once. */
			access->value = GICD_CTLR_ARE | GICD_CTLR_DS |
					(vic->enabled_grp0 ? GICD_CTLR_ENABLE_GRP0 : 0U) |
					(vic->enabled_grp1 ? GICD_CTLR_ENABLE_GRP1 : 0U);
		}
		break;
	case GICD_TYPER:
		if (!access->write) {
			access->value = ((vic->max_virqs + 31U) / 32U - 1U) |
					((vic->max_vcpus - 1U) << 5) | GICD_TYPER_IDBITS |
					GICD_TYPER_NO1N;
		}
		break;
	case GICD_IIDR:
		if (!access->write) {
			access->value = VGIC_IIDR;
		}
		break;
	case VGIC_PIDR2_OFFSET:
		if (!access->write) {
			access->value = VGIC_PIDR2;
		}
		break;
	default:
		break; /* TYPER2, STATUSR, SETSPI, ... and reserved space: RAZ/WI */
	}
	return MMIO_HANDLED;
}

mmio_result_t
vgic_mmio(thread_t *vcpu, mmio_access_t *access)
{
	vic_t *vic = vcpu->vic;
	if (vic == NULL) {
		return MMIO_UNHANDLED;
	}
	/* Unsigned differences: addresses below a base wrap to huge offsets. */
	uint64_t dist = access->ipa - PLATFORM_GICD_BASE;
	uint64_t redist = access->ipa - PLATFORM_GICR_BASE;
	bool is_dist = dist < PLATFORM_GICD_SIZE;
	if (!is_dist && redist >= (uint64_t)vic->max_vcpus * VGIC_GICR_STRIDE) {
		return MMIO_UNHANDLED;
	}
	unsigned size = access->size;
	if ((size != 1U && size != 4U && size != 8U) || (access->ipa & (size - 1U)) != 0U) {
		return MMIO_FAULT;
	}
	if (!access->write) {
		access->value = 0U;
	}
	/* The exit fast path leaves the guest's acknowledges and deactivations in the list
	 * registers (vgic_idle): fold them in so that ISACTIVER, ISPENDR and the like read
	 * the current state. */
	vgic_sync(vcpu);

	spinlock_acquire(&vic->lock);
	if (access->write) {
		vgic_changed(vic); /* priorities, routing, enables, trigger modes... */
	}
	mmio_result_t result =
		is_dist ? gicd_access(vic, (uint32_t)dist, access)
			: vgic_gicr_mmio(vic, (unsigned)(redist / VGIC_GICR_STRIDE),
					 (uint32_t)(redist % VGIC_GICR_STRIDE), access);
	spinlock_release(&vic->lock);
	return result;
}

void
vgic_reset(vic_t *vic)
{
	spinlock_acquire(&vic->lock);
	vic->enabled_grp0 = false;
	vic->enabled_grp1 = false;
	vic->ready_spis[0] = 0U;
	vic->ready_spis[1] = 0U;
	for (unsigned i = 0; i < VGIC_NR_SPIS; i++) {
		uint32_t hw = vic->spis[i].hw_intid;
		bool level = vic->spis[i].level;
		vgic_irq_reset(&vic->spis[i], false);
		/* Bindings are configuration, and a line is driven by its device (a queue that
		 * still holds messages keeps its line up): neither is guest state. */
		vic->spis[i].hw_intid = hw;
		vic->spis[i].level = level;
		if (hw != VGIC_NO_HWIRQ) {
			gic_clear_spi(hw); /* its list register is gone: nobody will deactivate it */
		}
	}
	for (unsigned i = 0; i < VGIC_MAX_VCPUS; i++) {
		thread_t *vcpu = vic->vcpus[i];
		if (vcpu == NULL) {
			continue;
		}
		vgic_vcpu_t *v = &vcpu->vgic;
		for (uint32_t intid = 0; intid < VGIC_NR_PRIVATE; intid++) {
			vgic_irq_reset(&v->private_irqs[intid], intid < 16U);
		}
		for (unsigned n = 0; n < VGIC_NR_LRS_MAX; n++) {
			v->lr[n] = 0;
			v->lr_intid[n] = VGIC_LR_EMPTY;
		}
		v->lr_live = 0;
		v->ready_private = 0;
		v->hcr = 0;
		v->vmcr = 0;
		v->rescan = true;
		v->quiet_generation = VGIC_NOT_QUIET;
		v->ap0r0 = 0;
		v->ap1r0 = 0;
		v->sleeping = true;
	}
	spinlock_release(&vic->lock);
}
