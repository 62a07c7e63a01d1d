/* rpc_server.h - the RM's ends of its clients' RM RPC queue pairs: their interrupts on the
 * RM's own vic, moving fragments between the queues and each client's rpc_client_t. */
#pragma once

#include <stdint.h>

#include "bothy_abi.h"
#include "rpc.h"

#define RM_RPC_MAX_CLIENTS 17U /* the primary VM and 16 secondaries */

/* Serves VM `vmid` on the RM's ends of its queue pair: `from_client` (the RM receives) and
 * `to_client` (the RM sends). Binds their not-empty and not-full interrupts to SPIs of the
 * RM's vic, both level-sensitive, and enables the not-empty one (the not-full one is enabled
 * only while replies wait for room: rpc_link.h). *client is the VM's protocol state (for the
 * VM registry). */
error_t rm_rpc_serve(uint16_t vmid, cap_id_t from_client, cap_id_t to_client,
		     rpc_client_t **client);

/* Handles interrupt `intid` if it belongs to a client's queue: drains what the client sent
 * into its rpc_client_t, or sends what its outbox holds. False if it is not an RPC INTID. */
bool rm_rpc_interrupt(uint32_t intid);

/* Serves every client as if its not-empty interrupt had fired. */
void rm_rpc_poll(void);

/* Enables each client's not-full interrupt exactly while its outbox holds fragments: call
 * after anything outside RPC queued notifications (rm_watch_vms). */
void rm_rpc_settle(void);
