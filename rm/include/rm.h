/* rm.h - the resource manager's own entry points beyond the guest runtime: self-test, VM
 * builder, links, the one failure report, and test-only injection. Everything the RM asks of
 * the hypervisor goes through the generated hypercall wrappers. */
#pragma once

#include <stdint.h>

#include "bothy_abi.h"
#include "root_boot_info.h"
#include "vm_registry.h"

/* One step of a fallible function that returns error_t: if `call` fails, names the step in
 * *step (a `const char **` the function takes) and returns its error. The caller that decides
 * what the failure means reports it once (rm_report). */
#define RM_STEP(step, name, call)                                                          \
	do {                                                                               \
		error_t rm_step_err_ = (call);                                             \
		if (rm_step_err_ != OK) {                                                  \
			*(step) = (name);                                                  \
			return rm_step_err_;                                               \
		}                                                                          \
	} while (0)

/* A call to a fallible function that names its own step in *step: its error is returned. */
#define RM_PASS(call)                                                                      \
	do {                                                                               \
		error_t rm_pass_err_ = (call);                                             \
		if (rm_pass_err_ != OK) {                                                  \
			return rm_pass_err_;                                               \
		}                                                                          \
	} while (0)

/* The one report of a failed step (rm_glue.c): "<kind> '<name>': <step> failed: <Gunyah
 * error name>", or "<kind>: ..." when `name` is NULL. */
void rm_report(const char *kind, const char *name, const char *step, error_t err);

/* selftest.c: runs the hypercall self-test; prints one line per check; returns the number
 * failed. */
unsigned rm_selftest(const root_boot_info_t *info);

/* vm_builder.c: builds and starts every VM in the RM's device tree (/vms), counting those
 * started in *started. A VM whose build fails is reported once and keeps no caps or objects
 * (its record stays, in state INIT_FAILED); the first such error is returned. */
error_t rm_build_vms(const root_boot_info_t *info, unsigned *started);

/* vm_builder.c: after a wake-up, reports VMs that stopped and restarts those that asked for
 * a reset. */
void rm_watch_vms(void);

/* vm_builder.c: the boot information the hypervisor gave the RM. */
const root_boot_info_t *rm_boot_info(void);

/* vm_builder.c: where the staged (pristine) device tree of `vm` is, mapped in the RM; NULL
 * without staging. Changes to it reach the VM at every (re)start. */
void *rm_staged_dtb(const rm_vm_t *vm);

/* vm_links.c: gives `vm` its RM RPC queue pair. On failure, names the step in *step and has
 * released what it created. */
error_t rm_link_rpc(rm_vm_t *vm, const char **step);

/* vm_links.c: releases `vm`'s RM RPC queue pair (when a later step of its build fails). */
void rm_unlink_rpc(rm_vm_t *vm);

/* vm_links.c: makes every link of the RM's /ipc node; a link that fails is reported once and
 * leaves nothing behind. Returns the first error. */
error_t rm_link_vms(void);

/* inject.c: the test configs' injected faults at the RM's start (debug.inject), and for
 * rm-build-fail the figures that show a failed build released what it built. */
void rm_inject_start(const root_boot_info_t *info);
void rm_inject_probe(const char *when);
