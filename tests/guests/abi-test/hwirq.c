/* hwirq.c - the ABI test's hwirq checks: binding the boot hwirq cap (the config passes QEMU
 * virt's PL031 RTC through, INTID 34) to the root vic with every kind of bad argument, and
 * device memory extents, which may cover only a passed-through device's MMIO. */
#include <stdint.h>

#include "bothy_hypercalls.h"
#include "check.h"
#include "guest.h"
#include "hwirq.h"
#include "platform_config.h"

#define E(x) ((uint64_t)(int64_t)(x))
#define RTC_BASE 0x09010000UL
#define RTC_INTID 34U
#define VIRQ_DEVICE 100U /* root vic SPIs nothing else in the ABI test uses */
#define VIRQ_OTHER 101U
#define MEMTYPE_DEVICE MEMEXTENT_ATTRS(0, MEMEXTENT_MEMTYPE_DEVICE, 0, 0)
#define MEMTYPE_CACHED MEMEXTENT_ATTRS(0, MEMEXTENT_MEMTYPE_CACHED, 0, 0)
#define MAP_RW_DEVICE \
	MEMEXTENT_MAPPING_ATTRS(PGTABLE_ACCESS_RW, PGTABLE_ACCESS_RW, PGTABLE_VM_MEMTYPE_DEVICE_NGNRE)
#define MAP_RW_NORMAL \
	MEMEXTENT_MAPPING_ATTRS(PGTABLE_ACCESS_RW, PGTABLE_ACCESS_RW, PGTABLE_VM_MEMTYPE_NORMAL_WB)

static cap_id_t
copy(cap_id_t cspace, cap_id_t cap, uint32_t mask)
{
	hypercall_cspace_copy_cap_from_result_t c = bothy_cspace_copy_cap_from(cspace, cap, cspace,
									      mask);
	if (c.error != OK) {
		guest_fail("cannot copy a test cap");
	}
	return c.new_cap;
}

static void
test_bind_errors(const root_boot_info_t *info, cap_id_t hw)
{
	cap_id_t cs = info->cspace_cap, vic = info->vic_cap;
	check_error("hwirq_unbind_virq, not bound", bothy_hwirq_unbind_virq(hw).error,
		    ERROR_VIRQ_NOT_BOUND);
	check_error("hwirq_bind_virq, invalid hwirq cap",
		    bothy_hwirq_bind_virq(CSPACE_CAP_INVALID, vic, VIRQ_DEVICE).error,
		    ERROR_ARGUMENT_INVALID);
	check_error("hwirq_bind_virq, a vic as the hwirq",
		    bothy_hwirq_bind_virq(vic, vic, VIRQ_DEVICE).error,
		    ERROR_CSPACE_WRONG_OBJECT_TYPE);
	check_error("hwirq_bind_virq, a hwirq as the vic",
		    bothy_hwirq_bind_virq(hw, hw, VIRQ_DEVICE).error, ERROR_CSPACE_WRONG_OBJECT_TYPE);
	cap_id_t weak_hw = copy(cs, hw, ~CAP_RIGHTS_HWIRQ_BIND_VIC);
	check_error("hwirq_bind_virq without bind_vic",
		    bothy_hwirq_bind_virq(weak_hw, vic, VIRQ_DEVICE).error,
		    ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	check_error("hwirq_unbind_virq without bind_vic", bothy_hwirq_unbind_virq(weak_hw).error,
		    ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	cap_id_t weak_vic = copy(cs, vic, ~CAP_RIGHTS_VIC_BIND_SOURCE);
	check_error("hwirq_bind_virq, vic without bind_source",
		    bothy_hwirq_bind_virq(hw, weak_vic, VIRQ_DEVICE).error,
		    ERROR_CSPACE_INSUFFICIENT_RIGHTS);
	cap_id_t revoked = copy(cs, hw, ~0U);
	(void)bothy_cspace_revoke_cap_from(cs, revoked);
	check_error("hwirq_bind_virq, revoked hwirq cap",
		    bothy_hwirq_bind_virq(revoked, vic, VIRQ_DEVICE).error, ERROR_CSPACE_CAP_REVOKED);
	check_error("hwirq_bind_virq to a PPI (31)", bothy_hwirq_bind_virq(hw, vic, 31U).error,
		    ERROR_ARGUMENT_INVALID);
	check_error("hwirq_bind_virq to an SGI (0)", bothy_hwirq_bind_virq(hw, vic, 0U).error,
		    ERROR_ARGUMENT_INVALID);
	check_error("hwirq_bind_virq beyond the vic's SPIs (128)",
		    bothy_hwirq_bind_virq(hw, vic, 128U).error, ERROR_ARGUMENT_INVALID);
	check_error("hwirq_bind_virq to a special INTID (1023)",
		    bothy_hwirq_bind_virq(hw, vic, 1023U).error, ERROR_ARGUMENT_INVALID);
	hypercall_partition_create_vic_result_t fresh =
		bothy_partition_create_vic(info->partition_cap, cs);
	check_error("hwirq_bind_virq to a vic in INIT",
		    bothy_hwirq_bind_virq(hw, fresh.new_cap, VIRQ_DEVICE).error, ERROR_OBJECT_STATE);
	bothy_regs_t r = { { hw, vic, VIRQ_DEVICE, 1U } };
	BOTHY_HVC_RAW(0x6026, &r);
	check_error("hwirq_bind_virq, non-zero res0 (native)", r.x[0], ERROR_ARGUMENT_INVALID);
	(void)bothy_cspace_delete_cap_from(cs, fresh.new_cap);
	(void)bothy_cspace_delete_cap_from(cs, revoked);
	(void)bothy_cspace_delete_cap_from(cs, weak_vic);
	(void)bothy_cspace_delete_cap_from(cs, weak_hw);
}

static void
test_bind_unbind(const root_boot_info_t *info, cap_id_t hw)
{
	cap_id_t cs = info->cspace_cap, vic = info->vic_cap;
	cap_id_t db = bothy_partition_create_doorbell(info->partition_cap, cs).new_cap;
	(void)bothy_object_activate(db);
	(void)bothy_doorbell_bind_virq(db, vic, VIRQ_OTHER);
	check_error("hwirq_bind_virq to an SPI a doorbell drives",
		    bothy_hwirq_bind_virq(hw, vic, VIRQ_OTHER).error, ERROR_BUSY);
	check_error("hwirq_bind_virq", bothy_hwirq_bind_virq(hw, vic, VIRQ_DEVICE).error, OK);
	check_error("hwirq_bind_virq again (bound)",
		    bothy_hwirq_bind_virq(hw, vic, VIRQ_DEVICE + 2U).error, ERROR_VIRQ_BOUND);
	(void)bothy_doorbell_unbind_virq(db);
	check_error("doorbell_bind_virq to the hwirq's SPI",
		    bothy_doorbell_bind_virq(db, vic, VIRQ_DEVICE).error, ERROR_BUSY);
	bothy_regs_t r = { { HYPERCALL_HWIRQ_UNBIND_VIRQ_SMCCC, hw } };
	bothy_smccc_call(&r);
	check_error("hwirq_unbind_virq via SMCCC", r.x[0], OK);
	check_error("hwirq_unbind_virq again", bothy_hwirq_unbind_virq(hw).error,
		    ERROR_VIRQ_NOT_BOUND);
	check_error("doorbell_bind_virq to the SPI the hwirq released",
		    bothy_doorbell_bind_virq(db, vic, VIRQ_DEVICE).error, OK);
	check_error("hwirq_bind_virq after unbind, another SPI",
		    bothy_hwirq_bind_virq(hw, vic, VIRQ_OTHER).error, OK);
	check_error("  and unbind", bothy_hwirq_unbind_virq(hw).error, OK);
	(void)bothy_doorbell_unbind_virq(db);
	(void)bothy_cspace_delete_cap_from(cs, db);
}

/* A memextent of `attrs` over [base, base + size): the configure call's error. */
static error_t
configure_extent(const root_boot_info_t *info, uint64_t base, uint64_t size, uint32_t attrs,
		 cap_id_t *out)
{
	*out = bothy_partition_create_memextent(info->partition_cap, info->cspace_cap).new_cap;
	return bothy_memextent_configure(*out, base, size, attrs).error;
}

static void
test_device_memory(const root_boot_info_t *info)
{
	cap_id_t cs = info->cspace_cap, me;
	static const struct {
		const char *what;
		uint64_t base, size;
		uint32_t attrs;
		error_t want;
	} refused[] = {
		{ "device memextent over the GIC distributor", PLATFORM_GICD_BASE, 0x1000U,
		  MEMTYPE_DEVICE, ERROR_ADDR_INVALID },
		{ "device memextent over the hypervisor's UART", PLATFORM_UART_BASE, 0x1000U,
		  MEMTYPE_DEVICE, ERROR_ADDR_INVALID },
		{ "device memextent past the passed-through region", RTC_BASE, 0x2000U,
		  MEMTYPE_DEVICE, ERROR_ADDR_INVALID },
		{ "device memextent over RAM", PLATFORM_RAM_BASE + 0x10000000UL, 0x1000U,
		  MEMTYPE_DEVICE, ERROR_ADDR_INVALID },
		{ "normal memextent over the RTC", RTC_BASE, 0x1000U, 0U, ERROR_ADDR_INVALID },
		{ "cached memtype (unsupported)", PLATFORM_RAM_BASE + 0x10000000UL, 0x1000U,
		  MEMTYPE_CACHED, ERROR_ARGUMENT_INVALID },
	};
	for (unsigned i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		check_error(refused[i].what,
			    configure_extent(info, refused[i].base, refused[i].size,
					     refused[i].attrs, &me),
			    refused[i].want);
		(void)bothy_cspace_delete_cap_from(cs, me);
	}
	check_error("device memextent over the passed-through RTC",
		    configure_extent(info, RTC_BASE, 0x1000U, MEMTYPE_DEVICE, &me), OK);
	check_error("  activation", bothy_object_activate(me).error, OK);
	check_error("  mapped as normal memory",
		    bothy_addrspace_map(info->addrspace_cap, me, RTC_BASE, MAP_RW_NORMAL, 0, 0,
					0x1000U).error,
		    ERROR_ARGUMENT_INVALID);
	check_error("  mapped as device memory",
		    bothy_addrspace_map(info->addrspace_cap, me, RTC_BASE, MAP_RW_DEVICE, 0, 0,
					0x1000U).error,
		    OK);
	/* The PL031's PrimeCell ID (0xb1 in RTCPCellID3 at 0xffc) proves the mapping is the
	 * device's. */
	check_value("  reads the RTC's PrimeCell ID",
		    *(volatile uint32_t *)(uintptr_t)(RTC_BASE + 0xffcU), 0xb1U);
	check_error("  unmapped", bothy_addrspace_unmap(info->addrspace_cap, me, RTC_BASE, 0, 0,
							  0x1000U).error,
		    OK);
	cap_id_t second;
	error_t err = configure_extent(info, RTC_BASE, 0x1000U, MEMTYPE_DEVICE, &second);
	if (err == OK) {
		err = bothy_object_activate(second).error;
	}
	check_error("a second extent over the same device", err, ERROR_MEMDB_NOT_OWNER);
	(void)bothy_cspace_delete_cap_from(cs, second);
	(void)bothy_cspace_delete_cap_from(cs, me);
}

void
test_hwirq(const root_boot_info_t *info)
{
	check_value("boot info lists one hwirq (the config's RTC)", info->hwirq_count, 1U);
	check_value("  for INTID 34", info->hwirqs[0].intid, RTC_INTID);
	if (info->hwirq_count == 0U) {
		return;
	}
	test_bind_errors(info, info->hwirqs[0].cap);
	test_bind_unbind(info, info->hwirqs[0].cap);
	test_device_memory(info);
}
