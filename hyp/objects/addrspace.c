/* addrspace.c - address space objects: one VM's stage-2 tables and VMID, its console and
 * vCPUs; mapping memory extents with rights and type (and hypervisor-owned pages such as the
 * vPL011's shadow), unmapping with broadcast TLB invalidation. */
#include <stdint.h>

#include "addrspace.h"
#include "format.h"
#include "hyp_config.h"
#include "object_ops.h"
#include "platform.h"
#include "spinlock.h"
#include "sysreg.h"
#include "util_string.h"

#define VMID_LIMIT 256U /* VTTBR_EL2.VMID is 8 bits wide on every CPU bothy runs on */

/* Lock order: memextent.c's ownership lock, then mapping_lock (every extent's mapping
 * records), then a VM's stage2_lock, then memextent.c's registry lock. A map or unmap holds mapping_lock throughout, so an extent's
 * records always say what its pages are mapped as. */
static spinlock_t mapping_lock;
static spinlock_t vmid_lock;
static uint8_t vmid_used[VMID_LIMIT / 8U];
static vm_t *primary_vm;

vm_t *
vm_primary(void)
{
	return __atomic_load_n(&primary_vm, __ATOMIC_ACQUIRE);
}

static bool
vmid_claim(uint16_t vmid)
{
	spinlock_acquire(&vmid_lock);
	bool free = (vmid_used[vmid / 8U] & (1U << (vmid % 8U))) == 0U;
	if (free) {
		vmid_used[vmid / 8U] |= (uint8_t)(1U << (vmid % 8U));
	}
	spinlock_release(&vmid_lock);
	return free;
}

static void
vmid_release(uint16_t vmid)
{
	spinlock_acquire(&vmid_lock);
	vmid_used[vmid / 8U] &= (uint8_t)~(1U << (vmid % 8U));
	spinlock_release(&vmid_lock);
}

error_t
addrspace_configure(vm_t *vm, uint16_t vmid)
{
	if (vmid == 0U || vmid >= VMID_LIMIT) {
		return ERROR_ARGUMENT_INVALID; /* VMID 0 is the hypervisor's in Gunyah's RM ABI */
	}
	spinlock_acquire(&vm->header.lock);
	error_t err = vm->header.state == OBJECT_STATE_INIT ? OK : ERROR_OBJECT_STATE;
	if (err == OK) {
		vm->vmid = vmid;
	}
	spinlock_release(&vm->header.lock);
	return err;
}

/* The config's name for this VMID if it has one, else "vm<VMID>". */
static void
name_vm(vm_t *vm)
{
	static const struct {
		uint32_t vmid;
		const char *name;
	} names[] = PLATFORM_VM_NAMES;
	for (size_t i = 0; names[i].vmid != 0U; i++) {
		if (names[i].vmid == vm->vmid) {
			(void)format_buf(vm->name, sizeof(vm->name), "%s", names[i].name);
			return;
		}
	}
	(void)format_buf(vm->name, sizeof(vm->name), "vm%u", (unsigned)vm->vmid);
}

error_t
addrspace_activate(object_header_t *object)
{
	vm_t *vm = (vm_t *)object;
	if (vm->vmid == 0U) {
		return ERROR_OBJECT_CONFIG;
	}
	if (!vmid_claim(vm->vmid)) {
		return ERROR_BUSY;
	}
	if (pgtable_init(&vm->stage2) != OK) {
		vmid_release(vm->vmid);
		return ERROR_NOMEM;
	}
	if (vm->name[0] == '\0') {
		name_vm(vm);
	}
	vuart_init(&vm->vuart);
	vm->cntvoff = sysreg_read(cntpct_el0);
	vm->is_primary = vm->vmid == VMID_HLOS;
	static const uint32_t pmu_vmids[] = PLATFORM_PMU_VMIDS;
	for (size_t i = 0; pmu_vmids[i] != 0U; i++) {
		vm->pmu_owner = vm->pmu_owner || pmu_vmids[i] == vm->vmid;
	}
	if (vm->is_primary) {
		__atomic_store_n(&primary_vm, vm, __ATOMIC_RELEASE);
	}
	return OK;
}

#define TLB_ALL UINT64_MAX /* tlb_invalidate: every entry of the VM, not one IPA's */
static void tlb_invalidate(const vm_t *vm, uint64_t ipa);

/* The last reference is gone: every vCPU of the VM held one, so none can run. Its TLB
 * entries may linger on any CPU, and must go before the tables are reused or the VMID is
 * given to another VM. */
/* memextent_for_each callback: `vm` is going, so no record of `extent` may name it. */
static void
forget_vm(memextent_t *extent, const vm_t *vm)
{
	for (unsigned i = 0; i < MEMEXTENT_MAX_MAPS; i++) {
		if (extent->maps[i].vm == vm) {
			extent->maps[i] = (memextent_mapping_t){ 0 };
		}
	}
}

void
addrspace_cleanup(object_header_t *object)
{
	vm_t *vm = (vm_t *)object;
	spinlock_acquire(&mapping_lock);
	memextent_for_each(forget_vm, vm);
	spinlock_release(&mapping_lock);
	if (vm->stage2.root != NULL) {
		if (vm->is_primary) {
			__atomic_store_n(&primary_vm, NULL, __ATOMIC_RELEASE);
		}
		tlb_invalidate(vm, TLB_ALL);
		vuart_cleanup(vm);
		pgtable_destroy(&vm->stage2);
		vmid_release(vm->vmid);
	}
}

error_t
addrspace_attach_thread(vm_t *vm, thread_t *thread)
{
	if (vm->header.state != OBJECT_STATE_ACTIVE) {
		return ERROR_OBJECT_STATE;
	}
	spinlock_acquire(&thread->header.lock);
	error_t err = thread->header.state == OBJECT_STATE_INIT && thread->vm == NULL
			      ? OK
			      : ERROR_OBJECT_STATE;
	if (err == OK) {
		spinlock_acquire(&vm->vcpus_lock);
		if (vm->vcpu_count == VM_MAX_VCPUS) {
			err = ERROR_NORESOURCES;
		} else {
			vm->vcpus[vm->vcpu_count++] = thread;
			object_get(&vm->header);
			thread->vm = vm;
		}
		spinlock_release(&vm->vcpus_lock);
	}
	spinlock_release(&thread->header.lock);
	return err;
}

static error_t
check_range(const vm_t *vm, const memextent_t *extent, uint64_t ipa, uint64_t offset,
	    uint64_t size)
{
	if (vm->header.state != OBJECT_STATE_ACTIVE || extent->header.state != OBJECT_STATE_ACTIVE) {
		return ERROR_OBJECT_STATE;
	}
	if (((ipa | offset | size) & (PAGE_SIZE - 1U)) != 0U) {
		return ERROR_ARGUMENT_ALIGNMENT;
	}
	if (size == 0U || offset + size < offset || offset + size > extent->size) {
		return ERROR_ARGUMENT_SIZE;
	}
	return OK;
}

/* The record of `extent` in `vm`, or NULL. Under mapping_lock. */
static memextent_mapping_t *
find_mapping(memextent_t *extent, const vm_t *vm)
{
	for (unsigned i = 0; i < MEMEXTENT_MAX_MAPS; i++) {
		if (extent->maps[i].vm == vm) {
			return &extent->maps[i];
		}
	}
	return NULL;
}

/* Maps under mapping_lock: the record first, then stage 2. A failed pgtable_map has undone
 * itself; entries it had written may have been walked, so the TLB is cleaned then too. */
static error_t
map_recorded(vm_t *vm, memextent_t *extent, uint64_t ipa, uint64_t offset, uint64_t size,
	     uint64_t attrs)
{
	memextent_mapping_t *record = find_mapping(extent, vm);
	if (record == NULL) {
		record = find_mapping(extent, NULL);
		if (record == NULL) {
			return ERROR_MEMEXTENT_MAPPINGS_FULL;
		}
	}
	spinlock_acquire(&vm->stage2_lock);
	/* The root VM (the RM) is bothy's own and hardly ever invalidates by address: blocks
	 * keep its tables small, for the whole VMs it maps to load them. */
	error_t err = pgtable_map(&vm->stage2, ipa, extent->phys_base + offset, size, attrs,
				  vm->is_root || PLATFORM_STAGE2_BLOCKS);
	if (err != OK) {
		tlb_invalidate(vm, TLB_ALL);
	}
	spinlock_release(&vm->stage2_lock);
	if (err == OK) {
		*record = (memextent_mapping_t){ .vm = vm, .mapped = record->mapped + size };
	}
	return err;
}

error_t
addrspace_map(vm_t *vm, memextent_t *extent, uint64_t ipa, uint64_t offset, uint64_t size,
	      unsigned access, unsigned memtype)
{
	error_t err = check_range(vm, extent, ipa, offset, size);
	if (err != OK) {
		return err;
	}
	if (access == 0U || (access & ~PGTABLE_ACCESS_RWX) != 0U || (memtype > PGTABLE_VM_MEMTYPE_DEVICE_GRE && memtype != PGTABLE_VM_MEMTYPE_NORMAL_WB)) {
		return ERROR_ARGUMENT_INVALID;
	}
	bool device = memextent_attrs_memtype(extent->attributes) == MEMEXTENT_MEMTYPE_DEVICE;
	if (device && memtype == PGTABLE_VM_MEMTYPE_NORMAL_WB) {
		return ERROR_ARGUMENT_INVALID; /* cacheable accesses to MMIO are never right */
	}
	if (device) {
		access &= ~PGTABLE_ACCESS_X; /* nor is executing from it */
	}
	uint64_t attrs = PTE_SH_INNER;
	attrs |= memtype == PGTABLE_VM_MEMTYPE_NORMAL_WB ? PTE_S2_MEMATTR_NORMAL_WB : PTE_S2_MEMATTR_DEVICE_nGnRE;
	attrs |= (access & PGTABLE_ACCESS_R) != 0U ? PTE_S2_READ : 0U;
	attrs |= (access & PGTABLE_ACCESS_W) != 0U ? PTE_S2_WRITE : 0U;
	attrs |= (access & PGTABLE_ACCESS_X) != 0U ? 0U : PTE_XN;
	/* Only what the extent owns, and it cannot be donated away while this maps it. */
	memextent_ownership_acquire();
	if (!memextent_owns(extent, offset, size)) {
		err = ERROR_MEMDB_NOT_OWNER;
	} else {
		spinlock_acquire(&mapping_lock);
		err = map_recorded(vm, extent, ipa, offset, size, attrs);
		spinlock_release(&mapping_lock);
	}
	memextent_ownership_release();
	return err;
}

/* Invalidates `vm`'s TLB entries on every CPU (inner-shareable broadcast): all of them
 * (stage 1 and 2) for TLB_ALL, else the stage-2 entries of one IPA and, as a combined stage-1
 * and stage-2 entry may hold it too, the VM's stage-1 entries. TLBI acts on the VMID in
 * VTTBR_EL2, so borrow it for the duration; this runs at EL2 with interrupts masked, where
 * the guest translation regime is not in use. */
static void
tlb_invalidate(const vm_t *vm, uint64_t ipa)
{
	uint64_t saved = sysreg_read(vttbr_el2);
	dsb_ish();
	sysreg_write(vttbr_el2, pgtable_root_pa(&vm->stage2) | ((uint64_t)vm->vmid << 48));
	isb();
	if (ipa == TLB_ALL) {
		__asm__ volatile("tlbi vmalls12e1is" ::: "memory");
	} else {
		__asm__ volatile("tlbi ipas2e1is, %0" ::"r"(ipa >> 12) : "memory");
		dsb_ish();
		__asm__ volatile("tlbi vmalle1is" ::: "memory");
	}
	dsb_ish();
	sysreg_write(vttbr_el2, saved);
	isb();
}

error_t
addrspace_unmap(vm_t *vm, memextent_t *extent, uint64_t ipa, uint64_t offset, uint64_t size)
{
	error_t err = check_range(vm, extent, ipa, offset, size);
	if (err != OK) {
		return err;
	}
	spinlock_acquire(&mapping_lock);
	memextent_mapping_t *record = find_mapping(extent, vm);
	uint64_t unmapped = 0;
	if (record == NULL) {
		err = ERROR_ADDR_INVALID; /* the extent is not mapped in this address space */
	} else {
		spinlock_acquire(&vm->stage2_lock);
		err = pgtable_unmap(&vm->stage2, ipa, size, extent->phys_base + offset, &unmapped);
		tlb_invalidate(vm, TLB_ALL);
		spinlock_release(&vm->stage2_lock);
		record->mapped -= unmapped;
		if (record->mapped == 0U) {
			*record = (memextent_mapping_t){ 0 };
		}
		if (err == OK && unmapped == 0U) {
			err = ERROR_ADDR_INVALID; /* none of that range was the extent's */
		}
	}
	spinlock_release(&mapping_lock);
	return err;
}

/* Whether [ipa, ipa+size) is all mapped, to [pa, pa+size), with one memory type; *type gets
 * that type's attribute bits. Under the VM's stage2_lock. */
static bool
mapped_linearly(const vm_t *vm, uint64_t ipa, uint64_t pa, uint64_t size, uint64_t *type)
{
	const uint64_t type_bits = PTE_SH_INNER | PTE_S2_MEMATTR_NORMAL_WB;
	for (uint64_t done = 0; done < size;) {
		uint64_t out, attrs, leaf;
		if (pgtable_lookup(&vm->stage2, ipa + done, &out, &attrs, &leaf) != OK ||
		    out != pa + done || (done != 0U && (attrs & type_bits) != *type)) {
			return false;
		}
		*type = attrs & type_bits;
		done += leaf;
	}
	return true;
}

error_t
addrspace_update_access(vm_t *vm, memextent_t *extent, uint64_t ipa, uint64_t offset,
			uint64_t size, unsigned access)
{
	error_t err = check_range(vm, extent, ipa, offset, size);
	if (err != OK) {
		return err;
	}
	if (access == 0U || (access & ~PGTABLE_ACCESS_RWX) != 0U) {
		return ERROR_ARGUMENT_INVALID;
	}
	if (memextent_attrs_memtype(extent->attributes) == MEMEXTENT_MEMTYPE_DEVICE) {
		access &= ~PGTABLE_ACCESS_X; /* never executable, as addrspace_map maps it */
	}
	uint64_t pa = extent->phys_base + offset, type = 0, unmapped = 0;
	memextent_ownership_acquire();
	spinlock_acquire(&mapping_lock);
	memextent_mapping_t *record = find_mapping(extent, vm);
	spinlock_acquire(&vm->stage2_lock);
	if (record == NULL || !memextent_owns(extent, offset, size) ||
	    !mapped_linearly(vm, ipa, pa, size, &type)) {
		err = ERROR_ADDR_INVALID; /* not all of it is this extent's mapping there */
	} else {
		/* Break before make: the old entries go, and out of every TLB, first. */
		err = pgtable_unmap(&vm->stage2, ipa, size, pa, &unmapped);
		tlb_invalidate(vm, TLB_ALL);
		uint64_t attrs = type | ((access & PGTABLE_ACCESS_R) != 0U ? PTE_S2_READ : 0U) |
				 ((access & PGTABLE_ACCESS_W) != 0U ? PTE_S2_WRITE : 0U) |
				 ((access & PGTABLE_ACCESS_X) != 0U ? 0U : PTE_XN);
		err = err == OK ? pgtable_map(&vm->stage2, ipa, pa, size, attrs,
					      vm->is_root || PLATFORM_STAGE2_BLOCKS)
				: err;
		if (err != OK) {
			/* No table was free to map it again: the range stays unmapped. */
			tlb_invalidate(vm, TLB_ALL);
			record->mapped -= unmapped < record->mapped ? unmapped : record->mapped;
			if (record->mapped == 0U) {
				*record = (memextent_mapping_t){ 0 };
			}
		}
	}
	spinlock_release(&vm->stage2_lock);
	spinlock_release(&mapping_lock);
	memextent_ownership_release();
	return err;
}

static unsigned
leaf_access(uint64_t attrs)
{
	unsigned access = (attrs & PTE_S2_READ) != 0U ? PGTABLE_ACCESS_R : 0U;
	access |= (attrs & PTE_S2_WRITE) != 0U ? PGTABLE_ACCESS_W : 0U;
	return access | ((attrs & PTE_XN) != 0U ? 0U : PGTABLE_ACCESS_X);
}

error_t
addrspace_lookup(vm_t *vm, memextent_t *extent, uint64_t ipa, uint64_t size,
		 addrspace_lookup_result_t *out)
{
	error_t err = check_range(vm, extent, ipa, 0, PAGE_SIZE);
	if (err != OK) {
		return err;
	}
	if ((size & (PAGE_SIZE - 1U)) != 0U) {
		return ERROR_ARGUMENT_ALIGNMENT;
	}
	if (size == 0U || ipa + size < ipa) {
		return ERROR_ARGUMENT_SIZE;
	}
	uint64_t end = extent->phys_base + extent->size;
	uint64_t pa, attrs, leaf;
	/* A page in the extent's range is the extent's only while it owns it (donation). */
	memextent_ownership_acquire();
	spinlock_acquire(&vm->stage2_lock);
	err = pgtable_lookup(&vm->stage2, ipa, &pa, &attrs, &leaf);
	if (err == OK && (pa < extent->phys_base || pa >= end ||
			  !memextent_owns(extent, pa - extent->phys_base, PAGE_SIZE))) {
		err = ERROR_ADDR_INVALID; /* another extent's (or the hypervisor's) page */
	}
	uint64_t found = 0;
	if (err == OK) {
		*out = (addrspace_lookup_result_t){
			.offset = pa - extent->phys_base,
			.access = leaf_access(attrs),
			.memtype = (attrs & PTE_S2_MEMATTR_NORMAL_WB) == PTE_S2_MEMATTR_NORMAL_WB
					   ? PGTABLE_VM_MEMTYPE_NORMAL_WB
					   : PGTABLE_VM_MEMTYPE_DEVICE_NGNRE,
		};
		uint64_t first_pa = pa, first_attrs = attrs;
		found = leaf;
		/* On while the next leaf continues the same run of the extent's pages. */
		while (found < size && pgtable_lookup(&vm->stage2, ipa + found, &pa, &attrs,
						      &leaf) == OK &&
		       pa == first_pa + found && attrs == first_attrs && pa < end) {
			found += leaf;
		}
		found = found < size ? found : size;
		found = found < end - first_pa ? found : end - first_pa;
		uint64_t owned = PAGE_SIZE;
		while (owned < found && memextent_owns(extent, out->offset + owned, PAGE_SIZE)) {
			owned += PAGE_SIZE;
		}
		out->size = owned;
	}
	spinlock_release(&vm->stage2_lock);
	memextent_ownership_release();
	return err;
}

void
addrspace_unmap_extent(memextent_t *extent)
{
	spinlock_acquire(&mapping_lock);
	for (unsigned i = 0; i < MEMEXTENT_MAX_MAPS; i++) {
		memextent_mapping_t *record = &extent->maps[i];
		if (record->vm == NULL) {
			continue;
		}
		/* Its parts may be mapped at any IPAs: every leaf that points into it goes. */
		uint64_t unmapped;
		vm_t *vm = record->vm;
		spinlock_acquire(&vm->stage2_lock);
		(void)pgtable_unmap_pa(&vm->stage2, extent->phys_base, extent->size, &unmapped);
		tlb_invalidate(vm, TLB_ALL);
		spinlock_release(&vm->stage2_lock);
		*record = (memextent_mapping_t){ 0 };
	}
	spinlock_release(&mapping_lock);
}

error_t
addrspace_revoke_pages(memextent_t *extent, uint64_t pa, uint64_t size)
{
	error_t err = OK;
	spinlock_acquire(&mapping_lock);
	for (unsigned i = 0; i < MEMEXTENT_MAX_MAPS; i++) {
		memextent_mapping_t *record = &extent->maps[i];
		if (record->vm == NULL) {
			continue;
		}
		uint64_t unmapped = 0;
		vm_t *vm = record->vm;
		spinlock_acquire(&vm->stage2_lock);
		error_t e = pgtable_unmap_pa(&vm->stage2, pa, size, &unmapped);
		tlb_invalidate(vm, TLB_ALL);
		spinlock_release(&vm->stage2_lock);
		err = err == OK ? e : err;
		record->mapped -= unmapped < record->mapped ? unmapped : record->mapped;
		if (record->mapped == 0U) {
			*record = (memextent_mapping_t){ 0 };
		}
	}
	spinlock_release(&mapping_lock);
	return err;
}

error_t
addrspace_map_hyp_page(vm_t *vm, uint64_t ipa, const void *page)
{
	/* The guest's stage 1 decides the type it sees (Device, for a UART); Normal here keeps
	 * stage 2 from making it stricter. The hypervisor reaches the page write-back cached,
	 * so whoever writes it cleans it to the point of coherency for a non-cached reader. */
	uint64_t attrs = PTE_SH_INNER | PTE_S2_MEMATTR_NORMAL_WB | PTE_S2_READ | PTE_XN;
	spinlock_acquire(&vm->stage2_lock);
	/* EL2 runs identity-mapped: the page's address is its physical address. A new valid
	 * entry replaces an invalid one, which no TLB holds: no invalidation needed. */
	error_t err =
		pgtable_map(&vm->stage2, ipa, (uint64_t)(uintptr_t)page, PAGE_SIZE, attrs, false);
	spinlock_release(&vm->stage2_lock);
	return err;
}

error_t
addrspace_unmap_hyp_page(vm_t *vm, uint64_t ipa, const void *page)
{
	uint64_t unmapped;
	spinlock_acquire(&vm->stage2_lock);
	error_t err = pgtable_unmap(&vm->stage2, ipa, PAGE_SIZE, (uint64_t)(uintptr_t)page,
				    &unmapped);
	tlb_invalidate(vm, ipa);
	spinlock_release(&vm->stage2_lock);
	return err == OK && unmapped == 0U ? ERROR_ADDR_INVALID : err;
}
