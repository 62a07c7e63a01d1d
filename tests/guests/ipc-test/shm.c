/* shm.c - the IPC test's shared-memory phase and its end: ping fills the region and rings,
 * pong (read-only) checks every word; then pong writes to it and must be stopped for that. */
#include <stdbool.h>
#include <stdint.h>

#include "bothy_hypercalls.h"
#include "check.h"
#include "counter.h"
#include "guest.h"
#include "ipc_wait.h"
#include "le_bytes.h"
#include "rm_client.h"
#include "rm_rpc_abi.h"

#include "ipc_test.h"

#define SHM_FLAG 1UL
#define WORD_MIX 0x9e3779b97f4a7c15UL
/* How long ping waits for the RM to report pong's end (CNTVCT ticks = seconds x CNTFRQ). */
#define EXIT_WAIT_SECONDS 20U

static uint64_t
word(uint64_t i)
{
	return (i + 1U) * WORD_MIX ^ T.buf.base;
}

void
shm_checks(void)
{
	/* Device memory while the MMU is off: aligned 64-bit accesses only. */
	volatile uint64_t *mem = (volatile uint64_t *)(uintptr_t)T.buf.base;
	uint64_t words = T.buf.size / sizeof(uint64_t);
	check_value("shared memory: access from the DT", T.buf.writable, T.ping ? 1U : 0U);
	check_value("shared memory: same peer as the queues", T.buf.peer_vmid, T.peer_vmid);
	if (T.ping) {
		for (uint64_t i = 0; i < words; i++) {
			mem[i] = word(i);
		}
		if (bothy_doorbell_send(T.bell_out.tx_cap, SHM_FLAG).error != OK) {
			guest_fail("doorbell_send failed");
		}
		uint64_t bad = 0;
		ctl_expect(CTL_REPORT, &bad, sizeof(bad));
		guest_printf("%s: shared memory: %lu words written, %lu read back wrong by the peer\n",
			     CHECK_PREFIX, words, bad);
		check_value("shared memory: words the read-only peer saw wrong", bad, 0);
		return;
	}
	uint64_t flags = 0;
	while (flags == 0U) {
		ipc_wait_for(T.bell_in.rx_intid);
		flags = bothy_doorbell_receive(T.bell_in.rx_cap, ~0UL).old_flags;
	}
	check_value("shared memory: the doorbell said it is written", flags, SHM_FLAG);
	uint64_t bad = 0;
	for (uint64_t i = 0; i < words; i++) {
		bad += mem[i] != word(i);
	}
	check_value("shared memory: words read wrong", bad, 0);
	ctl_send(CTL_REPORT, &bad, sizeof(bad));
}

/* ping: NOTIFY_VM_EXITED about the peer within EXIT_WAIT_SECONDS (polled, so a missing one
 * ends in a FAIL line instead of a hang); its exit_type, or -1. */
static int64_t
await_peer_exit(void)
{
	static rm_message_t m;
	uint64_t deadline = guest_counter() + EXIT_WAIT_SECONDS * guest_counter_hz();
	while (guest_counter() < deadline) {
		if (rm_client_receive(&T.rm, &m, false) != OK) {
			continue;
		}
		if (m.type == RM_RPC_TYPE_NOTIFICATION) {
			T.rm.notifications++;
		}
		if (m.type == RM_RPC_TYPE_NOTIFICATION && m.msg_id == RM_RPC_NOTIFY_VM_EXITED &&
		    m.len >= RM_RPC_NOTIFY_VM_EXITED_SIZE &&
		    le16_load(&m.payload[RM_RPC_NOTIFY_VM_EXITED_VMID_OFF]) == T.peer_vmid) {
			return le16_load(&m.payload[RM_RPC_NOTIFY_VM_EXITED_EXIT_TYPE_OFF]);
		}
	}
	return -1;
}

void
finish(void)
{
	if (T.ping) {
		ctl_expect(CTL_DONE, NULL, 0);
		int64_t exit_type = await_peer_exit();
		guest_printf("%s: NOTIFY_VM_EXITED for VM 0x%x: exit type %ld\n", CHECK_PREFIX,
			     T.peer_vmid, exit_type);
		check_true("NOTIFY_VM_EXITED for the secondary after its fault", exit_type >= 0);
		(void)check_end();
		return; /* the primary's power-off ends the machine */
	}
	unsigned failures = check_end();
	ctl_send(CTL_DONE, NULL, 0);
	if (failures != 0U) {
		guest_fail("checks failed");
	}
	/* Last: a write to the region this VM may only read. The hypervisor must refuse it at
	 * stage 2 and report the fault, and the RM must stop this VM and tell its owner. */
	guest_printf("%s: writing to read-only shared memory at 0x%lx\n", CHECK_PREFIX, T.buf.base);
	*(volatile uint64_t *)(uintptr_t)T.buf.base = 0;
	guest_printf("%s: FAIL: the write to read-only shared memory went through\n", CHECK_PREFIX);
}
