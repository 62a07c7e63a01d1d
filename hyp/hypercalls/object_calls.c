/* object_calls.c - the object lifecycle hypercalls: partition_create_<type> (via the
 * generated handlers) and object_activate. Caps are looked up in the caller's cspace. */
#include "cspace.h"
#include "hypercall_handlers.h"
#include "object.h"
#include "object_ops.h"
#include "objects/thread.h"
#include "partition.h"
#include "vm.h"

cspace_t *
caller_cspace(void)
{
	thread_t *thread = vcpu_current();
	return thread != NULL ? thread->cspace : NULL;
}

error_t
object_lookup_configurable(cap_id_t cap, object_type_t type, object_header_t **out)
{
	error_t err = cspace_lookup(caller_cspace(), cap, OBJECT_TYPE_ANY,
				    CAP_RIGHTS_GENERIC_OBJECT_ACTIVATE, out);
	if (err == OK && (*out)->type != type) {
		object_put(*out);
		err = ERROR_CSPACE_WRONG_OBJECT_TYPE;
	}
	return err;
}

error_t
object_lookup_active(cap_id_t cap, object_type_t type, cap_rights_t rights, object_header_t **out)
{
	return cspace_lookup_active(caller_cspace(), cap, type, rights, out);
}

object_create_result_t
partition_create_object(cap_id_t src_partition, cap_id_t cspace_cap, object_type_t type)
{
	cspace_t *caller = caller_cspace();
	object_header_t *partition = NULL, *dest = NULL, *object = NULL;
	object_create_result_t result = { .error = OK, .new_cap = CSPACE_CAP_INVALID };
	result.error = cspace_lookup(caller, src_partition, OBJECT_TYPE_PARTITION,
				     CAP_RIGHTS_PARTITION_OBJECT_CREATE, &partition);
	if (result.error == OK) {
		result.error = cspace_lookup(caller, cspace_cap, OBJECT_TYPE_CSPACE,
					     CAP_RIGHTS_CSPACE_CAP_CREATE, &dest);
	}
	if (result.error == OK) {
		result.error = object_expect_state(partition, OBJECT_STATE_ACTIVE);
	}
	if (result.error == OK) {
		result.error = object_create((partition_t *)partition, type, &object);
	}
	if (result.error == OK) {
		result.error = cspace_create_master_cap((cspace_t *)dest, object,
							 object_type_info[type].all_rights,
							 &result.new_cap);
		object_put(object); /* the cap holds the object now; on failure this frees it */
	}
	if (dest != NULL) {
		object_put(dest);
	}
	if (partition != NULL) {
		object_put(partition);
	}
	return result;
}

static error_t
activate_in(cspace_t *cspace, cap_id_t cap)
{
	object_header_t *object;
	error_t err = cspace_lookup(cspace, cap, OBJECT_TYPE_ANY,
				    CAP_RIGHTS_GENERIC_OBJECT_ACTIVATE, &object);
	if (err == OK) {
		err = object_activate(object);
		object_put(object);
	}
	return err;
}

hypercall_object_activate_result_t
hypercall_object_activate(cap_id_t cap)
{
	return (hypercall_object_activate_result_t){ .error = activate_in(caller_cspace(), cap) };
}

hypercall_object_activate_from_result_t
hypercall_object_activate_from(cap_id_t cspace, cap_id_t cap)
{
	object_header_t *cs;
	error_t err = cspace_lookup(caller_cspace(), cspace, OBJECT_TYPE_CSPACE,
				    CAP_RIGHTS_CSPACE_CAP_CREATE, &cs);
	if (err == OK) {
		err = activate_in((cspace_t *)cs, cap);
		object_put(cs);
	}
	return (hypercall_object_activate_from_result_t){ .error = err };
}
