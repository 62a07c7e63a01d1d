/* main.c - the ABI test guest: calls every implemented hypercall as the root VM with valid
 * and invalid arguments (types, rights, revoked and stale caps, states, sizes, numbers). */
#include <stdint.h>

#include "bothy_hypercalls.h"
#include "check.h"
#include "guest.h"

#define SMCCC_NOT_SUPPORTED 0xffffffffffffffffUL
#define ALL_BUT_ACTIVATE (~CAP_RIGHTS_GENERIC_OBJECT_ACTIVATE)
#define E(x) ((uint64_t)(int64_t)(x))

static cap_id_t partition, cspace;

/* A new object of the type a partition_create_* call makes, via the raw native path. */
static cap_id_t
create(uint32_t imm_offset)
{
	bothy_regs_t r = { { partition, cspace } };
	switch (imm_offset) { /* hvc immediates must be literals */
	case 0x06: BOTHY_HVC_RAW(0x6006, &r); break;
	case 0x02: BOTHY_HVC_RAW(0x6002, &r); break;
	case 0x05: BOTHY_HVC_RAW(0x6005, &r); break;
	case 0x01: BOTHY_HVC_RAW(0x6001, &r); break;
	default: guest_fail("create: unknown call"); break;
	}
	if (r.x[0] != OK) {
		guest_printf("abi-test: create 0x%x failed: %ld\n", imm_offset, (int64_t)r.x[0]);
		guest_fail("cannot create a test object");
	}
	return r.x[1];
}

static void
del(cap_id_t cap)
{
	(void)bothy_cspace_delete_cap_from(cspace, cap);
}

static cap_id_t
copy(cap_id_t cap, cap_id_t dest, uint32_t mask)
{
	hypercall_cspace_copy_cap_from_result_t c = bothy_cspace_copy_cap_from(cspace, cap, dest, mask);
	if (c.error != OK) {
		guest_fail("cannot copy a test cap");
	}
	return c.new_cap;
}

/* A configured, active cspace with room for `caps`. */
static cap_id_t
new_cspace(uint32_t caps)
{
	cap_id_t cs = create(0x02);
	if (bothy_cspace_configure(cs, caps).error != OK || bothy_object_activate(cs).error != OK) {
		guest_fail("cannot set up a test cspace");
	}
	return cs;
}

static void
test_identify(void)
{
	hypercall_hypervisor_identify_result_t id = bothy_hypervisor_identify();
	check_value("identify: API version 1", id.hyp_api_info & 0x3fffU, 1);
	check_value("identify: 64-bit, little-endian", (id.hyp_api_info >> 14) & 3U, 2);
	check_value("identify: partition/cspace, doorbell, msgqueue flags (only)", id.api_flags_0,
		    0x7);
	bothy_regs_t r = { { HYPERCALL_HYPERVISOR_IDENTIFY_SMCCC } };
	bothy_smccc_call(&r);
	check_value("identify via SMCCC matches native", r.x[0], id.hyp_api_info);
	r = (bothy_regs_t){ { 0x8600ff03U } };
	bothy_smccc_call(&r);
	check_value("SMCCC REVISION = api info", r.x[0], id.hyp_api_info);
	r = (bothy_regs_t){ { 0x80000001U, 0x80000000U } };
	bothy_smccc_call(&r);
	check_value("SMCCC_ARCH_FEATURES(SMCCC_VERSION)", r.x[0], 0);
	r = (bothy_regs_t){ { 0x80000001U, 0x80001234U } };
	bothy_smccc_call(&r);
	check_value("SMCCC_ARCH_FEATURES(unknown)", r.x[0], SMCCC_NOT_SUPPORTED);
}

static void
test_create(void)
{
	hypercall_partition_create_doorbell_result_t d;
	d = bothy_partition_create_doorbell(partition, cspace);
	check_error("create doorbell", E(d.error), OK);
	check_value("new cap is not CSPACE_CAP_INVALID", d.new_cap != CSPACE_CAP_INVALID, 1);
	del(d.new_cap);
	check_error("create: cspace cap as partition",
		    E(bothy_partition_create_doorbell(cspace, cspace).error),
		    ERROR_CSPACE_WRONG_OBJECT_TYPE);
	check_error("create: partition cap as cspace",
		    E(bothy_partition_create_doorbell(partition, partition).error),
		    ERROR_CSPACE_WRONG_OBJECT_TYPE);
	check_error("create: invalid partition cap",
		    E(bothy_partition_create_doorbell(CSPACE_CAP_INVALID, cspace).error),
		    ERROR_CSPACE_CAP_NULL);
	check_error("create: made-up cspace cap",
		    E(bothy_partition_create_doorbell(partition, 0x123456789UL).error),
		    ERROR_CSPACE_CAP_NULL);
	cap_id_t weak_partition = copy(partition, cspace, ~CAP_RIGHTS_PARTITION_OBJECT_CREATE);
	check_error("create: partition cap without object_create",
		    E(bothy_partition_create_doorbell(weak_partition, cspace).error),
		    ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	cap_id_t weak_cspace = copy(cspace, cspace, ~CAP_RIGHTS_CSPACE_CAP_CREATE);
	check_error("create: cspace cap without cap_create",
		    E(bothy_partition_create_doorbell(partition, weak_cspace).error),
		    ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	del(weak_partition);
	del(weak_cspace);
	bothy_regs_t r = { { partition, cspace, 7 } };
	BOTHY_HVC_RAW(0x6006, &r);
	check_error("create: non-zero res0 (native)", r.x[0], ERROR_ARGUMENT_INVALID);
	r = (bothy_regs_t){ { HYPERCALL_PARTITION_CREATE_DOORBELL_SMCCC, partition, cspace, 7 } };
	bothy_smccc_call(&r);
	check_error("create via SMCCC (res0 not checked)", r.x[0], OK);
	del(r.x[1]);

	/* A child partition owns no memory until memextents can donate to it. */
	cap_id_t child = create(0x01);
	check_error("create from a partition in INIT",
		    E(bothy_partition_create_doorbell(child, cspace).error), ERROR_OBJECT_STATE);
	check_error("activate child partition", E(bothy_object_activate(child).error), OK);
	check_error("create from a partition with no memory",
		    E(bothy_partition_create_doorbell(child, cspace).error), ERROR_NOMEM);
	del(child);
}

static void
test_activate(void)
{
	static const struct {
		const char *name;
		uint64_t smccc;
		error_t expect;
	} kinds[] = {
		{ "partition", HYPERCALL_PARTITION_CREATE_PARTITION_SMCCC, OK },
		{ "cspace (unconfigured)", HYPERCALL_PARTITION_CREATE_CSPACE_SMCCC, ERROR_OBJECT_CONFIG },
		{ "addrspace", HYPERCALL_PARTITION_CREATE_ADDRSPACE_SMCCC, ERROR_OBJECT_CONFIG },
		{ "memextent", HYPERCALL_PARTITION_CREATE_MEMEXTENT_SMCCC, ERROR_OBJECT_CONFIG },
		/* A vCPU needs an address space (addrspace_attach_thread) to be activated. */
		{ "thread (no addrspace)", HYPERCALL_PARTITION_CREATE_THREAD_SMCCC, ERROR_OBJECT_CONFIG },
		{ "doorbell", HYPERCALL_PARTITION_CREATE_DOORBELL_SMCCC, OK },
		{ "msgqueue", HYPERCALL_PARTITION_CREATE_MSGQUEUE_SMCCC, ERROR_OBJECT_CONFIG },
		{ "vic", HYPERCALL_PARTITION_CREATE_VIC_SMCCC, ERROR_OBJECT_CONFIG },
		{ "vpm_group", HYPERCALL_PARTITION_CREATE_VPM_GROUP_SMCCC, OK },
		{ "virtio_mmio", HYPERCALL_PARTITION_CREATE_VIRTIO_MMIO_SMCCC, ERROR_OBJECT_CONFIG },
	};
	for (unsigned i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		bothy_regs_t r = { { kinds[i].smccc, partition, cspace } };
		bothy_smccc_call(&r);
		check_error(kinds[i].name, r.x[0], OK);
		cap_id_t cap = r.x[1];
		cap_id_t no_activate = copy(cap, cspace, ALL_BUT_ACTIVATE);
		check_error("  activate without the object_activate right",
			    E(bothy_object_activate(no_activate).error),
			    ERROR_CSPACE_INSUFFICIENT_RIGHTS);
		check_error("  activate", E(bothy_object_activate(cap).error), kinds[i].expect);
		check_error("  activate again (ACTIVE or FAILED)",
			    E(bothy_object_activate(cap).error), ERROR_OBJECT_STATE);
		del(no_activate);
		del(cap);
	}
	cap_id_t other = new_cspace(4);
	cap_id_t db = create(0x06);
	cap_id_t there = copy(db, other, ~0U);
	check_error("activate_from another cspace", E(bothy_object_activate_from(other, there).error),
		    OK);
	check_error("activate_from: cap of the wrong cspace",
		    E(bothy_object_activate_from(other, db).error), ERROR_CSPACE_CAP_NULL);
	check_error("activate_from: cspace arg not a cspace",
		    E(bothy_object_activate_from(db, there).error), ERROR_CSPACE_WRONG_OBJECT_TYPE);
	cap_id_t no_create = copy(other, cspace, ~CAP_RIGHTS_CSPACE_CAP_CREATE);
	check_error("activate_from via cspace cap without cap_create",
		    E(bothy_object_activate_from(no_create, there).error),
		    ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	del(no_create);
	del(db);
	del(other);
}

static void
test_cspace_configure(void)
{
	cap_id_t cs = create(0x02);
	check_error("configure 0 caps", E(bothy_cspace_configure(cs, 0).error),
		    ERROR_ARGUMENT_INVALID);
	check_error("configure 4097 caps", E(bothy_cspace_configure(cs, 4097).error),
		    ERROR_ARGUMENT_INVALID);
	check_error("configure 2 caps", E(bothy_cspace_configure(cs, 2).error), OK);
	check_error("activate configured cspace", E(bothy_object_activate(cs).error), OK);
	check_error("configure when ACTIVE", E(bothy_cspace_configure(cs, 3).error),
		    ERROR_OBJECT_STATE);
	check_error("configure a partition",
		    E(bothy_cspace_configure(partition, 2).error), ERROR_CSPACE_WRONG_OBJECT_TYPE);
	cap_id_t fresh = create(0x02);
	cap_id_t no_activate = copy(fresh, cspace, ALL_BUT_ACTIVATE);
	check_error("configure without object_activate",
		    E(bothy_cspace_configure(no_activate, 2).error), ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	del(no_activate);
	del(fresh);
	cap_id_t db = create(0x06);
	(void)copy(db, cs, ~0U);
	(void)copy(db, cs, ~0U);
	check_error("copy into a full cspace",
		    E(bothy_cspace_copy_cap_from(cspace, db, cs, ~0U).error), ERROR_CSPACE_FULL);
	del(db);
	del(cs);
}

static void
test_copy_delete_revoke(void)
{
	cap_id_t other = new_cspace(8);
	cap_id_t db = create(0x06);
	cap_id_t child = copy(db, other, ~0U);
	check_error("use of a copied cap", E(bothy_object_activate_from(other, child).error), OK);
	cap_id_t weak = copy(db, cspace, CAP_RIGHTS_DOORBELL_SEND);
	check_error("copy keeps only masked rights", E(bothy_object_activate(weak).error),
		    ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	cap_id_t no_copy = copy(cspace, cspace, ~CAP_RIGHTS_CSPACE_CAP_COPY);
	check_error("copy via cspace cap without cap_copy",
		    E(bothy_cspace_copy_cap_from(no_copy, db, other, ~0U).error),
		    ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	cap_id_t no_delete = copy(cspace, cspace, ~CAP_RIGHTS_CSPACE_CAP_DELETE);
	check_error("delete via cspace cap without cap_delete",
		    E(bothy_cspace_delete_cap_from(no_delete, weak).error),
		    ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	cap_id_t no_revoke = copy(cspace, cspace, ~CAP_RIGHTS_CSPACE_CAP_REVOKE);
	check_error("revoke via cspace cap without cap_revoke",
		    E(bothy_cspace_revoke_caps_from(no_revoke, db).error),
		    ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	del(no_copy);
	del(no_delete);
	del(no_revoke);

	/* Derivation: db -> child (other) -> grandchild (cspace); revoke all below db. */
	cap_id_t grandchild = bothy_cspace_copy_cap_from(other, child, cspace, ~0U).new_cap;
	cap_id_t unrelated = create(0x06);
	check_error("revoke_caps_from master", E(bothy_cspace_revoke_caps_from(cspace, db).error),
		    OK);
	check_error("child revoked", E(bothy_object_activate_from(other, child).error),
		    ERROR_CSPACE_CAP_REVOKED);
	check_error("grandchild revoked", E(bothy_object_activate(grandchild).error),
		    ERROR_CSPACE_CAP_REVOKED);
	check_error("weak copy revoked", E(bothy_object_activate(weak).error),
		    ERROR_CSPACE_CAP_REVOKED);
	check_error("master still valid (already active)", E(bothy_object_activate(db).error),
		    ERROR_OBJECT_STATE);
	check_error("unrelated cap untouched", E(bothy_object_activate(unrelated).error), OK);
	check_error("delete a revoked cap", E(bothy_cspace_delete_cap_from(cspace, grandchild).error),
		    OK);
	check_error("deleted cap is stale", E(bothy_object_activate(grandchild).error),
		    ERROR_CSPACE_CAP_NULL);
	check_error("revoke_cap_from one cap", E(bothy_cspace_revoke_cap_from(cspace, unrelated).error),
		    OK);
	check_error("revoked cap", E(bothy_object_activate(unrelated).error),
		    ERROR_CSPACE_CAP_REVOKED);
	check_error("revoke a revoked cap", E(bothy_cspace_revoke_cap_from(cspace, unrelated).error),
		    ERROR_CSPACE_CAP_REVOKED);
	del(unrelated);
	del(weak);
	check_error("delete", E(bothy_cspace_delete_cap_from(cspace, db).error), OK);
	check_error("delete twice", E(bothy_cspace_delete_cap_from(cspace, db).error),
		    ERROR_CSPACE_CAP_NULL);
	/* A reused slot never answers to the old ID: create until the slot comes back. */
	cap_id_t fresh = create(0x06);
	check_error("stale ID after slot reuse", E(bothy_object_activate(db).error),
		    ERROR_CSPACE_CAP_NULL);
	check_value("fresh cap differs from the stale one", fresh != db, 1);
	del(fresh);
	del(other);
}

static void
test_attach_thread(void)
{
	cap_id_t cs = new_cspace(4);
	cap_id_t thread = create(0x05);
	cap_id_t no_attach = copy(cs, cspace, ~CAP_RIGHTS_CSPACE_ATTACH);
	check_error("attach without the attach right",
		    E(bothy_cspace_attach_thread(no_attach, thread).error),
		    ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	check_error("attach to a non-thread", E(bothy_cspace_attach_thread(cs, cs).error),
		    ERROR_CSPACE_WRONG_OBJECT_TYPE);
	cap_id_t weak_thread = copy(thread, cspace, ALL_BUT_ACTIVATE);
	check_error("attach to a thread cap without object_activate",
		    E(bothy_cspace_attach_thread(cs, weak_thread).error),
		    ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	del(weak_thread);
	check_error("attach cspace to thread", E(bothy_cspace_attach_thread(cs, thread).error), OK);
	check_error("activate thread without an addrspace",
		    E(bothy_object_activate(thread).error), ERROR_OBJECT_CONFIG);
	check_error("attach after failed activation", E(bothy_cspace_attach_thread(cs, thread).error),
		    ERROR_OBJECT_STATE);
	del(no_attach);
	del(thread);
	del(cs);
}

/* How many 4096-cap cspaces the root partition can hold before ERROR_NOMEM. */
static unsigned
fill_partition(cap_id_t *caps, unsigned max)
{
	unsigned n = 0;
	while (n < max) {
		cap_id_t cs = create(0x02);
		(void)bothy_cspace_configure(cs, 4096);
		error_t err = bothy_object_activate(cs).error;
		caps[n++] = cs;
		if (err == ERROR_NOMEM) {
			return n;
		}
	}
	return 0;
}

static void
test_memory(void)
{
	static cap_id_t caps[512];
	unsigned first = fill_partition(caps, 512);
	check_value("partition exhaustion reached (ERROR_NOMEM)", first != 0U, 1);
	for (unsigned i = 0; i < first; i++) {
		del(caps[i]);
	}
	for (unsigned i = 0; i < 10000U; i++) {
		del(create(0x06));
	}
	unsigned second = fill_partition(caps, 512);
	check_value("same capacity after freeing and 10000 create/delete (no leak)", second, first);
	for (unsigned i = 0; i < second; i++) {
		del(caps[i]);
	}
	guest_printf("abi-test: partition held %u cspaces of 4096 caps before ERROR_NOMEM\n",
		     first - 1U);
}

/* A chain of cspaces, each holding the only cap to the next: deleting the head destroys them
 * all. Once this overflowed the EL2 stack through recursive destruction (at ~158 links). */
static void
test_destroy_chain(void)
{
	enum { LINKS = 400 };
	cap_id_t head = new_cspace(1);
	cap_id_t prev = head;
	for (unsigned i = 0; i < LINKS; i++) {
		cap_id_t next = new_cspace(1);
		if (bothy_cspace_copy_cap_from(cspace, next, prev, ~0U).error != OK) {
			guest_fail("cannot link the cspace chain");
		}
		if (prev != head) {
			del(prev); /* now only the previous link holds it */
		}
		prev = next;
	}
	del(prev);
	check_error("delete the head of a 400-cspace chain",
		    E(bothy_cspace_delete_cap_from(cspace, head).error), OK);
}

static void
test_numbers(void)
{
	bothy_regs_t r = { { 0 } };
	BOTHY_HVC_RAW(0x6009, &r);
	check_error("partition_create_watchdog (no watchdog interface)", r.x[0],
		    ERROR_UNIMPLEMENTED);
	r = (bothy_regs_t){ { 0 } };
	BOTHY_HVC_RAW(0x6008, &r);
	check_error("unassigned native 0x6008", r.x[0], ERROR_UNIMPLEMENTED);
	r = (bothy_regs_t){ { 0 } };
	BOTHY_HVC_RAW(0x623f, &r);
	check_error("unassigned bothy native 0x623f", r.x[0], ERROR_UNIMPLEMENTED);
	r = (bothy_regs_t){ { 0 } };
	BOTHY_HVC_RAW(0x7000, &r);
	check_error("hvc immediate outside every range", r.x[0], ERROR_UNIMPLEMENTED);
	r = (bothy_regs_t){ { 0xc6008008U } };
	bothy_smccc_call(&r);
	check_value("unassigned SMCCC hypercall", r.x[0], E(ERROR_UNIMPLEMENTED));
	r = (bothy_regs_t){ { 0x86008000U } };
	bothy_smccc_call(&r);
	check_value("SMC32 form of a hypercall ID", r.x[0], SMCCC_NOT_SUPPORTED);
	r = (bothy_regs_t){ { 0xc7000000U } };
	bothy_smccc_call(&r);
	check_value("unknown SMCCC owner", r.x[0], SMCCC_NOT_SUPPORTED);
}

void
guest_main(const root_boot_info_t *info)
{
	partition = info->partition_cap;
	cspace = info->cspace_cap;
	check_begin("abi-test");
	test_identify();
	test_create();
	test_activate();
	test_cspace_configure();
	test_copy_delete_revoke();
	test_attach_thread();
	test_destroy_chain();
	test_memory();
	test_numbers();
	if (check_end() != 0U) {
		guest_fail("ABI test failures");
	}
}
