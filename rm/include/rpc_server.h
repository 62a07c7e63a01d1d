/* rpc_server.h - the RM's ends of its clients' RM RPC queue pairs: their interrupts on the
 * RM's own vic, and fragments between the queues and each client's rpc_client_t, fairly. */
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

/* Stops serving VM `vmid` (a later step of its build failed): its SPIs are disabled and its
 * slot is free again. The caller deletes the queues, which drops their bindings. */
void rm_rpc_unserve(uint16_t vmid);

/* Handles interrupt `intid` if it belongs to a client's queue: reads one budget of what the
 * client sent into its rpc_client_t (deferring a client that has more waiting), or sends what
 * its outbox holds. The RM's virtual timer PPI is the deferred clients' turn. False for any
 * other INTID. */
bool rm_rpc_interrupt(uint32_t intid);

/* Serves every client that is not deferred as if its not-empty interrupt had fired, and the
 * deferred ones if their turn is due. */
void rm_rpc_poll(void);

/* Enables each client's not-full interrupt exactly while its outbox holds fragments: call
 * after anything outside RPC queued notifications (rm_watch_vms). */
void rm_rpc_settle(void);
