/* vcpu_sysreg.h - emulation of the system registers guests trap on (ESR EC 0x18).
 * The caller steps over the access, makes it UNDEFINED for the guest, or stops the VM. */
#pragma once

#include <stdint.h>

#include "vm.h"

typedef enum sysreg_trap_result {
	SYSREG_HANDLED,   /* emulated: the caller steps over the instruction */
	SYSREG_UNDEFINED, /* a register of a feature guests do not have: the caller injects an
			   * UNDEFINED exception, as the CPU would without the feature */
	SYSREG_UNHANDLED, /* not a register bothy knows: a VM fault */
} sysreg_trap_result_t;

sysreg_trap_result_t vcpu_sysreg_trap(vcpu_t *vcpu, uint64_t esr, trap_frame_t *frame);
