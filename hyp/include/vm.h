/* vm.h - a virtual machine as the hypervisor sees it: the addrspace object (stage-2 tables
 * and VMID) with the VM's console, its emulated UART and the vCPUs attached to it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bothy_abi.h"
#include "cspace.h"
#include "hypercall.h"
#include "objects/thread.h"
#include "pgtable.h"
#include "sched_cpu.h"
#include "spinlock.h"
#include "trap_frame.h"
#include "vuart.h"

#define VM_CONSOLE_LINE_MAX 160U
#define VM_MAX_VCPUS 8U
#define VM_NAME_MAX 24U /* the config allows 16 characters */
/* console_cap of a VM that may not use console_write: every VM the RM builds (zeroed at
 * creation). The root VM's handle is never 0 (root_vm.c sets its low bit). */
#define VM_NO_CONSOLE_CAP 0U

typedef struct vm {
	object_header_t header; /* the addrspace object */
	char name[VM_NAME_MAX];
	uint16_t vmid;
	bool is_root;
	bool is_primary;
	bool pmu_owner; /* may use the PMU: the root VM, and PLATFORM_PMU_VMIDS (benchmarks) */
	bool stopped;
	uint32_t aborts_injected; /* external aborts given to its vCPUs (exception.c); atomic */
	uint32_t exit_reason; /* vm_exit_reason: why its vCPUs are all off, for the RM (vcpu_run_check) */
	uint64_t cntvoff; /* virtual counter = physical - cntvoff: each VM's counter starts near 0 */
	spinlock_t stage2_lock;
	pgtable_t stage2;
	cap_id_t console_cap; /* the root VM's console_write handle; VM_NO_CONSOLE_CAP for others */
	spinlock_t console_lock;
	size_t console_len;
	char console_line[VM_CONSOLE_LINE_MAX];
	vuart_t vuart;
	vic_t *vic;      /* the VM's vGIC: the vic its vCPUs are attached to */
	spinlock_t vcpus_lock;
	thread_t *vcpus[VM_MAX_VCPUS];
	unsigned vcpu_count;
} vm_t;

typedef vm_t addrspace_t;


/* A vCPU is a thread object (objects/thread.h). */
typedef thread_t vcpu_t;

/* The vCPU running on this physical CPU, or NULL if none. */
#if defined(__aarch64__)
static inline vcpu_t *
vcpu_current(void)
{
	return sched_this_cpu()->current;
}
#else
vcpu_t *vcpu_current(void); /* host builds of the unit tests: tests/unit/shim */
#endif

/* The cspace the calling vCPU's caps live in (NULL if none attached). */
cspace_t *caller_cspace(void);

/* The primary VM (VMID 3) once it exists, else NULL: it receives serial input. */
vm_t *vm_primary(void);

/* Builds the root VM (the RM) and makes its vCPU runnable on CPU 0. */
void root_vm_create(void);

/* Appends guest console bytes; complete lines are printed as "[name] text". The primary
 * VM's bytes go straight to the serial port (its console is interactive). */
void vm_console_write(vm_t *vm, const char *data, size_t len);

/* Reports a guest fault (decoded ESR, FAR, HPFAR, ELR) and stops the VM; the caller's vCPU
 * never resumes. Stopping the root VM ends the system with a failure status. */
__attribute__((noreturn)) void vm_fault(vcpu_t *vcpu, const trap_frame_t *frame, uint64_t esr);

/* Stops every vCPU of `vm` for `exit_reason` (VM_EXIT_REASON_*) and tells the RM; the VM runs no
 * more until the RM restarts it. */
void vm_stop(vm_t *vm, uint32_t exit_reason, const char *reason);

/* The RM powers vCPU 0 of a stopped VM on again: reset its vGIC and exit state first.
 * ERROR_RETRY while one of its vCPUs is still loaded on some CPU. */
error_t vm_prepare_restart(vm_t *vm);

/* The root VM's vCPU, woken when another VM stops. */
vcpu_t *root_vm_vcpu(void);

/* PSCI SYSTEM_RESET of a non-root VM: stop it and have it restarted. */
void vm_request_reset(vm_t *vm);

/* An SMCCC call that is not a hypercall: PSCI, SMCCC queries, the vendor UID and revision. */
void smccc_service(vcpu_t *vcpu, trap_frame_t *frame);

/* Handles an SMCCC call (HVC #0, or a trapped SMC) from a guest; results in frame->x[0..].
 * Inline so that hypercalls, the hot path, go straight to the dispatcher. */
static inline void
smccc_handle(vcpu_t *vcpu, trap_frame_t *frame)
{
	if (!hypercall_smccc(frame, (uint32_t)frame->x[0])) {
		smccc_service(vcpu, frame);
	}
}

/* Copies `size` bytes from guest virtual address `src` of the current vCPU (stage 1 then
 * stage 2). ERROR_ADDR_INVALID if any byte is unmapped, unreadable, or not guest RAM. */
error_t guest_copy_from(void *dst, uint64_t src, size_t size);
/* Copies `size` bytes to guest virtual address `dst` of the current vCPU, which must be
 * writable at EL1 in stage 1 and in stage 2. ERROR_ADDR_INVALID as above; pages before the
 * first bad one may already have been written. */
error_t guest_copy_to(uint64_t dst, const void *src, size_t size);

/* Something changed for `vcpu` (an interrupt became pending): wake it if blocked, and make
 * its CPU re-evaluate if it is running elsewhere. Safe from any CPU, with vic->lock held. */
void vcpu_kick(vcpu_t *vcpu);
