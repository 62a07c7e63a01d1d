/* links.h - the IPC benchmark guest's channels, read from its device tree: the RM RPC queue
 * pair and the benchmark links (bothy.bench's IPC config names them). */
#pragma once

#include <stdint.h>

#include "bothy_abi.h"

/* One end of a queue pair: send to tx, receive from rx; their INTIDs in this VM. */
typedef struct {
	cap_id_t tx, rx;
	uint32_t tx_irq, rx_irq;
} queue_end_t;

/* A doorbell end: the cap, and the INTID when this VM is the receiver (0 for the sender). */
typedef struct {
	cap_id_t cap;
	uint32_t irq;
} bell_end_t;

typedef struct {
	uint32_t vmid;	  /* /hypervisor/qcom,gunyah-vm qcom,vmid */
	queue_end_t rm;	  /* the RM RPC link */
	queue_end_t chan; /* the queue pair to the other benchmark VM */
	bell_end_t bell, bellback;
	volatile uint64_t *stamps; /* the shared page both VMs write instruction counts to */
} links_t;

/* Fills *l from this VM's tree; guest_fail()s naming the node when something is missing. */
void links_read(links_t *l);
