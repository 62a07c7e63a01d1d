/* probe.h - touching an address that may abort (probe.S): the load or fetch is tried, and a
 * synchronous exception it raises is recorded in guest_probe_last instead of being fatal. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct {
	uint64_t esr, far, elr, spsr; /* ESR_EL1, FAR_EL1, ELR_EL1, SPSR_EL1 of the exception */
} guest_probe_t;

extern volatile guest_probe_t guest_probe_last;

/* A 64-bit load from `address`; true if it raised a synchronous exception. */
bool guest_probe_read(uint64_t address);

/* A branch to `address`; true if the fetch raised a synchronous exception (code there must
 * return with ret). */
bool guest_probe_fetch(uint64_t address);
