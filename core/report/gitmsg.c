/*
 * gitmsg.c - remote: lines and report-status for refused and warned
 * pushes (gitprotocol-pack "report-status", side-band-64k).
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/decode/dec_pktline.h"
#include "core/report/gitmsg.h"
#include "core/verdict/verdict.h"

#include <stdarg.h>
#include <stdio.h>

/* Appends one band-2 line, sanitized and cut to GITMSG_COLUMNS. */
static int line(struct buf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int line(struct buf *out, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	size_t n, i;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	n = strlen(text);
	if (n > GITMSG_COLUMNS) {
		memcpy(text + GITMSG_COLUMNS - 3, "...", 3);
		n = GITMSG_COLUMNS;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)text[i] < 0x20 || (unsigned char)text[i] > 0x7e)
			text[i] = '?';
	text[n++] = '\n';
	return pktline_encode_band(out, 2, text, n);
}

int gitmsg_line(struct buf *out, const struct gitmsg_opts *o, const char *text)
{
	return o->sideband ? line(out, "%s", text) : 0;
}

static const char *sev_name(enum rule_severity s)
{
	static const char *const n[] = { "critical", "high", "medium", "low", "info" };

	return (unsigned)s < ARRAY_SIZE(n) ? n[s] : "?";
}

static int finding_block(struct buf *out, size_t idx, const struct push_finding *f)
{
	char commit[13];
	int err;

	snprintf(commit, sizeof(commit), "%.12s", f->commit[0] ? f->commit : "(no commit)");
	err = line(out, "[%zu] %s  %s  (%s)%s", idx, f->rule_id, f->rule_name,
		   sev_name(f->severity),
		   f->status == PF_BYPASSED ? "  [bypassed]" :
		   f->status == PF_SUPPRESSED ? "  [suppressed]" : "");
	if (!err)
		err = line(out, "    commit %s  %s:%u", commit, f->path, f->line);
	if (!err && f->kind == PF_SECRET)
		err = line(out, "    value %s  fingerprint %s  evidence %s", f->value,
			   f->fingerprint, f->evidence[0] ? f->evidence : "?");
	else if (!err)
		err = line(out, "    found %s", f->value);
	if (!err && f->remediation[0])
		err = line(out, "    fix: %s", f->remediation);
	return err;
}

static size_t count_open(const struct push_finding *f, size_t nf, enum push_finding_kind kind)
{
	size_t i, n = 0;

	for (i = 0; i < nf; i++)
		if (f[i].status == PF_OPEN && f[i].kind == kind && f[i].action >= ACTION_WARN)
			n++;
	return n;
}

/* Findings that are shown: open ones at warn or above first. */
static int list_findings(struct buf *out, const struct push_finding *f, size_t nf,
			 enum verdict_action at_least, const struct gitmsg_opts *o)
{
	size_t i, shown = 0, total = 0;
	int err = 0;

	for (i = 0; i < nf; i++)
		if (f[i].status == PF_OPEN && f[i].action >= at_least)
			total++;
	for (i = 0; !err && i < nf && shown < o->max_findings; i++) {
		if (f[i].status != PF_OPEN || f[i].action < at_least)
			continue;
		err = finding_block(out, ++shown, &f[i]);
	}
	if (!err && total > shown)
		err = line(out, "... and %zu more", total - shown);
	return err;
}

int gitmsg_ng_reason(struct buf *out, const struct push_finding *f, size_t nf,
		     enum verdict_reason reason, const char *detail)
{
	const struct push_finding *first = NULL;
	size_t i, n = 0;

	for (i = 0; i < nf; i++)
		if (f[i].status == PF_OPEN && f[i].action == ACTION_REJECT) {
			if (!first)
				first = &f[i];
			n++;
		}
	if (first && n == 1)
		return buf_printf(out, "%s %s in %s:%u", first->kind == PF_SECRET ? "secret" : "IaC",
				  first->rule_id, first->path, first->line);
	if (first)
		return buf_printf(out, "%zu findings, first %s in %s:%u", n, first->rule_id,
				  first->path, first->line);
	return buf_printf(out, "%s: %s", verdict_reason_id(reason),
			  detail && *detail ? detail : verdict_reason_text(reason));
}

int gitmsg_reject(struct buf *out, const struct push_command *cmds, size_t n_cmds,
		  const struct push_finding *f, size_t nf, enum verdict_reason reason,
		  const char *detail, const struct gitmsg_opts *o)
{
	struct buf report, ng;
	size_t secrets = count_open(f, nf, PF_SECRET), iac = count_open(f, nf, PF_IAC), i, cap;
	int err = 0;

	/* Room for every ng line ("ng " ref " " reason LF, framed): a push
	 * may name LIMIT_PUSH_COMMANDS refs of up to PUSH_REF_MAX bytes. */
	if (!size_mul(n_cmds, (size_t)PUSH_REF_MAX + 420, &cap) || !size_add(cap, 64, &cap))
		return ERR_LIMIT;
	buf_init(&report, cap);
	buf_init(&ng, 4096);
	if (o->sideband) {
		if (secrets || iac)
			err = line(out, "error: push blocked by sluice: %zu finding%s (%zu secret%s, %zu IaC)",
				   secrets + iac, secrets + iac == 1 ? "" : "s", secrets,
				   secrets == 1 ? "" : "s", iac);
		else
			err = line(out, "error: push blocked by sluice: %s",
				   detail && *detail ? detail : verdict_reason_text(reason));
		err = err ? err : line(out, " ");
		err = err ? err : list_findings(out, f, nf, ACTION_WARN, o);
		if (!err && (secrets || iac)) {
			err = line(out, " ");
			if (!err && secrets)
				err = line(out, "hint: remove the secrets from every commit of this push "
					   "(git rebase -i, or");
			if (!err && secrets)
				err = line(out, "hint: git commit --amend for the last commit), rotate "
					   "them, then push again.");
			if (!err && !secrets)
				err = line(out, "hint: fix the configuration, amend the commit, push again.");
			if (!err && o->bypass_allowed) {
				err = line(out, secrets ? "hint: not a real secret? git push -o "
							  "sluice.bypass=false-positive"
							: "hint: a false positive? git push -o "
							  "sluice.bypass=false-positive");
				err = err ? err : line(out, "hint:   (or used-in-tests, will-fix-later; "
						       "bypasses are recorded)");
			}
		} else if (!err && reason == VR_BUDGET_TIME) {
			err = line(out, "hint: split the push into smaller pushes, or ask an admin.");
		}
		if (!err && o->incident)
			err = line(out, "incident %s", o->incident);
	}
	err = err ? err : gitmsg_ng_reason(&ng, f, nf, reason, detail);
	/* Never "unpack ok" for a push that was not applied: git prints
	 * "remote unpack failed: <this>" and still shows each ng reason. */
	if (!err) {
		struct buf u;

		buf_init(&u, 256);
		err = buf_printf(&u, "unpack refused by sluice: %s\n", verdict_reason_id(reason));
		err = err ? err : pktline_encode(&report, u.data, u.len);
		buf_release(&u);
	}
	for (i = 0; !err && i < n_cmds; i++) {
		struct buf l;

		buf_init(&l, PKTLINE_MAX_PAYLOAD);
		err = buf_printf(&l, "ng %s %.*s\n", cmds[i].ref, (int)MIN(ng.len, (size_t)400),
				 (const char *)ng.data);
		if (!err) {
			size_t k;

			/* A reason is one line of printable text. */
			for (k = 3; k + 1 < l.len; k++)
				if (l.data[k] < 0x20 || l.data[k] > 0x7e)
					l.data[k] = '?';
			err = pktline_encode(&report, l.data, l.len);
		}
		buf_release(&l);
	}
	err = err ? err : pktline_encode_flush(&report);
	if (!err) {
		if (o->sideband) {
			size_t off = 0;

			while (!err && off < report.len) {
				size_t n = MIN(report.len - off, (size_t)PKTLINE_MAX_BAND_DATA);

				err = pktline_encode_band(out, 1, report.data + off, n);
				off += n;
			}
			err = err ? err : pktline_encode_flush(out);
		} else {
			err = buf_append(out, report.data, report.len);
		}
	}
	buf_release(&report);
	buf_release(&ng);
	return err;
}

int gitmsg_warnings(struct buf *out, const struct push_finding *f, size_t nf,
		    const char *note, const struct gitmsg_opts *o)
{
	size_t i, shown = 0;
	int err = 0;

	if (!o->sideband)
		return 0;
	for (i = 0; i < nf; i++)
		if (f[i].action >= ACTION_WARN || f[i].status == PF_BYPASSED)
			shown++;
	if (!shown && !note)
		return 0;
	if (shown)
		err = line(out, "warning: sluice: %zu finding%s in this push", shown,
			   shown == 1 ? "" : "s");
	if (!err && note)
		err = line(out, "warning: sluice: %s", note);
	{
		size_t total = shown;

		for (i = 0, shown = 0; !err && i < nf && shown < o->max_findings; i++) {
			if (f[i].action < ACTION_WARN && f[i].status != PF_BYPASSED)
				continue;
			err = finding_block(out, ++shown, &f[i]);
		}
		if (!err && total > shown)
			err = line(out, "... and %zu more", total - shown);
	}
	if (!err && o->incident)
		err = line(out, "incident %s", o->incident);
	return err;
}
