/* console.c - the RM's formatted console output, buffered and sent via console_write.
 * A failing hypercall has nowhere to report to, so it is counted and shown on the next line. */
#include <stdarg.h>
#include <stddef.h>

#include "bothy_hypercalls.h"
#include "format.h"
#include "rm_console.h"

#define RM_CONSOLE_BUF 128U

static cap_id_t console_cap = CSPACE_CAP_INVALID;
static char buf[RM_CONSOLE_BUF];
static size_t used;

void
rm_console_init(cap_id_t cap)
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
	if (c == '\n' || used == RM_CONSOLE_BUF) {
		flush();
	}
}

void
rm_printf(const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	(void)format_v(sink, NULL, fmt, args);
	va_end(args);
}
