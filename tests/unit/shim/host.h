/* host.h - controls for the host stand-ins in host.c: the key the next cspace activation
 * gets, and the thread vcpu_current() returns to the hypercall handlers. */
#pragma once

#include <stdint.h>

#include "objects/thread.h"

/* The next cspace_random_key() returns `key` (once); later calls are deterministic again. */
void host_force_next_cap_key(uint64_t key);

/* How many keys cspace_random_key() has handed out. */
uint64_t host_cap_keys_issued(void);

/* The "current vCPU" for the hypercall handlers; NULL means no vCPU. */
void host_set_current(thread_t *thread);
