/* vuart.h - the emulated PL011 UART every VM sees at the board's UART address: its console.
 * The primary VM's is interactive on the serial port; others' output is prefixed per line.
 * While nothing waits to be received, reads are served by a read-only shadow page (vuart.c). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "mmio.h"
#include "spinlock.h"

struct thread;
struct vm;

#define VUART_RX_FIFO 256U /* deeper than a real PL011: guests read until RXFE */

/* Locks: `lock` guards the registers, the FIFO and the shadow image; nothing else is taken
 * while it is held. `sync_lock` guards what the rest of the system was last told (`level`,
 * `shadow_mapped`) and is held while telling it: it nests lock, vic->lock, the VM's
 * stage2_lock and the partition's allocator lock. */
typedef struct vuart {
	spinlock_t lock;
	uint32_t cr, lcrh, ibrd, fbrd, ifls, imsc, ris, dmacr;
	uint32_t ilpr;
	char rx_fifo[VUART_RX_FIFO];
	unsigned rx_head, rx_count;
	unsigned rx_dropped; /* input lost to a full FIFO, not yet reported */
	/* A hypervisor-owned page holding every readable register at its offset, mapped
	 * read-only at the UART's IPA while the receive FIFO is empty; NULL until the VM first
	 * touches its UART (the root VM never does) or if it could not be had. */
	uint32_t *shadow;
	bool shadow_failed; /* allocating or mapping it failed once: every access traps */
	spinlock_t sync_lock;
	bool level;         /* interrupt line as last told to the vGIC */
	bool shadow_mapped; /* the shadow page as last put in the stage-2 tables */
} vuart_t;

/* A new VM's vPL011, in its reset state, without a shadow page. */
void vuart_init(vuart_t *uart);

/* Resets the vPL011 of `vm` (a VM restart, all its vCPUs off): registers and FIFO to their
 * reset state, the vGIC told the new line level, the shadow kept and brought up to date. */
void vuart_reset(struct vm *vm);

/* The address space is going and no CPU can use its translations any more: frees the
 * shadow page. */
void vuart_cleanup(struct vm *vm);

/* Emulates a guest access if it falls in the UART's page. */
mmio_result_t vuart_mmio(struct thread *vcpu, mmio_access_t *access);

/* Bytes typed on the serial port, from the physical UART interrupt: delivered to the primary
 * VM's vPL011 (dropped with a count when its FIFO is full, never blocking). */
void vuart_input(struct vm *primary, char c);

/* The physical UART's receive interrupt (CPU 0, from the hypervisor's IRQ handler): acks it
 * and hands every received byte to the primary VM, or drops them if there is none yet. */
void vuart_serial_irq(void);
