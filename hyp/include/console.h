/* console.h - the hypervisor's serial console: whole lines, one writer at a time.
 * Every line carries its source ("[hyp]" or "[<vm>]") so output stays attributable, except
 * the primary VM's, whose console is the interactive serial port itself. */
#pragma once

#include <stdarg.h>
#include <stddef.h>

/* Prints one formatted line prefixed "[hyp] " (a trailing newline is added). */
void hyp_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints a line on behalf of a VM: "[name] text". */
void console_vm_line(const char *vm_name, const char *text, size_t len);

/* The primary VM's console bytes, written raw. Other lines printed while it is mid-line
 * start on a fresh line, never spliced into its text. */
void console_primary_write(const char *data, size_t len);

/* Raw, lock-free output for the panic path, where the lock holder may be the dead CPU. */
void console_panic_puts(const char *s);
void console_panic_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void console_panic_vprintf(const char *fmt, va_list args);
