/* test_vm_console.c - host tests of hyp/vm/vm_console.c: a VM's console bytes become whole
 * lines, and no line is printed (the UART drained) while the VM's console lock is held. */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "console.h"
#include "unit.h"
#include "vm.h"

#define MAX_LINES 512U

static vm_t vm;
static struct {
	size_t len;
	char text[VM_CONSOLE_LINE_MAX];
} lines[MAX_LINES];
static unsigned line_count, printed_locked;
static size_t primary_bytes;

/* The real console.c prints to the UART; here every line is recorded, with whether the
 * VM's console lock was held while it was printed. */
void
console_vm_line(const char *vm_name, const char *text, size_t len)
{
	CHECK(strcmp(vm_name, vm.name) == 0);
	CHECK(len <= VM_CONSOLE_LINE_MAX);
	printed_locked += __atomic_load_n(&vm.console_lock.locked, __ATOMIC_RELAXED);
	CHECK(line_count < MAX_LINES);
	lines[line_count].len = len;
	memcpy(lines[line_count].text, text, len);
	line_count++;
}

void
console_primary_write(const char *data, size_t len)
{
	(void)data;
	primary_bytes += len;
}

static void
reset(bool primary)
{
	memset(&vm, 0, sizeof(vm));
	memcpy(vm.name, "guest", sizeof("guest"));
	vm.is_primary = primary;
	line_count = printed_locked = 0;
	primary_bytes = 0;
}

static void
check_line(unsigned i, const char *want)
{
	CHECK(i < line_count);
	CHECK_EQ(lines[i].len, strlen(want));
	CHECK(memcmp(lines[i].text, want, lines[i].len) == 0);
}

/* The longest console_write (256 bytes) of nothing but newlines: 256 lines, none of them
 * printed under the VM's console lock (which was once held for all 256). */
static void
test_many_lines_printed_unlocked(void)
{
	reset(false);
	char data[256];
	memset(data, '\n', sizeof(data));
	vm_console_write(&vm, data, sizeof(data));
	CHECK_EQ(line_count, 256);
	CHECK_EQ(printed_locked, 0);
	CHECK(!vm.console_lock.locked);
	CHECK_EQ(vm.console_len, 0);
}

static void
test_lines_span_writes(void)
{
	reset(false);
	vm_console_write(&vm, "abc\ndef", 7);
	vm_console_write(&vm, "gh\r\n\n", 5);
	vm_console_write(&vm, "tail", 4);
	CHECK_EQ(line_count, 3);
	check_line(0, "abc");
	check_line(1, "defgh");
	check_line(2, "");
	CHECK_EQ(vm.console_len, 4); /* "tail" waits for its newline */
	CHECK_EQ(printed_locked, 0);
}

static void
test_long_lines_split_never_dropped(void)
{
	reset(false);
	char data[2U * VM_CONSOLE_LINE_MAX + 10U];
	memset(data, 'x', sizeof(data));
	vm_console_write(&vm, data, sizeof(data));
	CHECK_EQ(line_count, 2);
	CHECK_EQ(lines[0].len, VM_CONSOLE_LINE_MAX);
	CHECK_EQ(lines[1].len, VM_CONSOLE_LINE_MAX);
	CHECK_EQ(vm.console_len, 10);
	vm_console_write(&vm, "\n", 1);
	CHECK_EQ(line_count, 3);
	CHECK_EQ(lines[2].len, 10);
	CHECK_EQ(printed_locked, 0);
}

static void
test_primary_is_raw(void)
{
	reset(true);
	vm_console_write(&vm, "a\nb", 3);
	CHECK_EQ(primary_bytes, 3);
	CHECK_EQ(line_count, 0);
}

int
main(int argc, char **argv)
{
	static const unit_test_t tests[] = {
		UNIT_TEST(test_many_lines_printed_unlocked),
		UNIT_TEST(test_lines_span_writes),
		UNIT_TEST(test_long_lines_split_never_dropped),
		UNIT_TEST(test_primary_is_raw),
	};
	return unit_main(argc, argv, tests, UNIT_COUNT(tests), NULL);
}
