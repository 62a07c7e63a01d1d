/* vdevice.c - reads a VM's link ends out of its device tree: each child of /hypervisor by
 * compatible string, with its caps, INTIDs, queue sizes, peer and shared region. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fdt.h"
#include "format.h"
#include "guest.h"
#include "util_string.h"
#include "vdevice.h"

#define HYPERVISOR_PATH "/hypervisor"
#define RESERVED_MEMORY_PATH "/reserved-memory"
#define VM_ID_PATH "/hypervisor/qcom,gunyah-vm"
#define RM_LINK_PATH "/hypervisor/gunyah-resource-mgr@0"
#define PATH_MAX_LEN 96U

/* The GICv3 binding's interrupt specifier: <type number flags>; type 0 is an SPI (INTID =
 * number + 32), type 1 a PPI (INTID = number + 16). */
#define DT_IRQ_CELLS 3U
#define DT_IRQ_TYPE_SPI 0U
#define DT_IRQ_TYPE_PPI 1U
#define DT_SPI_FIRST_INTID 32U
#define DT_PPI_FIRST_INTID 16U

typedef struct {
	const void *fdt;
	size_t size;
	char path[PATH_MAX_LEN];
} node_t;

static error_t
prop(const node_t *n, const char *name, const void **value, size_t *len)
{
	return fdt_get_prop(n->fdt, n->size, n->path, name, value, len);
}

/* A one-cell property; ERROR_OBJECT_CONFIG if it is missing or not one cell. */
static error_t
prop_u32(const node_t *n, const char *name, uint32_t *out)
{
	const void *v;
	size_t len;
	if (prop(n, name, &v, &len) != OK || len != 4U) {
		return ERROR_OBJECT_CONFIG;
	}
	*out = fdt_cell(v);
	return OK;
}

/* Whether the node's compatible list starts with `first` (the list's most specific entry). */
static bool
compatible_is(const node_t *n, const char *first)
{
	const void *v;
	size_t len;
	if (prop(n, "compatible", &v, &len) != OK) {
		return false;
	}
	size_t flen = strlen(first);
	return len > flen && memcmp(v, first, flen + 1U) == 0;
}

/* `count` caps from `reg` (two cells each, #address-cells = 2 under /hypervisor). */
static error_t
read_caps(const node_t *n, cap_id_t *caps, size_t count)
{
	const void *v;
	size_t len;
	if (prop(n, "reg", &v, &len) != OK || len != count * 8U) {
		return ERROR_OBJECT_CONFIG;
	}
	for (size_t i = 0; i < count; i++) {
		caps[i] = fdt_cell64((const uint8_t *)v + 8U * i);
	}
	return OK;
}

static error_t
read_intids(const node_t *n, uint32_t *intids, size_t count)
{
	const void *v;
	size_t len;
	if (prop(n, "interrupts", &v, &len) != OK || len != count * DT_IRQ_CELLS * 4U) {
		return ERROR_OBJECT_CONFIG;
	}
	for (size_t i = 0; i < count; i++) {
		const uint8_t *spec = (const uint8_t *)v + i * DT_IRQ_CELLS * 4U;
		uint32_t type = fdt_cell(spec), number = fdt_cell(spec + 4);
		if (type == DT_IRQ_TYPE_SPI) {
			intids[i] = number + DT_SPI_FIRST_INTID;
		} else if (type == DT_IRQ_TYPE_PPI) {
			intids[i] = number + DT_PPI_FIRST_INTID;
		} else {
			return ERROR_OBJECT_CONFIG;
		}
	}
	return OK;
}

/* Queue depths and sizes of a pair (the RM link's or a link's). */
static error_t
read_queue_sizes(const node_t *n, vdevice_t *d)
{
	if (prop_u32(n, "qcom,tx-queue-depth", &d->tx_depth) != OK ||
	    prop_u32(n, "qcom,rx-queue-depth", &d->rx_depth) != OK ||
	    prop_u32(n, "qcom,tx-message-size", &d->tx_msg_size) != OK ||
	    prop_u32(n, "qcom,rx-message-size", &d->rx_msg_size) != OK) {
		return ERROR_OBJECT_CONFIG;
	}
	return OK;
}

/* A queue pair's node (a link's or the RM's): TX then RX cap, interrupt and queue sizes. */
static error_t
read_queue_pair(const node_t *n, vdevice_t *d)
{
	cap_id_t caps[2];
	uint32_t irqs[2];
	error_t err = read_caps(n, caps, 2);
	err = err == OK ? read_intids(n, irqs, 2) : err;
	err = err == OK ? read_queue_sizes(n, d) : err;
	d->tx_cap = caps[0];
	d->rx_cap = caps[1];
	d->tx_intid = irqs[0];
	d->rx_intid = irqs[1];
	return err;
}

/* The region of the /reserved-memory node whose phandle is `phandle`. */
static error_t
reserved_region(const node_t *n, uint32_t phandle, vdevice_t *d)
{
	const char *child;
	for (unsigned i = 0; fdt_child(n->fdt, n->size, RESERVED_MEMORY_PATH, i, &child) == OK; i++) {
		node_t r = { n->fdt, n->size, { 0 } };
		(void)format_buf(r.path, sizeof(r.path), "%s/%s", RESERVED_MEMORY_PATH, child);
		uint32_t ph;
		const void *reg;
		size_t len;
		if (prop_u32(&r, "phandle", &ph) != OK || ph != phandle) {
			continue;
		}
		/* #address-cells = #size-cells = 2 there. */
		if (prop(&r, "reg", &reg, &len) != OK || len != 16U) {
			return ERROR_OBJECT_CONFIG;
		}
		d->base = fdt_cell64(reg);
		d->size = fdt_cell64((const uint8_t *)reg + 8);
		return OK;
	}
	return ERROR_OBJECT_CONFIG;
}

static error_t
read_link(const node_t *n, vdevice_t *d)
{
	const void *v;
	size_t len;
	uint32_t peer;
	if (prop(n, "label", &v, &len) != OK || len == 0U || ((const char *)v)[len - 1U] != '\0' ||
	    prop_u32(n, "qcom,label", &d->label) != OK ||
	    prop_u32(n, "qcom,peer-vmid", &peer) != OK) {
		return ERROR_OBJECT_CONFIG;
	}
	d->name = v;
	d->peer_vmid = (uint16_t)peer;
	if (compatible_is(n, "qcom,gunyah-message-queue")) {
		d->kind = VDEVICE_MSGQ_PAIR;
		return read_queue_pair(n, d);
	}
	if (compatible_is(n, "qcom,gunyah-doorbell-source")) {
		d->kind = VDEVICE_DOORBELL_SOURCE;
		return read_caps(n, &d->tx_cap, 1);
	}
	if (compatible_is(n, "qcom,gunyah-doorbell")) {
		d->kind = VDEVICE_DOORBELL;
		error_t err = read_caps(n, &d->rx_cap, 1);
		return err == OK ? read_intids(n, &d->rx_intid, 1) : err;
	}
	if (compatible_is(n, "qcom,shared-memory")) {
		d->kind = VDEVICE_SHARED_MEMORY;
		uint32_t phandle;
		if (prop_u32(n, "memory-region", &phandle) != OK ||
		    prop(n, "bothy,access", &v, &len) != OK) {
			return ERROR_OBJECT_CONFIG;
		}
		if (len == 3U && memcmp(v, "rw", 3) == 0) {
			d->writable = true;
		} else if (len != 2U || memcmp(v, "r", 2) != 0) {
			return ERROR_OBJECT_CONFIG;
		}
		return reserved_region(n, phandle, d);
	}
	return ERROR_OBJECT_CONFIG;
}

static error_t
read_rm_link(const node_t *n, vdevice_t *d)
{
	d->kind = VDEVICE_RM_RPC;
	d->name = "";
	return read_queue_pair(n, d);
}

/* Children of /hypervisor that are not link ends: the VM-ID node. */
static bool
is_end(const node_t *n)
{
	return !compatible_is(n, "qcom,gunyah-vm-id-1.0");
}

error_t
vdevice_at(unsigned index, vdevice_t *out)
{
	node_t n = { 0 };
	n.fdt = guest_dtb(&n.size);
	const char *child;
	unsigned seen = 0;
	for (unsigned i = 0; fdt_child(n.fdt, n.size, HYPERVISOR_PATH, i, &child) == OK; i++) {
		(void)format_buf(n.path, sizeof(n.path), "%s/%s", HYPERVISOR_PATH, child);
		if (!is_end(&n) || seen++ != index) {
			continue;
		}
		memset(out, 0, sizeof(*out));
		return compatible_is(&n, "gunyah-resource-manager") ? read_rm_link(&n, out)
								      : read_link(&n, out);
	}
	return ERROR_ARGUMENT_INVALID;
}

error_t
vdevice_find(const char *name, vdevice_t *out)
{
	vdevice_t d;
	for (unsigned i = 0; vdevice_at(i, &d) != ERROR_ARGUMENT_INVALID; i++) {
		if (d.name != NULL && strcmp(d.name, name) == 0 && d.kind != VDEVICE_RM_RPC) {
			return vdevice_at(i, out); /* again, for its error if it is malformed */
		}
	}
	return ERROR_ARGUMENT_INVALID;
}

error_t
vdevice_rm_link(vdevice_t *out)
{
	node_t n = { 0 };
	n.fdt = guest_dtb(&n.size);
	(void)format_buf(n.path, sizeof(n.path), "%s", RM_LINK_PATH);
	memset(out, 0, sizeof(*out));
	return read_rm_link(&n, out);
}

error_t
vdevice_own_vmid(uint16_t *vmid)
{
	node_t n = { 0 };
	n.fdt = guest_dtb(&n.size);
	(void)format_buf(n.path, sizeof(n.path), "%s", VM_ID_PATH);
	uint32_t v;
	error_t err = prop_u32(&n, "qcom,vmid", &v);
	*vmid = (uint16_t)v;
	return err;
}
