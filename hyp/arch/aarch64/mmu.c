/* mmu.c - EL2 stage-1 translation: what the hypervisor can touch, and how.
 * Text is read-only+executable, everything writable is execute-never (SCTLR_EL2.WXN too). */
#include <stdint.h>

#include "hyp_config.h"
#include "mmu.h"
#include "panic.h"
#include "pgtable.h"
#include "sysreg.h"

/* MAIR_EL2 slots */
#define MAIR_DEVICE_nGnRE 0U
#define MAIR_NORMAL_WB 1U
#define MAIR_VALUE ((0x04UL << (8 * MAIR_DEVICE_nGnRE)) | (0xffUL << (8 * MAIR_NORMAL_WB)))

#define ATTR_NORMAL (PTE_S1_ATTR(MAIR_NORMAL_WB) | PTE_SH_INNER | PTE_S1_RES1_AP1)
#define ATTR_TEXT (ATTR_NORMAL | PTE_S1_RO)
#define ATTR_RODATA (ATTR_NORMAL | PTE_S1_RO | PTE_XN)
#define ATTR_DATA (ATTR_NORMAL | PTE_XN)
#define ATTR_DEVICE (PTE_S1_ATTR(MAIR_DEVICE_nGnRE) | PTE_S1_RES1_AP1 | PTE_XN)

#define TCR_T0SZ (64UL - PGTABLE_VA_BITS)
#define TCR_WALK_CACHED ((1UL << 8) | (1UL << 10) | (3UL << 12)) /* IRGN0, ORGN0 WB; SH0 */
#define TCR_EL2_RES1 ((1UL << 31) | (1UL << 23))

#define SCTLR_EL2_RES1 0x30c50830UL
#define SCTLR_M (1UL << 0)
#define SCTLR_C (1UL << 2)
#define SCTLR_SA (1UL << 3)
#define SCTLR_I (1UL << 12)
#define SCTLR_WXN (1UL << 19)

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[], __hyp_image_end[];
extern char hyp_stacks[], hyp_emergency_stacks[];

static pgtable_t hyp_pgtable;
static uint64_t hyp_tcr;

unsigned
mmu_pa_size_field(void)
{
	unsigned parange = (unsigned)(sysreg_read(id_aa64mmfr0_el1) & 0xfU);
	return parange > 5U ? 5U : parange; /* 5 = 48 bits; bothy never needs 52 */
}

static void
map_or_panic(uint64_t base, uint64_t end, uint64_t attrs, const char *what)
{
	error_t err = pgtable_map(&hyp_pgtable, base, base, end - base, attrs, true);
	if (err != OK) {
		panic("cannot map %s [0x%lx, 0x%lx): error %d", what, base, end, (int)err);
	}
}

static void
mmu_enable(void)
{
	sysreg_write(mair_el2, MAIR_VALUE);
	sysreg_write(tcr_el2, hyp_tcr);
	sysreg_write(ttbr0_el2, pgtable_root_pa(&hyp_pgtable));
	dsb_ish();
	__asm__ volatile("tlbi alle2" ::: "memory");
	dsb_ish();
	isb();
	sysreg_write(sctlr_el2, SCTLR_EL2_RES1 | SCTLR_M | SCTLR_C | SCTLR_SA | SCTLR_I | SCTLR_WXN);
	isb();
}

void
mmu_init_boot_cpu(void)
{
	if (pgtable_init(&hyp_pgtable) != OK) {
		panic("no memory for the EL2 page tables");
	}
	uint64_t text = (uint64_t)(uintptr_t)__text_start;
	uint64_t rodata = (uint64_t)(uintptr_t)__rodata_start;
	uint64_t data = (uint64_t)(uintptr_t)__data_start;
	uint64_t data_end = (uint64_t)(uintptr_t)__data_end;
	map_or_panic(text, (uint64_t)(uintptr_t)__text_end, ATTR_TEXT, "hypervisor text");
	map_or_panic(rodata, (uint64_t)(uintptr_t)__rodata_end, ATTR_RODATA, "hypervisor rodata");
	map_or_panic(data, data_end, ATTR_DATA, "hypervisor data");
	/* Each CPU's stack, leaving the guard page below it unmapped so an overflow faults. */
	uint64_t stacks = (uint64_t)(uintptr_t)hyp_stacks;
	for (uint64_t cpu = 0; cpu < PLATFORM_CPU_COUNT; cpu++) {
		uint64_t stack = stacks + cpu * HYP_STACK_STRIDE + HYP_STACK_GUARD;
		map_or_panic(stack, stack + HYP_STACK_SIZE, ATTR_DATA, "CPU stack");
	}
	uint64_t emergency = (uint64_t)(uintptr_t)hyp_emergency_stacks;
	map_or_panic(emergency, emergency + PLATFORM_CPU_COUNT * HYP_EMERGENCY_STACK_SIZE,
		     ATTR_DATA, "emergency stacks");
	/* The heap and all RAM outside the hypervisor: data only, so guest memory is never
	 * executable at EL2 and hypervisor text has no writable alias. */
	map_or_panic((uint64_t)(uintptr_t)__hyp_image_end, HYP_MEM_BASE + HYP_MEM_SIZE, ATTR_DATA,
		     "hypervisor heap");
	map_or_panic(PLATFORM_RAM_BASE, HYP_MEM_BASE, ATTR_DATA, "RAM below the hypervisor");
	map_or_panic(HYP_MEM_BASE + HYP_MEM_SIZE, PLATFORM_RAM_BASE + PLATFORM_RAM_SIZE, ATTR_DATA,
		     "RAM above the hypervisor");
	map_or_panic(PLATFORM_UART_BASE, PLATFORM_UART_BASE + PLATFORM_UART_SIZE, ATTR_DEVICE,
		     "UART");
	map_or_panic(PLATFORM_GICD_BASE, PLATFORM_GICD_BASE + PLATFORM_GICD_SIZE, ATTR_DEVICE,
		     "GIC distributor");
	map_or_panic(PLATFORM_GICR_BASE, PLATFORM_GICR_BASE + PLATFORM_GICR_SIZE, ATTR_DEVICE,
		     "GIC redistributors");
	hyp_tcr = TCR_EL2_RES1 | TCR_T0SZ | TCR_WALK_CACHED |
		  ((uint64_t)mmu_pa_size_field() << 16);
	dsb_sy(); /* tables written with the MMU off must be visible to the walker */
	mmu_enable();
}

void
mmu_enable_secondary(void)
{
	mmu_enable();
}
