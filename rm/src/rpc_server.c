/* rpc_server.c - the RM's ends of its clients' RM RPC queue pairs. Each client has two SPIs on
 * the RM's vic: its queue to the RM is not empty, its queue from the RM has room again. */
#include <stdint.h>

#include "bothy_hypercalls.h"
#include "gic.h"
#include "guest.h"
#include "rm.h"
#include "rpc_server.h"
#include "vm_build.h"

/* Client n interrupts the RM on FIRST_INTID + 2n (a message waits) and + 2n + 1 (room). */
#define FIRST_INTID 64U
#define MSGQUEUE_SEND_FLAG_PUSH 1U

typedef struct {
	cap_id_t from_client, to_client;
	rpc_client_t client;
} rpc_link_t;

static rpc_link_t links[RM_RPC_MAX_CLIENTS];
static unsigned link_count;

static error_t
send_fragment(void *ctx, const void *frag, size_t len, bool push)
{
	const rpc_link_t *link = ctx;
	return bothy_msgqueue_send(link->to_client, len, (uintptr_t)frag,
				   push ? MSGQUEUE_SEND_FLAG_PUSH : 0U)
		.error;
}

static error_t
bind_level(uint32_t intid)
{
	/* Level-sensitive: the interrupt stays pending while a queue has something for the RM,
	 * so a message that arrives while the RM is busy is never missed. */
	error_t err = gic_set_edge(intid, false);
	return err == OK ? gic_enable(intid) : err;
}

error_t
rm_rpc_serve(uint16_t vmid, cap_id_t from_client, cap_id_t to_client, rpc_client_t **client)
{
	if (link_count == RM_RPC_MAX_CLIENTS) {
		return ERROR_NORESOURCES;
	}
	rpc_link_t *link = &links[link_count];
	uint32_t intid = FIRST_INTID + 2U * link_count;
	cap_id_t vic = rm_boot_info()->vic_cap;
	error_t err = bothy_msgqueue_bind_receive_virq(from_client, vic, intid).error;
	if (err == OK) {
		err = bothy_msgqueue_bind_send_virq(to_client, vic, intid + 1U).error;
	}
	if (err == OK) {
		err = bind_level(intid);
	}
	if (err == OK) {
		err = bind_level(intid + 1U);
	}
	if (err != OK) {
		return err;
	}
	link->from_client = from_client;
	link->to_client = to_client;
	rpc_client_init(&link->client, vmid, send_fragment, link);
	link_count++;
	*client = &link->client;
	return OK;
}

static void
drain(rpc_link_t *link)
{
	/* Aligned for the copy; the library reads it byte by byte. */
	static uint8_t buf[RM_RPC_MESSAGE_SIZE] __attribute__((aligned(16)));
	for (;;) {
		hypercall_msgqueue_receive_result_t r =
			bothy_msgqueue_receive(link->from_client, (uintptr_t)buf, sizeof(buf));
		if (r.error != OK) {
			break; /* ERROR_MSGQUEUE_EMPTY: all read */
		}
		rpc_client_receive(&link->client, buf, r.size);
		if (!r.not_empty) {
			break;
		}
	}
	(void)rpc_client_flush(&link->client);
}

bool
rm_rpc_interrupt(uint32_t intid)
{
	if (intid < FIRST_INTID || intid >= FIRST_INTID + 2U * link_count) {
		return false;
	}
	rpc_link_t *link = &links[(intid - FIRST_INTID) / 2U];
	if ((intid - FIRST_INTID) % 2U == 0U) {
		drain(link);
	} else {
		(void)rpc_client_flush(&link->client);
	}
	return true;
}

void
rm_rpc_poll(void)
{
	for (unsigned i = 0; i < link_count; i++) {
		drain(&links[i]);
	}
}
