/* check.h - result checking for guest self-tests: each check prints one line with the exact
 * value or error name, and a summary says how many failed. Shared by the RM and test guests. */
#pragma once

#include <stdint.h>

#include "bothy_abi.h"

/* Start a run; `prefix` begins every line ("self-test", "abi-test"). */
void check_begin(const char *prefix);

/* got must equal want (raw register values). */
void check_value(const char *what, uint64_t got, uint64_t want);

/* got (a register holding an error_t) must be want; both are printed by name. */
void check_error(const char *what, uint64_t got, error_t want);

/* Prints "<prefix> passed (N checks)" or "<prefix> FAILED: F of N checks"; returns F. */
unsigned check_end(void);
