/* console.c - a guest program's formatted console output, buffered per line and sent with
 * the console_write hypercall (root VM) or written to the vPL011 (any other VM). A failed write
 * has nowhere to be reported, so it is dropped. */
#include <stdarg.h>
#include <stddef.h>

#include "bothy_hypercalls.h"
#include "format.h"
#include "guest.h"
#include "guest_internal.h"
#include "platform_config.h"

#define GUEST_CONSOLE_BUF 128U

#define UART_DR 0x000U
#define UART_FR 0x018U
#define UART_FR_TXFF (1U << 5)

static cap_id_t console_cap = CSPACE_CAP_INVALID;
static bool use_uart;
static char buf[GUEST_CONSOLE_BUF];
static size_t used;

void
guest_console_init(cap_id_t cap)
{
	console_cap = cap;
}

void
guest_console_init_uart(void)
{
	use_uart = true;
}

static void
uart_write(const char *s, size_t n)
{
	volatile uint32_t *uart = (volatile uint32_t *)(uintptr_t)PLATFORM_UART_BASE;
	for (size_t i = 0; i < n; i++) {
		while ((uart[UART_FR / 4U] & UART_FR_TXFF) != 0U) {
		}
		uart[UART_DR / 4U] = (uint8_t)s[i];
	}
}

static void
flush(void)
{
	if (used > 0U) {
		if (use_uart) {
			uart_write(buf, used);
		} else {
			(void)bothy_console_write(console_cap, (uintptr_t)buf, used);
		}
		used = 0;
	}
}

static void
sink(void *ctx, char c)
{
	(void)ctx;
	buf[used++] = c;
	if (c == '\n' || used == GUEST_CONSOLE_BUF) {
		flush();
	}
}

void
guest_printf(const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	(void)format_v(sink, NULL, fmt, args);
	va_end(args);
}
