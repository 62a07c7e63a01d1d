/* rpc_vm_calls.c - the VM_* requests bothy's RM answers: the caller's VMID, the host type, a
 * VM's state and hypervisor resources, the caller's own status; and who may ask about which VM. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "le_bytes.h"
#include "rpc_handlers.h"
#include "vm_registry.h"

rm_vm_t *
rpc_target_vm(const rpc_request_t *req, uint16_t vmid, bool owner_may, uint32_t *err)
{
	uint16_t self = req->client->vmid;
	/* VMID 0 is the hypervisor, never a client: Gunyah's RM reads it as "the caller". */
	if (vmid == 0U) {
		vmid = self;
	}
	rm_vm_t *vm = rm_vm_lookup(vmid);
	if (vm == NULL) {
		*err = RM_ERROR_VMID_INVALID;
		return NULL;
	}
	if (vmid == self || (owner_may && vm->owner == self)) {
		return vm;
	}
	*err = RM_ERROR_DENIED;
	return NULL;
}

/* The VM a {u16 vmid, u16 res0} request names, or NULL after replying with the error. */
static rm_vm_t *
vmid_request_target(const rpc_request_t *req, bool owner_may)
{
	if (le16_load(&req->payload[RM_RPC_VMID_REQUEST_RES0_OFF]) != 0U) {
		/* Gunyah's RM treats non-zero reserved request fields as a malformed message. */
		rpc_reply_error(req, RM_ERROR_MSG_INVALID);
		return NULL;
	}
	uint32_t err = RM_OK;
	rm_vm_t *vm = rpc_target_vm(req, le16_load(&req->payload[RM_RPC_VMID_REQUEST_VMID_OFF]),
				    owner_may, &err);
	if (vm == NULL) {
		rpc_reply_error(req, err);
	}
	return vm;
}

void
rpc_handle_vm_get_vmid(const rpc_request_t *req)
{
	uint8_t data[RM_RPC_VMID_REPLY_SIZE];
	le32_store(&data[RM_RPC_VMID_REPLY_VMID_OFF], req->client->vmid);
	rpc_reply(req, RM_OK, data, sizeof(data));
}

void
rpc_handle_vm_host_get_type(const rpc_request_t *req)
{
	uint8_t data[RM_RPC_HOST_TYPE_REPLY_SIZE];
	le32_store(&data[RM_RPC_HOST_TYPE_REPLY_HOST_TYPE_OFF], RM_HOST_TYPE);
	rpc_reply(req, RM_OK, data, sizeof(data));
}

void
rpc_handle_vm_get_state(const rpc_request_t *req)
{
	const rm_vm_t *vm = vmid_request_target(req, true);
	if (vm == NULL) {
		return;
	}
	uint8_t data[RM_RPC_VM_STATE_REPLY_SIZE];
	data[RM_RPC_VM_STATE_REPLY_VM_STATE_OFF] = vm->vm_state;
	data[RM_RPC_VM_STATE_REPLY_OS_STATE_OFF] = vm->os_state;
	le16_store(&data[RM_RPC_VM_STATE_REPLY_APP_STATUS_OFF], vm->app_status);
	rpc_reply(req, RM_OK, data, sizeof(data));
}

void
rpc_handle_vm_set_status(const rpc_request_t *req)
{
	rm_vm_t *vm = req->caller;
	if (vm == NULL) {
		rpc_reply_error(req, RM_ERROR_VMID_INVALID);
		return;
	}
	uint8_t vm_status = req->payload[RM_RPC_VM_SET_STATUS_REQUEST_VM_STATUS_OFF];
	uint8_t os_status = req->payload[RM_RPC_VM_SET_STATUS_REQUEST_OS_STATUS_OFF];
	uint16_t app_status = le16_load(&req->payload[RM_RPC_VM_SET_STATUS_REQUEST_APP_STATUS_OFF]);
	/* The lifecycle state is the RM's to change (VM_START, exits, resets), so a VM may only
	 * leave it alone (NONE); os_status NONE likewise means "unchanged". */
	if (vm_status != RM_VM_STATE_NONE || os_status > RM_OS_STATE_CRASHED) {
		rpc_reply_error(req, RM_ERROR_ARGUMENT_INVALID);
		return;
	}
	if (os_status != RM_OS_STATE_NONE) {
		vm->os_state = os_status;
	}
	vm->app_status = app_status;
	rpc_reply_error(req, RM_OK);
	rm_vm_notify_status(vm);
}

void
rpc_handle_vm_get_hyp_resources(const rpc_request_t *req)
{
	/* Entries name caps in the VM's own cspace, so only the VM itself may ask for them. */
	const rm_vm_t *vm = vmid_request_target(req, false);
	if (vm == NULL) {
		return;
	}
	static uint8_t data[RM_RPC_HYP_RESOURCES_REPLY_SIZE +
			    RM_VM_MAX_RESOURCES * RM_RPC_HYP_RESOURCE_SIZE];
	le32_store(&data[RM_RPC_HYP_RESOURCES_REPLY_N_ENTRIES_OFF], vm->resource_count);
	for (unsigned i = 0; i < vm->resource_count; i++) {
		const rm_hyp_resource_t *r = &vm->resources[i];
		uint8_t *e = &data[RM_RPC_HYP_RESOURCES_REPLY_SIZE + i * RM_RPC_HYP_RESOURCE_SIZE];
		e[RM_RPC_HYP_RESOURCE_TYPE_OFF] = r->type;
		e[RM_RPC_HYP_RESOURCE_RES0_OFF] = 0;
		le16_store(&e[RM_RPC_HYP_RESOURCE_PARTNER_VMID_OFF], r->partner_vmid);
		le32_store(&e[RM_RPC_HYP_RESOURCE_HANDLE_OFF], r->handle);
		le32_store(&e[RM_RPC_HYP_RESOURCE_LABEL_OFF], r->label);
		le64_store(&e[RM_RPC_HYP_RESOURCE_CAP_ID_OFF], r->cap);
		le32_store(&e[RM_RPC_HYP_RESOURCE_VIRQ_HANDLE_OFF], r->virq_handle);
		le32_store(&e[RM_RPC_HYP_RESOURCE_VIRQ_OFF], r->virq);
		le64_store(&e[RM_RPC_HYP_RESOURCE_BASE_OFF], r->base);
		le64_store(&e[RM_RPC_HYP_RESOURCE_SIZE_OFF], r->size);
	}
	rpc_reply(req, RM_OK, data,
		  RM_RPC_HYP_RESOURCES_REPLY_SIZE + vm->resource_count * RM_RPC_HYP_RESOURCE_SIZE);
}
