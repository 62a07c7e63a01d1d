/* console.c - the one owner of the board UART's output: attributable lines, and the primary
 * VM's raw stream. One lock serialises writers so no line ever splices into another's text. */
#include <stdarg.h>
#include <stdbool.h>

#include "console.h"
#include "format.h"
#include "platform.h"
#include "spinlock.h"

static spinlock_t console_lock;
/* The primary VM's last byte was not a newline (under console_lock). */
static bool primary_mid_line;

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

/* A whole line is about to be printed: if the primary VM left its cursor mid-line (a shell
 * prompt, a half-typed command), move to column 0 of a fresh line first. Lock held. */
static void
line_start(void)
{
	if (primary_mid_line) {
		put_str("\n");
		primary_mid_line = false;
	}
}

void
hyp_log(const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	spinlock_acquire(&console_lock);
	line_start();
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
	line_start();
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
console_primary_write(const char *data, size_t len)
{
	if (len == 0U) {
		return;
	}
	spinlock_acquire(&console_lock);
	/* Unchanged: the primary's console is a terminal, and Linux sends its own "\r\n". */
	for (size_t i = 0; i < len; i++) {
		platform_uart_putc(data[i]);
	}
	primary_mid_line = data[len - 1U] != '\n';
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
