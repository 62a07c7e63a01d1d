/* root_vm.c - creating the root VM (the resource manager) and entering it at EL1.
 * Its stage 2 maps only its own memory: no hypervisor memory, no devices. */
#include <stdint.h>

#include "console.h"
#include "cpu.h"
#include "hyp_config.h"
#include "mmu.h"
#include "object_ops.h"
#include "panic.h"
#include "partition.h"
#include "root_boot_info.h"
#include "sysreg.h"
#include "util_string.h"
#include "vm.h"

#define ROOT_VMID 1U

#define HCR_VM (1UL << 0)
#define HCR_FMO (1UL << 3)
#define HCR_IMO (1UL << 4)
#define HCR_AMO (1UL << 5)
#define HCR_DC (1UL << 12) /* stage-1-off accesses are Normal WB: the RM runs MMU-off */
#define HCR_TSC (1UL << 19)
#define HCR_RW (1UL << 31)

#define VTCR_RES1 (1UL << 31)
#define VTCR_SL0_LEVEL1 (1UL << 6)
#define VTCR_WALK_CACHED ((1UL << 8) | (1UL << 10) | (3UL << 12))

#define SPSR_EL1H_MASKED 0x3c5UL      /* EL1 with SP_EL1, D/A/I/F masked */
#define SCTLR_EL1_RESET 0x30d00800UL  /* RES1 bits only: MMU and caches off */
#define CPTR_EL2_TRAP_SVE_SME 0x33ffUL /* RES1 bits; TZ and TSM set, FP/SIMD not trapped */
#define CNTHCTL_EL1_PHYS_ACCESS 0x3UL  /* EL1PCTEN | EL1PCEN */

#define S2_NORMAL_RWX (PTE_S2_MEMATTR_NORMAL_WB | PTE_SH_INNER | PTE_S2_READ | PTE_S2_WRITE)

extern char rm_image_start[], rm_image_end[], rm_dtb_start[], rm_dtb_end[];

#define ROOT_CSPACE_CAPS 1024U

extern char __hyp_image_end[];

static vm_t root_vm;
static vcpu_t *current_vcpu[PLATFORM_CPU_COUNT];

/* The root VM's privileged caps, placed in its own cspace (boot info reports them). */
typedef struct {
	cap_id_t partition, cspace, vcpu;
} root_caps_t;

vcpu_t *
vcpu_current(void)
{
	return current_vcpu[cpu_index()];
}

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
}

static void
must(error_t err, const char *what)
{
	if (err != OK) {
		panic("root VM set-up: %s failed with error %d", what, (int)err);
	}
}

/* The root partition owns the hypervisor heap; the root VM gets a cspace and a vCPU from it
 * and master caps to all three. These caps exist nowhere else. */
static vcpu_t *
create_root_objects(root_caps_t *caps)
{
	uint64_t heap = (uint64_t)(uintptr_t)__hyp_image_end;
	partition_root_init((void *)(uintptr_t)heap, HYP_MEM_BASE + HYP_MEM_SIZE - heap);
	partition_t *root = partition_root();
	object_header_t *cspace, *thread;
	must(object_create(root, OBJECT_TYPE_CSPACE, &cspace), "cspace creation");
	must(cspace_configure((cspace_t *)cspace, ROOT_CSPACE_CAPS), "cspace_configure");
	must(object_activate(cspace), "cspace activation");
	must(object_create(root, OBJECT_TYPE_THREAD, &thread), "vCPU creation");
	must(thread_attach_cspace((thread_t *)thread, (cspace_t *)cspace), "cspace attach");
	must(object_activate(thread), "vCPU activation");
	cspace_t *cs = (cspace_t *)cspace;
	must(cspace_create_master_cap(cs, &root->header, CAP_RIGHTS_PARTITION_ALL, &caps->partition),
	     "partition cap");
	must(cspace_create_master_cap(cs, cspace, CAP_RIGHTS_CSPACE_ALL, &caps->cspace),
	     "cspace cap");
	must(cspace_create_master_cap(cs, thread, CAP_RIGHTS_THREAD_ALL, &caps->vcpu), "vCPU cap");
	/* The caps now hold the cspace and the vCPU; the creation references are ours to drop,
	 * except the vCPU's, which this CPU keeps while it runs it. */
	object_put(cspace);
	hyp_log("root partition: %lu KiB heap; root cspace: %u caps", (uint64_t)(HYP_MEM_BASE +
		HYP_MEM_SIZE - heap) / 1024U, ROOT_CSPACE_CAPS);
	return (vcpu_t *)thread;
}

static void
load_el1_state(const vm_t *vm)
{
	sysreg_write(vtcr_el2, VTCR_RES1 | (64UL - PGTABLE_VA_BITS) | VTCR_SL0_LEVEL1 |
				       VTCR_WALK_CACHED | ((uint64_t)mmu_pa_size_field() << 16));
	sysreg_write(vttbr_el2, pgtable_root_pa(&vm->stage2) | ((uint64_t)vm->vmid << 48));
	sysreg_write(hcr_el2, HCR_VM | HCR_RW | HCR_TSC | HCR_IMO | HCR_FMO | HCR_AMO | HCR_DC);
	sysreg_write(cptr_el2, CPTR_EL2_TRAP_SVE_SME);
	sysreg_write(cnthctl_el2, CNTHCTL_EL1_PHYS_ACCESS);
	sysreg_write(cntvoff_el2, 0);
	sysreg_write(vpidr_el2, sysreg_read(midr_el1));
	sysreg_write(vmpidr_el2, (1UL << 31) | 0U); /* vCPU 0, uniprocessor-style affinity */
	sysreg_write(sctlr_el1, SCTLR_EL1_RESET);
	/* All PMU counters to EL1, untrapped (HPMN = PMCR_EL0.N): guests (the benchmark guest)
	 * count instructions themselves, EL2 included. PMU state is not yet context-switched. */
	sysreg_write(mdcr_el2, (sysreg_read(pmcr_el0) >> 11) & 0x1fUL);
	isb();
	__asm__ volatile("tlbi vmalls12e1is" ::: "memory"); /* no stale entries for this VMID */
	dsb_ish();
	isb();
}

void
root_vm_start(void)
{
	vm_t *vm = &root_vm;
	check_payload();
	vm->name = ROOT_VM_NAME;
	vm->vmid = ROOT_VMID;
	vm->is_root = true;
	vm->console_cap = make_console_cap();
	if (pgtable_init(&vm->stage2) != OK ||
	    pgtable_map(&vm->stage2, ROOT_VM_MEM_BASE, ROOT_VM_MEM_BASE, ROOT_VM_MEM_SIZE,
			S2_NORMAL_RWX) != OK) {
		panic("cannot build the root VM's stage-2 tables");
	}
	root_caps_t caps;
	vcpu_t *vcpu = create_root_objects(&caps);
	write_boot_info(vm, &caps);

	vcpu->vm = vm;
	vcpu->index = 0;
	memset(&vcpu->entry_frame, 0, sizeof(vcpu->entry_frame));
	vcpu->entry_frame.x[0] = ROOT_VM_BOOT_INFO_IPA;
	vcpu->entry_frame.elr = ROOT_VM_MEM_BASE;
	vcpu->entry_frame.spsr = SPSR_EL1H_MASKED;
	current_vcpu[cpu_index()] = vcpu;

	hyp_log("starting root VM '%s' (VMID %u) at EL1: image 0x%lx (%lu KiB), DTB 0x%lx, "
		"memory %lu MiB",
		vm->name, vm->vmid, ROOT_VM_MEM_BASE,
		(uint64_t)(rm_image_end - rm_image_start) / 1024U, ROOT_VM_DTB_IPA,
		ROOT_VM_MEM_SIZE >> 20);
	load_el1_state(vm);
	trap_frame_return(&vcpu->entry_frame);
}
