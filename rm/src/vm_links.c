/* vm_links.c - the RM's channels to and between VMs: each guest VM's RM RPC queue pair and the
 * config's links (/ipc), created, given to each end's cspace, bound to its vic, and written
 * into its staged device tree (the cap placeholders the build left there). */
#include <stdint.h>

#include "bothy_hypercalls.h"
#include "bothy_objects.h"
#include "fdt.h"
#include "format.h"
#include "guest.h"
#include "rm.h"
#include "rm_rpc_abi.h"
#include "rpc_server.h"
#include "util_string.h"
#include "vm_registry.h"

#define LINK_MAX_NODE 64U
#define MAX_LINKS 64U
#define MADE_MAX 8U /* caps one link creates at most: a queue pair's 2 queues and 4 copies */

/* What one link has created so far, oldest first: each cap and the cspace it is in (the RM's,
 * or an end's for the copies given to it), and how many resources each end had recorded
 * before. release() is this module's one cleanup path. */
typedef struct {
	struct {
		cap_id_t cspace, cap;
	} caps[MADE_MAX];
	unsigned count;
	rm_vm_t *ends[2];
	unsigned resources_before[2];
} made_t;

static void
made_init(made_t *m, rm_vm_t *a, rm_vm_t *b)
{
	*m = (made_t){ .ends = { a, b } };
	for (unsigned i = 0; i < 2U; i++) {
		m->resources_before[i] = m->ends[i] == NULL ? 0U : m->ends[i]->resource_count;
	}
}

static error_t
made_add(made_t *m, cap_id_t cspace, cap_id_t cap)
{
	if (m->count == MADE_MAX) {
		(void)bothy_cspace_delete_cap_from(cspace, cap);
		return ERROR_NORESOURCES;
	}
	m->caps[m->count].cspace = cspace;
	m->caps[m->count].cap = cap;
	m->count++;
	return OK;
}

/* Deletes what the link created, newest first (its objects go with their last cap, and with
 * them their interrupt bindings and mappings), and forgets the resources it recorded. */
static void
release(made_t *m)
{
	while (m->count > 0U) {
		m->count--;
		error_t err = bothy_cspace_delete_cap_from(m->caps[m->count].cspace,
							   m->caps[m->count].cap).error;
		if (err != OK) {
			rm_report("link cleanup", NULL, "deleting a cap", err);
		}
	}
	for (unsigned i = 0; i < 2U; i++) {
		if (m->ends[i] != NULL) {
			m->ends[i]->resource_count = m->resources_before[i];
		}
	}
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

static error_t
new_msgqueue(made_t *m, uint32_t depth, uint32_t msg_size, cap_id_t *out, const char **step)
{
	const root_boot_info_t *boot = rm_boot_info();
	hypercall_partition_create_msgqueue_result_t q =
		bothy_partition_create_msgqueue(boot->partition_cap, boot->cspace_cap);
	RM_STEP(step, "message queue creation", q.error);
	RM_STEP(step, "message queue creation", made_add(m, boot->cspace_cap, q.new_cap));
	RM_STEP(step, "msgqueue_configure",
		bothy_msgqueue_configure(q.new_cap, MSGQUEUE_CREATE_INFO(depth, msg_size)).error);
	RM_STEP(step, "message queue activation", bothy_object_activate(q.new_cap).error);
	*out = q.new_cap;
	return OK;
}

/* A copy of the RM's `cap` in VM `to`'s cspace with only `rights`. */
static error_t
give(made_t *m, cap_id_t cap, const rm_vm_t *to, uint32_t rights, cap_id_t *out,
     const char **step)
{
	hypercall_cspace_copy_cap_from_result_t c =
		bothy_cspace_copy_cap_from(rm_boot_info()->cspace_cap, cap, to->caps.cspace, rights);
	RM_STEP(step, "cap copy", c.error);
	RM_STEP(step, "cap copy", made_add(m, to->caps.cspace, c.new_cap));
	*out = c.new_cap;
	return OK;
}

/* Overwrites the placeholder caps of `node` in VM `vm`'s staged tree with `caps`. */
static error_t
patch_caps(const rm_vm_t *vm, const char *node, const cap_id_t *caps, unsigned n,
	   const char **step)
{
	uint8_t value[16];
	void *dtb = rm_staged_dtb(vm);
	if (dtb == NULL || n > 2U) {
		*step = "device-tree patch (no staged tree)";
		return ERROR_ARGUMENT_INVALID;
	}
	for (unsigned i = 0; i < n; i++) {
		fdt_put_cell64(value + 8U * i, caps[i]);
	}
	RM_STEP(step, "writing the caps into its device tree",
		fdt_set_prop_inplace(dtb, vm->desc.dtb_size, node, "reg", value, 8U * n));
	return OK;
}

static error_t
add_resource(rm_vm_t *vm, uint8_t type, vmid_t partner, uint32_t label, cap_id_t cap,
	     uint32_t virq, const char **step)
{
	rm_hyp_resource_t res = { .type = type, .partner_vmid = partner, .label = label,
				  .cap = cap, .virq = virq };
	RM_STEP(step, "recording its hypervisor resources", rm_vm_add_resource(vm, &res));
	return OK;
}

/* A queue pair between the two ends: `out_q` and `in_q` exist; the end gets a send cap to
 * its outgoing queue and a receive cap to its incoming one, bound to its INTIDs. */
static error_t
give_queue_pair(made_t *m, const rm_vm_t *vm, cap_id_t out_q, cap_id_t in_q,
		const uint32_t irqs[2], cap_id_t caps[2], const char **step)
{
	RM_PASS(give(m, out_q, vm, CAP_RIGHTS_MSGQUEUE_SEND, &caps[0], step));
	RM_PASS(give(m, in_q, vm, CAP_RIGHTS_MSGQUEUE_RECEIVE, &caps[1], step));
	RM_STEP(step, "binding the send interrupt",
		bothy_msgqueue_bind_send_virq(out_q, vm->caps.vic, irqs[0]).error);
	RM_STEP(step, "binding the receive interrupt",
		bothy_msgqueue_bind_receive_virq(in_q, vm->caps.vic, irqs[1]).error);
	return OK;
}

static error_t
link_rpc(rm_vm_t *vm, made_t *m, cap_id_t *to_rm, cap_id_t *from_rm, const char **step)
{
	const rm_vm_desc_t *d = &vm->desc;
	cap_id_t caps[2];
	if (d->rm_rpc_node == NULL) {
		*step = "finding its RM RPC node";
		return ERROR_ARGUMENT_INVALID;
	}
	RM_PASS(new_msgqueue(m, RM_QUEUE_DEPTH, RM_RPC_MESSAGE_SIZE, to_rm, step));
	RM_PASS(new_msgqueue(m, RM_QUEUE_DEPTH, RM_RPC_MESSAGE_SIZE, from_rm, step));
	RM_PASS(give_queue_pair(m, vm, *to_rm, *from_rm, d->rm_rpc_irqs, caps, step));
	RM_PASS(patch_caps(vm, d->rm_rpc_node, caps, 2U, step));
	RM_PASS(add_resource(vm, RM_HYP_RESOURCE_TYPE_MSG_QUEUE_SEND, RM_VMID_RM, 0, caps[0],
			     d->rm_rpc_irqs[0], step));
	RM_PASS(add_resource(vm, RM_HYP_RESOURCE_TYPE_MSG_QUEUE_RECV, RM_VMID_RM, 0, caps[1],
			     d->rm_rpc_irqs[1], step));
	/* Last: nothing after it can fail, so a served link is never undone here. */
	RM_STEP(step, "serving RM RPC", rm_rpc_serve(vm->vmid, *to_rm, *from_rm, &vm->rpc));
	guest_printf("VM '%s': RM RPC queues: TX cap 0x%lx (INTID %u), RX cap 0x%lx (INTID %u)\n",
		     vm->name, caps[0], d->rm_rpc_irqs[0], caps[1], d->rm_rpc_irqs[1]);
	return OK;
}

error_t
rm_link_rpc(rm_vm_t *vm, const char **step)
{
	made_t m;
	made_init(&m, vm, vm);
	cap_id_t to_rm = CSPACE_CAP_INVALID, from_rm = CSPACE_CAP_INVALID;
	error_t err = link_rpc(vm, &m, &to_rm, &from_rm, step);
	if (err != OK) {
		release(&m);
		return err;
	}
	/* The VM's copies go with its cspace; the RM keeps its own caps to the queues. */
	vm->caps.rpc_to_rm = to_rm;
	vm->caps.rpc_from_rm = from_rm;
	return OK;
}

void
rm_unlink_rpc(rm_vm_t *vm)
{
	if (vm->rpc != NULL) {
		rm_rpc_unserve(vm->vmid);
		vm->rpc = NULL;
	}
	made_t m;
	made_init(&m, NULL, NULL);
	cap_id_t rm_cs = rm_boot_info()->cspace_cap;
	if (vm->caps.rpc_to_rm != CSPACE_CAP_INVALID) {
		(void)made_add(&m, rm_cs, vm->caps.rpc_to_rm);
	}
	if (vm->caps.rpc_from_rm != CSPACE_CAP_INVALID) {
		(void)made_add(&m, rm_cs, vm->caps.rpc_from_rm);
	}
	release(&m);
	vm->caps.rpc_to_rm = vm->caps.rpc_from_rm = CSPACE_CAP_INVALID;
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
	rm_vm_t *ends[2];
	const char *nodes[2];
	uint32_t irqs[4];
	uint32_t label;
	const uint8_t *queue, *memory, *access; /* raw cells, by kind */
} link_desc_t;

/* The VM with `vmid` whose objects are all built, or NULL. */
static rm_vm_t *
built_vm(uint32_t vmid)
{
	rm_vm_t *vm = vmid <= 0xffffU ? rm_vm_lookup((vmid_t)vmid) : NULL;
	return vm != NULL && rm_vm_built(vm) ? vm : NULL;
}

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
		l->ends[i] = built_vm(fdt_cell(vmids + 4U * i));
		l->nodes[i] = nth_string(nodes, nodes_len, i);
	}
	for (unsigned i = 0; irqs != NULL && i < irqs_len / 4U && i < 4U; i++) {
		l->irqs[i] = fdt_cell(irqs + 4U * i);
	}
	return true;
}

static error_t
link_queue_pair(const link_desc_t *l, made_t *m, const char **step)
{
	cap_id_t a_to_b, b_to_a, caps[2][2];
	uint32_t depth = fdt_cell(l->queue), size = fdt_cell(l->queue + 4);
	RM_PASS(new_msgqueue(m, depth, size, &a_to_b, step));
	RM_PASS(new_msgqueue(m, depth, size, &b_to_a, step));
	for (unsigned i = 0; i < 2U; i++) {
		cap_id_t out = i == 0U ? a_to_b : b_to_a, in = i == 0U ? b_to_a : a_to_b;
		RM_PASS(give_queue_pair(m, l->ends[i], out, in, &l->irqs[2U * i], caps[i], step));
		RM_PASS(patch_caps(l->ends[i], l->nodes[i], caps[i], 2U, step));
	}
	for (unsigned i = 0; i < 2U; i++) {
		vmid_t partner = l->ends[1U - i]->vmid;
		RM_PASS(add_resource(l->ends[i], RM_HYP_RESOURCE_TYPE_MSG_QUEUE_SEND, partner,
				     l->label, caps[i][0], l->irqs[2U * i], step));
		RM_PASS(add_resource(l->ends[i], RM_HYP_RESOURCE_TYPE_MSG_QUEUE_RECV, partner,
				     l->label, caps[i][1], l->irqs[2U * i + 1U], step));
	}
	return OK;
}

static error_t
link_doorbell(const link_desc_t *l, made_t *m, const char **step)
{
	const root_boot_info_t *boot = rm_boot_info();
	rm_vm_t *sender = l->ends[0], *receiver = l->ends[1];
	hypercall_partition_create_doorbell_result_t db =
		bothy_partition_create_doorbell(boot->partition_cap, boot->cspace_cap);
	cap_id_t send_cap, receive_cap;
	RM_STEP(step, "doorbell creation", db.error);
	RM_STEP(step, "doorbell creation", made_add(m, boot->cspace_cap, db.new_cap));
	RM_STEP(step, "doorbell activation", bothy_object_activate(db.new_cap).error);
	RM_PASS(give(m, db.new_cap, sender, CAP_RIGHTS_DOORBELL_SEND, &send_cap, step));
	RM_PASS(give(m, db.new_cap, receiver, CAP_RIGHTS_DOORBELL_RECEIVE, &receive_cap, step));
	RM_STEP(step, "binding the doorbell interrupt",
		bothy_doorbell_bind_virq(db.new_cap, receiver->caps.vic, l->irqs[0]).error);
	RM_PASS(patch_caps(sender, l->nodes[0], &send_cap, 1U, step));
	RM_PASS(patch_caps(receiver, l->nodes[1], &receive_cap, 1U, step));
	RM_PASS(add_resource(sender, RM_HYP_RESOURCE_TYPE_DOORBELL_SRC, receiver->vmid, l->label,
			     send_cap, 0, step));
	RM_PASS(add_resource(receiver, RM_HYP_RESOURCE_TYPE_DOORBELL, sender->vmid, l->label,
			     receive_cap, l->irqs[0], step));
	return OK;
}

static error_t
link_shared_memory(const link_desc_t *l, made_t *m, const char **step)
{
	const root_boot_info_t *boot = rm_boot_info();
	uint64_t base = fdt_cell64(l->memory), size = fdt_cell64(l->memory + 8);
	hypercall_partition_create_memextent_result_t me =
		bothy_partition_create_memextent(boot->partition_cap, boot->cspace_cap);
	RM_STEP(step, "memextent creation", me.error);
	RM_STEP(step, "memextent creation", made_add(m, boot->cspace_cap, me.new_cap));
	RM_STEP(step, "memextent_configure",
		bothy_memextent_configure(me.new_cap, base, size, 0).error);
	RM_STEP(step, "memextent activation", bothy_object_activate(me.new_cap).error);
	for (unsigned i = 0; i < 2U; i++) {
		/* Gunyah's access bits (R 4, W 2, X 1), never execute: shared memory is data. */
		uint32_t access = fdt_cell(l->access + 4U * i) & ~PGTABLE_ACCESS_X;
		uint32_t attrs =
			MEMEXTENT_MAPPING_ATTRS(access, access, PGTABLE_VM_MEMTYPE_NORMAL_WB);
		RM_STEP(step, i == 0U ? "mapping shared memory into the first VM"
				      : "mapping shared memory into the second VM",
			bothy_addrspace_map(l->ends[i]->caps.addrspace, me.new_cap, base, attrs, 0,
					    0, size).error);
	}
	return OK;
}

/* Makes one link; on failure, names the step and has released what it created. */
static error_t
make_link(const link_desc_t *l, const char **step)
{
	made_t m;
	made_init(&m, l->ends[0], l->ends[1]);
	error_t err;
	if (strcmp(l->kind, "msgqueue_pair") == 0 && l->queue != NULL) {
		err = link_queue_pair(l, &m, step);
	} else if (strcmp(l->kind, "doorbell") == 0) {
		err = link_doorbell(l, &m, step);
	} else if (strcmp(l->kind, "shared_memory") == 0 && l->memory != NULL &&
		   l->access != NULL) {
		err = link_shared_memory(l, &m, step);
	} else {
		*step = "reading its kind (unknown, or its cells missing)";
		err = ERROR_ARGUMENT_INVALID;
	}
	if (err != OK) {
		release(&m);
	}
	return err;
}

error_t
rm_link_vms(void)
{
	error_t first = OK;
	link_desc_t l;
	for (uint32_t label = 0; label < MAX_LINKS && read_link(label, &l); label++) {
		error_t err = ERROR_ARGUMENT_INVALID;
		const char *step = "reading its description (or an end VM not built)";
		if (l.name != NULL && l.ends[0] != NULL && l.ends[1] != NULL &&
		    l.nodes[0] != NULL && l.nodes[1] != NULL) {
			err = make_link(&l, &step);
		}
		if (err != OK) {
			char who[16];
			format_buf(who, sizeof(who), "link %u", label);
			rm_report(who, l.name, step, err);
			first = first == OK ? err : first;
			continue;
		}
		guest_printf("link '%s' (%s): %s <-> %s\n", l.name, l.kind, l.ends[0]->name,
			     l.ends[1]->name);
	}
	return first;
}
