/* vm_registry.c - the RM's table of VMs (static, RM_MAX_VMS entries) and the notifications a
 * VM's status changes send to its owner over RM RPC. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "le_bytes.h"
#include "rm_rpc_abi.h"
#include "util_string.h"
#include "vm_registry.h"

static rm_vm_t vms[RM_MAX_VMS];

void
rm_vm_registry_reset(void)
{
	memset(vms, 0, sizeof(vms));
}

rm_vm_t *
rm_vm_lookup(uint16_t vmid)
{
	for (size_t i = 0; i < RM_MAX_VMS; i++) {
		if (vms[i].in_use && vms[i].vmid == vmid) {
			return &vms[i];
		}
	}
	return NULL;
}

rm_vm_t *
rm_vm_add(uint16_t vmid, const char *name, uint16_t owner)
{
	if (vmid == RM_VMID_HYP || rm_vm_lookup(vmid) != NULL) {
		return NULL;
	}
	for (size_t i = 0; i < RM_MAX_VMS; i++) {
		rm_vm_t *vm = &vms[i];
		if (!vm->in_use) {
			memset(vm, 0, sizeof(*vm));
			vm->in_use = true;
			vm->vmid = vmid;
			vm->name = name;
			vm->owner = owner;
			vm->vm_state = RM_VM_STATE_NONE;
			vm->os_state = RM_OS_STATE_NONE;
			return vm;
		}
	}
	return NULL;
}

error_t
rm_vm_add_resource(rm_vm_t *vm, const rm_hyp_resource_t *r)
{
	if (vm->resource_count >= RM_VM_MAX_RESOURCES) {
		return ERROR_NORESOURCES;
	}
	vm->resources[vm->resource_count++] = *r;
	return OK;
}

/* The owner's RPC client, if the owner is a VM with an RM RPC link. */
static rpc_client_t *
owner_client(const rm_vm_t *vm)
{
	const rm_vm_t *owner = rm_vm_lookup(vm->owner);
	return owner == NULL ? NULL : owner->rpc;
}

static void
notify(const rm_vm_t *vm, rpc_client_t *to, uint32_t msg_id, const uint8_t *msg, size_t len)
{
	error_t err = rpc_client_notify(to, msg_id, msg, len);
	if (err != OK) {
		rm_log("rpc: notification 0x%x about VM %u to VM %u not sent (error %d)",
		       (unsigned)msg_id, (unsigned)vm->vmid, (unsigned)to->vmid, (int)err);
	}
}

bool
rm_vm_notify_console_chars(const rm_vm_t *to, uint16_t from_vmid, const uint8_t *bytes,
			   uint16_t len)
{
	static uint8_t msg[RM_RPC_MAX_PAYLOAD];
	if (to->rpc == NULL || (size_t)len > RM_RPC_MAX_PAYLOAD - RM_RPC_NOTIFY_VM_CONSOLE_CHARS_SIZE) {
		return false;
	}
	le16_store(&msg[RM_RPC_NOTIFY_VM_CONSOLE_CHARS_FROM_VMID_OFF], from_vmid);
	le16_store(&msg[RM_RPC_NOTIFY_VM_CONSOLE_CHARS_NUM_BYTES_OFF], len);
	memcpy(&msg[RM_RPC_NOTIFY_VM_CONSOLE_CHARS_SIZE], bytes, len);
	error_t err = rpc_client_notify(to->rpc, RM_RPC_NOTIFY_VM_CONSOLE_CHARS, msg,
					RM_RPC_NOTIFY_VM_CONSOLE_CHARS_SIZE + (size_t)len);
	if (err != OK) {
		rm_log("rpc: %u console bytes from VM %u to VM %u not sent (error %d)", (unsigned)len,
		       (unsigned)from_vmid, (unsigned)to->vmid, (int)err);
	}
	return err == OK;
}

void
rm_vm_notify_status(const rm_vm_t *vm)
{
	rpc_client_t *to = owner_client(vm);
	if (to == NULL) {
		return;
	}
	uint8_t msg[RM_RPC_NOTIFY_VM_STATUS_SIZE] = { 0 };
	le16_store(&msg[RM_RPC_NOTIFY_VM_STATUS_VMID_OFF], vm->vmid);
	msg[RM_RPC_NOTIFY_VM_STATUS_VM_STATUS_OFF] = vm->vm_state;
	msg[RM_RPC_NOTIFY_VM_STATUS_OS_STATUS_OFF] = vm->os_state;
	le16_store(&msg[RM_RPC_NOTIFY_VM_STATUS_APP_STATUS_OFF], vm->app_status);
	notify(vm, to, RM_RPC_NOTIFY_VM_STATUS, msg, sizeof(msg));
}

void
rm_vm_set_state(rm_vm_t *vm, uint8_t vm_state)
{
	vm->vm_state = vm_state;
	rm_vm_notify_status(vm);
}

void
rm_vm_exited(rm_vm_t *vm, uint16_t exit_type, const void *reason, size_t reason_len)
{
	rm_vm_set_state(vm, RM_VM_STATE_EXITED);
	rpc_client_t *to = owner_client(vm);
	if (to == NULL) {
		return;
	}
	if (reason_len > RM_VM_EXIT_REASON_MAX) {
		rm_log("rpc: VM %u exit reason of %u bytes cut to %u", (unsigned)vm->vmid,
		       (unsigned)reason_len, (unsigned)RM_VM_EXIT_REASON_MAX);
		reason_len = RM_VM_EXIT_REASON_MAX;
	}
	uint8_t msg[RM_RPC_NOTIFY_VM_EXITED_SIZE + RM_VM_EXIT_REASON_MAX];
	le16_store(&msg[RM_RPC_NOTIFY_VM_EXITED_VMID_OFF], vm->vmid);
	le16_store(&msg[RM_RPC_NOTIFY_VM_EXITED_EXIT_TYPE_OFF], exit_type);
	le32_store(&msg[RM_RPC_NOTIFY_VM_EXITED_EXIT_REASON_SIZE_OFF], (uint32_t)reason_len);
	if (reason_len > 0U) {
		memcpy(&msg[RM_RPC_NOTIFY_VM_EXITED_SIZE], reason, reason_len);
	}
	notify(vm, to, RM_RPC_NOTIFY_VM_EXITED, msg, RM_RPC_NOTIFY_VM_EXITED_SIZE + reason_len);
}
