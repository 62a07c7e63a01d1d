/* page_owner.h - page-granular ownership of one memory extent's range: a bitmap with a bit per
 * page, and moves of pages between two such maps. Pure logic: the caller locks (memextent.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bothy_abi.h"

#define PAGE_OWNER_PAGE 0x1000U

/* [base, base + pages * PAGE_OWNER_PAGE): bit i set means the extent owns page i. */
typedef struct page_owner {
	uint64_t base;
	uint64_t pages;
	uint64_t *bits; /* page_owner_words(pages) words */
} page_owner_t;

/* The words a map of `pages` pages needs. */
size_t page_owner_words(uint64_t pages);

/* Whether [pa, pa+size) is a non-empty page-aligned range inside the map's range. */
bool page_owner_covers(const page_owner_t *po, uint64_t pa, uint64_t size);

/* Whether the map owns every page (all) or no page (none) of the covered range. */
bool page_owner_all(const page_owner_t *po, uint64_t pa, uint64_t size);
bool page_owner_none(const page_owner_t *po, uint64_t pa, uint64_t size);

/* Marks every page of the covered range owned (or not). */
void page_owner_set(page_owner_t *po, uint64_t pa, uint64_t size, bool owned);

/* The pages the map owns. */
uint64_t page_owner_count(const page_owner_t *po);

/* Checks that `from` owns all of [pa, pa+size) and `to` covers it and owns none of it, and
 * moves it. ERROR_ARGUMENT_SIZE if either map does not cover the range, ERROR_MEMDB_NOT_OWNER
 * if `from` does not own all of it (or `to` already owns part of it); nothing moves then. */
error_t page_owner_check_move(const page_owner_t *from, const page_owner_t *to, uint64_t pa,
			      uint64_t size);
error_t page_owner_move(page_owner_t *from, page_owner_t *to, uint64_t pa, uint64_t size);

/* Every page `child` owns goes to `parent` (whose range contains the child's). */
void page_owner_return_all(page_owner_t *child, page_owner_t *parent);
