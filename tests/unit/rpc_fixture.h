/* rpc_fixture.h - host stand-ins for testing rm/'s RPC library: a fake transport that captures
 * fragments (and can be full or fail), fake rm_log/rm_console_write, a framing-checking message
 * reader, request senders, and the message generator shared by the fuzz loop and libFuzzer. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rpc.h"
#include "vm_registry.h"

#define FX_MAX_FRAGS 512U

/* One client's RM->client message queue, as the library sees it through rpc_send_fn. */
typedef struct {
	uint8_t bytes[FX_MAX_FRAGS][RM_RPC_MESSAGE_SIZE];
	size_t len[FX_MAX_FRAGS];
	bool push[FX_MAX_FRAGS];
	unsigned count, taken; /* fragments captured; fragments read by fx_next_message */
	bool full;	       /* answer ERROR_MSGQUEUE_FULL */
	error_t fail_once;     /* if not OK: answer this once */
	unsigned sends;	       /* calls of the send function */
} fx_queue_t;

error_t fx_send(void *ctx, const void *frag, size_t len, bool push);

/* A whole message read back from a queue. */
typedef struct {
	uint8_t type;
	uint16_t seq;
	uint32_t msg_id;
	unsigned fragments;
	size_t len;
	uint8_t payload[RM_RPC_MAX_PAYLOAD];
} fx_msg_t;

/* Reads the next whole message, CHECKing Gunyah's framing on every fragment (API byte, type
 * sequence, same count/seq/ID, full fragments but the last, push only on the last). False when
 * nothing is left. */
bool fx_next_message(fx_queue_t *q, fx_msg_t *m);
/* Messages left unread. */
unsigned fx_pending_fragments(const fx_queue_t *q);
void fx_queue_reset(fx_queue_t *q);

/* Writes a header into `frag`. */
void fx_header(uint8_t *frag, uint8_t api, uint8_t type, uint8_t continuations, uint16_t seq,
	       uint32_t msg_id);
/* Sends a request to `c` fragmented as Gunyah's clients do. */
void fx_request(rpc_client_t *c, uint16_t seq, uint32_t msg_id, const void *payload, size_t len);

/* Log lines and console bytes the library produced. */
extern unsigned fx_log_lines;
extern char fx_last_log[256];
extern uint8_t fx_console[RM_RPC_MAX_PAYLOAD];
extern size_t fx_console_len;
extern const rm_vm_t *fx_console_vm;
void fx_reset_captures(void);

/* A source of choices: below(ctx, n) is in [0, n). */
typedef struct {
	uint64_t (*below)(void *ctx, uint64_t n);
	void *ctx;
} fx_source_t;

/* Counts from a fuzz run. */
typedef struct {
	unsigned messages, fragments_in, requests_started, replies, fragments;
} fx_fuzz_stats_t;

/* Two clients (VMs 3 and 0x80, 0x80 owned by 3) get `steps` generated messages: valid ones and
 * broken ones of every kind. CHECKs along the way that every reply is well-formed and answers a
 * REQUEST header in order, exactly once; at the end that a correct VM_GET_VMID is answered. */
fx_fuzz_stats_t fx_fuzz_run(fx_source_t src, unsigned steps);
