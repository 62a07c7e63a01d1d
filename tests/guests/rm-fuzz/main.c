/* main.c - the RM RPC fuzzer: a seeded stream of malformed, broken-off, interleaved and valid
 * fragments on this VM's RM link, each case's replies predicted by a model of the RM's framing
 * (docs/rm-rpc.md) and compared in order, then a final round of correct requests. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bothy_hypercalls.h"
#include "check.h"
#include "counter.h"
#include "gic.h"
#include "guest.h"
#include "ipc_wait.h"
#include "le_bytes.h"
#include "platform_config.h"
#include "rm_client.h"
#include "rm_rpc_abi.h"
#include "util_string.h"
#include "vdevice.h"

#define PREFIX "rm-fuzz"
/* Every case ends with this request, whose sequence number no fuzzed fragment uses: all
 * replies before its reply belong to the case. */
#define SYNC_SEQ 0xffffU
#define SYNC_ID RM_RPC_VM_HOST_GET_TYPE
#define MAX_EXPECTED 32U
#define MAX_VIOLATIONS_SHOWN 10U
#define REPORTS 10U /* progress lines per run */
/* An ID in the VM family that Gunyah does not define. */
#define UNKNOWN_ID_FAMILY 0x56000000U
/* Requests in a burst, sent before any reply is read: more than the RM's queue to this VM
 * holds (RM_QUEUE_DEPTH, 8), so the RM must keep the rest and send them as the queue drains;
 * at most MAX_EXPECTED with the sync request. */
#define BURST_MIN 9U
#define BURST_MAX (MAX_EXPECTED - 1U)
_Static_assert(BURST_MIN == 9U && BURST_MAX == 31U, "fixed_bursts names these sizes");
/* How long a case's replies may take in all (the RM answers in microseconds): a reply that
 * never comes fails the run with what did come, instead of hanging it. */
#define REPLY_TIMEOUT_SECONDS 20U
#define CNTV_CTL_ENABLE 1UL

/* What a reply must carry: its header, RM error, and (for valid requests) its data. */
typedef enum { DATA_ANY, DATA_NONE, DATA_VMID, DATA_HOST_TYPE, DATA_STATE, DATA_RESOURCES } data_t;
typedef struct {
	uint16_t seq;
	uint32_t msg_id, error;
	data_t data;
	uint32_t value; /* DATA_STATE: vm_state | os_state << 8 | app_status << 16 */
} expect_t;

static rm_client_t rm;
static uint16_t vmid;
static uint64_t state;
static expect_t expected[MAX_EXPECTED];
static unsigned n_expected;
static uint64_t messages, cases, violations, refused_oversized, bursts;
static uint8_t os_state, vm_state;
static uint16_t app_status;
static uint8_t resources[RM_RPC_MAX_PAYLOAD];
static size_t resources_len;
static rm_message_t reply;

/* --- the deterministic stream (xorshift64*, seeded through splitmix64) ---------------------- */

static void
rng_seed(uint64_t seed)
{
	uint64_t z = seed + 0x9e3779b97f4a7c15UL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
	z ^= z >> 31;
	state = z != 0U ? z : 1U;
}

static uint64_t
rng(void)
{
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return state * 0x2545f4914f6cdd1dUL;
}

static uint32_t
below(uint32_t bound)
{
	return (uint32_t)((rng() >> 11) % bound);
}

/* A sequence number a fuzzed fragment may carry (never SYNC_SEQ). */
static uint16_t
fuzz_seq(void)
{
	return (uint16_t)below(SYNC_SEQ);
}

static bool
implemented(uint32_t id)
{
#define IS(name, mid, size) || id == (mid)
	return false RM_RPC_IMPLEMENTED_REQUESTS(IS);
#undef IS
}

/* The payload size the RM requires of an implemented request (the fixed part, for
 * VM_CONSOLE_WRITE). */
static size_t
required_size(uint32_t id)
{
#define SIZE(name, mid, size) if (id == (mid)) { return (size); }
	RM_RPC_IMPLEMENTED_REQUESTS(SIZE)
#undef SIZE
	return 0;
}

static uint32_t
unknown_id(void)
{
	for (;;) {
		uint32_t id = below(2U) == 0U ? (uint32_t)rng() : UNKNOWN_ID_FAMILY | below(0x100U);
		if (!implemented(id)) {
			return id;
		}
	}
}

/* --- fragments and expectations ------------------------------------------------------------- */

static void
expect(uint16_t seq, uint32_t msg_id, uint32_t error, data_t data, uint32_t value)
{
	if (n_expected == MAX_EXPECTED) {
		guest_fail("rm-fuzz: too many replies expected in one case");
	}
	expected[n_expected++] = (expect_t){ seq, msg_id, error, data, value };
}

static void
send_raw(const uint8_t *frag, size_t len, bool push)
{
	error_t err = rm_client_send_fragment(&rm, frag, len, push);
	if (err != OK) {
		guest_printf("%s: send of %lu bytes: error %d\n", PREFIX, len, (int)err);
		guest_fail("rm-fuzz: the RM link refused a fragment");
	}
	messages++;
}

static void
fragment(uint8_t api, uint8_t type, uint8_t continuations, uint16_t seq, uint32_t msg_id,
	 const uint8_t *payload, size_t len, bool push)
{
	uint8_t f[RM_RPC_MESSAGE_SIZE];
	f[RM_RPC_HEADER_API_OFF] = api;
	f[RM_RPC_HEADER_TYPE_OFF] = (uint8_t)(type | continuations << RM_RPC_TYPE_BITS);
	le16_store(&f[RM_RPC_HEADER_SEQ_OFF], seq);
	le32_store(&f[RM_RPC_HEADER_MSG_ID_OFF], msg_id);
	memcpy(&f[RM_RPC_HEADER_SIZE], payload, len);
	send_raw(f, RM_RPC_HEADER_SIZE + len, push);
}

static uint8_t junk[RM_RPC_MAX_PAYLOAD];

static void
fill_junk(size_t len)
{
	for (size_t i = 0; i < len; i++) {
		junk[i] = (uint8_t)rng();
	}
}

/* A well-formed request: Gunyah's fragmentation of `len` bytes. */
static void
request(uint16_t seq, uint32_t msg_id, const uint8_t *payload, size_t len)
{
	size_t frags = len == 0U ? 1U : (len + RM_RPC_FRAGMENT_PAYLOAD - 1U) / RM_RPC_FRAGMENT_PAYLOAD;
	for (size_t i = 0; i < frags; i++) {
		size_t off = i * RM_RPC_FRAGMENT_PAYLOAD;
		size_t n = len - off < RM_RPC_FRAGMENT_PAYLOAD ? len - off : RM_RPC_FRAGMENT_PAYLOAD;
		fragment(RM_RPC_API_BYTE, i == 0U ? RM_RPC_TYPE_REQUEST : RM_RPC_TYPE_CONTINUED,
			 (uint8_t)(frags - 1U), seq, msg_id, payload + off, n, i + 1U == frags);
	}
}

static uint32_t
state_word(void)
{
	return vm_state | (uint32_t)os_state << 8 | (uint32_t)app_status << 16;
}

/* One valid request with sequence number `seq`, and the reply the model predicts. */
static void
valid_request(uint16_t seq)
{
	uint8_t p[RM_RPC_VMID_REQUEST_SIZE] = { 0 };
	switch (below(8U)) {
	case 0:
		request(seq, RM_RPC_VM_GET_VMID, NULL, 0);
		expect(seq, RM_RPC_VM_GET_VMID, RM_OK, DATA_VMID, vmid);
		break;
	case 1:
		request(seq, RM_RPC_VM_HOST_GET_TYPE, NULL, 0);
		expect(seq, RM_RPC_VM_HOST_GET_TYPE, RM_OK, DATA_HOST_TYPE, RM_HOST_TYPE);
		break;
	case 2:
		le16_store(&p[RM_RPC_VMID_REQUEST_VMID_OFF], below(2U) == 0U ? 0U : vmid);
		request(seq, RM_RPC_VM_GET_STATE, p, sizeof(p));
		expect(seq, RM_RPC_VM_GET_STATE, RM_OK, DATA_STATE, state_word());
		break;
	case 3:
		request(seq, RM_RPC_VM_GET_HYP_RESOURCES, p, sizeof(p));
		expect(seq, RM_RPC_VM_GET_HYP_RESOURCES, RM_OK, DATA_RESOURCES, 0);
		break;
	case 4: {
		uint8_t st[RM_RPC_VM_SET_STATUS_REQUEST_SIZE];
		uint8_t os = (uint8_t)(RM_OS_STATE_BOOT + below(3U));
		uint16_t app = (uint16_t)rng();
		st[RM_RPC_VM_SET_STATUS_REQUEST_VM_STATUS_OFF] = RM_VM_STATE_NONE;
		st[RM_RPC_VM_SET_STATUS_REQUEST_OS_STATUS_OFF] = os;
		le16_store(&st[RM_RPC_VM_SET_STATUS_REQUEST_APP_STATUS_OFF], app);
		request(seq, RM_RPC_VM_SET_STATUS, st, sizeof(st));
		expect(seq, RM_RPC_VM_SET_STATUS, RM_OK, DATA_NONE, 0);
		os_state = os;
		app_status = app;
		break;
	}
	case 5: {
		/* VM_ALLOCATE that changes nothing: a VMID outside the dynamic range, or a
		 * reserved field set (this VM is the primary, which may allocate). */
		uint16_t wanted;
		do {
			wanted = (uint16_t)rng();
		} while (wanted == 0U ||
			 (wanted >= RM_VMID_DYNAMIC_FIRST && wanted <= RM_VMID_DYNAMIC_LAST));
		bool res0 = below(2U) == 0U;
		le16_store(&p[RM_RPC_VMID_REQUEST_VMID_OFF], res0 ? 0U : wanted);
		le16_store(&p[RM_RPC_VMID_REQUEST_RES0_OFF], res0 ? 1U : 0U);
		request(seq, RM_RPC_VM_ALLOCATE, p, sizeof(p));
		expect(seq, RM_RPC_VM_ALLOCATE, res0 ? RM_ERROR_MSG_INVALID : RM_ERROR_VMID_INVALID,
		       DATA_NONE, 0);
		break;
	}
	case 6: {
		/* VM_DEALLOCATE that changes nothing: of itself (by 0 or its VMID; a VM never
		 * owns itself), of a VM that does not exist, or with a reserved field set. */
		unsigned what = (unsigned)below(4U);
		static const uint32_t errors[] = { RM_ERROR_DENIED, RM_ERROR_DENIED,
						   RM_ERROR_VMID_INVALID, RM_ERROR_MSG_INVALID };
		le16_store(&p[RM_RPC_VMID_REQUEST_VMID_OFF],
			   what == 0U ? 0U : what == 2U ? 0x1234U : vmid);
		le16_store(&p[RM_RPC_VMID_REQUEST_RES0_OFF], what == 3U ? 1U : 0U);
		request(seq, RM_RPC_VM_DEALLOCATE, p, sizeof(p));
		expect(seq, RM_RPC_VM_DEALLOCATE, errors[what], DATA_NONE, 0);
		break;
	}
	default:
		/* Reserved field set, or a VM that does not exist. */
		le16_store(&p[RM_RPC_VMID_REQUEST_VMID_OFF], below(2U) == 0U ? 0U : 0x1234U);
		le16_store(&p[RM_RPC_VMID_REQUEST_RES0_OFF], p[0] == 0U ? 1U : 0U);
		request(seq, RM_RPC_VM_GET_STATE, p, sizeof(p));
		expect(seq, RM_RPC_VM_GET_STATE,
		       p[0] == 0U ? RM_ERROR_MSG_INVALID : RM_ERROR_VMID_INVALID, DATA_NONE, 0);
		break;
	}
}

/* The first fragment of a request announcing `k` continuations, left open. */
static void
open_request(uint16_t seq, uint32_t msg_id, uint8_t k)
{
	fill_junk(RM_RPC_FRAGMENT_PAYLOAD);
	fragment(RM_RPC_API_BYTE, RM_RPC_TYPE_REQUEST, k, seq, msg_id, junk, RM_RPC_FRAGMENT_PAYLOAD,
		 false);
}

/* A fragment that breaks off any request being put together, and gets no reply itself. */
static void
garbage_fragment(void)
{
	size_t len = below(RM_RPC_FRAGMENT_PAYLOAD + 1U);
	fill_junk(len);
	switch (below(3U)) {
	case 0: /* bad API byte */
		fragment((uint8_t)(RM_RPC_API_BYTE + 1U + below(255U)), (uint8_t)below(4U),
			 (uint8_t)below(64U), fuzz_seq(), (uint32_t)rng(), junk, len, true);
		break;
	case 1: { /* shorter than the header */
		uint8_t f[RM_RPC_HEADER_SIZE];
		f[0] = RM_RPC_API_BYTE;
		for (size_t i = 1; i < sizeof(f); i++) {
			f[i] = (uint8_t)rng();
		}
		send_raw(f, below(RM_RPC_HEADER_SIZE), true);
		break;
	}
	default: /* a reply or a notification sent to the RM */
		fragment(RM_RPC_API_BYTE,
			 below(2U) == 0U ? RM_RPC_TYPE_REPLY : RM_RPC_TYPE_NOTIFICATION,
			 (uint8_t)below(RM_RPC_MAX_CONTINUATIONS + 1U), fuzz_seq(), (uint32_t)rng(),
			 junk, len, true);
		break;
	}
}

/* --- the cases ------------------------------------------------------------------------------ */

/* `n` valid single-fragment requests with consecutive sequence numbers, back to back: their
 * replies must come back each once and in order (sync_and_compare reads none before). */
static void
burst(unsigned n)
{
	uint16_t first = (uint16_t)below(SYNC_SEQ - n);
	for (unsigned i = 0; i < n; i++) {
		valid_request((uint16_t)(first + i));
	}
}

static void
fuzz_case(void)
{
	uint16_t seq = fuzz_seq();
	uint8_t k;
	size_t len;
	switch (below(13U)) {
	case 0:
	case 1:
		garbage_fragment();
		break;
	case 2: /* a continuation of nothing */
		len = below(RM_RPC_FRAGMENT_PAYLOAD + 1U);
		fill_junk(len);
		fragment(RM_RPC_API_BYTE, RM_RPC_TYPE_CONTINUED, (uint8_t)below(64U), seq,
			 (uint32_t)rng(), junk, len, true);
		break;
	case 3: { /* more continuations than a message may have */
		uint32_t id = below(2U) == 0U ? unknown_id() : RM_RPC_VM_GET_VMID;
		fill_junk(8);
		fragment(RM_RPC_API_BYTE, RM_RPC_TYPE_REQUEST, RM_RPC_MAX_CONTINUATIONS + 1U, seq, id,
			 junk, below(9U), true);
		expect(seq, id, RM_ERROR_MSG_INVALID, DATA_NONE, 0);
		break;
	}
	case 4: { /* an unknown ID, in up to 4 fragments */
		uint32_t id = unknown_id();
		len = below(4U * RM_RPC_FRAGMENT_PAYLOAD + 1U);
		fill_junk(len);
		request(seq, id, junk, len);
		expect(seq, id, RM_ERROR_UNIMPLEMENTED, DATA_NONE, 0);
		break;
	}
	case 5: { /* an implemented ID with the wrong payload size */
		static const uint32_t ids[] = { RM_RPC_VM_GET_VMID, RM_RPC_VM_HOST_GET_TYPE,
						RM_RPC_VM_GET_STATE, RM_RPC_VM_GET_HYP_RESOURCES,
						RM_RPC_VM_SET_STATUS, RM_RPC_VM_CONSOLE_FLUSH,
						RM_RPC_VM_ALLOCATE, RM_RPC_VM_DEALLOCATE };
		uint32_t id = ids[below(sizeof(ids) / sizeof(ids[0]))];
		do {
			len = below(3U * RM_RPC_FRAGMENT_PAYLOAD);
		} while (len == required_size(id));
		fill_junk(len);
		request(seq, id, junk, len);
		expect(seq, id, RM_ERROR_MSG_INVALID, DATA_NONE, 0);
		break;
	}
	case 6: { /* VM_CONSOLE_WRITE whose num_bytes disagrees with its size (prints nothing) */
		len = RM_RPC_CONSOLE_WRITE_REQUEST_SIZE + below(2U * RM_RPC_FRAGMENT_PAYLOAD);
		fill_junk(len);
		size_t bytes = len - RM_RPC_CONSOLE_WRITE_REQUEST_SIZE;
		le16_store(&junk[RM_RPC_CONSOLE_WRITE_REQUEST_NUM_BYTES_OFF],
			   (uint16_t)(bytes + 1U + below(100U)));
		request(seq, RM_RPC_VM_CONSOLE_WRITE, junk, len);
		expect(seq, RM_RPC_VM_CONSOLE_WRITE, RM_ERROR_MSG_INVALID, DATA_NONE, 0);
		break;
	}
	case 7: { /* broken off by a new request: the old one is answered MSG_INVALID */
		uint32_t id = below(2U) == 0U ? unknown_id() : RM_RPC_VM_GET_STATE;
		k = (uint8_t)(1U + below(4U));
		open_request(seq, id, k);
		for (unsigned i = below(k); i > 0U; i--) {
			fragment(RM_RPC_API_BYTE, RM_RPC_TYPE_CONTINUED, k, seq, id, junk, 16, false);
		}
		expect(seq, id, RM_ERROR_MSG_INVALID, DATA_NONE, 0);
		valid_request(fuzz_seq());
		break;
	}
	case 8: { /* a continuation of another message; the rest of the first are orphans */
		uint32_t id = unknown_id();
		k = (uint8_t)(2U + below(3U));
		open_request(seq, id, k);
		unsigned which = below(3U);
		fragment(RM_RPC_API_BYTE, RM_RPC_TYPE_CONTINUED, which == 0U ? (uint8_t)(k + 1U) : k,
			 which == 1U ? (uint16_t)(seq ^ 1U) : seq, which == 2U ? id ^ 1U : id, junk, 32,
			 false);
		expect(seq, id, RM_ERROR_MSG_INVALID, DATA_NONE, 0);
		for (unsigned i = 1; i < k; i++) {
			fragment(RM_RPC_API_BYTE, RM_RPC_TYPE_CONTINUED, k, seq, id, junk, 32, i + 1U == k);
		}
		break;
	}
	case 9: { /* broken off by a fragment that is not a request */
		uint32_t id = unknown_id();
		k = (uint8_t)(1U + below(3U));
		open_request(seq, id, k);
		garbage_fragment();
		expect(seq, id, RM_ERROR_MSG_INVALID, DATA_NONE, 0);
		break;
	}
	case 10: /* more requests than the RM's queue to this VM holds, none read in between */
		burst(BURST_MIN + below(BURST_MAX - BURST_MIN + 1U));
		bursts++;
		break;
	default: /* valid requests back to back, sequence numbers in any order, repeats too */
		for (unsigned i = 1U + below(4U); i > 0U; i--) {
			valid_request(below(4U) == 0U ? seq : fuzz_seq());
		}
		break;
	}
}

/* A send of more than RM_RPC_MESSAGE_SIZE bytes: the hypervisor refuses it, nothing arrives. */
static void
oversized_send(void)
{
	static uint8_t big[RM_RPC_MESSAGE_SIZE + 16U];
	size_t len = RM_RPC_MESSAGE_SIZE + 1U + below(16U);
	error_t err = bothy_msgqueue_send(rm.link.tx_cap, len, (uintptr_t)big, MSGQUEUE_SEND_PUSH).error;
	refused_oversized += err == ERROR_ARGUMENT_SIZE;
	if (err != ERROR_ARGUMENT_SIZE) {
		violations++;
		guest_printf("%s: violation: a %lu-byte send returned %d, not ERROR_ARGUMENT_SIZE\n",
			     PREFIX, len, (int)err);
	}
}

static bool
data_ok(const expect_t *e, const rm_message_t *m)
{
	const uint8_t *d = &m->payload[RM_RPC_REPLY_SIZE];
	size_t n = m->len - RM_RPC_REPLY_SIZE;
	switch (e->data) {
	case DATA_ANY:
		return true;
	case DATA_NONE:
		return n == 0U;
	case DATA_VMID:
	case DATA_HOST_TYPE:
	case DATA_STATE:
		return n == 4U && le32_load(d) == e->value;
	case DATA_RESOURCES:
		return n == resources_len && memcmp(d, resources, n) == 0;
	}
	return false;
}

static void
violation(unsigned index, const char *what)
{
	if (violations++ < MAX_VIOLATIONS_SHOWN) {
		const expect_t *e = index < n_expected ? &expected[index] : NULL;
		guest_printf("%s: violation in case %lu, reply %u: %s (got type %u seq %u msg 0x%x "
			     "len %lu error 0x%x; expected seq %u msg 0x%x error 0x%x)\n",
			     PREFIX, cases, index, what, reply.type, reply.seq, reply.msg_id, reply.len,
			     reply.len >= RM_RPC_REPLY_SIZE ? le32_load(reply.payload) : 0U,
			     e != NULL ? e->seq : 0U, e != NULL ? e->msg_id : 0U,
			     e != NULL ? e->error : 0U);
	}
}

/* The next message into `reply`, or false once the virtual counter passes `deadline`, for
 * which the caller armed the virtual timer: it ends the WFI if the RM never sends again. */
static bool
receive_by(uint64_t deadline)
{
	for (;;) {
		error_t err = rm_client_receive(&rm, &reply, false);
		if (err == OK) {
			return true;
		}
		if (err != ERROR_MSGQUEUE_EMPTY) {
			guest_fail("rm-fuzz: receive failed");
		}
		if (guest_counter() >= deadline) {
			return false;
		}
		__asm__ volatile("dsb sy\n\twfi" : : : "memory");
		/* Acknowledges what woke us (the receive edge is remembered for later waits). */
		(void)ipc_wait_poll(rm.link.rx_intid);
	}
}

/* Sends the sync request, then compares every reply up to its reply with the expectations.
 * Returns how many replies the case had (the sync reply included). */
static unsigned
sync_and_compare(void)
{
	request(SYNC_SEQ, SYNC_ID, NULL, 0);
	expect(SYNC_SEQ, SYNC_ID, RM_OK, DATA_HOST_TYPE, RM_HOST_TYPE);
	uint64_t deadline = guest_counter() + REPLY_TIMEOUT_SECONDS * guest_counter_hz();
	__asm__ volatile("msr cntv_cval_el0, %0\n\tmsr cntv_ctl_el0, %1\n\tisb"
			 : : "r"(deadline), "r"(CNTV_CTL_ENABLE));
	unsigned i = 0;
	for (;;) {
		if (!receive_by(deadline)) {
			guest_printf("%s: case %lu: %u of %u replies came; no more in %u s\n", PREFIX,
				     cases, i, n_expected, REPLY_TIMEOUT_SECONDS);
			guest_fail("rm-fuzz: the RM stopped answering");
		}
		if (reply.type == RM_RPC_TYPE_NOTIFICATION) {
			rm.notifications++;
			continue;
		}
		bool last = reply.type == RM_RPC_TYPE_REPLY && reply.seq == SYNC_SEQ &&
			    reply.msg_id == SYNC_ID;
		if (i >= n_expected - 1U && !last) {
			violation(i, "a reply the model does not expect");
		} else if (last && i != n_expected - 1U) {
			violation(i, "the sync reply came before expected replies");
		} else {
			const expect_t *e = &expected[i];
			if (reply.type != RM_RPC_TYPE_REPLY || reply.seq != e->seq ||
			    reply.msg_id != e->msg_id || reply.len < RM_RPC_REPLY_SIZE ||
			    le32_load(reply.payload) != e->error || !data_ok(e, &reply)) {
				violation(i, "wrong reply");
			}
		}
		i++;
		if (last) {
			break;
		}
	}
	/* Stopped before the deadline: its interrupt never became pending. */
	__asm__ volatile("msr cntv_ctl_el0, xzr\n\tisb");
	n_expected = 0;
	return i;
}

/* --- set-up, the run, and the checks after it ---------------------------------------------- */

static uint32_t
call(uint32_t msg_id, const void *payload, size_t len, void *out, size_t max, size_t *out_len)
{
	uint32_t rm_error = 0;
	if (rm_client_call(&rm, msg_id, payload, len, &rm_error, out, max, out_len) != OK) {
		guest_fail("rm-fuzz: RM RPC transport failed");
	}
	return rm_error;
}

static void
baseline(void)
{
	uint8_t req[RM_RPC_VMID_REQUEST_SIZE] = { 0 };
	uint8_t out[RM_RPC_VM_STATE_REPLY_SIZE];
	size_t n;
	if (call(RM_RPC_VM_GET_HYP_RESOURCES, req, sizeof(req), resources, sizeof(resources),
		 &resources_len) != RM_OK ||
	    call(RM_RPC_VM_GET_STATE, req, sizeof(req), out, sizeof(out), &n) != RM_OK || n != 4U) {
		guest_fail("rm-fuzz: the RM does not answer the baseline requests");
	}
	vm_state = out[RM_RPC_VM_STATE_REPLY_VM_STATE_OFF];
	os_state = out[RM_RPC_VM_STATE_REPLY_OS_STATE_OFF];
	app_status = le16_load(&out[RM_RPC_VM_STATE_REPLY_APP_STATUS_OFF]);
}

/* Bursts of fixed sizes, whatever the seed: one past the queue's depth (as first reported:
 * 9 requests and the sync), two queues' worth, and the most a case may expect. */
static void
fixed_bursts(void)
{
	static const struct {
		unsigned n;
		const char *what;
	} sizes[] = {
		{ BURST_MIN, "burst of 9 requests, none read: violations" },
		{ 16U, "burst of 16 requests, none read: violations" },
		{ BURST_MAX, "burst of 31 requests, none read: violations" },
	};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t before = violations;
		burst(sizes[i].n);
		unsigned replies = sync_and_compare();
		cases++;
		guest_printf("%s: burst of %u requests and a sync: %u replies\n", PREFIX, sizes[i].n,
			     replies);
		check_value(sizes[i].what, violations - before, 0);
	}
}

static void
final_checks(void)
{
	uint8_t out[RM_RPC_MAX_PAYLOAD];
	uint8_t req[RM_RPC_VMID_REQUEST_SIZE] = { 0 };
	size_t n;
	check_value("after the run: VM_GET_VMID", call(RM_RPC_VM_GET_VMID, NULL, 0, out, 4, &n), RM_OK);
	check_value("after the run: VM_GET_VMID = own VMID", le32_load(out), vmid);
	check_value("after the run: VM_HOST_GET_TYPE",
		    call(RM_RPC_VM_HOST_GET_TYPE, NULL, 0, out, 4, &n) == RM_OK ? le32_load(out) : 0U,
		    RM_HOST_TYPE);
	check_value("after the run: VM_GET_STATE",
		    call(RM_RPC_VM_GET_STATE, req, sizeof(req), out, 4, &n) == RM_OK ? le32_load(out)
										: 0U,
		    state_word());
	check_value("after the run: VM_GET_HYP_RESOURCES unchanged",
		    call(RM_RPC_VM_GET_HYP_RESOURCES, req, sizeof(req), out, sizeof(out), &n) == RM_OK &&
			    n == resources_len && memcmp(out, resources, n) == 0,
		    1);
	check_value("after the run: unknown ID", call(UNKNOWN_ID_FAMILY | 0xffU, NULL, 0, out, 0, &n),
		    RM_ERROR_UNIMPLEMENTED);
	/* A whole VM_ALLOCATE / VM_DEALLOCATE round, alone in the system: the first dynamic
	 * VMID, in state LOAD, owned by this VM; freed once, then unknown. */
	le16_store(&req[RM_RPC_VMID_REQUEST_VMID_OFF], 0);
	uint32_t alloc_err = call(RM_RPC_VM_ALLOCATE, req, sizeof(req), out, 4, &n);
	check_value("after the run: VM_ALLOCATE", alloc_err, RM_OK);
	uint16_t dyn = alloc_err == RM_OK && n == 4U ? le16_load(out) : 0U;
	check_value("after the run: VM_ALLOCATE gives the first dynamic VMID", dyn,
		    RM_VMID_DYNAMIC_FIRST);
	le16_store(&req[RM_RPC_VMID_REQUEST_VMID_OFF], dyn);
	check_value("after the run: VM_GET_STATE of the new VM is LOAD",
		    call(RM_RPC_VM_GET_STATE, req, sizeof(req), out, 4, &n) == RM_OK ? le32_load(out)
										: 0xffU,
		    RM_VM_STATE_LOAD);
	check_value("after the run: VM_DEALLOCATE of the new VM",
		    call(RM_RPC_VM_DEALLOCATE, req, sizeof(req), out, 0, &n), RM_OK);
	check_value("after the run: VM_DEALLOCATE again: no such VM",
		    call(RM_RPC_VM_DEALLOCATE, req, sizeof(req), out, 0, &n), RM_ERROR_VMID_INVALID);
	le16_store(&req[RM_RPC_VMID_REQUEST_VMID_OFF], 0);
	check_value("model violations", violations, 0);
	check_value("hypervisor refused every oversized send", refused_oversized > 0U, 1);
	check_value("notifications (this VM owns none)", rm.notifications, 0);
}

void
guest_main(const root_boot_info_t *info)
{
	(void)info;
	check_begin(PREFIX);
	if (guest_is_root_vm() || vdevice_own_vmid(&vmid) != OK) {
		guest_fail("rm-fuzz runs in a VM the RM builds");
	}
	if (ipc_wait_init(true) != OK || rm_client_init(&rm) != OK ||
	    gic_enable(PLATFORM_TIMER_VIRTUAL_PPI) != OK) {
		guest_fail("rm-fuzz: no GIC or no RM link");
	}
	uint64_t seed = BOTHY_TEST_SEED, target = BOTHY_TEST_ITERATIONS;
	guest_printf("%s: seed 0x%lx, at least %lu messages\n", PREFIX, seed, target);
	rng_seed(seed);
	baseline();
	fixed_bursts();
	uint64_t next_report = target / REPORTS;
	while (messages < target) {
		if (below(50U) == 0U) {
			oversized_send();
		}
		fuzz_case();
		sync_and_compare();
		cases++;
		if (messages >= next_report) {
			guest_printf("%s: %lu messages, %lu cases, %lu violations\n", PREFIX, messages,
				     cases, violations);
			next_report += target / REPORTS;
		}
	}
	guest_printf("%s: done: %lu messages in %lu cases, %lu bursts, %lu oversized sends refused, "
		     "%lu fragments sent into a full queue, %lu violations\n",
		     PREFIX, messages, cases, bursts, refused_oversized, rm.tx_full, violations);
	final_checks();
	(void)check_end();
}
