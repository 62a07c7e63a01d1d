/* vcpu_bench.h - the bench guest's cross-VM measurements (vcpu_bench.c). */
#pragma once

#include "root_boot_info.h"

/* Builds two child VMs, measures vcpu_switch_instructions and virq_injection_instructions
 * and prints their BENCH lines. Needs the PMU instruction counter running. */
void bench_vcpu(const root_boot_info_t *info);
