/* runtime.c - from the boot information (root VM) or the device tree (any other VM) to
 * guest_main, and the ways a guest program ends: power off, or fail loudly (never a hang). */
#include <stdint.h>

#include "bothy_hypercalls.h"
#include "fdt.h"
#include "guest.h"
#include "guest_internal.h"


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
	psci_call_noreturn(PSCI_FUNCTION_SYSTEM_OFF);
}

static const void *dtb;
static size_t dtb_size;
static bool root_vm;

/* A failing program must stop where a test sees it (the FATAL line before this). The root
 * VM asks for a reset, which ends the machine with a failure status. Any other VM's reset
 * would only restart it, so it powers off. (An access to unmapped memory no longer stops a
 * VM: the hypervisor injects an abort into it.) */
static __attribute__((noreturn)) void
stop_failed(void)
{
	if (!root_vm) {
		psci_call_noreturn(PSCI_FUNCTION_SYSTEM_OFF);
	}
	psci_call_noreturn(PSCI_FUNCTION_SYSTEM_RESET);
}

void
guest_fail(const char *why)
{
	guest_printf("FATAL: %s\n", why);
	stop_failed();
}

void
guest_trap(uint64_t kind, uint64_t esr, uint64_t far, uint64_t elr)
{
	guest_printf("FATAL: unexpected exception (vector kind %lu) ESR_EL1 0x%lx FAR 0x%lx "
		     "ELR 0x%lx\n",
		     kind, esr, far, elr);
	stop_failed();
}

const void *
guest_dtb(size_t *size)
{
	*size = dtb_size;
	return dtb;
}

bool
guest_is_root_vm(void)
{
	return root_vm;
}

void
guest_entry(uint64_t x0)
{
	const void *arg = (const void *)(uintptr_t)x0;
	size_t size = fdt_total_size(arg, GUEST_DTB_MAX_SIZE);
	if (size != 0U) {
		/* A VM the RM built: x0 is its device tree (Linux's boot protocol). */
		dtb = arg;
		dtb_size = size;
		guest_console_init_uart();
		guest_main(NULL);
		guest_power_off();
	}
	const root_boot_info_t *info = arg;
	if (info->magic != ROOT_BOOT_INFO_MAGIC || info->version != ROOT_BOOT_INFO_VERSION) {
		/* No valid console cap either: all that is left is to stop loudly. */
		psci_call_noreturn(PSCI_FUNCTION_SYSTEM_RESET);
	}
	root_vm = true;
	dtb = (const void *)(uintptr_t)info->dtb_ipa;
	dtb_size = info->dtb_size;
	guest_console_init(info->console_cap);
	guest_main(info);
	guest_power_off();
}
