/* rpc_link.h - one client's RM RPC queue pair as the RM's wait loop drives it: reading the
 * client's queue into its rpc_client_t a budget at a time, and listening for room only while
 * replies wait.
 *
 * Pure logic: the queue and the interrupt controller are callbacks (rpc_server.c's are
 * hypercalls and the GIC), so host tests drive it against a model of the queues. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bothy_abi.h"
#include "rpc.h"

typedef struct rpc_link_ops {
	/* Receives one fragment from the client's queue into buf (size bytes): OK with *len and
	 * *more (messages left after it); ERROR_MSGQUEUE_EMPTY; or another error. */
	error_t (*receive)(void *ctx, void *buf, size_t size, size_t *len, bool *more);
	/* Sends one fragment on the queue to the client (rpc_send_fn). */
	rpc_send_fn send;
	/* Lets the "queue to the client has room" interrupt through (on) or holds it back. */
	error_t (*listen_for_room)(void *ctx, bool on);
} rpc_link_ops_t;

typedef struct rpc_link {
	rpc_client_t client;
	const rpc_link_ops_t *ops;
	void *ctx;
	bool listening; /* the room interrupt is let through */
	uint32_t listen_failures;
} rpc_link_t;

/* Sets up `l` for client `vmid`; the room interrupt starts held back (nothing waits yet). */
void rpc_link_init(rpc_link_t *l, uint16_t vmid, const rpc_link_ops_t *ops, void *ctx);

/* Fragments the RM reads from one client per wake: two queues' worth, so a burst from a
 * client on the RM's own CPU (which cannot send while the RM runs) is read whole, while one
 * that refills its queue from another CPU cannot keep the RM for itself. */
#define RPC_LINK_BUDGET 16U

/* The client's queue has messages: reads up to RPC_LINK_BUDGET of them into the library
 * (which answers each request), sends what the queue to the client takes, and settles the
 * room interrupt. True if messages are still waiting: the caller serves the client again
 * later, after the others (rpc_server.c). */
bool rpc_link_readable(rpc_link_t *l);

/* The queue to the client has room: sends what the outbox holds and settles the room
 * interrupt. */
void rpc_link_room(rpc_link_t *l);

/* Lets the room interrupt through exactly while the outbox holds fragments. Call it after
 * anything that may have queued a message for this client (another client's request, a
 * VM's exit): the RM sends a message when it is queued, and needs the interrupt only for
 * what the full queue refused. */
void rpc_link_settle(rpc_link_t *l);
