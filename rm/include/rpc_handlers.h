/* rpc_handlers.h - between rpc_transport.c and the request handlers (rpc_vm_calls.c,
 * rpc_console.c): a reassembled request, the reply call, and one handler per implemented ID. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "rpc.h"
#include "vm_registry.h"

typedef struct rpc_request {
	rpc_client_t *client;
	rm_vm_t *caller; /* the client's registry record; NULL if it has none */
	uint16_t seq;
	uint32_t msg_id;
	const uint8_t *payload;
	size_t len;
} rpc_request_t;

/* Queues the reply to `req`: the u32 rm_error, then `len` bytes of `data`. */
void rpc_reply(const rpc_request_t *req, uint32_t rm_error, const void *data, size_t len);

/* Shorthand for an error-only reply. */
static inline void
rpc_reply_error(const rpc_request_t *req, uint32_t rm_error)
{
	rpc_reply(req, rm_error, NULL, 0);
}

/* The VM a request names (vmid 0 meaning the caller) if the caller may ask about it: itself,
 * or (when `owner_may` is true) a VM it owns. Otherwise NULL, with *err set to
 * RM_ERROR_VMID_INVALID (no such VM) or RM_ERROR_DENIED. */
rm_vm_t *rpc_target_vm(const rpc_request_t *req, uint16_t vmid, bool owner_may, uint32_t *err);

/* One handler per request the spec marks implemented (rpc_handle_<name>): called with a
 * payload of at least the request's fixed size; replies exactly once. */
#define RPC_HANDLER_DECLARE(name, id, size) void rpc_handle_##name(const rpc_request_t *req);
RM_RPC_IMPLEMENTED_REQUESTS(RPC_HANDLER_DECLARE)
#undef RPC_HANDLER_DECLARE
