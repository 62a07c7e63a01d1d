/* rm.h - the resource manager's own entry points beyond the guest runtime (selftest.c).
 * Everything the RM asks of the hypervisor goes through the generated hypercall wrappers. */
#pragma once

#include <stdint.h>

#include "root_boot_info.h"

/* Runs the hypercall self-test; prints one line per check; returns the number failed. */
unsigned rm_selftest(const root_boot_info_t *info);
