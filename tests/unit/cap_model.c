/* cap_model.c - the model behind cap_model.h: caps with parent links, rights and revoked
 * flags; deletion and cspace destruction move children up, as hyp/objects/cspace.c must. */
#include <stdbool.h>
#include <stddef.h>

#include "cap_model.h"
#include "fixture.h"
#include "unit.h"

enum { M_CS = 3, M_OBJ = 4, M_SLOTS = 6, M_CAPS = 8192 };
#define M_BYTES (64U * 1024U)

typedef struct {
	cap_id_t id;
	int cs, obj, parent;
	bool live, revoked;
	bool orphaned; /* its cspace was destroyed: the ID is looked up in its successor */
	cap_rights_t rights;
} mcap_t;

typedef struct {
	model_source_t src;
	partition_t *p;
	cspace_t *cs[M_CS];
	object_header_t *obj[M_OBJ];
	mcap_t caps[M_CAPS];
	int n;
} model_t;

static model_t model;
static unsigned outcomes[64];

const unsigned *
model_outcomes(void)
{
	return outcomes;
}

/* Counts an expected outcome, so a test can insist that every one was exercised. */
static error_t
seen(error_t err)
{
	outcomes[(unsigned)err % 64U]++;
	return err;
}

static uint64_t
choose(model_t *m, uint64_t n)
{
	return m->src.below(m->src.ctx, n);
}

static int
used(const model_t *m, int cs)
{
	int count = 0;
	for (int i = 0; i < m->n; i++) {
		count += m->caps[i].live && m->caps[i].cs == cs;
	}
	return count;
}

/* The outcome for an ID that is no cap of the cspace it is tried in because it came from
 * another one (an orphan's, in its cspace's successor, whose key differs): the ID names no
 * slot there (ERROR_ARGUMENT_INVALID) or by chance an empty one (ERROR_CSPACE_CAP_NULL). */
#define M_NO_CAP ((error_t)-1000)

/* got must be want, or either no-cap error when want is M_NO_CAP; counted as seen. */
#define CHECK_OUTCOME(expr, want)                                                         \
	do {                                                                              \
		error_t outcome_ = (expr);                                                    \
		if ((want) == M_NO_CAP) {                                                 \
			CHECK(outcome_ == ERROR_ARGUMENT_INVALID || outcome_ == ERROR_CSPACE_CAP_NULL); \
			(void)seen(outcome_);                                                 \
		} else {                                                                  \
			CHECK_ERR(outcome_, seen(want));                                      \
		}                                                                         \
	} while (0)

static error_t
usable(const model_t *m, int i)
{
	return m->caps[i].orphaned ? M_NO_CAP
	       : !m->caps[i].live  ? ERROR_CSPACE_CAP_NULL
	       : m->caps[i].revoked ? ERROR_CSPACE_CAP_REVOKED
				    : OK;
}

/* A cap to operate on: usually a live one, sometimes a deleted one. */
static int
pick(model_t *m)
{
	for (int tries = 0; tries < 8; tries++) {
		int i = (int)choose(m, (uint64_t)m->n);
		if (m->caps[i].live || choose(m, 5) == 0U) {
			return i;
		}
	}
	return (int)choose(m, (uint64_t)m->n);
}

static bool
descends(const model_t *m, int i, int ancestor)
{
	for (int a = m->caps[i].parent; a >= 0; a = m->caps[a].parent) {
		if (a == ancestor) {
			return true;
		}
	}
	return false;
}

static void
add(model_t *m, cap_id_t id, int cs, int obj, int parent, cap_rights_t rights)
{
	CHECK(m->n < M_CAPS);
	m->caps[m->n++] = (mcap_t){ id, cs, obj, parent, true, false, false, rights };
}

/* A cap goes away: whatever was derived from it is now derived from its parent. */
static void
forget(model_t *m, int i)
{
	m->caps[i].live = false;
	for (int k = 0; k < m->n; k++) {
		if (m->caps[k].live && m->caps[k].parent == i) {
			m->caps[k].parent = m->caps[i].parent;
		}
	}
}

static void
step(model_t *m)
{
	static const object_type_t types[] = { OBJECT_TYPE_ANY, OBJECT_TYPE_DOORBELL,
					       OBJECT_TYPE_THREAD, OBJECT_TYPE_CSPACE };
	unsigned op = m->n == 0 ? 0U : (unsigned)choose(m, 21);
	cap_id_t out = 0xdead;
	if (op <= 3U) { /* create a master cap */
		int cs = (int)choose(m, M_CS);
		int obj = (int)choose(m, M_OBJ);
		cap_rights_t rights = (cap_rights_t)choose(m, 16);
		error_t want = used(m, cs) == M_SLOTS ? ERROR_CSPACE_FULL : OK;
		CHECK_ERR(cspace_create_master_cap(m->cs[cs], m->obj[obj], rights, &out),
			  seen(want));
		if (want == OK) {
			add(m, out, cs, obj, -1, rights);
		}
		return;
	}
	if (op == 20U) { /* destroy a whole cspace and put a fresh one in its place */
		int cs = (int)choose(m, M_CS);
		for (int i = 0; i < m->n; i++) {
			if (m->caps[i].live && m->caps[i].cs == cs) {
				forget(m, i);
			}
			m->caps[i].orphaned |= m->caps[i].cs == cs;
		}
		object_put(&m->cs[cs]->header);
		m->cs[cs] = fx_cspace(m->p, M_SLOTS);
		return;
	}
	int i = pick(m);
	mcap_t *c = &m->caps[i];
	cspace_t *cs = m->cs[c->cs];
	error_t ok = usable(m, i);
	if (op <= 9U) { /* copy */
		int dest = (int)choose(m, M_CS);
		cap_rights_t mask = (cap_rights_t)choose(m, 16);
		error_t want = ok != OK				 ? ok
			       : used(m, dest) == M_SLOTS ? ERROR_CSPACE_FULL
							  : OK;
		CHECK_OUTCOME(cspace_copy_cap(cs, c->id, m->cs[dest], mask, &out), want);
		if (want == OK) {
			add(m, out, dest, c->obj, i, c->rights & mask);
		}
	} else if (op <= 11U) { /* delete */
		CHECK_OUTCOME(cspace_delete_cap(cs, c->id), c->live ? OK : ok);
		if (c->live) {
			forget(m, i);
		}
	} else if (op <= 13U) { /* revoke one */
		CHECK_OUTCOME(cspace_revoke_cap(cs, c->id), ok);
		c->revoked |= ok == OK;
	} else if (op <= 15U) { /* revoke everything derived */
		CHECK_OUTCOME(cspace_revoke_caps(cs, c->id), ok);
		for (int k = 0; ok == OK && k < m->n; k++) {
			if (m->caps[k].live && descends(m, k, i)) {
				m->caps[k].revoked = true;
			}
		}
	} else { /* lookup */
		object_type_t type = types[choose(m, UNIT_COUNT(types))];
		cap_rights_t rights = (cap_rights_t)choose(m, 16);
		error_t want = ok;
		if (want == OK && type != OBJECT_TYPE_ANY && m->obj[c->obj]->type != type) {
			want = ERROR_CSPACE_WRONG_OBJECT_TYPE;
		} else if (want == OK && (c->rights & rights) != rights) {
			want = ERROR_CSPACE_INSUFFICIENT_RIGHTS;
		}
		CHECK_OUTCOME(fx_lookup(cs, c->id, type, rights), want);
	}
}

static void
verify(const model_t *m)
{
	uint32_t refs[M_OBJ] = { 0 };
	for (int i = 0; i < m->n; i++) {
		const mcap_t *c = &m->caps[i];
		error_t want = usable(m, i);
		/* A dead cap's ID means nothing, even in a new cspace in its cspace's place. */
		error_t got = fx_lookup(m->cs[c->cs], c->id, OBJECT_TYPE_ANY, 0);
		if (want == M_NO_CAP) {
			CHECK(got == ERROR_ARGUMENT_INVALID || got == ERROR_CSPACE_CAP_NULL);
		} else {
			CHECK_ERR(got, want);
		}
		if (want == OK) {
			CHECK(fx_target(m->cs[c->cs], c->id) == m->obj[c->obj]);
		}
		refs[c->obj] += c->live;
	}
	for (int o = 0; o < M_OBJ; o++) {
		CHECK_EQ(fx_refs(m->obj[o]), 1U + refs[o]);
	}
	for (int s = 0; s < M_CS; s++) {
		CHECK_EQ(m->cs[s]->used, used(m, s));
	}
}

void
model_run(model_source_t source, int steps)
{
	model_t *m = &model;
	m->src = source;
	m->n = 0;
	m->p = fx_partition(M_BYTES);
	for (int s = 0; s < M_CS; s++) {
		m->cs[s] = fx_cspace(m->p, M_SLOTS);
	}
	for (int o = 0; o < M_OBJ; o++) {
		m->obj[o] = fx_object(m->p, o == 3 ? OBJECT_TYPE_THREAD : OBJECT_TYPE_DOORBELL);
	}
	for (int i = 0; i < steps && m->n < M_CAPS - 1; i++) {
		step(m);
		if (i % 16 == 0) {
			verify(m);
		}
	}
	verify(m);
	for (int s = 0; s < M_CS; s++) {
		object_put(&m->cs[s]->header);
	}
	for (int o = 0; o < M_OBJ; o++) {
		CHECK_EQ(fx_refs(m->obj[o]), 1);
		object_put(m->obj[o]);
	}
	CHECK_EQ(fx_free(m->p), M_BYTES);
	object_put(&m->p->header);
}
