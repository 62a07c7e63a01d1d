/* fixture.h - shared set-up for the object-level host tests: the root partition over a host
 * heap, child partitions owning memory of their own, active cspaces, and a leak check per test. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cspace.h"
#include "object.h"
#include "object_ops.h"
#include "objects/thread.h"
#include "partition.h"

/* The root partition (initialised on first use over a static host heap). */
partition_t *fx_root(void);

/* An ACTIVE partition created from the root, owning `bytes` of fresh host memory (exactly
 * that much, so ASan sees any access past it). The caller holds its one reference. */
partition_t *fx_partition(size_t bytes);

/* A new object of `type` in `partition`, in INIT; the caller holds its one reference. */
object_header_t *fx_object(partition_t *partition, object_type_t type);

/* A configured, ACTIVE cspace with `max_caps` slots; the caller holds its one reference. */
cspace_t *fx_cspace(partition_t *partition, uint32_t max_caps);

/* A master cap to `object` in `cspace` (must succeed). */
cap_id_t fx_master(cspace_t *cspace, object_header_t *object, cap_rights_t rights);

/* cspace_lookup, dropping the reference it returns on success: just the error code. */
error_t fx_lookup(cspace_t *cspace, cap_id_t cap, object_type_t type, cap_rights_t rights);

/* The object a cap names (OK expected); the lookup's reference is dropped again. */
object_header_t *fx_target(cspace_t *cspace, cap_id_t cap);

uint32_t fx_refs(const object_header_t *object);
size_t fx_free(partition_t *partition);

/* What creating an object of `type` charges its partition (its size, rounded up). */
size_t fx_charge(object_type_t type);

/* Run after every test: the root partition has exactly its starting free bytes again (no
 * object or child partition leaked), then the child partitions' host memory is released. */
void fx_after_test(void);
