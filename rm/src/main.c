/* main.c - the resource manager's start: report what the hypervisor handed over, run the
 * hypercall self-test, build the VMs the config describes, then wait for requests. */
#include <stdint.h>

#include "bothy_hypercalls.h"
#include "build_info.h"
#include "gic.h"
#include "guest.h"
#include "rm.h"
#include "root_boot_info.h"
#include "rpc_server.h"

void
guest_main(const root_boot_info_t *info)
{
	guest_printf("bothy resource manager %s (revision %s)\n", BOTHY_VERSION, BOTHY_REVISION);
	guest_printf("root VM: memory 0x%lx-0x%lx, %u vCPU(s), %u physical CPU(s), DTB at 0x%lx\n",
		  info->mem_base, info->mem_base + info->mem_size, info->vcpu_count,
		  info->cpu_count, info->dtb_ipa);
	rm_inject_start(info);
	if (gic_init() != OK) {
		guest_fail("no virtual GIC: the RM cannot take its clients' interrupts");
	}
	if (rm_selftest(info) != 0U) {
		guest_fail("self-test failures: stopping with a failure status");
	}
	unsigned started = 0;
	if (rm_build_vms(info, &started) != OK) {
		guest_fail("VM set-up failed: stopping with a failure status");
	}
	if (started == 0U) {
		guest_printf("no VMs to run: powering off\n");
		return;
	}
	/* The RM's work is done until a VM asks for something: wait for an interrupt, which
	 * blocks this vCPU in the hypervisor and gives its CPU to the guests. The hypervisor
	 * also wakes the RM without one when a VM stops. */
	for (;;) {
		uint32_t intid = gic_wait();
		if (intid == GIC_INTID_NONE) {
			rm_rpc_poll();
		} else {
			if (!rm_rpc_interrupt(intid)) {
				guest_printf("unexpected interrupt %u\n", intid);
			}
			gic_eoi(intid);
		}
		/* After the replies: a stop may come with an interrupt pending as well. Its
		 * notifications may wait for room on an owner's queue. */
		rm_watch_vms();
		rm_rpc_settle();
	}
}
