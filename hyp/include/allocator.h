/* allocator.h - a first-fit allocator over memory ranges given to it, one per partition.
 * Pure logic (no locks, no hardware): the partition serialises calls; host tests use it bare. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "bothy_abi.h"

#define ALLOCATOR_GRANULE 16U

struct free_block;

typedef struct allocator {
	struct free_block *free_list; /* sorted by address, neighbours always coalesced */
	size_t free_bytes;
	size_t total_bytes;
} allocator_t;

void allocator_init(allocator_t *a);

/* Gives [base, base+size) to the allocator; both must be ALLOCATOR_GRANULE aligned. */
error_t allocator_add_range(allocator_t *a, void *base, size_t size);

/* size bytes aligned to align (a power of two); NULL when no free block fits. */
void *allocator_alloc(allocator_t *a, size_t size, size_t align);

/* Returns memory from allocator_alloc; size must be the size that was asked for. */
void allocator_free(allocator_t *a, void *ptr, size_t size);
