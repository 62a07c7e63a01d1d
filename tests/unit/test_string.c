/* test_string.c - lib/string.c's memcpy, whose aligned path copies overlapping blocks picked
 * by size: every size up to past two of its largest blocks, at every alignment of both ends,
 * against libc's, with guard bytes on both sides. lib/string.c is compiled here under other
 * names (the host's C library owns the real ones). */
#include <string.h>

#define memset lib_memset
#define memcpy lib_memcpy
#define memmove lib_memmove
#define memcmp lib_memcmp
#define strlen lib_strlen
#define strcmp lib_strcmp
#include "../../lib/string.c"
#undef memset
#undef memcpy
#undef memmove
#undef memcmp
#undef strlen
#undef strcmp

#include "unit.h"

#define GUARD 32U
#define MAX_SIZE 600U /* past 256 + 256: the block loop runs, and every size class after it */
#define BUF_SIZE (GUARD + 8U + MAX_SIZE + GUARD)

static void
test_memcpy_every_size_and_alignment(void)
{
	static unsigned char src[BUF_SIZE], dst[BUF_SIZE], want[BUF_SIZE];
	for (size_t i = 0; i < BUF_SIZE; i++) {
		src[i] = (unsigned char)(i * 131U + 7U);
	}
	for (size_t soff = 0; soff < 8U; soff++) {
		for (size_t doff = 0; doff < 8U; doff++) {
			for (size_t n = 0; n <= MAX_SIZE; n++) {
				memset(dst, 0xa5, sizeof(dst));
				memset(want, 0xa5, sizeof(want));
				memcpy(want + GUARD + doff, src + GUARD + soff, n);
				void *ret = lib_memcpy(dst + GUARD + doff, src + GUARD + soff, n);
				CHECK(ret == dst + GUARD + doff);
				if (memcmp(dst, want, sizeof(dst)) != 0) {
					unit_fail(__FILE__, __LINE__,
						  "memcpy of %zu bytes, source +%zu, "
						  "destination +%zu",
						  n, soff, doff);
				}
			}
		}
	}
}

int
main(int argc, char **argv)
{
	static const unit_test_t tests[] = {
		UNIT_TEST(test_memcpy_every_size_and_alignment),
	};
	return unit_main(argc, argv, tests, UNIT_COUNT(tests), NULL);
}
