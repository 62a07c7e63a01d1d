/* doorbell.h - the doorbell object: 64 event flags that senders set and the receiver reads and
 * clears, with one interrupt that is up while an enabled flag is set. */
#pragma once

#include <stdint.h>

#include "object.h"
#include "spinlock.h"
#include "virq_source.h"

typedef struct doorbell {
	object_header_t header;
	spinlock_t lock; /* everything below */
	uint64_t flags;
	uint64_t enable_mask; /* flags that raise the interrupt (all, after activation) */
	uint64_t ack_mask;    /* flags cleared when the interrupt is delivered (none by default) */
	virq_source_t virq;
} doorbell_t;

/* The operations below need the doorbell ACTIVE (the caller checks). */

/* ORs `new_flags` in; *old_flags is what was set before. ERROR_ARGUMENT_INVALID for 0. */
error_t doorbell_send(doorbell_t *db, uint64_t new_flags, uint64_t *old_flags);

/* Clears `clear_flags`; *old_flags is what was set before. ERROR_ARGUMENT_INVALID for 0. */
error_t doorbell_receive(doorbell_t *db, uint64_t clear_flags, uint64_t *old_flags);

/* Back to the state after activation: no flags, every flag enabled, none auto-acknowledged.
 * A bound interrupt stays bound. */
void doorbell_reset(doorbell_t *db);

/* Sets the enable and ack masks (a newly enabled set flag raises the interrupt at once). */
void doorbell_mask(doorbell_t *db, uint64_t enable_mask, uint64_t ack_mask);

/* doorbell_bind_virq / unbind: see virq_source_bind for the errors; unbinding a doorbell that
 * is not bound is ERROR_VIRQ_NOT_BOUND. Binding with enabled flags set delivers at once. */
error_t doorbell_bind(doorbell_t *db, vic_t *vic, uint32_t virq);
error_t doorbell_unbind(doorbell_t *db);
