/* memextent_calls.c - the memory extent ownership hypercalls: deriving an extent from a part
 * of another (memextent_configure_derive) and moving pages between extents (memextent_donate). */
#include "cspace.h"
#include "hypercall_handlers.h"
#include "memextent.h"
#include "vm.h"

hypercall_memextent_configure_derive_result_t
hypercall_memextent_configure_derive(cap_id_t memextent, cap_id_t parent_memextent,
				     size_t offset, size_t size, uint32_t attributes)
{
	object_header_t *parent, *child;
	error_t err = cspace_lookup(caller_cspace(), parent_memextent, OBJECT_TYPE_MEMEXTENT,
				    CAP_RIGHTS_MEMEXTENT_DERIVE, &parent);
	if (err != OK) {
		return (hypercall_memextent_configure_derive_result_t){ .error = err };
	}
	err = object_lookup_configurable(memextent, OBJECT_TYPE_MEMEXTENT, &child);
	if (err == OK) {
		err = memextent_configure_derive((memextent_t *)child, (memextent_t *)parent, offset,
						 size, attributes);
		object_put(child);
	}
	object_put(parent);
	return (hypercall_memextent_configure_derive_result_t){ .error = err };
}

/* abi/objects.yaml (from the reference) names no donate right for memextents: holding caps to
 * both extents, with any rights, is the permission. */
hypercall_memextent_donate_result_t
hypercall_memextent_donate(uint32_t options, cap_id_t from, cap_id_t to, size_t offset,
			   size_t size)
{
	object_header_t *src, *dst;
	error_t err = cspace_lookup(caller_cspace(), from, OBJECT_TYPE_MEMEXTENT, 0U, &src);
	if (err != OK) {
		return (hypercall_memextent_donate_result_t){ .error = err };
	}
	err = cspace_lookup(caller_cspace(), to, OBJECT_TYPE_MEMEXTENT, 0U, &dst);
	if (err == OK) {
		err = memextent_donate(options, (memextent_t *)src, (memextent_t *)dst, offset, size);
		object_put(dst);
	}
	object_put(src);
	return (hypercall_memextent_donate_result_t){ .error = err };
}
