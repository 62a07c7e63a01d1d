/* cspace_calls.c - the capability hypercalls: configure a cspace, attach it to a thread,
 * and copy, delete and revoke caps in a cspace named by a cap in the caller's own. */
#include "cspace.h"
#include "hypercall_handlers.h"
#include "objects/thread.h"
#include "vm.h"

/* The cspace a cap in the caller's cspace names, if the cap has `rights` (new reference). */
static error_t
named_cspace(cap_id_t cap, cap_rights_t rights, cspace_t **out)
{
	return cspace_lookup(caller_cspace(), cap, OBJECT_TYPE_CSPACE, rights,
			     (object_header_t **)out);
}

hypercall_cspace_configure_result_t
hypercall_cspace_configure(cap_id_t cspace, uint32_t max_caps)
{
	object_header_t *cs;
	error_t err = object_lookup_configurable(cspace, OBJECT_TYPE_CSPACE, &cs);
	if (err == OK) {
		err = cspace_configure((cspace_t *)cs, max_caps);
		object_put(cs);
	}
	return (hypercall_cspace_configure_result_t){ .error = err };
}

hypercall_cspace_attach_thread_result_t
hypercall_cspace_attach_thread(cap_id_t cspace, cap_id_t thread)
{
	object_header_t *th;
	cspace_t *cs;
	error_t err = object_lookup_configurable(thread, OBJECT_TYPE_THREAD, &th);
	if (err != OK) {
		return (hypercall_cspace_attach_thread_result_t){ .error = err };
	}
	err = named_cspace(cspace, CAP_RIGHTS_CSPACE_ATTACH, &cs);
	if (err == OK) {
		err = thread_attach_cspace((thread_t *)th, cs);
		object_put(&cs->header);
	}
	object_put(th);
	return (hypercall_cspace_attach_thread_result_t){ .error = err };
}

hypercall_cspace_delete_cap_from_result_t
hypercall_cspace_delete_cap_from(cap_id_t cspace, cap_id_t cap)
{
	cspace_t *cs;
	error_t err = named_cspace(cspace, CAP_RIGHTS_CSPACE_CAP_DELETE, &cs);
	if (err == OK) {
		err = cspace_delete_cap(cs, cap);
		object_put(&cs->header);
	}
	return (hypercall_cspace_delete_cap_from_result_t){ .error = err };
}

hypercall_cspace_copy_cap_from_result_t
hypercall_cspace_copy_cap_from(cap_id_t src_cspace, cap_id_t src_cap, cap_id_t dest_cspace,
			       uint32_t rights_mask)
{
	hypercall_cspace_copy_cap_from_result_t r = { .error = OK, .new_cap = CSPACE_CAP_INVALID };
	cspace_t *src, *dest;
	r.error = named_cspace(src_cspace, CAP_RIGHTS_CSPACE_CAP_COPY, &src);
	if (r.error != OK) {
		return r;
	}
	r.error = named_cspace(dest_cspace, CAP_RIGHTS_CSPACE_CAP_CREATE, &dest);
	if (r.error == OK) {
		r.error = cspace_copy_cap(src, src_cap, dest, rights_mask, &r.new_cap);
		object_put(&dest->header);
	}
	object_put(&src->header);
	return r;
}

hypercall_cspace_revoke_cap_from_result_t
hypercall_cspace_revoke_cap_from(cap_id_t src_cspace, cap_id_t src_cap)
{
	cspace_t *cs;
	error_t err = named_cspace(src_cspace, CAP_RIGHTS_CSPACE_CAP_REVOKE, &cs);
	if (err == OK) {
		err = cspace_revoke_cap(cs, src_cap);
		object_put(&cs->header);
	}
	return (hypercall_cspace_revoke_cap_from_result_t){ .error = err };
}

hypercall_cspace_revoke_caps_from_result_t
hypercall_cspace_revoke_caps_from(cap_id_t src_cspace, cap_id_t master_cap)
{
	cspace_t *cs;
	error_t err = named_cspace(src_cspace, CAP_RIGHTS_CSPACE_CAP_REVOKE, &cs);
	if (err == OK) {
		err = cspace_revoke_caps(cs, master_cap);
		object_put(&cs->header);
	}
	return (hypercall_cspace_revoke_caps_from_result_t){ .error = err };
}
