/* smccc.c - Arm SMCCC calls from guests (HVC #0, or a trapped SMC): hypercall function IDs
 * first, then PSCI, SMCCC version and features, and the vendor-hypervisor service calls. */
#include <stdint.h>

#include "hypercall.h"
#include "hypercall_handlers.h"
#include "psci.h"
#include "vm.h"

#define SMCCC_VERSION 0x80000000U
#define SMCCC_ARCH_FEATURES 0x80000001U
#define SMCCC_VERSION_1_1 0x10001U
#define SMCCC_NOT_SUPPORTED ((uint64_t)(int64_t)-1)

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
	case VENDOR_HYP_CALL_UID:
	case VENDOR_HYP_REVISION:
		return true;
	default:
		return psci_is_supported(function_id);
	}
}

void
smccc_service(vcpu_t *vcpu, trap_frame_t *frame)
{
	uint32_t function_id = (uint32_t)frame->x[0];
	if (psci_handle(vcpu, frame)) {
		return;
	}
	switch (function_id) {
	case SMCCC_VERSION:
		frame->x[0] = SMCCC_VERSION_1_1;
		return;
	case SMCCC_ARCH_FEATURES:
		/* The Spectre workaround IDs (0x8000xxxx) are not offered: not supported. */
		frame->x[0] = is_supported((uint32_t)frame->x[1]) ? 0U : SMCCC_NOT_SUPPORTED;
		return;
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
		frame->x[0] = SMCCC_NOT_SUPPORTED;
		return;
	}
}
