/* msgqueue.h - the message queue object: a bounded FIFO of messages copied from the sender's
 * memory to the receiver's; a not-empty interrupt for the receiver, not-full for the sender. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "object.h"
#include "spinlock.h"
#include "virq_source.h"

/* Gunyah's limits on msgqueue_create_info (queue_depth bits 15:0, max_msg_size bits 31:16). */
#define MSGQUEUE_MAX_QUEUE_DEPTH 256U
#define MSGQUEUE_MAX_MSG_SIZE 1024U
#define MSGQUEUE_SEND_FLAG_PUSH 0x1U
/* msgqueue_configure_send/receive: leave this value as it is. */
#define MSGQUEUE_UNCHANGED 0xffffffffU

typedef enum msgqueue_side {
	MSGQUEUE_SIDE_SEND,    /* the sender's interrupt: space became available */
	MSGQUEUE_SIDE_RECEIVE, /* the receiver's interrupt: messages are waiting */
} msgqueue_side_t;

typedef struct msgqueue {
	object_header_t header;
	/* Set by msgqueue_configure in INIT; fixed once ACTIVE. */
	uint16_t queue_depth;
	uint16_t max_msg_size;
	/* Allocated at activation from the object's partition. */
	uint8_t *slots;  /* queue_depth slots of max_msg_size bytes */
	uint16_t *sizes; /* length of the message in each slot */

	spinlock_t lock; /* everything below, once ACTIVE */
	unsigned head;   /* slot of the oldest message */
	unsigned count;  /* messages queued */
	unsigned not_empty_thres; /* receive line up at or above this count (1..depth) */
	unsigned not_full_thres;  /* send line up at or below this count (0..depth-1) */
	bool push_pending; /* a PUSH arrived since the queue was last empty */
	bool send_armed;   /* the count rose above not_full_thres since the last send */
	virq_source_t send_virq;
	virq_source_t receive_virq;
} msgqueue_t;

/* msgqueue_configure, in INIT: ERROR_ARGUMENT_INVALID unless depth is 1..256, max_msg_size
 * 1..1024 and the other bits are zero; ERROR_OBJECT_STATE after activation. */
error_t msgqueue_configure(msgqueue_t *mq, uint64_t create_info);

/* The operations below need the queue ACTIVE (the caller checks) and return its state after
 * the call in their out parameters, also on failure. */

/* Copies `size` bytes from the calling vCPU's virtual address `data` into a new message.
 * ERROR_ARGUMENT_SIZE (size > max_msg_size), ERROR_MSGQUEUE_FULL, or the copy's error
 * (ERROR_ADDR_INVALID, ERROR_ADDR_OVERFLOW); on failure nothing is queued. */
error_t msgqueue_send(msgqueue_t *mq, size_t size, uint64_t data, bool push, bool *not_full);

/* Moves the oldest message to the calling vCPU's virtual address `buffer`: *size is its
 * length. ERROR_MSGQUEUE_EMPTY, ERROR_ARGUMENT_SIZE (buf_size < the message), or the copy's
 * error; on failure the message stays queued. */
error_t msgqueue_receive(msgqueue_t *mq, uint64_t buffer, size_t buf_size, size_t *size,
			 bool *not_empty);

/* Discards every queued message. */
void msgqueue_flush(msgqueue_t *mq);

/* Thresholds (MSGQUEUE_UNCHANGED keeps one). ERROR_ARGUMENT_INVALID out of range;
 * ERROR_UNIMPLEMENTED for a non-zero holdoff (bothy never delays an interrupt). */
error_t msgqueue_configure_send(msgqueue_t *mq, uint32_t not_full_thres, uint32_t holdoff);
error_t msgqueue_configure_receive(msgqueue_t *mq, uint32_t not_empty_thres, uint32_t holdoff);

/* msgqueue_bind_*_virq / unbind: see virq_source_bind for the errors; unbind of a side that
 * is not bound is ERROR_VIRQ_NOT_BOUND. A bound line starts at the queue's current state. */
error_t msgqueue_bind(msgqueue_t *mq, msgqueue_side_t side, vic_t *vic, uint32_t virq);
error_t msgqueue_unbind(msgqueue_t *mq, msgqueue_side_t side);
