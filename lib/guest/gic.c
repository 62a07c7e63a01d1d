/* gic.c - the guest runtime's GICv3 driver: distributor and redistributor set-up over MMIO,
 * the ICC registers, and the C side of the IRQ vector (acknowledge, handler, EOI). */
#include <stdbool.h>
#include <stdint.h>

#include "gic.h"
#include "guest_internal.h"
#include "platform_config.h"

#define GICD_CTLR 0x0000U
#define GICD_TYPER 0x0004U
#define GICD_IGROUPR 0x0080U
#define GICD_ISENABLER 0x0100U
#define GICD_ICENABLER 0x0180U
#define GICD_ISPENDR 0x0200U
#define GICD_ICPENDR 0x0280U
#define GICD_IPRIORITYR 0x0400U
#define GICD_ICFGR 0x0c00U
#define GICD_IROUTER 0x6000U
#define GICD_PIDR2 0xffe8U

#define GICD_CTLR_ENABLE_GRP1NS (1U << 1)
#define GICD_CTLR_ARE_NS (1U << 4)
#define GICD_CTLR_RWP (1U << 31)
#define GICD_TYPER_ITLINES(typer) ((typer) & 0x1fU)
#define GIC_PIDR2_ARCHREV(pidr2) (((pidr2) >> 4) & 0xfU)
#define GIC_ARCHREV_GICV3 3U
#define GIC_ARCHREV_GICV4 4U

/* Redistributor: RD_base frame, then SGI_base (GICv3 without VLPIs: two 64 KiB frames). */
#define GICR_STRIDE 0x20000U
#define GICR_SGI_BASE 0x10000U
#define GICR_TYPER 0x0008U
#define GICR_TYPER_HI 0x000cU /* Affinity_Value: Aff3.Aff2.Aff1.Aff0 */
#define GICR_WAKER 0x0014U
#define GICR_CTLR_RWP (1U << 3)
#define GICR_TYPER_LAST (1U << 4)
#define GICR_WAKER_PROCESSOR_SLEEP (1U << 1)
#define GICR_WAKER_CHILDREN_ASLEEP (1U << 2)

#define ICC_SRE_SRE (1U << 0)
#define ICC_SRE_DFB (1U << 1)
#define ICC_SRE_DIB (1U << 2)
#define ICC_IAR_INTID(v) ((uint32_t)(v) & 0xffffffU)

/* Every interrupt gets this priority; the priority mask lets all of them through. Higher
 * values are lower priorities; 0xa0 sits mid-range, as Linux's default does. */
#define GIC_PRIORITY 0xa0U
#define GIC_PMR_OPEN 0xffU

/* Register-write-pending and wake-up polls: the virtual GIC answers at once, a real one
 * within microseconds; this many reads means it never will. */
#define GIC_POLL_LIMIT 100000U

static uintptr_t redist; /* this vCPU's RD_base frame, once gic_init found it */
static uint32_t intid_limit;
static void (*irq_handler)(uint32_t intid);

/* Single plain loads and stores: an access the hypervisor emulates must be one it can
 * decode from the syndrome (no pairs, no writeback), whatever the compiler would choose. */
static uint32_t
mmio_read(uintptr_t addr)
{
	uint32_t value;
	__asm__ volatile("ldr %w0, [%1]" : "=r"(value) : "r"(addr) : "memory");
	return value;
}

static void
mmio_write(uintptr_t addr, uint32_t value)
{
	__asm__ volatile("str %w0, [%1]" : : "r"(value), "r"(addr) : "memory");
}

static uintptr_t
gicd(uint32_t offset)
{
	return (uintptr_t)PLATFORM_GICD_BASE + offset;
}

/* A bank register of `intid`: SGIs and PPIs live in the redistributor's SGI_base frame
 * (at the distributor's offsets), SPIs in the distributor. */
static uintptr_t
bank(uint32_t offset, uint32_t intid)
{
	return intid < GIC_NR_PRIVATE ? redist + GICR_SGI_BASE + offset : gicd(offset);
}

static bool
poll_clear(uintptr_t addr, uint32_t bits)
{
	for (unsigned i = 0; i < GIC_POLL_LIMIT; i++) {
		if ((mmio_read(addr) & bits) == 0U) {
			return true;
		}
	}
	return false;
}

static uint64_t
mpidr(void)
{
	uint64_t value;
	__asm__ volatile("mrs %0, mpidr_el1" : "=r"(value));
	return value;
}

/* This CPU's affinity as GICR_TYPER and GICD_IROUTER hold it: Aff3 in bits 31:24. */
static uint32_t
affinity(void)
{
	uint64_t m = mpidr();
	return (uint32_t)(m & 0xffffffU) | (uint32_t)(((m >> 32) & 0xffU) << 24);
}

/* Walks the redistributor frames until the one for this CPU; stops at the Last frame,
 * since the space after it need not be a redistributor at all. */
static uintptr_t
find_redistributor(void)
{
	uint32_t me = affinity();
	for (uintptr_t frame = PLATFORM_GICR_BASE;
	     frame < PLATFORM_GICR_BASE + PLATFORM_GICR_SIZE; frame += GICR_STRIDE) {
		if (mmio_read(frame + GICR_TYPER_HI) == me) {
			return frame;
		}
		if ((mmio_read(frame + GICR_TYPER) & GICR_TYPER_LAST) != 0U) {
			break;
		}
	}
	return 0;
}

/* One interrupt per bit (enable, group, pending): bank word and bit of `intid`. */
static uintptr_t
bit_reg(uint32_t offset, uint32_t intid)
{
	return bank(offset, intid) + (intid / 32U) * 4U;
}

static uint32_t
bit_of(uint32_t intid)
{
	return 1U << (intid % 32U);
}

/* Group 1, disabled, GIC_PRIORITY, level-sensitive (SPIs) for the 32 INTIDs from `first`. */
static void
reset_block(uint32_t first)
{
	mmio_write(bit_reg(GICD_ICENABLER, first), ~0U);
	mmio_write(bit_reg(GICD_IGROUPR, first), ~0U);
	for (uint32_t i = 0; i < 32U; i += 4U) {
		mmio_write(bank(GICD_IPRIORITYR, first) + first + i, GIC_PRIORITY * 0x01010101U);
	}
	if (first >= GIC_NR_PRIVATE) {
		mmio_write(gicd(GICD_ICFGR) + first / 4U, 0U);
		mmio_write(gicd(GICD_ICFGR) + first / 4U + 4U, 0U);
	}
}

error_t
gic_init(void)
{
	uint64_t sre = ICC_SRE_SRE | ICC_SRE_DFB | ICC_SRE_DIB;
	__asm__ volatile("msr icc_sre_el1, %0\n\tisb" : : "r"(sre));
	__asm__ volatile("mrs %0, icc_sre_el1" : "=r"(sre));
	uint32_t archrev = GIC_PIDR2_ARCHREV(mmio_read(gicd(GICD_PIDR2)));
	if ((sre & ICC_SRE_SRE) == 0U ||
	    (archrev != GIC_ARCHREV_GICV3 && archrev != GIC_ARCHREV_GICV4)) {
		return ERROR_FAILURE;
	}
	redist = find_redistributor();
	if (redist == 0U) {
		return ERROR_FAILURE;
	}
	intid_limit = (GICD_TYPER_ITLINES(mmio_read(gicd(GICD_TYPER))) + 1U) * 32U;

	/* Everything quiet and in Group 1 before the distributor starts forwarding. */
	mmio_write(gicd(GICD_CTLR), 0U);
	if (!poll_clear(gicd(GICD_CTLR), GICD_CTLR_RWP)) {
		return ERROR_BUSY;
	}
	for (uint32_t first = 0; first < intid_limit; first += 32U) {
		reset_block(first);
	}
	mmio_write(gicd(GICD_CTLR), GICD_CTLR_ARE_NS | GICD_CTLR_ENABLE_GRP1NS);
	if (!poll_clear(gicd(GICD_CTLR), GICD_CTLR_RWP)) {
		return ERROR_BUSY;
	}
	mmio_write(redist + GICR_WAKER,
		   mmio_read(redist + GICR_WAKER) & ~GICR_WAKER_PROCESSOR_SLEEP);
	if (!poll_clear(redist + GICR_WAKER, GICR_WAKER_CHILDREN_ASLEEP)) {
		return ERROR_BUSY;
	}
	__asm__ volatile("msr icc_pmr_el1, %0\n\t"
			 "msr icc_igrpen1_el1, %1\n\t"
			 "isb" : : "r"((uint64_t)GIC_PMR_OPEN), "r"(1UL) : "memory");
	return OK;
}

uint32_t
gic_intid_limit(void)
{
	return intid_limit;
}

error_t
gic_enable(uint32_t intid)
{
	if (intid >= intid_limit) {
		return ERROR_ARGUMENT_INVALID;
	}
	if (intid >= GIC_NR_PRIVATE) {
		/* Routed to this CPU (IRM 0); the upper half holds only Aff3, zero here. */
		mmio_write(gicd(GICD_IROUTER) + intid * 8U, affinity() & 0xffffffU);
	}
	mmio_write(bit_reg(GICD_ISENABLER, intid), bit_of(intid));
	return OK;
}

error_t
gic_disable(uint32_t intid)
{
	if (intid >= intid_limit) {
		return ERROR_ARGUMENT_INVALID;
	}
	mmio_write(bit_reg(GICD_ICENABLER, intid), bit_of(intid));
	if (intid < GIC_NR_PRIVATE) {
		return poll_clear(redist, GICR_CTLR_RWP) ? OK : ERROR_BUSY; /* GICR_CTLR at 0 */
	}
	return poll_clear(gicd(GICD_CTLR), GICD_CTLR_RWP) ? OK : ERROR_BUSY;
}

error_t
gic_set_edge(uint32_t intid, bool edge)
{
	if (intid < GIC_NR_PRIVATE || intid >= intid_limit) {
		return ERROR_ARGUMENT_INVALID;
	}
	/* Two bits per INTID, of which the upper one says "edge". */
	uintptr_t reg = gicd(GICD_ICFGR) + (intid / 16U) * 4U;
	uint32_t bit = 2U << (2U * (intid % 16U));
	uint32_t value = mmio_read(reg);
	mmio_write(reg, edge ? value | bit : value & ~bit);
	return OK;
}

bool
gic_is_pending(uint32_t intid)
{
	if (intid >= intid_limit) {
		return false;
	}
	return (mmio_read(bit_reg(GICD_ISPENDR, intid)) & bit_of(intid)) != 0U;
}

error_t
gic_clear_pending(uint32_t intid)
{
	if (intid >= intid_limit) {
		return ERROR_ARGUMENT_INVALID;
	}
	mmio_write(bit_reg(GICD_ICPENDR, intid), bit_of(intid));
	return OK;
}

uint32_t
gic_ack(void)
{
	uint64_t iar;
	__asm__ volatile("mrs %0, icc_iar1_el1" : "=r"(iar) : : "memory");
	return ICC_IAR_INTID(iar);
}

void
gic_eoi(uint32_t intid)
{
	__asm__ volatile("msr icc_eoir1_el1, %0\n\tisb" : : "r"((uint64_t)intid) : "memory");
}

uint32_t
gic_wait(void)
{
	__asm__ volatile("dsb sy\n\twfi" : : : "memory");
	return gic_ack();
}

void
gic_set_handler(void (*handler)(uint32_t intid))
{
	__atomic_store_n(&irq_handler, handler, __ATOMIC_RELEASE);
	if (handler != NULL) {
		__asm__ volatile("msr daifclr, #2" : : : "memory");
	} else {
		__asm__ volatile("msr daifset, #2" : : : "memory");
	}
}

void
guest_irq(void)
{
	void (*handler)(uint32_t) = __atomic_load_n(&irq_handler, __ATOMIC_ACQUIRE);
	for (;;) {
		uint32_t intid = gic_ack();
		if (intid >= GIC_INTID_SPECIAL) {
			return;
		}
		if (handler != NULL) {
			handler(intid);
		}
		gic_eoi(intid);
	}
}
