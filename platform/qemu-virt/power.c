/* power.c - CPU and machine power on QEMU virt: PSCI over SMC to QEMU's built-in firmware,
 * and semihosting SYS_EXIT for failure exits, the only way to give QEMU a non-zero status. */
#include <stdint.h>

#include "platform.h"
#include "platform_config.h"

#define PSCI_CPU_ON_64 0xc4000003U
#define PSCI_SYSTEM_OFF 0x84000008U
#define PSCI_SUCCESS 0
#define PSCI_ALREADY_ON (-4)

#define SEMIHOSTING_SYS_EXIT 0x18U
#define ADP_STOPPED_APPLICATION_EXIT 0x20026U

static int64_t
firmware_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t x0 __asm__("x0") = fn;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;
	__asm__ volatile("smc #0"
			 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
			 :
			 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12",
			   "x13", "x14", "x15", "x16", "x17", "memory");
	return (int64_t)x0;
}

uint64_t
platform_cpu_mpidr(unsigned index)
{
	/* QEMU virt with GICv3 numbers CPUs in clusters of 16: Aff0 = index % 16. */
	return ((uint64_t)(index / 16U) << 8) | (index % 16U);
}

error_t
platform_cpu_on(unsigned index, uint64_t entry, uint64_t context)
{
	int64_t ret = firmware_call(PSCI_CPU_ON_64, platform_cpu_mpidr(index), entry, context);
	if (ret == PSCI_SUCCESS || ret == PSCI_ALREADY_ON) {
		return OK;
	}
	return ERROR_FAILURE;
}

void
platform_system_off(void)
{
	(void)firmware_call(PSCI_SYSTEM_OFF, 0, 0, 0);
	for (;;) { /* PSCI SYSTEM_OFF does not return; this only satisfies noreturn */
		__asm__ volatile("wfi");
	}
}

void
platform_exit_failure(unsigned status)
{
	uint64_t block[2] = { ADP_STOPPED_APPLICATION_EXIT, status != 0U ? status : 1U };
	register uint64_t x0 __asm__("x0") = SEMIHOSTING_SYS_EXIT;
	register uint64_t x1 __asm__("x1") = (uint64_t)(uintptr_t)block;
	/* Needs QEMU's -semihosting-config enable=on,target=native (bothy's runner passes it). */
	__asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
	for (;;) {
		__asm__ volatile("wfi");
	}
}
