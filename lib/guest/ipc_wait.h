/* ipc_wait.h - how a guest program waits for its link ends' interrupts: blocked in WFI on the
 * GIC (edges are remembered per INTID, so none is lost between two waits) or by polling. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "bothy_abi.h"

/* Blocking mode (use_gic): sets up the GIC (gic_init) with PSTATE.I masked; interrupts are
 * taken with gic_wait, never as exceptions. Polling mode: no GIC; every wait returns at once
 * and the caller retries its hypercall. */
error_t ipc_wait_init(bool use_gic);

/* Whether waits block on the GIC. */
bool ipc_wait_blocking(void);

/* Makes `intid` (an SPI a link end interrupts on; the binding says edge) deliverable. A no-op
 * in polling mode. */
error_t ipc_wait_enable(uint32_t intid);

/* Blocks until an interrupt on `intid` was seen since the last wait for it returned (at once if
 * one already was). Interrupts on other INTIDs that arrive meanwhile are remembered for their
 * own waits. Returns at once in polling mode. Callers check the condition again after it: an
 * edge says "look", not what is there. */
void ipc_wait_for(uint32_t intid);

/* Without blocking: whether an interrupt on `intid` was seen (and forgets it). Drains what the
 * GIC has pending first. Always false in polling mode. */
bool ipc_wait_poll(uint32_t intid);

/* How many interrupts on `intid` were taken so far. */
uint64_t ipc_wait_count(uint32_t intid);
