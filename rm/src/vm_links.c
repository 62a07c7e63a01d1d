/* vm_links.c - the RM's channels to and between VMs: each guest VM's RM RPC queue pair and the
 * config's links (/ipc), created, given to each end's cspace, bound to its vic, and written
 * into its staged device tree (the cap placeholders the build left there). */
#include <stdint.h>

#include "bothy_hypercalls.h"
#include "bothy_objects.h"
#include "fdt.h"
#include "format.h"
#include "guest.h"
#include "rm_rpc_abi.h"
#include "rpc_server.h"
#include "util_string.h"
#include "vm_build.h"
#include "vm_registry.h"

#define LINK_MAX_NODE 64U
#define MAX_LINKS 64U
/* memextent_mapping_attrs: user access [2:0], kernel access [6:4], normal write-back [23:16]. */

static unsigned failures;

static bool
ok(error_t err, const char *who, const char *what)
{
	if (err != OK) {
		guest_printf("%s: %s failed: error %d\n", who, what, (int)err);
		failures++;
	}
	return err == OK;
}

static const void *
rm_prop(const char *path, const char *prop, size_t *len)
{
	const root_boot_info_t *boot = rm_boot_info();
	const void *v;
	if (fdt_get_prop((const void *)(uintptr_t)boot->dtb_ipa, boot->dtb_size, path, prop, &v,
			 len) != OK) {
		return NULL;
	}
	return v;
}

static bool
new_msgqueue(uint32_t depth, uint32_t msg_size, cap_id_t *out, const char *who)
{
	const root_boot_info_t *boot = rm_boot_info();
	hypercall_partition_create_msgqueue_result_t q =
		bothy_partition_create_msgqueue(boot->partition_cap, boot->cspace_cap);
	if (!ok(q.error, who, "message queue creation") ||
	    !ok(bothy_msgqueue_configure(q.new_cap, MSGQUEUE_CREATE_INFO(depth, msg_size)).error, who,
		"msgqueue_configure") ||
	    !ok(bothy_object_activate(q.new_cap).error, who, "message queue activation")) {
		return false;
	}
	*out = q.new_cap;
	return true;
}

/* A copy of the RM's `cap` in VM `to`'s cspace with only `rights`. */
static bool
give(cap_id_t cap, const vm_record_t *to, uint32_t rights, cap_id_t *out)
{
	hypercall_cspace_copy_cap_from_result_t c =
		bothy_cspace_copy_cap_from(rm_boot_info()->cspace_cap, cap, to->caps.cspace, rights);
	if (!ok(c.error, to->desc.name, "cap copy")) {
		return false;
	}
	*out = c.new_cap;
	return true;
}

/* Overwrites the placeholder caps of `node` in VM `r`'s staged tree with `caps`. */
static bool
patch_caps(const vm_record_t *r, const char *node, const cap_id_t *caps, unsigned n)
{
	uint8_t value[16];
	void *dtb = rm_staged_dtb(r);
	if (dtb == NULL || n > 2U) {
		return ok(ERROR_ARGUMENT_INVALID, r->desc.name, "device-tree patch (no staged tree)");
	}
	for (unsigned i = 0; i < n; i++) {
		fdt_put_cell64(value + 8U * i, caps[i]);
	}
	error_t err = fdt_set_prop_inplace(dtb, r->desc.dtb_size, node, "reg", value, 8U * n);
	if (err != OK) {
		guest_printf("VM '%s': cannot write the caps into %s/reg: error %d\n", r->desc.name,
			     node, (int)err);
		failures++;
	}
	return err == OK;
}

static void
add_resource(const vm_record_t *r, uint8_t type, uint16_t partner, uint32_t label, cap_id_t cap,
	     uint32_t virq)
{
	rm_vm_t *vm = rm_vm_lookup((uint16_t)r->desc.vmid);
	rm_hyp_resource_t res = { .type = type, .partner_vmid = partner, .label = label,
				  .cap = cap, .virq = virq };
	if (vm != NULL) {
		(void)ok(rm_vm_add_resource(vm, &res), r->desc.name, "resource record");
	}
}

/* A queue pair between the two ends: `a_to_b` and `b_to_a` exist; each end gets a send cap
 * to its outgoing queue and a receive cap to its incoming one, bound to its INTIDs. */
static bool
give_queue_pair(const vm_record_t *vm, cap_id_t out_q, cap_id_t in_q, const uint32_t irqs[2],
		cap_id_t caps[2])
{
	return give(out_q, vm, CAP_RIGHTS_MSGQUEUE_SEND, &caps[0]) &&
	       give(in_q, vm, CAP_RIGHTS_MSGQUEUE_RECEIVE, &caps[1]) &&
	       ok(bothy_msgqueue_bind_send_virq(out_q, vm->caps.vic, irqs[0]).error, vm->desc.name,
		  "binding the send interrupt") &&
	       ok(bothy_msgqueue_bind_receive_virq(in_q, vm->caps.vic, irqs[1]).error,
		  vm->desc.name, "binding the receive interrupt");
}

unsigned
rm_link_rpc(vm_record_t *r)
{
	failures = 0;
	const char *who = r->desc.name;
	cap_id_t to_rm, from_rm, caps[2];
	rpc_client_t *rpc;
	rm_vm_t *vm = rm_vm_lookup((uint16_t)r->desc.vmid);
	if (vm == NULL || r->desc.rm_rpc_node == NULL ||
	    !new_msgqueue(RM_QUEUE_DEPTH, RM_RPC_MESSAGE_SIZE, &to_rm, who) ||
	    !new_msgqueue(RM_QUEUE_DEPTH, RM_RPC_MESSAGE_SIZE, &from_rm, who) ||
	    !give_queue_pair(r, to_rm, from_rm, r->desc.rm_rpc_irqs, caps) ||
	    !ok(rm_rpc_serve((uint16_t)r->desc.vmid, to_rm, from_rm, &rpc), who,
		"serving RM RPC") ||
	    !patch_caps(r, r->desc.rm_rpc_node, caps, 2U)) {
		if (failures == 0U) {
			guest_printf("VM '%s': no RM RPC link (not registered, or no node)\n", who);
		}
		return failures == 0U ? 1U : failures;
	}
	vm->rpc = rpc;
	guest_printf("VM '%s': RM RPC queues: TX cap 0x%lx (INTID %u), RX cap 0x%lx (INTID %u)\n",
		     who, caps[0], r->desc.rm_rpc_irqs[0], caps[1], r->desc.rm_rpc_irqs[1]);
	add_resource(r, RM_HYP_RESOURCE_TYPE_MSG_QUEUE_SEND, RM_VMID_RM, 0, caps[0],
		     r->desc.rm_rpc_irqs[0]);
	add_resource(r, RM_HYP_RESOURCE_TYPE_MSG_QUEUE_RECV, RM_VMID_RM, 0, caps[1],
		     r->desc.rm_rpc_irqs[1]);
	return 0;
}

/* The n-th string of a device-tree string list, or NULL. */
static const char *
nth_string(const char *list, size_t len, unsigned n)
{
	size_t at = 0;
	for (unsigned i = 0; i < n && at < len; i++) {
		at += strlen(list + at) + 1U;
	}
	return at < len ? list + at : NULL;
}

typedef struct {
	const char *name, *kind;
	vm_record_t *ends[2];
	const char *nodes[2];
	uint32_t irqs[4];
	uint32_t label;
	const uint8_t *queue, *memory, *access; /* raw cells, by kind */
} link_desc_t;

static bool
read_link(uint32_t label, link_desc_t *l)
{
	char path[24];
	format_buf(path, sizeof(path), "/ipc/link@%x", label);
	size_t len, nodes_len, vmids_len, irqs_len = 0;
	*l = (link_desc_t){ .label = label };
	l->kind = rm_prop(path, "bothy,kind", &len);
	if (l->kind == NULL) {
		return false;
	}
	l->name = rm_prop(path, "bothy,name", &len);
	const uint8_t *vmids = rm_prop(path, "bothy,vmids", &vmids_len);
	const char *nodes = rm_prop(path, "bothy,nodes", &nodes_len);
	const uint8_t *irqs = rm_prop(path, "bothy,irqs", &irqs_len);
	l->queue = rm_prop(path, "bothy,queue", &len);
	l->memory = rm_prop(path, "bothy,memory", &len);
	l->access = rm_prop(path, "bothy,access", &len);
	for (unsigned i = 0; i < 2U && vmids != NULL && vmids_len == 8U && nodes != NULL; i++) {
		l->ends[i] = rm_built_vm(fdt_cell(vmids + 4U * i));
		l->nodes[i] = nth_string(nodes, nodes_len, i);
	}
	for (unsigned i = 0; irqs != NULL && i < irqs_len / 4U && i < 4U; i++) {
		l->irqs[i] = fdt_cell(irqs + 4U * i);
	}
	return true;
}

static void
link_queue_pair(const link_desc_t *l)
{
	cap_id_t a_to_b, b_to_a, caps[2];
	uint32_t depth = fdt_cell(l->queue), size = fdt_cell(l->queue + 4);
	if (!new_msgqueue(depth, size, &a_to_b, l->name) ||
	    !new_msgqueue(depth, size, &b_to_a, l->name)) {
		return;
	}
	for (unsigned i = 0; i < 2U; i++) {
		const vm_record_t *me = l->ends[i], *peer = l->ends[1U - i];
		cap_id_t out = i == 0U ? a_to_b : b_to_a, in = i == 0U ? b_to_a : a_to_b;
		if (!give_queue_pair(me, out, in, &l->irqs[2U * i], caps) ||
		    !patch_caps(me, l->nodes[i], caps, 2U)) {
			return;
		}
		uint16_t partner = (uint16_t)peer->desc.vmid;
		add_resource(me, RM_HYP_RESOURCE_TYPE_MSG_QUEUE_SEND, partner, l->label, caps[0],
			     l->irqs[2U * i]);
		add_resource(me, RM_HYP_RESOURCE_TYPE_MSG_QUEUE_RECV, partner, l->label, caps[1],
			     l->irqs[2U * i + 1U]);
	}
}

static void
link_doorbell(const link_desc_t *l)
{
	const root_boot_info_t *boot = rm_boot_info();
	const vm_record_t *sender = l->ends[0], *receiver = l->ends[1];
	hypercall_partition_create_doorbell_result_t db =
		bothy_partition_create_doorbell(boot->partition_cap, boot->cspace_cap);
	cap_id_t send_cap, receive_cap;
	if (!ok(db.error, l->name, "doorbell creation") ||
	    !ok(bothy_object_activate(db.new_cap).error, l->name, "doorbell activation") ||
	    !give(db.new_cap, sender, CAP_RIGHTS_DOORBELL_SEND, &send_cap) ||
	    !give(db.new_cap, receiver, CAP_RIGHTS_DOORBELL_RECEIVE, &receive_cap) ||
	    !ok(bothy_doorbell_bind_virq(db.new_cap, receiver->caps.vic, l->irqs[0]).error, l->name,
		"binding the doorbell interrupt") ||
	    !patch_caps(sender, l->nodes[0], &send_cap, 1U) ||
	    !patch_caps(receiver, l->nodes[1], &receive_cap, 1U)) {
		return;
	}
	add_resource(sender, RM_HYP_RESOURCE_TYPE_DOORBELL_SRC, (uint16_t)receiver->desc.vmid,
		     l->label, send_cap, 0);
	add_resource(receiver, RM_HYP_RESOURCE_TYPE_DOORBELL, (uint16_t)sender->desc.vmid,
		     l->label, receive_cap, l->irqs[0]);
}

static void
link_shared_memory(const link_desc_t *l)
{
	const root_boot_info_t *boot = rm_boot_info();
	uint64_t base = fdt_cell64(l->memory), size = fdt_cell64(l->memory + 8);
	hypercall_partition_create_memextent_result_t me =
		bothy_partition_create_memextent(boot->partition_cap, boot->cspace_cap);
	if (!ok(me.error, l->name, "memextent creation") ||
	    !ok(bothy_memextent_configure(me.new_cap, base, size, 0).error, l->name,
		"memextent_configure") ||
	    !ok(bothy_object_activate(me.new_cap).error, l->name, "memextent activation")) {
		return;
	}
	for (unsigned i = 0; i < 2U; i++) {
		/* Gunyah's access bits (R 4, W 2, X 1), never execute: shared memory is data. */
		uint32_t access = fdt_cell(l->access + 4U * i) & ~PGTABLE_ACCESS_X;
		uint32_t attrs =
		    MEMEXTENT_MAPPING_ATTRS(access, access, PGTABLE_VM_MEMTYPE_NORMAL_WB);
		(void)ok(bothy_addrspace_map(l->ends[i]->caps.addrspace, me.new_cap, base, attrs, 0,
					     0, size).error,
			 l->ends[i]->desc.name, "mapping shared memory");
	}
}

unsigned
rm_link_vms(void)
{
	failures = 0;
	link_desc_t l;
	for (uint32_t label = 0; label < MAX_LINKS && read_link(label, &l); label++) {
		if (l.name == NULL || l.ends[0] == NULL || l.ends[1] == NULL ||
		    l.nodes[0] == NULL || l.nodes[1] == NULL) {
			guest_printf("link %u: incomplete description, or a VM not built: skipped\n",
				     label);
			failures++;
			continue;
		}
		if (strcmp(l.kind, "msgqueue_pair") == 0 && l.queue != NULL) {
			link_queue_pair(&l);
		} else if (strcmp(l.kind, "doorbell") == 0) {
			link_doorbell(&l);
		} else if (strcmp(l.kind, "shared_memory") == 0 && l.memory != NULL &&
			   l.access != NULL) {
			link_shared_memory(&l);
		} else {
			guest_printf("link '%s': unknown kind '%s'\n", l.name, l.kind);
			failures++;
			continue;
		}
		guest_printf("link '%s' (%s): %s <-> %s\n", l.name, l.kind, l.ends[0]->desc.name,
			     l.ends[1]->desc.name);
	}
	return failures;
}
