/* rpc_fixture.c - the stand-ins and helpers of rpc_fixture.h: captured fragments, fake RM
 * hooks, a framing-checking reader, and the fuzz generator with its reply invariants. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "le_bytes.h"
#include "rpc_fixture.h"
#include "unit.h"

unsigned fx_log_lines;
char fx_last_log[256];
uint8_t fx_console[RM_RPC_MAX_PAYLOAD];
size_t fx_console_len;
const rm_vm_t *fx_console_vm;

void
rm_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(fx_last_log, sizeof(fx_last_log), fmt, ap);
	va_end(ap);
	fx_log_lines++;
	if (getenv("FX_SHOW_LOG") != NULL) {
		printf("log: %s\n", fx_last_log);
	}
}

void
rm_console_write(const rm_vm_t *vm, const char *bytes, size_t len)
{
	CHECK(len <= sizeof(fx_console));
	if (fx_console_len + len > sizeof(fx_console)) {
		fx_console_len = 0; /* long runs (fuzzing): keep only the latest writes */
	}
	memcpy(&fx_console[fx_console_len], bytes, len);
	fx_console_len += len;
	fx_console_vm = vm;
}

void
fx_reset_captures(void)
{
	fx_log_lines = 0;
	fx_last_log[0] = '\0';
	fx_console_len = 0;
	fx_console_vm = NULL;
}

error_t
fx_send(void *ctx, const void *frag, size_t len, bool push)
{
	fx_queue_t *q = ctx;
	q->sends++;
	CHECK(len >= RM_RPC_HEADER_SIZE && len <= RM_RPC_MESSAGE_SIZE);
	if (q->fail_once != OK) {
		error_t err = q->fail_once;
		q->fail_once = OK;
		return err;
	}
	if (q->full) {
		return ERROR_MSGQUEUE_FULL;
	}
	CHECK(q->count < FX_MAX_FRAGS);
	memcpy(q->bytes[q->count], frag, len);
	q->len[q->count] = len;
	q->push[q->count] = push;
	q->count++;
	return OK;
}

void
fx_queue_reset(fx_queue_t *q)
{
	q->count = 0;
	q->taken = 0;
}

unsigned
fx_pending_fragments(const fx_queue_t *q)
{
	return q->count - q->taken;
}

bool
fx_next_message(fx_queue_t *q, fx_msg_t *m)
{
	if (q->taken == q->count) {
		return false;
	}
	unsigned first = q->taken;
	const uint8_t *h = q->bytes[first];
	uint8_t continuations = h[RM_RPC_HEADER_TYPE_OFF] >> RM_RPC_TYPE_BITS;
	m->type = h[RM_RPC_HEADER_TYPE_OFF] & RM_RPC_TYPE_MASK;
	m->seq = le16_load(&h[RM_RPC_HEADER_SEQ_OFF]);
	m->msg_id = le32_load(&h[RM_RPC_HEADER_MSG_ID_OFF]);
	m->fragments = continuations + 1U;
	m->len = 0;
	CHECK(m->type == RM_RPC_TYPE_REPLY || m->type == RM_RPC_TYPE_NOTIFICATION);
	CHECK(continuations <= RM_RPC_MAX_CONTINUATIONS);
	CHECK(first + m->fragments <= q->count);
	for (unsigned i = 0; i < m->fragments; i++) {
		const uint8_t *f = q->bytes[first + i];
		size_t len = q->len[first + i];
		bool last = i + 1U == m->fragments;
		CHECK_EQ(f[RM_RPC_HEADER_API_OFF], RM_RPC_API_BYTE);
		CHECK_EQ(f[RM_RPC_HEADER_TYPE_OFF] & RM_RPC_TYPE_MASK,
			 i == 0U ? m->type : RM_RPC_TYPE_CONTINUED);
		CHECK_EQ(f[RM_RPC_HEADER_TYPE_OFF] >> RM_RPC_TYPE_BITS, continuations);
		CHECK_EQ(le16_load(&f[RM_RPC_HEADER_SEQ_OFF]), m->seq);
		CHECK_EQ(le32_load(&f[RM_RPC_HEADER_MSG_ID_OFF]), m->msg_id);
		CHECK_EQ(q->push[first + i], last);
		if (!last) {
			CHECK_EQ(len, RM_RPC_MESSAGE_SIZE);
		} else {
			CHECK(m->fragments == 1U || len > RM_RPC_HEADER_SIZE);
		}
		memcpy(&m->payload[m->len], &f[RM_RPC_HEADER_SIZE], len - RM_RPC_HEADER_SIZE);
		m->len += len - RM_RPC_HEADER_SIZE;
	}
	if (m->type == RM_RPC_TYPE_REPLY) {
		CHECK(m->len >= RM_RPC_REPLY_SIZE);
	}
	q->taken += m->fragments;
	return true;
}

void
fx_header(uint8_t *frag, uint8_t api, uint8_t type, uint8_t continuations, uint16_t seq,
	  uint32_t msg_id)
{
	frag[RM_RPC_HEADER_API_OFF] = api;
	frag[RM_RPC_HEADER_TYPE_OFF] = (uint8_t)(type | continuations << RM_RPC_TYPE_BITS);
	le16_store(&frag[RM_RPC_HEADER_SEQ_OFF], seq);
	le32_store(&frag[RM_RPC_HEADER_MSG_ID_OFF], msg_id);
}

void
fx_request(rpc_client_t *c, uint16_t seq, uint32_t msg_id, const void *payload, size_t len)
{
	size_t frags = len == 0 ? 1 : (len + RM_RPC_FRAGMENT_PAYLOAD - 1) / RM_RPC_FRAGMENT_PAYLOAD;
	for (size_t i = 0; i < frags; i++) {
		uint8_t frag[RM_RPC_MESSAGE_SIZE];
		size_t off = i * RM_RPC_FRAGMENT_PAYLOAD;
		size_t n = len - off < RM_RPC_FRAGMENT_PAYLOAD ? len - off : RM_RPC_FRAGMENT_PAYLOAD;
		fx_header(frag, RM_RPC_API_BYTE, i == 0 ? RM_RPC_TYPE_REQUEST : RM_RPC_TYPE_CONTINUED,
			  (uint8_t)(frags - 1), seq, msg_id);
		if (n > 0) {
			memcpy(&frag[RM_RPC_HEADER_SIZE], (const uint8_t *)payload + off, n);
		}
		rpc_client_receive(c, frag, RM_RPC_HEADER_SIZE + n);
	}
}

/* --- fuzzing ----------------------------------------------------------------------------------- */

#define FUZZ_CLIENTS 2U
#define FUZZ_MAX_PENDING 4096U

typedef struct {
	rpc_client_t client;
	fx_queue_t queue;
	/* REQUEST headers sent and not answered yet, oldest first. */
	uint16_t pending_seq[FUZZ_MAX_PENDING];
	uint32_t pending_id[FUZZ_MAX_PENDING];
	unsigned pending_head, pending_count;
} fuzz_client_t;

static fuzz_client_t fuzz_clients[FUZZ_CLIENTS];

static const uint32_t fuzz_ids[] = {
	RM_RPC_VM_GET_VMID,	  RM_RPC_VM_GET_STATE,	    RM_RPC_VM_HOST_GET_TYPE,
	RM_RPC_VM_SET_STATUS,	  RM_RPC_VM_GET_HYP_RESOURCES, RM_RPC_VM_CONSOLE_OPEN,
	RM_RPC_VM_CONSOLE_CLOSE, RM_RPC_VM_CONSOLE_WRITE,  RM_RPC_VM_CONSOLE_FLUSH,
	RM_RPC_VM_ALLOCATE,	  RM_RPC_MEM_LEND,	    0x12345678U,
	RM_RPC_NOTIFY_VM_STATUS,
};

/* Checks every fragment the client's queue received since the last call: whole messages,
 * well-formed; each reply answers the oldest unanswered REQUEST header (its seq and ID). */
static fx_msg_t fuzz_msg;

static void
fuzz_check_replies(fuzz_client_t *fc, fx_fuzz_stats_t *stats)
{
	fx_msg_t *m = &fuzz_msg;
	while (fx_next_message(&fc->queue, m)) {
		stats->fragments += m->fragments;
		if (m->type == RM_RPC_TYPE_NOTIFICATION) {
			CHECK_EQ(m->msg_id, RM_RPC_NOTIFY_VM_STATUS);
			CHECK_EQ(m->len, RM_RPC_NOTIFY_VM_STATUS_SIZE);
			continue;
		}
		CHECK(fc->pending_count > 0);
		CHECK_EQ(m->seq, fc->pending_seq[fc->pending_head]);
		CHECK_EQ(m->msg_id, fc->pending_id[fc->pending_head]);
		fc->pending_head = (fc->pending_head + 1) % FUZZ_MAX_PENDING;
		fc->pending_count--;
		stats->replies++;
	}
	fx_queue_reset(&fc->queue);
}

static void
fuzz_deliver(fuzz_client_t *fc, const uint8_t *frag, size_t len, fx_fuzz_stats_t *stats)
{
	/* The model of "a reply is owed": a readable header with the right API byte and type. */
	if (len >= RM_RPC_HEADER_SIZE && frag[RM_RPC_HEADER_API_OFF] == RM_RPC_API_BYTE &&
	    (frag[RM_RPC_HEADER_TYPE_OFF] & RM_RPC_TYPE_MASK) == RM_RPC_TYPE_REQUEST) {
		CHECK(fc->pending_count < FUZZ_MAX_PENDING);
		unsigned tail = (fc->pending_head + fc->pending_count) % FUZZ_MAX_PENDING;
		fc->pending_seq[tail] = le16_load(&frag[RM_RPC_HEADER_SEQ_OFF]);
		fc->pending_id[tail] = le32_load(&frag[RM_RPC_HEADER_MSG_ID_OFF]);
		fc->pending_count++;
		stats->requests_started++;
	}
	stats->fragments_in++;
	rpc_client_receive(&fc->client, frag, len);
	/* Every client's queue: VM_SET_STATUS notifies the owner, which is another client. */
	for (unsigned i = 0; i < FUZZ_CLIENTS; i++) {
		fuzz_check_replies(&fuzz_clients[i], stats);
	}
	/* At most the request being reassembled is still owed a reply. */
	CHECK(fc->pending_count <= (fc->client.rx_active ? 1U : 0U));
}

static void
fuzz_message(fx_source_t src, fx_fuzz_stats_t *stats)
{
	static uint8_t payload[RM_RPC_MAX_PAYLOAD + 2 * RM_RPC_FRAGMENT_PAYLOAD];
	fuzz_client_t *fc = &fuzz_clients[src.below(src.ctx, FUZZ_CLIENTS)];
	uint32_t msg_id = fuzz_ids[src.below(src.ctx, sizeof(fuzz_ids) / sizeof(fuzz_ids[0]))];
	uint16_t seq = (uint16_t)src.below(src.ctx, 8); /* few values: collisions on purpose */
	size_t len;
	switch (src.below(src.ctx, 8)) {
	case 0:
	case 1:
	case 2:
		len = src.below(src.ctx, 9); /* around the fixed sizes */
		break;
	case 3:
	case 4:
	case 5:
		len = src.below(src.ctx, 3 * RM_RPC_FRAGMENT_PAYLOAD);
		break;
	case 6:
		len = src.below(src.ctx, sizeof(payload)); /* up to two fragments too many */
		break;
	default:
		len = RM_RPC_MAX_PAYLOAD - src.below(src.ctx, 2); /* 62 continuations */
		break;
	}
	for (size_t i = 0; i < len && i < 16; i++) {
		payload[i] = (uint8_t)src.below(src.ctx, 4); /* small values: vmid 0..3, open/close */
	}
	if (msg_id == RM_RPC_VM_CONSOLE_WRITE && len >= 4 && src.below(src.ctx, 2) == 0) {
		le16_store(&payload[RM_RPC_CONSOLE_WRITE_REQUEST_NUM_BYTES_OFF], (uint16_t)(len - 4));
	}
	size_t frags = len == 0 ? 1 : (len + RM_RPC_FRAGMENT_PAYLOAD - 1) / RM_RPC_FRAGMENT_PAYLOAD;
	uint64_t breakage = src.below(src.ctx, 24);
	size_t break_at = (size_t)src.below(src.ctx, frags);
	stats->messages++;
	for (size_t i = 0; i < frags; i++) {
		uint8_t frag[RM_RPC_MESSAGE_SIZE + 8];
		size_t off = i * RM_RPC_FRAGMENT_PAYLOAD;
		size_t n = len - off < RM_RPC_FRAGMENT_PAYLOAD ? len - off : RM_RPC_FRAGMENT_PAYLOAD;
		uint8_t api = RM_RPC_API_BYTE;
		uint8_t type = i == 0 ? RM_RPC_TYPE_REQUEST : RM_RPC_TYPE_CONTINUED;
		uint8_t count = (uint8_t)((frags - 1) & 0x3f);
		uint16_t fseq = seq;
		uint32_t fid = msg_id;
		size_t flen = RM_RPC_HEADER_SIZE + n;
		if (i == break_at) {
			switch (breakage) {
			case 0: api = (uint8_t)src.below(src.ctx, 256); break;
			case 1: type = (uint8_t)src.below(src.ctx, 4); break;
			case 2: count = (uint8_t)src.below(src.ctx, 64); break;
			case 3: fseq = (uint16_t)(fseq + 1 + src.below(src.ctx, 3)); break;
			case 4: fid ^= 1U << src.below(src.ctx, 32); break;
			case 5: flen = src.below(src.ctx, RM_RPC_HEADER_SIZE); break;
			case 6: flen = RM_RPC_MESSAGE_SIZE + 1 + src.below(src.ctx, 8); break;
			case 7: continue; /* a lost fragment */
			default: break;	  /* well-formed */
			}
		}
		fx_header(frag, api, type, count, fseq, fid);
		size_t copy = flen > RM_RPC_HEADER_SIZE ? flen - RM_RPC_HEADER_SIZE : 0;
		if (copy > 0) {
			memcpy(&frag[RM_RPC_HEADER_SIZE], payload + off, copy < n ? copy : n);
			if (copy > n) {
				memset(&frag[RM_RPC_HEADER_SIZE + n], 0xa5, copy - n);
			}
		}
		fuzz_deliver(fc, frag, flen, stats);
	}
}

fx_fuzz_stats_t
fx_fuzz_run(fx_source_t src, unsigned steps)
{
	fx_fuzz_stats_t stats = { 0 };
	rm_vm_registry_reset();
	memset(fuzz_clients, 0, sizeof(fuzz_clients));
	static const uint16_t vmids[FUZZ_CLIENTS] = { RM_VMID_HLOS, 0x80 };
	for (unsigned i = 0; i < FUZZ_CLIENTS; i++) {
		rpc_client_init(&fuzz_clients[i].client, vmids[i], fx_send, &fuzz_clients[i].queue);
		rm_vm_t *vm = rm_vm_add(vmids[i], "fuzz", i == 0 ? RM_VMID_RM : RM_VMID_HLOS);
		CHECK(vm != NULL);
		vm->rpc = &fuzz_clients[i].client;
	}
	for (unsigned s = 0; s < steps; s++) {
		fuzz_message(src, &stats);
	}
	/* Whatever came before, a correct VM_GET_VMID gets the correct reply. */
	for (unsigned i = 0; i < FUZZ_CLIENTS; i++) {
		fuzz_client_t *fc = &fuzz_clients[i];
		fx_request(&fc->client, 0x7777, RM_RPC_VM_GET_VMID, NULL, 0);
		fx_msg_t *m = &fuzz_msg;
		/* A request left half-reassembled is answered first, then ours. */
		bool found = false;
		while (fx_next_message(&fc->queue, m)) {
			if (m->type == RM_RPC_TYPE_REPLY && m->seq == 0x7777 && m->msg_id == RM_RPC_VM_GET_VMID) {
				CHECK_EQ(m->len, 8);
				CHECK_EQ(le32_load(&m->payload[0]), RM_OK);
				CHECK_EQ(le32_load(&m->payload[4]), vmids[i]);
				found = true;
			}
		}
		CHECK(found);
		CHECK(!fc->client.rx_active);
		CHECK(rpc_client_idle(&fc->client));
	}
	return stats;
}
