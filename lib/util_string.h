/* util_string.h - declarations of lib/string.c, the freestanding memory/string helpers.
 * Named util_string.h so it never shadows a host <string.h> in host-side unit tests. */
#pragma once

#include <stddef.h>

void *memset(void *dst, int c, size_t n);
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
