/* ipc_wait.c - waiting on link interrupts through the GIC driver: a bitmap of edges taken but
 * not yet waited for, and a count per INTID for tests and benchmarks. */
#include <stdbool.h>
#include <stdint.h>

#include "gic.h"
#include "ipc_wait.h"

/* Link interrupts are SPIs below this (a vic's SPIs in bothy's configs end far lower). */
#define IPC_WAIT_MAX_INTID 256U

static bool blocking;
static uint64_t seen[IPC_WAIT_MAX_INTID / 64U];
static uint64_t taken[IPC_WAIT_MAX_INTID];

error_t
ipc_wait_init(bool use_gic)
{
	blocking = false;
	if (!use_gic) {
		return OK;
	}
	error_t err = gic_init();
	blocking = err == OK;
	return err;
}

bool
ipc_wait_blocking(void)
{
	return blocking;
}

error_t
ipc_wait_enable(uint32_t intid)
{
	if (!blocking) {
		return OK;
	}
	if (intid >= IPC_WAIT_MAX_INTID) {
		return ERROR_ARGUMENT_INVALID;
	}
	error_t err = gic_set_edge(intid, true);
	return err == OK ? gic_enable(intid) : err;
}

/* Records one acknowledged interrupt and ends it. */
static void
record(uint32_t intid)
{
	if (intid < IPC_WAIT_MAX_INTID) {
		seen[intid / 64U] |= 1UL << (intid % 64U);
		taken[intid]++;
	}
	gic_eoi(intid);
}

static bool
take(uint32_t intid)
{
	uint64_t bit = 1UL << (intid % 64U);
	if ((seen[intid / 64U] & bit) == 0U) {
		return false;
	}
	seen[intid / 64U] &= ~bit;
	return true;
}

void
ipc_wait_for(uint32_t intid)
{
	if (!blocking || intid >= IPC_WAIT_MAX_INTID) {
		return;
	}
	while (!take(intid)) {
		uint32_t got = gic_wait();
		if (got < GIC_INTID_SPECIAL) {
			record(got);
		}
	}
}

bool
ipc_wait_poll(uint32_t intid)
{
	if (!blocking || intid >= IPC_WAIT_MAX_INTID) {
		return false;
	}
	for (uint32_t got = gic_ack(); got < GIC_INTID_SPECIAL; got = gic_ack()) {
		record(got);
	}
	return take(intid);
}

uint64_t
ipc_wait_count(uint32_t intid)
{
	return intid < IPC_WAIT_MAX_INTID ? taken[intid] : 0U;
}
