/* caps.c - the fuzzer's book of capabilities: the boot caps, caps it owns in its cspace
 * (created or copied there), caps it saw in other cspaces, and deleted (stale) cap IDs. */
#include "fuzz.h"

#define CAPS_FOREIGN_MAX 16U
#define CAPS_STALE_MAX 16U

typedef struct {
	cap_id_t cap;
	unsigned flags;
} cap_entry_t;

/* As the root VM: partition, cspace, vCPU, console, vic, the caps the fuzzer stands on (the
 * root vic has a vCPU behind it, so binds to it drive real lines; the fuzzer never enables
 * its GIC). As a VM the RM built: its RM queue pair, all a Linux primary is given. */
#define BOOT_CAPS 5U
static cap_entry_t boot[BOOT_CAPS];
static unsigned boot_count;

static cap_entry_t owned[CAPS_OWNED_MAX];
static unsigned owned_count;

/* Rings: the oldest entry is overwritten. */
static cap_entry_t foreign[CAPS_FOREIGN_MAX];
static unsigned foreign_count, foreign_next;
static cap_id_t stale[CAPS_STALE_MAX];
static unsigned stale_count, stale_next;
static unsigned stale_reuses;

void
caps_init(const root_boot_info_t *info)
{
	boot[0] = (cap_entry_t){ info->partition_cap, 0U };
	boot[1] = (cap_entry_t){ info->cspace_cap, CAP_FLAG_ROOT_CSPACE };
	boot[2] = (cap_entry_t){ info->vcpu_cap, 0U };
	boot[3] = (cap_entry_t){ info->console_cap, CAP_FLAG_CONSOLE };
	boot[4] = (cap_entry_t){ info->vic_cap, 0U };
	boot_count = BOOT_CAPS;
}

void
caps_init_rm_link(cap_id_t tx, cap_id_t rx)
{
	boot[0] = (cap_entry_t){ tx, 0U };
	boot[1] = (cap_entry_t){ rx, 0U };
	boot_count = 2U;
}

static int
find(const cap_entry_t *entries, unsigned count, cap_id_t cap)
{
	for (unsigned i = 0; i < count; i++) {
		if (entries[i].cap == cap) {
			return (int)i;
		}
	}
	return -1;
}

unsigned
caps_flags(cap_id_t cap)
{
	int i = find(boot, boot_count, cap);
	if (i >= 0) {
		return boot[i].flags;
	}
	i = find(owned, owned_count, cap);
	return i >= 0 ? owned[i].flags : 0U;
}

bool
caps_is_footing(cap_id_t cap)
{
	return find(boot, boot_count, cap) >= 0;
}

static void
unstale(cap_id_t cap)
{
	for (unsigned i = 0; i < stale_count; i++) {
		if (stale[i] == cap) {
			stale_reuses++;
			stale[i] = CSPACE_CAP_INVALID; /* still a fine "stale" argument */
		}
	}
}

bool
caps_add_owned(cap_id_t cap, unsigned flags)
{
	if (find(boot, boot_count, cap) >= 0 || find(owned, owned_count, cap) >= 0) {
		return false;
	}
	unstale(cap);
	if (owned_count < CAPS_OWNED_MAX) {
		owned[owned_count++] = (cap_entry_t){ cap, flags };
	}
	/* The main loop deletes down to CAPS_OWNED_TARGET every call, so a full book (which
	 * would leak this cap for the rest of the run) cannot happen. */
	return true;
}

bool
caps_remove_owned(cap_id_t cap)
{
	int i = find(owned, owned_count, cap);
	if (i < 0) {
		return false;
	}
	owned[i] = owned[--owned_count];
	stale[stale_next] = cap;
	stale_next = (stale_next + 1U) % CAPS_STALE_MAX;
	if (stale_count < CAPS_STALE_MAX) {
		stale_count++;
	}
	return true;
}

unsigned
caps_owned_count(void)
{
	return owned_count;
}

cap_id_t
caps_pick_owned(void)
{
	return owned_count > 0U ? owned[rng_below(owned_count)].cap : CSPACE_CAP_INVALID;
}

void
caps_add_foreign(cap_id_t cap, unsigned flags)
{
	foreign[foreign_next] = (cap_entry_t){ cap, flags };
	foreign_next = (foreign_next + 1U) % CAPS_FOREIGN_MAX;
	if (foreign_count < CAPS_FOREIGN_MAX) {
		foreign_count++;
	}
}

void
caps_remove_foreign(cap_id_t cap)
{
	int i = find(foreign, foreign_count, cap);
	if (i >= 0) {
		foreign[i] = (cap_entry_t){ CSPACE_CAP_INVALID, 0U };
	}
}

unsigned
caps_foreign_flags(cap_id_t cap)
{
	int i = find(foreign, foreign_count, cap);
	return i >= 0 ? foreign[i].flags : 0U;
}

cap_id_t
caps_pick_live(void)
{
	uint64_t r = rng_below(100U);
	if (r < 35U || (owned_count == 0U && foreign_count == 0U)) {
		return boot[rng_below(boot_count)].cap;
	}
	if (r < 85U && owned_count > 0U) {
		return owned[rng_below(owned_count)].cap;
	}
	if (foreign_count > 0U) {
		return foreign[rng_below(foreign_count)].cap;
	}
	return owned[rng_below(owned_count)].cap;
}

cap_id_t
caps_pick_stale(void)
{
	return stale_count > 0U ? stale[rng_below(stale_count)] : caps_pick_forged();
}

cap_id_t
caps_pick_forged(void)
{
	switch (rng_below(7U)) {
	case 0:
		return caps_pick_live() ^ (1UL << rng_below(64U));
	case 1:
		return caps_pick_live() + 1U;
	case 2:
		return caps_pick_live() - 1U;
	case 3:
		return caps_pick_live() ^ 0xffffffff00000000UL;
	case 4:
		return rng_below(16U);
	case 5:
		return CSPACE_CAP_INVALID;
	default:
		return rng_next();
	}
}

unsigned
caps_stale_reuses(void)
{
	return stale_reuses;
}
