/* hwirq_calls.c - hwirq_bind_virq and hwirq_unbind_virq: the RM passes a physical SPI
 * through to a VM (bind_vic right on the hwirq, bind_source on the vic). */
#include "cspace.h"
#include "hypercall_handlers.h"
#include "objects/hwirq.h"
#include "vm.h"

hypercall_hwirq_bind_virq_result_t
hypercall_hwirq_bind_virq(cap_id_t hwirq, cap_id_t vic, uint32_t virq)
{
	object_header_t *h;
	error_t err = object_lookup_active(hwirq, OBJECT_TYPE_HWIRQ, CAP_RIGHTS_HWIRQ_BIND_VIC, &h);
	if (err != OK) {
		return (hypercall_hwirq_bind_virq_result_t){ .error = err };
	}
	object_header_t *v;
	err = cspace_lookup(caller_cspace(), vic, OBJECT_TYPE_VIC, CAP_RIGHTS_VIC_BIND_SOURCE, &v);
	if (err == OK) {
		err = hwirq_bind((hwirq_t *)h, (vic_t *)v, virq);
		object_put(v); /* a bound source holds its own reference */
	}
	object_put(h);
	return (hypercall_hwirq_bind_virq_result_t){ .error = err };
}

hypercall_hwirq_unbind_virq_result_t
hypercall_hwirq_unbind_virq(cap_id_t hwirq)
{
	object_header_t *h;
	error_t err = object_lookup_active(hwirq, OBJECT_TYPE_HWIRQ, CAP_RIGHTS_HWIRQ_BIND_VIC, &h);
	if (err == OK) {
		err = hwirq_unbind((hwirq_t *)h);
		object_put(h);
	}
	return (hypercall_hwirq_unbind_virq_result_t){ .error = err };
}
