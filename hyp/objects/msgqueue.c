/* msgqueue.c - message queue objects: configuration and storage, the FIFO itself, and when
 * its two interrupt lines (receiver: not empty, sender: not full) are up. */
#include <stddef.h>
#include <stdint.h>

#include "object_ops.h"
#include "objects/msgqueue.h"
#include "partition.h"
#include "vm.h"

#define SLOT_ALIGN 16U

error_t
msgqueue_configure(msgqueue_t *mq, uint64_t create_info)
{
	uint64_t depth = msgqueue_create_info_queue_depth(create_info);
	uint64_t size = msgqueue_create_info_max_msg_size(create_info);
	if ((create_info & ~MSGQUEUE_CREATE_INFO_VALID_MASK) != 0U || depth == 0U || depth > MSGQUEUE_MAX_QUEUE_DEPTH ||
	    size == 0U || size > MSGQUEUE_MAX_MSG_SIZE) {
		return ERROR_ARGUMENT_INVALID;
	}
	spinlock_acquire(&mq->header.lock);
	error_t err = mq->header.state == OBJECT_STATE_INIT ? OK : ERROR_OBJECT_STATE;
	if (err == OK) {
		mq->queue_depth = (uint16_t)depth;
		mq->max_msg_size = (uint16_t)size;
	}
	spinlock_release(&mq->header.lock);
	return err;
}

static size_t
slots_bytes(const msgqueue_t *mq)
{
	return (size_t)mq->queue_depth * mq->max_msg_size;
}

static size_t
sizes_bytes(const msgqueue_t *mq)
{
	return (size_t)mq->queue_depth * sizeof(mq->sizes[0]);
}

/* Runs under the header lock (object_activate). Storage is charged to the queue's own
 * partition, so a VM's queues cost its partition, not the hypervisor. */
error_t
msgqueue_activate(object_header_t *object)
{
	msgqueue_t *mq = (msgqueue_t *)object;
	if (mq->queue_depth == 0U) {
		return ERROR_OBJECT_CONFIG; /* msgqueue_configure never succeeded */
	}
	mq->slots = partition_alloc(object->partition, slots_bytes(mq), SLOT_ALIGN);
	mq->sizes = partition_alloc(object->partition, sizes_bytes(mq), SLOT_ALIGN);
	if (mq->slots == NULL || mq->sizes == NULL) {
		return ERROR_NOMEM; /* cleanup frees whichever one was allocated */
	}
	/* Defaults: tell the receiver about every message, and the sender as soon as a full
	 * queue has one free slot again. */
	mq->not_empty_thres = 1U;
	mq->not_full_thres = mq->queue_depth - 1U;
	return OK;
}

void
msgqueue_cleanup(object_header_t *object)
{
	msgqueue_t *mq = (msgqueue_t *)object;
	/* The last reference is gone: nothing else can touch the queue, so no lock. */
	vic_t *vics[2] = { virq_source_unbind(&mq->send_virq),
			   virq_source_unbind(&mq->receive_virq) };
	for (unsigned i = 0; i < 2U; i++) {
		if (vics[i] != NULL) {
			object_put(&vics[i]->header);
		}
	}
	if (mq->slots != NULL) {
		partition_free(object->partition, mq->slots, slots_bytes(mq));
	}
	if (mq->sizes != NULL) {
		partition_free(object->partition, mq->sizes, sizes_bytes(mq));
	}
}

static uint8_t *
slot(const msgqueue_t *mq, unsigned index)
{
	return mq->slots + (size_t)index * mq->max_msg_size;
}

/* The receiver is told once the queue holds not_empty_thres messages, or earlier when a
 * sender asked for it with PUSH; it stays told until the queue is below the threshold and
 * no push is pending (a pending push ends only when the queue empties). */
static bool
receive_line(const msgqueue_t *mq)
{
	return mq->count > 0U && (mq->count >= mq->not_empty_thres || mq->push_pending);
}

/* The sender is told when the queue, having risen above not_full_thres, drains back to it;
 * its next send (which sees not_full) lowers the line again. */
static bool
send_line(const msgqueue_t *mq)
{
	return mq->send_armed && mq->count <= mq->not_full_thres;
}

/* Under mq->lock, after every change to the count, flags or thresholds. */
static void
update_lines(msgqueue_t *mq)
{
	virq_source_set_level(&mq->receive_virq, receive_line(mq));
	virq_source_set_level(&mq->send_virq, send_line(mq));
}

error_t
msgqueue_send(msgqueue_t *mq, size_t size, uint64_t data, bool push, bool *not_full)
{
	spinlock_acquire(&mq->lock);
	error_t err;
	if (size > mq->max_msg_size) {
		err = ERROR_ARGUMENT_SIZE;
	} else if (mq->count == mq->queue_depth) {
		err = ERROR_MSGQUEUE_FULL;
	} else {
		unsigned tail = (mq->head + mq->count) % mq->queue_depth;
		/* Straight into the slot: it only becomes a message once count covers it. */
		err = guest_copy_from(slot(mq, tail), data, size);
		if (err == OK) {
			mq->sizes[tail] = (uint16_t)size;
			mq->count++;
			mq->push_pending = mq->push_pending || push;
			mq->send_armed = mq->count > mq->not_full_thres;
			update_lines(mq);
		}
	}
	*not_full = mq->count < mq->queue_depth;
	spinlock_release(&mq->lock);
	return err;
}

error_t
msgqueue_receive(msgqueue_t *mq, uint64_t buffer, size_t buf_size, size_t *size, bool *not_empty)
{
	spinlock_acquire(&mq->lock);
	error_t err = OK;
	*size = 0;
	if (mq->count == 0U) {
		err = ERROR_MSGQUEUE_EMPTY;
	} else if (buf_size < mq->sizes[mq->head]) {
		err = ERROR_ARGUMENT_SIZE;
	} else {
		err = guest_copy_to(buffer, slot(mq, mq->head), mq->sizes[mq->head]);
	}
	if (err == OK) {
		*size = mq->sizes[mq->head];
		mq->head = (mq->head + 1U) % mq->queue_depth;
		mq->count--;
		if (mq->count == 0U) {
			mq->push_pending = false;
		}
		update_lines(mq);
	}
	*not_empty = mq->count > 0U;
	spinlock_release(&mq->lock);
	return err;
}

void
msgqueue_flush(msgqueue_t *mq)
{
	spinlock_acquire(&mq->lock);
	mq->head = 0;
	mq->count = 0;
	mq->push_pending = false;
	update_lines(mq);
	spinlock_release(&mq->lock);
}

error_t
msgqueue_configure_send(msgqueue_t *mq, uint32_t not_full_thres, uint32_t holdoff)
{
	if (holdoff != 0U && holdoff != MSGQUEUE_UNCHANGED) {
		return ERROR_UNIMPLEMENTED;
	}
	if (not_full_thres != MSGQUEUE_UNCHANGED && not_full_thres >= mq->queue_depth) {
		return ERROR_ARGUMENT_INVALID; /* a full queue can never be "not full" */
	}
	spinlock_acquire(&mq->lock);
	if (not_full_thres != MSGQUEUE_UNCHANGED) {
		mq->not_full_thres = not_full_thres;
		mq->send_armed = mq->send_armed || mq->count > not_full_thres;
		update_lines(mq);
	}
	spinlock_release(&mq->lock);
	return OK;
}

error_t
msgqueue_configure_receive(msgqueue_t *mq, uint32_t not_empty_thres, uint32_t holdoff)
{
	if (holdoff != 0U && holdoff != MSGQUEUE_UNCHANGED) {
		return ERROR_UNIMPLEMENTED;
	}
	if (not_empty_thres != MSGQUEUE_UNCHANGED &&
	    (not_empty_thres == 0U || not_empty_thres > mq->queue_depth)) {
		return ERROR_ARGUMENT_INVALID; /* 0: always up; above depth: never up */
	}
	spinlock_acquire(&mq->lock);
	if (not_empty_thres != MSGQUEUE_UNCHANGED) {
		mq->not_empty_thres = not_empty_thres;
		update_lines(mq);
	}
	spinlock_release(&mq->lock);
	return OK;
}

static virq_source_t *
side_source(msgqueue_t *mq, msgqueue_side_t side)
{
	return side == MSGQUEUE_SIDE_SEND ? &mq->send_virq : &mq->receive_virq;
}

error_t
msgqueue_bind(msgqueue_t *mq, msgqueue_side_t side, vic_t *vic, uint32_t virq)
{
	spinlock_acquire(&mq->lock);
	error_t err = virq_source_bind(side_source(mq, side), vic, virq);
	if (err == OK) {
		update_lines(mq);
	}
	spinlock_release(&mq->lock);
	return err;
}

error_t
msgqueue_unbind(msgqueue_t *mq, msgqueue_side_t side)
{
	spinlock_acquire(&mq->lock);
	vic_t *vic = virq_source_unbind(side_source(mq, side));
	spinlock_release(&mq->lock);
	if (vic == NULL) {
		return ERROR_VIRQ_NOT_BOUND;
	}
	object_put(&vic->header);
	return OK;
}
