/* guest.h - the runtime every root-VM program (the RM, test guests) is built on: entry,
 * console through the console_write hypercall, power off, and failing loudly. */
#pragma once

#include <stdint.h>

#include "bothy_abi.h"
#include "root_boot_info.h"

/* The program's main; called once the console works. Returning powers the system off. */
void guest_main(const root_boot_info_t *info);

/* printf-style console output; the hypervisor prefixes each line with "[<vm>] ". */
void guest_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* PSCI SYSTEM_OFF: the machine stops with status 0. */
__attribute__((noreturn)) void guest_power_off(void);

/* Stops the machine with a failure status (a root VM cannot restart itself, so the
 * hypervisor ends the machine when the root VM requests a reset). */
__attribute__((noreturn)) void guest_fail(const char *why);
