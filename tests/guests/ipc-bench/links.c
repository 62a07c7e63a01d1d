/* links.c - finds the IPC benchmark guest's caps, INTIDs and shared page in its device tree,
 * where the build put the nodes and the RM wrote the caps (docs/config.md, "Links"). */
#include <stddef.h>
#include <stdint.h>

#include "fdt.h"
#include "guest.h"
#include "links.h"

#define GIC_SPI_BASE 32U
#define CELLS_PER_INTERRUPT 3U

static const void *
prop(const char *node, const char *name, size_t want_len)
{
	size_t size, len;
	const void *dtb = guest_dtb(&size);
	const void *v;
	if (fdt_get_prop(dtb, size, node, name, &v, &len) != OK || len < want_len) {
		guest_printf("ipc-bench: %s: no %s of %zu bytes\n", node, name, want_len);
		guest_fail("device tree without the benchmark's links");
	}
	return v;
}

/* The INTID of a GIC SPI specifier (<0 spi flags>) at `index` of `node`'s interrupts. */
static uint32_t
spi(const char *node, unsigned index)
{
	const uint8_t *cells = prop(node, "interrupts", 12U * (index + 1U));
	return fdt_cell(cells + 4U * (CELLS_PER_INTERRUPT * index + 1U)) + GIC_SPI_BASE;
}

static void
queue_end(const char *node, queue_end_t *q)
{
	const uint8_t *reg = prop(node, "reg", 16);
	q->tx = fdt_cell64(reg);
	q->rx = fdt_cell64(reg + 8);
	q->tx_irq = spi(node, 0);
	q->rx_irq = spi(node, 1);
}

static void
bell_end(const char *node, bell_end_t *b, bool receiver)
{
	b->cap = fdt_cell64(prop(node, "reg", 8));
	b->irq = receiver ? spi(node, 0) : 0U;
}

void
links_read(links_t *l)
{
	l->vmid = fdt_cell(prop("/hypervisor/qcom,gunyah-vm", "qcom,vmid", 4));
	queue_end("/hypervisor/gunyah-resource-mgr@0", &l->rm);
	queue_end("/hypervisor/chan@1", &l->chan);
	/* bell: ping rings pong; bellback: pong rings ping (the primary is ping). */
	bool ping = l->vmid == 3U;
	bell_end("/hypervisor/bell@2", &l->bell, !ping);
	bell_end("/hypervisor/bellback@3", &l->bellback, ping);
	/* The shared page, which the RM mapped at IPA = PA in both VMs. */
	const uint8_t *memory = prop("/hypervisor/stamps", "bothy,memory", 16);
	l->stamps = (volatile uint64_t *)(uintptr_t)fdt_cell64(memory);
}
