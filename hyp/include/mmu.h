/* mmu.h - the hypervisor's own address space (EL2 stage 1), identity-mapped with W^X.
 * CPU 0 builds it once; every CPU then turns it on with the same registers. */
#pragma once

/* Builds the EL2 tables (CPU 0 only) and enables the MMU on this CPU. */
void mmu_init_boot_cpu(void);

/* Enables the MMU on a secondary CPU using the tables CPU 0 built. */
void mmu_enable_secondary(void);

/* Physical address-size field for TCR_EL2.PS / VTCR_EL2.PS, capped at what the CPU has. */
unsigned mmu_pa_size_field(void);
