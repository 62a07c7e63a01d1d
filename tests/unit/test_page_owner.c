/* test_page_owner.c - host tests of hyp/core/page_owner.c: range checks, moves that must leave
 * both maps untouched on failure, return to the parent, and a seeded model check that no page
 * is ever owned by two maps (a parent and its children, as memextent.c uses them). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "page_owner.h"
#include "unit.h"

#define P PAGE_OWNER_PAGE
#define BASE 0x40000000ULL
#define PAGES 200U /* not a multiple of 64: the last word is partial */

typedef struct {
	page_owner_t po;
	uint64_t words[(PAGES + 63U) / 64U];
} map_t;

static void
init(map_t *m, uint64_t base, uint64_t pages, bool owned)
{
	for (size_t i = 0; i < sizeof(m->words) / sizeof(m->words[0]); i++) {
		m->words[i] = 0U;
	}
	m->po = (page_owner_t){ .base = base, .pages = pages, .bits = m->words };
	if (owned) {
		page_owner_set(&m->po, base, pages * P, true);
	}
}

static void
test_words(void)
{
	CHECK_EQ(page_owner_words(0), 0);
	CHECK_EQ(page_owner_words(1), 1);
	CHECK_EQ(page_owner_words(64), 1);
	CHECK_EQ(page_owner_words(65), 2);
}

static void
test_covers(void)
{
	map_t m;
	init(&m, BASE, PAGES, false);
	CHECK(page_owner_covers(&m.po, BASE, P));
	CHECK(page_owner_covers(&m.po, BASE, PAGES * P));
	CHECK(!page_owner_covers(&m.po, BASE, 0));                /* empty */
	CHECK(!page_owner_covers(&m.po, BASE + 1U, P));           /* unaligned base */
	CHECK(!page_owner_covers(&m.po, BASE, P + 8U));           /* unaligned size */
	CHECK(!page_owner_covers(&m.po, BASE - P, 2U * P));       /* below */
	CHECK(!page_owner_covers(&m.po, BASE, (PAGES + 1U) * P)); /* past the end */
	CHECK(!page_owner_covers(&m.po, UINT64_MAX & ~(uint64_t)(P - 1U), 2U * P)); /* wraps */
}

static void
test_set_all_none_count(void)
{
	map_t m;
	init(&m, BASE, PAGES, true);
	CHECK_EQ(page_owner_count(&m.po), PAGES);
	CHECK(page_owner_all(&m.po, BASE, PAGES * P));
	page_owner_set(&m.po, BASE + 63U * P, 2U * P, false); /* across a word boundary */
	CHECK_EQ(page_owner_count(&m.po), PAGES - 2U);
	CHECK(!page_owner_all(&m.po, BASE, PAGES * P));
	CHECK(page_owner_none(&m.po, BASE + 63U * P, 2U * P));
	CHECK(!page_owner_none(&m.po, BASE + 62U * P, 2U * P));
	CHECK(page_owner_all(&m.po, BASE + 65U * P, (PAGES - 65U) * P));
	/* Out of range: neither all nor none, and set changes nothing. */
	CHECK(!page_owner_all(&m.po, BASE + PAGES * P, P));
	CHECK(!page_owner_none(&m.po, BASE + PAGES * P, P));
	page_owner_set(&m.po, BASE + (PAGES - 1U) * P, 2U * P, false);
	CHECK_EQ(page_owner_count(&m.po), PAGES - 2U);
}

static void
test_move(void)
{
	map_t parent, child, sibling;
	init(&parent, BASE, PAGES, true);
	init(&child, BASE + 10U * P, 20U, false);
	init(&sibling, BASE + 10U * P, 20U, false);
	CHECK_OK(page_owner_move(&parent.po, &child.po, BASE + 12U * P, 4U * P));
	CHECK_EQ(page_owner_count(&parent.po), PAGES - 4U);
	CHECK_EQ(page_owner_count(&child.po), 4U);
	CHECK(page_owner_all(&child.po, BASE + 12U * P, 4U * P));
	CHECK(page_owner_none(&parent.po, BASE + 12U * P, 4U * P));
	/* Again: the parent owns none of it now. */
	CHECK_ERR(page_owner_move(&parent.po, &child.po, BASE + 12U * P, P), ERROR_MEMDB_NOT_OWNER);
	/* Partly owned: nothing moves. */
	CHECK_ERR(page_owner_move(&child.po, &sibling.po, BASE + 14U * P, 4U * P),
		  ERROR_MEMDB_NOT_OWNER);
	CHECK_EQ(page_owner_count(&child.po), 4U);
	CHECK_EQ(page_owner_count(&sibling.po), 0U);
	/* Outside the receiver's range. */
	CHECK_ERR(page_owner_move(&parent.po, &child.po, BASE + 5U * P, P), ERROR_ARGUMENT_SIZE);
	CHECK_ERR(page_owner_move(&parent.po, &child.po, BASE + 29U * P, 2U * P),
		  ERROR_ARGUMENT_SIZE);
	CHECK_ERR(page_owner_move(&parent.po, &child.po, BASE + 20U * P, 0), ERROR_ARGUMENT_SIZE);
	CHECK_EQ(page_owner_count(&parent.po), PAGES - 4U);
	/* Sibling to sibling, then a receiver that already owns part of it refuses. */
	CHECK_OK(page_owner_move(&child.po, &sibling.po, BASE + 12U * P, 2U * P));
	CHECK_OK(page_owner_move(&parent.po, &child.po, BASE + 20U * P, P));
	page_owner_set(&parent.po, BASE + 20U * P, P, true); /* a broken invariant, on purpose */
	CHECK_ERR(page_owner_check_move(&parent.po, &child.po, BASE + 20U * P, P),
		  ERROR_MEMDB_NOT_OWNER);
}

static void
test_return_all(void)
{
	map_t parent, child;
	init(&parent, BASE, PAGES, true);
	init(&child, BASE + 100U * P, 70U, false);
	CHECK_OK(page_owner_move(&parent.po, &child.po, BASE + 100U * P, 3U * P));
	CHECK_OK(page_owner_move(&parent.po, &child.po, BASE + 160U * P, 10U * P));
	CHECK_EQ(page_owner_count(&parent.po), PAGES - 13U);
	page_owner_return_all(&child.po, &parent.po);
	CHECK_EQ(page_owner_count(&child.po), 0U);
	CHECK_EQ(page_owner_count(&parent.po), PAGES);
}

/* A parent and three children over overlapping ranges, random moves among them (parent to
 * child, child to parent, child to child): every page stays owned by exactly one map. */
static void
test_random_exclusive(void)
{
	enum { MAPS = 4 };
	static map_t maps[MAPS];
	init(&maps[0], BASE, PAGES, true);
	init(&maps[1], BASE, 100U, false);
	init(&maps[2], BASE + 50U * P, 150U, false);
	init(&maps[3], BASE + 30U * P, 120U, false);
	unit_rng_t rng;
	unit_rng_seed(&rng, 16U);
	for (unsigned round = 0; round < 20000U; round++) {
		unsigned from = (unsigned)(unit_rng_next(&rng) % MAPS);
		unsigned to = (unsigned)(unit_rng_next(&rng) % MAPS);
		uint64_t page = unit_rng_next(&rng) % PAGES;
		uint64_t count = 1U + unit_rng_next(&rng) % 8U;
		if (from == to) {
			continue;
		}
		error_t err = page_owner_move(&maps[from].po, &maps[to].po, BASE + page * P,
					      count * P);
		CHECK(err == OK || err == ERROR_MEMDB_NOT_OWNER || err == ERROR_ARGUMENT_SIZE);
		if (round % 97U == 0U) {
			page_owner_return_all(&maps[1U + round % 3U].po, &maps[0].po);
		}
		uint64_t total = 0;
		for (unsigned i = 0; i < MAPS; i++) {
			total += page_owner_count(&maps[i].po);
		}
		CHECK_EQ(total, PAGES);
		for (uint64_t p = page; p < page + count && p < PAGES; p++) {
			unsigned owners = 0;
			for (unsigned i = 0; i < MAPS; i++) {
				owners += page_owner_covers(&maps[i].po, BASE + p * P, P) &&
							  page_owner_all(&maps[i].po, BASE + p * P, P)
						  ? 1U
						  : 0U;
			}
			CHECK_EQ(owners, 1U);
		}
	}
}

int
main(int argc, char **argv)
{
	static const unit_test_t tests[] = {
		UNIT_TEST(test_words),         UNIT_TEST(test_covers),
		UNIT_TEST(test_set_all_none_count), UNIT_TEST(test_move),
		UNIT_TEST(test_return_all),    UNIT_TEST(test_random_exclusive),
	};
	return unit_main(argc, argv, tests, UNIT_COUNT(tests), NULL);
}
