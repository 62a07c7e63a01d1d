/* fuzz.h - what the hypercall fuzzer's files share: the seeded generator and the book of
 * capabilities it owns, has deleted, or has seen created in other cspaces. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "bothy_abi.h"
#include "root_boot_info.h"

/* One hypercall: which stub makes it, what the hypervisor will decode it as, and the
 * registers before and after. */
typedef enum {
	KIND_GUNYAH,       /* a number in the gunyah range (native or SMCCC) */
	KIND_BOTHY,        /* a number in the bothy range */
	KIND_NATIVE_OTHER, /* hvc #imm outside both ranges */
	KIND_SMCCC_OTHER,  /* an SMCCC function ID outside both ranges */
} call_kind_t;

typedef struct {
	uint32_t stub;    /* index into stubs.S */
	call_kind_t kind;
	uint32_t n;       /* number within its range (KIND_GUNYAH, KIND_BOTHY) */
	unsigned argi;    /* first argument register: 0 native, 1 SMCCC */
	uint64_t in[8];
	uint64_t out[8];
} fuzz_call_t;

/* gen.c: choosing calls and arguments. `info` gives the VM's memory and console cap; buffer
 * arguments inside the VM use the memory from the top of the stack up to `spare_end`. */
/* The top pages of RAM, which no VM and not the hypervisor uses: memory arguments point there
 * often, so the extents the fuzzer makes can activate, derive, donate and map. */
#define FUZZ_FREE_RAM_END (PLATFORM_RAM_BASE + PLATFORM_RAM_SIZE)
#define FUZZ_FREE_RAM_PAGES 32U
#define FUZZ_PAGE 0x1000UL

void gen_init(const root_boot_info_t *info, uint64_t spare_end);
/* A random call: number, entry path and arguments, adjusted so the fuzzer keeps its
 * footing (see gen.c). */
void gen_random_call(fuzz_call_t *c);
/* gunyah call n with three arguments (the rest 0), through a random entry path. */
void gen_gunyah_call(fuzz_call_t *c, uint32_t n, uint64_t a0, uint64_t a1, uint64_t a2);
/* The native immediate of a stub (0 for the SMCCC stubs). */
uint32_t stub_immediate(uint32_t stub);
/* Sets kind, n and argi from stub and in[0], as the hypervisor decodes them. */
void call_decode(fuzz_call_t *c);

/* xorshift64* seeded through splitmix64, so every seed (0 included) gives a good stream. */
void rng_seed(uint64_t seed);
uint64_t rng_next(void);
/* Uniform in [0, bound); bound > 0. */
uint64_t rng_below(uint64_t bound);
/* True with probability percent/100. */
bool rng_chance(unsigned percent);

/* What a cap is known to name (copies inherit their source's flags). */
#define CAP_FLAG_CONSOLE 0x1U     /* the console: never passed to console_write */
#define CAP_FLAG_ROOT_CSPACE 0x2U /* the fuzzer's own cspace */

/* Live caps in the fuzzer's own cspace, beyond the five boot caps; the main loop deletes
 * down to CAPS_OWNED_TARGET, so the cspace (and the partition's memory) never fill. */
#define CAPS_OWNED_MAX 64U
#define CAPS_OWNED_TARGET 32U

void caps_init(const root_boot_info_t *info);
/* Instead of caps_init, as a VM the RM built: its only caps are its RM queue pair. */
void caps_init_rm_link(cap_id_t tx, cap_id_t rx);

/* Flags of a cap value as looked up in the fuzzer's own cspace (boot caps included). */
unsigned caps_flags(cap_id_t cap);
/* The partition, cspace, vCPU, console or vic cap from boot info: never deleted or revoked. */
bool caps_is_footing(cap_id_t cap);

/* A cap created in (or copied into) the fuzzer's cspace; false if that ID is already live
 * there, which is a hypervisor bug (two live caps with one ID). */
bool caps_add_owned(cap_id_t cap, unsigned flags);
/* The cap left the fuzzer's cspace: it becomes stale. False if it was not owned. */
bool caps_remove_owned(cap_id_t cap);
unsigned caps_owned_count(void);
/* A random owned cap; CSPACE_CAP_INVALID when there is none. */
cap_id_t caps_pick_owned(void);

/* Caps the fuzzer saw appear in (or leave) a cspace other than its own. */
void caps_add_foreign(cap_id_t cap, unsigned flags);
void caps_remove_foreign(cap_id_t cap);
unsigned caps_foreign_flags(cap_id_t cap);

/* Argument sources: live caps (boot, owned, foreign), deleted ones, and forgeries (live caps
 * with a bit flipped or off by one, small integers, CSPACE_CAP_INVALID, random values). */
cap_id_t caps_pick_live(void);
cap_id_t caps_pick_stale(void);
cap_id_t caps_pick_forged(void);

/* How often a newly created cap reused the ID of one the fuzzer had deleted. */
unsigned caps_stale_reuses(void);
