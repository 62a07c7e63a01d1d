/* main.c - the benchmark guest: counts the instructions (EL1 + EL2) of a null hypercall round
 * trip on both entry paths with the PMU, then a vCPU switch and a virtual interrupt
 * (vcpu_bench.c); prints "BENCH <metric> <value> <unit>" lines. */
#include <stdint.h>

#include "bothy_hypercalls.h"
#include "guest.h"
#include "pmu.h"
#include "vcpu_bench.h"

/* Calls per measurement: the per-call figure is exact to 1/4096 of an instruction. */
#define BENCH_ITERATIONS 4096UL
/* The calibration loop body: 8 nops + subs + b.ne. */
#define CALIBRATION_BODY 10UL

/*
 * One measured run: BENCH_ITERATIONS times { mov x0, fid; INSN; subs; b.ne }, between two
 * counter reads. The empty variant (INSN "") is the loop overhead, measured the same way, so
 * loop(hvc) - loop(empty) is the hypercall round trip alone: the hvc, everything the
 * hypervisor runs at EL2, and its eret. x0-x17 are clobbered: the native ABI may change
 * x0-x17, and x0 carries the SMCCC function ID in.
 */
#define DEFINE_MEASURE_LOOP(name, insn)                                                      \
	static uint32_t name(uint64_t fid)                                                   \
	{                                                                                    \
		uint64_t n = BENCH_ITERATIONS;                                               \
		uint64_t start;                                                              \
		uint64_t end;                                                                \
		__asm__ volatile("isb\n\t"                                                   \
				 "mrs %[start], pmevcntr0_el0\n"                             \
				 "1:\n\t"                                                    \
				 "mov x0, %[fid]\n\t" insn "\n\t"                            \
				 "subs %[n], %[n], #1\n\t"                                   \
				 "b.ne 1b\n\t"                                               \
				 "isb\n\t"                                                   \
				 "mrs %[end], pmevcntr0_el0"                                 \
				 : [start] "=&r"(start), [end] "=&r"(end), [n] "+r"(n)       \
				 : [fid] "r"(fid)                                            \
				 : "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", \
				   "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17",   \
				   "cc", "memory");                                          \
		return (uint32_t)end - (uint32_t)start;                                      \
	}

DEFINE_MEASURE_LOOP(measure_empty, "")
DEFINE_MEASURE_LOOP(measure_native, "hvc #0x6000")
DEFINE_MEASURE_LOOP(measure_smccc, "hvc #0")

/* A loop of exactly BENCH_ITERATIONS * CALIBRATION_BODY instructions, counted raw. */
static uint32_t
measure_calibration(void)
{
	uint64_t n = BENCH_ITERATIONS;
	uint64_t start;
	uint64_t end;
	__asm__ volatile("isb\n\t"
			 "mrs %[start], pmevcntr0_el0\n"
			 "1:\n\t"
			 "nop\n\tnop\n\tnop\n\tnop\n\tnop\n\tnop\n\tnop\n\tnop\n\t"
			 "subs %[n], %[n], #1\n\t"
			 "b.ne 1b\n\t"
			 "isb\n\t"
			 "mrs %[end], pmevcntr0_el0"
			 : [start] "=&r"(start), [end] "=&r"(end), [n] "+r"(n)
			 :
			 : "cc", "memory");
	return (uint32_t)end - (uint32_t)start;
}

/* Checks the counter really counts every instruction once; fails the run otherwise. */
static void
calibrate(void)
{
	uint64_t expected = BENCH_ITERATIONS * CALIBRATION_BODY;
	uint64_t counted = measure_calibration();
	if (counted == 0U) {
		guest_printf("ERROR: the PMU instruction counter (event 0x08 INST_RETIRED) reads 0: "
			     "QEMU counts instructions only with -icount (run with -icount shift=0)\n");
		guest_fail("no instruction counts: benchmarks need QEMU -icount");
	}
	uint64_t off = counted > expected ? counted - expected : expected - counted;
	guest_printf("calibration: a loop of %lu instructions counted %lu\n", expected, counted);
	guest_printf("BENCH pmu_calibration_instructions %lu instructions\n", counted);
	if (off * 100U > expected) {
		guest_fail("PMU calibration off by more than 1%: instruction counts are unreliable");
	}
}

/* Both entry paths must answer identify the same way before their cost means anything. */
static void
check_identify(void)
{
	hypercall_hypervisor_identify_result_t native = bothy_hypervisor_identify();
	bothy_regs_t r = { { HYPERCALL_HYPERVISOR_IDENTIFY_SMCCC } };
	bothy_smccc_call(&r);
	if (native.hyp_api_info == 0U || r.x[0] != native.hyp_api_info) {
		guest_printf("ERROR: hypervisor_identify: native 0x%lx, SMCCC 0x%lx\n",
			     native.hyp_api_info, r.x[0]);
		guest_fail("hypervisor_identify answers differ between entry paths");
	}
	guest_printf("hypervisor_identify: hyp_api_info 0x%lx on both entry paths\n",
		     native.hyp_api_info);
}

/* Prints (loop - empty) / BENCH_ITERATIONS, rounded to one decimal, as a BENCH line. */
static void
report_round_trip(const char *metric, uint32_t loop, uint32_t empty)
{
	if (loop <= empty) {
		guest_printf("ERROR: %s: loop %u instructions <= empty loop %u\n", metric, loop,
			     empty);
		guest_fail("hypercall loop counted no more than the empty loop");
	}
	uint64_t diff = (uint64_t)(loop - empty);
	uint64_t tenths = (diff * 10U + BENCH_ITERATIONS / 2U) / BENCH_ITERATIONS;
	guest_printf("%s: %lu calls, loop %u - empty loop %u = %lu instructions\n", metric,
		     BENCH_ITERATIONS, loop, empty, diff);
	guest_printf("BENCH %s %lu.%lu instructions\n", metric, tenths / 10U, tenths % 10U);
}

void
guest_main(const root_boot_info_t *info)
{
	unsigned counters = pmu_counter_count();
	guest_printf("bothy benchmarks: PMU with %u event counters, INST_RETIRED at EL1+EL2\n",
		     counters);
	if (counters == 0U) {
		guest_fail("the PMU has no event counters");
	}
	pmu_start_instruction_counter();
	calibrate();
	check_identify();

	uint32_t empty = measure_empty(0);
	uint32_t native = measure_native(0);
	uint32_t smccc = measure_smccc(HYPERCALL_HYPERVISOR_IDENTIFY_SMCCC);
	report_round_trip("null_hypercall_native_instructions", native, empty);
	report_round_trip("null_hypercall_smccc_instructions", smccc, empty);
	bench_vcpu(info);
	guest_printf("benchmarks done\n");
}
