/* fdt.h - just enough flattened-device-tree access for guest programs: header validation, a
 * property lookup by node path, and overwriting a property's value in place (same length). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "bothy_abi.h"

/* Checks magic, version and that the blocks lie inside `size` bytes. */
error_t fdt_check(const void *fdt, size_t size);

/* Finds property `prop` of the node at `path` ("/memory@41000000"); sets *value, *len. */
error_t fdt_get_prop(const void *fdt, size_t size, const char *path, const char *prop, const void **value,
		     size_t *len);

/* The name ("chan@1") of the `index`-th child (from 0) of the node at `path`; the name lies
 * in the tree. ERROR_ARGUMENT_INVALID when there is no such node or child. */
error_t fdt_child(const void *fdt, size_t size, const char *path, unsigned index, const char **name);

/* Replaces the value of an existing property with `len` bytes: ERROR_ARGUMENT_SIZE unless the
 * property has exactly that length, so the tree's layout never changes. */
error_t fdt_set_prop_inplace(void *fdt, size_t size, const char *path, const char *prop, const void *value,
			     size_t len);

/* The tree's size from its header (0 if there is no valid header within `max`). */
size_t fdt_total_size(const void *fdt, size_t max);

/* Big-endian 32-bit cell at p; a 64-bit value in two cells at p. */
uint32_t fdt_cell(const void *p);
uint64_t fdt_cell64(const void *p);
/* Writes `value` as two big-endian cells at p. */
void fdt_put_cell64(void *p, uint64_t value);
