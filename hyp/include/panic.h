/* panic.h - stopping the machine loudly: report, then end QEMU with a non-zero status.
 * Never returns and never hangs silently. */
#pragma once

#include "trap_frame.h"

__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);

/* Panic for an unexpected exception taken at EL2, with ESR/FAR/ELR decoded. */
__attribute__((noreturn)) void panic_exception(const char *what, const trap_frame_t *frame);

#define HYP_ASSERT(cond)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			panic("assertion failed: %s (%s:%d)", #cond, __FILE__, \
			      __LINE__);                                       \
		}                                                              \
	} while (0)
