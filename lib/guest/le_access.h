/* le_access.h - little-endian loads and stores at any alignment, bytewise: RPC payloads are
 * packed, and guests run with the MMU off, where an unaligned access faults. */
#pragma once

#include <stdint.h>

static inline uint16_t
le_load16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t
le_load32(const uint8_t *p)
{
	return le_load16(p) | ((uint32_t)le_load16(p + 2) << 16);
}

static inline uint64_t
le_load64(const uint8_t *p)
{
	return le_load32(p) | ((uint64_t)le_load32(p + 4) << 32);
}

static inline void
le_store16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void
le_store32(uint8_t *p, uint32_t v)
{
	le_store16(p, (uint16_t)v);
	le_store16(p + 2, (uint16_t)(v >> 16));
}

static inline void
le_store64(uint8_t *p, uint64_t v)
{
	le_store32(p, (uint32_t)v);
	le_store32(p + 4, (uint32_t)(v >> 32));
}
