/* main.c - the AArch32 EL0 test guest: drops to AArch32 EL0 (T32) and runs el0.S's program
 * of trapped WFIs, then checks that every instruction after each one ran as it should. */
#include <stdint.h>

#include "check.h"
#include "gic.h"
#include "guest.h"
#include "platform_config.h"

#define PREFIX "aarch32-test"
#define SCTLR_NTWI (1UL << 16) /* EL0 WFI not trapped to EL1 (so HCR_EL2.TWI takes it) */
#define SCTLR_NTWE (1UL << 18)
#define ID_AA64PFR0_EL0_AARCH32 2U /* ID_AA64PFR0_EL1.EL0: AArch64 and AArch32 */
#define CNTV_CTL_ENABLE 1UL
#define VECTOR_LOWER_AARCH32_SYNC 12U
#define EC_SVC32 0x11U

typedef struct {
	uint64_t vector; /* el0.S's layout: offsets 0, 8, 16, 24.. */
	uint64_t esr;
	uint64_t elr;
	uint64_t r[4];
} el0_result_t;

void el0_run(el0_result_t *out);
void el0_irq(void);

#define TIMER_TICKS 20000U /* 320 us at 62.5 MHz: each WFI waits about that long */

static uint64_t timer_irqs;

static void
arm_timer(void)
{
	__asm__ volatile("msr cntv_tval_el0, %0\n\tmsr cntv_ctl_el0, %1\n\tisb" ::"r"(
				 (uint64_t)TIMER_TICKS),
			 "r"(CNTV_CTL_ENABLE));
}

/* An IRQ taken from EL0 (el0.S): the virtual timer, armed again for the next WFI. */
void
el0_irq(void)
{
	uint32_t intid = gic_ack();
	if (intid == PLATFORM_TIMER_VIRTUAL_PPI) {
		timer_irqs++;
		arm_timer();
	}
	if (intid < GIC_INTID_SPECIAL) {
		gic_eoi(intid);
	}
}

void
guest_main(const root_boot_info_t *info)
{
	(void)info;
	check_begin(PREFIX);
	uint64_t pfr0;
	__asm__ volatile("mrs %0, id_aa64pfr0_el1" : "=r"(pfr0));
	if ((pfr0 & 0xfUL) != ID_AA64PFR0_EL0_AARCH32) {
		guest_printf("%s: ID_AA64PFR0_EL1 0x%lx: no AArch32 at EL0\n", PREFIX, pfr0);
		guest_fail("aarch32-test needs AArch32 EL0");
	}
	/* What ends each WFI: the virtual timer, taken from EL0 (el0_irq). */
	if (gic_init() != OK || gic_enable(PLATFORM_TIMER_VIRTUAL_PPI) != OK) {
		guest_fail("aarch32-test: no GIC");
	}
	arm_timer();
	uint64_t sctlr;
	__asm__ volatile("mrs %0, sctlr_el1" : "=r"(sctlr));
	__asm__ volatile("msr sctlr_el1, %0\n\tisb" ::"r"(sctlr | SCTLR_NTWI | SCTLR_NTWE));
	el0_result_t res = { 0 };
	el0_run(&res);
	__asm__ volatile("msr cntv_ctl_el0, xzr\n\tisb");
	guest_printf("%s: back from AArch32 EL0: vector %lu, ESR_EL1 0x%lx, r0 %lu, r1 %lu, "
		     "r2 %lu, r3 %lu; %lu timer interrupts\n",
		     PREFIX, res.vector, res.esr, res.r[0], res.r[1], res.r[2], res.r[3], timer_irqs);
	check_value("returned by SVC from AArch32 (vector slot)", res.vector,
		    VECTOR_LOWER_AARCH32_SYNC);
	check_value("returned by SVC from AArch32 (ESR_EL1.EC)", res.esr >> 26, EC_SVC32);
	check_value("16-bit WFI: instructions after it that ran (r0)", res.r[0], 3);
	check_value("32-bit WFI: instructions after it that ran (r1)", res.r[1], 3);
	check_value("WFIEQ ending an IT block: instructions after it that ran (r2)", res.r[2], 3);
	check_value("failed WFIEQ, then WFEEQ in ITT (r3)", res.r[3], 5);
	if (check_end() != 0U) {
		guest_fail("aarch32-test FAILED");
	}
}
