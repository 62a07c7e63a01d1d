/* main.c - the vcpu-life test guest, run as the root VM: a child VM's vCPU on CPU 1 takes
 * external aborts for IPAs nothing maps, then has its last cap deleted while it runs. */
#include <stdbool.h>
#include <stdint.h>

#include "bothy_hypercalls.h"
#include "check.h"
#include "child.h"
#include "counter.h"
#include "guest.h"
#include "platform_config.h"

#define CHILD_MEM_SIZE 0x200000UL /* right above the root VM, as the bench guest's */
#define CHILD_BASE (ROOT_VM_MEM_BASE + ROOT_VM_MEM_SIZE)
#define CHILD_CPU 1U         /* the root VM runs on CPU 0: the child runs beside it */
#define CHILD_PRIORITY 32U   /* SCHED_DEFAULT_PRIORITY */
#define PREEMPT_PRIORITY 33U /* above it: powered on, it takes CPU 1 from the child */
#define CHILD_CSPACE_CAPS 8U
#define CHILD_MAX_VIRQS 64U
#define PAGE_SIZE 0x1000UL
#define WAIT_MS 2000U

#define MAP_RW_NORMAL \
	MEMEXTENT_MAPPING_ATTRS(PGTABLE_ACCESS_RW, PGTABLE_ACCESS_RW, PGTABLE_VM_MEMTYPE_NORMAL_WB)
#define MAP_RWX_NORMAL \
	MEMEXTENT_MAPPING_ATTRS(PGTABLE_ACCESS_RWX, PGTABLE_ACCESS_RWX, PGTABLE_VM_MEMTYPE_NORMAL_WB)

/* Gunyah's syndromes for a synchronous external abort taken from EL1 (IL set, FSC 0x10). */
#define ESR_DATA_ABORT_SAME_EL 0x96000010UL
#define ESR_INSN_ABORT_SAME_EL 0x86000010UL
#define SPSR_M_MASK 0xfUL
#define SPSR_M_EL1H 0x5UL

typedef struct {
	cap_id_t addrspace, vic, cspace, vcpu;
} child_vm_t;

static const root_boot_info_t *boot;
static cap_id_t memextent;
static volatile child_mailbox_t *mailbox;

static void
must(error_t err, const char *what)
{
	if (err != OK) {
		guest_printf("ERROR: %s failed: error %d\n", what, (int)err);
		guest_fail("could not build the child VM");
	}
}

/* Clean and invalidate to the point of coherency: the child's accesses (MMU off) are
 * non-cacheable, the root's cacheable. */
static void
dcache_clean_invalidate(uintptr_t base, uintptr_t size)
{
	uint64_t ctr;
	__asm__ volatile("mrs %0, ctr_el0" : "=r"(ctr));
	uintptr_t line = 4UL << ((ctr >> 16) & 0xfU);
	for (uintptr_t a = base & ~(line - 1U); a < base + size; a += line) {
		__asm__ volatile("dc civac, %0" ::"r"(a) : "memory");
	}
	__asm__ volatile("dsb sy" ::: "memory");
}

static uint64_t
mailbox_word(const volatile uint64_t *word)
{
	dcache_clean_invalidate((uintptr_t)word, sizeof(*word));
	return *word;
}

/* One extent for every child: the program at its start, the mailbox mapped into the root. */
static void
load_child_memory(void)
{
	cap_id_t part = boot->partition_cap, cs = boot->cspace_cap;
	hypercall_partition_create_memextent_result_t me = bothy_partition_create_memextent(part, cs);
	must(me.error, "memextent creation");
	memextent = me.new_cap;
	must(bothy_memextent_configure(memextent, CHILD_BASE, CHILD_MEM_SIZE, 0).error,
	     "memextent_configure");
	must(bothy_object_activate(memextent).error, "memextent activation");
	uintptr_t size = (uintptr_t)(life_child_end - life_child_start);
	if (size > CHILD_MAILBOX_OFFSET) {
		guest_fail("the child program overlaps its mailbox");
	}
	must(bothy_addrspace_map(boot->addrspace_cap, memextent, CHILD_BASE, MAP_RW_NORMAL, 0, 0,
				 CHILD_MEM_SIZE).error,
	     "mapping into the root VM");
	volatile uint64_t *dst = (volatile uint64_t *)(uintptr_t)CHILD_BASE;
	const uint64_t *src = (const uint64_t *)(const void *)life_child_start;
	for (uintptr_t i = 0; i < size / 8U; i++) {
		dst[i] = src[i];
	}
	for (uintptr_t i = 0; i < PAGE_SIZE / 8U; i++) {
		dst[(CHILD_MAILBOX_OFFSET + i * 8U) / 8U] = 0;
	}
	dcache_clean_invalidate(CHILD_BASE, CHILD_MAILBOX_OFFSET + PAGE_SIZE);
	__asm__ volatile("ic ialluis\n\tdsb ish\n\tisb" ::: "memory");
	must(bothy_addrspace_unmap(boot->addrspace_cap, memextent, CHILD_BASE, 0, 0,
				   CHILD_MEM_SIZE).error,
	     "unmapping from the root VM");
	uintptr_t mb = CHILD_BASE + CHILD_MAILBOX_OFFSET;
	must(bothy_addrspace_map(boot->addrspace_cap, memextent, mb, MAP_RW_NORMAL, 0,
				 CHILD_MAILBOX_OFFSET, PAGE_SIZE).error,
	     "mapping the mailbox into the root VM");
	mailbox = (volatile child_mailbox_t *)mb;
}

/* A child VM (VMID `vmid`) with one vCPU on CHILD_CPU at `priority`, running child.S in
 * `mode`, built with the calls the RM uses. */
static child_vm_t
start_child(uint16_t vmid, unsigned priority, uint64_t mode)
{
	cap_id_t part = boot->partition_cap, cs = boot->cspace_cap;
	child_vm_t c;
	hypercall_partition_create_addrspace_result_t as = bothy_partition_create_addrspace(part, cs);
	must(as.error, "addrspace creation");
	c.addrspace = as.new_cap;
	must(bothy_addrspace_configure(c.addrspace, vmid).error, "addrspace_configure");
	must(bothy_object_activate(c.addrspace).error, "addrspace activation");
	must(bothy_addrspace_map(c.addrspace, memextent, CHILD_BASE, MAP_RWX_NORMAL, 0, 0,
				 CHILD_MEM_SIZE).error,
	     "addrspace_map");
	hypercall_partition_create_vic_result_t vic = bothy_partition_create_vic(part, cs);
	must(vic.error, "vic creation");
	c.vic = vic.new_cap;
	must(bothy_vic_configure(c.vic, 1, CHILD_MAX_VIRQS, 0, 0).error, "vic_configure");
	must(bothy_object_activate(c.vic).error, "vic activation");
	hypercall_partition_create_cspace_result_t ccs = bothy_partition_create_cspace(part, cs);
	must(ccs.error, "cspace creation");
	c.cspace = ccs.new_cap;
	must(bothy_cspace_configure(c.cspace, CHILD_CSPACE_CAPS).error, "cspace_configure");
	must(bothy_object_activate(c.cspace).error, "cspace activation");
	hypercall_partition_create_thread_result_t t = bothy_partition_create_thread(part, cs);
	must(t.error, "vCPU creation");
	c.vcpu = t.new_cap;
	must(bothy_vcpu_configure(c.vcpu, 0).error, "vcpu_configure");
	must(bothy_cspace_attach_thread(c.cspace, c.vcpu).error, "cspace_attach_thread");
	must(bothy_addrspace_attach_thread(c.addrspace, c.vcpu).error, "addrspace_attach_thread");
	must(bothy_vic_attach_vcpu(c.vic, c.vcpu, 0).error, "vic_attach_vcpu");
	must(bothy_vcpu_set_affinity(c.vcpu, CHILD_CPU).error, "vcpu_set_affinity");
	must(bothy_vcpu_set_priority(c.vcpu, priority).error, "vcpu_set_priority");
	must(bothy_object_activate(c.vcpu).error, "vCPU activation");
	must(bothy_vcpu_poweron(c.vcpu, CHILD_BASE, mode, 0).error, "vcpu_poweron");
	return c;
}

static void
delete_cap(const char *what, cap_id_t cap)
{
	check_error(what, bothy_cspace_delete_cap_from(boot->cspace_cap, cap).error, OK);
}

static void
delete_child(const child_vm_t *c)
{
	delete_cap("delete the child's cspace", c->cspace);
	delete_cap("delete the child's vic", c->vic);
	delete_cap("delete the child's addrspace", c->addrspace);
}

static void
wait_ms(uint64_t ms)
{
	uint64_t end = guest_counter() + guest_counter_hz() / 1000U * ms;
	while (guest_counter() < end) {
	}
}

/* Whether the child's count moves within WAIT_MS: it is running. */
static bool
child_counts(void)
{
	uint64_t before = mailbox_word(&mailbox->count);
	uint64_t end = guest_counter() + guest_counter_hz() / 1000U * WAIT_MS;
	while (guest_counter() < end) {
		if (mailbox_word(&mailbox->count) != before) {
			return true;
		}
	}
	return false;
}

/* The child's load from, then fetch from, an IPA nothing maps: each a synchronous external
 * abort taken at its own EL1 vector (current EL, SP_ELx), and the child runs on. */
static void
test_aborts(void)
{
	uint64_t end = guest_counter() + guest_counter_hz() / 1000U * WAIT_MS;
	while (mailbox_word(&mailbox->stage) != 2U && mailbox_word(&mailbox->unexpected) == 0U &&
	       guest_counter() < end) {
	}
	dcache_clean_invalidate((uintptr_t)mailbox, sizeof(*mailbox));
	check_value("child: exceptions other than the two aborts (vector slot + 1)",
		    mailbox->unexpected, 0U);
	check_value("child: aborts taken (stage)", mailbox->stage, 2U);
	guest_printf("vcpu-life: load abort ESR_EL1 0x%lx FAR_EL1 0x%lx; fetch abort ESR_EL1 "
		     "0x%lx FAR_EL1 0x%lx\n",
		     mailbox->load.esr, mailbox->load.far, mailbox->fetch.esr, mailbox->fetch.far);
	check_value("load abort: ESR_EL1", mailbox->load.esr, ESR_DATA_ABORT_SAME_EL);
	check_value("load abort: FAR_EL1", mailbox->load.far, CHILD_BASE + CHILD_UNMAPPED_OFFSET);
	check_value("load abort: ELR_EL1 is the load", mailbox->load.elr, mailbox->load_pc);
	check_value("load abort: SPSR_EL1.M is EL1h", mailbox->load.spsr & SPSR_M_MASK,
		    SPSR_M_EL1H);
	check_value("fetch abort: ESR_EL1", mailbox->fetch.esr, ESR_INSN_ABORT_SAME_EL);
	check_value("fetch abort: FAR_EL1", mailbox->fetch.far,
		    CHILD_BASE + CHILD_UNMAPPED_FETCH_OFFSET);
	check_value("fetch abort: ELR_EL1 is the fetched address", mailbox->fetch.elr,
		    CHILD_BASE + CHILD_UNMAPPED_FETCH_OFFSET);
	check_value("child still runs after its aborts", child_counts() ? 1U : 0U, 1U);
}

/* The child's last cap is deleted while it runs on CPU 1: the hypervisor must neither panic
 * nor free it under its CPU. It runs on until CPU 1 switches away (the scheduler holds the
 * loaded vCPU), then is destroyed: a higher priority vCPU powered on there takes the CPU. */
static void
test_delete_running(const child_vm_t *c)
{
	check_value("child runs before its cap is deleted", child_counts() ? 1U : 0U, 1U);
	hypercall_vcpu_run_check_result_t st = bothy_vcpu_run_check(c->vcpu);
	check_error("vcpu_run_check of the running child", st.error, OK);
	check_value("running child's state", st.vcpu_state, VCPU_RUN_STATE_READY);
	delete_cap("delete the last cap of the running child vCPU", c->vcpu);
	check_value("the orphan runs until its CPU switches away", child_counts() ? 1U : 0U, 1U);
	child_vm_t p = start_child(0x91, PREEMPT_PRIORITY, CHILD_MODE_OFF);
	hypercall_vcpu_run_check_result_t off = { .error = OK };
	uint64_t end = guest_counter() + guest_counter_hz() / 1000U * WAIT_MS;
	do {
		off = bothy_vcpu_run_check(p.vcpu);
	} while ((off.error != OK || off.vcpu_state != VCPU_RUN_STATE_POWERED_OFF) &&
		 guest_counter() < end);
	check_value("preempting vCPU powered off", off.vcpu_state, VCPU_RUN_STATE_POWERED_OFF);
	wait_ms(50U);
	check_value("the deleted vCPU no longer runs", child_counts() ? 1U : 0U, 0U);
	delete_cap("delete the preempting vCPU (off)", p.vcpu);
	delete_child(&p);
	delete_child(c);
}

void
guest_main(const root_boot_info_t *info)
{
	boot = info;
	check_begin("vcpu-life");
	load_child_memory();
	child_vm_t c = start_child(0x90, CHILD_PRIORITY, CHILD_MODE_ABORT);
	test_aborts();
	test_delete_running(&c);
	check_value("identify still answers: API version 1",
		    bothy_hypervisor_identify().hyp_api_info & 0x3fffU, 1U);
	if (check_end() != 0U) {
		guest_fail("vcpu-life failures");
	}
}
