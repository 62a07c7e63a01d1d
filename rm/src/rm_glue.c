/* rm_glue.c - the RM's console lines: rm_log for the RPC library, rm_report (the one failure
 * report), and the bytes VMs write with VM_CONSOLE_WRITE (as each VM's lines, escaped). */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "format.h"
#include "guest.h"
#include "rm.h"
#include "vm_registry.h"

#define RM_LOG_LINE 160U
#define RM_CONSOLE_CHUNK 64U
#define RM_CONSOLE_SHOWN_MAX 4U /* the most one byte is shown as: \xNN */

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
rm_report(const char *kind, const char *name, const char *step, error_t err)
{
	const char *err_name = error_name(err);
	char code[16];
	if (err_name == NULL) {
		format_buf(code, sizeof(code), "error %d", (int)err);
		err_name = code;
	}
	if (name != NULL) {
		rm_log("%s '%s': %s failed: %s", kind, name, step, err_name);
	} else {
		rm_log("%s: %s failed: %s", kind, step, err_name);
	}
}

/* Appends one byte of a VM's console output to `chunk`, shown so that it cannot pass for
 * anything but text of that VM's line: control characters, DEL and non-ASCII bytes (which
 * could start a line, move the cursor or recolour the terminal) as \xNN, a backslash as \\. */
static size_t
append_shown(char *chunk, size_t used, unsigned char b)
{
	static const char hex[] = "0123456789abcdef";
	if (b == '\\') {
		chunk[used++] = '\\';
		chunk[used++] = '\\';
	} else if (b < 0x20U || b >= 0x7fU) {
		chunk[used++] = '\\';
		chunk[used++] = 'x';
		chunk[used++] = hex[b >> 4];
		chunk[used++] = hex[b & 0xfU];
	} else {
		chunk[used++] = (char)b;
	}
	return used;
}

void
rm_console_write(const rm_vm_t *vm, const char *bytes, size_t len)
{
	/* Every line as the VM's: "[<name>] " first, as the hypervisor marks a VM's own console,
	 * so nothing a VM writes can pass for the RM's lines. A write that does not end its last
	 * line still ends it here: the RM's next line must not continue the VM's. Printed in
	 * NUL-terminated chunks. */
	char chunk[RM_CONSOLE_CHUNK + RM_CONSOLE_SHOWN_MAX + 1U];
	size_t used = 0;
	bool line_start = true;
	for (size_t i = 0; i < len; i++) {
		if (line_start) {
			guest_printf("[%s] ", vm->name);
			line_start = false;
		}
		unsigned char b = (unsigned char)bytes[i];
		if (b == '\n') {
			chunk[used++] = '\n';
			line_start = true;
		} else {
			used = append_shown(chunk, used, b);
		}
		if (line_start || used >= RM_CONSOLE_CHUNK) {
			chunk[used] = '\0';
			guest_printf("%s", chunk);
			used = 0;
		}
	}
	if (!line_start) {
		chunk[used++] = '\n';
		chunk[used] = '\0';
		guest_printf("%s", chunk);
	}
}
