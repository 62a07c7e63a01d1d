/* irq.h - handling of physical interrupts at EL2 (core/irq.c).
 * Called from the IRQ vectors with interrupts masked. */
#pragma once

/* Acknowledges and handles every pending physical interrupt on this CPU. */
void irq_handle(void);
