/* unit.h - a tiny harness for the host-side unit tests of hyp/: checks that print file:line
 * and the failing expression, then exit non-zero; a runner that ends with "N passed, M failed". */
#pragma once

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>

typedef struct unit_test {
	const char *name;
	void (*fn)(void);
} unit_test_t;

#define UNIT_TEST(fn) { #fn, fn }
#define UNIT_COUNT(tests) (sizeof(tests) / sizeof((tests)[0]))

/* Reports a failed check in the running test and exits with status 1. */
_Noreturn void unit_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Runs every test (or only those named on the command line), calling `after` (if not NULL)
 * after each one; prints "ok <name>" per test and the final count line. Returns the exit
 * status for main. */
int unit_main(int argc, char **argv, const unit_test_t *tests, size_t count, void (*after)(void));

/* `size` bytes of host memory aligned to `align` (exactly `size`, so ASan catches overruns);
 * release with free(). Exits the test on failure. */
void *unit_aligned_alloc(size_t align, size_t size);

/* A name for an error_t value, for messages ("?" if it is not one). */
const char *unit_error_name(int64_t value);

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			unit_fail(__FILE__, __LINE__, "CHECK(%s)", #cond); \
		}                                                           \
	} while (0)

#define CHECK_EQ(a, b)                                                                    \
	do {                                                                              \
		uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                          \
		if (a_ != b_) {                                                           \
			unit_fail(__FILE__, __LINE__,                                     \
				  "CHECK_EQ(%s, %s): %#" PRIx64 " != %#" PRIx64, #a, #b, a_, \
				  b_);                                                    \
		}                                                                         \
	} while (0)

/* An error_t expression equals an expected code; both are printed by name on failure. */
#define CHECK_ERR(expr, want)                                                             \
	do {                                                                              \
		int64_t got_ = (int64_t)(expr), want_ = (int64_t)(want);                  \
		if (got_ != want_) {                                                      \
			unit_fail(__FILE__, __LINE__, "CHECK_ERR(%s, %s): got %s (%" PRId64 \
				  "), want %s (%" PRId64 ")",                             \
				  #expr, #want, unit_error_name(got_), got_,              \
				  unit_error_name(want_), want_);                         \
		}                                                                         \
	} while (0)

#define CHECK_OK(expr) CHECK_ERR(expr, 0)

/* A seeded PRNG (xorshift64*) so every randomized test is reproducible. */
typedef struct {
	uint64_t state;
} unit_rng_t;

static inline void
unit_rng_seed(unit_rng_t *rng, uint64_t seed)
{
	rng->state = seed * 0x9e3779b97f4a7c15ULL + 0x2545f4914f6cdd1dULL;
	if (rng->state == 0U) {
		rng->state = 1U;
	}
}

static inline uint64_t
unit_rng_next(unit_rng_t *rng)
{
	uint64_t x = rng->state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng->state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* Uniform-enough value in [0, n) for n > 0. */
static inline uint64_t
unit_rng_below(unit_rng_t *rng, uint64_t n)
{
	return unit_rng_next(rng) % n;
}
