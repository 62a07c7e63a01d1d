/* stubs.h - the fuzzer's table of hypercall instructions: one `hvc #imm; ret` stub per native
 * immediate it uses (literals, laid out by stubs.S), then hvc #0 and smc #0 for SMCCC. */
#pragma once

/* Native block: every immediate of the gunyah and bothy ranges (contiguous, checked in
 * fuzz.c against bothy_abi.h) plus FUZZ_NATIVE_MARGIN immediates on either side. */
#define FUZZ_NATIVE_MARGIN 0x10
#define FUZZ_NATIVE_FIRST (0x6000 - FUZZ_NATIVE_MARGIN)
#define FUZZ_NATIVE_COUNT (0x200 + 0x40 + 2 * FUZZ_NATIVE_MARGIN)

/* Immediates far from the ranges (never 0, which is the SMCCC path). */
#define FUZZ_FAR_IMMEDIATES 0x1, 0x2, 0xff, 0x1000, 0x4000, 0x5000, 0x7fff, 0x8000, 0xfffe, 0xffff
#define FUZZ_FAR_COUNT 10

/* Stub indices: native block, far immediates, then the two SMCCC conduits. */
#define FUZZ_STUB_FAR (FUZZ_NATIVE_COUNT)
#define FUZZ_STUB_HVC0 (FUZZ_STUB_FAR + FUZZ_FAR_COUNT)
#define FUZZ_STUB_SMC0 (FUZZ_STUB_HVC0 + 1)
#define FUZZ_STUB_COUNT (FUZZ_STUB_SMC0 + 1)

/* Each stub is two instructions. */
#define FUZZ_STUB_BYTES 8

#ifndef __ASSEMBLER__
#include <stdint.h>

/* The stubs themselves (fuzz.c decodes them once to check the table). */
extern const uint32_t fuzz_stubs[];

/* Loads x0..x7 from regs, runs stub `index`, stores x0..x7 back into regs. */
void fuzz_call_stub(uint32_t index, uint64_t regs[8]);
#endif
