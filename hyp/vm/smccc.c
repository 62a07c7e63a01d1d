/* smccc.c - Arm SMCCC calls from guests (HVC #0 or trapped SMC): SMCCC version and
 * features, PSCI, the vendor-hypervisor service calls, and the hypercall function IDs. */
#include <stdint.h>

#include "console.h"
#include "hypercall.h"
#include "hypercall_handlers.h"
#include "platform.h"
#include "vm.h"

#define SMCCC_VERSION 0x80000000U
#define SMCCC_ARCH_FEATURES 0x80000001U
#define SMCCC_VERSION_1_1 0x10001U
#define SMCCC_NOT_SUPPORTED ((uint64_t)(int64_t)-1)

#define PSCI_VERSION 0x84000000U
#define PSCI_SYSTEM_OFF 0x84000008U
#define PSCI_SYSTEM_RESET 0x84000009U
#define ROOT_VM_RESET_EXIT_STATUS 5U
#define PSCI_FEATURES 0x8400000aU
#define PSCI_VERSION_1_1 0x10001U

/* Vendor-hypervisor service calls (SMC32 fast calls, owner 6). */
#define VENDOR_HYP_CALL_UID 0x8600ff01U
#define VENDOR_HYP_REVISION 0x8600ff03U
/* Gunyah's UID, c1d58fcd-a453-5fdb-9265-ce36673d5f14, as SMCCC returns it in x0..x3. */
#define GUNYAH_UID0 0xcd8fd5c1U
#define GUNYAH_UID1 0xdb5f53a4U
#define GUNYAH_UID2 0x36ce6592U
#define GUNYAH_UID3 0x145f3d67U

static bool
is_supported(uint32_t function_id)
{
	switch (function_id) {
	case SMCCC_VERSION:
	case SMCCC_ARCH_FEATURES:
	case PSCI_VERSION:
	case PSCI_SYSTEM_OFF:
	case PSCI_FEATURES:
	case VENDOR_HYP_CALL_UID:
	case VENDOR_HYP_REVISION:
		return true;
	default:
		return false;
	}
}

void
smccc_handle(vcpu_t *vcpu, trap_frame_t *frame)
{
	uint32_t function_id = (uint32_t)frame->x[0];
	/* Hypercalls first: they are the hot path, PSCI and SMCCC queries are rare. */
	if (hypercall_smccc(frame, function_id)) {
		return;
	}
	switch (function_id) {
	case SMCCC_VERSION:
		frame->x[0] = SMCCC_VERSION_1_1;
		return;
	case SMCCC_ARCH_FEATURES:
	case PSCI_FEATURES:
		frame->x[0] = is_supported((uint32_t)frame->x[1]) ? 0U : SMCCC_NOT_SUPPORTED;
		return;
	case PSCI_VERSION:
		frame->x[0] = PSCI_VERSION_1_1;
		return;
	case PSCI_SYSTEM_OFF:
		hyp_log("VM '%s' requested PSCI SYSTEM_OFF: powering off", vcpu->vm->name);
		if (vcpu->vm->is_root) {
			platform_system_off();
		}
		break; /* other VMs' power-off arrives with VM lifecycle support */
	case PSCI_SYSTEM_RESET:
		if (vcpu->vm->is_root) {
			/* The root VM holds every VM's state: it cannot be restarted alone. */
			hyp_log("VM '%s' requested PSCI SYSTEM_RESET; the root VM cannot be "
				"restarted: stopping the machine", vcpu->vm->name);
			platform_exit_failure(ROOT_VM_RESET_EXIT_STATUS);
		}
		break;
	case VENDOR_HYP_CALL_UID:
		frame->x[0] = GUNYAH_UID0;
		frame->x[1] = GUNYAH_UID1;
		frame->x[2] = GUNYAH_UID2;
		frame->x[3] = GUNYAH_UID3;
		return;
	case VENDOR_HYP_REVISION:
		frame->x[0] = hypercall_hypervisor_identify().hyp_api_info;
		return;
	default:
		break;
	}
	frame->x[0] = SMCCC_NOT_SUPPORTED;
}
