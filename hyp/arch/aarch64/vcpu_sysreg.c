/* vcpu_sysreg.c - system register accesses a guest makes that trap to EL2 (ESR EC 0x18):
 * the CPU features guests see (ID registers), the emulated EL1 physical timer, PMU and debug. */
#include <stdbool.h>
#include <stdint.h>

#include "hyp_config.h"
#include "sched.h"
#include "sysreg.h"
#include "vcpu_sysreg.h"
#include "vgic.h"

/* ISS of a trapped MSR/MRS: Op0[21:20] Op2[19:17] Op1[16:14] CRn[13:10] Rt[9:5] CRm[4:1]
 * Direction[0] (1 = read). SYSREG() builds the same key from an encoding. */
#define SYSREG_KEY_MASK 0x3ffc1eU
#define SYSREG(op0, op1, crn, crm, op2)                                                   \
	(((uint32_t)(op0) << 20) | ((uint32_t)(op2) << 17) | ((uint32_t)(op1) << 14) |    \
	 ((uint32_t)(crn) << 10) | ((uint32_t)(crm) << 1))

#define CNTP_TVAL SYSREG(3, 3, 14, 2, 0)
#define CNTP_CTL SYSREG(3, 3, 14, 2, 1)
#define CNTP_CVAL SYSREG(3, 3, 14, 2, 2)
#define ACTLR_EL1 SYSREG(3, 0, 1, 0, 1)
#define MDSCR_EL1 SYSREG(2, 0, 0, 2, 2)
#define OSLSR_EL1 SYSREG(2, 0, 1, 1, 4)

#define CNT_CTL_ENABLE 1UL
#define CNT_CTL_IMASK 2UL
#define CNT_CTL_ISTATUS 4UL

static uint64_t
field_clear(uint64_t value, unsigned shift)
{
	return value & ~(0xfUL << shift);
}

static uint64_t
field_set(uint64_t value, unsigned shift, uint64_t field)
{
	return field_clear(value, shift) | (field << shift);
}

#define ID_CASE(crm, op2)                                                                 \
	case ((crm) << 3 | (op2)):                                                        \
		return sysreg_read(S3_0_C0_C##crm##_##op2);

static uint64_t
host_id_register(unsigned crm, unsigned op2)
{
	switch (crm << 3 | op2) {
	ID_CASE(1, 0) ID_CASE(1, 1) ID_CASE(1, 2) ID_CASE(1, 3)
	ID_CASE(1, 4) ID_CASE(1, 5) ID_CASE(1, 6) ID_CASE(1, 7)
	ID_CASE(2, 0) ID_CASE(2, 1) ID_CASE(2, 2) ID_CASE(2, 3)
	ID_CASE(2, 4) ID_CASE(2, 5) ID_CASE(2, 6) ID_CASE(2, 7)
	ID_CASE(3, 0) ID_CASE(3, 1) ID_CASE(3, 2) ID_CASE(3, 4) ID_CASE(3, 5) ID_CASE(3, 6)
	ID_CASE(4, 0) ID_CASE(4, 1) ID_CASE(5, 0) ID_CASE(5, 1)
	ID_CASE(6, 0) ID_CASE(6, 1) ID_CASE(6, 2)
	ID_CASE(7, 0) ID_CASE(7, 1) ID_CASE(7, 2)
	default:
		return 0; /* reserved ID space reads as zero */
	}
}

/* What a guest sees of the CPU: the host's features minus everything bothy does not
 * context-switch or virtualise. Documented in docs/vms.md; keep the two in step. */
static uint64_t
guest_id_register(const vcpu_t *vcpu, unsigned crm, unsigned op2)
{
	uint64_t v = host_id_register(crm, op2);
	switch (crm << 3 | op2) {
	case (4 << 3 | 0): /* ID_AA64PFR0_EL1 */
		v = field_clear(v, 28); /* RAS: error records are not virtualised */
		v = field_clear(v, 32); /* SVE: trapped by CPTR_EL2.TZ */
		v = field_clear(v, 36); /* SEL2 */
		v = field_clear(v, 40); /* MPAM */
		v = field_clear(v, 44); /* AMU */
		return field_set(v, 24, 1); /* GIC: the virtual system-register interface */
	case (4 << 3 | 1): /* ID_AA64PFR1_EL1: keep BT and SSBS only (no MTE, SME, NMI...) */
		return v & 0xffUL;
	case (4 << 3 | 4): /* ID_AA64ZFR0_EL1: no SVE */
	case (4 << 3 | 5): /* ID_AA64SMFR0_EL1: no SME */
		return 0;
	case (5 << 3 | 0): /* ID_AA64DFR0_EL1 */
		if (vcpu->vm->pmu_owner) {
			return v; /* the root VM (and debug.pmu_vms) own the PMU (benchmarks) */
		}
		/* Debug v8 with the minimum 2 breakpoints and 2 watchpoints, whose registers read
		 * as zero and ignore writes; no PMU, no trace, no statistical profiling. */
		return 0x6UL | (1UL << 12) | (1UL << 20);
	case (5 << 3 | 1): /* ID_AA64DFR1_EL1 */
		return 0;
	case (6 << 3 | 1): /* ID_AA64ISAR1_EL1: no pointer authentication (APA, API, GPA, GPI) */
		return v & ~((0xfUL << 4) | (0xfUL << 8) | (0xfUL << 24) | (0xfUL << 28));
	case (6 << 3 | 2): /* ID_AA64ISAR2_EL1: no PAuth (GPA3, APA3) */
		return v & ~((0xfUL << 8) | (0xfUL << 12));
	default:
		return v;
	}
}

static uint64_t
ptimer_ctl(const vcpu_t *vcpu)
{
	uint64_t ctl = vcpu->el1.cntp_ctl & (CNT_CTL_ENABLE | CNT_CTL_IMASK);
	if ((ctl & CNT_CTL_ENABLE) != 0U && sysreg_read(cntpct_el0) >= vcpu->el1.cntp_cval) {
		ctl |= CNT_CTL_ISTATUS;
	}
	return ctl;
}

static void
ptimer_update(vcpu_t *vcpu)
{
	uint64_t ctl = vcpu->el1.cntp_ctl;
	bool armed = (ctl & (CNT_CTL_ENABLE | CNT_CTL_IMASK)) == CNT_CTL_ENABLE;
	sched_set_ptimer(vcpu, armed ? (vcpu->el1.cntp_cval != 0U ? vcpu->el1.cntp_cval : 1U) : 0U);
}

static bool
is_pmu_register(uint32_t key)
{
	unsigned op0 = (key >> 20) & 3U, op1 = (key >> 14) & 7U, crn = (key >> 10) & 0xfU;
	unsigned crm = (key >> 1) & 0xfU;
	return op0 == 3U && ((op1 == 3U && crn == 9U) || (op1 == 0U && crn == 9U && crm == 14U) ||
			     (op1 == 3U && crn == 14U && crm >= 8U));
}

/* Registers of features guests are told they lack that would otherwise reach the CPU:
 * LORegions (HCR_EL2.TLOR), RAS error records (TERR), activity monitors
 * (CPTR_EL2.TAM) and statistical profiling (MDCR_EL2.TPMS; its buffer registers trap with
 * MDCR_EL2.E2PB 0). Trace unit registers (CPTR_EL2.TTA) are op0 2: RAZ/WI as debug. */
static bool
is_hidden_feature_register(unsigned op0, unsigned op1, unsigned crn, unsigned crm)
{
	if (op0 != 3U) {
		return false;
	}
	if (op1 == 0U) {
		return (crn == 10U && crm == 4U) ||               /* LORSA..LORID_EL1 */
		       (crn == 5U && crm >= 3U && crm <= 5U) ||   /* ERRIDR..ERXMISC*_EL1 */
		       (crn == 9U && (crm == 9U || crm == 10U));  /* PMS*_EL1, PMB*_EL1 */
	}
	return op1 == 3U && crn == 13U && crm >= 2U && crm <= 7U; /* AM*_EL0 */
}

sysreg_trap_result_t
vcpu_sysreg_trap(vcpu_t *vcpu, uint64_t esr, trap_frame_t *frame)
{
	uint32_t iss = (uint32_t)esr & 0x1ffffffU;
	uint32_t key = iss & SYSREG_KEY_MASK;
	unsigned rt = (iss >> 5) & 0x1fU;
	bool read = (iss & 1U) != 0U;
	uint64_t in = rt == 31U ? 0U : frame->x[rt];
	uint64_t out = 0;
	unsigned op0 = (key >> 20) & 3U, op1 = (key >> 14) & 7U, crn = (key >> 10) & 0xfU;
	unsigned crm = (key >> 1) & 0xfU, op2 = (key >> 17) & 7U;

	if (op0 == 3U && op1 == 0U && crn == 0U && crm >= 1U && read) {
		out = guest_id_register(vcpu, crm, op2);
	} else if (key == CNTP_CTL) {
		if (read) {
			out = ptimer_ctl(vcpu);
		} else {
			vcpu->el1.cntp_ctl = in & (CNT_CTL_ENABLE | CNT_CTL_IMASK);
			ptimer_update(vcpu);
		}
	} else if (key == CNTP_CVAL) {
		if (read) {
			out = vcpu->el1.cntp_cval;
		} else {
			vcpu->el1.cntp_cval = in;
			ptimer_update(vcpu);
		}
	} else if (key == CNTP_TVAL) {
		uint64_t now = sysreg_read(cntpct_el0);
		if (read) {
			out = (uint64_t)(uint32_t)(vcpu->el1.cntp_cval - now);
		} else {
			vcpu->el1.cntp_cval = now + (uint64_t)(int64_t)(int32_t)in;
			ptimer_update(vcpu);
		}
	} else if (key == ACTLR_EL1) {
		out = 0; /* implementation-defined controls: none for guests */
	} else if (key == MDSCR_EL1) {
		if (read) {
			out = vcpu->el1.mdscr;
		} else {
			vcpu->el1.mdscr = in;
			sysreg_write(mdscr_el1, in);
		}
	} else if (key == OSLSR_EL1) {
		out = 1U << 3; /* OSLM: OS lock implemented, unlocked */
	} else if (op0 == 2U || op0 == 1U || is_pmu_register(key)) {
		/* Debug registers and PMU: read as zero, writes ignored (not context-switched).
		 * op0 == 1: trapped set/way cache maintenance, meaningless under stage 2. */
		out = 0;
	} else if (is_hidden_feature_register(op0, op1, crn, crm)) {
		return SYSREG_UNDEFINED;
	} else if (vcpu->vic != NULL && vgic_sysreg(vcpu, esr, frame)) {
		return SYSREG_HANDLED;
	} else {
		return SYSREG_UNHANDLED;
	}
	if (read && rt != 31U) {
		frame->x[rt] = out;
	}
	return SYSREG_HANDLED;
}
