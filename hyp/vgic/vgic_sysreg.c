/* vgic_sysreg.c - the trapped ICC system register writes that generate SGIs (ICC_SGI1R_EL1,
 * ICC_ASGI1R_EL1, ICC_SGI0R_EL1): decoding their targets and making the SGIs pending. */
#include <stdbool.h>
#include <stdint.h>

#include "esr.h"
#include "trap_frame.h"
#include "vgic_internal.h"

/* ISS of a trapped MSR/MRS (EC 0x18): the register's encoding, Rt and Direction. */
#define ISS_SYSREG(op0, op1, crn, crm, op2)                                                \
	(((op0) << 20) | ((op2) << 17) | ((op1) << 14) | ((crn) << 10) | ((crm) << 1))
#define ISS_SYSREG_MASK ISS_SYSREG(3U, 7U, 15U, 15U, 7U)
#define ISS_RT(iss) (((iss) >> 5) & 0x1fU)
#define ISS_READ 1U

#define ISS_ICC_SGI1R ISS_SYSREG(3U, 0U, 12U, 11U, 5U)
#define ISS_ICC_ASGI1R ISS_SYSREG(3U, 0U, 12U, 11U, 6U)
#define ISS_ICC_SGI0R ISS_SYSREG(3U, 0U, 12U, 11U, 7U)

/* Fields of the value written to an SGI generation register. */
#define SGIR_TARGET_LIST(v) ((uint32_t)(v) & 0xffffU)
#define SGIR_AFF1(v) (((v) >> 16) & 0xffU)
#define SGIR_INTID(v) ((uint32_t)((v) >> 24) & 0xfU)
#define SGIR_AFF2(v) (((v) >> 32) & 0xffU)
#define SGIR_IRM (1ULL << 40)
#define SGIR_RS(v) (((v) >> 44) & 0xfU)
#define SGIR_AFF3(v) (((v) >> 48) & 0xffU)

/* A vCPU's affinity is Aff0 = index, Aff1-3 = 0, so a target list reaches vCPUs only with
 * Aff1-3 and RS (Aff0 = RS * 16 + bit) all zero. IRM means every vCPU but the sender. */
static void
send_sgis(thread_t *sender, uint64_t value, bool group1)
{
	vic_t *vic = sender->vic;
	uint32_t intid = SGIR_INTID(value);
	uint32_t targets = 0U;

	if ((value & SGIR_IRM) != 0U) {
		targets = ~(1U << sender->index);
	} else if (SGIR_AFF1(value) == 0U && SGIR_AFF2(value) == 0U && SGIR_AFF3(value) == 0U &&
		   SGIR_RS(value) == 0U) {
		targets = SGIR_TARGET_LIST(value);
	}
	spinlock_acquire(&vic->lock);
	for (unsigned i = 0; i < vic->max_vcpus; i++) {
		thread_t *target = vic->vcpus[i];
		if ((targets & (1U << i)) == 0U || target == NULL) {
			continue;
		}
		vgic_irq_t *irq = &target->vgic.private_irqs[intid];
		/* SGI1R raises SGIs of either group; SGI0R, and with one security state ASGI1R,
		 * only Group 0 ones. */
		if (irq->group1 && !group1) {
			continue;
		}
		vgic_irq_latch(irq);
		vgic_irq_changed(vic, target, intid, irq);
	}
	spinlock_release(&vic->lock);
}

bool
vgic_sysreg(thread_t *vcpu, uint64_t esr, trap_frame_t *frame)
{
	uint32_t iss = (uint32_t)ESR_ISS(esr);
	uint32_t reg = iss & ISS_SYSREG_MASK;
	/* These registers are write-only: a read is not something this model handles. */
	if (ESR_EC(esr) != ESR_EC_SYSREG || (iss & ISS_READ) != 0U || vcpu->vic == NULL ||
	    (reg != ISS_ICC_SGI1R && reg != ISS_ICC_ASGI1R && reg != ISS_ICC_SGI0R)) {
		return false;
	}
	unsigned rt = ISS_RT(iss);
	send_sgis(vcpu, rt == 31U ? 0U : frame->x[rt], reg == ISS_ICC_SGI1R); /* 31: XZR */
	return true;
}
