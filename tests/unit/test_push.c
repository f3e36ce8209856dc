/*
 * test_push.c - push/session/: receive-pack request bodies built with the
 * real git CLI (a command block, then `git pack-objects` output), fed to a
 * push session (core/push/push.h) whole, split at every offset and one
 * byte at a time: findings (rule, path, line, column, commit, fingerprint,
 * status) and the verdict reason must not depend on the cut.  Also the
 * probe, delete-only pushes, push options and the forwarded command block
 * with and without them, truncated, corrupt, thin and over-long packs,
 * signed pushes and the command limits.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/base/limits.h"
#include "core/base/membudget.h"
#include "core/decode/receive_pack.h"
#include "core/iac/iac.h"
#include "core/match/match.h"
#include "core/match/ruleset.h"
#include "core/pack/pack.h"
#include "core/push/push.h"
#include "core/verdict/verdict.h"
#include "rules/rulepack.h"
#include "tests/lib/packbuild.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

/* Synthetic token with a valid CRC-32/base62 checksum. */
#define GHP "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"
#define ZERO40 "0000000000000000000000000000000000000000"
#define ZERO64 ZERO40 "000000000000000000000000"
#define CAPS " report-status side-band-64k agent=x"

static const char rule_pack[] =
	"pack: {id: pushtest, version: 1}\n"
	"rules:\n"
	"  - id: T-GHP\n"
	"    name: GitHub token\n"
	"    pattern: '\\bghp_[0-9A-Za-z]{36}\\b'\n"
	"    validators: [crc32-base62]\n"
	"    tier: block\n"
	"    severity: high\n"
	"    remediation: revoke it\n"
	"    examples: [{text: 'x " GHP "', secret: '" GHP "'}]\n";

/* The files of the test repository.  The token sits at config/app.env:3,
 * column 14; docs/notes.md holds it again on a line that suppresses it;
 * infra/main.tf has a storage account with TLS 1.0 (AZ-02, line 3). */
#define README_TXT "# demo\n"
#define ENV_TXT "# app settings\nDEBUG=false\nGITHUB_TOKEN=" GHP "\nPORT=8080\n"
#define NOTES_TXT "example: " GHP "  # sluice:ignore\n"
#define TF_TXT "resource \"azurerm_storage_account\" \"logs\" {\n" \
	       "  name            = \"logs\"\n" \
	       "  min_tls_version = \"TLS1_0\"\n" \
	       "}\n"

struct repo {
	char dir[4200];			/* the work tree */
	char c_env[PUSH_OID_HEX];	/* commit that added app.env and notes.md */
	char c_tf[PUSH_OID_HEX];	/* commit that added main.tf (HEAD) */
	struct buf pack;		/* pack-objects output for main */
	struct buf body;		/* command block + pack */
	size_t block_len;		/* bytes of the command block */
};

static struct ruleset *rs;
static struct match_scratch *sc;
static struct iac_checkset *iac;
static char tmp[4096];			/* per run, removed at teardown */
static struct repo r1;			/* sha1 */

/* --- building bodies ------------------------------------------------------ */

static void pkt(struct buf *b, const void *p, size_t n)
{
	char len[8];

	snprintf(len, sizeof(len), "%04zx", n + 4);
	assert_int_equal(buf_append(b, len, 4), 0);
	assert_int_equal(buf_append(b, p, n), 0);
}

static void pkt_str(struct buf *b, const char *s)
{
	pkt(b, s, strlen(s));
}

static void flush(struct buf *b)
{
	assert_int_equal(buf_append(b, "0000", 4), 0);
}

/* "old new ref" NUL caps (caps NULL: no NUL). */
static void pkt_cmd(struct buf *b, const char *old, const char *new, const char *ref,
		    const char *caps)
{
	struct buf t;

	buf_init(&t, 1 << 16);
	assert_int_equal(buf_printf(&t, "%s %s %s", old, new, ref), 0);
	if (caps) {
		assert_int_equal(buf_append(&t, "", 1), 0);
		assert_int_equal(buf_append_str(&t, caps), 0);
	}
	pkt(b, t.data, t.len);
	buf_release(&t);
}

static void read_line(char *out, size_t cap, const char *fmt, const char *a)
{
	struct buf o;

	buf_init(&o, 4096);
	assert_int_equal(pb_sh_out(&o, fmt, a), 0);
	while (o.len && (o.data[o.len - 1] == '\n' || o.data[o.len - 1] == '\r'))
		o.len--;
	assert_true(o.len > 0 && o.len < cap);
	memcpy(out, o.data, o.len);
	out[o.len] = '\0';
	buf_release(&o);
}

static void commit(const char *dir, unsigned n)
{
	char date[64];

	snprintf(date, sizeof(date), "%u +0000", 1700000000u + n * 60);
	setenv("GIT_AUTHOR_DATE", date, 1);
	setenv("GIT_COMMITTER_DATE", date, 1);
	assert_int_equal(pb_sh("git -C '%s' add -A && git -C '%s' commit -q -m 'c%u'", dir, dir, n),
			 0);
}

static void put(const char *dir, const char *rel, const char *text)
{
	pb_write_file(dir, rel, text, strlen(text));
}

static void build_repo(struct repo *r, const char *format)
{
	char head[PUSH_OID_HEX];
	const char *zero = strcmp(format, "sha256") == 0 ? ZERO64 : ZERO40;
	char caps[256];

	snprintf(r->dir, sizeof(r->dir), "%s/%s", tmp, format);
	assert_int_equal(pb_sh("git init -q -b main --object-format=%s '%s'", format, r->dir), 0);
	put(r->dir, "README.md", README_TXT);
	commit(r->dir, 1);
	put(r->dir, "config/app.env", ENV_TXT);
	put(r->dir, "docs/notes.md", NOTES_TXT);
	commit(r->dir, 2);
	put(r->dir, "infra/main.tf", TF_TXT);
	commit(r->dir, 3);
	read_line(r->c_env, sizeof(r->c_env), "git -C '%s' rev-parse HEAD~1", r->dir);
	read_line(r->c_tf, sizeof(r->c_tf), "git -C '%s' rev-parse HEAD", r->dir);
	snprintf(head, sizeof(head), "%s", r->c_tf);
	buf_init(&r->pack, 1 << 26);
	assert_int_equal(pb_sh_out(&r->pack, "echo main | git -C '%s' pack-objects --revs --stdout -q",
				   r->dir), 0);
	assert_true(r->pack.len > 32 && memcmp(r->pack.data, "PACK", 4) == 0);
	buf_init(&r->body, 1 << 26);
	snprintf(caps, sizeof(caps), "%s%s", CAPS,
		 strcmp(format, "sha256") == 0 ? " object-format=sha256" : "");
	pkt_cmd(&r->body, zero, head, "refs/heads/main", caps);
	flush(&r->body);
	r->block_len = r->body.len;
	assert_int_equal(buf_append(&r->body, r->pack.data, r->pack.len), 0);
}

static void release_repo(struct repo *r)
{
	buf_release(&r->pack);
	buf_release(&r->body);
}

static char *slurp(const char *path, size_t *len)
{
	struct buf b;
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t n;

	if (!f)
		return NULL;
	buf_init(&b, 64u << 20);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(&b, chunk, n)) {
			fclose(f);
			buf_release(&b);
			return NULL;
		}
	fclose(f);
	if (buf_append(&b, "", 1)) {
		buf_release(&b);
		return NULL;
	}
	*len = b.len - 1;
	return (char *)b.data;
}

static int setup(void **state)
{
	struct rulepack pack;
	struct secret_rule *rules;
	const char *src = getenv("SLUICE_SOURCE_DIR");
	char path[4200];
	const char *texts[1];
	size_t n, lens[1];
	char *text;
	struct buf msg;
	int err;

	UNUSED(state);
	buf_init(&msg, 1 << 20);
	err = rulepack_load_mem(rule_pack, sizeof(rule_pack) - 1, "pushtest", &pack, &msg);
	if (err) {
		fprintf(stderr, "rule pack: %.*s\n", (int)msg.len, (const char *)msg.data);
		return -1;
	}
	rules = rulepack_take_rules(&pack, &n);
	rulepack_release(&pack);
	if (ruleset_build(rules, n, NULL, 0, &rs, &msg) || match_scratch_new(rs, &sc)) {
		fprintf(stderr, "ruleset: %.*s\n", (int)msg.len, (const char *)msg.data);
		return -1;
	}
	ruleset_set_fingerprint_key(rs, (const uint8_t *)"push-test-key", 13);
	snprintf(path, sizeof(path), "%s/rules/packs/iac-v1.yaml", src ? src : ".");
	text = slurp(path, &lens[0]);
	if (!text) {
		fprintf(stderr, "cannot read %s (set SLUICE_SOURCE_DIR)\n", path);
		return -1;
	}
	texts[0] = text;
	err = iac_checkset_load(texts, lens, 1, &iac, &msg);
	xfree(text);
	if (err) {
		fprintf(stderr, "iac: %.*s\n", (int)msg.len, (const char *)msg.data);
		return -1;
	}
	buf_release(&msg);
	snprintf(tmp, sizeof(tmp), "%s", pb_tmpdir());
	build_repo(&r1, "sha1");
	return 0;
}

static int teardown(void **state)
{
	UNUSED(state);
	release_repo(&r1);
	pb_rmtree(tmp);
	iac_checkset_free(iac);
	match_scratch_free(sc);
	ruleset_free(rs);
	return 0;
}

/* --- running a session ---------------------------------------------------- */

struct outcome {
	enum verdict_reason reason;
	char detail[200];
	struct push_finding *f;		/* copies, paths owned */
	size_t n;
	size_t n_cmds;
	size_t prefix_len;
	bool ready, probe, delete_only;
	uint64_t objects, bytes;
};

static void outcome_release(struct outcome *o)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		xfree(o->f[i].path);
	xfree(o->f);
	memset(o, 0, sizeof(*o));
}

static struct push_session *session_in(const struct pack_limits *lim, const char *spool_dir,
				       const atomic_bool *cancel)
{
	struct push_session_params p;
	struct push_session *ps = NULL;

	memset(&p, 0, sizeof(p));
	p.rs = rs;
	p.sc = sc;
	if (lim)
		p.limits = *lim;
	else
		pack_limits_default(&p.limits);
	p.spool_dir = spool_dir;
	p.iac = iac;
	p.cancel = cancel;
	assert_int_equal(push_session_new(&p, &ps), 0);
	assert_non_null(ps);
	return ps;
}

static struct push_session *session(const struct pack_limits *lim)
{
	return session_in(lim, tmp, NULL);
}

static void collect(struct push_session *ps, struct outcome *o)
{
	const struct push_finding *f;
	const char *detail;
	size_t i;

	memset(o, 0, sizeof(*o));
	o->reason = push_session_reason(ps, &detail);
	snprintf(o->detail, sizeof(o->detail), "%s", detail ? detail : "");
	f = push_session_findings(ps, &o->n);
	o->f = xcalloc(o->n + 1, sizeof(*o->f));
	assert_non_null(o->f);
	for (i = 0; i < o->n; i++) {
		o->f[i] = f[i];
		o->f[i].path = xstrdup(f[i].path);
		assert_non_null(o->f[i].path);
	}
	push_session_commands(ps, &o->n_cmds);
	o->prefix_len = push_session_prefix_len(ps);
	o->ready = push_session_commands_ready(ps);
	o->probe = push_session_is_probe(ps);
	o->delete_only = push_session_delete_only(ps);
	push_session_counts(ps, &o->objects, &o->bytes);
}

/* Feeds body[0, split) first (when split > 0), then the rest in pieces
 * of `piece` bytes (0: the rest at once), then finishes. */
static void run_cut(const struct buf *body, size_t split, size_t piece,
		    const struct pack_limits *lim, struct outcome *o)
{
	struct push_session *ps = session(lim);
	size_t pos = 0;

	if (split) {
		assert_int_equal(push_session_feed(ps, body->data, split), 0);
		pos = split;
	}
	while (pos < body->len) {
		size_t n = piece ? MIN(piece, body->len - pos) : body->len - pos;

		assert_int_equal(push_session_feed(ps, body->data + pos, n), 0);
		pos += n;
	}
	assert_int_equal(push_session_finish(ps), 0);
	collect(ps, o);
	push_session_free(ps);
}

static void assert_same(const struct outcome *a, const struct outcome *b, const char *how,
			size_t at)
{
	size_t i;

	if (a->reason != b->reason || strcmp(a->detail, b->detail) != 0)
		fail_msg("%s %zu: reason %s (%s) vs %s (%s)", how, at, verdict_reason_id(a->reason),
			 a->detail, verdict_reason_id(b->reason), b->detail);
	if (a->n != b->n)
		fail_msg("%s %zu: %zu findings vs %zu", how, at, a->n, b->n);
	for (i = 0; i < a->n; i++) {
		const struct push_finding *x = &a->f[i], *y = &b->f[i];

		if (x->kind != y->kind || x->rule != y->rule || strcmp(x->rule_id, y->rule_id) ||
		    strcmp(x->path, y->path) || strcmp(x->commit, y->commit) ||
		    x->line != y->line || x->column != y->column || strcmp(x->value, y->value) ||
		    strcmp(x->fingerprint, y->fingerprint) || x->status != y->status ||
		    x->severity != y->severity || x->tier != y->tier)
			fail_msg("%s %zu: finding %zu differs: %s %s:%u:%u %s vs %s %s:%u:%u %s", how,
				 at, i, x->rule_id, x->path, x->line, x->column, x->commit, y->rule_id,
				 y->path, y->line, y->column, y->commit);
	}
	if (a->n_cmds != b->n_cmds || a->prefix_len != b->prefix_len || a->ready != b->ready ||
	    a->probe != b->probe || a->delete_only != b->delete_only ||
	    a->objects != b->objects || a->bytes != b->bytes)
		fail_msg("%s %zu: commands, prefix or counts differ", how, at);
}

/* Whole; split at every offset (at most ~1500 evenly spaced ones plus
 * the bytes around the end of the command block and the pack trailer);
 * pieces of a few sizes; one byte at a time.  Returns the whole run. */
static void check_splits(const struct buf *body, size_t block_len, const struct pack_limits *lim,
			 struct outcome *whole)
{
	static const size_t pieces[] = { 1, 2, 3, 7, 64, 1000, 4096 };
	size_t step = body->len > 1500 ? body->len / 1500 : 1, at, i;
	struct outcome o;

	run_cut(body, 0, 0, lim, whole);
	for (at = 1; at < body->len; at++) {
		bool near = (at + 4 >= block_len && at <= block_len + 16) ||
			    at + 48 >= body->len;

		if (at % step && !near)
			continue;
		run_cut(body, at, 0, lim, &o);
		assert_same(whole, &o, "split at", at);
		outcome_release(&o);
	}
	for (i = 0; i < ARRAY_SIZE(pieces); i++) {
		run_cut(body, 0, pieces[i], lim, &o);
		assert_same(whole, &o, "pieces of", pieces[i]);
		outcome_release(&o);
	}
}

static const struct push_finding *find(const struct outcome *o, const char *rule_id,
				       const char *path, uint32_t line)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (strcmp(o->f[i].rule_id, rule_id) == 0 && strcmp(o->f[i].path, path) == 0 &&
		    o->f[i].line == line)
			return &o->f[i];
	return NULL;
}

/* --- findings ------------------------------------------------------------- */

static void expect_repo_findings(const struct repo *r, const struct outcome *o)
{
	const struct push_finding *sec, *sup, *tf;
	uint8_t fp[FINDING_FP_BYTES];
	char fphex[17];
	size_t i, secrets = 0;

	match_fingerprint(rs, "T-GHP", (const uint8_t *)GHP, strlen(GHP), fp);
	match_fingerprint_hex(fp, fphex);

	assert_int_equal(o->reason, VR__COUNT);
	assert_true(o->ready);
	assert_false(o->probe);
	assert_false(o->delete_only);
	assert_int_equal(o->n_cmds, 1);
	assert_int_equal(o->prefix_len, r->block_len);
	/* Four distinct blobs, scanned once each. */
	assert_int_equal(o->objects, 4);
	assert_int_equal(o->bytes, strlen(README_TXT) + strlen(ENV_TXT) + strlen(NOTES_TXT) +
			 strlen(TF_TXT));

	sec = find(o, "T-GHP", "config/app.env", 3);
	assert_non_null(sec);
	assert_int_equal(sec->kind, PF_SECRET);
	assert_int_equal(sec->column, 14);
	assert_string_equal(sec->commit, r->c_env);
	assert_string_equal(sec->fingerprint, fphex);
	assert_int_equal(sec->status, PF_OPEN);
	assert_int_equal(sec->severity, SEV_HIGH);
	assert_int_equal(sec->tier, RULE_TIER_BLOCK);
	assert_string_equal(sec->rule_name, "GitHub token");
	assert_string_equal(sec->remediation, "revoke it");
	assert_null(strstr(sec->value, GHP));
	assert_true(strncmp(sec->value, "ghp_", 4) == 0);

	sup = find(o, "T-GHP", "docs/notes.md", 1);
	assert_non_null(sup);
	assert_int_equal(sup->status, PF_SUPPRESSED);
	assert_int_equal(sup->column, 10);
	assert_string_equal(sup->commit, r->c_env);
	assert_string_equal(sup->fingerprint, fphex);

	tf = find(o, "AZ-02", "infra/main.tf", 3);
	assert_non_null(tf);
	assert_int_equal(tf->kind, PF_IAC);
	assert_string_equal(tf->commit, r->c_tf);
	assert_string_equal(tf->fingerprint, "");
	assert_int_equal(tf->status, PF_OPEN);
	assert_int_equal(tf->tier, RULE_TIER_WARN);
	assert_non_null(strstr(tf->value, "TLS1_0"));

	for (i = 0; i < o->n; i++) {
		if (o->f[i].kind == PF_SECRET)
			secrets++;
		/* No finding is ever attributed to a path that is not ours. */
		assert_true(strcmp(o->f[i].path, "config/app.env") == 0 ||
			    strcmp(o->f[i].path, "docs/notes.md") == 0 ||
			    strcmp(o->f[i].path, "infra/main.tf") == 0);
		assert_null(strstr(o->f[i].value, GHP));
	}
	assert_int_equal(secrets, 2);
}

static void findings_whole(void **state)
{
	struct push_session *ps = session(NULL);
	const struct push_command *cmds;
	struct outcome o;
	size_t n;

	UNUSED(state);
	assert_int_equal(push_session_feed(ps, r1.body.data, r1.body.len), 0);
	assert_true(push_session_commands_ready(ps));
	assert_int_equal(push_session_finish(ps), 0);
	/* finish is idempotent */
	assert_int_equal(push_session_finish(ps), 0);
	cmds = push_session_commands(ps, &n);
	assert_int_equal(n, 1);
	assert_string_equal(cmds[0].ref, "refs/heads/main");
	assert_string_equal(cmds[0].old_oid, ZERO40);
	assert_string_equal(cmds[0].new_oid, r1.c_tf);
	assert_true(push_session_has_cap(ps, "side-band-64k"));
	assert_true(push_session_has_cap(ps, "report-status"));
	assert_false(push_session_has_cap(ps, "push-options"));
	assert_false(push_session_has_cap(ps, "atomic"));
	collect(ps, &o);
	push_session_free(ps);
	expect_repo_findings(&r1, &o);
	outcome_release(&o);
}

static void findings_every_split(void **state)
{
	struct outcome whole;

	UNUSED(state);
	check_splits(&r1.body, r1.block_len, NULL, &whole);
	expect_repo_findings(&r1, &whole);
	outcome_release(&whole);
}

static void findings_sha256(void **state)
{
	struct repo r2;
	struct outcome whole, bytes;

	UNUSED(state);
	build_repo(&r2, "sha256");
	assert_int_equal(strlen(r2.c_env), 64);
	run_cut(&r2.body, 0, 0, NULL, &whole);
	expect_repo_findings(&r2, &whole);
	run_cut(&r2.body, 0, 1, NULL, &bytes);
	assert_same(&whole, &bytes, "sha256 pieces of", 1);
	outcome_release(&bytes);
	outcome_release(&whole);
	release_repo(&r2);
}

/* --- request shapes ------------------------------------------------------- */

static void probe(void **state)
{
	struct buf b;
	struct outcome whole;
	struct push_session *ps;

	UNUSED(state);
	buf_init(&b, 64);
	flush(&b);
	check_splits(&b, 4, NULL, &whole);
	assert_true(whole.probe);
	assert_true(whole.ready);
	assert_false(whole.delete_only);
	assert_int_equal(whole.reason, VR__COUNT);
	assert_int_equal(whole.n, 0);
	assert_int_equal(whole.n_cmds, 0);
	assert_int_equal(whole.prefix_len, 4);
	outcome_release(&whole);

	/* "0000" followed by anything is not the probe. */
	assert_int_equal(buf_append(&b, "0000", 4), 0);
	run_cut(&b, 0, 0, NULL, &whole);
	assert_false(whole.probe);
	assert_int_equal(whole.reason, VR_TRAILING_BYTES);
	outcome_release(&whole);
	buf_release(&b);

	/* An empty body: nothing to judge, and not the probe either. */
	ps = session(NULL);
	assert_int_equal(push_session_finish(ps), 0);
	assert_false(push_session_is_probe(ps));
	assert_false(push_session_commands_ready(ps));
	assert_int_equal(push_session_reason(ps, NULL), VR__COUNT);
	push_session_free(ps);
}

static void delete_only(void **state)
{
	struct buf b;
	struct outcome whole;
	struct push_session *ps;
	const struct push_command *cmds;
	size_t n;

	UNUSED(state);
	buf_init(&b, 1 << 16);
	pkt_cmd(&b, r1.c_tf, ZERO40, "refs/heads/gone", CAPS);
	pkt_cmd(&b, r1.c_env, ZERO40, "refs/tags/old", NULL);
	flush(&b);
	check_splits(&b, b.len, NULL, &whole);
	assert_true(whole.delete_only);
	assert_false(whole.probe);
	assert_int_equal(whole.reason, VR__COUNT);
	assert_int_equal(whole.n, 0);
	assert_int_equal(whole.n_cmds, 2);
	assert_int_equal(whole.objects, 0);
	outcome_release(&whole);

	ps = session(NULL);
	assert_int_equal(push_session_feed(ps, b.data, b.len), 0);
	assert_int_equal(push_session_finish(ps), 0);
	cmds = push_session_commands(ps, &n);
	assert_int_equal(n, 2);
	assert_string_equal(cmds[1].ref, "refs/tags/old");
	assert_string_equal(cmds[1].new_oid, ZERO40);
	assert_string_equal(cmds[1].old_oid, r1.c_env);
	push_session_free(ps);

	/* git sends no pack after deletes: bytes there are not a push. */
	assert_int_equal(buf_append(&b, r1.pack.data, r1.pack.len), 0);
	run_cut(&b, 0, 0, NULL, &whole);
	assert_int_equal(whole.reason, VR_TRAILING_BYTES);
	outcome_release(&whole);
	buf_release(&b);
}

/* Parses a forwarded command block on its own: it must end exactly at
 * its last byte. */
static void reparse(const struct buf *blk, struct dec_receive_pack *d,
		    const struct receive_pack_request **req)
{
	struct dec_result r;

	assert_int_equal(dec_receive_pack.init(d, NULL), 0);
	r = dec_receive_pack.feed(d, blk->data, blk->len, NULL);
	assert_int_equal(r.status, DEC_STOP);
	assert_int_equal(r.consumed, blk->len);
	*req = receive_pack_peek(d);
	assert_non_null(*req);
	assert_true((*req)->complete);
}

static void push_options(void **state)
{
	struct buf b, fwd;
	struct outcome whole, plain;
	struct push_session *ps;
	const char *const *opts;
	const struct receive_pack_request *req;
	struct dec_receive_pack d;
	size_t n, block;

	UNUSED(state);
	buf_init(&b, 1 << 26);
	pkt_cmd(&b, ZERO40, r1.c_tf, "refs/heads/main",
		" report-status side-band-64k push-options atomic agent=x");
	flush(&b);
	pkt_str(&b, "sluice.bypass=false-positive\n");
	pkt_str(&b, "ci.skip");
	flush(&b);
	block = b.len;
	assert_int_equal(buf_append(&b, r1.pack.data, r1.pack.len), 0);

	/* The pack is scanned as without options. */
	check_splits(&b, block, NULL, &whole);
	run_cut(&r1.body, 0, 0, NULL, &plain);
	assert_int_equal(whole.prefix_len, block);
	assert_int_equal(whole.n, plain.n);
	assert_non_null(find(&whole, "T-GHP", "config/app.env", 3));
	outcome_release(&plain);
	outcome_release(&whole);

	ps = session(NULL);
	buf_init(&fwd, 1 << 20);
	/* Nothing to forward before the block is complete. */
	assert_int_equal(push_session_feed(ps, b.data, block - 1), 0);
	assert_false(push_session_commands_ready(ps));
	assert_int_equal(push_session_forward_prefix(ps, false, &fwd), ERR_STATE);
	assert_int_equal(push_session_feed(ps, b.data + block - 1, b.len - block + 1), 0);
	assert_int_equal(push_session_finish(ps), 0);
	assert_true(push_session_has_cap(ps, "push-options"));
	assert_true(push_session_has_cap(ps, "atomic"));
	opts = push_session_options(ps, &n);
	assert_int_equal(n, 2);
	assert_string_equal(opts[0], "sluice.bypass=false-positive");
	assert_string_equal(opts[1], "ci.skip");

	/* Unchanged: byte for byte what the client sent. */
	buf_reset(&fwd);
	assert_int_equal(push_session_forward_prefix(ps, false, &fwd), 0);
	assert_int_equal(fwd.len, block);
	assert_memory_equal(fwd.data, b.data, block);

	/* Stripped: no push-options capability, no option pkts, and still a
	 * well-formed command block naming the same command. */
	buf_reset(&fwd);
	assert_int_equal(push_session_forward_prefix(ps, true, &fwd), 0);
	assert_true(fwd.len < block);
	assert_null(memmem(fwd.data, fwd.len, "push-options", 12));
	assert_null(memmem(fwd.data, fwd.len, "sluice.bypass", 13));
	assert_null(memmem(fwd.data, fwd.len, "ci.skip", 7));
	reparse(&fwd, &d, &req);
	assert_int_equal(req->ncommands, 1);
	assert_int_equal(req->noptions, 0);
	assert_string_equal(req->commands[0].ref, "refs/heads/main");
	assert_string_equal(req->commands[0].new_hex, r1.c_tf);
	assert_false(req->caps & RP_CAP_PUSH_OPTIONS);
	assert_true(req->caps & RP_CAP_ATOMIC);
	assert_true(req->caps & RP_CAP_SIDE_BAND_64K);
	assert_true(req->caps & RP_CAP_REPORT_STATUS);
	dec_receive_pack.release(&d);
	buf_release(&fwd);
	push_session_free(ps);
	buf_release(&b);
}

static void forward_prefix_plain(void **state)
{
	struct push_session *ps = session(NULL);
	struct buf fwd;

	UNUSED(state);
	buf_init(&fwd, 1 << 20);
	assert_int_equal(push_session_feed(ps, r1.body.data, r1.body.len), 0);
	assert_int_equal(push_session_finish(ps), 0);
	/* Without options, stripping changes nothing. */
	assert_int_equal(push_session_forward_prefix(ps, true, &fwd), 0);
	assert_int_equal(fwd.len, r1.block_len);
	assert_memory_equal(fwd.data, r1.body.data, r1.block_len);
	buf_reset(&fwd);
	assert_int_equal(push_session_forward_prefix(ps, false, &fwd), 0);
	assert_int_equal(fwd.len, r1.block_len);
	assert_memory_equal(fwd.data, r1.body.data, r1.block_len);
	buf_release(&fwd);
	push_session_free(ps);
}

/* --- bad packs ------------------------------------------------------------ */

static void truncated_pack(void **state)
{
	static const size_t cut[] = { 1, 20, 100 };
	struct buf b;
	struct outcome whole;
	size_t i;

	UNUSED(state);
	buf_init(&b, 1 << 26);
	for (i = 0; i < ARRAY_SIZE(cut); i++) {
		buf_reset(&b);
		assert_int_equal(buf_append(&b, r1.body.data, r1.body.len - cut[i]), 0);
		check_splits(&b, r1.block_len, NULL, &whole);
		assert_int_equal(whole.reason, VR_PACK_CORRUPT);
		assert_true(whole.ready);
		outcome_release(&whole);
	}
	/* The command block alone: a pack was announced, none came. */
	buf_reset(&b);
	assert_int_equal(buf_append(&b, r1.body.data, r1.block_len), 0);
	run_cut(&b, 0, 0, NULL, &whole);
	assert_int_equal(whole.reason, VR_PACK_CORRUPT);
	outcome_release(&whole);
	buf_release(&b);
}

static void corrupt_trailer(void **state)
{
	struct buf b;
	struct outcome whole;

	UNUSED(state);
	buf_init(&b, 1 << 26);
	assert_int_equal(buf_append(&b, r1.body.data, r1.body.len), 0);
	b.data[b.len - 1] ^= 0x55;
	run_cut(&b, 0, 0, NULL, &whole);
	assert_int_equal(whole.reason, VR_PACK_CORRUPT);
	outcome_release(&whole);
	run_cut(&b, 0, 1, NULL, &whole);
	assert_int_equal(whole.reason, VR_PACK_CORRUPT);
	outcome_release(&whole);
	buf_release(&b);
}

static void garbage_after_pack(void **state)
{
	struct buf b;
	struct outcome whole;

	UNUSED(state);
	buf_init(&b, 1 << 26);
	assert_int_equal(buf_append(&b, r1.body.data, r1.body.len), 0);
	assert_int_equal(buf_append(&b, "0000junk", 8), 0);
	check_splits(&b, r1.block_len, NULL, &whole);
	assert_int_equal(whole.reason, VR_TRAILING_BYTES);
	/* What was scanned before is still reported. */
	assert_non_null(find(&whole, "T-GHP", "config/app.env", 3));
	outcome_release(&whole);
	/* One byte is enough. */
	buf_reset(&b);
	assert_int_equal(buf_append(&b, r1.body.data, r1.body.len), 0);
	assert_int_equal(buf_append(&b, "\n", 1), 0);
	run_cut(&b, r1.body.len, 0, NULL, &whole);
	assert_int_equal(whole.reason, VR_TRAILING_BYTES);
	outcome_release(&whole);
	buf_release(&b);
}

static void thin_pack(void **state)
{
	char dir[4300], head[PUSH_OID_HEX], parent[PUSH_OID_HEX];
	struct buf text, pack, b;
	struct outcome whole;
	unsigned i;

	UNUSED(state);
	snprintf(dir, sizeof(dir), "%s/thin", tmp);
	assert_int_equal(pb_sh("git init -q -b main '%s'", dir), 0);
	buf_init(&text, 1 << 20);
	for (i = 0; i < 300; i++)
		assert_int_equal(buf_printf(&text, "line %u of a long file that deltas well\n", i), 0);
	pb_write_file(dir, "big.txt", text.data, text.len);
	commit(dir, 1);
	assert_int_equal(buf_append_str(&text, "one more line\n"), 0);
	pb_write_file(dir, "big.txt", text.data, text.len);
	commit(dir, 2);
	read_line(head, sizeof(head), "git -C '%s' rev-parse HEAD", dir);
	read_line(parent, sizeof(parent), "git -C '%s' rev-parse HEAD~1", dir);
	buf_init(&pack, 1 << 24);
	assert_int_equal(pb_sh_out(&pack, "printf 'HEAD\\n^HEAD~1\\n' | git -C '%s' pack-objects "
				   "--revs --thin --stdout -q", dir), 0);
	buf_init(&b, 1 << 24);
	pkt_cmd(&b, parent, head, "refs/heads/main", CAPS);
	flush(&b);
	assert_int_equal(buf_append(&b, pack.data, pack.len), 0);
	run_cut(&b, 0, 0, NULL, &whole);
	assert_int_equal(whole.reason, VR_THIN_BASE_MISSING);
	outcome_release(&whole);
	run_cut(&b, 0, 1, NULL, &whole);
	assert_int_equal(whole.reason, VR_THIN_BASE_MISSING);
	outcome_release(&whole);
	buf_release(&b);
	buf_release(&pack);
	buf_release(&text);
}

static void pack_limit_objects(void **state)
{
	struct pack_limits lim;
	struct outcome whole;

	UNUSED(state);
	pack_limits_default(&lim);
	lim.max_objects = 3;	/* the pack holds 3 commits, 6 trees, 4 blobs */
	check_splits(&r1.body, r1.block_len, &lim, &whole);
	assert_int_equal(whole.reason, VR_LIMIT_OBJECTS);
	outcome_release(&whole);
	pack_limits_default(&lim);
	lim.max_object_bytes = 8;
	run_cut(&r1.body, 0, 0, &lim, &whole);
	assert_int_equal(whole.reason, VR_LIMIT_OBJECT_SIZE);
	outcome_release(&whole);
}

/* --- work, memory, time and disk ---------------------------------------- */

/* A command block creating refs/heads/main, then the given pack. */
static void body_with_pack(struct buf *b, const struct buf *pack)
{
	buf_init(b, (size_t)1 << 26);
	pkt_cmd(b, ZERO40, r1.c_tf, "refs/heads/main", CAPS);
	flush(b);
	assert_int_equal(buf_append(b, pack->data, pack->len), 0);
}

static void delta_bomb(void **state)
{
	struct packbuild pk;
	struct outcome whole;
	struct buf b;
	char want[200];

	UNUSED(state);
	pb_delta_bomb(&pk, 1, (uint64_t)500 << 20);
	body_with_pack(&b, &pk.out);
	check_splits(&b, b.len - pk.out.len, NULL, &whole);
	assert_int_equal(whole.reason, VR_LIMIT_AMPLIFICATION);
	/* refused where the delta's stream ends, before the trailer */
	snprintf(want, sizeof(want), "the pack would expand to more than 500 MiB from %zu bytes "
		 "received (limit %u:1 plus %llu MiB)", pk.out.len - 20, LIMIT_AMPLIFICATION_RATIO,
		 (unsigned long long)(LIMIT_AMPLIFICATION_SLACK >> 20));
	assert_string_equal(whole.detail, want);
	assert_int_equal(whole.n, 0);
	outcome_release(&whole);
	buf_release(&b);
	pb_release(&pk);
}

static void memory_spent(void **state)
{
	struct pack_limits lim;
	struct membudget mb;
	struct outcome whole;

	UNUSED(state);
	/* other pushes hold all but 64 KiB of the budget */
	membudget_init(&mb, (size_t)16 << 20);
	assert_true(membudget_take(&mb, ((size_t)16 << 20) - 65536));
	pack_limits_default(&lim);
	lim.memory = &mb;
	check_splits(&r1.body, r1.block_len, &lim, &whole);
	assert_int_equal(whole.reason, VR_LIMIT_MEMORY);
	assert_non_null(strstr(whole.detail, "the memory shared by pushes in flight is spent"));
	outcome_release(&whole);
	assert_int_equal(membudget_used(&mb), ((size_t)16 << 20) - 65536);
	/* once they are done, the same push is scanned */
	membudget_give(&mb, ((size_t)16 << 20) - 65536);
	run_cut(&r1.body, 0, 0, &lim, &whole);
	assert_int_equal(whole.reason, VR__COUNT);
	assert_true(whole.n > 0);
	outcome_release(&whole);
	assert_int_equal(membudget_used(&mb), 0);
}

static void time_budget_cancel(void **state)
{
	struct push_session *ps;
	struct outcome o;
	atomic_bool cancel;

	UNUSED(state);
	/* the watchdog thread has already set the flag when the pack starts */
	atomic_init(&cancel, true);
	ps = session_in(NULL, tmp, &cancel);
	assert_int_equal(push_session_feed(ps, r1.body.data, r1.body.len), 0);
	assert_int_equal(push_session_finish(ps), 0);
	collect(ps, &o);
	assert_int_equal(o.reason, VR_BUDGET_TIME);
	assert_string_equal(o.detail, "scanning took longer than the push time budget; "
			    "the rest of the push was not scanned");
	assert_int_equal(o.n_cmds, 1);	/* the refs are still named */
	outcome_release(&o);
	push_session_free(ps);
	/* not set: the same body is scanned */
	atomic_store(&cancel, false);
	ps = session_in(NULL, tmp, &cancel);
	assert_int_equal(push_session_feed(ps, r1.body.data, r1.body.len), 0);
	assert_int_equal(push_session_finish(ps), 0);
	collect(ps, &o);
	assert_int_equal(o.reason, VR__COUNT);
	outcome_release(&o);
	push_session_free(ps);
}

static void spool_disk_full(void **state)
{
	char dir[] = "/tmp/sluice-tinyspool-XXXXXX";
	struct push_session *ps;
	struct packbuild pk;
	struct outcome o;
	struct buf b;
	uint8_t *noise;
	uint32_t x = 99;
	size_t i;

	UNUSED(state);
	assert_non_null(mkdtemp(dir));
	if (mount("tmpfs", dir, "tmpfs", 0, "size=64k") != 0) {
		rmdir(dir);
		skip();	/* needs root (CAP_SYS_ADMIN); reported as skipped */
	}
	noise = xmalloc((size_t)1 << 20);
	assert_non_null(noise);
	for (i = 0; i < ((size_t)1 << 20); i++) {
		x = x * 1103515245u + 12345u;
		noise[i] = (uint8_t)(x >> 16);
	}
	pb_init(&pk, PACK_HASH_SHA1);
	pb_header(&pk, 2, 1);
	pb_whole(&pk, PACK_OBJ_BLOB, noise, (size_t)1 << 20);
	pb_trailer(&pk);
	body_with_pack(&b, &pk.out);
	ps = session_in(NULL, dir, NULL);
	assert_int_equal(push_session_feed(ps, b.data, b.len), 0);
	assert_int_equal(push_session_finish(ps), 0);
	collect(ps, &o);
	assert_int_equal(o.reason, VR_LIMIT_SPOOL);
	assert_string_equal(o.detail, "no space left on the gate's spool disk");
	outcome_release(&o);
	push_session_free(ps);
	assert_int_equal(umount2(dir, MNT_DETACH), 0);
	rmdir(dir);
	buf_release(&b);
	pb_release(&pk);
	xfree(noise);
}

/* --- command block errors ------------------------------------------------- */

static void signed_push(void **state)
{
	struct buf b;
	struct outcome whole;

	UNUSED(state);
	buf_init(&b, 1 << 26);
	/* What git push --signed sends first (gitprotocol-pack "push-cert"). */
	pkt(&b, "push-cert\0 report-status side-band-64k push-cert=1234-abcd agent=x",
	    sizeof("push-cert\0 report-status side-band-64k push-cert=1234-abcd agent=x") - 1);
	pkt_str(&b, "certificate version 0.1\n");
	pkt_str(&b, "pusher Test <t@example.com> 1700000000 +0000\n");
	pkt_str(&b, "pushee https://example.com/repo.git\n");
	pkt_str(&b, "nonce 1234-abcd\n");
	pkt_str(&b, "\n");
	pkt_cmd(&b, ZERO40, r1.c_tf, "refs/heads/main", NULL);
	pkt_str(&b, "push-cert-end\n");
	flush(&b);
	assert_int_equal(buf_append(&b, r1.pack.data, r1.pack.len), 0);
	check_splits(&b, 0, NULL, &whole);
	assert_int_equal(whole.reason, VR_SIGNED_PUSH);
	assert_false(whole.ready);
	assert_int_equal(whole.n, 0);
	assert_int_equal(whole.objects, 0);
	outcome_release(&whole);
	buf_release(&b);
}

static void many_commands(struct buf *b, unsigned n)
{
	unsigned i;

	buf_reset(b);
	for (i = 0; i < n; i++) {
		char ref[64];

		snprintf(ref, sizeof(ref), "refs/heads/b%u", i);
		pkt_cmd(b, r1.c_tf, ZERO40, ref, i ? NULL : CAPS);
	}
	flush(b);
}

static void limit_commands(void **state)
{
	struct buf b, ref;
	struct outcome o;
	struct push_session *ps;
	unsigned i;

	UNUSED(state);
	buf_init(&b, 1 << 26);
	/* At the limit: accepted. */
	many_commands(&b, LIMIT_PUSH_COMMANDS);
	run_cut(&b, 0, 0, NULL, &o);
	assert_int_equal(o.reason, VR__COUNT);
	assert_int_equal(o.n_cmds, LIMIT_PUSH_COMMANDS);
	assert_true(o.delete_only);
	outcome_release(&o);
	/* One more: refused. */
	many_commands(&b, LIMIT_PUSH_COMMANDS + 1);
	run_cut(&b, 0, 0, NULL, &o);
	assert_int_equal(o.reason, VR_LIMIT_COMMANDS);
	assert_false(o.ready);
	outcome_release(&o);
	run_cut(&b, 0, 997, NULL, &o);
	assert_int_equal(o.reason, VR_LIMIT_COMMANDS);
	outcome_release(&o);

	/* A command block above LIMIT_COMMAND_BLOCK_BYTES (big push options). */
	buf_reset(&b);
	pkt_cmd(&b, ZERO40, r1.c_tf, "refs/heads/main", CAPS " push-options");
	flush(&b);
	{
		char opt[60000];

		memset(opt, 'o', sizeof(opt));
		while (b.len <= LIMIT_COMMAND_BLOCK_BYTES)
			pkt(&b, opt, sizeof(opt));
	}
	flush(&b);
	run_cut(&b, 0, 0, NULL, &o);
	assert_int_equal(o.reason, VR_LIMIT_COMMANDS);
	assert_false(o.ready);
	outcome_release(&o);

	/* A ref name longer than the session keeps. */
	buf_init(&ref, 1 << 16);
	assert_int_equal(buf_append_str(&ref, "refs/heads/"), 0);
	for (i = 0; i < PUSH_REF_MAX; i++)
		assert_int_equal(buf_append(&ref, "x", 1), 0);
	assert_int_equal(buf_append(&ref, "", 1), 0);
	buf_reset(&b);
	pkt_cmd(&b, ZERO40, r1.c_tf, (const char *)ref.data, CAPS);
	flush(&b);
	assert_int_equal(buf_append(&b, r1.pack.data, r1.pack.len), 0);
	run_cut(&b, 0, 0, NULL, &o);
	assert_int_equal(o.reason, VR_LIMIT_COMMANDS);
	outcome_release(&o);
	buf_release(&ref);

	/* Malformed second command: the first still names its ref. */
	buf_reset(&b);
	pkt_cmd(&b, ZERO40, r1.c_tf, "refs/heads/main", CAPS);
	pkt_cmd(&b, ZERO40, "ABCDEF0000000000000000000000000000000000", "refs/heads/x", NULL);
	flush(&b);
	ps = session(NULL);
	assert_int_equal(push_session_feed(ps, b.data, b.len), 0);
	assert_int_equal(push_session_finish(ps), 0);
	collect(ps, &o);
	assert_int_equal(o.reason, VR_PARSE_UNKNOWN);
	assert_int_equal(o.n_cmds, 1);
	assert_string_equal(push_session_commands(ps, &o.n_cmds)[0].ref, "refs/heads/main");
	outcome_release(&o);
	push_session_free(ps);

	/* No final flush. */
	buf_reset(&b);
	pkt_cmd(&b, ZERO40, r1.c_tf, "refs/heads/main", CAPS);
	run_cut(&b, 0, 0, NULL, &o);
	assert_int_equal(o.reason, VR_PARSE_UNKNOWN);
	outcome_release(&o);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(findings_whole),
		cmocka_unit_test(findings_every_split),
		cmocka_unit_test(findings_sha256),
		cmocka_unit_test(probe),
		cmocka_unit_test(delete_only),
		cmocka_unit_test(push_options),
		cmocka_unit_test(forward_prefix_plain),
		cmocka_unit_test(truncated_pack),
		cmocka_unit_test(corrupt_trailer),
		cmocka_unit_test(garbage_after_pack),
		cmocka_unit_test(thin_pack),
		cmocka_unit_test(pack_limit_objects),
		cmocka_unit_test(delta_bomb),
		cmocka_unit_test(memory_spent),
		cmocka_unit_test(time_budget_cancel),
		cmocka_unit_test(spool_disk_full),
		cmocka_unit_test(signed_push),
		cmocka_unit_test(limit_commands),
	};

	return cmocka_run_group_tests_name("push/session/", tests, setup, teardown);
}
