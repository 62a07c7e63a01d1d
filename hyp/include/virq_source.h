/* virq_source.h - a hypervisor object's output line to one SPI of a vic (msgqueue and doorbell
 * interrupts): binding with exclusive use of the (vic, virq) pair, driving the level, pulses. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "bothy_abi.h"
#include "vgic.h"

/* Embedded in the object that raises the interrupt; zero means unbound. The owner serialises
 * every call on one source with its own lock. */
typedef struct virq_source {
	vic_t *vic;    /* holds a reference while bound */
	uint32_t virq; /* an SPI INTID of that vic */
	bool level;    /* the line as last driven: unchanged levels skip the vGIC */
	struct virq_source *next; /* the list of bound sources (virq_source.c) */
} virq_source_t;

/* Binds `src` to SPI `virq` of `vic`, checked in this order: ERROR_VIRQ_BOUND (src is bound),
 * ERROR_OBJECT_STATE (vic not ACTIVE), ERROR_ARGUMENT_INVALID (not an SPI the vic has),
 * ERROR_BUSY (another source already drives that SPI of that vic). The line starts low. */
error_t virq_source_bind(virq_source_t *src, vic_t *vic, uint32_t virq);

/* Lowers the line and unbinds. Returns the vic whose reference the caller must drop with
 * object_put once it holds no lock (NULL: src was not bound, i.e. ERROR_VIRQ_NOT_BOUND). */
vic_t *virq_source_unbind(virq_source_t *src);

static inline bool
virq_source_bound(const virq_source_t *src)
{
	return src->vic != NULL;
}

/* Drives the line (no effect when unbound). The vGIC turns a rising level into a latched
 * edge when the guest configured the SPI edge-triggered, so both trigger modes work. */
void virq_source_set_level(virq_source_t *src, bool level);

/* One edge: latches the SPI pending without leaving the line high (no effect when unbound). */
void virq_source_pulse(virq_source_t *src);
