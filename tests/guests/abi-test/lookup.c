/* lookup.c - the ABI test's addrspace_lookup checks: offset, run length and rights of what an
 * extent maps, a run ending where the rights or the extent change, and each error. */
#include <stdint.h>

#include "bothy_hypercalls.h"
#include "check.h"
#include "guest.h"
#include "lookup.h"
#include "platform_config.h"

#define E(x) ((uint64_t)(int64_t)(x))
#define PAGE 0x1000U
#define IPA 0x80000000U
#define RW_NORMAL \
	MEMEXTENT_MAPPING_ATTRS(PGTABLE_ACCESS_RW, PGTABLE_ACCESS_RW, PGTABLE_VM_MEMTYPE_NORMAL_WB)
#define R_NORMAL \
	MEMEXTENT_MAPPING_ATTRS(PGTABLE_ACCESS_R, PGTABLE_ACCESS_R, PGTABLE_VM_MEMTYPE_NORMAL_WB)
#define VMID 231U

static cap_id_t cspace, partition;

static cap_id_t
extent(uint64_t base, uint64_t size)
{
	hypercall_partition_create_memextent_result_t me =
		bothy_partition_create_memextent(partition, cspace);
	error_t err = me.error;
	err = err == OK ? bothy_memextent_configure(me.new_cap, base, size, 0).error : err;
	err = err == OK ? bothy_object_activate(me.new_cap).error : err;
	check_error("lookup: an extent", E(err), OK);
	return me.new_cap;
}

static void
expect(const char *what, hypercall_addrspace_lookup_result_t r, uint64_t offset, uint64_t size,
       uint32_t attrs)
{
	check_error(what, E(r.error), OK);
	check_value("  offset", r.offset, offset);
	check_value("  size", r.size, size);
	check_value("  map_attrs", r.map_attrs, attrs);
}

void
test_addrspace_lookup(const root_boot_info_t *info)
{
	cspace = info->cspace_cap;
	partition = info->partition_cap;
	uint64_t base = PLATFORM_RAM_BASE + PLATFORM_RAM_SIZE - 0x80000U; /* nobody's memory */
	cap_id_t l = extent(base, 4U * PAGE), l2 = extent(base + 4U * PAGE, PAGE);
	hypercall_partition_create_addrspace_result_t as =
		bothy_partition_create_addrspace(partition, cspace);
	error_t err = as.error;
	err = err == OK ? bothy_addrspace_configure(as.new_cap, VMID).error : err;
	err = err == OK ? bothy_object_activate(as.new_cap).error : err;
	check_error("lookup: an address space", E(err), OK);
	cap_id_t a = as.new_cap;
	err = bothy_addrspace_map(a, l, IPA, RW_NORMAL, 0, 0, 2U * PAGE).error;
	err = err == OK ? bothy_addrspace_map(a, l, IPA + 2U * PAGE, R_NORMAL, 0, 2U * PAGE,
					      2U * PAGE).error
			: err;
	err = err == OK ? bothy_addrspace_map(a, l2, IPA + 4U * PAGE, RW_NORMAL, 0, 0, PAGE).error
			: err;
	check_error("lookup: pages 0-1 RW, 2-3 read-only, then another extent's", E(err), OK);

	expect("lookup: the RW run", bothy_addrspace_lookup(a, l, IPA, 4U * PAGE), 0, 2U * PAGE,
	       RW_NORMAL);
	expect("lookup: its second page", bothy_addrspace_lookup(a, l, IPA + PAGE, PAGE), PAGE, PAGE,
	       RW_NORMAL);
	expect("lookup: the read-only run ends with the extent",
	       bothy_addrspace_lookup(a, l, IPA + 2U * PAGE, 16U * PAGE), 2U * PAGE, 2U * PAGE,
	       R_NORMAL);
	check_error("lookup: another extent's page",
		    E(bothy_addrspace_lookup(a, l, IPA + 4U * PAGE, PAGE).error),
		    ERROR_ADDR_INVALID);
	expect("lookup: through that extent", bothy_addrspace_lookup(a, l2, IPA + 4U * PAGE, PAGE),
	       0, PAGE, RW_NORMAL);
	check_error("lookup: nothing mapped",
		    E(bothy_addrspace_lookup(a, l, IPA + 0x100000U, PAGE).error),
		    ERROR_ADDR_INVALID);
	check_error("lookup: unaligned address",
		    E(bothy_addrspace_lookup(a, l, IPA + 8U, PAGE).error), ERROR_ARGUMENT_ALIGNMENT);
	check_error("lookup: unaligned size", E(bothy_addrspace_lookup(a, l, IPA, 8U).error),
		    ERROR_ARGUMENT_ALIGNMENT);
	check_error("lookup: zero size", E(bothy_addrspace_lookup(a, l, IPA, 0).error),
		    ERROR_ARGUMENT_SIZE);
	check_error("lookup: caps swapped", E(bothy_addrspace_lookup(l, a, IPA, PAGE).error),
		    ERROR_CSPACE_WRONG_OBJECT_TYPE);
	check_error("lookup: unmapped", E(bothy_addrspace_unmap(a, l, IPA, 0, 0, 2U * PAGE).error),
		    OK);
	check_error("  then nothing is found", E(bothy_addrspace_lookup(a, l, IPA, PAGE).error),
		    ERROR_ADDR_INVALID);
	(void)bothy_cspace_delete_cap_from(cspace, a);
	(void)bothy_cspace_delete_cap_from(cspace, l2);
	(void)bothy_cspace_delete_cap_from(cspace, l);
}
