/* irq.c - physical interrupts taken at EL2: acknowledge, hand to their owner (scheduler,
 * timer, vGIC maintenance, serial input), then priority drop and deactivation. */
#include <stdint.h>

#include "console.h"
#include "gic.h"
#include "hyp_config.h"
#include "irq.h"
#include "sched.h"
#include "sysreg.h"
#include "vgic.h"
#include "vm.h"
#include "vuart.h"

#define CNTV_CTL_IMASK 2UL

/* The loaded vCPU's virtual timer fired. Mask it in hardware (the guest's own handler
 * re-arms it and clears IMASK, as Linux always does) and hand the guest a virtual PPI;
 * so the physical interrupt can be deactivated now instead of tracking it per vCPU. */
static void
vtimer_irq(void)
{
	vcpu_t *vcpu = vcpu_current();
	sysreg_write(cntv_ctl_el0, sysreg_read(cntv_ctl_el0) | CNTV_CTL_IMASK);
	isb();
	if (vcpu != NULL && vcpu->vic != NULL) {
		(void)vgic_inject(vcpu->vic, vcpu, PLATFORM_TIMER_VIRTUAL_PPI);
	}
}

void
irq_handle(void)
{
	for (;;) {
		uint32_t intid = gic_acknowledge();
		if (intid >= GIC_INTID_SPURIOUS - 3U) {
			return; /* 1020-1023: nothing (more) pending */
		}
		gic_priority_drop(intid);
		if (intid == GIC_SGI_RESCHEDULE) {
			sched_ipi();
		} else if (intid == PLATFORM_TIMER_HYP_PPI) {
			sched_timer_irq();
		} else if (intid == PLATFORM_TIMER_VIRTUAL_PPI) {
			vtimer_irq();
		} else if (intid == GIC_PPI_MAINTENANCE) {
			vcpu_t *vcpu = vcpu_current();
			if (vcpu != NULL && vcpu->vic != NULL) {
				vgic_maintenance(vcpu);
			}
		} else if (intid == PLATFORM_UART_IRQ) {
			vuart_serial_irq();
		} else {
			hyp_log("unexpected physical interrupt %u: ignored", intid);
		}
		gic_deactivate(intid);
	}
}
