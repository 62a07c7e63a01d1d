/* guest_internal.h - what the guest runtime's own files share and programs need not see.
 * runtime.c calls these before handing over to guest_main. */
#pragma once

#include <stdint.h>

#include "bothy_abi.h"
#include "root_boot_info.h"

void guest_console_init(cap_id_t console_cap);
void guest_entry(const root_boot_info_t *info);
void guest_trap(uint64_t kind, uint64_t esr, uint64_t far, uint64_t elr);
