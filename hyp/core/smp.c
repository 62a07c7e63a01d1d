/* smp.c - bringing every configured physical CPU online through the board's PSCI firmware.
 * CPUs come up one at a time so a CPU that fails to start is named, never waited on forever. */
#include <stdint.h>

#include "console.h"
#include "cpu.h"
#include "gic.h"
#include "hyp_config.h"
#include "mmu.h"
#include "panic.h"
#include "platform.h"
#include "sched.h"
#include "sysreg.h"
#include "vcpu_context.h"
#include "vgic.h"

#define CPU_ON_TIMEOUT_MS 2000U

extern char secondary_entry[];

static unsigned online_count = 1; /* CPU 0 */

unsigned
smp_online_count(void)
{
	return __atomic_load_n(&online_count, __ATOMIC_ACQUIRE);
}

static void
wait_until_online(unsigned index)
{
	uint64_t freq = sysreg_read(cntfrq_el0);
	uint64_t deadline = sysreg_read(cntpct_el0) + freq * CPU_ON_TIMEOUT_MS / 1000U;
	while (smp_online_count() <= index) {
		if (sysreg_read(cntpct_el0) > deadline) {
			panic("CPU %u did not come online within %u ms", index, CPU_ON_TIMEOUT_MS);
		}
		cpu_relax();
	}
}

void
smp_start_secondaries(void)
{
	for (unsigned i = 1; i < PLATFORM_CPU_COUNT; i++) {
		error_t err = platform_cpu_on(i, (uint64_t)(uintptr_t)secondary_entry, i);
		if (err != OK) {
			panic("PSCI CPU_ON for CPU %u (MPIDR 0x%lx) failed", i, platform_cpu_mpidr(i));
		}
		wait_until_online(i);
	}
}

void
secondary_cpu_main(unsigned index)
{
	mmu_enable_secondary();
	gic_init_cpu();
	vgic_cpu_init();
	vcpu_context_cpu_init();
	sched_cpu_init();
	hyp_log("CPU %u online (MPIDR 0x%lx)", index, sysreg_read(mpidr_el1) & 0xff00ffffffUL);
	__atomic_fetch_add(&online_count, 1U, __ATOMIC_RELEASE);
	sched_start();
}
