/* selftest.c - the RM's start-up check of every hypercall that exists: valid and invalid
 * arguments on both entry paths, each result compared with the exact Gunyah code expected. */
#include <stdbool.h>
#include <stdint.h>

#include "bothy_hypercalls.h"
#include "check.h"
#include "fdt.h"
#include "gic.h"
#include "format.h"
#include "platform_config.h"
#include "rm.h"
#include "guest.h"

#define SMCCC_NOT_SUPPORTED 0xffffffffffffffffUL
#define SMCCC_VERSION 0x80000000U
#define VENDOR_HYP_CALL_UID 0x8600ff01U
#define HYP_API_INFO_EXPECTED 0x4800000000008001UL /* v1, 64-bit, LE, variant Gunyah */

static void
check_identification(void)
{
	hypercall_hypervisor_identify_result_t id = bothy_hypervisor_identify();
	check_value("hypervisor_identify (native) api info", id.hyp_api_info,
		     HYP_API_INFO_EXPECTED);
	bothy_regs_t r = { { HYPERCALL_HYPERVISOR_IDENTIFY_SMCCC } };
	bothy_smccc_call(&r);
	check_value("hypervisor_identify (SMCCC) api info", r.x[0], HYP_API_INFO_EXPECTED);
	r = (bothy_regs_t){ { SMCCC_VERSION } };
	bothy_smccc_call(&r);
	check_value("SMCCC_VERSION", r.x[0], 0x10001U);
	r = (bothy_regs_t){ { PSCI_FUNCTION_VERSION } };
	bothy_smccc_call(&r);
	check_value("PSCI_VERSION", r.x[0], 0x10001U);
	r = (bothy_regs_t){ { VENDOR_HYP_CALL_UID } };
	bothy_smccc_call(&r);
	check_value("CALL_UID word 0 (Gunyah UUID)", r.x[0], 0xcd8fd5c1U);
	check_value("CALL_UID word 3 (Gunyah UUID)", r.x[3], 0x145f3d67U);
}

static void
check_console_write(cap_id_t cap)
{
	static const char text[] = "console_write check line\n";
	hypercall_console_write_result_t w = bothy_console_write(cap, (uintptr_t)text, sizeof(text) - 1U);
	check_error("console_write valid buffer", (uint64_t)(int64_t)w.error, OK);
	check_value("console_write bytes written", w.written, sizeof(text) - 1U);
	w = bothy_console_write(cap ^ 0x100U, (uintptr_t)text, 4);
	check_error("console_write wrong cap", (uint64_t)(int64_t)w.error, ERROR_CSPACE_CAP_NULL);
	w = bothy_console_write(cap, (uintptr_t)text, 257);
	check_error("console_write oversized", (uint64_t)(int64_t)w.error, ERROR_ARGUMENT_SIZE);
	w = bothy_console_write(cap, (uintptr_t)HYP_MEM_BASE, 8);
	check_error("console_write from hypervisor memory", (uint64_t)(int64_t)w.error,
		     ERROR_ADDR_INVALID);
	w = bothy_console_write(cap, (uintptr_t)(ROOT_VM_MEM_BASE + ROOT_VM_MEM_SIZE - 4U), 8);
	check_error("console_write crossing the end of RM memory", (uint64_t)(int64_t)w.error,
		     ERROR_ADDR_INVALID);
	w = bothy_console_write(cap, (uintptr_t)0xfffffffffffffff0UL, 32);
	check_error("console_write wrapping address", (uint64_t)(int64_t)w.error,
		     ERROR_ADDR_OVERFLOW);
	bothy_regs_t r = { { cap, (uint64_t)(uintptr_t)text, 0, 1 } };
	BOTHY_HVC_RAW(0x6200, &r);
	check_error("console_write non-zero res0 (native)", r.x[0], ERROR_ARGUMENT_INVALID);
	r = (bothy_regs_t){ { HYPERCALL_CONSOLE_WRITE_SMCCC, cap, (uint64_t)(uintptr_t)text, 0, 1 } };
	bothy_smccc_call(&r);
	check_error("console_write non-zero res0 (SMCCC ignores it)", r.x[0], OK);
}

static void
check_unimplemented(void)
{
	hypercall_partition_create_watchdog_result_t wd =
		bothy_partition_create_watchdog(CSPACE_CAP_INVALID, CSPACE_CAP_INVALID);
	check_error("partition_create_watchdog (no watchdog interface)",
		     (uint64_t)(int64_t)wd.error, ERROR_UNIMPLEMENTED);
	bothy_regs_t r = { { 0 } };
	BOTHY_HVC_RAW(0x61ff, &r);
	check_error("unassigned native number 0x61ff", r.x[0], ERROR_UNIMPLEMENTED);
	r = (bothy_regs_t){ { 0 } };
	BOTHY_HVC_RAW(0x1234, &r);
	check_error("hvc immediate outside every range", r.x[0], ERROR_UNIMPLEMENTED);
	r = (bothy_regs_t){ { HYPERCALL_GUNYAH_SMCCC_BASE + 0x1ffU } };
	bothy_smccc_call(&r);
	check_value("unassigned SMCCC hypercall ID", r.x[0], (uint64_t)(int64_t)ERROR_UNIMPLEMENTED);
	r = (bothy_regs_t){ { 0xc5000000U } };
	bothy_smccc_call(&r);
	check_value("unknown SMCCC owner", r.x[0], SMCCC_NOT_SUPPORTED);
}

/* The RM's own use of the object ABI: create, activate and delete an object with the caps
 * the hypervisor handed over at boot. */
static void
check_objects(const root_boot_info_t *info)
{
	hypercall_partition_create_doorbell_result_t db =
		bothy_partition_create_doorbell(info->partition_cap, info->cspace_cap);
	check_error("partition_create_doorbell", (uint64_t)(int64_t)db.error, OK);
	check_error("object_activate (doorbell)",
		     (uint64_t)(int64_t)bothy_object_activate(db.new_cap).error, OK);
	check_error("object_activate again", (uint64_t)(int64_t)bothy_object_activate(db.new_cap).error,
		     ERROR_OBJECT_STATE);
	check_error("cspace_delete_cap_from",
		     (uint64_t)(int64_t)bothy_cspace_delete_cap_from(info->cspace_cap, db.new_cap).error,
		     OK);
	check_error("stale cap after delete",
		     (uint64_t)(int64_t)bothy_object_activate(db.new_cap).error, ERROR_CSPACE_CAP_NULL);
	/* As in Gunyah, an ID that names no slot at all is an invalid argument, not a null cap. */
	check_error("cap ID that names no slot",
		     (uint64_t)(int64_t)bothy_object_activate(0x12345U).error, ERROR_ARGUMENT_INVALID);
	check_error("partition cap used as a cspace",
		     (uint64_t)(int64_t)bothy_partition_create_doorbell(info->partition_cap,
									 info->partition_cap).error,
		     ERROR_CSPACE_WRONG_OBJECT_TYPE);
}

/* The RM's own vic (boot info version 4), where its queues' and doorbells' interrupts go:
 * a doorbell binds to its first SPI and unbinds again. */
static void
check_root_vic(const root_boot_info_t *info)
{
	hypercall_partition_create_doorbell_result_t db =
		bothy_partition_create_doorbell(info->partition_cap, info->cspace_cap);
	if (db.error != OK || bothy_object_activate(db.new_cap).error != OK) {
		check_error("doorbell for the vic check", (uint64_t)(int64_t)db.error, OK);
		return;
	}
	check_error("doorbell_bind_virq to the RM's own vic, SPI 32",
		     (uint64_t)(int64_t)bothy_doorbell_bind_virq(db.new_cap, info->vic_cap,
								 GIC_NR_PRIVATE).error,
		     OK);
	check_error("doorbell_unbind_virq",
		     (uint64_t)(int64_t)bothy_doorbell_unbind_virq(db.new_cap).error, OK);
	(void)bothy_cspace_delete_cap_from(info->cspace_cap, db.new_cap);
}

static void
check_device_tree(const root_boot_info_t *info)
{
	const void *dtb = (const void *)(uintptr_t)info->dtb_ipa;
	check_error("device tree header", (uint64_t)(int64_t)fdt_check(dtb, info->dtb_size), OK);
	const void *reg;
	size_t len = 0;
	char memory_path[32];
	(void)format_buf(memory_path, sizeof(memory_path), "/memory@%lx", info->mem_base);
	error_t err = fdt_get_prop(dtb, info->dtb_size, memory_path, "reg", &reg, &len);
	if (err == OK && len == 16U) {
		uint64_t base = ((uint64_t)fdt_cell(reg) << 32) | fdt_cell((const uint8_t *)reg + 4);
		check_value("device tree /memory base matches boot info", base, info->mem_base);
	} else {
		check_error("device tree /memory reg property", (uint64_t)(int64_t)err, OK);
	}
}

unsigned
rm_selftest(const root_boot_info_t *info)
{
	check_begin("self-test");
	check_identification();
	check_console_write(info->console_cap);
	check_unimplemented();
	check_objects(info);
	check_root_vic(info);
	check_device_tree(info);
	return check_end();
}
