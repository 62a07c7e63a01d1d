/* gen.c - how the fuzzer chooses a call: the number (native immediate or SMCCC function ID),
 * the entry path, and every argument register (caps, edge values, addresses, random bits). */
#include "bothy_hypercalls.h"
#include "fuzz.h"
#include "platform_config.h"
#include "stubs.h"

#define PAGE_SIZE 0x1000UL

_Static_assert(FUZZ_NATIVE_FIRST + FUZZ_NATIVE_MARGIN == HYPERCALL_GUNYAH_NATIVE_BASE,
	       "stubs.h: the native block starts FUZZ_NATIVE_MARGIN below the gunyah range");
_Static_assert(HYPERCALL_GUNYAH_NATIVE_BASE + HYPERCALL_GUNYAH_COUNT ==
		       HYPERCALL_BOTHY_NATIVE_BASE,
	       "stubs.h assumes the bothy range follows the gunyah range");
_Static_assert(FUZZ_NATIVE_COUNT ==
		       HYPERCALL_GUNYAH_COUNT + HYPERCALL_BOTHY_COUNT + 2 * FUZZ_NATIVE_MARGIN,
	       "stubs.h: the native block covers both ranges and a margin on either side");

static const uint16_t far_immediates[] = { FUZZ_FAR_IMMEDIATES };
_Static_assert(sizeof(far_immediates) / sizeof(far_immediates[0]) == FUZZ_FAR_COUNT,
	       "FUZZ_FAR_COUNT matches FUZZ_FAR_IMMEDIATES");

/* PSCI (SMC32 and SMC64 function ranges): SYSTEM_OFF and SYSTEM_RESET would end the run,
 * CPU_ON/CPU_OFF would change it. Never called. */
static bool
is_psci(uint32_t fid)
{
	return (fid >= 0x84000000U && fid <= 0x8400001fU) ||
	       (fid >= 0xc4000000U && fid <= 0xc400001fU);
}

/* Function IDs near the hypercall ranges and the services the hypervisor answers. */
static const uint32_t smccc_edges[] = {
	0x00000000U, 0xffffffffU, 0x80000000U /* SMCCC_VERSION */,
	0x80000001U /* SMCCC_ARCH_FEATURES */, 0x80000002U /* SMCCC_ARCH_SOC_ID */,
	0x80008000U /* ARCH_WORKAROUND_1 */, 0x8600ff00U /* vendor hyp: call count */,
	0x8600ff01U /* vendor hyp: UID */, 0x8600ff03U /* vendor hyp: revision */,
	0x86000000U, 0xc6000000U, 0xc6003fffU, 0xc6004040U, 0xc6007fffU, 0xc6008200U,
	0xc600ffffU, 0x86004000U, 0x86008000U /* SMC32 form of the ranges */,
	0x46008000U /* yielding form */, 0xc7008000U, 0xc5008000U, 0x84000020U, 0xc4000020U,
	0x84000050U /* TRNG_VERSION */, 0xbf00ff01U, 0xf0000000U, 0xc2000000U, 0xc3000000U,
};

/* Values that break careless range checks and sign handling. */
static const uint64_t edge_values[] = {
	0x0UL, 0x1UL, 0x2UL, 0x7fUL, 0x80UL, 0xffUL, 0xfffUL, 0x1000UL, 0xffffUL,
	0x7fffffffUL, 0x80000000UL, 0xffffffffUL, 0x100000000UL, 0x7fffffffffffffffUL,
	0x8000000000000000UL, 0xfffffffffffff000UL, 0xfffffffffffffffeUL, 0xffffffffffffffffUL,
};

/* Page-aligned addresses outside the VM's memory: below and above it, the hypervisor, RAM's
 * edges, devices, and addresses beyond any physical range. */
#define OUTSIDE_ADDRESSES 16U
static uint64_t outside[OUTSIDE_ADDRESSES];

/* Memory of this VM that nothing uses: from the top of the stack to the end of its memory
 * (the DTB, which the fuzzer does not read, and the boot-info page, already copied). The
 * hypervisor may write here, as a buffer argument asks it to, without harming the fuzzer. */
extern char __stack_top[];
static uint64_t spare_base, spare_pages;

static cap_id_t console_cap;

void
gen_init(const root_boot_info_t *info, uint64_t spare_end)
{
	uint64_t mem_end = info->mem_base + info->mem_size;
	spare_base = ((uint64_t)(uintptr_t)__stack_top + PAGE_SIZE - 1U) & ~(PAGE_SIZE - 1U);
	spare_pages = spare_end > spare_base ? (spare_end - spare_base) / PAGE_SIZE : 0U;
	console_cap = info->console_cap;
	const uint64_t fixed[OUTSIDE_ADDRESSES] = {
		0x0UL,
		PAGE_SIZE,
		info->mem_base - PAGE_SIZE,
		mem_end,
		mem_end + 0x100000UL,
		HYP_MEM_BASE,
		HYP_MEM_BASE + HYP_MEM_SIZE - PAGE_SIZE,
		PLATFORM_RAM_BASE,
		PLATFORM_RAM_BASE + PLATFORM_RAM_SIZE - PAGE_SIZE,
		PLATFORM_RAM_BASE + PLATFORM_RAM_SIZE,
		PLATFORM_UART_BASE,
		PLATFORM_GICD_BASE,
		1UL << 40,
		(1UL << 48) - PAGE_SIZE,
		0xffff000000000000UL,
		0xfffffffffffff000UL,
	};
	for (unsigned i = 0; i < OUTSIDE_ADDRESSES; i++) {
		outside[i] = fixed[i];
	}
}

uint32_t
stub_immediate(uint32_t stub)
{
	if (stub < FUZZ_NATIVE_COUNT) {
		return FUZZ_NATIVE_FIRST + stub;
	}
	if (stub < FUZZ_STUB_HVC0) {
		return far_immediates[stub - FUZZ_STUB_FAR];
	}
	return 0U;
}

void
call_decode(fuzz_call_t *c)
{
	if (c->stub < FUZZ_STUB_HVC0) {
		uint32_t imm = stub_immediate(c->stub);
		c->argi = 0U;
		if (imm - HYPERCALL_GUNYAH_NATIVE_BASE < HYPERCALL_GUNYAH_COUNT) {
			c->kind = KIND_GUNYAH;
			c->n = imm - HYPERCALL_GUNYAH_NATIVE_BASE;
		} else if (imm - HYPERCALL_BOTHY_NATIVE_BASE < HYPERCALL_BOTHY_COUNT) {
			c->kind = KIND_BOTHY;
			c->n = imm - HYPERCALL_BOTHY_NATIVE_BASE;
		} else {
			c->kind = KIND_NATIVE_OTHER;
			c->n = 0U;
		}
		return;
	}
	/* SMCCC: the function ID is W0; the hypervisor ignores x0's upper half. */
	uint32_t fid = (uint32_t)c->in[0];
	c->argi = 1U;
	if (fid - HYPERCALL_GUNYAH_SMCCC_BASE < HYPERCALL_GUNYAH_COUNT) {
		c->kind = KIND_GUNYAH;
		c->n = fid - HYPERCALL_GUNYAH_SMCCC_BASE;
	} else if (fid - HYPERCALL_BOTHY_SMCCC_BASE < HYPERCALL_BOTHY_COUNT) {
		c->kind = KIND_BOTHY;
		c->n = fid - HYPERCALL_BOTHY_SMCCC_BASE;
	} else {
		c->kind = KIND_SMCCC_OTHER;
		c->n = 0U;
	}
}

/* The memory ownership calls, which get extra attention: a VMM (and an attacker) reaches
 * derive, donate, map, unmap and lookup with its own caps. */
#define MEM(name) (HYPERCALL_##name##_NATIVE - HYPERCALL_GUNYAH_NATIVE_BASE)
static const uint32_t memory_numbers[] = {
	MEM(PARTITION_CREATE_MEMEXTENT), MEM(PARTITION_CREATE_ADDRSPACE), MEM(MEMEXTENT_CONFIGURE),
	MEM(MEMEXTENT_CONFIGURE_DERIVE), MEM(MEMEXTENT_DONATE), MEM(MEMEXTENT_MODIFY),
	MEM(ADDRSPACE_CONFIGURE), MEM(ADDRSPACE_MAP), MEM(ADDRSPACE_UNMAP),
	MEM(ADDRSPACE_UPDATE_ACCESS), MEM(ADDRSPACE_LOOKUP), MEM(OBJECT_ACTIVATE),
};

/* A gunyah number: mostly where Gunyah's calls are (0x00-0x6f), a fifth of the time one of the
 * memory calls, sometimes anywhere. */
static uint32_t
pick_gunyah_number(void)
{
	if (rng_chance(20U)) {
		return memory_numbers[rng_below(sizeof(memory_numbers) / sizeof(memory_numbers[0]))];
	}
	return rng_chance(75U) ? (uint32_t)rng_below(0x70U)
			       : (uint32_t)rng_below(HYPERCALL_GUNYAH_COUNT);
}

static uint32_t
pick_native_stub(void)
{
	uint64_t r = rng_below(100U);
	if (r < 76U) {
		return FUZZ_NATIVE_MARGIN + pick_gunyah_number();
	}
	if (r < 82U) {
		return FUZZ_NATIVE_MARGIN + HYPERCALL_GUNYAH_COUNT; /* console_write */
	}
	if (r < 90U) {
		return FUZZ_NATIVE_MARGIN + HYPERCALL_GUNYAH_COUNT +
		       (uint32_t)rng_below(HYPERCALL_BOTHY_COUNT);
	}
	if (r < 96U) { /* just below or just above the two ranges */
		uint32_t i = (uint32_t)rng_below(2U * FUZZ_NATIVE_MARGIN);
		return i < FUZZ_NATIVE_MARGIN ? i : FUZZ_NATIVE_COUNT - 2U * FUZZ_NATIVE_MARGIN + i;
	}
	return FUZZ_STUB_FAR + (uint32_t)rng_below(FUZZ_FAR_COUNT);
}

static uint64_t
pick_smccc_function(void)
{
	uint64_t r = rng_below(100U);
	uint64_t fid;
	if (r < 50U) {
		fid = HYPERCALL_GUNYAH_SMCCC_BASE + pick_gunyah_number();
	} else if (r < 62U) {
		fid = HYPERCALL_BOTHY_SMCCC_BASE + rng_below(HYPERCALL_BOTHY_COUNT);
	} else if (r < 75U) {
		fid = smccc_edges[rng_below(sizeof(smccc_edges) / sizeof(smccc_edges[0]))];
	} else if (r < 90U) {
		fid = rng_next() & 0xffffffffUL;
	} else { /* junk in x0's upper half, which SMCCC says to ignore */
		fid = (rng_next() & 0xffffffff00000000UL) |
		      (rng_chance(50U) ? HYPERCALL_GUNYAH_SMCCC_BASE + pick_gunyah_number()
				       : (rng_next() & 0xffffffffUL));
	}
	while (is_psci((uint32_t)fid)) {
		fid += 0x20U; /* into the next (unanswered) standard-service block */
	}
	return fid;
}

static uint64_t
pick_cap(void)
{
	uint64_t r = rng_below(100U);
	return r < 70U ? caps_pick_live() : r < 82U ? caps_pick_stale() : caps_pick_forged();
}

static uint64_t
pick_address(void)
{
	uint64_t r = rng_below(100U);
	if (r < 45U && spare_pages > 0U) {
		uint64_t page = spare_base + rng_below(spare_pages) * PAGE_SIZE;
		uint64_t s = rng_below(4U);
		/* page-aligned, inside a page, or straddling the end of the VM's memory */
		return s < 2U ? page : s == 2U ? page + rng_below(PAGE_SIZE)
					       : spare_base + spare_pages * PAGE_SIZE - 8U;
	}
	if (r < 75U) {
		return outside[rng_below(OUTSIDE_ADDRESSES)];
	}
	if (r < 85U) { /* nobody's RAM, so extents over it activate, derive and donate */
		return FUZZ_FREE_RAM_END - (1U + rng_below(FUZZ_FREE_RAM_PAGES)) * PAGE_SIZE;
	}
	return rng_next() & 0x0000fffffffff000UL; /* anywhere in a 48-bit address space */
}

/* Argument register i (0 = the call's first argument, usually a cap). */
static uint64_t
pick_argument(unsigned i)
{
	unsigned cap_percent = i == 0U ? 55U : i < 3U ? 35U : 15U;
	uint64_t r = rng_below(100U);
	if (r < cap_percent) {
		return pick_cap();
	}
	r = rng_below(100U);
	if (r < 30U) {
		return rng_chance(50U) ? rng_next() : rng_next() & 0xffffffffUL;
	}
	if (r < 55U) {
		return edge_values[rng_below(sizeof(edge_values) / sizeof(edge_values[0]))];
	}
	if (r < 85U) {
		return pick_address();
	}
	if (rng_chance(30U)) {
		return rng_below(FUZZ_FREE_RAM_PAGES + 1U) * PAGE_SIZE; /* offsets and sizes */
	}
	return rng_below(rng_chance(50U) ? 64U : 0x2001U); /* small counts, sizes, indices */
}

static bool
is_gunyah(const fuzz_call_t *c, uint32_t native_number)
{
	return c->kind == KIND_GUNYAH && c->n == native_number - HYPERCALL_GUNYAH_NATIVE_BASE;
}

/* The two rules that keep the fuzzer standing: console_write only ever gets a cap that is
 * not the console (so the console shows the fuzzer's report, not random bytes), and the
 * delete/revoke calls never name a boot cap (partition, cspace, vCPU, console, vic). */
static void
keep_footing(fuzz_call_t *c)
{
	uint64_t *args = &c->in[c->argi];
	if (c->kind == KIND_BOTHY && c->n == HYPERCALL_CONSOLE_WRITE_NATIVE -
						     HYPERCALL_BOTHY_NATIVE_BASE) {
		while (args[0] == console_cap || (caps_flags(args[0]) & CAP_FLAG_CONSOLE) != 0U) {
			args[0] = caps_pick_forged();
		}
	}
	if (is_gunyah(c, HYPERCALL_CSPACE_DELETE_CAP_FROM_NATIVE) ||
	    is_gunyah(c, HYPERCALL_CSPACE_REVOKE_CAP_FROM_NATIVE) ||
	    is_gunyah(c, HYPERCALL_CSPACE_REVOKE_CAPS_FROM_NATIVE)) {
		while (caps_is_footing(args[1])) {
			args[1] = rng_chance(50U) ? caps_pick_owned() : caps_pick_forged();
		}
	}
}

void
gen_random_call(fuzz_call_t *c)
{
	*c = (fuzz_call_t){ 0 };
	if (rng_chance(62U)) {
		c->stub = pick_native_stub();
	} else {
		c->stub = rng_chance(80U) ? FUZZ_STUB_HVC0 : FUZZ_STUB_SMC0;
		c->in[0] = pick_smccc_function();
	}
	call_decode(c);
	/* Arguments up to a random depth; the rest mostly 0 (or all ones), so reserved inputs
	 * often pass their checks and the handlers behind them get exercised. */
	unsigned argc = 8U - c->argi;
	unsigned depth = (unsigned)rng_below(argc + 1U);
	for (unsigned i = 0; i < argc; i++) {
		uint64_t *reg = &c->in[c->argi + i];
		if (i < depth) {
			*reg = pick_argument(i);
		} else {
			uint64_t r = rng_below(100U);
			*reg = r < 85U ? 0U : r < 95U ? ~0UL : pick_argument(i);
		}
	}
	keep_footing(c);
}

void
gen_gunyah_call(fuzz_call_t *c, uint32_t n, uint64_t a0, uint64_t a1, uint64_t a2)
{
	*c = (fuzz_call_t){ 0 };
	if (rng_chance(70U)) {
		c->stub = FUZZ_NATIVE_MARGIN + n;
	} else {
		c->stub = rng_chance(80U) ? FUZZ_STUB_HVC0 : FUZZ_STUB_SMC0;
		c->in[0] = HYPERCALL_GUNYAH_SMCCC_BASE + n;
	}
	call_decode(c);
	c->in[c->argi] = a0;
	c->in[c->argi + 1U] = a1;
	c->in[c->argi + 2U] = a2;
}
