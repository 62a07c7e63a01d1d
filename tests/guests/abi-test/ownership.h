/* ownership.h - the ABI test's checks of memory ownership (ownership.c): derived extents,
 * donation in every direction, and donated pages leaving the donor's stage 2. */
#pragma once

#include "root_boot_info.h"

void test_memory_ownership(const root_boot_info_t *info);
