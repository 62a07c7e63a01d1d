/* uart_pl011.c - QEMU virt's PL011 UART: polled output for the hypervisor's console and
 * interrupt-driven input for the primary VM. Output needs no setup; input is enabled at boot. */
#include <stdbool.h>
#include <stdint.h>

#include "platform.h"
#include "platform_config.h"

#define PL011_DR 0x000U
#define PL011_FR 0x018U
#define PL011_CR 0x030U
#define PL011_IMSC 0x038U
#define PL011_ICR 0x044U
#define PL011_FR_RXFE (1U << 4)
#define PL011_FR_TXFF (1U << 5)
#define PL011_CR_UARTEN (1U << 0)
#define PL011_CR_TXE (1U << 8)
#define PL011_CR_RXE (1U << 9)
#define PL011_INT_RX (1U << 4)
#define PL011_INT_RT (1U << 6)

static inline volatile uint32_t *
pl011_reg(uint32_t offset)
{
	return (volatile uint32_t *)(PLATFORM_UART_BASE + offset);
}

void
platform_uart_putc(char c)
{
	while ((*pl011_reg(PL011_FR) & PL011_FR_TXFF) != 0U) {
	}
	*pl011_reg(PL011_DR) = (uint32_t)(unsigned char)c;
}

void
platform_uart_rx_enable(void)
{
	/* Explicit enables: the reset CR leaves UARTEN clear, which newer QEMU may enforce. */
	*pl011_reg(PL011_CR) = PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE;
	/* Bytes typed before now stay latched and interrupt as soon as they are unmasked. */
	*pl011_reg(PL011_IMSC) = PL011_INT_RX | PL011_INT_RT;
}

bool
platform_uart_getc(int *c_out)
{
	if ((*pl011_reg(PL011_FR) & PL011_FR_RXFE) != 0U) {
		return false;
	}
	/* Bits 11:8 flag framing, parity, break and overrun; the byte is passed on regardless. */
	*c_out = (int)(*pl011_reg(PL011_DR) & 0xffU);
	return true;
}

void
platform_uart_rx_ack(void)
{
	*pl011_reg(PL011_ICR) = PL011_INT_RX | PL011_INT_RT;
}

void
platform_uart_rx_mask(bool masked)
{
	*pl011_reg(PL011_IMSC) = masked ? 0U : (PL011_INT_RX | PL011_INT_RT);
}
