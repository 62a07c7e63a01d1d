/* vm_registry.c - the RM's one table of VMs (static, RM_MAX_VMS records), the one report of a
 * VM's failed step, and the notifications a VM's status changes send to its owner over RM RPC. */
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
rm_vm_lookup(vmid_t vmid)
{
	for (size_t i = 0; i < RM_MAX_VMS; i++) {
		if (vms[i].in_use && vms[i].vmid == vmid) {
			return &vms[i];
		}
	}
	return NULL;
}

rm_vm_t *
rm_vm_next(const rm_vm_t *prev)
{
	for (size_t i = prev == NULL ? 0U : (size_t)(prev - vms) + 1U; i < RM_MAX_VMS; i++) {
		if (vms[i].in_use) {
			return &vms[i];
		}
	}
	return NULL;
}

bool
rm_vm_built(const rm_vm_t *vm)
{
	return vm->vm_state != RM_VM_STATE_NONE && vm->vm_state != RM_VM_STATE_INIT &&
	       vm->vm_state != RM_VM_STATE_INIT_FAILED;
}

rm_vm_t *
rm_vm_add(vmid_t vmid, const char *name, vmid_t owner)
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
			rm_vm_caps_t *c = &vm->caps;
			c->addrspace = c->memextent = c->vic = c->cspace = CSPACE_CAP_INVALID;
			c->rpc_to_rm = c->rpc_from_rm = CSPACE_CAP_INVALID;
			return vm;
		}
	}
	return NULL;
}

void
rm_vm_remove(rm_vm_t *vm)
{
	memset(vm, 0, sizeof(*vm));
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

void
rm_vm_clear_resources(rm_vm_t *vm)
{
	memset(vm->resources, 0, sizeof(vm->resources));
	vm->resource_count = 0;
}

/* The owner's RPC client, if the owner is a VM with an RM RPC link. */
static rpc_client_t *
owner_client(const rm_vm_t *vm)
{
	const rm_vm_t *owner = rm_vm_lookup(vm->owner);
	return owner == NULL ? NULL : owner->rpc;
}

bool
rm_vm_notify_console_chars(const rm_vm_t *to, vmid_t from_vmid, const uint8_t *bytes,
			   uint16_t len)
{
	static uint8_t msg[RM_RPC_MAX_PAYLOAD];
	if (to->rpc == NULL || (size_t)len > RM_RPC_MAX_PAYLOAD - RM_RPC_NOTIFY_VM_CONSOLE_CHARS_SIZE) {
		return false;
	}
	le16_store(&msg[RM_RPC_NOTIFY_VM_CONSOLE_CHARS_FROM_VMID_OFF], from_vmid);
	le16_store(&msg[RM_RPC_NOTIFY_VM_CONSOLE_CHARS_NUM_BYTES_OFF], len);
	memcpy(&msg[RM_RPC_NOTIFY_VM_CONSOLE_CHARS_SIZE], bytes, len);
	/* Refused ones are logged by the RPC library (rate-limited). */
	return rpc_client_notify(to->rpc, RM_RPC_NOTIFY_VM_CONSOLE_CHARS, msg,
				 RM_RPC_NOTIFY_VM_CONSOLE_CHARS_SIZE + (size_t)len) == OK;
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
	/* Only the latest status matters: one still waiting for this VM is updated instead. */
	_Static_assert(RM_RPC_NOTIFY_VM_STATUS_VMID_OFF == 0U, "the key is the payload's start");
	(void)rpc_client_notify_latest(to, RM_RPC_NOTIFY_VM_STATUS, msg, sizeof(msg),
				       RM_RPC_NOTIFY_VM_STATUS_VMID_OFF + sizeof(uint16_t));
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
	/* Refused (the owner's outbox is full outside the reply reserve): logged by the RPC
	 * library, rate-limited per client. */
	(void)rpc_client_notify(to, RM_RPC_NOTIFY_VM_EXITED, msg,
				RM_RPC_NOTIFY_VM_EXITED_SIZE + reason_len);
}
