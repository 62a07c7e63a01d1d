/* vm_build.h - what the RM knows of each VM it built: the description from its device tree
 * (/vms) and the caps it holds to the VM's objects. Shared by vm_builder.c and vm_links.c. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "bothy_abi.h"
#include "root_boot_info.h"

#define VM_MAX_VCPUS 8U

typedef struct {
	uint32_t vmid;
	const char *name;
	const char *role;
	uint32_t vcpus;
	uint64_t mem_base, mem_size, entry, image, image_size, dtb, dtb_size;
	uint64_t initrd, initrd_size;
	uint64_t staging, staging_size; /* pristine copy of [mem_base, +staging_size), or 0 */
	const char *rm_rpc_node;	/* node of the VM's tree describing its RM RPC link */
	uint32_t rm_rpc_irqs[2];	/* the VM's INTIDs for that link: TX, RX */
	const uint8_t *devices;		/* passed-through devices: cells of base, size, INTID */
	uint32_t device_count;
} vm_desc_t;

/* Caps the RM holds to a VM it built (in the RM's own cspace). */
typedef struct {
	cap_id_t addrspace, memextent, vic, cspace;
	cap_id_t vcpus[VM_MAX_VCPUS];
} vm_caps_t;

typedef struct {
	vm_desc_t desc;
	vm_caps_t caps;
	bool ready;		/* every object built: links may be made, the VM may start */
	uint64_t reported_exit; /* last exit reason handled, so each stop is told once */
} vm_record_t;

/* The boot information the hypervisor gave the RM. */
const root_boot_info_t *rm_boot_info(void);

/* The VM with `vmid` whose objects are all built, or NULL. */
vm_record_t *rm_built_vm(uint32_t vmid);

/* Where the staged (pristine) device tree of `r` is, mapped in the RM; NULL without staging.
 * Changes to it reach the VM at every (re)start. */
void *rm_staged_dtb(const vm_record_t *r);

/* vm_links.c: gives VM `r` its RM RPC queue pair, and makes every link of the RM's /ipc
 * node. Each returns the number of failures, already reported. */
unsigned rm_link_rpc(vm_record_t *r);
unsigned rm_link_vms(void);
