/* cspace.h - capability spaces: a VM's table of unforgeable references to objects, with
 * rights, copying with reduced rights, deletion, and revocation of derived caps. */
#pragma once

#include <stdint.h>

#include "bothy_abi.h"
#include "object.h"

#define CSPACE_MAX_CAPS 4096U /* largest cspace_configure accepts */

struct cap_slot;

typedef struct cspace {
	object_header_t header;
	uint32_t max_caps;      /* set by cspace_configure, in INIT */
	uint32_t used;
	struct cap_slot *slots; /* max_caps slots, allocated at activation */
	uint64_t key;           /* per-cspace secret mixed into every cap ID */
} cspace_t;

/* cspace_configure: the size of the table, before activation. */
error_t cspace_configure(cspace_t *cspace, uint32_t max_caps);

/* The object a cap names, checked in order: ERROR_ARGUMENT_INVALID (the ID names no slot of
 * this cspace), ERROR_CSPACE_CAP_NULL (the slot holds no cap of that ID),
 * ERROR_CSPACE_CAP_REVOKED, ERROR_CSPACE_WRONG_OBJECT_TYPE (type != OBJECT_TYPE_ANY and
 * differs), ERROR_CSPACE_INSUFFICIENT_RIGHTS (a right in `rights` missing). On OK *out holds a
 * new reference the caller must object_put. */
error_t cspace_lookup(cspace_t *cspace, cap_id_t cap, object_type_t type, cap_rights_t rights,
		      object_header_t **out);

/* cspace_lookup, then ERROR_OBJECT_STATE if the object is not ACTIVE (object_lookup_active). */
error_t cspace_lookup_active(cspace_t *cspace, cap_id_t cap, object_type_t type,
			     cap_rights_t rights, object_header_t **out);

/* A new master cap (no parent) to `object` with `rights`; takes its own reference. */
error_t cspace_create_master_cap(cspace_t *cspace, object_header_t *object, cap_rights_t rights,
				 cap_id_t *out);

/* A copy of src_cap in dest with rights (src rights & mask), derived from src_cap. */
error_t cspace_copy_cap(cspace_t *src, cap_id_t src_cap, cspace_t *dest, cap_rights_t mask,
			cap_id_t *out);

/* Frees the slot and drops its reference; caps derived from it move up to its parent. */
error_t cspace_delete_cap(cspace_t *cspace, cap_id_t cap);

/* Marks one cap revoked: every use returns ERROR_CSPACE_CAP_REVOKED until it is deleted. */
error_t cspace_revoke_cap(cspace_t *cspace, cap_id_t cap);

/* Revokes every cap derived (directly or not, in any cspace) from master; master stays. */
error_t cspace_revoke_caps(cspace_t *cspace, cap_id_t master);

/* Secret for cap-ID obfuscation; hyp uses the CPU's RNG, host tests a fixed value. */
uint64_t cspace_random_key(void);
