/* mmio.h - one guest load or store to an emulated device, decoded from a stage-2 data abort.
 * Device models (vGIC, vPL011) take an access and fill in `value` for reads. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct mmio_access {
	uint64_t ipa;   /* guest physical address accessed */
	unsigned size;  /* bytes: 1, 2, 4 or 8 */
	bool write;
	uint64_t value; /* written value (zero-extended), or the value a read returns */
} mmio_access_t;

/* What a device model says about an access it was offered. */
typedef enum mmio_result {
	MMIO_UNHANDLED = 0, /* not this device's address: try the next model */
	MMIO_HANDLED,       /* emulated; the guest continues after the instruction */
	MMIO_FAULT,         /* this device's address, but an access the model rejects */
} mmio_result_t;
