/* rm.h - the resource manager's own entry points beyond the guest runtime (selftest.c).
 * Everything the RM asks of the hypervisor goes through the generated hypercall wrappers. */
#pragma once

#include <stdint.h>

#include "root_boot_info.h"

/* Runs the hypercall self-test; prints one line per check; returns the number failed. */
unsigned rm_selftest(const root_boot_info_t *info);

/* Builds and starts every VM in the RM's device tree (/vms), counting them in *built;
 * returns the number of failures, each already reported on the console. */
unsigned rm_build_vms(const root_boot_info_t *info, unsigned *built);

/* After a wake-up: reports VMs that stopped and restarts those that asked for a reset. */
void rm_watch_vms(void);
