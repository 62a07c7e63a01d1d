/* rpc_transport.c - RM RPC framing for one client: header checks, reassembly of a request's
 * fragments, dispatch by message ID, and replies and notifications fragmented into the outbox. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "le_bytes.h"
#include "rpc.h"
#include "rpc_handlers.h"
#include "util_string.h"
#include "vm_registry.h"

/* --- rate-limited problem reports ---------------------------------------------------------- */

/* Whether the client's next problem may be logged: the first RPC_LOG_BURST are, later ones
 * only as a running count at powers of two, so a flood costs a few lines, not one per message. */
static bool
log_allowed(rpc_client_t *c)
{
	uint32_t n = ++c->log_events;
	if (n <= RPC_LOG_BURST) {
		return true;
	}
	if ((n & (n - 1U)) == 0U) {
		rm_log("rpc: VM %u: %u problems so far (only counts are logged now)",
		       (unsigned)c->vmid, (unsigned)n);
	}
	return false;
}

static void
reject(rpc_client_t *c, const char *why, uint16_t seq, uint32_t msg_id)
{
	c->stats.malformed++;
	if (log_allowed(c)) {
		rm_log("rpc: VM %u: %s (seq %u, msg 0x%x): rejected", (unsigned)c->vmid, why,
		       (unsigned)seq, (unsigned)msg_id);
	}
}

static void
dropped(rpc_client_t *c, const char *why, uint16_t seq, uint32_t msg_id)
{
	c->stats.dropped_messages++;
	if (log_allowed(c)) {
		rm_log("rpc: VM %u: %s: message (seq %u, msg 0x%x) dropped", (unsigned)c->vmid,
		       why, (unsigned)seq, (unsigned)msg_id);
	}
}

/* --- outbox ---------------------------------------------------------------------------------- */

void
rpc_client_init(rpc_client_t *c, uint16_t vmid, rpc_send_fn send, void *ctx)
{
	memset(c, 0, sizeof(*c));
	c->vmid = vmid;
	c->send = send;
	c->ctx = ctx;
}

bool
rpc_client_idle(const rpc_client_t *c)
{
	return c->out_count == 0U;
}

/* Copies `n` bytes at offset `off` of the concatenation a[0..alen) b[0..blen) to dst. */
static void
copy_parts(uint8_t *dst, size_t off, size_t n, const uint8_t *a, size_t alen, const uint8_t *b)
{
	while (n > 0U) {
		size_t chunk;
		if (off < alen) {
			chunk = alen - off < n ? alen - off : n;
			memcpy(dst, a + off, chunk);
		} else {
			chunk = n;
			memcpy(dst, b + (off - alen), chunk);
		}
		dst += chunk;
		off += chunk;
		n -= chunk;
	}
}

/* Queues one whole message (payload = prefix then body) as Gunyah's sender fragments it, or
 * nothing: a message that does not fit the outbox is dropped whole, never partly queued.
 * Notifications never take the last RPC_REPLY_RESERVE fragments: those are for replies. */
static error_t
queue_message(rpc_client_t *c, uint8_t type, uint16_t seq, uint32_t msg_id,
	      const uint8_t *prefix, size_t prefix_len, const void *body, size_t body_len)
{
	size_t total = prefix_len + body_len;
	if (total > RM_RPC_MAX_PAYLOAD) {
		return ERROR_ARGUMENT_SIZE;
	}
	/* Gunyah's count: an empty message is still one fragment. */
	size_t frags = (total + RM_RPC_FRAGMENT_PAYLOAD - 1U) / RM_RPC_FRAGMENT_PAYLOAD;
	if (frags == 0U) {
		frags = 1U;
	}
	bool notification = type == RM_RPC_TYPE_NOTIFICATION;
	size_t room = RPC_OUTBOX_FRAGMENTS - c->out_count;
	if (notification) {
		room = room > RPC_REPLY_RESERVE ? room - RPC_REPLY_RESERVE : 0U;
	}
	if (frags > room) {
		dropped(c, notification ? "outbox full (reply reserve)" : "outbox full", seq,
			msg_id);
		return ERROR_MSGQUEUE_FULL;
	}
	uint8_t continuations = (uint8_t)(frags - 1U);
	for (size_t i = 0; i < frags; i++) {
		rpc_fragment_t *f = &c->outbox[(c->out_head + c->out_count) % RPC_OUTBOX_FRAGMENTS];
		size_t off = i * RM_RPC_FRAGMENT_PAYLOAD;
		size_t n = total - off;
		if (n > RM_RPC_FRAGMENT_PAYLOAD) {
			n = RM_RPC_FRAGMENT_PAYLOAD;
		}
		uint8_t kind = i == 0U ? type : (uint8_t)RM_RPC_TYPE_CONTINUED;

		f->bytes[RM_RPC_HEADER_API_OFF] = (uint8_t)RM_RPC_API_BYTE;
		f->bytes[RM_RPC_HEADER_TYPE_OFF] =
			(uint8_t)(kind | (unsigned)continuations << RM_RPC_TYPE_BITS);
		le16_store(&f->bytes[RM_RPC_HEADER_SEQ_OFF], seq);
		le32_store(&f->bytes[RM_RPC_HEADER_MSG_ID_OFF], msg_id);
		copy_parts(&f->bytes[RM_RPC_HEADER_SIZE], off, n, prefix, prefix_len, body);
		f->len = (uint8_t)(RM_RPC_HEADER_SIZE + n);
		f->push = i + 1U == frags;
		c->out_count++;
	}
	return OK;
}

static void
pop_fragment(rpc_client_t *c)
{
	c->out_head = (c->out_head + 1U) % RPC_OUTBOX_FRAGMENTS;
	c->out_count--;
}

bool
rpc_client_flush(rpc_client_t *c)
{
	while (c->out_count > 0U) {
		rpc_fragment_t *f = &c->outbox[c->out_head];
		error_t err = c->send(c->ctx, f->bytes, f->len, f->push);
		if (err == ERROR_MSGQUEUE_FULL) {
			return false; /* kept; retried on the next flush */
		}
		if (err == OK) {
			pop_fragment(c);
			continue;
		}
		/* The transport refused for good: the rest of this message is useless. */
		dropped(c, "send failed", le16_load(&f->bytes[RM_RPC_HEADER_SEQ_OFF]),
			le32_load(&f->bytes[RM_RPC_HEADER_MSG_ID_OFF]));
		bool last;
		do {
			last = c->outbox[c->out_head].push;
			pop_fragment(c);
		} while (!last && c->out_count > 0U);
	}
	return true;
}

error_t
rpc_client_notify(rpc_client_t *c, uint32_t msg_id, const void *payload, size_t len)
{
	error_t err = queue_message(c, RM_RPC_TYPE_NOTIFICATION, c->notify_seq, msg_id, NULL, 0,
				    payload, len);
	if (err == OK) {
		c->notify_seq++;
		c->stats.notifications++;
		(void)rpc_client_flush(c);
	}
	return err;
}

/* The outbox fragment holding a whole one-fragment notification `msg_id` of `len` payload
 * bytes whose first `key_len` bytes are `key`, or NULL. Everything in the outbox is still
 * unsent (the queue took none of it), so such a message may be changed in place. */
static rpc_fragment_t *
pending_notification(rpc_client_t *c, uint32_t msg_id, const uint8_t *key, size_t key_len,
		     size_t len)
{
	for (unsigned i = 0; i < c->out_count; i++) {
		rpc_fragment_t *f = &c->outbox[(c->out_head + i) % RPC_OUTBOX_FRAGMENTS];
		uint8_t type = f->bytes[RM_RPC_HEADER_TYPE_OFF];
		if (f->push && type == (uint8_t)RM_RPC_TYPE_NOTIFICATION &&
		    le32_load(&f->bytes[RM_RPC_HEADER_MSG_ID_OFF]) == msg_id &&
		    f->len == RM_RPC_HEADER_SIZE + len &&
		    memcmp(&f->bytes[RM_RPC_HEADER_SIZE], key, key_len) == 0) {
			return f;
		}
	}
	return NULL;
}

error_t
rpc_client_notify_latest(rpc_client_t *c, uint32_t msg_id, const void *payload, size_t len,
			 size_t key_len)
{
	if (len <= RM_RPC_FRAGMENT_PAYLOAD && key_len <= len) {
		rpc_fragment_t *f = pending_notification(c, msg_id, payload, key_len, len);
		if (f != NULL) {
			memcpy(&f->bytes[RM_RPC_HEADER_SIZE], payload, len);
			c->stats.coalesced++;
			return OK;
		}
	}
	return rpc_client_notify(c, msg_id, payload, len);
}

void
rpc_reply(const rpc_request_t *req, uint32_t rm_error, const void *data, size_t len)
{
	uint8_t error_word[RM_RPC_REPLY_SIZE];
	le32_store(&error_word[RM_RPC_REPLY_ERROR_OFF], rm_error);
	if (queue_message(req->client, RM_RPC_TYPE_REPLY, req->seq, req->msg_id, error_word,
			  sizeof(error_word), data, len) == OK) {
		req->client->stats.replies++;
	}
}

/* --- dispatch -------------------------------------------------------------------------- */

typedef struct {
	uint32_t msg_id;
	size_t size; /* exact payload length, or the fixed part's for a variable tail */
	void (*handler)(const rpc_request_t *req);
} rpc_route_t;

#define RPC_ROUTE(name, id, sz) { (id), (sz), rpc_handle_##name },
static const rpc_route_t routes[] = { RM_RPC_IMPLEMENTED_REQUESTS(RPC_ROUTE) };
#undef RPC_ROUTE

/* Requests whose fixed part is followed by a variable number of bytes it counts itself. */
static bool
has_variable_tail(uint32_t msg_id)
{
	return msg_id == RM_RPC_VM_CONSOLE_WRITE;
}

static void
dispatch(rpc_client_t *c, uint16_t seq, uint32_t msg_id, const uint8_t *payload, size_t len)
{
	rpc_request_t req = {
		.client = c,
		.caller = rm_vm_lookup(c->vmid),
		.seq = seq,
		.msg_id = msg_id,
		.payload = payload,
		.len = len,
	};
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const rpc_route_t *r = &routes[i];
		if (r->msg_id != msg_id) {
			continue;
		}
		bool fits = has_variable_tail(msg_id) ? len >= r->size : len == r->size;
		if (!fits) {
			reject(c, "wrong payload length", seq, msg_id);
			rpc_reply_error(&req, RM_ERROR_MSG_INVALID);
			return;
		}
		r->handler(&req);
		return;
	}
	rpc_reply_error(&req, RM_ERROR_UNIMPLEMENTED);
}

/* --- receive --------------------------------------------------------------------------------- */

/* Abandons the request being reassembled, answering it with RM_ERROR_MSG_INVALID: its sender
 * waits for a reply to that sequence number, and a reply is possible (its header was read). */
static void
abort_reassembly(rpc_client_t *c, const char *why)
{
	if (!c->rx_active) {
		return;
	}
	c->rx_active = false;
	reject(c, why, c->rx_seq, c->rx_msg_id);
	rpc_request_t req = { .client = c, .seq = c->rx_seq, .msg_id = c->rx_msg_id };
	rpc_reply_error(&req, RM_ERROR_MSG_INVALID);
}

static void
receive_continuation(rpc_client_t *c, uint8_t continuations, uint16_t seq, uint32_t msg_id,
		     const uint8_t *payload, size_t len)
{
	if (!c->rx_active) {
		reject(c, "continuation without a request", seq, msg_id);
		return;
	}
	if (continuations != c->rx_continuations || seq != c->rx_seq || msg_id != c->rx_msg_id) {
		reject(c, "continuation of another message", seq, msg_id);
		abort_reassembly(c, "request broken off by a mismatched continuation");
		return;
	}
	if (len > RM_RPC_FRAGMENT_PAYLOAD) {
		abort_reassembly(c, "oversized continuation");
		return;
	}
	memcpy(&c->rx_buf[c->rx_len], payload, len);
	c->rx_len += len;
	c->rx_received++;
	if (c->rx_received == c->rx_continuations) {
		c->rx_active = false;
		dispatch(c, c->rx_seq, c->rx_msg_id, c->rx_buf, c->rx_len);
	}
}

static void
receive_request(rpc_client_t *c, uint8_t continuations, uint16_t seq, uint32_t msg_id,
		const uint8_t *payload, size_t len)
{
	abort_reassembly(c, "request broken off by a new request");
	if (len > RM_RPC_FRAGMENT_PAYLOAD || continuations > RM_RPC_MAX_CONTINUATIONS) {
		bool oversized = len > RM_RPC_FRAGMENT_PAYLOAD;
		reject(c, oversized ? "oversized fragment" : "too many fragments", seq, msg_id);
		rpc_request_t req = { .client = c, .seq = seq, .msg_id = msg_id };
		rpc_reply_error(&req, RM_ERROR_MSG_INVALID);
		return;
	}
	if (continuations == 0U) {
		dispatch(c, seq, msg_id, payload, len);
		return;
	}
	c->rx_active = true;
	c->rx_continuations = continuations;
	c->rx_received = 0;
	c->rx_seq = seq;
	c->rx_msg_id = msg_id;
	c->rx_len = len;
	memcpy(c->rx_buf, payload, len);
}

void
rpc_client_receive(rpc_client_t *c, const void *frag, size_t len)
{
	const uint8_t *b = frag;
	if (len < RM_RPC_HEADER_SIZE) {
		abort_reassembly(c, "request broken off by a truncated fragment");
		reject(c, "fragment shorter than the header", 0, 0);
		(void)rpc_client_flush(c);
		return;
	}
	uint8_t api = b[RM_RPC_HEADER_API_OFF];
	uint8_t type = b[RM_RPC_HEADER_TYPE_OFF] & RM_RPC_TYPE_MASK;
	uint8_t continuations = (uint8_t)(b[RM_RPC_HEADER_TYPE_OFF] >> RM_RPC_TYPE_BITS);
	uint16_t seq = le16_load(&b[RM_RPC_HEADER_SEQ_OFF]);
	uint32_t msg_id = le32_load(&b[RM_RPC_HEADER_MSG_ID_OFF]);
	const uint8_t *payload = &b[RM_RPC_HEADER_SIZE];
	size_t payload_len = len - RM_RPC_HEADER_SIZE;

	if (api != RM_RPC_API_BYTE) {
		/* Another version's header may mean anything: nothing in it is answered. */
		abort_reassembly(c, "request broken off by a bad API byte");
		reject(c, "bad API byte", seq, msg_id);
	} else if (type == RM_RPC_TYPE_CONTINUED) {
		receive_continuation(c, continuations, seq, msg_id, payload, payload_len);
	} else if (type == RM_RPC_TYPE_REQUEST) {
		receive_request(c, continuations, seq, msg_id, payload, payload_len);
	} else {
		abort_reassembly(c, "request broken off by a reply or notification");
		reject(c, "reply or notification sent to the RM", seq, msg_id);
	}
	(void)rpc_client_flush(c);
}
