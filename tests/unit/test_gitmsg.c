/*
 * test_gitmsg.c - report/gitmsg/: what git shows a developer.  Every reply
 * is parsed back with the pkt-line decoder (side-band mode, then the
 * report-status inside band 1): band-2 lines are printable ASCII of at
 * most GITMSG_COLUMNS, name commit, path:line, rule, severity, redacted
 * value and fingerprint, the hints and the incident; band 1 holds
 * "unpack refused by sluice: <ID>" and one "ng <ref> <reason>" per
 * command, then a flush.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/base/limits.h"
#include "core/decode/dec_pktline.h"
#include "core/push/push-t.h"
#include "core/report/gitmsg.h"
#include "core/verdict/verdict.h"

#include <stdio.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#define COMMIT1 "2d4fc136b0071f2ac3e5d1b9e7a8c6f4d2b0a9e8"
#define COMMIT2 "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432"

/* --- parsing a reply back -------------------------------------------------- */

struct reply {
	struct buf band1;		/* band-1 data, concatenated */
	struct buf text;		/* band-2 lines, concatenated */
	size_t n_band2, n_band3, n_flush;
	size_t after_flush;		/* pkts after the first flush */
	bool band2_after_band1;		/* a remote: line after the report */
};

struct report_status {
	char **lines;			/* data pkts, NUL-terminated */
	size_t n;
	size_t flush_at;		/* index of the pkt before the flush */
	size_t n_flush;
	size_t after_flush;		/* pkts after the first flush */
};

static int on_band_pkt(void *arg, enum pkt_kind kind, const uint8_t *p, size_t n)
{
	struct reply *r = arg;
	size_t i;

	if (r->n_flush)
		r->after_flush++;
	switch (kind) {
	case PKT_FLUSH:
		r->n_flush++;
		break;
	case PKT_BAND1:
		break;	/* the sink has it */
	case PKT_BAND2:
		if (r->band1.len)
			r->band2_after_band1 = true;
		r->n_band2++;
		/* One line: printable ASCII, LF-terminated, within the width. */
		assert_true(n >= 1);
		assert_int_equal(p[n - 1], '\n');
		if (n - 1 > GITMSG_COLUMNS)
			fail_msg("line of %zu columns: %.*s", n - 1, (int)n, (const char *)p);
		for (i = 0; i + 1 < n; i++)
			if (p[i] < 0x20 || p[i] > 0x7e)
				fail_msg("byte 0x%02x in line: %.*s", p[i], (int)n, (const char *)p);
		assert_int_equal(buf_append(&r->text, p, n), 0);
		break;
	case PKT_BAND3:
		r->n_band3++;
		break;
	default:
		fail_msg("unexpected pkt kind %d", (int)kind);
	}
	return 0;
}

static int band1_sink(void *ctx, const uint8_t *p, size_t n)
{
	return buf_append(ctx, p, n);
}

static int discard(void *ctx, const uint8_t *p, size_t n)
{
	UNUSED(ctx);
	UNUSED(p);
	UNUSED(n);
	return 0;
}

static void parse_sideband(const struct buf *out, struct reply *r)
{
	struct dec_pktline d;
	struct dec_pktline_params pp = { on_band_pkt, r, DEC_PKTLINE_SIDEBAND };
	struct dec_sink sink = { band1_sink, &r->band1 };
	struct dec_result res;

	memset(r, 0, sizeof(*r));
	buf_init(&r->band1, 1u << 26);
	buf_init(&r->text, 1u << 26);
	assert_int_equal(dec_pktline.init(&d, &pp), 0);
	res = dec_pktline.feed(&d, out->data, out->len, &sink);
	assert_int_equal(res.status, DEC_OK);
	assert_int_equal(res.consumed, out->len);
	res = dec_pktline.finish(&d, &sink);
	assert_int_not_equal(res.status, DEC_ERR);
	dec_pktline.release(&d);
}

static void reply_release(struct reply *r)
{
	buf_release(&r->band1);
	buf_release(&r->text);
}

static int on_status_pkt(void *arg, enum pkt_kind kind, const uint8_t *p, size_t n)
{
	struct report_status *s = arg;
	char **nl;

	if (s->n_flush)
		s->after_flush++;
	if (kind == PKT_FLUSH) {
		if (!s->n_flush)
			s->flush_at = s->n;
		s->n_flush++;
		return 0;
	}
	assert_int_equal(kind, PKT_DATA);
	nl = xrealloc(s->lines, (s->n + 1) * sizeof(*nl));
	assert_non_null(nl);
	s->lines = nl;
	s->lines[s->n] = xstrndup((const char *)p, n);
	assert_non_null(s->lines[s->n]);
	assert_int_equal(strlen(s->lines[s->n]), n);	/* no NUL inside */
	s->n++;
	return 0;
}

static void parse_status(const uint8_t *data, size_t len, struct report_status *s)
{
	struct dec_pktline d;
	struct dec_pktline_params pp = { on_status_pkt, s, DEC_PKTLINE_V0 };
	struct dec_sink sink = { discard, NULL };
	struct dec_result res;

	memset(s, 0, sizeof(*s));
	assert_int_equal(dec_pktline.init(&d, &pp), 0);
	res = dec_pktline.feed(&d, data, len, &sink);
	assert_int_equal(res.status, DEC_OK);
	assert_int_equal(res.consumed, len);
	dec_pktline.release(&d);
}

static void status_release(struct report_status *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		xfree(s->lines[i]);
	xfree(s->lines);
}

/* "unpack refused by sluice: <ID>" (never "unpack ok"), then exactly
 * one "ng <ref> <reason>\n" per command, in order, then one flush and
 * nothing after it. */
static void expect_status(const struct report_status *s, const struct push_command *cmds,
			  size_t n, const char *reason)
{
	size_t i;

	assert_int_equal(s->n, n + 1);
	assert_int_equal(s->n_flush, 1);
	assert_int_equal(s->flush_at, n + 1);
	assert_int_equal(s->after_flush, 0);
	assert_true(strncmp(s->lines[0], "unpack refused by sluice: ", 26) == 0);
	assert_string_not_equal(s->lines[0], "unpack ok\n");
	for (i = 0; i < n; i++) {
		char want[2048];

		snprintf(want, sizeof(want), "ng %s %s\n", cmds[i].ref, reason);
		assert_string_equal(s->lines[i + 1], want);
	}
}

static bool has(const struct buf *b, const char *s)
{
	return b->len && memmem(b->data, b->len, s, strlen(s)) != NULL;
}

static size_t count(const struct buf *b, const char *s)
{
	const uint8_t *p = b->data, *end = b->data + b->len, *q;
	size_t n = 0, l = strlen(s);

	while (p && p < end && (q = memmem(p, (size_t)(end - p), s, l)) != NULL) {
		n++;
		p = q + l;
	}
	return n;
}

/* --- fixtures -------------------------------------------------------------- */

static void cmd(struct push_command *c, const char *ref)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->old_oid, sizeof(c->old_oid), "%s", COMMIT2);
	snprintf(c->new_oid, sizeof(c->new_oid), "%s", COMMIT1);
	snprintf(c->ref, sizeof(c->ref), "%s", ref);
}

static void secret(struct push_finding *f, const char *path, uint32_t line)
{
	memset(f, 0, sizeof(*f));
	f->kind = PF_SECRET;
	snprintf(f->rule_id, sizeof(f->rule_id), "T-GHP");
	snprintf(f->rule_name, sizeof(f->rule_name), "GitHub token");
	f->severity = SEV_HIGH;
	f->tier = RULE_TIER_BLOCK;
	f->path = (char *)path;
	snprintf(f->commit, sizeof(f->commit), "%s", COMMIT1);
	f->line = line;
	f->column = 14;
	snprintf(f->value, sizeof(f->value), "ghp_********************************m1IL");
	snprintf(f->fingerprint, sizeof(f->fingerprint), "0123456789abcdef");
	snprintf(f->remediation, sizeof(f->remediation), "revoke it at github.com/settings/tokens");
	f->status = PF_OPEN;
	f->action = ACTION_REJECT;
}

static void iac(struct push_finding *f)
{
	memset(f, 0, sizeof(*f));
	f->kind = PF_IAC;
	snprintf(f->rule_id, sizeof(f->rule_id), "AZ-02");
	snprintf(f->rule_name, sizeof(f->rule_name), "Storage account accepts TLS below 1.2");
	f->severity = SEV_MEDIUM;
	f->tier = RULE_TIER_WARN;
	f->path = (char *)"infra/main.tf";
	snprintf(f->commit, sizeof(f->commit), "%s", COMMIT2);
	f->line = 3;
	f->column = 3;
	snprintf(f->value, sizeof(f->value), "min_tls_version = \"TLS1_0\"  in azurerm_storage_account.logs");
	snprintf(f->remediation, sizeof(f->remediation), "Set min_tls_version = \"TLS1_2\".");
	f->status = PF_OPEN;
	f->action = ACTION_WARN;
}

static struct gitmsg_opts opts(bool sideband, unsigned max, bool bypass, const char *incident)
{
	struct gitmsg_opts o;

	memset(&o, 0, sizeof(o));
	o.sideband = sideband;
	o.max_findings = max;
	o.bypass_allowed = bypass;
	o.incident = incident;
	return o;
}

/* --- gitmsg_reject --------------------------------------------------------- */

static void reject_sideband(void **state)
{
	struct push_command cmds[2];
	struct push_finding f[3];
	struct gitmsg_opts o = opts(true, 10, true, "inc-20261123-0042");
	struct buf out;
	struct reply r;
	struct report_status s;

	UNUSED(state);
	cmd(&cmds[0], "refs/heads/main");
	cmd(&cmds[1], "refs/tags/v1.0");
	secret(&f[0], "config/app.env", 3);
	iac(&f[1]);
	secret(&f[2], "docs/notes.md", 1);
	f[2].status = PF_SUPPRESSED;
	f[2].action = ACTION_ALLOW;
	buf_init(&out, 1 << 20);
	assert_int_equal(gitmsg_reject(&out, cmds, 2, f, 3, VR_SECRET_FOUND, NULL, &o), 0);
	parse_sideband(&out, &r);

	/* The explanation. */
	assert_true(has(&r.text, "error: push blocked by sluice: 2 findings (1 secret, 1 IaC)\n"));
	assert_true(has(&r.text, "T-GHP"));
	assert_true(has(&r.text, "GitHub token"));
	assert_true(has(&r.text, "(high)"));
	assert_true(has(&r.text, "commit 2d4fc136b007  config/app.env:3\n"));
	assert_false(has(&r.text, COMMIT1));	/* 12 hex digits, not 40 */
	assert_true(has(&r.text, "value ghp_********************************m1IL"));
	assert_true(has(&r.text, "fingerprint 0123456789abcdef"));
	assert_true(has(&r.text, "fix: revoke it at github.com/settings/tokens"));
	assert_true(has(&r.text, "AZ-02"));
	assert_true(has(&r.text, "(medium)"));
	assert_true(has(&r.text, "commit 9f8e7d6c5b4a  infra/main.tf:3\n"));
	assert_true(has(&r.text, "found min_tls_version = \"TLS1_0\""));
	/* A suppressed finding is not listed. */
	assert_false(has(&r.text, "docs/notes.md"));
	assert_true(has(&r.text, "hint: remove the secrets"));
	assert_true(has(&r.text, "sluice.bypass=false-positive"));
	assert_true(has(&r.text, "incident inc-20261123-0042\n"));
	assert_int_equal(r.n_band3, 0);
	assert_false(r.band2_after_band1);
	/* The report, then the closing flush, nothing after. */
	assert_int_equal(r.n_flush, 1);
	assert_int_equal(r.after_flush, 0);
	parse_status(r.band1.data, r.band1.len, &s);
	expect_status(&s, cmds, 2, "secret T-GHP in config/app.env:3");
	status_release(&s);
	reply_release(&r);

	/* Without the bypass hint and the incident. */
	buf_reset(&out);
	o = opts(true, 10, false, NULL);
	assert_int_equal(gitmsg_reject(&out, cmds, 1, f, 3, VR_SECRET_FOUND, NULL, &o), 0);
	parse_sideband(&out, &r);
	assert_false(has(&r.text, "bypass"));
	assert_false(has(&r.text, "incident"));
	assert_true(has(&r.text, "hint: remove the secrets"));
	reply_release(&r);
	buf_release(&out);
}

static void reject_bare(void **state)
{
	struct push_command cmds[3];
	struct push_finding f[2];
	struct gitmsg_opts o = opts(false, 10, true, "inc-1");
	struct buf out;
	struct report_status s;

	UNUSED(state);
	cmd(&cmds[0], "refs/heads/main");
	cmd(&cmds[1], "refs/heads/dev");
	cmd(&cmds[2], "refs/heads/feature/x");
	secret(&f[0], "a.env", 1);
	secret(&f[1], "b.env", 7);
	buf_init(&out, 1 << 20);
	assert_int_equal(gitmsg_reject(&out, cmds, 3, f, 2, VR_SECRET_FOUND, NULL, &o), 0);
	/* Only the report: no side-band bytes, no text. */
	parse_status(out.data, out.len, &s);
	expect_status(&s, cmds, 3, "2 findings, first T-GHP in a.env:1");
	status_release(&s);
	assert_false(has(&out, "blocked"));
	assert_false(has(&out, "incident"));
	assert_false(has(&out, "fingerprint"));
	/* gitmsg_line says nothing without side-band either. */
	buf_reset(&out);
	assert_int_equal(gitmsg_line(&out, &o, "hello"), 0);
	assert_int_equal(out.len, 0);
	buf_release(&out);
}

static void more_than_max(void **state)
{
	struct push_command c;
	struct push_finding f[7];
	struct gitmsg_opts o = opts(true, 2, false, NULL);
	char paths[7][32];
	struct buf out;
	struct reply r;
	struct report_status s;
	size_t i;

	UNUSED(state);
	cmd(&c, "refs/heads/main");
	for (i = 0; i < 7; i++) {
		snprintf(paths[i], sizeof(paths[i]), "src/f%zu.env", i);
		secret(&f[i], paths[i], (uint32_t)i + 1);
	}
	/* One of them suppressed, one only audited: neither is counted. */
	f[3].status = PF_SUPPRESSED;
	f[4].action = ACTION_AUDIT;
	buf_init(&out, 1 << 20);
	assert_int_equal(gitmsg_reject(&out, &c, 1, f, 7, VR_SECRET_FOUND, NULL, &o), 0);
	parse_sideband(&out, &r);
	assert_true(has(&r.text, "2 findings") == false);
	assert_true(has(&r.text, "5 findings (5 secrets, 0 IaC)"));
	assert_true(has(&r.text, "[1] T-GHP"));
	assert_true(has(&r.text, "[2] T-GHP"));
	assert_false(has(&r.text, "[3]"));
	assert_true(has(&r.text, "src/f0.env:1\n"));
	assert_true(has(&r.text, "src/f1.env:2\n"));
	assert_false(has(&r.text, "src/f2.env"));
	assert_true(has(&r.text, "... and 3 more\n"));
	parse_status(r.band1.data, r.band1.len, &s);
	/* The suppressed and the audited ones are not in the count either. */
	expect_status(&s, &c, 1, "5 findings, first T-GHP in src/f0.env:1");
	status_release(&s);
	reply_release(&r);

	/* Exactly max: no "more" line. */
	buf_reset(&out);
	o.max_findings = 5;
	assert_int_equal(gitmsg_reject(&out, &c, 1, f, 7, VR_SECRET_FOUND, NULL, &o), 0);
	parse_sideband(&out, &r);
	assert_false(has(&r.text, "more"));
	assert_true(has(&r.text, "[5] T-GHP"));
	assert_true(has(&r.text, "src/f6.env:7\n"));
	reply_release(&r);
	buf_release(&out);
}

static void limit_reasons(void **state)
{
	struct push_command cmds[2];
	struct gitmsg_opts o = opts(true, 10, true, "inc-9");
	struct buf out, text;
	struct reply r;
	struct report_status s;

	UNUSED(state);
	cmd(&cmds[0], "refs/heads/main");
	cmd(&cmds[1], "refs/heads/x");
	buf_init(&out, 1 << 20);
	buf_init(&text, 1 << 16);
	assert_int_equal(gitmsg_reject(&out, cmds, 2, NULL, 0, VR_LIMIT_OBJECTS, NULL, &o), 0);
	parse_sideband(&out, &r);
	assert_true(has(&r.text, "error: push blocked by sluice: pack has more objects than the limit\n"));
	assert_false(has(&r.text, "hint: remove"));
	assert_false(has(&r.text, "bypass"));
	assert_true(has(&r.text, "incident inc-9\n"));
	parse_status(r.band1.data, r.band1.len, &s);
	expect_status(&s, cmds, 2, "LIMIT_OBJECTS: pack has more objects than the limit");
	status_release(&s);
	reply_release(&r);

	/* A detail replaces the generic text. */
	buf_reset(&out);
	assert_int_equal(gitmsg_reject(&out, cmds, 1, NULL, 0, VR_LIMIT_COMMANDS,
				       "ref name too long", &o), 0);
	parse_sideband(&out, &r);
	assert_true(has(&r.text, "error: push blocked by sluice: ref name too long\n"));
	parse_status(r.band1.data, r.band1.len, &s);
	expect_status(&s, cmds, 1, "LIMIT_COMMANDS: ref name too long");
	status_release(&s);
	reply_release(&r);

	/* The time budget has its own hint. */
	buf_reset(&out);
	assert_int_equal(gitmsg_reject(&out, cmds, 1, NULL, 0, VR_BUDGET_TIME, NULL, &o), 0);
	parse_sideband(&out, &r);
	assert_true(has(&r.text, "hint: split the push"));
	reply_release(&r);

	/* Findings below reject (a warn-only IaC finding) with a limit
	 * reason: the reason is what the ng line says. */
	{
		struct push_finding f;

		iac(&f);
		buf_reset(&out);
		assert_int_equal(gitmsg_reject(&out, cmds, 1, &f, 1, VR_PACK_CORRUPT, NULL, &o), 0);
		parse_sideband(&out, &r);
		assert_true(has(&r.text, "AZ-02"));
		parse_status(r.band1.data, r.band1.len, &s);
		expect_status(&s, cmds, 1, "PACK_CORRUPT: pack is corrupt");
		status_release(&s);
		reply_release(&r);
	}
	buf_release(&text);
	buf_release(&out);
}

static void ng_reason_formats(void **state)
{
	struct push_finding f[3];
	struct buf b;

	UNUSED(state);
	buf_init(&b, 4096);
	secret(&f[0], "config/app.env", 3);
	assert_int_equal(gitmsg_ng_reason(&b, f, 1, VR_SECRET_FOUND, NULL), 0);
	assert_int_equal(b.len, strlen("secret T-GHP in config/app.env:3"));
	assert_memory_equal(b.data, "secret T-GHP in config/app.env:3", b.len);

	/* IaC at reject. */
	iac(&f[1]);
	f[1].action = ACTION_REJECT;
	buf_reset(&b);
	assert_int_equal(gitmsg_ng_reason(&b, &f[1], 1, VR_IAC_FINDING, NULL), 0);
	assert_int_equal(b.len, strlen("IaC AZ-02 in infra/main.tf:3"));
	assert_memory_equal(b.data, "IaC AZ-02 in infra/main.tf:3", b.len);

	/* Several: the count and the first (in order given). */
	secret(&f[2], "z.env", 9);
	buf_reset(&b);
	assert_int_equal(gitmsg_ng_reason(&b, f, 3, VR_SECRET_FOUND, NULL), 0);
	assert_int_equal(b.len, strlen("3 findings, first T-GHP in config/app.env:3"));
	assert_memory_equal(b.data, "3 findings, first T-GHP in config/app.env:3", b.len);

	/* Only rejecting, open findings count. */
	f[0].action = ACTION_WARN;
	f[2].status = PF_BYPASSED;
	buf_reset(&b);
	assert_int_equal(gitmsg_ng_reason(&b, f, 3, VR_SECRET_FOUND, NULL), 0);
	assert_int_equal(b.len, strlen("IaC AZ-02 in infra/main.tf:3"));
	assert_memory_equal(b.data, "IaC AZ-02 in infra/main.tf:3", b.len);

	/* None: "<REASON_ID>: text", or the detail. */
	buf_reset(&b);
	assert_int_equal(gitmsg_ng_reason(&b, NULL, 0, VR_SIGNED_PUSH, NULL), 0);
	assert_int_equal(b.len, strlen("SIGNED_PUSH: signed pushes are not supported by the gate"));
	assert_memory_equal(b.data, "SIGNED_PUSH: signed pushes are not supported by the gate", b.len);
	buf_reset(&b);
	assert_int_equal(gitmsg_ng_reason(&b, NULL, 0, VR_PARSE_UNKNOWN, ""), 0);
	assert_int_equal(b.len, strlen("PARSE_UNKNOWN: push request could not be parsed"));
	assert_memory_equal(b.data, "PARSE_UNKNOWN: push request could not be parsed", b.len);
	buf_reset(&b);
	assert_int_equal(gitmsg_ng_reason(&b, NULL, 0, VR_PACK_CORRUPT, "checksum mismatch"), 0);
	assert_int_equal(b.len, strlen("PACK_CORRUPT: checksum mismatch"));
	assert_memory_equal(b.data, "PACK_CORRUPT: checksum mismatch", b.len);
	buf_release(&b);
}

/* Hostile paths, refs and values stay one printable line each. */
static void sanitized(void **state)
{
	static const char evil_path[] = "dir/\x1b[31mred\x1b[0m\n/caf\xc3\xa9\r\tx.env";
	struct push_command c;
	struct push_finding f;
	struct gitmsg_opts o = opts(true, 10, true, "inc\n-2");
	struct buf out, longp;
	struct reply r;
	struct report_status s;
	size_t i;

	UNUSED(state);
	cmd(&c, "refs/heads/\x01w\xffird");
	secret(&f, evil_path, 12);
	snprintf(f.value, sizeof(f.value), "v\x07\x7f\xe2\x82\xac");
	buf_init(&out, 1 << 20);
	assert_int_equal(gitmsg_reject(&out, &c, 1, &f, 1, VR_SECRET_FOUND, "x\ny", &o), 0);
	parse_sideband(&out, &r);	/* asserts every line printable */
	assert_true(has(&r.text, "dir/?[31mred?[0m?/caf??"));
	assert_true(has(&r.text, "incident inc?-2\n"));
	assert_true(has(&r.text, "value v??"));
	parse_status(r.band1.data, r.band1.len, &s);
	assert_int_equal(s.n, 2);
	assert_true(strncmp(s.lines[1], "ng refs/heads/?w?ird secret T-GHP in dir/?[31mred?[0m?/caf??",
			    strlen("ng refs/heads/?w?ird secret T-GHP in dir/?[31mred?[0m?/caf??")) == 0);
	for (i = 0; s.lines[1][i + 1]; i++)
		assert_true(s.lines[1][i] >= 0x20 && s.lines[1][i] <= 0x7e);
	assert_int_equal(s.lines[1][i], '\n');
	status_release(&s);
	reply_release(&r);

	/* A path far wider than a line is cut, marked with "...". */
	buf_init(&longp, 1 << 16);
	for (i = 0; i < 300; i++)
		assert_int_equal(buf_append(&longp, i % 10 == 9 ? "/" : "p", 1), 0);
	assert_int_equal(buf_append(&longp, "", 1), 0);
	secret(&f, (const char *)longp.data, 5);
	buf_reset(&out);
	assert_int_equal(gitmsg_reject(&out, &c, 1, &f, 1, VR_SECRET_FOUND, NULL, &o), 0);
	parse_sideband(&out, &r);
	assert_true(has(&r.text, "...\n"));
	reply_release(&r);
	buf_reset(&out);
	assert_int_equal(gitmsg_line(&out, &o, (const char *)longp.data), 0);
	parse_sideband(&out, &r);
	assert_int_equal(r.n_band2, 1);
	assert_int_equal(r.text.len, GITMSG_COLUMNS + 1);
	assert_memory_equal(r.text.data + GITMSG_COLUMNS - 3, "...\n", 4);
	assert_memory_equal(r.text.data, longp.data, GITMSG_COLUMNS - 3);
	reply_release(&r);
	/* Exactly GITMSG_COLUMNS: kept whole. */
	longp.data[GITMSG_COLUMNS] = '\0';
	buf_reset(&out);
	assert_int_equal(gitmsg_line(&out, &o, (const char *)longp.data), 0);
	parse_sideband(&out, &r);
	assert_int_equal(r.text.len, GITMSG_COLUMNS + 1);
	assert_memory_equal(r.text.data, longp.data, GITMSG_COLUMNS);
	reply_release(&r);
	buf_release(&longp);
	buf_release(&out);
}

/* A report larger than one side-band pkt is split across band-1 pkts and
 * still parses as one report-status. */
static void many_refs(void **state)
{
	enum { N = LIMIT_PUSH_COMMANDS };
	struct push_command *cmds = xcalloc(N, sizeof(*cmds));
	struct push_finding f;
	struct gitmsg_opts o = opts(true, 10, true, NULL);
	struct buf out, ref;
	struct reply r;
	struct report_status s;
	size_t i;

	UNUSED(state);
	assert_non_null(cmds);
	/* Refs of the longest length a push session keeps. */
	buf_init(&ref, PUSH_REF_MAX);
	for (i = 0; i < N; i++) {
		buf_reset(&ref);
		assert_int_equal(buf_printf(&ref, "refs/heads/%05zu-", i), 0);
		while (ref.len < PUSH_REF_MAX - 1)
			assert_int_equal(buf_append(&ref, "r", 1), 0);
		memcpy(cmds[i].ref, ref.data, ref.len);
		cmds[i].ref[ref.len] = '\0';
	}
	secret(&f, "config/app.env", 3);
	buf_init(&out, 1u << 30);
	assert_int_equal(gitmsg_reject(&out, cmds, N, &f, 1, VR_SECRET_FOUND, NULL, &o), 0);
	parse_sideband(&out, &r);
	assert_true(r.band1.len > PKTLINE_MAX_BAND_DATA);
	parse_status(r.band1.data, r.band1.len, &s);
	expect_status(&s, cmds, N, "secret T-GHP in config/app.env:3");
	status_release(&s);
	reply_release(&r);
	buf_release(&out);
	buf_release(&ref);
	xfree(cmds);
}

/* --- gitmsg_warnings ------------------------------------------------------- */

static void warnings(void **state)
{
	struct push_finding f[5];
	struct gitmsg_opts o = opts(true, 3, true, "inc-w");
	char paths[5][32];
	struct buf out;
	struct reply r;
	size_t i;

	UNUSED(state);
	for (i = 0; i < 5; i++) {
		snprintf(paths[i], sizeof(paths[i]), "w%zu.env", i);
		secret(&f[i], paths[i], 2);
		f[i].action = ACTION_WARN;
	}
	f[1].action = ACTION_AUDIT;		/* not shown */
	f[2].status = PF_BYPASSED;		/* shown, marked */
	f[2].action = ACTION_ALLOW;
	buf_init(&out, 1 << 20);
	assert_int_equal(gitmsg_warnings(&out, f, 5, "bypass accepted: false-positive", &o), 0);
	parse_sideband(&out, &r);
	assert_int_equal(r.band1.len, 0);
	assert_int_equal(r.n_flush, 0);	/* the upstream's reply follows */
	assert_true(has(&r.text, "warning: sluice: 4 findings in this push\n"));
	assert_true(has(&r.text, "warning: sluice: bypass accepted: false-positive\n"));
	assert_true(has(&r.text, "w0.env:2"));
	assert_false(has(&r.text, "w1.env"));
	assert_true(has(&r.text, "w2.env:2"));
	assert_true(has(&r.text, "[bypassed]"));
	assert_true(has(&r.text, "w3.env:2"));
	assert_false(has(&r.text, "w4.env"));	/* beyond max_findings */
	assert_int_equal(count(&r.text, "fingerprint 0123456789abcdef"), 3);
	assert_true(has(&r.text, "incident inc-w\n"));
	reply_release(&r);

	/* Nothing to say: nothing written. */
	buf_reset(&out);
	f[0].action = f[3].action = f[4].action = ACTION_ALLOW;
	f[2].status = PF_OPEN;
	assert_int_equal(gitmsg_warnings(&out, f, 5, NULL, &o), 0);
	assert_int_equal(out.len, 0);
	/* A note alone. */
	assert_int_equal(gitmsg_warnings(&out, f, 5, "scan budget nearly used", &o), 0);
	parse_sideband(&out, &r);
	assert_true(has(&r.text, "warning: sluice: scan budget nearly used\n"));
	assert_false(has(&r.text, "findings in this push"));
	reply_release(&r);
	/* Without side-band: nothing at all. */
	buf_reset(&out);
	o.sideband = false;
	f[0].action = ACTION_WARN;
	assert_int_equal(gitmsg_warnings(&out, f, 5, "note", &o), 0);
	assert_int_equal(out.len, 0);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reject_sideband),
		cmocka_unit_test(reject_bare),
		cmocka_unit_test(more_than_max),
		cmocka_unit_test(limit_reasons),
		cmocka_unit_test(ng_reason_formats),
		cmocka_unit_test(sanitized),
		cmocka_unit_test(many_refs),
		cmocka_unit_test(warnings),
	};

	return cmocka_run_group_tests_name("report/gitmsg/", tests, NULL, NULL);
}
