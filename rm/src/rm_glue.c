/* rm_glue.c - what the RPC library asks of the RM, on the RM's console: rm_log lines and the
 * bytes VMs write with VM_CONSOLE_WRITE (printed as RM lines). */
#include <stdarg.h>
#include <stddef.h>

#include "format.h"
#include "guest.h"
#include "vm_registry.h"

#define RM_LOG_LINE 160U
#define RM_CONSOLE_CHUNK 64U

typedef struct {
	char *buf;
	size_t used;
} line_t;

static void
line_sink(void *ctx, char c)
{
	line_t *line = ctx;
	if (line->used + 1U < RM_LOG_LINE) {
		line->buf[line->used++] = c;
	}
}

void
rm_log(const char *fmt, ...)
{
	char buf[RM_LOG_LINE];
	line_t line = { buf, 0 };
	va_list args;
	va_start(args, fmt);
	(void)format_v(line_sink, &line, fmt, args);
	va_end(args);
	buf[line.used] = '\0';
	guest_printf("%s\n", buf);
}

void
rm_console_write(const rm_vm_t *vm, const char *bytes, size_t len)
{
	/* In chunks, as NUL-terminated strings: a NUL byte from the VM must not end the output. */
	char chunk[RM_CONSOLE_CHUNK + 1U];
	while (len > 0U) {
		size_t n = len < RM_CONSOLE_CHUNK ? len : RM_CONSOLE_CHUNK;
		for (size_t i = 0; i < n; i++) {
			chunk[i] = bytes[i] == '\0' ? '?' : bytes[i];
		}
		chunk[n] = '\0';
		guest_printf("%s", chunk);
		bytes += n;
		len -= n;
	}
	(void)vm;
}
