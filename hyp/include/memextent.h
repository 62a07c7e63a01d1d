/* memextent.h - memory extents: ranges of physical RAM (or passed-through device MMIO) with one
 * owner each, the unit the RM maps. The hypervisor's own memory can never be part of one. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "object.h"

typedef struct memextent {
	object_header_t header;
	uint64_t phys_base;
	uint64_t size;
	uint32_t attributes;
	bool registered;              /* in the ownership registry (after activation) */
	struct memextent *owner_next; /* registry link */
} memextent_t;

#define MEMEXTENT_MEMTYPE_MASK (3U << 8)
#define MEMEXTENT_MEMTYPE_ANY (0U << 8)
#define MEMEXTENT_MEMTYPE_DEVICE (1U << 8)

/* memextent_configure (INIT only): page-aligned RAM outside the hypervisor's memory, or with
 * memtype DEVICE a part of an MMIO region the config passes through to a guest VM. */
error_t memextent_configure(memextent_t *extent, uint64_t phys_base, uint64_t size,
			    uint32_t attributes);

/* Claims [base, base+size) for the hypervisor's own use (root VM memory) at boot, so no
 * extent can ever cover it. */
void memextent_reserve(uint64_t base, uint64_t size);
