/* console.c - a guest program's formatted console output, buffered per line and sent with
 * the console_write hypercall. A failed write has nowhere to be reported, so it is dropped. */
#include <stdarg.h>
#include <stddef.h>

#include "bothy_hypercalls.h"
#include "format.h"
#include "guest.h"
#include "guest_internal.h"

#define GUEST_CONSOLE_BUF 128U

static cap_id_t console_cap = CSPACE_CAP_INVALID;
static char buf[GUEST_CONSOLE_BUF];
static size_t used;

void
guest_console_init(cap_id_t cap)
{
	console_cap = cap;
}

static void
flush(void)
{
	if (used > 0U) {
		(void)bothy_console_write(console_cap, (uintptr_t)buf, used);
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
