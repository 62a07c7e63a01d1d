/* main.c - a hostile VM and its victim, both VMs the RM builds: the secondary ("hostile")
 * forges RM log lines, buries its owner in notifications and floods the RM from its vCPU 1;
 * the primary ("owner") measures what that costs it. tests/test_rm_hostile.py reads the lines. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bothy_hypercalls.h"
#include "counter.h"
#include "guest.h"
#include "ipc_wait.h"
#include "le_bytes.h"
#include "rm_client.h"
#include "rm_rpc_abi.h"
#include "util_string.h"
#include "vdevice.h"

#define PREFIX "rm-hostile"
#define LINK_SYNC "sync" /* shared memory, rw for both: the steps below */

/* Phase 2: requests the hostile VM sends while its owner reads nothing. */
#define STATUS_REQUESTS 100U
#define CONSOLE_WRITES 200U
/* Phase 3: the length of each of its two windows (quiet, then flooded). */
#define FLOOD_SECONDS 2U
#define REPLY_TIMEOUT_SECONDS 5U

#define PSCI_CPU_ON_64 (PSCI_FUNCTION_CPU_ON | PSCI_FUNCTION_SMC64)

/* The shared region: each side's step (each writes only its own) and phase 3's window. */
typedef struct {
	volatile uint64_t owner_step;
	volatile uint64_t hostile_step;
	/* Phase 3's current window, in virtual counter ticks. */
	volatile uint64_t window_start, window_end;
} sync_t;

static sync_t *sync_area;
static rm_client_t rm;
static uint16_t self_vmid, peer_vmid;

/* --- helpers --------------------------------------------------------------------------------- */

static void
yield(void)
{
	(void)bothy_scheduler_yield(0, 0);
}

static void
wait_step(volatile uint64_t *step, uint64_t at_least)
{
	while (*step < at_least) {
		yield();
	}
}

static uint64_t
us(uint64_t ticks)
{
	return ticks * 1000000U / guest_counter_hz();
}

static uint32_t
call(uint32_t msg_id, const void *payload, size_t len)
{
	uint32_t rm_error = 0;
	uint8_t out[64];
	size_t out_len = 0;
	error_t err =
		rm_client_call(&rm, msg_id, payload, len, &rm_error, out, sizeof(out), &out_len);
	if (err != OK) {
		guest_fail(PREFIX ": RM call failed");
	}
	return rm_error;
}

static uint32_t
vmid_call(uint32_t msg_id, uint16_t vmid)
{
	uint8_t req[RM_RPC_VMID_REQUEST_SIZE] = { 0 };
	le16_store(&req[RM_RPC_VMID_REQUEST_VMID_OFF], vmid);
	return call(msg_id, req, sizeof(req));
}

static uint32_t
console_write(const char *text, size_t len)
{
	static uint8_t req[RM_RPC_CONSOLE_WRITE_REQUEST_SIZE + 128U];
	if (len > sizeof(req) - RM_RPC_CONSOLE_WRITE_REQUEST_SIZE) {
		guest_fail(PREFIX ": console write too long");
	}
	le16_store(&req[RM_RPC_CONSOLE_WRITE_REQUEST_VMID_OFF], 0);
	le16_store(&req[RM_RPC_CONSOLE_WRITE_REQUEST_NUM_BYTES_OFF], (uint16_t)len);
	memcpy(&req[RM_RPC_CONSOLE_WRITE_REQUEST_SIZE], text, len);
	return call(RM_RPC_VM_CONSOLE_WRITE, req, RM_RPC_CONSOLE_WRITE_REQUEST_SIZE + len);
}

/* --- the hostile VM ------------------------------------------------------------------------ */

/* Shared between the hostile VM's two vCPUs (memory is uncached: the MMU is off). */
static volatile uint64_t flood_go, flood_done, flood_sent, flood_full;
static cap_id_t flood_cap;

void flood_entry(void);
void flood_main(void);

/* vCPU 1, on CPU 1: VM_GET_VMID requests as fast as the RM's queue takes them, never reading
 * a reply, until the flood's end. */
void
flood_main(void)
{
	while (flood_go == 0U) {
	}
	static uint8_t frag[RM_RPC_HEADER_SIZE] __attribute__((aligned(16)));
	frag[RM_RPC_HEADER_API_OFF] = (uint8_t)RM_RPC_API_BYTE;
	frag[RM_RPC_HEADER_TYPE_OFF] = (uint8_t)RM_RPC_TYPE_REQUEST;
	le32_store(&frag[RM_RPC_HEADER_MSG_ID_OFF], RM_RPC_VM_GET_VMID);
	uint64_t sent = 0, full = 0;
	uint16_t seq = 0x8000U;
	while (guest_counter() < sync_area->window_end) {
		le16_store(&frag[RM_RPC_HEADER_SEQ_OFF], seq);
		error_t err = bothy_msgqueue_send(flood_cap, sizeof(frag), (uintptr_t)frag,
						  MSGQUEUE_SEND_PUSH)
				      .error;
		if (err == OK) {
			sent++;
			seq++;
		} else {
			full++;
		}
	}
	flood_sent = sent;
	flood_full = full;
	flood_done = 1U;
	for (;;) {
		__asm__ volatile("wfi");
	}
}

static void
hostile_main(void)
{
	/* Phase 1: lines that would read as the RM's own (the RM's console lines are all
	 * "[rm] ..."), one of them behind a carriage return, and an escape sequence. */
	if (vmid_call(RM_RPC_VM_CONSOLE_OPEN, 0) != RM_OK) {
		guest_fail(PREFIX ": VM_CONSOLE_OPEN refused");
	}
	static const char forged[] = "VM 'owner' stopped (fault)\n"
				     "half a line\rVM 'owner' stopped (fault)\x1b[0m\n";
	if (console_write(forged, sizeof(forged) - 1U) != RM_OK) {
		guest_fail(PREFIX ": VM_CONSOLE_WRITE refused");
	}
	sync_area->hostile_step = 1U;

	/* Phase 2: once the owner has opened its side of this VM's console and stopped reading,
	 * status changes and console bytes, each of which the RM passes on to the owner. */
	wait_step(&sync_area->owner_step, 1U);
	uint8_t st[RM_RPC_VM_SET_STATUS_REQUEST_SIZE] = { 0 };
	for (unsigned i = 1; i <= STATUS_REQUESTS; i++) {
		st[RM_RPC_VM_SET_STATUS_REQUEST_VM_STATUS_OFF] = RM_VM_STATE_NONE;
		st[RM_RPC_VM_SET_STATUS_REQUEST_OS_STATUS_OFF] = RM_OS_STATE_RUN;
		le16_store(&st[RM_RPC_VM_SET_STATUS_REQUEST_APP_STATUS_OFF], (uint16_t)i);
		if (call(RM_RPC_VM_SET_STATUS, st, sizeof(st)) != RM_OK) {
			guest_fail(PREFIX ": VM_SET_STATUS refused");
		}
	}
	for (unsigned i = 0; i < CONSOLE_WRITES; i++) {
		(void)console_write("x", 1U);
	}
	guest_printf("%s: sent %u VM_SET_STATUS and %u console writes\n", PREFIX, STATUS_REQUESTS,
		     CONSOLE_WRITES);
	sync_area->hostile_step = 2U;

	/* Phase 3: two windows of FLOOD_SECONDS, the first quiet, the second with vCPU 1
	 * flooding the RM; in both this vCPU counts how often it runs (yielding each time, so
	 * the owner on the same CPU runs too) while the owner times its round trips. */
	flood_cap = rm.link.tx_cap;
	bothy_regs_t r = { { PSCI_CPU_ON_64, 1U, (uint64_t)(uintptr_t)flood_entry, 0U } };
	bothy_smccc_call(&r);
	if (r.x[0] != 0U) {
		guest_fail(PREFIX ": PSCI CPU_ON of vCPU 1 failed");
	}
	for (unsigned w = 0; w < 2U; w++) {
		wait_step(&sync_area->owner_step, 3U + w);
		uint64_t start = guest_counter();
		sync_area->window_start = start;
		sync_area->window_end = start + FLOOD_SECONDS * guest_counter_hz();
		flood_go = w;
		sync_area->hostile_step = 3U + w;
		uint64_t runs = 0, last = start, stall = 0;
		for (;;) {
			uint64_t now = guest_counter();
			if (now - last > stall) {
				stall = now - last;
			}
			last = now;
			if (now >= sync_area->window_end) {
				break;
			}
			runs++;
			yield();
		}
		if (w == 1U) {
			while (flood_done == 0U) {
				yield();
			}
			guest_printf("%s: flood: vCPU 1 sent %lu requests in %u s (%lu refused as "
				     "full)\n",
				     PREFIX, flood_sent, FLOOD_SECONDS, flood_full);
		}
		guest_printf("%s: %s: vCPU 0 ran %lu times in %u s, longest stall %lu us\n", PREFIX,
			     w == 0U ? "idle" : "flood", runs, FLOOD_SECONDS, us(stall));
	}
	sync_area->hostile_step = 5U;
	/* Quiet from here on (the owner prints its results and ends the machine). */
	for (;;) {
		__asm__ volatile("wfi");
	}
}

/* --- the owner ------------------------------------------------------------------------------ */

/* What the owner measured, printed at the end: its console is the raw serial stream, into
 * which other VMs' lines would cut while they still print. */
static struct {
	bool replied;
	unsigned status, console, other;
	uint16_t last_app;
	uint64_t n[2], mean_us[2], max_us[2];
} results;

/* Reads every message until the reply to VM_GET_VMID request `seq` or the timeout, counting
 * notifications; afterwards anything still queued, until the queue stays empty a while. */
static void
owner_collect(uint16_t seq)
{
	static rm_message_t m;
	uint64_t hz = guest_counter_hz();
	uint64_t deadline = guest_counter() + REPLY_TIMEOUT_SECONDS * hz;
	unsigned status = 0, console = 0, other = 0;
	uint16_t last_app = 0;
	bool replied = false;
	uint64_t quiet_until = 0;
	for (;;) {
		error_t err = rm_client_receive(&rm, &m, false);
		uint64_t now = guest_counter();
		if (err == ERROR_MSGQUEUE_EMPTY) {
			if (replied ? now >= quiet_until : now >= deadline) {
				break;
			}
			yield();
			continue;
		}
		if (err != OK) {
			guest_fail(PREFIX ": receive failed");
		}
		if (m.type == RM_RPC_TYPE_REPLY && m.seq == seq && m.msg_id == RM_RPC_VM_GET_VMID) {
			replied = true;
		} else if (m.type == RM_RPC_TYPE_NOTIFICATION &&
			   m.msg_id == RM_RPC_NOTIFY_VM_STATUS &&
			   m.len >= RM_RPC_NOTIFY_VM_STATUS_SIZE) {
			status++;
			last_app = le16_load(&m.payload[RM_RPC_NOTIFY_VM_STATUS_APP_STATUS_OFF]);
		} else if (m.type == RM_RPC_TYPE_NOTIFICATION &&
			   m.msg_id == RM_RPC_NOTIFY_VM_CONSOLE_CHARS) {
			console++;
		} else {
			other++;
		}
		quiet_until = now + hz / 10U;
	}
	results.replied = replied;
	results.status = status;
	results.last_app = last_app;
	results.console = console;
	results.other = other;
}

static void
owner_main(void)
{
	/* Phase 2: open the hostile VM's console (its bytes now come here too), then read
	 * nothing while it sends. */
	wait_step(&sync_area->hostile_step, 1U);
	if (vmid_call(RM_RPC_VM_CONSOLE_OPEN, peer_vmid) != RM_OK) {
		guest_fail(PREFIX ": VM_CONSOLE_OPEN of the hostile VM's console refused");
	}
	sync_area->owner_step = 1U;
	wait_step(&sync_area->hostile_step, 2U);
	uint16_t seq = rm_client_next_seq(&rm);
	uint8_t frag[RM_RPC_HEADER_SIZE] = { 0 };
	frag[RM_RPC_HEADER_API_OFF] = (uint8_t)RM_RPC_API_BYTE;
	frag[RM_RPC_HEADER_TYPE_OFF] = (uint8_t)RM_RPC_TYPE_REQUEST;
	le16_store(&frag[RM_RPC_HEADER_SEQ_OFF], seq);
	le32_store(&frag[RM_RPC_HEADER_MSG_ID_OFF], RM_RPC_VM_GET_VMID);
	if (rm_client_send_fragment(&rm, frag, sizeof(frag), true) != OK) {
		guest_fail(PREFIX ": cannot send VM_GET_VMID");
	}
	owner_collect(seq);
	if (vmid_call(RM_RPC_VM_CONSOLE_CLOSE, peer_vmid) != RM_OK) {
		guest_fail(PREFIX ": VM_CONSOLE_CLOSE refused");
	}

	/* Phase 3: VM_GET_VMID round trips for as long as each window lasts: the quiet one,
	 * then the one in which the hostile VM floods the RM. */
	for (unsigned w = 0; w < 2U; w++) {
		sync_area->owner_step = 3U + w;
		wait_step(&sync_area->hostile_step, 3U + w);
		uint64_t n = 0, max = 0;
		while (guest_counter() < sync_area->window_end) {
			uint64_t t0 = guest_counter();
			(void)call(RM_RPC_VM_GET_VMID, NULL, 0);
			uint64_t t = guest_counter() - t0;
			max = t > max ? t : max;
			n++;
		}
		uint64_t window = sync_area->window_end - sync_area->window_start;
		results.n[w] = n;
		results.mean_us[w] = us(n == 0U ? window : window / n);
		results.max_us[w] = us(max);
	}
	wait_step(&sync_area->hostile_step, 5U);
	guest_printf("%s: notifications: reply after %u VM_SET_STATUS and %u console writes: %s\n",
		     PREFIX, STATUS_REQUESTS, CONSOLE_WRITES, results.replied ? "ok" : "lost");
	guest_printf("%s: notifications: %u NOTIFY_VM_STATUS (last app_status %u), %u "
		     "NOTIFY_VM_CONSOLE_CHARS, %u other\n",
		     PREFIX, results.status, (unsigned)results.last_app, results.console,
		     results.other);
	for (unsigned w = 0; w < 2U; w++) {
		guest_printf("%s: %s: %lu VM_GET_VMID round trips in %u s: mean %lu us, max %lu "
			     "us\n",
			     PREFIX, w == 0U ? "idle" : "flood", results.n[w], FLOOD_SECONDS,
			     results.mean_us[w], results.max_us[w]);
	}
	guest_printf("%s: done\n", PREFIX);
}

void
guest_main(const root_boot_info_t *info)
{
	(void)info;
	vdevice_t sync_end;
	if (vdevice_own_vmid(&self_vmid) != OK || vdevice_find(LINK_SYNC, &sync_end) != OK ||
	    sync_end.kind != VDEVICE_SHARED_MEMORY || !sync_end.writable) {
		guest_fail(PREFIX ": no VMID or no writable 'sync' region in the device tree");
	}
	peer_vmid = sync_end.peer_vmid;
	sync_area = (sync_t *)(uintptr_t)sync_end.base;
	/* Polling: waits spin (and yield), so nothing here depends on the RM's interrupts. */
	if (ipc_wait_init(false) != OK || rm_client_init(&rm) != OK) {
		guest_fail(PREFIX ": no RM client");
	}
	bool owner = self_vmid == RM_VMID_HLOS;
	guest_printf("%s: VM 0x%x (%s), peer 0x%x\n", PREFIX, self_vmid,
		     owner ? "owner" : "hostile", peer_vmid);
	if (owner) {
		owner_main();
	} else {
		hostile_main();
	}
}
