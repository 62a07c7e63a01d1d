/* console.h - the hypervisor's serial console: whole lines, one writer at a time.
 * Every line carries its source ("[hyp]" or "[<vm>]") so output stays attributable. */
#pragma once

#include <stdarg.h>
#include <stddef.h>

/* Prints one formatted line prefixed "[hyp] " (a trailing newline is added). */
void hyp_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints a line on behalf of a VM: "[name] text". */
void console_vm_line(const char *vm_name, const char *text, size_t len);

/* Raw, lock-free output for the panic path, where the lock holder may be the dead CPU. */
void console_panic_puts(const char *s);
void console_panic_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void console_panic_vprintf(const char *fmt, va_list args);
