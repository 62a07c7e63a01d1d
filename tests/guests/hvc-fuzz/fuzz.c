/* fuzz.c - hvc-fuzz, a seeded hypercall fuzzer run as the root VM or as a VM the RM built:
 * makes debug.iterations random calls, checks every result, then proves the hypervisor (and
 * the RM) still serve. */
#include "bothy_hypercalls.h"
#include "bothy_objects.h"
#include "fdt.h"
#include "format.h"
#include "fuzz.h"
#include "guest.h"
#include "ipc_wait.h"
#include "le_bytes.h"
#include "platform_config.h"
#include "rm_client.h"
#include "rm_rpc_abi.h"
#include "stubs.h"
#include "util_string.h"
#include "vdevice.h"

#define SMCCC_NOT_SUPPORTED 0xffffffffffffffffUL
#define HYP_API_VERSION(info) ((info) & 0x3fffUL)
#define VIOLATIONS_SHOWN 8U

#define AARCH64_HVC(imm) (0xd4000002U | ((uint32_t)(imm) << 5))
#define AARCH64_SMC(imm) (0xd4000003U | ((uint32_t)(imm) << 5))
#define AARCH64_RET 0xd65f03c0U

/* Gunyah numbers the fuzzer itself uses. */
#define N(name) (HYPERCALL_##name##_NATIVE - HYPERCALL_GUNYAH_NATIVE_BASE)
static const uint32_t create_numbers[] = {
	N(PARTITION_CREATE_PARTITION), N(PARTITION_CREATE_CSPACE),
	N(PARTITION_CREATE_ADDRSPACE), N(PARTITION_CREATE_MEMEXTENT),
	N(PARTITION_CREATE_THREAD),    N(PARTITION_CREATE_DOORBELL),
	N(PARTITION_CREATE_MSGQUEUE),  N(PARTITION_CREATE_WATCHDOG),
	N(PARTITION_CREATE_VIC),       N(PARTITION_CREATE_VPM_GROUP),
	N(PARTITION_CREATE_VIRTIO_MMIO),
};
#define CREATE_COUNT (sizeof(create_numbers) / sizeof(create_numbers[0]))

static root_boot_info_t boot; /* a copy: the fuzzer hands the boot-info page out as a buffer */

/* As a VM the RM built: no boot information (boot holds only its memory, and no caps), and
 * its RM link, set up before the run (its device tree may be a buffer argument after it). */
static bool rm_built;
static rm_client_t rm;
static uint16_t own_vmid;
static uint64_t identify[4];  /* hypervisor_identify's answer before the first random call */

static uint64_t calls;
static unsigned violations;
static struct {
	uint64_t native, native_outside, smccc, smccc_via_smc, ok;
	unsigned created, copied, deleted;
} stats;

static void
describe_call(const fuzz_call_t *c, char *buf, size_t size)
{
	static const char *const kinds[] = {
		[KIND_GUNYAH] = "gunyah",
		[KIND_BOTHY] = "bothy",
		[KIND_NATIVE_OTHER] = "outside the ranges",
		[KIND_SMCCC_OTHER] = "not a hypercall",
	};
	char number[16] = "";
	if (c->kind == KIND_GUNYAH || c->kind == KIND_BOTHY) {
		(void)format_buf(number, sizeof(number), " 0x%x", c->n);
	}
	if (c->argi == 0U) {
		(void)format_buf(buf, size, "hvc #0x%x (%s%s)", stub_immediate(c->stub),
				 kinds[c->kind], number);
	} else {
		(void)format_buf(buf, size, "%s #0 SMCCC 0x%lx (%s%s)",
				 c->stub == FUZZ_STUB_SMC0 ? "smc" : "hvc", c->in[0], kinds[c->kind],
				 number);
	}
}

static void
violation(const fuzz_call_t *c, const char *problem)
{
	violations++;
	if (violations > VIOLATIONS_SHOWN) {
		return;
	}
	char what[96];
	describe_call(c, what, sizeof(what));
	if (calls < BOTHY_TEST_ITERATIONS) {
		guest_printf("fuzz: violation %u at call %lu: %s: %s\n", violations, calls + 1U, what,
			     problem);
	} else {
		guest_printf("fuzz: violation %u in the clean-up: %s: %s\n", violations, what, problem);
	}
	guest_printf("fuzz:   in  x0 0x%lx x1 0x%lx x2 0x%lx x3 0x%lx\n", c->in[0], c->in[1],
		     c->in[2], c->in[3]);
	guest_printf("fuzz:   in  x4 0x%lx x5 0x%lx x6 0x%lx x7 0x%lx\n", c->in[4], c->in[5],
		     c->in[6], c->in[7]);
	guest_printf("fuzz:   out x0 0x%lx x1 0x%lx x2 0x%lx x3 0x%lx\n", c->out[0], c->out[1],
		     c->out[2], c->out[3]);
}

static void
execute(fuzz_call_t *c)
{
	for (unsigned i = 0; i < 8U; i++) {
		c->out[i] = c->in[i];
	}
	fuzz_call_stub(c->stub, c->out);
	if (c->argi == 0U) {
		stats.native++;
		stats.native_outside += c->kind == KIND_NATIVE_OTHER;
	} else {
		stats.smccc++;
		stats.smccc_via_smc += c->stub == FUZZ_STUB_SMC0;
	}
}

/* SMCCC function IDs outside the hypercall ranges that a hypervisor may answer: the Arm
 * architecture service (SMCCC_VERSION, ARCH_FEATURES, ...), the standard secure services
 * (PSCI, SDEI, TRNG; PSCI itself is never called) and the vendor-hyp general queries (UID,
 * revision). Every other such ID must return NOT_SUPPORTED. */
static bool
smccc_may_answer(uint32_t fid)
{
	uint32_t service = fid & 0xbfff0000U; /* ignore the SMC32/SMC64 bit */
	return service == 0x80000000U || service == 0x84000000U ||
	       (fid & 0xffffff00U) == 0x8600ff00U;
}

/* Doorbell flags are the guest's own data: an earlier doorbell_send may have set flags that
 * look like a hypervisor address, and a later send or receive returns them in x1. */
static bool
returns_guest_data(const fuzz_call_t *c, unsigned reg)
{
	return c->kind == KIND_GUNYAH && reg == 1U &&
	       (c->n == N(DOORBELL_SEND) || c->n == N(DOORBELL_RECEIVE));
}

/* An output register holding an address inside the hypervisor that no input held: most
 * likely a pointer (or stack garbage) leaking out of EL2. */
static bool
leaks_hypervisor_address(const fuzz_call_t *c)
{
	for (unsigned i = 0; i < 8U; i++) {
		uint64_t v = c->out[i];
		if (v - HYP_MEM_BASE >= HYP_MEM_SIZE || returns_guest_data(c, i)) {
			continue;
		}
		bool echoed = false;
		for (unsigned j = 0; j < 8U; j++) {
			echoed = echoed || c->in[j] == v;
		}
		if (!echoed) {
			return true;
		}
	}
	return false;
}

/* The result check every call gets; NULL when the result is allowed. */
static const char *
check_result(const fuzz_call_t *c)
{
	if (leaks_hypervisor_address(c)) {
		return "an output register holds a hypervisor address that was not an input";
	}
	switch (c->kind) {
	case KIND_GUNYAH:
		if (c->n == N(HYPERVISOR_IDENTIFY)) {
			for (unsigned i = 0; i < 4U; i++) {
				if (c->out[i] != identify[i]) {
					return "hypervisor_identify answered differently";
				}
			}
			return NULL;
		}
		/* fall through */
	case KIND_BOTHY:
		return error_name((int64_t)c->out[0]) == NULL ? "x0 is not an error_t code" : NULL;
	case KIND_NATIVE_OTHER:
		return c->out[0] != (uint64_t)(int64_t)ERROR_UNIMPLEMENTED
			       ? "immediate outside the ranges did not return ERROR_UNIMPLEMENTED"
			       : NULL;
	case KIND_SMCCC_OTHER:
		return !smccc_may_answer((uint32_t)c->in[0]) && c->out[0] != SMCCC_NOT_SUPPORTED
			       ? "unknown SMCCC function did not return NOT_SUPPORTED (-1)"
			       : NULL;
	}
	return "undecoded call";
}

static bool
names_own_cspace(cap_id_t cap)
{
	return (caps_flags(cap) & CAP_FLAG_ROOT_CSPACE) != 0U;
}

static bool
is_create(uint32_t n)
{
	for (unsigned i = 0; i < CREATE_COUNT; i++) {
		if (create_numbers[i] == n) {
			return true;
		}
	}
	return false;
}

static void
record_new_cap(const fuzz_call_t *c, cap_id_t dest_cspace, cap_id_t cap, unsigned flags)
{
	if (cap == CSPACE_CAP_INVALID) {
		violation(c, "OK, but the new cap is CSPACE_CAP_INVALID");
	} else if (!names_own_cspace(dest_cspace)) {
		caps_add_foreign(cap, flags);
	} else if (!caps_add_owned(cap, flags)) {
		violation(c, "the new cap has the ID of a cap that is still live");
	}
}

/* Follows what successful calls did to the caps: created and copied caps are the fuzzer's
 * to use and delete, deleted ones become stale. */
static void
track_caps(const fuzz_call_t *c)
{
	const uint64_t *args = &c->in[c->argi];
	if (c->kind != KIND_GUNYAH || c->out[0] != (uint64_t)OK) {
		return;
	}
	if (is_create(c->n)) {
		stats.created++;
		record_new_cap(c, args[1], c->out[1], 0U);
	} else if (c->n == N(CSPACE_COPY_CAP_FROM)) {
		unsigned flags = names_own_cspace(args[0]) ? caps_flags(args[1])
							   : caps_foreign_flags(args[1]);
		stats.copied++;
		record_new_cap(c, args[2], c->out[1], flags);
	} else if (c->n == N(CSPACE_DELETE_CAP_FROM)) {
		stats.deleted++;
		if (names_own_cspace(args[0])) {
			(void)caps_remove_owned(args[1]);
		} else {
			caps_remove_foreign(args[1]);
		}
	}
}

static void
run_call(fuzz_call_t *c)
{
	execute(c);
	stats.ok += c->out[0] == (uint64_t)OK;
	const char *problem = check_result(c);
	if (problem != NULL) {
		violation(c, problem);
	}
	track_caps(c);
}

/* Deletes an owned cap from the fuzzer's cspace, which must succeed. */
static void
delete_owned(fuzz_call_t *c, cap_id_t cap)
{
	gen_gunyah_call(c, N(CSPACE_DELETE_CAP_FROM), boot.cspace_cap, cap, 0U);
	run_call(c);
	if (c->out[0] != (uint64_t)OK) {
		violation(c, "deleting a live cap the fuzzer created did not return OK");
		(void)caps_remove_owned(cap); /* do not retry it forever */
	}
}

static uint64_t
pick_from(const uint64_t *values, size_t count)
{
	return values[rng_below(count)];
}
#define PICK(values) pick_from(values, sizeof(values) / sizeof(values[0]))

/* A call made on purpose, with the right kind of caps in the right places so the object and
 * cap calls get past their lookups (r < 16, which selects it, chooses the call). */
static void
directed_call(fuzz_call_t *c, uint64_t r)
{
	static const uint64_t rights_masks[] = { 0xffffffffU, 0U, CAP_RIGHTS_GENERIC_OBJECT_ACTIVATE,
						 0x7fffffffU, 0x1U };
	static const uint64_t cap_counts[] = { 0U, 1U, 1024U, 4096U, 4097U, 0x100000000UL };
	if (r < 8U) { /* create, mostly from the root partition into the fuzzer's cspace */
		cap_id_t partition = rng_chance(85U) ? boot.partition_cap : caps_pick_owned();
		cap_id_t cspace = rng_chance(90U) ? boot.cspace_cap : caps_pick_owned();
		gen_gunyah_call(c, create_numbers[rng_below(CREATE_COUNT)], partition, cspace, 0U);
	} else if (r < 11U) { /* copy any live cap, mostly into the fuzzer's cspace */
		cap_id_t src_cspace = rng_chance(85U) ? boot.cspace_cap : caps_pick_live();
		cap_id_t dest = rng_chance(80U) ? boot.cspace_cap : caps_pick_owned();
		gen_gunyah_call(c, N(CSPACE_COPY_CAP_FROM), src_cspace, caps_pick_live(), dest);
		c->in[c->argi + 3U] = rng_chance(70U) ? PICK(rights_masks) : rng_next() & 0xffffffffU;
	} else if (r < 13U) {
		if (rng_chance(70U)) {
			gen_gunyah_call(c, N(OBJECT_ACTIVATE), caps_pick_owned(), 0U, 0U);
		} else {
			gen_gunyah_call(c, N(OBJECT_ACTIVATE_FROM), boot.cspace_cap, caps_pick_owned(),
					0U);
		}
	} else if (r < 14U) {
		uint64_t s = rng_below(10U);
		uint64_t count = s < 6U ? 1U + rng_below(64U) : s < 9U ? PICK(cap_counts) : rng_next();
		gen_gunyah_call(c, N(CSPACE_CONFIGURE), caps_pick_owned(), count, 0U);
	} else if (r < 15U) { /* sometimes the fuzzer's own (running) vCPU */
		cap_id_t thread = rng_chance(80U) ? caps_pick_owned() : boot.vcpu_cap;
		gen_gunyah_call(c, N(CSPACE_ATTACH_THREAD), caps_pick_owned(), thread, 0U);
	} else {
		uint32_t n = rng_chance(50U) ? N(CSPACE_REVOKE_CAP_FROM) : N(CSPACE_REVOKE_CAPS_FROM);
		gen_gunyah_call(c, n, boot.cspace_cap, caps_pick_owned(), 0U);
	}
}

/* As a VM the RM built, the directed calls are the ones its two caps allow: sends of random
 * bytes (random sizes, PUSH or not) to the RM, and receives of whatever the RM answered,
 * into a buffer of the fuzzer's own; now and then a flush or a configure of either queue. */
static uint8_t link_buf[2U * RM_RPC_MESSAGE_SIZE];

static void
directed_link_call(fuzz_call_t *c, uint64_t r)
{
	cap_id_t tx = rm.link.tx_cap, rx = rm.link.rx_cap;
	uint64_t buf = (uint64_t)(uintptr_t)link_buf;
	if (r < 7U) {
		for (unsigned i = 0; i < sizeof(link_buf); i += 8U) {
			uint64_t v = rng_next();
			memcpy(&link_buf[i], &v, 8U);
		}
		uint64_t size = rng_chance(80U) ? rng_below(RM_RPC_MESSAGE_SIZE + 1U)
						: rng_below(sizeof(link_buf) + 1U);
		gen_gunyah_call(c, N(MSGQUEUE_SEND), rng_chance(90U) ? tx : rx, size, buf);
		c->in[c->argi + 3U] = rng_chance(50U) ? 1U : rng_below(4U);
	} else if (r < 14U) {
		uint64_t size = rng_chance(80U) ? RM_RPC_MESSAGE_SIZE : rng_below(sizeof(link_buf) + 1U);
		gen_gunyah_call(c, N(MSGQUEUE_RECEIVE), rng_chance(90U) ? rx : tx, buf, size);
	} else if (r < 15U) {
		gen_gunyah_call(c, N(MSGQUEUE_FLUSH), rng_chance(50U) ? tx : rx, 0U, 0U);
	} else {
		uint32_t n = rng_chance(50U) ? N(MSGQUEUE_CONFIGURE_SEND) : N(MSGQUEUE_CONFIGURE_RECEIVE);
		gen_gunyah_call(c, n, rng_chance(50U) ? tx : rx, rng_below(16U), rng_below(16U));
		c->in[c->argi + 3U] = ~0UL; /* res1 */
	}
}

/* One call of the run. A delete of an owned cap (which must succeed) is followed by a
 * second delete of the same ID (which must find nothing); the book of owned caps is kept
 * at CAPS_OWNED_TARGET or below. Otherwise one call in six is directed, the rest random. */
static cap_id_t recheck = CSPACE_CAP_INVALID;

static void
next_call(fuzz_call_t *c)
{
	if (recheck != CSPACE_CAP_INVALID) {
		gen_gunyah_call(c, N(CSPACE_DELETE_CAP_FROM), boot.cspace_cap, recheck, 0U);
		recheck = CSPACE_CAP_INVALID;
		run_call(c);
		if (c->out[0] != (uint64_t)(int64_t)ERROR_CSPACE_CAP_NULL) {
			violation(c, "deleting a just-deleted cap did not return ERROR_CSPACE_CAP_NULL");
		}
		return;
	}
	uint64_t r = rng_below(100U);
	if (caps_owned_count() > CAPS_OWNED_TARGET || (r < 3U && caps_owned_count() > 0U)) {
		cap_id_t cap = caps_pick_owned();
		delete_owned(c, cap);
		if (c->out[0] == (uint64_t)OK) {
			recheck = cap;
		}
		return;
	}
	if (r < 16U && rm_built) {
		directed_link_call(c, r);
	} else if (r < 16U) {
		directed_call(c, r);
	} else {
		gen_random_call(c);
	}
	run_call(c);
}

/* The stubs are the only place the immediates exist: decode each one to be sure the
 * table says what the fuzzer thinks it says. */
static void
check_stub_table(void)
{
	for (uint32_t i = 0; i < FUZZ_STUB_COUNT; i++) {
		uint32_t want = i == FUZZ_STUB_SMC0 ? AARCH64_SMC(0) : AARCH64_HVC(stub_immediate(i));
		if (fuzz_stubs[2U * i] != want || fuzz_stubs[2U * i + 1U] != AARCH64_RET) {
			guest_printf("fuzz: stub %u is 0x%x, expected 0x%x\n", i, fuzz_stubs[2U * i],
				     want);
			guest_fail("hvc-fuzz: the stub table does not match stubs.h");
		}
	}
}

/* After the run: the hypervisor still identifies itself, and still creates and deletes. */
static bool
still_identifies(void)
{
	hypercall_hypervisor_identify_result_t id = bothy_hypervisor_identify();
	bool ok = HYP_API_VERSION(id.hyp_api_info) == 1U && id.hyp_api_info == identify[0];
	guest_printf("fuzz: after the run: hypervisor_identify api info 0x%lx (version %lu): %s\n",
		     id.hyp_api_info, HYP_API_VERSION(id.hyp_api_info), ok ? "ok" : "WRONG");
	return ok;
}

/* As the root VM: memory ownership still works end to end, on RAM below the pages the run
 * pointed at: a parent extent, a sparse child given a page, mapped and looked up. */
static bool
memory_still_works(void)
{
	uint64_t base = FUZZ_FREE_RAM_END - 0x100000U;
	cap_id_t cs = boot.cspace_cap;
	hypercall_partition_create_memextent_result_t p =
		bothy_partition_create_memextent(boot.partition_cap, cs);
	hypercall_partition_create_memextent_result_t c =
		bothy_partition_create_memextent(boot.partition_cap, cs);
	hypercall_partition_create_addrspace_result_t as =
		bothy_partition_create_addrspace(boot.partition_cap, cs);
	uint32_t sparse = MEMEXTENT_ATTRS(0U, MEMEXTENT_MEMTYPE_ANY, MEMEXTENT_TYPE_SPARSE, 0U);
	uint32_t rw = MEMEXTENT_MAPPING_ATTRS(PGTABLE_ACCESS_RW, PGTABLE_ACCESS_RW,
					      PGTABLE_VM_MEMTYPE_NORMAL_WB);
	error_t err = p.error != OK ? p.error : c.error != OK ? c.error : as.error;
	err = err == OK ? bothy_memextent_configure(p.new_cap, base, 2U * FUZZ_PAGE, 0U).error : err;
	err = err == OK ? bothy_object_activate(p.new_cap).error : err;
	err = err == OK ? bothy_memextent_configure_derive(c.new_cap, p.new_cap, 0U, 2U * FUZZ_PAGE,
							   sparse).error
			: err;
	err = err == OK ? bothy_object_activate(c.new_cap).error : err;
	err = err == OK ? bothy_memextent_donate(MEMEXTENT_DONATE_OPTIONS(
							  MEMEXTENT_DONATE_TYPE_TO_CHILD, 0U),
						  p.new_cap, c.new_cap, FUZZ_PAGE, FUZZ_PAGE)
				  .error
			: err;
	err = err == OK ? bothy_addrspace_configure(as.new_cap, 250U).error : err;
	err = err == OK ? bothy_object_activate(as.new_cap).error : err;
	err = err == OK ? bothy_addrspace_map(as.new_cap, c.new_cap, 0x80000000U, rw, 0U, FUZZ_PAGE,
					      FUZZ_PAGE).error
			: err;
	hypercall_addrspace_lookup_result_t look =
		bothy_addrspace_lookup(as.new_cap, c.new_cap, 0x80000000U, 2U * FUZZ_PAGE);
	err = err == OK ? look.error : err;
	bool ok = err == OK && look.offset == FUZZ_PAGE && look.size == FUZZ_PAGE;
	err = err == OK ? bothy_memextent_donate(MEMEXTENT_DONATE_OPTIONS(
							  MEMEXTENT_DONATE_TYPE_TO_CHILD, 0U),
						  p.new_cap, c.new_cap, FUZZ_PAGE, FUZZ_PAGE)
				  .error
			: err;
	ok = ok && err == ERROR_MEMDB_NOT_OWNER;
	for (unsigned i = 0; i < 3U; i++) {
		cap_id_t cap = i == 0U ? as.new_cap : i == 1U ? c.new_cap : p.new_cap;
		error_t made = i == 0U ? as.error : i == 1U ? c.error : p.error;
		if (made == OK) {
			(void)bothy_cspace_delete_cap_from(cs, cap);
		}
	}
	const char *name = error_name(err);
	guest_printf("fuzz: after the run: memextent derive, donate, map, lookup, donate again (%s): "
		     "%s\n",
		     name != NULL ? name : "(not an error code)", ok ? "ok" : "WRONG");
	return ok;
}

static bool
still_serves(void)
{
	bool ok = still_identifies();
	hypercall_partition_create_doorbell_result_t db =
		bothy_partition_create_doorbell(boot.partition_cap, boot.cspace_cap);
	error_t del = ERROR_FAILURE;
	if (db.error == OK) {
		del = bothy_cspace_delete_cap_from(boot.cspace_cap, db.new_cap).error;
	}
	const char *db_name = error_name(db.error), *del_name = error_name(del);
	guest_printf("fuzz: after the run: partition_create_doorbell %s, cspace_delete_cap_from %s\n",
		     db_name != NULL ? db_name : "(not an error code)",
		     db.error != OK ? "not tried" : del_name != NULL ? del_name : "(not an error code)");
	return ok && db.error == OK && del == OK && memory_still_works();
}

/* As a VM the RM built: after the run the RM still answers a VM_GET_VMID round trip on the
 * VM's own queue pair (whatever the run left in its receive queue is drained first), and
 * console_write still refuses this VM. */
static bool
rm_still_serves(void)
{
	static uint8_t drain[RM_RPC_MESSAGE_SIZE];
	unsigned drained = 0;
	for (unsigned quiet = 0; quiet < 1000U;) {
		hypercall_msgqueue_receive_result_t r =
			bothy_msgqueue_receive(rm.link.rx_cap, (uintptr_t)drain, sizeof(drain));
		if (r.error == OK) {
			drained++;
			quiet = 0;
		} else {
			quiet++;
		}
	}
	uint8_t reply[RM_RPC_VMID_REPLY_SIZE];
	uint32_t rm_error = 0xffffffffU;
	size_t len = 0;
	error_t err = rm_client_call(&rm, RM_RPC_VM_GET_VMID, NULL, 0, &rm_error, reply,
				     sizeof(reply), &len);
	uint16_t vmid = len == sizeof(reply) ? (uint16_t)le32_load(&reply[RM_RPC_VMID_REPLY_VMID_OFF])
					     : 0xffffU;
	bool rpc_ok = err == OK && rm_error == RM_OK && vmid == own_vmid;
	guest_printf("fuzz: after the run: RM RPC VM_GET_VMID: transport %d, RM error 0x%x, "
		     "VMID 0x%x (own 0x%x; %u stale fragments drained): %s\n",
		     (int)err, rm_error, vmid, own_vmid, drained, rpc_ok ? "ok" : "WRONG");
	static const char text[] = "x\n";
	error_t cw = bothy_console_write(0U, (uintptr_t)text, sizeof(text) - 1U).error;
	guest_printf("fuzz: after the run: console_write cap 0: %s\n",
		     cw == ERROR_CSPACE_CAP_NULL ? "ok (ERROR_CSPACE_CAP_NULL)" : "WRONG");
	return still_identifies() && rpc_ok && cw == ERROR_CSPACE_CAP_NULL;
}

/* The VM's memory (/memory@...) and the start of its device tree, which ends the memory the
 * fuzzer may hand out as buffers. */
static uint64_t
rm_built_setup(void)
{
	size_t dtb_size = 0;
	const void *dtb = guest_dtb(&dtb_size);
	const char *name = NULL;
	for (unsigned i = 0; fdt_child(dtb, dtb_size, "/", i, &name) == OK; i++) {
		if (strlen(name) < 7U || memcmp(name, "memory@", 7) != 0) {
			continue;
		}
		char path[32];
		const void *reg = NULL;
		size_t len = 0;
		(void)format_buf(path, sizeof(path), "/%s", name);
		if (fdt_get_prop(dtb, dtb_size, path, "reg", &reg, &len) == OK && len == 16U) {
			boot.mem_base = fdt_cell64(reg);
			boot.mem_size = fdt_cell64((const uint8_t *)reg + 8);
		}
	}
	if (boot.mem_size == 0U || vdevice_own_vmid(&own_vmid) != OK ||
	    ipc_wait_init(false) != OK || rm_client_init(&rm) != OK) {
		guest_fail("hvc-fuzz: no memory node, VMID or RM link in the device tree");
	}
	boot.partition_cap = boot.cspace_cap = boot.vcpu_cap = CSPACE_CAP_INVALID;
	boot.console_cap = boot.vic_cap = CSPACE_CAP_INVALID;
	caps_init_rm_link(rm.link.tx_cap, rm.link.rx_cap);
	guest_printf("fuzz: a VM the RM built (VMID 0x%x), with only its RM link caps\n",
		     own_vmid);
	return (uint64_t)(uintptr_t)dtb & ~0xfffUL;
}

void
guest_main(const root_boot_info_t *info)
{
	const uint64_t seed = BOTHY_TEST_SEED, iterations = BOTHY_TEST_ITERATIONS;
	guest_printf("fuzz: seed 0x%lx iterations %lu\n", seed, iterations);
	check_stub_table();
	rng_seed(seed);
	rm_built = info == NULL;
	uint64_t spare_end;
	if (rm_built) {
		spare_end = rm_built_setup();
	} else {
		boot = *info;
		caps_init(&boot);
		spare_end = boot.mem_base + boot.mem_size;
	}
	gen_init(&boot, spare_end);
	hypercall_hypervisor_identify_result_t id = bothy_hypervisor_identify();
	identify[0] = id.hyp_api_info;
	identify[1] = id.api_flags_0;
	identify[2] = id.api_flags_1;
	identify[3] = id.api_flags_2;

	unsigned tenth = 1U;
	for (calls = 0; calls < iterations; calls++) {
		fuzz_call_t c;
		next_call(&c);
		while (tenth <= 10U && (calls + 1U) * 10U >= tenth * iterations) {
			guest_printf("fuzz: %u%% (%lu calls, %u violations, %u caps owned)\n",
				     tenth * 10U, calls + 1U, violations, caps_owned_count());
			tenth++;
		}
	}

	/* Leave the cspace as it was: every cap the fuzzer still owns must delete. */
	while (caps_owned_count() > 0U) {
		fuzz_call_t c;
		delete_owned(&c, caps_pick_owned());
	}
	guest_printf("fuzz: native %lu (%lu outside the ranges), SMCCC %lu (%lu via smc); "
		     "%lu returned OK\n",
		     stats.native, stats.native_outside, stats.smccc, stats.smccc_via_smc, stats.ok);
	guest_printf("fuzz: caps created %u, copied %u, deleted %u; deleted IDs reused %u\n",
		     stats.created, stats.copied, stats.deleted, caps_stale_reuses());
	bool serves = rm_built ? rm_still_serves() : still_serves();
	if (violations == 0U && serves) {
		guest_printf("fuzz: passed (%lu calls, seed 0x%lx)\n", iterations, seed);
		return;
	}
	guest_printf("fuzz: FAILED (%u violations in %lu calls%s, seed 0x%lx)\n", violations,
		     iterations, serves ? "" : ", and the hypervisor no longer serves", seed);
	if (rm_built) {
		return; /* powers off as usual: the test names the failed checks from the lines */
	}
	guest_fail("hvc-fuzz: the hypervisor misbehaved");
}
