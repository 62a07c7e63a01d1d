/* check.c - the self-test line printer behind check.h: counts checks and failures and says
 * exactly what was expected and what came back. */
#include "check.h"
#include "guest.h"

static const char *run_prefix = "check";
static unsigned checks, failures;

static const char *
describe(uint64_t value)
{
	const char *name = error_name((int64_t)value);
	return name != NULL ? name : "not an error code";
}

void
check_begin(const char *prefix)
{
	run_prefix = prefix;
	checks = 0;
	failures = 0;
}

void
check_value(const char *what, uint64_t got, uint64_t want)
{
	checks++;
	if (got == want) {
		guest_printf("%s: %s: ok (0x%lx)\n", run_prefix, what, got);
	} else {
		failures++;
		guest_printf("%s: %s: FAIL: expected 0x%lx, got 0x%lx\n", run_prefix, what, want, got);
	}
}

void
check_error(const char *what, uint64_t got, error_t want)
{
	checks++;
	if ((int64_t)got == (int64_t)want) {
		guest_printf("%s: %s: ok (%s)\n", run_prefix, what, describe(got));
	} else {
		failures++;
		guest_printf("%s: %s: FAIL: expected %s, got %s (%ld)\n", run_prefix, what,
			     describe((uint64_t)(int64_t)want), describe(got), (int64_t)got);
	}
}

unsigned
check_end(void)
{
	if (failures == 0U) {
		guest_printf("%s passed (%u checks)\n", run_prefix, checks);
	} else {
		guest_printf("%s FAILED: %u of %u checks\n", run_prefix, failures, checks);
	}
	return failures;
}
