/*
 * report.c - findings to text, JSON and SARIF 2.1.0 (OASIS SARIF v2.1.0,
 * §3.27 result, §3.28 location, §3.30 region).
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
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
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct report_entry *ne = xrealloc(r->entries, cap * sizeof(*ne));

		if (!ne)
			return ERR_NOMEM;
		r->entries = ne;
		r->cap = cap;
	}
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

size_t report_blocking(const struct report *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->n; i++) {
		const struct secret_rule *rule = ruleset_rule(r->rs, r->entries[i].f.rule);

		if (r->entries[i].f.status == FINDING_OPEN && rule->tier == RULE_TIER_BLOCK)
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

int json_escape(struct buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;
	int err = buf_append(b, "\"", 1);

	for (i = 0; !err && i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
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

static const char *sarif_level(const struct secret_rule *r)
{
	return r->tier == RULE_TIER_BLOCK ? "error" : "warning";
}

static int write_sarif(const struct report *r, struct buf *b)
{
	size_t i, j;
	int err = 0;

	err = buf_append_str(b, "{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\","
			     "\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{"
			     "\"name\":\"sluice\",\"version\":\"" SLUICE_VERSION "\","
			     "\"informationUri\":\"https://github.com/sluice/sluice\",\"rules\":[");
	for (i = 0; !err && i < ruleset_count(r->rs); i++) {
		const struct secret_rule *rule = ruleset_rule(r->rs, i);

		err = buf_append_str(b, i ? ",{\"id\":" : "{\"id\":");
		err = err ? err : jstr(b, rule->id);
		err = err ? err : buf_append_str(b, ",\"name\":");
		err = err ? err : jstr(b, rule->id);
		err = err ? err : buf_append_str(b, ",\"shortDescription\":{\"text\":");
		err = err ? err : jstr(b, rule->name);
		err = err ? err : buf_append_str(b, "},\"help\":{\"text\":");
		err = err ? err : jstr(b, rule->remediation);
		err = err ? err : buf_append_str(b, "}");
		if (!err && rule->n_references) {
			err = buf_append_str(b, ",\"helpUri\":");
			err = err ? err : jstr(b, rule->references[0]);
		}
		err = err ? err : buf_printf(b, ",\"defaultConfiguration\":{\"level\":\"%s\"},"
					     "\"properties\":{\"tier\":\"%s\",\"severity\":\"%s\","
					     "\"tags\":[\"security\",\"secret\"]}}",
					     sarif_level(rule), rule_tier_name(rule->tier),
					     rule_severity_name(rule->severity));
	}
	err = err ? err : buf_append_str(b, "]}},\"results\":[");
	for (i = 0; !err && i < r->n; i++) {
		const struct report_entry *e = &r->entries[i];
		const struct secret_rule *rule = ruleset_rule(r->rs, e->f.rule);
		char fp[17];

		match_fingerprint_hex(e->f.fingerprint, fp);
		err = buf_append_str(b, i ? ",{\"ruleId\":" : "{\"ruleId\":");
		err = err ? err : jstr(b, rule->id);
		err = err ? err : buf_printf(b, ",\"ruleIndex\":%u,\"level\":\"%s\",\"message\":{\"text\":",
					     e->f.rule, sarif_level(rule));
		{
			struct buf m;

			buf_init(&m, 4096);
			buf_printf(&m, "%s: %s (fingerprint %s)", rule->name, e->f.redacted, fp);
			err = err ? err : json_escape(b, (const char *)m.data, m.len);
			buf_release(&m);
		}
		err = err ? err : buf_append_str(b, "},\"locations\":[{\"physicalLocation\":"
						 "{\"artifactLocation\":{\"uri\":");
		err = err ? err : uri_escape(b, e->path);
		err = err ? err : buf_printf(b, "},\"region\":{\"startLine\":%u,\"startColumn\":%u}}}],",
					     e->f.line, e->f.column);
		err = err ? err : buf_printf(b, "\"partialFingerprints\":{\"sluice/v1\":\"%s\"},", fp);
		err = err ? err : buf_printf(b, "\"properties\":{\"tier\":\"%s\",\"severity\":\"%s\"",
					     rule_tier_name(rule->tier),
					     rule_severity_name(rule->severity));
		if (!err && e->commit[0])
			err = buf_printf(b, ",\"commit\":\"%s\"", e->commit);
		if (!err && e->blob[0])
			err = buf_printf(b, ",\"blob\":\"%s\"", e->blob);
		err = err ? err : buf_append_str(b, "}");
		if (!err && e->f.status == FINDING_SUPPRESSED)
			err = buf_append_str(b, ",\"suppressions\":[{\"kind\":\"inSource\","
					     "\"justification\":\"sluice:ignore comment\"}]");
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
		const struct secret_rule *rule = ruleset_rule(r->rs, e->f.rule);
		char fp[17];

		match_fingerprint_hex(e->f.fingerprint, fp);
		err = buf_append_str(b, i ? ",{\"rule\":" : "{\"rule\":");
		err = err ? err : jstr(b, rule->id);
		err = err ? err : buf_append_str(b, ",\"name\":");
		err = err ? err : jstr(b, rule->name);
		err = err ? err : buf_printf(b, ",\"tier\":\"%s\",\"severity\":\"%s\",\"path\":",
					     rule_tier_name(rule->tier),
					     rule_severity_name(rule->severity));
		err = err ? err : jstr(b, e->path);
		err = err ? err : buf_printf(b, ",\"line\":%u,\"column\":%u,\"commit\":\"%s\","
					     "\"blob\":\"%s\",\"value\":",
					     e->f.line, e->f.column, e->commit, e->blob);
		err = err ? err : jstr(b, e->f.redacted);
		err = err ? err : buf_printf(b, ",\"fingerprint\":\"%s\",\"status\":\"%s\"}", fp,
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

static void text_sanitize(char *dst, size_t cap, const char *s)
{
	size_t o = 0;

	for (; *s && o + 1 < cap; s++)
		dst[o++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	dst[o] = '\0';
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
		const struct secret_rule *rule = ruleset_rule(r->rs, e->f.rule);
		char path[1024], fp[17];

		match_fingerprint_hex(e->f.fingerprint, fp);
		text_sanitize(path, sizeof(path), e->path);
		if (!last || strcmp(last, e->path) != 0) {
			err = buf_printf(b, "%s%s%s\n", bold, path, off);
			last = e->path;
		}
		err = err ? err : buf_printf(b, "  %u:%u  %s%-5s%s %s  %s (%s)%s\n",
					     e->f.line, e->f.column,
					     rule->tier == RULE_TIER_BLOCK ? red : yel,
					     rule_tier_name(rule->tier), off, rule->id, rule->name,
					     rule_severity_name(rule->severity),
					     e->f.status == FINDING_SUPPRESSED ? "  [suppressed]" : "");
		err = err ? err : buf_printf(b, "         %svalue %s  fingerprint %s%s%s%.12s%s\n",
					     dim, e->f.redacted, fp, e->commit[0] ? "  commit " : "",
					     "", e->commit, off);
		err = err ? err : buf_printf(b, "         fix: %s\n", rule->remediation);
	}
	for (i = 0; !err && i < r->n_errors; i++)
		err = buf_printf(b, "%serror:%s %s\n", red, off, r->errors[i]);
	return err ? err : buf_printf(b, "%s%zu finding(s), %zu blocking; %llu object(s), %.1f MB scanned%s%s\n",
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
