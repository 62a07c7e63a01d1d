/* console_write.c - bothy's console hypercall: the root VM writes bytes from its own memory to
 * its console. The buffer is read through the guest's translation, so bad pointers are errors. */
#include "hyp_config.h"
#include "hypercall_handlers.h"
#include "vm.h"

hypercall_console_write_result_t
hypercall_console_write(cap_id_t console, uintptr_t data, size_t size)
{
	vcpu_t *vcpu = vcpu_current();
	char buf[CONSOLE_WRITE_MAX];
	cap_id_t own = vcpu->vm->console_cap;
	/* Only the root VM holds a console cap; every other VM's is VM_NO_CONSOLE_CAP, which no
	 * argument can match, so their calls fail as the root VM's with a wrong cap do. */
	if (own == VM_NO_CONSOLE_CAP || console != own) {
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
