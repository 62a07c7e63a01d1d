/* slices.c - time slicing between the two VMs: ping's and pong's vCPUs share CPU 0 at equal
 * priority, so while both spin without ever blocking, each must lose the CPU and get it back. */
#include <stdint.h>

#include "check.h"
#include "counter.h"
#include "guest.h"
#include "ipc_test.h"

#define SPIN_MS 60U /* a dozen 5 ms slices between the two */
#define GAP_US 1000U /* a jump of the counter this large between two reads: the CPU was away */

void
time_slices(void)
{
	/* Start together: whoever gets "GO" is runnable while the other still spins. */
	if (T.ping) {
		ctl_send(CTL_GO, NULL, 0);
		ctl_expect(CTL_GO, NULL, 0);
	} else {
		ctl_expect(CTL_GO, NULL, 0);
		ctl_send(CTL_GO, NULL, 0);
	}
	uint64_t hz = guest_counter_hz();
	uint64_t gap = hz * GAP_US / 1000000U;
	uint64_t last = guest_counter();
	uint64_t end = last + hz * SPIN_MS / 1000U;
	unsigned away = 0;
	while (last < end) {
		uint64_t now = guest_counter();
		away += now - last > gap ? 1U : 0U;
		last = now;
	}
	guest_printf("%s: time slices: lost the CPU %u times in %u ms of spinning\n",
		     CHECK_PREFIX, away, SPIN_MS);
	/* Round robin hands the CPU over at every slice end; without it the first spinner
	 * to be preempted would wait for the other to finish: once, or never. */
	check_true("time slices: the CPU went away and came back at least twice", away >= 2U);
}
