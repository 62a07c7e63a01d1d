/* test_cspace.c - host tests of hyp/objects/cspace.c: every documented error, generations,
 * ID obfuscation, rights, revocation across cspaces, lifecycle, and a seeded model check. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "cap_model.h"
#include "fixture.h"
#include "shim/host.h"
#include "unit.h"

#define CHILD_BYTES (256U * 1024U)
#define DB_ALL CAP_RIGHTS_DOORBELL_ALL
#define DB_SEND CAP_RIGHTS_DOORBELL_SEND
#define DB_RECV CAP_RIGHTS_DOORBELL_RECEIVE

static cap_id_t
copy_ok(cspace_t *src, cap_id_t cap, cspace_t *dest, cap_rights_t mask)
{
	cap_id_t out = CSPACE_CAP_INVALID;
	CHECK_OK(cspace_copy_cap(src, cap, dest, mask, &out));
	CHECK(out != CSPACE_CAP_INVALID);
	return out;
}

/* Every cap operation on `cap` in `cs` reports `err` (lookup with any type and rights). */
static void
check_all_ops_fail(cspace_t *cs, cap_id_t cap, error_t err)
{
	CHECK_ERR(fx_lookup(cs, cap, OBJECT_TYPE_ANY, 0), err);
	CHECK_ERR(fx_lookup(cs, cap, OBJECT_TYPE_CSPACE, CAP_RIGHTS_CSPACE_ALL), err);
	CHECK_ERR(fx_lookup(cs, cap, OBJECT_TYPE_DOORBELL, DB_ALL), err);
	cap_id_t out = 0x1234;
	CHECK_ERR(cspace_copy_cap(cs, cap, cs, ~0U, &out), err);
	CHECK_EQ(out, 0x1234);
	CHECK_ERR(cspace_revoke_cap(cs, cap), err);
	CHECK_ERR(cspace_revoke_caps(cs, cap), err);
}

/* An ID that is no cap of `cs`: ERROR_ARGUMENT_INVALID if it names no slot, else (a
 * well-formed ID of an empty slot) ERROR_CSPACE_CAP_NULL, the same from every operation and
 * from delete. Which one depends on the key (test_cspace_internals.c checks the rule);
 * returns the error seen. */
static error_t
check_no_cap(cspace_t *cs, cap_id_t cap)
{
	error_t err = fx_lookup(cs, cap, OBJECT_TYPE_ANY, 0);
	CHECK(err == ERROR_ARGUMENT_INVALID || err == ERROR_CSPACE_CAP_NULL);
	check_all_ops_fail(cs, cap, err);
	CHECK_ERR(cspace_delete_cap(cs, cap), err);
	return err;
}

static void
test_lookup_error_order(void)
{
	partition_t *p = fx_partition(CHILD_BYTES);
	cspace_t *cs = fx_cspace(p, 8);
	object_header_t *db = fx_object(p, OBJECT_TYPE_DOORBELL);
	cap_id_t m = fx_master(cs, db, DB_SEND | DB_RECV);
	CHECK_EQ(fx_refs(db), 2);
	/* OK: a new reference for the caller. */
	object_header_t *out = NULL;
	CHECK_OK(cspace_lookup(cs, m, OBJECT_TYPE_DOORBELL, DB_SEND, &out));
	CHECK(out == db);
	CHECK_EQ(fx_refs(db), 3);
	object_put(out);
	CHECK_OK(fx_lookup(cs, m, OBJECT_TYPE_ANY, 0));
	CHECK_OK(fx_lookup(cs, m, OBJECT_TYPE_ANY, DB_SEND | DB_RECV));
	CHECK_OK(fx_lookup(cs, m, OBJECT_TYPE_DOORBELL, 0));
	/* INSUFFICIENT_RIGHTS: any one missing right. */
	CHECK_ERR(fx_lookup(cs, m, OBJECT_TYPE_DOORBELL, CAP_RIGHTS_DOORBELL_BIND),
		  ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	CHECK_ERR(fx_lookup(cs, m, OBJECT_TYPE_DOORBELL, DB_SEND | CAP_RIGHTS_DOORBELL_BIND),
		  ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	CHECK_ERR(fx_lookup(cs, m, OBJECT_TYPE_ANY, CAP_RIGHTS_GENERIC_OBJECT_ACTIVATE),
		  ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	/* WRONG_OBJECT_TYPE comes before rights. */
	CHECK_ERR(fx_lookup(cs, m, OBJECT_TYPE_CSPACE, 0), ERROR_CSPACE_WRONG_OBJECT_TYPE);
	CHECK_ERR(fx_lookup(cs, m, OBJECT_TYPE_THREAD, ~0U), ERROR_CSPACE_WRONG_OBJECT_TYPE);
	/* CAP_REVOKED comes before type and rights. */
	CHECK_OK(cspace_revoke_cap(cs, m));
	CHECK_ERR(fx_lookup(cs, m, OBJECT_TYPE_DOORBELL, DB_SEND), ERROR_CSPACE_CAP_REVOKED);
	CHECK_ERR(fx_lookup(cs, m, OBJECT_TYPE_CSPACE, ~0U), ERROR_CSPACE_CAP_REVOKED);
	/* An ID that names no slot (ARGUMENT_INVALID), or an empty one (CAP_NULL), before
	 * everything. */
	error_t no_cap = fx_lookup(cs, CSPACE_CAP_INVALID, OBJECT_TYPE_ANY, 0);
	CHECK(no_cap == ERROR_ARGUMENT_INVALID || no_cap == ERROR_CSPACE_CAP_NULL);
	CHECK_ERR(fx_lookup(cs, CSPACE_CAP_INVALID, OBJECT_TYPE_CSPACE, ~0U), no_cap);
	cap_id_t gone = fx_master(cs, db, DB_ALL);
	CHECK_OK(cspace_delete_cap(cs, gone));
	CHECK_ERR(fx_lookup(cs, gone, OBJECT_TYPE_CSPACE, ~0U), ERROR_CSPACE_CAP_NULL);
	CHECK_EQ(fx_refs(db), 2); /* failed lookups took no reference */
	object_put(&cs->header);
	CHECK_EQ(fx_refs(db), 1);
	object_put(db);
	CHECK_EQ(fx_free(p), CHILD_BYTES);
	object_put(&p->header);
}

static void
test_unusable_cspaces(void)
{
	partition_t *p = fx_partition(CHILD_BYTES);
	object_header_t *db = fx_object(p, OBJECT_TYPE_DOORBELL);
	cspace_t *good = fx_cspace(p, 4);
	cap_id_t m = fx_master(good, db, DB_ALL);
	cspace_t *init = (cspace_t *)fx_object(p, OBJECT_TYPE_CSPACE);
	CHECK_OK(cspace_configure(init, 4));
	cspace_t *failed = (cspace_t *)fx_object(p, OBJECT_TYPE_CSPACE);
	CHECK_ERR(object_activate(&failed->header), ERROR_OBJECT_CONFIG);
	object_header_t *out = NULL;
	CHECK_ERR(cspace_lookup(NULL, m, OBJECT_TYPE_ANY, 0, &out), ERROR_CSPACE_CAP_NULL);
	cspace_t *unusable[] = { init, failed };
	for (size_t i = 0; i < UNIT_COUNT(unusable); i++) {
		cspace_t *cs = unusable[i];
		cap_id_t id = 0x77;
		CHECK_ERR(cspace_create_master_cap(cs, db, DB_ALL, &id), ERROR_OBJECT_STATE);
		CHECK_EQ(id, 0x77);
		check_all_ops_fail(cs, m, ERROR_CSPACE_CAP_NULL);
		CHECK_ERR(cspace_delete_cap(cs, m), ERROR_CSPACE_CAP_NULL);
		/* Copies to or from it fail, even from a good cap. */
		CHECK_ERR(cspace_copy_cap(good, m, cs, DB_ALL, &id), ERROR_CSPACE_CAP_NULL);
		CHECK_ERR(cspace_copy_cap(cs, m, good, DB_ALL, &id), ERROR_CSPACE_CAP_NULL);
		CHECK_EQ(id, 0x77);
	}
	CHECK_EQ(fx_refs(db), 2);
	object_put(&init->header);
	object_put(&failed->header);
	object_put(&good->header);
	object_put(db);
	CHECK_EQ(fx_free(p), CHILD_BYTES);
	object_put(&p->header);
}

static bool
is_valid_id(const cap_id_t *ids, size_t n, cap_id_t id)
{
	for (size_t i = 0; i < n; i++) {
		if (ids[i] == id) {
			return true;
		}
	}
	return false;
}

static void
test_invalid_and_random_ids_are_no_cap(void)
{
	enum { N = 16 };
	partition_t *p = fx_partition(CHILD_BYTES);
	cspace_t *cs = fx_cspace(p, N + 4);
	object_header_t *db = fx_object(p, OBJECT_TYPE_DOORBELL);
	cap_id_t ids[N];
	for (size_t i = 0; i < N; i++) {
		ids[i] = fx_master(cs, db, DB_ALL);
	}
	(void)check_no_cap(cs, CSPACE_CAP_INVALID);
	/* Neighbours of valid IDs, and seeded random IDs: almost all name no slot at all. */
	unsigned no_slot = 0, tried = 0;
	unit_rng_t rng;
	unit_rng_seed(&rng, 42);
	for (size_t k = 0; k < 20000U; k++) {
		cap_id_t id;
		switch (k % 4U) {
		case 0: id = ids[k % N] ^ ((cap_id_t)1 << unit_rng_below(&rng, 64)); break;
		case 1: id = ids[k % N] + 1U + unit_rng_below(&rng, 1000); break;
		case 2: id = (cap_id_t)unit_rng_below(&rng, 1U << 20); break;
		default: id = unit_rng_next(&rng); break;
		}
		if (is_valid_id(ids, N, id)) {
			continue;
		}
		tried++;
		if (k % 8U == 0U) {
			no_slot += check_no_cap(cs, id) == ERROR_ARGUMENT_INVALID;
		} else {
			error_t err = fx_lookup(cs, id, OBJECT_TYPE_ANY, 0);
			CHECK(err == ERROR_ARGUMENT_INVALID || err == ERROR_CSPACE_CAP_NULL);
			no_slot += err == ERROR_ARGUMENT_INVALID;
		}
	}
	CHECK(no_slot * 100U >= tried * 99U);
	CHECK_EQ(fx_refs(db), 1U + N);
	for (size_t i = 0; i < N; i++) {
		CHECK_OK(fx_lookup(cs, ids[i], OBJECT_TYPE_DOORBELL, DB_ALL));
	}
	object_put(&cs->header);
	CHECK_EQ(fx_refs(db), 1);
	object_put(db);
	object_put(&p->header);
}

static void
test_stale_ids_never_reach_reused_slot(void)
{
	enum { ROUNDS = 2000 };
	partition_t *p = fx_partition(CHILD_BYTES);
	cspace_t *cs = fx_cspace(p, 1); /* one slot: every new cap reuses it */
	object_header_t *old_obj = fx_object(p, OBJECT_TYPE_DOORBELL);
	object_header_t *new_obj = fx_object(p, OBJECT_TYPE_THREAD);
	static cap_id_t seen[ROUNDS];
	cap_id_t stale = fx_master(cs, old_obj, DB_ALL);
	CHECK_OK(cspace_delete_cap(cs, stale));
	CHECK_EQ(fx_refs(old_obj), 1);
	for (size_t r = 0; r < ROUNDS; r++) {
		cap_id_t id = fx_master(cs, new_obj, CAP_RIGHTS_THREAD_ALL);
		CHECK(id != stale);
		CHECK(!is_valid_id(seen, r, id));
		seen[r] = id;
		/* The stale ID is dead for every operation, and the new cap is untouched. */
		check_all_ops_fail(cs, stale, ERROR_CSPACE_CAP_NULL);
		CHECK_ERR(cspace_delete_cap(cs, stale), ERROR_CSPACE_CAP_NULL);
		for (size_t k = r >= 3U ? r - 3U : 0U; k < r; k++) {
			CHECK_ERR(fx_lookup(cs, seen[k], OBJECT_TYPE_ANY, 0),
				  ERROR_CSPACE_CAP_NULL);
		}
		CHECK(fx_target(cs, id) == new_obj);
		CHECK_OK(fx_lookup(cs, id, OBJECT_TYPE_THREAD, CAP_RIGHTS_THREAD_ALL));
		CHECK_OK(cspace_delete_cap(cs, id));
		CHECK_ERR(cspace_delete_cap(cs, id), ERROR_CSPACE_CAP_NULL);
	}
	CHECK_EQ(fx_refs(new_obj), 1);
	object_put(&cs->header);
	object_put(old_obj);
	object_put(new_obj);
	object_put(&p->header);
}

static void
test_stale_id_after_many_reuses(void)
{
	/* Far more reuses of one slot than a 16-bit generation could tell apart. */
	partition_t *p = fx_partition(CHILD_BYTES);
	cspace_t *cs = fx_cspace(p, 1);
	object_header_t *old_obj = fx_object(p, OBJECT_TYPE_DOORBELL);
	object_header_t *new_obj = fx_object(p, OBJECT_TYPE_THREAD);
	cap_id_t stale = fx_master(cs, old_obj, CAP_RIGHTS_DOORBELL_ALL);
	CHECK_OK(cspace_delete_cap(cs, stale));
	for (uint32_t i = 0; i < 0x10000U + 8U; i++) {
		cap_id_t id = fx_master(cs, old_obj, 0);
		CHECK(id != stale);
		CHECK_OK(cspace_delete_cap(cs, id));
	}
	cap_id_t fresh = fx_master(cs, new_obj, CAP_RIGHTS_THREAD_ALL);
	CHECK(fresh != stale);
	CHECK_ERR(fx_lookup(cs, stale, OBJECT_TYPE_ANY, 0), ERROR_CSPACE_CAP_NULL);
	CHECK(fx_target(cs, fresh) == new_obj);
	object_put(&cs->header);
	object_put(old_obj);
	object_put(new_obj);
	object_put(&p->header);
}

static cspace_t *
cspace_with_key(partition_t *p, uint32_t max_caps, uint64_t key)
{
	cspace_t *cs = (cspace_t *)fx_object(p, OBJECT_TYPE_CSPACE);
	CHECK_OK(cspace_configure(cs, max_caps));
	host_force_next_cap_key(key);
	CHECK_OK(object_activate(&cs->header));
	return cs;
}

static void
test_ids_do_not_reveal_the_index(void)
{
	enum { N = 8 };
	partition_t *p = fx_partition(CHILD_BYTES);
	object_header_t *db = fx_object(p, OBJECT_TYPE_DOORBELL);
	cspace_t *a = cspace_with_key(p, N, 0x0123456789abcdefULL);
	cspace_t *b = cspace_with_key(p, N, 0xfedcba9876543210ULL);
	cspace_t *a2 = cspace_with_key(p, N, 0x0123456789abcdefULL);
	cap_id_t ia[N], ib[N];
	for (size_t i = 0; i < N; i++) {
		ia[i] = fx_master(a, db, DB_ALL);
		ib[i] = fx_master(b, db, DB_ALL);
		/* Same slot, different key: different ID, and no ID is the bare index. */
		CHECK(ia[i] != ib[i]);
		CHECK(ia[i] >= (cap_id_t)1 << 32);
		CHECK(ib[i] >= (cap_id_t)1 << 32);
		/* The key is all that differs: the same key gives the same ID. */
		CHECK_EQ(fx_master(a2, db, DB_ALL), ia[i]);
	}
	for (size_t i = 0; i < N; i++) {
		/* An ID means nothing in the other cspace. */
		if (!is_valid_id(ib, N, ia[i])) {
			(void)check_no_cap(b, ia[i]);
		}
		if (!is_valid_id(ia, N, ib[i])) {
			(void)check_no_cap(a, ib[i]);
		}
	}
	/* Every activation draws a fresh key: default keys differ from cspace to cspace. */
	uint64_t before = host_cap_keys_issued();
	cspace_t *c = fx_cspace(p, N);
	cspace_t *d = fx_cspace(p, N);
	CHECK_EQ(host_cap_keys_issued(), before + 2U);
	CHECK(c->key != d->key);
	CHECK(fx_master(c, db, DB_ALL) != fx_master(d, db, DB_ALL));
	object_put(&a->header);
	object_put(&b->header);
	object_put(&a2->header);
	object_put(&c->header);
	object_put(&d->header);
	object_put(db);
	CHECK_EQ(fx_free(p), CHILD_BYTES);
	object_put(&p->header);
}

/* Whatever the key, no valid cap has the ID CSPACE_CAP_INVALID. */
static void
test_no_cap_id_is_invalid(void)
{
	partition_t *p = fx_partition(CHILD_BYTES);
	object_header_t *db = fx_object(p, OBJECT_TYPE_DOORBELL);
	/* With key 0, slot 0 generation 0 encodes to 0 and slot 1 to the multiplier itself. */
	cspace_t *probe = cspace_with_key(p, 2, 0);
	CHECK_EQ(fx_master(probe, db, 0), 0);
	uint64_t k = fx_master(probe, db, 0);
	CHECK(k % 2U == 1U);
	uint64_t inv = k; /* Newton's iteration for the inverse mod 2^64 */
	for (int i = 0; i < 6; i++) {
		inv *= 2U - k * inv;
	}
	CHECK_EQ(k * inv, 1);
	/* The key under which slot 0, generation 0, would encode to CSPACE_CAP_INVALID. */
	cspace_t *cs = cspace_with_key(p, 2, CSPACE_CAP_INVALID * inv);
	for (int i = 0; i < 4; i++) {
		cap_id_t cap = fx_master(cs, db, CAP_RIGHTS_DOORBELL_ALL); /* checks != INVALID */
		CHECK_OK(fx_lookup(cs, cap, OBJECT_TYPE_DOORBELL, CAP_RIGHTS_DOORBELL_ALL));
		cap_id_t copy = copy_ok(cs, cap, cs, CAP_RIGHTS_DOORBELL_SEND);
		CHECK_OK(fx_lookup(cs, copy, OBJECT_TYPE_DOORBELL, CAP_RIGHTS_DOORBELL_SEND));
		CHECK_OK(cspace_delete_cap(cs, copy));
		CHECK_OK(cspace_delete_cap(cs, cap));
	}
	/* Here CSPACE_CAP_INVALID is well-formed (slot 0, generation 0), but never a cap. */
	CHECK_ERR(fx_lookup(cs, CSPACE_CAP_INVALID, OBJECT_TYPE_ANY, 0), ERROR_CSPACE_CAP_NULL);
	object_put(&probe->header);
	object_put(&cs->header);
	object_put(db);
	CHECK_EQ(fx_free(p), CHILD_BYTES);
	object_put(&p->header);
}

static void
test_copy_masks_rights(void)
{
	partition_t *p = fx_partition(CHILD_BYTES);
	cspace_t *a = fx_cspace(p, 8);
	cspace_t *b = fx_cspace(p, 8);
	object_header_t *db = fx_object(p, OBJECT_TYPE_DOORBELL);
	cap_id_t m = fx_master(a, db, DB_ALL);
	cap_id_t send = copy_ok(a, m, b, DB_SEND);
	CHECK_EQ(fx_refs(db), 3);
	CHECK_OK(fx_lookup(b, send, OBJECT_TYPE_DOORBELL, DB_SEND));
	CHECK_ERR(fx_lookup(b, send, OBJECT_TYPE_DOORBELL, DB_RECV),
		  ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	CHECK_ERR(fx_lookup(b, send, OBJECT_TYPE_DOORBELL, DB_SEND | DB_RECV),
		  ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	/* A copy never has more rights than its source, whatever the mask. */
	cap_id_t again = copy_ok(b, send, a, ~0U);
	CHECK_OK(fx_lookup(a, again, OBJECT_TYPE_DOORBELL, DB_SEND));
	CHECK_ERR(fx_lookup(a, again, OBJECT_TYPE_DOORBELL, DB_RECV),
		  ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	/* Mask 0: a cap that names the object but allows nothing. */
	cap_id_t none = copy_ok(a, m, a, 0);
	CHECK_OK(fx_lookup(a, none, OBJECT_TYPE_DOORBELL, 0));
	CHECK(fx_target(a, none) == db);
	CHECK_ERR(fx_lookup(a, none, OBJECT_TYPE_DOORBELL, DB_SEND),
		  ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	CHECK_ERR(fx_lookup(a, none, OBJECT_TYPE_ANY, CAP_RIGHTS_GENERIC_OBJECT_ACTIVATE),
		  ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	/* The master is unchanged. */
	CHECK_OK(fx_lookup(a, m, OBJECT_TYPE_DOORBELL, DB_ALL));
	CHECK_EQ(fx_refs(db), 5);
	object_put(&a->header);
	object_put(&b->header);
	CHECK_EQ(fx_refs(db), 1);
	object_put(db);
	object_put(&p->header);
}

static void
test_copy_errors(void)
{
	partition_t *p = fx_partition(CHILD_BYTES);
	cspace_t *a = fx_cspace(p, 4);
	cspace_t *full = fx_cspace(p, 2);
	object_header_t *db = fx_object(p, OBJECT_TYPE_DOORBELL);
	cap_id_t m = fx_master(a, db, DB_ALL);
	cap_id_t r = copy_ok(a, m, a, DB_ALL);
	CHECK_OK(cspace_revoke_cap(a, r));
	cap_id_t stale = copy_ok(a, m, a, DB_ALL);
	CHECK_OK(cspace_delete_cap(a, stale));
	(void)fx_master(full, db, DB_ALL);
	(void)fx_master(full, db, DB_ALL);
	uint32_t refs = fx_refs(db);
	cap_id_t out = 0x55;
	CHECK_ERR(cspace_copy_cap(a, r, a, DB_ALL, &out), ERROR_CSPACE_CAP_REVOKED);
	CHECK_ERR(cspace_copy_cap(a, stale, a, DB_ALL, &out), ERROR_CSPACE_CAP_NULL);
	CHECK_ERR(cspace_copy_cap(a, m, full, DB_ALL, &out), ERROR_CSPACE_FULL);
	/* A bad source is reported before a full destination. */
	CHECK_ERR(cspace_copy_cap(a, stale, full, DB_ALL, &out), ERROR_CSPACE_CAP_NULL);
	CHECK_ERR(cspace_copy_cap(a, r, full, DB_ALL, &out), ERROR_CSPACE_CAP_REVOKED);
	CHECK_EQ(out, 0x55);
	CHECK_EQ(fx_refs(db), refs);
	CHECK_EQ(full->used, 2);
	object_put(&a->header);
	object_put(&full->header);
	object_put(db);
	CHECK_EQ(fx_free(p), CHILD_BYTES);
	object_put(&p->header);
}

static void
test_revoke_one_cap(void)
{
	partition_t *p = fx_partition(CHILD_BYTES);
	cspace_t *a = fx_cspace(p, 8);
	object_header_t *db = fx_object(p, OBJECT_TYPE_DOORBELL);
	cap_id_t m = fx_master(a, db, DB_ALL);
	cap_id_t c1 = copy_ok(a, m, a, DB_ALL);
	cap_id_t c2 = copy_ok(a, m, a, DB_SEND);
	cap_id_t g = copy_ok(a, c1, a, DB_ALL);
	CHECK_OK(cspace_revoke_cap(a, c1));
	check_all_ops_fail(a, c1, ERROR_CSPACE_CAP_REVOKED);
	/* Only that cap: its parent, sibling and child are untouched. */
	CHECK_OK(fx_lookup(a, m, OBJECT_TYPE_DOORBELL, DB_ALL));
	CHECK_OK(fx_lookup(a, c2, OBJECT_TYPE_DOORBELL, DB_SEND));
	CHECK_OK(fx_lookup(a, g, OBJECT_TYPE_DOORBELL, DB_ALL));
	/* A revoked cap still holds its reference (and slot) until deleted. */
	CHECK_EQ(fx_refs(db), 5);
	CHECK_EQ(a->used, 4);
	CHECK_OK(cspace_delete_cap(a, c1));
	CHECK_EQ(fx_refs(db), 4);
	check_all_ops_fail(a, c1, ERROR_CSPACE_CAP_NULL);
	/* The child moved up to m, so revoking m's derived caps still reaches it. */
	CHECK_OK(cspace_revoke_caps(a, m));
	CHECK_ERR(fx_lookup(a, g, OBJECT_TYPE_ANY, 0), ERROR_CSPACE_CAP_REVOKED);
	CHECK_ERR(fx_lookup(a, c2, OBJECT_TYPE_ANY, 0), ERROR_CSPACE_CAP_REVOKED);
	/* Revoking a master alone leaves what was derived from it. */
	cap_id_t m2 = fx_master(a, db, DB_ALL);
	cap_id_t d2 = copy_ok(a, m2, a, DB_ALL);
	CHECK_OK(cspace_revoke_cap(a, m2));
	CHECK_ERR(fx_lookup(a, m2, OBJECT_TYPE_ANY, 0), ERROR_CSPACE_CAP_REVOKED);
	CHECK_OK(fx_lookup(a, d2, OBJECT_TYPE_ANY, 0));
	object_put(&a->header);
	CHECK_EQ(fx_refs(db), 1);
	object_put(db);
	object_put(&p->header);
}

static void
test_revoke_caps_across_cspaces(void)
{
	partition_t *p = fx_partition(CHILD_BYTES);
	cspace_t *a = fx_cspace(p, 8), *b = fx_cspace(p, 8), *c = fx_cspace(p, 8);
	object_header_t *db = fx_object(p, OBJECT_TYPE_DOORBELL);
	object_header_t *other = fx_object(p, OBJECT_TYPE_DOORBELL);
	cap_id_t m = fx_master(a, db, DB_ALL);
	cap_id_t c1 = copy_ok(a, m, b, DB_ALL);    /* child, in b */
	cap_id_t g1 = copy_ok(b, c1, c, DB_SEND);  /* grandchild, in c */
	cap_id_t g2 = copy_ok(b, c1, a, DB_ALL);   /* grandchild, back in a */
	cap_id_t gg = copy_ok(c, g1, b, DB_ALL);   /* great-grandchild, in b */
	cap_id_t c2 = copy_ok(a, m, a, DB_RECV);   /* second child, in a */
	cap_id_t u = fx_master(b, db, DB_ALL);     /* another master of the same object */
	cap_id_t uc = copy_ok(b, u, c, DB_ALL);    /* derived from u, not from m */
	cap_id_t o = fx_master(a, other, DB_ALL);  /* another object entirely */
	cap_id_t oc = copy_ok(a, o, c, DB_ALL);
	/* Revoking below a middle cap reaches only its subtree. */
	CHECK_OK(cspace_revoke_caps(b, c1));
	CHECK_OK(fx_lookup(b, c1, OBJECT_TYPE_ANY, 0));
	CHECK_OK(fx_lookup(a, m, OBJECT_TYPE_ANY, 0));
	CHECK_OK(fx_lookup(a, c2, OBJECT_TYPE_ANY, 0));
	CHECK_ERR(fx_lookup(c, g1, OBJECT_TYPE_ANY, 0), ERROR_CSPACE_CAP_REVOKED);
	CHECK_ERR(fx_lookup(a, g2, OBJECT_TYPE_ANY, 0), ERROR_CSPACE_CAP_REVOKED);
	CHECK_ERR(fx_lookup(b, gg, OBJECT_TYPE_ANY, 0), ERROR_CSPACE_CAP_REVOKED);
	/* From the master: everything derived, in every cspace; never the master itself. */
	CHECK_OK(cspace_revoke_caps(a, m));
	CHECK_OK(fx_lookup(a, m, OBJECT_TYPE_DOORBELL, DB_ALL));
	CHECK_ERR(fx_lookup(b, c1, OBJECT_TYPE_ANY, 0), ERROR_CSPACE_CAP_REVOKED);
	CHECK_ERR(fx_lookup(a, c2, OBJECT_TYPE_ANY, 0), ERROR_CSPACE_CAP_REVOKED);
	CHECK_ERR(fx_lookup(c, g1, OBJECT_TYPE_ANY, 0), ERROR_CSPACE_CAP_REVOKED);
	/* Unrelated caps, even to the same object, stay. */
	CHECK_OK(fx_lookup(b, u, OBJECT_TYPE_DOORBELL, DB_ALL));
	CHECK_OK(fx_lookup(c, uc, OBJECT_TYPE_DOORBELL, DB_ALL));
	CHECK_OK(fx_lookup(a, o, OBJECT_TYPE_DOORBELL, DB_ALL));
	CHECK_OK(fx_lookup(c, oc, OBJECT_TYPE_DOORBELL, DB_ALL));
	/* Again: nothing new to do, still OK. A revoked cap cannot revoke below it. */
	CHECK_OK(cspace_revoke_caps(a, m));
	CHECK_ERR(cspace_revoke_caps(b, c1), ERROR_CSPACE_CAP_REVOKED);
	/* New copies of the master are usable again. */
	cap_id_t fresh = copy_ok(a, m, c, DB_ALL);
	CHECK_OK(fx_lookup(c, fresh, OBJECT_TYPE_ANY, 0));
	/* Revoked caps delete normally and give their references back. */
	CHECK_EQ(fx_refs(db), 1U + 9U); /* ours, and m c1 g1 g2 gg c2 u uc fresh */
	CHECK_OK(cspace_delete_cap(b, c1));
	CHECK_OK(cspace_delete_cap(c, g1));
	CHECK_OK(cspace_delete_cap(a, g2));
	CHECK_OK(cspace_delete_cap(b, gg));
	CHECK_OK(cspace_delete_cap(a, c2));
	CHECK_EQ(fx_refs(db), 1U + 4U);
	object_put(&a->header);
	object_put(&b->header);
	object_put(&c->header);
	CHECK_EQ(fx_refs(db), 1);
	CHECK_EQ(fx_refs(other), 1);
	object_put(db);
	object_put(other);
	CHECK_EQ(fx_free(p), CHILD_BYTES);
	object_put(&p->header);
}

/* m has three children; the middle of the tree, `mid`, is the `pos`-th created (the child list
 * is kept newest first, so this puts it first, between, or last). Deleting it must leave its
 * children revocable from m. */
static void
delete_middle_at(size_t pos)
{
	partition_t *p = fx_partition(CHILD_BYTES);
	cspace_t *a = fx_cspace(p, 16), *b = fx_cspace(p, 16);
	object_header_t *db = fx_object(p, OBJECT_TYPE_DOORBELL);
	cap_id_t m = fx_master(a, db, DB_ALL);
	cap_id_t kids[3], mid = 0;
	for (size_t i = 0; i < 3U; i++) {
		kids[i] = copy_ok(a, m, i == pos ? b : a, DB_ALL);
		if (i == pos) {
			mid = kids[i];
		}
	}
	cap_id_t g1 = copy_ok(b, mid, a, DB_ALL);
	cap_id_t g2 = copy_ok(b, mid, b, DB_SEND);
	cap_id_t gg = copy_ok(b, g2, a, DB_SEND);
	CHECK_OK(cspace_delete_cap(b, mid));
	CHECK_ERR(fx_lookup(b, mid, OBJECT_TYPE_ANY, 0), ERROR_CSPACE_CAP_NULL);
	CHECK_OK(fx_lookup(a, g1, OBJECT_TYPE_ANY, 0)); /* deleting is not revoking */
	CHECK_OK(fx_lookup(b, g2, OBJECT_TYPE_ANY, 0));
	CHECK_OK(fx_lookup(a, gg, OBJECT_TYPE_ANY, 0));
	CHECK_OK(cspace_revoke_caps(a, m));
	CHECK_ERR(fx_lookup(a, g1, OBJECT_TYPE_ANY, 0), ERROR_CSPACE_CAP_REVOKED);
	CHECK_ERR(fx_lookup(b, g2, OBJECT_TYPE_ANY, 0), ERROR_CSPACE_CAP_REVOKED);
	CHECK_ERR(fx_lookup(a, gg, OBJECT_TYPE_ANY, 0), ERROR_CSPACE_CAP_REVOKED);
	for (size_t i = 0; i < 3U; i++) {
		if (i != pos) {
			CHECK_ERR(fx_lookup(a, kids[i], OBJECT_TYPE_ANY, 0),
				  ERROR_CSPACE_CAP_REVOKED);
		}
	}
	CHECK_OK(fx_lookup(a, m, OBJECT_TYPE_ANY, 0));
	CHECK_EQ(fx_refs(db), 1U + 1U + 2U + 3U);
	object_put(&b->header);
	object_put(&a->header);
	CHECK_EQ(fx_refs(db), 1);
	object_put(db);
	object_put(&p->header);
}

static void
test_delete_middle_keeps_descendants_revocable(void)
{
	for (size_t pos = 0; pos < 3U; pos++) {
		delete_middle_at(pos);
	}
}

static void
test_delete_along_a_chain(void)
{
	enum { DEPTH = 24 };
	partition_t *p = fx_partition(CHILD_BYTES);
	cspace_t *cs[3] = { fx_cspace(p, 16), fx_cspace(p, 16), fx_cspace(p, 16) };
	object_header_t *db = fx_object(p, OBJECT_TYPE_DOORBELL);
	cap_id_t chain[DEPTH];
	chain[0] = fx_master(cs[0], db, DB_ALL);
	for (size_t i = 1; i < DEPTH; i++) {
		chain[i] = copy_ok(cs[(i - 1U) % 3U], chain[i - 1U], cs[i % 3U], DB_ALL);
	}
	/* Delete every odd link: the even ones hang on to the nearest surviving ancestor. */
	for (size_t i = 1; i < DEPTH; i += 2U) {
		CHECK_OK(cspace_delete_cap(cs[i % 3U], chain[i]));
	}
	CHECK_OK(cspace_revoke_caps(cs[0], chain[0]));
	for (size_t i = 2; i < DEPTH; i += 2U) {
		CHECK_ERR(fx_lookup(cs[i % 3U], chain[i], OBJECT_TYPE_ANY, 0),
			  ERROR_CSPACE_CAP_REVOKED);
	}
	/* Deleting the master leaves the (revoked) rest as roots: nothing dangles. */
	CHECK_OK(cspace_delete_cap(cs[0], chain[0]));
	for (size_t i = 2; i < DEPTH; i += 2U) {
		CHECK_OK(cspace_delete_cap(cs[i % 3U], chain[i]));
	}
	CHECK_EQ(fx_refs(db), 1);
	for (size_t i = 0; i < 3U; i++) {
		CHECK_EQ(cs[i]->used, 0);
		object_put(&cs[i]->header);
	}
	object_put(db);
	object_put(&p->header);
}

static void
test_delete_master_orphans_children(void)
{
	partition_t *p = fx_partition(CHILD_BYTES);
	cspace_t *a = fx_cspace(p, 8);
	object_header_t *db = fx_object(p, OBJECT_TYPE_DOORBELL);
	cap_id_t m = fx_master(a, db, DB_ALL);
	cap_id_t c = copy_ok(a, m, a, DB_ALL);
	cap_id_t g = copy_ok(a, c, a, DB_ALL);
	CHECK_OK(cspace_delete_cap(a, m));
	CHECK_ERR(cspace_delete_cap(a, m), ERROR_CSPACE_CAP_NULL);
	CHECK_OK(fx_lookup(a, c, OBJECT_TYPE_DOORBELL, DB_ALL));
	CHECK_OK(fx_lookup(a, g, OBJECT_TYPE_DOORBELL, DB_ALL));
	/* c is now a root of its own, and still revokes what was derived from it. */
	CHECK_OK(cspace_revoke_caps(a, c));
	CHECK_OK(fx_lookup(a, c, OBJECT_TYPE_ANY, 0));
	CHECK_ERR(fx_lookup(a, g, OBJECT_TYPE_ANY, 0), ERROR_CSPACE_CAP_REVOKED);
	/* A new cap in m's old slot is not related to c. */
	cap_id_t m2 = fx_master(a, db, DB_ALL);
	CHECK(m2 != m);
	cap_id_t c2 = copy_ok(a, m2, a, DB_ALL);
	CHECK_OK(cspace_revoke_caps(a, m2));
	CHECK_ERR(fx_lookup(a, c2, OBJECT_TYPE_ANY, 0), ERROR_CSPACE_CAP_REVOKED);
	CHECK_OK(fx_lookup(a, c, OBJECT_TYPE_ANY, 0));
	object_put(&a->header);
	object_put(db);
	object_put(&p->header);
}

static void
test_full(void)
{
	partition_t *p = fx_partition(CHILD_BYTES);
	cspace_t *cs = fx_cspace(p, 4);
	object_header_t *db = fx_object(p, OBJECT_TYPE_DOORBELL);
	cap_id_t ids[4];
	for (size_t i = 0; i < 4U; i++) {
		ids[i] = fx_master(cs, db, DB_ALL);
		CHECK_EQ(cs->used, i + 1U);
	}
	cap_id_t out = 0x99;
	CHECK_ERR(cspace_create_master_cap(cs, db, DB_ALL, &out), ERROR_CSPACE_FULL);
	CHECK_ERR(cspace_copy_cap(cs, ids[0], cs, DB_ALL, &out), ERROR_CSPACE_FULL);
	CHECK_EQ(out, 0x99);
	CHECK_EQ(fx_refs(db), 5);
	CHECK_OK(cspace_delete_cap(cs, ids[2]));
	cap_id_t again = fx_master(cs, db, DB_ALL);
	CHECK(again != ids[2]);
	CHECK_ERR(cspace_create_master_cap(cs, db, DB_ALL, &out), ERROR_CSPACE_FULL);
	object_put(&cs->header);
	CHECK_EQ(fx_refs(db), 1);
	object_put(db);
	object_put(&p->header);
}

static int
compare_ids(const void *x, const void *y)
{
	cap_id_t a = *(const cap_id_t *)x, b = *(const cap_id_t *)y;
	return a < b ? -1 : a > b;
}

static void
test_largest_cspace(void)
{
	partition_t *p = fx_partition(512U * 1024U);
	cspace_t *cs = fx_cspace(p, CSPACE_MAX_CAPS);
	object_header_t *db = fx_object(p, OBJECT_TYPE_DOORBELL);
	static cap_id_t ids[CSPACE_MAX_CAPS], sorted[CSPACE_MAX_CAPS];
	for (size_t i = 0; i < CSPACE_MAX_CAPS; i++) {
		ids[i] = fx_master(cs, db, (cap_rights_t)i);
		sorted[i] = ids[i];
	}
	cap_id_t out;
	CHECK_ERR(cspace_create_master_cap(cs, db, DB_ALL, &out), ERROR_CSPACE_FULL);
	qsort(sorted, CSPACE_MAX_CAPS, sizeof(sorted[0]), compare_ids);
	for (size_t i = 1; i < CSPACE_MAX_CAPS; i++) {
		CHECK(sorted[i] != sorted[i - 1U]);
	}
	for (size_t i = 0; i < CSPACE_MAX_CAPS; i++) {
		CHECK_OK(fx_lookup(cs, ids[i], OBJECT_TYPE_DOORBELL, (cap_rights_t)i));
	}
	CHECK_EQ(fx_refs(db), 1U + CSPACE_MAX_CAPS);
	object_put(&cs->header);
	object_put(db);
	CHECK_EQ(fx_free(p), 512U * 1024U);
	object_put(&p->header);
}

static void
test_configure(void)
{
	partition_t *p = fx_partition(CHILD_BYTES);
	cspace_t *cs = (cspace_t *)fx_object(p, OBJECT_TYPE_CSPACE);
	CHECK_ERR(cspace_configure(cs, 0), ERROR_ARGUMENT_INVALID);
	CHECK_ERR(cspace_configure(cs, CSPACE_MAX_CAPS + 1U), ERROR_ARGUMENT_INVALID);
	CHECK_ERR(cspace_configure(cs, UINT32_MAX), ERROR_ARGUMENT_INVALID);
	CHECK_EQ(cs->max_caps, 0);
	CHECK_OK(cspace_configure(cs, CSPACE_MAX_CAPS));
	CHECK_OK(cspace_configure(cs, 1));
	CHECK_OK(cspace_configure(cs, 3)); /* the last value before activation counts */
	CHECK_EQ(cs->header.state, OBJECT_STATE_INIT);
	CHECK_OK(object_activate(&cs->header));
	CHECK_ERR(cspace_configure(cs, 8), ERROR_OBJECT_STATE);
	CHECK_ERR(cspace_configure(cs, 1), ERROR_OBJECT_STATE);
	CHECK_EQ(cs->max_caps, 3);
	object_header_t *db = fx_object(p, OBJECT_TYPE_DOORBELL);
	for (int i = 0; i < 3; i++) {
		(void)fx_master(cs, db, DB_ALL);
	}
	cap_id_t out;
	CHECK_ERR(cspace_create_master_cap(cs, db, DB_ALL, &out), ERROR_CSPACE_FULL);
	/* A FAILED cspace cannot be configured either. */
	cspace_t *failed = (cspace_t *)fx_object(p, OBJECT_TYPE_CSPACE);
	CHECK_ERR(object_activate(&failed->header), ERROR_OBJECT_CONFIG);
	CHECK_ERR(cspace_configure(failed, 4), ERROR_OBJECT_STATE);
	object_put(&failed->header);
	object_put(&cs->header);
	object_put(db);
	CHECK_EQ(fx_free(p), CHILD_BYTES);
	object_put(&p->header);
}

static void
test_activate_without_configure(void)
{
	partition_t *p = fx_partition(CHILD_BYTES);
	cspace_t *cs = (cspace_t *)fx_object(p, OBJECT_TYPE_CSPACE);
	size_t before = fx_free(p);
	uint64_t keys = host_cap_keys_issued();
	CHECK_ERR(object_activate(&cs->header), ERROR_OBJECT_CONFIG);
	CHECK_EQ(cs->header.state, OBJECT_STATE_FAILED);
	CHECK(cs->slots == NULL);
	CHECK_EQ(fx_free(p), before);
	CHECK_EQ(host_cap_keys_issued(), keys);
	CHECK_ERR(object_activate(&cs->header), ERROR_OBJECT_STATE);
	object_put(&cs->header);
	CHECK_EQ(fx_free(p), CHILD_BYTES);
	object_put(&p->header);
}

/* What the slot table of an n-slot cspace costs its partition, measured. */
static size_t
slot_table_charge(uint32_t n)
{
	partition_t *p = fx_partition(CHILD_BYTES);
	cspace_t *cs = (cspace_t *)fx_object(p, OBJECT_TYPE_CSPACE);
	CHECK_OK(cspace_configure(cs, n));
	size_t before = fx_free(p);
	CHECK_OK(object_activate(&cs->header));
	size_t charge = before - fx_free(p);
	object_put(&cs->header);
	CHECK_EQ(fx_free(p), CHILD_BYTES);
	object_put(&p->header);
	return charge;
}

static void
test_activate_nomem(void)
{
	enum { N = 100 };
	size_t table = slot_table_charge(N);
	CHECK(table >= N * 3U * sizeof(void *)); /* object pointer and tree links per slot */
	CHECK_EQ(table % 16U, 0);
	/* Exactly enough memory: activation takes all of it. */
	size_t exact = fx_charge(OBJECT_TYPE_CSPACE) + table;
	partition_t *p = fx_partition(exact);
	cspace_t *cs = (cspace_t *)fx_object(p, OBJECT_TYPE_CSPACE);
	CHECK_OK(cspace_configure(cs, N));
	CHECK_OK(object_activate(&cs->header));
	CHECK_EQ(fx_free(p), 0);
	object_put(&cs->header);
	CHECK_EQ(fx_free(p), exact);
	object_put(&p->header);
	/* One granule short: NOMEM, FAILED, and nothing is kept. */
	p = fx_partition(exact - 16U);
	cs = (cspace_t *)fx_object(p, OBJECT_TYPE_CSPACE);
	CHECK_OK(cspace_configure(cs, N));
	size_t before = fx_free(p);
	CHECK_ERR(object_activate(&cs->header), ERROR_NOMEM);
	CHECK_EQ(cs->header.state, OBJECT_STATE_FAILED);
	CHECK(cs->slots == NULL);
	CHECK_EQ(fx_free(p), before);
	CHECK_ERR(object_activate(&cs->header), ERROR_OBJECT_STATE);
	object_header_t *o = NULL;
	CHECK_ERR(cspace_lookup(cs, 0, OBJECT_TYPE_ANY, 0, &o), ERROR_CSPACE_CAP_NULL);
	object_put(&cs->header);
	CHECK_EQ(fx_free(p), exact - 16U);
	/* The memory is whole again: a right-sized cspace now fits. */
	cs = fx_cspace(p, N - 1U);
	object_put(&cs->header);
	object_put(&p->header);
	/* The largest table from a small partition: NOMEM too. */
	p = fx_partition(4096);
	cs = (cspace_t *)fx_object(p, OBJECT_TYPE_CSPACE);
	CHECK_OK(cspace_configure(cs, CSPACE_MAX_CAPS));
	CHECK_ERR(object_activate(&cs->header), ERROR_NOMEM);
	object_put(&cs->header);
	CHECK_EQ(fx_free(p), 4096);
	object_put(&p->header);
}

static void
test_destroy_drops_references(void)
{
	partition_t *p = fx_partition(CHILD_BYTES);
	cspace_t *outer = fx_cspace(p, 16);
	cspace_t *inner = fx_cspace(p, 16);
	object_header_t *objs[6];
	for (size_t i = 0; i < 6U; i++) {
		objs[i] = fx_object(p, i % 2U == 0U ? OBJECT_TYPE_DOORBELL : OBJECT_TYPE_THREAD);
		(void)fx_master(i < 3U ? outer : inner, objs[i], ~0U);
		if (i == 4U) {
			(void)fx_master(outer, objs[i], ~0U); /* two caps to one object */
		}
	}
	(void)fx_master(outer, &inner->header, CAP_RIGHTS_CSPACE_ALL);
	/* Only the caps hold anything now but our reference to outer. */
	for (size_t i = 0; i < 6U; i++) {
		object_put(objs[i]);
	}
	object_put(&inner->header);
	CHECK_EQ(fx_refs(&inner->header), 1);
	CHECK(fx_free(p) < CHILD_BYTES);
	object_put(&outer->header); /* outer, then inner through outer's cap, then the rest */
	CHECK_EQ(fx_free(p), CHILD_BYTES);
	CHECK_EQ(fx_refs(&p->header), 1);
	object_put(&p->header);
}

static void
test_destroy_relinks_derivation_tree(void)
{
	partition_t *p = fx_partition(CHILD_BYTES);
	cspace_t *a = fx_cspace(p, 8), *b = fx_cspace(p, 8), *c = fx_cspace(p, 8);
	object_header_t *db = fx_object(p, OBJECT_TYPE_DOORBELL);
	cap_id_t m = fx_master(a, db, DB_ALL);
	cap_id_t c1 = copy_ok(a, m, b, DB_ALL);
	cap_id_t c2 = copy_ok(a, m, b, DB_ALL);
	cap_id_t g1 = copy_ok(b, c1, c, DB_ALL);
	cap_id_t g2 = copy_ok(b, c2, c, DB_ALL);
	cap_id_t gb = copy_ok(b, c1, b, DB_ALL);
	(void)gb;
	CHECK_EQ(fx_refs(db), 7);
	/* Destroying b drops its caps; c's caps move up to m. */
	object_put(&b->header);
	CHECK_EQ(fx_refs(db), 4);
	CHECK_OK(fx_lookup(c, g1, OBJECT_TYPE_ANY, 0));
	CHECK_OK(cspace_revoke_caps(a, m));
	CHECK_ERR(fx_lookup(c, g1, OBJECT_TYPE_ANY, 0), ERROR_CSPACE_CAP_REVOKED);
	CHECK_ERR(fx_lookup(c, g2, OBJECT_TYPE_ANY, 0), ERROR_CSPACE_CAP_REVOKED);
	(void)c1;
	/* Destroying a leaves c's caps as roots; they keep the object alive. */
	cap_id_t g3 = copy_ok(a, m, c, DB_ALL);
	cap_id_t g4 = copy_ok(c, g3, c, DB_ALL);
	object_put(&a->header);
	CHECK_EQ(fx_refs(db), 5);
	CHECK_OK(fx_lookup(c, g3, OBJECT_TYPE_DOORBELL, DB_ALL));
	CHECK_OK(cspace_revoke_caps(c, g3));
	CHECK_ERR(fx_lookup(c, g4, OBJECT_TYPE_ANY, 0), ERROR_CSPACE_CAP_REVOKED);
	object_put(db); /* the caps in c hold it now */
	CHECK_EQ(fx_refs(db), 4);
	object_put(&c->header);
	CHECK_EQ(fx_free(p), CHILD_BYTES);
	object_put(&p->header);
}

/* --- model check (cap_model.c), driven by a seeded PRNG --- */

static uint64_t
rng_below(void *ctx, uint64_t n)
{
	return unit_rng_below(ctx, n);
}

static void
test_model_random_operations(void)
{
	unit_rng_t rng;
	for (uint64_t seed = 1; seed <= 16U; seed++) {
		unit_rng_seed(&rng, seed);
		model_run((model_source_t){ rng_below, &rng }, 2500);
		fx_after_test(); /* each run has a child partition of its own */
	}
	/* Every outcome the model can predict actually came up. */
	const error_t expected[] = { OK,
				     ERROR_CSPACE_CAP_NULL,
				     ERROR_CSPACE_CAP_REVOKED,
				     ERROR_CSPACE_WRONG_OBJECT_TYPE,
				     ERROR_CSPACE_INSUFFICIENT_RIGHTS,
				     ERROR_CSPACE_FULL };
	for (size_t i = 0; i < UNIT_COUNT(expected); i++) {
		CHECK(model_outcomes()[(unsigned)expected[i] % 64U] >= 50U);
	}
}

int
main(int argc, char **argv)
{
	static const unit_test_t tests[] = {
		UNIT_TEST(test_lookup_error_order),
		UNIT_TEST(test_unusable_cspaces),
		UNIT_TEST(test_invalid_and_random_ids_are_no_cap),
		UNIT_TEST(test_stale_ids_never_reach_reused_slot),
		UNIT_TEST(test_stale_id_after_many_reuses),
		UNIT_TEST(test_ids_do_not_reveal_the_index),
		UNIT_TEST(test_no_cap_id_is_invalid),
		UNIT_TEST(test_copy_masks_rights),
		UNIT_TEST(test_copy_errors),
		UNIT_TEST(test_revoke_one_cap),
		UNIT_TEST(test_revoke_caps_across_cspaces),
		UNIT_TEST(test_delete_middle_keeps_descendants_revocable),
		UNIT_TEST(test_delete_along_a_chain),
		UNIT_TEST(test_delete_master_orphans_children),
		UNIT_TEST(test_full),
		UNIT_TEST(test_largest_cspace),
		UNIT_TEST(test_configure),
		UNIT_TEST(test_activate_without_configure),
		UNIT_TEST(test_activate_nomem),
		UNIT_TEST(test_destroy_drops_references),
		UNIT_TEST(test_destroy_relinks_derivation_tree),
		UNIT_TEST(test_model_random_operations),
	};
	return unit_main(argc, argv, tests, UNIT_COUNT(tests), fx_after_test);
}
