/* console_write.c - bothy's console hypercall: a VM writes bytes from its own memory to its
 * console. The buffer is read through the guest's translation, so bad pointers are errors. */
#include "hyp_config.h"
#include "hypercall_handlers.h"
#include "vm.h"

hypercall_console_write_result_t
hypercall_console_write(cap_id_t console, uintptr_t data, size_t size)
{
	vcpu_t *vcpu = vcpu_current();
	char buf[CONSOLE_WRITE_MAX];
	if (console != vcpu->vm->console_cap) {
		return (hypercall_console_write_result_t){ .error = ERROR_CSPACE_CAP_NULL };
	}
	if (size > CONSOLE_WRITE_MAX) {
		return (hypercall_console_write_result_t){ .error = ERROR_ARGUMENT_SIZE };
	}
	error_t err = guest_copy_from(buf, data, size);
	if (err != OK) {
		return (hypercall_console_write_result_t){ .error = err };
	}
	vm_console_write(vcpu->vm, buf, size);
	return (hypercall_console_write_result_t){ .error = OK, .written = size };
}
