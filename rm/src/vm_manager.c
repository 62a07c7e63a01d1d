/* vm_manager.c - the RM's VM manager requests (Gunyah's vm_mgnt): VM_ALLOCATE and
 * VM_DEALLOCATE, with who may make them and in which state. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "le_bytes.h"
#include "rpc_handlers.h"
#include "vm_registry.h"
#include "vm_state.h"

/* The first VMID in the dynamic range that no VM has, or 0. */
static vmid_t
free_dynamic_vmid(void)
{
	for (uint32_t v = RM_VMID_DYNAMIC_FIRST; v <= RM_VMID_DYNAMIC_LAST; v++) {
		if (rm_vm_lookup((vmid_t)v) == NULL) {
			return (vmid_t)v;
		}
	}
	return 0;
}

/* The VMID a VM_ALLOCATE asks for (0: any) if it can be given, else 0 with *err set. */
static vmid_t
vmid_to_allocate(uint16_t wanted, uint32_t *err)
{
	if (wanted == 0U) {
		vmid_t v = free_dynamic_vmid();
		*err = v == 0U ? RM_ERROR_NORESOURCE : RM_OK;
		return v;
	}
	if (wanted < RM_VMID_DYNAMIC_FIRST || wanted > RM_VMID_DYNAMIC_LAST) {
		*err = RM_ERROR_VMID_INVALID;
		return 0;
	}
	if (rm_vm_lookup(wanted) != NULL) {
		*err = RM_ERROR_IN_USE;
		return 0;
	}
	return wanted;
}

void
rpc_handle_vm_allocate(const rpc_request_t *req)
{
	/* Only the primary VM manages VMs: any other VM could otherwise fill the registry. */
	if (req->client->vmid != RM_VMID_HLOS || req->caller == NULL) {
		rpc_reply_error(req, RM_ERROR_DENIED);
		return;
	}
	if (le16_load(&req->payload[RM_RPC_VMID_REQUEST_RES0_OFF]) != 0U) {
		rpc_reply_error(req, RM_ERROR_MSG_INVALID);
		return;
	}
	uint32_t err = RM_OK;
	vmid_t vmid = vmid_to_allocate(le16_load(&req->payload[RM_RPC_VMID_REQUEST_VMID_OFF]), &err);
	if (vmid == 0U) {
		rpc_reply_error(req, err);
		return;
	}
	rm_vm_t *vm = rm_vm_add(vmid, "dynamic", req->client->vmid);
	if (vm == NULL) {
		rpc_reply_error(req, RM_ERROR_NORESOURCE); /* the registry is full */
		return;
	}
	/* NONE -> LOAD. No NOTIFY_VM_STATUS: the reply tells the owner all there is. */
	vm->vm_state = RM_VM_STATE_LOAD;
	uint8_t data[RM_RPC_VM_ALLOCATE_REPLY_SIZE];
	le16_store(&data[RM_RPC_VM_ALLOCATE_REPLY_VMID_OFF], vmid);
	le16_store(&data[RM_RPC_VM_ALLOCATE_REPLY_RES0_OFF], 0);
	rpc_reply(req, RM_OK, data, sizeof(data));
}

void
rpc_handle_vm_deallocate(const rpc_request_t *req)
{
	if (le16_load(&req->payload[RM_RPC_VMID_REQUEST_RES0_OFF]) != 0U) {
		rpc_reply_error(req, RM_ERROR_MSG_INVALID);
		return;
	}
	uint16_t vmid = le16_load(&req->payload[RM_RPC_VMID_REQUEST_VMID_OFF]);
	rm_vm_t *vm = rm_vm_lookup(vmid == 0U ? req->client->vmid : vmid);
	if (vm == NULL) {
		rpc_reply_error(req, RM_ERROR_VMID_INVALID);
		return;
	}
	/* Only its owner; a VM never owns itself. */
	if (vm->owner != req->client->vmid) {
		rpc_reply_error(req, RM_ERROR_DENIED);
		return;
	}
	if (!rm_vm_may_deallocate(vm->vm_state)) {
		rpc_reply_error(req, RM_ERROR_VM_STATE);
		return;
	}
	rm_vm_remove(vm);
	rpc_reply_error(req, RM_OK);
}
