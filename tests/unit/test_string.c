/* test_string.c - lib/string.c's memcpy, whose aligned path copies overlapping blocks picked
 * by size: every size up to past two of its largest blocks, at every alignment of both ends,
 * against libc's, with guard bytes on both sides; and memmove, which must not use those
 * blocks on overlapping ends. lib/string.c is compiled here under other names (the host's C
 * library owns the real ones). */
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

/* memmove with overlapping ends in both directions (the RM client shifts its notes down by
 * one), and apart, where it hands over to memcpy. */
static void
test_memmove_overlapping(void)
{
	/* Room for 300 bytes moved 300 either way; aligned, so that word-aligned ends occur. */
	static _Alignas(16) unsigned char buf[1024], want[1024];
	static const size_t sizes[] = { 0, 1, 7, 8, 15, 16, 40, 64, 100, 128, 200, 240, 256, 300 };
	static const long shifts[] = { -300, -129, -64, -17, -8, -1, 1, 8, 17, 64, 129, 300 };
	for (size_t k = 0; k < 2U * sizeof(sizes) / sizeof(sizes[0]); k++) {
		for (size_t hi = 0; hi < sizeof(shifts) / sizeof(shifts[0]); hi++) {
			size_t n = sizes[k / 2U];
			size_t src = 352U + 3U * (k % 2U); /* aligned, then not */
			size_t dst = (size_t)((long)src + shifts[hi]);
			for (size_t i = 0; i < sizeof(buf); i++) {
				buf[i] = want[i] = (unsigned char)(i * 37U + 1U);
			}
			memmove(want + dst, want + src, n);
			void *ret = lib_memmove(buf + dst, buf + src, n);
			CHECK(ret == buf + dst);
			if (memcmp(buf, want, sizeof(buf)) != 0) {
				unit_fail(__FILE__, __LINE__, "memmove of %zu bytes by %ld", n,
					  shifts[hi]);
			}
		}
	}
}

int
main(int argc, char **argv)
{
	static const unit_test_t tests[] = {
		UNIT_TEST(test_memcpy_every_size_and_alignment),
		UNIT_TEST(test_memmove_overlapping),
	};
	return unit_main(argc, argv, tests, UNIT_COUNT(tests), NULL);
}
