/* platform.h - what the hypervisor needs from a board: console, CPU power, machine exit.
 * A second board implements these in a sibling folder; nothing else in hyp/ is board code. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "bothy_abi.h"

/* Whether guests' stage-2 tables may use 2 MiB blocks. Not under QEMU's TCG: its software
 * TLB records a two-stage translation with the larger of the two stages' page sizes, and any
 * TLBI by address that falls in a recorded large page flushes the whole TLB of that
 * translation regime. With 2 MiB stage-2 blocks every entry of a guest is "large", so each
 * of Linux's TLBI VAE1IS (about 52,000 in a boot: kernel text patching) flushed all its
 * kernel TLB entries, and QEMU walked both stages again for each (650,000 refills against
 * 68,000 on bare QEMU). Pages cost 1 MiB of tables per 512 MiB of guest memory. */
#define PLATFORM_STAGE2_BLOCKS false

/* Blocking write of one byte to the board's console UART. */
void platform_uart_putc(char c);

/* Unmasks the UART's receive interrupts (SPI PLATFORM_UART_IRQ); once, on the boot CPU. */
void platform_uart_rx_enable(void);
/* Takes one received byte into *c_out; false when the receive FIFO is empty. Never blocks. */
bool platform_uart_getc(int *c_out);
/* Clears the latched receive and receive-timeout interrupts; call before draining. */
void platform_uart_rx_ack(void);

/* Masks (or unmasks) the receive interrupt: input waits in the UART (and QEMU) meanwhile. */
void platform_uart_rx_mask(bool masked);

/* MPIDR affinity value of physical CPU `index`. */
uint64_t platform_cpu_mpidr(unsigned index);

/* Powers on CPU `index` at physical address `entry` with x0 = `context`. */
error_t platform_cpu_on(unsigned index, uint64_t entry, uint64_t context);

/* Ends the machine successfully (QEMU exits with status 0). */
__attribute__((noreturn)) void platform_system_off(void);

/* Ends the machine with a failure status (QEMU exits with `status`, never 0). */
__attribute__((noreturn)) void platform_exit_failure(unsigned status);
