/* main.c - the hypervisor's boot sequence on CPU 0, from MMU to the scheduler.
 * Order matters: MMU before locks and output, GIC before CPUs, all CPUs online before any VM runs. */
#include <stdint.h>

#include "build_info.h"
#include "console.h"
#include "cpu.h"
#include "gic.h"
#include "hyp_config.h"
#include "mmu.h"
#include "platform.h"
#include "sched.h"
#include "sysreg.h"
#include "vcpu_context.h"
#include "vgic.h"
#include "vm.h"

#if BOTHY_INJECT == BOTHY_INJECT_HYP_STACK_OVERFLOW
static volatile unsigned recursion_limit = ~0U;

/* Test-only: recurse until the stack runs into its guard page. */
static unsigned
recurse(unsigned depth)
{
	volatile char frame[256];
	frame[0] = (char)depth;
	return depth < recursion_limit ? recurse(depth + 1U) + (unsigned)frame[0] : 0U;
}
#endif

void
boot_cpu_main(void)
{
	mmu_init_boot_cpu();
	hyp_log("bothy hypervisor %s (revision %s, config %s)", BOTHY_VERSION, BOTHY_REVISION,
		BOTHY_CONFIG_NAME);
	hyp_log("EL2 MMU on: text R-X, rodata R--, data RW- (W^X, WXN set)");
	hyp_log("CPU 0 online (MPIDR 0x%lx)", sysreg_read(mpidr_el1) & 0xff00ffffffUL);
	gic_init_distributor();
	gic_init_cpu();
	vgic_cpu_init();
	vcpu_context_cpu_init();
	sched_cpu_init();
	smp_start_secondaries();
	hyp_log("all %u CPUs online", smp_online_count());
#if BOTHY_INJECT == BOTHY_INJECT_HYP_PANIC
	/* Test-only (config debug.inject: hyp-panic): prove the panic path end to end with a
	 * real EL2 data abort on an address the hypervisor never maps. */
	hyp_log("debug.inject=hyp-panic: reading unmapped address 0x8 at EL2");
	(void)*(volatile uint64_t *)(uintptr_t)0x8U;
#endif
#if BOTHY_INJECT == BOTHY_INJECT_HYP_STACK_OVERFLOW
	hyp_log("debug.inject=hyp-stack-overflow: recursing at EL2");
	(void)recurse(0);
#endif
	root_vm_create();
	/* Serial input goes to the primary VM's console once it exists (vuart.c). */
	gic_enable_spi(PLATFORM_UART_IRQ, 0);
	platform_uart_rx_enable();
	sched_start();
}
