/* rpc_console.c - the VM_CONSOLE_* requests: each VM's RM console, which the VM and its owner
 * each open; the VM's bytes are printed and passed to an owner who opened it, and back. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "le_bytes.h"
#include "rpc_handlers.h"
#include "vm_registry.h"

/* The console a request names: the caller's own (vmid 0 or its VMID) or that of a VM it
 * owns; NULL after replying otherwise. */
static rm_vm_t *
console_target(const rpc_request_t *req, uint16_t vmid)
{
	uint32_t err = RM_OK;
	rm_vm_t *vm = rpc_target_vm(req, vmid, true, &err);
	if (vm == NULL) {
		rpc_reply_error(req, err);
	}
	return vm;
}

/* The target of a {u16 vmid, u16 res0} console request, or NULL after replying. */
static rm_vm_t *
plain_console_target(const rpc_request_t *req)
{
	if (le16_load(&req->payload[RM_RPC_VMID_REQUEST_RES0_OFF]) != 0U) {
		rpc_reply_error(req, RM_ERROR_MSG_INVALID);
		return NULL;
	}
	return console_target(req, le16_load(&req->payload[RM_RPC_VMID_REQUEST_VMID_OFF]));
}

/* The caller's side of `vm`'s console: the VM's own, or its owner's. */
static bool *
open_flag(const rpc_request_t *req, rm_vm_t *vm)
{
	return req->client->vmid == vm->vmid ? &vm->console_open : &vm->console_owner_open;
}

void
rpc_handle_vm_console_open(const rpc_request_t *req)
{
	rm_vm_t *vm = plain_console_target(req);
	if (vm != NULL) {
		*open_flag(req, vm) = true; /* opening an open console is harmless, as in Gunyah */
		rpc_reply_error(req, RM_OK);
	}
}

void
rpc_handle_vm_console_close(const rpc_request_t *req)
{
	rm_vm_t *vm = plain_console_target(req);
	if (vm != NULL) {
		*open_flag(req, vm) = false;
		rpc_reply_error(req, RM_OK);
	}
}

/* The VM's bytes: printed as its own, and passed to its owner if the owner has the console
 * open. The owner's bytes: passed to the VM, which must have its console open to take them
 * (DENIED otherwise, so the owner knows they went nowhere). */
static uint32_t
console_bytes(const rpc_request_t *req, rm_vm_t *vm, const uint8_t *bytes, uint16_t len)
{
	if (req->client->vmid == vm->vmid) {
		if (len > 0U) {
			rm_console_write(vm, (const char *)bytes, len);
		}
		const rm_vm_t *owner = vm->console_owner_open ? rm_vm_lookup(vm->owner) : NULL;
		if (owner != NULL && len > 0U) {
			(void)rm_vm_notify_console_chars(owner, vm->vmid, bytes, len);
		}
		return RM_OK;
	}
	if (!vm->console_open || vm->rpc == NULL) {
		return RM_ERROR_DENIED;
	}
	if (len > 0U && !rm_vm_notify_console_chars(vm, req->client->vmid, bytes, len)) {
		return RM_ERROR_BUSY;
	}
	return RM_OK;
}

void
rpc_handle_vm_console_write(const rpc_request_t *req)
{
	uint16_t num_bytes = le16_load(&req->payload[RM_RPC_CONSOLE_WRITE_REQUEST_NUM_BYTES_OFF]);
	if (req->len != RM_RPC_CONSOLE_WRITE_REQUEST_SIZE + (size_t)num_bytes) {
		rpc_reply_error(req, RM_ERROR_MSG_INVALID);
		return;
	}
	uint16_t vmid = le16_load(&req->payload[RM_RPC_CONSOLE_WRITE_REQUEST_VMID_OFF]);
	rm_vm_t *vm = console_target(req, vmid);
	if (vm == NULL) {
		return;
	}
	if (!*open_flag(req, vm)) {
		rpc_reply_error(req, RM_ERROR_DENIED);
		return;
	}
	rpc_reply_error(req, console_bytes(req, vm,
					   &req->payload[RM_RPC_CONSOLE_WRITE_REQUEST_SIZE],
					   num_bytes));
}

void
rpc_handle_vm_console_flush(const rpc_request_t *req)
{
	rm_vm_t *vm = plain_console_target(req);
	if (vm != NULL) {
		rpc_reply_error(req, *open_flag(req, vm) ? RM_OK : RM_ERROR_DENIED);
	}
}
