/* allocator.c - first-fit allocation from a sorted, coalesced free list.
 * Sizes are rounded to the granule so every free block can hold its own header. */
#include <stdbool.h>
#include <stdint.h>

#include "allocator.h"

typedef struct free_block {
	size_t size;
	struct free_block *next;
} free_block_t;

_Static_assert(sizeof(free_block_t) <= ALLOCATOR_GRANULE, "a free block header fits a granule");

static size_t
round_up(size_t value, size_t align)
{
	return (value + align - 1U) & ~(align - 1U);
}

void
allocator_init(allocator_t *a)
{
	a->free_list = NULL;
	a->free_bytes = 0;
	a->total_bytes = 0;
}

/* Inserts [addr, addr+size) into the sorted list and merges it with touching neighbours. */
static void
insert_free(allocator_t *a, uintptr_t addr, size_t size)
{
	free_block_t **link = &a->free_list;
	free_block_t *prev = NULL;
	while (*link != NULL && (uintptr_t)*link < addr) {
		prev = *link;
		link = &(*link)->next;
	}
	free_block_t *block = (free_block_t *)addr;
	block->size = size;
	block->next = *link;
	*link = block;
	if (block->next != NULL && addr + block->size == (uintptr_t)block->next) {
		block->size += block->next->size;
		block->next = block->next->next;
	}
	if (prev != NULL && (uintptr_t)prev + prev->size == addr) {
		prev->size += block->size;
		prev->next = block->next;
	}
	a->free_bytes += size;
}

error_t
allocator_add_range(allocator_t *a, void *base, size_t size)
{
	uintptr_t addr = (uintptr_t)base;
	if ((addr | size) % ALLOCATOR_GRANULE != 0U) {
		return ERROR_ARGUMENT_ALIGNMENT;
	}
	if (size == 0U || addr + size < addr) {
		return ERROR_ARGUMENT_SIZE;
	}
	insert_free(a, addr, size);
	a->total_bytes += size;
	return OK;
}

void *
allocator_alloc(allocator_t *a, size_t size, size_t align)
{
	if (size == 0U || size > a->free_bytes || align == 0U || (align & (align - 1U)) != 0U) {
		return NULL;
	}
	size = round_up(size, ALLOCATOR_GRANULE);
	align = align < ALLOCATOR_GRANULE ? ALLOCATOR_GRANULE : align;
	for (free_block_t **link = &a->free_list; *link != NULL; link = &(*link)->next) {
		free_block_t *block = *link;
		uintptr_t start = (uintptr_t)block;
		uintptr_t end = start + block->size;
		uintptr_t aligned = round_up(start, align);
		if (aligned < start || aligned > end || end - aligned < size) {
			continue;
		}
		/* Unlink, then give back the unused head and tail as free blocks. */
		*link = block->next;
		a->free_bytes -= block->size;
		if (aligned > start) {
			insert_free(a, start, aligned - start);
		}
		if (end > aligned + size) {
			insert_free(a, aligned + size, end - (aligned + size));
		}
		return (void *)aligned;
	}
	return NULL;
}

void
allocator_free(allocator_t *a, void *ptr, size_t size)
{
	if (ptr != NULL) {
		insert_free(a, (uintptr_t)ptr, round_up(size, ALLOCATOR_GRANULE));
	}
}
