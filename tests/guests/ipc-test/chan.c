/* chan.c - the IPC test's queue-pair phases: round trips of every size on "chan", and the
 * stress stream on "bulk" with sequence numbers, a checksum and backpressure counted. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "guest.h"
#include "ipc_wait.h"
#include "le_bytes.h"
#include "link.h"
#include "util_string.h"

#include "ipc_test.h"

#define ECHO_XOR 0x5aU
/* The stress stream: a 4-byte sequence number, then (seq % STRESS_SPREAD) more bytes. */
#define STRESS_HEADER 4U
#define STRESS_MIN 8U
#define STRESS_SPREAD 233U /* sizes 8..240 */
#define STRESS_MAX_MESSAGES (1UL << 21) /* 256 KiB of bits, within the program slot */
/* After the stream, a header alone with this number: the receiver stops at it, so a lost
 * message is counted, not waited for. */
#define STRESS_END 0xffffffffU
#define FNV_OFFSET 0xcbf29ce484222325UL
#define FNV_PRIME 0x100000001b3UL

static uint8_t
pingpong_byte(unsigned round, size_t i)
{
	return (uint8_t)(round * 31U + i * 7U + 1U);
}

void
chan_pingpong(unsigned rounds)
{
	uint8_t msg[RM_RPC_MESSAGE_SIZE], back[RM_RPC_MESSAGE_SIZE];
	unsigned bad_size = 0, bad_bytes = 0, sizes_seen = 0, fp_changed = 0;
	for (unsigned r = 0; r < rounds; r++) {
		size_t size = 1U + r % T.chan.tx_msg_size, got = 0;
		/* Each side's FP/SIMD registers hold its own pattern across the round, in which
		 * the peer (on the same CPU) runs and fills its registers with another. This C
		 * is built with -mgeneral-regs-only, so nothing here touches them. */
		uint64_t fp_seed = ((uint64_t)T.vmid << 32) | r;
		fp_state_fill(fp_seed);
		sizes_seen = size > sizes_seen ? (unsigned)size : sizes_seen;
		if (T.ping) {
			for (size_t i = 0; i < size; i++) {
				msg[i] = pingpong_byte(r, i);
			}
			if (link_send(&T.chan, msg, size, MSGQUEUE_SEND_PUSH, NULL) != OK ||
			    link_receive(&T.chan, back, sizeof(back), &got, true) != OK) {
				guest_fail("ping-pong: send or receive failed");
			}
			for (size_t i = 0; i < size && got == size; i++) {
				bad_bytes += back[i] != (msg[i] ^ ECHO_XOR);
			}
		} else {
			if (link_receive(&T.chan, msg, sizeof(msg), &got, true) != OK) {
				guest_fail("ping-pong: receive failed");
			}
			for (size_t i = 0; i < got; i++) {
				bad_bytes += msg[i] != pingpong_byte(r, i);
				back[i] = msg[i] ^ ECHO_XOR;
			}
			if (link_send(&T.chan, back, got, MSGQUEUE_SEND_PUSH, NULL) != OK) {
				guest_fail("ping-pong: send failed");
			}
		}
		bad_size += got != size;
		fp_changed += fp_state_mismatches(fp_seed);
	}
	guest_printf("%s: ping-pong: %u round trips, sizes 1..%u, FP/SIMD registers changed %u "
		     "times\n",
		     CHECK_PREFIX, rounds, sizes_seen, fp_changed);
	check_value("ping-pong: FP/SIMD registers changed by the peer's turn", fp_changed, 0);
	check_value("ping-pong: messages of the wrong size", bad_size, 0);
	check_value("ping-pong: wrong payload bytes", bad_bytes, 0);
}

static size_t
stress_size(uint32_t seq)
{
	return STRESS_MIN + seq % STRESS_SPREAD;
}

static uint8_t
stress_byte(uint32_t seq, size_t i)
{
	return (uint8_t)(seq * 13U + i);
}

static uint64_t
fnv(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h = (h ^ p[i]) * FNV_PRIME;
	}
	return h;
}

/* What the receiver saw, sent back to the sender on "chan". */
typedef struct {
	uint64_t received, lost, duplicated, reordered, bad_size, bad_bytes, checksum;
} stress_report_t;

/* One bit per sequence number: duplicates and late arrivals need to know what came. */
static uint64_t seen_bits[STRESS_MAX_MESSAGES / 64U];

static void
stress_receive(uint64_t messages, stress_report_t *rep)
{
	uint8_t msg[RM_RPC_MESSAGE_SIZE];
	uint64_t unique = 0, next = 0;
	rep->checksum = FNV_OFFSET;
	for (;;) {
		size_t got;
		if (link_receive(&T.bulk, msg, sizeof(msg), &got, true) != OK) {
			guest_fail("stress: receive failed");
		}
		if (got == STRESS_HEADER && le32_load(msg) == STRESS_END) {
			break;
		}
		rep->received++;
		rep->checksum = fnv(rep->checksum, msg, got);
		if (got < STRESS_HEADER) {
			rep->bad_size++;
			continue;
		}
		uint32_t seq = le32_load(msg);
		if (seq >= messages) {
			rep->bad_bytes++;
			continue;
		}
		uint64_t bit = 1UL << (seq % 64U);
		if ((seen_bits[seq / 64U] & bit) != 0U) {
			rep->duplicated++;
			continue;
		}
		seen_bits[seq / 64U] |= bit;
		unique++;
		if (seq != next) {
			rep->reordered += seq < next;
		}
		next = seq >= next ? seq + 1U : next;
		rep->bad_size += got != stress_size(seq);
		for (size_t i = STRESS_HEADER; i < got; i++) {
			rep->bad_bytes += msg[i] != stress_byte(seq, i);
		}
	}
	rep->lost = messages - unique;
}

/* What the sender did, sent to the receiver after the stream. */
typedef struct {
	uint64_t sent, fulls, not_full_irqs, checksum;
} stress_sender_t;

/* The receiver's side: its counts and the sender's, checked and printed in one line (a
 * secondary VM's lines reach the console whole; the primary's may be interleaved). */
static void
stress_checks(uint64_t messages, const stress_report_t *rep, const stress_sender_t *snd)
{
	guest_printf("%s: stress: %lu messages sent, %lu received, %lu lost, %lu duplicated, "
		     "%lu reordered, queue full %lu times, %lu not-full interrupts, checksum 0x%lx\n",
		     CHECK_PREFIX, snd->sent, rep->received, rep->lost, rep->duplicated,
		     rep->reordered, snd->fulls, snd->not_full_irqs, rep->checksum);
	check_value("stress: messages sent", snd->sent, messages);
	check_value("stress: messages received", rep->received, messages);
	check_value("stress: lost", rep->lost, 0);
	check_value("stress: duplicated", rep->duplicated, 0);
	check_value("stress: reordered", rep->reordered, 0);
	check_value("stress: wrong sizes", rep->bad_size, 0);
	check_value("stress: wrong payload bytes", rep->bad_bytes, 0);
	check_value("stress: receiver's checksum = sender's", rep->checksum, snd->checksum);
	check_true("stress: the queue was full at least once (backpressure)", snd->fulls > 0U);
	check_true("stress: the not-full interrupt woke the sender",
		   !ipc_wait_blocking() || snd->not_full_irqs > 0U);
}

void
chan_stress(uint64_t messages)
{
	if (messages > STRESS_MAX_MESSAGES) {
		guest_fail("stress: more messages than the receiver can track");
	}
	stress_report_t rep = { 0 };
	stress_sender_t snd = { 0 };
	if (!T.ping) {
		stress_receive(messages, &rep);
		ctl_expect(CTL_REPORT, &snd, sizeof(snd));
		stress_checks(messages, &rep, &snd);
		ctl_send(CTL_REPORT, &rep, sizeof(rep));
		return;
	}
	uint8_t msg[RM_RPC_MESSAGE_SIZE];
	snd.checksum = FNV_OFFSET;
	uint64_t irqs_before = ipc_wait_count(T.bulk.tx_intid);
	for (uint64_t s = 0; s < messages; s++) {
		uint32_t seq = (uint32_t)s;
		size_t size = stress_size(seq);
		le32_store(msg, seq);
		for (size_t i = STRESS_HEADER; i < size; i++) {
			msg[i] = stress_byte(seq, i);
		}
		snd.checksum = fnv(snd.checksum, msg, size);
		/* No PUSH: the receiver's line is up from the first message anyway (threshold 1). */
		if (link_send(&T.bulk, msg, size, 0, &snd.fulls) != OK) {
			guest_fail("stress: send failed");
		}
		snd.sent++;
	}
	le32_store(msg, STRESS_END);
	if (link_send(&T.bulk, msg, STRESS_HEADER, MSGQUEUE_SEND_PUSH, &snd.fulls) != OK) {
		guest_fail("stress: send failed");
	}
	snd.not_full_irqs = ipc_wait_count(T.bulk.tx_intid) - irqs_before;
	ctl_send(CTL_REPORT, &snd, sizeof(snd));
	ctl_expect(CTL_REPORT, &rep, sizeof(rep));
	check_value("stress: the receiver got every message once, in order",
		    rep.received == messages && rep.lost == 0U && rep.duplicated == 0U &&
			    rep.reordered == 0U,
		    1);
	check_value("stress: receiver's checksum = sender's", rep.checksum, snd.checksum);
	check_true("stress: the queue was full at least once (backpressure)", snd.fulls > 0U);
}
