/* inject.c - the RM's test-only fault injection (config debug.inject): the faults injected at
 * its start, and for rm-build-fail the figures that show a failed build left nothing behind. */
#include <stdint.h>

#include "bothy_hypercalls.h"
#include "bothy_objects.h"
#include "guest.h"
#include "platform_config.h"
#include "rm.h"

/* More than the RM's cspace holds (the hypervisor gives it 1024 slots). */
#define PROBE_MAX_CAPS 1280U
/* Cspaces the heap probe holds at once at most; it stops there. */
#define PROBE_MAX_BLOCKS 256U
/* The largest cspace_configure accepts (hyp/include/cspace.h); a larger one is refused as a
 * bad argument, which the probe treats like one that does not fit. */
#define PROBE_CSPACE_MAX_CAPS 4096U

static cap_id_t probe_caps[PROBE_MAX_CAPS];

void
rm_inject_start(const root_boot_info_t *info)
{
	if (info->inject == BOTHY_INJECT_RM_HANG) {
		guest_printf("debug.inject=rm-hang: spinning forever with interrupts masked\n");
		for (;;) {
		}
	}
	if (info->inject == BOTHY_INJECT_RM_FAULT) {
		guest_printf("debug.inject=rm-fault: reading hypervisor memory at 0x%lx\n",
			     (uint64_t)HYP_MEM_BASE);
		(void)*(volatile uint64_t *)(uintptr_t)HYP_MEM_BASE;
		guest_printf("FAIL: read of hypervisor memory did not fault\n");
	}
}

static void
delete_all(const root_boot_info_t *info, const cap_id_t *caps, unsigned n)
{
	while (n > 0U) {
		(void)bothy_cspace_delete_cap_from(info->cspace_cap, caps[--n]);
	}
}

/* Free slots of the RM's own cspace: copies of its partition cap until it is full, deleted
 * again. Every cap the RM keeps to an object takes one. */
static unsigned
free_rm_slots(const root_boot_info_t *info)
{
	unsigned n = 0;
	while (n < PROBE_MAX_CAPS) {
		hypercall_cspace_copy_cap_from_result_t c = bothy_cspace_copy_cap_from(
			info->cspace_cap, info->partition_cap, info->cspace_cap,
			CAP_RIGHTS_PARTITION_ALL);
		if (c.error != OK) {
			break;
		}
		probe_caps[n++] = c.new_cap;
	}
	delete_all(info, probe_caps, n);
	return n;
}

/* An activated cspace of `slots` caps (its slots are one allocation from the hypervisor's
 * heap), or CSPACE_CAP_INVALID if it does not fit. */
static cap_id_t
try_cspace(const root_boot_info_t *info, uint32_t slots)
{
	hypercall_partition_create_cspace_result_t cs =
		bothy_partition_create_cspace(info->partition_cap, info->cspace_cap);
	if (cs.error != OK) {
		return CSPACE_CAP_INVALID;
	}
	if (bothy_cspace_configure(cs.new_cap, slots).error == OK &&
	    bothy_object_activate(cs.new_cap).error == OK) {
		return cs.new_cap;
	}
	(void)bothy_cspace_delete_cap_from(info->cspace_cap, cs.new_cap);
	return CSPACE_CAP_INVALID;
}

/* The hypervisor heap the RM can take, in cspace slots: the largest cspace that fits is held,
 * then the largest that still fits, until not even a one-slot cspace does; all are deleted
 * again. The allocator is first fit and coalesces what is freed, so the same free memory
 * always gives the same figure, and anything a build left allocated lowers it. */
static uint64_t
free_heap_slots(const root_boot_info_t *info, unsigned *blocks)
{
	static cap_id_t held[PROBE_MAX_BLOCKS];
	unsigned n = 0;
	uint64_t total = 0;
	uint32_t hi = PROBE_CSPACE_MAX_CAPS;
	while (n < PROBE_MAX_BLOCKS) {
		cap_id_t cap = try_cspace(info, hi);
		if (cap == CSPACE_CAP_INVALID) {
			/* Binary search for the largest that fits, taken at once if it is found. */
			uint32_t fits = 0, l = 1, h = hi - 1U;
			while (l <= h) {
				uint32_t mid = l + (h - l) / 2U;
				cap_id_t c = try_cspace(info, mid);
				if (c == CSPACE_CAP_INVALID) {
					h = mid - 1U;
				} else {
					(void)bothy_cspace_delete_cap_from(info->cspace_cap, c);
					fits = mid;
					l = mid + 1U;
				}
			}
			hi = fits;
			cap = fits == 0U ? CSPACE_CAP_INVALID : try_cspace(info, fits);
		}
		if (cap == CSPACE_CAP_INVALID) {
			break;
		}
		held[n++] = cap;
		total += hi;
	}
	delete_all(info, held, n);
	*blocks = n;
	return total;
}

void
rm_inject_probe(const char *when)
{
	const root_boot_info_t *info = rm_boot_info();
	unsigned blocks = 0;
	uint64_t heap = free_heap_slots(info, &blocks);
	unsigned slots = free_rm_slots(info);
	guest_printf("debug.inject=rm-build-fail: %s: %u free caps in the RM's cspace, "
		     "free hypervisor heap %lu cspace slots (%u cspaces)\n",
		     when, slots, heap, blocks);
}
