/* rm.h - the resource manager's top-level entry points (main.c, selftest.c).
 * Everything the RM asks of the hypervisor goes through the generated hypercall wrappers. */
#pragma once

#include <stdint.h>

#include "root_boot_info.h"

void rm_main(const root_boot_info_t *info);
void rm_trap(uint64_t kind, uint64_t esr, uint64_t far, uint64_t elr);

/* Runs the hypercall self-test; prints one line per check; returns the number failed. */
unsigned rm_selftest(const root_boot_info_t *info);
