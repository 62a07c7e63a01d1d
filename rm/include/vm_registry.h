/* vm_registry.h - the RM's one record of every VM: identity, owner, lifecycle and OS status,
 * its description from the device tree, the caps the RM holds to its objects, the hypervisor
 * resources it holds itself, and its RM RPC link. Status changes notify the owner. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bothy_abi.h"
#include "rpc.h"

/* A VM's ID, as Gunyah's RM ABI carries it (u16). */
typedef uint16_t vmid_t;

#define RM_MAX_VMS 20U
#define RM_VM_MAX_RESOURCES 32U
#define RM_VM_MAX_VCPUS 8U
#define RM_VM_MAX_DEVICES 8U
/* NOTIFY_VM_EXITED carries at most this many reason bytes (longer reasons are truncated). */
#define RM_VM_EXIT_REASON_MAX 64U

/* What the RM's device tree (/vms/vm@<vmid>, from the config) says about a VM. Strings and
 * cells point into that tree. */
typedef struct {
	const char *role;
	uint32_t vcpus;
	uint64_t mem_base, mem_size, entry, image, image_size, dtb, dtb_size;
	uint64_t initrd, initrd_size;
	uint64_t staging, staging_size; /* pristine copy of [mem_base, +staging_size), or 0 */
	const char *rm_rpc_node;	/* node of the VM's tree describing its RM RPC link */
	uint32_t rm_rpc_irqs[2];	/* the VM's INTIDs for that link: TX, RX */
	const uint8_t *devices;		/* passed-through devices: cells of base, size, INTID */
	uint32_t device_count;
} rm_vm_desc_t;

/* The caps the RM holds (in its own cspace) to the objects it created for a VM; each is
 * CSPACE_CAP_INVALID (or not counted) until created, and again once deleted. */
typedef struct {
	cap_id_t addrspace, memextent, vic, cspace;
	cap_id_t vcpus[RM_VM_MAX_VCPUS];
	uint32_t vcpu_count;
	cap_id_t device_extents[RM_VM_MAX_DEVICES];
	uint32_t device_count;
	uint32_t hwirqs_bound; /* the first this many devices' SPIs are bound to the vic */
	cap_id_t rpc_to_rm, rpc_from_rm; /* its RM RPC queues (vm_links.c) */
} rm_vm_caps_t;

/* One VM_GET_HYP_RESOURCES entry (rm_rpc.yaml layout hyp_resource). */
typedef struct {
	uint8_t type; /* RM_HYP_RESOURCE_TYPE_* */
	vmid_t partner_vmid;
	uint32_t handle, label;
	uint64_t cap;
	uint32_t virq; /* GIC INTID the VM is told about; 0 for none */
	uint64_t base, size;
	uint32_t virq_handle; /* addition: Gunyah's virq_handle field; 0 when unused */
} rm_hyp_resource_t;

typedef struct rm_vm {
	vmid_t vmid;
	vmid_t owner;
	const char *name; /* not copied: must outlive the record */
	uint8_t vm_state, os_state; /* RM_VM_STATE_*, RM_OS_STATE_* */
	uint16_t app_status;
	rm_vm_desc_t desc;
	rm_vm_caps_t caps;
	uint64_t reported_exit; /* last exit reason handled, so each stop is told once */
	rm_hyp_resource_t resources[RM_VM_MAX_RESOURCES];
	unsigned resource_count;
	rpc_client_t *rpc; /* NULL: no RM RPC link */
	/* Its RM console: opened (VM_CONSOLE_OPEN, not closed since) by the VM itself, and by
	 * its owner, who then receives what the VM writes as NOTIFY_VM_CONSOLE_CHARS. */
	bool console_open;
	bool console_owner_open;
	bool in_use;
} rm_vm_t;

/* A new record in state NONE with no description, no caps, no resources and no RPC link.
 * NULL when the registry is full or `vmid` is taken (or is VMID 0, which names "the caller"
 * in requests). */
rm_vm_t *rm_vm_add(vmid_t vmid, const char *name, vmid_t owner);

/* Forgets `vm` (VM_DEALLOCATE): its VMID is free again. The caller has released every object
 * and link of the VM; pointers to the record are stale afterwards. */
void rm_vm_remove(rm_vm_t *vm);

/* The record of `vmid`, or NULL. */
rm_vm_t *rm_vm_lookup(vmid_t vmid);

/* The VM after `prev` in the order they were added (the first for NULL), or NULL. */
rm_vm_t *rm_vm_next(const rm_vm_t *prev);

/* Whether every object of `vm` exists (its build went through): links may be made to it. */
bool rm_vm_built(const rm_vm_t *vm);

/* Records a cap the VM itself holds (in its own cspace). ERROR_NORESOURCES when
 * RM_VM_MAX_RESOURCES are recorded already. */
error_t rm_vm_add_resource(rm_vm_t *vm, const rm_hyp_resource_t *r);

/* Forgets the resources recorded for `vm` (its cspace, which held them, is gone). */
void rm_vm_clear_resources(rm_vm_t *vm);

/* Records the new vm_state and notifies NOTIFY_VM_STATUS to the owner's client, if it has one
 * (Gunyah notifies the VM's peers; the owner is bothy's only peer so far). */
void rm_vm_set_state(rm_vm_t *vm, uint8_t vm_state);

/* The VM stopped: state EXITED (with NOTIFY_VM_STATUS), then NOTIFY_VM_EXITED
 * {vmid, exit_type, reason_size, reason} to the owner's client, if it has one. */
void rm_vm_exited(rm_vm_t *vm, uint16_t exit_type, const void *reason, size_t reason_len);

/* Sends NOTIFY_VM_CONSOLE_CHARS {from_vmid, num_bytes, bytes} to `to`'s client. False if
 * `to` has no client or its queue cannot take it (then logged). */
bool rm_vm_notify_console_chars(const rm_vm_t *to, vmid_t from_vmid, const uint8_t *bytes,
				uint16_t len);

/* Sends NOTIFY_VM_STATUS about `vm` to its owner's client, if it has one. */
void rm_vm_notify_status(const rm_vm_t *vm);

/* Forgets every VM (host tests; an RM that starts over). */
void rm_vm_registry_reset(void);

/* Provided by the RM. rm_log: one console line (`fmt` has no trailing newline).
 * rm_console_write: the bytes a VM_CONSOLE_WRITE from `vm` carries (any bytes, no NUL). */
void rm_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void rm_console_write(const rm_vm_t *vm, const char *bytes, size_t len);
