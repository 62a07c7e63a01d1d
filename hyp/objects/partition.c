/* partition.c - the partition object: an allocator over the memory it owns, charged for
 * every object created from it. The root partition owns the hypervisor heap. */
#include <stddef.h>

#include "object_ops.h"
#include "partition.h"

static partition_t root_partition;

partition_t *
partition_root(void)
{
	return &root_partition;
}

void
partition_root_init(void *heap, size_t size)
{
	partition_t *root = &root_partition;
	root->header.type = OBJECT_TYPE_PARTITION;
	root->header.state = OBJECT_STATE_ACTIVE;
	root->header.refcount = 1; /* never released: the root partition lives forever */
	root->header.partition = NULL;
	allocator_init(&root->allocator);
	(void)allocator_add_range(&root->allocator, heap, size);
}

void *
partition_alloc(partition_t *partition, size_t size, size_t align)
{
	spinlock_acquire(&partition->alloc_lock);
	void *ptr = allocator_alloc(&partition->allocator, size, align);
	spinlock_release(&partition->alloc_lock);
	return ptr;
}

void
partition_free(partition_t *partition, void *ptr, size_t size)
{
	spinlock_acquire(&partition->alloc_lock);
	allocator_free(&partition->allocator, ptr, size);
	spinlock_release(&partition->alloc_lock);
}

size_t
partition_free_bytes(partition_t *partition)
{
	spinlock_acquire(&partition->alloc_lock);
	size_t bytes = partition->allocator.free_bytes;
	spinlock_release(&partition->alloc_lock);
	return bytes;
}

void
partition_cleanup(object_header_t *object)
{
	/* A new partition starts with no memory: memory reaches it by memextent donation,
	 * which arrives with memextents. Nothing it owns can outlive it (each object holds a
	 * reference), so there is nothing to hand back yet. */
	(void)object;
}
