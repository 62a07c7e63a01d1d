/* memextent.c - memory extent objects, the registry that gives each page of RAM (or of a
 * passed-through device's MMIO) at most one root extent, and page ownership among derived ones. */
#include <stdint.h>

#include "addrspace.h"
#include "cache.h"
#include "hyp_config.h"
#include "memextent.h"
#include "object_ops.h"
#include "panic.h"
#include "partition.h"
#include "spinlock.h"

/* The memextent_attrs bothy accepts: the memtype, ANY (RAM) or DEVICE (a device's MMIO), and
 * the type, BASIC or SPARSE. */
#define MEMEXTENT_ATTRS_ACCEPTED (MEMEXTENT_ATTRS_MEMTYPE_MASK | MEMEXTENT_ATTRS_TYPE_MASK)
/* The memextent_donate_options bothy accepts. */
#define DONATE_OPTIONS_ACCEPTED \
	(MEMEXTENT_DONATE_OPTIONS_TYPE_MASK | MEMEXTENT_DONATE_OPTIONS_NO_SYNC_MASK)

/* The only device memory an extent may cover: the regions the config passes through to
 * guest VMs, never the GIC, the hypervisor's UART or anything else the hypervisor drives. */
static const struct {
	uint64_t base, size;
} device_regions[] = PLATFORM_DEVICE_REGIONS; /* a size of 0 ends the list */

static bool
passthrough_region(uint64_t base, uint64_t size)
{
	for (unsigned i = 0; device_regions[i].size != 0U; i++) {
		if (base >= device_regions[i].base &&
		    base + size <= device_regions[i].base + device_regions[i].size) {
			return true;
		}
	}
	return false;
}
#define RESERVED_MAX 4U

/* Lock order: ownership_lock (every extent's `pages`, and which extent owns a page), then
 * addrspace.c's mapping lock, then a VM's stage2_lock, then registry_lock (memextent_for_each
 * runs under the mapping lock). */
static spinlock_t ownership_lock;
static spinlock_t registry_lock;
static memextent_t *registry;
static struct {
	uint64_t base, size;
} reserved[RESERVED_MAX];
static unsigned reserved_count;

static bool
overlaps(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size)
{
	return a < b + b_size && b < a + a_size;
}

void
memextent_reserve(uint64_t base, uint64_t size)
{
	if (reserved_count == RESERVED_MAX) {
		panic("too many reserved memory ranges");
	}
	reserved[reserved_count].base = base;
	reserved[reserved_count].size = size;
	reserved_count++;
}

error_t
memextent_configure(memextent_t *extent, uint64_t phys_base, uint64_t size, uint32_t attributes)
{
	if (((phys_base | size) & (PAGE_SIZE - 1U)) != 0U) {
		return ERROR_ARGUMENT_ALIGNMENT;
	}
	if (size == 0U || phys_base + size < phys_base) {
		return ERROR_ARGUMENT_SIZE;
	}
	if ((attributes & ~MEMEXTENT_ATTRS_ACCEPTED) != 0U) {
		return ERROR_ARGUMENT_INVALID;
	}
	if (memextent_attrs_type(attributes) > MEMEXTENT_TYPE_SPARSE) {
		return ERROR_ARGUMENT_INVALID;
	}
	uint32_t memtype = memextent_attrs_memtype(attributes);
	if (memtype != MEMEXTENT_MEMTYPE_ANY && memtype != MEMEXTENT_MEMTYPE_DEVICE) {
		return ERROR_ARGUMENT_INVALID; /* uncached or cached RAM: not supported */
	}
	if (memtype == MEMEXTENT_MEMTYPE_DEVICE) {
		if (!passthrough_region(phys_base, size)) {
			return ERROR_ADDR_INVALID;
		}
	} else if (phys_base < PLATFORM_RAM_BASE ||
		   phys_base + size > PLATFORM_RAM_BASE + PLATFORM_RAM_SIZE) {
		return ERROR_ADDR_INVALID; /* RAM, or a passed-through device as DEVICE */
	}
	if (overlaps(phys_base, size, HYP_MEM_BASE, HYP_MEM_SIZE)) {
		return ERROR_MEMDB_NOT_OWNER;
	}
	spinlock_acquire(&extent->header.lock);
	error_t err = extent->header.state == OBJECT_STATE_INIT ? OK : ERROR_OBJECT_STATE;
	memextent_t *old_parent = extent->parent;
	if (err == OK) {
		extent->phys_base = phys_base;
		extent->size = size;
		extent->attributes = attributes;
		extent->parent = NULL;
	} else {
		old_parent = NULL;
	}
	spinlock_release(&extent->header.lock);
	if (old_parent != NULL) {
		object_put(&old_parent->header); /* configured as derived before: not any more */
	}
	return err;
}

error_t
memextent_configure_derive(memextent_t *child, memextent_t *parent, uint64_t offset,
			   uint64_t size, uint32_t attributes)
{
	if (((offset | size) & (PAGE_SIZE - 1U)) != 0U) {
		return ERROR_ARGUMENT_ALIGNMENT;
	}
	if ((attributes & ~MEMEXTENT_ATTRS_ACCEPTED) != 0U ||
	    memextent_attrs_type(attributes) > MEMEXTENT_TYPE_SPARSE ||
	    memextent_attrs_memtype(attributes) != memextent_attrs_memtype(parent->attributes)) {
		return ERROR_ARGUMENT_INVALID; /* a part of an extent is the same kind of memory */
	}
	if (parent->header.state != OBJECT_STATE_ACTIVE || child == parent) {
		return ERROR_OBJECT_STATE;
	}
	if (size == 0U || offset + size < offset || offset + size > parent->size) {
		return ERROR_ARGUMENT_SIZE;
	}
	spinlock_acquire(&child->header.lock);
	error_t err = child->header.state == OBJECT_STATE_INIT ? OK : ERROR_OBJECT_STATE;
	memextent_t *old_parent = NULL;
	if (err == OK) {
		old_parent = child->parent;
		object_get(&parent->header);
		child->parent = parent;
		child->phys_base = parent->phys_base + offset;
		child->size = size;
		child->attributes = attributes;
	}
	spinlock_release(&child->header.lock);
	if (old_parent != NULL) {
		object_put(&old_parent->header);
	}
	return err;
}

void
memextent_ownership_acquire(void)
{
	spinlock_acquire(&ownership_lock);
}

void
memextent_ownership_release(void)
{
	spinlock_release(&ownership_lock);
}

bool
memextent_owns(const memextent_t *extent, uint64_t offset, uint64_t size)
{
	return extent->pages.bits != NULL &&
	       page_owner_all(&extent->pages, extent->phys_base + offset, size);
}

static bool
sparse(const memextent_t *extent)
{
	return memextent_attrs_type(extent->attributes) == MEMEXTENT_TYPE_SPARSE;
}

/* Under ownership_lock: moves [pa, pa+size) from `from` to `to` after taking it out of every
 * stage 2 `from` is mapped in (and zeroing it if `wipe`). Nothing moves on failure. */
static error_t
move_pages(memextent_t *from, memextent_t *to, uint64_t pa, uint64_t size, bool wipe)
{
	error_t err = page_owner_check_move(&from->pages, &to->pages, pa, size);
	if (err == OK) {
		err = addrspace_revoke_pages(from, pa, size);
	}
	if (err == OK) {
		if (wipe) {
			cache_zero_to_poc(pa, size);
		}
		err = page_owner_move(&from->pages, &to->pages, pa, size);
	}
	return err;
}

error_t
memextent_donate(uint32_t options, memextent_t *from, memextent_t *to, uint64_t offset,
		 uint64_t size)
{
	uint32_t type = memextent_donate_options_type(options);
	if ((options & ~DONATE_OPTIONS_ACCEPTED) != 0U || type > MEMEXTENT_DONATE_TYPE_FROM_PROTECTED) {
		return ERROR_ARGUMENT_INVALID;
	}
	if (from->header.state != OBJECT_STATE_ACTIVE || to->header.state != OBJECT_STATE_ACTIVE) {
		return ERROR_OBJECT_STATE;
	}
	/* offset is in the child for a parent/child donation, else in `from`. */
	const memextent_t *in = from;
	bool related, typed;
	if (type == MEMEXTENT_DONATE_TYPE_TO_CHILD) {
		related = to->parent == from;
		typed = sparse(to);
		in = to;
	} else if (type == MEMEXTENT_DONATE_TYPE_TO_PARENT) {
		related = from->parent == to;
		typed = sparse(from);
	} else {
		related = from != to && from->parent != NULL && from->parent == to->parent;
		typed = sparse(from) && sparse(to);
	}
	if (!related) {
		return ERROR_ARGUMENT_INVALID;
	}
	if (!typed) {
		return ERROR_MEMEXTENT_TYPE; /* a basic extent gains or loses pages only whole */
	}
	if (((offset | size) & (PAGE_SIZE - 1U)) != 0U) {
		return ERROR_ARGUMENT_ALIGNMENT;
	}
	if (size == 0U || offset + size < offset || offset + size > in->size) {
		return ERROR_ARGUMENT_SIZE;
	}
	bool wipe = type == MEMEXTENT_DONATE_TYPE_FROM_PROTECTED;
	if (wipe && memextent_attrs_memtype(from->attributes) == MEMEXTENT_MEMTYPE_DEVICE) {
		return ERROR_ARGUMENT_INVALID; /* device memory cannot be wiped by writing it */
	}
	/* NO_SYNC is treated as a sync: the TLBs are always clean on return. */
	spinlock_acquire(&ownership_lock);
	error_t err = move_pages(from, to, in->phys_base + offset, size, wipe);
	spinlock_release(&ownership_lock);
	return err;
}

static size_t
pages_bytes(const memextent_t *extent)
{
	return page_owner_words(extent->size / PAGE_SIZE) * sizeof(uint64_t);
}

static void
free_pages_map(memextent_t *extent)
{
	partition_free(extent->header.partition, extent->pages.bits, pages_bytes(extent));
	extent->pages = (page_owner_t){ 0 };
}

/* Every active extent is on the registry's list, derived ones too (they claim nothing there:
 * their pages are their parent's), so that memextent_for_each visits each extent's mapping
 * records when an address space goes. */
static void
list_derived(memextent_t *extent)
{
	spinlock_acquire(&registry_lock);
	extent->owner_next = registry;
	registry = extent;
	extent->registered = true;
	spinlock_release(&registry_lock);
}

/* A derived extent's activation: a BASIC child takes its whole range from the parent. */
static error_t
activate_derived(memextent_t *extent)
{
	if (extent->parent->header.state != OBJECT_STATE_ACTIVE) {
		return ERROR_OBJECT_STATE;
	}
	if (sparse(extent)) {
		list_derived(extent);
		return OK; /* owns nothing until pages are donated to it */
	}
	spinlock_acquire(&ownership_lock);
	error_t err = move_pages(extent->parent, extent, extent->phys_base, extent->size, false);
	spinlock_release(&ownership_lock);
	if (err == OK) {
		list_derived(extent);
	}
	return err;
}

static error_t register_root(memextent_t *extent);

error_t
memextent_activate(object_header_t *object)
{
	memextent_t *extent = (memextent_t *)object;
	if (extent->size == 0U) {
		return ERROR_OBJECT_CONFIG;
	}
	uint64_t *bits = partition_alloc(object->partition, pages_bytes(extent), sizeof(uint64_t));
	if (bits == NULL) {
		return ERROR_NOMEM;
	}
	for (size_t i = 0; i < pages_bytes(extent) / sizeof(uint64_t); i++) {
		bits[i] = 0U;
	}
	extent->pages = (page_owner_t){
		.base = extent->phys_base, .pages = extent->size / PAGE_SIZE, .bits = bits
	};
	error_t err = extent->parent != NULL ? activate_derived(extent) : register_root(extent);
	if (err != OK) {
		free_pages_map(extent);
	}
	return err;
}

/* A root extent: claims its range in the registry and owns all of it. */
static error_t
register_root(memextent_t *extent)
{
	error_t err = OK;
	spinlock_acquire(&registry_lock);
	for (unsigned i = 0; i < reserved_count; i++) {
		if (overlaps(extent->phys_base, extent->size, reserved[i].base, reserved[i].size)) {
			err = ERROR_MEMDB_NOT_OWNER;
		}
	}
	for (memextent_t *e = registry; e != NULL && err == OK; e = e->owner_next) {
		if (e->parent == NULL &&
		    overlaps(extent->phys_base, extent->size, e->phys_base, e->size)) {
			err = ERROR_MEMDB_NOT_OWNER; /* another extent owns part of it */
		}
	}
	if (err == OK) {
		extent->owner_next = registry;
		registry = extent;
		extent->registered = true;
	}
	spinlock_release(&registry_lock);
	if (err == OK) {
		spinlock_acquire(&ownership_lock);
		page_owner_set(&extent->pages, extent->phys_base, extent->size, true);
		spinlock_release(&ownership_lock);
	}
	return err;
}

void
memextent_for_each(void (*fn)(memextent_t *extent, const struct vm *vm), const struct vm *vm)
{
	spinlock_acquire(&registry_lock);
	for (memextent_t *e = registry; e != NULL; e = e->owner_next) {
		fn(e, vm);
	}
	spinlock_release(&registry_lock);
}

void
memextent_cleanup(object_header_t *object)
{
	memextent_t *extent = (memextent_t *)object;
	memextent_t *parent = extent->parent;
	if (extent->pages.bits != NULL) {
		/* Its pages must leave every stage 2 before anyone else can own them. */
		addrspace_unmap_extent(extent);
		if (parent != NULL) {
			spinlock_acquire(&ownership_lock);
			page_owner_return_all(&extent->pages, &parent->pages);
			spinlock_release(&ownership_lock);
		}
		free_pages_map(extent);
	}
	if (extent->registered) {
		spinlock_acquire(&registry_lock);
		for (memextent_t **link = &registry; *link != NULL; link = &(*link)->owner_next) {
			if (*link == extent) {
				*link = extent->owner_next;
				break;
			}
		}
		spinlock_release(&registry_lock);
		extent->registered = false;
	}
	if (parent != NULL) {
		extent->parent = NULL;
		object_put(&parent->header);
	}
}
