/* string.c - the few C library memory and string functions a freestanding build still needs.
 * clang may emit calls to memcpy/memset for struct copies, so these must exist in hyp and rm. */
#include <stddef.h>
#include <stdint.h>

#include "util_string.h"

void *
memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	while (n-- > 0U) {
		*d++ = (unsigned char)c;
	}
	return dst;
}

void *
memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	/* Eight bytes at a time when both ends are aligned: every message-queue send and receive
	 * copies up to 240 bytes. Only aligned words: -mstrict-align builds (and guests running
	 * with their MMU off) must never make an unaligned access. */
	if ((((uintptr_t)d | (uintptr_t)s) & 7U) == 0U) {
		uint64_t *d8 = (uint64_t *)(void *)d;
		const uint64_t *s8 = (const uint64_t *)(const void *)s;
		/* 64 bytes per turn (four load/store pairs): the hypervisor copies a trap frame
		 * on every vCPU switch, and each message twice. */
		for (; n >= 64U; n -= 64U) {
			uint64_t w0 = s8[0], w1 = s8[1], w2 = s8[2], w3 = s8[3];
			uint64_t w4 = s8[4], w5 = s8[5], w6 = s8[6], w7 = s8[7];
			d8[0] = w0;
			d8[1] = w1;
			d8[2] = w2;
			d8[3] = w3;
			d8[4] = w4;
			d8[5] = w5;
			d8[6] = w6;
			d8[7] = w7;
			d8 += 8;
			s8 += 8;
		}
		for (; n >= 16U; n -= 16U) {
			uint64_t w0 = s8[0], w1 = s8[1];
			d8[0] = w0;
			d8[1] = w1;
			d8 += 2;
			s8 += 2;
		}
		for (; n >= 8U; n -= 8U) {
			*d8++ = *s8++;
		}
		d = (unsigned char *)d8;
		s = (const unsigned char *)s8;
	}
	while (n-- > 0U) {
		*d++ = *s++;
	}
	return dst;
}

void *
memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	if (d < s) {
		return memcpy(dst, src, n);
	}
	while (n-- > 0U) {
		d[n] = s[n];
	}
	return dst;
}

int
memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (size_t i = 0; i < n; i++) {
		if (x[i] != y[i]) {
			return (int)x[i] - (int)y[i];
		}
	}
	return 0;
}

size_t
strlen(const char *s)
{
	size_t n = 0;
	while (s[n] != '\0') {
		n++;
	}
	return n;
}

int
strcmp(const char *a, const char *b)
{
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return (int)(unsigned char)*a - (int)(unsigned char)*b;
}
