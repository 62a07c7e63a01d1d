/* vm.h - a virtual machine as the hypervisor sees it: stage-2 space, console, vCPUs.
 * Only the root VM exists in this slice; the object model generalises it later. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bothy_abi.h"
#include "cspace.h"
#include "objects/thread.h"
#include "pgtable.h"
#include "spinlock.h"
#include "trap_frame.h"

#define VM_CONSOLE_LINE_MAX 160U

typedef struct vm {
	const char *name;
	uint16_t vmid;
	bool is_root;
	pgtable_t stage2;
	cap_id_t console_cap;
	spinlock_t console_lock;
	size_t console_len;
	char console_line[VM_CONSOLE_LINE_MAX];
} vm_t;

/* A vCPU is a thread object (objects/thread.h). */
typedef thread_t vcpu_t;

/* The vCPU running on this physical CPU, or NULL if none. */
vcpu_t *vcpu_current(void);

/* The cspace the calling vCPU's caps live in (NULL if none attached). */
cspace_t *caller_cspace(void);

/* Builds the root VM (the RM) and enters it at EL1 on this CPU; never returns. */
__attribute__((noreturn)) void root_vm_start(void);

/* Appends guest console bytes; complete lines are printed as "[name] text". */
void vm_console_write(vm_t *vm, const char *data, size_t len);

/* Reports a guest fault (decoded ESR, FAR, HPFAR, ELR) and stops the VM. Stopping the root
 * VM ends the system with a failure status, since nothing can run without it. */
__attribute__((noreturn)) void vm_fault(vcpu_t *vcpu, const trap_frame_t *frame, uint64_t esr);

/* Handles an SMCCC call (HVC #0, or a trapped SMC) from a guest; results in frame->x[0..]. */
void smccc_handle(vcpu_t *vcpu, trap_frame_t *frame);

/* Copies `size` bytes from guest virtual address `src` of the current vCPU (stage 1 then
 * stage 2). ERROR_ADDR_INVALID if any byte is unmapped, unreadable, or not guest RAM. */
error_t guest_copy_from(void *dst, uint64_t src, size_t size);
