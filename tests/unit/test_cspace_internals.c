/* test_cspace_internals.c - white-box tests of hyp/objects/cspace.c (included here, not linked)
 * for what takes too long to reach from outside: the last generation of a slot and retirement. */
#include "../../hyp/objects/cspace.c"

#include <stdint.h>

#include "fixture.h"
#include "shim/host.h"
#include "unit.h"

#define BYTES (64U * 1024U)

/* The ID slot `index` would have at `generation` in `cs`. */
static cap_id_t
id_at(const cspace_t *cs, uint32_t index, uint32_t generation)
{
	return encode(cs, index, generation);
}

static void
test_slot_retires_after_its_last_generation(void)
{
	partition_t *p = fx_partition(BYTES);
	cspace_t *cs = fx_cspace(p, 2);
	object_header_t *db = fx_object(p, OBJECT_TYPE_DOORBELL);
	cap_id_t first = fx_master(cs, db, CAP_RIGHTS_DOORBELL_ALL); /* slot 0, generation 0 */
	CHECK_EQ(first, id_at(cs, 0, 0));
	CHECK_OK(cspace_delete_cap(cs, first));
	cs->slots[0].generation = UINT32_MAX - 1U; /* as if reused 2^32 - 2 times */
	cap_id_t last_but_one = fx_master(cs, db, CAP_RIGHTS_DOORBELL_ALL);
	CHECK_EQ(last_but_one, id_at(cs, 0, UINT32_MAX - 1U));
	CHECK_OK(cspace_delete_cap(cs, last_but_one));
	cap_id_t last = fx_master(cs, db, CAP_RIGHTS_DOORBELL_ALL);
	CHECK_EQ(last, id_at(cs, 0, UINT32_MAX));
	CHECK_OK(fx_lookup(cs, last, OBJECT_TYPE_DOORBELL, CAP_RIGHTS_DOORBELL_ALL));
	CHECK_EQ(cs->used, 1);
	/* Freeing the last generation retires the slot: it stays used and is never handed out. */
	CHECK_OK(cspace_delete_cap(cs, last));
	CHECK_EQ(cs->slots[0].state, CAP_RETIRED);
	CHECK_EQ(cs->used, 1);
	CHECK_EQ(fx_refs(db), 1); /* the reference went with the cap */
	cap_id_t ids[] = { first, last_but_one, last };
	for (size_t i = 0; i < UNIT_COUNT(ids); i++) {
		CHECK_ERR(fx_lookup(cs, ids[i], OBJECT_TYPE_ANY, 0), ERROR_CSPACE_CAP_NULL);
		CHECK_ERR(cspace_delete_cap(cs, ids[i]), ERROR_CSPACE_CAP_NULL);
		CHECK_ERR(cspace_revoke_cap(cs, ids[i]), ERROR_CSPACE_CAP_NULL);
	}
	/* Only slot 1 is left. */
	cap_id_t other = fx_master(cs, db, CAP_RIGHTS_DOORBELL_ALL);
	CHECK_EQ(other, id_at(cs, 1, 0));
	cap_id_t out = 0x42;
	CHECK_ERR(cspace_create_master_cap(cs, db, CAP_RIGHTS_DOORBELL_ALL, &out),
		  ERROR_CSPACE_FULL);
	CHECK_ERR(cspace_copy_cap(cs, other, cs, ~0U, &out), ERROR_CSPACE_FULL);
	CHECK_EQ(out, 0x42);
	/* Destroying the cspace skips the retired slot and frees everything. */
	object_put(&cs->header);
	CHECK_EQ(fx_refs(db), 1);
	object_put(db);
	CHECK_EQ(fx_free(p), BYTES);
	object_put(&p->header);
}

static void
test_invalid_id_is_skipped_to_next_generation(void)
{
	partition_t *p = fx_partition(BYTES);
	object_header_t *db = fx_object(p, OBJECT_TYPE_DOORBELL);
	cspace_t *cs = (cspace_t *)fx_object(p, OBJECT_TYPE_CSPACE);
	CHECK_OK(cspace_configure(cs, 1));
	/* The key under which slot 0, generation 5, encodes to CSPACE_CAP_INVALID. */
	host_force_next_cap_key((CSPACE_CAP_INVALID * CAP_ID_INVERSE) ^ ((uint64_t)5U << 16));
	CHECK_OK(object_activate(&cs->header));
	CHECK_EQ(id_at(cs, 0, 5), CSPACE_CAP_INVALID);
	cs->slots[0].generation = 5;
	cap_id_t cap = fx_master(cs, db, CAP_RIGHTS_DOORBELL_ALL);
	CHECK_EQ(cap, id_at(cs, 0, 6));
	CHECK_OK(fx_lookup(cs, cap, OBJECT_TYPE_DOORBELL, 0));
	CHECK_OK(cspace_delete_cap(cs, cap));
	CHECK_EQ(cs->slots[0].generation, 7);
	object_put(&cs->header);
	object_put(db);
	object_put(&p->header);
}

/* When a slot's last generation (UINT32_MAX) is the one that encodes to CSPACE_CAP_INVALID,
 * the slot retires: skipping would wrap the generation and re-issue generation 0's ID. */
static void
test_invalid_skip_at_last_generation(void)
{
	partition_t *p = fx_partition(64U * 1024U);
	object_header_t *old_obj = fx_object(p, OBJECT_TYPE_DOORBELL);
	object_header_t *new_obj = fx_object(p, OBJECT_TYPE_THREAD);
	cspace_t *cs = (cspace_t *)fx_object(p, OBJECT_TYPE_CSPACE);
	CHECK_OK(cspace_configure(cs, 1));
	host_force_next_cap_key((CSPACE_CAP_INVALID * CAP_ID_INVERSE) ^
				((uint64_t)UINT32_MAX << 16));
	CHECK_OK(object_activate(&cs->header));
	cap_id_t stale = fx_master(cs, old_obj, CAP_RIGHTS_DOORBELL_ALL); /* generation 0 */
	CHECK_OK(cspace_delete_cap(cs, stale));
	cs->slots[0].generation = UINT32_MAX; /* as if reused 2^32 - 1 times */
	cap_id_t fresh = CSPACE_CAP_INVALID;
	error_t created = cspace_create_master_cap(cs, new_obj, CAP_RIGHTS_THREAD_ALL, &fresh);
	error_t stale_lookup = fx_lookup(cs, stale, OBJECT_TYPE_ANY, 0);
	object_put(&cs->header);
	object_put(old_obj);
	object_put(new_obj);
	object_put(&p->header);
	CHECK(created == OK || created == ERROR_CSPACE_FULL);
	CHECK(fresh != stale);
	CHECK_ERR(stale_lookup, ERROR_CSPACE_CAP_NULL);
}

/* Gunyah's rule for a cap that is not there: an ID that does not decode to a slot of the
 * cspace (the top 16 bits of the unmasked value set, or an index past max_caps) is
 * ERROR_ARGUMENT_INVALID; a well-formed ID of an empty slot (no cap in it, or another
 * generation's) is ERROR_CSPACE_CAP_NULL. Every operation reports the same. */
static void
check_every_op(cspace_t *cs, cap_id_t id, error_t want)
{
	cap_id_t out = 0x99;
	CHECK_ERR(fx_lookup(cs, id, OBJECT_TYPE_ANY, 0), want);
	CHECK_ERR(fx_lookup(cs, id, OBJECT_TYPE_DOORBELL, CAP_RIGHTS_DOORBELL_ALL), want);
	CHECK_ERR(cspace_copy_cap(cs, id, cs, ~0U, &out), want);
	CHECK_ERR(cspace_revoke_cap(cs, id), want);
	CHECK_ERR(cspace_revoke_caps(cs, id), want);
	CHECK_ERR(cspace_delete_cap(cs, id), want);
	CHECK_EQ(out, 0x99);
}

static void
test_undecodable_id_is_argument_invalid(void)
{
	partition_t *p = fx_partition(BYTES);
	object_header_t *db = fx_object(p, OBJECT_TYPE_DOORBELL);
	cspace_t *cs = fx_cspace(p, 4);
	cap_id_t live = fx_master(cs, db, CAP_RIGHTS_DOORBELL_ALL); /* slot 0, generation 0 */
	CHECK_EQ(live, id_at(cs, 0, 0));
	/* Names no slot: index past max_caps, the largest index, top bits set. */
	check_every_op(cs, id_at(cs, 4, 0), ERROR_ARGUMENT_INVALID);
	check_every_op(cs, id_at(cs, 0xffffU, 0), ERROR_ARGUMENT_INVALID);
	check_every_op(cs, (((uint64_t)1U << 48) ^ cs->key) * CAP_ID_MULTIPLIER,
		       ERROR_ARGUMENT_INVALID);
	check_every_op(cs, ((((uint64_t)0x8000U << 48) | 1U) ^ cs->key) * CAP_ID_MULTIPLIER,
		       ERROR_ARGUMENT_INVALID);
	/* Well-formed: an empty slot, a live slot's other generation, the largest index. */
	check_every_op(cs, id_at(cs, 1, 0), ERROR_CSPACE_CAP_NULL);
	check_every_op(cs, id_at(cs, 3, 0), ERROR_CSPACE_CAP_NULL);
	check_every_op(cs, id_at(cs, 0, 1), ERROR_CSPACE_CAP_NULL);
	check_every_op(cs, id_at(cs, 0, UINT32_MAX), ERROR_CSPACE_CAP_NULL);
	/* None of that touched the live cap. */
	CHECK_OK(fx_lookup(cs, live, OBJECT_TYPE_DOORBELL, CAP_RIGHTS_DOORBELL_ALL));
	CHECK_EQ(cs->used, 1);
	object_put(&cs->header);
	object_put(db);
	CHECK_EQ(fx_free(p), BYTES);
	object_put(&p->header);
}

int
main(int argc, char **argv)
{
	static const unit_test_t tests[] = {
		UNIT_TEST(test_slot_retires_after_its_last_generation),
		UNIT_TEST(test_invalid_id_is_skipped_to_next_generation),
		UNIT_TEST(test_invalid_skip_at_last_generation),
		UNIT_TEST(test_undecodable_id_is_argument_invalid),
	};
	return unit_main(argc, argv, tests, UNIT_COUNT(tests), fx_after_test);
}
