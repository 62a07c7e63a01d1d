/* uart_pl011.c - polled output on QEMU virt's PL011 UART, the hypervisor's console.
 * QEMU's PL011 needs no initialisation; we only wait for FIFO space before each byte. */
#include <stdint.h>

#include "platform.h"
#include "platform_config.h"

#define PL011_DR 0x000U
#define PL011_FR 0x018U
#define PL011_FR_TXFF (1U << 5)

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
