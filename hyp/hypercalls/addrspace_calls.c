/* addrspace_calls.c - the address space and memory extent hypercalls: VMIDs, attaching
 * vCPUs, extent configuration, and mapping extents into stage 2 with access rights. */
#include "addrspace.h"
#include "cspace.h"
#include "hypercall_handlers.h"
#include "memextent.h"
#include "vm.h"

/* addrspace_map_flags: reserved bits are an invalid argument; PRIVATE and VMMIO are Gunyah
 * flags that bothy does not implement yet, so they are reported as such (docs/hypercalls.md). */
static error_t
map_flags_check(uint32_t map_flags)
{
	if ((map_flags & ~ADDRSPACE_MAP_FLAGS_VALID_MASK) != 0U) {
		return ERROR_ARGUMENT_INVALID;
	}
	if ((map_flags & (ADDRSPACE_MAP_FLAGS_PRIVATE_MASK | ADDRSPACE_MAP_FLAGS_VMMIO_MASK)) != 0U) {
		return ERROR_UNIMPLEMENTED;
	}
	return OK;
}

static error_t
lookup(cap_id_t cap, object_type_t type, cap_rights_t rights, object_header_t **out)
{
	return cspace_lookup(caller_cspace(), cap, type, rights, out);
}

hypercall_addrspace_configure_result_t
hypercall_addrspace_configure(cap_id_t addrspace, uint16_t vmid)
{
	object_header_t *as;
	error_t err = object_lookup_configurable(addrspace, OBJECT_TYPE_ADDRSPACE, &as);
	if (err == OK) {
		err = addrspace_configure((vm_t *)as, vmid);
		object_put(as);
	}
	return (hypercall_addrspace_configure_result_t){ .error = err };
}

hypercall_addrspace_attach_thread_result_t
hypercall_addrspace_attach_thread(cap_id_t addrspace, cap_id_t thread)
{
	object_header_t *as, *th;
	error_t err = lookup(addrspace, OBJECT_TYPE_ADDRSPACE, CAP_RIGHTS_ADDRSPACE_ATTACH, &as);
	if (err != OK) {
		return (hypercall_addrspace_attach_thread_result_t){ .error = err };
	}
	err = object_lookup_configurable(thread, OBJECT_TYPE_THREAD, &th);
	if (err == OK) {
		err = addrspace_attach_thread((vm_t *)as, (thread_t *)th);
		object_put(th);
	}
	object_put(as);
	return (hypercall_addrspace_attach_thread_result_t){ .error = err };
}

/* Looks up both caps with the map right (addrspace_lookup too: abi/objects.yaml names no lookup
 * right); on OK the caller puts both references. */
static error_t
lookup_mapping(cap_id_t addrspace, cap_id_t memextent, object_header_t **as,
	       object_header_t **me)
{
	error_t err = lookup(addrspace, OBJECT_TYPE_ADDRSPACE, CAP_RIGHTS_ADDRSPACE_MAP, as);
	if (err != OK) {
		return err;
	}
	err = lookup(memextent, OBJECT_TYPE_MEMEXTENT, CAP_RIGHTS_MEMEXTENT_MAP, me);
	if (err != OK) {
		object_put(*as);
	}
	return err;
}

hypercall_addrspace_map_result_t
hypercall_addrspace_map(cap_id_t addrspace, cap_id_t memextent, uint64_t vbase,
			uint32_t map_attrs, uint32_t map_flags, size_t offset, size_t size)
{
	error_t flags_err = map_flags_check(map_flags);
	if ((map_attrs & ~MEMEXTENT_MAPPING_ATTRS_VALID_MASK) != 0U || flags_err != OK) {
		return (hypercall_addrspace_map_result_t){
			.error = flags_err != OK ? flags_err : ERROR_ARGUMENT_INVALID
		};
	}
	object_header_t *as, *me;
	error_t err = lookup_mapping(addrspace, memextent, &as, &me);
	if (err == OK) {
		/* Stage 2 has one set of rights for EL0 and EL1: the kernel access applies. */
		err = addrspace_map((vm_t *)as, (memextent_t *)me, vbase, offset, size,
				    memextent_mapping_attrs_kernel_access(map_attrs),
				    memextent_mapping_attrs_memtype(map_attrs));
		object_put(me);
		object_put(as);
	}
	return (hypercall_addrspace_map_result_t){ .error = err };
}

hypercall_addrspace_unmap_result_t
hypercall_addrspace_unmap(cap_id_t addrspace, cap_id_t memextent, uint64_t vbase,
			  uint32_t map_flags, size_t offset, size_t size)
{
	error_t flags_err = map_flags_check(map_flags);
	if (flags_err != OK) {
		return (hypercall_addrspace_unmap_result_t){ .error = flags_err };
	}
	object_header_t *as, *me;
	error_t err = lookup_mapping(addrspace, memextent, &as, &me);
	if (err == OK) {
		/* NOSYNC is treated as a sync: the TLBs are always clean on return. */
		err = addrspace_unmap((vm_t *)as, (memextent_t *)me, vbase, offset, size);
		object_put(me);
		object_put(as);
	}
	return (hypercall_addrspace_unmap_result_t){ .error = err };
}

hypercall_memextent_configure_result_t
hypercall_memextent_configure(cap_id_t memextent, uint64_t phys_base, size_t size,
			      uint32_t attributes)
{
	object_header_t *me;
	error_t err = object_lookup_configurable(memextent, OBJECT_TYPE_MEMEXTENT, &me);
	if (err == OK) {
		err = memextent_configure((memextent_t *)me, phys_base, size, attributes);
		object_put(me);
	}
	return (hypercall_memextent_configure_result_t){ .error = err };
}

hypercall_addrspace_lookup_result_t
hypercall_addrspace_lookup(cap_id_t addrspace, cap_id_t memextent, uint64_t vbase, size_t size)
{
	object_header_t *as, *me;
	addrspace_lookup_result_t found = { 0 };
	error_t err = lookup_mapping(addrspace, memextent, &as, &me);
	if (err == OK) {
		err = addrspace_lookup((vm_t *)as, (memextent_t *)me, vbase, size, &found);
		object_put(me);
		object_put(as);
	}
	if (err != OK) {
		return (hypercall_addrspace_lookup_result_t){ .error = err };
	}
	return (hypercall_addrspace_lookup_result_t){
		.error = OK,
		.offset = found.offset,
		.size = found.size,
		.map_attrs = MEMEXTENT_MAPPING_ATTRS(found.access, found.access, found.memtype),
	};
}

hypercall_addrspace_update_access_result_t
hypercall_addrspace_update_access(cap_id_t addrspace, cap_id_t memextent, uint64_t vbase,
				  uint32_t access_attrs, uint32_t map_flags, size_t offset,
				  size_t size)
{
	error_t flags_err = map_flags_check(map_flags);
	if ((access_attrs & ~MEMEXTENT_ACCESS_ATTRS_VALID_MASK) != 0U || flags_err != OK) {
		return (hypercall_addrspace_update_access_result_t){
			.error = flags_err != OK ? flags_err : ERROR_ARGUMENT_INVALID
		};
	}
	object_header_t *as, *me;
	error_t err = lookup_mapping(addrspace, memextent, &as, &me);
	if (err == OK) {
		/* Stage 2 has one set of rights for EL0 and EL1: the kernel access applies. */
		err = addrspace_update_access((vm_t *)as, (memextent_t *)me, vbase, offset, size,
					      memextent_access_attrs_kernel_access(access_attrs));
		object_put(me);
		object_put(as);
	}
	return (hypercall_addrspace_update_access_result_t){ .error = err };
}
