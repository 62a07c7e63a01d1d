/* vm_state.h - Gunyah's VM lifecycle state machine (rm-rpc.md §5; Gunyah's RM,
 * vm_mgnt_state_change_valid): which vm_state changes the RM's VM manager may make. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Whether a VM may go from vm_state `from` to `to` (RM_VM_STATE_*). */
bool rm_vm_state_change_valid(uint8_t from, uint8_t to);

/* Whether VM_DEALLOCATE may free a VM in vm_state `state`: RESET (Gunyah's RESET -> NONE),
 * and LOAD or AUTH, where nothing of the VM has been built yet (the Linux drivers free the
 * VMID at once when a step after VM_ALLOCATE fails). */
bool rm_vm_may_deallocate(uint8_t state);
