/* esr.c - turns ESR_ELx values into the names the Arm ARM gives them.
 * Covers the classes a hypervisor meets in practice; anything else prints as "other". */
#include <stdint.h>

#include "console.h"
#include "esr.h"

const char *
esr_class_name(uint64_t esr)
{
	switch (ESR_EC(esr)) {
	case ESR_EC_UNKNOWN: return "unknown reason (undefined instruction)";
	case ESR_EC_WFX: return "WFI/WFE";
	case ESR_EC_FP: return "FP/SIMD access trapped";
	case 0x0eU: return "illegal execution state";
	case 0x15U: return "SVC from AArch64";
	case ESR_EC_HVC64: return "HVC from AArch64";
	case ESR_EC_SMC64: return "SMC from AArch64";
	case ESR_EC_SYSREG: return "MSR/MRS/system instruction trapped";
	case ESR_EC_SVE: return "SVE access trapped";
	case 0x1dU: return "SME access trapped";
	case ESR_EC_IABT_LOWER: return "instruction abort from a lower EL";
	case ESR_EC_IABT_CUR: return "instruction abort from the same EL";
	case 0x22U: return "PC alignment fault";
	case ESR_EC_DABT_LOWER: return "data abort from a lower EL";
	case ESR_EC_DABT_CUR: return "data abort from the same EL";
	case 0x26U: return "SP alignment fault";
	case 0x2cU: return "floating-point exception";
	case 0x2fU: return "SError";
	case 0x30U: case 0x31U: return "breakpoint";
	case 0x32U: case 0x33U: return "software step";
	case 0x34U: case 0x35U: return "watchpoint";
	case 0x3cU: return "BRK instruction";
	default: return "other";
	}
}

const char *
esr_fault_status_name(uint64_t esr)
{
	uint64_t fsc = esr & 0x3fU;
	switch (fsc & 0x3cU) {
	case 0x00U: return "address size fault";
	case 0x04U: return "translation fault";
	case 0x08U: return "access flag fault";
	case 0x0cU: return "permission fault";
	default: break;
	}
	switch (fsc) {
	case 0x10U: return "synchronous external abort";
	case 0x21U: return "alignment fault";
	case 0x30U: return "TLB conflict abort";
	default: return "other fault";
	}
}

void
esr_print(const char *reg_name, uint64_t esr)
{
	uint64_t ec = ESR_EC(esr);
	console_panic_printf("  %s 0x%08lx: EC 0x%02lx %s", reg_name, esr, ec, esr_class_name(esr));
	if (ec == ESR_EC_DABT_LOWER || ec == ESR_EC_DABT_CUR || ec == ESR_EC_IABT_LOWER ||
	    ec == ESR_EC_IABT_CUR) {
		uint64_t fsc = esr & 0x3fU;
		console_panic_printf("; %s", esr_fault_status_name(esr));
		if (fsc < 0x10U) {
			console_panic_printf(", level %lu", fsc & 3U);
		}
		if (ec == ESR_EC_DABT_LOWER || ec == ESR_EC_DABT_CUR) {
			console_panic_printf(", %s", ((esr >> 6) & 1U) != 0U ? "write" : "read");
		}
	}
	console_panic_puts("\n");
}
