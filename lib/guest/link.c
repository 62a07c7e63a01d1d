/* link.c - the send and receive loops every user of a queue pair needs: try the hypercall,
 * and on full or empty wait for the interrupt that says to try again. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bothy_hypercalls.h"
#include "ipc_wait.h"
#include "link.h"

error_t
link_enable(const vdevice_t *end)
{
	error_t err = OK;
	if (end->tx_intid != 0U) {
		err = ipc_wait_enable(end->tx_intid);
	}
	if (err == OK && end->rx_intid != 0U) {
		err = ipc_wait_enable(end->rx_intid);
	}
	return err;
}

error_t
link_send(const vdevice_t *end, const void *buf, size_t len, uint32_t flags, uint64_t *fulls)
{
	for (;;) {
		hypercall_msgqueue_send_result_t r =
			bothy_msgqueue_send(end->tx_cap, len, (uintptr_t)buf, flags);
		if (r.error != ERROR_MSGQUEUE_FULL) {
			return r.error;
		}
		if (fulls != NULL) {
			(*fulls)++;
		}
		/* Not-full rises once the receiver has taken messages out again. */
		ipc_wait_for(end->tx_intid);
	}
}

error_t
link_receive(const vdevice_t *end, void *buf, size_t max, size_t *len, bool block)
{
	for (;;) {
		hypercall_msgqueue_receive_result_t r =
			bothy_msgqueue_receive(end->rx_cap, (uintptr_t)buf, max);
		if (r.error == OK) {
			*len = r.size;
			return OK;
		}
		if (r.error != ERROR_MSGQUEUE_EMPTY || !block) {
			return r.error;
		}
		ipc_wait_for(end->rx_intid);
	}
}
