/* main.c - the hwirq test guest, run as a VM the RM builds: with QEMU virt's PL031 RTC passed
 * through it takes two alarm interrupts (the second proves the first was deactivated in
 * hardware by its EOI); without the RTC, it touches the RTC and must take an external abort. */
#include <stdbool.h>
#include <stdint.h>

#include "check.h"
#include "counter.h"
#include "fdt.h"
#include "gic.h"
#include "guest.h"
#include "platform_config.h"
#include "probe.h"
#include "util_string.h"

#define RTCDR 0x00U   /* data: seconds */
#define RTCMR 0x04U   /* match: interrupt when RTCDR reaches it */
#define RTCCR 0x0cU   /* control: bit 0 starts the counter (QEMU's starts enabled) */
#define RTCIMSC 0x10U /* interrupt mask set/clear: bit 0 enables the alarm interrupt */
#define RTCRIS 0x14U  /* raw interrupt status */
#define RTCICR 0x1cU  /* interrupt clear */
#define QEMU_VIRT_RTC 0x09010000UL /* where QEMU virt (7.2: pl031@9010000, SPI 2) has it */
#define ALARMS 2U
#define WATCHDOG_SECONDS 5U /* an alarm 1 s ahead that has not come by then never will */

static uint64_t rtc_base;

static uint32_t
rtc_read(uint32_t reg)
{
	return *(volatile uint32_t *)(uintptr_t)(rtc_base + reg);
}

static void
rtc_write(uint32_t reg, uint32_t value)
{
	*(volatile uint32_t *)(uintptr_t)(rtc_base + reg) = value;
}

/* The virtual timer as a watchdog: PPI `PLATFORM_TIMER_VIRTUAL_PPI` fires if no alarm came. */
static void
arm_watchdog(uint64_t seconds)
{
	uint64_t deadline = guest_counter() + seconds * guest_counter_hz();
	__asm__ volatile("msr cntv_cval_el0, %0\n\tmsr cntv_ctl_el0, %1\n\tisb" ::"r"(deadline),
			 "r"(1UL));
}

static void
stop_watchdog(void)
{
	__asm__ volatile("msr cntv_ctl_el0, %0\n\tisb" ::"r"(2UL)); /* masked, disabled */
}

/* Finds the PL031 node among the root's children: its base and INTID. */
static bool
find_rtc(uint64_t *base, uint32_t *intid)
{
	size_t size;
	const void *dtb = guest_dtb(&size);
	const char *name;
	for (unsigned i = 0; fdt_child(dtb, size, "/", i, &name) == OK; i++) {
		char path[48] = "/";
		size_t n = strlen(name);
		if (n + 2U > sizeof(path)) {
			continue;
		}
		memcpy(path + 1, name, n + 1U);
		const void *v;
		size_t len;
		if (fdt_get_prop(dtb, size, path, "compatible", &v, &len) != OK ||
		    strcmp(v, "arm,pl031") != 0) {
			continue;
		}
		const void *reg, *irq;
		if (fdt_get_prop(dtb, size, path, "reg", &reg, &len) != OK || len != 16U ||
		    fdt_get_prop(dtb, size, path, "interrupts", &irq, &len) != OK || len != 12U ||
		    fdt_cell(irq) != 0U) {
			guest_fail("the PL031 node has no usable reg or SPI");
		}
		*base = fdt_cell64(reg);
		*intid = GIC_NR_PRIVATE + fdt_cell((const uint8_t *)irq + 4);
		return true;
	}
	return false;
}

/* One alarm at now + 1 s (QEMU times it from the RTCMR write; a real PL031 at its next tick):
 * waits for its interrupt in WFI, clears it at the device and EOIs it. */
static void
one_alarm(unsigned round, uint32_t intid)
{
	uint32_t match = rtc_read(RTCDR) + 1U;
	rtc_write(RTCMR, match);
	rtc_write(RTCICR, 1U);
	rtc_write(RTCIMSC, 1U);
	uint64_t start = guest_counter();
	arm_watchdog(WATCHDOG_SECONDS);
	uint32_t got;
	do {
		got = gic_wait();
		if (got == PLATFORM_TIMER_VIRTUAL_PPI) {
			guest_printf("hwirq-test: alarm %u: no interrupt within %u s\n", round,
				     WATCHDOG_SECONDS);
			guest_fail("the RTC's interrupt never arrived");
		}
	} while (got == GIC_INTID_NONE);
	uint64_t ms = (guest_counter() - start) * 1000U / guest_counter_hz();
	stop_watchdog();
	uint32_t now = rtc_read(RTCDR), raw = rtc_read(RTCRIS);
	rtc_write(RTCICR, 1U); /* the line drops: the EOI below must not bring it back */
	gic_eoi(got);
	guest_printf("hwirq-test: alarm %u: INTID %u after %lu ms (RTC %u, match %u, raw status %u)\n",
		     round, got, ms, now, match, raw);
	check_value("alarm interrupt has the RTC's INTID", got, intid);
	check_value("  the RTC reached the match value", now >= match ? 1U : 0U, 1U);
	check_value("  the RTC's raw interrupt status was set", raw & 1U, 1U);
	check_value("  cleared at the device", rtc_read(RTCRIS) & 1U, 0U);
}

void
guest_main(const root_boot_info_t *info)
{
	(void)info;
	uint64_t base;
	uint32_t intid;
	if (!find_rtc(&base, &intid)) {
		/* No device: its MMIO is not in this VM's stage 2. The hypervisor must give us a
		 * synchronous external abort (and not stop us). */
		guest_printf("hwirq-test: no RTC in my device tree: reading 0x%lx must abort\n",
			     QEMU_VIRT_RTC);
		if (!guest_probe_read(QEMU_VIRT_RTC)) {
			guest_printf("hwirq-test: read an RTC this VM does not have\n");
			guest_fail("the RTC was reachable without passthrough");
		}
		guest_printf("hwirq-test: the RTC read aborted: ESR_EL1 0x%lx FAR_EL1 0x%lx\n",
			     guest_probe_last.esr, guest_probe_last.far);
		guest_power_off();
	}
	rtc_base = base;
	check_begin("hwirq-test");
	guest_printf("hwirq-test: PL031 at 0x%lx, INTID %u\n", base, intid);
	if (gic_init() != OK || gic_enable(intid) != OK ||
	    gic_enable(PLATFORM_TIMER_VIRTUAL_PPI) != OK) {
		guest_fail("cannot set up the GIC");
	}
	rtc_write(RTCCR, 1U);
	rtc_write(RTCIMSC, 0U);
	rtc_write(RTCICR, 1U);
	check_value("no RTC interrupt pending before an alarm", gic_is_pending(intid) ? 1U : 0U, 0U);
	for (unsigned round = 1; round <= ALARMS; round++) {
		one_alarm(round, intid);
	}
	rtc_write(RTCIMSC, 0U);
	if (check_end() != 0U) {
		guest_fail("hwirq-test failures");
	}
}
