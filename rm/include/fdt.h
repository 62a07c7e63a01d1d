/* fdt.h - just enough flattened-device-tree reading for the RM to check the tree the
 * hypervisor handed it: header validation and a property lookup by node path. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "bothy_abi.h"

/* Checks magic, version and that the blocks lie inside `size` bytes. */
error_t fdt_check(const void *fdt, size_t size);

/* Finds property `prop` of the node at `path` ("/memory@41000000"); sets *value, *len. */
error_t fdt_get_prop(const void *fdt, size_t size, const char *path, const char *prop, const void **value,
		     size_t *len);

/* Big-endian 32-bit cell at p. */
uint32_t fdt_cell(const void *p);
