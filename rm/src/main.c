/* main.c - the resource manager's start: report what the hypervisor handed over, run the
 * hypercall self-test, then return (the runtime powers off). VM building arrives later. */
#include <stdint.h>

#include "bothy_hypercalls.h"
#include "build_info.h"
#include "fdt.h"
#include "platform_config.h"
#include "guest.h"
#include "rm.h"
#include "root_boot_info.h"

static void
run_injection(uint64_t inject)
{
	if (inject == BOTHY_INJECT_RM_HANG) {
		guest_printf("debug.inject=rm-hang: spinning forever with interrupts masked\n");
		for (;;) {
		}
	}
	if (inject == BOTHY_INJECT_RM_FAULT) {
		guest_printf("debug.inject=rm-fault: reading hypervisor memory at 0x%lx\n",
			  (uint64_t)HYP_MEM_BASE);
		(void)*(volatile uint64_t *)(uintptr_t)HYP_MEM_BASE;
		guest_printf("FAIL: read of hypervisor memory did not fault\n");
	}
}

void
guest_main(const root_boot_info_t *info)
{
	guest_printf("bothy resource manager %s (revision %s)\n", BOTHY_VERSION, BOTHY_REVISION);
	guest_printf("root VM: memory 0x%lx-0x%lx, %u vCPU(s), %u physical CPU(s), DTB at 0x%lx\n",
		  info->mem_base, info->mem_base + info->mem_size, info->vcpu_count,
		  info->cpu_count, info->dtb_ipa);
	run_injection(info->inject);
	if (rm_selftest(info) != 0U) {
		guest_fail("self-test failures: stopping with a failure status");
	}
	guest_printf("powering off\n");
}
