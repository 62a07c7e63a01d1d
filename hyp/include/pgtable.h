/* pgtable.h - AArch64 4 KiB-granule translation tables, 39-bit input addresses (levels 1-3).
 * One walker serves both EL2 stage 1 and guest stage 2; callers pass the leaf attributes. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "bothy_abi.h"

#define PGTABLE_VA_BITS 39U
#define PGTABLE_ENTRIES 512U

typedef struct pgtable {
	uint64_t *root; /* level-1 table, 512 entries */
} pgtable_t;

/* Leaf attribute bits (lower and upper attributes of a block/page descriptor). */
#define PTE_AF (1UL << 10)
#define PTE_SH_INNER (3UL << 8)
#define PTE_XN (1UL << 54)
/* EL2 stage 1 */
#define PTE_S1_ATTR(idx) ((uint64_t)(idx) << 2)
#define PTE_S1_RO (1UL << 7)
#define PTE_S1_RES1_AP1 (1UL << 6)
/* stage 2 */
#define PTE_S2_MEMATTR_NORMAL_WB (0xfUL << 2)
#define PTE_S2_MEMATTR_DEVICE_nGnRE (0x1UL << 2)
#define PTE_S2_READ (1UL << 6)
#define PTE_S2_WRITE (1UL << 7)

/* Allocates an empty root table from the hypervisor's table pool. */
error_t pgtable_init(pgtable_t *pt);

/* Maps [va, va+size) to [pa, pa+size) with `attrs`: with 2 MiB blocks where aligned if
 * `blocks`, else with 4 KiB pages only. All three values must be page aligned; an existing
 * mapping there is ERROR_EXISTING_MAPPING; on any error nothing of [va, va+size) that this
 * call mapped is left mapped. */
error_t pgtable_map(pgtable_t *pt, uint64_t va, uint64_t pa, uint64_t size, uint64_t attrs,
		    bool blocks);

/* Removes the leaves of [va, va+size) that map it to [pa, pa+size), splitting 2 MiB blocks
 * where needed, and leaves every other entry alone: an owner can only unmap what it mapped,
 * whatever else is mapped in between. *unmapped gets the bytes removed (0 is not an error
 * here). The caller invalidates TLBs. A failed pgtable_map has already undone itself. */
error_t pgtable_unmap(pgtable_t *pt, uint64_t va, uint64_t size, uint64_t pa,
		      uint64_t *unmapped);

/* Removes every leaf, wherever it is, whose output lies in [pa, pa+size), splitting blocks
 * that are partly in it; *unmapped gets the bytes removed. A walk of all of `pt`'s tables:
 * for taking something away everywhere (a destroyed memory extent), not for hot paths. The
 * caller invalidates TLBs. */
error_t pgtable_unmap_pa(pgtable_t *pt, uint64_t pa, uint64_t size, uint64_t *unmapped);

/* The leaf that maps the page of `va`: the physical address of that page, the leaf's attribute
 * bits, and the bytes from `va` to the leaf's end. ERROR_ADDR_INVALID if nothing maps it. The
 * caller holds whatever keeps `pt` from changing. */
error_t pgtable_lookup(const pgtable_t *pt, uint64_t va, uint64_t *pa, uint64_t *attrs,
		       uint64_t *leaf_size);

/* Returns every table of `pt` to the pool. Nothing may use it any more: no CPU has it
 * loaded, and the caller has invalidated its TLB entries. */
void pgtable_destroy(pgtable_t *pt);

/* Physical address of the root table, for TTBR0_EL2 / VTTBR_EL2. */
uint64_t pgtable_root_pa(const pgtable_t *pt);
