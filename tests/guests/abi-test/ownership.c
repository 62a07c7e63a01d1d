/* ownership.c - the ABI test's memory ownership checks: memextent_configure_derive (basic and
 * sparse children), memextent_donate in every direction, bad uses with their exact errors, and
 * that donated pages leave every stage 2 of the donor (read back through the root's own). */
#include <stdint.h>

#include "bothy_hypercalls.h"
#include "check.h"
#include "guest.h"
#include "ownership.h"
#include "platform_config.h"

#define E(x) ((uint64_t)(int64_t)(x))
#define PAGE 0x1000U
#define PAGES 16U
#define MAP_RW_NORMAL \
	MEMEXTENT_MAPPING_ATTRS(PGTABLE_ACCESS_RW, PGTABLE_ACCESS_RW, PGTABLE_VM_MEMTYPE_NORMAL_WB)
#define BASIC MEMEXTENT_ATTRS(0U, MEMEXTENT_MEMTYPE_ANY, MEMEXTENT_TYPE_BASIC, 0U)
#define SPARSE MEMEXTENT_ATTRS(0U, MEMEXTENT_MEMTYPE_ANY, MEMEXTENT_TYPE_SPARSE, 0U)
#define OPT(type) MEMEXTENT_DONATE_OPTIONS(MEMEXTENT_DONATE_TYPE_##type, 0U)
#define CHILD_VMID 230U
#define CHILD_IPA 0x80000000U

static cap_id_t cspace, partition, own_as;
static uint64_t base; /* the parent extent's first page; the root maps it at IPA == PA */

static cap_id_t
new_extent(void)
{
	hypercall_partition_create_memextent_result_t me =
		bothy_partition_create_memextent(partition, cspace);
	if (me.error != OK) {
		guest_fail("ownership test: cannot create a memextent");
	}
	return me.new_cap;
}

static cap_id_t
derived(const char *what, cap_id_t parent, uint64_t offset, uint64_t size, uint32_t attrs)
{
	cap_id_t me = new_extent();
	error_t err = bothy_memextent_configure_derive(me, parent, offset, size, attrs).error;
	err = err == OK ? bothy_object_activate(me).error : err;
	check_error(what, E(err), OK);
	return me;
}

static error_t
map(cap_id_t as, cap_id_t me, uint64_t ipa, uint64_t offset, uint64_t size)
{
	return bothy_addrspace_map(as, me, ipa, MAP_RW_NORMAL, 0, offset, size).error;
}

static error_t
unmap(cap_id_t as, cap_id_t me, uint64_t ipa, uint64_t offset, uint64_t size)
{
	return bothy_addrspace_unmap(as, me, ipa, 0, offset, size).error;
}

static volatile uint64_t *
page(unsigned index)
{
	return (volatile uint64_t *)(uintptr_t)(base + index * PAGE);
}

static error_t
donate(uint32_t options, cap_id_t from, cap_id_t to, uint64_t offset, uint64_t size)
{
	return bothy_memextent_donate(options, from, to, offset, size).error;
}

static void
test_derive_errors(cap_id_t parent)
{
	cap_id_t me = new_extent(), idle = new_extent();
	check_error("derive: unaligned offset",
		    E(bothy_memextent_configure_derive(me, parent, 0x800U, PAGE, BASIC).error),
		    ERROR_ARGUMENT_ALIGNMENT);
	check_error("derive: past the parent's end",
		    E(bothy_memextent_configure_derive(me, parent, 8U * PAGE, PAGES * PAGE, BASIC)
			      .error),
		    ERROR_ARGUMENT_SIZE);
	check_error("derive: zero size",
		    E(bothy_memextent_configure_derive(me, parent, 0, 0, BASIC).error),
		    ERROR_ARGUMENT_SIZE);
	check_error("derive: DEVICE part of a RAM extent",
		    E(bothy_memextent_configure_derive(
			      me, parent, 0, PAGE,
			      MEMEXTENT_ATTRS(0U, MEMEXTENT_MEMTYPE_DEVICE, MEMEXTENT_TYPE_BASIC, 0U))
			      .error),
		    ERROR_ARGUMENT_INVALID);
	check_error("derive: type 2", E(bothy_memextent_configure_derive(me, parent, 0, PAGE,
			      MEMEXTENT_ATTRS(0U, MEMEXTENT_MEMTYPE_ANY, 2U, 0U)).error),
		    ERROR_ARGUMENT_INVALID);
	check_error("derive: from an address space cap",
		    E(bothy_memextent_configure_derive(me, own_as, 0, PAGE, BASIC).error),
		    ERROR_CSPACE_WRONG_OBJECT_TYPE);
	check_error("derive: from an extent not yet active",
		    E(bothy_memextent_configure_derive(me, idle, 0, PAGE, BASIC).error),
		    ERROR_OBJECT_STATE);
	check_error("derive: into an extent already active",
		    E(bothy_memextent_configure_derive(parent, parent, 0, PAGE, BASIC).error),
		    ERROR_OBJECT_STATE);
	(void)bothy_cspace_delete_cap_from(cspace, me);
	(void)bothy_cspace_delete_cap_from(cspace, idle);
}

/* A basic child takes its range from the parent, and gives it back when destroyed. */
static void
test_basic_child(cap_id_t parent, cap_id_t child_as)
{
	cap_id_t b = derived("basic child of pages 0-1", parent, 0, 2U * PAGE, BASIC);
	check_error("  the parent's mapping of them is gone", E(unmap(own_as, parent, base, 0, PAGE)),
		    ERROR_ADDR_INVALID);
	check_value("  the parent's page 2 is still mapped", *page(2), 0x5a02U);
	check_error("  the parent cannot map them", E(map(child_as, parent, CHILD_IPA, 0, PAGE)),
		    ERROR_MEMDB_NOT_OWNER);
	check_error("  the child maps them where the parent had", E(map(own_as, b, base, 0,
									      2U * PAGE)),
		    OK);
	check_value("  and reads the parent's data", *page(0), 0x5a00U);
	check_error("  into a child address space too", E(map(child_as, b, CHILD_IPA, 0, PAGE)), OK);
	cap_id_t b2 = new_extent();
	error_t err = bothy_memextent_configure_derive(b2, parent, PAGE, 2U * PAGE, BASIC).error;
	check_error("  a second basic child over page 1: configured", E(err), OK);
	check_error("  but not activated", E(bothy_object_activate(b2).error),
		    ERROR_MEMDB_NOT_OWNER);
	check_error("  a basic child cannot donate", E(donate(OPT(TO_PARENT), b, parent, 0, PAGE)),
		    ERROR_MEMEXTENT_TYPE);
	(void)bothy_cspace_delete_cap_from(cspace, b2);
	(void)bothy_cspace_delete_cap_from(cspace, b);
	check_error("destroyed: the parent maps pages 0-1 again", E(map(own_as, parent, base, 0,
									   2U * PAGE)),
		    OK);
	check_value("  and reads them", *page(1), 0x5a01U);
	check_error("  the child's mapping left the child address space",
		    E(map(child_as, parent, CHILD_IPA, 0, PAGE)), OK);
	check_error("  unmapped", E(unmap(child_as, parent, CHILD_IPA, 0, PAGE)), OK);
}

static void
test_donate_errors(cap_id_t parent, cap_id_t s, cap_id_t t)
{
	check_error("donate: type 5",
		    E(donate(MEMEXTENT_DONATE_OPTIONS(5U, 0U), parent, s, 0, PAGE)),
		    ERROR_ARGUMENT_INVALID);
	check_error("donate: a reserved option bit", E(donate(OPT(TO_CHILD) | 0x100U, parent, s, 0,
								  PAGE)),
		    ERROR_ARGUMENT_INVALID);
	check_error("donate: to_child to a sibling", E(donate(OPT(TO_CHILD), s, t, 0, PAGE)),
		    ERROR_ARGUMENT_INVALID);
	check_error("donate: to_parent from the parent", E(donate(OPT(TO_PARENT), parent, s, 0,
								  PAGE)),
		    ERROR_ARGUMENT_INVALID);
	check_error("donate: to_sibling to itself", E(donate(OPT(TO_SIBLING), s, s, 0, PAGE)),
		    ERROR_ARGUMENT_INVALID);
	check_error("donate: to_sibling from the parent", E(donate(OPT(TO_SIBLING), parent, s, 0,
								   PAGE)),
		    ERROR_ARGUMENT_INVALID);
	check_error("donate: unaligned offset", E(donate(OPT(TO_CHILD), parent, s, 0x10U, PAGE)),
		    ERROR_ARGUMENT_ALIGNMENT);
	check_error("donate: past the child's end", E(donate(OPT(TO_CHILD), parent, s, 7U * PAGE,
							     2U * PAGE)),
		    ERROR_ARGUMENT_SIZE);
	check_error("donate: zero size", E(donate(OPT(TO_CHILD), parent, s, 0, 0)),
		    ERROR_ARGUMENT_SIZE);
	check_error("donate: pages the child does not own", E(donate(OPT(TO_PARENT), s, parent, 0,
								     PAGE)),
		    ERROR_MEMDB_NOT_OWNER);
	check_error("donate: an address space cap", E(donate(OPT(TO_CHILD), parent, own_as, 0,
							     PAGE)),
		    ERROR_CSPACE_WRONG_OBJECT_TYPE);
}

/* Two sparse children S and T of pages 4-11 of the parent. */
static void
test_donations(cap_id_t parent, cap_id_t child_as)
{
	cap_id_t s = derived("sparse child S of pages 4-11", parent, 4U * PAGE, 8U * PAGE, SPARSE);
	cap_id_t t = derived("sparse child T of pages 4-11", parent, 4U * PAGE, 8U * PAGE, SPARSE);
	check_error("  S owns nothing yet", E(map(child_as, s, CHILD_IPA, 0, PAGE)),
		    ERROR_MEMDB_NOT_OWNER);
	test_donate_errors(parent, s, t);

	check_error("to_child: pages 4-5 to S (no_sync)",
		    E(donate(MEMEXTENT_DONATE_OPTIONS(MEMEXTENT_DONATE_TYPE_TO_CHILD, 1U), parent, s,
			     0, 2U * PAGE)),
		    OK);
	check_error("  they left the parent's stage 2", E(unmap(own_as, parent, base + 4U * PAGE,
								4U * PAGE, PAGE)),
		    ERROR_ADDR_INVALID);
	check_error("  the parent cannot map them", E(map(own_as, parent, base + 4U * PAGE,
							  4U * PAGE, PAGE)),
		    ERROR_MEMDB_NOT_OWNER);
	check_error("  nor donate them again", E(donate(OPT(TO_CHILD), parent, s, 0, PAGE)),
		    ERROR_MEMDB_NOT_OWNER);
	check_error("  lookup finds none of the parent's there",
		    E(bothy_addrspace_lookup(own_as, parent, base + 4U * PAGE, PAGE).error),
		    ERROR_ADDR_INVALID);
	check_value("  the parent's page 6 is still mapped", *page(6), 0x5a06U);
	check_error("  S maps them where the parent had", E(map(own_as, s, base + 4U * PAGE, 0,
								2U * PAGE)),
		    OK);
	check_value("  and reads the parent's data", *page(5), 0x5a05U);
	check_value("  lookup finds S's two pages there",
		    bothy_addrspace_lookup(own_as, s, base + 4U * PAGE, 8U * PAGE).size, 2U * PAGE);

	check_error("to_sibling: page 5 from S to T", E(donate(OPT(TO_SIBLING), s, t, PAGE, PAGE)),
		    OK);
	check_error("  it left S's stage 2", E(unmap(own_as, s, base + 5U * PAGE, PAGE, PAGE)),
		    ERROR_ADDR_INVALID);
	check_error("  T maps it into a child address space", E(map(child_as, t, CHILD_IPA, PAGE,
								    PAGE)),
		    OK);
	check_error("to_protected: page 5 from T back to S", E(donate(OPT(TO_PROTECTED), t, s,
								      PAGE, PAGE)),
		    OK);
	check_error("  it left the child address space", E(unmap(child_as, t, CHILD_IPA, PAGE,
								 PAGE)),
		    ERROR_ADDR_INVALID);

	*page(4) = 0xdeadU; /* through S's mapping */
	check_value("S wrote page 4", *page(4), 0xdeadU);
	check_error("from_protected: page 4 from S to T", E(donate(OPT(FROM_PROTECTED), s, t, 0,
								   PAGE)),
		    OK);
	check_error("  T maps it", E(map(own_as, t, base + 4U * PAGE, 0, PAGE)), OK);
	check_value("  and reads zeros: it was wiped", *page(4), 0U);
	check_error("from_protected: a page T does not own", E(donate(OPT(FROM_PROTECTED), t, s,
								      PAGE, PAGE)),
		    ERROR_MEMDB_NOT_OWNER);
	check_error("to_parent: page 5 from S", E(donate(OPT(TO_PARENT), s, parent, PAGE, PAGE)),
		    OK);
	check_error("  the parent maps it again", E(map(own_as, parent, base + 5U * PAGE,
							5U * PAGE, PAGE)),
		    OK);
	check_value("  and reads its data", *page(5), 0x5a05U);

	/* T still owns page 4: destroying it gives it back to the parent. */
	(void)bothy_cspace_delete_cap_from(cspace, t);
	(void)bothy_cspace_delete_cap_from(cspace, s);
	check_error("children destroyed: the parent unmaps all it maps",
		    E(unmap(own_as, parent, base, 0, PAGES * PAGE)), OK);
	check_error("  and maps all 16 pages again", E(map(own_as, parent, base, 0, PAGES * PAGE)),
		    OK);
	check_value("  page 4 reads as wiped", *page(4), 0U);
	check_value("  page 11 reads as before", *page(11), 0x5a0bU);
}

/* An address space destroyed while a derived extent is mapped in it, then the extent. */
static void
test_space_goes_first(cap_id_t parent)
{
	cap_id_t x = derived("sparse child X of page 12", parent, 12U * PAGE, PAGE, SPARSE);
	check_error("  given page 12", E(donate(OPT(TO_CHILD), parent, x, 0, PAGE)), OK);
	hypercall_partition_create_addrspace_result_t as =
		bothy_partition_create_addrspace(partition, cspace);
	error_t err = as.error;
	err = err == OK ? bothy_addrspace_configure(as.new_cap, CHILD_VMID + 1U).error : err;
	err = err == OK ? bothy_object_activate(as.new_cap).error : err;
	err = err == OK ? map(as.new_cap, x, CHILD_IPA, 0, PAGE) : err;
	check_error("  mapped into an address space", E(err), OK);
	(void)bothy_cspace_delete_cap_from(cspace, as.new_cap);
	check_error("  which is destroyed first: X maps elsewhere", E(map(own_as, x, base + 12U * PAGE,
									  0, PAGE)),
		    OK);
	(void)bothy_cspace_delete_cap_from(cspace, x);
	check_error("  then X: the parent maps page 12 again",
		    E(map(own_as, parent, base + 12U * PAGE, 12U * PAGE, PAGE)), OK);
}

void
test_memory_ownership(const root_boot_info_t *info)
{
	cspace = info->cspace_cap;
	partition = info->partition_cap;
	own_as = info->addrspace_cap;
	/* The top 1 MiB of RAM is nobody's (extent.c and the stage-2 test use the MiB below). */
	base = PLATFORM_RAM_BASE + PLATFORM_RAM_SIZE - 0x100000U;
	cap_id_t parent = new_extent();
	error_t err = bothy_memextent_configure(parent, base, PAGES * PAGE, BASIC).error;
	err = err == OK ? bothy_object_activate(parent).error : err;
	check_error("ownership: a basic parent of 16 pages", E(err), OK);
	check_error("  mapped into the root's own address space",
		    E(map(own_as, parent, base, 0, PAGES * PAGE)), OK);
	for (unsigned i = 0; i < PAGES; i++) {
		*page(i) = 0x5a00U + i;
	}
	hypercall_partition_create_addrspace_result_t as =
		bothy_partition_create_addrspace(partition, cspace);
	err = as.error;
	err = err == OK ? bothy_addrspace_configure(as.new_cap, CHILD_VMID).error : err;
	err = err == OK ? bothy_object_activate(as.new_cap).error : err;
	check_error("ownership: a child address space", E(err), OK);

	test_derive_errors(parent);
	test_basic_child(parent, as.new_cap);
	test_donations(parent, as.new_cap);
	check_error("ownership: the parent unmaps page 12", E(unmap(own_as, parent, base + 12U * PAGE,
								    12U * PAGE, PAGE)),
		    OK);
	test_space_goes_first(parent);

	check_error("ownership: the parent unmapped", E(unmap(own_as, parent, base, 0, PAGES * PAGE)),
		    OK);
	(void)bothy_cspace_delete_cap_from(cspace, as.new_cap);
	(void)bothy_cspace_delete_cap_from(cspace, parent);
}
