/* rm_client.c - RM RPC on the client's side: Gunyah's fragment header, sending with back-
 * pressure, reassembly of the RM's fragments, and matching a reply to its request. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "le_bytes.h"
#include "link.h"
#include "rm_client.h"
#include "util_string.h"
#include "vdevice.h"

/* One whole message at a time: requests are built and replies reassembled here (the RM
 * client is single-threaded, as every guest program is). */
static rm_message_t scratch;

error_t
rm_client_init(rm_client_t *c)
{
	vdevice_t link;
	error_t err = vdevice_rm_link(&link);
	if (err != OK) {
		return err;
	}
	memset(c, 0, sizeof(*c));
	c->link = link;
	return link_enable(&c->link);
}

uint16_t
rm_client_next_seq(rm_client_t *c)
{
	return c->next_seq++;
}

error_t
rm_client_send_fragment(rm_client_t *c, const void *frag, size_t len, bool push)
{
	return link_send(&c->link, frag, len, push ? MSGQUEUE_SEND_PUSH : 0U, &c->tx_full);
}

static void
read_header(const uint8_t *frag, rm_message_t *m)
{
	m->type = frag[RM_RPC_HEADER_TYPE_OFF] & RM_RPC_TYPE_MASK;
	m->continuations = (uint8_t)(frag[RM_RPC_HEADER_TYPE_OFF] >> RM_RPC_TYPE_BITS);
	m->seq = le16_load(&frag[RM_RPC_HEADER_SEQ_OFF]);
	m->msg_id = le32_load(&frag[RM_RPC_HEADER_MSG_ID_OFF]);
}

error_t
rm_client_receive(rm_client_t *c, rm_message_t *m, bool block)
{
	uint8_t frag[RM_RPC_MESSAGE_SIZE];
	size_t len;
	bool started = false;
	unsigned received = 0;
	for (;;) {
		error_t err = link_receive(&c->link, frag, sizeof(frag), &len, block || started);
		if (err != OK) {
			return err;
		}
		rm_message_t h;
		bool valid = len >= RM_RPC_HEADER_SIZE && frag[RM_RPC_HEADER_API_OFF] == RM_RPC_API_BYTE;
		if (valid) {
			read_header(frag, &h);
		}
		size_t payload = valid ? len - RM_RPC_HEADER_SIZE : 0U;
		if (valid && started && h.type == RM_RPC_TYPE_CONTINUED && h.seq == m->seq &&
		    h.msg_id == m->msg_id && h.continuations == m->continuations) {
			memcpy(&m->payload[m->len], &frag[RM_RPC_HEADER_SIZE], payload);
			m->len += payload;
		} else if (valid && h.type != RM_RPC_TYPE_CONTINUED &&
			   h.continuations <= RM_RPC_MAX_CONTINUATIONS) {
			/* A new message; one that was being put together is lost. */
			c->stray += started ? 1U : 0U;
			*m = (rm_message_t){ .type = h.type, .continuations = h.continuations,
					     .seq = h.seq, .msg_id = h.msg_id, .len = payload };
			memcpy(m->payload, &frag[RM_RPC_HEADER_SIZE], payload);
			started = true;
			received = 0;
			if (m->continuations == 0U) {
				return OK;
			}
			continue;
		} else {
			c->stray++;
			started = false;
			continue;
		}
		if (++received == m->continuations) {
			return OK;
		}
	}
}

static void
keep_note(rm_client_t *c, const rm_message_t *m)
{
	c->notifications++;
	if (c->note_count == RM_CLIENT_NOTES) {
		c->notes_lost++;
		return;
	}
	rm_note_t *n = &c->notes[c->note_count++];
	n->msg_id = m->msg_id;
	n->seq = m->seq;
	n->len = m->len;
	memcpy(n->payload, m->payload, m->len < RM_CLIENT_NOTE_BYTES ? m->len : RM_CLIENT_NOTE_BYTES);
}

bool
rm_client_take_note(rm_client_t *c, rm_note_t *note)
{
	if (c->note_count == 0U) {
		return false;
	}
	*note = c->notes[0];
	c->note_count--;
	memmove(&c->notes[0], &c->notes[1], c->note_count * sizeof(c->notes[0]));
	return true;
}

/* Sends request `msg_id` with sequence number `seq`: RM_RPC_FRAGMENT_PAYLOAD bytes per
 * fragment, the continuation count in every header, PUSH on the last. */
static error_t
send_request(rm_client_t *c, uint16_t seq, uint32_t msg_id, const uint8_t *payload, size_t len)
{
	size_t frags = len == 0U ? 1U : (len + RM_RPC_FRAGMENT_PAYLOAD - 1U) / RM_RPC_FRAGMENT_PAYLOAD;
	uint8_t frag[RM_RPC_MESSAGE_SIZE];
	for (size_t i = 0; i < frags; i++) {
		size_t off = i * RM_RPC_FRAGMENT_PAYLOAD;
		size_t n = len - off < RM_RPC_FRAGMENT_PAYLOAD ? len - off : RM_RPC_FRAGMENT_PAYLOAD;
		uint8_t type = i == 0U ? (uint8_t)RM_RPC_TYPE_REQUEST : (uint8_t)RM_RPC_TYPE_CONTINUED;
		frag[RM_RPC_HEADER_API_OFF] = (uint8_t)RM_RPC_API_BYTE;
		frag[RM_RPC_HEADER_TYPE_OFF] = (uint8_t)(type | (frags - 1U) << RM_RPC_TYPE_BITS);
		le16_store(&frag[RM_RPC_HEADER_SEQ_OFF], seq);
		le32_store(&frag[RM_RPC_HEADER_MSG_ID_OFF], msg_id);
		if (n > 0U) {
			memcpy(&frag[RM_RPC_HEADER_SIZE], payload + off, n);
		}
		error_t err = rm_client_send_fragment(c, frag, RM_RPC_HEADER_SIZE + n, i + 1U == frags);
		if (err != OK) {
			return err;
		}
	}
	return OK;
}

error_t
rm_client_call(rm_client_t *c, uint32_t msg_id, const void *payload, size_t len,
	       uint32_t *rm_error, void *reply, size_t reply_max, size_t *reply_len)
{
	if (len > RM_RPC_MAX_PAYLOAD) {
		return ERROR_ARGUMENT_SIZE;
	}
	uint16_t seq = rm_client_next_seq(c);
	error_t err = send_request(c, seq, msg_id, payload, len);
	if (err != OK) {
		return err;
	}
	rm_message_t *m = &scratch;
	for (;;) {
		err = rm_client_receive(c, m, true);
		if (err != OK) {
			return err;
		}
		if (m->type == RM_RPC_TYPE_NOTIFICATION) {
			keep_note(c, m);
			continue;
		}
		if (m->type != RM_RPC_TYPE_REPLY || m->seq != seq || m->msg_id != msg_id) {
			c->stray++;
			continue;
		}
		if (m->len < RM_RPC_REPLY_SIZE) {
			return ERROR_FAILURE;
		}
		c->last_continuations = m->continuations;
		*rm_error = le32_load(&m->payload[RM_RPC_REPLY_ERROR_OFF]);
		size_t data = m->len - RM_RPC_REPLY_SIZE;
		*reply_len = data;
		if (reply != NULL) {
			memcpy(reply, &m->payload[RM_RPC_REPLY_SIZE], data < reply_max ? data : reply_max);
		}
		return OK;
	}
}
