/* guest.h - the runtime every guest program (the RM, test guests) is built on: entry as the
 * root VM or as a VM the RM built, console, device tree, power off, and failing loudly. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bothy_abi.h"
#include "root_boot_info.h"

/* The program's main; called once the console works. `info` is the boot information when the
 * program runs as the root VM, NULL when it runs as a VM the RM built (then guest_dtb() is
 * the tree the RM staged for it). Returning powers the VM off (the root VM's or the primary
 * VM's power-off ends the machine). */
void guest_main(const root_boot_info_t *info);

/* The program's device tree and its size: the root VM's from the boot information, any
 * other VM's from x0 at entry. */
const void *guest_dtb(size_t *size);

/* Whether the program runs as the root VM. */
bool guest_is_root_vm(void);

/* printf-style console output; the hypervisor prefixes each line with "[<vm>] ". */
void guest_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* PSCI SYSTEM_OFF: the machine stops with status 0. */
__attribute__((noreturn)) void guest_power_off(void);

/* Prints FATAL and stops: the root VM ends the machine with a failure status (a root VM
 * cannot restart itself, so the hypervisor ends the machine when it requests a reset); any
 * other VM makes a deliberate fault, which the hypervisor reports before stopping it. */
__attribute__((noreturn)) void guest_fail(const char *why);
