/*
 * test_match.c - validators, filters and the two-stage matcher, fed whole,
 * at every split point and one byte at a time.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/match/match.h"
#include "core/match/ruleset.h"
#include "core/match/validate.h"
#include "rules/rulepack.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

/* Synthetic tokens with a valid CRC-32/base62 checksum. */
#define GHP_VALID "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"
#define GHP_BADCRC "ghp_Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IM"
#define NPM_VALID "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"

static const char test_pack[] =
	"pack: {id: test, version: 1}\n"
	"rules:\n"
	"  - id: T-GHP\n"
	"    name: GitHub token\n"
	"    pattern: '\\bghp_[0-9A-Za-z]{36}\\b'\n"
	"    validators: [crc32-base62]\n"
	"    tier: block\n"
	"    severity: high\n"
	"    remediation: revoke it\n"
	"    examples: [{text: 'x " GHP_VALID "', secret: '" GHP_VALID "'}]\n"
	"    negative_examples: ['x " GHP_BADCRC "']\n"
	"  - id: T-AKID\n"
	"    name: AWS key id\n"
	"    pattern: '\\b(?:AKIA|ASIA)[A-Z2-7]{16}\\b'\n"
	"    tier: block\n"
	"    severity: high\n"
	"    remediation: rotate it\n"
	"    examples: [{text: 'id=AKIAZ7QW2ERTY3UIOP4A', secret: AKIAZ7QW2ERTY3UIOP4A}]\n"
	"    negative_examples: ['id=AKIAIOSFODNN7EXAMPLE']\n"
	"  - id: T-AWS-SECRET\n"
	"    name: AWS secret key\n"
	"    pattern: '(?:aws_secret_access_key|secret_key)\\s{0,4}[:=]\\s{0,4}[\"'']?([A-Za-z0-9/+]{40})\\b'\n"
	"    secret_group: 1\n"
	"    flags: [caseless]\n"
	"    requires: T-AKID\n"
	"    entropy: 3.5\n"
	"    tier: block\n"
	"    severity: critical\n"
	"    remediation: rotate it\n"
	"    examples:\n"
	"      - text: \"AKIAZ7QW2ERTY3UIOP4A\\naws_secret_access_key = Zx8Qm2Lp9Vt4Rk7Wn3Hs6Jd1Fg5Bc0Ny8Ue2Ta4Q\"\n"
	"        secret: Zx8Qm2Lp9Vt4Rk7Wn3Hs6Jd1Fg5Bc0Ny8Ue2Ta4Q\n"
	"    negative_examples: ['aws_secret_access_key = Zx8Qm2Lp9Vt4Rk7Wn3Hs6Jd1Fg5Bc0Ny8Ue2Ta4Q']\n"
	"  - id: T-GENERIC\n"
	"    name: password assignment\n"
	"    pattern: '\\bpassword\\s{0,3}[:=]\\s{0,3}[\"'']([^\"''\\s]{8,64})[\"'']'\n"
	"    secret_group: 1\n"
	"    flags: [caseless]\n"
	"    entropy: 3.0\n"
	"    tier: warn\n"
	"    severity: medium\n"
	"    remediation: move it to a vault\n"
	"    examples: [{text: 'password = \"q7Vr2mXk9pLs\"', secret: q7Vr2mXk9pLs}]\n"
	"    negative_examples: ['password = \"${DB_PASSWORD}\"', 'password = \"changeme123\"']\n";

/* A ruleset (fingerprint key "k") from pack text; fails the test when the
 * pack does not load or compile. */
static struct ruleset *ruleset_from_pack(const char *text, size_t len, const char *name)
{
	struct rulepack pack;
	struct ruleset *rs = NULL;
	struct secret_rule *rules;
	struct buf msg;
	size_t n;

	buf_init(&msg, 1 << 16);
	if (rulepack_load_mem(text, len, name, &pack, &msg) != 0)
		fail_msg("%.*s", (int)msg.len, msg.data);
	rules = rulepack_take_rules(&pack, &n);
	rulepack_release(&pack);
	if (ruleset_build(rules, n, NULL, 0, &rs, &msg) != 0)
		fail_msg("%.*s", (int)msg.len, msg.data);
	ruleset_set_fingerprint_key(rs, (const uint8_t *)"k", 1);
	buf_release(&msg);
	return rs;
}

static struct ruleset *load_test_ruleset(void)
{
	return ruleset_from_pack(test_pack, sizeof(test_pack) - 1, "test");
}

static void test_crc32_base62(void **state)
{
	UNUSED(state);
	assert_true(validate_crc32_base62(GHP_VALID, strlen(GHP_VALID)));
	assert_true(validate_crc32_base62(NPM_VALID, strlen(NPM_VALID)));
	assert_false(validate_crc32_base62(GHP_BADCRC, strlen(GHP_BADCRC)));
	assert_false(validate_crc32_base62("ghp_short", 9));
}

static void test_jwt(void **state)
{
	/* {"alg":"HS256","typ":"JWT"} . {"sub":"1"} . sig */
	const char *jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
	const char *bad = "eyJub3RhbGciOjF9.eyJzdWIiOiIxIn0.c2ln";	/* {"notalg":1} */

	UNUSED(state);
	assert_true(validate_jwt(jwt, strlen(jwt)));
	assert_false(validate_jwt(bad, strlen(bad)));
	assert_false(validate_jwt("abc.def", 7));
}

static void test_entropy_and_placeholders(void **state)
{
	UNUSED(state);
	assert_true(entropy_shannon("aaaa", 4) < 0.01);
	assert_true(entropy_shannon("abcd", 4) > 1.99 && entropy_shannon("abcd", 4) < 2.01);
	assert_true(validate_is_placeholder("${GITHUB_TOKEN}", 15));
	assert_true(validate_is_placeholder("AKIAIOSFODNN7EXAMPLE", 20));
	assert_true(validate_is_placeholder("<your-token>", 12));
	assert_true(validate_is_placeholder("xxxxxxxxxxxxxxxx", 16));
	assert_true(validate_is_placeholder("process.env.API_KEY", 19));
	assert_true(validate_is_placeholder("", 0));
	assert_false(validate_is_placeholder("q7Vr2mXk9pLs", 12));
	assert_true(validate_is_benign_identifier("123e4567-e89b-12d3-a456-426614174000", 36));
	assert_true(validate_is_benign_identifier("da39a3ee5e6b4b0d3255bfef95601890afd80709", 40));
	assert_false(validate_is_benign_identifier("q7Vr2mXk9pLs", 12));
}

static void test_examples_pass(void **state)
{
	struct ruleset *rs = load_test_ruleset();
	struct buf msg;
	long failures;

	UNUSED(state);
	buf_init(&msg, 1 << 16);
	failures = rulepack_check_examples(rs, &msg);
	if (failures)
		fail_msg("%.*s", (int)msg.len, msg.data);
	buf_release(&msg);
	ruleset_free(rs);
}

struct found {
	struct finding f[16];
	size_t n;
};

static void scan_cut(const struct ruleset *rs, struct match_scratch *sc, const char *text,
		     size_t len, size_t piece, size_t split, struct found *out)
{
	struct match_stream ms;
	size_t pos = 0;

	assert_int_equal(match_stream_init(&ms, rs, sc), 0);
	if (split) {
		assert_int_equal(match_stream_feed(&ms, (const uint8_t *)text, split), 0);
		pos = split;
	}
	while (pos < len) {
		size_t n = piece ? MIN(piece, len - pos) : len - pos;

		assert_int_equal(match_stream_feed(&ms, (const uint8_t *)text + pos, n), 0);
		pos += n;
	}
	assert_int_equal(match_stream_finish(&ms), 0);
	assert_true(ms.n_findings <= ARRAY_SIZE(out->f));
	out->n = ms.n_findings;
	if (ms.n_findings)
		memcpy(out->f, ms.findings, ms.n_findings * sizeof(struct finding));
	match_stream_release(&ms);
}

static void assert_same(const struct found *a, const struct found *b, const char *how, size_t at)
{
	size_t i;

	if (a->n != b->n)
		fail_msg("%s %zu: %zu findings vs %zu", how, at, a->n, b->n);
	for (i = 0; i < a->n; i++)
		if (a->f[i].rule != b->f[i].rule || a->f[i].line != b->f[i].line ||
		    a->f[i].column != b->f[i].column || a->f[i].offset != b->f[i].offset ||
		    memcmp(a->f[i].fingerprint, b->f[i].fingerprint, FINDING_FP_BYTES) ||
		    strcmp(a->f[i].redacted, b->f[i].redacted) || a->f[i].status != b->f[i].status)
			fail_msg("%s %zu: finding %zu differs", how, at, i);
}

/* The same findings as `whole` at every split point, one byte at a time
 * and in pieces of `piece` bytes. */
static void assert_every_cut(const struct ruleset *rs, struct match_scratch *sc, const char *text,
			     size_t len, size_t piece, const struct found *whole)
{
	struct found cut;
	size_t s;

	for (s = 0; s <= len; s++) {
		scan_cut(rs, sc, text, len, 0, s, &cut);
		assert_same(whole, &cut, "split at", s);
	}
	scan_cut(rs, sc, text, len, 1, 0, &cut);
	assert_same(whole, &cut, "byte at a time", 1);
	scan_cut(rs, sc, text, len, piece, 0, &cut);
	assert_same(whole, &cut, "pieces of", piece);
}

static void test_every_split(void **state)
{
	static const char text[] =
		"# config\r\n"
		"token: " GHP_VALID "\n"
		"\n"
		"  key_id = AKIAZ7QW2ERTY3UIOP4A   # prod\n"
		"aws_secret_access_key = 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\n"
		"password = \"q7Vr2mXk9pLs\"  # sluice:ignore=T-GENERIC\n"
		"again " GHP_VALID " twice in one object is one finding\n"
		"bad " GHP_BADCRC "\n"
		"last AKIAQ5WE7RTY2UIOPA3S";
	struct ruleset *rs = load_test_ruleset();
	struct match_scratch *sc;
	struct found whole;
	size_t len = sizeof(text) - 1, s;

	UNUSED(state);
	assert_int_equal(match_scratch_new(rs, &sc), 0);
	scan_cut(rs, sc, text, len, 0, 0, &whole);
	assert_int_equal(whole.n, 5);
	/* token on line 2, column 8 */
	assert_string_equal(ruleset_rule(rs, whole.f[0].rule)->id, "T-GHP");
	assert_int_equal(whole.f[0].line, 2);
	assert_int_equal(whole.f[0].column, 8);
	assert_string_equal(whole.f[0].redacted, "ghp_********************************m1IL");
	assert_string_equal(ruleset_rule(rs, whole.f[1].rule)->id, "T-AKID");
	assert_int_equal(whole.f[1].line, 4);
	assert_int_equal(whole.f[1].column, 12);
	assert_string_equal(ruleset_rule(rs, whole.f[2].rule)->id, "T-AWS-SECRET");
	assert_int_equal(whole.f[2].line, 5);
	assert_int_equal(whole.f[2].column, 25);
	assert_string_equal(ruleset_rule(rs, whole.f[3].rule)->id, "T-GENERIC");
	assert_int_equal(whole.f[3].status, FINDING_SUPPRESSED);
	assert_int_equal(whole.f[3].line, 6);
	/* at end of data: reported by hs_close_stream */
	assert_string_equal(ruleset_rule(rs, whole.f[4].rule)->id, "T-AKID");
	assert_int_equal(whole.f[4].line, 9);
	assert_int_equal(whole.f[4].column, 6);
	/* No secret is ever kept in a finding's text. */
	for (s = 0; s < whole.n; s++)
		assert_null(strstr(whole.f[s].redacted, "Ky9Pf34qY6Nb3wWD25RQ"));

	assert_every_cut(rs, sc, text, len, 7, &whole);
	match_scratch_free(sc);
	ruleset_free(rs);
}

static void test_binary_block_tier_only(void **state)
{
	static const char text[] = "PNG\0\0\0 password = \"q7Vr2mXk9pLs\" " GHP_VALID "\n";
	struct ruleset *rs = load_test_ruleset();
	struct match_scratch *sc;
	struct found got;

	UNUSED(state);
	assert_int_equal(match_scratch_new(rs, &sc), 0);
	scan_cut(rs, sc, text, sizeof(text) - 1, 0, 0, &got);
	assert_int_equal(got.n, 1);
	assert_string_equal(ruleset_rule(rs, got.f[0].rule)->id, "T-GHP");
	match_scratch_free(sc);
	ruleset_free(rs);
}

/* Text that ends exactly where the mapping ends (a guard page follows):
 * Hyperscan 5.4's AVX-512 VBMI literal matcher read past the end of its
 * input and crashed there (found by fuzz_match on a Zen 4 machine).  Each
 * length and piece size must scan without a fault and find what a scan of
 * an ordinary copy finds.  The bundled secrets pack is used too: its many
 * literals are what selects that matcher. */
static void scan_guarded(const struct ruleset *rs, struct match_scratch *sc, uint8_t *page_end,
			 const char *text, size_t len)
{
	uint8_t *at = page_end - len;
	struct found whole, guarded;
	size_t piece;

	memcpy(at, text, len);
	scan_cut(rs, sc, text, len, 0, 0, &whole);
	for (piece = 1; piece <= 97; piece += 16) {
		scan_cut(rs, sc, (const char *)at, len, piece, 0, &guarded);
		assert_same(&whole, &guarded, "guard page, piece", piece);
	}
	scan_cut(rs, sc, (const char *)at, len, 0, 0, &guarded);
	assert_same(&whole, &guarded, "guard page, whole", len);
}

static struct ruleset *load_ruleset_file(const char *path)
{
	struct ruleset *rs;
	struct buf text;

	buf_init(&text, 64u << 20);
	if (buf_read_file(&text, path) != 0)
		fail_msg("cannot read %s", path);
	rs = ruleset_from_pack((const char *)text.data, text.len, "bundled");
	buf_release(&text);
	return rs;
}

static void test_input_at_the_end_of_a_mapping(void **state)
{
	static const char text[] =
		"aws_access_key_id = AKIAQ3EGRKXZTV5RWQ7A\n"
		"export GITHUB_TOKEN=" GHP_VALID "\n"
		"password = \"q7Vr2mXk9pLs\" cat hat mat rat sat vat fat pat bat\n"
		"-----BEGIN RSA PRIVATE KEY----- xoxb-1234567890-abcdefghijkl sk_live_0123456789\n";
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *map = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
	struct ruleset *sets[2] = { load_test_ruleset(), NULL };
	char path[4096];
	size_t len, k;

	UNUSED(state);
	assert_true(map != MAP_FAILED);
	assert_int_equal(mprotect(map + pg, (size_t)pg, PROT_NONE), 0);
	snprintf(path, sizeof(path), "%s/rules/packs/secrets-v1.yaml",
		 getenv("SLUICE_SOURCE_DIR") ? getenv("SLUICE_SOURCE_DIR") : ".");
	sets[1] = load_ruleset_file(path);
	for (k = 0; k < 2; k++) {
		struct match_scratch *sc;

		assert_int_equal(match_scratch_new(sets[k], &sc), 0);
		for (len = 1; len < sizeof(text); len++)
			scan_guarded(sets[k], sc, map + pg, text + sizeof(text) - 1 - len, len);
		match_scratch_free(sc);
		ruleset_free(sets[k]);
	}
	munmap(map, (size_t)pg * 2);
}

static void test_long_line_far_from_start(void **state)
{
	/* A secret 100 KiB into one line, fed in small pieces, so its line
	 * start lies far outside the kept window. */
	struct ruleset *rs = load_test_ruleset();
	struct match_scratch *sc;
	struct found a, b;
	size_t pad = 100000, len;
	char *text = xmalloc(pad + 64);

	UNUSED(state);
	memset(text, 'a', pad);
	text[pad - 1] = ' ';
	len = pad + (size_t)snprintf(text + pad, 64, "%s\n", GHP_VALID);
	assert_int_equal(match_scratch_new(rs, &sc), 0);
	scan_cut(rs, sc, text, len, 0, 0, &a);
	scan_cut(rs, sc, text, len, 4096, 0, &b);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.f[0].line, 1);
	assert_int_equal(a.f[0].column, pad + 1);
	assert_same(&a, &b, "pieces of", 4096);
	match_scratch_free(sc);
	ruleset_free(rs);
	xfree(text);
}

static void test_unbounded_rule_refused(void **state)
{
	static const char pack[] =
		"pack: {id: bad, version: 1}\n"
		"rules:\n"
		"  - id: BAD-UNBOUNDED\n"
		"    name: bad\n"
		"    pattern: 'secret=[a-z]+'\n"
		"    remediation: none\n"
		"    examples: [{text: 'secret=abc', secret: 'secret=abc'}]\n";
	struct rulepack p;
	struct buf msg;

	UNUSED(state);
	buf_init(&msg, 1 << 16);
	assert_int_equal(rulepack_load_mem(pack, sizeof(pack) - 1, "bad", &p, &msg), 0);
	assert_int_equal(ruleset_check_rule(&p.rules[0], 8192, NULL, &msg), ERR_RULE);
	buf_append(&msg, "", 1);
	assert_non_null(strstr((char *)msg.data, "BAD-UNBOUNDED"));
	assert_non_null(strstr((char *)msg.data, "unbounded"));
	rulepack_release(&p);
	buf_release(&msg);
}

static void test_unknown_key_refused(void **state)
{
	static const char pack[] =
		"pack: {id: bad, version: 1}\n"
		"rules:\n"
		"  - id: BAD-KEY\n"
		"    name: bad\n"
		"    patern: 'x'\n";
	struct rulepack p;
	struct buf msg;

	UNUSED(state);
	buf_init(&msg, 1 << 16);
	assert_int_equal(rulepack_load_mem(pack, sizeof(pack) - 1, "bad", &p, &msg), ERR_SYNTAX);
	buf_append(&msg, "", 1);
	assert_non_null(strstr((char *)msg.data, "BAD-KEY: unknown key"));
	buf_release(&msg);
}

/* `line: match`: a PEM key is reported on its BEGIN line (line 3), not on
 * the line of its secret group (the first base64 line), however the
 * stream is cut; `line: secret` keeps the secret's line. */
static const char pem_pack[] =
	"pack: {id: pem, version: 1}\n"
	"rules:\n"
	"  - id: T-PEM\n"
	"    name: RSA private key\n"
	"    pattern: '-----BEGIN RSA PRIVATE KEY-----\\r?\\n[ \\t]{0,8}([A-Za-z0-9+/]{40,76})'\n"
	"    secret_group: 1\n"
	"    validators: [der-pkcs1]\n"
	"    line: match\n"
	"    tier: block\n"
	"    severity: critical\n"
	"    remediation: replace it\n"
	"    examples: [{text: \"-----BEGIN RSA PRIVATE KEY-----\\nMIIEpAIBAAKCAQEAgsQmu+nkKyJskzqeTcqmx6MUPCfL8+d+MD2ol8CLyQJRYO/6\\n\", "
	"secret: MIIEpAIBAAKCAQEAgsQmu+nkKyJskzqeTcqmx6MUPCfL8+d+MD2ol8CLyQJRYO/6}]\n"
	"  - id: T-PEM-SECRET-LINE\n"
	"    name: RSA private key, secret line\n"
	"    pattern: '-----BEGIN RSA PRIVATE KEY-----\\r?\\n[ \\t]{0,8}([A-Za-z0-9+/]{40,76})'\n"
	"    secret_group: 1\n"
	"    tier: block\n"
	"    severity: critical\n"
	"    remediation: replace it\n"
	"    examples: [{text: \"-----BEGIN RSA PRIVATE KEY-----\\nMIIEpAIBAAKCAQEAgsQmu+nkKyJskzqeTcqmx6MUPCfL8+d+MD2ol8CLyQJRYO/6\\n\", "
	"secret: MIIEpAIBAAKCAQEAgsQmu+nkKyJskzqeTcqmx6MUPCfL8+d+MD2ol8CLyQJRYO/6}]\n";

static void test_line_match_pem(void **state)
{
	static const char text[] =
		"# deploy key\n"
		"\n"
		"  -----BEGIN RSA PRIVATE KEY-----\r\n"
		"    MIIEpAIBAAKCAQEAgsQmu+nkKyJskzqeTcqmx6MUPCfL8+d+MD2ol8CLyQJRYO/6\r\n"
		"    ARq1LChtvq5yvaMp/bdTLX84Kg3HNszb6aCw/Hi6/kyOLsbhlDdCachdsXMcDdH1\r\n"
		"  -----END RSA PRIVATE KEY-----\r\n";
	struct ruleset *rs;
	struct match_scratch *sc;
	struct found whole;
	size_t len = sizeof(text) - 1;

	UNUSED(state);
	rs = ruleset_from_pack(pem_pack, sizeof(pem_pack) - 1, "pem");
	assert_int_equal(match_scratch_new(rs, &sc), 0);
	scan_cut(rs, sc, text, len, 0, 0, &whole);
	assert_int_equal(whole.n, 2);
	assert_string_equal(ruleset_rule(rs, whole.f[0].rule)->id, "T-PEM");
	assert_int_equal(whole.f[0].line, 3);
	assert_int_equal(whole.f[0].column, 3);
	assert_int_equal(whole.f[0].evidence, EVIDENCE_STRUCTURE);
	assert_string_equal(finding_evidence_name(whole.f[0].evidence), "structure");
	assert_string_equal(ruleset_rule(rs, whole.f[1].rule)->id, "T-PEM-SECRET-LINE");
	assert_int_equal(whole.f[1].line, 4);
	assert_int_equal(whole.f[1].column, 5);
	assert_int_equal(whole.f[1].evidence, EVIDENCE_PREFIX);
	assert_every_cut(rs, sc, text, len, 5, &whole);
	match_scratch_free(sc);
	ruleset_free(rs);
}

/* Path rules: a PKCS#12 file is found by name and magic, binary as it
 * is, with its git blob id as the secret, however the stream is cut; a
 * rule with paths and a pattern applies to files so named only. */
static const char path_pack[] =
	"pack: {id: paths, version: 1}\n"
	"rules:\n"
	"  - id: T-P12\n"
	"    name: PKCS#12 file\n"
	"    paths: ['*.p12']\n"
	"    validators: [pkcs12]\n"
	"    tier: block\n"
	"    severity: high\n"
	"    remediation: replace it\n"
	"    examples: [{path: x.p12, text: 'base64:MIIKMQIBAzCCCfcGCSqG'}]\n"
	"  - id: T-ENV-GHP\n"
	"    name: GitHub token in an env file\n"
	"    paths: ['*.env']\n"
	"    pattern: '\\bghp_[0-9A-Za-z]{36}\\b'\n"
	"    validators: [crc32-base62]\n"
	"    tier: block\n"
	"    severity: high\n"
	"    remediation: revoke it\n"
	"    examples: [{path: prod.env, text: 'T=" GHP_VALID "', secret: " GHP_VALID "}]\n"
	"    negative_examples: [{path: notes.txt, text: 'T=" GHP_VALID "'}]\n";

static void scan_named(const struct ruleset *rs, struct match_scratch *sc, const char *path,
		       const uint8_t *p, size_t len, size_t split, struct found *out)
{
	struct match_stream ms;

	assert_int_equal(match_stream_init(&ms, rs, sc), 0);
	assert_int_equal(match_stream_set_object(&ms, path, NULL, len), 0);
	if (split)
		assert_int_equal(match_stream_feed(&ms, p, split), 0);
	if (len > split)
		assert_int_equal(match_stream_feed(&ms, p + split, len - split), 0);
	assert_int_equal(match_stream_finish(&ms), 0);
	assert_true(ms.n_findings <= ARRAY_SIZE(out->f));
	out->n = ms.n_findings;
	if (ms.n_findings)
		memcpy(out->f, ms.findings, ms.n_findings * sizeof(struct finding));
	match_stream_release(&ms);
}

static void test_path_rules(void **state)
{
	/* DER SEQUENCE { INTEGER 3, ... } with NULs: a binary object */
	static const uint8_t p12[] = {
		0x30, 0x82, 0x0a, 0x31, 0x02, 0x01, 0x03, 0x30, 0x82, 0x09, 0xf7, 0x00, 0x0a, 0x00,
		'g', 'h', 'p', '_', 0x00, 0x0a, 0x41, 0x42,
	};
	static const char env[] = "A=1\nT=" GHP_VALID "\n";
	struct ruleset *rs;
	struct match_scratch *sc;
	struct found whole, cut;
	struct buf msg;
	size_t s;

	UNUSED(state);
	rs = ruleset_from_pack(path_pack, sizeof(path_pack) - 1, "paths");
	buf_init(&msg, 1 << 16);
	if (rulepack_check_examples(rs, &msg))
		fail_msg("%.*s", (int)msg.len, msg.data);
	buf_release(&msg);
	assert_int_equal(match_scratch_new(rs, &sc), 0);

	scan_named(rs, sc, "deploy/tls/client.p12", p12, sizeof(p12), 0, &whole);
	assert_int_equal(whole.n, 1);
	assert_string_equal(ruleset_rule(rs, whole.f[0].rule)->id, "T-P12");
	assert_int_equal(whole.f[0].line, 1);
	assert_int_equal(whole.f[0].evidence, EVIDENCE_STRUCTURE);
	assert_int_equal(whole.f[0].secret_len, 40);	/* a SHA-1 blob id in hex */
	for (s = 0; s <= sizeof(p12); s++) {
		scan_named(rs, sc, "deploy/tls/client.p12", p12, sizeof(p12), s, &cut);
		assert_same(&whole, &cut, "split at", s);
	}
	/* other name, empty file, no name: nothing */
	scan_named(rs, sc, "deploy/tls/client.bin", p12, sizeof(p12), 0, &cut);
	assert_int_equal(cut.n, 0);
	scan_named(rs, sc, "deploy/tls/empty.p12", p12, 0, 0, &cut);
	assert_int_equal(cut.n, 0);
	scan_cut(rs, sc, (const char *)p12, sizeof(p12), 0, 0, &cut);
	assert_int_equal(cut.n, 0);

	/* paths + pattern: only in *.env; with no name known, everywhere */
	scan_named(rs, sc, "config/prod.env", (const uint8_t *)env, strlen(env), 0, &cut);
	assert_int_equal(cut.n, 1);
	assert_int_equal(cut.f[0].line, 2);
	scan_named(rs, sc, "config/prod.txt", (const uint8_t *)env, strlen(env), 0, &cut);
	assert_int_equal(cut.n, 0);
	scan_cut(rs, sc, env, strlen(env), 0, 0, &cut);
	assert_int_equal(cut.n, 1);
	match_scratch_free(sc);
	ruleset_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32_base62),
		cmocka_unit_test(test_jwt),
		cmocka_unit_test(test_entropy_and_placeholders),
		cmocka_unit_test(test_examples_pass),
		cmocka_unit_test(test_every_split),
		cmocka_unit_test(test_binary_block_tier_only),
		cmocka_unit_test(test_long_line_far_from_start),
		cmocka_unit_test(test_input_at_the_end_of_a_mapping),
		cmocka_unit_test(test_unbounded_rule_refused),
		cmocka_unit_test(test_unknown_key_refused),
		cmocka_unit_test(test_line_match_pem),
		cmocka_unit_test(test_path_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
