/* bells.c - the IPC test's doorbell phases: a storm of single-flag rings where the receiver
 * must see each of the 64 flags exactly once per round, and the enable and ack masks. */
#include <stdbool.h>
#include <stdint.h>

#include "bothy_hypercalls.h"
#include "check.h"
#include "guest.h"
#include "ipc_wait.h"

#include "ipc_test.h"

#define ALL_FLAGS (~0UL)
#define FLAG_BITS 64U
/* How often a VM polls for an interrupt its own hypercall raised before giving up. */
#define SELF_IRQ_POLLS 1000U

typedef struct {
	uint64_t rounds, duplicates, missing, extra, interrupts;
} storm_report_t;

static uint64_t
receive_flags(const vdevice_t *bell)
{
	hypercall_doorbell_receive_result_t r = bothy_doorbell_receive(bell->rx_cap, ALL_FLAGS);
	if (r.error != OK) {
		guest_fail("doorbell_receive failed");
	}
	return r.old_flags;
}

static void
ring(const vdevice_t *bell, uint64_t flags)
{
	if (bothy_doorbell_send(bell->tx_cap, flags).error != OK) {
		guest_fail("doorbell_send failed");
	}
}

/* pong: collects each round's 64 flags, then rings back. */
static void
storm_receive(unsigned rounds, storm_report_t *rep)
{
	uint64_t irqs_before = ipc_wait_count(T.bell_in.rx_intid);
	for (unsigned r = 0; r < rounds; r++) {
		uint64_t acc = 0;
		while (acc != ALL_FLAGS) {
			ipc_wait_for(T.bell_in.rx_intid);
			uint64_t flags = receive_flags(&T.bell_in);
			rep->duplicates += (uint64_t)__builtin_popcountl(acc & flags);
			acc |= flags;
		}
		rep->rounds++;
		ring(&T.bell_out, 1UL << (r % FLAG_BITS));
	}
	rep->interrupts = ipc_wait_count(T.bell_in.rx_intid) - irqs_before;
	guest_printf("%s: doorbell storm: %lu rounds of %u flags, %lu duplicated flags, "
		     "%lu interrupts\n",
		     CHECK_PREFIX, rep->rounds, FLAG_BITS, rep->duplicates, rep->interrupts);
	check_value("doorbell storm: rounds completed", rep->rounds, rounds);
	check_value("doorbell storm: flags seen twice in a round", rep->duplicates, 0);
	check_true("doorbell storm: interrupts between rounds and 64 x rounds",
		   !ipc_wait_blocking() ||
			   (rep->interrupts >= rounds && rep->interrupts <= (uint64_t)rounds * FLAG_BITS));
}

void
bell_storm(unsigned rounds)
{
	storm_report_t rep = { 0 };
	if (!T.ping) {
		storm_receive(rounds, &rep);
		ctl_send(CTL_REPORT, &rep, sizeof(rep));
		return;
	}
	uint64_t wrong_back = 0;
	for (unsigned r = 0; r < rounds; r++) {
		for (unsigned bit = 0; bit < FLAG_BITS; bit++) {
			ring(&T.bell_out, 1UL << bit);
		}
		uint64_t back = 0;
		while (back == 0U) {
			ipc_wait_for(T.bell_in.rx_intid);
			back = receive_flags(&T.bell_in);
		}
		wrong_back += back != 1UL << (r % FLAG_BITS);
	}
	ctl_expect(CTL_REPORT, &rep, sizeof(rep));
	check_value("doorbell storm: the receiver completed every round", rep.rounds, rounds);
	check_value("doorbell storm: ring-backs with the wrong flags", wrong_back, 0);
	check_value("doorbell storm: flags left over", receive_flags(&T.bell_in), 0);
}

static void
mask(uint64_t enable, uint64_t ack)
{
	check_error("doorbell_mask", (uint64_t)(int64_t)bothy_doorbell_mask(T.bell_in.rx_cap, enable, ack).error,
		    OK);
}

/* pong: whether the bell interrupt came, looking for a while (its own mask call may raise it;
 * the hypervisor injects at once, so it is there on the first look). */
static bool
bell_irq_seen(unsigned polls)
{
	for (unsigned i = 0; i < polls; i++) {
		if (ipc_wait_poll(T.bell_in.rx_intid)) {
			return true;
		}
	}
	return false;
}

void
bell_masks(void)
{
	/* ping rings one flag per step once pong has set its masks ("GO"), then says so. */
	static const uint64_t steps[] = { 1UL << 5, 1UL << 6, 1UL << 7 };
	if (T.ping) {
		for (unsigned i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
			ctl_expect(CTL_GO, NULL, 0);
			ring(&T.bell_out, steps[i]);
			ctl_send(CTL_GO, NULL, 0);
		}
		/* Nothing more on "bell" until pong has its masks back to the defaults. */
		ctl_expect(CTL_GO, NULL, 0);
		return;
	}
	if (!ipc_wait_blocking()) {
		guest_fail("the mask checks need interrupts (blocking mode)");
	}
	(void)bell_irq_seen(1); /* forget any stale edge */

	/* Enable mask 0: the flag is set, nothing is delivered. */
	mask(0, 0);
	ctl_send(CTL_GO, NULL, 0);
	ctl_expect(CTL_GO, NULL, 0);
	check_true("doorbell, enable mask 0: no interrupt", !bell_irq_seen(1));
	check_value("doorbell, enable mask 0: the flag is still set", receive_flags(&T.bell_in), steps[0]);

	/* Enabling a set flag delivers it then. */
	mask(0, 0);
	ctl_send(CTL_GO, NULL, 0);
	ctl_expect(CTL_GO, NULL, 0);
	check_true("doorbell, masked ring: no interrupt", !bell_irq_seen(1));
	mask(ALL_FLAGS, 0);
	check_true("doorbell: enabling a set flag raises the interrupt", bell_irq_seen(SELF_IRQ_POLLS));
	check_value("doorbell: and the flag is still set", receive_flags(&T.bell_in), steps[1]);

	/* Ack mask: delivery clears the flag. */
	mask(ALL_FLAGS, steps[2]);
	ctl_send(CTL_GO, NULL, 0);
	ctl_expect(CTL_GO, NULL, 0);
	check_true("doorbell, ack mask: the interrupt is delivered", bell_irq_seen(SELF_IRQ_POLLS));
	check_value("doorbell, ack mask: delivery cleared the flag", receive_flags(&T.bell_in), 0);
	check_error("doorbell_reset", (uint64_t)(int64_t)bothy_doorbell_reset(T.bell_in.rx_cap).error, OK);
	ctl_send(CTL_GO, NULL, 0);
}
