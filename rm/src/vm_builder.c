/* vm_builder.c - the RM builds every VM its device tree describes (/vms, from the config):
 * address space, memory extent, vGIC, cspace and vCPUs through hypercalls; then, once every
 * VM's objects exist, the links (vm_links.c); then it loads each VM's images and starts it. */
#include <stdint.h>

#include "bothy_hypercalls.h"
#include "fdt.h"
#include "format.h"
#include "guest.h"
#include "platform_config.h"
#include "rm.h"
#include "rm_rpc_abi.h"
#include "vm_build.h"
#include "vm_registry.h"

#define VMID_SECONDARY_FIRST 0x80U
#define VMID_SECONDARY_MAX 16U
#define VM_CSPACE_CAPS 64U
#define VM_MAX_VIRQS 128U
#define MAP_RWX_NORMAL \
	MEMEXTENT_MAPPING_ATTRS(PGTABLE_ACCESS_RWX, PGTABLE_ACCESS_RWX, PGTABLE_VM_MEMTYPE_NORMAL_WB)
#define MAP_RW_NORMAL \
	MEMEXTENT_MAPPING_ATTRS(PGTABLE_ACCESS_RW, PGTABLE_ACCESS_RW, PGTABLE_VM_MEMTYPE_NORMAL_WB)
#define MAP_RW_DEVICE \
	MEMEXTENT_MAPPING_ATTRS(PGTABLE_ACCESS_RW, PGTABLE_ACCESS_RW, PGTABLE_VM_MEMTYPE_DEVICE_NGNRE)
#define MEMEXTENT_DEVICE \
	MEMEXTENT_ATTRS(PGTABLE_ACCESS_NONE, MEMEXTENT_MEMTYPE_DEVICE, MEMEXTENT_TYPE_BASIC, 0U)
#define DEVICE_CELLS_SIZE 20U /* bothy,devices: base and size (2 cells each), INTID */
#define ARM64_IMAGE_MAGIC 0x644d5241U /* "ARM\x64" at offset 0x38 of an arm64 Image */

static const root_boot_info_t *boot;
static unsigned failures;
static vm_record_t vms[1U + VMID_SECONDARY_MAX];
static unsigned vm_count;
static cap_id_t staging_extent = CSPACE_CAP_INVALID;

static bool
ok(error_t err, const vm_desc_t *d, const char *what)
{
	if (err != OK) {
		guest_printf("VM '%s': %s failed: error %d\n", d->name, what, (int)err);
		failures++;
	}
	return err == OK;
}

static uint64_t
cells64(const void *p)
{
	return ((uint64_t)fdt_cell(p) << 32) | fdt_cell((const uint8_t *)p + 4);
}

/* Reads /vms/vm@<vmid>; false if there is no such node. */
static bool
read_desc(uint32_t vmid, vm_desc_t *d)
{
	const void *dtb = (const void *)(uintptr_t)boot->dtb_ipa;
	char path[32];
	format_buf(path, sizeof(path), "/vms/vm@%x", vmid);
	const void *v;
	size_t len;
	if (fdt_get_prop(dtb, boot->dtb_size, path, "bothy,name", &v, &len) != OK) {
		return false;
	}
	*d = (vm_desc_t){ .vmid = vmid, .name = v };
	if (fdt_get_prop(dtb, boot->dtb_size, path, "bothy,role", &v, &len) == OK) {
		d->role = v;
	}
	if (fdt_get_prop(dtb, boot->dtb_size, path, "bothy,vcpus", &v, &len) == OK && len == 4U) {
		d->vcpus = fdt_cell(v);
	}
	if (fdt_get_prop(dtb, boot->dtb_size, path, "bothy,memory", &v, &len) == OK && len == 16U) {
		d->mem_base = cells64(v);
		d->mem_size = cells64((const uint8_t *)v + 8);
	}
	if (fdt_get_prop(dtb, boot->dtb_size, path, "bothy,entry", &v, &len) == OK && len == 8U) {
		d->entry = cells64(v);
	}
	if (fdt_get_prop(dtb, boot->dtb_size, path, "bothy,image", &v, &len) == OK && len == 16U) {
		d->image = cells64(v);
		d->image_size = cells64((const uint8_t *)v + 8);
	}
	if (fdt_get_prop(dtb, boot->dtb_size, path, "bothy,dtb", &v, &len) == OK && len == 16U) {
		d->dtb = cells64(v);
		d->dtb_size = cells64((const uint8_t *)v + 8);
	}
	if (fdt_get_prop(dtb, boot->dtb_size, path, "bothy,initrd", &v, &len) == OK && len == 16U) {
		d->initrd = cells64(v);
		d->initrd_size = cells64((const uint8_t *)v + 8);
	}
	if (fdt_get_prop(dtb, boot->dtb_size, path, "bothy,staging", &v, &len) == OK && len == 16U) {
		d->staging = cells64(v);
		d->staging_size = cells64((const uint8_t *)v + 8);
	}
	if (fdt_get_prop(dtb, boot->dtb_size, path, "bothy,rm-rpc-node", &v, &len) == OK) {
		d->rm_rpc_node = v;
	}
	if (fdt_get_prop(dtb, boot->dtb_size, path, "bothy,devices", &v, &len) == OK &&
	    len % DEVICE_CELLS_SIZE == 0U) {
		d->devices = v;
		d->device_count = (uint32_t)(len / DEVICE_CELLS_SIZE);
	}
	if (fdt_get_prop(dtb, boot->dtb_size, path, "bothy,rm-rpc-irqs", &v, &len) == OK &&
	    len == 8U) {
		d->rm_rpc_irqs[0] = fdt_cell(v);
		d->rm_rpc_irqs[1] = fdt_cell((const uint8_t *)v + 4);
	}
	return true;
}

const root_boot_info_t *
rm_boot_info(void)
{
	return boot;
}

vm_record_t *
rm_built_vm(uint32_t vmid)
{
	for (unsigned i = 0; i < vm_count; i++) {
		if (vms[i].desc.vmid == vmid && vms[i].ready) {
			return &vms[i];
		}
	}
	return NULL;
}

void *
rm_staged_dtb(const vm_record_t *r)
{
	const vm_desc_t *d = &r->desc;
	if (d->staging_size == 0U || staging_extent == CSPACE_CAP_INVALID ||
	    d->dtb < d->mem_base || d->dtb + d->dtb_size > d->mem_base + d->staging_size) {
		return NULL;
	}
	return (void *)(uintptr_t)(d->staging + (d->dtb - d->mem_base));
}

static uint32_t
le32_at(uint64_t addr)
{
	const volatile uint8_t *b = (const volatile uint8_t *)(uintptr_t)addr;
	return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) |
	       ((uint32_t)b[3] << 24);
}

/* With the VM's memory mapped into the RM: are the staged images what the config says? */
static bool
check_staged_images(const vm_desc_t *d)
{
	bool linux_image = d->initrd_size != 0U;
	if (linux_image && le32_at(d->image + 0x38U) != ARM64_IMAGE_MAGIC) {
		guest_printf("VM '%s': no arm64 Image at 0x%lx (the loader did not stage it?)\n",
			     d->name, d->image);
		return false;
	}
	if (d->dtb_size != 0U && fdt_check((const void *)(uintptr_t)d->dtb, d->dtb_size) != OK) {
		guest_printf("VM '%s': no valid device tree at 0x%lx\n", d->name, d->dtb);
		return false;
	}
	return true;
}

/* Copies `size` bytes (a multiple of 64; both addresses 64-byte aligned) 64 bytes at a time,
 * cleaning them to the point of coherency as they are written: the VM starts with its MMU off
 * (non-cacheable), and Linux's boot protocol requires that of a loader. A restart copies
 * tens of MiB, hence locals the compiler can keep in registers and eight words per
 * iteration. The clean steps by the smallest data cache line
 * (CTR_EL0.DminLine, in words), at most 64 bytes: one DC per chunk on QEMU. */
static void
copy_and_clean(uint64_t *restrict dst, const uint64_t *restrict src, uint64_t size)
{
	uint64_t ctr;
	__asm__ volatile("mrs %0, ctr_el0" : "=r"(ctr));
	uint64_t line = 4U << ((ctr >> 16) & 0xfU);
	uint64_t step = line < 64U ? line : 64U;
	for (uint64_t *end = dst + size / 8U; dst < end; dst += 8, src += 8) {
		for (unsigned i = 0; i < 8U; i++) {
			dst[i] = src[i];
		}
		for (uint64_t off = 0; off < 64U; off += step) {
			__asm__ volatile("dc cvac, %0" ::"r"((uintptr_t)dst + off) : "memory");
		}
	}
}

/* What load_images copies from the staging mirror into the VM's memory. */
typedef enum {
	/* First start: the loader put the kernel and initramfs in place as well (staging.py),
	 * so only the device tree, into which the RM has written the VM's caps, is copied.
	 * Copying tens of MiB under QEMU TCG took most of a second before Linux started. */
	LOAD_DTB_ONLY,
	/* Restart: everything, so that it begins from unmodified images. */
	LOAD_EVERYTHING,
} load_what_t;

/* Copies the loader's pristine images (or just the device tree) into the VM's memory,
 * mapped in the RM. */
static bool
load_images(const vm_desc_t *d, load_what_t what)
{
	if (d->staging_size == 0U) {
		return true; /* images were loaded in place; a restart reuses memory as it is */
	}
	if (staging_extent == CSPACE_CAP_INVALID) {
		guest_printf("VM '%s': staging area not available\n", d->name);
		return false;
	}
	if (((d->staging | d->staging_size | d->mem_base) & 63U) != 0U) {
		guest_printf("VM '%s': staging area 0x%lx+0x%lx is not in whole cache lines\n",
			     d->name, d->staging, d->staging_size);
		return false;
	}
	uint64_t offset = 0U, size = d->staging_size;
	if (what == LOAD_DTB_ONLY) {
		/* The DTB slot (64 KiB, page aligned; the mirror holds zeros after the tree). */
		offset = (d->dtb - d->mem_base) & ~63ULL;
		uint64_t end = (d->dtb - d->mem_base + d->dtb_size + 63U) & ~63ULL;
		size = end <= d->staging_size ? end - offset : 0U;
	}
	copy_and_clean((uint64_t *)(uintptr_t)(d->mem_base + offset),
		       (const uint64_t *)(uintptr_t)(d->staging + offset), size);
	__asm__ volatile("dsb sy" ::: "memory");
	return true;
}

static bool
build_memory(const vm_desc_t *d, vm_caps_t *c)
{
	cap_id_t part = boot->partition_cap, cs = boot->cspace_cap;
	hypercall_partition_create_addrspace_result_t as = bothy_partition_create_addrspace(part, cs);
	c->addrspace = ok(as.error, d, "addrspace creation") ? as.new_cap : CSPACE_CAP_INVALID;
	if (c->addrspace == CSPACE_CAP_INVALID ||
	    !ok(bothy_addrspace_configure(c->addrspace, (uint16_t)d->vmid).error, d,
		"addrspace_configure") ||
	    !ok(bothy_object_activate(c->addrspace).error, d, "addrspace activation")) {
		return false;
	}
	hypercall_partition_create_memextent_result_t me =
		bothy_partition_create_memextent(part, cs);
	c->memextent = ok(me.error, d, "memextent creation") ? me.new_cap : CSPACE_CAP_INVALID;
	return c->memextent != CSPACE_CAP_INVALID &&
	       ok(bothy_memextent_configure(c->memextent, d->mem_base, d->mem_size, 0).error, d,
		  "memextent_configure") &&
	       ok(bothy_object_activate(c->memextent).error, d, "memextent activation");
}

/* Copies the VM's images in (its tree now has every cap) and maps its memory into it. */
static bool
load_memory(const vm_desc_t *d, const vm_caps_t *c)
{
	/* Look at the staged images through a temporary mapping in the RM's own stage 2; the
	 * VM gets the memory only after the RM has let go of it. */
	if (!ok(bothy_addrspace_map(boot->addrspace_cap, c->memextent, d->mem_base, MAP_RW_NORMAL, 0,
				    0, d->mem_size).error,
		d, "mapping into the RM")) {
		return false;
	}
	bool images_ok = load_images(d, LOAD_DTB_ONLY) && check_staged_images(d);
	if (!ok(bothy_addrspace_unmap(boot->addrspace_cap, c->memextent, d->mem_base, 0, 0,
				      d->mem_size).error,
		d, "unmapping from the RM") ||
	    !images_ok) {
		failures += images_ok ? 0U : 1U;
		return false;
	}
	return ok(bothy_addrspace_map(c->addrspace, c->memextent, d->mem_base, MAP_RWX_NORMAL, 0, 0,
				      d->mem_size).error,
		  d, "addrspace_map");
}

static bool
build_vcpus(const vm_desc_t *d, vm_caps_t *c)
{
	cap_id_t part = boot->partition_cap, rm_cs = boot->cspace_cap;
	hypercall_partition_create_vic_result_t vic = bothy_partition_create_vic(part, rm_cs);
	c->vic = ok(vic.error, d, "vic creation") ? vic.new_cap : CSPACE_CAP_INVALID;
	if (c->vic == CSPACE_CAP_INVALID ||
	    !ok(bothy_vic_configure(c->vic, d->vcpus, VM_MAX_VIRQS, 0, 0).error, d,
		"vic_configure") ||
	    !ok(bothy_object_activate(c->vic).error, d, "vic activation")) {
		return false;
	}
	hypercall_partition_create_cspace_result_t cs = bothy_partition_create_cspace(part, rm_cs);
	c->cspace = ok(cs.error, d, "cspace creation") ? cs.new_cap : CSPACE_CAP_INVALID;
	if (c->cspace == CSPACE_CAP_INVALID ||
	    !ok(bothy_cspace_configure(c->cspace, VM_CSPACE_CAPS).error, d, "cspace_configure") ||
	    !ok(bothy_object_activate(c->cspace).error, d, "cspace activation")) {
		return false;
	}
	for (uint32_t i = 0; i < d->vcpus && i < VM_MAX_VCPUS; i++) {
		hypercall_partition_create_thread_result_t t = bothy_partition_create_thread(part, rm_cs);
		if (!ok(t.error, d, "vCPU creation")) {
			return false;
		}
		cap_id_t v = c->vcpus[i] = t.new_cap;
		/* vCPU i runs on physical CPU i (modulo the CPUs there are): the default
		 * configs give each vCPU its own CPU, which keeps Linux's SMP boot fast. */
		if (!ok(bothy_vcpu_configure(v, 0).error, d, "vcpu_configure") ||
		    !ok(bothy_cspace_attach_thread(c->cspace, v).error, d, "cspace_attach_thread") ||
		    !ok(bothy_addrspace_attach_thread(c->addrspace, v).error, d,
			"addrspace_attach_thread") ||
		    !ok(bothy_vic_attach_vcpu(c->vic, v, i).error, d, "vic_attach_vcpu") ||
		    !ok(bothy_vcpu_set_affinity(v, (uint16_t)(i % boot->cpu_count)).error, d,
			"vcpu_set_affinity") ||
		    !ok(bothy_object_activate(v).error, d, "vCPU activation")) {
			return false;
		}
	}
	return true;
}

/* The hypervisor's hwirq cap for physical `intid` (boot information), or CSPACE_CAP_INVALID. */
static cap_id_t
hwirq_cap(uint32_t intid)
{
	for (uint32_t i = 0; i < boot->hwirq_count && i < ROOT_BOOT_INFO_MAX_HWIRQS; i++) {
		if (boot->hwirqs[i].intid == intid) {
			return boot->hwirqs[i].cap;
		}
	}
	return CSPACE_CAP_INVALID;
}

/* The VM's passed-through devices: each MMIO region as a device extent mapped at its own
 * address (read/write, never executable or cacheable), and its SPI bound to the same INTID
 * of the VM's vic, so the guest drives the real device as on bare metal. */
static bool
build_devices(const vm_desc_t *d, const vm_caps_t *c)
{
	cap_id_t part = boot->partition_cap, cs = boot->cspace_cap;
	for (uint32_t i = 0; i < d->device_count; i++) {
		const uint8_t *cells = d->devices + i * DEVICE_CELLS_SIZE;
		uint64_t base = cells64(cells), size = cells64(cells + 8);
		uint32_t intid = fdt_cell(cells + 16);
		cap_id_t hwirq = hwirq_cap(intid);
		if (hwirq == CSPACE_CAP_INVALID) {
			guest_printf("VM '%s': no hwirq cap for INTID %u from the hypervisor\n", d->name,
				     intid);
			failures++;
			return false;
		}
		hypercall_partition_create_memextent_result_t me =
			bothy_partition_create_memextent(part, cs);
		if (!ok(me.error, d, "device extent creation") ||
		    !ok(bothy_memextent_configure(me.new_cap, base, size, MEMEXTENT_DEVICE).error, d,
			"device memextent_configure") ||
		    !ok(bothy_object_activate(me.new_cap).error, d, "device extent activation") ||
		    !ok(bothy_addrspace_map(c->addrspace, me.new_cap, base, MAP_RW_DEVICE, 0, 0, size)
				.error,
			d, "device mapping") ||
		    !ok(bothy_hwirq_bind_virq(hwirq, c->vic, intid).error, d, "hwirq_bind_virq")) {
			return false;
		}
		guest_printf("VM '%s': device 0x%lx-0x%lx, INTID %u passed through\n", d->name, base,
			     base + size, intid);
	}
	return true;
}

/* Static VMs are owned by the primary VM when there is one (it gets their notifications),
 * the primary by the RM. */
static uint16_t
owner_of(const vm_desc_t *d, bool have_primary)
{
	return d->vmid != VMID_HLOS && have_primary ? (uint16_t)VMID_HLOS : RM_VMID_RM;
}

/* Phase 1: the VM's objects, but not its memory's contents; it is not started. */
static void
build_vm_objects(const vm_desc_t *d, bool have_primary)
{
	if (vm_count == sizeof(vms) / sizeof(vms[0])) {
		guest_printf("VM '%s': more VMs than the RM can hold\n", d->name);
		failures++;
		return;
	}
	vm_record_t *r = &vms[vm_count++];
	*r = (vm_record_t){ .desc = *d };
	guest_printf("building VM '%s' (VMID %u, %s): %u vCPU(s), memory 0x%lx-0x%lx\n", d->name,
		     d->vmid, d->role, d->vcpus, d->mem_base, d->mem_base + d->mem_size);
	rm_vm_t *vm = rm_vm_add((uint16_t)d->vmid, d->name, owner_of(d, have_primary));
	if (vm == NULL) {
		(void)ok(ERROR_NORESOURCES, d, "registering the VM");
		return;
	}
	rm_vm_set_state(vm, RM_VM_STATE_INIT);
	if (build_memory(d, &r->caps) && build_vcpus(d, &r->caps) && build_devices(d, &r->caps)) {
		r->ready = true;
	} else {
		rm_vm_set_state(vm, RM_VM_STATE_INIT_FAILED);
	}
}

/* Phase 3: images in, memory mapped, vCPU 0 started. */
static void
start_vm(vm_record_t *r)
{
	const vm_desc_t *d = &r->desc;
	rm_vm_t *vm = rm_vm_lookup((uint16_t)d->vmid);
	if (!r->ready || !load_memory(d, &r->caps)) {
		guest_printf("VM '%s' not started\n", d->name);
		if (vm != NULL) {
			rm_vm_set_state(vm, RM_VM_STATE_INIT_FAILED);
		}
		return;
	}
	if (vm != NULL) {
		rm_vm_set_state(vm, RM_VM_STATE_READY);
	}
	/* Linux's boot protocol: x0 = the DTB's address; other vCPUs arrive via PSCI CPU_ON. */
	if (ok(bothy_vcpu_poweron(r->caps.vcpus[0], d->entry, d->dtb, 0).error, d,
	       "vcpu_poweron")) {
		guest_printf("VM '%s' started at 0x%lx (DTB 0x%lx)\n", d->name, d->entry, d->dtb);
		if (vm != NULL) {
			rm_vm_set_state(vm, RM_VM_STATE_RUNNING);
		}
	} else {
		r->ready = false;
	}
}

/* One staging extent covers every VM's pristine images; the RM maps it for good. */
static void
map_staging(void)
{
	const void *dtb = (const void *)(uintptr_t)boot->dtb_ipa;
	const void *v;
	size_t len;
	if (fdt_get_prop(dtb, boot->dtb_size, "/vms", "bothy,staging", &v, &len) != OK ||
	    len != 16U) {
		return;
	}
	uint64_t base = cells64(v), size = cells64((const uint8_t *)v + 8);
	vm_desc_t d = { .name = "staging" };
	hypercall_partition_create_memextent_result_t me =
		bothy_partition_create_memextent(boot->partition_cap, boot->cspace_cap);
	if (ok(me.error, &d, "staging extent creation") &&
	    ok(bothy_memextent_configure(me.new_cap, base, size, 0).error, &d,
	       "staging memextent_configure") &&
	    ok(bothy_object_activate(me.new_cap).error, &d, "staging extent activation") &&
	    ok(bothy_addrspace_map(boot->addrspace_cap, me.new_cap, base, MAP_RW_NORMAL, 0, 0,
				   size).error,
	       &d, "staging mapping")) {
		staging_extent = me.new_cap;
	}
}

/* A VM asked for SYSTEM_RESET: fresh images into its memory, then vCPU 0 from the top. */
static void
restart_vm(vm_record_t *r)
{
	const vm_desc_t *d = &r->desc;
	vm_caps_t *c = &r->caps;
	/* The hypervisor stops the other vCPUs by interrupting their CPUs; until each has
	 * switched away it still runs, and would fault on memory unmapped under it. */
	for (unsigned i = 0; i < d->vcpus; i++) {
		hypercall_vcpu_run_check_result_t st;
		do {
			st = bothy_vcpu_run_check(c->vcpus[i]);
		} while (st.error == OK && st.vcpu_state != VCPU_RUN_STATE_POWERED_OFF);
	}
	if (!ok(bothy_addrspace_unmap(c->addrspace, c->memextent, d->mem_base, 0, 0, d->mem_size)
			.error,
		d, "unmapping for restart") ||
	    !ok(bothy_addrspace_map(boot->addrspace_cap, c->memextent, d->mem_base, MAP_RW_NORMAL, 0,
				    0, d->mem_size).error,
		d, "mapping into the RM")) {
		return;
	}
	bool loaded = load_images(d, LOAD_EVERYTHING);
	if (!ok(bothy_addrspace_unmap(boot->addrspace_cap, c->memextent, d->mem_base, 0, 0,
				      d->mem_size).error,
		d, "unmapping from the RM") ||
	    !loaded ||
	    !ok(bothy_addrspace_map(c->addrspace, c->memextent, d->mem_base, MAP_RWX_NORMAL, 0, 0,
				    d->mem_size).error,
		d, "addrspace_map")) {
		return;
	}
	error_t err;
	do { /* RETRY while a vCPU of the VM is still being switched out on its CPU */
		err = bothy_vcpu_poweron(c->vcpus[0], d->entry, d->dtb, 0).error;
	} while (err == ERROR_RETRY);
	if (ok(err, d, "vcpu_poweron")) {
		guest_printf("VM '%s' restarted\n", d->name);
		r->reported_exit = 0;
		rm_vm_t *vm = rm_vm_lookup((uint16_t)d->vmid);
		if (vm != NULL) {
			rm_vm_set_state(vm, RM_VM_STATE_RUNNING);
		}
	}
}

/* The hypervisor's exit reason as Gunyah's exit type (NOTIFY_VM_EXITED). */
static uint16_t
exit_type(uint64_t reason)
{
	switch (reason) {
	case VM_EXIT_REASON_POWER_OFF:
		return RM_EXIT_TYPE_PLATFORM_OFF;
	case VM_EXIT_REASON_RESET:
		return RM_EXIT_TYPE_PLATFORM_RESET;
	default:
		return RM_EXIT_TYPE_SOFTWARE_ERROR;
	}
}

void
rm_watch_vms(void)
{
	for (unsigned i = 0; i < vm_count; i++) {
		vm_record_t *r = &vms[i];
		if (!r->ready) {
			continue;
		}
		hypercall_vcpu_run_check_result_t st = bothy_vcpu_run_check(r->caps.vcpus[0]);
		if (st.error != OK || st.vcpu_state != VCPU_RUN_STATE_POWERED_OFF ||
		    st.state_data_0 == r->reported_exit) {
			continue;
		}
		r->reported_exit = st.state_data_0;
		rm_vm_t *vm = rm_vm_lookup((uint16_t)r->desc.vmid);
		if (vm != NULL) {
			rm_vm_exited(vm, exit_type(st.state_data_0), NULL, 0);
		}
		if (st.state_data_0 == VM_EXIT_REASON_RESET) {
			restart_vm(r);
		} else {
			guest_printf("VM '%s' stopped (%s)\n", r->desc.name,
				     st.state_data_0 == VM_EXIT_REASON_FAULT ? "fault" : "powered off");
		}
	}
}

unsigned
rm_build_vms(const root_boot_info_t *info, unsigned *built_out)
{
	boot = info;
	failures = 0;
	map_staging();
	vm_desc_t d;
	bool have_primary = read_desc(VMID_HLOS, &d);
	if (have_primary) {
		build_vm_objects(&d, true);
	}
	for (uint32_t i = 0; i < VMID_SECONDARY_MAX; i++) {
		if (read_desc(VMID_SECONDARY_FIRST + i, &d)) {
			build_vm_objects(&d, have_primary);
		}
	}
	/* Phase 2: links need both ends' cspaces and vics, and must be in the staged trees
	 * before the images are copied in. */
	for (unsigned i = 0; i < vm_count; i++) {
		if (vms[i].ready) {
			failures += rm_link_rpc(&vms[i]);
		}
	}
	failures += rm_link_vms();
	for (unsigned i = 0; i < vm_count; i++) {
		start_vm(&vms[i]);
	}
	*built_out = vm_count;
	return failures;
}
