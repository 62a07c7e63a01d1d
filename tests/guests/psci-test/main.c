/* main.c - the PSCI power test guest: vCPU 0 switches vCPU 1 off and on again many times,
 * each CPU_ON as soon as AFFINITY_INFO says OFF, and checks what every new start found. */
#include <stdint.h>

#include "bothy_hypercalls.h"
#include "check.h"
#include "guest.h"
#include "platform_config.h"

#include "psci_test.h"

#define PREFIX "psci-test"
#define SECONDARY_MPIDR 1U
#define AFFINITY_OFF 1U
#define CPACR_FPEN (3UL << 20)
#define START_SPINS 100000000UL /* polls of psci_seen.entries before a start counts as lost */

volatile psci_seen_t psci_seen;

void psci_secondary_entry(void);

static int64_t
psci(uint64_t function, uint64_t a1, uint64_t a2, uint64_t a3)
{
	bothy_regs_t r = { { function, a1, a2, a3 } };
	bothy_smccc_call(&r);
	return (int64_t)r.x[0];
}

void
guest_main(const root_boot_info_t *info)
{
	(void)info;
	check_begin(PREFIX);
	uint64_t cycles = BOTHY_TEST_ITERATIONS;
	uint64_t refused = 0, lost = 0, bad_x0 = 0, bad_tpidr = 0, bad_cpacr = 0, bad_fp = 0;
	uint64_t polls = 0;
	uint64_t entry = (uint64_t)(uintptr_t)&psci_secondary_entry;
	for (uint64_t i = 1; i <= cycles; i++) {
		uint64_t before = psci_seen.entries;
		/* The context_id differs every cycle, and from the 0 a stale frame would hold. */
		uint64_t context = 0x5ec0000000000000UL | i;
		int64_t ret = psci(PSCI_CPU_ON_ID, SECONDARY_MPIDR, entry, context);
		if (ret != PSCI_RETURN_SUCCESS) {
			if (refused++ == 0U) {
				guest_printf("%s: cycle %lu: CPU_ON after AFFINITY_INFO said OFF: %ld\n",
					     PREFIX, i, ret);
			}
			continue;
		}
		uint64_t spins = 0;
		while (psci_seen.entries == before && ++spins < START_SPINS) {
		}
		if (spins == START_SPINS) {
			lost++;
			guest_printf("%s: cycle %lu: vCPU 1 never started\n", PREFIX, i);
			break;
		}
		__asm__ volatile("dmb sy" ::: "memory");
		uint64_t x0 = psci_seen.x0, tpidr = psci_seen.tpidr_el1;
		uint64_t cpacr = psci_seen.cpacr_el1, d0 = psci_seen.d0;
		if (x0 != context || tpidr != 0U || (cpacr & CPACR_FPEN) != 0U || d0 != 0U) {
			if (bad_x0 + bad_tpidr + bad_cpacr + bad_fp == 0U) {
				guest_printf("%s: cycle %lu: new vCPU found x0 0x%lx (want 0x%lx), "
					     "TPIDR_EL1 0x%lx, CPACR_EL1 0x%lx, d0 0x%lx\n",
					     PREFIX, i, x0, context, tpidr, cpacr, d0);
			}
			bad_x0 += x0 != context ? 1U : 0U;
			bad_tpidr += tpidr != 0U ? 1U : 0U;
			bad_cpacr += (cpacr & CPACR_FPEN) != 0U ? 1U : 0U;
			bad_fp += d0 != 0U ? 1U : 0U;
		}
		while (psci(PSCI_AFFINITY_INFO_ID, SECONDARY_MPIDR, 0, 0) != AFFINITY_OFF) {
			polls++;
		}
	}
	guest_printf("%s: %lu OFF/ON cycles: %lu CPU_ON refused, %lu starts lost, x0 wrong %lu, "
		     "TPIDR_EL1 stale %lu, CPACR_EL1 stale %lu, d0 stale %lu; %lu AFFINITY_INFO ON "
		     "answers\n",
		     PREFIX, cycles, refused, lost, bad_x0, bad_tpidr, bad_cpacr, bad_fp, polls);
	check_value("CPU_ON refused after AFFINITY_INFO OFF", refused, 0);
	check_value("vCPU 1 starts lost", lost, 0);
	check_value("new vCPU x0 not the context_id", bad_x0, 0);
	check_value("new vCPU TPIDR_EL1 not 0", bad_tpidr, 0);
	check_value("new vCPU CPACR_EL1.FPEN not 0", bad_cpacr, 0);
	check_value("new vCPU d0 not 0", bad_fp, 0);
	if (check_end() != 0U) {
		guest_fail("psci-test FAILED");
	}
}
