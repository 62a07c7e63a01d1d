/* rm_console.h - the RM's console: formatted output through the console_write hypercall.
 * The hypervisor prefixes each line with "[rm] ", so RM text needs no prefix of its own. */
#pragma once

#include <stdint.h>

#include "bothy_abi.h"

/* Sets the console capability the hypervisor gave in the boot information. */
void rm_console_init(cap_id_t console_cap);

/* printf-style output; text is sent when a line is complete or the buffer fills. */
void rm_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
