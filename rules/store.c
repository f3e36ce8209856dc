/*
 * store.c - rules and compiled databases in LMDB, one generation per
 * import (see store.h for the key layout).
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/base/limits.h"
#include "core/iac/iac.h"
#include "core/match/ruleset.h"
#include "rules/rulepack.h"
#include "rules/store.h"

#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/stat.h>

#define FP_KEY_BYTES 32
/* A serialized rule larger than this is corrupt (rules are small text). */
#define RULE_RECORD_MAX (4u * 1024 * 1024)

struct rules_store {
	MDB_env *env;
	MDB_dbi meta, rules, packs, hsdb, iacpacks;
};

static int mdb_fail(struct buf *msg, const char *what, int rc)
{
	if (msg)
		buf_printf(msg, "rule store: %s: %s", what, mdb_strerror(rc));
	return ERR_STORE;
}

static void gen_key(uint64_t gen, uint8_t out[8])
{
	int i;

	for (i = 7; i >= 0; i--) {
		out[i] = (uint8_t)gen;
		gen >>= 8;
	}
}

static uint64_t gen_of(const uint8_t *k)
{
	uint64_t g = 0;
	int i;

	for (i = 0; i < 8; i++)
		g = (g << 8) | k[i];
	return g;
}

static int put_gen_key(struct buf *k, uint64_t gen, const char *name)
{
	uint8_t g[8];

	gen_key(gen, g);
	buf_reset(k);
	if (buf_append(k, g, 8) || buf_append_str(k, name))
		return ERR_NOMEM;
	return 0;
}

int rules_store_open(const char *dir, struct rules_store **out, struct buf *msg)
{
	struct rules_store *st;
	struct buf path;
	MDB_txn *txn;
	MDB_val k, v;
	int rc;

	*out = NULL;
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		rc = -errno;
		if (msg)
			buf_printf(msg, "%s: %s", dir, err_str(rc));
		return rc;
	}
	st = xcalloc(1, sizeof(*st));
	if (!st)
		return ERR_NOMEM;
	buf_init(&path, 4096);
	if (buf_printf(&path, "%s/rules.mdb", dir)) {
		xfree(st);
		return ERR_LIMIT;
	}
	if ((rc = mdb_env_create(&st->env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(st->env, 8)) != 0 ||
	    (rc = mdb_env_set_mapsize(st->env, RULES_STORE_MAP_BYTES)) != 0 ||
	    (rc = mdb_env_open(st->env, (const char *)path.data, MDB_NOSUBDIR | MDB_NOTLS, 0640)) != 0) {
		buf_release(&path);
		if (st->env)
			mdb_env_close(st->env);
		xfree(st);
		return mdb_fail(msg, "open", rc);
	}
	buf_release(&path);
	if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
		goto fail;
	if ((rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &st->meta)) != 0 ||
	    (rc = mdb_dbi_open(txn, "rules", MDB_CREATE, &st->rules)) != 0 ||
	    (rc = mdb_dbi_open(txn, "packs", MDB_CREATE, &st->packs)) != 0 ||
	    (rc = mdb_dbi_open(txn, "hsdb", MDB_CREATE, &st->hsdb)) != 0 ||
	    (rc = mdb_dbi_open(txn, "iacpacks", MDB_CREATE, &st->iacpacks)) != 0) {
		mdb_txn_abort(txn);
		goto fail;
	}
	k.mv_data = "fp_key";
	k.mv_size = 6;
	if (mdb_get(txn, st->meta, &k, &v) == MDB_NOTFOUND) {
		uint8_t key[FP_KEY_BYTES];

		if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key)) {
			mdb_txn_abort(txn);
			rc = EIO;
			goto fail;
		}
		v.mv_data = key;
		v.mv_size = sizeof(key);
		if ((rc = mdb_put(txn, st->meta, &k, &v, 0)) != 0) {
			mdb_txn_abort(txn);
			goto fail;
		}
		k.mv_data = "schema";
		k.mv_size = 6;
		v.mv_data = "1";
		v.mv_size = 1;
		if ((rc = mdb_put(txn, st->meta, &k, &v, 0)) != 0) {
			mdb_txn_abort(txn);
			goto fail;
		}
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		goto fail;
	*out = st;
	return 0;
fail:
	mdb_env_close(st->env);
	xfree(st);
	return mdb_fail(msg, "initialise", rc);
}

void rules_store_close(struct rules_store *st)
{
	if (!st)
		return;
	mdb_env_close(st->env);
	xfree(st);
}

static uint64_t read_generation(MDB_txn *txn, struct rules_store *st)
{
	MDB_val k = { 10, (void *)"generation" }, v;

	if (mdb_get(txn, st->meta, &k, &v) != 0 || v.mv_size != 8)
		return 0;
	return gen_of(v.mv_data);
}

int rules_store_generation(struct rules_store *st, uint64_t *gen)
{
	MDB_txn *txn;
	int rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);

	if (rc)
		return mdb_fail(NULL, "read", rc);
	*gen = read_generation(txn, st);
	mdb_txn_abort(txn);
	return 0;
}

/* --- rule records ---------------------------------------------------- */

static int w_u32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	return buf_append(b, x, 4);
}

static int w_str(struct buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	int err = w_u32(b, s ? (uint32_t)n : UINT32_MAX);

	return err ? err : buf_append(b, s, n);
}

static int w_strv(struct buf *b, char **v, size_t n)
{
	size_t i;
	int err = w_u32(b, (uint32_t)n);

	for (i = 0; !err && i < n; i++)
		err = w_str(b, v[i]);
	return err;
}

static int serialize_rule(struct buf *b, const struct secret_rule *r)
{
	char ent[32];
	size_t i;
	int err = 0;

	snprintf(ent, sizeof(ent), "%.17g", r->entropy_min);
	err = err ? err : w_str(b, r->id);
	err = err ? err : w_str(b, r->name);
	err = err ? err : w_str(b, r->pattern);
	err = err ? err : w_u32(b, r->flags);
	err = err ? err : w_u32(b, r->secret_group);
	err = err ? err : w_strv(b, r->keywords, r->n_keywords);
	err = err ? err : w_u32(b, r->keyword_window);
	err = err ? err : w_str(b, ent);
	err = err ? err : w_u32(b, r->validators);
	err = err ? err : w_str(b, r->requires);
	err = err ? err : w_u32(b, (uint32_t)r->tier);
	err = err ? err : w_u32(b, (uint32_t)r->severity);
	err = err ? err : w_str(b, r->remediation);
	err = err ? err : w_strv(b, r->references, r->n_references);
	err = err ? err : w_strv(b, r->tags, r->n_tags);
	err = err ? err : w_u32(b, (uint32_t)r->n_examples);
	for (i = 0; !err && i < r->n_examples; i++) {
		err = w_str(b, r->examples[i].text);
		err = err ? err : w_str(b, r->examples[i].secret);
	}
	err = err ? err : w_u32(b, (uint32_t)r->n_negatives);
	for (i = 0; !err && i < r->n_negatives; i++)
		err = w_str(b, r->negatives[i].text);
	err = err ? err : w_str(b, r->pack_id);
	/* Fields added after the first schema: a record that ends here
	 * (written by an older build) reads them as their defaults. */
	snprintf(ent, sizeof(ent), "%.17g", r->candidate_min);
	err = err ? err : w_strv(b, r->paths, r->n_paths);
	err = err ? err : w_u32(b, (uint32_t)r->line_at);
	err = err ? err : w_u32(b, (uint32_t)r->candidate);
	err = err ? err : w_str(b, ent);
	for (i = 0; !err && i < r->n_examples; i++)
		err = w_str(b, r->examples[i].path);
	for (i = 0; !err && i < r->n_negatives; i++)
		err = w_str(b, r->negatives[i].path);
	return err;
}

struct reader {
	const uint8_t *p;
	size_t left;
	bool bad;
};

static uint32_t r_u32(struct reader *rd)
{
	uint32_t v;

	if (rd->left < 4) {
		rd->bad = true;
		return 0;
	}
	v = ((uint32_t)rd->p[0] << 24) | ((uint32_t)rd->p[1] << 16) |
	    ((uint32_t)rd->p[2] << 8) | rd->p[3];
	rd->p += 4;
	rd->left -= 4;
	return v;
}

static char *r_str(struct reader *rd)
{
	uint32_t n = r_u32(rd);
	char *s;

	if (rd->bad || n == UINT32_MAX)
		return NULL;
	if (n > rd->left) {
		rd->bad = true;
		return NULL;
	}
	s = xstrndup((const char *)rd->p, n);
	if (!s)
		rd->bad = true;
	rd->p += n;
	rd->left -= n;
	return s;
}

static char **r_strv(struct reader *rd, size_t *n)
{
	uint32_t c = r_u32(rd), i;
	char **v;

	*n = 0;
	if (rd->bad || c > RULEPACK_MAX_LIST) {
		rd->bad = true;
		return NULL;
	}
	v = xcalloc(c ? c : 1, sizeof(*v));
	if (!v) {
		rd->bad = true;
		return NULL;
	}
	*n = c;
	for (i = 0; i < c; i++)
		v[i] = r_str(rd);
	return v;
}

static int deserialize_rule(const void *data, size_t len, struct secret_rule *r)
{
	struct reader rd = { data, len, false };
	char *ent;
	uint32_t i, c;

	memset(r, 0, sizeof(*r));
	r->id = r_str(&rd);
	r->name = r_str(&rd);
	r->pattern = r_str(&rd);
	r->flags = r_u32(&rd);
	r->secret_group = r_u32(&rd);
	r->keywords = r_strv(&rd, &r->n_keywords);
	r->keyword_window = r_u32(&rd);
	ent = r_str(&rd);
	r->entropy_min = ent ? strtod(ent, NULL) : 0;
	xfree(ent);
	r->validators = r_u32(&rd);
	r->requires = r_str(&rd);
	r->tier = (enum rule_tier)r_u32(&rd);
	r->severity = (enum rule_severity)r_u32(&rd);
	r->remediation = r_str(&rd);
	r->references = r_strv(&rd, &r->n_references);
	r->tags = r_strv(&rd, &r->n_tags);
	c = r_u32(&rd);
	if (!rd.bad && c <= RULEPACK_MAX_LIST) {
		r->examples = xcalloc(c ? c : 1, sizeof(*r->examples));
		r->n_examples = r->examples ? c : 0;
		for (i = 0; i < r->n_examples; i++) {
			r->examples[i].text = r_str(&rd);
			r->examples[i].secret = r_str(&rd);
		}
	}
	c = r_u32(&rd);
	if (!rd.bad && c <= RULEPACK_MAX_LIST) {
		r->negatives = xcalloc(c ? c : 1, sizeof(*r->negatives));
		r->n_negatives = r->negatives ? c : 0;
		for (i = 0; i < r->n_negatives; i++)
			r->negatives[i].text = r_str(&rd);
	}
	r->pack_id = r_str(&rd);
	if (!rd.bad && rd.left > 0) {
		r->paths = r_strv(&rd, &r->n_paths);
		r->line_at = (enum rule_line_at)r_u32(&rd);
		r->candidate = (enum rule_candidate)r_u32(&rd);
		ent = r_str(&rd);
		r->candidate_min = ent ? strtod(ent, NULL) : 0;
		xfree(ent);
	}
	if (!rd.bad && rd.left > 0) {	/* the paths examples are scanned under */
		for (i = 0; i < r->n_examples; i++)
			r->examples[i].path = r_str(&rd);
		for (i = 0; i < r->n_negatives; i++)
			r->negatives[i].path = r_str(&rd);
	}
	if (rd.bad || !r->id || !r->name || (!r->pattern && !r->n_paths) ||
	    r->tier > RULE_TIER_WARN ||
	    r->severity > SEV_INFO || r->line_at > RULE_LINE_MATCH ||
	    !rule_candidate_name(r->candidate) || strcmp(rule_candidate_name(r->candidate), "?") == 0) {
		secret_rule_release(r);
		return ERR_STORE;
	}
	return 0;
}

/* Reads every rule of generation `gen` within txn. */
static int read_rules(struct rules_store *st, MDB_txn *txn, uint64_t gen,
		      struct secret_rule **out, size_t *n)
{
	MDB_cursor *cur;
	MDB_val k, v;
	uint8_t g[8];
	struct secret_rule *rules = NULL;
	size_t cnt = 0, cap = 0;
	int rc, err = 0;

	*out = NULL;
	*n = 0;
	gen_key(gen, g);
	if ((rc = mdb_cursor_open(txn, st->rules, &cur)) != 0)
		return mdb_fail(NULL, "cursor", rc);
	k.mv_data = g;
	k.mv_size = 8;
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	while (rc == 0 && k.mv_size > 8 && memcmp(k.mv_data, g, 8) == 0) {
		if (array_reserve(&rules, &cap, cnt, sizeof(*rules), 64) != 0) {
			err = ERR_NOMEM;
			break;
		}
		if (v.mv_size > RULE_RECORD_MAX || deserialize_rule(v.mv_data, v.mv_size, &rules[cnt])) {
			err = ERR_STORE;
			break;
		}
		cnt++;
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	if (err) {
		size_t i;

		for (i = 0; i < cnt; i++)
			secret_rule_release(&rules[i]);
		xfree(rules);
		return err;
	}
	*out = rules;
	*n = cnt;
	return 0;
}

static int read_fp_key(struct rules_store *st, MDB_txn *txn, uint8_t key[FP_KEY_BYTES])
{
	MDB_val k = { 6, (void *)"fp_key" }, v;

	if (mdb_get(txn, st->meta, &k, &v) != 0 || v.mv_size != FP_KEY_BYTES)
		return ERR_STORE;
	memcpy(key, v.mv_data, FP_KEY_BYTES);
	return 0;
}

/* Deletes every record of the given dbi whose generation is not `keep`. */
static int drop_other_generations(MDB_txn *txn, MDB_dbi dbi, uint64_t keep)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, dbi, &cur)) != 0)
		return rc;
	rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	while (rc == 0) {
		if (k.mv_size < 8 || gen_of(k.mv_data) != keep) {
			if ((rc = mdb_cursor_del(cur, 0)) != 0)
				break;
			rc = mdb_cursor_get(cur, &k, &v, MDB_GET_CURRENT);
			if (rc == EINVAL || rc == MDB_NOTFOUND)
				rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
			continue;
		}
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static int cmp_rule_id(const void *a, const void *b)
{
	const struct secret_rule *x = a, *y = b;

	return strcmp(x->id, y->id);
}

/* IaC pack texts of generation gen: parallel arrays of ids and texts
 * (owned by the caller: free with free_texts). */
struct texts {
	char **id;
	char **text;
	size_t *len;
	size_t n;
};

static void free_texts(struct texts *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		xfree(t->id[i]);
		xfree(t->text[i]);
	}
	xfree(t->id);
	xfree(t->text);
	xfree(t->len);
	memset(t, 0, sizeof(*t));
}

static int texts_add(struct texts *t, const char *id, size_t idlen, const char *text, size_t len)
{
	char **ni = xrealloc(t->id, (t->n + 1) * sizeof(*ni));
	char **nt;
	size_t *nl;

	if (!ni)
		return ERR_NOMEM;
	t->id = ni;
	nt = xrealloc(t->text, (t->n + 1) * sizeof(*nt));
	if (!nt)
		return ERR_NOMEM;
	t->text = nt;
	nl = xrealloc(t->len, (t->n + 1) * sizeof(*nl));
	if (!nl)
		return ERR_NOMEM;
	t->len = nl;
	t->id[t->n] = xstrndup(id, idlen);
	t->text[t->n] = xstrndup(text, len);
	t->len[t->n] = len;
	if (!t->id[t->n] || !t->text[t->n]) {
		xfree(t->id[t->n]);
		xfree(t->text[t->n]);
		return ERR_NOMEM;
	}
	t->n++;
	return 0;
}

static int read_iac_texts(struct rules_store *st, MDB_txn *txn, uint64_t gen, struct texts *out)
{
	MDB_cursor *cur;
	MDB_val k, v;
	uint8_t g[8];
	int rc, err = 0;

	memset(out, 0, sizeof(*out));
	gen_key(gen, g);
	if ((rc = mdb_cursor_open(txn, st->iacpacks, &cur)) != 0)
		return ERR_STORE;
	k.mv_data = g;
	k.mv_size = 8;
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	while (!err && rc == 0 && k.mv_size > 8 && memcmp(k.mv_data, g, 8) == 0) {
		err = texts_add(out, (char *)k.mv_data + 8, k.mv_size - 8, v.mv_data, v.mv_size);
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	if (err)
		free_texts(out);
	return err;
}

static int compile_iac(const struct texts *t, struct iac_checkset **out, struct buf *msg)
{
	*out = NULL;
	if (t->n == 0)
		return 0;
	return iac_checkset_load((const char *const *)t->text, t->len, t->n, out, msg);
}

int rules_store_import(struct rules_store *st, struct rulepack *packs, size_t n,
		       uint64_t *gen_out, struct buf *msg)
{
	struct secret_rule *old = NULL, *merged = NULL;
	size_t n_old = 0, n_merged = 0, total = 0, i, j;
	struct ruleset *rs = NULL;
	uint8_t key[FP_KEY_BYTES];
	MDB_txn *txn = NULL;
	uint64_t gen;
	struct buf k, v;
	void *db = NULL;
	size_t db_len = 0;
	long failures;
	struct texts iac;
	struct iac_checkset *iac_cs = NULL;
	int rc, err;

	memset(&iac, 0, sizeof(iac));
	buf_init(&k, 4096);
	buf_init(&v, RULE_RECORD_MAX);
	/* The write transaction is taken first so that two imports cannot
	 * interleave; the compile happens inside it. */
	if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
		return mdb_fail(msg, "begin import", rc);
	gen = read_generation(txn, st);
	err = read_fp_key(st, txn, key);
	if (!err)
		err = read_rules(st, txn, gen, &old, &n_old);
	if (err)
		goto out;
	/* IaC packs: the new ones, then the old ones no new pack replaces. */
	{
		struct texts old_iac;

		err = read_iac_texts(st, txn, gen, &old_iac);
		for (i = 0; !err && i < n; i++)
			if (packs[i].is_iac)
				err = texts_add(&iac, packs[i].id, strlen(packs[i].id), packs[i].iac_text,
						packs[i].iac_len);
		for (i = 0; !err && i < old_iac.n; i++) {
			bool replaced = false;

			for (j = 0; j < n; j++)
				if (strcmp(old_iac.id[i], packs[j].id) == 0)
					replaced = true;
			if (!replaced)
				err = texts_add(&iac, old_iac.id[i], strlen(old_iac.id[i]),
						old_iac.text[i], old_iac.len[i]);
		}
		free_texts(&old_iac);
		if (err)
			goto out;
		err = compile_iac(&iac, &iac_cs, msg);
		if (err) {
			buf_append_str(msg, "\n");
			goto out;
		}
		for (i = 0; !err && i < iac.n; i++) {
			err = put_gen_key(&k, gen + 1, iac.id[i]);
			if (!err) {
				MDB_val mk = { k.len, k.data }, mv = { iac.len[i], iac.text[i] };

				if ((rc = mdb_put(txn, st->iacpacks, &mk, &mv, 0)) != 0)
					err = mdb_fail(msg, "write IaC pack", rc);
			}
		}
		if (err)
			goto out;
	}
	for (i = 0; i < n; i++)
		total += packs[i].n_rules;
	merged = xcalloc(total + n_old + 1, sizeof(*merged));
	if (!merged) {
		err = ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < packs[i].n_rules && !err; j++)
			err = secret_rule_copy(&merged[n_merged++], &packs[i].rules[j]);
	for (i = 0; i < n_old && !err; i++) {
		bool replaced = false;

		for (j = 0; j < n; j++)
			if (old[i].pack_id && strcmp(old[i].pack_id, packs[j].id) == 0)
				replaced = true;
		if (!replaced) {
			merged[n_merged++] = old[i];
			memset(&old[i], 0, sizeof(old[i]));
		}
	}
	if (err)
		goto out;
	/* Hyperscan ids are rule indexes: order the rules as a reader will
	 * find them (LMDB key order) so the cached database matches. */
	qsort(merged, n_merged, sizeof(*merged), cmp_rule_id);
	for (i = 0; i < n_merged; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(merged[i].id, merged[j].id) == 0) {
				buf_printf(msg, "%s: rule id is defined twice (packs %s and %s)\n",
					   merged[i].id, merged[j].pack_id, merged[i].pack_id);
				err = ERR_RULE;
			}
		if (ruleset_check_rule(&merged[i], LIMIT_WINDOW_BYTES_DEFAULT, NULL, msg)) {
			buf_append_str(msg, "\n");
			err = ERR_RULE;
		}
	}
	if (err)
		goto out;
	/* Serialize before ruleset_build takes the array. */
	for (i = 0; i < n_merged && !err; i++) {
		buf_reset(&v);
		err = serialize_rule(&v, &merged[i]);
		if (!err)
			err = put_gen_key(&k, gen + 1, merged[i].id);
		if (!err) {
			MDB_val mk = { k.len, k.data }, mv = { v.len, v.data };

			if ((rc = mdb_put(txn, st->rules, &mk, &mv, 0)) != 0)
				err = mdb_fail(msg, "write rule", rc);
		}
	}
	if (err)
		goto out;
	err = ruleset_build(merged, n_merged, NULL, 0, &rs, msg);
	merged = NULL;
	n_merged = 0;
	if (err)
		goto out;
	ruleset_set_fingerprint_key(rs, key, sizeof(key));
	failures = rulepack_check_examples(rs, msg);
	if (failures != 0) {
		err = failures < 0 ? (int)failures : ERR_RULE;
		goto out;
	}
	err = ruleset_serialize(rs, &db, &db_len);
	if (err)
		goto out;
	if (db) {
		MDB_val mk, mv = { db_len, db };

		err = put_gen_key(&k, gen + 1, ruleset_engine_id());
		mk.mv_size = k.len;
		mk.mv_data = k.data;
		if (!err && (rc = mdb_put(txn, st->hsdb, &mk, &mv, 0)) != 0)
			err = mdb_fail(msg, "write database", rc);
	}
	for (i = 0; i < n && !err; i++) {
		buf_reset(&v);
		err = w_u32(&v, packs[i].version);
		if (!err)
			err = buf_append_str(&v, packs[i].description ? packs[i].description : "");
		if (!err)
			err = put_gen_key(&k, gen + 1, packs[i].id);
		if (!err) {
			MDB_val mk = { k.len, k.data }, mv = { v.len, v.data };

			if ((rc = mdb_put(txn, st->packs, &mk, &mv, 0)) != 0)
				err = mdb_fail(msg, "write pack", rc);
		}
	}
	/* Packs of the previous generation that were not replaced carry over. */
	if (!err && gen) {
		MDB_cursor *cur;
		MDB_val ck, cv;
		uint8_t g[8];

		gen_key(gen, g);
		if ((rc = mdb_cursor_open(txn, st->packs, &cur)) == 0) {
			ck.mv_data = g;
			ck.mv_size = 8;
			rc = mdb_cursor_get(cur, &ck, &cv, MDB_SET_RANGE);
			while (!err && rc == 0 && ck.mv_size > 8 && memcmp(ck.mv_data, g, 8) == 0) {
				bool replaced = false;

				for (j = 0; j < n; j++)
					if (ck.mv_size - 8 == strlen(packs[j].id) &&
					    memcmp((uint8_t *)ck.mv_data + 8, packs[j].id, ck.mv_size - 8) == 0)
						replaced = true;
				if (!replaced) {
					buf_reset(&k);
					gen_key(gen + 1, g);
					buf_append(&k, g, 8);
					buf_append(&k, (uint8_t *)ck.mv_data + 8, ck.mv_size - 8);
					gen_key(gen, g);
					{
						MDB_val mk = { k.len, k.data };

						if (mdb_put(txn, st->packs, &mk, &cv, 0))
							err = ERR_STORE;
					}
				}
				rc = mdb_cursor_get(cur, &ck, &cv, MDB_NEXT);
			}
			mdb_cursor_close(cur);
		}
	}
	if (err)
		goto out;
	if ((rc = drop_other_generations(txn, st->rules, gen + 1)) != 0 ||
	    (rc = drop_other_generations(txn, st->iacpacks, gen + 1)) != 0 ||
	    (rc = drop_other_generations(txn, st->hsdb, gen + 1)) != 0 ||
	    (rc = drop_other_generations(txn, st->packs, gen + 1)) != 0) {
		err = mdb_fail(msg, "drop old generations", rc);
		goto out;
	}
	{
		uint8_t g[8];
		MDB_val mk = { 10, (void *)"generation" }, mv = { 8, g };

		gen_key(gen + 1, g);
		if ((rc = mdb_put(txn, st->meta, &mk, &mv, 0)) != 0) {
			err = mdb_fail(msg, "write generation", rc);
			goto out;
		}
	}
	rc = mdb_txn_commit(txn);
	txn = NULL;
	if (rc)
		err = mdb_fail(msg, "commit", rc);
	else if (gen_out)
		*gen_out = gen + 1;
out:
	if (txn)
		mdb_txn_abort(txn);
	for (i = 0; i < n_old; i++)
		secret_rule_release(&old[i]);
	xfree(old);
	for (i = 0; i < n_merged; i++)
		secret_rule_release(&merged[i]);
	xfree(merged);
	xfree(db);
	ruleset_free(rs);
	iac_checkset_free(iac_cs);
	free_texts(&iac);
	buf_release(&k);
	buf_release(&v);
	return err;
}

static int cache_database(struct rules_store *st, uint64_t gen, const struct ruleset *rs)
{
	MDB_txn *txn;
	struct buf k;
	void *db = NULL;
	size_t len = 0;
	int rc, err;

	err = ruleset_serialize(rs, &db, &len);
	if (err || !db)
		return err;
	buf_init(&k, 4096);
	err = put_gen_key(&k, gen, ruleset_engine_id());
	if (!err && (rc = mdb_txn_begin(st->env, NULL, 0, &txn)) == 0) {
		MDB_val mk = { k.len, k.data }, mv = { len, db };

		/* Only cache into the generation we compiled: a newer import
		 * may have happened meanwhile. */
		if (read_generation(txn, st) == gen && mdb_put(txn, st->hsdb, &mk, &mv, 0) == 0)
			rc = mdb_txn_commit(txn);
		else
			mdb_txn_abort(txn), rc = 0;
		if (rc)
			err = ERR_STORE;
	}
	buf_release(&k);
	xfree(db);
	return err;
}

int rules_store_load(struct rules_store *st, struct ruleset **out, struct iac_checkset **iac_out,
		     uint64_t *gen_out, struct buf *msg)
{
	struct texts iac;
	struct secret_rule *rules = NULL;
	uint8_t key[FP_KEY_BYTES];
	MDB_txn *txn;
	MDB_val mk, mv;
	struct buf k;
	uint64_t gen;
	size_t n = 0;
	int rc, err;
	bool compiled = false;

	*out = NULL;
	if ((rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) != 0)
		return mdb_fail(msg, "begin read", rc);
	gen = read_generation(txn, st);
	if (gen == 0) {
		mdb_txn_abort(txn);
		return ERR_NOTFOUND;
	}
	memset(&iac, 0, sizeof(iac));
	if (iac_out)
		*iac_out = NULL;
	err = read_fp_key(st, txn, key);
	if (!err)
		err = read_rules(st, txn, gen, &rules, &n);
	if (!err && iac_out)
		err = read_iac_texts(st, txn, gen, &iac);
	if (err) {
		mdb_txn_abort(txn);
		return err;
	}
	buf_init(&k, 4096);
	err = put_gen_key(&k, gen, ruleset_engine_id());
	mk.mv_size = k.len;
	mk.mv_data = k.data;
	if (!err && mdb_get(txn, st->hsdb, &mk, &mv) == 0) {
		/* The database bytes live in the map, valid until the txn ends:
		 * deserialization copies them. */
		struct secret_rule *copy = xcalloc(n ? n : 1, sizeof(*copy));
		size_t i;

		for (i = 0; copy && i < n && !err; i++)
			err = secret_rule_copy(&copy[i], &rules[i]);
		if (!copy)
			err = ERR_NOMEM;
		if (!err) {
			err = ruleset_build(copy, n, mv.mv_data, mv.mv_size, out, msg);
			if (err == ERR_UNSUPPORTED)
				err = 0;	/* other library or CPU: compile below */
		}
	}
	mdb_txn_abort(txn);
	buf_release(&k);
	if (!err && !*out) {
		err = ruleset_build(rules, n, NULL, 0, out, msg);
		rules = NULL;
		n = 0;
		compiled = true;
	}
	if (rules) {
		size_t i;

		for (i = 0; i < n; i++)
			secret_rule_release(&rules[i]);
		xfree(rules);
	}
	if (!err && iac_out)
		err = compile_iac(&iac, iac_out, msg);
	free_texts(&iac);
	if (err) {
		ruleset_free(*out);
		*out = NULL;
		return err;
	}
	ruleset_set_fingerprint_key(*out, key, sizeof(key));
	if (compiled)
		cache_database(st, gen, *out);	/* best effort: a failure only
						 * costs a compile next time */
	if (gen_out)
		*gen_out = gen;
	return 0;
}

int rules_store_list_packs(struct rules_store *st, struct buf *out)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	uint8_t g[8];
	uint64_t gen;
	int rc;

	if ((rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) != 0)
		return ERR_STORE;
	gen = read_generation(txn, st);
	gen_key(gen, g);
	if ((rc = mdb_cursor_open(txn, st->packs, &cur)) != 0) {
		mdb_txn_abort(txn);
		return ERR_STORE;
	}
	k.mv_data = g;
	k.mv_size = 8;
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	while (rc == 0 && k.mv_size > 8 && memcmp(k.mv_data, g, 8) == 0) {
		const uint8_t *p = v.mv_data;
		uint32_t ver = v.mv_size >= 4 ? ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
						 (uint32_t)p[2] << 8 | p[3]) : 0;

		buf_printf(out, "%.*s %u\n", (int)(k.mv_size - 8), (char *)k.mv_data + 8, ver);
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return 0;
}
