/*
 * gitmsg.h - the bytes git shows a developer (git-gate.md §7,
 * secrets.md §7): side-band band-2 `remote:` lines and a report-status
 * with one `ng <ref> <reason>` per command.
 *
 * Every text line is printable ASCII (other bytes become '?'), at most
 * GITMSG_COLUMNS wide (long values are cut with "..."), LF-terminated.
 */
#ifndef SLUICE_REPORT_GITMSG_H
#define SLUICE_REPORT_GITMSG_H

#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/push/push-t.h"
#include "core/verdict/verdict-t.h"

#define GITMSG_COLUMNS 100

struct gitmsg_opts {
	bool sideband;			/* client asked for side-band-64k */
	unsigned max_findings;		/* listed before "... and K more" */
	bool bypass_allowed;		/* show the bypass hint */
	const char *incident;		/* id for the audit log, or NULL */
};

/* The whole reply body of a refused push: band-2 explanation (when
 * side-band), then the report (`unpack refused by sluice: <REASON_ID>`,
 * `ng <ref> <reason>` per command, flush) in band 1 (or bare without
 * side-band), then a flush.  The unpack line is never "ok": git prints it
 * as "remote unpack failed: ..." and keeps each ng reason, so even a
 * refusal that names no command (garbage before the first one) reads as
 * a failure.  `reason` is the
 * main verdict reason; findings may be empty for limit reasons, then
 * `detail` says what happened. */
int gitmsg_reject(struct buf *out, const struct push_command *cmds, size_t n_cmds,
		  const struct push_finding *f, size_t nf, enum verdict_reason reason,
		  const char *detail, const struct gitmsg_opts *o);

/* Band-2 pkt-lines for a push that goes through with warnings (to be sent
 * before the upstream's own reply pkts).  Nothing without side-band. */
int gitmsg_warnings(struct buf *out, const struct push_finding *f, size_t nf,
		    const char *note, const struct gitmsg_opts *o);

/* One band-2 line (sanitized, cut to GITMSG_COLUMNS); nothing without
 * side-band. */
int gitmsg_line(struct buf *out, const struct gitmsg_opts *o, const char *text);

/* The one-line ng reason: `secret <RULE> in <path>:<line>`,
 * `<n> findings, first <RULE> in <path>:<line>`, or the reason text. */
int gitmsg_ng_reason(struct buf *out, const struct push_finding *f, size_t nf,
		     enum verdict_reason reason, const char *detail);

#endif
