/* guest_internal.h - what the guest runtime's own files share and programs need not see:
 * what runtime.c calls before guest_main, and what the vectors in entry.S call. */
#pragma once

#include <stdint.h>

#include "bothy_abi.h"
#include "root_boot_info.h"

#define GUEST_DTB_MAX_SIZE 0x10000U /* the DTB slot of every VM (config/layout.py) */

/* Root VM: the console_write hypercall. Other VMs: the (virtual) PL011 at the board's UART. */
void guest_console_init(cap_id_t console_cap);
void guest_console_init_uart(void);
void guest_entry(uint64_t x0);
void guest_trap(uint64_t kind, uint64_t esr, uint64_t far, uint64_t elr);
/* The IRQ vector's C side (gic.c), with IRQs masked: acknowledge, handler, EOI until none
 * is pending. */
void guest_irq(void);
