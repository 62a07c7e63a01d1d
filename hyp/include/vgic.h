/* vgic.h - the virtual GICv3 of one VM (a vic object): distributor and redistributor state,
 * trap-and-emulate of their MMIO, and delivery to vCPUs through the ICH list registers. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "bothy_abi.h"
#include "mmio.h"
#include "object.h"
#include "spinlock.h"

struct thread;
struct trap_frame;

#define VGIC_MAX_VCPUS 8U
#define VGIC_NR_PRIVATE 32U /* SGIs 0-15, PPIs 16-31 */
#define VGIC_NR_SPIS 96U    /* SPIs 32-127: GICD_TYPER.ITLinesNumber = 3 */
#define VGIC_NR_IRQS (VGIC_NR_PRIVATE + VGIC_NR_SPIS)
#define VGIC_NR_LRS_MAX 16U
#define VGIC_NO_HWIRQ 0xffffffffU
#define VGIC_NOT_QUIET UINT64_MAX /* a generation the 64-bit counter never reaches */

/* State of one virtual interrupt (per vCPU for SGIs/PPIs, per VM for SPIs). */
typedef struct vgic_irq {
	uint8_t priority;
	bool enabled;
	bool pending;     /* latched pending (edge), or set by ISPENDR */
	bool level;       /* line level, for level-sensitive sources */
	bool active;
	bool group1;
	bool edge;        /* GICD_ICFGR: true = edge-triggered */
	bool in_lr;       /* currently held in a list register of its target vCPU */
	bool relatched;   /* level only: latched again while listed, so the guest's
			   * acknowledge of the listed entry does not consume it */
	uint8_t target;   /* SPIs: vCPU index from GICD_IROUTER (Aff0) */
	uint32_t hw_intid; /* physical INTID this virtual one is bound to, or VGIC_NO_HWIRQ */
} vgic_irq_t;

/* Per-vCPU part: the redistributor's private interrupts and the saved ICH state. */
typedef struct vgic_vcpu {
	vgic_irq_t private_irqs[VGIC_NR_PRIVATE];
	bool sleeping;          /* GICR_WAKER.ProcessorSleep */
	uint64_t lr[VGIC_NR_LRS_MAX];
	uint16_t lr_intid[VGIC_NR_LRS_MAX]; /* which INTID each LR holds (0xffff: empty) */
	uint16_t lr_live; /* bit n: list register n holds an interrupt (lr_intid[n] valid) */
	uint32_t ready_private; /* bit n: private INTID n is enabled and pending (vgic_irq_track) */
	uint64_t hcr;
	uint64_t vmcr;
	uint64_t ap0r0;
	uint64_t ap1r0;
	/* vgic_flush rescans the VM's interrupts only when something may have changed: the
	 * vic's generation moved on, or a list register changed (sync) or some did not fit. */
	uint64_t flushed_generation;
	bool rescan;
	/* The vic generation this vCPU's list registers are up to date with (nothing was left
	 * over), or VGIC_NOT_QUIET: set by each full vgic_flush. */
	uint64_t quiet_generation;
	/* Its list registers are in the CPU interface (vgic_load to vgic_save); while not, an
	 * interrupt may be listed straight into lr[] (vgic_irq_changed). Set under vic->lock,
	 * cleared with a release store (vgic_save cannot take the lock). */
	bool loaded;
} vgic_vcpu_t;

/* The vic object: one VM's distributor. Locks: vic->lock guards all vgic_irq_t state of the
 * VM (SPIs and every vCPU's private interrupts); never taken with a scheduler lock held. */
typedef struct vic {
	object_header_t header;
	spinlock_t lock;
	unsigned max_vcpus;
	unsigned max_virqs;
	bool enabled_grp1; /* GICD_CTLR.EnableGrp1NS */
	bool enabled_grp0;
	uint64_t generation; /* bumped by every change to interrupt state (vgic_changed) */
	struct thread *vcpus[VGIC_MAX_VCPUS];
	/* Bit (intid % 64) of word (intid / 64): SPI `intid` is enabled and pending. Flush and
	 * the WFI check visit only these instead of all 128 INTIDs (vgic_irq_track). */
	uint64_t ready_spis[VGIC_NR_IRQS / 64U];
	vgic_irq_t spis[VGIC_NR_SPIS];
} vic_t;

/* True when neither vgic_sync nor vgic_flush need run for this loaded vCPU: the vic has not
 * changed since the last flush and nothing was left over. Lock-free, for the exit fast path:
 * a change made on this CPU is seen here, and one made elsewhere that matters to this vCPU
 * kicks it (vcpu_kick), which sends it through the slow path. Every exit of a vCPU with a
 * vic then costs one compare until something changes.
 *
 * List registers the guest acknowledged or deactivated meanwhile are read back lazily: a
 * deactivated entry only frees its register, which matters when there is something new to
 * list (then the vic changed); a level entry whose line is still up asks for a maintenance
 * interrupt at its EOI; blocking in WFI (sched_current_wait), switching away (vgic_save) and
 * the distributor's MMIO (vgic_mmio) sync first. */
static inline bool
vgic_idle(const vic_t *vic, const vgic_vcpu_t *v)
{
	return v->quiet_generation == __atomic_load_n(&vic->generation, __ATOMIC_RELAXED);
}

/* Number of list registers this CPU implements (ICH_VTR_EL2.ListRegs + 1), cached at boot. */
void vgic_cpu_init(void);

/* vic_configure: limits before activation. ERROR_ARGUMENT_INVALID when out of range. */
error_t vgic_configure(vic_t *vic, unsigned max_vcpus, unsigned max_virqs);
/* Object activation hook: resets the distributor state. */
error_t vgic_activate(vic_t *vic);
/* vic_attach_vcpu: `vcpu` (in INIT) becomes redistributor `index` of this vic. */
error_t vgic_attach_vcpu(vic_t *vic, struct thread *vcpu, unsigned index);

/* Back to the reset state for a VM restart; no attached vCPU may be loaded on a CPU. */
void vgic_reset(vic_t *vic);

/* Emulates a guest access to the distributor or to any redistributor frame of this VM. */
mmio_result_t vgic_mmio(struct thread *vcpu, mmio_access_t *access);

/* A trapped ICC system register access (ESR EC 0x18), e.g. ICC_SGI1R_EL1 writes.
 * Returns false if `esr` is not a GIC register this model handles. */
bool vgic_sysreg(struct thread *vcpu, uint64_t esr, struct trap_frame *frame);

/* Raises an edge-triggered interrupt (or latches pending): SGIs/PPIs on `vcpu`, SPIs on the
 * VM (vcpu may then be NULL). Kicks the target vCPU. ERROR_ARGUMENT_INVALID for bad INTIDs. */
error_t vgic_inject(vic_t *vic, struct thread *vcpu, uint32_t intid);
/* Sets the line level of a level-sensitive interrupt (devices such as the vPL011). */
error_t vgic_set_level(vic_t *vic, struct thread *vcpu, uint32_t intid, bool level);
/* Binds SPI `intid` to physical `hw_intid`: the guest's deactivation also deactivates the
 * physical interrupt (ICH_LR.HW). The hypervisor has already dropped its priority. */
error_t vgic_bind_hw(vic_t *vic, uint32_t intid, uint32_t hw_intid);
/* Undoes vgic_bind_hw (vgic_hwirq.c): SPI `intid` is an ordinary one again and loses a
 * pending state not yet listed. ERROR_VIRQ_NOT_BOUND if it is not bound. */
error_t vgic_unbind_hw(vic_t *vic, uint32_t intid);
/* The physical CPU a bound SPI should be routed to: that of the vCPU it targets (vCPU 0's
 * if that one is not attached). */
unsigned vgic_hw_target_cpu(vic_t *vic, uint32_t intid);

/* Context switch: load this vCPU's ICH state into the CPU interface and flush (vgic_flush)
 * under one hold of the vic lock / save it back. */
void vgic_load(struct thread *vcpu);
void vgic_save(struct thread *vcpu);
/* Just before entering the guest (with the vCPU loaded): move the highest-priority pending
 * interrupts into free list registers; request a maintenance IRQ if some did not fit. */
void vgic_flush(struct thread *vcpu);
/* After a guest exit (vCPU loaded): read list registers back, retire deactivated entries. */
void vgic_sync(struct thread *vcpu);
/* vgic_sync, then whether the vCPU has an interrupt it could take (for waking from WFI),
 * under one hold of the vic lock. */
bool vgic_sync_has_pending(struct thread *vcpu);
/* The maintenance interrupt (PPI 25) fired on this CPU for the loaded vCPU. */
void vgic_maintenance(struct thread *vcpu);
