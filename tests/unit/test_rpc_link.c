/* test_rpc_link.c - rm/'s rpc_link on the host against a model of a client's two queues and
 * the RM's interrupts: bursts past the queue's depth, no room-interrupt storm, silent clients. */
#include <stdio.h>
#include <string.h>

#include "le_bytes.h"
#include "rpc_fixture.h"
#include "rpc_link.h"
#include "unit.h"

#define DEPTH 8U /* RM_QUEUE_DEPTH */
/* Interrupts the RM's wait loop may take before the model calls it a storm. */
#define STORM 1000U
#define LINKS 2U

/* One message queue as docs/ipc.md describes bothy's (hyp/objects/msgqueue.c): the not-empty
 * line is up while a message waits; the not-full ("room") line is a level that rises when
 * the full queue drains to depth - 1 and falls at the sender's next successful send. */
typedef struct {
	uint8_t bytes[DEPTH][RM_RPC_MESSAGE_SIZE];
	size_t len[DEPTH];
	unsigned head, count;
	bool armed; /* was full since the sender's last successful send */
} mq_t;

static error_t
mq_send(mq_t *q, const void *buf, size_t len)
{
	if (q->count == DEPTH) {
		return ERROR_MSGQUEUE_FULL;
	}
	unsigned tail = (q->head + q->count) % DEPTH;
	memcpy(q->bytes[tail], buf, len);
	q->len[tail] = len;
	q->count++;
	q->armed = q->count == DEPTH;
	return OK;
}

static error_t
mq_receive(mq_t *q, void *buf, size_t *len, bool *more)
{
	if (q->count == 0U) {
		return ERROR_MSGQUEUE_EMPTY;
	}
	memcpy(buf, q->bytes[q->head], q->len[q->head]);
	*len = q->len[q->head];
	q->head = (q->head + 1U) % DEPTH;
	q->count--;
	*more = q->count > 0U;
	return OK;
}

static bool
room_line(const mq_t *q)
{
	return q->armed && q->count < DEPTH;
}

/* A client VM's pair, the RM's link for it, and the RM's GIC enable for its room SPI. */
typedef struct {
	mq_t to_rm, to_client;
	rpc_link_t link;
	bool room_enabled;
	unsigned room_interrupts;
	bool refill;	   /* the client sends again as soon as the RM reads (from another CPU) */
	unsigned received; /* fragments the RM read */
} pair_t;

static pair_t pairs[LINKS];

static error_t
link_receive(void *ctx, void *buf, size_t size, size_t *len, bool *more)
{
	(void)size;
	pair_t *p = ctx;
	error_t err = mq_receive(&p->to_rm, buf, len, more);
	if (err == OK) {
		p->received++;
		if (p->refill) {
			(void)mq_send(&p->to_rm, buf, *len);
			*more = true;
		}
	}
	return err;
}

static error_t
link_send(void *ctx, const void *frag, size_t len, bool push)
{
	(void)push;
	return mq_send(&((pair_t *)ctx)->to_client, frag, len);
}

static error_t
link_listen(void *ctx, bool on)
{
	((pair_t *)ctx)->room_enabled = on;
	return OK;
}

static const rpc_link_ops_t ops = { link_receive, link_send, link_listen };

static void
setup(void)
{
	rm_vm_registry_reset();
	fx_reset_captures();
	memset(pairs, 0, sizeof(pairs));
	static const uint16_t vmids[LINKS] = { RM_VMID_HLOS, 0x80U };
	for (unsigned i = 0; i < LINKS; i++) {
		rm_vm_t *vm = rm_vm_add(vmids[i], i == 0U ? "linux" : "child", RM_VMID_RM);
		CHECK(vm != NULL);
		rpc_link_init(&pairs[i].link, vmids[i], &ops, &pairs[i]);
		vm->rpc = &pairs[i].link.client;
	}
}

/* The RM's wait loop (rm/src/main.c, rpc_server.c) until no enabled line is up: room
 * interrupts first, the order that starved receive interrupts on the RM's vGIC. The number
 * of interrupts taken, or STORM if they never stop. */
static unsigned
run_rm(void)
{
	for (unsigned taken = 0; taken < STORM; taken++) {
		pair_t *p = NULL;
		bool room = false;
		for (unsigned i = 0; i < LINKS && p == NULL; i++) {
			if (pairs[i].room_enabled && room_line(&pairs[i].to_client)) {
				p = &pairs[i];
				room = true;
			}
		}
		for (unsigned i = 0; i < LINKS && p == NULL; i++) {
			if (pairs[i].to_rm.count > 0U) {
				p = &pairs[i];
			}
		}
		if (p == NULL) {
			return taken;
		}
		if (room) {
			p->room_interrupts++;
			rpc_link_room(&p->link);
		} else {
			rpc_link_readable(&p->link);
		}
		for (unsigned i = 0; i < LINKS; i++) {
			rpc_link_settle(&pairs[i].link); /* rm_rpc_settle, before the EOI */
		}
	}
	return STORM;
}

/* The client sends a one-fragment VM_GET_VMID; the RM, at a higher priority, runs at once
 * (and whenever the client's queue is full, which is when the client would wait). */
static void
client_request(pair_t *p, uint16_t seq)
{
	uint8_t frag[RM_RPC_HEADER_SIZE];
	fx_header(frag, RM_RPC_API_BYTE, RM_RPC_TYPE_REQUEST, 0, seq, RM_RPC_VM_GET_VMID);
	while (mq_send(&p->to_rm, frag, sizeof(frag)) == ERROR_MSGQUEUE_FULL) {
		CHECK(run_rm() < STORM);
	}
	CHECK(run_rm() < STORM);
}

/* The client reads one reply (the RM runs after the read, as its room interrupt preempts). */
static bool
client_reply(pair_t *p, uint16_t *seq)
{
	uint8_t frag[RM_RPC_MESSAGE_SIZE];
	size_t len;
	bool more;
	if (mq_receive(&p->to_client, frag, &len, &more) != OK) {
		return false;
	}
	CHECK_EQ(len, RM_RPC_HEADER_SIZE + 8U);
	CHECK_EQ(frag[RM_RPC_HEADER_TYPE_OFF], RM_RPC_TYPE_REPLY);
	CHECK_EQ(le32_load(&frag[RM_RPC_HEADER_MSG_ID_OFF]), RM_RPC_VM_GET_VMID);
	CHECK_EQ(le32_load(&frag[RM_RPC_HEADER_SIZE]), RM_OK);
	*seq = le16_load(&frag[RM_RPC_HEADER_SEQ_OFF]);
	CHECK(run_rm() < STORM);
	return true;
}

/* As reported: 9 requests and a sync, none read; every reply comes once, in order, with the
 * room interrupt taken only while a reply waited, and none is let through afterwards. */
static void
test_burst_past_the_queue_depth(void)
{
	setup();
	pair_t *p = &pairs[0];
	for (uint16_t s = 0; s < 10U; s++) {
		client_request(p, s);
	}
	CHECK_EQ(p->to_client.count, DEPTH);
	CHECK_EQ(p->link.client.out_count, 2);
	CHECK(p->room_enabled);
	uint16_t seq;
	for (uint16_t s = 0; s < 10U; s++) {
		CHECK(client_reply(p, &seq));
		CHECK_EQ(seq, s);
	}
	CHECK(!client_reply(p, &seq));
	CHECK_EQ(p->room_interrupts, 2);
	CHECK(!p->room_enabled);
	CHECK(room_line(&p->to_client)); /* up, and held back: nothing to send */
	/* The RM still answers, which lowers the line. */
	client_request(p, 10);
	CHECK(client_reply(p, &seq));
	CHECK_EQ(seq, 10);
	CHECK(!room_line(&p->to_client));
	CHECK_EQ(p->link.client.stats.dropped_messages, 0);
}

/* Bursts of every size up to what the outbox holds, each read back in full. */
static void
test_bursts_of_every_size(void)
{
	setup();
	pair_t *p = &pairs[0];
	uint16_t next = 0, expected = 0, seq;
	for (unsigned n = 1; n <= DEPTH + RPC_OUTBOX_FRAGMENTS; n++) {
		for (unsigned i = 0; i < n; i++) {
			client_request(p, next++);
		}
		while (client_reply(p, &seq)) {
			CHECK_EQ(seq, expected);
			expected++;
		}
		CHECK_EQ(expected, next);
		CHECK(!p->room_enabled);
	}
	CHECK_EQ(p->link.client.stats.dropped_messages, 0);
}

/* A client that sends and never reads: the RM keeps serving the other client, its outbox
 * stays bounded, and the replies it cannot keep are dropped with rate-limited log lines. */
static void
test_silent_client_does_not_block_others(void)
{
	setup();
	pair_t *silent = &pairs[0], *other = &pairs[1];
	const unsigned flood = 2000;
	uint16_t seq;
	for (unsigned i = 0; i < flood; i++) {
		client_request(silent, (uint16_t)i);
		if (i % 50U == 0U) {
			client_request(other, (uint16_t)i);
			CHECK(client_reply(other, &seq));
			CHECK_EQ(seq, i);
			CHECK(!client_reply(other, &seq));
		}
	}
	CHECK_EQ(silent->to_client.count, DEPTH);
	CHECK_EQ(silent->link.client.out_count, RPC_OUTBOX_FRAGMENTS);
	CHECK_EQ(silent->link.client.stats.dropped_messages, flood - DEPTH - RPC_OUTBOX_FRAGMENTS);
	CHECK(silent->room_enabled); /* its line is low: the queue is full */
	CHECK_EQ(silent->room_interrupts, 0);
	CHECK(fx_log_lines <= RPC_LOG_BURST + 12U);
	/* When it reads at last, it gets the oldest replies in order. */
	for (uint16_t s = 0; s < DEPTH + RPC_OUTBOX_FRAGMENTS; s++) {
		CHECK(client_reply(silent, &seq));
		CHECK_EQ(seq, s);
	}
	CHECK(!client_reply(silent, &seq));
	CHECK(!silent->room_enabled);
}

/* A client that refills its queue as the RM reads it: one call reads RPC_LINK_BUDGET
 * fragments and says more wait; once it stops, the RM reads the rest and says none do. */
static void
test_budget_per_wake(void)
{
	setup();
	pair_t *p = &pairs[0];
	uint8_t frag[RM_RPC_HEADER_SIZE];
	for (uint16_t s = 0; s < DEPTH; s++) {
		fx_header(frag, RM_RPC_API_BYTE, RM_RPC_TYPE_REQUEST, 0, s, RM_RPC_VM_GET_VMID);
		CHECK_OK(mq_send(&p->to_rm, frag, sizeof(frag)));
	}
	p->refill = true;
	CHECK(rpc_link_readable(&p->link));
	CHECK_EQ(p->received, RPC_LINK_BUDGET);
	CHECK(rpc_link_readable(&p->link));
	CHECK_EQ(p->received, 2U * RPC_LINK_BUDGET);
	p->refill = false;
	CHECK(!rpc_link_readable(&p->link));
	CHECK_EQ(p->received, 2U * RPC_LINK_BUDGET + DEPTH);
	CHECK_EQ(p->to_rm.count, 0);
}

static const unit_test_t tests[] = {
	UNIT_TEST(test_burst_past_the_queue_depth),
	UNIT_TEST(test_bursts_of_every_size),
	UNIT_TEST(test_silent_client_does_not_block_others),
	UNIT_TEST(test_budget_per_wake),
};

int
main(int argc, char **argv)
{
	return unit_main(argc, argv, tests, UNIT_COUNT(tests), NULL);
}
