/* extent.c - the ABI test's extent mapping checks: an unmap through another extent removes
 * nothing, an extent maps into at most MEMEXTENT_MAX_MAPS (4) address spaces, and a destroyed
 * extent (or address space) leaves no mapping and no record behind. */
#include <stdint.h>

#include "bothy_hypercalls.h"
#include "check.h"
#include "extent.h"
#include "guest.h"
#include "platform_config.h"

#define E(x) ((uint64_t)(int64_t)(x))
#define MAP_RW_NORMAL \
	MEMEXTENT_MAPPING_ATTRS(PGTABLE_ACCESS_RW, PGTABLE_ACCESS_RW, PGTABLE_VM_MEMTYPE_NORMAL_WB)
#define PAGE 0x1000U
#define IPA 0x80000000U
#define SPACES 5U /* one more than an extent may be mapped into */
#define FIRST_VMID 210U

static cap_id_t cspace, partition;

static cap_id_t
extent(const char *what, uint64_t base)
{
	hypercall_partition_create_memextent_result_t me =
		bothy_partition_create_memextent(partition, cspace);
	error_t err = me.error;
	err = err == OK ? bothy_memextent_configure(me.new_cap, base, PAGE, 0).error : err;
	err = err == OK ? bothy_object_activate(me.new_cap).error : err;
	check_error(what, E(err), OK);
	return me.new_cap;
}

static cap_id_t
space(unsigned vmid)
{
	hypercall_partition_create_addrspace_result_t as =
		bothy_partition_create_addrspace(partition, cspace);
	error_t err = as.error;
	err = err == OK ? bothy_addrspace_configure(as.new_cap, (uint16_t)vmid).error : err;
	err = err == OK ? bothy_object_activate(as.new_cap).error : err;
	if (err != OK) {
		guest_fail("extent test: cannot make an address space");
	}
	return as.new_cap;
}

static error_t
map(cap_id_t as, cap_id_t me, uint64_t ipa)
{
	return bothy_addrspace_map(as, me, ipa, MAP_RW_NORMAL, 0, 0, PAGE).error;
}

static error_t
unmap(cap_id_t as, cap_id_t me, uint64_t ipa)
{
	return bothy_addrspace_unmap(as, me, ipa, 0, 0, PAGE).error;
}

void
test_extent_mappings(const root_boot_info_t *info)
{
	cspace = info->cspace_cap;
	partition = info->partition_cap;
	/* The top 2 MiB of RAM are nobody's: two pages of it, each its own extent. */
	uint64_t base = PLATFORM_RAM_BASE + PLATFORM_RAM_SIZE - 0x200000U;
	cap_id_t a = extent("extents: A", base), b = extent("extents: B", base + PAGE);
	cap_id_t as[SPACES];
	for (unsigned i = 0; i < SPACES; i++) {
		as[i] = space(FIRST_VMID + i);
	}
	check_error("map A", E(map(as[0], a, IPA)), OK);
	check_error("unmap through B, which is not mapped there", E(unmap(as[0], b, IPA)),
		    ERROR_ADDR_INVALID);
	check_error("  A is still mapped: B cannot map over it", E(map(as[0], b, IPA)),
		    ERROR_EXISTING_MAPPING);
	/* A demand-paged VM has an extent's pages at unrelated IPAs: a second place is fine. */
	check_error("map A at a second IPA", E(map(as[0], a, IPA + 0x10000U)), OK);
	check_error("map B elsewhere", E(map(as[0], b, IPA + PAGE)), OK);
	check_error("unmap B", E(unmap(as[0], b, IPA + PAGE)), OK);
	check_error("unmap B again", E(unmap(as[0], b, IPA + PAGE)), ERROR_ADDR_INVALID);

	/* Destroying A must take its page out of the address space, from both places: a new
	 * extent over the same page (free again in the ownership registry) maps at both IPAs. */
	(void)bothy_cspace_delete_cap_from(cspace, a);
	cap_id_t c = extent("extents: C over A's page, after A is destroyed", base);
	check_error("map C where A was", E(map(as[0], c, IPA)), OK);
	check_error("map C where A's second mapping was", E(map(as[0], c, IPA + 0x10000U)), OK);
	check_error("unmap C's second mapping", E(unmap(as[0], c, IPA + 0x10000U)), OK);

	for (unsigned i = 1; i < SPACES - 1U; i++) {
		check_error("map C into another address space", E(map(as[i], c, IPA)), OK);
	}
	check_error("map C into a fifth address space", E(map(as[SPACES - 1U], c, IPA)),
		    ERROR_MEMEXTENT_MAPPINGS_FULL);
	/* A destroyed address space gives its record back. */
	(void)bothy_cspace_delete_cap_from(cspace, as[1]);
	check_error("  after one address space is destroyed", E(map(as[SPACES - 1U], c, IPA)), OK);
	check_error("unmap C", E(unmap(as[0], c, IPA)), OK);
	check_error("  its record is free: C maps again", E(map(as[0], c, IPA + PAGE)), OK);

	for (unsigned i = 0; i < SPACES; i++) {
		if (i != 1U) {
			(void)bothy_cspace_delete_cap_from(cspace, as[i]);
		}
	}
	(void)bothy_cspace_delete_cap_from(cspace, b);
	(void)bothy_cspace_delete_cap_from(cspace, c);
}
