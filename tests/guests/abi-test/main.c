/* main.c - the ABI test guest: calls every implemented hypercall as the root VM with valid
 * and invalid arguments (types, rights, revoked and stale caps, states, sizes, numbers). */
#include <stdint.h>

#include "bothy_hypercalls.h"
#include "check.h"
#include "access.h"
#include "extent.h"
#include "lookup.h"
#include "ownership.h"
#include "guest.h"
#include "hwirq.h"
#include "platform_config.h"
#include "virq.h"

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
		    ERROR_ARGUMENT_INVALID);
	check_error("create: made-up cspace cap",
		    E(bothy_partition_create_doorbell(partition, 0x123456789UL).error),
		    ERROR_ARGUMENT_INVALID);
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
		    E(bothy_object_activate_from(other, db).error), ERROR_ARGUMENT_INVALID);
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

#define MSGQ_INFO(depth, size) MSGQUEUE_CREATE_INFO(depth, size)
#define PUSH 1U
#define RX_SPI 40U
#define TX_SPI 41U
#define BELL_SPI 42U

/* Two pages, so a message can start near the end of one and run into the next. */
static uint8_t pages[2 * 4096] __attribute__((aligned(4096)));
static uint8_t rx_buf[256];

static void
fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++) {
		p[i] = (uint8_t)(seed + i * 7U);
	}
}

static unsigned
mismatches(const uint8_t *p, size_t n, uint8_t seed)
{
	unsigned bad = 0;
	for (size_t i = 0; i < n; i++) {
		bad += p[i] != (uint8_t)(seed + i * 7U);
	}
	return bad;
}

/* A configured, active message queue, or the test stops. */
static cap_id_t
new_queue(uint32_t depth, uint32_t size)
{
	cap_id_t mq = bothy_partition_create_msgqueue(partition, cspace).new_cap;
	if (bothy_msgqueue_configure(mq, MSGQ_INFO(depth, size)).error != OK ||
	    bothy_object_activate(mq).error != OK) {
		guest_fail("cannot set up a test message queue");
	}
	return mq;
}

/* An active vic with no vCPUs: enough to bind sources to (their lines go nowhere). */
static cap_id_t
new_vic(void)
{
	cap_id_t vic = bothy_partition_create_vic(partition, cspace).new_cap;
	if (bothy_vic_configure(vic, 1, 0, 0, 0).error != OK ||
	    bothy_object_activate(vic).error != OK) {
		guest_fail("cannot set up a test vic");
	}
	return vic;
}

static void
test_msgqueue_configure(void)
{
	cap_id_t mq = bothy_partition_create_msgqueue(partition, cspace).new_cap;
	check_error("msgqueue: send before activation",
		    E(bothy_msgqueue_send(mq, 1, (uintptr_t)pages, 0).error), ERROR_OBJECT_STATE);
	check_error("msgqueue: activate unconfigured", E(bothy_object_activate(mq).error),
		    ERROR_OBJECT_CONFIG);
	del(mq);
	mq = bothy_partition_create_msgqueue(partition, cspace).new_cap;
	check_error("msgqueue_configure depth 0",
		    E(bothy_msgqueue_configure(mq, MSGQ_INFO(0, 240)).error), ERROR_ARGUMENT_INVALID);
	check_error("msgqueue_configure depth 257",
		    E(bothy_msgqueue_configure(mq, MSGQ_INFO(257, 240)).error),
		    ERROR_ARGUMENT_INVALID);
	check_error("msgqueue_configure size 1025",
		    E(bothy_msgqueue_configure(mq, MSGQ_INFO(8, 1025)).error),
		    ERROR_ARGUMENT_INVALID);
	check_error("msgqueue_configure reserved bits",
		    E(bothy_msgqueue_configure(mq, MSGQ_INFO(8, 240) | (1UL << 40)).error),
		    ERROR_ARGUMENT_INVALID);
	cap_id_t db = create(0x06);
	check_error("msgqueue_configure on a doorbell",
		    E(bothy_msgqueue_configure(db, MSGQ_INFO(8, 240)).error),
		    ERROR_CSPACE_WRONG_OBJECT_TYPE);
	del(db);
	cap_id_t no_activate = copy(mq, cspace, ALL_BUT_ACTIVATE);
	check_error("msgqueue_configure without object_activate",
		    E(bothy_msgqueue_configure(no_activate, MSGQ_INFO(8, 240)).error),
		    ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	del(no_activate);
	check_error("msgqueue_configure 256 x 1024",
		    E(bothy_msgqueue_configure(mq, MSGQ_INFO(256, 1024)).error), OK);
	check_error("msgqueue: activate 256 x 1024", E(bothy_object_activate(mq).error), OK);
	check_error("msgqueue_configure when ACTIVE",
		    E(bothy_msgqueue_configure(mq, MSGQ_INFO(8, 240)).error), ERROR_OBJECT_STATE);
	fill(pages, 1024, 3);
	check_error("msgqueue: send 1024 bytes",
		    E(bothy_msgqueue_send(mq, 1024, (uintptr_t)pages, PUSH).error), OK);
	hypercall_msgqueue_receive_result_t r =
		bothy_msgqueue_receive(mq, (uintptr_t)(pages + 4096), 1024);
	check_value("msgqueue: receive 1024 bytes", r.size, 1024);
	check_value("msgqueue: 1024 bytes intact", mismatches(pages + 4096, 1024, 3), 0);
	del(mq);
}

static void
test_msgqueue_traffic(void)
{
	/* The root VM is both ends of two queues, as the RM and a VM would be. */
	cap_id_t a = new_queue(2, 240), b = new_queue(3, 240);
	hypercall_msgqueue_receive_result_t r = bothy_msgqueue_receive(a, (uintptr_t)rx_buf, 240);
	check_error("msgqueue: receive from an empty queue", E(r.error), ERROR_MSGQUEUE_EMPTY);
	check_value("  not_empty = 0", r.not_empty, 0);
	fill(pages, 240, 1);
	hypercall_msgqueue_send_result_t s = bothy_msgqueue_send(a, 240, (uintptr_t)pages, 0);
	check_error("msgqueue: send 240 bytes", E(s.error), OK);
	check_value("  not_full = 1", s.not_full, 1);
	s = bothy_msgqueue_send(a, 0, 0, PUSH);
	check_error("msgqueue: send 0 bytes (PUSH)", E(s.error), OK);
	check_value("  not_full = 0 (depth 2)", s.not_full, 0);
	check_error("msgqueue: send to a full queue",
		    E(bothy_msgqueue_send(a, 1, (uintptr_t)pages, 0).error), ERROR_MSGQUEUE_FULL);
	check_error("msgqueue: send 241 bytes",
		    E(bothy_msgqueue_send(b, 241, (uintptr_t)pages, 0).error), ERROR_ARGUMENT_SIZE);
	check_error("msgqueue: unknown send flag",
		    E(bothy_msgqueue_send(b, 1, (uintptr_t)pages, 2).error), ERROR_ARGUMENT_INVALID);
	/* Linux's path: SMCCC, buffer starting 100 bytes before a page boundary. */
	fill(pages + 4096 - 100, 200, 9);
	bothy_regs_t regs = { { HYPERCALL_MSGQUEUE_SEND_SMCCC, b, 200,
				(uint64_t)(uintptr_t)(pages + 4096 - 100), PUSH } };
	bothy_smccc_call(&regs);
	check_error("msgqueue: send via SMCCC across a page boundary", regs.x[0], OK);
	check_error("msgqueue: receive into too small a buffer",
		    E(bothy_msgqueue_receive(a, (uintptr_t)rx_buf, 239).error), ERROR_ARGUMENT_SIZE);
	r = bothy_msgqueue_receive(a, (uintptr_t)rx_buf, 240);
	check_error("msgqueue: receive", E(r.error), OK);
	check_value("  size 240", r.size, 240);
	check_value("  not_empty = 1", r.not_empty, 1);
	check_value("  contents intact", mismatches(rx_buf, 240, 1), 0);
	r = bothy_msgqueue_receive(a, (uintptr_t)rx_buf, 240);
	check_value("msgqueue: second message is the empty one", r.size, 0);
	check_value("  not_empty = 0", r.not_empty, 0);
	regs = (bothy_regs_t){ { HYPERCALL_MSGQUEUE_RECEIVE_SMCCC, b,
				 (uint64_t)(uintptr_t)(pages + 2 * 4096 - 150), 240 } };
	bothy_smccc_call(&regs);
	check_error("msgqueue: receive via SMCCC across a page boundary", regs.x[0], OK);
	check_value("  size 200", regs.x[1], 200);
	check_value("  contents intact", mismatches(pages + 2 * 4096 - 150, 200, 9), 0);
	(void)bothy_msgqueue_send(b, 1, (uintptr_t)pages, 0);
	check_error("msgqueue_flush", E(bothy_msgqueue_flush(b).error), OK);
	check_error("msgqueue: empty after flush",
		    E(bothy_msgqueue_receive(b, (uintptr_t)rx_buf, 240).error), ERROR_MSGQUEUE_EMPTY);
	regs = (bothy_regs_t){ { b, 1, (uint64_t)(uintptr_t)pages, 0, 5 } };
	BOTHY_HVC_RAW(0x601b, &regs);
	check_error("msgqueue: send with non-zero res0 (native)", regs.x[0], ERROR_ARGUMENT_INVALID);
	del(a);
	del(b);
}

static void
test_msgqueue_bad_caps_and_addresses(void)
{
	cap_id_t mq = new_queue(2, 240);
	check_error("msgqueue: send on an invalid cap",
		    E(bothy_msgqueue_send(CSPACE_CAP_INVALID, 1, (uintptr_t)pages, 0).error),
		    ERROR_ARGUMENT_INVALID);
	check_error("msgqueue: receive on the partition cap",
		    E(bothy_msgqueue_receive(partition, (uintptr_t)rx_buf, 240).error),
		    ERROR_CSPACE_WRONG_OBJECT_TYPE);
	cap_id_t send_only = copy(mq, cspace, CAP_RIGHTS_MSGQUEUE_SEND);
	cap_id_t recv_only = copy(mq, cspace, CAP_RIGHTS_MSGQUEUE_RECEIVE);
	check_error("msgqueue: receive with a send-only cap",
		    E(bothy_msgqueue_receive(send_only, (uintptr_t)rx_buf, 240).error),
		    ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	check_error("msgqueue: send with a receive-only cap",
		    E(bothy_msgqueue_send(recv_only, 1, (uintptr_t)pages, 0).error),
		    ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	check_error("msgqueue: flush with a send-only cap", E(bothy_msgqueue_flush(send_only).error),
		    ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	check_error("msgqueue: send from hypervisor memory",
		    E(bothy_msgqueue_send(send_only, 16, (uintptr_t)HYP_MEM_BASE, 0).error),
		    ERROR_ADDR_INVALID);
	check_error("msgqueue: send from unmapped address 0",
		    E(bothy_msgqueue_send(mq, 16, 0, 0).error), ERROR_ADDR_INVALID);
	check_error("msgqueue: send crossing the end of RM memory",
		    E(bothy_msgqueue_send(mq, 16,
					  (uintptr_t)(ROOT_VM_MEM_BASE + ROOT_VM_MEM_SIZE - 8U), 0)
			      .error),
		    ERROR_ADDR_INVALID);
	check_error("msgqueue: send from a wrapping address",
		    E(bothy_msgqueue_send(mq, 32, (uintptr_t)0xfffffffffffffff0UL, 0).error),
		    ERROR_ADDR_OVERFLOW);
	fill(pages, 40, 5);
	check_error("msgqueue: send after the failures",
		    E(bothy_msgqueue_send(mq, 40, (uintptr_t)pages, 0).error), OK);
	check_error("msgqueue: receive into hypervisor memory",
		    E(bothy_msgqueue_receive(recv_only, (uintptr_t)HYP_MEM_BASE, 240).error),
		    ERROR_ADDR_INVALID);
	check_error("msgqueue: receive into memory past the RM's",
		    E(bothy_msgqueue_receive(mq, (uintptr_t)(ROOT_VM_MEM_BASE + ROOT_VM_MEM_SIZE),
					     240).error),
		    ERROR_ADDR_INVALID);
	hypercall_msgqueue_receive_result_t r =
		bothy_msgqueue_receive(recv_only, (uintptr_t)rx_buf, 240);
	check_value("msgqueue: the message survived failed receives", r.size, 40);
	check_value("  contents intact", mismatches(rx_buf, 40, 5), 0);
	del(send_only);
	del(recv_only);
	del(mq);
}

static void
test_msgqueue_thresholds_and_virqs(void)
{
	cap_id_t mq = new_queue(4, 240), other = new_queue(4, 240), vic = new_vic();
	check_error("msgqueue_configure_send threshold 3",
		    E(bothy_msgqueue_configure_send(mq, 3, 0).error), OK);
	check_error("msgqueue_configure_send threshold = depth",
		    E(bothy_msgqueue_configure_send(mq, 4, 0).error), ERROR_ARGUMENT_INVALID);
	check_error("msgqueue_configure_receive threshold 0",
		    E(bothy_msgqueue_configure_receive(mq, 0, 0).error), ERROR_ARGUMENT_INVALID);
	check_error("msgqueue_configure_receive threshold 4 (unchanged holdoff)",
		    E(bothy_msgqueue_configure_receive(mq, 4, 0xffffffffU).error), OK);
	check_error("msgqueue_configure_receive holdoff (not implemented)",
		    E(bothy_msgqueue_configure_receive(mq, 1, 100).error), ERROR_UNIMPLEMENTED);
	bothy_regs_t regs = { { mq, 1, 0, 0 } };
	BOTHY_HVC_RAW(0x6020, &regs);
	check_error("msgqueue_configure_receive res1 = 0 (native)", regs.x[0],
		    ERROR_ARGUMENT_INVALID);
	cap_id_t weak_vic = copy(vic, cspace, ~CAP_RIGHTS_VIC_BIND_SOURCE);
	check_error("msgqueue: bind with a vic cap without bind_source",
		    E(bothy_msgqueue_bind_receive_virq(mq, weak_vic, RX_SPI).error),
		    ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	del(weak_vic);
	cap_id_t idle_vic = bothy_partition_create_vic(partition, cspace).new_cap;
	check_error("msgqueue: bind to a vic in INIT",
		    E(bothy_msgqueue_bind_receive_virq(mq, idle_vic, RX_SPI).error),
		    ERROR_OBJECT_STATE);
	del(idle_vic);
	check_error("msgqueue: bind to a PPI",
		    E(bothy_msgqueue_bind_receive_virq(mq, vic, 27).error), ERROR_ARGUMENT_INVALID);
	check_error("msgqueue: bind beyond the vic's SPIs",
		    E(bothy_msgqueue_bind_receive_virq(mq, vic, 1024).error), ERROR_ARGUMENT_INVALID);
	check_error("msgqueue_bind_receive_virq",
		    E(bothy_msgqueue_bind_receive_virq(mq, vic, RX_SPI).error), OK);
	check_error("msgqueue_bind_send_virq", E(bothy_msgqueue_bind_send_virq(mq, vic, TX_SPI).error),
		    OK);
	check_error("msgqueue: bind a bound side again",
		    E(bothy_msgqueue_bind_receive_virq(mq, vic, RX_SPI + 10U).error),
		    ERROR_VIRQ_BOUND);
	check_error("msgqueue: bind another queue to a used SPI",
		    E(bothy_msgqueue_bind_receive_virq(other, vic, RX_SPI).error), ERROR_BUSY);
	/* Traffic with both lines bound (they reach no vCPU: this vic has none attached). */
	for (unsigned i = 0; i < 4U; i++) {
		(void)bothy_msgqueue_send(mq, 8, (uintptr_t)pages, i == 3U ? PUSH : 0);
	}
	hypercall_msgqueue_receive_result_t r = bothy_msgqueue_receive(mq, (uintptr_t)rx_buf, 240);
	check_value("msgqueue: receive with lines bound", r.size, 8);
	check_error("msgqueue_unbind_receive_virq", E(bothy_msgqueue_unbind_receive_virq(mq).error),
		    OK);
	check_error("msgqueue: unbind an unbound side",
		    E(bothy_msgqueue_unbind_receive_virq(mq).error), ERROR_VIRQ_NOT_BOUND);
	check_error("msgqueue: the freed SPI binds elsewhere",
		    E(bothy_msgqueue_bind_receive_virq(other, vic, RX_SPI).error), OK);
	cap_id_t recv_only = copy(mq, cspace, CAP_RIGHTS_MSGQUEUE_RECEIVE);
	check_error("msgqueue: unbind the send side without bind_send",
		    E(bothy_msgqueue_unbind_send_virq(recv_only).error),
		    ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	del(recv_only);
	/* Deleting a bound queue unbinds it; deleting the vic cap then frees the vic. */
	del(mq);
	del(other);
	del(vic);
}

static void
test_doorbell(void)
{
	cap_id_t db = create(0x06), vic = new_vic();
	check_error("doorbell_send before activation", E(bothy_doorbell_send(db, 1).error),
		    ERROR_OBJECT_STATE);
	check_error("doorbell: activate", E(bothy_object_activate(db).error), OK);
	hypercall_doorbell_send_result_t s = bothy_doorbell_send(db, 0x5);
	check_error("doorbell_send", E(s.error), OK);
	check_value("  old flags 0", s.old_flags, 0);
	s = bothy_doorbell_send(db, 0x8000000000000002UL);
	check_value("doorbell_send returns the old flags", s.old_flags, 0x5);
	check_error("doorbell_send of no flags", E(bothy_doorbell_send(db, 0).error),
		    ERROR_ARGUMENT_INVALID);
	hypercall_doorbell_receive_result_t r = bothy_doorbell_receive(db, 0x1);
	check_error("doorbell_receive", E(r.error), OK);
	check_value("  old flags", r.old_flags, 0x8000000000000007UL);
	check_value("doorbell_receive cleared only 0x1", bothy_doorbell_receive(db, ~0UL).old_flags,
		    0x8000000000000006UL);
	check_error("doorbell_receive of no flags", E(bothy_doorbell_receive(db, 0).error),
		    ERROR_ARGUMENT_INVALID);
	check_error("doorbell_mask", E(bothy_doorbell_mask(db, 0x3, 0x1).error), OK);
	check_error("doorbell_bind_virq", E(bothy_doorbell_bind_virq(db, vic, BELL_SPI).error), OK);
	check_error("doorbell: bind again", E(bothy_doorbell_bind_virq(db, vic, BELL_SPI).error),
		    ERROR_VIRQ_BOUND);
	/* Delivered (bound, enabled): ack_mask flag 0x1 is consumed, 0x2 and disabled 0x4 stay. */
	(void)bothy_doorbell_send(db, 0x7);
	check_value("doorbell: ack_mask flag consumed on delivery",
		    bothy_doorbell_receive(db, ~0UL).old_flags, 0x6);
	check_error("doorbell_reset", E(bothy_doorbell_reset(db).error), OK);
	(void)bothy_doorbell_send(db, 0x1);
	check_value("doorbell_reset restored the masks (0x1 no longer acked)",
		    bothy_doorbell_receive(db, 0x1).old_flags, 0x1);
	cap_id_t sender = copy(db, cspace, CAP_RIGHTS_DOORBELL_SEND);
	check_error("doorbell: send-only cap sends", E(bothy_doorbell_send(sender, 0x10).error), OK);
	check_error("doorbell: send-only cap cannot receive",
		    E(bothy_doorbell_receive(sender, 0x10).error), ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	check_error("doorbell: send-only cap cannot mask",
		    E(bothy_doorbell_mask(sender, 0, 0).error), ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	check_error("doorbell: send-only cap cannot unbind",
		    E(bothy_doorbell_unbind_virq(sender).error), ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	del(sender);
	check_error("doorbell_send on a vic cap", E(bothy_doorbell_send(vic, 1).error),
		    ERROR_CSPACE_WRONG_OBJECT_TYPE);
	check_error("doorbell_unbind_virq", E(bothy_doorbell_unbind_virq(db).error), OK);
	check_error("doorbell: unbind again", E(bothy_doorbell_unbind_virq(db).error),
		    ERROR_VIRQ_NOT_BOUND);
	bothy_regs_t regs = { { HYPERCALL_DOORBELL_SEND_SMCCC, db, 0x20 } };
	bothy_smccc_call(&regs);
	check_error("doorbell_send via SMCCC", regs.x[0], OK);
	check_value("  old flags", regs.x[1], 0x10);
	del(db);
	del(vic);
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

/* Stage-2 tables come from a fixed pool (HYP_PGTABLE_POOL_PAGES in pgtable.c: 640 tables on
 * the default board). Each round builds an address space with one page mapped (a level-1, a
 * level-2 and a level-3 table) and destroys it: 400 rounds take 1200 tables, so this passes
 * only if a destroyed address space gives its tables back (and its VMID, which every round
 * reuses). */
#define STAGE2_ROUNDS 400U
#define STAGE2_VMID 200U
#define MAP_RW_NORMAL \
	MEMEXTENT_MAPPING_ATTRS(PGTABLE_ACCESS_RW, PGTABLE_ACCESS_RW, PGTABLE_VM_MEMTYPE_NORMAL_WB)

static void
test_stage2_tables_are_freed(void)
{
	uint64_t base = PLATFORM_RAM_BASE + PLATFORM_RAM_SIZE - 0x200000U; /* nobody's memory */
	hypercall_partition_create_memextent_result_t created =
		bothy_partition_create_memextent(partition, cspace);
	cap_id_t me = created.new_cap;
	check_error("stage-2 reuse: memextent", E(created.error), OK);
	check_error("stage-2 reuse: memextent configured",
		    E(bothy_memextent_configure(me, base, 0x200000U, 0).error), OK);
	check_error("stage-2 reuse: memextent active", E(bothy_object_activate(me).error), OK);
	unsigned rounds = 0;
	for (; rounds < STAGE2_ROUNDS; rounds++) {
		hypercall_partition_create_addrspace_result_t as =
			bothy_partition_create_addrspace(partition, cspace);
		if (as.error != OK) {
			break;
		}
		error_t err = bothy_addrspace_configure(as.new_cap, STAGE2_VMID).error;
		err = err == OK ? bothy_object_activate(as.new_cap).error : err;
		err = err == OK ? bothy_addrspace_map(as.new_cap, me, 0x80000000U, MAP_RW_NORMAL, 0, 0,
						      0x1000U)
					  .error
				: err;
		del(as.new_cap);
		if (err != OK) {
			guest_printf("abi-test: stage-2 round %u failed: %d\n", rounds, (int)err);
			break;
		}
	}
	check_value("400 address spaces with a page mapped, each destroyed (tables and VMID reused)",
		    rounds, STAGE2_ROUNDS);
	del(me);
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
	test_stage2_tables_are_freed();
	test_extent_mappings(info);
	test_memory_ownership(info);
	test_addrspace_lookup(info);
	test_update_access(info);
	test_msgqueue_configure();
	test_msgqueue_traffic();
	test_msgqueue_bad_caps_and_addresses();
	test_msgqueue_thresholds_and_virqs();
	test_doorbell();
	test_virq_delivery(partition, cspace, info->vic_cap);
	test_hwirq(info);
	test_numbers();
	if (check_end() != 0U) {
		guest_fail("ABI test failures");
	}
}
