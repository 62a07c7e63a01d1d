/* host.h - controls for the host stand-ins in host.c: the key the next cspace activation
 * gets, the thread vcpu_current() returns, guest memory, and the vGIC lines objects drive. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "objects/thread.h"

/* The next cspace_random_key() returns `key` (once); later calls are deterministic again. */
void host_force_next_cap_key(uint64_t key);

/* How many keys cspace_random_key() has handed out. */
uint64_t host_cap_keys_issued(void);

/* The "current vCPU" for the hypercall handlers; NULL means no vCPU. */
void host_set_current(thread_t *thread);

/* Guest memory on the host: a "guest virtual address" is a host pointer, except that every
 * address in the page at HOST_BAD_GUEST_VA is unmapped (ERROR_ADDR_INVALID). */
#define HOST_BAD_GUEST_VA 0x7ead0000UL

/* What vgic_set_level and vgic_inject did to SPI `intid` of `vic`: the line's level, and how
 * many edges an edge-triggered guest interrupt would have latched (rising levels + injections). */
bool host_virq_level(const vic_t *vic, uint32_t intid);
unsigned host_virq_edges(const vic_t *vic, uint32_t intid);
/* Forgets every line (called between tests). */
void host_virq_reset(void);
