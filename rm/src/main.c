/* main.c - the resource manager's start: check what the hypervisor handed over, report in,
 * run the hypercall self-test, then power the system off. VM building arrives later. */
#include <stdint.h>

#include "bothy_hypercalls.h"
#include "build_info.h"
#include "fdt.h"
#include "platform_config.h"
#include "rm.h"
#include "rm_console.h"
#include "root_boot_info.h"

#define PSCI_SYSTEM_OFF 0x84000008U
#define PSCI_SYSTEM_RESET 0x84000009U

static __attribute__((noreturn)) void
psci_call_noreturn(uint32_t function_id)
{
	bothy_regs_t r = { { function_id } };
	bothy_smccc_call(&r);
	for (;;) { /* only reached if the hypervisor refused */
		__asm__ volatile("wfi");
	}
}

void
rm_trap(uint64_t kind, uint64_t esr, uint64_t far, uint64_t elr)
{
	rm_printf("FATAL: unexpected exception (vector kind %lu) ESR_EL1 0x%lx FAR 0x%lx ELR 0x%lx\n",
		  kind, esr, far, elr);
	/* The RM cannot restart itself: a reset request makes the hypervisor stop the machine
	 * with a failure status instead of hanging. */
	psci_call_noreturn(PSCI_SYSTEM_RESET);
}

static void
run_injection(uint64_t inject)
{
	if (inject == BOTHY_INJECT_RM_HANG) {
		rm_printf("debug.inject=rm-hang: spinning forever with interrupts masked\n");
		for (;;) {
		}
	}
	if (inject == BOTHY_INJECT_RM_FAULT) {
		rm_printf("debug.inject=rm-fault: reading hypervisor memory at 0x%lx\n",
			  (uint64_t)HYP_MEM_BASE);
		(void)*(volatile uint64_t *)(uintptr_t)HYP_MEM_BASE;
		rm_printf("FAIL: read of hypervisor memory did not fault\n");
	}
}

void
rm_main(const root_boot_info_t *info)
{
	if (info->magic != ROOT_BOOT_INFO_MAGIC || info->version != ROOT_BOOT_INFO_VERSION) {
		/* No valid console cap either: all we can do is stop loudly. */
		psci_call_noreturn(PSCI_SYSTEM_RESET);
	}
	rm_console_init(info->console_cap);
	rm_printf("bothy resource manager %s (revision %s)\n", BOTHY_VERSION, BOTHY_REVISION);
	rm_printf("root VM: memory 0x%lx-0x%lx, %u vCPU(s), %u physical CPU(s), DTB at 0x%lx\n",
		  info->mem_base, info->mem_base + info->mem_size, info->vcpu_count,
		  info->cpu_count, info->dtb_ipa);
	run_injection(info->inject);
	unsigned failed = rm_selftest(info);
	if (failed == 0U) {
		rm_printf("powering off\n");
	} else {
		rm_printf("self-test failures: stopping with a failure status\n");
		psci_call_noreturn(PSCI_SYSTEM_RESET);
	}
	psci_call_noreturn(PSCI_SYSTEM_OFF);
}
