/* fixture.c - the shared set-up behind fixture.h. Child partitions get their memory with
 * posix_memalign, sized exactly, and it is released only after the per-test leak check. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "allocator.h"
#include "fixture.h"
#include "unit.h"

#define ROOT_HEAP_SIZE (4U << 20)
#define MAX_CHILD_MEMORY 64U

_Alignas(4096) static unsigned char root_heap[ROOT_HEAP_SIZE];
static bool root_ready;
static size_t root_baseline;
static void *child_memory[MAX_CHILD_MEMORY];
static size_t child_count;

partition_t *
fx_root(void)
{
	if (!root_ready) {
		partition_root_init(root_heap, sizeof(root_heap));
		root_ready = true;
		root_baseline = partition_free_bytes(partition_root());
		CHECK_EQ(root_baseline, sizeof(root_heap));
	}
	return partition_root();
}

partition_t *
fx_partition(size_t bytes)
{
	CHECK(child_count < MAX_CHILD_MEMORY);
	CHECK(bytes % ALLOCATOR_GRANULE == 0U);
	void *memory = unit_aligned_alloc(64, bytes);
	memset(memory, 0xa5, bytes); /* so object_create's zeroing is visible */
	child_memory[child_count++] = memory;
	partition_t *partition = (partition_t *)fx_object(fx_root(), OBJECT_TYPE_PARTITION);
	CHECK_OK(object_activate(&partition->header));
	/* Memory reaches partitions by memextent donation in hyp; here it is handed over. */
	CHECK_OK(allocator_add_range(&partition->allocator, memory, bytes));
	CHECK_EQ(partition_free_bytes(partition), bytes);
	return partition;
}

object_header_t *
fx_object(partition_t *partition, object_type_t type)
{
	object_header_t *object = NULL;
	CHECK_OK(object_create(partition, type, &object));
	CHECK(object != NULL);
	CHECK_EQ(object->type, type);
	CHECK_EQ(object->state, OBJECT_STATE_INIT);
	CHECK_EQ(object->refcount, 1);
	return object;
}

cspace_t *
fx_cspace(partition_t *partition, uint32_t max_caps)
{
	cspace_t *cs = (cspace_t *)fx_object(partition, OBJECT_TYPE_CSPACE);
	CHECK_OK(cspace_configure(cs, max_caps));
	CHECK_OK(object_activate(&cs->header));
	return cs;
}

cap_id_t
fx_master(cspace_t *cspace, object_header_t *object, cap_rights_t rights)
{
	cap_id_t cap = CSPACE_CAP_INVALID;
	CHECK_OK(cspace_create_master_cap(cspace, object, rights, &cap));
	CHECK(cap != CSPACE_CAP_INVALID);
	return cap;
}

error_t
fx_lookup(cspace_t *cspace, cap_id_t cap, object_type_t type, cap_rights_t rights)
{
	object_header_t *object = NULL;
	error_t err = cspace_lookup(cspace, cap, type, rights, &object);
	if (err == OK) {
		CHECK(object != NULL);
		object_put(object);
	} else {
		CHECK(object == NULL);
	}
	return err;
}

object_header_t *
fx_target(cspace_t *cspace, cap_id_t cap)
{
	object_header_t *object = NULL;
	CHECK_OK(cspace_lookup(cspace, cap, OBJECT_TYPE_ANY, 0, &object));
	CHECK(object->refcount >= 2U); /* the cap's reference and the lookup's */
	object_put(object);
	return object;
}

uint32_t
fx_refs(const object_header_t *object)
{
	return __atomic_load_n(&object->refcount, __ATOMIC_RELAXED);
}

size_t
fx_free(partition_t *partition)
{
	return partition_free_bytes(partition);
}

size_t
fx_charge(object_type_t type)
{
	size_t size = object_type_info[type].size;
	return (size + ALLOCATOR_GRANULE - 1U) & ~(size_t)(ALLOCATOR_GRANULE - 1U);
}

void
fx_after_test(void)
{
	if (root_ready) {
		CHECK_EQ(partition_free_bytes(partition_root()), root_baseline);
		CHECK_EQ(partition_root()->header.refcount, 1);
	}
	for (size_t i = 0; i < child_count; i++) {
		free(child_memory[i]);
		child_memory[i] = NULL;
	}
	child_count = 0;
}
