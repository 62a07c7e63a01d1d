/* root_boot_info.h - what the hypervisor hands the root VM (the RM) at entry: x0 = its IPA.
 * Written by hyp/vm/root_vm.c into the last page of the RM's memory; read by rm/src/main.c. */
#pragma once

#include <stdint.h>

#define ROOT_BOOT_INFO_MAGIC 0x314d5259485442ULL /* "BTHYRM1" */
#define ROOT_BOOT_INFO_VERSION 5U
#define ROOT_BOOT_INFO_MAX_HWIRQS 16U

/* One physical SPI the config passes through to a guest VM, and the root VM's master cap
 * (bind_vic) to its hwirq object. */
typedef struct root_boot_hwirq {
	uint32_t intid;
	uint32_t reserved;
	uint64_t cap;
} root_boot_hwirq_t;

typedef struct root_boot_info {
	uint64_t magic;
	uint32_t version;
	uint32_t size;        /* sizeof(root_boot_info_t), for forward compatibility */
	uint64_t mem_base;    /* IPA of the memory the RM owns */
	uint64_t mem_size;
	uint64_t dtb_ipa;     /* the RM's device tree (generated from the config) */
	uint64_t dtb_size;
	uint64_t console_cap; /* pass to console_write */
	uint32_t cpu_count;   /* physical CPUs brought online by the hypervisor */
	uint32_t vcpu_count;  /* vCPUs of the RM */
	uint64_t inject;      /* BOTHY_INJECT_* for test configs; 0 otherwise */
	/* The root VM's privileged capabilities, all rights, in its own cspace. No other VM
	 * ever receives these. */
	uint64_t partition_cap; /* the root partition: creates every other object */
	uint64_t cspace_cap;    /* the root VM's own cspace */
	uint64_t vcpu_cap;      /* the root VM's vCPU (thread) */
	uint64_t addrspace_cap; /* the root VM's own address space: where the RM maps what it
				 * prepares for other VMs */
	/* Version 4: the root VM's own vic (virtual GICv3; its vCPU is redistributor 0). It
	 * has every SPI the vGIC models, INTIDs 32..127; bind message-queue and doorbell
	 * interrupts the RM wants to receive to them (bind_source right). */
	uint64_t vic_cap;
	/* Version 5: a hwirq cap for each SPI the config assigns to a guest VM's devices (Gunyah's
	 * RM receives its hwirq caps from the hypervisor's boot the same way), in config order;
	 * the RM binds each to the VM's vic with hwirq_bind_virq. */
	uint32_t hwirq_count;
	uint32_t reserved;
	root_boot_hwirq_t hwirqs[ROOT_BOOT_INFO_MAX_HWIRQS];
} root_boot_info_t;

_Static_assert(sizeof(root_boot_info_t) == 376, "root_boot_info_t layout is ABI");
