/* vm_state.c - Gunyah's VM lifecycle state machine: the vm_state changes allowed (rm-rpc.md
 * §5), as a table of the states each state may be entered from. */
#include <stdbool.h>
#include <stdint.h>

#include "rm_rpc_abi.h"
#include "vm_state.h"

#define S(state) (1U << RM_VM_STATE_##state)

/* entered_from[to]: the states `to` may be entered from. */
static const uint16_t entered_from[] = {
	[RM_VM_STATE_NONE] = S(RESET),
	[RM_VM_STATE_LOAD] = S(NONE),
	[RM_VM_STATE_AUTH] = S(LOAD),
	[RM_VM_STATE_INIT] = S(LOAD) | S(AUTH) | S(RESET),
	[RM_VM_STATE_READY] = S(INIT),
	[RM_VM_STATE_RUNNING] = S(READY) | S(PAUSED),
	[RM_VM_STATE_PAUSED] = S(RUNNING),
	[RM_VM_STATE_EXITED] = S(RUNNING) | S(PAUSED),
	[RM_VM_STATE_RESETTING] = S(EXITED) | S(READY) | S(INIT_FAILED),
	[RM_VM_STATE_RESET] = S(RESETTING),
	[RM_VM_STATE_INIT_FAILED] = S(INIT) | S(READY) | S(LOAD) | S(AUTH) | S(RESET),
};

bool
rm_vm_state_change_valid(uint8_t from, uint8_t to)
{
	if (to >= sizeof(entered_from) / sizeof(entered_from[0]) || from >= 16U) {
		return false;
	}
	return (entered_from[to] & (1U << from)) != 0U;
}

bool
rm_vm_may_deallocate(uint8_t state)
{
	return rm_vm_state_change_valid(state, RM_VM_STATE_NONE) || state == RM_VM_STATE_LOAD ||
	       state == RM_VM_STATE_AUTH;
}
