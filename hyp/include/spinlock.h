/* spinlock.h - the hypervisor's one lock type: a ticket-free test-and-set spinlock.
 * Only used with the MMU on (exclusives need Normal memory); held for short sections. */
#pragma once

#include <stdbool.h>

typedef struct spinlock {
	bool locked;
} spinlock_t;

static inline void
spinlock_acquire(spinlock_t *lock)
{
	while (__atomic_exchange_n(&lock->locked, true, __ATOMIC_ACQUIRE)) {
		while (__atomic_load_n(&lock->locked, __ATOMIC_RELAXED)) {
		}
	}
}

static inline void
spinlock_release(spinlock_t *lock)
{
	__atomic_store_n(&lock->locked, false, __ATOMIC_RELEASE);
}
