/* rm_client.h - a VM's client of the RM's RPC protocol over its RM queue pair (rm-rpc.md):
 * requests fragmented and pushed, replies matched by sequence number and ID and reassembled. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bothy_abi.h"
#include "rm_rpc_abi.h"
#include "vdevice.h"

/* Notifications a client keeps for its program while it waits for replies (older ones are
 * only counted once this many are kept). */
#define RM_CLIENT_NOTES 8U
/* Bytes of a kept notification's payload. */
#define RM_CLIENT_NOTE_BYTES 64U

/* One whole message as received: header fields and the reassembled payload. */
typedef struct {
	uint8_t type; /* RM_RPC_TYPE_REPLY or RM_RPC_TYPE_NOTIFICATION (or what the RM sent) */
	uint8_t continuations;
	uint16_t seq;
	uint32_t msg_id;
	size_t len;
	uint8_t payload[RM_RPC_MAX_PAYLOAD];
} rm_message_t;

typedef struct {
	uint32_t msg_id;
	uint16_t seq;
	size_t len;
	uint8_t payload[RM_CLIENT_NOTE_BYTES];
} rm_note_t;

typedef struct {
	vdevice_t link; /* the RM link end */
	uint16_t next_seq;
	/* Kept notifications, oldest first. */
	rm_note_t notes[RM_CLIENT_NOTES];
	unsigned note_count;
	/* Counters for tests and benchmarks. */
	uint32_t notifications; /* notifications received */
	uint32_t notes_lost;	/* notifications not kept (RM_CLIENT_NOTES were) */
	uint32_t stray;		/* fragments or replies that matched nothing waited for */
	uint8_t last_continuations; /* of the last reply rm_client_call returned */
	uint64_t tx_full;	/* sends refused with ERROR_MSGQUEUE_FULL (then waited) */
} rm_client_t;

/* A client on this VM's RM link (its device tree) using ipc_wait (whose mode decides whether
 * waits block); enables the link's two interrupts. */
error_t rm_client_init(rm_client_t *c);

/* One request and its reply: sends `len` bytes of payload as request `msg_id` (fragmented,
 * PUSH on the last fragment), then receives until the reply with the same sequence number and
 * ID, keeping notifications and counting anything else as stray. *rm_error is the reply's
 * first word; up to `reply_max` bytes after it go to `reply`, *reply_len says how many there
 * were (it may exceed reply_max: the rest is dropped). ERROR_ARGUMENT_SIZE for a payload
 * above RM_RPC_MAX_PAYLOAD; ERROR_FAILURE for a reply shorter than its error word; a
 * hypercall's error as it is. */
error_t rm_client_call(rm_client_t *c, uint32_t msg_id, const void *payload, size_t len,
		       uint32_t *rm_error, void *reply, size_t reply_max, size_t *reply_len);

/* The sequence number the next request gets (and reserves it): for programs that build
 * their own fragments. */
uint16_t rm_client_next_seq(rm_client_t *c);

/* Sends one raw fragment of `len` bytes (0..RM_RPC_MESSAGE_SIZE) as it is, waiting while the
 * queue is full. */
error_t rm_client_send_fragment(rm_client_t *c, const void *frag, size_t len, bool push);

/* Receives the next whole message into *m (notifications included, not kept). With `block`
 * false: ERROR_MSGQUEUE_EMPTY when no fragment is waiting (once a message began, its other
 * fragments are always waited for). Fragments that cannot continue the message being put
 * together are counted as stray and the message starts over. */
error_t rm_client_receive(rm_client_t *c, rm_message_t *m, bool block);

/* Takes the oldest kept notification; false if none is kept. */
bool rm_client_take_note(rm_client_t *c, rm_note_t *note);
