/* esr.h - decoding of the Exception Syndrome Register into words a person can read.
 * Used by the panic path and by guest-fault reports. */
#pragma once

#include <stdint.h>

#define ESR_EC(esr) (((esr) >> 26) & 0x3fU)
#define ESR_ISS(esr) ((esr) & 0x1ffffffU)

#define ESR_EC_UNKNOWN 0x00U
#define ESR_EC_WFX 0x01U
#define ESR_EC_FP 0x07U
#define ESR_EC_HVC64 0x16U
#define ESR_EC_SMC64 0x17U
#define ESR_EC_SYSREG 0x18U
#define ESR_EC_SVE 0x19U
#define ESR_EC_IABT_LOWER 0x20U
#define ESR_EC_IABT_CUR 0x21U
#define ESR_EC_DABT_LOWER 0x24U
#define ESR_EC_DABT_CUR 0x25U

/* Name of the exception class, e.g. "data abort from a lower EL". */
const char *esr_class_name(uint64_t esr);

/* Fault status code of an abort (DFSC/IFSC), e.g. "translation fault, level 2". */
const char *esr_fault_status_name(uint64_t esr);

/* Prints "ESR_EL2 0x...: EC 0x.. <class>[; <fault status>, read|write]" via the panic console. */
void esr_print(const char *reg_name, uint64_t esr);
