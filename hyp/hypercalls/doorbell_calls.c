/* doorbell_calls.c - the doorbell hypercalls: senders ring with the send right; reading,
 * clearing, masking and resetting are the receiver's (receive right); binding needs bind. */
#include "cspace.h"
#include "hypercall_handlers.h"
#include "objects/doorbell.h"
#include "vm.h"

/* An ACTIVE doorbell named by `cap` with `rights` (new reference). */
static error_t
lookup_active(cap_id_t cap, cap_rights_t rights, doorbell_t **out)
{
	object_header_t *object;
	error_t err = object_lookup_active(cap, OBJECT_TYPE_DOORBELL, rights, &object);
	if (err == OK) {
		*out = (doorbell_t *)object;
	}
	return err;
}

hypercall_doorbell_send_result_t
hypercall_doorbell_send(cap_id_t doorbell, uint64_t new_flags)
{
	hypercall_doorbell_send_result_t result = { .error = OK };
	doorbell_t *db;
	result.error = lookup_active(doorbell, CAP_RIGHTS_DOORBELL_SEND, &db);
	if (result.error == OK) {
		uint64_t old = 0;
		result.error = doorbell_send(db, new_flags, &old);
		result.old_flags = old;
		object_put(&db->header);
	}
	return result;
}

hypercall_doorbell_receive_result_t
hypercall_doorbell_receive(cap_id_t doorbell, uint64_t clear_flags)
{
	hypercall_doorbell_receive_result_t result = { .error = OK };
	doorbell_t *db;
	result.error = lookup_active(doorbell, CAP_RIGHTS_DOORBELL_RECEIVE, &db);
	if (result.error == OK) {
		uint64_t old = 0;
		result.error = doorbell_receive(db, clear_flags, &old);
		result.old_flags = old;
		object_put(&db->header);
	}
	return result;
}

hypercall_doorbell_reset_result_t
hypercall_doorbell_reset(cap_id_t doorbell)
{
	doorbell_t *db;
	error_t err = lookup_active(doorbell, CAP_RIGHTS_DOORBELL_RECEIVE, &db);
	if (err == OK) {
		doorbell_reset(db);
		object_put(&db->header);
	}
	return (hypercall_doorbell_reset_result_t){ .error = err };
}

hypercall_doorbell_mask_result_t
hypercall_doorbell_mask(cap_id_t doorbell, uint64_t enable_mask, uint64_t ack_mask)
{
	doorbell_t *db;
	error_t err = lookup_active(doorbell, CAP_RIGHTS_DOORBELL_RECEIVE, &db);
	if (err == OK) {
		doorbell_mask(db, enable_mask, ack_mask);
		object_put(&db->header);
	}
	return (hypercall_doorbell_mask_result_t){ .error = err };
}

hypercall_doorbell_bind_virq_result_t
hypercall_doorbell_bind_virq(cap_id_t doorbell, cap_id_t vic, uint32_t virq)
{
	doorbell_t *db;
	error_t err = lookup_active(doorbell, CAP_RIGHTS_DOORBELL_BIND, &db);
	if (err != OK) {
		return (hypercall_doorbell_bind_virq_result_t){ .error = err };
	}
	object_header_t *v;
	err = cspace_lookup(caller_cspace(), vic, OBJECT_TYPE_VIC, CAP_RIGHTS_VIC_BIND_SOURCE, &v);
	if (err == OK) {
		err = doorbell_bind(db, (vic_t *)v, virq);
		object_put(v); /* a bound source holds its own reference */
	}
	object_put(&db->header);
	return (hypercall_doorbell_bind_virq_result_t){ .error = err };
}

hypercall_doorbell_unbind_virq_result_t
hypercall_doorbell_unbind_virq(cap_id_t doorbell)
{
	doorbell_t *db;
	error_t err = lookup_active(doorbell, CAP_RIGHTS_DOORBELL_BIND, &db);
	if (err == OK) {
		err = doorbell_unbind(db);
		object_put(&db->header);
	}
	return (hypercall_doorbell_unbind_virq_result_t){ .error = err };
}
