/* rpc_link.c - one client's RM RPC queue pair as the RM's wait loop drives it: reading the
 * client's queue into the library a budget at a time, and the room interrupt let through only
 * while replies wait. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rpc.h"
#include "rpc_link.h"
#include "vm_registry.h"

void
rpc_link_init(rpc_link_t *l, uint16_t vmid, const rpc_link_ops_t *ops, void *ctx)
{
	rpc_client_init(&l->client, vmid, ops->send, ctx);
	l->ops = ops;
	l->ctx = ctx;
	l->listening = false;
	l->listen_failures = 0;
}

void
rpc_link_settle(rpc_link_t *l)
{
	/* The room line is a level that rises when the full queue drains and falls only at the
	 * RM's next successful send (Gunyah: up while the queue is at or below its not-full
	 * threshold). With nothing left to send the RM cannot lower it, so a room interrupt let
	 * through then would be delivered again after every EOI: a storm at the RM's priority,
	 * starving the client on its CPU, which then never reads or sends again. */
	bool want = !rpc_client_idle(&l->client);
	if (want == l->listening) {
		return;
	}
	error_t err = l->ops->listen_for_room(l->ctx, want);
	if (err == OK) {
		l->listening = want;
	} else if (l->listen_failures++ == 0U) {
		/* Retried at the next settle; logged once: the cause is the RM's own GIC. */
		rm_log("rpc: VM %u: room interrupt %s: error %d", (unsigned)l->client.vmid,
		       want ? "on" : "off", (int)err);
	}
}

bool
rpc_link_readable(rpc_link_t *l)
{
	/* Aligned for the hypervisor's copy; the library reads it byte by byte. One buffer for
	 * every link: the RM serves one link at a time. */
	static uint8_t buf[RM_RPC_MESSAGE_SIZE] __attribute__((aligned(16)));
	bool more = false;
	for (unsigned n = 0; n < RPC_LINK_BUDGET; n++) {
		size_t len = 0;
		more = false;
		if (l->ops->receive(l->ctx, buf, sizeof(buf), &len, &more) != OK) {
			break; /* ERROR_MSGQUEUE_EMPTY: all read */
		}
		rpc_client_receive(&l->client, buf, len);
		if (!more) {
			break;
		}
	}
	rpc_link_room(l);
	return more;
}

void
rpc_link_room(rpc_link_t *l)
{
	(void)rpc_client_flush(&l->client);
	rpc_link_settle(l);
}
