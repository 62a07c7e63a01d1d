/* extent.h - the ABI test's checks of where memory extents are mapped (extent.c): unmapping
 * only what an extent maps, at most 4 address spaces, and destruction leaving no mapping. */
#pragma once

#include "root_boot_info.h"

void test_extent_mappings(const root_boot_info_t *info);
