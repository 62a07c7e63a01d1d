/* runtime.c - from the boot information to guest_main, and the ways a guest program ends:
 * power off, or fail loudly (never a silent hang). */
#include <stdint.h>

#include "bothy_hypercalls.h"
#include "guest.h"
#include "guest_internal.h"

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
guest_power_off(void)
{
	psci_call_noreturn(PSCI_SYSTEM_OFF);
}

void
guest_fail(const char *why)
{
	guest_printf("FATAL: %s\n", why);
	psci_call_noreturn(PSCI_SYSTEM_RESET);
}

void
guest_trap(uint64_t kind, uint64_t esr, uint64_t far, uint64_t elr)
{
	guest_printf("FATAL: unexpected exception (vector kind %lu) ESR_EL1 0x%lx FAR 0x%lx "
		     "ELR 0x%lx\n",
		     kind, esr, far, elr);
	psci_call_noreturn(PSCI_SYSTEM_RESET);
}

void
guest_entry(const root_boot_info_t *info)
{
	if (info->magic != ROOT_BOOT_INFO_MAGIC || info->version != ROOT_BOOT_INFO_VERSION) {
		/* No valid console cap either: all that is left is to stop loudly. */
		psci_call_noreturn(PSCI_SYSTEM_RESET);
	}
	guest_console_init(info->console_cap);
	guest_main(info);
	guest_power_off();
}
