/* vm_console.c - each VM's console: bytes collected into lines, printed with the VM's name,
 * except the primary VM's, which go raw to the serial port it owns interactively. */
#include <stddef.h>

#include "console.h"
#include "vm.h"

static void
flush_line(vm_t *vm)
{
	console_vm_line(vm->name, vm->console_line, vm->console_len);
	vm->console_len = 0;
}

void
vm_console_write(vm_t *vm, const char *data, size_t len)
{
	if (vm->is_primary) {
		console_primary_write(data, len);
		return;
	}
	spinlock_acquire(&vm->console_lock);
	for (size_t i = 0; i < len; i++) {
		char c = data[i];
		if (c == '\n') {
			flush_line(vm);
		} else if (c != '\r') {
			vm->console_line[vm->console_len++] = c;
			if (vm->console_len == VM_CONSOLE_LINE_MAX) {
				flush_line(vm); /* over-long lines are split, never dropped */
			}
		}
	}
	spinlock_release(&vm->console_lock);
}
