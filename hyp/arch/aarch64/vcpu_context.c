/* vcpu_context.c - the EL1 state of a vCPU going in and out of a physical CPU, and the EL2
 * controls that come with its VM: stage 2, traps, virtual IDs, timer offset, PMU/debug access. */
#include <stdint.h>

#include "cpu.h"
#include "hyp_config.h"
#include "mmu.h"
#include "pgtable.h"
#include "sysreg.h"
#include "util_string.h"
#include "vcpu_context.h"
#include "vgic.h"

#define HCR_VM (1UL << 0)
#define HCR_SWIO (1UL << 1)
#define HCR_FMO (1UL << 3)
#define HCR_IMO (1UL << 4)
#define HCR_AMO (1UL << 5)
#define HCR_FB (1UL << 9)
#define HCR_BSU_IS (1UL << 10)
#define HCR_DC (1UL << 12)
#define HCR_TWI (1UL << 13)
#define HCR_TWE (1UL << 14)
#define HCR_TID3 (1UL << 18)
#define HCR_TSC (1UL << 19)
#define HCR_TACR (1UL << 21)
#define HCR_TSW (1UL << 22)
#define HCR_RW (1UL << 31)
#define HCR_TLOR (1UL << 35)
#define HCR_TERR (1UL << 36)

/* Every VM: stage 2 on, interrupts virtualised, WFI/WFE and SMC trapped, ID registers
 * trapped so guests see only the features bothy context-switches (vcpu_sysreg.c), set/way
 * cache maintenance trapped (meaningless under virtualisation), broadcast TLB/barriers.
 * The registers of two hidden features trap and are UNDEFINED (vcpu_sysreg.c): LORegions
 * (TLOR) and RAS error records (TERR; DISR_EL1 does not trap: VDISR_EL2 is switched). */
#define HCR_GUEST (HCR_VM | HCR_SWIO | HCR_FMO | HCR_IMO | HCR_AMO | HCR_FB | HCR_BSU_IS | \
		   HCR_TWI | HCR_TWE | HCR_TID3 | HCR_TSC | HCR_TACR | HCR_TSW | HCR_RW |       \
		   HCR_TLOR | HCR_TERR)

#define VTCR_RES1 (1UL << 31)
#define VTCR_SL0_LEVEL1 (1UL << 6)
#define VTCR_WALK_CACHED ((1UL << 8) | (1UL << 10) | (3UL << 12))

/* RES1 bits; TZ and TSM (SVE, SME), TTA (trace unit registers: RAZ/WI as debug registers)
 * and TAM (activity monitors: UNDEFINED) set; FP/SIMD not trapped. */
#define CPTR_EL2_TRAPS (0x33ffUL | (1UL << 20) | (1UL << 30))
#define CPTR_EL2_TFP (1UL << 10) /* FP/SIMD trapped too: until the vCPU's first use */
#define CNTHCTL_EL1PCTEN (1UL << 0)    /* physical counter readable; the EL1 physical
					* timer (EL1PCEN clear) traps and is emulated */
#define MDCR_TPMCR (1UL << 5)
#define MDCR_TPM (1UL << 6)
#define MDCR_TDOSA (1UL << 10)
#define MDCR_TDA (1UL << 9)
#define MDCR_TDRA (1UL << 11)
#define MDCR_TPMS (1UL << 14) /* statistical profiling: UNDEFINED for every VM */

#define SPSR_EL1H_MASKED 0x3c5UL      /* EL1 with SP_EL1, D/A/I/F masked */
#define SCTLR_EL1_RESET 0x30d00800UL  /* RES1 bits only: MMU and caches off */

static uint64_t
vtcr_value(void)
{
	return VTCR_RES1 | (64UL - PGTABLE_VA_BITS) | VTCR_SL0_LEVEL1 | VTCR_WALK_CACHED |
	       ((uint64_t)mmu_pa_size_field() << 16);
}

/* PMCR_EL0.N per CPU, for MDCR_EL2.HPMN: read once, not on every switch. */
static uint64_t pmu_counters[PLATFORM_CPU_COUNT];

/* Per CPU, the vCPU whose EL1 registers and VM controls are still in that CPU's registers:
 * the last one loaded there. A vCPU that blocks in WFI leaves its CPU idle, and idle touches
 * none of them, so when it wakes (about 900 times in a Linux boot) there is nothing to load
 * but the timer and the vGIC. That also spares QEMU's TCG: it flushes its whole TLB on every
 * TCR_EL1 write, and takes its global lock for HCR_EL2 and CNTVOFF_EL2. Only this file and
 * a reset change a vCPU's saved EL1 state while it is not loaded, so a reset forgets it. */
static vcpu_t *el1_owner[PLATFORM_CPU_COUNT];

/* Registers of features guests are told they lack but can still reach, since nothing traps
 * them (without fine-grained traps, FEAT_FGT): switched where the CPUs have them.
 * TPIDR2_EL0 with SME (ID_AA64PFR1_EL1.SME); VDISR_EL2 with RAS (ID_AA64PFR0_EL1.RAS),
 * which is what a guest's DISR_EL1 accesses reach while HCR_EL2.AMO is set. */
#define EXTRA_TPIDR2 1U
#define EXTRA_VDISR 2U
#define EXTRA_BOTH (EXTRA_TPIDR2 | EXTRA_VDISR)
static unsigned cpu_extras; /* EXTRA_* */

/* EL2 controls that are the same for every vCPU are written once per CPU, here; nothing
 * else writes them (no VM's stage 2 differs in shape, every VM sees the host's MIDR). */
void
vcpu_context_cpu_init(void)
{
	pmu_counters[cpu_index()] = (sysreg_read(pmcr_el0) >> 11) & 0x1fUL;
	cpu_extras = (((sysreg_read(id_aa64pfr1_el1) >> 24) & 0xfUL) != 0U ? EXTRA_TPIDR2 : 0U) |
		     (((sysreg_read(id_aa64pfr0_el1) >> 28) & 0xfUL) != 0U ? EXTRA_VDISR : 0U);
	sysreg_write(vtcr_el2, vtcr_value());
	sysreg_write(vpidr_el2, sysreg_read(midr_el1));
	sysreg_write(cnthctl_el2, CNTHCTL_EL1PCTEN);
	isb();
}

void
vcpu_context_reset(vcpu_t *vcpu, uint64_t entry, uint64_t context)
{
	/* The vCPU is off, so loaded nowhere; a CPU may meanwhile load another vCPU. */
	for (unsigned cpu = 0U; cpu < PLATFORM_CPU_COUNT; cpu++) {
		vcpu_t *expected = vcpu;
		(void)__atomic_compare_exchange_n(&el1_owner[cpu], &expected, NULL, false,
						  __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	}
	memset(&vcpu->regs, 0, sizeof(vcpu->regs));
	memset(&vcpu->el1, 0, sizeof(vcpu->el1));
	memset(&vcpu->fp, 0, sizeof(vcpu->fp));
	vcpu->el2.valid = false; /* a restarted VM has a new CNTVOFF (vm_prepare_restart) */
	vcpu->regs.x[0] = context;
	vcpu->regs.elr = entry;
	vcpu->regs.spsr = SPSR_EL1H_MASKED;
	vcpu->el1.sctlr = SCTLR_EL1_RESET;
}

static uint64_t
mdcr_traps(const vm_t *vm)
{
	if (vm->pmu_owner) {
		/* The root VM, and the config's debug.pmu_vms, may count instructions themselves
		 * (benchmark guests); the PMU is not context-switched, so no other VM gets it. */
		return MDCR_TPMS;
	}
	/* Other VMs: PMU and debug registers trap and read as zero (vcpu_sysreg.c); HPMN = N
	 * (added at load) keeps every counter out of EL2's range so nothing counts for them. */
	return MDCR_TPM | MDCR_TPMCR | MDCR_TDA | MDCR_TDOSA | MDCR_TDRA | MDCR_TPMS;
}

/* The vCPU's EL2 controls, from its VM. The VM's fields these come from are set when its
 * address space is activated, before any of its vCPUs can run, and CNTVOFF changes only
 * at a restart, which resets every vCPU (vcpu_context_reset). */
static void
el2_controls_init(vcpu_t *vcpu)
{
	const vm_t *vm = vcpu->vm;
	el2_controls_t *e = &vcpu->el2;
	e->vttbr = pgtable_root_pa(&vm->stage2) | ((uint64_t)vm->vmid << 48);
	e->hcr = HCR_GUEST | (vm->is_root ? HCR_DC : 0U);
	e->cntvoff = vm->cntvoff;
	e->vmpidr = (1UL << 31) | vcpu->index;
	e->mdcr_traps = mdcr_traps(vm);
	e->valid = true;
}

/* The vCPU's EL1 context as a base register of its own: vcpu->el1 lies past the 504-byte
 * reach of ldp/stp offsets from the vCPU, so addressed through the vCPU the last fields
 * would be moved one register at a time. The empty asm keeps the compiler from folding the
 * address back into vcpu + offset. */
static inline el1_context_t *
el1_base(vcpu_t *vcpu)
{
	el1_context_t *c = &vcpu->el1;
	__asm__("" : "+r"(c));
	return c;
}

/* The EL1 registers a switch moves, in pairs, in el1_context_t order: (register, field) x 2. */
#define EL1_REGISTER_PAIRS(op)                                                             \
	op(sctlr_el1, sctlr, actlr_el1, actlr)                                             \
	op(cpacr_el1, cpacr, ttbr0_el1, ttbr0)                                             \
	op(ttbr1_el1, ttbr1, tcr_el1, tcr)                                                 \
	op(mair_el1, mair, amair_el1, amair)                                               \
	op(vbar_el1, vbar, contextidr_el1, contextidr)                                     \
	op(esr_el1, esr, far_el1, far)                                                     \
	op(afsr0_el1, afsr0, afsr1_el1, afsr1)                                             \
	op(par_el1, par, sp_el0, sp_el0)                                                   \
	op(sp_el1, sp_el1, elr_el1, elr)                                                   \
	op(spsr_el1, spsr, tpidr_el0, tpidr_el0)                                           \
	op(tpidrro_el0, tpidrro_el0, tpidr_el1, tpidr_el1)                                 \
	op(csselr_el1, csselr, cntkctl_el1, cntkctl)

/* TPIDR2_EL0 and VDISR_EL2, where the CPUs have them: both (QEMU's max CPU, any CPU with
 * SME) cost one compare and a register pair, tested first; one alone, two more tests. */
/* TPIDR2_EL0 is S3_3_C13_C0_5 and VDISR_EL2 S3_4_C12_C1_1 (sysreg_read/write stringify
 * the name unexpanded, so they are spelt out). */

static inline void
extras_load(const el1_context_t *c)
{
	unsigned extras = cpu_extras;
	if (__builtin_expect(extras == EXTRA_BOTH, 1)) {
		uint64_t a = c->tpidr2_el0, b = c->vdisr;
		sysreg_write(S3_3_C13_C0_5, a);
		sysreg_write(S3_4_C12_C1_1, b);
	} else if (extras != 0U) {
		if (extras == EXTRA_TPIDR2) {
			sysreg_write(S3_3_C13_C0_5, c->tpidr2_el0);
		} else {
			sysreg_write(S3_4_C12_C1_1, c->vdisr);
		}
	}
}

static inline void
extras_save(el1_context_t *c)
{
	unsigned extras = cpu_extras;
	if (__builtin_expect(extras == EXTRA_BOTH, 1)) {
		uint64_t a = sysreg_read(S3_3_C13_C0_5), b = sysreg_read(S3_4_C12_C1_1);
		c->tpidr2_el0 = a;
		c->vdisr = b;
	} else if (extras != 0U) {
		if (extras == EXTRA_TPIDR2) {
			c->tpidr2_el0 = sysreg_read(S3_3_C13_C0_5);
		} else {
			c->vdisr = sysreg_read(S3_4_C12_C1_1);
		}
	}
}

/* The VM's EL2 controls and the vCPU's EL1 registers, unless they are still in place. */
static void
el1_load(vcpu_t *vcpu)
{
	vcpu_t **owner = &el1_owner[cpu_index()];
	if (__atomic_load_n(owner, __ATOMIC_RELAXED) == vcpu) {
		return;
	}
	__atomic_store_n(owner, vcpu, __ATOMIC_RELAXED);
	if (!vcpu->el2.valid) {
		el2_controls_init(vcpu);
	}
	const el2_controls_t *e = &vcpu->el2;
	const el1_context_t *c = el1_base(vcpu);
	/* Read before written, so that the reads pair (as in EL1_LOAD2 below). */
	uint64_t vttbr = e->vttbr, hcr = e->hcr, cntvoff = e->cntvoff, vmpidr = e->vmpidr;
	uint64_t mdcr = e->mdcr_traps | pmu_counters[cpu_index()];
	sysreg_write(vttbr_el2, vttbr);
	sysreg_write(hcr_el2, hcr);
	sysreg_write(cntvoff_el2, cntvoff);
	sysreg_write(vmpidr_el2, vmpidr);
	sysreg_write(mdcr_el2, mdcr);

	/* Two fields, then their two registers: the loads pair into one ldp, where a load and
	 * write per register would not (a sysreg write is a compiler barrier to memory). */
#define EL1_LOAD2(reg_a, field_a, reg_b, field_b)                                          \
	{                                                                                  \
		uint64_t a_ = c->field_a, b_ = c->field_b;                                 \
		sysreg_write(reg_a, a_);                                                   \
		sysreg_write(reg_b, b_);                                                   \
	}
	EL1_REGISTER_PAIRS(EL1_LOAD2)
#undef EL1_LOAD2
	sysreg_write(mdscr_el1, c->mdscr);
	extras_load(c);
}

void
vcpu_context_load(vcpu_t *vcpu)
{
	const el1_context_t *c = &vcpu->el1;
	el1_load(vcpu);
	/* FP/SIMD registers are loaded at the vCPU's first use of them (vcpu_fp_trap), so
	 * switches between vCPUs that never touch them (most IPC) move none. */
	sysreg_write(cptr_el2, CPTR_EL2_TRAPS | CPTR_EL2_TFP);
	/* The save disabled the virtual timer: always rewritten. */
	sysreg_write(cntv_cval_el0, c->cntv_cval);
	sysreg_write(cntv_ctl_el0, c->cntv_ctl);
	vgic_load(vcpu);
	/* No isb: the caller's eret into the vCPU is a context synchronization event
	 * (SCTLR_EL2.EOS, set by mmu.c), which is what makes these writes take effect. */
}

void
vcpu_context_save(vcpu_t *vcpu)
{
	el1_context_t *c = el1_base(vcpu);
	/* Two registers, then their two fields: the stores are adjacent and pair into one stp,
	 * where a read and store per register would not (the compiler cannot move a store
	 * across a volatile mrs). The fields are in register order (el1_context_t). */
#define EL1_SAVE2(reg_a, field_a, reg_b, field_b)                                          \
	{                                                                                  \
		uint64_t a_ = sysreg_read(reg_a), b_ = sysreg_read(reg_b);                 \
		c->field_a = a_;                                                           \
		c->field_b = b_;                                                           \
	}
	EL1_REGISTER_PAIRS(EL1_SAVE2)
	EL1_SAVE2(mdscr_el1, mdscr, cntv_ctl_el0, cntv_ctl);
#undef EL1_SAVE2
	c->cntv_cval = sysreg_read(cntv_cval_el0);
	sysreg_write(cntv_ctl_el0, 0); /* must not fire for whoever runs next */
	extras_save(c);
	if (vcpu->fp_loaded) {
		fp_context_save(&vcpu->fp); /* FP access is untrapped: the save can run */
		vcpu->fp_loaded = false;
	}
	vgic_save(vcpu);
	/* No isb: nothing at EL2 depends on these writes having taken effect. The next vCPU's
	 * load ends in an eret, which synchronizes. A virtual timer interrupt still signalled
	 * at EL2 (in the idle loop) reads CNTV_CTL_EL0 first, and a read after a write of the
	 * same register sees the write: it finds the timer disabled and drops it (irq.c). */
}

void
vcpu_fp_trap(vcpu_t *vcpu)
{
	/* TFP traps EL2's own FP instructions too: lift it before loading. */
	sysreg_write(cptr_el2, CPTR_EL2_TRAPS);
	isb();
	fp_context_load(&vcpu->fp);
	vcpu->fp_loaded = true;
}
