/* memextent.h - memory extents: ranges of physical RAM (or passed-through device MMIO) with one
 * owner each, the unit the RM maps. The hypervisor's own memory can never be part of one. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "object.h"

struct vm;

/* That an extent is mapped into an address space, and how many bytes of it are mapped there
 * now; its parts may be at any IPAs (a demand-paged VM's pages are). A record holds no
 * reference: the extent's and the VM's destruction each remove it (addrspace.c, under its
 * mapping lock). */
typedef struct memextent_mapping {
	struct vm *vm; /* NULL: a free record */
	uint64_t mapped;
} memextent_mapping_t;

/* Address spaces one extent may be mapped into at once (Gunyah's basic extents: 4). */
#define MEMEXTENT_MAX_MAPS 4U

typedef struct memextent {
	object_header_t header;
	uint64_t phys_base;
	uint64_t size;
	uint32_t attributes;
	bool registered;              /* in the ownership registry (after activation) */
	struct memextent *owner_next; /* registry link */
	memextent_mapping_t maps[MEMEXTENT_MAX_MAPS]; /* addrspace.c's, under its mapping lock */
} memextent_t;


/* memextent_configure (INIT only): page-aligned RAM outside the hypervisor's memory, or with
 * memtype DEVICE a part of an MMIO region the config passes through to a guest VM. */
error_t memextent_configure(memextent_t *extent, uint64_t phys_base, uint64_t size,
			    uint32_t attributes);

/* Calls `fn(extent, vm)` for every active extent (under the registry lock: `fn` takes no
 * lock of an extent's or of the registry). addrspace.c uses it to forget a destroyed VM. */
void memextent_for_each(void (*fn)(memextent_t *extent, const struct vm *vm),
			const struct vm *vm);

/* Claims [base, base+size) for the hypervisor's own use (root VM memory) at boot, so no
 * extent can ever cover it. */
void memextent_reserve(uint64_t base, uint64_t size);
