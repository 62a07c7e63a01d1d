/* rpc_server.c - the RM's ends of its clients' RM RPC queue pairs. Each client has two SPIs on
 * the RM's vic: its queue to the RM is not empty, its queue from the RM has room again. */
#include <stdint.h>

#include "bothy_hypercalls.h"
#include "gic.h"
#include "guest.h"
#include "rm.h"
#include "rpc_link.h"
#include "rpc_server.h"
#include "vm_build.h"

/* Client n interrupts the RM on FIRST_INTID + 2n (a message waits) and + 2n + 1 (room). */
#define FIRST_INTID 64U
#define MSGQUEUE_SEND_FLAG_PUSH 1U

typedef struct {
	cap_id_t from_client, to_client;
	uint32_t room_intid;
	rpc_link_t link;
} rpc_server_link_t;

static rpc_server_link_t links[RM_RPC_MAX_CLIENTS];
static unsigned link_count;

static error_t
send_fragment(void *ctx, const void *frag, size_t len, bool push)
{
	const rpc_server_link_t *sl = ctx;
	return bothy_msgqueue_send(sl->to_client, len, (uintptr_t)frag,
				   push ? MSGQUEUE_SEND_FLAG_PUSH : 0U)
		.error;
}

static error_t
receive_fragment(void *ctx, void *buf, size_t size, size_t *len, bool *more)
{
	const rpc_server_link_t *sl = ctx;
	hypercall_msgqueue_receive_result_t r =
		bothy_msgqueue_receive(sl->from_client, (uintptr_t)buf, size);
	*len = r.size;
	*more = r.not_empty;
	return r.error;
}

static error_t
listen_for_room(void *ctx, bool on)
{
	const rpc_server_link_t *sl = ctx;
	return on ? gic_enable(sl->room_intid) : gic_disable(sl->room_intid);
}

static const rpc_link_ops_t ops = {
	.receive = receive_fragment,
	.send = send_fragment,
	.listen_for_room = listen_for_room,
};

error_t
rm_rpc_serve(uint16_t vmid, cap_id_t from_client, cap_id_t to_client, rpc_client_t **client)
{
	if (link_count == RM_RPC_MAX_CLIENTS) {
		return ERROR_NORESOURCES;
	}
	rpc_server_link_t *sl = &links[link_count];
	uint32_t intid = FIRST_INTID + 2U * link_count;
	cap_id_t vic = rm_boot_info()->vic_cap;
	error_t err = bothy_msgqueue_bind_receive_virq(from_client, vic, intid).error;
	if (err == OK) {
		err = bothy_msgqueue_bind_send_virq(to_client, vic, intid + 1U).error;
	}
	/* Both level-sensitive: an interrupt stays pending while its condition holds, so one
	 * that comes while the RM is busy is never missed. The receive interrupt is enabled for
	 * good; the room interrupt only while replies wait (rpc_link_settle). */
	if (err == OK) {
		err = gic_set_edge(intid, false);
	}
	if (err == OK) {
		err = gic_enable(intid);
	}
	if (err == OK) {
		err = gic_set_edge(intid + 1U, false);
	}
	if (err != OK) {
		return err;
	}
	sl->from_client = from_client;
	sl->to_client = to_client;
	sl->room_intid = intid + 1U;
	rpc_link_init(&sl->link, vmid, &ops, sl);
	link_count++;
	*client = &sl->link.client;
	return OK;
}

bool
rm_rpc_interrupt(uint32_t intid)
{
	if (intid < FIRST_INTID || intid >= FIRST_INTID + 2U * link_count) {
		return false;
	}
	rpc_link_t *l = &links[(intid - FIRST_INTID) / 2U].link;
	if ((intid - FIRST_INTID) % 2U == 0U) {
		rpc_link_readable(l);
	} else {
		rpc_link_room(l);
	}
	/* A request may have queued a notification for another client (VM_SET_STATUS to the
	 * owner), which that client's queue may not have taken. Before the caller's EOI, so a
	 * room interrupt held back now is not delivered again. */
	rm_rpc_settle();
	return true;
}

void
rm_rpc_poll(void)
{
	for (unsigned i = 0; i < link_count; i++) {
		rpc_link_readable(&links[i].link);
	}
	rm_rpc_settle();
}

void
rm_rpc_settle(void)
{
	for (unsigned i = 0; i < link_count; i++) {
		rpc_link_settle(&links[i].link);
	}
}
