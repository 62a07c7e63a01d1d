/* main.c - a VM manager and an intruder, both VMs the RM builds: the primary ("vmm") allocates
 * and frees a VM with VM_ALLOCATE / VM_DEALLOCATE / VM_GET_STATE, valid and invalid requests
 * alike; the secondary ("other", which the primary owns) tries the same on the primary's new
 * VM. Every check is named; tests/test_vmm.py reads the lines. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bothy_hypercalls.h"
#include "check.h"
#include "guest.h"
#include "ipc_wait.h"
#include "le_bytes.h"
#include "rm_client.h"
#include "rm_rpc_abi.h"
#include "vdevice.h"

#define PREFIX "vmm-test"
#define LINK_SYNC "sync" /* shared memory, rw for both: the steps below */
#define NO_SUCH_VMID 0x1234U

/* The shared region: each side's step (each writes only its own), and the new VM's VMID. */
typedef struct {
	volatile uint64_t vmm_step;
	volatile uint64_t other_step;
	volatile uint64_t new_vmid;
} sync_t;

static sync_t *sync_area;
static rm_client_t rm;
static uint16_t self_vmid, peer_vmid;

static void
wait_step(volatile uint64_t *step, uint64_t at_least)
{
	while (*step < at_least) {
		(void)bothy_scheduler_yield(0, 0);
	}
}

/* Request `id` with `len` bytes of {u16 vmid, u16 res0}: its RM error; up to 4 bytes of reply
 * data into *data (0 if none). */
static uint32_t
vmid_call_len(uint32_t id, uint16_t vmid, uint16_t res0, size_t len, uint32_t *data)
{
	uint8_t req[RM_RPC_VMID_REQUEST_SIZE];
	le16_store(&req[RM_RPC_VMID_REQUEST_VMID_OFF], vmid);
	le16_store(&req[RM_RPC_VMID_REQUEST_RES0_OFF], res0);
	uint8_t out[4] = { 0 };
	uint32_t rm_error = 0;
	size_t n = 0;
	if (rm_client_call(&rm, id, req, len, &rm_error, out, sizeof(out), &n) != OK) {
		guest_fail(PREFIX ": RM RPC transport failed");
	}
	if (data != NULL) {
		*data = n == 4U ? le32_load(out) : 0U;
	}
	return rm_error;
}

static uint32_t
vmid_call(uint32_t id, uint16_t vmid, uint32_t *data)
{
	return vmid_call_len(id, vmid, 0, RM_RPC_VMID_REQUEST_SIZE, data);
}

static void
vmm_main(void)
{
	uint32_t data = 0;
	/* A new VM: the first free dynamic VMID (0x80 is the static 'other'), state LOAD. */
	check_value("VM_ALLOCATE of any VMID", vmid_call(RM_RPC_VM_ALLOCATE, 0, &data), RM_OK);
	uint16_t vm = (uint16_t)data;
	check_value("VM_ALLOCATE reply: the first free dynamic VMID", data,
		    RM_VMID_DYNAMIC_FIRST + 1U);
	check_value("VM_GET_STATE of the new VM", vmid_call(RM_RPC_VM_GET_STATE, vm, &data), RM_OK);
	check_value("the new VM is in state LOAD", data, RM_VM_STATE_LOAD);
	/* Invalid requests change nothing. */
	check_value("VM_ALLOCATE of a taken VMID (the new VM's)",
		    vmid_call(RM_RPC_VM_ALLOCATE, vm, NULL), RM_ERROR_IN_USE);
	check_value("VM_ALLOCATE of a taken VMID (the static VM's)",
		    vmid_call(RM_RPC_VM_ALLOCATE, peer_vmid, NULL), RM_ERROR_IN_USE);
	check_value("VM_ALLOCATE outside the dynamic range",
		    vmid_call(RM_RPC_VM_ALLOCATE, RM_VMID_DYNAMIC_LAST + 1U, NULL),
		    RM_ERROR_VMID_INVALID);
	check_value("VM_ALLOCATE with a reserved field set",
		    vmid_call_len(RM_RPC_VM_ALLOCATE, 0, 1, RM_RPC_VMID_REQUEST_SIZE, NULL),
		    RM_ERROR_MSG_INVALID);
	check_value("VM_ALLOCATE with a short payload",
		    vmid_call_len(RM_RPC_VM_ALLOCATE, 0, 0, 2, NULL), RM_ERROR_MSG_INVALID);
	check_value("VM_DEALLOCATE with a short payload",
		    vmid_call_len(RM_RPC_VM_DEALLOCATE, vm, 0, 2, NULL), RM_ERROR_MSG_INVALID);
	check_value("VM_GET_STATE with a short payload",
		    vmid_call_len(RM_RPC_VM_GET_STATE, vm, 0, 3, NULL), RM_ERROR_MSG_INVALID);
	check_value("VM_DEALLOCATE of a wrong VMID",
		    vmid_call(RM_RPC_VM_DEALLOCATE, NO_SUCH_VMID, NULL), RM_ERROR_VMID_INVALID);
	check_value("VM_GET_STATE of a wrong VMID",
		    vmid_call(RM_RPC_VM_GET_STATE, NO_SUCH_VMID, NULL), RM_ERROR_VMID_INVALID);
	check_value("VM_DEALLOCATE of itself (not its own owner)",
		    vmid_call(RM_RPC_VM_DEALLOCATE, 0, NULL), RM_ERROR_DENIED);
	check_value("VM_GET_STATE of the running VM it owns",
		    vmid_call(RM_RPC_VM_GET_STATE, peer_vmid, &data), RM_OK);
	check_value("the VM it owns is RUNNING", data & 0xffU, RM_VM_STATE_RUNNING);
	check_value("VM_DEALLOCATE of a running VM (wrong state)",
		    vmid_call(RM_RPC_VM_DEALLOCATE, peer_vmid, NULL), RM_ERROR_VM_STATE);
	/* The other VM, which is not the new VM's owner, tries its hand. */
	sync_area->new_vmid = vm;
	sync_area->vmm_step = 1U;
	wait_step(&sync_area->other_step, 1U);
	check_value("after the other VM's tries: VM_GET_STATE of the new VM",
		    vmid_call(RM_RPC_VM_GET_STATE, vm, &data), RM_OK);
	check_value("after the other VM's tries: still LOAD", data, RM_VM_STATE_LOAD);
	/* Freed by its owner; then unknown; its VMID is given out again. */
	check_value("VM_DEALLOCATE of the new VM", vmid_call(RM_RPC_VM_DEALLOCATE, vm, NULL), RM_OK);
	check_value("VM_GET_STATE of the freed VM", vmid_call(RM_RPC_VM_GET_STATE, vm, NULL),
		    RM_ERROR_VMID_INVALID);
	check_value("VM_DEALLOCATE of the freed VM", vmid_call(RM_RPC_VM_DEALLOCATE, vm, NULL),
		    RM_ERROR_VMID_INVALID);
	check_value("VM_ALLOCATE again", vmid_call(RM_RPC_VM_ALLOCATE, 0, &data), RM_OK);
	check_value("VM_ALLOCATE again gives the freed VMID", data, vm);
	check_value("VM_DEALLOCATE of it", vmid_call(RM_RPC_VM_DEALLOCATE, vm, NULL), RM_OK);
	/* The static VM's status changes were notified; nothing about the new VM is. */
	unsigned about_new = 0;
	rm_note_t note;
	while (rm_client_take_note(&rm, &note)) {
		about_new += note.len >= 2U && le16_load(note.payload) == vm ? 1U : 0U;
	}
	check_value("no notification names the new VM", about_new, 0);
	sync_area->vmm_step = 2U;
}

static void
other_main(void)
{
	wait_step(&sync_area->vmm_step, 1U);
	uint16_t vm = (uint16_t)sync_area->new_vmid;
	check_value("not the owner: VM_GET_STATE of the primary's new VM",
		    vmid_call(RM_RPC_VM_GET_STATE, vm, NULL), RM_ERROR_DENIED);
	check_value("not the owner: VM_DEALLOCATE of the primary's new VM",
		    vmid_call(RM_RPC_VM_DEALLOCATE, vm, NULL), RM_ERROR_DENIED);
	check_value("not the owner: VM_DEALLOCATE of the primary",
		    vmid_call(RM_RPC_VM_DEALLOCATE, RM_VMID_HLOS, NULL), RM_ERROR_DENIED);
	check_value("not the owner: VM_DEALLOCATE of itself",
		    vmid_call(RM_RPC_VM_DEALLOCATE, 0, NULL), RM_ERROR_DENIED);
	check_value("not the primary: VM_ALLOCATE of any VMID",
		    vmid_call(RM_RPC_VM_ALLOCATE, 0, NULL), RM_ERROR_DENIED);
	check_value("not the primary: VM_ALLOCATE of a free VMID",
		    vmid_call(RM_RPC_VM_ALLOCATE, RM_VMID_DYNAMIC_LAST, NULL), RM_ERROR_DENIED);
	check_value("a short payload: VM_ALLOCATE",
		    vmid_call_len(RM_RPC_VM_ALLOCATE, 0, 0, 1, NULL), RM_ERROR_MSG_INVALID);
	sync_area->other_step = 1U;
}

void
guest_main(const root_boot_info_t *info)
{
	(void)info;
	vdevice_t sync_end;
	if (vdevice_own_vmid(&self_vmid) != OK || vdevice_find(LINK_SYNC, &sync_end) != OK ||
	    sync_end.kind != VDEVICE_SHARED_MEMORY || !sync_end.writable) {
		guest_fail(PREFIX ": no VMID or no writable 'sync' region in the device tree");
	}
	peer_vmid = sync_end.peer_vmid;
	sync_area = (sync_t *)(uintptr_t)sync_end.base;
	/* Polling: waits spin (and yield), so nothing here depends on the RM's interrupts. */
	if (ipc_wait_init(false) != OK || rm_client_init(&rm) != OK) {
		guest_fail(PREFIX ": no RM client");
	}
	bool vmm = self_vmid == RM_VMID_HLOS;
	guest_printf("%s: VM 0x%x (%s), peer 0x%x\n", PREFIX, self_vmid, vmm ? "vmm" : "other",
		     peer_vmid);
	check_begin(PREFIX);
	if (vmm) {
		vmm_main();
	} else {
		other_main();
	}
	unsigned failed = check_end();
	if (vmm) {
		wait_step(&sync_area->other_step, 1U);
		guest_printf("%s: done\n", PREFIX);
	}
	if (failed != 0U) {
		guest_fail(PREFIX ": checks failed");
	}
}
