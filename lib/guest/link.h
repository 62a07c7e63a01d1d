/* link.h - moving messages over a link end's queues (a queue pair or the RM link): sends that
 * wait out a full queue on its not-full interrupt, receives that wait on not-empty. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bothy_abi.h"
#include "vdevice.h"

/* Makes the end's interrupts deliverable (ipc_wait_enable for each INTID it has). */
error_t link_enable(const vdevice_t *end);

/* Sends `len` bytes on the end's TX queue with msgqueue_send `flags`; while the queue is full,
 * waits for its not-full interrupt and counts the wait in *fulls (if not NULL). Any error but
 * ERROR_MSGQUEUE_FULL is returned as it is. */
error_t link_send(const vdevice_t *end, const void *buf, size_t len, uint32_t flags,
		  uint64_t *fulls);

/* Receives the oldest message on the end's RX queue into buf (room for `max` bytes); *len is
 * its size. With `block`, waits for the not-empty interrupt while the queue is empty;
 * without, returns ERROR_MSGQUEUE_EMPTY. */
error_t link_receive(const vdevice_t *end, void *buf, size_t max, size_t *len, bool block);
