/* rpc.h - the RM side of Gunyah's RM RPC protocol, one rpc_client_t per client VM: fragment
 * validation and reassembly, dispatch to the handlers, and an outbox of reply fragments.
 *
 * Pure logic: no hypercalls. The transport is a callback that sends one fragment on the
 * RM->client message queue; the RM feeds every fragment it receives from the client's queue to
 * rpc_client_receive. All state is per client, so one client's traffic never affects another's.
 * Not reentrant: call a client's functions from one context at a time, and never from `send`. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bothy_abi.h"
#include "rm_rpc_abi.h"

/* Fragments a client's outbox holds: room for the largest message (RM_RPC_MAX_FRAGMENTS) plus
 * RPC_REPLY_RESERVE more. Notifications never take those last fragments, so however many wait
 * (another VM can cause any number), a reply is dropped only when the client's own unread
 * replies fill the outbox. */
#define RPC_OUTBOX_FRAGMENTS 72U
#define RPC_REPLY_RESERVE (RPC_OUTBOX_FRAGMENTS - RM_RPC_MAX_FRAGMENTS)
/* Problems logged one by one per client before only counts are logged (at powers of two). */
#define RPC_LOG_BURST 8U

/* Sends one fragment (at most RM_RPC_MESSAGE_SIZE bytes) on the RM->client queue; push is true
 * on the last fragment of a message. OK: sent. ERROR_MSGQUEUE_FULL: the library keeps the
 * fragment and retries it on rpc_client_flush. Any other error: the library logs it and drops
 * the rest of that message. */
typedef error_t (*rpc_send_fn)(void *ctx, const void *frag, size_t len, bool push);

typedef struct rpc_fragment {
	uint8_t bytes[RM_RPC_MESSAGE_SIZE];
	uint8_t len;
	bool push; /* last fragment of its message */
} rpc_fragment_t;

/* What a client did wrong or lost; for logs and tests. */
typedef struct rpc_stats {
	uint32_t malformed;	   /* fragments or messages rejected */
	uint32_t replies;	   /* replies queued */
	uint32_t notifications;	   /* notifications queued */
	uint32_t coalesced;	   /* notifications that updated a waiting one instead */
	uint32_t dropped_messages; /* outbox overflow or transport error */
} rpc_stats_t;

typedef struct rpc_client {
	uint16_t vmid; /* the client VM: who every request comes from */
	rpc_send_fn send;
	void *ctx;

	/* Reassembly of the request in progress (only one: Gunyah's clients send each message's
	 * fragments back to back). */
	bool rx_active;
	uint8_t rx_continuations; /* continuations the first fragment announced */
	uint8_t rx_received;	  /* continuations received so far */
	uint16_t rx_seq;
	uint32_t rx_msg_id;
	size_t rx_len;
	uint8_t rx_buf[RM_RPC_MAX_PAYLOAD];

	/* Outbox: a ring of whole messages' fragments, oldest first. */
	rpc_fragment_t outbox[RPC_OUTBOX_FRAGMENTS];
	unsigned out_head, out_count;

	uint16_t notify_seq; /* the next notification's sequence number */
	uint32_t log_events; /* problems seen, for rate-limited logging */
	rpc_stats_t stats;
} rpc_client_t;

/* Sets up `c` (which may be static storage) for client `vmid` with transport `send(ctx, ...)`. */
void rpc_client_init(rpc_client_t *c, uint16_t vmid, rpc_send_fn send, void *ctx);

/* One fragment from the client's queue: validates it, reassembles, dispatches a complete
 * request, queues the reply and sends what the transport takes. Malformed input is logged
 * (rate-limited) and rejected; a REQUEST whose header could be read is always answered. */
void rpc_client_receive(rpc_client_t *c, const void *frag, size_t len);

/* Sends from the outbox until it is empty (true) or the transport is full (false). */
bool rpc_client_flush(rpc_client_t *c);

/* Queues notification `msg_id` with `len` payload bytes (its own 16-bit sequence counter) and
 * sends what the transport takes. ERROR_ARGUMENT_SIZE above RM_RPC_MAX_PAYLOAD;
 * ERROR_MSGQUEUE_FULL if the outbox has no room for the whole message outside the reply reserve
 * (nothing is queued; logged, rate-limited). */
error_t rpc_client_notify(rpc_client_t *c, uint32_t msg_id, const void *payload, size_t len);

/* As rpc_client_notify, for notifications of which only the latest matters (a VM's status):
 * if a one-fragment notification `msg_id` of the same length whose first `key_len` payload
 * bytes are the same (the VM it is about) still waits in the outbox, its payload is replaced
 * in place and nothing new is queued. The client then gets the latest state once, where it
 * would have got every step, and a VM that changes its status in a loop cannot fill its
 * owner's outbox. */
error_t rpc_client_notify_latest(rpc_client_t *c, uint32_t msg_id, const void *payload,
				 size_t len, size_t key_len);

/* Whether the outbox holds nothing. */
bool rpc_client_idle(const rpc_client_t *c);
