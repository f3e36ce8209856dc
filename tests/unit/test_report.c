/*
 * test_report.c - report/report/: SARIF 2.1.0, JSON and text output of
 * real findings (secrets from match streams, IaC from iac_scan).  JSON
 * and SARIF are parsed back with a strict little JSON reader (RFC 8259:
 * escapes, no raw control characters, valid UTF-8) and checked by
 * structure: ruleIndex agrees with the rules array (secret rules, IaC
 * checks, IAC-UNPARSED), levels, suppressions, percent-encoded URIs.  No
 * form ever contains a full secret.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/iac/iac.h"
#include "core/match/match.h"
#include "core/match/ruleset.h"
#include "core/report/report.h"
#include "rules/rulepack.h"

#include <stdio.h>
#include <stdlib.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#define GHP "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"
#define PASSWORD "q7Vr2mXk9pLs"

static const char rule_pack[] =
	"pack: {id: reporttest, version: 1}\n"
	"rules:\n"
	"  - id: T-GHP\n"
	"    name: GitHub token\n"
	"    pattern: '\\bghp_[0-9A-Za-z]{36}\\b'\n"
	"    validators: [crc32-base62]\n"
	"    tier: block\n"
	"    severity: high\n"
	"    remediation: revoke it\n"
	"    references: [https://docs.example.com/ghp]\n"
	"    examples: [{text: 'x " GHP "', secret: '" GHP "'}]\n"
	"  - id: T-PASS\n"
	"    name: password assignment\n"
	"    pattern: '\\bpassword\\s{0,3}[:=]\\s{0,3}[\"'']([^\"''\\s]{8,64})[\"'']'\n"
	"    secret_group: 1\n"
	"    flags: [caseless]\n"
	"    tier: warn\n"
	"    severity: medium\n"
	"    remediation: move it to a vault\n"
	"    examples: [{text: 'password = \"" PASSWORD "\"', secret: " PASSWORD "}]\n";

static const char check_pack[] =
	"pack: {id: reportiac, version: 1}\n"
	"checks:\n"
	"  - id: X-HIGH\n"
	"    title: bucket is public\n"
	"    severity: high\n"
	"    remediation: make it private\n"
	"    references: [https://docs.example.com/acl]\n"
	"    bindings:\n"
	"      - {format: terraform, types: [aws_s3_bucket], fail_if: {attr: acl, op: equals, value: public-read}}\n"
	"    examples:\n"
	"      positive: [{name: p.tf, text: \"resource \\\"aws_s3_bucket\\\" \\\"b\\\" {\\n  acl = \\\"public-read\\\"\\n}\\n\", lines: [2]}]\n"
	"      negative: [{name: n.tf, text: \"resource \\\"aws_s3_bucket\\\" \\\"b\\\" {\\n  acl = \\\"private\\\"\\n}\\n\"}]\n"
	"  - id: X-LOW\n"
	"    title: bucket without versioning\n"
	"    severity: low\n"
	"    remediation: turn versioning on\n"
	"    bindings:\n"
	"      - {format: terraform, types: [aws_s3_bucket], fail_if: {attr: versioning, op: not_exists}}\n"
	"    examples:\n"
	"      positive: [{name: p.tf, text: \"resource \\\"aws_s3_bucket\\\" \\\"b\\\" {\\n}\\n\", lines: [1]}]\n"
	"      negative: [{name: n.tf, text: \"resource \\\"aws_s3_bucket\\\" \\\"b\\\" {\\n  versioning {}\\n}\\n\"}]\n";

/* Line 2: X-HIGH FAIL; line 1: X-LOW FAIL; second bucket: X-HIGH
 * UNKNOWN (a variable without default), X-LOW passes; third bucket:
 * X-HIGH suppressed with a reason. */
static const char tf_text[] =
	"resource \"aws_s3_bucket\" \"logs\" {\n"
	"  acl = \"public-read\"\n"
	"}\n"
	"resource \"aws_s3_bucket\" \"data\" {\n"
	"  acl = var.acl\n"
	"  versioning {}\n"
	"}\n"
	"# sluice:ignore=X-HIGH reason=\"public website\"\n"
	"resource \"aws_s3_bucket\" \"site\" {\n"
	"  acl = \"public-read\"\n"
	"  versioning {}\n"
	"}\n";
static const char tf_broken[] = "resource \"aws_s3_bucket\" \"x\" {\n  acl = \n";

static struct ruleset *rs;
static struct match_scratch *sc;
static struct iac_checkset *cs;

static int setup(void **state)
{
	struct rulepack pack;
	struct secret_rule *rules;
	const char *t[1] = { check_pack };
	size_t n, l[1] = { sizeof(check_pack) - 1 };
	struct buf msg;

	UNUSED(state);
	buf_init(&msg, 1 << 16);
	if (rulepack_load_mem(rule_pack, sizeof(rule_pack) - 1, "t", &pack, &msg))
		goto fail;
	rules = rulepack_take_rules(&pack, &n);
	rulepack_release(&pack);
	if (ruleset_build(rules, n, NULL, 0, &rs, &msg) || match_scratch_new(rs, &sc))
		goto fail;
	ruleset_set_fingerprint_key(rs, (const uint8_t *)"report", 6);
	if (iac_checkset_load(t, l, 1, &cs, &msg))
		goto fail;
	buf_release(&msg);
	return 0;
fail:
	fprintf(stderr, "setup: %.*s\n", (int)msg.len, (const char *)msg.data);
	return -1;
}

static int teardown(void **state)
{
	UNUSED(state);
	iac_checkset_free(cs);
	match_scratch_free(sc);
	ruleset_free(rs);
	return 0;
}

/* --- a strict little JSON reader ----------------------------------------- */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jnode {
	enum jtype t;
	char *s;			/* J_STR: decoded UTF-8 (NUL-free here) */
	size_t slen;
	double num;
	bool b;
	struct jnode **kid;		/* J_ARR / J_OBJ values */
	char **key;			/* J_OBJ keys */
	size_t n;
};

struct jparser {
	const uint8_t *p, *end;
	const char *err;
	unsigned depth;
};

static void jfree(struct jnode *j)
{
	size_t i;

	if (!j)
		return;
	for (i = 0; i < j->n; i++) {
		jfree(j->kid[i]);
		if (j->key)
			xfree(j->key[i]);
	}
	xfree(j->kid);
	xfree(j->key);
	xfree(j->s);
	xfree(j);
}

static void jws(struct jparser *jp)
{
	while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' || *jp->p == '\r'))
		jp->p++;
}

static void put_utf8(struct buf *b, uint32_t c)
{
	uint8_t u[4];
	size_t n;

	if (c < 0x80) {
		u[0] = (uint8_t)c;
		n = 1;
	} else if (c < 0x800) {
		u[0] = (uint8_t)(0xc0 | (c >> 6));
		u[1] = (uint8_t)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		u[0] = (uint8_t)(0xe0 | (c >> 12));
		u[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
		u[2] = (uint8_t)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		u[0] = (uint8_t)(0xf0 | (c >> 18));
		u[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3f));
		u[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
		u[3] = (uint8_t)(0x80 | (c & 0x3f));
		n = 4;
	}
	BUG_ON(buf_append(b, u, n) != 0);
}

/* Length of a valid UTF-8 sequence at p (RFC 3629), or 0. */
static size_t utf8_len(const uint8_t *p, const uint8_t *end)
{
	size_t n, i;
	uint32_t c;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, c = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, c = p[0] & 0x07;
	else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return n;
}

static int hex4(struct jparser *jp, uint32_t *out)
{
	uint32_t v = 0;
	int i;

	if (jp->end - jp->p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		uint8_t c = jp->p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10u;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10u;
		else
			return -1;
	}
	jp->p += 4;
	*out = v;
	return 0;
}

static char *jstring(struct jparser *jp, size_t *len)
{
	struct buf b;

	buf_init(&b, 1u << 30);
	jp->p++;	/* '"' */
	while (jp->p < jp->end && *jp->p != '"') {
		uint8_t c = *jp->p;

		if (c < 0x20) {
			jp->err = "raw control character in a string";
			goto bad;
		}
		if (c == '\\') {
			uint32_t u, lo;

			if (++jp->p >= jp->end)
				goto bad;
			c = *jp->p++;
			switch (c) {
			case '"': case '\\': case '/': BUG_ON(buf_append(&b, &c, 1)); break;
			case 'b': BUG_ON(buf_append(&b, "\b", 1)); break;
			case 'f': BUG_ON(buf_append(&b, "\f", 1)); break;
			case 'n': BUG_ON(buf_append(&b, "\n", 1)); break;
			case 'r': BUG_ON(buf_append(&b, "\r", 1)); break;
			case 't': BUG_ON(buf_append(&b, "\t", 1)); break;
			case 'u':
				if (hex4(jp, &u)) {
					jp->err = "bad \\u escape";
					goto bad;
				}
				if (u >= 0xd800 && u <= 0xdbff) {
					if (jp->end - jp->p < 6 || jp->p[0] != '\\' || jp->p[1] != 'u') {
						jp->err = "lone surrogate";
						goto bad;
					}
					jp->p += 2;
					if (hex4(jp, &lo) || lo < 0xdc00 || lo > 0xdfff) {
						jp->err = "bad surrogate pair";
						goto bad;
					}
					u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
				} else if (u >= 0xdc00 && u <= 0xdfff) {
					jp->err = "lone surrogate";
					goto bad;
				}
				put_utf8(&b, u);
				break;
			default:
				jp->err = "unknown escape";
				goto bad;
			}
			continue;
		}
		{
			size_t n = utf8_len(jp->p, jp->end);

			if (!n) {
				jp->err = "invalid UTF-8";
				goto bad;
			}
			BUG_ON(buf_append(&b, jp->p, n));
			jp->p += n;
		}
	}
	if (jp->p >= jp->end) {
		jp->err = "unterminated string";
		goto bad;
	}
	jp->p++;
	BUG_ON(buf_append(&b, "", 1));
	*len = b.len - 1;
	return (char *)b.data;
bad:
	if (!jp->err)
		jp->err = "bad string";
	buf_release(&b);
	return NULL;
}

static struct jnode *jvalue(struct jparser *jp);

static bool jadd(struct jnode *j, char *key, struct jnode *v)
{
	struct jnode **nk = xrealloc(j->kid, (j->n + 1) * sizeof(*nk));

	BUG_ON(!nk);
	j->kid = nk;
	if (j->t == J_OBJ) {
		char **nkey = xrealloc(j->key, (j->n + 1) * sizeof(*nkey));

		BUG_ON(!nkey);
		j->key = nkey;
		j->key[j->n] = key;
	}
	j->kid[j->n++] = v;
	return true;
}

static struct jnode *jcontainer(struct jparser *jp, bool obj)
{
	struct jnode *j = xcalloc(1, sizeof(*j));

	BUG_ON(!j);
	j->t = obj ? J_OBJ : J_ARR;
	if (++jp->depth > 64) {
		jp->err = "too deep";
		return j;
	}
	jp->p++;
	jws(jp);
	if (jp->p < jp->end && *jp->p == (obj ? '}' : ']')) {
		jp->p++;
		jp->depth--;
		return j;
	}
	for (;;) {
		char *key = NULL;
		struct jnode *v;
		size_t kl;

		jws(jp);
		if (obj) {
			if (jp->p >= jp->end || *jp->p != '"') {
				jp->err = "expected a key";
				return j;
			}
			key = jstring(jp, &kl);
			if (!key)
				return j;
			jws(jp);
			if (jp->p >= jp->end || *jp->p != ':') {
				xfree(key);
				jp->err = "expected ':'";
				return j;
			}
			jp->p++;
		}
		v = jvalue(jp);
		jadd(j, key, v);
		if (jp->err)
			return j;
		jws(jp);
		if (jp->p < jp->end && *jp->p == ',') {
			jp->p++;
			continue;
		}
		if (jp->p < jp->end && *jp->p == (obj ? '}' : ']')) {
			jp->p++;
			jp->depth--;
			return j;
		}
		jp->err = "expected ',' or a closing bracket";
		return j;
	}
}

static struct jnode *jvalue(struct jparser *jp)
{
	struct jnode *j;

	jws(jp);
	if (jp->p >= jp->end) {
		jp->err = "unexpected end";
		return NULL;
	}
	if (*jp->p == '{' || *jp->p == '[')
		return jcontainer(jp, *jp->p == '{');
	j = xcalloc(1, sizeof(*j));
	BUG_ON(!j);
	if (*jp->p == '"') {
		j->t = J_STR;
		j->s = jstring(jp, &j->slen);
	} else if (jp->end - jp->p >= 4 && memcmp(jp->p, "true", 4) == 0) {
		j->t = J_BOOL;
		j->b = true;
		jp->p += 4;
	} else if (jp->end - jp->p >= 5 && memcmp(jp->p, "false", 5) == 0) {
		j->t = J_BOOL;
		jp->p += 5;
	} else if (jp->end - jp->p >= 4 && memcmp(jp->p, "null", 4) == 0) {
		j->t = J_NULL;
		jp->p += 4;
	} else if (*jp->p == '-' || (*jp->p >= '0' && *jp->p <= '9')) {
		char tmp[64];
		size_t n = 0;

		while (jp->p < jp->end && n + 1 < sizeof(tmp) &&
		       strchr("+-0123456789.eE", *jp->p))
			tmp[n++] = (char)*jp->p++;
		tmp[n] = '\0';
		/* RFC 8259: no leading zeros, no '+' in front. */
		if ((tmp[0] == '0' && tmp[1] >= '0' && tmp[1] <= '9') || tmp[0] == '+')
			jp->err = "bad number";
		j->t = J_NUM;
		j->num = strtod(tmp, NULL);
	} else {
		jp->err = "unexpected character";
	}
	return j;
}

/* Parses a whole document; fails the test with the position of an error. */
static struct jnode *jparse(const struct buf *b)
{
	struct jparser jp = { b->data, b->data + b->len, NULL, 0 };
	struct jnode *j = jvalue(&jp);

	if (!jp.err) {
		jws(&jp);
		if (jp.p != jp.end)
			jp.err = "trailing bytes";
	}
	if (jp.err) {
		size_t at = (size_t)(jp.p - b->data);

		jfree(j);
		fail_msg("invalid JSON at byte %zu (%s): ...%.*s", at, jp.err,
			 (int)MIN((size_t)60, b->len - at), (const char *)b->data + at);
	}
	return j;
}

static struct jnode *jget(const struct jnode *j, const char *key)
{
	size_t i;

	if (!j || j->t != J_OBJ)
		return NULL;
	for (i = 0; i < j->n; i++)
		if (strcmp(j->key[i], key) == 0)
			return j->kid[i];
	return NULL;
}

static struct jnode *jat(const struct jnode *j, size_t i)
{
	return j && j->t == J_ARR && i < j->n ? j->kid[i] : NULL;
}

static const char *jstr_of(const struct jnode *j)
{
	assert_non_null(j);
	assert_int_equal(j->t, J_STR);
	return j->s;
}

static double jnum_of(const struct jnode *j)
{
	assert_non_null(j);
	assert_int_equal(j->t, J_NUM);
	return j->num;
}

/* --- building reports ----------------------------------------------------- */

/* Scans text as the file `path` and adds its findings. */
static void add_scan(struct report *r, const char *path, const char *text, const char *commit)
{
	struct match_stream ms;
	size_t i;

	assert_int_equal(match_stream_init(&ms, rs, sc), 0);
	assert_int_equal(match_stream_feed(&ms, (const uint8_t *)text, strlen(text)), 0);
	assert_int_equal(match_stream_finish(&ms), 0);
	for (i = 0; i < ms.n_findings; i++)
		assert_int_equal(report_add(r, path, commit, commit ? "b0b0" : NULL,
					    &ms.findings[i]), 0);
	match_stream_release(&ms);
	r->objects++;
	r->bytes += strlen(text);
}

static void add_iac(struct report *r, const char *path, const char *text)
{
	struct iac_finding *f = NULL;
	size_t n = 0, i;

	assert_int_equal(iac_scan(cs, path, (const uint8_t *)text, strlen(text), &f, &n), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(report_add_iac(r, path, NULL, NULL, &f[i]), 0);
	xfree(f);
	r->objects++;
}

static void render(const struct report *r, enum report_format fmt, bool colour, struct buf *out)
{
	FILE *f = tmpfile();
	char chunk[65536];
	size_t n;

	assert_non_null(f);
	assert_int_equal(report_write(r, fmt, f, colour), 0);
	rewind(f);
	buf_reset(out);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(buf_append(out, chunk, n), 0);
	fclose(f);
}

static bool has(const struct buf *b, const char *s)
{
	return b->len && memmem(b->data, b->len, s, strlen(s)) != NULL;
}

/* The mixed report most tests use. */
static void full_report(struct report *r)
{
	report_init(r, rs);
	r->iac = cs;
	add_scan(r, "config/app.env", "# app\nGITHUB_TOKEN=" GHP "\n", "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00");
	add_scan(r, "src/db.py", "conn(password = \"" PASSWORD "\")\n", NULL);
	add_scan(r, "docs/notes.md", "example " GHP "  # sluice:ignore\n", NULL);
	add_iac(r, "infra/main.tf", tf_text);
	add_iac(r, "infra/broken.tf", tf_broken);
	report_sort(r);
}

/* --- SARIF ------------------------------------------------------------------ */

static void sarif_structure(void **state)
{
	struct report r;
	struct buf out;
	struct jnode *doc, *run, *rules, *results;
	size_t i, nsec, niac, seen_unparsed = 0, seen_unknown = 0, seen_suppressed = 0;

	UNUSED(state);
	full_report(&r);
	buf_init(&out, 1u << 26);
	render(&r, REPORT_SARIF, false, &out);
	doc = jparse(&out);
	assert_string_equal(jstr_of(jget(doc, "version")), "2.1.0");
	assert_non_null(jget(doc, "$schema"));
	run = jat(jget(doc, "runs"), 0);
	assert_non_null(run);
	assert_string_equal(jstr_of(jget(jget(jget(run, "tool"), "driver"), "name")), "sluice");

	/* rules: secret rules in ruleset order, then IaC checks in checkset
	 * order, then IAC-UNPARSED. */
	rules = jget(jget(jget(run, "tool"), "driver"), "rules");
	nsec = ruleset_count(rs);
	niac = iac_checkset_count(cs);
	assert_non_null(rules);
	assert_int_equal(rules->n, nsec + niac + 1);
	for (i = 0; i < nsec; i++)
		assert_string_equal(jstr_of(jget(rules->kid[i], "id")), ruleset_rule(rs, i)->id);
	for (i = 0; i < niac; i++)
		assert_string_equal(jstr_of(jget(rules->kid[nsec + i], "id")),
				    iac_checkset_info(cs, i)->id);
	assert_string_equal(jstr_of(jget(rules->kid[nsec + niac], "id")), "IAC-UNPARSED");
	assert_string_equal(jstr_of(jget(jget(rules->kid[0], "defaultConfiguration"), "level")),
			    "error");	/* T-GHP: block tier */
	assert_string_equal(jstr_of(jget(jget(rules->kid[1], "defaultConfiguration"), "level")),
			    "warning");	/* T-PASS: warn tier */
	assert_string_equal(jstr_of(jget(rules->kid[0], "helpUri")), "https://docs.example.com/ghp");
	assert_null(jget(rules->kid[1], "helpUri"));
	assert_string_equal(jstr_of(jget(jget(rules->kid[nsec], "defaultConfiguration"), "level")),
			    "error");	/* X-HIGH */
	assert_string_equal(jstr_of(jget(jget(rules->kid[nsec + 1], "defaultConfiguration"), "level")),
			    "note");	/* X-LOW */

	results = jget(run, "results");
	assert_non_null(results);
	assert_int_equal(results->n, r.n);
	for (i = 0; i < results->n; i++) {
		const struct jnode *res = results->kid[i];
		const char *id = jstr_of(jget(res, "ruleId"));
		double idx = jnum_of(jget(res, "ruleIndex"));
		const char *level = jstr_of(jget(res, "level"));
		const char *msg = jstr_of(jget(jget(res, "message"), "text"));
		const struct jnode *loc = jget(jat(jget(res, "locations"), 0), "physicalLocation");
		const struct jnode *sup = jget(res, "suppressions");
		const char *uri = jstr_of(jget(jget(loc, "artifactLocation"), "uri"));
		double line = jnum_of(jget(jget(loc, "region"), "startLine"));

		/* ruleIndex points at the rule named by ruleId. */
		assert_true(idx >= 0 && idx < (double)rules->n && idx == (double)(size_t)idx);
		assert_string_equal(jstr_of(jget(rules->kid[(size_t)idx], "id")), id);
		assert_true(line >= 1);
		assert_true(jnum_of(jget(jget(loc, "region"), "startColumn")) >= 1);
		assert_null(strstr(msg, GHP));
		assert_null(strstr(msg, PASSWORD));
		if (strcmp(id, "T-GHP") == 0) {
			char fp[17];

			match_fingerprint_hex(r.entries[i].f.fingerprint, fp);
			assert_string_equal(level, "error");
			assert_string_equal(jstr_of(jget(jget(res, "partialFingerprints"), "sluice/v1")),
					    fp);
			assert_non_null(strstr(msg, fp));
			assert_non_null(strstr(msg, r.entries[i].f.redacted));
			if (strcmp(uri, "docs/notes.md") == 0) {
				assert_non_null(sup);
				assert_string_equal(jstr_of(jget(jat(sup, 0), "kind")), "inSource");
				seen_suppressed++;
			} else {
				assert_string_equal(uri, "config/app.env");
				assert_true(line == 2);
				assert_null(sup);
				assert_string_equal(jstr_of(jget(jget(res, "properties"), "commit")),
						    "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00");
			}
		} else if (strcmp(id, "T-PASS") == 0) {
			assert_string_equal(level, "warning");
			assert_string_equal(uri, "src/db.py");
			assert_null(sup);
		} else if (strcmp(id, "X-HIGH") == 0) {
			const char *result = jstr_of(jget(jget(res, "properties"), "result"));

			assert_null(jget(res, "partialFingerprints"));
			if (strcmp(result, "unknown") == 0) {
				assert_string_equal(level, "warning");
				assert_true(line == 5);
				seen_unknown++;
			} else if (sup) {
				assert_string_equal(jstr_of(jget(jat(sup, 0), "justification")),
						    "public website");
				assert_true(line == 10);
				seen_suppressed++;
			} else {
				assert_string_equal(level, "error");
				assert_true(line == 2);
				assert_string_equal(jstr_of(jget(jget(res, "properties"), "resource")),
						    "aws_s3_bucket.logs");
			}
		} else if (strcmp(id, "X-LOW") == 0) {
			assert_string_equal(level, "note");
			assert_true(line == 1);
		} else {
			assert_string_equal(id, "IAC-UNPARSED");
			assert_string_equal(level, "warning");
			assert_string_equal(uri, "infra/broken.tf");
			seen_unparsed++;
		}
	}
	assert_int_equal(seen_unparsed, 1);
	assert_int_equal(seen_unknown, 1);
	assert_int_equal(seen_suppressed, 2);
	assert_true(jget(jat(jget(run, "invocations"), 0), "executionSuccessful")->b);
	jfree(doc);

	/* An error makes the run unsuccessful and is listed. */
	report_error(&r, "big.bin", "object larger than %u bytes", 8u);
	render(&r, REPORT_SARIF, false, &out);
	doc = jparse(&out);
	run = jat(jget(doc, "runs"), 0);
	assert_false(jget(jat(jget(run, "invocations"), 0), "executionSuccessful")->b);
	assert_string_equal(jstr_of(jget(jget(jat(jget(jat(jget(run, "invocations"), 0),
							  "toolExecutionNotifications"), 0),
					      "message"), "text")),
			    "big.bin: object larger than 8 bytes");
	jfree(doc);
	report_release(&r);
	buf_release(&out);
}

/* Without IaC checks, IaC findings and the ruleIndex of IAC-UNPARSED. */
static void sarif_without_checkset(void **state)
{
	struct report r;
	struct buf out;
	struct jnode *doc, *rules, *res;
	struct iac_finding f;

	UNUSED(state);
	report_init(&r, rs);
	memset(&f, 0, sizeof(f));
	f.check = IAC_CHECK_NONE;
	f.result = IAC_UNKNOWN;
	f.line = 4;
	snprintf(f.found, sizeof(f.found), "parse error: unexpected '}'");
	assert_int_equal(report_add_iac(&r, "x.tf", NULL, NULL, &f), 0);
	buf_init(&out, 1u << 20);
	render(&r, REPORT_SARIF, false, &out);
	doc = jparse(&out);
	rules = jget(jget(jget(jat(jget(doc, "runs"), 0), "tool"), "driver"), "rules");
	assert_int_equal(rules->n, ruleset_count(rs) + 1);
	res = jat(jget(jat(jget(doc, "runs"), 0), "results"), 0);
	assert_string_equal(jstr_of(jget(res, "ruleId")), "IAC-UNPARSED");
	assert_true(jnum_of(jget(res, "ruleIndex")) == (double)ruleset_count(rs));
	assert_non_null(strstr(jstr_of(jget(jget(res, "message"), "text")), "parse error"));
	jfree(doc);
	report_release(&r);
	buf_release(&out);
}

static void sarif_uri_and_escaping(void **state)
{
	static const struct {
		const char *path;
		const char *uri;
	} cases[] = {
		{ "dir with space/a b.env", "dir%20with%20space/a%20b.env" },
		{ "caf\xc3\xa9/\xe6\x97\xa5.env", "caf%C3%A9/%E6%97%A5.env" },
		{ "a#b?c%d&e+f.env", "a%23b%3Fc%25d%26e%2Bf.env" },
		{ "ctl\x01\x1f\x7f.env", "ctl%01%1F%7F.env" },
		{ "q\"uote\\back.env", "q%22uote%5Cback.env" },
		{ "keep-._~/AZaz09.env", "keep-._~/AZaz09.env" },
		{ "latin1\xff\xfe.env", "latin1%FF%FE.env" },
	};
	struct report r;
	struct buf out;
	struct jnode *doc, *results;
	size_t i;

	UNUSED(state);
	report_init(&r, rs);
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		add_scan(&r, cases[i].path, "t " GHP "\n", NULL);
	buf_init(&out, 1u << 20);
	render(&r, REPORT_SARIF, false, &out);
	doc = jparse(&out);
	results = jget(jat(jget(doc, "runs"), 0), "results");
	assert_int_equal(results->n, ARRAY_SIZE(cases));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct jnode *loc = jget(jat(jget(results->kid[i], "locations"), 0),
					       "physicalLocation");

		assert_string_equal(jstr_of(jget(jget(loc, "artifactLocation"), "uri")), cases[i].uri);
	}
	jfree(doc);
	report_release(&r);
	buf_release(&out);
}

/* --- JSON ------------------------------------------------------------------- */

static void json_format(void **state)
{
	struct report r;
	struct buf out;
	struct jnode *doc, *findings, *summary;
	size_t i, secrets = 0, iacs = 0;

	UNUSED(state);
	full_report(&r);
	buf_init(&out, 1u << 26);
	render(&r, REPORT_JSON, false, &out);
	assert_false(has(&out, GHP));
	assert_false(has(&out, PASSWORD));
	doc = jparse(&out);
	findings = jget(doc, "findings");
	assert_int_equal(findings->n, r.n);
	for (i = 0; i < findings->n; i++) {
		const struct jnode *f = findings->kid[i];
		const struct report_entry *e = &r.entries[i];
		const char *kind = jstr_of(jget(f, "kind"));

		assert_string_equal(jstr_of(jget(f, "path")), e->path);
		assert_true(jnum_of(jget(f, "line")) == e->f.line);
		assert_true(jnum_of(jget(f, "column")) == e->f.column);
		assert_string_equal(jstr_of(jget(f, "status")),
				    e->f.status == FINDING_OPEN ? "open" : "suppressed");
		if (strcmp(kind, "secret") == 0) {
			char fp[17];

			match_fingerprint_hex(e->f.fingerprint, fp);
			assert_string_equal(jstr_of(jget(f, "fingerprint")), fp);
			assert_string_equal(jstr_of(jget(f, "value")), e->f.redacted);
			assert_string_equal(jstr_of(jget(f, "rule")),
					    ruleset_rule(rs, e->f.rule)->id);
			secrets++;
		} else {
			assert_string_equal(kind, "iac");
			assert_non_null(jget(f, "resource"));
			iacs++;
		}
	}
	assert_int_equal(secrets, 3);
	assert_true(iacs >= 4);
	summary = jget(doc, "summary");
	assert_true(jnum_of(jget(summary, "blocking")) == (double)report_blocking(&r));
	assert_true(jnum_of(jget(summary, "objects")) == (double)r.objects);
	jfree(doc);
	report_release(&r);
	buf_release(&out);
}

/* Control characters, quotes, backslashes and non-ASCII in paths come
 * back unchanged; bytes that are not UTF-8 still give valid JSON. */
static void json_escaping(void **state)
{
	static const char bad_utf8[] = "\xc3\x28 \xe2\x82 \xed\xa0\x80 \xf8\x88\x80\x80\x80";
	static const char *const paths[] = {
		"a\x01" "b\"c\\d\ne\tf\rg\bh\fi\x1f\x7f.env",
		"caf\xc3\xa9 \xe6\x97\xa5\xf0\x9f\x94\x91.env",
		"/abs/../x.env",
	};
	struct report r;
	struct buf out, esc;
	struct jnode *doc;
	size_t i;
	char all[128];

	UNUSED(state);
	report_init(&r, rs);
	for (i = 0; i < ARRAY_SIZE(paths); i++)
		add_scan(&r, paths[i], "t " GHP "\n", NULL);
	report_error(&r, "err\x02path", "bad\x03thing");
	buf_init(&out, 1u << 20);
	render(&r, REPORT_JSON, false, &out);
	doc = jparse(&out);
	for (i = 0; i < ARRAY_SIZE(paths); i++)
		assert_string_equal(jstr_of(jget(jat(jget(doc, "findings"), i), "path")), paths[i]);
	assert_string_equal(jstr_of(jat(jget(jget(doc, "summary"), "errors"), 0)),
			    "err\x02path: bad\x03thing");
	jfree(doc);

	/* Every ASCII byte through json_escape and back. */
	for (i = 1; i < 128; i++)
		all[i - 1] = (char)i;
	all[127] = '\0';
	buf_init(&esc, 4096);
	assert_int_equal(json_escape(&esc, all, 127), 0);
	doc = jparse(&esc);
	assert_int_equal(doc->slen, 127);
	assert_memory_equal(doc->s, all, 127);
	jfree(doc);

	/* A path that is not UTF-8 (git allows any bytes): the output must
	 * still be UTF-8, as JSON requires (RFC 8259 §8.1). */
	report_release(&r);
	report_init(&r, rs);
	add_scan(&r, "latin1-\xe9t\xe9\xff.env", "t " GHP "\n", NULL);
	report_error(&r, "bad\xc3", "x");
	render(&r, REPORT_JSON, false, &out);
	doc = jparse(&out);
	/* Each byte that starts no UTF-8 sequence is U+FFFD. */
	assert_string_equal(jstr_of(jget(jat(jget(doc, "findings"), 0), "path")),
			    "latin1-\xef\xbf\xbdt\xef\xbf\xbd\xef\xbf\xbd.env");
	jfree(doc);
	render(&r, REPORT_SARIF, false, &out);
	jfree(jparse(&out));
	buf_reset(&esc);
	assert_int_equal(json_escape(&esc, bad_utf8, sizeof(bad_utf8) - 1), 0);
	doc = jparse(&esc);
	assert_int_equal(doc->slen, 3 + 1 + 1 + 2 * 3 + 1 + 3 * 3 + 1 + 5 * 3);
	/* Truncated, surrogate and 5-byte forms: one U+FFFD per byte. */
	assert_string_equal(doc->s, "\xef\xbf\xbd( \xef\xbf\xbd\xef\xbf\xbd "
			    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd "
			    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	jfree(doc);
	buf_release(&esc);
	report_release(&r);
	buf_release(&out);
}

/* --- text ------------------------------------------------------------------- */

static void text_format(void **state)
{
	struct report r;
	struct buf out;
	char fp[17], want[256];
	size_t i;

	UNUSED(state);
	full_report(&r);
	add_scan(&r, "esc\x1b[2Jpath.env", "t " GHP "\n", NULL);
	buf_init(&out, 1u << 26);
	render(&r, REPORT_TEXT, false, &out);
	assert_false(has(&out, GHP));
	assert_false(has(&out, PASSWORD));
	assert_false(has(&out, "\x1b"));	/* no colour, and paths are sanitized */
	assert_true(has(&out, "esc?[2Jpath.env"));
	for (i = 0; i < r.n; i++) {
		const struct report_entry *e = &r.entries[i];

		snprintf(want, sizeof(want), "  %u:%u  ", e->f.line, e->f.column);
		assert_true(has(&out, want));
		if (e->kind == REPORT_SECRET) {
			match_fingerprint_hex(e->f.fingerprint, fp);
			snprintf(want, sizeof(want), "value %s  fingerprint %s", e->f.redacted, fp);
			assert_true(has(&out, want));
		}
	}
	assert_true(has(&out, "config/app.env\n"));
	assert_true(has(&out, "commit c0ffee00c0ff"));
	assert_true(has(&out, "T-GHP  GitHub token (high)"));
	assert_true(has(&out, "[suppressed]"));
	assert_true(has(&out, "IAC-UNPARSED"));
	assert_true(has(&out, "fix: revoke it\n"));
	snprintf(want, sizeof(want), "%zu finding(s), %zu at level error", r.n, report_blocking(&r));
	assert_true(has(&out, want));
	render(&r, REPORT_TEXT, true, &out);
	assert_true(has(&out, "\x1b[1;31m"));
	assert_false(has(&out, GHP));
	report_release(&r);
	buf_release(&out);
}

/* --- the rest ---------------------------------------------------------------- */

static void blocking_and_sort(void **state)
{
	struct report r;
	size_t i, want = 0;

	UNUSED(state);
	full_report(&r);
	for (i = 1; i < r.n; i++) {
		const struct report_entry *a = &r.entries[i - 1], *b = &r.entries[i];
		int c = strcmp(a->path, b->path);

		assert_true(c < 0 || (c == 0 && (a->f.line < b->f.line ||
				      (a->f.line == b->f.line && a->f.column <= b->f.column))));
	}
	/* Open block-tier secrets and open critical/high IaC failures. */
	for (i = 0; i < r.n; i++) {
		const struct report_entry *e = &r.entries[i];

		if (e->f.status != FINDING_OPEN)
			continue;
		if (e->kind == REPORT_SECRET && ruleset_rule(rs, e->f.rule)->tier == RULE_TIER_BLOCK)
			want++;
		if (e->kind == REPORT_IAC && e->iac.check != UINT32_MAX && !e->iac.unknown &&
		    iac_checkset_info(cs, e->iac.check)->severity <= SEV_HIGH)
			want++;
	}
	assert_int_equal(want, 2);	/* config/app.env and aws_s3_bucket.logs */
	assert_int_equal(report_blocking(&r), want);
	report_release(&r);
	assert_int_equal(r.n, 0);
}

static void format_names(void **state)
{
	enum report_format f;

	UNUSED(state);
	assert_int_equal(report_format_parse("text", &f), 0);
	assert_int_equal(f, REPORT_TEXT);
	assert_int_equal(report_format_parse("json", &f), 0);
	assert_int_equal(f, REPORT_JSON);
	assert_int_equal(report_format_parse("sarif", &f), 0);
	assert_int_equal(f, REPORT_SARIF);
	assert_int_equal(report_format_parse("SARIF", &f), ERR_USAGE);
	assert_int_equal(report_format_parse("", &f), ERR_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sarif_structure),
		cmocka_unit_test(sarif_without_checkset),
		cmocka_unit_test(sarif_uri_and_escaping),
		cmocka_unit_test(json_format),
		cmocka_unit_test(json_escaping),
		cmocka_unit_test(text_format),
		cmocka_unit_test(blocking_and_sort),
		cmocka_unit_test(format_names),
	};

	return cmocka_run_group_tests_name("report/report/", tests, setup, teardown);
}
