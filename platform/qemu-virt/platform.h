/* platform.h - what the hypervisor needs from a board: console, CPU power, machine exit.
 * A second board implements these in a sibling folder; nothing else in hyp/ is board code. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "bothy_abi.h"

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
