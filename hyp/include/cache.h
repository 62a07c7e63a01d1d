/* cache.h - data cache maintenance on physical memory the hypervisor reaches through its
 * identity map of RAM: zeroing pages so that no reader, cached or not, sees the old data. */
#pragma once

#include <stdint.h>

/* Zeroes RAM [pa, pa+size) and cleans and invalidates it to the point of coherency. */
void cache_zero_to_poc(uint64_t pa, uint64_t size);
