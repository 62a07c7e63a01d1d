/* pgtable.c - building translation tables: allocation from a fixed pool, mapping, unmapping
 * and freeing. The pool is static until partitions own memory; exhaustion is ERROR_NOMEM. */
#include <stddef.h>
#include <stdint.h>

#include "hyp_config.h"
#include "pgtable.h"
#include "platform.h"
#include "spinlock.h"
#include "sysreg.h"
#include "util_string.h"

#define DESC_VALID 1UL
#define DESC_TABLE 3UL /* table at levels 1-2, page at level 3 */
#define DESC_BLOCK 1UL
#define DESC_ADDR_MASK 0x0000fffffffff000UL

/* EL2 and stage-2 tables until partitions own memory: 512, or where guests' stage 2 has no
 * blocks (platform.h), 128 and enough level-3 tables to map all of RAM in pages. */
#define HYP_PGTABLE_POOL_PAGES                                                                  \
	(PLATFORM_STAGE2_BLOCKS ? 512U : 128U + (unsigned)(PLATFORM_RAM_SIZE >> 21))

static uint64_t pool[HYP_PGTABLE_POOL_PAGES][PGTABLE_ENTRIES]
	__attribute__((aligned(PAGE_SIZE)));
static unsigned pool_used;
static spinlock_t pool_lock;
/* Tables given back by pgtable_destroy, linked through their first entry. */
static uint64_t *free_tables;

static uint64_t *
table_alloc(void)
{
	uint64_t *table = NULL;
	spinlock_acquire(&pool_lock);
	if (free_tables != NULL) {
		table = free_tables;
		free_tables = (uint64_t *)(uintptr_t)table[0];
	} else if (pool_used < HYP_PGTABLE_POOL_PAGES) {
		table = pool[pool_used++];
	}
	spinlock_release(&pool_lock);
	if (table != NULL) {
		memset(table, 0, PAGE_SIZE);
	}
	return table;
}

error_t
pgtable_init(pgtable_t *pt)
{
	pt->root = table_alloc();
	return pt->root != NULL ? OK : ERROR_NOMEM;
}

static void
table_free(uint64_t *table)
{
	spinlock_acquire(&pool_lock);
	table[0] = (uint64_t)(uintptr_t)free_tables;
	free_tables = table;
	spinlock_release(&pool_lock);
}

/* Frees `table` (at `level`) and every table below it; blocks and pages are not tables. */
static void
free_tree(uint64_t *table, unsigned level)
{
	for (unsigned i = 0; level < 3U && i < PGTABLE_ENTRIES; i++) {
		if ((table[i] & 3U) == DESC_TABLE) {
			free_tree((uint64_t *)(uintptr_t)(table[i] & DESC_ADDR_MASK), level + 1U);
		}
	}
	table_free(table);
}

void
pgtable_destroy(pgtable_t *pt)
{
	if (pt->root != NULL) {
		free_tree(pt->root, 1U);
		pt->root = NULL;
	}
}

uint64_t
pgtable_root_pa(const pgtable_t *pt)
{
	return (uint64_t)(uintptr_t)pt->root; /* EL2 runs identity-mapped */
}

static unsigned
level_shift(unsigned level)
{
	return 39U - 9U * level; /* level 1: 30, level 2: 21, level 3: 12 */
}

/* The next-level table for `va` at `level`, created if absent. */
static error_t
next_table(uint64_t *table, uint64_t va, unsigned level, uint64_t **out)
{
	uint64_t *entry = &table[(va >> level_shift(level)) & (PGTABLE_ENTRIES - 1U)];
	if ((*entry & DESC_VALID) == 0U) {
		uint64_t *fresh = table_alloc();
		if (fresh == NULL) {
			return ERROR_NOMEM;
		}
		*entry = (uint64_t)(uintptr_t)fresh | DESC_TABLE;
	} else if ((*entry & 3U) != DESC_TABLE) {
		return ERROR_EXISTING_MAPPING; /* a block already covers this range */
	}
	*out = (uint64_t *)(uintptr_t)(*entry & DESC_ADDR_MASK);
	return OK;
}

/* Maps `count` consecutive leaves at `leaf_level` from `va`, all in one table: a whole
 * table of pages costs one walk from the root, not 512 (a 512 MiB guest is 131,072 pages). */
static error_t
map_leaves(pgtable_t *pt, uint64_t va, uint64_t pa, unsigned leaf_level, unsigned count,
	   uint64_t attrs)
{
	uint64_t *table = pt->root;
	for (unsigned level = 1; level < leaf_level; level++) {
		error_t err = next_table(table, va, level, &table);
		if (err != OK) {
			return err;
		}
	}
	unsigned shift = level_shift(leaf_level);
	uint64_t *entry = &table[(va >> shift) & (PGTABLE_ENTRIES - 1U)];
	uint64_t type = leaf_level == 3U ? DESC_TABLE : DESC_BLOCK;
	for (unsigned i = 0U; i < count; i++) {
		if ((entry[i] & DESC_VALID) != 0U) {
			while (i > 0U) {
				entry[--i] = 0; /* this call's own entries, so it leaves nothing behind */
			}
			return ERROR_EXISTING_MAPPING;
		}
		entry[i] = (pa + ((uint64_t)i << shift)) | attrs | PTE_AF | type;
	}
	return OK;
}

error_t
pgtable_map(pgtable_t *pt, uint64_t va, uint64_t pa, uint64_t size, uint64_t attrs,
	    bool blocks)
{
	const uint64_t block = 1UL << level_shift(2);
	if (((va | pa | size) & (PAGE_SIZE - 1U)) != 0U) {
		return ERROR_ARGUMENT_ALIGNMENT;
	}
	if (size == 0U || va + size < va || va + size > (1UL << PGTABLE_VA_BITS)) {
		return ERROR_ADDR_OVERFLOW;
	}
	const uint64_t start = va, start_pa = pa;
	error_t err = OK;
	while (size > 0U && err == OK) {
		bool use_block = blocks && ((va | pa) & (block - 1U)) == 0U && size >= block;
		/* Pages: up to the end of va's level-3 table or of the range. */
		uint64_t step = use_block ? block : block - (va & (block - 1U));
		step = step < size ? step : size;
		err = use_block ? map_leaves(pt, va, pa, 2U, 1U, attrs)
				: map_leaves(pt, va, pa, 3U, (unsigned)(step / PAGE_SIZE), attrs);
		if (err == OK) {
			va += step;
			pa += step;
			size -= step;
		}
	}
	if (err != OK && va != start) {
		/* A failed map leaves nothing behind: undo the steps that went in before it. */
		uint64_t undone;
		(void)pgtable_unmap(pt, start, va - start, start_pa, &undone);
	}
	return err;
}

/* Replaces the 2 MiB block at *entry with a table of 512 pages of the same attributes, so
 * part of it can be unmapped. */
static error_t
split_block(uint64_t *entry)
{
	uint64_t *pages = table_alloc();
	if (pages == NULL) {
		return ERROR_NOMEM;
	}
	uint64_t base = *entry & DESC_ADDR_MASK & ~((1UL << level_shift(2)) - 1U);
	uint64_t attrs = *entry & ~DESC_ADDR_MASK & ~3UL;
	for (unsigned i = 0; i < PGTABLE_ENTRIES; i++) {
		pages[i] = (base + (uint64_t)i * PAGE_SIZE) | attrs | DESC_TABLE;
	}
	dsb_ish();
	*entry = (uint64_t)(uintptr_t)pages | DESC_TABLE;
	return OK;
}

/* The first address after `va` that is a multiple of 2^shift (0 past the top). */
static uint64_t
next_boundary(uint64_t va, unsigned shift)
{
	return (va | ((1UL << shift) - 1U)) + 1U;
}

error_t
pgtable_unmap(pgtable_t *pt, uint64_t va, uint64_t size, uint64_t pa, uint64_t *unmapped)
{
	*unmapped = 0;
	if (((va | size | pa) & (PAGE_SIZE - 1U)) != 0U) {
		return ERROR_ARGUMENT_ALIGNMENT;
	}
	if (size == 0U || va + size < va || va + size > (1UL << PGTABLE_VA_BITS)) {
		return ERROR_ADDR_OVERFLOW;
	}
	const uint64_t end = va + size;
	const uint64_t delta = pa - va; /* a matching leaf maps each x to x + delta */
	while (va < end) {
		uint64_t *l1 = &pt->root[(va >> level_shift(1)) & (PGTABLE_ENTRIES - 1U)];
		if ((*l1 & 3U) != DESC_TABLE) {
			va = next_boundary(va, level_shift(1)); /* nothing mapped in this 1 GiB */
			continue;
		}
		uint64_t *l2table = (uint64_t *)(uintptr_t)(*l1 & DESC_ADDR_MASK);
		uint64_t *l2 = &l2table[(va >> level_shift(2)) & (PGTABLE_ENTRIES - 1U)];
		uint64_t block_end = next_boundary(va, level_shift(2));
		if ((*l2 & DESC_VALID) == 0U) {
			va = block_end;
			continue;
		}
		if ((*l2 & 3U) == DESC_BLOCK) {
			uint64_t block_va = block_end - (1UL << level_shift(2));
			/* A block and the range are both linear: they agree everywhere or nowhere. */
			if ((*l2 & DESC_ADDR_MASK) != block_va + delta) {
				va = block_end;
				continue;
			}
			if (va == block_va && end >= block_end) {
				*l2 = 0;
				*unmapped += block_end - block_va;
				va = block_end;
				continue;
			}
			error_t err = split_block(l2);
			if (err != OK) {
				dsb_ish();
				return err;
			}
		}
		uint64_t *l3table = (uint64_t *)(uintptr_t)(*l2 & DESC_ADDR_MASK);
		for (; va < end && va < block_end; va += PAGE_SIZE) {
			uint64_t *l3 = &l3table[(va >> level_shift(3)) & (PGTABLE_ENTRIES - 1U)];
			if ((*l3 & DESC_VALID) != 0U && (*l3 & DESC_ADDR_MASK) == va + delta) {
				*l3 = 0;
				*unmapped += PAGE_SIZE;
			}
		}
	}
	dsb_ish();
	return OK;
}

/* The leaf at *entry (level 2 block or level 3 page, covering `span` bytes) goes if all of its
 * output range is in [pa, pa+size); a block only partly in it is split first. */
static error_t
unmap_pa_table(uint64_t *table, unsigned level, uint64_t pa, uint64_t size, uint64_t *unmapped)
{
	const uint64_t span = 1UL << level_shift(level);
	for (unsigned i = 0; i < PGTABLE_ENTRIES; i++) {
		uint64_t *entry = &table[i];
		if ((*entry & DESC_VALID) == 0U) {
			continue;
		}
		bool leaf = level == 3U || (*entry & 3U) == DESC_BLOCK;
		if (level == 1U && leaf) {
			continue; /* never made: blocks are 2 MiB (pgtable_map) */
		}
		if (!leaf) {
			error_t err = unmap_pa_table((uint64_t *)(uintptr_t)(*entry & DESC_ADDR_MASK),
						     level + 1U, pa, size, unmapped);
			if (err != OK) {
				return err;
			}
			continue;
		}
		uint64_t out = *entry & DESC_ADDR_MASK;
		if (out + span <= pa || out >= pa + size) {
			continue; /* none of it is in the range */
		}
		if (out >= pa && out + span <= pa + size) {
			*entry = 0;
			*unmapped += span;
			continue;
		}
		error_t err = split_block(entry); /* a block partly in the range */
		if (err != OK) {
			return err;
		}
		err = unmap_pa_table((uint64_t *)(uintptr_t)(*entry & DESC_ADDR_MASK), 3U, pa, size,
				     unmapped);
		if (err != OK) {
			return err;
		}
	}
	return OK;
}

error_t
pgtable_unmap_pa(pgtable_t *pt, uint64_t pa, uint64_t size, uint64_t *unmapped)
{
	*unmapped = 0;
	error_t err = unmap_pa_table(pt->root, 1U, pa, size, unmapped);
	dsb_ish();
	return err;
}

error_t
pgtable_lookup(const pgtable_t *pt, uint64_t va, uint64_t *pa, uint64_t *attrs,
	       uint64_t *leaf_size)
{
	if (va >> PGTABLE_VA_BITS != 0U) {
		return ERROR_ADDR_INVALID;
	}
	const uint64_t *table = pt->root;
	for (unsigned level = 1U; level <= 3U; level++) {
		uint64_t entry = table[(va >> level_shift(level)) & (PGTABLE_ENTRIES - 1U)];
		if ((entry & DESC_VALID) == 0U) {
			return ERROR_ADDR_INVALID;
		}
		bool leaf = level == 3U || (entry & 3U) == DESC_BLOCK;
		if (leaf) {
			uint64_t span = 1UL << level_shift(level);
			*pa = (entry & DESC_ADDR_MASK & ~(span - 1U)) | (va & (span - 1U) & ~0xfffUL);
			*attrs = entry & ~DESC_ADDR_MASK & ~3UL;
			*leaf_size = span - (va & (span - 1U));
			return OK;
		}
		table = (const uint64_t *)(uintptr_t)(entry & DESC_ADDR_MASK);
	}
	return ERROR_ADDR_INVALID;
}
