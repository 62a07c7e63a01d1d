/* psci_test.h - what psci-test's secondary vCPU records at each start (secondary.S writes it,
 * main.c reads it), and the PSCI calls both sides make. */
#pragma once

#include "bothy_types.h"

/* The SMC64 CPU_ON and AFFINITY_INFO, the SMC32 CPU_OFF (abi/types.yaml). */
#define PSCI_CPU_OFF_ID PSCI_FUNCTION_CPU_OFF
#define PSCI_CPU_ON_ID (PSCI_FUNCTION_CPU_ON | PSCI_FUNCTION_SMC64)
#define PSCI_AFFINITY_INFO_ID (PSCI_FUNCTION_AFFINITY_INFO | PSCI_FUNCTION_SMC64)

#ifndef __ASSEMBLER__
#include <stdint.h>

/* Field offsets are secondary.S's: entries 0, x0 8, tpidr_el1 16, cpacr_el1 24, d0 32. */
typedef struct {
	uint64_t entries;
	uint64_t x0;
	uint64_t tpidr_el1;
	uint64_t cpacr_el1;
	uint64_t d0;
} psci_seen_t;
#endif
