/*
 * test_store.c - rules/store/: the LMDB rule store in a temporary
 * directory.  Generations increase per import; a pack whose examples fail
 * is refused and changes nothing; re-importing one pack keeps the rules of
 * the others; loads return the rules sorted by id, use the cached
 * Hyperscan database (shown by planting a different database under its
 * key) and cache it again when it is missing; the fingerprint key
 * survives close and open; IaC packs come back compiled; a ruleset loaded
 * before an import keeps working after it.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/iac/iac.h"
#include "core/match/match.h"
#include "core/match/ruleset.h"
#include "rules/rulepack.h"
#include "rules/store.h"
#include "tests/lib/packbuild.h"

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

/* Synthetic tokens: a GitHub token with a valid CRC-32/base62 checksum,
 * an AWS key id and a made-up "sk_live_" key. */
#define GHP "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"
#define AKID "AKIAZ7QW2ERTY3UIOP4A"
#define SKL "sk_live_4eC39HqLyjWDarjtT1zdp7dc"

#define RULE_GHP(id) \
	"  - id: " id "\n" \
	"    name: GitHub token\n" \
	"    pattern: '\\bghp_[0-9A-Za-z]{36}\\b'\n" \
	"    validators: [crc32-base62]\n" \
	"    tier: block\n" \
	"    severity: high\n" \
	"    remediation: revoke it\n" \
	"    examples: [{text: 'x " GHP "', secret: '" GHP "'}]\n"
#define RULE_AKID(id) \
	"  - id: " id "\n" \
	"    name: AWS key id\n" \
	"    pattern: '\\b(?:AKIA|ASIA)[A-Z2-7]{16}\\b'\n" \
	"    tier: block\n" \
	"    severity: high\n" \
	"    remediation: rotate it\n" \
	"    examples: [{text: 'id=" AKID "', secret: " AKID "}]\n"
#define RULE_SKL(id) \
	"  - id: " id "\n" \
	"    name: live key\n" \
	"    pattern: '\\bsk_live_[0-9A-Za-z]{24}\\b'\n" \
	"    tier: warn\n" \
	"    severity: medium\n" \
	"    remediation: roll it\n" \
	"    references: [https://example.com/keys]\n" \
	"    examples: [{text: 'k=" SKL "', secret: " SKL "}]\n"

/* Pack A v1: ghp and akid, ids chosen so that file order is not id order. */
static const char pack_a1[] =
	"pack: {id: packa, version: 1, description: first}\n"
	"rules:\n" RULE_GHP("A-ZGHP") RULE_AKID("A-AKID");
/* Pack B: the live key. */
static const char pack_b[] =
	"pack: {id: packb, version: 1}\n"
	"rules:\n" RULE_SKL("B-SKL");
/* Pack A v2: the akid rule is gone. */
static const char pack_a2[] =
	"pack: {id: packa, version: 2}\n"
	"rules:\n" RULE_GHP("A-ZGHP");
/* Same rules as A v1 + B, in another order: its database numbers the
 * patterns differently (the store orders by id: A-AKID, A-ZGHP, B-SKL;
 * here no rule keeps its index). */
static const char pack_reordered[] =
	"pack: {id: reordered, version: 1}\n"
	"rules:\n" RULE_GHP("A-ZGHP") RULE_SKL("B-SKL") RULE_AKID("A-AKID");
/* An example that cannot match its own rule. */
static const char pack_bad[] =
	"pack: {id: packbad, version: 1}\n"
	"rules:\n"
	"  - id: C-BAD\n"
	"    name: broken\n"
	"    pattern: '\\bxoxb-[0-9]{10}\\b'\n"
	"    tier: block\n"
	"    severity: high\n"
	"    remediation: none\n"
	"    examples: [{text: 'token xoxb-12345', secret: xoxb-12345}]\n";
/* Redefines a rule id that pack A owns. */
static const char pack_dup[] =
	"pack: {id: packdup, version: 1}\n"
	"rules:\n" RULE_AKID("A-AKID");
static const char pack_iac[] =
	"pack: {id: iacmini, version: 3}\n"
	"checks:\n"
	"  - id: M-1\n"
	"    title: bucket is public\n"
	"    severity: high\n"
	"    remediation: make it private\n"
	"    bindings:\n"
	"      - {format: terraform, types: [aws_s3_bucket], fail_if: {attr: acl, op: equals, value: public-read}}\n"
	"    examples:\n"
	"      positive: [{name: p.tf, text: \"resource \\\"aws_s3_bucket\\\" \\\"b\\\" {\\n  acl = \\\"public-read\\\"\\n}\\n\", lines: [2]}]\n"
	"      negative: [{name: n.tf, text: \"resource \\\"aws_s3_bucket\\\" \\\"b\\\" {\\n  acl = \\\"private\\\"\\n}\\n\"}]\n";
/* An IaC pack whose check does not validate. */
static const char pack_iac_bad[] =
	"pack: {id: iacbad, version: 1}\n"
	"checks:\n"
	"  - id: M-2\n"
	"    title: t\n"
	"    severity: high\n"
	"    remediation: r\n"
	"    bindings:\n"
	"      - {format: terraform, types: [t], fail_if: {attr: a, op: eq, value: 1}}\n"
	"    examples:\n"
	"      positive: [{name: p.tf, text: 'x', lines: [1]}]\n"
	"      negative: [{name: n.tf, text: 'y'}]\n";

#define TF_PUBLIC "resource \"aws_s3_bucket\" \"logs\" {\n  acl = \"public-read\"\n}\n"

static char dir[4096];		/* the temporary parent */
static char store_dir[4200];

static int setup(void **state)
{
	UNUSED(state);
	snprintf(dir, sizeof(dir), "%s", pb_tmpdir());
	return 0;
}

static int teardown(void **state)
{
	UNUSED(state);
	pb_rmtree(dir);
	return 0;
}

/* A fresh store directory per test. */
static const char *fresh(const char *name)
{
	snprintf(store_dir, sizeof(store_dir), "%s/%s", dir, name);
	return store_dir;
}

static struct rules_store *open_store(const char *d)
{
	struct rules_store *st = NULL;
	struct buf msg;
	int err;

	buf_init(&msg, 1 << 16);
	err = rules_store_open(d, &st, &msg);
	if (err)
		fail_msg("open %s: %.*s", d, (int)msg.len, (const char *)msg.data);
	buf_release(&msg);
	assert_non_null(st);
	return st;
}

static void load_pack(const char *text, struct rulepack *p)
{
	struct buf msg;
	int err;

	buf_init(&msg, 1 << 16);
	err = rulepack_load_mem(text, strlen(text), "test", p, &msg);
	if (err)
		fail_msg("pack: %.*s", (int)msg.len, (const char *)msg.data);
	buf_release(&msg);
}

/* Imports one pack text; returns the error and leaves msg in *msg. */
static int import(struct rules_store *st, const char *text, uint64_t *gen, struct buf *msg)
{
	struct rulepack p;
	int err;

	load_pack(text, &p);
	buf_reset(msg);
	err = rules_store_import(st, &p, 1, gen, msg);
	rulepack_release(&p);
	return err;
}

static void import_ok(struct rules_store *st, const char *text, uint64_t want_gen)
{
	struct buf msg;
	uint64_t gen = 0, cur = 0;
	int err;

	buf_init(&msg, 1 << 20);
	err = import(st, text, &gen, &msg);
	if (err)
		fail_msg("import: %s: %.*s", err_str(err), (int)msg.len, (const char *)msg.data);
	assert_int_equal(gen, want_gen);
	assert_int_equal(rules_store_generation(st, &cur), 0);
	assert_int_equal(cur, want_gen);
	buf_release(&msg);
}

static struct ruleset *load(struct rules_store *st, struct iac_checkset **iac, uint64_t want_gen)
{
	struct ruleset *rs = NULL;
	struct buf msg;
	uint64_t gen = 0;
	int err;

	buf_init(&msg, 1 << 20);
	err = rules_store_load(st, &rs, iac, &gen, &msg);
	if (err)
		fail_msg("load: %s: %.*s", err_str(err), (int)msg.len, (const char *)msg.data);
	assert_non_null(rs);
	assert_int_equal(gen, want_gen);
	buf_release(&msg);
	return rs;
}

/* "id,id,id" of a ruleset, in its order. */
static void ids(const struct ruleset *rs, char *out, size_t cap)
{
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < ruleset_count(rs); i++)
		o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? "," : "", ruleset_rule(rs, i)->id);
	assert_true(o < cap);
}

struct scan {
	size_t n;
	char rule[64];			/* first finding's rule id */
	char fp[17];			/* and its fingerprint */
};

static void scan_text(const struct ruleset *rs, const char *text, struct scan *out)
{
	struct match_scratch *sc = NULL;
	struct match_stream ms;

	memset(out, 0, sizeof(*out));
	assert_int_equal(match_scratch_new(rs, &sc), 0);
	assert_int_equal(match_stream_init(&ms, rs, sc), 0);
	assert_int_equal(match_stream_feed(&ms, (const uint8_t *)text, strlen(text)), 0);
	assert_int_equal(match_stream_finish(&ms), 0);
	out->n = ms.n_findings;
	if (ms.n_findings) {
		snprintf(out->rule, sizeof(out->rule), "%s", ruleset_rule(rs, ms.findings[0].rule)->id);
		match_fingerprint_hex(ms.findings[0].fingerprint, out->fp);
	}
	match_stream_release(&ms);
	match_scratch_free(sc);
}

static void expect_finds(const struct ruleset *rs, const char *text, const char *rule)
{
	struct scan s;

	scan_text(rs, text, &s);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.rule, rule);
}

static void expect_nothing(const struct ruleset *rs, const char *text)
{
	struct scan s;

	scan_text(rs, text, &s);
	assert_int_equal(s.n, 0);
}

/* --- LMDB seen from outside (the store must be closed: one environment
 * per process) ------------------------------------------------------------ */

struct raw {
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
};

static void raw_open(struct raw *r, const char *d, const char *dbname, bool write)
{
	char path[4300];

	snprintf(path, sizeof(path), "%s/rules.mdb", d);
	assert_int_equal(mdb_env_create(&r->env), 0);
	assert_int_equal(mdb_env_set_maxdbs(r->env, 8), 0);
	assert_int_equal(mdb_env_set_mapsize(r->env, RULES_STORE_MAP_BYTES), 0);
	assert_int_equal(mdb_env_open(r->env, path, MDB_NOSUBDIR | MDB_NOTLS, 0640), 0);
	assert_int_equal(mdb_txn_begin(r->env, NULL, write ? 0 : MDB_RDONLY, &r->txn), 0);
	assert_int_equal(mdb_dbi_open(r->txn, dbname, 0, &r->dbi), 0);
}

static void raw_close(struct raw *r, bool commit)
{
	if (commit)
		assert_int_equal(mdb_txn_commit(r->txn), 0);
	else
		mdb_txn_abort(r->txn);
	mdb_env_close(r->env);
}

static void hsdb_key(uint64_t gen, struct buf *k)
{
	uint8_t g[8];
	int i;

	for (i = 7; i >= 0; i--, gen >>= 8)
		g[i] = (uint8_t)gen;
	buf_reset(k);
	assert_int_equal(buf_append(k, g, 8), 0);
	assert_int_equal(buf_append_str(k, ruleset_engine_id()), 0);
}

/* Records in a dbi, and whether the cached database of gen is there. */
static size_t raw_count(const char *d, const char *dbname, uint64_t gen, bool *has_hsdb)
{
	struct raw r;
	MDB_cursor *cur;
	MDB_val k, v;
	struct buf want;
	size_t n = 0;
	int rc;

	buf_init(&want, 4096);
	hsdb_key(gen, &want);
	*has_hsdb = false;
	raw_open(&r, d, dbname, false);
	assert_int_equal(mdb_cursor_open(r.txn, r.dbi, &cur), 0);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		n++;
		if (k.mv_size == want.len && memcmp(k.mv_data, want.data, want.len) == 0)
			*has_hsdb = true;
	}
	mdb_cursor_close(cur);
	raw_close(&r, false);
	buf_release(&want);
	return n;
}

/* --- tests ---------------------------------------------------------------- */

static void empty_store(void **state)
{
	const char *d = fresh("empty");
	struct rules_store *st = open_store(d);
	struct ruleset *rs = (struct ruleset *)1;
	struct iac_checkset *iac = (struct iac_checkset *)1;
	struct buf out;
	uint64_t gen = 99;

	UNUSED(state);
	assert_int_equal(rules_store_generation(st, &gen), 0);
	assert_int_equal(gen, 0);
	assert_int_equal(rules_store_load(st, &rs, &iac, &gen, NULL), ERR_NOTFOUND);
	assert_null(rs);
	buf_init(&out, 4096);
	assert_int_equal(rules_store_list_packs(st, &out), 0);
	assert_int_equal(out.len, 0);
	buf_release(&out);
	rules_store_close(st);
	/* An unusable directory is an error, not a crash. */
	assert_true(rules_store_open("/proc/definitely/not/here", &st, NULL) != 0);
	assert_null(st);
}

static void generations_and_carry_over(void **state)
{
	const char *d = fresh("gens");
	struct rules_store *st = open_store(d);
	struct ruleset *rs;
	struct buf out;
	char list[256];

	UNUSED(state);
	buf_init(&out, 4096);
	import_ok(st, pack_a1, 1);
	rs = load(st, NULL, 1);
	ids(rs, list, sizeof(list));
	assert_string_equal(list, "A-AKID,A-ZGHP");	/* sorted by id */
	ruleset_free(rs);

	import_ok(st, pack_b, 2);
	rs = load(st, NULL, 2);
	ids(rs, list, sizeof(list));
	assert_string_equal(list, "A-AKID,A-ZGHP,B-SKL");
	expect_finds(rs, "token " GHP "\n", "A-ZGHP");
	expect_finds(rs, "id " AKID "\n", "A-AKID");
	expect_finds(rs, "key " SKL "\n", "B-SKL");
	/* Every stored field came back. */
	assert_string_equal(ruleset_rule(rs, 2)->name, "live key");
	assert_int_equal(ruleset_rule(rs, 2)->tier, RULE_TIER_WARN);
	assert_int_equal(ruleset_rule(rs, 2)->severity, SEV_MEDIUM);
	assert_string_equal(ruleset_rule(rs, 2)->remediation, "roll it");
	assert_int_equal(ruleset_rule(rs, 2)->n_references, 1);
	assert_string_equal(ruleset_rule(rs, 2)->references[0], "https://example.com/keys");
	assert_string_equal(ruleset_rule(rs, 2)->pack_id, "packb");
	assert_int_equal(ruleset_rule(rs, 1)->validators, RULE_VALID_CRC32_BASE62);
	ruleset_free(rs);
	assert_int_equal(rules_store_list_packs(st, &out), 0);
	assert_int_equal(out.len, strlen("packa 1\npackb 1\n"));
	assert_memory_equal(out.data, "packa 1\npackb 1\n", out.len);

	/* Re-importing pack A replaces its rules only. */
	import_ok(st, pack_a2, 3);
	rs = load(st, NULL, 3);
	ids(rs, list, sizeof(list));
	assert_string_equal(list, "A-ZGHP,B-SKL");
	expect_nothing(rs, "id " AKID "\n");
	expect_finds(rs, "key " SKL "\n", "B-SKL");
	ruleset_free(rs);
	buf_reset(&out);
	assert_int_equal(rules_store_list_packs(st, &out), 0);
	assert_int_equal(out.len, strlen("packa 2\npackb 1\n"));
	assert_memory_equal(out.data, "packa 2\npackb 1\n", out.len);
	rules_store_close(st);
	buf_release(&out);

	/* Only the current generation is kept. */
	{
		bool has;

		assert_int_equal(raw_count(d, "rules", 3, &has), 2);
		assert_int_equal(raw_count(d, "packs", 3, &has), 2);
		assert_int_equal(raw_count(d, "hsdb", 3, &has), 1);
		assert_true(has);
	}
}

static void failing_import_changes_nothing(void **state)
{
	const char *d = fresh("fail");
	struct rules_store *st = open_store(d);
	struct ruleset *rs;
	struct buf msg, out;
	uint64_t gen = 77, cur;
	char list[256];

	UNUSED(state);
	buf_init(&msg, 1 << 20);
	buf_init(&out, 4096);
	import_ok(st, pack_a1, 1);

	assert_int_equal(import(st, pack_bad, &gen, &msg), ERR_RULE);
	assert_int_equal(gen, 77);
	assert_non_null(memmem(msg.data, msg.len, "C-BAD", 5));
	assert_int_equal(rules_store_generation(st, &cur), 0);
	assert_int_equal(cur, 1);

	assert_int_equal(import(st, pack_dup, &gen, &msg), ERR_RULE);
	assert_non_null(memmem(msg.data, msg.len, "A-AKID", 6));
	assert_int_equal(rules_store_generation(st, &cur), 0);
	assert_int_equal(cur, 1);

	assert_int_equal(import(st, pack_iac_bad, &gen, &msg), ERR_RULE);
	assert_non_null(memmem(msg.data, msg.len, "M-2", 3));
	assert_int_equal(rules_store_generation(st, &cur), 0);
	assert_int_equal(cur, 1);

	rs = load(st, NULL, 1);
	ids(rs, list, sizeof(list));
	assert_string_equal(list, "A-AKID,A-ZGHP");
	ruleset_free(rs);
	assert_int_equal(rules_store_list_packs(st, &out), 0);
	assert_int_equal(out.len, strlen("packa 1\n"));
	assert_memory_equal(out.data, "packa 1\n", out.len);
	/* And the store still takes a good import afterwards. */
	import_ok(st, pack_b, 2);
	rules_store_close(st);
	buf_release(&out);
	buf_release(&msg);
}

static void fingerprint_key_persists(void **state)
{
	const char *d = fresh("fpkey");
	struct rules_store *st = open_store(d);
	struct ruleset *rs, *plain;
	struct rulepack p;
	struct secret_rule *rules;
	struct scan s1, s2, s3, s4;
	size_t n;

	UNUSED(state);
	import_ok(st, pack_a1, 1);
	rs = load(st, NULL, 1);
	scan_text(rs, "t " GHP "\n", &s1);
	assert_int_equal(s1.n, 1);
	ruleset_free(rs);
	rules_store_close(st);

	st = open_store(d);
	rs = load(st, NULL, 1);
	scan_text(rs, "t " GHP "\n", &s2);
	assert_string_equal(s1.fp, s2.fp);
	ruleset_free(rs);
	/* A new generation keeps the key. */
	import_ok(st, pack_b, 2);
	rs = load(st, NULL, 2);
	scan_text(rs, "t " GHP "\n", &s3);
	assert_string_equal(s1.fp, s3.fp);
	ruleset_free(rs);
	rules_store_close(st);

	/* The key is the store's own: not the empty key, not another
	 * store's. */
	load_pack(pack_a1, &p);
	rules = rulepack_take_rules(&p, &n);
	rulepack_release(&p);
	assert_int_equal(ruleset_build(rules, n, NULL, 0, &plain, NULL), 0);
	scan_text(plain, "t " GHP "\n", &s4);
	assert_int_equal(s4.n, 1);
	assert_string_not_equal(s1.fp, s4.fp);
	ruleset_free(plain);
	st = open_store(fresh("fpkey-other"));
	import_ok(st, pack_a1, 1);
	rs = load(st, NULL, 1);
	scan_text(rs, "t " GHP "\n", &s4);
	assert_string_not_equal(s1.fp, s4.fp);
	ruleset_free(rs);
	rules_store_close(st);
}

/* Puts the database of another rule order under generation gen's key. */
static void plant_database(const char *d, uint64_t gen)
{
	struct rulepack p;
	struct secret_rule *rules;
	struct ruleset *other;
	struct raw r;
	struct buf k;
	void *db = NULL;
	size_t n, len = 0;
	MDB_val mk, mv;

	load_pack(pack_reordered, &p);
	rules = rulepack_take_rules(&p, &n);
	rulepack_release(&p);
	assert_int_equal(ruleset_build(rules, n, NULL, 0, &other, NULL), 0);
	assert_int_equal(ruleset_serialize(other, &db, &len), 0);
	assert_non_null(db);
	ruleset_free(other);
	buf_init(&k, 4096);
	hsdb_key(gen, &k);
	raw_open(&r, d, "hsdb", true);
	mk.mv_size = k.len;
	mk.mv_data = k.data;
	mv.mv_size = len;
	mv.mv_data = db;
	assert_int_equal(mdb_put(r.txn, r.dbi, &mk, &mv, 0), 0);
	raw_close(&r, true);
	buf_release(&k);
	xfree(db);
}

static void drop_database(const char *d, uint64_t gen)
{
	struct raw r;
	struct buf k;
	MDB_val mk;

	buf_init(&k, 4096);
	hsdb_key(gen, &k);
	raw_open(&r, d, "hsdb", true);
	mk.mv_size = k.len;
	mk.mv_data = k.data;
	assert_int_equal(mdb_del(r.txn, r.dbi, &mk, NULL), 0);
	raw_close(&r, true);
	buf_release(&k);
}

static void cached_database(void **state)
{
	const char *d = fresh("cache");
	struct rules_store *st = open_store(d);
	struct ruleset *rs;
	bool has;

	UNUSED(state);
	import_ok(st, pack_a1, 1);
	import_ok(st, pack_b, 2);
	rules_store_close(st);
	/* The import cached the compiled database. */
	assert_int_equal(raw_count(d, "hsdb", 2, &has), 1);
	assert_true(has);

	/* A load uses what is cached: with a database whose pattern ids
	 * follow another rule order, the stage-1 hits name the wrong rules
	 * and nothing is confirmed.  (A compile would have found both.) */
	plant_database(d, 2);
	st = open_store(d);
	rs = load(st, NULL, 2);
	expect_nothing(rs, "token " GHP "\n");
	expect_nothing(rs, "key " SKL "\n");
	ruleset_free(rs);
	rules_store_close(st);

	/* Without a cached database the load compiles, finds again, and
	 * caches its result for the next load. */
	drop_database(d, 2);
	assert_int_equal(raw_count(d, "hsdb", 2, &has), 0);
	st = open_store(d);
	rs = load(st, NULL, 2);
	expect_finds(rs, "token " GHP "\n", "A-ZGHP");
	expect_finds(rs, "key " SKL "\n", "B-SKL");
	expect_finds(rs, "id " AKID "\n", "A-AKID");
	ruleset_free(rs);
	rules_store_close(st);
	assert_int_equal(raw_count(d, "hsdb", 2, &has), 1);
	assert_true(has);
	st = open_store(d);
	rs = load(st, NULL, 2);
	expect_finds(rs, "token " GHP "\n", "A-ZGHP");
	ruleset_free(rs);
	rules_store_close(st);
}

static void iac_packs(void **state)
{
	const char *d = fresh("iac");
	struct rules_store *st = open_store(d);
	struct iac_checkset *iac = NULL;
	struct iac_finding *f = NULL;
	struct ruleset *rs;
	struct buf out;
	size_t nf = 0;

	UNUSED(state);
	buf_init(&out, 4096);
	/* An IaC pack alone: no secret rules at all. */
	import_ok(st, pack_iac, 1);
	rs = load(st, &iac, 1);
	assert_int_equal(ruleset_count(rs), 0);
	assert_non_null(iac);
	assert_int_equal(iac_checkset_count(iac), 1);
	assert_string_equal(iac_checkset_info(iac, 0)->id, "M-1");
	assert_string_equal(iac_checkset_info(iac, 0)->pack_id, "iacmini");
	assert_int_equal(iac_scan(iac, "main.tf", (const uint8_t *)TF_PUBLIC, strlen(TF_PUBLIC),
				  &f, &nf), 0);
	assert_int_equal(nf, 1);
	assert_int_equal(f[0].check, 0);
	assert_int_equal(f[0].line, 2);
	xfree(f);
	iac_checkset_free(iac);
	ruleset_free(rs);

	/* Secret packs next to it; the IaC pack carries over. */
	import_ok(st, pack_a1, 2);
	rs = load(st, &iac, 2);
	assert_int_equal(ruleset_count(rs), 2);
	assert_non_null(iac);
	assert_int_equal(iac_checkset_find(iac, "M-1"), 0);
	iac_checkset_free(iac);
	ruleset_free(rs);
	/* iac_out is optional. */
	rs = load(st, NULL, 2);
	ruleset_free(rs);
	assert_int_equal(rules_store_list_packs(st, &out), 0);
	assert_non_null(memmem(out.data, out.len, "iacmini 3\n", 10));
	assert_non_null(memmem(out.data, out.len, "packa 1\n", 8));
	rules_store_close(st);
	buf_release(&out);

	/* A store without IaC packs gives NULL. */
	st = open_store(fresh("noiac"));
	import_ok(st, pack_b, 1);
	iac = (struct iac_checkset *)1;
	rs = load(st, &iac, 1);
	assert_null(iac);
	ruleset_free(rs);
	rules_store_close(st);
}

static void reader_survives_import(void **state)
{
	const char *d = fresh("reader");
	struct rules_store *st = open_store(d);
	struct ruleset *old, *cur;

	UNUSED(state);
	import_ok(st, pack_a1, 1);
	old = load(st, NULL, 1);
	import_ok(st, pack_a2, 2);
	import_ok(st, pack_b, 3);
	cur = load(st, NULL, 3);
	/* The old ruleset still has (and finds with) the rule that the new
	 * generations dropped. */
	expect_finds(old, "id " AKID "\n", "A-AKID");
	expect_finds(old, "token " GHP "\n", "A-ZGHP");
	expect_nothing(old, "key " SKL "\n");
	expect_nothing(cur, "id " AKID "\n");
	expect_finds(cur, "key " SKL "\n", "B-SKL");
	ruleset_free(cur);
	ruleset_free(old);
	rules_store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_store),
		cmocka_unit_test(generations_and_carry_over),
		cmocka_unit_test(failing_import_changes_nothing),
		cmocka_unit_test(fingerprint_key_persists),
		cmocka_unit_test(cached_database),
		cmocka_unit_test(iac_packs),
		cmocka_unit_test(reader_survives_import),
	};

	return cmocka_run_group_tests_name("rules/store/", tests, setup, teardown);
}
