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

/* Copies `words` 64-bit words; a constant count unrolls into straight load/store pairs. */
static inline void
copy_words(uint64_t *d, const uint64_t *s, size_t words)
{
	for (size_t i = 0; i < words; i += 2U) {
		uint64_t w0 = s[i], w1 = s[i + 1U];
		d[i] = w0;
		d[i + 1U] = w1;
	}
}

void *
memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	/* Eight bytes at a time when both ends are aligned. Only aligned words: -mstrict-align
	 * builds (and guests running with their MMU off) must never make an unaligned access. */
	if ((((uintptr_t)d | (uintptr_t)s) & 7U) == 0U) {
		if ((n & 7U) != 0U) {
			for (size_t i = n & ~(size_t)7U; i < n; i++) {
				d[i] = s[i]; /* the bytes after the last whole word, first */
			}
		}
		uint64_t *d8 = (uint64_t *)(void *)d;
		const uint64_t *s8 = (const uint64_t *)(const void *)s;
		size_t words = n / 8U;
		/* From 64 bytes up, a block from the start and an equal one ending at the last
		 * word, overlapping in the middle: a 240-byte message (every message-queue send
		 * and receive copies up to 240) is two straight runs of 128 bytes, with no loop
		 * counter to test. Rewriting a few words is harmless, as memcpy's ends never
		 * overlap; both blocks start on a word, so every access stays aligned. 128 to
		 * 256 bytes, the message sizes, are tested first. */
		if (words - 16U <= 16U) {
			copy_words(d8, s8, 16U);
			copy_words(d8 + words - 16U, s8 + words - 16U, 16U);
			return dst;
		}
		if (words < 8U) {
			/* Short copies (RM RPC messages, say): 16 bytes per turn. */
			for (; words >= 2U; words -= 2U) {
				copy_words(d8, s8, 2U);
				d8 += 2;
				s8 += 2;
			}
			if (words != 0U) {
				d8[0] = s8[0];
			}
			return dst;
		}
		/* 64 to 128 bytes, or above 256 (a loop down to at most 256 first). */
		for (; words > 32U; words -= 16U) {
			copy_words(d8, s8, 16U);
			d8 += 16;
			s8 += 16;
		}
		if (words >= 16U) {
			copy_words(d8, s8, 16U);
			copy_words(d8 + words - 16U, s8 + words - 16U, 16U);
		} else {
			copy_words(d8, s8, 8U);
			copy_words(d8 + words - 8U, s8 + words - 8U, 8U);
		}
		return dst;
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
	uintptr_t da = (uintptr_t)d, sa = (uintptr_t)s;
	/* memcpy only for ends that do not overlap at all: its blocks overlap each other, so it
	 * reads source words that an overlapping destination has already overwritten. */
	if (da + n <= sa || sa + n <= da) {
		return memcpy(dst, src, n);
	}
	if (da < sa) {
		for (size_t i = 0; i < n; i++) {
			d[i] = s[i];
		}
	} else {
		while (n-- > 0U) {
			d[n] = s[n];
		}
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
