/* host.c - host stand-ins for what the object code needs from the arch and VM layers:
 * panic() aborts, cspace_random_key() is deterministic, vcpu_current() is test-chosen. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "cspace.h"
#include "host.h"
#include "object_ops.h"
#include "panic.h"
#include "sched.h"
#include "vm.h"

static thread_t *current_thread;
static uint64_t keys_issued;
static bool key_forced;
static uint64_t forced_key;

void
panic(const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fputs("BOTHY PANIC (host): ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void
panic_exception(const char *what, const trap_frame_t *frame)
{
	panic("exception %s at %#llx", what, (unsigned long long)frame->elr);
}

/* splitmix64 of a counter: distinct, well-mixed keys, the same on every run. */
uint64_t
cspace_random_key(void)
{
	keys_issued++;
	if (key_forced) {
		key_forced = false;
		return forced_key;
	}
	uint64_t z = keys_issued * 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
host_force_next_cap_key(uint64_t key)
{
	key_forced = true;
	forced_key = key;
}

uint64_t
host_cap_keys_issued(void)
{
	return keys_issued;
}

vcpu_t *
vcpu_current(void)
{
	return current_thread;
}

void
host_set_current(thread_t *thread)
{
	current_thread = thread;
}

/* The VM layer is not part of the host build: address spaces and vics cannot be activated
 * (no stage-2 tables, no GIC), and the scheduler only needs to exist. */
error_t
addrspace_activate(object_header_t *object)
{
	(void)object;
	return ERROR_OBJECT_CONFIG;
}

void
addrspace_cleanup(object_header_t *object)
{
	(void)object;
}

error_t
vic_activate(object_header_t *object)
{
	(void)object;
	return ERROR_OBJECT_CONFIG;
}

void
sched_add_vcpu(vcpu_t *vcpu)
{
	(void)vcpu;
}

void
sched_remove_vcpu(vcpu_t *vcpu)
{
	(void)vcpu;
}

uint64_t
sched_us_to_ticks(uint64_t us)
{
	return us;
}
