/* identify.c - hypervisor_identify: Gunyah API version 1, 64-bit, little-endian, and the
 * interface flags of what bothy really implements. */
#include "hypercall_handlers.h"

#define HYP_API_VERSION 1UL
#define HYP_API_IS_64BIT (1UL << 15)
#define HYP_API_VARIANT_GUNYAH (0x48UL << 56)
#define HYP_API_FLAGS0_PARTITION_CSPACE (1UL << 0)
#define HYP_API_FLAGS0_DOORBELL (1UL << 1)
#define HYP_API_FLAGS0_MSGQUEUE (1UL << 2)

hypercall_hypervisor_identify_result_t
hypercall_hypervisor_identify(void)
{
	return (hypercall_hypervisor_identify_result_t){
		.hyp_api_info = HYP_API_VERSION | HYP_API_IS_64BIT | HYP_API_VARIANT_GUNYAH,
		/* One bit per interface (doorbell, msgqueue, vic, vcpu, memextent, ...), set only
		 * once that interface is implemented: claiming one early misleads Gunyah's drivers. */
		.api_flags_0 = HYP_API_FLAGS0_PARTITION_CSPACE | HYP_API_FLAGS0_DOORBELL |
			       HYP_API_FLAGS0_MSGQUEUE,
		.api_flags_1 = 0,
		.api_flags_2 = 0,
	};
}
