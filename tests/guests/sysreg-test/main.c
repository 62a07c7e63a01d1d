/* main.c - the system register isolation test guest: two VMs on one CPU, each leaving its
 * own values in registers the hypervisor must switch and probing those it must trap. */
#include <stdbool.h>
#include <stdint.h>

#include "bothy_hypercalls.h"
#include "check.h"
#include "guest.h"
#include "rm_rpc_abi.h"
#include "vdevice.h"

#define PREFIX "sysreg-test"
#define ROUNDS 200U
#define EC_UNKNOWN 0x00U
#define LINGER_MS 200U /* the primary waits that long for the other VM to finish */

#define PROBE(name)                                                                       \
	uint64_t probe_read_##name(uint64_t *esr);                                        \
	uint64_t probe_write_##name(uint64_t value);
PROBE(tpidr2)
PROBE(lorc)
PROBE(lorid)
PROBE(disr)
PROBE(errselr)
PROBE(amcr)
PROBE(pmscr)

typedef struct {
	const char *name;
	uint64_t (*read)(uint64_t *esr);
	uint64_t (*write)(uint64_t value);
	bool writable; /* probe a write too */
} probed_t;

/* Registers of features bothy hides that a guest can still reach (nothing traps them
 * without fine-grained traps): switched, so each VM keeps its own value. DISR_EL1 is
 * VDISR_EL2 for a guest (HCR_EL2.AMO), an EL2 register. */
static const probed_t SWITCHED[] = {
	{ "TPIDR2_EL0", probe_read_tpidr2, probe_write_tpidr2, true },
	{ "DISR_EL1", probe_read_disr, probe_write_disr, true },
};
#define SWITCHED_COUNT (sizeof(SWITCHED) / sizeof(SWITCHED[0]))

/* Registers of hidden features that trap or do not exist: every access must be UNDEFINED
 * in the guest (EC 0), whether the CPU lacks the register or the hypervisor traps it and
 * injects the UNDEF. */
static const probed_t TRAPPED[] = {
	{ "LORC_EL1", probe_read_lorc, probe_write_lorc, true },
	{ "LORID_EL1", probe_read_lorid, probe_write_lorid, false },
	{ "ERRSELR_EL1", probe_read_errselr, probe_write_errselr, true },
	{ "AMCR_EL0", probe_read_amcr, probe_write_amcr, false },
	{ "PMSCR_EL1", probe_read_pmscr, probe_write_pmscr, true },
};

static void
probe_undefined(const probed_t *t, uint64_t value, uint64_t *undefined)
{
	uint64_t esr;
	uint64_t got = t->read(&esr);
	guest_printf("%s: %s read: ESR_EL1 0x%lx, value 0x%lx\n", PREFIX, t->name, esr, got);
	if (esr != 0U && (esr >> 26) == EC_UNKNOWN) {
		(*undefined)++;
	}
	if (t->writable) {
		esr = t->write(value);
		guest_printf("%s: %s write: ESR_EL1 0x%lx\n", PREFIX, t->name, esr);
		if (esr != 0U && (esr >> 26) == EC_UNKNOWN) {
			(*undefined)++;
		}
	}
}

static void
linger(void)
{
	uint64_t freq, start, now;
	__asm__ volatile("mrs %0, cntfrq_el0\n\tmrs %1, cntvct_el0" : "=r"(freq), "=r"(start));
	do {
		(void)bothy_scheduler_yield(0, 0);
		__asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(now));
	} while (now - start < freq / 1000U * LINGER_MS);
}

void
guest_main(const root_boot_info_t *info)
{
	(void)info;
	check_begin(PREFIX);
	uint16_t vmid;
	if (guest_is_root_vm() || vdevice_own_vmid(&vmid) != OK) {
		guest_fail("sysreg-test runs in VMs the RM builds");
	}
	uint64_t mine = 0x7e57000000000000UL | ((uint64_t)vmid << 16);

	/* Switched: each must start at its reset value 0 and keep this VM's value however
	 * often the other VM runs on this CPU in between. */
	uint64_t want[SWITCHED_COUNT] = { mine | 2U, 0x80000000UL | vmid };
	uint64_t first[SWITCHED_COUNT], foreign[SWITCHED_COUNT] = { 0 };
	bool present[SWITCHED_COUNT];
	for (unsigned r = 0; r < SWITCHED_COUNT; r++) {
		uint64_t esr;
		first[r] = SWITCHED[r].read(&esr);
		present[r] = esr == 0U;
		if (!present[r]) {
			guest_printf("%s: %s not accessible (ESR_EL1 0x%lx): not checked\n", PREFIX,
				     SWITCHED[r].name, esr);
		}
	}
	for (unsigned i = 0; i < ROUNDS; i++) {
		for (unsigned r = 0; r < SWITCHED_COUNT; r++) {
			if (present[r]) {
				(void)SWITCHED[r].write(want[r]);
			}
		}
		(void)bothy_scheduler_yield(0, 0);
		for (unsigned r = 0; r < SWITCHED_COUNT; r++) {
			uint64_t esr;
			uint64_t now = present[r] ? SWITCHED[r].read(&esr) : want[r];
			if (now != want[r] && foreign[r]++ == 0U) {
				guest_printf("%s: round %u: %s 0x%lx, not this VM's 0x%lx\n", PREFIX, i,
					     SWITCHED[r].name, now, want[r]);
			}
		}
	}

	/* Trapped: each access UNDEFINED. */
	uint64_t undefined = 0, accesses = 0;
	for (unsigned i = 0; i < sizeof(TRAPPED) / sizeof(TRAPPED[0]); i++) {
		accesses += TRAPPED[i].writable ? 2U : 1U;
		probe_undefined(&TRAPPED[i], mine | 0x80000000UL, &undefined);
	}

	/* The primary VM's console is its raw serial stream, which other VMs' lines break up:
	 * it reports once the other VM is done (it runs on this CPU), which yielding for a
	 * while lets it be. */
	if (vmid == RM_VMID_HLOS) {
		linger();
	}
	/* Kept under the hypervisor's line length for VM consoles. */
	guest_printf("%s: VM 0x%x: TPIDR2_EL0 0x%lx, %lu/%u foreign; DISR_EL1 0x%lx, %lu/%u "
		     "foreign; %lu/%lu UNDEFINED\n",
		     PREFIX, vmid, first[0], foreign[0], ROUNDS, first[1], foreign[1], ROUNDS,
		     undefined, accesses);
	check_value("TPIDR2_EL0 at start", first[0], 0);
	check_value("TPIDR2_EL0 rounds with another VM's value", foreign[0], 0);
	check_value("DISR_EL1 at start", first[1], 0);
	check_value("DISR_EL1 rounds with another VM's value", foreign[1], 0);
	check_value("accesses to hidden registers UNDEFINED", undefined, accesses);
	if (check_end() != 0U) {
		guest_fail("sysreg-test FAILED");
	}
}
