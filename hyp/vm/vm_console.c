/* vm_console.c - each VM's console: bytes collected into lines, printed with the VM's name,
 * except the primary VM's, which go raw to the serial port it owns interactively. */
#include <stdbool.h>
#include <stddef.h>

#include "console.h"
#include "util_string.h"
#include "vm.h"

void
vm_console_write(vm_t *vm, const char *data, size_t len)
{
	if (vm->is_primary) {
		console_primary_write(data, len);
		return;
	}
	/* The VM's line buffer is locked only to add bytes to it and take a finished line out,
	 * one line per hold; the line is printed after the release. So a long write (up to
	 * CONSOLE_WRITE_MAX newlines) never holds the lock, with interrupts masked at EL2, over
	 * more than one line's bytes, and never while the UART drains. */
	char line[VM_CONSOLE_LINE_MAX];
	size_t i = 0;
	while (i < len) {
		bool finished = false;
		size_t line_len = 0;
		spinlock_acquire(&vm->console_lock);
		for (; i < len && !finished; i++) {
			char c = data[i];
			if (c == '\n') {
				finished = true;
			} else if (c != '\r') {
				vm->console_line[vm->console_len++] = c;
				/* over-long lines are split, never dropped */
				finished = vm->console_len == VM_CONSOLE_LINE_MAX;
			}
		}
		if (finished) {
			line_len = vm->console_len;
			memcpy(line, vm->console_line, line_len);
			vm->console_len = 0;
		}
		spinlock_release(&vm->console_lock);
		if (finished) {
			console_vm_line(vm->name, line, line_len);
		}
	}
}
