/* test_object.c - host tests of the object lifecycle (hyp/core/object.c) and partitions:
 * charging, reference counting, destruction that frees exactly, and the activate state machine. */
#define _POSIX_C_SOURCE 200809L /* pthread_attr_setstack */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "unit.h"

#define CHILD_BYTES (64U * 1024U)

/* The whole of a partition's memory is one free block again (nothing leaked or split). */
static void
check_partition_whole(partition_t *p, size_t bytes)
{
	CHECK_EQ(fx_free(p), bytes);
	void *all = partition_alloc(p, bytes, 16);
	CHECK(all != NULL);
	CHECK_EQ(fx_free(p), 0);
	partition_free(p, all, bytes);
	CHECK_EQ(fx_free(p), bytes);
}

static void
test_create_charges_partition(void)
{
	partition_t *p = fx_partition(CHILD_BYTES);
	for (object_type_t t = OBJECT_TYPE_PARTITION; t < OBJECT_TYPE_COUNT; t++) {
		size_t before = fx_free(p);
		uint32_t refs = fx_refs(&p->header);
		object_header_t *o = fx_object(p, t);
		CHECK(fx_charge(t) >= sizeof(object_header_t));
		CHECK_EQ(fx_free(p), before - fx_charge(t));
		CHECK(o->partition == p);
		CHECK_EQ(fx_refs(&p->header), refs + 1U);
		CHECK_EQ((uintptr_t)o % 16U, 0);
		/* Zeroed past the header (the fixture filled the memory with 0xa5). */
		const unsigned char *bytes = (const unsigned char *)o;
		for (size_t i = sizeof(object_header_t); i < object_type_info[t].size; i++) {
			CHECK_EQ(bytes[i], 0);
		}
		object_put(o);
		CHECK_EQ(fx_free(p), before);
		CHECK_EQ(fx_refs(&p->header), refs);
	}
	check_partition_whole(p, CHILD_BYTES);
	object_put(&p->header);
}

static void
test_create_without_memory_is_nomem(void)
{
	size_t bytes = fx_charge(OBJECT_TYPE_THREAD) - 16U;
	CHECK(fx_charge(OBJECT_TYPE_DOORBELL) <= bytes);
	partition_t *p = fx_partition(bytes);
	object_header_t *o = (object_header_t *)(uintptr_t)0x1;
	CHECK_ERR(object_create(p, OBJECT_TYPE_THREAD, &o), ERROR_NOMEM);
	CHECK(o == (object_header_t *)(uintptr_t)0x1); /* untouched on failure */
	CHECK_EQ(fx_free(p), bytes);
	CHECK_EQ(fx_refs(&p->header), 1); /* no reference taken for a failed create */
	/* What does fit still can be created, until the memory runs out. */
	size_t made = 0;
	object_header_t *objs[64];
	while (object_create(p, OBJECT_TYPE_DOORBELL, &o) == OK) {
		CHECK(made < 64U);
		objs[made++] = o;
	}
	CHECK_EQ(made, bytes / fx_charge(OBJECT_TYPE_DOORBELL));
	CHECK_EQ(fx_refs(&p->header), 1U + made);
	while (made > 0U) {
		object_put(objs[--made]);
	}
	check_partition_whole(p, bytes);
	object_put(&p->header);
	/* A new partition owns no memory at all: every create from it is NOMEM. */
	partition_t *empty = (partition_t *)fx_object(fx_root(), OBJECT_TYPE_PARTITION);
	CHECK_EQ(fx_free(empty), 0);
	CHECK_ERR(object_create(empty, OBJECT_TYPE_DOORBELL, &o), ERROR_NOMEM);
	object_put(&empty->header);
}

static void
test_get_put_last_reference_frees(void)
{
	partition_t *p = fx_partition(CHILD_BYTES);
	object_header_t *o = fx_object(p, OBJECT_TYPE_DOORBELL);
	size_t charged = CHILD_BYTES - fx_free(p);
	for (int i = 0; i < 5; i++) {
		object_get(o);
	}
	CHECK_EQ(fx_refs(o), 6);
	for (int i = 0; i < 5; i++) {
		object_put(o);
		CHECK_EQ(fx_free(p), CHILD_BYTES - charged); /* still alive */
	}
	CHECK_EQ(fx_refs(o), 1);
	object_put(o);
	CHECK_EQ(fx_free(p), CHILD_BYTES);
	object_put(&p->header);
}

static void
test_destroy_in_any_order_frees_exactly(void)
{
	partition_t *p = fx_partition(CHILD_BYTES);
	enum { N = 60 };
	object_header_t *objs[N];
	unit_rng_t rng;
	for (uint64_t seed = 1; seed <= 20U; seed++) {
		unit_rng_seed(&rng, seed);
		size_t charged = 0;
		for (size_t i = 0; i < N; i++) {
			object_type_t t =
				(object_type_t)(1U + unit_rng_below(&rng, OBJECT_TYPE_COUNT - 1U));
			objs[i] = fx_object(p, t);
			charged += fx_charge(t);
			CHECK_EQ(fx_free(p), CHILD_BYTES - charged);
		}
		for (size_t n = N; n > 0U; n--) {
			size_t i = (size_t)unit_rng_below(&rng, n);
			charged -= fx_charge(objs[i]->type);
			object_put(objs[i]);
			objs[i] = objs[n - 1U];
			CHECK_EQ(fx_free(p), CHILD_BYTES - charged);
		}
		check_partition_whole(p, CHILD_BYTES);
	}
	CHECK_EQ(fx_refs(&p->header), 1);
	object_put(&p->header);
}

static void
test_activate_state_machine(void)
{
	partition_t *p = fx_partition(CHILD_BYTES);
	/* A type with no activate hook: INIT -> ACTIVE, then no second activation. */
	object_header_t *db = fx_object(p, OBJECT_TYPE_DOORBELL);
	CHECK_OK(object_expect_state(db, OBJECT_STATE_INIT));
	CHECK_ERR(object_expect_state(db, OBJECT_STATE_ACTIVE), ERROR_OBJECT_STATE);
	CHECK_OK(object_activate(db));
	CHECK_EQ(db->state, OBJECT_STATE_ACTIVE);
	CHECK_OK(object_expect_state(db, OBJECT_STATE_ACTIVE));
	CHECK_ERR(object_expect_state(db, OBJECT_STATE_INIT), ERROR_OBJECT_STATE);
	CHECK_ERR(object_activate(db), ERROR_OBJECT_STATE);
	CHECK_EQ(db->state, OBJECT_STATE_ACTIVE);
	/* A failing hook: the object is FAILED, and stays so. */
	object_header_t *as = fx_object(p, OBJECT_TYPE_ADDRSPACE);
	CHECK_ERR(object_activate(as), ERROR_OBJECT_CONFIG);
	CHECK_EQ(as->state, OBJECT_STATE_FAILED);
	CHECK_OK(object_expect_state(as, OBJECT_STATE_FAILED));
	CHECK_ERR(object_activate(as), ERROR_OBJECT_STATE);
	CHECK_EQ(as->state, OBJECT_STATE_FAILED);
	/* Activation takes no reference and charges nothing. */
	CHECK_EQ(fx_refs(db), 1);
	CHECK_EQ(fx_free(p), CHILD_BYTES - fx_charge(OBJECT_TYPE_DOORBELL) -
				     fx_charge(OBJECT_TYPE_ADDRSPACE));
	object_put(db);
	object_put(as);
	CHECK_EQ(fx_free(p), CHILD_BYTES);
	object_put(&p->header);
}

static void
test_activate_result_of_every_type(void)
{
	/* With no configuration at all: types that need some fail with OBJECT_CONFIG. */
	static const error_t want[OBJECT_TYPE_COUNT] = {
		[OBJECT_TYPE_PARTITION] = OK,
		[OBJECT_TYPE_CSPACE] = ERROR_OBJECT_CONFIG,
		[OBJECT_TYPE_ADDRSPACE] = ERROR_OBJECT_CONFIG,
		[OBJECT_TYPE_MEMEXTENT] = ERROR_OBJECT_CONFIG,
		[OBJECT_TYPE_THREAD] = ERROR_OBJECT_CONFIG, /* a vCPU needs an address space */
		[OBJECT_TYPE_DOORBELL] = OK,
		[OBJECT_TYPE_MSGQUEUE] = ERROR_OBJECT_CONFIG,
		[OBJECT_TYPE_VIC] = ERROR_OBJECT_CONFIG,
		[OBJECT_TYPE_VPM_GROUP] = OK,
		[OBJECT_TYPE_HWIRQ] = OK,
		[OBJECT_TYPE_VIRTIO_MMIO] = ERROR_OBJECT_CONFIG,
	};
	partition_t *p = fx_partition(CHILD_BYTES);
	for (object_type_t t = OBJECT_TYPE_PARTITION; t < OBJECT_TYPE_COUNT; t++) {
		object_header_t *o = fx_object(p, t);
		CHECK_ERR(object_activate(o), want[t]);
		CHECK_EQ(o->state, want[t] == OK ? OBJECT_STATE_ACTIVE : OBJECT_STATE_FAILED);
		CHECK_ERR(object_activate(o), ERROR_OBJECT_STATE);
		object_put(o);
	}
	CHECK_EQ(fx_free(p), CHILD_BYTES);
	object_put(&p->header);
}

static void
test_objects_hold_their_partition(void)
{
	partition_t *root = fx_root();
	size_t root_before = fx_free(root);
	partition_t *p = fx_partition(CHILD_BYTES);
	size_t root_with_p = fx_free(root);
	CHECK_EQ(root_before - root_with_p, fx_charge(OBJECT_TYPE_PARTITION));
	object_header_t *a = fx_object(p, OBJECT_TYPE_DOORBELL);
	object_header_t *b = fx_object(p, OBJECT_TYPE_THREAD);
	CHECK_EQ(fx_refs(&p->header), 3);
	object_put(&p->header); /* the creator lets go: the objects keep p alive */
	CHECK_EQ(fx_refs(&p->header), 2);
	CHECK_EQ(fx_free(root), root_with_p);
	object_header_t *c = fx_object(p, OBJECT_TYPE_VIC); /* still usable */
	object_put(a);
	object_put(c);
	CHECK_EQ(fx_refs(&p->header), 1);
	CHECK_EQ(fx_free(p), CHILD_BYTES - fx_charge(OBJECT_TYPE_THREAD));
	CHECK_EQ(fx_free(root), root_with_p);
	object_put(b); /* the last object: p goes with it */
	CHECK_EQ(fx_free(root), root_before);
}

static void
test_nested_partitions(void)
{
	partition_t *root = fx_root();
	size_t root_before = fx_free(root);
	partition_t *outer = fx_partition(CHILD_BYTES);
	partition_t *inner = (partition_t *)fx_object(outer, OBJECT_TYPE_PARTITION);
	CHECK_OK(object_activate(&inner->header));
	CHECK_EQ(fx_free(outer), CHILD_BYTES - fx_charge(OBJECT_TYPE_PARTITION));
	CHECK_EQ(fx_refs(&outer->header), 2);
	void *memory = unit_aligned_alloc(64, 4096);
	CHECK_OK(allocator_add_range(&inner->allocator, memory, 4096));
	object_header_t *o = fx_object(inner, OBJECT_TYPE_DOORBELL);
	CHECK_EQ(fx_free(inner), 4096U - fx_charge(OBJECT_TYPE_DOORBELL));
	CHECK_EQ(fx_free(outer), CHILD_BYTES - fx_charge(OBJECT_TYPE_PARTITION));
	/* Drop the partitions first: the doorbell holds inner, inner holds outer. */
	object_put(&outer->header);
	object_put(&inner->header);
	CHECK_EQ(fx_refs(&inner->header), 1);
	CHECK_EQ(fx_refs(&outer->header), 1);
	object_put(o); /* everything goes, innermost first */
	CHECK_EQ(fx_free(root), root_before);
	free(memory);
}

static void
test_thread_attach_cspace(void)
{
	partition_t *p = fx_partition(CHILD_BYTES);
	thread_t *t = (thread_t *)fx_object(p, OBJECT_TYPE_THREAD);
	cspace_t *c1 = fx_cspace(p, 4);
	cspace_t *c2 = (cspace_t *)fx_object(p, OBJECT_TYPE_CSPACE); /* INIT is accepted too */
	CHECK(t->cspace == NULL);
	CHECK_OK(thread_attach_cspace(t, c1));
	CHECK(t->cspace == c1);
	CHECK_EQ(fx_refs(&c1->header), 2);
	CHECK_OK(thread_attach_cspace(t, c1)); /* again: still one reference from t */
	CHECK_EQ(fx_refs(&c1->header), 2);
	CHECK_OK(thread_attach_cspace(t, c2)); /* replaces c1, dropping its reference */
	CHECK(t->cspace == c2);
	CHECK_EQ(fx_refs(&c1->header), 1);
	CHECK_EQ(fx_refs(&c2->header), 2);
	/* No address space: activation fails, and a FAILED thread takes no more config. */
	CHECK_ERR(object_activate(&t->header), ERROR_OBJECT_CONFIG);
	CHECK_ERR(thread_attach_cspace(t, c1), ERROR_OBJECT_STATE);
	CHECK(t->cspace == c2);
	CHECK_EQ(fx_refs(&c1->header), 1);
	object_put(&c2->header); /* t keeps c2 alive */
	CHECK_EQ(fx_refs(&c2->header), 1);
	object_put(&t->header); /* thread_cleanup drops c2: both gone */
	object_put(&c1->header);
	CHECK_EQ(fx_free(p), CHILD_BYTES);
	object_put(&p->header);
}

static void
test_root_partition(void)
{
	partition_t *root = fx_root();
	CHECK_EQ(root->header.type, OBJECT_TYPE_PARTITION);
	CHECK_EQ(root->header.state, OBJECT_STATE_ACTIVE);
	CHECK(root->header.partition == NULL);
	CHECK_EQ(fx_refs(&root->header), 1);
	size_t before = fx_free(root);
	object_header_t *o = fx_object(root, OBJECT_TYPE_DOORBELL);
	CHECK_EQ(fx_refs(&root->header), 2);
	CHECK_EQ(fx_free(root), before - fx_charge(OBJECT_TYPE_DOORBELL));
	object_put(o);
	CHECK_EQ(fx_refs(&root->header), 1);
	CHECK_EQ(fx_free(root), before);
}

/* --- destruction cascades: a chain of cspaces, each holding the only cap to the next --- */

#define STACK_BYTES (8U << 20)
#define STACK_FILL 0xcd

static cspace_t *chain_head;

static void *
destroy_chain(void *arg)
{
	(void)arg;
	object_put(&chain_head->header);
	return NULL;
}

/* Deepest stack use of a thread run on `stack`, read without ASan (its frames are dead). */
__attribute__((no_sanitize("address"))) static size_t
stack_used(const unsigned char *stack)
{
	size_t untouched = 0;
	while (untouched < STACK_BYTES && stack[untouched] == STACK_FILL) {
		untouched++;
	}
	return STACK_BYTES - untouched;
}

/* Builds a chain of `depth` cspaces, each holding the only cap to the one before it, and
 * destroys it from its head on a thread of its own; returns the stack bytes that took. */
static size_t
chain_destroy_stack(partition_t *p, size_t depth)
{
	cspace_t *prev = NULL;
	for (size_t i = 0; i < depth; i++) {
		cspace_t *cs = fx_cspace(p, 1);
		if (prev != NULL) {
			(void)fx_master(cs, &prev->header, CAP_RIGHTS_CSPACE_ALL);
			object_put(&prev->header);
		}
		prev = cs;
	}
	chain_head = prev;
	unsigned char *stack = unit_aligned_alloc(4096, STACK_BYTES);
	memset(stack, STACK_FILL, STACK_BYTES);
	pthread_attr_t attr;
	pthread_t thread;
	CHECK(pthread_attr_init(&attr) == 0);
	CHECK(pthread_attr_setstack(&attr, stack, STACK_BYTES) == 0);
	CHECK(pthread_create(&thread, &attr, destroy_chain, NULL) == 0);
	CHECK(pthread_join(thread, NULL) == 0);
	CHECK(pthread_attr_destroy(&attr) == 0);
	size_t used = stack_used(stack);
	free(stack);
	return used;
}

static void
test_destroy_chain_in_bounded_stack(void)
{
	partition_t *p = fx_partition(2U << 20);
	size_t shallow = chain_destroy_stack(p, 4);
	CHECK_EQ(fx_free(p), 2U << 20);
	size_t deep = chain_destroy_stack(p, 10000);
	CHECK_EQ(fx_free(p), 2U << 20); /* all 10000 went */
	object_put(&p->header);
	/* hyp has 16 KiB of stack per CPU and no guard page: destruction must not recurse
	 * (at -O2 each level of object_put -> cspace_deactivate took 128 bytes there). */
	if (deep > shallow + 4096U) {
		unit_fail(__FILE__, __LINE__,
			  "destroying 10000 nested cspaces used %zu bytes of stack, 4 used %zu",
			  deep, shallow);
	}
}

int
main(int argc, char **argv)
{
	static const unit_test_t tests[] = {
		UNIT_TEST(test_root_partition),
		UNIT_TEST(test_create_charges_partition),
		UNIT_TEST(test_create_without_memory_is_nomem),
		UNIT_TEST(test_get_put_last_reference_frees),
		UNIT_TEST(test_destroy_in_any_order_frees_exactly),
		UNIT_TEST(test_activate_state_machine),
		UNIT_TEST(test_activate_result_of_every_type),
		UNIT_TEST(test_objects_hold_their_partition),
		UNIT_TEST(test_nested_partitions),
		UNIT_TEST(test_thread_attach_cspace),
		UNIT_TEST(test_destroy_chain_in_bounded_stack),
	};
	return unit_main(argc, argv, tests, UNIT_COUNT(tests), fx_after_test);
}
