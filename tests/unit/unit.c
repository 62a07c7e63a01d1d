/* unit.c - the runner and failure reporting behind unit.h. A failed check ends the program
 * at once (status 1), after the count line, so a broken state never reaches later tests. */
#define _POSIX_C_SOURCE 200809L /* posix_memalign */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bothy_abi.h"
#include "unit.h"

static const char *current_test = "(setup)";
static unsigned passed;

void
unit_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fprintf(stdout, "FAIL %s: %s:%d: ", current_test, file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fprintf(stdout, "\n%u passed, 1 failed\n", passed);
	fflush(stdout);
	exit(1);
}

const char *
unit_error_name(int64_t value)
{
	const char *name = error_name(value);
	return name != NULL ? name : "?";
}

void *
unit_aligned_alloc(size_t align, size_t size)
{
	void *memory = NULL;
	if (posix_memalign(&memory, align, size) != 0 || memory == NULL) {
		unit_fail(__FILE__, __LINE__, "posix_memalign(%zu, %zu) failed", align, size);
	}
	return memory;
}

static int
selected(int argc, char **argv, const char *name)
{
	if (argc < 2) {
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], name) == 0) {
			return 1;
		}
	}
	return 0;
}

int
unit_main(int argc, char **argv, const unit_test_t *tests, size_t count, void (*after)(void))
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		int known = 0;
		for (size_t t = 0; t < count; t++) {
			known |= strcmp(argv[i], tests[t].name) == 0;
		}
		if (!known) {
			fprintf(stdout, "no test named %s\n0 passed, 1 failed\n", argv[i]);
			return 2;
		}
	}
	for (size_t t = 0; t < count; t++) {
		if (!selected(argc, argv, tests[t].name)) {
			continue;
		}
		current_test = tests[t].name;
		tests[t].fn();
		if (after != NULL) {
			after();
		}
		passed++;
		fprintf(stdout, "ok %s\n", tests[t].name);
	}
	current_test = "(end)";
	fprintf(stdout, "%u passed, 0 failed\n", passed);
	return 0;
}
