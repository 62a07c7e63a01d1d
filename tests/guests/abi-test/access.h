/* access.h - the ABI test's checks of addrspace_update_access (access.c): rights changed in
 * place, seen by addrspace_lookup and by a read, and the errors of bad updates. */
#pragma once

#include "root_boot_info.h"

void test_update_access(const root_boot_info_t *info);
