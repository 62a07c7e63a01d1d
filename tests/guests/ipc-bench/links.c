/* links.c - the IPC benchmark guest's caps, INTIDs and shared page, found through the guest
 * library's view of its device tree (vdevice.h) by the link names bothy.bench gives them. */
#include <stdint.h>

#include "guest.h"
#include "links.h"
#include "vdevice.h"

static vdevice_t
find(const char *name)
{
	vdevice_t v;
	if (vdevice_find(name, &v) != OK) {
		guest_printf("ipc-bench: no link '%s' in the device tree\n", name);
		guest_fail("device tree without the benchmark's links");
	}
	return v;
}

static queue_end_t
queue_end(const vdevice_t *v)
{
	return (queue_end_t){ .tx = v->tx_cap, .rx = v->rx_cap, .tx_irq = v->tx_intid,
			      .rx_irq = v->rx_intid };
}

/* A doorbell's cap is `tx` for its source, `rx` for its receiver (vdevice.h). */
static bell_end_t
bell_end(const vdevice_t *v)
{
	bool receiver = v->kind == VDEVICE_DOORBELL;
	return (bell_end_t){ .cap = receiver ? v->rx_cap : v->tx_cap,
			     .irq = receiver ? v->rx_intid : 0U };
}

void
links_read(links_t *l)
{
	uint16_t vmid;
	vdevice_t rm;
	if (vdevice_own_vmid(&vmid) != OK || vdevice_rm_link(&rm) != OK) {
		guest_fail("device tree without the VM's VMID or RM link");
	}
	l->vmid = vmid;
	l->rm = queue_end(&rm);
	vdevice_t chan = find("chan"), bell = find("bell"), back = find("bellback");
	vdevice_t stamps = find("stamps");
	l->chan = queue_end(&chan);
	l->bell = bell_end(&bell);
	l->bellback = bell_end(&back);
	/* The shared page, which the RM mapped at IPA = PA in both VMs. */
	l->stamps = (volatile uint64_t *)(uintptr_t)stamps.base;
}
