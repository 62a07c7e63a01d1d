/* host.c - host stand-ins for what the object code needs from the arch and VM layers:
 * panic() aborts, cspace_random_key() is deterministic, vcpu_current() is test-chosen, guest
 * memory is host memory, and the vGIC only records the lines it is asked to drive. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addrspace.h"
#include "cache.h"
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

/* No address space can be activated here, so no extent is ever mapped. */
void
addrspace_unmap_extent(memextent_t *extent)
{
	(void)extent;
}

error_t
addrspace_revoke_pages(memextent_t *extent, uint64_t pa, uint64_t size)
{
	(void)extent;
	(void)pa;
	(void)size;
	return OK;
}

/* Host memory is not at the extents' physical addresses: nothing to zero. */
void
cache_zero_to_poc(uint64_t pa, uint64_t size)
{
	(void)pa;
	(void)size;
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

error_t
guest_copy_from(void *dst, uint64_t src, size_t size)
{
	if (src + size < src) {
		return ERROR_ADDR_OVERFLOW;
	}
	if (size > 0U && src < HOST_BAD_GUEST_VA + 0x1000U && src + size > HOST_BAD_GUEST_VA) {
		return ERROR_ADDR_INVALID;
	}
	if (size > 0U) {
		memcpy(dst, (const void *)(uintptr_t)src, size);
	}
	return OK;
}

error_t
guest_copy_to(uint64_t dst, const void *src, size_t size)
{
	if (dst + size < dst) {
		return ERROR_ADDR_OVERFLOW;
	}
	if (size > 0U && dst < HOST_BAD_GUEST_VA + 0x1000U && dst + size > HOST_BAD_GUEST_VA) {
		return ERROR_ADDR_INVALID;
	}
	if (size > 0U) {
		memcpy((void *)(uintptr_t)dst, src, size);
	}
	return OK;
}

typedef struct {
	const vic_t *vic;
	uint32_t intid;
	bool level;
	unsigned edges;
} host_line_t;

static host_line_t lines[64];

static host_line_t *
line(const vic_t *vic, uint32_t intid)
{
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		if (lines[i].vic == vic && lines[i].intid == intid) {
			return &lines[i];
		}
		if (lines[i].vic == NULL) {
			lines[i] = (host_line_t){ .vic = vic, .intid = intid };
			return &lines[i];
		}
	}
	panic("host vGIC: too many lines");
}

error_t
vgic_set_level(vic_t *vic, thread_t *vcpu, uint32_t intid, bool level)
{
	(void)vcpu;
	host_line_t *l = line(vic, intid);
	if (level && !l->level) {
		l->edges++;
	}
	l->level = level;
	return OK;
}

error_t
vgic_inject(vic_t *vic, thread_t *vcpu, uint32_t intid)
{
	(void)vcpu;
	line(vic, intid)->edges++;
	return OK;
}

bool
host_virq_level(const vic_t *vic, uint32_t intid)
{
	return line(vic, intid)->level;
}

unsigned
host_virq_edges(const vic_t *vic, uint32_t intid)
{
	return line(vic, intid)->edges;
}

void
host_virq_reset(void)
{
	memset(lines, 0, sizeof(lines));
}
