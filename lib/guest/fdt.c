/* fdt.c - a small, bounds-checked walker over a flattened device tree's structure block.
 * Guests only read trees that the build generated, but they still trust no length field. */
#include <stdbool.h>

#include "fdt.h"
#include "util_string.h"

#define FDT_MAGIC 0xd00dfeedU
#define FDT_BEGIN_NODE 1U
#define FDT_END_NODE 2U
#define FDT_PROP 3U
#define FDT_NOP 4U
#define FDT_END 9U
#define FDT_MAX_DEPTH 8U

uint32_t
fdt_cell(const void *p)
{
	const uint8_t *b = p;
	return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

typedef struct {
	const uint8_t *base;
	uint32_t struct_off, struct_size, strings_off, strings_size;
} fdt_view_t;

static error_t
view(const void *fdt, size_t size, fdt_view_t *v)
{
	const uint8_t *h = fdt;
	if (size < 40U || fdt_cell(h) != FDT_MAGIC || fdt_cell(h + 4) > size ||
	    fdt_cell(h + 20) < 16U) {
		return ERROR_ARGUMENT_INVALID;
	}
	uint32_t total = fdt_cell(h + 4);
	v->base = h;
	v->struct_off = fdt_cell(h + 8);
	v->strings_off = fdt_cell(h + 12);
	v->strings_size = fdt_cell(h + 32);
	v->struct_size = fdt_cell(h + 36);
	if (v->struct_off > total || v->struct_size > total - v->struct_off ||
	    v->strings_off > total || v->strings_size > total - v->strings_off) {
		return ERROR_ARGUMENT_SIZE;
	}
	return OK;
}

error_t
fdt_check(const void *fdt, size_t size)
{
	fdt_view_t v;
	return view(fdt, size, &v);
}

/* Length of the next component of `path` after any leading '/', and where it starts. */
static size_t
next_component(const char *path, const char **start)
{
	path += (*path == '/') ? 1 : 0;
	size_t n = 0;
	while (path[n] != '\0' && path[n] != '/') {
		n++;
	}
	*start = path;
	return n;
}

/* One question about the node at a path: a property of it (`prop` set) or its `child`-th
 * child node (`prop` NULL). walk() fills in the answer. */
typedef struct fdt_query {
	const char *prop;
	unsigned child;
	const void *value;
	size_t len;
	const char *name;
} fdt_query_t;

/* Walks the structure block once, tracking which open nodes lie on `path`, and stops at the
 * answer to `q`: OK, or ERROR_ARGUMENT_INVALID if there is none, or a malformed-tree error. */
static error_t
walk(const void *fdt, size_t size, const char *path, fdt_query_t *q)
{
	fdt_view_t v;
	error_t err = view(fdt, size, &v);
	if (err != OK) {
		return err;
	}
	/* Invariant: the `matched` outermost open nodes lie on `path`; remaining[matched] is the
	 * part of the path still to match below them. The target is reached when every open
	 * node matches and nothing remains; a node that begins there is one of its children. */
	unsigned depth = 0, matched = 0, seen = 0;
	const char *remaining[FDT_MAX_DEPTH + 1U] = { path };
	uint32_t off = 0;
	while (off + 4U <= v.struct_size) {
		const uint8_t *p = v.base + v.struct_off + off;
		uint32_t token = fdt_cell(p);
		off += 4U;
		const char *comp;
		bool at_target = depth > 0U && matched == depth &&
				 next_component(remaining[matched], &comp) == 0U;
		if (token == FDT_BEGIN_NODE) {
			const char *name = (const char *)(p + 4);
			size_t n = strlen(name);
			off += ((uint32_t)n + 4U) & ~3U;
			if (depth == FDT_MAX_DEPTH) {
				return ERROR_ARGUMENT_SIZE;
			}
			if (at_target) {
				if (q->prop == NULL && seen++ == q->child) {
					q->name = name;
					return OK;
				}
			} else if (matched == depth) {
				size_t clen = next_component(remaining[matched], &comp);
				if (depth == 0U) { /* the root node matches the leading "/" */
					remaining[++matched] = path;
				} else if (clen == n && memcmp(comp, name, n) == 0) {
					remaining[++matched] = comp + clen;
				}
			}
			depth++;
		} else if (token == FDT_END_NODE) {
			if (depth == 0U) {
				return ERROR_ARGUMENT_INVALID;
			}
			matched = (matched == depth) ? matched - 1U : matched;
			depth--;
		} else if (token == FDT_PROP) {
			if (off + 8U > v.struct_size) {
				return ERROR_ARGUMENT_SIZE;
			}
			uint32_t plen = fdt_cell(p + 4), name_off = fdt_cell(p + 8);
			off += 8U;
			if (plen > v.struct_size - off || name_off >= v.strings_size) {
				return ERROR_ARGUMENT_SIZE;
			}
			const char *pname = (const char *)(v.base + v.strings_off + name_off);
			if (at_target && q->prop != NULL && strcmp(pname, q->prop) == 0) {
				q->value = p + 12;
				q->len = plen;
				return OK;
			}
			off += (plen + 3U) & ~3U;
		} else if (token == FDT_END) {
			break;
		} else if (token != FDT_NOP) {
			return ERROR_ARGUMENT_INVALID;
		}
	}
	return ERROR_ARGUMENT_INVALID;
}

error_t
fdt_get_prop(const void *fdt, size_t size, const char *path, const char *prop,
	     const void **value, size_t *len)
{
	fdt_query_t q = { .prop = prop };
	error_t err = walk(fdt, size, path, &q);
	if (err == OK) {
		*value = q.value;
		*len = q.len;
	}
	return err;
}

error_t
fdt_child(const void *fdt, size_t size, const char *path, unsigned index, const char **name)
{
	fdt_query_t q = { .child = index };
	error_t err = walk(fdt, size, path, &q);
	if (err == OK) {
		*name = q.name;
	}
	return err;
}

error_t
fdt_set_prop_inplace(void *fdt, size_t size, const char *path, const char *prop, const void *value,
		     size_t len)
{
	const void *old;
	size_t old_len;
	error_t err = fdt_get_prop(fdt, size, path, prop, &old, &old_len);
	if (err != OK) {
		return err;
	}
	if (old_len != len) {
		return ERROR_ARGUMENT_SIZE;
	}
	/* The value lies inside the caller's writable tree: fdt_get_prop bounds-checked it. */
	memcpy((void *)(uintptr_t)old, value, len);
	return OK;
}

size_t
fdt_total_size(const void *fdt, size_t max)
{
	fdt_view_t v;
	return view(fdt, max, &v) == OK ? fdt_cell((const uint8_t *)fdt + 4) : 0U;
}

uint64_t
fdt_cell64(const void *p)
{
	return ((uint64_t)fdt_cell(p) << 32) | fdt_cell((const uint8_t *)p + 4);
}

void
fdt_put_cell64(void *p, uint64_t value)
{
	uint8_t *b = p;
	for (unsigned i = 0; i < 8U; i++) {
		b[i] = (uint8_t)(value >> (56U - 8U * i));
	}
}
