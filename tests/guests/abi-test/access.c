/* access.c - the ABI test's addrspace_update_access checks: new rights on part of a mapping
 * (looked up and read back), the memory type kept, and each error with nothing changed. */
#include <stdint.h>

#include "access.h"
#include "bothy_hypercalls.h"
#include "check.h"
#include "guest.h"
#include "platform_config.h"

#define E(x) ((uint64_t)(int64_t)(x))
#define PAGE 0x1000U
#define RW_NORMAL \
	MEMEXTENT_MAPPING_ATTRS(PGTABLE_ACCESS_RW, PGTABLE_ACCESS_RW, PGTABLE_VM_MEMTYPE_NORMAL_WB)
#define R_NORMAL \
	MEMEXTENT_MAPPING_ATTRS(PGTABLE_ACCESS_R, PGTABLE_ACCESS_R, PGTABLE_VM_MEMTYPE_NORMAL_WB)
#define ACCESS(a) MEMEXTENT_ACCESS_ATTRS(a, a)

static error_t
update(cap_id_t as, cap_id_t me, uint64_t ipa, uint32_t access, uint64_t offset, uint64_t size)
{
	return bothy_addrspace_update_access(as, me, ipa, access, 0, offset, size).error;
}

void
test_update_access(const root_boot_info_t *info)
{
	cap_id_t cspace = info->cspace_cap, as = info->addrspace_cap;
	/* Nobody's memory (the lookup test's extents are gone); the root maps it at IPA == PA. */
	uint64_t base = PLATFORM_RAM_BASE + PLATFORM_RAM_SIZE - 0x80000U;
	hypercall_partition_create_memextent_result_t me =
		bothy_partition_create_memextent(info->partition_cap, cspace);
	error_t err = me.error;
	err = err == OK ? bothy_memextent_configure(me.new_cap, base, 4U * PAGE, 0).error : err;
	err = err == OK ? bothy_object_activate(me.new_cap).error : err;
	err = err == OK ? bothy_addrspace_map(as, me.new_cap, base, RW_NORMAL, 0, 0, 3U * PAGE).error
			: err;
	check_error("update_access: 3 of 4 pages mapped RW", E(err), OK);
	cap_id_t m = me.new_cap;
	*(volatile uint64_t *)(uintptr_t)(base + PAGE) = 0xacce55U;

	check_error("update_access: page 1 read-only", E(update(as, m, base + PAGE,
								 ACCESS(PGTABLE_ACCESS_R), PAGE,
								 PAGE)),
		    OK);
	hypercall_addrspace_lookup_result_t r = bothy_addrspace_lookup(as, m, base, 3U * PAGE);
	check_value("  lookup: page 0 is a run of its own", r.size, PAGE);
	r = bothy_addrspace_lookup(as, m, base + PAGE, 2U * PAGE);
	check_value("  lookup: page 1 is read-only normal memory", r.map_attrs, R_NORMAL);
	check_value("  and one page long", r.size, PAGE);
	check_value("  it still reads the same", *(volatile uint64_t *)(uintptr_t)(base + PAGE),
		    0xacce55U);
	check_error("update_access: back to RW over all three", E(update(as, m, base,
									 ACCESS(PGTABLE_ACCESS_RW),
									 0, 3U * PAGE)),
		    OK);
	r = bothy_addrspace_lookup(as, m, base, 3U * PAGE);
	check_value("  lookup: one RW run of three pages", r.size, 3U * PAGE);

	check_error("update_access: a page not mapped", E(update(as, m, base + 3U * PAGE,
								  ACCESS(PGTABLE_ACCESS_R),
								  3U * PAGE, PAGE)),
		    ERROR_ADDR_INVALID);
	check_error("update_access: a range running past the mapping",
		    E(update(as, m, base, ACCESS(PGTABLE_ACCESS_R), 0, 4U * PAGE)),
		    ERROR_ADDR_INVALID);
	check_value("  nothing changed", bothy_addrspace_lookup(as, m, base, 3U * PAGE).map_attrs,
		    RW_NORMAL);
	check_error("update_access: the wrong offset", E(update(as, m, base,
								ACCESS(PGTABLE_ACCESS_R), PAGE,
								PAGE)),
		    ERROR_ADDR_INVALID);
	check_error("update_access: no access", E(update(as, m, base, ACCESS(PGTABLE_ACCESS_NONE), 0,
							 PAGE)),
		    ERROR_ARGUMENT_INVALID);
	check_error("update_access: a reserved attribute bit",
		    E(update(as, m, base, ACCESS(PGTABLE_ACCESS_R) | 0x100U, 0, PAGE)),
		    ERROR_ARGUMENT_INVALID);
	check_error("update_access: unaligned", E(update(as, m, base + 8U, ACCESS(PGTABLE_ACCESS_R),
							 0, PAGE)),
		    ERROR_ARGUMENT_ALIGNMENT);
	check_error("update_access: past the extent", E(update(as, m, base, ACCESS(PGTABLE_ACCESS_R),
							       0, 8U * PAGE)),
		    ERROR_ARGUMENT_SIZE);
	check_error("update_access: unmapped", E(bothy_addrspace_unmap(as, m, base, 0, 0,
									 3U * PAGE).error),
		    OK);
	(void)bothy_cspace_delete_cap_from(cspace, m);
}
