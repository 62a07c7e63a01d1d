/* rpc_server.c - the RM's ends of its clients' RM RPC queue pairs. Each client has two SPIs on
 * the RM's vic: its queue to the RM is not empty, its queue from the RM has room again. And
 * the RM's fair share between clients: one that keeps its queue full is deferred to the RM's
 * virtual timer and served a budget at a time, in turn with the others deferred. */
#include <stdbool.h>
#include <stdint.h>

#include "bothy_hypercalls.h"
#include "counter.h"
#include "gic.h"
#include "guest.h"
#include "platform_config.h"
#include "rm.h"
#include "rpc_link.h"
#include "rpc_server.h"
#include "vm_registry.h"

/* Client n interrupts the RM on FIRST_INTID + 2n (a message waits) and + 2n + 1 (room). */
#define FIRST_INTID 64U
#define MSGQUEUE_SEND_FLAG_PUSH 1U
/* A deferred client is served again this long after its budget ran out: the RM waits in
 * between, so every vCPU on its CPU (each VM's vCPU 0) runs, whatever one client sends. */
#define DEFER_US 1000U
#define CNTV_CTL_ENABLE 1UL

typedef struct {
	cap_id_t from_client, to_client;
	uint32_t receive_intid, room_intid;
	/* Its queue was still not empty after a budget: its receive SPI is disabled and the
	 * timer serves it. */
	bool deferred;
	bool active; /* serving; false once its VM's build was undone (rm_rpc_unserve) */
	rpc_link_t link;
} rpc_server_link_t;

static rpc_server_link_t links[RM_RPC_MAX_CLIENTS];
static unsigned link_count;
static unsigned next_turn; /* the deferred client the timer serves first */
static bool timer_on;
static uint64_t timer_deadline;
static uint32_t gic_failures;

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
	unsigned slot = 0;
	while (slot < link_count && links[slot].active) {
		slot++;
	}
	if (slot == RM_RPC_MAX_CLIENTS) {
		return ERROR_NORESOURCES;
	}
	rpc_server_link_t *sl = &links[slot];
	uint32_t intid = FIRST_INTID + 2U * slot;
	cap_id_t vic = rm_boot_info()->vic_cap;
	/* The timer that serves deferred clients; it runs only while one is (settle_timer). */
	error_t err = OK;
	if (link_count == 0U) {
		__asm__ volatile("msr cntv_ctl_el0, xzr\n\tisb");
		err = gic_enable(PLATFORM_TIMER_VIRTUAL_PPI);
	}
	if (err == OK) {
		err = bothy_msgqueue_bind_receive_virq(from_client, vic, intid).error;
	}
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
		(void)gic_disable(intid); /* the queues' bindings go with the queues */
		return err;
	}
	sl->from_client = from_client;
	sl->to_client = to_client;
	sl->receive_intid = intid;
	sl->room_intid = intid + 1U;
	sl->deferred = false;
	sl->active = true;
	rpc_link_init(&sl->link, vmid, &ops, sl);
	link_count += slot == link_count ? 1U : 0U;
	*client = &sl->link.client;
	return OK;
}

void
rm_rpc_unserve(uint16_t vmid)
{
	for (unsigned i = 0; i < link_count; i++) {
		rpc_server_link_t *sl = &links[i];
		if (sl->active && sl->link.client.vmid == vmid) {
			(void)gic_disable(sl->receive_intid);
			(void)gic_disable(sl->room_intid);
			sl->active = false;
			sl->deferred = false;
		}
	}
}

/* The GIC refused to enable or disable a client's receive SPI (the RM's own vic: it cannot
 * happen for an SPI bound at set-up). Logged once; the client stays as it was. */
static void
gic_failed(const rpc_server_link_t *sl, bool disable, error_t err)
{
	if (gic_failures++ == 0U) {
		rm_log("rpc: VM %u: receive interrupt %s: error %d", (unsigned)sl->link.client.vmid,
		       disable ? "off" : "on", (int)err);
	}
}

/* One budget of the client's messages. One that has more waiting is deferred; a deferred
 * one that has none left takes its receive interrupt again (level-sensitive: messages that
 * came meanwhile raise it at once). */
static void
serve(rpc_server_link_t *sl)
{
	bool backlog = rpc_link_readable(&sl->link);
	if (backlog == sl->deferred) {
		return;
	}
	error_t err = backlog ? gic_disable(sl->receive_intid) : gic_enable(sl->receive_intid);
	if (err == OK) {
		sl->deferred = backlog;
	} else {
		gic_failed(sl, backlog, err);
	}
}

/* The virtual timer runs exactly while a client is deferred; re-arming or stopping it also
 * lowers its line (a level, up while the deadline has passed). `rearm`: its interrupt came. */
static void
settle_timer(bool rearm)
{
	bool want = false;
	for (unsigned i = 0; i < link_count; i++) {
		want = want || links[i].deferred; /* never an inactive one */
	}
	if (want && (rearm || !timer_on)) {
		uint64_t at = guest_counter() + DEFER_US * guest_counter_hz() / 1000000U;
		timer_deadline = at;
		__asm__ volatile("msr cntv_cval_el0, %0\n\tmsr cntv_ctl_el0, %1\n\tisb"
				 : : "r"(at), "r"(CNTV_CTL_ENABLE));
	} else if (!want && (timer_on || rearm)) {
		__asm__ volatile("msr cntv_ctl_el0, xzr\n\tisb");
	}
	timer_on = want;
}

/* Every deferred client gets one budget, in turn: the first is a different one each time. */
static void
serve_deferred(void)
{
	for (unsigned k = 0; k < link_count; k++) {
		rpc_server_link_t *sl = &links[(next_turn + k) % link_count];
		if (sl->deferred) {
			serve(sl);
		}
	}
	next_turn = (next_turn + 1U) % link_count;
}

/* The deferred clients' turn at a wake other than the timer's once its deadline has passed:
 * the RM does not rely on the timer's interrupt alone (under load some came late). */
static void
deferred_turn(void)
{
	if (timer_on && guest_counter() >= timer_deadline) {
		serve_deferred();
		settle_timer(true);
	}
}

bool
rm_rpc_interrupt(uint32_t intid)
{
	if (intid == PLATFORM_TIMER_VIRTUAL_PPI && link_count > 0U) {
		if (timer_on) {
			serve_deferred();
		}
		settle_timer(true);
		rm_rpc_settle();
		return true;
	}
	if (intid < FIRST_INTID || intid >= FIRST_INTID + 2U * link_count) {
		return false;
	}
	rpc_server_link_t *sl = &links[(intid - FIRST_INTID) / 2U];
	if (!sl->active) {
		return true; /* disabled when it stopped serving; one already taken is dropped */
	}
	if ((intid - FIRST_INTID) % 2U == 0U) {
		serve(sl);
	} else {
		rpc_link_room(&sl->link);
	}
	settle_timer(false);
	deferred_turn();
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
		if (links[i].active && !links[i].deferred) { /* the timer serves the others */
			serve(&links[i]);
		}
	}
	settle_timer(false);
	deferred_turn();
	rm_rpc_settle();
}

void
rm_rpc_settle(void)
{
	for (unsigned i = 0; i < link_count; i++) {
		if (!links[i].active) {
			continue;
		}
		rpc_link_settle(&links[i].link);
	}
}
