/* gic.h - a guest program's GICv3 driver: its VM's vic (distributor and this vCPU's
 * redistributor, at platform_config.h's addresses) and the ICC registers, polled or by handler. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "bothy_abi.h"

/* What ICC_IAR1_EL1 returns when no interrupt is pending; 1020-1022 are special as well. */
#define GIC_INTID_NONE 1023U
#define GIC_INTID_SPECIAL 1020U
#define GIC_NR_PRIVATE 32U /* SGIs 0-15, PPIs 16-31; SPIs from 32 */

/* Sets the interface up with every interrupt disabled and in Group 1 at one priority:
 * ICC_SRE_EL1, GICD_CTLR (ARE, EnableGrp1NS), this vCPU's redistributor out of sleep,
 * ICC_PMR_EL1 open, ICC_IGRPEN1_EL1 on. PSTATE.I stays masked. ERROR_FAILURE if there is no
 * GICv3 distributor or no redistributor for this vCPU, ERROR_BUSY if it does not wake. */
error_t gic_init(void);

/* One more than the highest INTID the distributor implements (GICD_TYPER.ITLinesNumber). */
uint32_t gic_intid_limit(void);

/* Enable or disable delivery of `intid` (an SGI or PPI of this vCPU, or an SPI routed to
 * it). ERROR_ARGUMENT_INVALID beyond gic_intid_limit(). */
error_t gic_enable(uint32_t intid);
error_t gic_disable(uint32_t intid);

/* Edge-triggered (true) or level-sensitive (false, the reset value) for an SPI; change it
 * only while the SPI is disabled. ERROR_ARGUMENT_INVALID for anything but an SPI. */
error_t gic_set_edge(uint32_t intid, bool edge);

/* Whether `intid` is pending in the distributor (GICD_ISPENDR / GICR_ISPENDR0): for a level
 * SPI, whether its line is up. False for INTIDs beyond gic_intid_limit(). */
bool gic_is_pending(uint32_t intid);

/* Clears a latched pending state of `intid` (GICD_ICPENDR / GICR_ICPENDR0); a level line
 * that is still up stays pending. ERROR_ARGUMENT_INVALID beyond gic_intid_limit(). */
error_t gic_clear_pending(uint32_t intid);

/* Acknowledges the highest-priority pending interrupt (ICC_IAR1_EL1), which becomes
 * active: its INTID, or GIC_INTID_NONE if nothing is pending. */
uint32_t gic_ack(void);

/* Ends an acknowledged interrupt (ICC_EOIR1_EL1: priority drop and deactivation). A level
 * interrupt whose line is still up is delivered again. */
void gic_eoi(uint32_t intid);

/* Polling mode, with PSTATE.I masked: WFI (which wakes on a pending interrupt even while
 * masked) then gic_ack. GIC_INTID_NONE when woken without one: the hypervisor also wakes
 * the RM with no interrupt when a VM stops. The caller EOIs what it gets. */
uint32_t gic_wait(void);

/* Vector mode: IRQs taken at EL1 are acknowledged, handed to `handler` and EOIed, until
 * none is pending. A handler unmasks PSTATE.I; NULL masks it again. The handler runs with
 * IRQs masked and must not print (the console buffer is not reentrant). */
void gic_set_handler(void (*handler)(uint32_t intid));
