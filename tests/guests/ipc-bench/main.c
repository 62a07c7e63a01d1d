/* main.c - the IPC benchmark guest, run as two VMs on the RM's physical CPU: "ping" (the
 * primary) measures, "pong" (a secondary) answers. Both may read the PMU (debug.pmu_vms).
 *
 * The PMU is not context-switched, so counter 0 counts every instruction the CPU retires at
 * EL1 and EL2, in whichever VM or in the hypervisor: a cross-VM round trip on one CPU is
 * counted whole. Under QEMU -icount the counts are the same every run.
 *   msgq_roundtrip_instructions: ping sends 240 bytes on `chan`, pong (woken by the message's
 *     interrupt, in its IRQ handler) receives and sends them back, ping (woken likewise)
 *     receives them: per round trip.
 *   doorbell_virq_instructions: ping reads the counter and rings `bell`; pong's IRQ handler
 *     reads the counter first thing and stores it in the shared page: the difference.
 *   rm_rpc_roundtrip_instructions: ping sends VM_GET_VMID to the RM and takes the reply
 *     (woken by its interrupt): per request. */
#include <stdint.h>

#include "bothy_hypercalls.h"
#include "gic.h"
#include "guest.h"
#include "links.h"
#include "pmu.h"
#include "rm_rpc_abi.h"

#define ROUNDS 1000U
#define WARMUP 16U
#define MESSAGE_BYTES 240U
#define PUSH 1U
#define FLAG 1U
#define ALL_FLAGS (~0UL)
/* The shared page: where pong stores the counter at its handler's entry, and a count of the
 * doorbells it took (so ping knows the stamp is fresh). */
#define STAMP 0U
#define STAMPS_TAKEN 1U

static links_t links;
static uint8_t buf[MESSAGE_BYTES] __attribute__((aligned(16)));

static void
must(error_t err, const char *what)
{
	if (err != OK) {
		guest_printf("ipc-bench: %s failed: error %d\n", what, (int)err);
		guest_fail("benchmark hypercall failed");
	}
}

/* Polling (PSTATE.I masked): sleeps in WFI until `intid`, acknowledges it; the caller EOIs
 * after it has drained the source, so a level that is still up comes back. Only the INTIDs
 * of the phase being measured are enabled: another level left up would win every time. */
static void
wait_for(uint32_t intid)
{
	for (;;) {
		uint32_t got = gic_wait();
		if (got == intid) {
			return;
		}
		if (got != GIC_INTID_NONE) {
			gic_eoi(got);
		}
	}
}

static void
enable(uint32_t intid)
{
	must(gic_enable(intid), "gic_enable");
}

/* --- pong: everything in its IRQ handler --------------------------------------------- */

static void
pong_handler(uint32_t intid)
{
	if (intid == links.bell.irq) {
		links.stamps[STAMP] = pmu_read_instruction_counter();
		(void)bothy_doorbell_receive(links.bell.cap, ALL_FLAGS);
		links.stamps[STAMPS_TAKEN]++;
		(void)bothy_doorbell_send(links.bellback.cap, FLAG);
	} else if (intid == links.chan.rx_irq) {
		hypercall_msgqueue_receive_result_t r =
			bothy_msgqueue_receive(links.chan.rx, (uintptr_t)buf, sizeof(buf));
		if (r.error == OK) {
			(void)bothy_msgqueue_send(links.chan.tx, r.size, (uintptr_t)buf, PUSH);
		}
	}
}

static void
pong(void)
{
	enable(links.bell.irq);
	enable(links.chan.rx_irq);
	gic_set_handler(pong_handler);
	guest_printf("ipc-bench: pong answering\n");
	for (;;) {
		__asm__ volatile("wfi");
	}
}

/* --- ping: measures ---------------------------------------------------------------------- */

static void
msgq_round_trip(void)
{
	must(bothy_msgqueue_send(links.chan.tx, MESSAGE_BYTES, (uintptr_t)buf, PUSH).error,
	     "msgqueue_send");
	wait_for(links.chan.rx_irq);
	hypercall_msgqueue_receive_result_t r =
		bothy_msgqueue_receive(links.chan.rx, (uintptr_t)buf, sizeof(buf));
	gic_eoi(links.chan.rx_irq);
	must(r.error, "msgqueue_receive");
	if (r.size != MESSAGE_BYTES) {
		guest_fail("the echo is not 240 bytes");
	}
}

static uint64_t
doorbell_to_handler(void)
{
	uint64_t taken = links.stamps[STAMPS_TAKEN];
	uint32_t sent = pmu_read_instruction_counter();
	must(bothy_doorbell_send(links.bell.cap, FLAG).error, "doorbell_send");
	wait_for(links.bellback.irq);
	must(bothy_doorbell_receive(links.bellback.cap, ALL_FLAGS).error, "doorbell_receive");
	gic_eoi(links.bellback.irq);
	if (links.stamps[STAMPS_TAKEN] != taken + 1U) {
		guest_fail("pong's handler did not stamp the doorbell");
	}
	return (uint32_t)((uint32_t)links.stamps[STAMP] - sent);
}

static uint16_t rpc_seq;

static void
rpc_get_vmid(void)
{
	uint16_t seq = ++rpc_seq;
	uint32_t id = RM_RPC_VM_GET_VMID;
	uint8_t req[RM_RPC_HEADER_SIZE] = {
		RM_RPC_API_BYTE, RM_RPC_TYPE_REQUEST, (uint8_t)seq, (uint8_t)(seq >> 8),
		(uint8_t)id, (uint8_t)(id >> 8), (uint8_t)(id >> 16), (uint8_t)(id >> 24),
	};
	must(bothy_msgqueue_send(links.rm.tx, sizeof(req), (uintptr_t)req, PUSH).error,
	     "RM RPC send");
	for (;;) { /* the RM may have queued notifications before the reply */
		wait_for(links.rm.rx_irq);
		hypercall_msgqueue_receive_result_t r =
			bothy_msgqueue_receive(links.rm.rx, (uintptr_t)buf, sizeof(buf));
		gic_eoi(links.rm.rx_irq);
		if (r.error == ERROR_MSGQUEUE_EMPTY) {
			continue;
		}
		must(r.error, "RM RPC receive");
		if ((buf[1] & RM_RPC_TYPE_MASK) != RM_RPC_TYPE_REPLY) {
			continue;
		}
		uint32_t vmid = (uint32_t)buf[12] | (uint32_t)buf[13] << 8;
		uint32_t rm_error = (uint32_t)buf[8] | (uint32_t)buf[9] << 8 |
				    (uint32_t)buf[10] << 16 | (uint32_t)buf[11] << 24;
		if (r.size != RM_RPC_HEADER_SIZE + 8U || buf[0] != RM_RPC_API_BYTE ||
		    (buf[2] | buf[3] << 8) != seq || rm_error != 0U || vmid != links.vmid) {
			guest_fail("VM_GET_VMID: unexpected reply");
		}
		return;
	}
}

/* Drains what the RM sent before the benchmark (notifications about pong's start). */
static void
drain_rm_queue(void)
{
	while (bothy_msgqueue_receive(links.rm.rx, (uintptr_t)buf, sizeof(buf)).error == OK) {
	}
}

static void
report(const char *metric, uint64_t total, uint64_t rounds)
{
	uint64_t tenths = (total * 10U + rounds / 2U) / rounds;
	guest_printf("%s: %lu instructions in %lu rounds\n", metric, total, rounds);
	guest_printf("BENCH %s %lu.%lu instructions\n", metric, tenths / 10U, tenths % 10U);
}

static void
ping(void)
{
	enable(links.chan.rx_irq);
	enable(links.bellback.irq);
	pmu_start_instruction_counter();
	guest_printf("ipc-bench: ping measuring (%u rounds each)\n", ROUNDS);
	for (unsigned i = 0; i < MESSAGE_BYTES; i++) {
		buf[i] = (uint8_t)i;
	}

	for (unsigned i = 0; i < WARMUP; i++) {
		msgq_round_trip();
	}
	uint32_t start = pmu_read_instruction_counter();
	for (unsigned i = 0; i < ROUNDS; i++) {
		msgq_round_trip();
	}
	report("msgq_roundtrip_instructions", (uint32_t)(pmu_read_instruction_counter() - start),
	       ROUNDS);

	for (unsigned i = 0; i < WARMUP; i++) {
		(void)doorbell_to_handler();
	}
	uint64_t total = 0;
	for (unsigned i = 0; i < ROUNDS; i++) {
		total += doorbell_to_handler();
	}
	report("doorbell_virq_instructions", total, ROUNDS);

	drain_rm_queue();
	enable(links.rm.rx_irq);
	for (unsigned i = 0; i < WARMUP; i++) {
		rpc_get_vmid();
	}
	start = pmu_read_instruction_counter();
	for (unsigned i = 0; i < ROUNDS; i++) {
		rpc_get_vmid();
	}
	report("rm_rpc_roundtrip_instructions", (uint32_t)(pmu_read_instruction_counter() - start),
	       ROUNDS);
	guest_printf("ipc benchmarks done\n");
}

void
guest_main(const root_boot_info_t *info)
{
	if (info != NULL) {
		guest_fail("ipc-bench runs as two VMs the RM builds, not as the root VM");
	}
	links_read(&links);
	must(gic_init(), "gic_init");
	if (links.vmid == RM_VMID_HLOS) {
		ping();
	} else {
		pong();
	}
}
