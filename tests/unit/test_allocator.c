/* test_allocator.c - host tests of hyp/core/allocator.c: range checks, rounding, alignment,
 * exhaustion, coalescing in every free order, and seeded random alloc/free sequences. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "allocator.h"
#include "unit.h"

#define G ALLOCATOR_GRANULE
#define ARENA (64U * 1024U)

/* Host memory for one test's ranges (16 KiB aligned), released after the test. */
static unsigned char *arena;

static unsigned char *
fresh_arena(size_t bytes)
{
	free(arena);
	arena = unit_aligned_alloc(16384, bytes); /* so offsets decide alignment */
	memset(arena, 0xa5, bytes);
	return arena;
}

static void
release_arena(void)
{
	free(arena);
	arena = NULL;
}

static size_t
rounded(size_t size)
{
	return (size + G - 1U) & ~(size_t)(G - 1U);
}

/* The allocator holds exactly one free block, [base, base+size): all of it comes back in
 * one allocation at base, and nothing is left after it. */
static void
check_one_block(allocator_t *a, void *base, size_t size)
{
	CHECK_EQ(a->free_bytes, size);
	void *all = allocator_alloc(a, size, 1);
	CHECK(all == base);
	CHECK_EQ(a->free_bytes, 0);
	CHECK(allocator_alloc(a, 1, 1) == NULL);
	allocator_free(a, all, size);
	CHECK_EQ(a->free_bytes, size);
}

static void
test_empty_allocator(void)
{
	allocator_t a;
	allocator_init(&a);
	CHECK_EQ(a.free_bytes, 0);
	CHECK_EQ(a.total_bytes, 0);
	CHECK(a.free_list == NULL);
	CHECK(allocator_alloc(&a, 1, 1) == NULL);
	CHECK(allocator_alloc(&a, G, G) == NULL);
}

static void
test_add_range_errors(void)
{
	unsigned char *mem = fresh_arena(4096);
	allocator_t a;
	allocator_init(&a);
	CHECK_ERR(allocator_add_range(&a, mem + 8, 64), ERROR_ARGUMENT_ALIGNMENT);
	CHECK_ERR(allocator_add_range(&a, mem + 1, 64), ERROR_ARGUMENT_ALIGNMENT);
	CHECK_ERR(allocator_add_range(&a, mem, 100), ERROR_ARGUMENT_ALIGNMENT);
	CHECK_ERR(allocator_add_range(&a, mem, G - 1U), ERROR_ARGUMENT_ALIGNMENT);
	/* Alignment is checked before size: a misaligned empty range is an alignment error. */
	CHECK_ERR(allocator_add_range(&a, mem + 8, 0), ERROR_ARGUMENT_ALIGNMENT);
	CHECK_ERR(allocator_add_range(&a, mem, 0), ERROR_ARGUMENT_SIZE);
	/* A range that wraps the address space (never dereferenced: it is refused first). */
	uintptr_t top = (UINTPTR_MAX - 0xfffU) & ~(uintptr_t)(G - 1U);
	CHECK_ERR(allocator_add_range(&a, (void *)top, 0x2000), ERROR_ARGUMENT_SIZE);
	CHECK_ERR(allocator_add_range(&a, (void *)top, SIZE_MAX & ~(size_t)(G - 1U)),
		  ERROR_ARGUMENT_SIZE);
	/* Refused ranges change nothing. */
	CHECK_EQ(a.free_bytes, 0);
	CHECK_EQ(a.total_bytes, 0);
	CHECK(a.free_list == NULL);
	CHECK_OK(allocator_add_range(&a, mem, 4096));
	CHECK_EQ(a.free_bytes, 4096);
	CHECK_EQ(a.total_bytes, 4096);
	check_one_block(&a, mem, 4096);
	release_arena();
}

static void
test_alloc_argument_checks(void)
{
	unsigned char *mem = fresh_arena(1024);
	allocator_t a;
	allocator_init(&a);
	CHECK_OK(allocator_add_range(&a, mem, 1024));
	CHECK(allocator_alloc(&a, 0, G) == NULL);
	CHECK(allocator_alloc(&a, G, 0) == NULL);
	CHECK(allocator_alloc(&a, G, 3) == NULL);
	CHECK(allocator_alloc(&a, G, 24) == NULL);
	CHECK(allocator_alloc(&a, G, (size_t)G * 3U) == NULL);
	CHECK(allocator_alloc(&a, 1025, G) == NULL);
	CHECK(allocator_alloc(&a, SIZE_MAX, G) == NULL);
	CHECK(allocator_alloc(&a, SIZE_MAX - 7U, G) == NULL);
	CHECK_EQ(a.free_bytes, 1024);
	check_one_block(&a, mem, 1024);
	release_arena();
}

static void
test_sizes_round_to_granule(void)
{
	unsigned char *mem = fresh_arena(4096);
	allocator_t a;
	allocator_init(&a);
	CHECK_OK(allocator_add_range(&a, mem, 4096));
	size_t sizes[] = { 1, 2, 15, 16, 17, 31, 32, 33, 100, 255, 256, 257 };
	for (size_t i = 0; i < UNIT_COUNT(sizes); i++) {
		unsigned char *p = allocator_alloc(&a, sizes[i], 1);
		CHECK(p != NULL);
		CHECK((uintptr_t)p % G == 0U);
		CHECK_EQ(a.free_bytes, 4096U - rounded(sizes[i]));
		/* First fit from an empty allocator: the start of the range. */
		CHECK(p == mem);
		memset(p, 0x11, sizes[i]);
		allocator_free(&a, p, sizes[i]);
		CHECK_EQ(a.free_bytes, 4096);
	}
	check_one_block(&a, mem, 4096);
	/* Consecutive allocations are packed at granule steps. */
	unsigned char *p1 = allocator_alloc(&a, 1, 1);
	unsigned char *p2 = allocator_alloc(&a, 17, 1);
	unsigned char *p3 = allocator_alloc(&a, 16, 1);
	CHECK(p1 == mem);
	CHECK(p2 == mem + G);
	CHECK(p3 == mem + 3U * G);
	allocator_free(&a, p2, 17);
	allocator_free(&a, p1, 1);
	allocator_free(&a, p3, 16);
	check_one_block(&a, mem, 4096);
	release_arena();
}

static void
test_alignment_honoured(void)
{
	unsigned char *mem = fresh_arena(64U * 1024U);
	for (size_t align = 1; align <= 16384U; align <<= 1) {
		/* The range starts a granule past a page: large alignments must skip a head. */
		unsigned char *base = mem + G;
		size_t size = 64U * 1024U - G;
		allocator_t a;
		allocator_init(&a);
		CHECK_OK(allocator_add_range(&a, base, size));
		/* As many blocks as there are surely aligned addresses in the range, up to 8. */
		size_t count = size / align - 1U < 8U ? size / align - 1U : 8U;
		void *blocks[8];
		for (size_t i = 0; i < count; i++) {
			blocks[i] = allocator_alloc(&a, 40, align);
			CHECK(blocks[i] != NULL);
			uintptr_t p = (uintptr_t)blocks[i];
			CHECK(p % (align < G ? G : align) == 0U);
			CHECK(p >= (uintptr_t)base && p + 40U <= (uintptr_t)base + size);
			memset(blocks[i], (int)i, 40);
		}
		CHECK_EQ(a.free_bytes, size - count * rounded(40));
		for (size_t i = 0; i < count; i++) {
			for (size_t b = 0; b < 40U; b++) {
				CHECK_EQ(((unsigned char *)blocks[i])[b], i);
			}
			allocator_free(&a, blocks[i], 40);
		}
		check_one_block(&a, base, size);
	}
	release_arena();
}

static void
test_alignment_larger_than_range(void)
{
	unsigned char *mem = fresh_arena(8192);
	allocator_t a;
	allocator_init(&a);
	/* 4 KiB starting 16 bytes past a 4 KiB boundary holds no 4 KiB-aligned 4 KiB block, and
	 * holds no 8 KiB-aligned address at all. */
	CHECK_OK(allocator_add_range(&a, mem + G, 4096));
	CHECK(allocator_alloc(&a, 4096, 4096) == NULL);
	CHECK(allocator_alloc(&a, 16, 8192) == NULL);
	CHECK(allocator_alloc(&a, 16, (size_t)1 << 62) == NULL);
	CHECK_EQ(a.free_bytes, 4096);
	/* A small block at the one 4 KiB boundary inside fits: it ends the range. */
	void *p = allocator_alloc(&a, 16, 4096);
	CHECK(p == mem + 4096);
	CHECK_EQ(a.free_bytes, 4096U - 16U);
	allocator_free(&a, p, 16);
	/* At a 2 KiB boundary, the unused head and tail both stay free, exactly. */
	p = allocator_alloc(&a, 16, 2048);
	CHECK(p == mem + 2048);
	CHECK_EQ(a.free_bytes, 4096U - 16U);
	void *head = allocator_alloc(&a, 2048U - G, 1);
	CHECK(head == mem + G);
	void *tail = allocator_alloc(&a, 2048, 1);
	CHECK(tail == mem + 2048 + G);
	CHECK_EQ(a.free_bytes, 0);
	allocator_free(&a, tail, 2048);
	allocator_free(&a, p, 16);
	allocator_free(&a, head, 2048U - G);
	check_one_block(&a, mem + G, 4096);
	release_arena();
}

static void
test_exhaustion_and_exact_fit(void)
{
	enum { N = 256 };
	unsigned char *mem = fresh_arena(N * G);
	allocator_t a;
	allocator_init(&a);
	CHECK_OK(allocator_add_range(&a, mem, N * G));
	void *blocks[N];
	for (size_t i = 0; i < N; i++) {
		blocks[i] = allocator_alloc(&a, G, G);
		CHECK(blocks[i] == mem + i * G);
	}
	CHECK_EQ(a.free_bytes, 0);
	CHECK(allocator_alloc(&a, 1, 1) == NULL);
	CHECK(a.free_list == NULL);
	/* One hole: only a block that fits it can be had, and then nothing. */
	allocator_free(&a, blocks[100], G);
	CHECK(allocator_alloc(&a, G + 1U, 1) == NULL);
	/* The hole is at offset 1600: 64-aligned but not 128-aligned. */
	CHECK(allocator_alloc(&a, G, 128) == NULL);
	CHECK(allocator_alloc(&a, G, 64) == blocks[100]);
	CHECK_EQ(a.free_bytes, 0);
	for (size_t i = 0; i < N; i++) {
		allocator_free(&a, blocks[i], G);
	}
	check_one_block(&a, mem, N * G);
	release_arena();
}

/* Allocates N blocks of mixed sizes, frees them in `order`, and checks that the free bytes
 * rise by exactly each block and that the range is one block again at the end. */
static void
free_in_order(const size_t *order, size_t n)
{
	unsigned char *mem = fresh_arena(ARENA);
	allocator_t a;
	allocator_init(&a);
	CHECK_OK(allocator_add_range(&a, mem, ARENA));
	void *blocks[64];
	size_t sizes[64];
	CHECK(n <= 64U);
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		sizes[i] = 1U + (i * 37U) % 300U;
		blocks[i] = allocator_alloc(&a, sizes[i], 1);
		CHECK(blocks[i] != NULL);
		used += rounded(sizes[i]);
		CHECK_EQ(a.free_bytes, ARENA - used);
	}
	for (size_t k = 0; k < n; k++) {
		size_t i = order[k];
		allocator_free(&a, blocks[i], sizes[i]);
		used -= rounded(sizes[i]);
		CHECK_EQ(a.free_bytes, ARENA - used);
	}
	check_one_block(&a, mem, ARENA);
	release_arena();
}

static void
test_free_orders_coalesce(void)
{
	enum { N = 40 };
	size_t order[N];
	for (size_t i = 0; i < N; i++) { /* forwards */
		order[i] = i;
	}
	free_in_order(order, N);
	for (size_t i = 0; i < N; i++) { /* backwards */
		order[i] = N - 1U - i;
	}
	free_in_order(order, N);
	for (size_t i = 0; i < N; i++) { /* evens then odds: every later free joins two */
		order[i] = i < N / 2 ? 2U * i : 2U * (i - N / 2) + 1U;
	}
	free_in_order(order, N);
	for (size_t i = 0; i < N; i++) { /* from the middle outwards */
		order[i] = i % 2U == 0U ? N / 2 + i / 2 : N / 2 - 1U - i / 2;
	}
	free_in_order(order, N);
	unit_rng_t rng;
	for (uint64_t seed = 1; seed <= 50U; seed++) { /* seeded shuffles */
		unit_rng_seed(&rng, seed);
		for (size_t i = 0; i < N; i++) {
			order[i] = i;
		}
		for (size_t i = N - 1U; i > 0U; i--) {
			size_t j = (size_t)unit_rng_below(&rng, i + 1U);
			size_t t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		free_in_order(order, N);
	}
}

static void
test_first_fit_reuses_lowest_hole(void)
{
	unsigned char *mem = fresh_arena(4096);
	allocator_t a;
	allocator_init(&a);
	CHECK_OK(allocator_add_range(&a, mem, 4096));
	void *x = allocator_alloc(&a, 64, 1);
	void *y = allocator_alloc(&a, 64, 1);
	void *z = allocator_alloc(&a, 64, 1);
	void *w = allocator_alloc(&a, 64, 1);
	allocator_free(&a, z, 64);
	allocator_free(&a, x, 64);
	CHECK(allocator_alloc(&a, 32, 1) == x);
	CHECK(allocator_alloc(&a, 64, 1) == z); /* 32 left at x+32 is too small */
	CHECK(allocator_alloc(&a, 32, 1) == (unsigned char *)x + 32);
	allocator_free(&a, (unsigned char *)x + 32, 32);
	allocator_free(&a, x, 32);
	allocator_free(&a, z, 64);
	allocator_free(&a, y, 64);
	allocator_free(&a, w, 64);
	check_one_block(&a, mem, 4096);
	release_arena();
}

static void
test_ranges_added_in_pieces_coalesce(void)
{
	unsigned char *mem = fresh_arena(4096);
	allocator_t a;
	allocator_init(&a);
	/* Out of order; each new piece touches what is there. */
	CHECK_OK(allocator_add_range(&a, mem + 2048, 1024));
	CHECK_OK(allocator_add_range(&a, mem, 1024));
	CHECK_OK(allocator_add_range(&a, mem + 3072, 1024));
	CHECK_OK(allocator_add_range(&a, mem + 1024, 1024));
	CHECK_EQ(a.total_bytes, 4096);
	check_one_block(&a, mem, 4096);
	release_arena();
}

static void
test_separate_ranges_stay_separate(void)
{
	unsigned char *mem = fresh_arena(8192);
	allocator_t a;
	allocator_init(&a);
	/* Two ranges with a gap: enough free bytes in total, but no block holds 3 KiB. */
	CHECK_OK(allocator_add_range(&a, mem + 4096, 2048));
	CHECK_OK(allocator_add_range(&a, mem, 2048));
	CHECK_EQ(a.free_bytes, 4096);
	CHECK(allocator_alloc(&a, 3072, 1) == NULL);
	void *lo = allocator_alloc(&a, 2048, 1);
	void *hi = allocator_alloc(&a, 2048, 1);
	CHECK(lo == mem);
	CHECK(hi == mem + 4096);
	CHECK_EQ(a.free_bytes, 0);
	allocator_free(&a, hi, 2048);
	allocator_free(&a, lo, 2048);
	CHECK_EQ(a.free_bytes, 4096);
	CHECK(allocator_alloc(&a, 3072, 1) == NULL);
	release_arena();
}

typedef struct live {
	unsigned char *ptr;
	size_t size;
	unsigned char fill;
} live_t;

static void
random_sequence(uint64_t seed, size_t ops)
{
	enum { MAX_LIVE = 512 };
	/* Two ranges with a gap between them, so blocks never straddle the gap. */
	unsigned char *mem = fresh_arena(2U * ARENA);
	unsigned char *r1 = mem, *r2 = mem + ARENA + 4096U;
	size_t s1 = ARENA, s2 = ARENA - 4096U;
	allocator_t a;
	allocator_init(&a);
	CHECK_OK(allocator_add_range(&a, r2, s2));
	CHECK_OK(allocator_add_range(&a, r1, s1));
	const size_t total = s1 + s2;
	static live_t live[MAX_LIVE];
	size_t n = 0, used = 0;
	unit_rng_t rng;
	unit_rng_seed(&rng, seed);
	for (size_t op = 0; op < ops; op++) {
		bool do_alloc = n == 0U || (n < MAX_LIVE && unit_rng_below(&rng, 100) < 55U);
		if (do_alloc) {
			size_t limit = unit_rng_below(&rng, 4) == 0U ? 4096U : 200U;
			size_t size = 1U + (size_t)unit_rng_below(&rng, limit);
			size_t align = (size_t)1 << unit_rng_below(&rng, 11);
			unsigned char *p = allocator_alloc(&a, size, align);
			if (p == NULL) { /* no block fits: nothing changed */
				CHECK_EQ(a.free_bytes, total - used);
				continue;
			}
			uintptr_t lo = (uintptr_t)p, hi = lo + rounded(size);
			CHECK(lo % (align < G ? G : align) == 0U);
			bool in1 = lo >= (uintptr_t)r1 && hi <= (uintptr_t)r1 + s1;
			bool in2 = lo >= (uintptr_t)r2 && hi <= (uintptr_t)r2 + s2;
			CHECK(in1 || in2);
			for (size_t i = 0; i < n; i++) {
				uintptr_t lo2 = (uintptr_t)live[i].ptr;
				uintptr_t hi2 = lo2 + rounded(live[i].size);
				CHECK(hi <= lo2 || lo >= hi2);
			}
			live[n] = (live_t){ p, size, (unsigned char)unit_rng_next(&rng) };
			memset(p, live[n].fill, rounded(size));
			n++;
			used += rounded(size);
		} else {
			size_t i = (size_t)unit_rng_below(&rng, n);
			/* No allocator write reached a live block. */
			for (size_t b = 0; b < rounded(live[i].size); b++) {
				CHECK_EQ(live[i].ptr[b], live[i].fill);
			}
			allocator_free(&a, live[i].ptr, live[i].size);
			used -= rounded(live[i].size);
			live[i] = live[--n];
		}
		CHECK_EQ(a.free_bytes, total - used);
		CHECK_EQ(a.total_bytes, total);
	}
	while (n > 0U) {
		n--;
		for (size_t b = 0; b < rounded(live[n].size); b++) {
			CHECK_EQ(live[n].ptr[b], live[n].fill);
		}
		allocator_free(&a, live[n].ptr, live[n].size);
	}
	CHECK_EQ(a.free_bytes, total);
	/* Back to exactly the two ranges, each one block. */
	void *b1 = allocator_alloc(&a, s1, 1);
	void *b2 = allocator_alloc(&a, s2, 1);
	CHECK(b1 == r1);
	CHECK(b2 == r2);
	CHECK_EQ(a.free_bytes, 0);
	release_arena();
}

static void
test_random_sequences(void)
{
	for (uint64_t seed = 1; seed <= 12U; seed++) {
		random_sequence(seed, 4000);
	}
}

int
main(int argc, char **argv)
{
	static const unit_test_t tests[] = {
		UNIT_TEST(test_empty_allocator),
		UNIT_TEST(test_add_range_errors),
		UNIT_TEST(test_alloc_argument_checks),
		UNIT_TEST(test_sizes_round_to_granule),
		UNIT_TEST(test_alignment_honoured),
		UNIT_TEST(test_alignment_larger_than_range),
		UNIT_TEST(test_exhaustion_and_exact_fit),
		UNIT_TEST(test_free_orders_coalesce),
		UNIT_TEST(test_first_fit_reuses_lowest_hole),
		UNIT_TEST(test_ranges_added_in_pieces_coalesce),
		UNIT_TEST(test_separate_ranges_stay_separate),
		UNIT_TEST(test_random_sequences),
	};
	return unit_main(argc, argv, tests, UNIT_COUNT(tests), release_arena);
}
