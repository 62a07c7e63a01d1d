/* vcpu_sysreg.h - emulation of the system registers guests trap on (ESR EC 0x18).
 * The caller advances ELR; false means "not a register bothy emulates": a VM fault. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "vm.h"

bool vcpu_sysreg_trap(vcpu_t *vcpu, uint64_t esr, trap_frame_t *frame);
