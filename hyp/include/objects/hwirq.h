/* hwirq.h - the hwirq object: one physical SPI the platform lets a VM own, created by the
 * hypervisor at boot (caps go to the root VM) and bound to one SPI of one vic at a time. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "object.h"
#include "spinlock.h"
#include "virq_source.h"

typedef struct hwirq {
	object_header_t header;
	uint32_t intid;   /* the physical SPI; fixed at creation */
	spinlock_t lock;  /* binding and unbinding; the IRQ path reads `virq` without it */
	virq_source_t virq; /* the (vic, SPI) it is forwarded to, exclusive like any source */
} hwirq_t;

/* At boot, before any VM runs: hwirq objects for the SPIs the config assigns to guest VMs
 * (PLATFORM_HWIRQS), ACTIVE and owned by the root partition. Panics if the config names an
 * interrupt the hypervisor keeps for itself (its UART's, an SGI or a PPI). */
void hwirq_boot_init(void);

/* The n-th boot hwirq (n < PLATFORM_HWIRQ_COUNT) for the root VM's cspace; NULL beyond. */
hwirq_t *hwirq_boot_object(unsigned n);

/* hwirq_bind_virq: forwards the physical SPI to SPI `virq` of `vic` and enables it, routed
 * to the physical CPU of the vCPU the virtual SPI targets. Errors in Gunyah's order:
 * ERROR_VIRQ_BOUND (this hwirq is bound), ERROR_OBJECT_STATE (vic not ACTIVE),
 * ERROR_ARGUMENT_INVALID (not an SPI of that vic), ERROR_BUSY (that SPI has a source). */
error_t hwirq_bind(hwirq_t *hwirq, vic_t *vic, uint32_t virq);

/* hwirq_unbind_virq: disables the physical SPI, clears its pending and active state and
 * releases the virtual SPI. ERROR_VIRQ_NOT_BOUND if it is not bound. */
error_t hwirq_unbind(hwirq_t *hwirq);

/* From the IRQ path, after the priority drop: if `intid` is a bound hwirq, marks its virtual
 * SPI pending and returns true; the physical interrupt stays active until the guest
 * deactivates the virtual one (ICH_LR.HW). False: not ours, deactivate it as usual. */
bool hwirq_forward(uint32_t intid);
