/* hwirq.h - the ABI test's hwirq_bind_virq/unbind and device-memory checks (hwirq.c); the
 * test config passes QEMU virt's PL031 RTC through, so the boot info carries its hwirq cap. */
#pragma once

#include "root_boot_info.h"

void test_hwirq(const root_boot_info_t *info);
