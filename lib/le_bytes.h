/* le_bytes.h - little-endian loads and stores one byte at a time, for RPC payloads (the RM and
 * guests): buffers may be unaligned and builds use -mstrict-align, so no wider access is made. */
#pragma once

#include <stdint.h>

static inline uint16_t
le16_load(const uint8_t *p)
{
	return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t
le32_load(const uint8_t *p)
{
	return (uint32_t)le16_load(p) | (uint32_t)le16_load(p + 2) << 16;
}

static inline uint64_t
le64_load(const uint8_t *p)
{
	return (uint64_t)le32_load(p) | (uint64_t)le32_load(p + 4) << 32;
}

static inline void
le16_store(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void
le32_store(uint8_t *p, uint32_t v)
{
	le16_store(p, (uint16_t)v);
	le16_store(p + 2, (uint16_t)(v >> 16));
}

static inline void
le64_store(uint8_t *p, uint64_t v)
{
	le32_store(p, (uint32_t)v);
	le32_store(p + 4, (uint32_t)(v >> 32));
}
