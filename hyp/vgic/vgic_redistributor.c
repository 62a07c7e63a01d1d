/* vgic_redistributor.c - each vCPU's virtual GICR: the RD_base frame (identification, TYPER,
 * WAKER) and the SGI_base frame, whose SGI/PPI banks are the distributor's code at INTIDs 0-31. */
#include <stdbool.h>
#include <stdint.h>

#include "vgic_internal.h"

#define GICR_IIDR 0x0004U
#define GICR_TYPER 0x0008U
#define GICR_TYPER_HI 0x000cU
#define GICR_WAKER 0x0014U

#define GICR_TYPER_LAST (1U << 4)
#define GICR_WAKER_PROCESSOR_SLEEP (1U << 1)
#define GICR_WAKER_CHILDREN_ASLEEP (1U << 2)

/* Processor_Number and Aff0 are the vCPU index. Last marks the highest attached vCPU: Linux
 * walks the frames upwards and stops there. */
static uint64_t
typer(const vic_t *vic, unsigned index)
{
	bool last = true;
	for (unsigned i = index + 1U; i < vic->max_vcpus; i++) {
		last = last && vic->vcpus[i] == NULL;
	}
	return ((uint64_t)index << 32) | ((uint64_t)index << 8) | (last ? GICR_TYPER_LAST : 0U);
}

mmio_result_t
vgic_gicr_mmio(vic_t *vic, unsigned index, uint32_t offset, mmio_access_t *access)
{
	/* A frame with no vCPU behind it is RAZ/WI: its PIDR2 reads 0, "no redistributor". */
	thread_t *rd = vic->vcpus[index];

	if (offset >= VGIC_GICR_SGI_BASE) {
		mmio_result_t result = vgic_mmio_irq_bank(vic, rd, offset - VGIC_GICR_SGI_BASE,
							  access, 0U, VGIC_NR_PRIVATE);
		if (result != MMIO_UNHANDLED) {
			return result;
		}
		return access->size == 4U ? MMIO_HANDLED : MMIO_FAULT; /* reserved: RAZ/WI */
	}

	if (access->size != 4U && !(access->size == 8U && offset == GICR_TYPER)) {
		return MMIO_FAULT;
	}
	if (rd == NULL) {
		return MMIO_HANDLED;
	}
	if (access->write) {
		/* WAKER.ProcessorSleep is the only writable bit: without LPIs, CTLR has none. */
		if (offset == GICR_WAKER) {
			rd->vgic.sleeping = (access->value & GICR_WAKER_PROCESSOR_SLEEP) != 0U;
		}
		return MMIO_HANDLED;
	}
	switch (offset) {
	case GICR_IIDR:
		access->value = VGIC_IIDR;
		break;
	case GICR_TYPER:
		access->value = typer(vic, index);
		if (access->size == 4U) {
			access->value &= 0xffffffffU;
		}
		break;
	case GICR_TYPER_HI:
		access->value = typer(vic, index) >> 32;
		break;
	case GICR_WAKER:
		/* The virtual redistributor has nothing to quiesce: children sleep at once. */
		access->value = rd->vgic.sleeping ? GICR_WAKER_PROCESSOR_SLEEP |
							    GICR_WAKER_CHILDREN_ASLEEP
						  : 0U;
		break;
	case VGIC_PIDR2_OFFSET:
		access->value = VGIC_PIDR2;
		break;
	default:
		break; /* CTLR (no LPIs, RWP and UWP 0), STATUSR, reserved: RAZ/WI */
	}
	return MMIO_HANDLED;
}
