/*
 * fuzz_push.c - libFuzzer target for a whole push session
 * (core/push/push.h): command block, pack, scan, attribution, IaC.
 *
 * Input layout:
 *   byte 0      mode: bit 0 puts a valid command block in front of the
 *               rest, bit 1 wraps the rest as a pack ("PACK", version 2,
 *               object count from byte 1, then the rest, then its SHA-1
 *               trailer) so the fuzzer reaches the object layers without
 *               having to forge a checksum; bit 2 adds push options.
 *   byte 1      object count for bit 1.
 *   bytes 2-5   piece sizes (1-256 each, used in turn).
 *   the rest    the body (or the pack body).
 * The body is fed whole and in those pieces; reason, findings, commands
 * and counts must be identical (style.md rule 4).
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/iac/iac.h"
#include "core/match/match.h"
#include "core/match/ruleset.h"
#include "core/pack/pack.h"
#include "core/push/push.h"
#include "rules/rulepack.h"

#include <stdio.h>
#include <stdlib.h>
#include <mbedtls/sha1.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define GHP "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"

static const char rule_pack[] =
	"pack: {id: fuzz, version: 1}\n"
	"rules:\n"
	"  - id: F-GHP\n"
	"    name: GitHub token\n"
	"    pattern: '\\bghp_[0-9A-Za-z]{36}\\b'\n"
	"    validators: [crc32-base62]\n"
	"    tier: block\n"
	"    severity: high\n"
	"    remediation: revoke it\n"
	"    examples: [{text: 'x " GHP "', secret: '" GHP "'}]\n"
	"  - id: F-PASS\n"
	"    name: password\n"
	"    pattern: '\\bpassword\\s{0,3}=\\s{0,3}\"([^\"\\s]{8,64})\"'\n"
	"    secret_group: 1\n"
	"    tier: warn\n"
	"    severity: medium\n"
	"    remediation: vault it\n"
	"    examples: [{text: 'password = \"q7Vr2mXk9pLs\"', secret: q7Vr2mXk9pLs}]\n";

static const char check_pack[] =
	"pack: {id: fuzziac, version: 1}\n"
	"checks:\n"
	"  - id: FZ-1\n"
	"    title: public bucket\n"
	"    severity: high\n"
	"    remediation: make it private\n"
	"    bindings:\n"
	"      - {format: terraform, types: [aws_s3_bucket], fail_if: {attr: acl, op: equals, value: public-read}}\n"
	"      - {format: kubernetes, types: [Pod], fail_if: {attr: spec.hostNetwork, op: is_true}}\n"
	"    examples:\n"
	"      positive: [{name: p.tf, text: \"resource \\\"aws_s3_bucket\\\" \\\"b\\\" {\\n  acl = \\\"public-read\\\"\\n}\\n\", lines: [2]}]\n"
	"      negative: [{name: n.tf, text: \"resource \\\"aws_s3_bucket\\\" \\\"b\\\" {\\n  acl = \\\"private\\\"\\n}\\n\"}]\n";

static struct ruleset *rs;
static struct match_scratch *sc;
static struct iac_checkset *cs;

static void init_once(void)
{
	struct rulepack pack;
	struct secret_rule *rules;
	const char *t[1] = { check_pack };
	size_t n, l[1] = { sizeof(check_pack) - 1 };

	if (rs)
		return;
	if (rulepack_load_mem(rule_pack, sizeof(rule_pack) - 1, "fuzz", &pack, NULL))
		abort();
	rules = rulepack_take_rules(&pack, &n);
	rulepack_release(&pack);
	if (ruleset_build(rules, n, NULL, 0, &rs, NULL) || match_scratch_new(rs, &sc))
		abort();
	ruleset_set_fingerprint_key(rs, (const uint8_t *)"fuzz", 4);
	if (iac_checkset_load(t, l, 1, &cs, NULL))
		abort();
}

static void pkt(struct buf *b, const void *p, size_t n)
{
	char len[8];

	snprintf(len, sizeof(len), "%04zx", n + 4);
	if (buf_append(b, len, 4) || buf_append(b, p, n))
		abort();
}

static void build_body(const uint8_t *data, size_t size, struct buf *body)
{
	static const char cmd[] =
		"0000000000000000000000000000000000000000 "
		"1111111111111111111111111111111111111111 refs/heads/main\0"
		" report-status side-band-64k push-options agent=fuzz";
	uint8_t mode = data[0], count = data[1];
	const uint8_t *rest = data + 6;
	size_t n = size - 6;

	if (mode & 1) {
		pkt(body, cmd, sizeof(cmd) - 1);
		if (buf_append(body, "0000", 4))
			abort();
		if (mode & 4) {
			pkt(body, "sluice.bypass=false-positive", 28);
			pkt(body, "ci.skip", 7);
			if (buf_append(body, "0000", 4))
				abort();
		}
	}
	if (mode & 2) {
		uint8_t hdr[12] = { 'P', 'A', 'C', 'K', 0, 0, 0, 2, 0, 0, 0, count };
		size_t start = body->len;
		uint8_t sum[20];

		if (buf_append(body, hdr, sizeof(hdr)) || buf_append(body, rest, n))
			abort();
		mbedtls_sha1_ret(body->data + start, body->len - start, sum);
		if (buf_append(body, sum, sizeof(sum)))
			abort();
	} else if (buf_append(body, rest, n)) {
		abort();
	}
}

struct outcome {
	struct buf dump;		/* everything that must not depend on the cut */
};

static void run(const struct buf *body, const uint8_t *pieces, struct outcome *o)
{
	struct push_session_params p;
	struct push_session *ps;
	const struct push_finding *f;
	const struct push_command *cmds;
	const char *const *opts;
	const char *detail;
	uint64_t objects, bytes;
	size_t pos = 0, k = 0, nf, nc, no, i;
	enum verdict_reason reason;

	memset(&p, 0, sizeof(p));
	p.rs = rs;
	p.sc = sc;
	pack_limits_default(&p.limits);
	/* Small enough that limits are reachable, large enough to scan. */
	p.limits.max_objects = 4096;
	p.limits.max_object_bytes = 1u << 20;
	p.limits.base_cache_bytes = 1u << 20;
	p.limits.spool_bytes = 1u << 24;
	p.limits.inflate_total = 1u << 24;
	p.iac = cs;
	if (push_session_new(&p, &ps))
		abort();
	while (pos < body->len) {
		size_t n = pieces ? (size_t)pieces[k++ % 4] + 1 : body->len;

		n = MIN(n, body->len - pos);
		if (push_session_feed(ps, body->data + pos, n))
			abort();
		pos += n;
	}
	if (push_session_finish(ps))
		abort();
	buf_init(&o->dump, 1u << 26);
	reason = push_session_reason(ps, &detail);
	cmds = push_session_commands(ps, &nc);
	opts = push_session_options(ps, &no);
	push_session_counts(ps, &objects, &bytes);
	buf_printf(&o->dump, "%d %s|%zu %zu %d%d%d|%zu %zu %llu %llu\n", (int)reason,
		   detail ? detail : "-", push_session_prefix_len(ps), nc,
		   push_session_commands_ready(ps), push_session_is_probe(ps),
		   push_session_delete_only(ps), no, nc,
		   (unsigned long long)objects, (unsigned long long)bytes);
	for (i = 0; i < nc; i++)
		buf_printf(&o->dump, "C %s %s %s\n", cmds[i].old_oid, cmds[i].new_oid, cmds[i].ref);
	for (i = 0; i < no; i++)
		buf_printf(&o->dump, "O %s\n", opts[i]);
	f = push_session_findings(ps, &nf);
	for (i = 0; i < nf; i++) {
		if (!f[i].path || strstr(f[i].value, GHP))
			__builtin_trap();
		buf_printf(&o->dump, "F %d %u %s %s %s %u:%u %s %s %d\n", (int)f[i].kind, f[i].rule,
			   f[i].rule_id, f[i].path, f[i].commit, f[i].line, f[i].column, f[i].value,
			   f[i].fingerprint, (int)f[i].status);
	}
	if (push_session_commands_ready(ps)) {
		struct buf fwd;

		buf_init(&fwd, 1u << 22);
		if (push_session_forward_prefix(ps, true, &fwd) || !fwd.len ||
		    memmem(fwd.data, fwd.len, "push-options", 12))
			__builtin_trap();
		buf_release(&fwd);
	}
	push_session_free(ps);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf body;
	struct outcome whole, cut;

	if (size < 6)
		return 0;
	init_once();
	buf_init(&body, 1u << 22);
	build_body(data, size, &body);
	run(&body, NULL, &whole);
	run(&body, data + 2, &cut);
	if (whole.dump.len != cut.dump.len ||
	    memcmp(whole.dump.data, cut.dump.data, whole.dump.len) != 0) {
		fprintf(stderr, "whole:\n%.*s\npieces:\n%.*s\n", (int)whole.dump.len,
			(const char *)whole.dump.data, (int)cut.dump.len, (const char *)cut.dump.data);
		__builtin_trap();
	}
	buf_release(&whole.dump);
	buf_release(&cut.dump);
	buf_release(&body);
	return 0;
}
