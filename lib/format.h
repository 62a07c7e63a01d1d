/* format.h - printf-style formatting into a caller-supplied sink, for hyp and rm alike.
 * Supports %c %s %d %i %u %x %X %p %% with optional 0-padding, width and l/ll/z modifiers. */
#pragma once

#include <stdarg.h>
#include <stddef.h>

typedef void (*format_sink_t)(void *ctx, char c);

/* Formats fmt into sink; returns the number of characters produced. */
size_t format_v(format_sink_t sink, void *ctx, const char *fmt, va_list args);

/* Formats into buf (always NUL-terminated when size > 0); returns the untruncated length. */
size_t format_buf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
