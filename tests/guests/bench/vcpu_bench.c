/* vcpu_bench.c - vCPU switch and virtual interrupt costs, counted with the PMU across VMs.
 *
 * The root VM builds a child VM with the hypercalls the RM uses (addrspace, memextent, vic,
 * cspace, thread, map, poweron): one vCPU on the root's CPU at the root's priority, running
 * child.S. With two equal-priority vCPUs on one CPU, every scheduler_yield switches to the
 * other, so a root yield is a round trip: root -> child, whose own yield switches back.
 *
 *   child in mode 0 (yield only): N root yields count T_yield instructions; two switches
 *     each, so vcpu_switch_instructions = T_yield / N / 2.
 *   a second child in mode 1: before each yield it raises SGI 0 to itself (trapped ICC_SGI1R
 *     write), takes the virtual interrupt and EOIs it; N root yields count T_sgi, and
 *     virq_injection_instructions = (T_sgi - T_yield) / N.
 *
 * Event counter 0 is a physical counter (MDCR_EL2.HPMN = N for every VM, never context-
 * switched), so it counts EL1 in both VMs and EL2 in between. A mailbox page shared with
 * the child (child.h) proves what ran: yields and SGIs taken during each measured window. */
#include <stdint.h>

#include "bothy_hypercalls.h"
#include "child.h"
#include "guest.h"
#include "platform_config.h"
#include "vcpu_bench.h"

#define VCPU_BENCH_WARMUP 100UL
#define VCPU_BENCH_ITERATIONS 1000UL

#define CHILD_MEM_SIZE 0x200000UL /* 2 MiB per child, right above the root VM */
#define CHILD_MEM_BASE(i) (ROOT_VM_MEM_BASE + ROOT_VM_MEM_SIZE + (i) * CHILD_MEM_SIZE)
#define CHILD_VMID_FIRST 0x80U
#define CHILD_PRIORITY 40U /* the root VM's: SCHED_DEFAULT_PRIORITY + 8 (hyp/vm/root_vm.c) */
#define CHILD_CPU 0U       /* the root VM's vCPU runs on CPU 0 */
#define CHILD_CSPACE_CAPS 8U
#define CHILD_MAX_VIRQS 128U
#define PAGE_SIZE 0x1000UL

/* memextent_mapping_attrs: kernel access [6:4], user access [2:0], normal WB [23:16]. */
#define MAP_RW_NORMAL \
	MEMEXTENT_MAPPING_ATTRS(PGTABLE_ACCESS_RW, PGTABLE_ACCESS_RW, PGTABLE_VM_MEMTYPE_NORMAL_WB)
#define MAP_RWX_NORMAL \
	MEMEXTENT_MAPPING_ATTRS(PGTABLE_ACCESS_RWX, PGTABLE_ACCESS_RWX, PGTABLE_VM_MEMTYPE_NORMAL_WB)


#define STR_(x) #x
#define STR(x) STR_(x)

_Static_assert(CHILD_HVC_SCHEDULER_YIELD == HYPERCALL_SCHEDULER_YIELD_NATIVE,
	       "child.h has the wrong scheduler_yield number");
_Static_assert(CHILD_MEM_BASE(0) >= PLATFORM_RAM_BASE &&
		       CHILD_MEM_BASE(2) <= PLATFORM_RAM_BASE + PLATFORM_RAM_SIZE,
	       "the child VMs' memory must be RAM");
_Static_assert(CHILD_MEM_BASE(2) <= HYP_MEM_BASE ||
		       CHILD_MEM_BASE(0) >= HYP_MEM_BASE + HYP_MEM_SIZE,
	       "the child VMs' memory must not be the hypervisor's");

typedef struct {
	uint32_t vmid;
	uint64_t base;
	cap_id_t addrspace, memextent, vic, cspace, vcpu;
	volatile child_mailbox_t *mailbox; /* mapped in the root at the same address */
} child_vm_t;

static const root_boot_info_t *boot;

static void
must(error_t err, const child_vm_t *c, const char *what)
{
	if (err != OK) {
		guest_printf("ERROR: child VM 0x%x: %s failed: error %d\n", c->vmid, what,
			     (int)err);
		guest_fail("could not build the benchmark's child VM");
	}
}

static uintptr_t
dcache_line(void)
{
	uint64_t ctr;
	__asm__ volatile("mrs %0, ctr_el0" : "=r"(ctr));
	return 4UL << ((ctr >> 16) & 0xfU);
}

/* Clean and invalidate [base, base + size) to the point of coherency: the child's accesses
 * (MMU off, no HCR_EL2.DC) are non-cacheable, the root's (HCR_EL2.DC) are cacheable. */
static void
dcache_clean_invalidate(uintptr_t base, uintptr_t size)
{
	uintptr_t line = dcache_line();
	for (uintptr_t a = base & ~(line - 1U); a < base + size; a += line) {
		__asm__ volatile("dc civac, %0" ::"r"(a) : "memory");
	}
	__asm__ volatile("dsb sy" ::: "memory");
}

static child_mailbox_t
mailbox_read(const child_vm_t *c)
{
	dcache_clean_invalidate((uintptr_t)c->mailbox, sizeof(*c->mailbox));
	child_mailbox_t m;
	m.yields = c->mailbox->yields;
	m.irqs = c->mailbox->irqs;
	m.stop = c->mailbox->stop;
	m.spurious = c->mailbox->spurious;
	m.fault_kind = c->mailbox->fault_kind;
	m.fault_esr = c->mailbox->fault_esr;
	m.fault_elr = c->mailbox->fault_elr;
	return m;
}

/* Copies the child program to the start of the extent through a temporary mapping in the
 * root's own stage 2, with a zeroed mailbox page, then hands the memory to the child. */
static void
load_child(child_vm_t *c)
{
	uintptr_t size = (uintptr_t)(bench_child_end - bench_child_start);
	if (size > CHILD_MAILBOX_OFFSET) {
		guest_fail("the child program (child.S) overlaps its mailbox: raise "
			   "CHILD_MAILBOX_OFFSET");
	}
	must(bothy_addrspace_map(boot->addrspace_cap, c->memextent, c->base, MAP_RW_NORMAL, 0, 0,
				 CHILD_MEM_SIZE).error,
	     c, "mapping into the root VM");
	volatile uint64_t *dst = (volatile uint64_t *)(uintptr_t)c->base;
	const uint64_t *src = (const uint64_t *)(const void *)bench_child_start;
	for (uintptr_t i = 0; i < size / 8U; i++) {
		dst[i] = src[i];
	}
	uintptr_t mailbox = (uintptr_t)(c->base + CHILD_MAILBOX_OFFSET);
	for (uintptr_t i = 0; i < PAGE_SIZE / 8U; i++) {
		((volatile uint64_t *)mailbox)[i] = 0;
	}
	dcache_clean_invalidate(c->base, size);
	dcache_clean_invalidate(mailbox, PAGE_SIZE);
	__asm__ volatile("ic ialluis\n\tdsb ish\n\tisb" ::: "memory");
	must(bothy_addrspace_unmap(boot->addrspace_cap, c->memextent, c->base, 0, 0, CHILD_MEM_SIZE)
		     .error,
	     c, "unmapping from the root VM");
	must(bothy_addrspace_map(c->addrspace, c->memextent, c->base, MAP_RWX_NORMAL, 0, 0,
				 CHILD_MEM_SIZE).error,
	     c, "addrspace_map");
	/* The mailbox page only, back into the root: how it tells what the child did. */
	must(bothy_addrspace_map(boot->addrspace_cap, c->memextent, mailbox, MAP_RW_NORMAL, 0,
				 CHILD_MAILBOX_OFFSET, PAGE_SIZE).error,
	     c, "mapping the mailbox into the root VM");
	c->mailbox = (volatile child_mailbox_t *)mailbox;
}

/* Builds child VM `index` (VMID 0x80 + index) like rm/src/vm_builder.c and powers it on in
 * `mode`. */
static child_vm_t
start_child(unsigned index, uint64_t mode)
{
	cap_id_t part = boot->partition_cap, cs = boot->cspace_cap;
	child_vm_t c = { .vmid = CHILD_VMID_FIRST + index, .base = CHILD_MEM_BASE(index) };

	hypercall_partition_create_addrspace_result_t as =
		bothy_partition_create_addrspace(part, cs);
	must(as.error, &c, "addrspace creation");
	c.addrspace = as.new_cap;
	must(bothy_addrspace_configure(c.addrspace, (uint16_t)c.vmid).error, &c,
	     "addrspace_configure");
	must(bothy_object_activate(c.addrspace).error, &c, "addrspace activation");

	hypercall_partition_create_memextent_result_t me =
		bothy_partition_create_memextent(part, cs);
	must(me.error, &c, "memextent creation");
	c.memextent = me.new_cap;
	must(bothy_memextent_configure(c.memextent, c.base, CHILD_MEM_SIZE, 0).error, &c,
	     "memextent_configure");
	must(bothy_object_activate(c.memextent).error, &c, "memextent activation");
	load_child(&c);

	hypercall_partition_create_vic_result_t vic = bothy_partition_create_vic(part, cs);
	must(vic.error, &c, "vic creation");
	c.vic = vic.new_cap;
	must(bothy_vic_configure(c.vic, 1, CHILD_MAX_VIRQS, 0, 0).error, &c, "vic_configure");
	must(bothy_object_activate(c.vic).error, &c, "vic activation");

	hypercall_partition_create_cspace_result_t ccs = bothy_partition_create_cspace(part, cs);
	must(ccs.error, &c, "cspace creation");
	c.cspace = ccs.new_cap;
	must(bothy_cspace_configure(c.cspace, CHILD_CSPACE_CAPS).error, &c, "cspace_configure");
	must(bothy_object_activate(c.cspace).error, &c, "cspace activation");

	hypercall_partition_create_thread_result_t t = bothy_partition_create_thread(part, cs);
	must(t.error, &c, "vCPU creation");
	c.vcpu = t.new_cap;
	must(bothy_vcpu_configure(c.vcpu, 0).error, &c, "vcpu_configure");
	must(bothy_cspace_attach_thread(c.cspace, c.vcpu).error, &c, "cspace_attach_thread");
	must(bothy_addrspace_attach_thread(c.addrspace, c.vcpu).error, &c,
	     "addrspace_attach_thread");
	must(bothy_vic_attach_vcpu(c.vic, c.vcpu, 0).error, &c, "vic_attach_vcpu");
	must(bothy_vcpu_set_affinity(c.vcpu, CHILD_CPU).error, &c, "vcpu_set_affinity");
	must(bothy_vcpu_set_priority(c.vcpu, CHILD_PRIORITY).error, &c, "vcpu_set_priority");
	must(bothy_object_activate(c.vcpu).error, &c, "vCPU activation");

	must(bothy_vcpu_poweron(c.vcpu, c.base, mode, 0).error, &c, "vcpu_poweron");
	guest_printf("child VM 0x%x: %lu KiB at 0x%lx, mode %lu, priority %u on CPU %u\n", c.vmid,
		     CHILD_MEM_SIZE / 1024U, c.base, mode, CHILD_PRIORITY, CHILD_CPU);
	return c;
}

static void
yield_once(void)
{
	error_t err = bothy_scheduler_yield(0, 0).error;
	if (err != OK) {
		guest_printf("ERROR: scheduler_yield returned error %d\n", (int)err);
		guest_fail("scheduler_yield failed");
	}
}

/* N root yields between two counter reads (the same frame as the hypercall loops in main.c:
 * mov x0-x2, hvc, subs, b.ne per iteration). */
static uint32_t
measure_yields(void)
{
	uint64_t n = VCPU_BENCH_ITERATIONS;
	uint64_t start;
	uint64_t end;
	__asm__ volatile("isb\n\t"
			 "mrs %[start], pmevcntr0_el0\n"
			 "1:\n\t"
			 "mov x0, #0\n\t"
			 "mov x1, #0\n\t"
			 "mov x2, #0\n\t"
			 "hvc #" STR(CHILD_HVC_SCHEDULER_YIELD) "\n\t"
			 "subs %[n], %[n], #1\n\t"
			 "b.ne 1b\n\t"
			 "isb\n\t"
			 "mrs %[end], pmevcntr0_el0"
			 : [start] "=&r"(start), [end] "=&r"(end), [n] "+r"(n)
			 :
			 : "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10",
			   "x11", "x12", "x13", "x14", "x15", "x16", "x17", "cc", "memory");
	return (uint32_t)end - (uint32_t)start;
}

static void
check_no_fault(const child_vm_t *c, const child_mailbox_t *m)
{
	if (m->fault_kind != 0U || m->spurious != 0U) {
		guest_printf("ERROR: child VM 0x%x: fault kind 0x%lx (ESR_EL1 0x%lx "
			     "ELR_EL1 0x%lx), %lu spurious IRQs\n",
			     c->vmid, m->fault_kind, m->fault_esr, m->fault_elr, m->spurious);
		guest_fail("the benchmark's child VM did something unexpected");
	}
}

/* Warm up, then count N root yields; the mailbox must show the child took part in each one
 * (and in mode 1 took one SGI per yield). */
static uint32_t
measure_child(const child_vm_t *c, uint64_t mode)
{
	for (unsigned long i = 0; i < VCPU_BENCH_WARMUP; i++) {
		yield_once();
	}
	child_mailbox_t before = mailbox_read(c);
	uint32_t count = measure_yields();
	child_mailbox_t after = mailbox_read(c);
	hypercall_vcpu_run_check_result_t st = bothy_vcpu_run_check(c->vcpu);
	check_no_fault(c, &after);
	uint64_t yields = after.yields - before.yields;
	uint64_t irqs = after.irqs - before.irqs;
	uint64_t want_irqs = mode == CHILD_MODE_SGI ? VCPU_BENCH_ITERATIONS : 0U;
	guest_printf("child VM 0x%x, mode %lu: %lu root yields counted %u instructions; the child "
		     "yielded %lu times and took %lu SGIs\n",
		     c->vmid, mode, VCPU_BENCH_ITERATIONS, count, yields, irqs);
	if (st.error != OK || st.vcpu_state != VCPU_RUN_STATE_READY ||
	    yields != VCPU_BENCH_ITERATIONS || irqs != want_irqs) {
		guest_printf("ERROR: child VM 0x%x: expected %lu yields and %lu SGIs with the vCPU "
			     "ready; run_check error %d state %lu\n",
			     c->vmid, VCPU_BENCH_ITERATIONS, want_irqs, (int)st.error,
			     st.vcpu_state);
		guest_fail("the child VM did not switch with the root VM on every yield");
	}
	return count;
}

/* Asks the child to power its vCPU off at its next turn, so it no longer shares the CPU. */
static void
stop_child(const child_vm_t *c)
{
	c->mailbox->stop = 1;
	dcache_clean_invalidate((uintptr_t)c->mailbox, sizeof(*c->mailbox));
	hypercall_vcpu_run_check_result_t st = { .error = OK };
	for (unsigned i = 0; i < 8U; i++) {
		yield_once();
		st = bothy_vcpu_run_check(c->vcpu);
		if (st.error == OK && st.vcpu_state == VCPU_RUN_STATE_POWERED_OFF) {
			return;
		}
	}
	guest_printf("ERROR: child VM 0x%x still not off: run_check error %d state %lu\n",
		     c->vmid, (int)st.error, st.vcpu_state);
	guest_fail("the benchmark's child VM did not power off");
}

/* Prints a value as a BENCH line with one decimal: numerator / denominator, rounded. */
static void
report(const char *metric, uint64_t numerator, uint64_t denominator)
{
	uint64_t tenths = (numerator * 10U + denominator / 2U) / denominator;
	guest_printf("BENCH %s %lu.%lu instructions\n", metric, tenths / 10U, tenths % 10U);
}

void
bench_vcpu(const root_boot_info_t *info)
{
	boot = info;
	child_vm_t yielder = start_child(0, CHILD_MODE_YIELD);
	uint32_t t_yield = measure_child(&yielder, CHILD_MODE_YIELD);
	stop_child(&yielder);

	child_vm_t sgi = start_child(1, CHILD_MODE_SGI);
	uint32_t t_sgi = measure_child(&sgi, CHILD_MODE_SGI);
	stop_child(&sgi);

	if (t_sgi <= t_yield) {
		guest_printf("ERROR: yield+SGI loop %u instructions <= yield loop %u\n", t_sgi,
			     t_yield);
		guest_fail("raising and taking an SGI counted no instructions");
	}
	guest_printf("vcpu_switch: %lu round trips of 2 switches = %u instructions\n",
		     VCPU_BENCH_ITERATIONS, t_yield);
	guest_printf("virq_injection: %lu round trips with an SGI %u - without %u = %u "
		     "instructions\n",
		     VCPU_BENCH_ITERATIONS, t_sgi, t_yield, t_sgi - t_yield);
	report("vcpu_switch_instructions", t_yield, 2U * VCPU_BENCH_ITERATIONS);
	report("virq_injection_instructions", t_sgi - t_yield, VCPU_BENCH_ITERATIONS);
}
