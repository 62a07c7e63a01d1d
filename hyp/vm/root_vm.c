/* root_vm.c - creating the root VM (the resource manager) at boot: its address space, cspace,
 * vic and vCPU, with master caps in its own cspace. Its stage 2 maps only its own memory. */
#include <stdint.h>

#include "addrspace.h"
#include "console.h"
#include "cpu.h"
#include "hyp_config.h"
#include "memextent.h"
#include "objects/hwirq.h"
#include "object_ops.h"
#include "panic.h"
#include "partition.h"
#include "root_boot_info.h"
#include "sched.h"
#include "sysreg.h"
#include "util_string.h"
#include "vgic.h"
#include "vm.h"

#define ROOT_VMID 0xffU /* Gunyah's RM VMID */
#define ROOT_PRIORITY (SCHED_DEFAULT_PRIORITY + 8U) /* the RM answers before guests run on */

#define S2_NORMAL_RWX (PTE_S2_MEMATTR_NORMAL_WB | PTE_SH_INNER | PTE_S2_READ | PTE_S2_WRITE)

extern char rm_image_start[], rm_image_end[], rm_dtb_start[], rm_dtb_end[];

#define ROOT_CSPACE_CAPS 1024U
/* The root VM's vic has every SPI the vGIC models (INTIDs 32..127): the RM receives two
 * interrupts per RM RPC client (its ends of the client's message-queue pair), so this serves
 * 48 clients with no SPI set aside for devices; the root VM has none (no vPL011: its
 * console is the console_write hypercall). */
#define ROOT_VIC_MAX_VIRQS VGIC_NR_IRQS

extern char __hyp_image_end[];

static vcpu_t *root_vcpu;

vcpu_t *
root_vm_vcpu(void)
{
	return __atomic_load_n(&root_vcpu, __ATOMIC_ACQUIRE);
}

/* The root VM's privileged caps, placed in its own cspace (boot info reports them). */
typedef struct {
	cap_id_t partition, cspace, vcpu, addrspace, vic;
	unsigned hwirq_count;
	root_boot_hwirq_t hwirqs[ROOT_BOOT_INFO_MAX_HWIRQS];
} root_caps_t;

static uint32_t
be32(const void *p)
{
	const uint8_t *b = p;
	return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

static void
check_payload(void)
{
	if ((uint64_t)(uintptr_t)rm_image_start != ROOT_VM_MEM_BASE ||
	    (uintptr_t)rm_image_end == (uintptr_t)rm_image_start) {
		panic("root VM image missing or misplaced (at %p, expected 0x%lx)",
		      (void *)rm_image_start, ROOT_VM_MEM_BASE);
	}
	if ((uint64_t)(uintptr_t)rm_dtb_start != ROOT_VM_DTB_IPA || be32(rm_dtb_start) != 0xd00dfeedU) {
		panic("root VM device tree missing or invalid at %p", (void *)rm_dtb_start);
	}
}

static cap_id_t
make_console_cap(void)
{
	/* Until cspaces exist the console handle is one value chosen at boot; it is not a
	 * constant so the RM must take it from its boot information, as it will a real cap. */
	uint64_t seed = sysreg_read(cntpct_el0) * 0x9e3779b97f4a7c15UL;
	return (seed ^ (seed >> 29)) | 1U;
}

static void
write_boot_info(const vm_t *vm, const root_caps_t *caps)
{
	root_boot_info_t *info = (root_boot_info_t *)(uintptr_t)ROOT_VM_BOOT_INFO_IPA;
	memset(info, 0, sizeof(*info));
	info->magic = ROOT_BOOT_INFO_MAGIC;
	info->version = ROOT_BOOT_INFO_VERSION;
	info->size = (uint32_t)sizeof(*info);
	info->mem_base = ROOT_VM_MEM_BASE;
	info->mem_size = ROOT_VM_MEM_SIZE;
	info->dtb_ipa = ROOT_VM_DTB_IPA;
	info->dtb_size = be32(rm_dtb_start + 4);
	info->console_cap = vm->console_cap;
	info->cpu_count = smp_online_count();
	info->vcpu_count = 1;
	info->inject = BOTHY_INJECT;
	info->partition_cap = caps->partition;
	info->cspace_cap = caps->cspace;
	info->vcpu_cap = caps->vcpu;
	info->addrspace_cap = caps->addrspace;
	info->vic_cap = caps->vic;
	info->hwirq_count = caps->hwirq_count;
	for (unsigned i = 0; i < caps->hwirq_count; i++) {
		info->hwirqs[i] = caps->hwirqs[i];
	}
}

static void
must(error_t err, const char *what)
{
	if (err != OK) {
		panic("root VM set-up: %s failed with error %d", what, (int)err);
	}
}

static vm_t *
create_address_space(partition_t *root)
{
	object_header_t *as;
	must(object_create(root, OBJECT_TYPE_ADDRSPACE, &as), "address space creation");
	vm_t *vm = (vm_t *)as;
	memcpy(vm->name, ROOT_VM_NAME, sizeof(ROOT_VM_NAME));
	must(addrspace_configure(vm, ROOT_VMID), "addrspace_configure");
	must(object_activate(as), "address space activation");
	vm->is_root = true;
	vm->pmu_owner = true; /* benchmark guests run as the root VM */
	vm->console_cap = make_console_cap();
	memextent_reserve(ROOT_VM_MEM_BASE, ROOT_VM_MEM_SIZE); /* no extent may ever cover it */
	must(pgtable_map(&vm->stage2, ROOT_VM_MEM_BASE, ROOT_VM_MEM_BASE, ROOT_VM_MEM_SIZE,
			 S2_NORMAL_RWX, true),
	     "root VM stage-2 mapping");
	return vm;
}

/* The root VM's vGIC, built as the RM builds other VMs' (vic_configure, activate, attach the
 * vCPU as redistributor 0 while it is in INIT), so its GICD/GICR MMIO and ICC registers are
 * served by the same code. */
static vic_t *
create_vic(partition_t *root, vm_t *vm, thread_t *vcpu)
{
	object_header_t *vic;
	must(object_create(root, OBJECT_TYPE_VIC, &vic), "vic creation");
	must(vgic_configure((vic_t *)vic, 1U, ROOT_VIC_MAX_VIRQS), "vic_configure");
	must(object_activate(vic), "vic activation");
	must(vgic_attach_vcpu((vic_t *)vic, vcpu, 0U), "vic_attach_vcpu");
	vm->vic = (vic_t *)vic; /* not a reference: the vCPU's attachment holds one */
	return (vic_t *)vic;
}

/* The root partition owns the hypervisor heap; the root VM gets an address space, a cspace,
 * a vic and a vCPU from it and master caps to all five. These caps exist nowhere else. */
static vcpu_t *
create_root_objects(root_caps_t *caps, vm_t **vm_out)
{
	uint64_t heap = (uint64_t)(uintptr_t)__hyp_image_end;
	partition_root_init((void *)(uintptr_t)heap, HYP_MEM_BASE + HYP_MEM_SIZE - heap);
	partition_t *root = partition_root();
	vm_t *vm = create_address_space(root);
	object_header_t *cspace, *thread;
	must(object_create(root, OBJECT_TYPE_CSPACE, &cspace), "cspace creation");
	must(cspace_configure((cspace_t *)cspace, ROOT_CSPACE_CAPS), "cspace_configure");
	must(object_activate(cspace), "cspace activation");
	must(object_create(root, OBJECT_TYPE_THREAD, &thread), "vCPU creation");
	must(thread_attach_cspace((thread_t *)thread, (cspace_t *)cspace), "cspace attach");
	must(addrspace_attach_thread(vm, (thread_t *)thread), "addrspace attach");
	must(thread_set_priority((thread_t *)thread, ROOT_PRIORITY), "vCPU priority");
	vic_t *vic = create_vic(root, vm, (thread_t *)thread);
	must(object_activate(thread), "vCPU activation");
	cspace_t *cs = (cspace_t *)cspace;
	must(cspace_create_master_cap(cs, &root->header, CAP_RIGHTS_PARTITION_ALL, &caps->partition),
	     "partition cap");
	must(cspace_create_master_cap(cs, cspace, CAP_RIGHTS_CSPACE_ALL, &caps->cspace),
	     "cspace cap");
	must(cspace_create_master_cap(cs, thread, CAP_RIGHTS_THREAD_ALL, &caps->vcpu), "vCPU cap");
	must(cspace_create_master_cap(cs, &vm->header, CAP_RIGHTS_ADDRSPACE_ALL, &caps->addrspace),
	     "addrspace cap");
	must(cspace_create_master_cap(cs, &vic->header, CAP_RIGHTS_VIC_ALL, &caps->vic), "vic cap");
	/* The passed-through SPIs: the RM binds them to the VMs the config gives devices. */
	hwirq_boot_init();
	caps->hwirq_count = 0;
	for (hwirq_t *h; (h = hwirq_boot_object(caps->hwirq_count)) != NULL; caps->hwirq_count++) {
		root_boot_hwirq_t *entry = &caps->hwirqs[caps->hwirq_count];
		entry->intid = h->intid;
		must(cspace_create_master_cap(cs, &h->header, CAP_RIGHTS_HWIRQ_ALL, &entry->cap),
		     "hwirq cap");
	}
	/* The caps hold the objects now; the creation references of the cspace, the address
	 * space and the vic are ours to drop. The vCPU's stays: the root VM never goes away. */
	object_put(cspace);
	object_put(&vm->header);
	object_put(&vic->header);
	hyp_log("root partition: %lu KiB heap; root cspace: %u caps; root vic: SPIs %u-%u",
		(uint64_t)(HYP_MEM_BASE + HYP_MEM_SIZE - heap) / 1024U, ROOT_CSPACE_CAPS,
		VGIC_NR_PRIVATE, ROOT_VIC_MAX_VIRQS - 1U);
	for (unsigned i = 0; i < caps->hwirq_count; i++) {
		hyp_log("hwirq for INTID %u (passed through by the config): cap to the root VM",
			caps->hwirqs[i].intid);
	}
	*vm_out = vm;
	return (vcpu_t *)thread;
}

void
root_vm_create(void)
{
	check_payload();
	root_caps_t caps;
	vm_t *vm;
	vcpu_t *vcpu = create_root_objects(&caps, &vm);
	write_boot_info(vm, &caps);
	hyp_log("starting root VM '%s' (VMID 0x%x) at EL1: image 0x%lx (%lu KiB), DTB 0x%lx, "
		"memory %lu MiB",
		vm->name, (unsigned)vm->vmid, ROOT_VM_MEM_BASE,
		(uint64_t)(rm_image_end - rm_image_start) / 1024U, ROOT_VM_DTB_IPA,
		ROOT_VM_MEM_SIZE >> 20);
	/* The RM runs with its MMU off: stage-1-off accesses are Normal memory (HCR_EL2.DC). */
	__atomic_store_n(&root_vcpu, vcpu, __ATOMIC_RELEASE);
	must(sched_power_on(vcpu, ROOT_VM_MEM_BASE, ROOT_VM_BOOT_INFO_IPA), "root vCPU power-on");
}
