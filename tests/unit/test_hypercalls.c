/* test_hypercalls.c - host tests of the object and cspace hypercall handlers (object_calls.c,
 * cspace_calls.c, the generated partition_create_* handlers) with a fake current vCPU. */
#include <stdbool.h>
#include <stdint.h>

#include "fixture.h"
#include "hypercall_handlers.h"
#include "shim/host.h"
#include "unit.h"
#include "vm.h"

#define WORLD_BYTES (256U * 1024U)

/* The calling vCPU's view: a partition and its own cspace, each named by a master cap. */
/* An ID that is no cap of the cspace it is tried in, because it is another cspace's (or
 * CSPACE_CAP_INVALID): ERROR_ARGUMENT_INVALID when it names no slot there, which is almost
 * always; ERROR_CSPACE_CAP_NULL when it happens to name an empty one (the keys decide). */
#define CHECK_NO_CAP(expr)                                                                \
	do {                                                                              \
		error_t no_cap_ = (expr);                                                 \
		CHECK(no_cap_ == ERROR_ARGUMENT_INVALID || no_cap_ == ERROR_CSPACE_CAP_NULL); \
	} while (0)

static struct {
	partition_t *p;
	cspace_t *cs;
	thread_t *self;
	cap_id_t part;   /* all rights on p */
	cap_id_t own_cs; /* all rights on cs, held in cs itself */
	size_t free_at_start;
	cap_id_t copies[64]; /* made by weaker(): some name cs itself, so cs would never go */
	size_t ncopies;
} w;

static void
world_up(void)
{
	w.p = fx_partition(WORLD_BYTES);
	w.cs = fx_cspace(w.p, 64);
	w.self = (thread_t *)fx_object(w.p, OBJECT_TYPE_THREAD);
	CHECK_OK(thread_attach_cspace(w.self, w.cs));
	host_set_current(w.self);
	CHECK(caller_cspace() == w.cs);
	w.part = fx_master(w.cs, &w.p->header, CAP_RIGHTS_PARTITION_ALL);
	w.own_cs = fx_master(w.cs, &w.cs->header, CAP_RIGHTS_CSPACE_ALL);
	w.free_at_start = fx_free(w.p);
	w.ncopies = 0;
}

/* Tears the world down; every object created through it must go with its cspace. */
static void
world_down(void)
{
	host_set_current(NULL);
	/* Break the cspace's caps to itself (deleting the other copies does no harm). */
	for (size_t i = 0; i < w.ncopies; i++) {
		error_t err = cspace_delete_cap(w.cs, w.copies[i]);
		CHECK(err == OK || err == ERROR_CSPACE_CAP_NULL);
	}
	CHECK_OK(cspace_delete_cap(w.cs, w.own_cs));
	object_put(&w.self->header);
	object_put(&w.cs->header);
	CHECK_EQ(fx_refs(&w.p->header), 1);
	CHECK_EQ(fx_free(w.p), WORLD_BYTES);
	object_put(&w.p->header);
}

static cap_id_t
create(object_type_t type)
{
	object_create_result_t r = partition_create_object(w.part, w.own_cs, type);
	CHECK_OK(r.error);
	CHECK(r.new_cap != CSPACE_CAP_INVALID);
	return r.new_cap;
}

/* A copy of `cap` (in the caller's cspace) with only `mask` of its rights. */
static cap_id_t
weaker(cap_id_t cap, cap_rights_t mask)
{
	hypercall_cspace_copy_cap_from_result_t r =
		hypercall_cspace_copy_cap_from(w.own_cs, cap, w.own_cs, mask);
	CHECK_OK(r.error);
	CHECK(w.ncopies < UNIT_COUNT(w.copies));
	w.copies[w.ncopies++] = r.new_cap;
	return r.new_cap;
}

/* A cap that once named something and was deleted. */
static cap_id_t
stale(object_type_t type)
{
	cap_id_t cap = create(type);
	CHECK_OK(hypercall_cspace_delete_cap_from(w.own_cs, cap).error);
	return cap;
}

static void
delete_cap(cap_id_t cap)
{
	CHECK_OK(hypercall_cspace_delete_cap_from(w.own_cs, cap).error);
}

static object_header_t *
target(cap_id_t cap)
{
	return fx_target(w.cs, cap);
}

/* partition_create_object fails with `err`, charging and keeping nothing. */
static void
check_create_fails(cap_id_t part, cap_id_t dest, object_type_t type, error_t err)
{
	size_t free_before = fx_free(w.p);
	uint32_t used = w.cs->used;
	object_create_result_t r = partition_create_object(part, dest, type);
	CHECK_ERR(r.error, err);
	CHECK_EQ(r.new_cap, CSPACE_CAP_INVALID);
	CHECK_EQ(fx_free(w.p), free_before);
	CHECK_EQ(w.cs->used, used);
}

/* The handler's result is a new INIT object of `type` in p, named by a cap with all the
 * type's rights; deleting that cap gives back exactly what was charged. */
static void
check_created(error_t err, cap_id_t cap, object_type_t type, size_t free_before)
{
	CHECK_OK(err);
	CHECK_OK(fx_lookup(w.cs, cap, type, object_type_info[type].all_rights));
	object_header_t *o = target(cap);
	CHECK_EQ(o->state, OBJECT_STATE_INIT);
	CHECK(o->partition == w.p);
	CHECK_EQ(fx_refs(o), 1); /* the cap's: the handler kept none */
	CHECK_EQ(fx_free(w.p), free_before - fx_charge(type));
	delete_cap(cap);
	CHECK_EQ(fx_free(w.p), free_before);
}

#define CHECK_CREATED(name, type)                                                         \
	do {                                                                              \
		size_t before_ = fx_free(w.p);                                            \
		hypercall_partition_create_##name##_result_t r_ =                         \
			hypercall_partition_create_##name(w.part, w.own_cs);              \
		check_created(r_.error, r_.new_cap, (type), before_);                     \
	} while (0)

static void
test_create_every_type(void)
{
	world_up();
	CHECK_CREATED(partition, OBJECT_TYPE_PARTITION);
	CHECK_CREATED(cspace, OBJECT_TYPE_CSPACE);
	CHECK_CREATED(addrspace, OBJECT_TYPE_ADDRSPACE);
	CHECK_CREATED(memextent, OBJECT_TYPE_MEMEXTENT);
	CHECK_CREATED(thread, OBJECT_TYPE_THREAD);
	CHECK_CREATED(doorbell, OBJECT_TYPE_DOORBELL);
	CHECK_CREATED(msgqueue, OBJECT_TYPE_MSGQUEUE);
	CHECK_CREATED(vic, OBJECT_TYPE_VIC);
	CHECK_CREATED(vpm_group, OBJECT_TYPE_VPM_GROUP);
	CHECK_CREATED(virtio_mmio, OBJECT_TYPE_VIRTIO_MMIO);
	/* hwirq has no create hypercall (hwirqs come from the platform); the common path works. */
	size_t before = fx_free(w.p);
	object_create_result_t r = partition_create_object(w.part, w.own_cs, OBJECT_TYPE_HWIRQ);
	check_created(r.error, r.new_cap, OBJECT_TYPE_HWIRQ, before);
	CHECK_EQ(fx_free(w.p), w.free_at_start);
	world_down();
}

static void
test_create_wrong_types_and_rights(void)
{
	world_up();
	cap_id_t db = create(OBJECT_TYPE_DOORBELL);
	/* Each cap in the other's place. */
	check_create_fails(w.own_cs, w.own_cs, OBJECT_TYPE_DOORBELL,
			   ERROR_CSPACE_WRONG_OBJECT_TYPE);
	check_create_fails(w.part, w.part, OBJECT_TYPE_DOORBELL, ERROR_CSPACE_WRONG_OBJECT_TYPE);
	check_create_fails(db, w.own_cs, OBJECT_TYPE_DOORBELL, ERROR_CSPACE_WRONG_OBJECT_TYPE);
	check_create_fails(w.part, db, OBJECT_TYPE_DOORBELL, ERROR_CSPACE_WRONG_OBJECT_TYPE);
	/* Missing the one right each needs; every other right does not help. */
	cap_id_t part_no_create = weaker(w.part, ~CAP_RIGHTS_PARTITION_OBJECT_CREATE);
	cap_id_t cs_no_create = weaker(w.own_cs, ~CAP_RIGHTS_CSPACE_CAP_CREATE);
	check_create_fails(part_no_create, w.own_cs, OBJECT_TYPE_DOORBELL,
			   ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	check_create_fails(w.part, cs_no_create, OBJECT_TYPE_DOORBELL,
			   ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	/* Exactly the needed rights are enough. */
	cap_id_t part_only = weaker(w.part, CAP_RIGHTS_PARTITION_OBJECT_CREATE);
	cap_id_t cs_only = weaker(w.own_cs, CAP_RIGHTS_CSPACE_CAP_CREATE);
	object_create_result_t r = partition_create_object(part_only, cs_only, OBJECT_TYPE_VIC);
	CHECK_OK(r.error);
	/* The new cap has all of the type's rights, whatever the caller's caps had. */
	CHECK_OK(fx_lookup(w.cs, r.new_cap, OBJECT_TYPE_VIC, CAP_RIGHTS_VIC_ALL));
	/* The partition cap is checked first. */
	check_create_fails(part_no_create, db, OBJECT_TYPE_DOORBELL,
			   ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	check_create_fails(db, cs_no_create, OBJECT_TYPE_DOORBELL,
			   ERROR_CSPACE_WRONG_OBJECT_TYPE);
	world_down();
}

static void
test_create_stale_and_revoked_caps(void)
{
	world_up();
	cap_id_t gone_part = weaker(w.part, ~0U);
	delete_cap(gone_part);
	cap_id_t gone_cs = weaker(w.own_cs, ~0U);
	delete_cap(gone_cs);
	check_create_fails(gone_part, w.own_cs, OBJECT_TYPE_DOORBELL, ERROR_CSPACE_CAP_NULL);
	check_create_fails(w.part, gone_cs, OBJECT_TYPE_DOORBELL, ERROR_CSPACE_CAP_NULL);
	/* An ID that names no slot at all (under the host's keys) is an invalid argument. */
	check_create_fails(CSPACE_CAP_INVALID, w.own_cs, OBJECT_TYPE_DOORBELL,
			   ERROR_ARGUMENT_INVALID);
	check_create_fails(w.part, CSPACE_CAP_INVALID, OBJECT_TYPE_DOORBELL,
			   ERROR_ARGUMENT_INVALID);
	/* A stale ID whose slot now holds a cap to another partition. */
	cap_id_t old = stale(OBJECT_TYPE_PARTITION);
	cap_id_t reused = weaker(w.part, ~0U);
	CHECK(reused != old);
	check_create_fails(old, w.own_cs, OBJECT_TYPE_DOORBELL, ERROR_CSPACE_CAP_NULL);
	cap_id_t rev_part = weaker(w.part, ~0U);
	cap_id_t rev_cs = weaker(w.own_cs, ~0U);
	CHECK_OK(hypercall_cspace_revoke_cap_from(w.own_cs, rev_part).error);
	CHECK_OK(hypercall_cspace_revoke_cap_from(w.own_cs, rev_cs).error);
	check_create_fails(rev_part, w.own_cs, OBJECT_TYPE_DOORBELL, ERROR_CSPACE_CAP_REVOKED);
	check_create_fails(w.part, rev_cs, OBJECT_TYPE_DOORBELL, ERROR_CSPACE_CAP_REVOKED);
	world_down();
}

static void
test_create_object_states_and_limits(void)
{
	world_up();
	/* A partition that is not ACTIVE cannot be created from. */
	cap_id_t new_part = create(OBJECT_TYPE_PARTITION);
	check_create_fails(new_part, w.own_cs, OBJECT_TYPE_DOORBELL, ERROR_OBJECT_STATE);
	/* Once active it can, but it owns no memory yet. */
	CHECK_OK(hypercall_object_activate(new_part).error);
	check_create_fails(new_part, w.own_cs, OBJECT_TYPE_DOORBELL, ERROR_NOMEM);
	/* A destination cspace that is not ACTIVE takes no caps: the object is freed. */
	cap_id_t new_cs = create(OBJECT_TYPE_CSPACE);
	check_create_fails(w.part, new_cs, OBJECT_TYPE_DOORBELL, ERROR_OBJECT_STATE);
	/* A full one neither. */
	CHECK_OK(hypercall_cspace_configure(new_cs, 2).error);
	CHECK_OK(hypercall_object_activate(new_cs).error);
	for (int i = 0; i < 2; i++) {
		CHECK_OK(partition_create_object(w.part, new_cs, OBJECT_TYPE_DOORBELL).error);
	}
	size_t free_before = fx_free(w.p);
	object_create_result_t r = partition_create_object(w.part, new_cs, OBJECT_TYPE_DOORBELL);
	CHECK_ERR(r.error, ERROR_CSPACE_FULL);
	CHECK_EQ(r.new_cap, CSPACE_CAP_INVALID);
	CHECK_EQ(fx_free(w.p), free_before);
	/* A partition too small for the object: NOMEM, and its memory is untouched. */
	partition_t *small = fx_partition(fx_charge(OBJECT_TYPE_THREAD) - 16U);
	cap_id_t small_cap = fx_master(w.cs, &small->header, CAP_RIGHTS_PARTITION_ALL);
	object_put(&small->header); /* the cap keeps it */
	check_create_fails(small_cap, w.own_cs, OBJECT_TYPE_THREAD, ERROR_NOMEM);
	CHECK_EQ(fx_free(small), fx_charge(OBJECT_TYPE_THREAD) - 16U);
	cap_id_t db = create(OBJECT_TYPE_DOORBELL);
	(void)db;
	r = partition_create_object(small_cap, w.own_cs, OBJECT_TYPE_DOORBELL);
	CHECK_OK(r.error);
	CHECK(target(r.new_cap)->partition == small);
	world_down();
}

static void
test_no_caller_cspace(void)
{
	world_up();
	cap_id_t db = create(OBJECT_TYPE_DOORBELL);
	thread_t *lonely = (thread_t *)fx_object(w.p, OBJECT_TYPE_THREAD);
	thread_t *callers[] = { NULL, lonely };
	for (size_t i = 0; i < UNIT_COUNT(callers); i++) {
		host_set_current(callers[i]);
		CHECK(caller_cspace() == NULL);
		check_create_fails(w.part, w.own_cs, OBJECT_TYPE_DOORBELL, ERROR_CSPACE_CAP_NULL);
		CHECK_ERR(hypercall_object_activate(db).error, ERROR_CSPACE_CAP_NULL);
		CHECK_ERR(hypercall_object_activate_from(w.own_cs, db).error,
			  ERROR_CSPACE_CAP_NULL);
		CHECK_ERR(hypercall_cspace_configure(w.own_cs, 4).error, ERROR_CSPACE_CAP_NULL);
		CHECK_ERR(hypercall_cspace_attach_thread(w.own_cs, db).error,
			  ERROR_CSPACE_CAP_NULL);
		CHECK_ERR(hypercall_cspace_delete_cap_from(w.own_cs, db).error,
			  ERROR_CSPACE_CAP_NULL);
		hypercall_cspace_copy_cap_from_result_t c =
			hypercall_cspace_copy_cap_from(w.own_cs, db, w.own_cs, ~0U);
		CHECK_ERR(c.error, ERROR_CSPACE_CAP_NULL);
		CHECK_EQ(c.new_cap, CSPACE_CAP_INVALID);
		CHECK_ERR(hypercall_cspace_revoke_cap_from(w.own_cs, db).error,
			  ERROR_CSPACE_CAP_NULL);
		CHECK_ERR(hypercall_cspace_revoke_caps_from(w.own_cs, db).error,
			  ERROR_CSPACE_CAP_NULL);
	}
	host_set_current(w.self);
	CHECK_OK(fx_lookup(w.cs, db, OBJECT_TYPE_DOORBELL, 0)); /* nothing happened to it */
	object_put(&lonely->header);
	world_down();
}

static void
test_object_activate_calls(void)
{
	world_up();
	cap_id_t db = create(OBJECT_TYPE_DOORBELL);
	cap_id_t no_activate = weaker(db, ~CAP_RIGHTS_GENERIC_OBJECT_ACTIVATE);
	CHECK_ERR(hypercall_object_activate(no_activate).error, ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	CHECK_ERR(hypercall_object_activate(stale(OBJECT_TYPE_DOORBELL)).error,
		  ERROR_CSPACE_CAP_NULL);
	CHECK_EQ(target(db)->state, OBJECT_STATE_INIT);
	CHECK_OK(hypercall_object_activate(db).error);
	CHECK_EQ(target(db)->state, OBJECT_STATE_ACTIVE);
	CHECK_ERR(hypercall_object_activate(db).error, ERROR_OBJECT_STATE);
	/* A failing activation leaves the object FAILED. */
	cap_id_t vic = create(OBJECT_TYPE_VIC);
	CHECK_ERR(hypercall_object_activate(vic).error, ERROR_OBJECT_CONFIG);
	CHECK_EQ(target(vic)->state, OBJECT_STATE_FAILED);
	CHECK_ERR(hypercall_object_activate(vic).error, ERROR_OBJECT_STATE);
	/* _from: the object's cap is looked up in the cspace the first cap names. */
	cap_id_t other = create(OBJECT_TYPE_CSPACE);
	CHECK_OK(hypercall_cspace_configure(other, 4).error);
	CHECK_OK(hypercall_object_activate(other).error);
	object_create_result_t r = partition_create_object(w.part, other, OBJECT_TYPE_DOORBELL);
	CHECK_OK(r.error);
	/* That cap means nothing in the caller's own cspace: it names no slot there (or, by
	 * chance of the keys, an empty one). */
	CHECK_NO_CAP(hypercall_object_activate(r.new_cap).error);
	CHECK_ERR(hypercall_object_activate_from(db, r.new_cap).error,
		  ERROR_CSPACE_WRONG_OBJECT_TYPE);
	CHECK_ERR(hypercall_object_activate_from(stale(OBJECT_TYPE_CSPACE), r.new_cap).error,
		  ERROR_CSPACE_CAP_NULL);
	CHECK_NO_CAP(hypercall_object_activate_from(w.own_cs, r.new_cap).error);
	CHECK_OK(hypercall_object_activate_from(other, r.new_cap).error);
	CHECK_ERR(hypercall_object_activate_from(other, r.new_cap).error, ERROR_OBJECT_STATE);
	world_down();
}

static void
test_cspace_configure_call(void)
{
	world_up();
	cap_id_t cs = create(OBJECT_TYPE_CSPACE);
	cap_id_t db = create(OBJECT_TYPE_DOORBELL);
	CHECK_ERR(hypercall_cspace_configure(db, 4).error, ERROR_CSPACE_WRONG_OBJECT_TYPE);
	CHECK_ERR(hypercall_cspace_configure(stale(OBJECT_TYPE_CSPACE), 4).error,
		  ERROR_CSPACE_CAP_NULL);
	cap_id_t rev = weaker(cs, ~0U);
	CHECK_OK(hypercall_cspace_revoke_cap_from(w.own_cs, rev).error);
	CHECK_ERR(hypercall_cspace_configure(rev, 4).error, ERROR_CSPACE_CAP_REVOKED);
	CHECK_ERR(hypercall_cspace_configure(cs, 0).error, ERROR_ARGUMENT_INVALID);
	CHECK_ERR(hypercall_cspace_configure(cs, CSPACE_MAX_CAPS + 1U).error,
		  ERROR_ARGUMENT_INVALID);
	CHECK_ERR(hypercall_object_activate(cs).error, ERROR_OBJECT_CONFIG);
	cs = create(OBJECT_TYPE_CSPACE);
	CHECK_OK(hypercall_cspace_configure(cs, 3).error);
	CHECK_OK(hypercall_object_activate(cs).error);
	CHECK_ERR(hypercall_cspace_configure(cs, 4).error, ERROR_OBJECT_STATE);
	CHECK_EQ(((cspace_t *)target(cs))->max_caps, 3);
	/* The caller's own, active cspace cannot be reconfigured either. */
	CHECK_ERR(hypercall_cspace_configure(w.own_cs, 8).error, ERROR_OBJECT_STATE);
	world_down();
}

static void
test_cspace_attach_thread_call(void)
{
	world_up();
	cap_id_t cs = create(OBJECT_TYPE_CSPACE);
	cap_id_t th = create(OBJECT_TYPE_THREAD);
	cap_id_t db = create(OBJECT_TYPE_DOORBELL);
	CHECK_OK(hypercall_cspace_configure(cs, 8).error);
	CHECK_OK(hypercall_object_activate(cs).error);
	cap_id_t no_attach = weaker(cs, ~CAP_RIGHTS_CSPACE_ATTACH);
	CHECK_ERR(hypercall_cspace_attach_thread(no_attach, th).error,
		  ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	CHECK_ERR(hypercall_cspace_attach_thread(th, th).error, ERROR_CSPACE_WRONG_OBJECT_TYPE);
	CHECK_ERR(hypercall_cspace_attach_thread(cs, db).error, ERROR_CSPACE_WRONG_OBJECT_TYPE);
	CHECK_ERR(hypercall_cspace_attach_thread(cs, stale(OBJECT_TYPE_THREAD)).error,
		  ERROR_CSPACE_CAP_NULL);
	CHECK_ERR(hypercall_cspace_attach_thread(stale(OBJECT_TYPE_CSPACE), th).error,
		  ERROR_CSPACE_CAP_NULL);
	thread_t *thread = (thread_t *)target(th);
	cspace_t *cspace = (cspace_t *)target(cs);
	CHECK(thread->cspace == NULL);
	CHECK_OK(hypercall_cspace_attach_thread(cs, th).error);
	CHECK(thread->cspace == cspace);
	/* Running as that thread, caps are looked up in its cspace: ours mean nothing there. */
	host_set_current(thread);
	CHECK(caller_cspace() == cspace);
	object_create_result_t foreign = partition_create_object(w.part, w.own_cs,
								 OBJECT_TYPE_DOORBELL);
	CHECK_NO_CAP(foreign.error);
	CHECK_EQ(foreign.new_cap, CSPACE_CAP_INVALID);
	host_set_current(w.self);
	/* Only in INIT (activation without an address space fails, leaving it FAILED). */
	CHECK_ERR(hypercall_object_activate(th).error, ERROR_OBJECT_CONFIG);
	cap_id_t cs2 = create(OBJECT_TYPE_CSPACE);
	CHECK_ERR(hypercall_cspace_attach_thread(cs2, th).error, ERROR_OBJECT_STATE);
	CHECK(thread->cspace == cspace);
	world_down();
}

static void
test_cspace_delete_cap_from_call(void)
{
	world_up();
	cap_id_t db = create(OBJECT_TYPE_DOORBELL);
	cap_id_t no_delete = weaker(w.own_cs, ~CAP_RIGHTS_CSPACE_CAP_DELETE);
	CHECK_ERR(hypercall_cspace_delete_cap_from(no_delete, db).error,
		  ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	CHECK_ERR(hypercall_cspace_delete_cap_from(db, db).error, ERROR_CSPACE_WRONG_OBJECT_TYPE);
	CHECK_OK(fx_lookup(w.cs, db, OBJECT_TYPE_DOORBELL, 0));
	CHECK_OK(hypercall_cspace_delete_cap_from(w.own_cs, db).error);
	CHECK_ERR(hypercall_cspace_delete_cap_from(w.own_cs, db).error, ERROR_CSPACE_CAP_NULL);
	CHECK_NO_CAP(hypercall_cspace_delete_cap_from(w.own_cs, CSPACE_CAP_INVALID).error);
	/* Deleting from another cspace named by cap. */
	cap_id_t other = create(OBJECT_TYPE_CSPACE);
	CHECK_OK(hypercall_cspace_configure(other, 4).error);
	CHECK_OK(hypercall_object_activate(other).error);
	object_create_result_t r = partition_create_object(w.part, other, OBJECT_TYPE_DOORBELL);
	CHECK_OK(r.error);
	size_t free_before = fx_free(w.p);
	CHECK_NO_CAP(hypercall_cspace_delete_cap_from(w.own_cs, r.new_cap).error);
	CHECK_OK(hypercall_cspace_delete_cap_from(other, r.new_cap).error);
	CHECK_EQ(fx_free(w.p), free_before + fx_charge(OBJECT_TYPE_DOORBELL));
	world_down();
}

static void
test_cspace_copy_cap_from_call(void)
{
	world_up();
	cap_id_t db = create(OBJECT_TYPE_DOORBELL);
	cap_id_t other = create(OBJECT_TYPE_CSPACE);
	CHECK_OK(hypercall_cspace_configure(other, 2).error);
	CHECK_OK(hypercall_object_activate(other).error);
	cap_id_t no_copy = weaker(w.own_cs, ~CAP_RIGHTS_CSPACE_CAP_COPY);
	cap_id_t no_create = weaker(other, ~CAP_RIGHTS_CSPACE_CAP_CREATE);
	hypercall_cspace_copy_cap_from_result_t r;
	r = hypercall_cspace_copy_cap_from(no_copy, db, other, ~0U);
	CHECK_ERR(r.error, ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	CHECK_EQ(r.new_cap, CSPACE_CAP_INVALID);
	r = hypercall_cspace_copy_cap_from(w.own_cs, db, no_create, ~0U);
	CHECK_ERR(r.error, ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	CHECK_EQ(r.new_cap, CSPACE_CAP_INVALID);
	r = hypercall_cspace_copy_cap_from(db, db, other, ~0U);
	CHECK_ERR(r.error, ERROR_CSPACE_WRONG_OBJECT_TYPE);
	r = hypercall_cspace_copy_cap_from(w.own_cs, db, db, ~0U);
	CHECK_ERR(r.error, ERROR_CSPACE_WRONG_OBJECT_TYPE);
	r = hypercall_cspace_copy_cap_from(w.own_cs, stale(OBJECT_TYPE_DOORBELL), other, ~0U);
	CHECK_ERR(r.error, ERROR_CSPACE_CAP_NULL);
	CHECK_EQ(r.new_cap, CSPACE_CAP_INVALID);
	/* The source cspace is checked before the destination. */
	r = hypercall_cspace_copy_cap_from(no_copy, db, no_create, ~0U);
	CHECK_ERR(r.error, ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	r = hypercall_cspace_copy_cap_from(stale(OBJECT_TYPE_CSPACE), db, db, ~0U);
	CHECK_ERR(r.error, ERROR_CSPACE_CAP_NULL);
	/* A copy into the other cspace, with the mask applied. */
	r = hypercall_cspace_copy_cap_from(w.own_cs, db, other, CAP_RIGHTS_DOORBELL_SEND);
	CHECK_OK(r.error);
	cspace_t *ocs = (cspace_t *)target(other);
	CHECK_OK(fx_lookup(ocs, r.new_cap, OBJECT_TYPE_DOORBELL, CAP_RIGHTS_DOORBELL_SEND));
	CHECK_ERR(fx_lookup(ocs, r.new_cap, OBJECT_TYPE_DOORBELL, CAP_RIGHTS_DOORBELL_RECEIVE),
		  ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	r = hypercall_cspace_copy_cap_from(w.own_cs, db, other, ~0U);
	CHECK_OK(r.error);
	r = hypercall_cspace_copy_cap_from(w.own_cs, db, other, ~0U);
	CHECK_ERR(r.error, ERROR_CSPACE_FULL);
	CHECK_EQ(r.new_cap, CSPACE_CAP_INVALID);
	world_down();
}

static void
test_cspace_revoke_calls(void)
{
	world_up();
	cap_id_t db = create(OBJECT_TYPE_DOORBELL);
	cap_id_t c1 = weaker(db, ~0U);
	cap_id_t c2 = weaker(c1, ~0U);
	cap_id_t no_revoke = weaker(w.own_cs, ~CAP_RIGHTS_CSPACE_CAP_REVOKE);
	CHECK_ERR(hypercall_cspace_revoke_cap_from(no_revoke, c1).error,
		  ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	CHECK_ERR(hypercall_cspace_revoke_caps_from(no_revoke, db).error,
		  ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	CHECK_ERR(hypercall_cspace_revoke_cap_from(db, c1).error, ERROR_CSPACE_WRONG_OBJECT_TYPE);
	CHECK_ERR(hypercall_cspace_revoke_caps_from(db, db).error,
		  ERROR_CSPACE_WRONG_OBJECT_TYPE);
	CHECK_ERR(hypercall_cspace_revoke_cap_from(w.own_cs, stale(OBJECT_TYPE_DOORBELL)).error,
		  ERROR_CSPACE_CAP_NULL);
	CHECK_ERR(hypercall_cspace_revoke_caps_from(w.own_cs, stale(OBJECT_TYPE_DOORBELL)).error,
		  ERROR_CSPACE_CAP_NULL);
	CHECK_OK(fx_lookup(w.cs, c1, OBJECT_TYPE_ANY, 0));
	CHECK_OK(hypercall_cspace_revoke_caps_from(w.own_cs, db).error);
	CHECK_OK(fx_lookup(w.cs, db, OBJECT_TYPE_DOORBELL, CAP_RIGHTS_DOORBELL_ALL));
	CHECK_ERR(fx_lookup(w.cs, c1, OBJECT_TYPE_ANY, 0), ERROR_CSPACE_CAP_REVOKED);
	CHECK_ERR(fx_lookup(w.cs, c2, OBJECT_TYPE_ANY, 0), ERROR_CSPACE_CAP_REVOKED);
	CHECK_ERR(hypercall_cspace_revoke_cap_from(w.own_cs, c1).error, ERROR_CSPACE_CAP_REVOKED);
	CHECK_OK(hypercall_cspace_revoke_cap_from(w.own_cs, db).error);
	CHECK_ERR(hypercall_object_activate(db).error, ERROR_CSPACE_CAP_REVOKED);
	/* Revoking the caller's own cspace cap cuts it off from every _from call. */
	cap_id_t own2 = weaker(w.own_cs, ~0U);
	CHECK_OK(hypercall_cspace_revoke_cap_from(w.own_cs, own2).error);
	CHECK_ERR(hypercall_cspace_delete_cap_from(own2, c1).error, ERROR_CSPACE_CAP_REVOKED);
	world_down();
}

/* Configuration calls need OBJECT_ACTIVATE on the object they configure, and object_activate_from
 * needs CAP_CREATE on the cspace it names, as in Gunyah: a zero-rights copy can do none of it. */
static void
test_configuration_calls_need_rights(void)
{
	world_up();
	cap_id_t cs = create(OBJECT_TYPE_CSPACE);
	cap_id_t th = create(OBJECT_TYPE_THREAD);
	cap_id_t db = create(OBJECT_TYPE_DOORBELL);
	cap_id_t cs_bare = weaker(cs, 0), th_bare = weaker(th, 0), own_bare = weaker(w.own_cs, 0);
	cap_id_t cs_no_activate = weaker(cs, ~CAP_RIGHTS_GENERIC_OBJECT_ACTIVATE);
	cap_id_t th_no_activate = weaker(th, ~CAP_RIGHTS_GENERIC_OBJECT_ACTIVATE);
	cap_id_t own_no_create = weaker(w.own_cs, ~CAP_RIGHTS_CSPACE_CAP_CREATE);
	CHECK_ERR(hypercall_cspace_configure(cs_bare, 4).error, ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	CHECK_ERR(hypercall_cspace_configure(cs_no_activate, 4).error,
		  ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	/* Rights are checked before the type. */
	CHECK_ERR(hypercall_cspace_configure(weaker(db, 0), 4).error,
		  ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	cap_id_t cs_activate_only = weaker(cs, CAP_RIGHTS_GENERIC_OBJECT_ACTIVATE);
	CHECK_OK(hypercall_cspace_configure(cs_activate_only, 4).error);
	CHECK_OK(hypercall_object_activate(cs).error);
	CHECK_ERR(hypercall_cspace_attach_thread(cs, th_bare).error,
		  ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	CHECK_ERR(hypercall_cspace_attach_thread(cs, th_no_activate).error,
		  ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	CHECK(((thread_t *)target(th))->cspace == NULL);
	cap_id_t th_activate_only = weaker(th, CAP_RIGHTS_GENERIC_OBJECT_ACTIVATE);
	CHECK_OK(hypercall_cspace_attach_thread(cs, th_activate_only).error);
	CHECK_ERR(hypercall_object_activate_from(own_bare, db).error,
		  ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	CHECK_ERR(hypercall_object_activate_from(own_no_create, db).error,
		  ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	CHECK_EQ(target(db)->state, OBJECT_STATE_INIT);
	cap_id_t own_create_only = weaker(w.own_cs, CAP_RIGHTS_CSPACE_CAP_CREATE);
	CHECK_OK(hypercall_object_activate_from(own_create_only, db).error);
	CHECK_EQ(target(db)->state, OBJECT_STATE_ACTIVE);
	world_down();
}

static void
test_create_delete_does_not_leak(void)
{
	static const object_type_t types[] = {
		OBJECT_TYPE_PARTITION, OBJECT_TYPE_CSPACE, OBJECT_TYPE_ADDRSPACE,
		OBJECT_TYPE_MEMEXTENT, OBJECT_TYPE_THREAD, OBJECT_TYPE_DOORBELL,
		OBJECT_TYPE_MSGQUEUE,  OBJECT_TYPE_VIC,    OBJECT_TYPE_VPM_GROUP,
		OBJECT_TYPE_HWIRQ,     OBJECT_TYPE_VIRTIO_MMIO,
	};
	world_up();
	size_t start = fx_free(w.p);
	for (int i = 0; i < 10000; i++) {
		object_type_t type = types[(size_t)i % UNIT_COUNT(types)];
		cap_id_t cap = create(type);
		if (i % 3 == 0) { /* and some get activated, or fail to */
			(void)hypercall_object_activate(cap);
		}
		delete_cap(cap);
		if (i % 1000 == 999) {
			CHECK_EQ(fx_free(w.p), start);
		}
	}
	/* Live cspaces with slot tables, caps in them and threads attached to them. */
	for (int i = 0; i < 2000; i++) {
		cap_id_t cs = create(OBJECT_TYPE_CSPACE);
		CHECK_OK(hypercall_cspace_configure(cs, 2U + (uint32_t)i % 64U).error);
		CHECK_OK(hypercall_object_activate(cs).error);
		cap_id_t th = create(OBJECT_TYPE_THREAD);
		CHECK_OK(hypercall_cspace_attach_thread(cs, th).error);
		CHECK_OK(partition_create_object(w.part, cs, OBJECT_TYPE_DOORBELL).error);
		hypercall_cspace_copy_cap_from_result_t r =
			hypercall_cspace_copy_cap_from(w.own_cs, w.part, cs, ~0U);
		CHECK_OK(r.error);
		if (i % 2 == 0) {
			delete_cap(cs);
			delete_cap(th);
		} else {
			delete_cap(th);
			delete_cap(cs);
		}
	}
	CHECK_EQ(fx_free(w.p), start);
	CHECK_EQ(w.cs->used, 2);
	world_down();
}

static void
test_thread_cspace_cycle_must_be_broken(void)
{
	/* A thread attached to a cspace that holds a cap to the thread keeps both alive (each
	 * holds the other): whoever tears them down deletes that cap first, as here. */
	world_up();
	size_t start = fx_free(w.p);
	cap_id_t cs = create(OBJECT_TYPE_CSPACE);
	CHECK_OK(hypercall_cspace_configure(cs, 4).error);
	CHECK_OK(hypercall_object_activate(cs).error);
	cap_id_t th = create(OBJECT_TYPE_THREAD);
	CHECK_OK(hypercall_cspace_attach_thread(cs, th).error);
	hypercall_cspace_copy_cap_from_result_t inner =
		hypercall_cspace_copy_cap_from(w.own_cs, th, cs, ~0U);
	CHECK_OK(inner.error);
	object_header_t *thread = target(th);
	delete_cap(th);
	CHECK_EQ(fx_refs(thread), 1); /* only the cap inside cs */
	CHECK_OK(hypercall_cspace_delete_cap_from(cs, inner.new_cap).error);
	delete_cap(cs);
	CHECK_EQ(fx_free(w.p), start);
	world_down();
}

int
main(int argc, char **argv)
{
	static const unit_test_t tests[] = {
		UNIT_TEST(test_create_every_type),
		UNIT_TEST(test_create_wrong_types_and_rights),
		UNIT_TEST(test_create_stale_and_revoked_caps),
		UNIT_TEST(test_create_object_states_and_limits),
		UNIT_TEST(test_no_caller_cspace),
		UNIT_TEST(test_object_activate_calls),
		UNIT_TEST(test_cspace_configure_call),
		UNIT_TEST(test_cspace_attach_thread_call),
		UNIT_TEST(test_cspace_delete_cap_from_call),
		UNIT_TEST(test_cspace_copy_cap_from_call),
		UNIT_TEST(test_cspace_revoke_calls),
		UNIT_TEST(test_configuration_calls_need_rights),
		UNIT_TEST(test_create_delete_does_not_leak),
		UNIT_TEST(test_thread_cspace_cycle_must_be_broken),
	};
	return unit_main(argc, argv, tests, UNIT_COUNT(tests), fx_after_test);
}
