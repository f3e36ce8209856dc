/*
 * ruleset.c - compile secret rules into a Hyperscan stream database and
 * PCRE2 confirmation programs (secrets.md §1: stage 1 prefilter without
 * SOM, stage 2 bounded-width confirmation).
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/base/limits.h"
#include "core/match/ruleset.h"
#include "core/match/ruleset-int.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* Context bytes kept before the widest match, so that keyword proximity
 * and column computation see the start of the line. */
#define RULESET_CONTEXT_BYTES 64u

static unsigned hs_flags_of(const struct secret_rule *r)
{
	unsigned f = 0;

	if (r->flags & RULE_FLAG_CASELESS)
		f |= HS_FLAG_CASELESS;
	if (r->flags & RULE_FLAG_DOTALL)
		f |= HS_FLAG_DOTALL;
	if (r->flags & RULE_FLAG_MULTILINE)
		f |= HS_FLAG_MULTILINE;
	return f;
}

static uint32_t pcre_flags_of(const struct secret_rule *r)
{
	uint32_t f = 0;

	if (r->flags & RULE_FLAG_CASELESS)
		f |= PCRE2_CASELESS;
	if (r->flags & RULE_FLAG_DOTALL)
		f |= PCRE2_DOTALL;
	if (r->flags & RULE_FLAG_MULTILINE)
		f |= PCRE2_MULTILINE;
	return f;
}

/* Hyperscan flags that make the rule compile: exact if possible, else as a
 * prefilter (a superset that stage 2 narrows).  Fills *width. */
static int expression_flags(const struct secret_rule *r, unsigned *flags_out,
			    unsigned *width, struct buf *msg)
{
	unsigned flags = hs_flags_of(r);
	hs_expr_info_t *info = NULL;
	hs_compile_error_t *cerr = NULL;

	if (hs_expression_info(r->pattern, flags, &info, &cerr) != HS_SUCCESS) {
		hs_free_compile_error(cerr);
		cerr = NULL;
		flags |= HS_FLAG_PREFILTER;
		if (hs_expression_info(r->pattern, flags, &info, &cerr) != HS_SUCCESS) {
			if (msg)
				buf_printf(msg, "%s: pattern does not compile: %s", r->id,
					   cerr && cerr->message ? cerr->message : "?");
			hs_free_compile_error(cerr);
			return ERR_RULE;
		}
	}
	*width = info->max_width;
	*flags_out = flags;
	xfree(info);
	return 0;
}

static pcre2_code *compile_confirm(const struct secret_rule *r, struct buf *msg)
{
	struct buf pat;
	pcre2_code *code;
	int errcode;
	PCRE2_SIZE erroff;

	buf_init(&pat, 65536);
	if (buf_printf(&pat, "(?:%s)\\z", r->pattern)) {
		buf_release(&pat);
		return NULL;
	}
	code = pcre2_compile(pat.data, pat.len, pcre_flags_of(r), &errcode, &erroff, NULL);
	buf_release(&pat);
	if (!code) {
		if (msg) {
			PCRE2_UCHAR text[256];

			pcre2_get_error_message(errcode, text, sizeof(text));
			buf_printf(msg, "%s: confirmation pattern does not compile in PCRE2: %s",
				   r->id, (const char *)text);
		}
		return NULL;
	}
	/* JIT failure only costs speed; the interpreter still works. */
	pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	return code;
}

int ruleset_check_rule(const struct secret_rule *r, unsigned max_window,
		       unsigned *width_out, struct buf *msg)
{
	unsigned flags, width;
	uint32_t captures = 0;
	pcre2_code *code;
	int err;

	if (rule_is_path_only(r)) {
		if (width_out)
			*width_out = 0;	/* decided by name and first bytes */
		return 0;
	}
	err = expression_flags(r, &flags, &width, msg);
	if (err)
		return err;
	if (width == UINT_MAX) {
		if (msg)
			buf_printf(msg, "%s: pattern has unbounded width (uses *, + or {n,}); "
				   "bound every repetition, e.g. {1,64}", r->id);
		return ERR_RULE;
	}
	if (width > max_window) {
		if (msg)
			buf_printf(msg, "%s: pattern may match %u bytes, above the %u-byte "
				   "confirmation window", r->id, width, max_window);
		return ERR_RULE;
	}
	code = compile_confirm(r, msg);
	if (!code)
		return ERR_RULE;
	pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &captures);
	pcre2_code_free(code);
	if (r->secret_group > captures) {
		if (msg)
			buf_printf(msg, "%s: secret_group %u but the pattern has %u groups",
				   r->id, r->secret_group, captures);
		return ERR_RULE;
	}
	if (width_out)
		*width_out = width;
	return 0;
}

/* Length of the literal text a pattern starts with (after \b and "(?:"),
 * shown unredacted because it names the token type, not its secret. */
static unsigned literal_prefix_len(const char *p)
{
	unsigned n = 0;

	for (;;) {
		if (strncmp(p, "\\b", 2) == 0)
			p += 2;
		else if (strncmp(p, "(?:", 3) == 0)
			p += 3;
		else
			break;
	}
	while (*p && n < 12) {
		if (*p == '\\' && p[1] && strchr(".-_/+:", p[1])) {
			p += 2;
		} else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			   (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == ':') {
			p++;
		} else {
			break;
		}
		n++;
	}
	/* A quantifier binds the last literal: it is not fixed text. */
	if (n && (*p == '?' || *p == '*' || *p == '{'))
		n--;
	return n;
}

static void release_rules(struct secret_rule *rules, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		secret_rule_release(&rules[i]);
	xfree(rules);
}

int ruleset_build(struct secret_rule *rules, size_t n, const void *db, size_t db_len,
		  struct ruleset **out, struct buf *msg)
{
	struct ruleset *rs = xcalloc(1, sizeof(*rs));
	const char **exprs = NULL;
	unsigned *flags = NULL, *ids = NULL;
	hs_compile_error_t *cerr = NULL;
	unsigned window = 0;
	size_t i, m = 0;
	int err = 0;

	*out = NULL;
	if (!rs) {
		release_rules(rules, n);
		return ERR_NOMEM;
	}
	rs->rules = rules;
	rs->n = n;
	rs->comp = xcalloc(n, sizeof(*rs->comp));
	exprs = xcalloc(n, sizeof(*exprs));
	flags = xcalloc(n, sizeof(*flags));
	ids = xcalloc(n, sizeof(*ids));
	if (!rs->comp || !exprs || !flags || !ids) {
		err = ERR_NOMEM;
		goto fail;
	}
	for (i = 0; i < n; i++) {
		struct secret_rule *r = &rules[i];
		struct compiled_rule *c = &rs->comp[i];

		c->requires = -1;
		/* A path rule (paths, no pattern) is decided from the file's
		 * name and first bytes (match.h), never by Hyperscan. */
		if (!r->pattern)
			continue;
		err = expression_flags(r, &flags[m], &c->width, msg);
		if (err)
			goto fail;
		if (c->width == UINT_MAX || c->width > LIMIT_WINDOW_BYTES_MAX) {
			if (msg)
				buf_printf(msg, "%s: pattern width unbounded or too large", r->id);
			err = ERR_RULE;
			goto fail;
		}
		c->confirm = compile_confirm(r, msg);
		if (!c->confirm) {
			err = ERR_RULE;
			goto fail;
		}
		c->prefix_len = r->secret_group ? 0 : literal_prefix_len(r->pattern);
		window = MAX(window, c->width + r->keyword_window);
		exprs[m] = r->pattern;
		ids[m++] = (unsigned)i;
	}
	for (i = 0; i < n; i++) {
		if (!rules[i].requires)
			continue;
		rs->comp[i].requires = ruleset_find(rs, rules[i].requires);
		if (rs->comp[i].requires < 0) {
			if (msg)
				buf_printf(msg, "%s: requires unknown rule %s", rules[i].id,
					   rules[i].requires);
			err = ERR_RULE;
			goto fail;
		}
	}
	rs->window = MIN(window + RULESET_CONTEXT_BYTES, LIMIT_WINDOW_BYTES_MAX);

	if (m == 0) {
		/* Hyperscan refuses an empty database; a ruleset with no rules
		 * scans nothing and that is valid (e.g. IaC-only deployments). */
	} else if (db) {
		hs_error_t e = hs_deserialize_database(db, db_len, &rs->db);

		/* Another library version or CPU, or a damaged cache record:
		 * the caller compiles again from the rules either way. */
		if (e != HS_SUCCESS) {
			err = ERR_UNSUPPORTED;
			goto fail;
		}
	} else if (hs_compile_multi(exprs, flags, ids, (unsigned)m, HS_MODE_STREAM, NULL,
				    &rs->db, &cerr) != HS_SUCCESS) {
		if (msg)
			buf_printf(msg, "%s: %s",
				   cerr && cerr->expression >= 0 ? rules[ids[cerr->expression]].id
								 : "ruleset",
				   cerr && cerr->message ? cerr->message : "Hyperscan compile failed");
		hs_free_compile_error(cerr);
		err = ERR_RULE;
		goto fail;
	}
	xfree(exprs);
	xfree(flags);
	xfree(ids);
	*out = rs;
	return 0;
fail:
	xfree(exprs);
	xfree(flags);
	xfree(ids);
	ruleset_free(rs);
	return err;
}

void ruleset_free(struct ruleset *rs)
{
	size_t i;

	if (!rs)
		return;
	if (rs->comp)
		for (i = 0; i < rs->n; i++)
			pcre2_code_free(rs->comp[i].confirm);
	xfree(rs->comp);
	if (rs->db)
		hs_free_database(rs->db);
	release_rules(rs->rules, rs->n);
	xfree(rs);
}

int ruleset_serialize(const struct ruleset *rs, void **out, size_t *len)
{
	char *bytes = NULL;

	*out = NULL;
	*len = 0;
	if (!rs->db)
		return 0;
	if (hs_serialize_database(rs->db, &bytes, len) != HS_SUCCESS)
		return ERR_HYPERSCAN;
	*out = bytes;
	return 0;
}

void ruleset_set_fingerprint_key(struct ruleset *rs, const uint8_t *key, size_t len)
{
	len = MIN(len, sizeof(rs->fp_key));
	memcpy(rs->fp_key, key, len);
	rs->fp_key_len = len;
}

size_t ruleset_count(const struct ruleset *rs)
{
	return rs->n;
}

const struct secret_rule *ruleset_rule(const struct ruleset *rs, size_t i)
{
	return i < rs->n ? &rs->rules[i] : NULL;
}

long ruleset_find(const struct ruleset *rs, const char *id)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (strcmp(rs->rules[i].id, id) == 0)
			return (long)i;
	return -1;
}

unsigned ruleset_window(const struct ruleset *rs)
{
	return rs->window;
}

const char *ruleset_engine_id(void)
{
	static char id[128];
	hs_platform_info_t plat;

	if (!id[0]) {
		memset(&plat, 0, sizeof(plat));
		hs_populate_platform(&plat);
		snprintf(id, sizeof(id), "hyperscan %s tune=%u features=%llx", hs_version(),
			 plat.tune, (unsigned long long)plat.cpu_features);
	}
	return id;
}
