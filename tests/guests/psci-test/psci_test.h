/* psci_test.h - what psci-test's secondary vCPU records at each start (secondary.S writes it,
 * main.c reads it), and the PSCI calls both sides make. */
#pragma once

/* PSCI 1.1 function IDs (Arm DEN0022): the SMC64 CPU_ON and AFFINITY_INFO, SMC32 CPU_OFF. */
#define PSCI_CPU_OFF_ID 0x84000002U
#define PSCI_CPU_ON_ID 0xc4000003U
#define PSCI_AFFINITY_INFO_ID 0xc4000004U

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
