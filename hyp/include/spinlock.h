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
#if defined(__aarch64__)
	/* A waiter sleeps in WFE with the lock byte in its exclusive monitor (from the LDAXRB
	 * that found it held); the holder's releasing store clears that monitor, which is the
	 * wake-up event. Besides saving power this matters under QEMU's round-robin TCG
	 * (-icount): WFE hands the host thread to the other CPUs, where a plain load loop
	 * would spin out its whole time budget while the holder cannot run. */
	unsigned int held;
	unsigned int failed;
	__asm__ volatile("1:	ldaxrb	%w0, [%2]\n"
			 "	cbz	%w0, 2f\n"
			 "	wfe\n"
			 "	b	1b\n"
			 "2:	stxrb	%w1, %w3, [%2]\n"
			 "	cbnz	%w1, 1b\n"
			 : "=&r"(held), "=&r"(failed)
			 : "r"(&lock->locked), "r"(1U)
			 : "memory");
#else
	/* Host builds of the unit tests. */
	while (__atomic_exchange_n(&lock->locked, true, __ATOMIC_ACQUIRE)) {
		while (__atomic_load_n(&lock->locked, __ATOMIC_RELAXED)) {
		}
	}
#endif
}

static inline void
spinlock_release(spinlock_t *lock)
{
	__atomic_store_n(&lock->locked, false, __ATOMIC_RELEASE);
}
