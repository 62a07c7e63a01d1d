/* memextent.c - memory extent objects and the registry that gives each page of RAM (or of a
 * passed-through device's MMIO) at most one extent: activation claims it, destruction frees it. */
#include <stdint.h>

#include "addrspace.h"
#include "hyp_config.h"
#include "memextent.h"
#include "object_ops.h"
#include "panic.h"
#include "spinlock.h"

/* The memextent_attrs bothy accepts: the memtype, ANY (RAM) or DEVICE (a device's MMIO). */
#define MEMEXTENT_ATTRS_ACCEPTED MEMEXTENT_ATTRS_MEMTYPE_MASK

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

/* Lock order: addrspace.c's mapping lock, then registry_lock (memextent_for_each). */
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
	if (err == OK) {
		extent->phys_base = phys_base;
		extent->size = size;
		extent->attributes = attributes;
	}
	spinlock_release(&extent->header.lock);
	return err;
}

error_t
memextent_activate(object_header_t *object)
{
	memextent_t *extent = (memextent_t *)object;
	if (extent->size == 0U) {
		return ERROR_OBJECT_CONFIG;
	}
	error_t err = OK;
	spinlock_acquire(&registry_lock);
	for (unsigned i = 0; i < reserved_count; i++) {
		if (overlaps(extent->phys_base, extent->size, reserved[i].base, reserved[i].size)) {
			err = ERROR_MEMDB_NOT_OWNER;
		}
	}
	for (memextent_t *e = registry; e != NULL && err == OK; e = e->owner_next) {
		if (overlaps(extent->phys_base, extent->size, e->phys_base, e->size)) {
			err = ERROR_MEMDB_NOT_OWNER; /* another extent owns part of it */
		}
	}
	if (err == OK) {
		extent->owner_next = registry;
		registry = extent;
		extent->registered = true;
	}
	spinlock_release(&registry_lock);
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
	if (!extent->registered) {
		return;
	}
	/* Its pages must leave every stage 2 before anyone else can own them. */
	addrspace_unmap_extent(extent);
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
