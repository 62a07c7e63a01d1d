/* addrspace.h - address spaces (the VM object, vm_t in vm.h): VMIDs, stage-2 mappings of
 * memory extents with access rights and memory type, unmapping with TLB maintenance. */
#pragma once

#include <stdint.h>

#include "memextent.h"
#include "vm.h"


/* addrspace_configure (INIT only): the VMID, unique among live address spaces. */
error_t addrspace_configure(vm_t *vm, uint16_t vmid);

/* addrspace_attach_thread (thread in INIT): the thread runs as a vCPU of this VM. */
error_t addrspace_attach_thread(vm_t *vm, thread_t *thread);

/* Maps [offset, offset+size) of `extent` at IPA `ipa` with `access` (pgtable_access) and
 * `memtype` (pgtable_vm_memtype: the device types 0-3, or normal write-back). An extent can be mapped into
 * MEMEXTENT_MAX_MAPS address spaces at once (ERROR_MEMEXTENT_MAPPINGS_FULL), each of its parts
 * at any IPA. */
error_t addrspace_map(vm_t *vm, memextent_t *extent, uint64_t ipa, uint64_t offset,
		      uint64_t size, unsigned access, unsigned memtype);
/* Unmaps what `extent` maps of that range, and nothing another extent maps there; no CPU can
 * use the old translation when this returns. ERROR_ADDR_INVALID if the extent maps nothing
 * there. */
error_t addrspace_unmap(vm_t *vm, memextent_t *extent, uint64_t ipa, uint64_t offset,
			uint64_t size);

/* Gives the mapping of [offset, offset+size) of `extent` at `ipa` the rights `access`
 * (pgtable_access, not NONE), keeping its memory type. All of the range must be mapped there
 * by the extent, linearly and with one type, or ERROR_ADDR_INVALID and nothing changes. The
 * entries are replaced break-before-make; if no table is free to map them again
 * (ERROR_NOMEM) the range is left unmapped. */
error_t addrspace_update_access(vm_t *vm, memextent_t *extent, uint64_t ipa, uint64_t offset,
				uint64_t size, unsigned access);

/* What `extent` maps at `ipa` (page-aligned; size bytes are looked at): its offset in the
 * extent, how many bytes from `ipa` (at most `size`) map contiguously on from there with the
 * same rights and type, and those (pgtable_access; pgtable_vm_memtype, where every device
 * mapping reads as DEVICE_NGNRE, the type bothy maps devices with). ERROR_ADDR_INVALID if
 * nothing maps `ipa` or another extent's page does. */
typedef struct addrspace_lookup_result {
	uint64_t offset, size;
	unsigned access, memtype;
} addrspace_lookup_result_t;
error_t addrspace_lookup(vm_t *vm, memextent_t *extent, uint64_t ipa, uint64_t size,
			 addrspace_lookup_result_t *out);

/* The extent is being destroyed: removes all it maps from every address space (with TLB
 * invalidation), so no VM can reach its pages once it is gone. */
void addrspace_unmap_extent(memextent_t *extent);

/* Pages [pa, pa+size) of `extent` are leaving it: removes every leaf that maps them from each
 * address space the extent is mapped in, with TLB invalidation. ERROR_NOMEM if a block had to
 * be split and no table was free (some may be unmapped then; the extent still owns them). */
error_t addrspace_revoke_pages(memextent_t *extent, uint64_t pa, uint64_t size);

/* Maps the hypervisor-owned page `page` at `ipa` of `vm`: read-only Normal write-back memory,
 * never executable, so guest writes take a stage-2 permission fault. The caller keeps the
 * page alive until it unmaps it or the address space goes. ERROR_EXISTING_MAPPING if
 * something is mapped there, ERROR_NOMEM if a table was needed and the pool is empty. */
error_t addrspace_map_hyp_page(vm_t *vm, uint64_t ipa, const void *page);
/* Unmaps such a page; no CPU can read through the old translation when this returns.
 * ERROR_ADDR_INVALID if `page` was not mapped there. */
error_t addrspace_unmap_hyp_page(vm_t *vm, uint64_t ipa, const void *page);
