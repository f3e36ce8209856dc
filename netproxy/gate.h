/*
 * gate.h - the decision for one push: policy, bypass push options,
 * findings -> action; the developer's message; the audit record
 * (git-gate.md §6-§7, secrets.md §6-§8).
 */
#ifndef SLUICE_NETPROXY_GATE_H
#define SLUICE_NETPROXY_GATE_H

#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/push/push.h"
#include "core/verdict/policy.h"
#include "netproxy/server.h"

/* Bypass reasons accepted in -o sluice.bypass=<reason>. */
#define GATE_BYPASS_REASONS "false-positive, used-in-tests, will-fix-later"

struct gate_decision {
	enum verdict_action action;	/* final, after policy and bypass */
	enum verdict_reason reason;	/* main reason, VR__COUNT when clean */
	const char *detail;		/* borrowed from the session, or NULL */
	char incident[16];		/* audit id shown to the developer */
	const char *bypass;		/* accepted bypass reason, or NULL */
	char bypass_refused[160];	/* why a requested bypass was refused */
	char audit_detail[160];		/* detail of AUDIT_FAILED; detail points here */
	bool budget_exceeded;
};

struct gate_context {
	struct server *srv;
	const char *repo;		/* URL path of the repository */
	const char *client;		/* peer address */
	const char *user;		/* user verified by auth.h, or NULL */
	uint64_t generation;		/* rule snapshot in use */
	double scan_ms, verdict_ms;	/* timings for budget and audit */
};

/* Decides, fills the findings' actions and statuses, writes the audit
 * record.  Never fails: an internal problem is the INTERNAL reason.
 * Fails closed on the audit: when the record of a push that would pass
 * (clean, warned, bypassed, fail-open) cannot be written, the decision
 * becomes REJECT with reason AUDIT_FAILED whatever the policy (monitor
 * mode included).  Call it before any byte that lets the upstream apply
 * the push (the held body, or the held pack trailer) is forwarded. */
void gate_decide(const struct gate_context *gc, struct push_session *ps,
		 struct gate_decision *d);

/* The reply body for a refused push (side-band report with remote:
 * lines, or the bare report). */
int gate_reject_body(const struct gate_context *gc, struct push_session *ps,
		     const struct gate_decision *d, struct buf *out);

/* Band-2 pkt-lines to put before the upstream's reply for a push that
 * passes with warnings or with a bypass (empty when there is nothing to
 * say or no side-band). */
int gate_warning_pkts(const struct gate_context *gc, struct push_session *ps,
		      const struct gate_decision *d, struct buf *out);

#endif
