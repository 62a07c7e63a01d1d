/* vdevice.h - a VM's ends of its links as its device tree's /hypervisor node describes them
 * (Gunyah's binding, docs/ipc.md): queue pairs, doorbells, shared memory, the RM RPC link. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bothy_abi.h"

/* msgqueue_send_flags bit 0 (hypercalls.md): raise the receiver's interrupt now. */
#define MSGQUEUE_SEND_PUSH 0x1U

typedef enum {
	VDEVICE_MSGQ_PAIR,	  /* "qcom,gunyah-message-queue": a TX and an RX queue */
	VDEVICE_DOORBELL_SOURCE,  /* "qcom,gunyah-doorbell-source": this VM rings it */
	VDEVICE_DOORBELL,	  /* "qcom,gunyah-doorbell": this VM is rung */
	VDEVICE_SHARED_MEMORY,	  /* "qcom,shared-memory" */
	VDEVICE_RM_RPC,		  /* "gunyah-resource-manager": the queue pair to the RM */
} vdevice_kind_t;

/* One end. Fields that do not apply to the kind are 0. */
typedef struct {
	vdevice_kind_t kind;
	const char *name; /* the node's `label` (the link's name in the config); "" for the RM */
	uint32_t label;	  /* qcom,label: the link's index, as VM_GET_HYP_RESOURCES reports it */
	uint16_t peer_vmid;
	/* Queue pair and RM link: TX (to the peer) and RX; doorbell: `tx` for a source, `rx`
	 * for a receiver. INTIDs: TX = not full, RX = not empty / rung. */
	cap_id_t tx_cap, rx_cap;
	uint32_t tx_intid, rx_intid;
	uint32_t tx_depth, rx_depth, tx_msg_size, rx_msg_size;
	/* Shared memory: the region (IPA) and whether this VM may write it. */
	uint64_t base, size;
	bool writable;
} vdevice_t;

/* The `index`-th end (from 0) under /hypervisor, in tree order, the RM link included.
 * ERROR_ARGUMENT_INVALID past the last one; ERROR_OBJECT_CONFIG for a node this library
 * does not understand (a missing or malformed property). */
error_t vdevice_at(unsigned index, vdevice_t *out);

/* The end whose `label` property is `name`. ERROR_ARGUMENT_INVALID if there is none. */
error_t vdevice_find(const char *name, vdevice_t *out);

/* The RM RPC link (/hypervisor/gunyah-resource-mgr@0). */
error_t vdevice_rm_link(vdevice_t *out);

/* This VM's VMID (/hypervisor/qcom,gunyah-vm qcom,vmid). */
error_t vdevice_own_vmid(uint16_t *vmid);
