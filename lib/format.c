/* format.c - the one printf engine shared by the hypervisor and the resource manager.
 * No floating point (both are built with -mgeneral-regs-only) and no allocation. */
#include "format.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct {
	format_sink_t sink;
	void *ctx;
	size_t count;
} out_t;

static void
put(out_t *out, char c)
{
	out->sink(out->ctx, c);
	out->count++;
}

/* pad: ' ' or '0' to right-justify, '-' to left-justify, within `width` characters. */
static void
put_number(out_t *out, uint64_t value, unsigned base, bool upper, bool negative,
	   unsigned width, char pad)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	unsigned n = 0;
	do {
		tmp[n++] = digits[value % base];
		value /= base;
	} while (value != 0U);
	unsigned len = n + (negative ? 1U : 0U);
	if (negative && pad == '0') {
		put(out, '-');
	}
	for (; pad != '-' && len < width; len++) {
		put(out, pad);
	}
	if (negative && pad != '0') {
		put(out, '-');
	}
	while (n > 0U) {
		put(out, tmp[--n]);
	}
	for (; pad == '-' && len < width; len++) {
		put(out, ' ');
	}
}

static uint64_t
take_unsigned(va_list *args, unsigned longs)
{
	return longs > 0U ? va_arg(*args, uint64_t) : va_arg(*args, unsigned int);
}

static int64_t
take_signed(va_list *args, unsigned longs)
{
	return longs > 0U ? va_arg(*args, int64_t) : va_arg(*args, int);
}

size_t
format_v(format_sink_t sink, void *ctx, const char *fmt, va_list args)
{
	out_t out = { .sink = sink, .ctx = ctx, .count = 0 };
	va_list ap;
	va_copy(ap, args);
	for (const char *p = fmt; *p != '\0'; p++) {
		if (*p != '%') {
			put(&out, *p);
			continue;
		}
		p++;
		char pad = ' ';
		unsigned width = 0, longs = 0;
		if (*p == '0' || *p == '-') {
			pad = *p++;
		}
		while (*p >= '0' && *p <= '9') {
			width = width * 10U + (unsigned)(*p++ - '0');
		}
		while (*p == 'l' || *p == 'z') {
			longs++;
			p++;
		}
		switch (*p) {
		case 'c':
			put(&out, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			s = (s != NULL) ? s : "(null)";
			while (*s != '\0') {
				put(&out, *s++);
			}
			break;
		}
		case 'd':
		case 'i': {
			int64_t v = take_signed(&ap, longs);
			uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
			put_number(&out, mag, 10, false, v < 0, width, pad);
			break;
		}
		case 'u':
			put_number(&out, take_unsigned(&ap, longs), 10, false, false, width, pad);
			break;
		case 'x':
		case 'X':
			put_number(&out, take_unsigned(&ap, longs), 16, *p == 'X', false, width,
				   pad);
			break;
		case 'p':
			put(&out, '0');
			put(&out, 'x');
			put_number(&out, (uint64_t)(uintptr_t)va_arg(ap, void *), 16, false, false,
				   16, '0');
			break;
		case '%':
			put(&out, '%');
			break;
		case '\0':
			p--; /* a trailing lone '%' prints nothing more */
			break;
		default: /* unknown conversion: show it rather than guess */
			put(&out, '%');
			put(&out, *p);
			break;
		}
	}
	va_end(ap);
	return out.count;
}

typedef struct {
	char *buf;
	size_t size;
	size_t used;
} buf_sink_t;

static void
buf_put(void *ctx, char c)
{
	buf_sink_t *b = ctx;
	if (b->used + 1U < b->size) {
		b->buf[b->used] = c;
	}
	b->used++;
}

size_t
format_buf(char *buf, size_t size, const char *fmt, ...)
{
	buf_sink_t b = { .buf = buf, .size = size, .used = 0 };
	va_list args;
	va_start(args, fmt);
	size_t n = format_v(buf_put, &b, fmt, args);
	va_end(args);
	if (size > 0U) {
		buf[b.used < size ? b.used : size - 1U] = '\0';
	}
	return n;
}
