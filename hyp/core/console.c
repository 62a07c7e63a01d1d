/* console.c - line-oriented, attributable output on the board UART.
 * One lock serialises whole lines so CPUs and VMs never interleave mid-line. */
#include <stdarg.h>

#include "console.h"
#include "format.h"
#include "platform.h"
#include "spinlock.h"

static spinlock_t console_lock;

static void
uart_sink(void *ctx, char c)
{
	(void)ctx;
	if (c == '\n') {
		platform_uart_putc('\r');
	}
	platform_uart_putc(c);
}

static void
put_str(const char *s)
{
	while (*s != '\0') {
		uart_sink(NULL, *s++);
	}
}

void
hyp_log(const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	spinlock_acquire(&console_lock);
	put_str("[hyp] ");
	(void)format_v(uart_sink, NULL, fmt, args);
	uart_sink(NULL, '\n');
	spinlock_release(&console_lock);
	va_end(args);
}

void
console_vm_line(const char *vm_name, const char *text, size_t len)
{
	spinlock_acquire(&console_lock);
	uart_sink(NULL, '[');
	put_str(vm_name);
	put_str("] ");
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		/* A VM cannot forge another source's prefix or move the cursor: show controls. */
		uart_sink(NULL, (c >= ' ' && c <= '~') ? c : '?');
	}
	uart_sink(NULL, '\n');
	spinlock_release(&console_lock);
}

void
console_panic_puts(const char *s)
{
	put_str(s);
}

void
console_panic_vprintf(const char *fmt, va_list args)
{
	(void)format_v(uart_sink, NULL, fmt, args);
}

void
console_panic_printf(const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	console_panic_vprintf(fmt, args);
	va_end(args);
}
