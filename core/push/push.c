/*
 * push.c - a receive-pack request body, decoded: the command block
 * (core/decode/receive_pack.h), then the pack through packscan.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/decode/receive_pack.h"
#include "core/iac/iac.h"
#include "core/push/packscan.h"
#include "core/push/push.h"

#include <stdio.h>

enum push_phase {
	PHASE_COMMANDS,		/* feeding the command block parser */
	PHASE_PACK,		/* feeding packscan */
	PHASE_AFTER,		/* pack trailer seen, or no pack expected */
	PHASE_FAILED,		/* a reason was recorded; bytes are ignored */
};

struct push_session {
	struct push_session_params p;
	enum push_phase phase;
	struct dec_receive_pack rp;		/* owns the parsed request */
	bool rp_live;
	const struct receive_pack_request *req;	/* after STOP */
	struct push_command *cmds;		/* copies */
	size_t n_cmds;
	char **options;				/* copies */
	size_t n_options;
	size_t prefix_len;			/* command block bytes */
	uint64_t total;				/* body bytes fed */
	uint64_t forwardable;			/* body bytes judged as part of
						 * the request: command block and
						 * pack bytes the parser accepted */
	struct packscan *pack;
	bool pack_done;				/* trailer verified */
	struct push_finding *findings;
	size_t n_findings;
	enum verdict_reason reason;		/* VR__COUNT when none */
	char detail[200];
	bool finished;
};

int push_session_new(const struct push_session_params *p, struct push_session **out)
{
	struct push_session *ps = xcalloc(1, sizeof(*ps));
	int err;

	*out = NULL;
	if (!ps)
		return ERR_NOMEM;
	ps->p = *p;
	ps->reason = VR__COUNT;
	err = dec_receive_pack.init(&ps->rp, NULL);
	if (err) {
		xfree(ps);
		return err;
	}
	ps->rp_live = true;
	*out = ps;
	return 0;
}

void push_session_free(struct push_session *ps)
{
	size_t i;

	if (!ps)
		return;
	if (ps->rp_live)
		dec_receive_pack.release(&ps->rp);
	packscan_free(ps->pack);
	xfree(ps->cmds);
	for (i = 0; i < ps->n_options; i++)
		xfree(ps->options[i]);
	xfree(ps->options);
	for (i = 0; i < ps->n_findings; i++)
		xfree(ps->findings[i].path);
	xfree(ps->findings);
	xfree(ps);
}

static void fail(struct push_session *ps, enum verdict_reason r, const char *detail)
{
	if (ps->reason == VR__COUNT) {
		ps->reason = r;
		snprintf(ps->detail, sizeof(ps->detail), "%s", detail ? detail : "");
	}
	ps->phase = PHASE_FAILED;
}

static void command_block_error(struct push_session *ps, int err)
{
	enum rp_why why = receive_pack_why(&ps->rp);
	const struct receive_pack_request *req = receive_pack_peek(&ps->rp);

	if (why == RP_WHY_SIGNED_PUSH)
		fail(ps, VR_SIGNED_PUSH, NULL);
	else if (err == ERR_LIMIT)
		fail(ps, VR_LIMIT_COMMANDS, receive_pack_why_str(why));
	else
		fail(ps, VR_PARSE_UNKNOWN, receive_pack_why_str(why));
	/* What was parsed still names the refs for the ng lines. */
	if (req && !ps->cmds) {
		size_t i;

		ps->cmds = xcalloc(req->ncommands + 1, sizeof(*ps->cmds));
		for (i = 0; ps->cmds && i < req->ncommands; i++) {
			snprintf(ps->cmds[i].ref, PUSH_REF_MAX, "%s", req->commands[i].ref);
			snprintf(ps->cmds[i].old_oid, PUSH_OID_HEX, "%s", req->commands[i].old_hex);
			snprintf(ps->cmds[i].new_oid, PUSH_OID_HEX, "%s", req->commands[i].new_hex);
		}
		ps->n_cmds = ps->cmds ? req->ncommands : 0;
	}
}

static int commands_done(struct push_session *ps)
{
	const struct receive_pack_request *req = receive_pack_peek(&ps->rp);
	struct packscan_params pp;
	size_t i;
	int err;

	ps->req = req;
	ps->cmds = xcalloc(req->ncommands + 1, sizeof(*ps->cmds));
	ps->options = xcalloc(req->noptions + 1, sizeof(char *));
	if (!ps->cmds || !ps->options)
		return ERR_NOMEM;
	for (i = 0; i < req->ncommands; i++) {
		if (req->commands[i].ref_len >= PUSH_REF_MAX) {
			fail(ps, VR_LIMIT_COMMANDS, "ref name too long");
			return 0;
		}
		snprintf(ps->cmds[i].ref, PUSH_REF_MAX, "%s", req->commands[i].ref);
		snprintf(ps->cmds[i].old_oid, PUSH_OID_HEX, "%s", req->commands[i].old_hex);
		snprintf(ps->cmds[i].new_oid, PUSH_OID_HEX, "%s", req->commands[i].new_hex);
	}
	ps->n_cmds = req->ncommands;
	for (i = 0; i < req->noptions; i++) {
		ps->options[i] = xstrdup(req->options[i].text);
		if (!ps->options[i])
			return ERR_NOMEM;
		ps->n_options++;
	}
	if (req->empty || req->delete_only) {
		ps->phase = PHASE_AFTER;
		return 0;
	}
	memset(&pp, 0, sizeof(pp));
	pp.rs = ps->p.rs;
	pp.sc = ps->p.sc;
	pp.algo = req->hexsz == 64 ? PACK_HASH_SHA256 : PACK_HASH_SHA1;
	pp.limits = ps->p.limits;
	pp.pack_fd = -1;
	pp.spool_dir = ps->p.spool_dir;
	pp.iac = ps->p.iac;
	pp.cancel = ps->p.cancel;
	err = packscan_new(&pp, &ps->pack);
	if (err == ERR_NOMEM)
		return err;
	if (err) {
		fail(ps, VR_INTERNAL, err_str(err));
		return 0;
	}
	ps->phase = PHASE_PACK;
	return 0;
}

/* "449 bytes", "12 KiB", "500 MiB": sizes in details, rounded down. */
static const char *size_text(char *out, size_t n, uint64_t bytes)
{
	if (bytes < 1024)
		snprintf(out, n, "%llu bytes", (unsigned long long)bytes);
	else if (bytes < 1024 * 1024)
		snprintf(out, n, "%llu KiB", (unsigned long long)(bytes >> 10));
	else
		snprintf(out, n, "%llu MiB", (unsigned long long)(bytes >> 20));
	return out;
}

static void pack_error(struct push_session *ps, int err)
{
	const struct pack_limits *l = &ps->p.limits;
	struct packscan_stats st;
	char detail[sizeof(ps->detail)], a[32], b[32], c[32];

	packscan_stats(ps->pack, &st);
	if (err == ERR_LIMIT) {
		switch (st.pack.limit_hit) {
		case PACK_LIMIT_OBJECTS: fail(ps, VR_LIMIT_OBJECTS, NULL); return;
		case PACK_LIMIT_OBJECT_BYTES: fail(ps, VR_LIMIT_OBJECT_SIZE, NULL); return;
		case PACK_LIMIT_DELTA_DEPTH: fail(ps, VR_LIMIT_DEPTH, NULL); return;
		case PACK_LIMIT_SPOOL_BYTES: fail(ps, VR_LIMIT_SPOOL, NULL); return;
		case PACK_LIMIT_INFLATE_TOTAL: fail(ps, VR_LIMIT_EXPANSION, NULL); return;
		case PACK_LIMIT_AMPLIFICATION:
			snprintf(detail, sizeof(detail),
				 "the pack would expand to more than %s from %s received "
				 "(limit %u:1 plus %s)",
				 size_text(a, sizeof(a), st.pack.limit_wanted),
				 size_text(b, sizeof(b), st.pack.bytes_in), l->amplification_ratio,
				 size_text(c, sizeof(c), l->amplification_slack));
			fail(ps, VR_LIMIT_AMPLIFICATION, detail);
			return;
		case PACK_LIMIT_MEMORY:
			snprintf(detail, sizeof(detail),
				 "the memory shared by pushes in flight is spent (this push "
				 "needed %s more)", size_text(a, sizeof(a), st.pack.limit_wanted));
			fail(ps, VR_LIMIT_MEMORY, detail);
			return;
		case PACK_LIMIT_SPOOL_DISK:
			fail(ps, VR_LIMIT_SPOOL, "no space left on the gate's spool disk");
			return;
		default: break;
		}
	}
	if (err == ERR_CANCELED)
		fail(ps, VR_BUDGET_TIME, "scanning took longer than the push time budget; "
		     "the rest of the push was not scanned");
	else if (err == ERR_BASE_MISSING)
		fail(ps, VR_THIN_BASE_MISSING, NULL);
	else if (err == ERR_NOMEM)
		fail(ps, VR_INTERNAL, "out of memory");
	else
		fail(ps, VR_PACK_CORRUPT, err_str(err));
}

int push_session_feed(struct push_session *ps, const uint8_t *p, size_t n)
{
	int err;

	ps->total += n;
	while (n > 0) {
		struct dec_result r;

		switch (ps->phase) {
		case PHASE_COMMANDS:
			r = dec_receive_pack.feed(&ps->rp, p, n, NULL);
			ps->prefix_len += r.consumed;
			if (r.status != DEC_ERR)
				ps->forwardable += r.consumed;
			p += r.consumed;
			n -= r.consumed;
			if (r.status == DEC_ERR) {
				if (r.err == ERR_NOMEM)
					return r.err;
				command_block_error(ps, r.err);
				return 0;
			}
			if (r.status == DEC_STOP) {
				err = commands_done(ps);
				if (err)
					return err;
			}
			break;
		case PHASE_PACK:
			r = packscan_feed(ps->pack, p, n);
			if (r.status != DEC_ERR)
				ps->forwardable += r.consumed;
			p += r.consumed;
			n -= r.consumed;
			if (r.status == DEC_ERR) {
				pack_error(ps, r.err);
				return 0;
			}
			if (r.status == DEC_STOP) {
				ps->pack_done = true;
				ps->phase = PHASE_AFTER;
			}
			break;
		case PHASE_AFTER:
			/* Bytes after the pack, or after a command block that
			 * announced none: not something git sends, and
			 * receive-pack would ignore them, so a gate that held
			 * "the last bytes" would hold these instead of the
			 * trailer. */
			fail(ps, VR_TRAILING_BYTES, ps->pack_done ? "bytes after the pack trailer"
				 : "bytes after a command block that announced no pack");
			return 0;
		case PHASE_FAILED:
			return 0;
		}
	}
	return 0;
}

static int collect_findings(struct push_session *ps)
{
	const struct ruleset *rs = ps->p.rs;
	size_t i, j, total = 0, k = 0;

	for (i = 0; i < packscan_blob_count(ps->pack); i++) {
		struct packscan_blob b;

		packscan_blob_get(ps->pack, i, &b);
		total += b.n;
	}
	for (i = 0; i < packscan_iac_count(ps->pack); i++) {
		struct packscan_iac b;

		packscan_iac_get(ps->pack, i, &b);
		total += b.n;
	}
	ps->findings = xcalloc(total + 1, sizeof(*ps->findings));
	if (!ps->findings)
		return ERR_NOMEM;
	for (i = 0; i < packscan_blob_count(ps->pack); i++) {
		struct packscan_blob b;

		packscan_blob_get(ps->pack, i, &b);
		for (j = 0; j < b.n; j++) {
			const struct finding *f = &b.findings[j];
			const struct secret_rule *r = ruleset_rule(rs, f->rule);
			struct push_finding *pf = &ps->findings[k];
			const char *nl;

			pf->kind = PF_SECRET;
			pf->rule = f->rule;
			snprintf(pf->rule_id, sizeof(pf->rule_id), "%s", r->id);
			snprintf(pf->rule_name, sizeof(pf->rule_name), "%s", r->name);
			pf->severity = r->severity;
			pf->tier = r->tier;
			pf->path = xstrdup(b.path);
			if (!pf->path)
				return ERR_NOMEM;
			snprintf(pf->commit, sizeof(pf->commit), "%s", b.commit);
			pf->line = f->line;
			pf->column = f->column;
			snprintf(pf->value, sizeof(pf->value), "%s", f->redacted);
			match_fingerprint_hex(f->fingerprint, pf->fingerprint);
			snprintf(pf->evidence, sizeof(pf->evidence), "%s",
				 finding_evidence_name(f->evidence));
			nl = strchr(r->remediation, '\n');
			snprintf(pf->remediation, sizeof(pf->remediation), "%.*s",
				 nl ? (int)(nl - r->remediation) : (int)strlen(r->remediation),
				 r->remediation);
			pf->status = f->status == FINDING_SUPPRESSED ? PF_SUPPRESSED : PF_OPEN;
			k++;
			ps->n_findings = k;
		}
	}
	for (i = 0; i < packscan_iac_count(ps->pack); i++) {
		struct packscan_iac b;

		packscan_iac_get(ps->pack, i, &b);
		for (j = 0; j < b.n; j++) {
			const struct iac_finding *f = &b.findings[j];
			struct push_finding *pf = &ps->findings[k];

			pf->kind = PF_IAC;
			pf->rule = f->check;
			pf->tier = RULE_TIER_WARN;
			if (f->check == IAC_CHECK_NONE) {
				snprintf(pf->rule_id, sizeof(pf->rule_id), "IAC-UNPARSED");
				snprintf(pf->rule_name, sizeof(pf->rule_name),
					 "IaC file could not be evaluated");
				pf->severity = SEV_MEDIUM;
				snprintf(pf->remediation, sizeof(pf->remediation),
					 "fix the syntax or split the file; its resources were not checked");
			} else {
				const struct iac_check_info *ci = iac_checkset_info(ps->p.iac, f->check);

				snprintf(pf->rule_id, sizeof(pf->rule_id), "%s", ci->id);
				snprintf(pf->rule_name, sizeof(pf->rule_name), "%s%s",
					 f->result == IAC_UNKNOWN ? "could not be decided: " : "", ci->title);
				pf->severity = ci->severity;
				snprintf(pf->remediation, sizeof(pf->remediation), "%s", ci->remediation);
			}
			pf->path = xstrdup(b.path);
			if (!pf->path)
				return ERR_NOMEM;
			snprintf(pf->commit, sizeof(pf->commit), "%s", b.commit);
			pf->line = f->line;
			pf->column = f->column;
			snprintf(pf->value, sizeof(pf->value), "%.100s%s%.50s", f->found,
				 f->resource[0] ? "  in " : "", f->resource);
			pf->status = f->suppressed ? PF_SUPPRESSED : PF_OPEN;
			k++;
			ps->n_findings = k;
		}
	}
	return 0;
}

int push_session_finish(struct push_session *ps)
{
	struct packscan_stats st;
	int err = 0;

	if (ps->finished)
		return 0;
	ps->finished = true;
	if (ps->phase == PHASE_COMMANDS) {
		struct dec_result r = dec_receive_pack.finish(&ps->rp, NULL);

		if (ps->total == 0)
			return 0;	/* an empty body: nothing to judge */
		if (r.status == DEC_ERR)
			command_block_error(ps, r.err);
	}
	if (ps->phase == PHASE_PACK && !ps->pack_done) {
		struct dec_result r = packscan_finish(ps->pack);

		if (r.status == DEC_ERR)
			pack_error(ps, r.err);
		else
			ps->pack_done = true;
	}
	if (ps->pack) {
		int rerr = packscan_resolve(ps->pack);

		packscan_stats(ps->pack, &st);
		if (rerr && st.attrib_memory_short && ps->reason == VR__COUNT)
			fail(ps, VR_LIMIT_MEMORY, "the memory shared by pushes in flight is spent "
			     "(tree and path bytes kept to name the files)");
		if (rerr && ps->reason == VR__COUNT)
			fail(ps, VR_LIMIT_COMMANDS, "blob paths could not be resolved");
		if (st.findings_over_limit && ps->reason == VR__COUNT)
			fail(ps, VR_LIMIT_FINDINGS, NULL);
		if (st.iac_not_evaluated && ps->reason == VR__COUNT)
			fail(ps, VR_LIMIT_IAC, NULL);
		err = collect_findings(ps);
	}
	return err;
}

void push_session_stop(struct push_session *ps, enum verdict_reason r, const char *detail)
{
	fail(ps, r, detail);
}

bool push_session_commands_ready(const struct push_session *ps)
{
	return ps->req != NULL;
}

size_t push_session_prefix_len(const struct push_session *ps)
{
	return ps->prefix_len;
}

uint64_t push_session_forwardable(const struct push_session *ps)
{
	return ps->forwardable;
}

bool push_session_request_complete(const struct push_session *ps)
{
	return ps->phase == PHASE_AFTER;
}

int push_session_forward_prefix(const struct push_session *ps, bool strip_options,
				struct buf *out)
{
	if (!ps->req)
		return ERR_STATE;
	return receive_pack_reencode(ps->req, strip_options ? "push-options" : NULL,
				     strip_options, out);
}

const struct push_command *push_session_commands(const struct push_session *ps, size_t *n)
{
	*n = ps->n_cmds;
	return ps->cmds;
}

bool push_session_has_cap(const struct push_session *ps, const char *cap)
{
	const struct receive_pack_request *req = ps->req ? ps->req : receive_pack_peek(&ps->rp);

	if (!req)
		return false;
	if (strcmp(cap, "side-band-64k") == 0)
		return req->caps & RP_CAP_SIDE_BAND_64K;
	if (strcmp(cap, "atomic") == 0)
		return req->caps & RP_CAP_ATOMIC;
	if (strcmp(cap, "push-options") == 0)
		return req->caps & RP_CAP_PUSH_OPTIONS;
	if (strcmp(cap, "report-status") == 0)
		return req->caps & (RP_CAP_REPORT_STATUS | RP_CAP_REPORT_STATUS_V2);
	return false;
}

const char *const *push_session_options(const struct push_session *ps, size_t *n)
{
	*n = ps->n_options;
	return (const char *const *)ps->options;
}

bool push_session_is_probe(const struct push_session *ps)
{
	return ps->total == 4 && ps->req && ps->req->empty;
}

bool push_session_delete_only(const struct push_session *ps)
{
	return ps->req && ps->req->delete_only;
}

struct push_finding *push_session_findings(struct push_session *ps, size_t *n)
{
	*n = ps->n_findings;
	return ps->findings;
}

enum verdict_reason push_session_reason(const struct push_session *ps, const char **detail)
{
	if (detail)
		*detail = ps->detail[0] ? ps->detail : NULL;
	return ps->reason;
}

void push_session_counts(const struct push_session *ps, uint64_t *objects, uint64_t *bytes)
{
	struct packscan_stats st;

	*objects = *bytes = 0;
	if (!ps->pack)
		return;
	packscan_stats(ps->pack, &st);
	*objects = st.blobs;
	*bytes = st.blob_bytes;
}
