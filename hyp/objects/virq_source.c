/* virq_source.c - binding hypervisor interrupt sources to vic SPIs: one global list of bound
 * sources makes each (vic, SPI) pair exclusive, so two objects never fight over one line. */
#include <stddef.h>

#include "object.h"
#include "virq_source.h"

/* Binding is rare and the list short (one entry per bound queue side or doorbell). */
static spinlock_t bound_lock;
static virq_source_t *bound_list;

error_t
virq_source_bind(virq_source_t *src, vic_t *vic, uint32_t virq)
{
	if (src->vic != NULL) {
		return ERROR_VIRQ_BOUND;
	}
	error_t err = object_expect_state(&vic->header, OBJECT_STATE_ACTIVE);
	if (err != OK) {
		return err;
	}
	/* max_virqs is fixed once the vic is ACTIVE. Only SPIs: private interrupts belong to
	 * one vCPU, and a queue or doorbell is a device of the whole VM. */
	if (virq < VGIC_NR_PRIVATE || virq >= vic->max_virqs) {
		return ERROR_ARGUMENT_INVALID;
	}
	spinlock_acquire(&bound_lock);
	for (const virq_source_t *s = bound_list; s != NULL; s = s->next) {
		if (s->vic == vic && s->virq == virq) {
			spinlock_release(&bound_lock);
			return ERROR_BUSY;
		}
	}
	object_get(&vic->header);
	src->vic = vic;
	src->virq = virq;
	src->next = bound_list;
	bound_list = src;
	spinlock_release(&bound_lock);
	src->level = false;
	(void)vgic_set_level(vic, NULL, virq, false); /* whatever drove it before */
	return OK;
}

vic_t *
virq_source_unbind(virq_source_t *src)
{
	vic_t *vic = src->vic;
	if (vic == NULL) {
		return NULL;
	}
	virq_source_set_level(src, false); /* a line nobody drives any more must not stay high */
	spinlock_acquire(&bound_lock);
	virq_source_t **link = &bound_list;
	while (*link != src) {
		link = &(*link)->next;
	}
	*link = src->next;
	spinlock_release(&bound_lock);
	src->vic = NULL;
	src->next = NULL;
	return vic;
}

void
virq_source_set_level(virq_source_t *src, bool level)
{
	/* Queues drive both lines after every operation; most calls change nothing. */
	if (src->vic != NULL && src->level != level) {
		src->level = level;
		/* Cannot fail: the SPI was checked against this vic's range at bind time. */
		(void)vgic_set_level(src->vic, NULL, src->virq, level);
	}
}

void
virq_source_pulse(virq_source_t *src)
{
	if (src->vic != NULL) {
		(void)vgic_inject(src->vic, NULL, src->virq);
	}
}
