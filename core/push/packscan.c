/*
 * packscan.c - blobs of a pack through the matcher; attribution at the end.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/base/limits.h"
#include "core/base/membudget.h"
#include "core/iac/iac.h"
#include "core/match/validate.h"
#include "core/pack/attrib.h"
#include "core/push/packscan.h"

#include <stdio.h>
#include <strings.h>

struct pending_blob {
	struct pack_oid oid;
	struct finding *findings;	/* owned */
	size_t n;
	char *path;			/* after resolve, owned */
	char commit[2 * PACK_OID_MAX + 1];
	char blob[2 * PACK_OID_MAX + 1];
};

struct iac_candidate {
	struct pack_oid oid;
	uint8_t *data;			/* owned, the whole blob */
	size_t len;
	char *path;			/* after resolve */
	char commit[2 * PACK_OID_MAX + 1];
	char blob[2 * PACK_OID_MAX + 1];
	struct iac_finding *findings;	/* after resolve, owned */
	size_t n;
};

/* A non-empty blob whose first bytes pass the content checks of some path
 * rules (bit i: path_rules[i]); its path is known only at resolve. */
struct path_cand {
	struct pack_oid oid;
	uint64_t rules;
};

/* Path rules beyond this many are not evaluated on packs. */
#define PACKSCAN_PATH_RULES_MAX 64

struct packscan {
	struct packscan_params p;
	struct pack_parser *parser;
	struct pack_attrib *attrib;
	struct match_stream ms;
	bool in_blob;
	struct pending_blob *pending;
	size_t n_pending, cap_pending;
	struct buf iac_buf;		/* the current blob, when a candidate */
	bool iac_keep;			/* current blob is being kept */
	uint64_t iac_kept_bytes;	/* all candidates so far */
	struct iac_candidate *iac;
	size_t n_iac, cap_iac;
	struct packscan_stats stats;
	uint32_t path_rules[PACKSCAN_PATH_RULES_MAX];	/* rule indexes */
	size_t n_path_rules;
	struct path_cand *path_cands;
	size_t n_path_cands, cap_path_cands;
};

/* Remembers the blob ending now when a path rule may report it. */
static int keep_path_cand(struct packscan *ps, const struct pack_object_info *info)
{
	uint64_t rules = 0;
	size_t i;

	for (i = 0; i < ps->n_path_rules; i++) {
		const struct secret_rule *r = ruleset_rule(ps->p.rs, ps->path_rules[i]);

		if (validate_secret(r->validators, (const char *)ps->ms.head, ps->ms.head_len))
			rules |= 1ull << i;
	}
	if (!rules)
		return 0;
	if (array_reserve(&ps->path_cands, &ps->cap_path_cands, ps->n_path_cands,
			  sizeof(*ps->path_cands), 64) != 0)
		return ERR_NOMEM;
	ps->path_cands[ps->n_path_cands].oid = info->oid;
	ps->path_cands[ps->n_path_cands++].rules = rules;
	return 0;
}

/* Bytes of a blob looked at before deciding whether to keep it whole. */
#define IAC_SNIFF_BYTES 16384u

/* The first non-blank line that is not a comment ('#' or '//'). */
static const uint8_t *first_code_line(const uint8_t *p, size_t n, size_t *len)
{
	const uint8_t *end = p + n;

	while (p < end) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		const uint8_t *e = nl ? nl : end, *q = p;

		while (q < e && (*q == ' ' || *q == '\t' || *q == '\r' || *q == 0xef || *q == 0xbb ||
				 *q == 0xbf))
			q++;
		if (q < e && *q != '#' && !(e - q >= 2 && q[0] == '/' && q[1] == '/')) {
			*len = (size_t)(e - q);
			return q;
		}
		p = e + (nl ? 1 : 0);
	}
	return NULL;
}

static bool line_starts_ci(const uint8_t *l, size_t n, const char *word)
{
	size_t wl = strlen(word);

	return n >= wl && strncasecmp((const char *)l, word, wl) == 0;
}

/* Whether a blob may be an IaC file, from its first bytes, before its
 * path is known: what iac_detect() recognises from content alone (ARM,
 * CloudFormation, Kubernetes), or a first code line that opens a
 * Terraform block, a Bicep declaration or a Dockerfile.  Anything else is
 * not kept (a Python "from x import" line is not a Dockerfile). */
static bool iac_maybe(const uint8_t *p, size_t n)
{
	static const char *const openers[] = {
		"resource \"", "module \"", "provider \"", "variable \"", "data \"", "output \"",
		"terraform {", "locals {", "resource ", "targetScope", "param ", "metadata ",
		"FROM ", "ARG ", "@description(", "@secure()", "@allowed(", "@minLength(",
		"@maxLength(", "@minValue(", "@maxValue(", "@metadata(", "@export(",
	};
	size_t head = MIN(n, (size_t)65536), len, i;
	const uint8_t *l;

	if (iac_detect(NULL, p, head) != IAC_NONE)
		return true;
	l = first_code_line(p, head, &len);
	if (!l)
		return false;
	for (i = 0; i < ARRAY_SIZE(openers); i++)
		if (line_starts_ci(l, len, openers[i]))
			return true;
	return false;
}

static int on_begin(void *ctx, const struct pack_object_info *info)
{
	struct packscan *ps = ctx;
	int err;

	if (info->type != PACK_OBJ_BLOB)
		return pack_attrib_object_begin(ps->attrib, info);
	err = match_stream_init(&ps->ms, ps->p.rs, ps->p.sc);
	if (err) {
		match_stream_release(&ps->ms);
		return err;
	}
	ps->in_blob = true;
	buf_reset(&ps->iac_buf);
	ps->iac_keep = ps->p.iac && info->size <= LIMIT_IAC_FILE_BYTES_DEFAULT;
	return 0;
}

static int on_data(void *ctx, const struct pack_object_info *info, const uint8_t *p, size_t n)
{
	struct packscan *ps = ctx;

	if (info->type != PACK_OBJ_BLOB)
		return pack_attrib_object_data(ps->attrib, info, p, n);
	if (!ps->in_blob)
		return 0;
	if (ps->iac_keep) {
		size_t before = ps->iac_buf.len;

		if (buf_append(&ps->iac_buf, p, n) != 0)
			ps->iac_keep = false;
		/* Decide from the first bytes, so that blobs which are not IaC
		 * (nearly all of them) are not copied whole. */
		else if (before < IAC_SNIFF_BYTES && ps->iac_buf.len >= IAC_SNIFF_BYTES &&
			 !iac_maybe(ps->iac_buf.data, ps->iac_buf.len))
			ps->iac_keep = false;
	}
	return match_stream_feed(&ps->ms, p, n);
}

static int on_end(void *ctx, const struct pack_object_info *info)
{
	struct packscan *ps = ctx;
	struct pending_blob *pb;
	int err;

	if (info->type != PACK_OBJ_BLOB)
		return pack_attrib_object_end(ps->attrib, info);
	if (!ps->in_blob)
		return 0;
	ps->in_blob = false;
	err = match_stream_finish(&ps->ms);
	ps->stats.blobs++;
	ps->stats.blob_bytes += info->size;
	ps->stats.binary_blobs += ps->ms.binary;
	ps->stats.findings_over_limit += ps->ms.findings_over_limit;
	if (!err && ps->ms.n_findings) {
		if (array_reserve(&ps->pending, &ps->cap_pending, ps->n_pending,
				  sizeof(*ps->pending), 16) != 0) {
			match_stream_release(&ps->ms);
			return ERR_NOMEM;
		}
		pb = &ps->pending[ps->n_pending++];
		memset(pb, 0, sizeof(*pb));
		pb->oid = info->oid;
		pb->n = ps->ms.n_findings;
		pb->findings = ps->ms.findings;		/* ownership moves */
		ps->ms.findings = NULL;
		ps->ms.n_findings = 0;
	}
	if (!err && ps->iac_keep && !ps->ms.binary && iac_maybe(ps->iac_buf.data, ps->iac_buf.len)) {
		struct iac_candidate *c;

		struct membudget *mb = ps->p.limits.memory;

		/* a candidate costs only an IaC verdict, never the push: when the
		 * shared budget is spent it is skipped like one over the limit */
		if (ps->iac_kept_bytes + ps->iac_buf.len > LIMIT_IAC_KEPT_BYTES ||
		    (mb && !membudget_take(mb, ps->iac_buf.len))) {
			ps->stats.iac_not_evaluated++;
		} else if (array_reserve(&ps->iac, &ps->cap_iac, ps->n_iac, sizeof(*ps->iac), 8) != 0) {
			if (mb)
				membudget_give(mb, ps->iac_buf.len);
			err = ERR_NOMEM;
		} else {
			c = &ps->iac[ps->n_iac];
			memset(c, 0, sizeof(*c));
			c->oid = info->oid;
			c->len = ps->iac_buf.len;
			c->data = ps->iac_buf.data;	/* ownership moves */
			buf_init(&ps->iac_buf, LIMIT_IAC_FILE_BYTES_DEFAULT);
			ps->iac_kept_bytes += c->len;
			ps->n_iac++;
		}
	}
	if (!err && ps->n_path_rules && info->size > 0)
		err = keep_path_cand(ps, info);
	buf_reset(&ps->iac_buf);
	match_stream_release(&ps->ms);
	return err;
}

int packscan_new(const struct packscan_params *p, struct packscan **out)
{
	struct packscan *ps = xcalloc(1, sizeof(*ps));
	struct pack_params pp;
	size_t i;
	int err;

	*out = NULL;
	if (!ps)
		return ERR_NOMEM;
	ps->p = *p;
	for (i = 0; i < ruleset_count(p->rs) && ps->n_path_rules < PACKSCAN_PATH_RULES_MAX; i++)
		if (rule_is_path_only(ruleset_rule(p->rs, i)))
			ps->path_rules[ps->n_path_rules++] = (uint32_t)i;
	buf_init(&ps->iac_buf, LIMIT_IAC_FILE_BYTES_DEFAULT);
	memset(&pp, 0, sizeof(pp));
	pp.hash_algo = p->algo;
	pp.limits = p->limits;
	pp.sink.object_begin = on_begin;
	pp.sink.object_data = on_data;
	pp.sink.object_end = on_end;
	pp.sink.ctx = ps;
	pp.pack_fd = p->pack_fd;
	pp.spool_dir = p->spool_dir;
	pp.cancel = p->cancel;
	err = pack_attrib_new(p->algo, LIMIT_PATH_MAP_BYTES_DEFAULT, &ps->attrib);
	if (!err) {
		pack_attrib_set_memory(ps->attrib, p->limits.memory);
		err = pack_parser_new(&pp, &ps->parser);
	}
	if (err) {
		packscan_free(ps);
		return err;
	}
	*out = ps;
	return 0;
}

void packscan_free(struct packscan *ps)
{
	size_t i;

	if (!ps)
		return;
	if (ps->in_blob)
		match_stream_release(&ps->ms);
	for (i = 0; i < ps->n_pending; i++) {
		xfree(ps->pending[i].findings);
		xfree(ps->pending[i].path);
	}
	xfree(ps->pending);
	xfree(ps->path_cands);
	for (i = 0; i < ps->n_iac; i++) {
		xfree(ps->iac[i].data);
		xfree(ps->iac[i].path);
		xfree(ps->iac[i].findings);
	}
	xfree(ps->iac);
	if (ps->p.limits.memory && ps->iac_kept_bytes)
		membudget_give(ps->p.limits.memory, (size_t)ps->iac_kept_bytes);
	buf_release(&ps->iac_buf);
	pack_parser_free(ps->parser);
	pack_attrib_free(ps->attrib);
	xfree(ps);
}

struct dec_result packscan_feed(struct packscan *ps, const uint8_t *p, size_t n)
{
	return pack_parser_feed(ps->parser, p, n);
}

struct dec_result packscan_finish(struct packscan *ps)
{
	return pack_parser_finish(ps->parser);
}

/* iac_set_scan callback: a candidate's findings, copied. */
static int iac_keep_findings(void *arg, const char *path, void *user, const struct iac_finding *f, size_t n)
{
	struct packscan *ps = arg;
	struct iac_candidate *c = user;

	UNUSED(path);
	ps->stats.iac_files++;
	if (!n)
		return 0;
	if (!(c->findings = xmalloc(n * sizeof(*f))))
		return ERR_NOMEM;
	memcpy(c->findings, f, n * sizeof(*f));
	c->n = n;
	return 0;
}

/* Rules with `paths:` and a pattern report only files so named: now that
 * the blob's path is known, drop the others. */
static void filter_by_path(struct packscan *ps, struct pending_blob *pb, const char *path)
{
	size_t i, o = 0;

	for (i = 0; i < pb->n; i++) {
		const struct secret_rule *r = ruleset_rule(ps->p.rs, pb->findings[i].rule);

		if (!r->n_paths || rule_path_matches(r, path))
			pb->findings[o++] = pb->findings[i];
	}
	pb->n = o;
}

/* Path rule findings for the kept candidates whose path matches.  A blob
 * that already has an open block finding is refused for it: one file, one
 * reason. */
static int add_path_findings(struct packscan *ps, size_t len)
{
	size_t i, j, k;

	for (i = 0; i < ps->n_path_cands; i++) {
		const struct path_cand *c = &ps->path_cands[i];
		struct pending_blob *pb = NULL;
		const char *path = NULL;
		struct pack_oid commit;
		char hex[2 * PACK_OID_MAX + 1];
		uint64_t named = 0;
		bool blocked = false;

		if (!pack_attrib_lookup(ps->attrib, &c->oid, &path, &commit))
			continue;	/* no path: not a file of any commit */
		/* The names first: most kept blobs match no rule's name, and
		 * only those that do are looked up among the pending blobs. */
		for (j = 0; j < ps->n_path_rules; j++)
			if ((c->rules & (1ull << j)) &&
			    rule_path_matches(ruleset_rule(ps->p.rs, ps->path_rules[j]), path))
				named |= 1ull << j;
		if (!named)
			continue;
		for (j = 0; j < ps->n_pending && !pb; j++)
			if (memcmp(&ps->pending[j].oid, &c->oid, sizeof(c->oid)) == 0)
				pb = &ps->pending[j];
		for (k = 0; pb && k < pb->n; k++)
			if (pb->findings[k].status == FINDING_OPEN &&
			    ruleset_rule(ps->p.rs, pb->findings[k].rule)->tier == RULE_TIER_BLOCK)
				blocked = true;
		pack_oid_hex(&c->oid, len, hex);
		for (j = 0; !blocked && j < ps->n_path_rules; j++) {
			uint32_t rule = ps->path_rules[j];
			struct finding *nf;

			if (!(named & (1ull << j)))
				continue;
			if (!pb) {
				if (array_reserve(&ps->pending, &ps->cap_pending, ps->n_pending,
						  sizeof(*ps->pending), 16) != 0)
					return ERR_NOMEM;
				pb = &ps->pending[ps->n_pending++];
				memset(pb, 0, sizeof(*pb));
				pb->oid = c->oid;
				memcpy(pb->blob, hex, sizeof(pb->blob));
				pack_oid_hex(&commit, len, pb->commit);
				pb->path = xstrdup(path);
				if (!pb->path)
					return ERR_NOMEM;
			}
			nf = xrealloc(pb->findings, (pb->n + 1) * sizeof(*nf));
			if (!nf)
				return ERR_NOMEM;
			pb->findings = nf;
			match_path_finding(ps->p.rs, rule, hex, &pb->findings[pb->n++]);
		}
	}
	return 0;
}

int packscan_resolve(struct packscan *ps)
{
	struct iac_set *set;
	size_t len = pack_oid_len(ps->p.algo), i;
	int err = pack_attrib_resolve(ps->attrib), e;

	for (i = 0; i < ps->n_pending; i++) {
		struct pending_blob *pb = &ps->pending[i];
		const char *path = NULL;
		struct pack_oid commit;
		struct buf b;

		pack_oid_hex(&pb->oid, len, pb->blob);
		pb->commit[0] = '\0';
		buf_init(&b, 1 << 16);
		if (!err && pack_attrib_lookup(ps->attrib, &pb->oid, &path, &commit)) {
			pack_oid_hex(&commit, len, pb->commit);
			buf_append_str(&b, path);
			filter_by_path(ps, pb, path);
		} else {
			buf_printf(&b, "blob:%s", pb->blob);
		}
		if (buf_append(&b, "", 1) != 0) {
			buf_release(&b);
			return ERR_NOMEM;
		}
		xfree(pb->path);
		pb->path = (char *)b.data;
	}
	if (!err)
		err = add_path_findings(ps, len);
	/* IaC candidates: now that paths are known, detect, and evaluate them
	 * together so that each file sees its directory (variables, partner
	 * resources, module inputs; iac.h "scan sets"). */
	set = NULL;
	if (!err && ps->n_iac && (e = iac_set_new(&set)))
		return e;
	for (i = 0; set && i < ps->n_iac; i++) {
		struct iac_candidate *c = &ps->iac[i];
		const char *path = NULL;
		struct pack_oid commit;

		pack_oid_hex(&c->oid, len, c->blob);
		if (!pack_attrib_lookup(ps->attrib, &c->oid, &path, &commit))
			continue;	/* no path: not a file of any commit */
		pack_oid_hex(&commit, len, c->commit);
		if (iac_detect(path, c->data, MIN(c->len, (size_t)65536)) == IAC_NONE && !iac_set_wants(path))
			continue;
		c->path = xstrdup(path);
		if (!c->path || (e = iac_set_add(set, path, c->data, c->len, c))) {
			iac_set_free(set);
			return ERR_NOMEM;
		}
	}
	if (set) {
		struct iac_scan_opts o;

		/* Bounded time per file: a hostile file costs at most this
		 * much, then it is UNKNOWN with a limit reason. */
		iac_scan_opts_default(&o);
		o.time_ms_per_mib = LIMIT_IAC_TIME_MS_PER_MIB;
		e = iac_set_scan(ps->p.iac, &o, set, iac_keep_findings, ps);
		iac_set_free(set);
		if (e)
			return e;
	}
	return err;
}

size_t packscan_iac_count(const struct packscan *ps)
{
	return ps->n_iac;
}

void packscan_iac_get(const struct packscan *ps, size_t i, struct packscan_iac *out)
{
	const struct iac_candidate *c = &ps->iac[i];

	out->path = c->path ? c->path : "";
	memcpy(out->commit, c->commit, sizeof(out->commit));
	memcpy(out->blob, c->blob, sizeof(out->blob));
	out->findings = c->path ? c->findings : NULL;
	out->n = c->path ? c->n : 0;
}

size_t packscan_blob_count(const struct packscan *ps)
{
	return ps->n_pending;
}

void packscan_blob_get(const struct packscan *ps, size_t i, struct packscan_blob *out)
{
	const struct pending_blob *pb = &ps->pending[i];

	out->path = pb->path ? pb->path : "";
	memcpy(out->commit, pb->commit, sizeof(out->commit));
	memcpy(out->blob, pb->blob, sizeof(out->blob));
	out->findings = pb->findings;
	out->n = pb->n;
}

void packscan_stats(const struct packscan *ps, struct packscan_stats *out)
{
	*out = ps->stats;
	pack_parser_stats(ps->parser, &out->pack);
	out->attrib_memory_short = pack_attrib_memory_short(ps->attrib);
}
