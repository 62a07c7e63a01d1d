/* memextent.h - memory extents: ranges of physical RAM (or passed-through device MMIO) with one
 * owner each, the unit the RM maps. The hypervisor's own memory can never be part of one. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "object.h"
#include "page_owner.h"

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
	bool registered;              /* on the registry list (after activation; derived too) */
	struct memextent *owner_next; /* registry link */
	memextent_mapping_t maps[MEMEXTENT_MAX_MAPS]; /* addrspace.c's, under its mapping lock */
	/* Derived extents (memextent_configure_derive): the parent, with a reference held until
	 * the child is destroyed. NULL for an extent configured with memextent_configure. */
	struct memextent *parent;
	/* The pages of [phys_base, phys_base+size) this extent owns, from activation on; under
	 * memextent.c's ownership lock. bits == NULL: not activated. */
	page_owner_t pages;
} memextent_t;


/* memextent_configure (INIT only): page-aligned RAM outside the hypervisor's memory, or with
 * memtype DEVICE a part of an MMIO region the config passes through to a guest VM. */
error_t memextent_configure(memextent_t *extent, uint64_t phys_base, uint64_t size,
			    uint32_t attributes);

/* memextent_configure_derive (child in INIT, parent active): the child covers [offset,
 * offset+size) of the parent, with the parent's memtype. At activation a BASIC child takes
 * all of that range from the parent (which must own all of it) and the parent's mappings of
 * it are removed; a SPARSE child starts owning nothing and receives pages by donation. */
error_t memextent_configure_derive(memextent_t *child, memextent_t *parent, uint64_t offset,
				   uint64_t size, uint32_t attributes);

/* memextent_donate: moves [offset, offset+size) between related extents (docs/objects.md has
 * the rules). The pages leave every stage 2 the donor is mapped in before the receiver owns
 * them; FROM_PROTECTED zeroes them first. */
error_t memextent_donate(uint32_t options, memextent_t *from, memextent_t *to, uint64_t offset,
			 uint64_t size);

/* The ownership lock, for addrspace.c to map only what an extent owns. Lock order: this lock,
 * then addrspace.c's mapping lock, then a VM's stage2_lock, then the registry lock. */
void memextent_ownership_acquire(void);
void memextent_ownership_release(void);
/* Whether `extent` owns every page of [offset, offset+size) of it. Under the ownership lock. */
bool memextent_owns(const memextent_t *extent, uint64_t offset, uint64_t size);

/* Calls `fn(extent, vm)` for every active extent (under the registry lock: `fn` takes no
 * lock of an extent's or of the registry). addrspace.c uses it to forget a destroyed VM. */
void memextent_for_each(void (*fn)(memextent_t *extent, const struct vm *vm),
			const struct vm *vm);

/* Claims [base, base+size) for the hypervisor's own use (root VM memory) at boot, so no
 * extent can ever cover it. */
void memextent_reserve(uint64_t base, uint64_t size);
