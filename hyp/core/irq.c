/* irq.c - physical interrupts taken at EL2: acknowledge, hand to their owner (scheduler,
 * timer, vGIC maintenance, serial input, a VM's passed-through device), then priority drop
 * and deactivation (the guest deactivates its devices' interrupts). */
#include <stdint.h>

#include "console.h"
#include "gic.h"
#include "hyp_config.h"
#include "irq.h"
#include "objects/hwirq.h"
#include "sched.h"
#include "sysreg.h"
#include "vgic.h"
#include "vm.h"
#include "vuart.h"

#define CNTV_CTL_ENABLE 1UL
#define CNTV_CTL_IMASK 2UL
#define CNTV_CTL_ISTATUS 4UL

/* The loaded vCPU's virtual timer fired. Mask it in hardware (the guest's own handler
 * re-arms it and clears IMASK, as Linux always does) and hand the guest a virtual PPI;
 * so the physical interrupt can be deactivated now instead of tracking it per vCPU.
 * The PPI may have been raised by the vCPU that ran before a context switch: then the
 * loaded timer has not fired, and masking it would stop it for good. The earlier vCPU's
 * saved timer fires again when it is loaded. */
static void
vtimer_irq(void)
{
	vcpu_t *vcpu = vcpu_current();
	uint64_t ctl = sysreg_read(cntv_ctl_el0);
	if ((ctl & (CNTV_CTL_ENABLE | CNTV_CTL_IMASK | CNTV_CTL_ISTATUS)) !=
	    (CNTV_CTL_ENABLE | CNTV_CTL_ISTATUS)) {
		return;
	}
	sysreg_write(cntv_ctl_el0, ctl | CNTV_CTL_IMASK);
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
		} else if (hwirq_forward(intid)) {
			/* A VM's device: it stays active until the guest deactivates its virtual
			 * interrupt, which deactivates this one through the list register. */
			continue;
		} else {
			hyp_log("unexpected physical interrupt %u: ignored", intid);
		}
		gic_deactivate(intid);
	}
}
