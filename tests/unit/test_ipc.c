/* test_ipc.c - host tests of message queues and doorbells (hyp/objects/msgqueue.c, doorbell.c,
 * virq_source.c) and their hypercall handlers: FIFO, sizes, thresholds, interrupt lines. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fixture.h"
#include "hypercall_handlers.h"
#include "objects/doorbell.h"
#include "objects/msgqueue.h"
#include "shim/host.h"
#include "unit.h"
#include "vm.h"

#define PART_BYTES (512U * 1024U)
#define RX_VIRQ 40U
#define TX_VIRQ 41U
#define DB_VIRQ 42U

static uint64_t
info(unsigned depth, unsigned size)
{
	return (uint64_t)depth | ((uint64_t)size << 16);
}

static uint64_t
va(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* An ACTIVE vic as bind sees it; the host build has no vGIC to activate it for real. */
static vic_t *
active_vic(partition_t *p)
{
	vic_t *vic = (vic_t *)fx_object(p, OBJECT_TYPE_VIC);
	vic->max_vcpus = 1;
	vic->max_virqs = VGIC_NR_IRQS;
	vic->header.state = OBJECT_STATE_ACTIVE;
	return vic;
}

static msgqueue_t *
active_queue(partition_t *p, unsigned depth, unsigned size)
{
	msgqueue_t *mq = (msgqueue_t *)fx_object(p, OBJECT_TYPE_MSGQUEUE);
	CHECK_OK(msgqueue_configure(mq, info(depth, size)));
	CHECK_OK(object_activate(&mq->header));
	return mq;
}

static bool
send(msgqueue_t *mq, const void *data, size_t size, bool push)
{
	bool not_full = false;
	CHECK_OK(msgqueue_send(mq, size, va(data), push, &not_full));
	return not_full;
}

/* Receives one message and checks it is `size` bytes of `fill`; returns not_empty. */
static bool
receive_expect(msgqueue_t *mq, uint8_t fill, size_t size)
{
	uint8_t buf[MSGQUEUE_MAX_MSG_SIZE + 1U]; /* one guard byte past the largest message */
	size_t got = 0;
	bool not_empty = false;
	memset(buf, 0xee, sizeof(buf));
	CHECK_OK(msgqueue_receive(mq, va(buf), MSGQUEUE_MAX_MSG_SIZE, &got, &not_empty));
	CHECK_EQ(got, size);
	for (size_t i = 0; i < size; i++) {
		CHECK_EQ(buf[i], fill);
	}
	CHECK_EQ(buf[size], 0xee); /* nothing past the message was written */
	return not_empty;
}

static void
send_fill(msgqueue_t *mq, uint8_t fill, size_t size, bool push)
{
	uint8_t buf[MSGQUEUE_MAX_MSG_SIZE];
	memset(buf, fill, size);
	(void)send(mq, buf, size, push);
}

static void
test_msgqueue_configure(void)
{
	partition_t *p = fx_partition(PART_BYTES);
	msgqueue_t *mq = (msgqueue_t *)fx_object(p, OBJECT_TYPE_MSGQUEUE);
	CHECK_ERR(object_activate(&mq->header), ERROR_OBJECT_CONFIG); /* never configured */
	object_put(&mq->header);

	mq = (msgqueue_t *)fx_object(p, OBJECT_TYPE_MSGQUEUE);
	CHECK_ERR(msgqueue_configure(mq, info(0, 240)), ERROR_ARGUMENT_INVALID);
	CHECK_ERR(msgqueue_configure(mq, info(257, 240)), ERROR_ARGUMENT_INVALID);
	CHECK_ERR(msgqueue_configure(mq, info(8, 0)), ERROR_ARGUMENT_INVALID);
	CHECK_ERR(msgqueue_configure(mq, info(8, 1025)), ERROR_ARGUMENT_INVALID);
	CHECK_ERR(msgqueue_configure(mq, info(8, 240) | (1ULL << 32)), ERROR_ARGUMENT_INVALID);
	CHECK_OK(msgqueue_configure(mq, info(256, 1024)));
	CHECK_OK(msgqueue_configure(mq, info(8, 240))); /* the last one before activation counts */
	size_t before = fx_free(p);
	CHECK_OK(object_activate(&mq->header));
	CHECK(fx_free(p) <= before - 8U * 240U - 8U * sizeof(uint16_t));
	CHECK_EQ(mq->queue_depth, 8);
	CHECK_EQ(mq->max_msg_size, 240);
	CHECK_EQ(mq->not_empty_thres, 1);
	CHECK_EQ(mq->not_full_thres, 7);
	CHECK_ERR(msgqueue_configure(mq, info(4, 16)), ERROR_OBJECT_STATE);
	object_put(&mq->header);
	/* The storage went back with the object. */
	CHECK_EQ(fx_free(p), before + fx_charge(OBJECT_TYPE_MSGQUEUE));
	object_put(&p->header);
}

static void
test_msgqueue_storage_nomem(void)
{
	size_t bytes = fx_charge(OBJECT_TYPE_MSGQUEUE) + 1024U;
	partition_t *p = fx_partition(bytes);
	msgqueue_t *mq = (msgqueue_t *)fx_object(p, OBJECT_TYPE_MSGQUEUE);
	CHECK_OK(msgqueue_configure(mq, info(256, 1024)));
	CHECK_ERR(object_activate(&mq->header), ERROR_NOMEM);
	CHECK_EQ(mq->header.state, OBJECT_STATE_FAILED);
	object_put(&mq->header);
	CHECK_EQ(fx_free(p), bytes); /* a half-allocated activation frees what it got */
	object_put(&p->header);
}

static void
test_msgqueue_every_size(void)
{
	partition_t *p = fx_partition(PART_BYTES);
	msgqueue_t *mq = active_queue(p, 2, 240);
	for (size_t size = 0; size <= 240U; size++) {
		send_fill(mq, (uint8_t)size, size, false);
		CHECK(!receive_expect(mq, (uint8_t)size, size));
	}
	uint8_t big[241] = { 0 };
	bool not_full = false;
	CHECK_ERR(msgqueue_send(mq, 241, va(big), false, &not_full), ERROR_ARGUMENT_SIZE);
	CHECK(not_full);
	CHECK_EQ(mq->count, 0);
	object_put(&mq->header);

	mq = active_queue(p, 1, 1024);
	send_fill(mq, 0x5a, 1024, false);
	CHECK(!receive_expect(mq, 0x5a, 1024));
	object_put(&mq->header);
	object_put(&p->header);
}

static void
test_msgqueue_full_and_empty(void)
{
	partition_t *p = fx_partition(PART_BYTES);
	msgqueue_t *mq = active_queue(p, 3, 16);
	uint8_t buf[16];
	size_t size = 99;
	bool flag = true;
	CHECK_ERR(msgqueue_receive(mq, va(buf), sizeof(buf), &size, &flag), ERROR_MSGQUEUE_EMPTY);
	CHECK_EQ(size, 0);
	CHECK(!flag);
	send_fill(mq, 1, 1, false);
	CHECK(send(mq, "\2\2", 2, false));
	CHECK(!send(mq, "\3\3\3", 3, false)); /* the third message fills the queue */
	flag = true;
	CHECK_ERR(msgqueue_send(mq, 4, va("abcd"), false, &flag), ERROR_MSGQUEUE_FULL);
	CHECK(!flag);
	CHECK(receive_expect(mq, 1, 1));
	CHECK(receive_expect(mq, 2, 2));
	CHECK(!receive_expect(mq, 3, 3));
	CHECK_ERR(msgqueue_receive(mq, va(buf), sizeof(buf), &size, &flag), ERROR_MSGQUEUE_EMPTY);
	object_put(&mq->header);
	object_put(&p->header);
}

/* Random interleavings against a plain model: order, contents and sizes survive wrap-around. */
static void
test_msgqueue_wraparound(void)
{
	partition_t *p = fx_partition(PART_BYTES);
	msgqueue_t *mq = active_queue(p, 5, 32);
	unit_rng_t rng;
	unit_rng_seed(&rng, 7);
	uint8_t model_fill[5], model_size[5];
	unsigned head = 0, count = 0, next = 0;
	for (unsigned step = 0; step < 5000U; step++) {
		if (unit_rng_below(&rng, 2) == 0U) {
			uint8_t data[32];
			size_t size = (size_t)unit_rng_below(&rng, 33);
			memset(data, (uint8_t)next, size);
			bool not_full = false;
			error_t err = msgqueue_send(mq, size, va(data), false, &not_full);
			if (count == 5U) {
				CHECK_ERR(err, ERROR_MSGQUEUE_FULL);
			} else {
				CHECK_OK(err);
				model_fill[(head + count) % 5U] = (uint8_t)next++;
				model_size[(head + count) % 5U] = (uint8_t)size;
				count++;
			}
			CHECK_EQ(not_full, count < 5U);
		} else if (count == 0U) {
			uint8_t buf[32];
			size_t size;
			bool not_empty;
			CHECK_ERR(msgqueue_receive(mq, va(buf), sizeof(buf), &size, &not_empty),
				  ERROR_MSGQUEUE_EMPTY);
		} else {
			bool not_empty = receive_expect(mq, model_fill[head], model_size[head]);
			head = (head + 1U) % 5U;
			count--;
			CHECK_EQ(not_empty, count > 0U);
		}
		CHECK_EQ(mq->count, count);
	}
	object_put(&mq->header);
	object_put(&p->header);
}

static void
test_msgqueue_receive_errors_keep_message(void)
{
	partition_t *p = fx_partition(PART_BYTES);
	msgqueue_t *mq = active_queue(p, 2, 64);
	send_fill(mq, 9, 40, false);
	uint8_t small[39];
	size_t size;
	bool not_empty = false;
	CHECK_ERR(msgqueue_receive(mq, va(small), sizeof(small), &size, &not_empty),
		  ERROR_ARGUMENT_SIZE);
	CHECK(not_empty);
	CHECK_ERR(msgqueue_receive(mq, HOST_BAD_GUEST_VA + 8U, 64, &size, &not_empty),
		  ERROR_ADDR_INVALID);
	CHECK_ERR(msgqueue_receive(mq, UINT64_MAX - 8U, 64, &size, &not_empty),
		  ERROR_ADDR_OVERFLOW);
	CHECK(!receive_expect(mq, 9, 40)); /* still there, whole */
	bool not_full = false;
	CHECK_ERR(msgqueue_send(mq, 16, HOST_BAD_GUEST_VA, false, &not_full), ERROR_ADDR_INVALID);
	CHECK_ERR(msgqueue_send(mq, 16, UINT64_MAX - 4U, false, &not_full), ERROR_ADDR_OVERFLOW);
	CHECK_EQ(mq->count, 0); /* nothing queued by a failed copy */
	CHECK(send(mq, NULL, 0, false)); /* an empty message copies nothing */
	CHECK(!receive_expect(mq, 0, 0));
	object_put(&mq->header);
	object_put(&p->header);
}

static void
test_msgqueue_flush(void)
{
	partition_t *p = fx_partition(PART_BYTES);
	msgqueue_t *mq = active_queue(p, 4, 8);
	send_fill(mq, 1, 8, false);
	send_fill(mq, 2, 8, false);
	msgqueue_flush(mq);
	uint8_t buf[8];
	size_t size;
	bool not_empty = true;
	CHECK_ERR(msgqueue_receive(mq, va(buf), sizeof(buf), &size, &not_empty),
		  ERROR_MSGQUEUE_EMPTY);
	CHECK(!not_empty);
	send_fill(mq, 3, 5, false);
	CHECK(!receive_expect(mq, 3, 5)); /* usable again after a flush */
	object_put(&mq->header);
	object_put(&p->header);
}

static void
test_msgqueue_thresholds_config(void)
{
	partition_t *p = fx_partition(PART_BYTES);
	msgqueue_t *mq = active_queue(p, 4, 8);
	CHECK_ERR(msgqueue_configure_send(mq, 4, 0), ERROR_ARGUMENT_INVALID);
	CHECK_ERR(msgqueue_configure_receive(mq, 0, 0), ERROR_ARGUMENT_INVALID);
	CHECK_ERR(msgqueue_configure_receive(mq, 5, 0), ERROR_ARGUMENT_INVALID);
	CHECK_ERR(msgqueue_configure_send(mq, 1, 10), ERROR_UNIMPLEMENTED);
	CHECK_ERR(msgqueue_configure_receive(mq, 1, 10), ERROR_UNIMPLEMENTED);
	CHECK_OK(msgqueue_configure_send(mq, 0, 0));
	CHECK_OK(msgqueue_configure_receive(mq, 4, MSGQUEUE_UNCHANGED));
	CHECK_EQ(mq->not_full_thres, 0);
	CHECK_EQ(mq->not_empty_thres, 4);
	CHECK_OK(msgqueue_configure_send(mq, MSGQUEUE_UNCHANGED, MSGQUEUE_UNCHANGED));
	CHECK_OK(msgqueue_configure_receive(mq, MSGQUEUE_UNCHANGED, 0));
	CHECK_EQ(mq->not_full_thres, 0);
	CHECK_EQ(mq->not_empty_thres, 4);
	object_put(&mq->header);
	object_put(&p->header);
}

static void
test_msgqueue_receive_line(void)
{
	partition_t *p = fx_partition(PART_BYTES);
	vic_t *vic = active_vic(p);
	msgqueue_t *mq = active_queue(p, 4, 8);
	CHECK_OK(msgqueue_bind(mq, MSGQUEUE_SIDE_RECEIVE, vic, RX_VIRQ));
	CHECK(!host_virq_level(vic, RX_VIRQ));
	/* Default threshold 1: up with the first message, down when the queue is empty. */
	send_fill(mq, 1, 1, false);
	CHECK(host_virq_level(vic, RX_VIRQ));
	CHECK_EQ(host_virq_edges(vic, RX_VIRQ), 1);
	send_fill(mq, 2, 1, false);
	CHECK_EQ(host_virq_edges(vic, RX_VIRQ), 1); /* still up: no new edge */
	CHECK(receive_expect(mq, 1, 1));
	CHECK(host_virq_level(vic, RX_VIRQ));
	CHECK(!receive_expect(mq, 2, 1));
	CHECK(!host_virq_level(vic, RX_VIRQ));

	/* Threshold 3: quiet until the third message, down again below it. */
	CHECK_OK(msgqueue_configure_receive(mq, 3, 0));
	send_fill(mq, 1, 1, false);
	send_fill(mq, 2, 1, false);
	CHECK(!host_virq_level(vic, RX_VIRQ));
	send_fill(mq, 3, 1, false);
	CHECK(host_virq_level(vic, RX_VIRQ));
	CHECK_EQ(host_virq_edges(vic, RX_VIRQ), 2);
	CHECK(receive_expect(mq, 1, 1));
	CHECK(!host_virq_level(vic, RX_VIRQ));
	CHECK(receive_expect(mq, 2, 1));
	CHECK(!receive_expect(mq, 3, 1));

	/* PUSH: up at once below the threshold, and stays up until the queue is empty. */
	send_fill(mq, 4, 1, false);
	CHECK(!host_virq_level(vic, RX_VIRQ));
	send_fill(mq, 5, 1, true);
	CHECK(host_virq_level(vic, RX_VIRQ));
	CHECK_EQ(host_virq_edges(vic, RX_VIRQ), 3);
	CHECK(receive_expect(mq, 4, 1));
	CHECK(host_virq_level(vic, RX_VIRQ));
	CHECK(!receive_expect(mq, 5, 1));
	CHECK(!host_virq_level(vic, RX_VIRQ));
	send_fill(mq, 6, 1, false); /* the push was consumed by emptying the queue */
	CHECK(!host_virq_level(vic, RX_VIRQ));

	/* Lowering the threshold under waiting messages raises the line; flush drops it. */
	CHECK_OK(msgqueue_configure_receive(mq, 1, 0));
	CHECK(host_virq_level(vic, RX_VIRQ));
	msgqueue_flush(mq);
	CHECK(!host_virq_level(vic, RX_VIRQ));
	send_fill(mq, 7, 1, true);
	msgqueue_flush(mq);
	CHECK_OK(msgqueue_configure_receive(mq, 2, 0));
	send_fill(mq, 8, 1, false); /* a flush also ends a pending push */
	CHECK(!host_virq_level(vic, RX_VIRQ));
	object_put(&mq->header);
	object_put(&vic->header);
	object_put(&p->header);
}

static void
test_msgqueue_send_line(void)
{
	partition_t *p = fx_partition(PART_BYTES);
	vic_t *vic = active_vic(p);
	msgqueue_t *mq = active_queue(p, 4, 8);
	CHECK_OK(msgqueue_bind(mq, MSGQUEUE_SIDE_SEND, vic, TX_VIRQ));
	for (uint8_t i = 0; i < 4U; i++) {
		send_fill(mq, i, 1, false);
		CHECK(!host_virq_level(vic, TX_VIRQ)); /* never up while the sender is sending */
	}
	/* Default threshold depth-1: a full queue tells the sender when one slot frees up. */
	CHECK(receive_expect(mq, 0, 1));
	CHECK(host_virq_level(vic, TX_VIRQ));
	CHECK_EQ(host_virq_edges(vic, TX_VIRQ), 1);
	CHECK(receive_expect(mq, 1, 1));
	CHECK(host_virq_level(vic, TX_VIRQ));
	send_fill(mq, 4, 1, false); /* the sender reacted: line down */
	CHECK(!host_virq_level(vic, TX_VIRQ));
	CHECK(receive_expect(mq, 2, 1));
	CHECK(!host_virq_level(vic, TX_VIRQ)); /* the queue had not risen above 3 again */

	/* Threshold 1: the line waits until the queue has drained to one message. */
	msgqueue_flush(mq);
	CHECK_OK(msgqueue_configure_send(mq, 1, 0));
	for (uint8_t i = 0; i < 4U; i++) {
		send_fill(mq, i, 1, false);
	}
	CHECK(receive_expect(mq, 0, 1));
	CHECK(receive_expect(mq, 1, 1));
	CHECK(!host_virq_level(vic, TX_VIRQ));
	CHECK(receive_expect(mq, 2, 1));
	CHECK(host_virq_level(vic, TX_VIRQ));
	CHECK_EQ(host_virq_edges(vic, TX_VIRQ), 2);

	/* A refused send (FULL) and a flush: the flush frees everything, so the line rises. */
	send_fill(mq, 4, 1, false);
	send_fill(mq, 5, 1, false);
	send_fill(mq, 6, 1, false);
	CHECK(!host_virq_level(vic, TX_VIRQ));
	bool not_full = true;
	CHECK_ERR(msgqueue_send(mq, 1, va("x"), false, &not_full), ERROR_MSGQUEUE_FULL);
	CHECK(!not_full);
	msgqueue_flush(mq);
	CHECK(host_virq_level(vic, TX_VIRQ));
	CHECK_EQ(host_virq_edges(vic, TX_VIRQ), 3);
	object_put(&mq->header);
	object_put(&vic->header);
	object_put(&p->header);
}

static void
test_msgqueue_bind_rules(void)
{
	partition_t *p = fx_partition(PART_BYTES);
	vic_t *vic = active_vic(p);
	vic_t *idle = (vic_t *)fx_object(p, OBJECT_TYPE_VIC); /* INIT */
	msgqueue_t *mq = active_queue(p, 2, 8);
	msgqueue_t *other = active_queue(p, 2, 8);
	CHECK_ERR(msgqueue_bind(mq, MSGQUEUE_SIDE_RECEIVE, idle, RX_VIRQ), ERROR_OBJECT_STATE);
	CHECK_ERR(msgqueue_bind(mq, MSGQUEUE_SIDE_RECEIVE, vic, 31), ERROR_ARGUMENT_INVALID);
	CHECK_ERR(msgqueue_bind(mq, MSGQUEUE_SIDE_RECEIVE, vic, VGIC_NR_IRQS),
		  ERROR_ARGUMENT_INVALID);
	CHECK_ERR(msgqueue_unbind(mq, MSGQUEUE_SIDE_RECEIVE), ERROR_VIRQ_NOT_BOUND);
	uint32_t refs = fx_refs(&vic->header);
	/* Binding with a message waiting raises the line at once. */
	send_fill(mq, 1, 1, false);
	CHECK_OK(msgqueue_bind(mq, MSGQUEUE_SIDE_RECEIVE, vic, RX_VIRQ));
	CHECK(host_virq_level(vic, RX_VIRQ));
	CHECK_EQ(fx_refs(&vic->header), refs + 1U);
	CHECK_ERR(msgqueue_bind(mq, MSGQUEUE_SIDE_RECEIVE, vic, RX_VIRQ + 5U), ERROR_VIRQ_BOUND);
	CHECK_ERR(msgqueue_bind(mq, MSGQUEUE_SIDE_SEND, vic, RX_VIRQ), ERROR_BUSY);
	CHECK_ERR(msgqueue_bind(other, MSGQUEUE_SIDE_RECEIVE, vic, RX_VIRQ), ERROR_BUSY);
	CHECK_OK(msgqueue_bind(mq, MSGQUEUE_SIDE_SEND, vic, TX_VIRQ));
	/* Unbinding lowers the line and frees the SPI for another source. */
	CHECK_OK(msgqueue_unbind(mq, MSGQUEUE_SIDE_RECEIVE));
	CHECK(!host_virq_level(vic, RX_VIRQ));
	CHECK_ERR(msgqueue_unbind(mq, MSGQUEUE_SIDE_RECEIVE), ERROR_VIRQ_NOT_BOUND);
	CHECK_OK(msgqueue_bind(other, MSGQUEUE_SIDE_RECEIVE, vic, RX_VIRQ));
	CHECK_EQ(fx_refs(&vic->header), refs + 2U);
	/* Destroying a bound queue unbinds it and drops its vic reference. */
	object_put(&other->header);
	CHECK_EQ(fx_refs(&vic->header), refs + 1U);
	CHECK(!host_virq_level(vic, RX_VIRQ));
	object_put(&mq->header);
	CHECK_EQ(fx_refs(&vic->header), refs);
	object_put(&idle->header);
	object_put(&vic->header);
	object_put(&p->header);
}

static doorbell_t *
active_doorbell(partition_t *p)
{
	doorbell_t *db = (doorbell_t *)fx_object(p, OBJECT_TYPE_DOORBELL);
	CHECK_OK(object_activate(&db->header));
	return db;
}

static void
test_doorbell_flags(void)
{
	partition_t *p = fx_partition(PART_BYTES);
	doorbell_t *db = active_doorbell(p);
	CHECK_EQ(db->enable_mask, UINT64_MAX);
	CHECK_EQ(db->ack_mask, 0);
	uint64_t old = 99;
	CHECK_ERR(doorbell_send(db, 0, &old), ERROR_ARGUMENT_INVALID);
	CHECK_ERR(doorbell_receive(db, 0, &old), ERROR_ARGUMENT_INVALID);
	CHECK_OK(doorbell_send(db, 0x5, &old));
	CHECK_EQ(old, 0);
	CHECK_OK(doorbell_send(db, 0x8000000000000004ULL, &old));
	CHECK_EQ(old, 0x5);
	CHECK_OK(doorbell_receive(db, 0x1, &old));
	CHECK_EQ(old, 0x8000000000000005ULL); /* every set flag, not just the cleared ones */
	CHECK_OK(doorbell_receive(db, UINT64_MAX, &old));
	CHECK_EQ(old, 0x8000000000000004ULL);
	CHECK_OK(doorbell_receive(db, UINT64_MAX, &old));
	CHECK_EQ(old, 0);
	/* Without a bound interrupt nothing is delivered, so the ack mask consumes nothing. */
	doorbell_mask(db, 0x1, 0x1);
	CHECK_OK(doorbell_send(db, 0x3, &old));
	CHECK_EQ(db->flags, 0x3);
	doorbell_reset(db);
	CHECK_EQ(db->flags, 0);
	CHECK_EQ(db->enable_mask, UINT64_MAX);
	CHECK_EQ(db->ack_mask, 0);
	object_put(&db->header);
	object_put(&p->header);
}

static void
test_doorbell_line(void)
{
	partition_t *p = fx_partition(PART_BYTES);
	vic_t *vic = active_vic(p);
	doorbell_t *db = active_doorbell(p);
	uint64_t old;
	CHECK_ERR(doorbell_unbind(db), ERROR_VIRQ_NOT_BOUND);
	CHECK_OK(doorbell_bind(db, vic, DB_VIRQ));
	CHECK_ERR(doorbell_bind(db, vic, DB_VIRQ + 1U), ERROR_VIRQ_BOUND);
	CHECK(!host_virq_level(vic, DB_VIRQ));
	CHECK_OK(doorbell_send(db, 0x2, &old));
	CHECK(host_virq_level(vic, DB_VIRQ));
	CHECK_OK(doorbell_send(db, 0x4, &old));
	CHECK_EQ(host_virq_edges(vic, DB_VIRQ), 1); /* up while any enabled flag is set */
	CHECK_OK(doorbell_receive(db, 0x2, &old));
	CHECK(host_virq_level(vic, DB_VIRQ));
	CHECK_OK(doorbell_receive(db, 0x4, &old));
	CHECK(!host_virq_level(vic, DB_VIRQ));

	/* Disabled flags are kept but raise nothing until enabled. */
	doorbell_mask(db, 0x1, 0);
	CHECK_OK(doorbell_send(db, 0x6, &old));
	CHECK(!host_virq_level(vic, DB_VIRQ));
	doorbell_mask(db, 0x2, 0);
	CHECK(host_virq_level(vic, DB_VIRQ));
	CHECK_EQ(host_virq_edges(vic, DB_VIRQ), 2);
	doorbell_mask(db, 0x1, 0);
	CHECK(!host_virq_level(vic, DB_VIRQ));
	doorbell_reset(db); /* flags gone, masks back to default; still bound */
	CHECK(!host_virq_level(vic, DB_VIRQ));
	CHECK_OK(doorbell_send(db, 0x10, &old));
	CHECK_EQ(old, 0);
	CHECK(host_virq_level(vic, DB_VIRQ));

	/* Unbind lowers the line; binding with enabled flags set delivers at once. */
	CHECK_OK(doorbell_unbind(db));
	CHECK(!host_virq_level(vic, DB_VIRQ));
	CHECK_OK(doorbell_bind(db, vic, DB_VIRQ));
	CHECK(host_virq_level(vic, DB_VIRQ));
	object_put(&db->header); /* destroying a bound doorbell lowers its line */
	CHECK(!host_virq_level(vic, DB_VIRQ));
	object_put(&vic->header);
	object_put(&p->header);
}

static void
test_doorbell_ack_mask(void)
{
	partition_t *p = fx_partition(PART_BYTES);
	vic_t *vic = active_vic(p);
	doorbell_t *db = active_doorbell(p);
	uint64_t old;
	CHECK_OK(doorbell_bind(db, vic, DB_VIRQ));
	doorbell_mask(db, UINT64_MAX, 0x1);
	/* Only auto-acknowledged flags: each send is one edge and leaves no flag behind. */
	CHECK_OK(doorbell_send(db, 0x1, &old));
	CHECK_EQ(old, 0);
	CHECK_EQ(db->flags, 0);
	CHECK(!host_virq_level(vic, DB_VIRQ));
	CHECK_EQ(host_virq_edges(vic, DB_VIRQ), 1);
	CHECK_OK(doorbell_send(db, 0x1, &old));
	CHECK_EQ(old, 0);
	CHECK_EQ(host_virq_edges(vic, DB_VIRQ), 2);
	/* Mixed: the acked flag goes, the other keeps the line up. */
	CHECK_OK(doorbell_send(db, 0x3, &old));
	CHECK_EQ(db->flags, 0x2);
	CHECK(host_virq_level(vic, DB_VIRQ));
	CHECK_EQ(host_virq_edges(vic, DB_VIRQ), 3);
	CHECK_OK(doorbell_receive(db, 0x2, &old));
	CHECK_EQ(old, 0x2);
	CHECK(!host_virq_level(vic, DB_VIRQ));
	/* A flag that is not enabled is not delivered, so not acknowledged either. */
	doorbell_mask(db, 0x2, 0x1);
	CHECK_OK(doorbell_send(db, 0x1, &old));
	CHECK_EQ(db->flags, 0x1);
	CHECK_EQ(host_virq_edges(vic, DB_VIRQ), 3);
	object_put(&db->header);
	object_put(&vic->header);
	object_put(&p->header);
}

/* The hypercall handlers, through caps in the calling vCPU's cspace. */
static struct {
	partition_t *p;
	cspace_t *cs;
	thread_t *self;
	vic_t *vic;
	cap_id_t vic_cap;
} w;

static void
world_up(void)
{
	w.p = fx_partition(PART_BYTES);
	w.cs = fx_cspace(w.p, 32);
	w.self = (thread_t *)fx_object(w.p, OBJECT_TYPE_THREAD);
	CHECK_OK(thread_attach_cspace(w.self, w.cs));
	host_set_current(w.self);
	w.vic = active_vic(w.p);
	w.vic_cap = fx_master(w.cs, &w.vic->header, CAP_RIGHTS_VIC_ALL);
}

static void
world_down(void)
{
	host_set_current(NULL);
	object_put(&w.vic->header);
	object_put(&w.self->header);
	object_put(&w.cs->header); /* deletes every cap, and so every object made here */
	object_put(&w.p->header);
}

static cap_id_t
make(object_type_t type, cap_rights_t rights)
{
	object_header_t *o = fx_object(w.p, type);
	cap_id_t cap = fx_master(w.cs, o, rights);
	object_put(o);
	return cap;
}

static void
test_msgqueue_calls(void)
{
	world_up();
	cap_id_t mq = make(OBJECT_TYPE_MSGQUEUE, CAP_RIGHTS_MSGQUEUE_ALL);
	cap_id_t db = make(OBJECT_TYPE_DOORBELL, CAP_RIGHTS_DOORBELL_ALL);
	uint8_t msg[240], buf[240];
	memset(msg, 0x3c, sizeof(msg));
	CHECK_ERR(hypercall_msgqueue_send(mq, 1, va(msg), 0).error, ERROR_OBJECT_STATE);
	CHECK_ERR(hypercall_msgqueue_configure(db, info(8, 240)).error,
		  ERROR_CSPACE_WRONG_OBJECT_TYPE);
	CHECK_ERR(hypercall_msgqueue_configure(mq, info(8, 241 + 1024)).error,
		  ERROR_ARGUMENT_INVALID);
	CHECK_OK(hypercall_msgqueue_configure(mq, info(2, 240)).error);
	CHECK_OK(hypercall_object_activate(mq).error);
	CHECK_ERR(hypercall_msgqueue_configure(mq, info(2, 240)).error, ERROR_OBJECT_STATE);

	hypercall_msgqueue_send_result_t s = hypercall_msgqueue_send(mq, 240, va(msg), 1);
	CHECK_OK(s.error);
	CHECK(s.not_full);
	CHECK_ERR(hypercall_msgqueue_send(mq, 241, va(msg), 0).error, ERROR_ARGUMENT_SIZE);
	CHECK_ERR(hypercall_msgqueue_send(mq, 1, va(msg), 2).error, ERROR_ARGUMENT_INVALID);
	s = hypercall_msgqueue_send(mq, 3, va(msg), 0);
	CHECK_OK(s.error);
	CHECK(!s.not_full);
	CHECK_ERR(hypercall_msgqueue_send(mq, 3, va(msg), 0).error, ERROR_MSGQUEUE_FULL);
	hypercall_msgqueue_receive_result_t r = hypercall_msgqueue_receive(mq, va(buf), 240);
	CHECK_OK(r.error);
	CHECK_EQ(r.size, 240);
	CHECK(r.not_empty);
	CHECK(memcmp(buf, msg, 240) == 0);
	r = hypercall_msgqueue_receive(mq, va(buf), 240);
	CHECK_OK(r.error);
	CHECK_EQ(r.size, 3);
	CHECK(!r.not_empty);
	CHECK_ERR(hypercall_msgqueue_receive(mq, va(buf), 240).error, ERROR_MSGQUEUE_EMPTY);
	CHECK_OK(hypercall_msgqueue_flush(mq).error);
	CHECK_ERR(hypercall_msgqueue_configure_send(mq, 2, 0).error, ERROR_ARGUMENT_INVALID);
	CHECK_OK(hypercall_msgqueue_configure_send(mq, 0, 0).error);
	CHECK_OK(hypercall_msgqueue_configure_receive(mq, 2, 0).error);

	/* Rights: each call needs its own. */
	cap_id_t send_only = fx_master(w.cs, fx_target(w.cs, mq), CAP_RIGHTS_MSGQUEUE_SEND);
	CHECK_OK(hypercall_msgqueue_send(send_only, 0, 0, 0).error);
	CHECK_ERR(hypercall_msgqueue_receive(send_only, va(buf), 240).error,
		  ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	CHECK_ERR(hypercall_msgqueue_flush(send_only).error, ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	CHECK_ERR(hypercall_msgqueue_configure_receive(send_only, 1, 0).error,
		  ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	CHECK_ERR(hypercall_msgqueue_bind_send_virq(send_only, w.vic_cap, TX_VIRQ).error,
		  ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	CHECK_ERR(hypercall_msgqueue_configure(send_only, info(2, 8)).error,
		  ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	cap_id_t recv_only = fx_master(w.cs, fx_target(w.cs, mq), CAP_RIGHTS_MSGQUEUE_RECEIVE);
	CHECK_ERR(hypercall_msgqueue_send(recv_only, 0, 0, 0).error,
		  ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	CHECK_ERR(hypercall_msgqueue_configure_send(recv_only, 0, 0).error,
		  ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	CHECK_ERR(hypercall_msgqueue_unbind_receive_virq(recv_only).error,
		  ERROR_CSPACE_INSUFFICIENT_RIGHTS);

	/* Binding: the vic cap needs bind_source and must name a vic. */
	cap_id_t weak_vic = fx_master(w.cs, &w.vic->header, CAP_RIGHTS_VIC_ATTACH_VCPU);
	CHECK_ERR(hypercall_msgqueue_bind_receive_virq(mq, weak_vic, RX_VIRQ).error,
		  ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	CHECK_ERR(hypercall_msgqueue_bind_receive_virq(mq, db, RX_VIRQ).error,
		  ERROR_CSPACE_WRONG_OBJECT_TYPE);
	CHECK_ERR(hypercall_msgqueue_bind_receive_virq(mq, w.vic_cap, 7).error,
		  ERROR_ARGUMENT_INVALID);
	CHECK_OK(hypercall_msgqueue_bind_receive_virq(mq, w.vic_cap, RX_VIRQ).error);
	CHECK_OK(hypercall_msgqueue_bind_send_virq(mq, w.vic_cap, TX_VIRQ).error);
	CHECK_ERR(hypercall_msgqueue_bind_send_virq(mq, w.vic_cap, TX_VIRQ + 2U).error,
		  ERROR_VIRQ_BOUND);
	CHECK_OK(hypercall_msgqueue_send(mq, 1, va(msg), 1).error); /* PUSH below threshold 2 */
	CHECK(host_virq_level(w.vic, RX_VIRQ));
	CHECK_OK(hypercall_msgqueue_unbind_receive_virq(mq).error);
	CHECK_ERR(hypercall_msgqueue_unbind_receive_virq(mq).error, ERROR_VIRQ_NOT_BOUND);
	CHECK_OK(hypercall_msgqueue_unbind_send_virq(mq).error);
	/* An ID that names no slot (under the host's keys): an invalid argument. */
	CHECK_ERR(hypercall_msgqueue_send(CSPACE_CAP_INVALID, 0, 0, 0).error,
		  ERROR_ARGUMENT_INVALID);
	world_down();
}

static void
test_doorbell_calls(void)
{
	world_up();
	cap_id_t db = make(OBJECT_TYPE_DOORBELL, CAP_RIGHTS_DOORBELL_ALL);
	cap_id_t mq = make(OBJECT_TYPE_MSGQUEUE, CAP_RIGHTS_MSGQUEUE_ALL);
	CHECK_ERR(hypercall_doorbell_send(db, 1).error, ERROR_OBJECT_STATE);
	CHECK_OK(hypercall_object_activate(db).error);
	CHECK_ERR(hypercall_doorbell_send(mq, 1).error, ERROR_CSPACE_WRONG_OBJECT_TYPE);
	hypercall_doorbell_send_result_t s = hypercall_doorbell_send(db, 0x11);
	CHECK_OK(s.error);
	CHECK_EQ(s.old_flags, 0);
	s = hypercall_doorbell_send(db, 0x2);
	CHECK_EQ(s.old_flags, 0x11);
	hypercall_doorbell_receive_result_t r = hypercall_doorbell_receive(db, 0x10);
	CHECK_OK(r.error);
	CHECK_EQ(r.old_flags, 0x13);
	CHECK_ERR(hypercall_doorbell_receive(db, 0).error, ERROR_ARGUMENT_INVALID);
	CHECK_OK(hypercall_doorbell_mask(db, 0x1, 0x1).error);
	CHECK_OK(hypercall_doorbell_bind_virq(db, w.vic_cap, DB_VIRQ).error);
	/* Binding delivered flag 0x1 (enabled, auto-acknowledged); 0x2 is not enabled. */
	CHECK_EQ(hypercall_doorbell_receive(db, 0x2).old_flags, 0x2);
	CHECK_EQ(host_virq_edges(w.vic, DB_VIRQ), 1);
	CHECK_OK(hypercall_doorbell_reset(db).error);
	CHECK_EQ(hypercall_doorbell_send(db, 0x4).old_flags, 0);
	CHECK(host_virq_level(w.vic, DB_VIRQ));

	cap_id_t sender = fx_master(w.cs, fx_target(w.cs, db), CAP_RIGHTS_DOORBELL_SEND);
	CHECK_OK(hypercall_doorbell_send(sender, 0x8).error);
	CHECK_ERR(hypercall_doorbell_receive(sender, 1).error, ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	CHECK_ERR(hypercall_doorbell_mask(sender, 1, 1).error, ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	CHECK_ERR(hypercall_doorbell_reset(sender).error, ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	CHECK_ERR(hypercall_doorbell_unbind_virq(sender).error, ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	CHECK_OK(hypercall_doorbell_unbind_virq(db).error);
	CHECK(!host_virq_level(w.vic, DB_VIRQ));
	CHECK_ERR(hypercall_doorbell_unbind_virq(db).error, ERROR_VIRQ_NOT_BOUND);
	world_down();
}

static void
after_test(void)
{
	host_virq_reset();
	fx_after_test();
}

int
main(int argc, char **argv)
{
	static const unit_test_t tests[] = {
		UNIT_TEST(test_msgqueue_configure),
		UNIT_TEST(test_msgqueue_storage_nomem),
		UNIT_TEST(test_msgqueue_every_size),
		UNIT_TEST(test_msgqueue_full_and_empty),
		UNIT_TEST(test_msgqueue_wraparound),
		UNIT_TEST(test_msgqueue_receive_errors_keep_message),
		UNIT_TEST(test_msgqueue_flush),
		UNIT_TEST(test_msgqueue_thresholds_config),
		UNIT_TEST(test_msgqueue_receive_line),
		UNIT_TEST(test_msgqueue_send_line),
		UNIT_TEST(test_msgqueue_bind_rules),
		UNIT_TEST(test_doorbell_flags),
		UNIT_TEST(test_doorbell_line),
		UNIT_TEST(test_doorbell_ack_mask),
		UNIT_TEST(test_msgqueue_calls),
		UNIT_TEST(test_doorbell_calls),
	};
	return unit_main(argc, argv, tests, UNIT_COUNT(tests), after_test);
}
