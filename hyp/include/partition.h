/* partition.h - partitions own memory: every object and table is allocated from one and
 * charged to it, and returns to it when freed. Exhaustion is ERROR_NOMEM, never a panic. */
#pragma once

#include <stddef.h>

#include "allocator.h"
#include "object.h"
#include "spinlock.h"

typedef struct partition {
	object_header_t header;
	spinlock_t alloc_lock;
	allocator_t allocator;
} partition_t;

/* The root partition, which owns the hypervisor heap; created once at boot. */
partition_t *partition_root(void);
void partition_root_init(void *heap, size_t size);

/* size bytes aligned to align from the partition, or NULL when it has too little left. */
void *partition_alloc(partition_t *partition, size_t size, size_t align);
void partition_free(partition_t *partition, void *ptr, size_t size);

/* Bytes the partition has left (tests and reports). */
size_t partition_free_bytes(partition_t *partition);
