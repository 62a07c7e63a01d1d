/* main.c - the IPC test guest: one program in two VMs that finds its role and link ends in its
 * device tree, then runs RM RPC, queue, doorbell and shared-memory phases in step with its peer. */
#include <stdbool.h>
#include <stdint.h>

#include "check.h"
#include "guest.h"
#include "ipc_wait.h"
#include "link.h"
#include "platform_config.h"
#include "rm_rpc_abi.h"
#include "vdevice.h"

#include "ipc_test.h"

#define PINGPONG_ROUNDS 1000U
#define BELL_ROUNDS 200U

ipc_test_t T;

void
check_true(const char *what, bool ok)
{
	check_value(what, ok ? 1U : 0U, 1U);
}

static void
find(const char *name, vdevice_kind_t kind, vdevice_t *out)
{
	error_t err = vdevice_find(name, out);
	if (err != OK || out->kind != kind) {
		guest_printf("%s: link end '%s': error %d, kind %d (want %d)\n", CHECK_PREFIX, name,
			     (int)err, (int)out->kind, (int)kind);
		guest_fail("a link end the test needs is missing from the device tree");
	}
	if (link_enable(out) != OK) {
		guest_fail("cannot enable a link end's interrupts");
	}
}

void
ctl_send(uint32_t tag, const void *body, size_t len)
{
	uint8_t msg[4U + CTL_BODY_MAX];
	if (len > CTL_BODY_MAX) {
		guest_fail("control message too long");
	}
	for (unsigned i = 0; i < 4U; i++) {
		msg[i] = (uint8_t)(tag >> (8U * i));
	}
	for (size_t i = 0; i < len; i++) {
		msg[4U + i] = ((const uint8_t *)body)[i];
	}
	if (link_send(&T.chan, msg, 4U + len, MSGQUEUE_SEND_PUSH, NULL) != OK) {
		guest_fail("cannot send a control message");
	}
}

void
ctl_expect(uint32_t tag, void *body, size_t len)
{
	uint8_t msg[RM_RPC_MESSAGE_SIZE];
	size_t got;
	if (link_receive(&T.chan, msg, sizeof(msg), &got, true) != OK) {
		guest_fail("cannot receive a control message");
	}
	uint32_t t = (uint32_t)msg[0] | (uint32_t)msg[1] << 8 | (uint32_t)msg[2] << 16 |
		     (uint32_t)msg[3] << 24;
	if (got != 4U + len || t != tag) {
		guest_printf("%s: control message: got tag 0x%x size %lu, want 0x%x size %lu\n",
			     CHECK_PREFIX, t, got, tag, 4U + len);
		guest_fail("the two VMs are out of step");
	}
	for (size_t i = 0; i < len; i++) {
		((uint8_t *)body)[i] = msg[4U + i];
	}
}

static void
setup(void)
{
	if (vdevice_own_vmid(&T.vmid) != OK) {
		guest_fail("no /hypervisor/qcom,gunyah-vm qcom,vmid");
	}
	T.ping = T.vmid == RM_VMID_HLOS;
	error_t err = ipc_wait_init(true);
	check_error("GIC set up for blocking waits", (uint64_t)(int64_t)err, OK);
	find(LINK_CHAN, VDEVICE_MSGQ_PAIR, &T.chan);
	find(LINK_BULK, VDEVICE_MSGQ_PAIR, &T.bulk);
	find(T.ping ? LINK_BELL : LINK_BELLBACK, VDEVICE_DOORBELL_SOURCE, &T.bell_out);
	find(T.ping ? LINK_BELLBACK : LINK_BELL, VDEVICE_DOORBELL, &T.bell_in);
	find(LINK_BUF, VDEVICE_SHARED_MEMORY, &T.buf);
	T.peer_vmid = T.chan.peer_vmid;
	guest_printf("%s: VM 0x%x plays %s; peer VM 0x%x\n", CHECK_PREFIX, T.vmid,
		     T.ping ? "ping" : "pong", T.peer_vmid);
}

void
guest_main(const root_boot_info_t *info)
{
	(void)info;
	check_begin(CHECK_PREFIX);
	if (guest_is_root_vm()) {
		guest_fail("ipc-test runs in VMs the RM builds, not as the root VM");
	}
	setup();
	rpc_checks();
	/* Both sides are ready for the peer's messages only now. */
	ctl_send(CTL_HELLO, NULL, 0);
	ctl_expect(CTL_HELLO, NULL, 0);
	rpc_notification_checks();
	rpc_console_forwarding_checks();
	chan_pingpong(PINGPONG_ROUNDS);
	chan_stress(BOTHY_TEST_ITERATIONS);
	time_slices();
	bell_storm(BELL_ROUNDS);
	bell_masks();
	shm_checks();
	finish();
}
