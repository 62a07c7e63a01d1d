/* vuart.h - the emulated PL011 UART every VM sees at the board's UART address: its console.
 * The primary VM's is interactive on the serial port; others' output is prefixed per line. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "mmio.h"
#include "spinlock.h"

struct thread;
struct vm;

#define VUART_RX_FIFO 256U /* deeper than a real PL011: guests read until RXFE */

/* Locks: `lock` guards the registers and the FIFO; nothing else is taken while it is held.
 * `line_lock` guards `level` and is held while telling the vGIC (it nests lock or vic->lock). */
typedef struct vuart {
	spinlock_t lock;
	uint32_t cr, lcrh, ibrd, fbrd, ifls, imsc, ris, dmacr;
	uint32_t ilpr;
	char rx_fifo[VUART_RX_FIFO];
	unsigned rx_head, rx_count;
	unsigned rx_dropped; /* input lost to a full FIFO, not yet reported */
	spinlock_t line_lock;
	bool level; /* interrupt line as last told to the vGIC */
} vuart_t;

void vuart_init(vuart_t *uart);

/* Emulates a guest access if it falls in the UART's page. */
mmio_result_t vuart_mmio(struct thread *vcpu, mmio_access_t *access);

/* Bytes typed on the serial port, from the physical UART interrupt: delivered to the primary
 * VM's vPL011 (dropped with a count when its FIFO is full, never blocking). */
void vuart_input(struct vm *primary, char c);

/* The physical UART's receive interrupt (CPU 0, from the hypervisor's IRQ handler): acks it
 * and hands every received byte to the primary VM, or drops them if there is none yet. */
void vuart_serial_irq(void);
