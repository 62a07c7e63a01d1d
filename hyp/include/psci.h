/* psci.h - PSCI for guests (hyp/vm/psci.c), reached through smccc_handle.
 * Function IDs in 0x84000000-0x8400001f and their SMC64 twins. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "vm.h"

/* Handles a PSCI call; false if `frame->x[0]` is not a PSCI function ID. */
bool psci_handle(vcpu_t *vcpu, trap_frame_t *frame);

/* PSCI_FEATURES: whether a PSCI function ID is implemented. */
bool psci_is_supported(uint32_t function_id);
