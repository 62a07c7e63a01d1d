/* virq.h - the ABI test guest's end-to-end interrupt checks (virq.c), called from main.c with
 * the caps the hypervisor handed over at boot. */
#pragma once

#include "bothy_abi.h"

/* Message-queue and doorbell vIRQs bound to the root VM's own vic (`vic`), taken by this
 * vCPU through lib/guest's GIC driver: polled, then through the IRQ vector. */
void test_virq_delivery(cap_id_t partition, cap_id_t cspace, cap_id_t vic);
