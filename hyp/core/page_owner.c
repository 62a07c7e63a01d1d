/* page_owner.c - page-granular ownership bitmaps of memory extents: range checks, counting,
 * and moving pages from one extent's map to another's. No locks and no hardware. */
#include "page_owner.h"

#define WORD_BITS 64U

size_t
page_owner_words(uint64_t pages)
{
	return (size_t)((pages + WORD_BITS - 1U) / WORD_BITS);
}

bool
page_owner_covers(const page_owner_t *po, uint64_t pa, uint64_t size)
{
	if (((pa | size) & (PAGE_OWNER_PAGE - 1U)) != 0U || size == 0U || pa + size < pa) {
		return false;
	}
	uint64_t end = po->base + po->pages * PAGE_OWNER_PAGE;
	return pa >= po->base && pa + size <= end;
}

static bool
bit(const page_owner_t *po, uint64_t page)
{
	return (po->bits[page / WORD_BITS] >> (page % WORD_BITS) & 1U) != 0U;
}

static void
set_bit(page_owner_t *po, uint64_t page, bool owned)
{
	uint64_t mask = 1ULL << (page % WORD_BITS);
	if (owned) {
		po->bits[page / WORD_BITS] |= mask;
	} else {
		po->bits[page / WORD_BITS] &= ~mask;
	}
}

/* Whether every page of the covered range has bit value `owned`. */
static bool
all_are(const page_owner_t *po, uint64_t pa, uint64_t size, bool owned)
{
	if (!page_owner_covers(po, pa, size)) {
		return false;
	}
	uint64_t first = (pa - po->base) / PAGE_OWNER_PAGE;
	for (uint64_t i = 0; i < size / PAGE_OWNER_PAGE; i++) {
		if (bit(po, first + i) != owned) {
			return false;
		}
	}
	return true;
}

bool
page_owner_all(const page_owner_t *po, uint64_t pa, uint64_t size)
{
	return all_are(po, pa, size, true);
}

bool
page_owner_none(const page_owner_t *po, uint64_t pa, uint64_t size)
{
	return all_are(po, pa, size, false);
}

void
page_owner_set(page_owner_t *po, uint64_t pa, uint64_t size, bool owned)
{
	if (!page_owner_covers(po, pa, size)) {
		return;
	}
	uint64_t first = (pa - po->base) / PAGE_OWNER_PAGE;
	for (uint64_t i = 0; i < size / PAGE_OWNER_PAGE; i++) {
		set_bit(po, first + i, owned);
	}
}

uint64_t
page_owner_count(const page_owner_t *po)
{
	uint64_t count = 0;
	for (uint64_t i = 0; i < po->pages; i++) {
		count += bit(po, i) ? 1U : 0U;
	}
	return count;
}

error_t
page_owner_check_move(const page_owner_t *from, const page_owner_t *to, uint64_t pa,
		      uint64_t size)
{
	if (!page_owner_covers(from, pa, size) || !page_owner_covers(to, pa, size)) {
		return ERROR_ARGUMENT_SIZE;
	}
	if (!page_owner_all(from, pa, size) || !page_owner_none(to, pa, size)) {
		return ERROR_MEMDB_NOT_OWNER;
	}
	return OK;
}

error_t
page_owner_move(page_owner_t *from, page_owner_t *to, uint64_t pa, uint64_t size)
{
	error_t err = page_owner_check_move(from, to, pa, size);
	if (err == OK) {
		page_owner_set(from, pa, size, false);
		page_owner_set(to, pa, size, true);
	}
	return err;
}

void
page_owner_return_all(page_owner_t *child, page_owner_t *parent)
{
	for (uint64_t i = 0; i < child->pages; i++) {
		if (bit(child, i)) {
			uint64_t pa = child->base + i * PAGE_OWNER_PAGE;
			set_bit(child, i, false);
			page_owner_set(parent, pa, PAGE_OWNER_PAGE, true);
		}
	}
}
