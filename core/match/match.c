/*
 * match.c - stage 1 (Hyperscan streaming, no SOM) and stage 2 (PCRE2
 * confirmation in a bounded window) for one object (secrets.md §1).
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/base/limits.h"
#include "core/match/candidate.h"
#include "core/match/match.h"
#include "core/match/ruleset-int.h"
#include "core/match/validate.h"

#include <ctype.h>
#include <stdio.h>
#include <strings.h>
#include <mbedtls/md.h>

/* PCRE2 backtracking bound per confirmation: a rule can cost at most this
 * much work per Hyperscan hit, whatever the input. */
#define CONFIRM_MATCH_LIMIT 200000u
#define CONFIRM_DEPTH_LIMIT 2000u

/* Bytes at the end of each piece scanned from a padded copy (a 512-bit
 * vector: the widest read Hyperscan's SIMD code makes). */
#define MATCH_SCAN_PAD 64u

struct match_scratch {
	hs_scratch_t *hs;		/* Hyperscan scratch for the ruleset */
	pcre2_match_data *md;		/* ovector for the widest capture set */
	pcre2_match_context *mctx;	/* match limits */
	uint8_t *window;		/* contiguous copy of [start, end) */
	size_t window_cap;
};

int match_scratch_new(const struct ruleset *rs, struct match_scratch **out)
{
	struct match_scratch *sc = xcalloc(1, sizeof(*sc));

	*out = NULL;
	if (!sc)
		return ERR_NOMEM;
	if (rs->db && hs_alloc_scratch(rs->db, &sc->hs) != HS_SUCCESS) {
		xfree(sc);
		return ERR_HYPERSCAN;
	}
	sc->md = pcre2_match_data_create(64, NULL);
	sc->mctx = pcre2_match_context_create(NULL);
	sc->window_cap = (size_t)rs->window + 16;
	sc->window = xmalloc(sc->window_cap);
	if (!sc->md || !sc->mctx || !sc->window) {
		match_scratch_free(sc);
		return ERR_NOMEM;
	}
	pcre2_set_match_limit(sc->mctx, CONFIRM_MATCH_LIMIT);
	pcre2_set_depth_limit(sc->mctx, CONFIRM_DEPTH_LIMIT);
	*out = sc;
	return 0;
}

void match_scratch_free(struct match_scratch *sc)
{
	if (!sc)
		return;
	if (sc->hs)
		hs_free_scratch(sc->hs);
	pcre2_match_data_free(sc->md);
	pcre2_match_context_free(sc->mctx);
	xfree(sc->window);
	xfree(sc);
}

void match_fingerprint(const struct ruleset *rs, const char *rule_id,
		       const uint8_t *secret, size_t len, uint8_t out[FINDING_FP_BYTES])
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	mbedtls_md_context_t ctx;
	uint8_t full[32];
	const uint8_t zero = 0;

	mbedtls_md_init(&ctx);
	if (mbedtls_md_setup(&ctx, md, 1) == 0 &&
	    mbedtls_md_hmac_starts(&ctx, rs->fp_key, rs->fp_key_len) == 0 &&
	    mbedtls_md_hmac_update(&ctx, (const uint8_t *)rule_id, strlen(rule_id)) == 0 &&
	    mbedtls_md_hmac_update(&ctx, &zero, 1) == 0 &&
	    mbedtls_md_hmac_update(&ctx, secret, len) == 0 &&
	    mbedtls_md_hmac_finish(&ctx, full) == 0)
		memcpy(out, full, FINDING_FP_BYTES);
	else
		memset(out, 0, FINDING_FP_BYTES);
	mbedtls_md_free(&ctx);
}

void match_fingerprint_hex(const uint8_t fp[FINDING_FP_BYTES], char out[17])
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 8; i++) {
		out[2 * i] = hex[fp[i] >> 4];
		out[2 * i + 1] = hex[fp[i] & 15];
	}
	out[16] = '\0';
}

void match_redact(const uint8_t *secret, size_t len, unsigned prefix_len,
		  char out[FINDING_REDACTED_MAX])
{
	/* Room for prefix (<= 12), stars (<= 48), "..." and 4 tail chars. */
	size_t keep = MIN((size_t)prefix_len, len / 2);
	size_t tail = (len - keep >= 16) ? 4 : 0;
	size_t stars = len - keep - tail;
	size_t o = 0, i;

	for (i = 0; i < keep && o < FINDING_REDACTED_MAX - 1; i++)
		out[o++] = isprint(secret[i]) ? (char)secret[i] : '?';
	for (i = 0; i < MIN(stars, (size_t)48); i++)
		out[o++] = '*';
	if (stars > 48) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	for (i = len - tail; i < len; i++)
		out[o++] = isprint(secret[i]) ? (char)secret[i] : '?';
	out[o] = '\0';
}

int match_stream_init(struct match_stream *ms, const struct ruleset *rs,
		      struct match_scratch *sc)
{
	size_t i;

	memset(ms, 0, sizeof(*ms));
	ms->rs = rs;
	ms->sc = sc;
	ms->last_lf = -1;
	buf_init(&ms->ring, rs->window);
	ms->last_of_rule = xmalloc((rs->n ? rs->n : 1) * sizeof(*ms->last_of_rule));
	if (!ms->last_of_rule)
		return ERR_NOMEM;
	for (i = 0; i < rs->n; i++)
		ms->last_of_rule[i] = -1;
	if (rs->db) {
		hs_stream_t *st = NULL;

		if (hs_open_stream(rs->db, 0, &st) != HS_SUCCESS)
			return ERR_HYPERSCAN;
		ms->hs = st;
	}
	return 0;
}

static uint64_t count_lf(const uint8_t *p, size_t n)
{
	const uint8_t *end = p + n;
	uint64_t c = 0;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		c++;
		p++;
	}
	return c;
}

/* Available bytes are the ring [pos - ring.len, pos) and the chunk
 * [pos, pos + chunk_len).  Copies [from, to) of them into the scratch
 * window. */
static size_t copy_window(struct match_stream *ms, uint64_t from, uint64_t to)
{
	uint64_t ring_start = ms->pos - ms->ring.len;
	uint8_t *w = ms->sc->window;
	size_t o = 0;

	if (from < ring_start)
		from = ring_start;
	if (to - from > ms->sc->window_cap)
		from = to - ms->sc->window_cap;
	if (from < ms->pos) {
		size_t n = (size_t)(MIN(to, ms->pos) - from);

		memcpy(w, ms->ring.data + (from - ring_start), n);
		o = n;
	}
	if (to > ms->pos) {
		uint64_t s = MAX(from, ms->pos);

		memcpy(w + o, ms->chunk + (s - ms->pos), (size_t)(to - s));
		o += (size_t)(to - s);
	}
	return o;
}

static uint32_t line_of(struct match_stream *ms, uint64_t at)
{
	uint64_t lines;

	if (at >= ms->pos) {
		size_t rel = (size_t)(at - ms->pos);

		if (rel < ms->cursor) {
			ms->cursor = 0;
			ms->cursor_lines = 0;
		}
		ms->cursor_lines += count_lf(ms->chunk + ms->cursor, rel - ms->cursor);
		ms->cursor = rel;
		lines = ms->lines_before + ms->cursor_lines;
	} else {
		uint64_t ring_start = ms->pos - ms->ring.len;

		lines = ms->lines_before -
			count_lf(ms->ring.data + (at - ring_start), (size_t)(ms->pos - at));
	}
	return lines >= UINT32_MAX ? UINT32_MAX : (uint32_t)lines + 1;
}

/* Offset of the last LF before `at`, searching the available bytes, or -1
 * when the line starts before them. */
static int64_t last_lf_before(const struct match_stream *ms, uint64_t at)
{
	uint64_t ring_start = ms->pos - ms->ring.len;
	const uint8_t *q;

	if (at > ms->pos) {
		q = memrchr(ms->chunk, '\n', (size_t)(at - ms->pos));
		if (q)
			return (int64_t)(ms->pos + (uint64_t)(q - ms->chunk));
		at = ms->pos;
	}
	if (at > ring_start) {
		q = memrchr(ms->ring.data, '\n', (size_t)(at - ring_start));
		if (q)
			return (int64_t)(ring_start + (uint64_t)(q - ms->ring.data));
	}
	if (ms->last_lf >= 0 && (uint64_t)ms->last_lf < at)
		return ms->last_lf;
	return -1;
}

/* Offset of the first LF at or after `at` in the available bytes, or
 * UINT64_MAX when the line has not ended yet. */
static uint64_t line_end_after(const struct match_stream *ms, uint64_t at)
{
	uint64_t ring_start = ms->pos - ms->ring.len;
	const uint8_t *q;

	if (at < ring_start)
		at = ring_start;
	if (at < ms->pos) {
		q = memchr(ms->ring.data + (at - ring_start), '\n', (size_t)(ms->pos - at));
		if (q)
			return ring_start + (uint64_t)(q - ms->ring.data);
		at = ms->pos;
	}
	if (ms->chunk && at < ms->pos + ms->chunk_len) {
		q = memchr(ms->chunk + (at - ms->pos), '\n', ms->chunk_len - (size_t)(at - ms->pos));
		if (q)
			return ms->pos + (uint64_t)(q - ms->chunk);
	}
	return UINT64_MAX;
}

/* The line holding [start, end) contains an ignore marker for this rule
 * (secrets.md §5): "sluice:ignore" alone, or "sluice:ignore=<ID>[,<ID>]".
 * line_to is the line's end (exclusive). */
static bool ignored_on_line(struct match_stream *ms, uint64_t start, uint64_t line_to,
			    const char *rule_id)
{
	static const char marker[] = "sluice:ignore";
	int64_t lf = last_lf_before(ms, start);
	uint64_t from = lf >= 0 ? (uint64_t)lf + 1 : ms->pos - ms->ring.len;
	const uint8_t *line, *hit;
	size_t n, idlen = strlen(rule_id);

	if (line_to - from > ms->sc->window_cap)
		from = line_to - ms->sc->window_cap;
	n = copy_window(ms, from, line_to);
	line = ms->sc->window;
	while (n >= sizeof(marker) - 1 &&
	       (hit = memmem(line, n, marker, sizeof(marker) - 1)) != NULL) {
		const uint8_t *p = hit + sizeof(marker) - 1;
		size_t rest = n - (size_t)(p - line);

		if (rest == 0 || *p != '=')
			return true;
		p++;
		rest--;
		while (rest >= idlen) {
			if (memcmp(p, rule_id, idlen) == 0 &&
			    (rest == idlen || p[idlen] == ',' || isspace(p[idlen]) ||
			     p[idlen] == '"'))
				return true;
			while (rest && *p != ',' && !isspace(*p)) {
				p++;
				rest--;
			}
			if (!rest || *p != ',')
				break;
			p++;
			rest--;
		}
		n -= (size_t)(hit + 1 - line);
		line = hit + 1;
	}
	return false;
}

/* Settles the suppression of findings whose line was still open, once its
 * end is available (or at the end of the object: final = true). */
static void settle_line_pending(struct match_stream *ms, bool final)
{
	size_t i;

	for (i = 0; ms->n_line_pending && i < ms->n_findings; i++) {
		struct finding *f = &ms->findings[i];
		uint64_t to;

		if (!f->line_pending)
			continue;
		to = line_end_after(ms, f->offset + f->secret_len);
		if (to == UINT64_MAX) {
			if (!final)
				continue;
			to = ms->pos;
		}
		if (ignored_on_line(ms, f->offset, to, ms->rs->rules[f->rule].id))
			f->status = FINDING_SUPPRESSED;
		f->line_pending = false;
		ms->n_line_pending--;
	}
}

static bool keyword_near(const struct secret_rule *r, const uint8_t *w, size_t len)
{
	size_t i, k;

	for (k = 0; k < r->n_keywords; k++) {
		size_t kl = strlen(r->keywords[k]);

		for (i = 0; i + kl <= len; i++)
			if (strncasecmp((const char *)w + i, r->keywords[k], kl) == 0)
				return true;
	}
	return false;
}

enum finding_evidence finding_evidence_of(const struct secret_rule *r)
{
	if (r->tier == RULE_TIER_WARN)
		return EVIDENCE_CONTEXT;
	if (r->validators & RULE_VALID_CHECKSUMS)
		return EVIDENCE_CHECKSUM;
	if (r->validators)
		return EVIDENCE_STRUCTURE;
	return EVIDENCE_PREFIX;
}

const char *finding_evidence_name(enum finding_evidence e)
{
	static const char *const names[] = { "context", "prefix", "structure", "checksum" };

	return (unsigned)e < ARRAY_SIZE(names) ? names[e] : "?";
}

/* A confirmed secret at [start, start + slen); `at` is where its line
 * and column are counted from (the secret, or the match for `line:
 * match` rules). */
static int add_finding(struct match_stream *ms, uint32_t rule, uint64_t start,
		       const uint8_t *secret, size_t slen, uint64_t end, uint64_t at)
{
	const struct secret_rule *r = &ms->rs->rules[rule];
	const struct compiled_rule *c = &ms->rs->comp[rule];
	struct finding f;
	int64_t lf;
	size_t i;

	memset(&f, 0, sizeof(f));
	f.rule = rule;
	f.offset = start;
	f.secret_len = (uint32_t)slen;
	match_fingerprint(ms->rs, r->id, secret, slen, f.fingerprint);
	match_redact(secret, slen, c->prefix_len, f.redacted);

	/* Same (rule, secret) twice in one object: one finding, first line. */
	for (i = 0; i < ms->n_findings; i++)
		if (ms->findings[i].rule == rule &&
		    memcmp(ms->findings[i].fingerprint, f.fingerprint, FINDING_FP_BYTES) == 0)
			return 0;

	f.evidence = finding_evidence_of(r);
	f.line = line_of(ms, at);
	lf = last_lf_before(ms, at);
	if (lf >= 0)
		f.column = (uint32_t)(at - (uint64_t)lf);
	else if (ms->last_lf < 0 || (uint64_t)ms->last_lf > at)
		/* No LF before the secret in the object, or its line began
		 * before the kept bytes: count from what is known. */
		f.column = ms->last_lf < 0 ? (uint32_t)(at + 1)
					   : (uint32_t)(at + 1 - (ms->pos - ms->ring.len));
	else
		f.column = (uint32_t)(at - (uint64_t)ms->last_lf);
	{
		uint64_t to = line_end_after(ms, end);

		f.status = FINDING_OPEN;
		if (to == UINT64_MAX)
			f.line_pending = true;	/* settled when the line ends */
		else if (ignored_on_line(ms, start, to, r->id))
			f.status = FINDING_SUPPRESSED;
	}

	/* Overlapping hits of one rule: keep the longest. */
	if (ms->last_of_rule[rule] >= 0) {
		struct finding *prev = &ms->findings[ms->last_of_rule[rule]];

		if (start < prev->offset + prev->secret_len) {
			if (slen > prev->secret_len) {
				ms->n_line_pending -= prev->line_pending;
				ms->n_line_pending += f.line_pending;
				*prev = f;
			}
			return 0;
		}
	}
	if (ms->n_findings >= LIMIT_FINDINGS_PER_OBJECT) {
		ms->findings_over_limit++;
		return 0;
	}
	if (array_reserve(&ms->findings, &ms->cap_findings, ms->n_findings,
			  sizeof(*ms->findings), 8) != 0)
		return ERR_NOMEM;
	ms->last_of_rule[rule] = (int32_t)ms->n_findings;
	ms->findings[ms->n_findings++] = f;
	ms->n_line_pending += f.line_pending;
	return 0;
}

/* Stage 2 for a hit of `rule` ending at `end`. */
static int confirm(struct match_stream *ms, uint32_t rule, uint64_t end)
{
	const struct secret_rule *r = &ms->rs->rules[rule];
	const struct compiled_rule *c = &ms->rs->comp[rule];
	struct match_scratch *sc = ms->sc;
	uint64_t need = (uint64_t)c->width + r->keyword_window + 64;
	uint64_t from = end > need ? end - need : 0;
	size_t wlen, start_off;
	PCRE2_SIZE *ov;
	const uint8_t *secret;
	size_t slen, mstart;
	int rc;

	wlen = copy_window(ms, from, end);
	from = end - wlen;
	start_off = wlen > c->width ? wlen - c->width : 0;
	rc = pcre2_match(c->confirm, sc->window, wlen, start_off, 0, sc->md, sc->mctx);
	if (rc < 0)
		return 0;	/* no exact match ending here (or limit hit) */
	ov = pcre2_get_ovector_pointer(sc->md);
	if (ov[1] != wlen)
		return 0;
	mstart = ov[0];
	if (r->secret_group) {
		if ((uint32_t)rc <= r->secret_group || ov[2 * r->secret_group] == PCRE2_UNSET)
			return 0;
		secret = sc->window + ov[2 * r->secret_group];
		slen = ov[2 * r->secret_group + 1] - ov[2 * r->secret_group];
		mstart = ov[2 * r->secret_group];
	} else {
		secret = sc->window + ov[0];
		slen = ov[1] - ov[0];
	}
	/* `paths:` with a pattern: only files so named (all while unknown) */
	if (r->n_paths && ms->path && !rule_path_matches(r, ms->path))
		return 0;
	if (r->keyword_window && r->n_keywords) {
		size_t kw_from = wlen > r->keyword_window ? wlen - r->keyword_window : 0;

		if (!keyword_near(r, sc->window + kw_from, wlen - kw_from))
			return 0;
	}
	if (validate_is_placeholder((const char *)secret, slen))
		return 0;
	if (r->tier == RULE_TIER_WARN && validate_is_benign_identifier((const char *)secret, slen))
		return 0;
	if (r->entropy_min > 0 && entropy_shannon((const char *)secret, slen) < r->entropy_min)
		return 0;
	/* Generic rules: the value must look like a credential, not an
	 * identifier, text or path (token efficiency, candidate.h). */
	if (r->candidate != RULE_CANDIDATE_NONE &&
	    candidate_score(r->candidate, (const char *)secret, slen) < r->candidate_min)
		return 0;
	if (!validate_secret(r->validators, (const char *)secret, slen))
		return 0;
	return add_finding(ms, rule, from + mstart, secret, slen, end,
			   from + (r->line_at == RULE_LINE_MATCH ? ov[0] : mstart));
}

bool match_path_rule_applies(const struct ruleset *rs, uint32_t rule, const char *path,
			     const uint8_t *head, size_t n)
{
	const struct secret_rule *r = &rs->rules[rule];

	return rule_is_path_only(r) && n > 0 && rule_path_matches(r, path) &&
	       validate_secret(r->validators, (const char *)head, n);
}

void match_path_finding(const struct ruleset *rs, uint32_t rule, const char *blob_hex,
			struct finding *out)
{
	const struct secret_rule *r = &rs->rules[rule];
	size_t len = strlen(blob_hex);

	memset(out, 0, sizeof(*out));
	out->rule = rule;
	out->line = 1;
	out->column = 1;
	out->secret_len = (uint32_t)len;
	out->status = FINDING_OPEN;
	out->evidence = finding_evidence_of(r);
	match_fingerprint(rs, r->id, (const uint8_t *)blob_hex, len, out->fingerprint);
	match_redact((const uint8_t *)blob_hex, len, 0, out->redacted);
}

int match_stream_set_object(struct match_stream *ms, const char *path, const char *blob_hex,
			    uint64_t size)
{
	const mbedtls_md_info_t *sha1 = mbedtls_md_info_from_type(MBEDTLS_MD_SHA1);
	mbedtls_md_context_t *md;
	char hdr[32];
	size_t i;
	int n;

	ms->path = path;
	ms->blob_hex = blob_hex;
	if (!path || blob_hex || ms->blob_md)
		return 0;
	for (i = 0; i < ms->rs->n; i++)
		if (rule_is_path_only(&ms->rs->rules[i]) &&
		    rule_path_matches(&ms->rs->rules[i], path))
			break;
	if (i == ms->rs->n)
		return 0;	/* no path rule wants an id: hash nothing */
	md = xmalloc(sizeof(*md));
	if (!md)
		return ERR_NOMEM;
	mbedtls_md_init(md);
	ms->blob_md = md;
	if (!sha1 || mbedtls_md_setup(md, sha1, 0) != 0 || mbedtls_md_starts(md) != 0)
		return ERR_NOMEM;
	/* git's object header, so the id is the one `git hash-object` gives */
	if (size != UINT64_MAX) {
		n = snprintf(hdr, sizeof(hdr), "blob %llu", (unsigned long long)size);
		mbedtls_md_update(md, (const uint8_t *)hdr, (size_t)n + 1);
	}
	return 0;
}

/* Findings of path rules for a named object, at its end. */
static int add_path_findings(struct match_stream *ms)
{
	char hex[2 * 32 + 1];
	uint8_t digest[32];
	const char *id = ms->blob_hex;
	size_t i, k;

	if (!ms->path || ms->pos == 0)
		return 0;	/* an empty file holds no secret */
	/* one file, one reason: a file a block rule already refuses (the
	 * key inside id_rsa) does not get its name reported as well */
	for (i = 0; i < ms->n_findings; i++)
		if (ms->findings[i].status == FINDING_OPEN &&
		    ms->rs->rules[ms->findings[i].rule].tier == RULE_TIER_BLOCK)
			return 0;
	for (i = 0; i < ms->rs->n; i++) {
		if (!match_path_rule_applies(ms->rs, (uint32_t)i, ms->path, ms->head, ms->head_len))
			continue;
		if (!id) {
			if (!ms->blob_md || mbedtls_md_finish(ms->blob_md, digest) != 0)
				return ERR_NOMEM;
			for (k = 0; k < 20; k++)
				snprintf(hex + 2 * k, 3, "%02x", digest[k]);
			id = hex;
		}
		if (ms->n_findings >= LIMIT_FINDINGS_PER_OBJECT) {
			ms->findings_over_limit++;
			continue;
		}
		if (array_reserve(&ms->findings, &ms->cap_findings, ms->n_findings,
				  sizeof(*ms->findings), 8) != 0)
			return ERR_NOMEM;
		match_path_finding(ms->rs, (uint32_t)i, id, &ms->findings[ms->n_findings++]);
	}
	return 0;
}

static int on_hit(unsigned int id, unsigned long long from, unsigned long long to,
		  unsigned int flags, void *ctx)
{
	struct match_stream *ms = ctx;
	int err;

	UNUSED(from);
	UNUSED(flags);
	err = confirm(ms, id, to);
	if (err) {
		ms->err = err;
		return 1;	/* stop scanning: out of memory */
	}
	return 0;
}

static void keep_tail(struct match_stream *ms, const uint8_t *p, size_t n)
{
	size_t keep = ms->ring.max;
	const uint8_t *lf;

	if (n >= keep) {
		buf_reset(&ms->ring);
		buf_append(&ms->ring, p + n - keep, keep);
	} else {
		if (ms->ring.len + n > keep)
			buf_consume(&ms->ring, ms->ring.len + n - keep);
		buf_append(&ms->ring, p, n);
	}
	lf = memrchr(p, '\n', n);
	if (lf)
		ms->last_lf = (int64_t)(ms->pos + (uint64_t)(lf - p));
}

int match_stream_feed(struct match_stream *ms, const uint8_t *p, size_t n)
{
	if (ms->err)
		return ms->err;
	if (n == 0)
		return 0;
	if (ms->head_len < sizeof(ms->head)) {
		size_t k = MIN(n, sizeof(ms->head) - ms->head_len);

		memcpy(ms->head + ms->head_len, p, k);
		ms->head_len += k;
	}
	if (ms->blob_md)
		mbedtls_md_update(ms->blob_md, p, n);
	if (ms->pos < LIMIT_BINARY_SNIFF_BYTES && !ms->binary)
		ms->binary = memchr(p, 0, (size_t)MIN((uint64_t)n, LIMIT_BINARY_SNIFF_BYTES - ms->pos)) != NULL;
	ms->chunk = p;
	ms->chunk_len = n;
	ms->cursor = 0;
	ms->cursor_lines = 0;
	if (ms->hs) {
		/* Hyperscan 5.4's AVX-512 VBMI literal matcher reads up to a
		 * vector past the end of the buffer it is given (vectorscan
		 * issue 322): a buffer ending at an unmapped page crashes the
		 * process.  So the last MATCH_SCAN_PAD bytes are scanned from a
		 * copy with readable room after it; the rest in place, where our
		 * own tail follows.  Two calls on one stream match exactly as
		 * one, and the callbacks read p through ms->chunk either way. */
		size_t off = 0, direct = n > MATCH_SCAN_PAD ? n - MATCH_SCAN_PAD : 0;

		ms->chunk = p;		/* offsets stay relative to p */
		while (off < direct && !ms->err) {
			/* n may exceed UINT_MAX only in theory; feed in pieces. */
			unsigned piece = (unsigned)MIN(direct - off, (size_t)1 << 30);

			if (hs_scan_stream(ms->hs, (const char *)p + off, piece, 0, ms->sc->hs,
					   on_hit, ms) != HS_SUCCESS && !ms->err)
				ms->err = ERR_HYPERSCAN;
			off += piece;
		}
		if (off < n && !ms->err) {
			uint8_t tail[2 * MATCH_SCAN_PAD];

			memcpy(tail, p + off, n - off);
			memset(tail + (n - off), 0, sizeof(tail) - (n - off));
			if (hs_scan_stream(ms->hs, (const char *)tail, (unsigned)(n - off), 0,
					   ms->sc->hs, on_hit, ms) != HS_SUCCESS && !ms->err)
				ms->err = ERR_HYPERSCAN;
		}
	}
	if (ms->n_line_pending)
		settle_line_pending(ms, false);
	ms->lines_before += count_lf(p, n);
	keep_tail(ms, p, n);
	ms->pos += n;
	ms->chunk = NULL;
	ms->chunk_len = 0;
	return ms->err;
}

/* Whether finding i stands on its own: binary objects keep block tier
 * only, and a rule that requires a companion needs a finding of it. */
static bool finding_stands(const struct match_stream *ms, size_t i)
{
	const struct ruleset *rs = ms->rs;
	const struct finding *f = &ms->findings[i];
	long req = rs->comp[f->rule].requires;
	size_t j;

	/* Binary objects: block tier only (secrets.md §2). */
	if (ms->binary && rs->rules[f->rule].tier == RULE_TIER_WARN)
		return false;
	if (req < 0)
		return true;
	for (j = 0; j < ms->n_findings; j++)
		if (ms->findings[j].rule == (uint32_t)req)
			return true;
	return false;
}

static void drop_findings(struct match_stream *ms)
{
	const struct ruleset *rs = ms->rs;
	bool *stands;
	size_t i, o = 0;

	if (ms->n_findings == 0)
		return;
	stands = xcalloc(ms->n_findings, sizeof(*stands));
	if (!stands) {
		ms->err = ERR_NOMEM;
		return;
	}
	for (i = 0; i < ms->n_findings; i++)
		stands[i] = finding_stands(ms, i);
	for (i = 0; i < ms->n_findings; i++) {
		const struct finding *f = &ms->findings[i];
		bool keep = stands[i];

		/* A generic (warn) match of a secret a specific (block) rule
		 * already reports is the same finding twice: keep the specific
		 * one (GITHUB_TOKEN=ghp_... is a GitHub token, not "a token").
		 * Only a block finding that stands counts: an AWS secret whose
		 * key id is missing is not reported by the pair rule, so the
		 * warn rule for a lone secret must keep it. */
		if (keep && rs->rules[f->rule].tier == RULE_TIER_WARN) {
			bool generic = rs->rules[f->rule].candidate != RULE_CANDIDATE_NONE;
			size_t j;

			for (j = 0; keep && j < ms->n_findings; j++) {
				const struct finding *g = &ms->findings[j];
				const struct secret_rule *gr = &rs->rules[g->rule];

				if (j == i || !stands[j] ||
				    g->offset >= f->offset + f->secret_len ||
				    f->offset >= g->offset + g->secret_len)
					continue;
				/* Likewise a generic assignment rule (one with a
				 * candidate filter) gives way to any rule that
				 * names the product (spring.datasource.password
				 * is a Spring datasource password). */
				if (gr->tier == RULE_TIER_BLOCK ||
				    (generic && gr->candidate == RULE_CANDIDATE_NONE))
					keep = false;
			}
		}
		if (keep)
			ms->findings[o++] = *f;
	}
	xfree(stands);
	ms->n_findings = o;
}

int match_stream_finish(struct match_stream *ms)
{
	if (ms->hs) {
		ms->chunk = NULL;
		ms->chunk_len = 0;
		ms->cursor = 0;
		ms->cursor_lines = 0;
		if (hs_close_stream(ms->hs, ms->sc->hs, on_hit, ms) != HS_SUCCESS && !ms->err)
			ms->err = ERR_HYPERSCAN;
		ms->hs = NULL;
	}
	if (ms->n_line_pending)
		settle_line_pending(ms, true);
	if (!ms->err)
		drop_findings(ms);
	if (!ms->err)
		ms->err = add_path_findings(ms);
	return ms->err;
}

void match_stream_release(struct match_stream *ms)
{
	if (ms->hs) {
		hs_close_stream(ms->hs, NULL, NULL, NULL);
		ms->hs = NULL;
	}
	if (ms->blob_md) {
		mbedtls_md_free(ms->blob_md);
		xfree(ms->blob_md);
		ms->blob_md = NULL;
	}
	buf_release(&ms->ring);
	xfree(ms->findings);
	xfree(ms->last_of_rule);
	ms->findings = NULL;
	ms->last_of_rule = NULL;
	ms->n_findings = 0;
}
