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
/* debug.inject=rm-build-fail: an INTID no vic has (1020-1023 are the GIC's special ones). */
#define INJECT_BAD_INTID 1020U

static const root_boot_info_t *boot;
static cap_id_t staging_extent = CSPACE_CAP_INVALID;
static char step_text[48]; /* a step whose name carries a value */

static uint64_t
cells64(const void *p)
{
	return ((uint64_t)fdt_cell(p) << 32) | fdt_cell((const uint8_t *)p + 4);
}

/* Reads /vms/vm@<vmid>: its name (NULL if there is no such node) and description. */
static const char *
read_desc(vmid_t vmid, rm_vm_desc_t *d)
{
	const void *dtb = (const void *)(uintptr_t)boot->dtb_ipa;
	char path[32];
	format_buf(path, sizeof(path), "/vms/vm@%x", (unsigned)vmid);
	const void *v, *name;
	size_t len;
	if (fdt_get_prop(dtb, boot->dtb_size, path, "bothy,name", &name, &len) != OK) {
		return NULL;
	}
	*d = (rm_vm_desc_t){ 0 };
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
	if (boot->inject == BOTHY_INJECT_RM_BUILD_FAIL) {
		/* Test-only: an RM RPC receive interrupt outside every vic, so the hypervisor
		 * refuses the binding late in the build, once the VM's objects all exist. */
		d->rm_rpc_irqs[1] = INJECT_BAD_INTID;
	}
	return name;
}

const root_boot_info_t *
rm_boot_info(void)
{
	return boot;
}

void *
rm_staged_dtb(const rm_vm_t *vm)
{
	const rm_vm_desc_t *d = &vm->desc;
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
static error_t
check_staged_images(const rm_vm_desc_t *d, const char **step)
{
	bool linux_image = d->initrd_size != 0U;
	if (linux_image && le32_at(d->image + 0x38U) != ARM64_IMAGE_MAGIC) {
		format_buf(step_text, sizeof(step_text), "finding the arm64 Image at 0x%lx",
			   d->image);
		*step = step_text;
		return ERROR_ADDR_INVALID; /* the loader did not stage it? */
	}
	if (d->dtb_size != 0U) {
		format_buf(step_text, sizeof(step_text), "checking the device tree at 0x%lx",
			   d->dtb);
		RM_STEP(step, step_text, fdt_check((const void *)(uintptr_t)d->dtb, d->dtb_size));
	}
	return OK;
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
static error_t
load_images(const rm_vm_desc_t *d, load_what_t what, const char **step)
{
	if (d->staging_size == 0U) {
		return OK; /* images were loaded in place; a restart reuses memory as it is */
	}
	if (staging_extent == CSPACE_CAP_INVALID) {
		*step = "finding the staging area";
		return ERROR_ADDR_INVALID;
	}
	if (((d->staging | d->staging_size | d->mem_base) & 63U) != 0U) {
		*step = "copying from the staging area (not in whole cache lines)";
		return ERROR_ARGUMENT_ALIGNMENT;
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
	return OK;
}

static error_t
build_memory(rm_vm_t *vm, const char **step)
{
	const rm_vm_desc_t *d = &vm->desc;
	rm_vm_caps_t *c = &vm->caps;
	cap_id_t part = boot->partition_cap, cs = boot->cspace_cap;
	hypercall_partition_create_addrspace_result_t as = bothy_partition_create_addrspace(part, cs);
	RM_STEP(step, "addrspace creation", as.error);
	c->addrspace = as.new_cap;
	RM_STEP(step, "addrspace_configure", bothy_addrspace_configure(c->addrspace, vm->vmid).error);
	RM_STEP(step, "addrspace activation", bothy_object_activate(c->addrspace).error);
	hypercall_partition_create_memextent_result_t me =
		bothy_partition_create_memextent(part, cs);
	RM_STEP(step, "memextent creation", me.error);
	c->memextent = me.new_cap;
	RM_STEP(step, "memextent_configure",
		bothy_memextent_configure(c->memextent, d->mem_base, d->mem_size, 0).error);
	RM_STEP(step, "memextent activation", bothy_object_activate(c->memextent).error);
	return OK;
}

/* Moves the VM's memory from the RM's stage 2 (where the RM copied `what` in) to the VM's. */
static error_t
hand_over_memory(const rm_vm_t *vm, load_what_t what, const char **step)
{
	const rm_vm_desc_t *d = &vm->desc;
	const rm_vm_caps_t *c = &vm->caps;
	/* Look at the staged images through a temporary mapping in the RM's own stage 2; the
	 * VM gets the memory only after the RM has let go of it. */
	RM_STEP(step, "mapping into the RM",
		bothy_addrspace_map(boot->addrspace_cap, c->memextent, d->mem_base, MAP_RW_NORMAL,
				    0, 0, d->mem_size).error);
	const char *load_step = NULL;
	error_t loaded = load_images(d, what, &load_step);
	if (loaded == OK && what == LOAD_DTB_ONLY) {
		loaded = check_staged_images(d, &load_step);
	}
	RM_STEP(step, "unmapping from the RM",
		bothy_addrspace_unmap(boot->addrspace_cap, c->memextent, d->mem_base, 0, 0,
				      d->mem_size).error);
	RM_STEP(step, load_step, loaded);
	RM_STEP(step, "addrspace_map",
		bothy_addrspace_map(c->addrspace, c->memextent, d->mem_base, MAP_RWX_NORMAL, 0, 0,
				    d->mem_size).error);
	return OK;
}

static error_t
build_vcpus(rm_vm_t *vm, const char **step)
{
	const rm_vm_desc_t *d = &vm->desc;
	rm_vm_caps_t *c = &vm->caps;
	cap_id_t part = boot->partition_cap, rm_cs = boot->cspace_cap;
	hypercall_partition_create_vic_result_t vic = bothy_partition_create_vic(part, rm_cs);
	RM_STEP(step, "vic creation", vic.error);
	c->vic = vic.new_cap;
	RM_STEP(step, "vic_configure", bothy_vic_configure(c->vic, d->vcpus, VM_MAX_VIRQS, 0, 0).error);
	RM_STEP(step, "vic activation", bothy_object_activate(c->vic).error);
	hypercall_partition_create_cspace_result_t cs = bothy_partition_create_cspace(part, rm_cs);
	RM_STEP(step, "cspace creation", cs.error);
	c->cspace = cs.new_cap;
	RM_STEP(step, "cspace_configure", bothy_cspace_configure(c->cspace, VM_CSPACE_CAPS).error);
	RM_STEP(step, "cspace activation", bothy_object_activate(c->cspace).error);
	for (uint32_t i = 0; i < d->vcpus && i < RM_VM_MAX_VCPUS; i++) {
		hypercall_partition_create_thread_result_t t = bothy_partition_create_thread(part, rm_cs);
		RM_STEP(step, "vCPU creation", t.error);
		cap_id_t v = c->vcpus[c->vcpu_count++] = t.new_cap;
		/* vCPU i runs on physical CPU i (modulo the CPUs there are): the default
		 * configs give each vCPU its own CPU, which keeps Linux's SMP boot fast. */
		RM_STEP(step, "vcpu_configure", bothy_vcpu_configure(v, 0).error);
		RM_STEP(step, "cspace_attach_thread", bothy_cspace_attach_thread(c->cspace, v).error);
		RM_STEP(step, "addrspace_attach_thread",
			bothy_addrspace_attach_thread(c->addrspace, v).error);
		RM_STEP(step, "vic_attach_vcpu", bothy_vic_attach_vcpu(c->vic, v, i).error);
		RM_STEP(step, "vcpu_set_affinity",
			bothy_vcpu_set_affinity(v, (uint16_t)(i % boot->cpu_count)).error);
		RM_STEP(step, "vCPU activation", bothy_object_activate(v).error);
	}
	return OK;
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

static uint32_t
device_intid(const rm_vm_desc_t *d, uint32_t i)
{
	return fdt_cell(d->devices + i * DEVICE_CELLS_SIZE + 16U);
}

/* The VM's passed-through devices: each MMIO region as a device extent mapped at its own
 * address (read/write, never executable or cacheable), and its SPI bound to the same INTID
 * of the VM's vic, so the guest drives the real device as on bare metal. */
static error_t
build_devices(rm_vm_t *vm, const char **step)
{
	const rm_vm_desc_t *d = &vm->desc;
	rm_vm_caps_t *c = &vm->caps;
	cap_id_t part = boot->partition_cap, cs = boot->cspace_cap;
	for (uint32_t i = 0; i < d->device_count; i++) {
		const uint8_t *cells = d->devices + i * DEVICE_CELLS_SIZE;
		uint64_t base = cells64(cells), size = cells64(cells + 8);
		uint32_t intid = device_intid(d, i);
		cap_id_t hwirq = hwirq_cap(intid);
		if (hwirq == CSPACE_CAP_INVALID || i >= RM_VM_MAX_DEVICES) {
			format_buf(step_text, sizeof(step_text), "finding the hwirq cap for INTID %u",
				   intid);
			*step = step_text;
			return hwirq == CSPACE_CAP_INVALID ? ERROR_CSPACE_CAP_NULL : ERROR_NORESOURCES;
		}
		hypercall_partition_create_memextent_result_t me =
			bothy_partition_create_memextent(part, cs);
		RM_STEP(step, "device extent creation", me.error);
		c->device_extents[c->device_count++] = me.new_cap;
		RM_STEP(step, "device memextent_configure",
			bothy_memextent_configure(me.new_cap, base, size, MEMEXTENT_DEVICE).error);
		RM_STEP(step, "device extent activation", bothy_object_activate(me.new_cap).error);
		RM_STEP(step, "device mapping",
			bothy_addrspace_map(c->addrspace, me.new_cap, base, MAP_RW_DEVICE, 0, 0, size)
				.error);
		RM_STEP(step, "hwirq_bind_virq", bothy_hwirq_bind_virq(hwirq, c->vic, intid).error);
		c->hwirqs_bound++;
		guest_printf("VM '%s': device 0x%lx-0x%lx, INTID %u passed through\n", vm->name,
			     base, base + size, intid);
	}
	return OK;
}

/* Deletes the RM's cap `*cap` (if it holds one): the object goes once nothing else holds it. */
static void
delete_cap(const rm_vm_t *vm, cap_id_t *cap)
{
	if (*cap == CSPACE_CAP_INVALID) {
		return;
	}
	error_t err = bothy_cspace_delete_cap_from(boot->cspace_cap, *cap).error;
	if (err != OK) {
		rm_report("VM", vm->name, "deleting a cap of its build", err);
	}
	*cap = CSPACE_CAP_INVALID;
}

/* The builder's one cleanup path: everything the RM created for `vm`, newest first (its RM
 * RPC link, devices, vCPUs, cspace, vic, memory extent, address space). The VM's own cspace
 * holds its caps to link objects, so they go with it. */
static void
release_vm(rm_vm_t *vm)
{
	rm_vm_caps_t *c = &vm->caps;
	rm_unlink_rpc(vm);
	while (c->device_count > 0U) {
		uint32_t i = --c->device_count;
		if (i < c->hwirqs_bound) {
			error_t err = bothy_hwirq_unbind_virq(hwirq_cap(device_intid(&vm->desc, i))).error;
			if (err != OK) {
				rm_report("VM", vm->name, "hwirq_unbind_virq", err);
			}
		}
		delete_cap(vm, &c->device_extents[i]);
	}
	c->hwirqs_bound = 0;
	while (c->vcpu_count > 0U) {
		delete_cap(vm, &c->vcpus[--c->vcpu_count]);
	}
	delete_cap(vm, &c->cspace);
	delete_cap(vm, &c->vic);
	delete_cap(vm, &c->memextent);
	delete_cap(vm, &c->addrspace);
	rm_vm_clear_resources(vm);
}

/* A step of `vm`'s build failed: the one report, then nothing of the VM is left but its
 * record, in state INIT_FAILED. */
static void
fail_vm(rm_vm_t *vm, const char *step, error_t err)
{
	rm_report("VM", vm->name, step, err);
	if (boot->inject == BOTHY_INJECT_RM_BUILD_FAIL) {
		rm_inject_probe("at the failure");
	}
	release_vm(vm);
	rm_vm_set_state(vm, RM_VM_STATE_INIT_FAILED);
}

/* Static VMs are owned by the primary VM when there is one (it gets their notifications),
 * the primary by the RM. */
static vmid_t
owner_of(vmid_t vmid, bool have_primary)
{
	return vmid != VMID_HLOS && have_primary ? (vmid_t)VMID_HLOS : (vmid_t)RM_VMID_RM;
}

/* Phase 1: the VM's record and objects, but not its memory's contents; it is not started. */
static error_t
build_vm_objects(vmid_t vmid, const char *name, const rm_vm_desc_t *d, bool have_primary)
{
	guest_printf("building VM '%s' (VMID %u, %s): %u vCPU(s), memory 0x%lx-0x%lx\n", name,
		     (unsigned)vmid, d->role, d->vcpus, d->mem_base, d->mem_base + d->mem_size);
	rm_vm_t *vm = rm_vm_add(vmid, name, owner_of(vmid, have_primary));
	if (vm == NULL) {
		rm_report("VM", name, "registering the VM (registry full or VMID taken)",
			  ERROR_NORESOURCES);
		return ERROR_NORESOURCES;
	}
	vm->desc = *d;
	rm_vm_set_state(vm, RM_VM_STATE_INIT);
	const char *step = NULL;
	error_t err = build_memory(vm, &step);
	if (err == OK) {
		err = build_vcpus(vm, &step);
	}
	if (err == OK) {
		err = build_devices(vm, &step);
	}
	if (err != OK) {
		fail_vm(vm, step, err);
		return err;
	}
	rm_vm_set_state(vm, RM_VM_STATE_READY);
	return OK;
}

/* Phase 3: images in, memory mapped, vCPU 0 started. */
static error_t
start_vm(rm_vm_t *vm)
{
	const rm_vm_desc_t *d = &vm->desc;
	const char *step = NULL;
	error_t err = hand_over_memory(vm, LOAD_DTB_ONLY, &step);
	if (err == OK) {
		/* Linux's boot protocol: x0 = the DTB's address; other vCPUs arrive via PSCI
		 * CPU_ON. */
		step = "vcpu_poweron";
		err = bothy_vcpu_poweron(vm->caps.vcpus[0], d->entry, d->dtb, 0).error;
	}
	if (err != OK) {
		fail_vm(vm, step, err);
		return err;
	}
	guest_printf("VM '%s' started at 0x%lx (DTB 0x%lx)\n", vm->name, d->entry, d->dtb);
	rm_vm_set_state(vm, RM_VM_STATE_RUNNING);
	return OK;
}

/* One staging extent covers every VM's pristine images; the RM maps it for good. */
static error_t
map_staging(void)
{
	const void *dtb = (const void *)(uintptr_t)boot->dtb_ipa;
	const void *v;
	size_t len;
	if (fdt_get_prop(dtb, boot->dtb_size, "/vms", "bothy,staging", &v, &len) != OK ||
	    len != 16U) {
		return OK;
	}
	uint64_t base = cells64(v), size = cells64((const uint8_t *)v + 8);
	const char *step = "staging extent creation";
	hypercall_partition_create_memextent_result_t me =
		bothy_partition_create_memextent(boot->partition_cap, boot->cspace_cap);
	error_t err = me.error;
	if (err == OK) {
		step = "staging memextent_configure";
		err = bothy_memextent_configure(me.new_cap, base, size, 0).error;
	}
	if (err == OK) {
		step = "staging extent activation";
		err = bothy_object_activate(me.new_cap).error;
	}
	if (err == OK) {
		step = "staging mapping";
		err = bothy_addrspace_map(boot->addrspace_cap, me.new_cap, base, MAP_RW_NORMAL, 0, 0,
					  size).error;
	}
	if (err != OK) {
		/* Without it no VM with staged images can start: each reports that. */
		rm_report("the staging area", NULL, step, err);
		if (me.error == OK) {
			(void)bothy_cspace_delete_cap_from(boot->cspace_cap, me.new_cap);
		}
		return err;
	}
	staging_extent = me.new_cap;
	return OK;
}

/* A VM asked for SYSTEM_RESET: fresh images into its memory, then vCPU 0 from the top. */
static error_t
restart_vm(rm_vm_t *vm, const char **step)
{
	const rm_vm_desc_t *d = &vm->desc;
	const rm_vm_caps_t *c = &vm->caps;
	/* The hypervisor stops the other vCPUs by interrupting their CPUs; until each has
	 * switched away it still runs, and would fault on memory unmapped under it. */
	for (unsigned i = 0; i < c->vcpu_count; i++) {
		hypercall_vcpu_run_check_result_t st;
		do {
			st = bothy_vcpu_run_check(c->vcpus[i]);
		} while (st.error == OK && st.vcpu_state != VCPU_RUN_STATE_POWERED_OFF);
	}
	RM_STEP(step, "unmapping for restart",
		bothy_addrspace_unmap(c->addrspace, c->memextent, d->mem_base, 0, 0, d->mem_size)
			.error);
	error_t err = hand_over_memory(vm, LOAD_EVERYTHING, step);
	if (err != OK) {
		return err;
	}
	do { /* RETRY while a vCPU of the VM is still being switched out on its CPU */
		err = bothy_vcpu_poweron(c->vcpus[0], d->entry, d->dtb, 0).error;
	} while (err == ERROR_RETRY);
	RM_STEP(step, "vcpu_poweron", err);
	return OK;
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
	for (rm_vm_t *vm = rm_vm_next(NULL); vm != NULL; vm = rm_vm_next(vm)) {
		if (vm->vm_state != RM_VM_STATE_RUNNING && vm->vm_state != RM_VM_STATE_EXITED) {
			continue;
		}
		hypercall_vcpu_run_check_result_t st = bothy_vcpu_run_check(vm->caps.vcpus[0]);
		if (st.error != OK || st.vcpu_state != VCPU_RUN_STATE_POWERED_OFF ||
		    st.state_data_0 == vm->reported_exit) {
			continue;
		}
		vm->reported_exit = st.state_data_0;
		rm_vm_exited(vm, exit_type(st.state_data_0), NULL, 0);
		if (st.state_data_0 != VM_EXIT_REASON_RESET) {
			guest_printf("VM '%s' stopped (%s)\n", vm->name,
				     st.state_data_0 == VM_EXIT_REASON_FAULT ? "fault" : "powered off");
			continue;
		}
		const char *step = NULL;
		error_t err = restart_vm(vm, &step);
		if (err != OK) {
			fail_vm(vm, step, err);
			continue;
		}
		guest_printf("VM '%s' restarted\n", vm->name);
		vm->reported_exit = 0;
		rm_vm_set_state(vm, RM_VM_STATE_RUNNING);
	}
}

/* Keeps the first error of several. */
static void
keep_first(error_t *first, error_t err)
{
	if (*first == OK) {
		*first = err;
	}
}

error_t
rm_build_vms(const root_boot_info_t *info, unsigned *started)
{
	boot = info;
	*started = 0;
	error_t first = map_staging();
	if (boot->inject == BOTHY_INJECT_RM_BUILD_FAIL) {
		rm_inject_probe("before the build");
	}
	rm_vm_desc_t d;
	const char *name = read_desc(VMID_HLOS, &d);
	bool have_primary = name != NULL;
	if (have_primary) {
		keep_first(&first, build_vm_objects(VMID_HLOS, name, &d, true));
	}
	for (uint32_t i = 0; i < VMID_SECONDARY_MAX; i++) {
		vmid_t vmid = (vmid_t)(VMID_SECONDARY_FIRST + i);
		name = read_desc(vmid, &d);
		if (name != NULL) {
			keep_first(&first, build_vm_objects(vmid, name, &d, have_primary));
		}
	}
	/* Phase 2: links need both ends' cspaces and vics, and must be in the staged trees
	 * before the images are copied in. A VM whose RM RPC link fails is not started. */
	for (rm_vm_t *vm = rm_vm_next(NULL); vm != NULL; vm = rm_vm_next(vm)) {
		const char *step = NULL;
		error_t err = rm_vm_built(vm) ? rm_link_rpc(vm, &step) : OK;
		if (err != OK) {
			fail_vm(vm, step, err);
			keep_first(&first, err);
		}
	}
	keep_first(&first, rm_link_vms());
	for (rm_vm_t *vm = rm_vm_next(NULL); vm != NULL; vm = rm_vm_next(vm)) {
		if (rm_vm_built(vm)) {
			error_t err = start_vm(vm);
			keep_first(&first, err);
			*started += err == OK ? 1U : 0U;
		}
	}
	if (boot->inject == BOTHY_INJECT_RM_BUILD_FAIL) {
		rm_inject_probe("after the build");
	}
	return first;
}
