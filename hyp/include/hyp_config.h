/* hyp_config.h - build-wide constants of the hypervisor that are not board facts.
 * Board facts come from the generated platform_config.h, included here for convenience. */
#pragma once

#include "platform_config.h"

#define HYP_STACK_SIZE BOTHY_U(0x4000) /* per physical CPU */
#define HYP_STACK_GUARD BOTHY_U(0x1000) /* unmapped page below each stack: overflow faults */
#define HYP_STACK_STRIDE (HYP_STACK_GUARD + HYP_STACK_SIZE)
/* Exceptions taken at EL2 are fatal; they are reported from a small stack of their own, so
 * an overflowed stack cannot stop the report. */
#define HYP_EMERGENCY_STACK_SHIFT 12
#define HYP_EMERGENCY_STACK_SIZE BOTHY_U(0x1000)
#define PAGE_SIZE BOTHY_UL(0x1000)
#define CONSOLE_WRITE_MAX BOTHY_U(256)     /* bytes per console_write hypercall */
