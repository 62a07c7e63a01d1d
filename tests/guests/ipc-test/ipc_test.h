/* ipc_test.h - what the IPC test guest's phases share: the two roles ("ping" is the primary VM,
 * "pong" the secondary), their link ends, the control messages between them and the checks. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rm_client.h"
#include "vdevice.h"

/* The links the test's config declares (tests/test_ipc.py), by name. */
#define LINK_CHAN "chan"	 /* queue pair: control messages and the ping-pong */
#define LINK_BULK "bulk"	 /* queue pair: the stress stream */
#define LINK_BELL "bell"	 /* doorbell ping -> pong */
#define LINK_BELLBACK "bellback" /* doorbell pong -> ping */
#define LINK_BUF "buf"		 /* shared memory, rw for ping, r for pong */

#define CHECK_PREFIX "ipc-test"

typedef struct {
	bool ping; /* the primary VM's role; the secondary plays pong */
	uint16_t vmid, peer_vmid;
	vdevice_t chan, bulk, bell_out, bell_in, buf;
	rm_client_t rm;
} ipc_test_t;

extern ipc_test_t T;

/* Control messages on "chan": a tag word, then a body of up to CTL_BODY_MAX bytes. */
#define CTL_BODY_MAX 64U
enum {
	CTL_HELLO = 0x48454c4fU,
	CTL_REPORT = 0x5245504fU,
	CTL_GO = 0x474f2121U,
	CTL_DONE = 0x444f4e45U,
	CTL_CONSOLE = 0x434f4e53U, /* ping opened pong's console */
};
void ctl_send(uint32_t tag, const void *body, size_t len);
/* Receives the next control message, which must be `tag` with exactly `len` body bytes
 * (anything else fails the test: the two sides are out of step). */
void ctl_expect(uint32_t tag, void *body, size_t len);

/* Counted checks (check.h) with exact values, plus a bare condition. */
void check_true(const char *what, bool ok);

/* fp_state.S: fill q0-q31 and FPCR.RMode from `seed`; count registers that differ. */
void fp_state_fill(uint64_t seed);
unsigned fp_state_mismatches(uint64_t seed);

/* The phases, in the order both sides run them. */
void rpc_checks(void);
void rpc_notification_checks(void);
void rpc_console_forwarding_checks(void);
void chan_pingpong(unsigned rounds);
void chan_stress(uint64_t messages);
void time_slices(void);
void bell_storm(unsigned rounds);
void bell_masks(void);
void shm_checks(void);
void finish(void);
