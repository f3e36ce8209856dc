/*
 * test_iac_eval.c - iac/eval/: the check loader's validation (one message
 * per problem, naming the check), operators and three-valued combinators,
 * suppressions in every form (iac.md §7), the per-file findings cap,
 * determinism and sharing one checkset between threads.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/base/err-t.h"
#include "core/base/limits.h"
#include "core/iac/iac.h"

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <cmocka.h>

#define EX "    examples: {positive: [{name: p.tf, text: 'resource \"t\" \"a\" {}', lines: [1]}],\n" \
	   "               negative: [{name: n.tf, text: 'x = 1'}]}\n"

static int load(const char *text, struct iac_checkset **cs, struct buf *msg)
{
	const char *t[1] = { text };
	size_t l[1] = { strlen(text) };

	buf_reset(msg);
	return iac_checkset_load(t, l, 1, cs, msg);
}

static bool msg_has(const struct buf *msg, const char *s)
{
	return msg->len && memmem(msg->data, msg->len, s, strlen(s));
}

/* --- loader ------------------------------------------------------------------ */

static void loader_rejects_with_check_id(void **state)
{
	static const struct {
		const char *body;	/* the check after "  - id: X-1\n" */
		const char *want;	/* expected message fragment */
	} bad[] = {
		{ "    title: t\n    severity: high\n    remediation: r\n    bindings:\n"
		  "      - {format: terraform, types: [t], fail_if: {attr: a, op: eq, value: 1}}\n" EX,
		  "X-1: bindings[0].fail_if: unknown operator 'eq'" },
		{ "    title: t\n    severity: high\n    remediation: r\n    bindings:\n"
		  "      - {format: pulumi, types: [t], fail_if: {attr: a, op: exists}}\n" EX,
		  "X-1: bindings[0]: format must be" },
		{ "    title: t\n    severity: high\n    remediation: r\n    bindings:\n"
		  "      - {format: terraform, types: [t], fail_if: {attr: 'a..b', op: exists}}\n" EX,
		  "X-1: bindings[0].fail_if.attr: path 'a..b': empty segment" },
		{ "    title: t\n    severity: high\n    remediation: r\n    bindings:\n"
		  "      - {format: terraform, types: [t], fail_if: {attr: '$pod.x', op: exists}}\n" EX,
		  "unknown anchor for this format" },
		{ "    title: t\n    severity: high\n    remediation: r\n    bindings:\n"
		  "      - {format: terraform, types: [t], fail_if: {attr: 'a.', op: exists}}\n" EX,
		  "trailing '.'" },
		{ "    title: t\n    severity: high\n    remediation: r\n    bindings:\n"
		  "      - {format: terraform, types: [t], fail_if: {attr: a, op: regex, value: '(['}}\n" EX,
		  "X-1: bindings[0].fail_if: regex does not compile" },
		{ "    title: t\n    severity: high\n    remediation: r\n    bindings:\n"
		  "      - {format: terraform, types: [t], fail_if: {attr: a, op: exists, value: 1}}\n" EX,
		  "operator 'exists' takes no value" },
		{ "    title: t\n    severity: high\n    remediation: r\n    bindings:\n"
		  "      - {format: terraform, types: [t], fail_if: {attr: a, op: port_range_contains, value: http}}\n" EX,
		  "port_range_contains needs a port number" },
		{ "    title: t\n    severity: high\n    remediation: r\n    bindings:\n"
		  "      - {format: terraform, types: [t], fail_if: {attr: a, all_of: []}}\n" EX,
		  "exactly one of attr, all_of" },
		{ "    title: t\n    severity: urgent\n    remediation: r\n    bindings:\n"
		  "      - {format: terraform, types: [t], fail_if: {attr: a, op: exists}}\n" EX,
		  "X-1: severity must be" },
		{ "    title: t\n    severity: high\n    remediation: r\n    colour: red\n    bindings:\n"
		  "      - {format: terraform, types: [t], fail_if: {attr: a, op: exists}}\n" EX,
		  "X-1: unknown key 'colour'" },
		{ "    title: t\n    severity: high\n    remediation: r\n    bindings:\n"
		  "      - {format: terraform, types: [t], fail_if: {attr: a, op: exists}}\n"
		  "    examples: {positive: [{name: p.tf, text: x}], negative: [{name: n.tf, text: y}]}\n",
		  "X-1: examples.positive[0]: a positive example needs lines" },
		{ "    title: t\n    severity: high\n    remediation: r\n    bindings:\n"
		  "      - {format: terraform, types: [t], fail_if: {attr: a, op: exists}}\n"
		  "    examples: {positive: [{file: /etc/passwd, lines: [1]}], negative: [{name: n.tf, text: y}]}\n",
		  "file must be a path relative to the pack" },
		{ "    title: t\n    severity: high\n    remediation: r\n    bindings:\n"
		  "      - {format: terraform, types: [t], fail_if: {attr: a, op: exists}}\n"
		  "    examples: {positive: [{name: p.tf, text: x, lines: [1]}]}\n",
		  "at least one positive and one negative example" },
		{ "    title: t\n    severity: high\n    remediation: r\n    bindings:\n"
		  "      - {format: terraform, types: [t], each: [x], fail_if: {attr: a, op: exists}}\n" EX,
		  "each is for kubernetes bindings" },
	};
	struct iac_checkset *cs = (void *)1;
	struct buf msg, text;
	size_t i;

	UNUSED(state);
	buf_init(&msg, 1 << 16);
	buf_init(&text, 1 << 16);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		int rc;

		buf_reset(&text);
		buf_printf(&text, "pack: {id: t, version: 1}\nchecks:\n  - id: X-1\n%s", bad[i].body);
		buf_append(&text, "", 1);
		rc = load((const char *)text.data, &cs, &msg);
		if (rc != ERR_RULE || !msg_has(&msg, bad[i].want))
			fprintf(stderr, "case %zu: rc %d, msg:\n%.*s", i, rc, (int)msg.len, (char *)msg.data);
		assert_int_equal(rc, ERR_RULE);
		assert_null(cs);
		assert_true(msg_has(&msg, bad[i].want));
	}
	/* YAML syntax error. */
	assert_int_equal(load("pack: {id: t\nchecks: [", &cs, &msg), ERR_SYNTAX);
	assert_true(msg_has(&msg, "line"));
	buf_release(&text);
	buf_release(&msg);
}

static const char good_pack[] =
	"pack: {id: good, version: 1}\n"
	"checks:\n"
	"  - id: G-1\n"
	"    title: good one\n"
	"    severity: high\n"
	"    remediation: fix it\n"
	"    references: [https://example.com/a]\n"
	"    mapped: [CKV_X_1, DL0001]\n"
	"    bindings:\n"
	"      - {format: terraform, types: [t], fail_if: {attr: a, op: exists}}\n"
	"      - {format: bicep, types: [Microsoft.X/y], fail_if: {attr: properties.a, op: exists}}\n"
	"    examples:\n"
	"      positive: [{file: x/p.tf, lines: [9, 3]}, {name: p.bicep, text: 'a', unknown: [2]}]\n"
	"      negative: [{file: x/n.tf}]\n";

static void loader_accepts_and_describes(void **state)
{
	struct iac_checkset *cs = NULL;
	const struct iac_check_info *ci;
	struct buf msg;
	const char *t[2];
	size_t l[2];
	int rc;

	UNUSED(state);
	buf_init(&msg, 1 << 16);
	rc = load(good_pack, &cs, &msg);
	if (rc)
		fprintf(stderr, "%.*s", (int)msg.len, (char *)msg.data);
	assert_int_equal(rc, 0);
	assert_int_equal(iac_checkset_count(cs), 1);
	ci = iac_checkset_info(cs, 0);
	assert_string_equal(ci->id, "G-1");
	assert_int_equal(ci->severity, SEV_HIGH);
	assert_int_equal(ci->families, IAC_FAM_TERRAFORM | IAC_FAM_ARM);
	assert_int_equal(ci->n_mapped, 2);
	assert_string_equal(ci->mapped[1], "DL0001");
	assert_int_equal(ci->n_examples, 3);
	assert_string_equal(ci->examples[0].file, "x/p.tf");
	assert_int_equal(ci->examples[0].n_lines, 2);
	assert_int_equal(ci->examples[0].lines[0], 3);	/* sorted */
	assert_int_equal(ci->examples[1].n_unknown, 1);
	assert_true(ci->examples[2].file && !ci->examples[2].positive);
	assert_null(iac_checkset_info(cs, 1));
	assert_int_equal(iac_checkset_find(cs, "nope"), -1);
	iac_checkset_free(cs);
	/* The same id in two packs is refused. */
	t[0] = t[1] = good_pack;
	l[0] = l[1] = sizeof(good_pack) - 1;
	buf_reset(&msg);
	assert_int_equal(iac_checkset_load(t, l, 2, &cs, &msg), ERR_RULE);
	assert_true(msg_has(&msg, "G-1: duplicate check id"));
	assert_null(cs);
	buf_release(&msg);
}

/* --- operators ------------------------------------------------------------------ */

#define OPCHECK(id, cond) \
	"  - id: " id "\n    title: op " id "\n    severity: low\n    remediation: r\n" \
	"    bindings: [{format: terraform, types: [t], fail_if: " cond "}]\n" EX

static const char ops_pack[] =
	"pack: {id: ops, version: 1}\n"
	"checks:\n"
	OPCHECK("EQ", "{attr: a, op: equals, value: X}")
	OPCHECK("EQCS", "{attr: a, op: equals, value: X, case_sensitive: true}")
	OPCHECK("NE", "{attr: a, op: not_equals, value: X}")
	OPCHECK("IN", "{attr: b, op: in, value: [p, q]}")
	OPCHECK("NIN", "{attr: b, op: not_in, value: [p, q], missing: true}")
	OPCHECK("RE", "{attr: c, op: regex, value: '^v[0-9]+$'}")
	OPCHECK("NRE", "{attr: c, op: not_regex, value: '^v[0-9]+$'}")
	OPCHECK("GT", "{attr: n, op: gt, value: 10}")
	OPCHECK("LE", "{attr: n, op: le, value: 10}")
	OPCHECK("VER", "{attr: ver, op: lt, value: '2019-04-01'}")
	OPCHECK("CIDR", "{attr: cidr, op: cidr_is_world}")
	OPCHECK("PORT", "{attr: ports, op: port_range_contains, value: 22}")
	OPCHECK("EMPTY", "{attr: list, op: empty}")
	OPCHECK("NEMPTY", "{attr: list, op: not_empty}")
	OPCHECK("TRUE", "{attr: flag, op: is_true}")
	OPCHECK("NTRUE", "{attr: flag, op: not_true, missing: true}")
	OPCHECK("FALSE", "{attr: flag, op: is_false}")
	OPCHECK("NFALSE", "{attr: flag, op: not_false}")
	OPCHECK("LIT", "{attr: key, op: is_literal}")
	OPCHECK("ALLV", "{attr: vals, op: equals, value: ok, quantifier: all}")
	OPCHECK("NOT", "{not: {attr: a, op: exists}}")
	OPCHECK("ALLOF", "{all_of: [{attr: a, op: exists}, {attr: b, op: exists}]}")
	OPCHECK("ANYOF", "{any_of: [{attr: a, op: equals, value: X}, {attr: b, op: equals, value: p}]}")
	OPCHECK("ALLI", "{all: item, match: {attr: v, op: equals, value: bad}}")
	OPCHECK("ANYI", "{any: item, match: {attr: v, op: equals, value: bad}}")
	OPCHECK("STAR", "{attr: 'm.*.v', op: equals, value: bad}");

static const char ops_tf[] =
	"variable \"k\" { default = \"AKIA\" }\n"
	"variable \"u\" {}\n"
	"resource \"t\" \"r1\" {\n"
	"  a     = \"x\"\n"
	"  b     = \"q\"\n"
	"  c     = \"v12\"\n"
	"  n     = 11\n"
	"  ver   = \"2018-11-30\"\n"
	"  cidr  = [\"10.0.0.0/8\", \"::/0\"]\n"
	"  ports = [\"80\", \"20-25\"]\n"
	"  list  = []\n"
	"  flag  = true\n"
	"  key   = var.k\n"
	"  vals  = [\"ok\", \"ok\"]\n"
	"  item { v = \"bad\" }\n"
	"  item { v = \"bad\" }\n"
	"  m     = { one = { v = \"good\" }, two = { v = \"bad\" } }\n"
	"}\n"
	"resource \"t\" \"r2\" {\n"
	"  a     = \"Y\"\n"
	"  b     = \"z\"\n"
	"  c     = \"w12\"\n"
	"  n     = \"10\"\n"
	"  ver   = \"2021-01-01\"\n"
	"  cidr  = \"Internet\"\n"
	"  ports = \"*\"\n"
	"  list  = [1]\n"
	"  flag  = \"false\"\n"
	"  key   = var.u\n"
	"  vals  = [\"ok\", \"no\"]\n"
	"  item { v = \"bad\" }\n"
	"  item { v = \"good\" }\n"
	"}\n"
	"resource \"t\" \"r3\" {\n"
	"  a     = var.u\n"
	"  n     = var.u\n"
	"  ports = \"2222\"\n"
	"}\n";

static void operators_matrix(void **state)
{
	/* Expected result per check for r1, r2, r3: F = FAIL, U = UNKNOWN,
	 * . = PASS. */
	static const struct {
		const char *id, *want;
	} t[] = {
		{ "EQ", "F.U" }, { "EQCS", "..U" }, { "NE", ".FU" }, { "IN", "F.." }, { "NIN", ".FF" },
		{ "RE", "F.." }, { "NRE", ".F." }, { "GT", "F.U" }, { "LE", ".FU" }, { "VER", "F.." },
		{ "CIDR", "FF." }, { "PORT", "FF." }, { "EMPTY", "F.." }, { "NEMPTY", ".F." },
		{ "TRUE", "F.." }, { "NTRUE", ".FF" }, { "FALSE", ".F." }, { "NFALSE", "F.." },
		{ "LIT", "F.." }, { "ALLV", "F.." }, { "NOT", "..." }, { "ALLOF", "FF." }, { "ANYOF", "F.U" },
		{ "ALLI", "F.." }, { "ANYI", "FF." }, { "STAR", "F.." },
	};
	static const char *const res[] = { "t.r1", "t.r2", "t.r3" };
	struct iac_checkset *cs = NULL;
	struct iac_finding *f = NULL;
	size_t nf = 0, i, r, k;
	struct buf msg;
	int bad = 0;

	UNUSED(state);
	buf_init(&msg, 1 << 16);
	if (load(ops_pack, &cs, &msg))
		fprintf(stderr, "%.*s", (int)msg.len, (char *)msg.data);
	assert_non_null(cs);
	assert_int_equal(iac_scan(cs, "ops.tf", (const uint8_t *)ops_tf, sizeof(ops_tf) - 1, &f, &nf), 0);
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		long ci = iac_checkset_find(cs, t[i].id);

		assert_true(ci >= 0);
		for (r = 0; r < 3; r++) {
			char got = '.';

			for (k = 0; k < nf; k++)
				if (f[k].check == (uint32_t)ci && !strcmp(f[k].resource, res[r]))
					got = f[k].result == IAC_FAIL ? 'F' : 'U';
			if (got != t[i].want[r]) {
				fprintf(stderr, "%s on %s: got %c want %c\n", t[i].id, res[r], got, t[i].want[r]);
				bad++;
			}
		}
	}
	for (k = 0; k < nf; k++)
		assert_int_not_equal(f[k].check, IAC_CHECK_NONE);
	assert_int_equal(bad, 0);
	xfree(f);
	iac_checkset_free(cs);
	buf_release(&msg);
}

/* --- suppressions ------------------------------------------------------------------ */

static struct iac_checkset *probe;

static int setup_probe(void **state)
{
	const char *src = getenv("SLUICE_SOURCE_DIR");
	char path[4096];
	struct buf msg;
	FILE *fp;
	char *text;
	long n;
	int rc;

	UNUSED(state);
	snprintf(path, sizeof(path), "%s/tests/fixtures/iac/probe-pack.yaml", src ? src : ".");
	fp = fopen(path, "rb");
	if (!fp)
		return -1;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	text = xmalloc((size_t)n + 1);
	if (!text || fread(text, 1, (size_t)n, fp) != (size_t)n) {
		fclose(fp);
		xfree(text);
		return -1;
	}
	text[n] = '\0';
	fclose(fp);
	buf_init(&msg, 1 << 16);
	rc = load(text, &probe, &msg);
	buf_release(&msg);
	xfree(text);
	return rc;
}

static int teardown_probe(void **state)
{
	UNUSED(state);
	iac_checkset_free(probe);
	return 0;
}

/* Scans with a fixed clock (2025-06-01) and returns the finding of check
 * id at line, or fails. */
static struct iac_finding get(const char *path, const char *text, bool checkov, const char *id,
			      uint32_t line, size_t *total)
{
	struct iac_scan_opts o;
	struct iac_finding *f = NULL, r;
	size_t nf = 0, i;
	long ci = iac_checkset_find(probe, id);

	iac_scan_opts_default(&o);
	o.now = 1748736000;	/* 2025-06-01 */
	o.honour_checkov = checkov;
	assert_int_equal(iac_scan_ex(probe, &o, path, (const uint8_t *)text, strlen(text), &f, &nf), 0);
	memset(&r, 0, sizeof(r));
	r.check = IAC_CHECK_NONE;
	for (i = 0; i < nf; i++)
		if (f[i].check == (uint32_t)ci && f[i].line == line)
			r = f[i];
	if (r.check == IAC_CHECK_NONE)
		for (i = 0; i < nf; i++)
			fprintf(stderr, "  L%u %s %s\n", f[i].line, f[i].found, f[i].suppress_reason);
	assert_int_equal(r.check, (uint32_t)ci);
	if (total)
		*total = nf;
	xfree(f);
	return r;
}

static void suppress_terraform(void **state)
{
	struct iac_finding f;

	UNUSED(state);
	/* Inside the block. */
	f = get("a.tf", "resource \"probe\" \"a\" {\n  x = 1 # sluice:ignore=P-TF reason=\"lab only\"\n}\n",
		false, "P-TF", 2, NULL);
	assert_true(f.suppressed);
	assert_string_equal(f.suppress_reason, "lab only");
	/* The line above the header, several ids. */
	f = get("a.tf", "// sluice:ignore=P-TF-SET,P-TF reason='both'\nresource \"probe\" \"a\" {\n  x = 1\n}\n",
		false, "P-TF-SET", 2, NULL);
	assert_true(f.suppressed);
	assert_string_equal(f.suppress_reason, "both");
	/* Two lines above: another resource's business. */
	f = get("a.tf", "# sluice:ignore=P-TF reason=\"x\"\n\nresource \"probe\" \"a\" {\n  x = 1\n}\n",
		false, "P-TF", 4, NULL);
	assert_false(f.suppressed);
	/* Issue syntax: id then free-text reason, in a block comment. */
	f = get("a.tf", "resource \"probe\" \"a\" {\n  /* sluice:ignore P-TF accepted risk, ticket 42 */\n  x = 1\n}\n",
		false, "P-TF", 3, NULL);
	assert_true(f.suppressed);
	assert_string_equal(f.suppress_reason, "accepted risk, ticket 42");
	/* No reason: does not apply, and says why. */
	f = get("a.tf", "resource \"probe\" \"a\" {\n  x = 1 # sluice:ignore=P-TF\n}\n", false, "P-TF", 2, NULL);
	assert_false(f.suppressed);
	assert_non_null(strstr(f.suppress_reason, "no reason"));
	/* Expired. */
	f = get("a.tf", "resource \"probe\" \"a\" {\n  x = 1 # sluice:ignore=P-TF reason=\"tmp\" until=2025-01-31\n}\n",
		false, "P-TF", 2, NULL);
	assert_false(f.suppressed);
	assert_non_null(strstr(f.suppress_reason, "expired 2025-01-31"));
	f = get("a.tf", "resource \"probe\" \"a\" {\n  x = 1 # sluice:ignore=P-TF reason=\"tmp\" until=2099-01-31\n}\n",
		false, "P-TF", 2, NULL);
	assert_true(f.suppressed);
	/* Not in a comment: a string value is not a suppression. */
	f = get("a.tf", "resource \"probe\" \"a\" {\n  x = \"sluice:ignore=P-TF reason=x\"\n}\n", false, "P-TF", 2, NULL);
	assert_false(f.suppressed);
	/* Another check's id does not apply. */
	f = get("a.tf", "resource \"probe\" \"a\" {\n  x = 1 # sluice:ignore=P-TF-SET reason=\"x\"\n}\n",
		false, "P-TF", 2, NULL);
	assert_false(f.suppressed);
	/* checkov:skip through mapped ids, only when honoured. */
	f = get("a.tf", "resource \"probe\" \"a\" {\n  # checkov:skip=CKV_PROBE_1:legacy system\n  x = 1\n}\n",
		true, "P-TF", 3, NULL);
	assert_true(f.suppressed);
	assert_string_equal(f.suppress_reason, "legacy system");
	f = get("a.tf", "resource \"probe\" \"a\" {\n  # checkov:skip=CKV_PROBE_1:legacy system\n  x = 1\n}\n",
		false, "P-TF", 3, NULL);
	assert_false(f.suppressed);
	f = get("a.tf", "resource \"probe\" \"a\" {\n  # checkov:skip=P-TF:not a checkov id\n  x = 1\n}\n",
		true, "P-TF", 3, NULL);
	assert_false(f.suppressed);
}

static void suppress_dockerfile(void **state)
{
	struct iac_finding f;

	UNUSED(state);
	f = get("Dockerfile", "FROM alpine:3\n# sluice:ignore=P-DKR reason=\"vendor tool\"\n\nRUN probe\n",
		false, "P-DKR", 4, NULL);
	assert_true(f.suppressed);
	f = get("Dockerfile", "FROM alpine:3\n# sluice:ignore=P-DKR reason=\"x\"\nRUN true\nRUN probe\n",
		false, "P-DKR", 4, NULL);
	assert_false(f.suppressed);
	f = get("Dockerfile", "# sluice:ignore-file=P-DKR reason=\"whole file\"\nFROM alpine:3\nRUN true\nRUN probe\n",
		false, "P-DKR", 4, NULL);
	assert_true(f.suppressed);
	f = get("Dockerfile", "FROM alpine:3\n# checkov:skip=DL9999: hadolint id mapped\nRUN probe\n",
		true, "P-DKR", 3, NULL);
	assert_true(f.suppressed);
}

static void suppress_structured(void **state)
{
	struct iac_finding f;

	UNUSED(state);
	/* Kubernetes annotation. */
	f = get("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n"
		"    sluice.io/ignore.P-K8S: \"test data\"\ndata:\n  x: bad\n", false, "P-K8S", 8, NULL);
	assert_true(f.suppressed);
	assert_string_equal(f.suppress_reason, "test data");
	f = get("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n"
		"    checkov.io/skip1: CKV_K8S_PROBE=fine\ndata:\n  x: bad\n", true, "P-K8S", 8, NULL);
	assert_true(f.suppressed);
	assert_string_equal(f.suppress_reason, "fine");
	/* YAML comment inside the object. */
	f = get("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n"
		"  x: bad  # sluice:ignore=P-K8S reason=\"inline\"\n", false, "P-K8S", 5, NULL);
	assert_true(f.suppressed);
	/* ARM metadata. */
	f = get("t.json", "{\"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\",\n"
		"\"resources\": [{\"type\": \"Microsoft.Test/things\", \"name\": \"a\",\n"
		"\"metadata\": {\"sluice:ignore\": [{\"id\": \"P-ARM\", \"reason\": \"arm says so\"}]},\n"
		"\"properties\": {\"x\": 1}}]}\n", false, "P-ARM", 4, NULL);
	assert_true(f.suppressed);
	assert_string_equal(f.suppress_reason, "arm says so");
	/* CloudFormation Metadata, ours and Checkov's. */
	f = get("s.yaml", "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  A:\n    Type: AWS::Test::Thing\n"
		"    Metadata:\n      sluice:\n        ignore:\n          - {id: P-CFN, reason: cfn ok}\n"
		"    Properties:\n      X: bad\n", false, "P-CFN", 10, NULL);
	assert_true(f.suppressed);
	f = get("s.yaml", "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  A:\n    Type: AWS::Test::Thing\n"
		"    Metadata:\n      checkov:\n        skip:\n          - {id: CKV_PROBE_CFN, comment: known}\n"
		"    Properties:\n      X: bad\n", true, "P-CFN", 10, NULL);
	assert_true(f.suppressed);
	assert_string_equal(f.suppress_reason, "known");
}

/* --- caps, determinism, threads ----------------------------------------------------- */

static void findings_cap(void **state)
{
	struct buf b;
	struct iac_finding *f = NULL;
	size_t nf = 0, i;

	UNUSED(state);
	buf_init(&b, 1 << 24);
	for (i = 0; i < 1200; i++)
		buf_printf(&b, "resource \"probe\" \"r%zu\" {\n  x = 1\n  must = 1\n}\n", i);
	assert_int_equal(iac_scan(probe, "many.tf", b.data, b.len, &f, &nf), 0);
	assert_int_equal(nf, LIMIT_IAC_FINDINGS_PER_FILE);
	assert_int_equal(f[nf - 1].check, IAC_CHECK_NONE);
	assert_non_null(strstr(f[nf - 1].found, "limit: more than"));
	assert_int_equal(f[0].line, 2);
	/* Findings are appended to what the caller already has. */
	assert_int_equal(iac_scan(probe, "one.tf", (const uint8_t *)"resource \"probe\" \"a\" {\n  x = 1\n}\n",
				  32, &f, &nf), 0);
	assert_int_equal(nf, LIMIT_IAC_FINDINGS_PER_FILE + 2);
	xfree(f);
	buf_release(&b);
}

struct job {
	const char *text;
	size_t len;
	struct iac_finding *ref;
	size_t nref;
	int bad;
};

static void *worker(void *arg)
{
	struct job *j = arg;
	int k;

	for (k = 0; k < 40; k++) {
		struct iac_finding *f = NULL;
		size_t nf = 0;

		if (iac_scan(probe, "w.tf", (const uint8_t *)j->text, j->len, &f, &nf) || nf != j->nref ||
		    memcmp(f, j->ref, nf * sizeof(*f)))
			j->bad++;
		xfree(f);
	}
	return NULL;
}

static void deterministic_and_thread_safe(void **state)
{
	static const char tf[] =
		"variable \"v\" { default = \"bad\" }\n"
		"resource \"probe\" \"a\" {\n  x = 1\n  v = var.v\n}\n"
		"resource \"probe\" \"b\" {\n  v = \"${var.w}\" # sluice:ignore=P-TF-BAD reason=\"r\"\n}\n";
	struct job j = { .text = tf, .len = sizeof(tf) - 1 };
	pthread_t th[2];
	int i;

	UNUSED(state);
	assert_int_equal(iac_scan(probe, "w.tf", (const uint8_t *)tf, j.len, &j.ref, &j.nref), 0);
	assert_int_equal(j.nref, 5);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, worker, &j), 0);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(j.bad, 0);
	xfree(j.ref);
}

/* Many variables, references, partners and suppression comments in one
 * file: every lookup is hashed, so this stays linear (a quadratic engine
 * needs minutes here, far beyond the bound). */
static void hostile_file_stays_linear(void **state)
{
	struct buf b;
	struct iac_finding *f = NULL;
	size_t nf = 0, i;
	struct timespec t0, t1;
	double secs;

	UNUSED(state);
	buf_init(&b, 8u << 20);
	for (i = 0; i < 20000; i++)
		buf_printf(&b, "variable \"v%zu\" { default = \"good\" } # sluice:ignore=P-TF reason=\"r\"\n", i);
	for (i = 0; i < 20000; i++)
		buf_printf(&b, "resource \"probe\" \"r%zu\" {\n  v = var.v%zu\n  must = local.m\n}\n", i, 19999 - i);
	buf_printf(&b, "locals {\n  m = 1\n}\n");
	assert_true(b.len < LIMIT_IAC_FILE_BYTES_DEFAULT);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(iac_scan(probe, "big.tf", b.data, b.len, &f, &nf), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr, "hostile file: %zu bytes in %.3f s, %zu findings\n", b.len, secs, nf);
	assert_int_equal(nf, 0);	/* every v resolves to "good", must is set */
	assert_true(secs < 20.0);
	xfree(f);
	buf_release(&b);
}

/* The optional wall-clock budget: 1 ms per MiB cannot hold for parsing
 * 3.5 MB of JSON (that would be over 3 GB/s). */
static void time_budget(void **state)
{
	struct buf b;
	struct iac_scan_opts o;
	struct iac_finding *f = NULL;
	size_t nf = 0, i;

	UNUSED(state);
	buf_init(&b, 8u << 20);
	buf_printf(&b, "{\"AWSTemplateFormatVersion\": \"2010-09-09\", \"x\": [");
	for (i = 0; i < 90000; i++)
		buf_printf(&b, "\"abcdefghijklmnopqrstuvwxyz0123456789\",");
	buf_printf(&b, "1]}");
	iac_scan_opts_default(&o);
	o.time_ms_per_mib = 1;
	assert_int_equal(iac_scan_ex(probe, &o, "t.json", b.data, b.len, &f, &nf), 0);
	assert_int_equal(nf, 1);
	assert_int_equal(f[0].check, IAC_CHECK_NONE);
	assert_non_null(strstr(f[0].found, "time budget"));
	xfree(f);
	f = NULL;
	nf = 0;
	o.time_ms_per_mib = 0;
	assert_int_equal(iac_scan_ex(probe, &o, "t.json", b.data, b.len, &f, &nf), 0);
	assert_int_equal(nf, 0);
	xfree(f);
	buf_release(&b);
}

static void usage_errors(void **state)
{
	struct iac_finding *f = NULL;
	size_t nf = 0;

	UNUSED(state);
	assert_int_equal(iac_scan(NULL, "a.tf", (const uint8_t *)"", 0, &f, &nf), ERR_USAGE);
	assert_int_equal(iac_scan(probe, "a.tf", NULL, 3, &f, &nf), ERR_USAGE);
	assert_int_equal(iac_scan(probe, "a.tf", (const uint8_t *)"", 0, NULL, &nf), ERR_USAGE);
	assert_int_equal(iac_scan(probe, NULL, (const uint8_t *)"resource \"probe\" \"a\" { x = 1 }", 30, &f, &nf), 0);
	assert_int_equal(nf, 0);	/* no path: HCL is not sniffed */
	assert_string_equal(iac_result_name(IAC_FAIL), "FAIL");
	assert_string_equal(iac_format_name(IAC_BICEP), "bicep");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(loader_rejects_with_check_id),
		cmocka_unit_test(loader_accepts_and_describes),
		cmocka_unit_test(operators_matrix),
		cmocka_unit_test_setup_teardown(suppress_terraform, setup_probe, teardown_probe),
		cmocka_unit_test_setup_teardown(suppress_dockerfile, setup_probe, teardown_probe),
		cmocka_unit_test_setup_teardown(suppress_structured, setup_probe, teardown_probe),
		cmocka_unit_test_setup_teardown(findings_cap, setup_probe, teardown_probe),
		cmocka_unit_test_setup_teardown(deterministic_and_thread_safe, setup_probe, teardown_probe),
		cmocka_unit_test_setup_teardown(hostile_file_stays_linear, setup_probe, teardown_probe),
		cmocka_unit_test_setup_teardown(time_budget, setup_probe, teardown_probe),
		cmocka_unit_test_setup_teardown(usage_errors, setup_probe, teardown_probe),
	};

	return cmocka_run_group_tests_name("iac/eval/", tests, NULL, NULL);
}
