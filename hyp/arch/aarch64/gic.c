/* gic.c - the physical GICv3 driven from EL2: one security state (QEMU virt, secure=off),
 * all interrupts Group 1, affinity routing, split priority drop / deactivation. */
#include <stdint.h>

#include "cpu.h"
#include "gic.h"
#include "hyp_config.h"
#include "platform.h"
#include "sysreg.h"

#define GICD_CTLR 0x0000U
#define GICD_CTLR_RWP (1U << 31)
#define GICD_CTLR_ARE_NS (1U << 4)
#define GICD_CTLR_ENABLE_GRP1 (1U << 1)
#define GICD_TYPER 0x0004U
#define GICD_IGROUPR 0x0080U
#define GICD_ISENABLER 0x0100U
#define GICD_ICENABLER 0x0180U
#define GICD_ICPENDR 0x0280U
#define GICD_ICACTIVER 0x0380U
#define GICD_IPRIORITYR 0x0400U
#define GICD_IROUTER 0x6000U

#define GICR_STRIDE 0x20000U
#define GICR_WAKER 0x0014U
#define GICR_WAKER_PROCESSOR_SLEEP (1U << 1)
#define GICR_WAKER_CHILDREN_ASLEEP (1U << 2)
#define GICR_SGI 0x10000U /* SGI_base frame */

#define ICC_SRE_SRE (1UL << 0)
#define ICC_SRE_ENABLE (1UL << 3) /* EL1 may use the system-register interface too */
#define ICC_CTLR_EOIMODE (1UL << 1)
#define IRQ_PRIORITY 0xa0U

static inline volatile uint32_t *
gicd(uint32_t offset)
{
	return (volatile uint32_t *)(PLATFORM_GICD_BASE + offset);
}

/* QEMU virt lays redistributors out in CPU order. */
static inline volatile uint32_t *
gicr(uint32_t offset)
{
	return (volatile uint32_t *)(PLATFORM_GICR_BASE + (uint64_t)cpu_index() * GICR_STRIDE +
				     offset);
}

static void
wait_for_rwp(void)
{
	while ((*gicd(GICD_CTLR) & GICD_CTLR_RWP) != 0U) {
	}
}

void
gic_init_distributor(void)
{
	*gicd(GICD_CTLR) = 0;
	wait_for_rwp();
	unsigned lines = ((*gicd(GICD_TYPER) & 0x1fU) + 1U) * 32U;
	for (unsigned intid = 32; intid < lines; intid += 32U) {
		*gicd(GICD_ICENABLER + intid / 8U) = ~0U;
		*gicd(GICD_IGROUPR + intid / 8U) = ~0U;
	}
	for (unsigned intid = 32; intid < lines; intid += 4U) {
		*gicd(GICD_IPRIORITYR + intid) = IRQ_PRIORITY * 0x01010101U;
	}
	wait_for_rwp();
	*gicd(GICD_CTLR) = GICD_CTLR_ARE_NS | GICD_CTLR_ENABLE_GRP1;
	wait_for_rwp();
}

void
gic_init_cpu(void)
{
	*gicr(GICR_WAKER) &= ~GICR_WAKER_PROCESSOR_SLEEP;
	while ((*gicr(GICR_WAKER) & GICR_WAKER_CHILDREN_ASLEEP) != 0U) {
	}
	*gicr(GICR_SGI + GICD_ICENABLER) = ~0U;
	*gicr(GICR_SGI + GICD_IGROUPR) = ~0U;
	for (unsigned intid = 0; intid < 32U; intid += 4U) {
		*gicr(GICR_SGI + GICD_IPRIORITYR + intid) = IRQ_PRIORITY * 0x01010101U;
	}
	sysreg_write(icc_sre_el2, sysreg_read(icc_sre_el2) | ICC_SRE_SRE | ICC_SRE_ENABLE);
	isb();
	sysreg_write(icc_pmr_el1, 0xffU);
	sysreg_write(icc_bpr1_el1, 0U);
	sysreg_write(icc_ctlr_el1, ICC_CTLR_EOIMODE);
	sysreg_write(icc_igrpen1_el1, 1U);
	isb();
}

void
gic_enable_ppi(uint32_t intid)
{
	*gicr(GICR_SGI + GICD_ISENABLER) = 1U << intid;
}

void
gic_route_spi(uint32_t intid, unsigned cpu)
{
	volatile uint64_t *router =
		(volatile uint64_t *)(PLATFORM_GICD_BASE + GICD_IROUTER + 8U * intid);
	*router = platform_cpu_mpidr(cpu) & 0xff00ffffffUL;
}

void
gic_enable_spi(uint32_t intid, unsigned cpu)
{
	gic_route_spi(intid, cpu);
	*gicd(GICD_ISENABLER + (intid / 32U) * 4U) = 1U << (intid % 32U);
}

void
gic_disable_spi(uint32_t intid)
{
	*gicd(GICD_ICENABLER + (intid / 32U) * 4U) = 1U << (intid % 32U);
	wait_for_rwp();
}

void
gic_clear_spi(uint32_t intid)
{
	*gicd(GICD_ICPENDR + (intid / 32U) * 4U) = 1U << (intid % 32U);
	*gicd(GICD_ICACTIVER + (intid / 32U) * 4U) = 1U << (intid % 32U);
	dsb_ish();
}

uint32_t
gic_acknowledge(void)
{
	return (uint32_t)sysreg_read(icc_iar1_el1) & 0xffffffU;
}

void
gic_priority_drop(uint32_t intid)
{
	sysreg_write(icc_eoir1_el1, intid);
	isb();
}

void
gic_deactivate(uint32_t intid)
{
	sysreg_write(icc_dir_el1, intid);
	isb();
}

void
gic_send_sgi(uint32_t intid, unsigned cpu)
{
	uint64_t mpidr = platform_cpu_mpidr(cpu);
	uint64_t aff1 = (mpidr >> 8) & 0xffU, aff2 = (mpidr >> 16) & 0xffU;
	uint64_t aff3 = (mpidr >> 32) & 0xffU;
	uint64_t value = (1UL << (mpidr & 0xfU)) | (aff1 << 16) | ((uint64_t)intid << 24) |
			 (aff2 << 32) | (aff3 << 48);
	dsb_ish(); /* the state change the SGI announces must be visible first */
	sysreg_write(icc_sgi1r_el1, value);
	isb();
}
