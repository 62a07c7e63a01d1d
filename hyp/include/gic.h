/* gic.h - the physical GICv3 as the hypervisor drives it at EL2: distributor set-up, each
 * CPU's redistributor and system-register interface, acknowledge, priority drop, deactivate. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define GIC_INTID_SPURIOUS 1023U
#define GIC_SGI_RESCHEDULE 0U  /* "look at your run queue": a vCPU changed state */
#define GIC_PPI_MAINTENANCE 25U

/* CPU 0, once: distributor with affinity routing, every SPI disabled. */
void gic_init_distributor(void);
/* Every CPU: wakes its redistributor, enables the system-register interface for EL2 and
 * EL1 (guests reach the virtual interface), priority mask open, EOImode = 1. */
void gic_init_cpu(void);

/* Enables a private interrupt (SGI/PPI) on this CPU, or an SPI routed to CPU `cpu`. */
void gic_enable_ppi(uint32_t intid);
void gic_enable_spi(uint32_t intid, unsigned cpu);

/* A passed-through SPI (hwirq) moves to CPU `cpu` (GICD_IROUTER), keeping its enable. */
void gic_route_spi(uint32_t intid, unsigned cpu);
/* Disables an SPI and waits until the distributor no longer signals it (GICD_CTLR.RWP). */
void gic_disable_spi(uint32_t intid);
/* Clears an SPI's pending and active state in the distributor (GICD_ICPENDR/ICACTIVER):
 * a hwirq taken away from a guest that may have left it active must not stay blocked. */
void gic_clear_spi(uint32_t intid);

/* Acknowledges the highest-priority pending interrupt (GIC_INTID_SPURIOUS if none). */
uint32_t gic_acknowledge(void);
/* EOImode = 1: priority drop and deactivation are separate, so a hardware interrupt handed
 * to a guest (ICH_LR.HW) stays active until the guest deactivates it. */
void gic_priority_drop(uint32_t intid);
void gic_deactivate(uint32_t intid);

/* Sends SGI `intid` to physical CPU `cpu`. */
void gic_send_sgi(uint32_t intid, unsigned cpu);
