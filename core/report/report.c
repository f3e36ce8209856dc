/*
 * report.c - findings to text, JSON and SARIF 2.1.0 (OASIS SARIF v2.1.0,
 * §3.27 result, §3.28 location, §3.30 region).
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/iac/iac.h"
#include "core/report/report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define SLUICE_VERSION "0.1.0"

void report_init(struct report *r, const struct ruleset *rs)
{
	memset(r, 0, sizeof(*r));
	r->rs = rs;
}

void report_release(struct report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		xfree(r->entries[i].path);
	xfree(r->entries);
	for (i = 0; i < r->n_errors; i++)
		xfree(r->errors[i]);
	xfree(r->errors);
	memset(r, 0, sizeof(*r));
}

int report_add(struct report *r, const char *path, const char *commit_hex,
	       const char *blob_hex, const struct finding *f)
{
	struct report_entry *e;

	if (r->n >= REPORT_MAX_FINDINGS) {
		r->dropped++;
		return 0;
	}
	if (array_reserve(&r->entries, &r->cap, r->n, sizeof(*r->entries), 64) != 0)
		return ERR_NOMEM;
	e = &r->entries[r->n];
	memset(e, 0, sizeof(*e));
	e->path = xstrdup(path);
	if (!e->path)
		return ERR_NOMEM;
	snprintf(e->commit, sizeof(e->commit), "%s", commit_hex ? commit_hex : "");
	snprintf(e->blob, sizeof(e->blob), "%s", blob_hex ? blob_hex : "");
	e->f = *f;
	r->n++;
	return 0;
}

static void copy_printable(char *dst, size_t cap, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < cap; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = '\0';
}

int report_add_iac(struct report *r, const char *path, const char *commit_hex,
		   const char *blob_hex, const struct iac_finding *f)
{
	struct finding sf;
	struct report_entry *e;
	int err;

	memset(&sf, 0, sizeof(sf));
	sf.line = f->line ? f->line : 1;
	sf.column = f->column ? f->column : 1;
	sf.status = f->suppressed ? FINDING_SUPPRESSED : FINDING_OPEN;
	size_t before = r->n;

	err = report_add(r, path, commit_hex, blob_hex, &sf);
	if (err || r->n == before)
		return err;	/* error, or counted as dropped */
	e = &r->entries[r->n - 1];
	e->kind = REPORT_IAC;
	e->iac.check = f->check;
	e->iac.unknown = f->result == IAC_UNKNOWN;
	e->iac.end_line = f->end_line;
	copy_printable(e->iac.resource, sizeof(e->iac.resource), f->resource);
	copy_printable(e->iac.found, sizeof(e->iac.found), f->found);
	copy_printable(e->iac.reason, sizeof(e->iac.reason), f->suppress_reason);
	return 0;
}

void report_error(struct report *r, const char *path, const char *fmt, ...)
{
	struct buf b;
	char **ne;
	va_list ap;
	char tmp[512];

	if (r->n_errors >= REPORT_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	buf_init(&b, 8192);
	if (buf_printf(&b, "%s: %s", path, tmp) || buf_append(&b, "", 1)) {
		buf_release(&b);
		return;
	}
	ne = xrealloc(r->errors, (r->n_errors + 1) * sizeof(*ne));
	if (!ne) {
		buf_release(&b);
		return;
	}
	r->errors = ne;
	r->errors[r->n_errors++] = (char *)b.data;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct report_entry *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	if (c)
		return c;
	if (x->f.line != y->f.line)
		return x->f.line < y->f.line ? -1 : 1;
	if (x->f.column != y->f.column)
		return x->f.column < y->f.column ? -1 : 1;
	return (int)x->f.rule - (int)y->f.rule;
}

void report_sort(struct report *r)
{
	if (r->n > 1)
		qsort(r->entries, r->n, sizeof(*r->entries), cmp_entry);
}

/* What a report entry's rule is called and how serious it is. */
struct entry_meta {
	const char *id, *name, *help, *uri, *level, *tier, *severity;
	size_t index;			/* SARIF ruleIndex */
};

static const char *iac_level(enum rule_severity s)
{
	return s <= SEV_HIGH ? "error" : s == SEV_MEDIUM ? "warning" : "note";
}

static void entry_meta(const struct report *r, const struct report_entry *e, struct entry_meta *m)
{
	size_t nsec = ruleset_count(r->rs);

	memset(m, 0, sizeof(*m));
	if (e->kind == REPORT_SECRET) {
		const struct secret_rule *rule = ruleset_rule(r->rs, e->f.rule);

		m->id = rule->id;
		m->name = rule->name;
		m->help = rule->remediation;
		m->uri = rule->n_references ? rule->references[0] : NULL;
		m->level = rule->tier == RULE_TIER_BLOCK ? "error" : "warning";
		m->tier = rule_tier_name(rule->tier);
		m->severity = rule_severity_name(rule->severity);
		m->index = e->f.rule;
		return;
	}
	if (e->iac.check == UINT32_MAX || !r->iac || e->iac.check >= iac_checkset_count(r->iac)) {
		m->id = "IAC-UNPARSED";
		m->name = "IaC file could not be evaluated";
		m->help = "Fix the syntax or split the file so it stays within the parser limits; "
			  "until then its resources are not checked.";
		m->level = "warning";
		m->tier = "iac";
		m->severity = "medium";
		m->index = nsec + (r->iac ? iac_checkset_count(r->iac) : 0);
		return;
	}
	{
		const struct iac_check_info *ci = iac_checkset_info(r->iac, e->iac.check);

		m->id = ci->id;
		m->name = ci->title;
		m->help = ci->remediation;
		m->uri = ci->n_references ? ci->references[0] : NULL;
		m->level = e->iac.unknown ? "warning" : iac_level(ci->severity);
		m->tier = "iac";
		m->severity = rule_severity_name(ci->severity);
		m->index = nsec + e->iac.check;
	}
}

size_t report_blocking(const struct report *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->n; i++) {
		struct entry_meta m;

		entry_meta(r, &r->entries[i], &m);
		if (r->entries[i].f.status == FINDING_OPEN && strcmp(m.level, "error") == 0)
			n++;
	}
	return n;
}

int report_format_parse(const char *s, enum report_format *out)
{
	if (strcmp(s, "text") == 0)
		*out = REPORT_TEXT;
	else if (strcmp(s, "json") == 0)
		*out = REPORT_JSON;
	else if (strcmp(s, "sarif") == 0)
		*out = REPORT_SARIF;
	else
		return ERR_USAGE;
	return 0;
}

/* Bytes of the well-formed UTF-8 sequence at s (RFC 3629 §4), 0 if none. */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
	size_t n, i;
	uint32_t c;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, c = s[0] & 0x1fu;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, c = s[0] & 0x0fu;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, c = s[0] & 0x07u;
	else
		return 0;
	if (left < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3fu);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return n;
}

int json_escape(struct buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;
	int err = buf_append(b, "\"", 1);

	for (i = 0; !err && i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80) {
			/* JSON text must be UTF-8 (RFC 8259 §8.1) and git paths
			 * may be any bytes: a byte that does not start a
			 * well-formed sequence becomes U+FFFD. */
			size_t n = utf8_seq((const unsigned char *)s + i, len - i);

			if (n) {
				err = buf_append(b, &s[i], n);
				i += n - 1;
			} else {
				err = buf_append(b, "\\ufffd", 6);
			}
		} else if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };

			err = buf_append(b, e, 2);
		} else if (c == '\n') {
			err = buf_append(b, "\\n", 2);
		} else if (c == '\t') {
			err = buf_append(b, "\\t", 2);
		} else if (c < 0x20 || c == 0x7f) {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

			err = buf_append(b, e, 6);
		} else {
			err = buf_append(b, &s[i], 1);
		}
	}
	return err ? err : buf_append(b, "\"", 1);
}

static int jstr(struct buf *b, const char *s)
{
	return json_escape(b, s ? s : "", s ? strlen(s) : 0);
}

/* SARIF artifactLocation.uri is a URI reference (RFC 3986): percent-encode
 * everything outside the unreserved set and '/'. */
static int uri_escape(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf u;
	int err = 0;

	buf_init(&u, 1 << 20);
	for (; *s && !err; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~/", c)) {
			err = buf_append(&u, s, 1);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };

			err = buf_append(&u, e, 3);
		}
	}
	if (!err)
		err = json_escape(b, (const char *)u.data, u.len);
	buf_release(&u);
	return err;
}

static int sarif_rule(struct buf *b, bool first, const char *id, const char *name,
		      const char *help, const char *uri, const char *level, const char *tier,
		      const char *severity, const char *tag)
{
	int err = buf_append_str(b, first ? "{\"id\":" : ",{\"id\":");

	err = err ? err : jstr(b, id);
	err = err ? err : buf_append_str(b, ",\"name\":");
	err = err ? err : jstr(b, id);
	err = err ? err : buf_append_str(b, ",\"shortDescription\":{\"text\":");
	err = err ? err : jstr(b, name);
	err = err ? err : buf_append_str(b, "},\"help\":{\"text\":");
	err = err ? err : jstr(b, help);
	err = err ? err : buf_append_str(b, "}");
	if (!err && uri) {
		err = buf_append_str(b, ",\"helpUri\":");
		err = err ? err : jstr(b, uri);
	}
	return err ? err : buf_printf(b, ",\"defaultConfiguration\":{\"level\":\"%s\"},"
				      "\"properties\":{\"tier\":\"%s\",\"severity\":\"%s\","
				      "\"tags\":[\"security\",\"%s\"]}}", level, tier, severity, tag);
}

static int write_sarif(const struct report *r, struct buf *b)
{
	size_t i, j, nsec = ruleset_count(r->rs), niac = r->iac ? iac_checkset_count(r->iac) : 0;
	int err = 0;

	err = buf_append_str(b, "{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\","
			     "\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{"
			     "\"name\":\"sluice\",\"version\":\"" SLUICE_VERSION "\","
			     "\"informationUri\":\"https://github.com/sluice/sluice\",\"rules\":[");
	/* ruleIndex: secret rules, then IaC checks, then IAC-UNPARSED. */
	for (i = 0; !err && i < nsec; i++) {
		const struct secret_rule *rule = ruleset_rule(r->rs, i);

		err = sarif_rule(b, i == 0, rule->id, rule->name, rule->remediation,
				 rule->n_references ? rule->references[0] : NULL,
				 rule->tier == RULE_TIER_BLOCK ? "error" : "warning",
				 rule_tier_name(rule->tier), rule_severity_name(rule->severity), "secret");
	}
	for (i = 0; !err && i < niac; i++) {
		const struct iac_check_info *ci = iac_checkset_info(r->iac, i);

		err = sarif_rule(b, nsec + i == 0, ci->id, ci->title, ci->remediation,
				 ci->n_references ? ci->references[0] : NULL, iac_level(ci->severity),
				 "iac", rule_severity_name(ci->severity), "iac");
	}
	err = err ? err : sarif_rule(b, nsec + niac == 0, "IAC-UNPARSED",
				     "IaC file could not be evaluated",
				     "Fix the syntax or split the file so it stays within the parser "
				     "limits; until then its resources are not checked.", NULL,
				     "warning", "iac", "medium", "iac");
	err = err ? err : buf_append_str(b, "]}},\"results\":[");
	for (i = 0; !err && i < r->n; i++) {
		const struct report_entry *e = &r->entries[i];
		struct entry_meta m;
		struct buf msg;
		char fp[17];

		entry_meta(r, e, &m);
		err = buf_append_str(b, i ? ",{\"ruleId\":" : "{\"ruleId\":");
		err = err ? err : jstr(b, m.id);
		err = err ? err : buf_printf(b, ",\"ruleIndex\":%zu,\"level\":\"%s\",\"message\":{\"text\":",
					     m.index, m.level);
		buf_init(&msg, 4096);
		if (e->kind == REPORT_SECRET) {
			match_fingerprint_hex(e->f.fingerprint, fp);
			buf_printf(&msg, "%s: %s (fingerprint %s)", m.name, e->f.redacted, fp);
		} else {
			buf_printf(&msg, "%s%s: %s%s%s", e->iac.unknown ? "could not be decided: " : "",
				   m.name, e->iac.found, e->iac.resource[0] ? " in " : "",
				   e->iac.resource);
		}
		err = err ? err : json_escape(b, (const char *)msg.data, msg.len);
		buf_release(&msg);
		err = err ? err : buf_append_str(b, "},\"locations\":[{\"physicalLocation\":"
						 "{\"artifactLocation\":{\"uri\":");
		err = err ? err : uri_escape(b, e->path);
		err = err ? err : buf_printf(b, "},\"region\":{\"startLine\":%u,\"startColumn\":%u",
					     e->f.line, e->f.column);
		if (!err && e->kind == REPORT_IAC && e->iac.end_line >= e->f.line)
			err = buf_printf(b, ",\"endLine\":%u", e->iac.end_line);
		err = err ? err : buf_append_str(b, "}}}],");
		if (!err && e->kind == REPORT_SECRET)
			err = buf_printf(b, "\"partialFingerprints\":{\"sluice/v1\":\"%s\"},", fp);
		err = err ? err : buf_printf(b, "\"properties\":{\"tier\":\"%s\",\"severity\":\"%s\"",
					     m.tier, m.severity);
		if (!err && e->kind == REPORT_SECRET)
			err = buf_printf(b, ",\"evidence\":\"%s\"",
					 finding_evidence_name(e->f.evidence));
		if (!err && e->commit[0])
			err = buf_printf(b, ",\"commit\":\"%s\"", e->commit);
		if (!err && e->blob[0])
			err = buf_printf(b, ",\"blob\":\"%s\"", e->blob);
		if (!err && e->kind == REPORT_IAC && e->iac.resource[0]) {
			err = buf_append_str(b, ",\"resource\":");
			err = err ? err : jstr(b, e->iac.resource);
		}
		if (!err && e->kind == REPORT_IAC)
			err = buf_printf(b, ",\"result\":\"%s\"", e->iac.unknown ? "unknown" : "fail");
		err = err ? err : buf_append_str(b, "}");
		if (!err && e->f.status == FINDING_SUPPRESSED) {
			err = buf_append_str(b, ",\"suppressions\":[{\"kind\":\"inSource\",\"justification\":");
			err = err ? err : jstr(b, e->kind == REPORT_IAC && e->iac.reason[0] ? e->iac.reason
											: "sluice:ignore comment");
			err = err ? err : buf_append_str(b, "}]");
		}
		err = err ? err : buf_append_str(b, "}");
	}
	err = err ? err : buf_append_str(b, "],\"invocations\":[{\"executionSuccessful\":");
	err = err ? err : buf_append_str(b, r->n_errors ? "false" : "true");
	if (!err && r->n_errors) {
		err = buf_append_str(b, ",\"toolExecutionNotifications\":[");
		for (j = 0; !err && j < r->n_errors; j++) {
			err = buf_append_str(b, j ? ",{\"level\":\"error\",\"message\":{\"text\":"
						  : "{\"level\":\"error\",\"message\":{\"text\":");
			err = err ? err : jstr(b, r->errors[j]);
			err = err ? err : buf_append_str(b, "}}");
		}
		err = err ? err : buf_append_str(b, "]");
	}
	err = err ? err : buf_printf(b, "}],\"properties\":{\"objects\":%llu,\"bytes\":%llu,"
				     "\"binaryObjects\":%llu,\"limitHits\":%llu,\"droppedFindings\":%llu}}]}\n",
				     (unsigned long long)r->objects, (unsigned long long)r->bytes,
				     (unsigned long long)r->binary_objects,
				     (unsigned long long)r->limit_hits, (unsigned long long)r->dropped);
	return err;
}

static int write_json(const struct report *r, struct buf *b)
{
	size_t i;
	int err = buf_append_str(b, "{\"findings\":[");

	for (i = 0; !err && i < r->n; i++) {
		const struct report_entry *e = &r->entries[i];
		struct entry_meta m;
		char fp[17];

		entry_meta(r, e, &m);
		err = buf_append_str(b, i ? ",{\"rule\":" : "{\"rule\":");
		err = err ? err : jstr(b, m.id);
		err = err ? err : buf_append_str(b, ",\"name\":");
		err = err ? err : jstr(b, m.name);
		err = err ? err : buf_printf(b, ",\"kind\":\"%s\",\"tier\":\"%s\",\"severity\":\"%s\","
					     "\"level\":\"%s\",\"path\":",
					     e->kind == REPORT_SECRET ? "secret" : "iac", m.tier, m.severity,
					     m.level);
		err = err ? err : jstr(b, e->path);
		err = err ? err : buf_printf(b, ",\"line\":%u,\"column\":%u,\"commit\":\"%s\","
					     "\"blob\":\"%s\",\"value\":",
					     e->f.line, e->f.column, e->commit, e->blob);
		if (e->kind == REPORT_SECRET) {
			match_fingerprint_hex(e->f.fingerprint, fp);
			err = err ? err : jstr(b, e->f.redacted);
			err = err ? err : buf_printf(b, ",\"fingerprint\":\"%s\",\"evidence\":\"%s\"",
						     fp, finding_evidence_name(e->f.evidence));
		} else {
			err = err ? err : jstr(b, e->iac.found);
			err = err ? err : buf_append_str(b, ",\"resource\":");
			err = err ? err : jstr(b, e->iac.resource);
			err = err ? err : buf_printf(b, ",\"end_line\":%u,\"result\":\"%s\"",
						     e->iac.end_line, e->iac.unknown ? "unknown" : "fail");
		}
		err = err ? err : buf_printf(b, ",\"status\":\"%s\"}",
					     e->f.status == FINDING_OPEN ? "open" : "suppressed");
	}
	err = err ? err : buf_printf(b, "],\"summary\":{\"objects\":%llu,\"bytes\":%llu,"
				     "\"binary_objects\":%llu,\"limit_hits\":%llu,"
				     "\"dropped_findings\":%llu,\"blocking\":%zu,\"errors\":[",
				     (unsigned long long)r->objects, (unsigned long long)r->bytes,
				     (unsigned long long)r->binary_objects,
				     (unsigned long long)r->limit_hits,
				     (unsigned long long)r->dropped, report_blocking(r));
	for (i = 0; !err && i < r->n_errors; i++) {
		err = i ? buf_append_str(b, ",") : 0;
		err = err ? err : jstr(b, r->errors[i]);
	}
	return err ? err : buf_append_str(b, "]}}\n");
}

static int write_text(const struct report *r, struct buf *b, bool colour)
{
	const char *red = colour ? "\033[1;31m" : "", *yel = colour ? "\033[1;33m" : "";
	const char *bold = colour ? "\033[1m" : "", *dim = colour ? "\033[2m" : "";
	const char *off = colour ? "\033[0m" : "";
	const char *last = NULL;
	size_t i, blocking = report_blocking(r);
	int err = 0;

	for (i = 0; !err && i < r->n; i++) {
		const struct report_entry *e = &r->entries[i];
		struct entry_meta m;
		char path[1024], fp[17], commit[24];

		entry_meta(r, e, &m);
		copy_printable(path, sizeof(path), e->path);
		snprintf(commit, sizeof(commit), "%s%.12s", e->commit[0] ? "  commit " : "", e->commit);
		if (!last || strcmp(last, e->path) != 0) {
			err = buf_printf(b, "%s%s%s\n", bold, path, off);
			last = e->path;
		}
		err = err ? err : buf_printf(b, "  %u:%u  %s%-7s%s %s  %s (%s)%s\n",
					     e->f.line, e->f.column,
					     strcmp(m.level, "error") == 0 ? red : yel,
					     m.level, off, m.id, m.name, m.severity,
					     e->f.status == FINDING_SUPPRESSED ? "  [suppressed]" : "");
		if (e->kind == REPORT_SECRET) {
			match_fingerprint_hex(e->f.fingerprint, fp);
			err = err ? err : buf_printf(b, "         %svalue %s  fingerprint %s  evidence %s%s%s\n",
						     dim, e->f.redacted, fp,
						     finding_evidence_name(e->f.evidence), commit, off);
		} else {
			err = err ? err : buf_printf(b, "         %s%s%s%s%s%s\n", dim,
						     e->iac.unknown ? "unknown: " : "found ", e->iac.found,
						     e->iac.resource[0] ? "  in " : "", e->iac.resource, off);
			if (!err && commit[0])
				err = buf_printf(b, "        %s%s%s\n", dim, commit, off);
		}
		err = err ? err : buf_printf(b, "         fix: %s\n", m.help);
	}
	for (i = 0; !err && i < r->n_errors; i++)
		err = buf_printf(b, "%serror:%s %s\n", red, off, r->errors[i]);
	return err ? err : buf_printf(b, "%s%zu finding(s), %zu at level error; %llu object(s), %.1f MB scanned%s%s\n",
				      bold, r->n, blocking, (unsigned long long)r->objects,
				      (double)r->bytes / 1e6,
				      r->n_errors ? ", errors occurred" : "", off);
}

int report_write(const struct report *r, enum report_format fmt, FILE *out, bool colour)
{
	struct buf b;
	int err;

	buf_init(&b, (size_t)1 << 34);
	switch (fmt) {
	case REPORT_SARIF: err = write_sarif(r, &b); break;
	case REPORT_JSON: err = write_json(r, &b); break;
	default: err = write_text(r, &b, colour); break;
	}
	if (!err && b.len && fwrite(b.data, 1, b.len, out) != b.len)
		err = ERR_IO;
	if (!err && fflush(out) != 0)
		err = ERR_IO;
	buf_release(&b);
	return err;
}
