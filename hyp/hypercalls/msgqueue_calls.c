/* msgqueue_calls.c - the message queue hypercalls: configure before activation, then send,
 * receive, flush, thresholds and interrupt binding, each checking its cap's rights first. */
#include "cspace.h"
#include "hypercall_handlers.h"
#include "objects/msgqueue.h"
#include "vm.h"

/* An ACTIVE msgqueue named by `cap` with `rights` (new reference). */
static error_t
lookup_active(cap_id_t cap, cap_rights_t rights, msgqueue_t **out)
{
	object_header_t *object;
	error_t err = object_lookup_active(cap, OBJECT_TYPE_MSGQUEUE, rights, &object);
	if (err == OK) {
		*out = (msgqueue_t *)object;
	}
	return err;
}

hypercall_msgqueue_configure_result_t
hypercall_msgqueue_configure(cap_id_t msgqueue, uint64_t create_info)
{
	object_header_t *mq;
	error_t err = object_lookup_configurable(msgqueue, OBJECT_TYPE_MSGQUEUE, &mq);
	if (err == OK) {
		err = msgqueue_configure((msgqueue_t *)mq, create_info);
		object_put(mq);
	}
	return (hypercall_msgqueue_configure_result_t){ .error = err };
}

hypercall_msgqueue_send_result_t
hypercall_msgqueue_send(cap_id_t msgqueue, size_t size, uintptr_t data, uint32_t send_flags)
{
	hypercall_msgqueue_send_result_t result = { .error = OK };
	msgqueue_t *mq;
	result.error = lookup_active(msgqueue, CAP_RIGHTS_MSGQUEUE_SEND, &mq);
	if (result.error != OK) {
		return result;
	}
	if ((send_flags & ~MSGQUEUE_SEND_FLAG_PUSH) != 0U) {
		result.error = ERROR_ARGUMENT_INVALID;
	} else {
		bool push = (send_flags & MSGQUEUE_SEND_FLAG_PUSH) != 0U;
		bool not_full;
		result.error = msgqueue_send(mq, size, data, push, &not_full);
		result.not_full = not_full;
	}
	object_put(&mq->header);
	return result;
}

hypercall_msgqueue_receive_result_t
hypercall_msgqueue_receive(cap_id_t msgqueue, uintptr_t buffer, size_t buf_size)
{
	hypercall_msgqueue_receive_result_t result = { .error = OK };
	msgqueue_t *mq;
	result.error = lookup_active(msgqueue, CAP_RIGHTS_MSGQUEUE_RECEIVE, &mq);
	if (result.error != OK) {
		return result;
	}
	size_t size;
	bool not_empty;
	result.error = msgqueue_receive(mq, buffer, buf_size, &size, &not_empty);
	result.size = size;
	result.not_empty = not_empty;
	object_put(&mq->header);
	return result;
}

/* Discarding messages is the receiver's decision: flush needs the receive right. */
hypercall_msgqueue_flush_result_t
hypercall_msgqueue_flush(cap_id_t msgqueue)
{
	msgqueue_t *mq;
	error_t err = lookup_active(msgqueue, CAP_RIGHTS_MSGQUEUE_RECEIVE, &mq);
	if (err == OK) {
		msgqueue_flush(mq);
		object_put(&mq->header);
	}
	return (hypercall_msgqueue_flush_result_t){ .error = err };
}

hypercall_msgqueue_configure_send_result_t
hypercall_msgqueue_configure_send(cap_id_t msgqueue, uint32_t not_full_thres,
				  uint32_t not_full_holdoff)
{
	msgqueue_t *mq;
	error_t err = lookup_active(msgqueue, CAP_RIGHTS_MSGQUEUE_SEND, &mq);
	if (err == OK) {
		err = msgqueue_configure_send(mq, not_full_thres, not_full_holdoff);
		object_put(&mq->header);
	}
	return (hypercall_msgqueue_configure_send_result_t){ .error = err };
}

hypercall_msgqueue_configure_receive_result_t
hypercall_msgqueue_configure_receive(cap_id_t msgqueue, uint32_t not_empty_thres,
				     uint32_t not_empty_holdoff)
{
	msgqueue_t *mq;
	error_t err = lookup_active(msgqueue, CAP_RIGHTS_MSGQUEUE_RECEIVE, &mq);
	if (err == OK) {
		err = msgqueue_configure_receive(mq, not_empty_thres, not_empty_holdoff);
		object_put(&mq->header);
	}
	return (hypercall_msgqueue_configure_receive_result_t){ .error = err };
}

static error_t
bind(cap_id_t msgqueue, msgqueue_side_t side, cap_rights_t right, cap_id_t vic, uint32_t virq)
{
	msgqueue_t *mq;
	error_t err = lookup_active(msgqueue, right, &mq);
	if (err != OK) {
		return err;
	}
	object_header_t *v;
	err = cspace_lookup(caller_cspace(), vic, OBJECT_TYPE_VIC, CAP_RIGHTS_VIC_BIND_SOURCE, &v);
	if (err == OK) {
		err = msgqueue_bind(mq, side, (vic_t *)v, virq);
		object_put(v); /* a bound source holds its own reference */
	}
	object_put(&mq->header);
	return err;
}

static error_t
unbind(cap_id_t msgqueue, msgqueue_side_t side, cap_rights_t right)
{
	msgqueue_t *mq;
	error_t err = lookup_active(msgqueue, right, &mq);
	if (err == OK) {
		err = msgqueue_unbind(mq, side);
		object_put(&mq->header);
	}
	return err;
}

hypercall_msgqueue_bind_send_virq_result_t
hypercall_msgqueue_bind_send_virq(cap_id_t msgqueue, cap_id_t vic, uint32_t virq)
{
	return (hypercall_msgqueue_bind_send_virq_result_t){
		.error = bind(msgqueue, MSGQUEUE_SIDE_SEND, CAP_RIGHTS_MSGQUEUE_BIND_SEND, vic,
			      virq)
	};
}

hypercall_msgqueue_bind_receive_virq_result_t
hypercall_msgqueue_bind_receive_virq(cap_id_t msgqueue, cap_id_t vic, uint32_t virq)
{
	return (hypercall_msgqueue_bind_receive_virq_result_t){
		.error = bind(msgqueue, MSGQUEUE_SIDE_RECEIVE, CAP_RIGHTS_MSGQUEUE_BIND_RECEIVE,
			      vic, virq)
	};
}

hypercall_msgqueue_unbind_send_virq_result_t
hypercall_msgqueue_unbind_send_virq(cap_id_t msgqueue)
{
	return (hypercall_msgqueue_unbind_send_virq_result_t){
		.error = unbind(msgqueue, MSGQUEUE_SIDE_SEND, CAP_RIGHTS_MSGQUEUE_BIND_SEND)
	};
}

hypercall_msgqueue_unbind_receive_virq_result_t
hypercall_msgqueue_unbind_receive_virq(cap_id_t msgqueue)
{
	return (hypercall_msgqueue_unbind_receive_virq_result_t){
		.error = unbind(msgqueue, MSGQUEUE_SIDE_RECEIVE, CAP_RIGHTS_MSGQUEUE_BIND_RECEIVE)
	};
}
