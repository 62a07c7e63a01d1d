/* virq.c - end to end: message-queue and doorbell interrupts bound to the root VM's own vic
 * reach this running vCPU, polled with gic_wait and through the IRQ vector (lib/guest/gic.c). */
#include <stdint.h>

#include "bothy_hypercalls.h"
#include "check.h"
#include "counter.h"
#include "gic.h"
#include "guest.h"
#include "platform_config.h"
#include "virq.h"

#define E(x) ((uint64_t)(int64_t)(x))
#define MSGQ_INFO(depth, size) MSGQUEUE_CREATE_INFO(depth, size)
#define PUSH 1U
#define HOLDOFF_UNCHANGED 0xffffffffU

/* SPIs of the root vic (it has 32..127) used here; nothing else drives them. */
#define VIRQ_RX 64U      /* receive (not empty), level-sensitive */
#define VIRQ_TX 65U      /* send (not full), level-sensitive */
#define VIRQ_BELL 66U    /* doorbell: level-sensitive, edge-triggered in vector mode */
#define VIRQ_EDGE_RX 67U /* receive, edge-triggered as Linux configures it */
#define ROOT_VIC_INTIDS 128U

#define CNTV_CTL_ENABLE 1UL
/* How long gic_wait may take before the virtual timer declares the interrupt lost: a
 * broken delivery fails its check instead of hanging the run. */
#define WAIT_TIMEOUT_DIVISOR 2U /* half a second */
/* Vector mode: the interrupt is taken on the eret of the hypercall that raised it; this
 * many loop turns more means it is not coming. */
#define SPIN_LIMIT 100000U

static cap_id_t partition, cspace, vic;
static uint8_t msg[240];

static cap_id_t
new_queue(uint32_t depth)
{
	cap_id_t mq = bothy_partition_create_msgqueue(partition, cspace).new_cap;
	if (bothy_msgqueue_configure(mq, MSGQ_INFO(depth, sizeof(msg))).error != OK ||
	    bothy_object_activate(mq).error != OK) {
		guest_fail("cannot set up a test message queue");
	}
	return mq;
}

static void
must(error_t err, const char *what)
{
	if (err != OK) {
		guest_printf("abi-test: %s failed: %ld\n", what, (int64_t)err);
		guest_fail("vIRQ test set-up failed");
	}
}

static error_t
send(cap_id_t mq, uint64_t flags)
{
	return bothy_msgqueue_send(mq, sizeof(msg), (uintptr_t)msg, flags).error;
}

static error_t
receive(cap_id_t mq)
{
	return bothy_msgqueue_receive(mq, (uintptr_t)msg, sizeof(msg)).error;
}

static void
vtimer_arm(uint64_t ticks)
{
	__asm__ volatile("msr cntv_tval_el0, %0\n\t"
			 "msr cntv_ctl_el0, %1\n\tisb" : : "r"(ticks), "r"(CNTV_CTL_ENABLE));
}

static void
vtimer_stop(void)
{
	__asm__ volatile("msr cntv_ctl_el0, xzr\n\tisb");
}

/* Stops the timer and forgets it fired: the hypervisor may have injected its PPI twice
 * (once to wake the blocked vCPU, once when the loaded timer's physical PPI came), and a
 * latch raised after listing is delivered again. EOIs `intid` if it is the timer's. */
static void
timer_quiet(uint32_t intid)
{
	vtimer_stop();
	must(gic_clear_pending(PLATFORM_TIMER_VIRTUAL_PPI), "clear the timer PPI");
	if (intid == PLATFORM_TIMER_VIRTUAL_PPI) {
		gic_eoi(intid);
	}
}

/* gic_wait with the virtual timer as a watchdog: the acknowledged INTID, or GIC_INTID_NONE
 * if only the timer came. Wake-ups with nothing pending are waited through. */
static uint32_t
wait_irq(void)
{
	vtimer_arm(guest_counter_hz() / WAIT_TIMEOUT_DIVISOR);
	uint32_t intid;
	do {
		intid = gic_wait();
	} while (intid == GIC_INTID_NONE);
	timer_quiet(intid);
	return intid == PLATFORM_TIMER_VIRTUAL_PPI ? GIC_INTID_NONE : intid;
}

/* The root VM's own vic: the GIC driver finds it where the platform header says. */
static void
test_gic_init(void)
{
	check_error("root vic: gic_init", E(gic_init()), OK);
	check_value("root vic: GICD_TYPER covers INTIDs 0-127", gic_intid_limit(), ROOT_VIC_INTIDS);
	check_error("root vic: enable the virtual timer PPI",
		    E(gic_enable(PLATFORM_TIMER_VIRTUAL_PPI)), OK);
	vtimer_arm(guest_counter_hz() / 1000U);
	uint32_t intid;
	do {
		intid = gic_wait();
	} while (intid == GIC_INTID_NONE);
	check_value("root vic: the virtual timer wakes gic_wait with its PPI", intid,
		    PLATFORM_TIMER_VIRTUAL_PPI);
	timer_quiet(intid);
	check_value("root vic: nothing pending after its EOI", gic_ack(), GIC_INTID_NONE);
	check_error("root vic: enabling INTID 128 (not implemented)", E(gic_enable(ROOT_VIC_INTIDS)),
		    ERROR_ARGUMENT_INVALID);
}

/* Binding outside a vic's SPIs fails (docs/ipc.md), for the root vic and a smaller one. */
static void
test_spi_range(void)
{
	cap_id_t mq = new_queue(2);
	check_error("root vic: bind to its last SPI (127)",
		    E(bothy_msgqueue_bind_receive_virq(mq, vic, ROOT_VIC_INTIDS - 1U).error), OK);
	must(bothy_msgqueue_unbind_receive_virq(mq).error, "unbind");
	check_error("root vic: bind to INTID 128 (no such SPI)",
		    E(bothy_msgqueue_bind_receive_virq(mq, vic, ROOT_VIC_INTIDS).error),
		    ERROR_ARGUMENT_INVALID);
	cap_id_t small = bothy_partition_create_vic(partition, cspace).new_cap;
	must(bothy_vic_configure(small, 1, 48, 0, 0).error, "vic_configure 48");
	must(bothy_object_activate(small).error, "vic activation");
	check_error("vic of 48 INTIDs: bind to SPI 48 (beyond max_virqs)",
		    E(bothy_msgqueue_bind_send_virq(mq, small, 48).error), ERROR_ARGUMENT_INVALID);
	check_error("vic of 48 INTIDs: bind to SPI 47",
		    E(bothy_msgqueue_bind_send_virq(mq, small, 47).error), OK);
	(void)bothy_cspace_delete_cap_from(cspace, mq);
	(void)bothy_cspace_delete_cap_from(cspace, small);
}

/* The receive line: threshold, PUSH, level behaviour, draining, flush, unbinding. */
static void
test_receive_virq(cap_id_t mq)
{
	must(bothy_msgqueue_configure_receive(mq, 3, HOLDOFF_UNCHANGED).error, "threshold 3");
	check_error("msgqueue vIRQ: bind receive to the root vic",
		    E(bothy_msgqueue_bind_receive_virq(mq, vic, VIRQ_RX).error), OK);
	must(gic_enable(VIRQ_RX), "enable RX");
	must(send(mq, 0), "send");
	check_value("msgqueue vIRQ: one message below the threshold (3) raises nothing", gic_ack(),
		    GIC_INTID_NONE);
	must(send(mq, PUSH), "send PUSH");
	check_value("msgqueue vIRQ: a send with PUSH raises receive; gic_wait returns it", wait_irq(),
		    VIRQ_RX);
	gic_eoi(VIRQ_RX);
	check_value("msgqueue vIRQ: level: delivered again after EOI while up", wait_irq(),
		    VIRQ_RX);
	must(receive(mq), "receive");
	check_value("msgqueue vIRQ: still up with a message left (PUSH pending until empty)",
		    gic_is_pending(VIRQ_RX), 1);
	must(receive(mq), "receive");
	check_value("msgqueue vIRQ: draining the queue lowers it", gic_is_pending(VIRQ_RX), 0);
	gic_eoi(VIRQ_RX);
	check_value("msgqueue vIRQ: nothing delivered after the EOI", gic_ack(), GIC_INTID_NONE);
	for (unsigned i = 0; i < 3U; i++) {
		must(send(mq, 0), "send");
	}
	check_value("msgqueue vIRQ: reaching the threshold without PUSH raises it", wait_irq(),
		    VIRQ_RX);
	check_error("msgqueue vIRQ: flush", E(bothy_msgqueue_flush(mq).error), OK);
	check_value("msgqueue vIRQ: flushing lowers it", gic_is_pending(VIRQ_RX), 0);
	gic_eoi(VIRQ_RX);
	check_error("msgqueue vIRQ: unbind receive",
		    E(bothy_msgqueue_unbind_receive_virq(mq).error), OK);
	must(send(mq, PUSH), "send PUSH");
	check_value("msgqueue vIRQ: unbound, a PUSH send raises nothing",
		    gic_ack() == GIC_INTID_NONE && !gic_is_pending(VIRQ_RX), 1);
	must(bothy_msgqueue_flush(mq).error, "flush");
	must(gic_disable(VIRQ_RX), "disable RX");
}

/* The send line: up when a queue that was above the not-full threshold drains to it. */
static void
test_send_virq(cap_id_t mq)
{
	check_error("msgqueue vIRQ: not-full threshold 1",
		    E(bothy_msgqueue_configure_send(mq, 1, HOLDOFF_UNCHANGED).error), OK);
	check_error("msgqueue vIRQ: bind send to the root vic",
		    E(bothy_msgqueue_bind_send_virq(mq, vic, VIRQ_TX).error), OK);
	must(gic_enable(VIRQ_TX), "enable TX");
	for (unsigned i = 0; i < 4U; i++) {
		must(send(mq, 0), "fill");
	}
	check_error("msgqueue vIRQ: the queue is full", E(send(mq, 0)), ERROR_MSGQUEUE_FULL);
	check_value("msgqueue vIRQ: a refused send raises nothing", gic_ack(), GIC_INTID_NONE);
	must(receive(mq), "receive");
	check_value("msgqueue vIRQ: 3 left, above the threshold: nothing", gic_ack(),
		    GIC_INTID_NONE);
	must(receive(mq), "receive");
	must(receive(mq), "receive");
	check_value("msgqueue vIRQ: drained to the threshold, send vIRQ; gic_wait returns it",
		    wait_irq(), VIRQ_TX);
	must(send(mq, 0), "send");
	check_value("msgqueue vIRQ: the sender's next send lowers it", gic_is_pending(VIRQ_TX), 0);
	gic_eoi(VIRQ_TX);
	check_value("msgqueue vIRQ: nothing more after the EOI", gic_ack(), GIC_INTID_NONE);
	check_error("msgqueue vIRQ: unbind send", E(bothy_msgqueue_unbind_send_virq(mq).error), OK);
	must(gic_disable(VIRQ_TX), "disable TX");
}

/* docs/ipc.md: up while flags & enable_mask; ack_mask flags are consumed on delivery. */
static void
test_doorbell_virq(cap_id_t db)
{
	check_error("doorbell vIRQ: bind to the root vic",
		    E(bothy_doorbell_bind_virq(db, vic, VIRQ_BELL).error), OK);
	must(gic_enable(VIRQ_BELL), "enable BELL");
	must(bothy_doorbell_mask(db, 0x3, 0x0).error, "mask");
	must(bothy_doorbell_send(db, 0x4).error, "send");
	check_value("doorbell vIRQ: a flag outside the enable mask raises nothing", gic_ack(),
		    GIC_INTID_NONE);
	must(bothy_doorbell_send(db, 0x1).error, "send");
	check_value("doorbell vIRQ: an enabled flag raises it; gic_wait returns it", wait_irq(),
		    VIRQ_BELL);
	gic_eoi(VIRQ_BELL);
	check_value("doorbell vIRQ: level: delivered again while the flag is set", wait_irq(),
		    VIRQ_BELL);
	check_value("doorbell vIRQ: receive sees both flags",
		    bothy_doorbell_receive(db, 0x1).old_flags, 0x5);
	check_value("doorbell vIRQ: clearing the enabled flag lowers it", gic_is_pending(VIRQ_BELL),
		    0);
	gic_eoi(VIRQ_BELL);
	check_value("doorbell vIRQ: the masked flag still raises nothing", gic_ack(),
		    GIC_INTID_NONE);
	must(bothy_doorbell_receive(db, ~0UL).error, "receive");

	must(bothy_doorbell_mask(db, 0x3, 0x1).error, "mask with ack");
	must(bothy_doorbell_send(db, 0x1).error, "send");
	check_value("doorbell vIRQ: an ack_mask flag is delivered", wait_irq(), VIRQ_BELL);
	gic_eoi(VIRQ_BELL);
	check_value("doorbell vIRQ: once: the flag was consumed on delivery", gic_ack(),
		    GIC_INTID_NONE);
	must(bothy_doorbell_send(db, 0x3).error, "send");
	check_value("doorbell vIRQ: flags 0x3 with ack 0x1: raised", wait_irq(), VIRQ_BELL);
	check_value("doorbell vIRQ: only the acked flag was consumed",
		    bothy_doorbell_receive(db, ~0UL).old_flags, 0x2);
	gic_eoi(VIRQ_BELL);
	check_value("doorbell vIRQ: and receiving 0x2 lowered it", gic_ack(), GIC_INTID_NONE);
	check_error("doorbell vIRQ: unbind", E(bothy_doorbell_unbind_virq(db).error), OK);
	must(bothy_doorbell_send(db, 0x2).error, "send");
	check_value("doorbell vIRQ: unbound, a send raises nothing",
		    gic_ack() == GIC_INTID_NONE && !gic_is_pending(VIRQ_BELL), 1);
	must(bothy_doorbell_reset(db).error, "reset");
}

static volatile uint32_t handled_count, handled_intid;

static void
record(uint32_t intid)
{
	handled_intid = intid;
	handled_count = handled_count + 1U;
}

/* Spins until the handler has run `want` times in all (or SPIN_LIMIT turns); the count. */
static uint32_t
handled(uint32_t want)
{
	for (unsigned i = 0; i < SPIN_LIMIT && handled_count < want; i++) {
		__asm__ volatile("isb");
	}
	return handled_count;
}

/* The same through the IRQ vector: the handler runs once per edge, with the right INTID. */
static void
test_vector_mode(cap_id_t db, cap_id_t mq)
{
	must(bothy_msgqueue_flush(mq).error, "flush"); /* an empty queue: its line is low */
	must(bothy_doorbell_bind_virq(db, vic, VIRQ_BELL).error, "bind doorbell");
	must(bothy_doorbell_mask(db, 0x1, 0x1).error, "mask");
	must(gic_disable(VIRQ_BELL), "disable BELL");
	must(gic_set_edge(VIRQ_BELL, true), "BELL edge");
	must(gic_enable(VIRQ_BELL), "enable BELL");
	must(bothy_msgqueue_bind_receive_virq(mq, vic, VIRQ_EDGE_RX).error, "bind queue");
	must(bothy_msgqueue_configure_receive(mq, 1, HOLDOFF_UNCHANGED).error, "threshold 1");
	must(gic_set_edge(VIRQ_EDGE_RX, true), "RX edge");
	must(gic_enable(VIRQ_EDGE_RX), "enable RX");
	gic_set_handler(record);

	must(bothy_doorbell_send(db, 0x1).error, "send");
	check_value("vector mode: a doorbell send calls the handler once", handled(1), 1);
	check_value("vector mode: with the doorbell's INTID", handled_intid, VIRQ_BELL);
	must(bothy_doorbell_send(db, 0x1).error, "send");
	check_value("vector mode: a second send, a second call", handled(2), 2);
	must(send(mq, PUSH), "send PUSH");
	check_value("vector mode: a message calls the handler once", handled(3), 3);
	check_value("vector mode: with the queue's receive INTID", handled_intid, VIRQ_EDGE_RX);
	must(send(mq, PUSH), "send PUSH");
	check_value("vector mode: no new edge while the line stays up", handled(4), 3);
	must(bothy_msgqueue_flush(mq).error, "flush");
	must(send(mq, 0), "send");
	check_value("vector mode: empty, then a message: a new edge", handled(4), 4);

	gic_set_handler(NULL);
	must(bothy_msgqueue_flush(mq).error, "flush");
	must(bothy_doorbell_send(db, 0x1).error, "send");
	check_value("vector mode off: the interrupt waits to be polled", gic_ack(), VIRQ_BELL);
	gic_eoi(VIRQ_BELL);
	check_value("vector mode off: the handler was not called", handled_count, 4);
	must(gic_disable(VIRQ_BELL), "disable BELL");
	must(gic_disable(VIRQ_EDGE_RX), "disable RX");
}

void
test_virq_delivery(cap_id_t partition_cap, cap_id_t cspace_cap, cap_id_t vic_cap)
{
	partition = partition_cap;
	cspace = cspace_cap;
	vic = vic_cap;
	test_gic_init();
	test_spi_range();
	cap_id_t mq = new_queue(4);
	test_receive_virq(mq);
	test_send_virq(mq);
	cap_id_t db = bothy_partition_create_doorbell(partition, cspace).new_cap;
	must(bothy_object_activate(db).error, "doorbell activation");
	test_doorbell_virq(db);
	test_vector_mode(db, mq);
	/* Deleting bound objects unbinds them; the root vic stays (the vCPU holds it). */
	(void)bothy_cspace_delete_cap_from(cspace, mq);
	(void)bothy_cspace_delete_cap_from(cspace, db);
}
