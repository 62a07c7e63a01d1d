/* lookup.h - the ABI test's checks of addrspace_lookup (lookup.c): what an extent maps at an
 * address, how far the run goes, with which rights, and the errors of bad lookups. */
#pragma once

#include "root_boot_info.h"

void test_addrspace_lookup(const root_boot_info_t *info);
