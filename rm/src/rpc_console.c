/* rpc_console.c - the VM_CONSOLE_* requests: a VM opens its own RM console and writes bytes
 * to it, which the RM prints as that VM's (rm_console_write). Flush only checks: no buffering. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "le_bytes.h"
#include "rpc_handlers.h"
#include "vm_registry.h"

/* The console a request names: only the caller's own (vmid 0 or its VMID). Gunyah also lets an
 * owner write to the console of a VM it owns and receive its output as NOTIFY_VM_CONSOLE_CHARS;
 * bothy does not forward console traffic between VMs (yet), so that is RM_ERROR_DENIED. */
static rm_vm_t *
console_target(const rpc_request_t *req, uint16_t vmid)
{
	uint32_t err = RM_OK;
	rm_vm_t *vm = rpc_target_vm(req, vmid, false, &err);
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

void
rpc_handle_vm_console_open(const rpc_request_t *req)
{
	rm_vm_t *vm = plain_console_target(req);
	if (vm != NULL) {
		vm->console_open = true; /* opening an open console is harmless, as in Gunyah */
		rpc_reply_error(req, RM_OK);
	}
}

void
rpc_handle_vm_console_close(const rpc_request_t *req)
{
	rm_vm_t *vm = plain_console_target(req);
	if (vm != NULL) {
		vm->console_open = false;
		rpc_reply_error(req, RM_OK);
	}
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
	if (!vm->console_open) {
		rpc_reply_error(req, RM_ERROR_DENIED);
		return;
	}
	if (num_bytes > 0U) {
		rm_console_write(vm, (const char *)&req->payload[RM_RPC_CONSOLE_WRITE_REQUEST_SIZE],
				 num_bytes);
	}
	rpc_reply_error(req, RM_OK);
}

void
rpc_handle_vm_console_flush(const rpc_request_t *req)
{
	rm_vm_t *vm = plain_console_target(req);
	if (vm != NULL) {
		rpc_reply_error(req, vm->console_open ? RM_OK : RM_ERROR_DENIED);
	}
}
