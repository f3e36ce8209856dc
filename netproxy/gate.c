/*
 * gate.c - policy and bypass -> verdict; messages; audit.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/report/gitmsg.h"
#include "core/verdict/verdict.h"
#include "netproxy/audit.h"
#include "netproxy/gate.h"

#include <stdio.h>

static const char *option_value(struct push_session *ps, const char *key)
{
	size_t n, i, kl = strlen(key);
	const char *const *opts = push_session_options(ps, &n);

	for (i = 0; i < n; i++)
		if (strncmp(opts[i], key, kl) == 0 && opts[i][kl] == '=')
			return opts[i] + kl + 1;
	return NULL;
}

static bool valid_bypass_reason(const char *r)
{
	return strcmp(r, "false-positive") == 0 || strcmp(r, "used-in-tests") == 0 ||
	       strcmp(r, "will-fix-later") == 0;
}

/* Limit and parse reasons go through the policy's `limits` action, time
 * through fail-open/closed. */
static enum verdict_action reason_action(const struct policy *p, enum verdict_reason r)
{
	if (r == VR_BUDGET_TIME)
		return p->fail_open ? ACTION_WARN : ACTION_REJECT;
	/* No push passes without its audit record, whatever the policy. */
	if (r == VR_INTERNAL || r == VR_AUDIT_FAILED)
		return ACTION_REJECT;
	if (r == VR_LIMIT_IAC)	/* IaC warns by default; so does its budget */
		return verdict_max(p->iac[SEV_HIGH], ACTION_WARN) == ACTION_REJECT ? ACTION_REJECT
										   : ACTION_WARN;
	return p->limits;
}

static enum verdict_reason finding_reason(const struct push_finding *f)
{
	if (f->kind == PF_IAC)
		return VR_IAC_FINDING;
	return f->action == ACTION_REJECT ? VR_SECRET_FOUND : VR_SECRET_WARN;
}

/* Writes the decision's audit record.  A push that would pass but cannot
 * be recorded is refused (AUDIT_FAILED): the record must exist before the
 * upstream can apply anything, and an unrecorded bypass is exactly what
 * someone pushing a secret on purpose would want.  Monitor mode does not
 * soften this: it is applied after policy_finalize().  A refused push stays
 * refused whether or not its record was written. */
static void record_or_refuse(const struct gate_context *gc, struct gate_decision *d,
			     struct audit_record *rec)
{
	int err = gc->srv->audit ? audit_write(gc->srv->audit, rec) : ERR_STATE;

	if (err && d->action != ACTION_REJECT) {
		snprintf(d->audit_detail, sizeof(d->audit_detail),
			 "the audit log could not be written: %s",
			 gc->srv->audit ? err_str(err) : "no audit log is open");
		d->action = ACTION_REJECT;
		d->reason = VR_AUDIT_FAILED;
		d->detail = d->audit_detail;
		d->bypass = NULL;	/* not granted: the push is refused */
		rec->action = d->action;
		rec->reason = d->reason;
		rec->detail = d->detail;
	}
	audit_syslog(rec, err);
}

void gate_decide(const struct gate_context *gc, struct push_session *ps,
		 struct gate_decision *d)
{
	const struct policy *p = config_policy_for(&gc->srv->cfg, gc->repo);
	const char *bypass = option_value(ps, "sluice.bypass");
	struct push_finding *f;
	size_t nf, i, n_cmds;
	enum verdict_action action = ACTION_ALLOW;
	struct audit_record rec;
	uint64_t objects = 0, bytes = 0;
	const struct push_finding *worst = NULL;
	bool want_bypass = false;

	memset(d, 0, sizeof(*d));
	audit_incident_id(d->incident);
	d->reason = push_session_reason(ps, &d->detail);
	f = push_session_findings(ps, &nf);

	if (bypass) {
		if (!valid_bypass_reason(bypass))
			snprintf(d->bypass_refused, sizeof(d->bypass_refused),
				 "unknown bypass reason '%.40s' (use " GATE_BYPASS_REASONS ")", bypass);
		else if (!policy_may_bypass(p, gc->user))
			snprintf(d->bypass_refused, sizeof(d->bypass_refused),
				 gc->user ? "user '%.40s' may not bypass in this repository"
					  : "bypass needs a user verified by the gate: add one with "
					    "`sluice user add`%.0s", gc->user ? gc->user : "");
		else
			want_bypass = true;
	}
	for (i = 0; i < nf; i++) {
		f[i].action = f[i].kind == PF_SECRET ? policy_secret_action(p, f[i].tier)
						     : policy_iac_action(p, f[i].severity);
		if (f[i].status == PF_SUPPRESSED)
			continue;
		if (want_bypass && f[i].action == ACTION_REJECT) {
			f[i].status = PF_BYPASSED;
			d->bypass = bypass;
			continue;
		}
		action = verdict_max(action, f[i].action);
		if (f[i].action >= ACTION_WARN && (!worst || f[i].action > worst->action))
			worst = &f[i];
	}
	if (d->reason != VR__COUNT)
		action = verdict_max(action, reason_action(p, d->reason));
	/* The reason shown: a refusing finding's, else what stopped the scan,
	 * else a warning finding's. */
	if (worst && (worst->action == ACTION_REJECT || d->reason == VR__COUNT))
		d->reason = finding_reason(worst);
	if (gc->verdict_ms > (double)gc->srv->cfg.verdict_deadline_ms) {
		d->budget_exceeded = true;
		if (d->reason == VR__COUNT || action < ACTION_REJECT)
			d->reason = VR_BUDGET_TIME;
		action = verdict_max(action, reason_action(p, VR_BUDGET_TIME));
	}
	d->action = policy_finalize(p, action);

	memset(&rec, 0, sizeof(rec));
	push_session_counts(ps, &objects, &bytes);
	rec.incident = d->incident;
	rec.client = gc->client;
	rec.user = gc->user;
	rec.repo = gc->repo;
	rec.cmds = push_session_commands(ps, &n_cmds);
	rec.n_cmds = n_cmds;
	rec.action = d->action;
	rec.reason = d->reason;
	rec.detail = d->detail ? d->detail : (d->bypass_refused[0] ? d->bypass_refused : NULL);
	rec.findings = f;
	rec.n_findings = nf;
	rec.bypass = d->bypass;
	rec.note = option_value(ps, "sluice.note");
	rec.generation = gc->generation;
	rec.objects = objects;
	rec.bytes = bytes;
	rec.scan_ms = gc->scan_ms;
	rec.verdict_ms = gc->verdict_ms;
	rec.budget_exceeded = d->budget_exceeded;
	record_or_refuse(gc, d, &rec);
}

static void opts_for(const struct gate_context *gc, struct push_session *ps,
		     const struct gate_decision *d, struct gitmsg_opts *o)
{
	const struct policy *p = config_policy_for(&gc->srv->cfg, gc->repo);

	o->sideband = push_session_has_cap(ps, "side-band-64k");
	o->max_findings = gc->srv->cfg.max_findings_shown;
	o->bypass_allowed = p->bypass == BYPASS_ANYONE || (p->bypass == BYPASS_USERS && gc->user);
	o->incident = d->incident;
}

int gate_reject_body(const struct gate_context *gc, struct push_session *ps,
		     const struct gate_decision *d, struct buf *out)
{
	struct gitmsg_opts o;
	struct push_finding *f;
	const struct push_command *cmds;
	size_t nf, nc;
	const char *detail = d->detail;

	opts_for(gc, ps, d, &o);
	f = push_session_findings(ps, &nf);
	cmds = push_session_commands(ps, &nc);
	if (d->bypass_refused[0] && !detail)
		detail = d->bypass_refused;
	/* Findings may be listed below as if they were the cause (a warned
	 * push); say first that the record was. */
	if (d->reason == VR_AUDIT_FAILED &&
	    (gitmsg_line(out, &o, "error: AUDIT_FAILED: the push could not be recorded in the audit "
			 "log, so it was refused") != 0 ||
	     gitmsg_line(out, &o, "hint: nothing was applied; ask an administrator to look at the "
			 "gate's audit log") != 0))
		return ERR_LIMIT;
	if (d->bypass_refused[0]) {
		char text[200];

		snprintf(text, sizeof(text), "error: bypass refused: %s", d->bypass_refused);
		if (gitmsg_line(out, &o, text) != 0)
			return ERR_LIMIT;
	}
	return gitmsg_reject(out, cmds, nc, f, nf,
			     d->reason == VR__COUNT ? VR_INTERNAL : d->reason, detail, &o);
}

int gate_warning_pkts(const struct gate_context *gc, struct push_session *ps,
		      const struct gate_decision *d, struct buf *out)
{
	struct gitmsg_opts o;
	struct push_finding *f;
	size_t nf;
	char note[200];

	opts_for(gc, ps, d, &o);
	f = push_session_findings(ps, &nf);
	note[0] = '\0';
	if (d->bypass)
		snprintf(note, sizeof(note), "push accepted with bypass '%s'; recorded as incident %s",
			 d->bypass, d->incident);
	else if (d->budget_exceeded || d->reason == VR_BUDGET_TIME)
		snprintf(note, sizeof(note), "scan did not finish in time; push let through "
			 "(fail-open), incident %s", d->incident);
	else if (d->bypass_refused[0])
		snprintf(note, sizeof(note), "%s", d->bypass_refused);
	return gitmsg_warnings(out, f, nf, note[0] ? note : NULL, &o);
}
