/* doorbell.c - doorbell objects: flag accounting under the doorbell's lock and delivery of
 * its interrupt, including the automatic acknowledgement of ack_mask flags. */
#include <stdbool.h>
#include <stddef.h>

#include "object_ops.h"
#include "objects/doorbell.h"

error_t
doorbell_activate(object_header_t *object)
{
	doorbell_t *db = (doorbell_t *)object;
	db->enable_mask = ~0UL; /* the object was zeroed: only the non-zero default needs setting */
	return OK;
}

void
doorbell_cleanup(object_header_t *object)
{
	vic_t *vic = virq_source_unbind(&((doorbell_t *)object)->virq);
	if (vic != NULL) {
		object_put(&vic->header);
	}
}

/* Under db->lock after every change. Delivery happens when the bound interrupt is raised:
 * the ack_mask flags are consumed by it, and if that leaves no enabled flag the line does not
 * stay up, so the event is sent as one edge. Without a bound interrupt nothing is delivered
 * and no flag is consumed: the receiver finds them all with doorbell_receive. */
static void
update_line(doorbell_t *db)
{
	if ((db->flags & db->enable_mask) == 0U || !virq_source_bound(&db->virq)) {
		virq_source_set_level(&db->virq, false);
		return;
	}
	db->flags &= ~db->ack_mask;
	if ((db->flags & db->enable_mask) != 0U) {
		virq_source_set_level(&db->virq, true);
	} else {
		virq_source_set_level(&db->virq, false);
		virq_source_pulse(&db->virq);
	}
}

error_t
doorbell_send(doorbell_t *db, uint64_t new_flags, uint64_t *old_flags)
{
	if (new_flags == 0U) {
		return ERROR_ARGUMENT_INVALID; /* rings nothing: only a caller's mistake */
	}
	spinlock_acquire(&db->lock);
	*old_flags = db->flags;
	db->flags |= new_flags;
	update_line(db);
	spinlock_release(&db->lock);
	return OK;
}

error_t
doorbell_receive(doorbell_t *db, uint64_t clear_flags, uint64_t *old_flags)
{
	if (clear_flags == 0U) {
		return ERROR_ARGUMENT_INVALID;
	}
	spinlock_acquire(&db->lock);
	*old_flags = db->flags;
	db->flags &= ~clear_flags;
	update_line(db);
	spinlock_release(&db->lock);
	return OK;
}

void
doorbell_reset(doorbell_t *db)
{
	spinlock_acquire(&db->lock);
	db->flags = 0;
	db->enable_mask = ~0UL;
	db->ack_mask = 0;
	update_line(db);
	spinlock_release(&db->lock);
}

void
doorbell_mask(doorbell_t *db, uint64_t enable_mask, uint64_t ack_mask)
{
	spinlock_acquire(&db->lock);
	db->enable_mask = enable_mask;
	db->ack_mask = ack_mask;
	update_line(db);
	spinlock_release(&db->lock);
}

error_t
doorbell_bind(doorbell_t *db, vic_t *vic, uint32_t virq)
{
	spinlock_acquire(&db->lock);
	error_t err = virq_source_bind(&db->virq, vic, virq);
	if (err == OK) {
		update_line(db);
	}
	spinlock_release(&db->lock);
	return err;
}

error_t
doorbell_unbind(doorbell_t *db)
{
	spinlock_acquire(&db->lock);
	vic_t *vic = virq_source_unbind(&db->virq);
	spinlock_release(&db->lock);
	if (vic == NULL) {
		return ERROR_VIRQ_NOT_BOUND;
	}
	object_put(&vic->header);
	return OK;
}
