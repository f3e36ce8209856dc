/*
 * check.c - the declarative IaC check format: load check packs (YAML, read
 * with libyaml into our own tree), validate every check, compile it into
 * bindings indexed by (format family, resource type) (iac.md §3, §5, §9;
 * format: rules/packs/README-iac.md).
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err-t.h"
#include "core/base/limits.h"
#include "core/iac/iac-int.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Pattern length of a check regex: patterns are written by people. */
#define CHECK_REGEX_MAX 4096u
#define CHECK_LIST_MAX  1024u

struct ld {
	struct buf *msg;		/* problems, one line each (may be NULL) */
	const char *id;			/* check being loaded, for messages */
	char where[256];		/* field path, for messages */
	size_t nprob;			/* problems so far */
	bool nomem;			/* an allocation failed */
};

static void problem(struct ld *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int oom(struct ld *ld)
{
	ld->nomem = true;
	return -1;
}

static void problem(struct ld *ld, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	ld->nprob++;
	if (!ld->msg)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	buf_printf(ld->msg, "%s: %s%s%s\n", ld->id ? ld->id : "pack", ld->where,
		   ld->where[0] ? ": " : "", line);
}

/* where stack: push appends ".name" or "[i]", pop truncates. */
static size_t push(struct ld *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static size_t push(struct ld *ld, const char *fmt, ...)
{
	size_t old = strlen(ld->where);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ld->where + old, sizeof(ld->where) - old, fmt, ap);
	va_end(ap);
	return old;
}

static void pop(struct ld *ld, size_t old)
{
	ld->where[old] = '\0';
}

static bool key_is(const struct iac_node *n, const char *k)
{
	size_t l = strlen(k);

	return n->key_len == l && !memcmp(n->key, k, l);
}

static bool is_scalar(const struct iac_node *n)
{
	return n && (n->kind == IAC_N_STR || n->kind == IAC_N_NUM || n->kind == IAC_N_BOOL);
}

static char *dup_scalar(struct ld *ld, const struct iac_node *n, const char *what)
{
	char *s;

	if (!is_scalar(n)) {
		problem(ld, "%s must be a scalar", what);
		return NULL;
	}
	if (memchr(n->str, '\0', n->len)) {
		problem(ld, "%s contains a NUL byte", what);
		return NULL;
	}
	s = xstrndup(n->str, n->len);
	if (!s)
		ld->nomem = true;
	return s;
}

/* A scalar or a list of scalars -> owned string vector. */
static int dup_list(struct ld *ld, const struct iac_node *n, char ***out, size_t *count,
		    const char *what, bool allow_scalar)
{
	const struct iac_node *c;
	char **v;
	size_t i = 0;

	*out = NULL;
	*count = 0;
	if (allow_scalar && is_scalar(n)) {
		if (!(v = xcalloc(1, sizeof(*v))))
			return oom(ld);
		if (!(v[0] = dup_scalar(ld, n, what))) {
			xfree(v);
			return -1;
		}
		*out = v;
		*count = 1;
		return 0;
	}
	if (!n || n->kind != IAC_N_LIST) {
		problem(ld, "%s must be a list", what);
		return -1;
	}
	if (n->n > CHECK_LIST_MAX) {
		problem(ld, "%s has more than %u items", what, CHECK_LIST_MAX);
		return -1;
	}
	if (!(v = xcalloc(n->n + 1, sizeof(*v))))
		return oom(ld);
	for (c = n->child; c; c = c->next) {
		if (!(v[i] = dup_scalar(ld, c, what))) {
			while (i--)
				xfree(v[i]);
			xfree(v);
			return -1;
		}
		i++;
	}
	*out = v;
	*count = i;
	return 0;
}

static void free_strv(char **v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++)
		xfree(v[i]);
	xfree(v);
}

/* --- paths --------------------------------------------------------------- */

static bool seg_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == ':' || c == '/' || c == '$' || c == '@';
}

static void path_release(struct iac_path *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		xfree(p->segs[i].key);
	xfree(p->segs);
	xfree(p->text);
	memset(p, 0, sizeof(*p));
}

/* "a.b[*].c", "*", "@json", "$pod" (first), "$apiVersion" (first). */
static int path_compile(struct ld *ld, const char *s, size_t n, unsigned family, struct iac_path *p)
{
	size_t i = 0;

	memset(p, 0, sizeof(*p));
	if (!n) {
		problem(ld, "empty attribute path");
		return -1;
	}
	if (!(p->text = xstrndup(s, n)) ||
	    !(p->segs = xcalloc(LIMIT_IAC_PATH_SEGMENTS, sizeof(*p->segs)))) {
		ld->nomem = true;
		return -1;
	}
	while (i < n) {
		size_t st = i;
		struct iac_seg *g;

		if (p->n >= LIMIT_IAC_PATH_SEGMENTS) {
			problem(ld, "path '%s' has more than %u segments", p->text, LIMIT_IAC_PATH_SEGMENTS);
			return -1;
		}
		g = &p->segs[p->n];
		if (s[i] == '[') {
			if (n - i < 3 || memcmp(s + i, "[*]", 3)) {
				problem(ld, "path '%s': only [*] may be bracketed", p->text);
				return -1;
			}
			g->kind = IAC_SEG_ANY;
			p->n++;
			i += 3;
		} else {
			while (i < n && s[i] != '.' && s[i] != '[') {
				if (!seg_char(s[i]) && s[i] != '*') {
					problem(ld, "path '%s': bad character", p->text);
					return -1;
				}
				i++;
			}
			if (i == st) {
				problem(ld, "path '%s': empty segment", p->text);
				return -1;
			}
			if (i - st == 1 && s[st] == '*') {
				g->kind = IAC_SEG_ANY;
			} else if (memchr(s + st, '*', i - st)) {
				problem(ld, "path '%s': '*' must be a segment of its own", p->text);
				return -1;
			} else if (i - st == 5 && !memcmp(s + st, "@json", 5)) {
				g->kind = IAC_SEG_JSON;
			} else if (s[st] == '$') {
				if (p->n) {
					problem(ld, "path '%s': %.*s must come first", p->text, (int)(i - st), s + st);
					return -1;
				}
				if (i - st == 4 && !memcmp(s + st, "$pod", 4) && family == IAC_FAM_KUBERNETES) {
					g->kind = IAC_SEG_POD;
				} else if (i - st == 11 && !memcmp(s + st, "$apiVersion", 11) && family == IAC_FAM_ARM) {
					g->kind = IAC_SEG_API;
				} else {
					problem(ld, "path '%s': unknown anchor for this format", p->text);
					return -1;
				}
			} else if (memchr(s + st, '$', i - st) || memchr(s + st, '@', i - st)) {
				problem(ld, "path '%s': '$' and '@' only start an anchor", p->text);
				return -1;
			} else {
				g->kind = IAC_SEG_KEY;
				g->len = (uint32_t)(i - st);
				if (!(g->key = xstrndup(s + st, i - st))) {
					ld->nomem = true;
					return -1;
				}
			}
			p->n++;
		}
		if (i < n && s[i] == '.') {
			i++;
			if (i == n) {
				problem(ld, "path '%s': trailing '.'", p->text);
				return -1;
			}
		}
	}
	return 0;
}

static int paths_compile(struct ld *ld, const struct iac_node *v, unsigned family,
			 struct iac_path **out, size_t *count)
{
	const struct iac_node *c;
	size_t n = v && v->kind == IAC_N_LIST ? v->n : 1, i = 0;
	struct iac_path *p;

	*out = NULL;
	*count = 0;
	if (!v || (v->kind != IAC_N_LIST && v->kind != IAC_N_STR)) {
		problem(ld, "attribute path must be a string or a list of aliases");
		return -1;
	}
	if (!n || n > 16) {
		problem(ld, "between 1 and 16 path aliases");
		return -1;
	}
	if (!(p = xcalloc(n, sizeof(*p))))
		return oom(ld);
	*out = p;
	for (c = v->kind == IAC_N_LIST ? v->child : v; c && i < n; c = v->kind == IAC_N_LIST ? c->next : NULL) {
		if (c->kind != IAC_N_STR) {
			problem(ld, "attribute path must be a string");
			*count = i;
			return -1;
		}
		if (path_compile(ld, c->str, c->len, family, &p[i])) {
			*count = i + 1;
			return -1;
		}
		i++;
	}
	*count = i;
	return 0;
}

/* --- conditions ------------------------------------------------------------ */

static const struct {
	const char *name;
	enum iac_op op;
	int value;		/* 0 none, 1 scalar, 2 list, 3 number, 4 regex, 5 port */
} ops[] = {
	{ "equals", IAC_OP_EQUALS, 1 }, { "not_equals", IAC_OP_NOT_EQUALS, 1 },
	{ "in", IAC_OP_IN, 2 }, { "not_in", IAC_OP_NOT_IN, 2 },
	{ "regex", IAC_OP_REGEX, 4 }, { "not_regex", IAC_OP_NOT_REGEX, 4 },
	{ "exists", IAC_OP_EXISTS, 0 }, { "present", IAC_OP_EXISTS, 0 },
	{ "not_exists", IAC_OP_NOT_EXISTS, 0 }, { "absent", IAC_OP_NOT_EXISTS, 0 },
	{ "is_true", IAC_OP_IS_TRUE, 0 }, { "is_false", IAC_OP_IS_FALSE, 0 },
	{ "not_true", IAC_OP_NOT_TRUE, 0 }, { "not_false", IAC_OP_NOT_FALSE, 0 },
	{ "gt", IAC_OP_GT, 3 }, { "ge", IAC_OP_GE, 3 }, { "lt", IAC_OP_LT, 3 }, { "le", IAC_OP_LE, 3 },
	{ "cidr_is_world", IAC_OP_CIDR_IS_WORLD, 0 },
	{ "port_range_contains", IAC_OP_PORT_RANGE_CONTAINS, 5 },
	{ "empty", IAC_OP_EMPTY, 0 }, { "not_empty", IAC_OP_NOT_EMPTY, 0 },
	{ "is_literal", IAC_OP_IS_LITERAL, 0 },
};

static void cond_release(struct iac_cond *c)
{
	size_t i;

	for (i = 0; i < c->n_paths; i++)
		path_release(&c->paths[i]);
	xfree(c->paths);
	free_strv(c->values, c->n_values);
	free_strv(c->types, c->n_types);
	if (c->re)
		pcre2_code_free(c->re);
	for (i = 0; i < c->n_subs; i++)
		cond_release(&c->subs[i]);
	xfree(c->subs);
	memset(c, 0, sizeof(*c));
}

static int parse_tv(struct ld *ld, const struct iac_node *v, uint8_t *out)
{
	if (v->kind == IAC_N_BOOL) {
		*out = (v->flags & IAC_F_TRUE) ? IAC_TV_TRUE : IAC_TV_FALSE;
		return 0;
	}
	if (iac_str_eq(v, "unknown")) {
		*out = IAC_TV_UNKNOWN;
		return 0;
	}
	problem(ld, "missing must be true, false or unknown");
	return -1;
}

static bool parse_number(const char *s, double *out)
{
	char *end;
	double d;

	if (!*s)
		return false;
	d = strtod(s, &end);
	if (*end || !isfinite(d))
		return false;
	*out = d;
	return true;
}

static int cond_compile(struct ld *ld, const struct iac_node *n, unsigned family, unsigned depth,
			struct iac_cond *c);

static int subs_compile(struct ld *ld, const struct iac_node *v, unsigned family, unsigned depth,
			struct iac_cond *c, bool list)
{
	const struct iac_node *e;
	size_t i = 0, old;

	if (list && (!v || v->kind != IAC_N_LIST || !v->n || v->n > 64)) {
		problem(ld, "must be a list of 1 to 64 conditions");
		return -1;
	}
	c->n_subs = list ? v->n : 1;
	if (!(c->subs = xcalloc(c->n_subs, sizeof(*c->subs))))
		return oom(ld);
	for (e = list ? v->child : v; e && i < c->n_subs; e = list ? e->next : NULL, i++) {
		int err;

		old = push(ld, "[%zu]", i);
		err = cond_compile(ld, e, family, depth + 1, &c->subs[i]);
		pop(ld, old);
		if (err)
			return -1;
	}
	return 0;
}

static int cond_compile(struct ld *ld, const struct iac_node *n, unsigned family, unsigned depth,
			struct iac_cond *c)
{
	const struct iac_node *m, *attr = NULL, *op = NULL, *val = NULL, *match = NULL, *miss = NULL;
	const struct iac_node *quant = NULL, *cs = NULL, *partner = NULL, *redact = NULL;
	const struct iac_node *all_of = NULL, *any_of = NULL, *not = NULL, *any = NULL, *all = NULL;
	size_t kinds = 0, i, old;
	int err = 0;

	memset(c, 0, sizeof(*c));
	c->missing = IAC_TV_FALSE;
	if (depth > LIMIT_IAC_COND_DEPTH) {
		problem(ld, "conditions nested deeper than %u", LIMIT_IAC_COND_DEPTH);
		return -1;
	}
	if (!n || n->kind != IAC_N_MAP) {
		problem(ld, "a condition must be a map");
		return -1;
	}
	for (m = n->child; m; m = m->next) {
		if (key_is(m, "attr"))
			attr = m;
		else if (key_is(m, "op"))
			op = m;
		else if (key_is(m, "value"))
			val = m;
		else if (key_is(m, "match"))
			match = m;
		else if (key_is(m, "missing"))
			miss = m;
		else if (key_is(m, "quantifier"))
			quant = m;
		else if (key_is(m, "case_sensitive"))
			cs = m;
		else if (key_is(m, "redact"))
			redact = m;
		else if (key_is(m, "partner"))
			partner = m;
		else if (key_is(m, "all_of"))
			all_of = m;
		else if (key_is(m, "any_of"))
			any_of = m;
		else if (key_is(m, "not"))
			not = m;
		else if (key_is(m, "any"))
			any = m;
		else if (key_is(m, "all"))
			all = m;
		else {
			problem(ld, "unknown key '%.*s'", (int)m->key_len, m->key);
			return -1;
		}
	}
	kinds = !!attr + !!partner + !!all_of + !!any_of + !!not + !!any + !!all;
	if (kinds != 1) {
		problem(ld, "a condition needs exactly one of attr, all_of, any_of, not, any, all, partner");
		return -1;
	}
	if (miss && parse_tv(ld, miss, &c->missing))
		return -1;
	if (all_of || any_of || not) {
		if (op || val || match || miss || quant || cs || redact) {
			problem(ld, "all_of/any_of/not take no other keys");
			return -1;
		}
		c->kind = all_of ? IAC_C_ALL_OF : any_of ? IAC_C_ANY_OF : IAC_C_NOT;
		old = push(ld, ".%s", all_of ? "all_of" : any_of ? "any_of" : "not");
		err = subs_compile(ld, all_of ? all_of : any_of ? any_of : not, family, depth, c, !not);
		pop(ld, old);
		return err;
	}
	if (any || all) {
		if (op || val || quant || cs || redact || !match) {
			problem(ld, "any/all take a path and a match condition (and missing)");
			return -1;
		}
		c->kind = any ? IAC_C_ANY : IAC_C_ALL;
		old = push(ld, ".%s", any ? "any" : "all");
		err = paths_compile(ld, any ? any : all, family, &c->paths, &c->n_paths);
		pop(ld, old);
		if (err)
			return -1;
		old = push(ld, ".match");
		err = subs_compile(ld, match, family, depth, c, false);
		pop(ld, old);
		return err;
	}
	if (partner) {
		const struct iac_node *t = NULL, *r = NULL;

		if (op || val || quant || cs || match || redact) {
			problem(ld, "partner takes only missing");
			return -1;
		}
		c->kind = IAC_C_PARTNER;
		if (partner->kind != IAC_N_MAP) {
			problem(ld, "partner must be a map {types, ref}");
			return -1;
		}
		for (m = partner->child; m; m = m->next) {
			if (key_is(m, "types"))
				t = m;
			else if (key_is(m, "ref"))
				r = m;
			else {
				problem(ld, "partner: unknown key '%.*s'", (int)m->key_len, m->key);
				return -1;
			}
		}
		if (!t || !r) {
			problem(ld, "partner needs types and ref");
			return -1;
		}
		if (dup_list(ld, t, &c->types, &c->n_types, "partner.types", true))
			return -1;
		return paths_compile(ld, r, family, &c->paths, &c->n_paths);
	}
	/* Leaf. */
	c->kind = IAC_C_LEAF;
	if (match) {
		problem(ld, "match belongs to any/all");
		return -1;
	}
	if (!op || op->kind != IAC_N_STR) {
		problem(ld, "attr needs an op");
		return -1;
	}
	for (i = 0; i < ARRAY_SIZE(ops); i++)
		if (iac_str_eq(op, ops[i].name))
			break;
	if (i == ARRAY_SIZE(ops)) {
		problem(ld, "unknown operator '%.*s'", (int)op->len, op->str);
		return -1;
	}
	c->op = (uint8_t)ops[i].op;
	if (c->op == IAC_OP_NOT_EXISTS && !miss)
		c->missing = IAC_TV_TRUE;
	if (quant) {
		if (iac_str_eq(quant, "all"))
			c->all_values = true;
		else if (!iac_str_eq(quant, "any")) {
			problem(ld, "quantifier must be any or all");
			return -1;
		}
	}
	if (cs) {
		if (cs->kind != IAC_N_BOOL) {
			problem(ld, "case_sensitive must be a boolean");
			return -1;
		}
		c->case_sensitive = cs->flags & IAC_F_TRUE;
	}
	if (redact) {
		if (redact->kind != IAC_N_BOOL) {
			problem(ld, "redact must be a boolean");
			return -1;
		}
		c->redact = redact->flags & IAC_F_TRUE;
	}
	old = push(ld, ".attr");
	err = paths_compile(ld, attr, family, &c->paths, &c->n_paths);
	pop(ld, old);
	if (err)
		return -1;
	if (!ops[i].value) {
		if (val) {
			problem(ld, "operator '%s' takes no value", ops[i].name);
			return -1;
		}
		return 0;
	}
	if (!val) {
		problem(ld, "operator '%s' needs a value", ops[i].name);
		return -1;
	}
	if (dup_list(ld, val, &c->values, &c->n_values, "value", true))
		return -1;
	if (ops[i].value != 2 && c->n_values != 1) {
		problem(ld, "operator '%s' takes one value", ops[i].name);
		return -1;
	}
	if (ops[i].value == 2 && !c->n_values) {
		problem(ld, "operator '%s' needs at least one value", ops[i].name);
		return -1;
	}
	if (ops[i].value == 3 && !parse_number(c->values[0], &c->num)) {
		/* Not a number: compared as a version or date string. */
		c->num = NAN;
	}
	if (ops[i].value == 5 && (!parse_number(c->values[0], &c->num) || c->num < 0 ||
				  c->num > 65535 || c->num != floor(c->num))) {
		problem(ld, "port_range_contains needs a port number");
		return -1;
	}
	if (ops[i].value == 4) {
		int ec;
		PCRE2_SIZE eo;

		if (strlen(c->values[0]) > CHECK_REGEX_MAX) {
			problem(ld, "regex longer than %u bytes", CHECK_REGEX_MAX);
			return -1;
		}
		c->re = pcre2_compile((PCRE2_SPTR)c->values[0], PCRE2_ZERO_TERMINATED,
				      0, &ec, &eo, NULL);
		if (!c->re) {
			PCRE2_UCHAR e[128];

			pcre2_get_error_message(ec, e, sizeof(e));
			problem(ld, "regex does not compile at %zu: %s", (size_t)eo, (char *)e);
			return -1;
		}
		pcre2_jit_compile(c->re, PCRE2_JIT_COMPLETE);
	}
	return 0;
}

static bool cond_redacts(const struct iac_cond *c)
{
	size_t i;

	if (c->redact)
		return true;
	for (i = 0; i < c->n_subs; i++)
		if (cond_redacts(&c->subs[i]))
			return true;
	return false;
}

/* --- checks ----------------------------------------------------------------- */

static int parse_family(const struct iac_node *v, unsigned *out)
{
	static const struct { const char *n; unsigned f; } fams[] = {
		{ "terraform", IAC_FAM_TERRAFORM }, { "arm", IAC_FAM_ARM }, { "bicep", IAC_FAM_ARM },
		{ "cloudformation", IAC_FAM_CLOUDFORMATION }, { "cfn", IAC_FAM_CLOUDFORMATION },
		{ "kubernetes", IAC_FAM_KUBERNETES }, { "k8s", IAC_FAM_KUBERNETES },
		{ "dockerfile", IAC_FAM_DOCKERFILE },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fams); i++) {
		if (iac_str_eq(v, fams[i].n)) {
			*out = fams[i].f;
			return 0;
		}
	}
	return -1;
}

static void binding_release(struct iac_binding *b)
{
	size_t i;

	free_strv(b->types, b->n_types);
	for (i = 0; i < b->n_each; i++)
		path_release(&b->each[i]);
	xfree(b->each);
	cond_release(&b->cond);
}

static int binding_compile(struct ld *ld, const struct iac_node *n, struct iac_binding *b)
{
	const struct iac_node *m, *fmt = NULL, *types = NULL, *each = NULL, *cond = NULL;
	size_t old;
	int err;

	memset(b, 0, sizeof(*b));
	if (!n || n->kind != IAC_N_MAP) {
		problem(ld, "a binding must be a map");
		return -1;
	}
	for (m = n->child; m; m = m->next) {
		if (key_is(m, "format"))
			fmt = m;
		else if (key_is(m, "types"))
			types = m;
		else if (key_is(m, "each"))
			each = m;
		else if (key_is(m, "fail_if"))
			cond = m;
		else {
			problem(ld, "unknown key '%.*s'", (int)m->key_len, m->key);
			return -1;
		}
	}
	if (!fmt || parse_family(fmt, &b->family)) {
		problem(ld, "format must be terraform, arm, bicep, cloudformation, kubernetes or dockerfile");
		return -1;
	}
	if (!types) {
		problem(ld, "types missing");
		return -1;
	}
	if (dup_list(ld, types, &b->types, &b->n_types, "types", true))
		return -1;
	if (!b->n_types) {
		problem(ld, "types is empty");
		return -1;
	}
	if (each) {
		if (b->family != IAC_FAM_KUBERNETES) {
			problem(ld, "each is for kubernetes bindings");
			return -1;
		}
		old = push(ld, ".each");
		err = paths_compile(ld, each, b->family, &b->each, &b->n_each);
		pop(ld, old);
		if (err)
			return -1;
	}
	if (!cond) {
		problem(ld, "fail_if missing");
		return -1;
	}
	old = push(ld, ".fail_if");
	err = cond_compile(ld, cond, b->family, 0, &b->cond);
	pop(ld, old);
	return err;
}

static void check_release(struct iac_check *c)
{
	size_t i;

	xfree(c->id);
	xfree(c->title);
	xfree(c->remediation);
	xfree(c->pack_id);
	free_strv(c->refs, c->n_refs);
	free_strv(c->mapped, c->n_mapped);
	for (i = 0; i < c->n_bindings; i++)
		binding_release(&c->bindings[i]);
	xfree(c->bindings);
	for (i = 0; i < c->n_examples; i++) {
		xfree((char *)c->examples[i].file);
		xfree((char *)c->examples[i].text);
		xfree((char *)c->examples[i].name);
		xfree((uint32_t *)c->examples[i].lines);
		xfree((uint32_t *)c->examples[i].unknown);
	}
	xfree(c->examples);
	memset(c, 0, sizeof(*c));
}

static bool safe_rel_path(const char *p)
{
	return *p && *p != '/' && !strstr(p, "//");
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* [12, 30] -> sorted owned array. */
static int parse_lines(struct ld *ld, const struct iac_node *lines, const uint32_t **out, size_t *n)
{
	const struct iac_node *l;
	uint32_t *v;
	size_t i = 0;
	double d;

	if (lines->kind != IAC_N_LIST || !lines->n || lines->n > 256) {
		problem(ld, "lines must be a list of 1 to 256 line numbers");
		return -1;
	}
	if (!(v = xcalloc(lines->n, sizeof(*v))))
		return oom(ld);
	*out = v;
	for (l = lines->child; l; l = l->next) {
		char tmp[32];

		if (l->kind != IAC_N_NUM || l->len >= sizeof(tmp)) {
			problem(ld, "lines must be numbers");
			return -1;
		}
		memcpy(tmp, l->str, l->len);
		tmp[l->len] = '\0';
		if (!parse_number(tmp, &d) || d < 1 || d > 1e9 || d != floor(d)) {
			problem(ld, "bad line number");
			return -1;
		}
		v[i++] = (uint32_t)d;
	}
	qsort(v, i, sizeof(*v), cmp_u32);
	*n = i;
	return 0;
}

static int example_compile(struct ld *ld, const struct iac_node *n, bool positive, struct iac_example *e)
{
	const struct iac_node *m, *file = NULL, *text = NULL, *name = NULL, *lines = NULL, *unk = NULL;

	memset(e, 0, sizeof(*e));
	e->positive = positive;
	if (!n || n->kind != IAC_N_MAP) {
		problem(ld, "an example must be a map {file|text, name, lines}");
		return -1;
	}
	for (m = n->child; m; m = m->next) {
		if (key_is(m, "file"))
			file = m;
		else if (key_is(m, "text"))
			text = m;
		else if (key_is(m, "name"))
			name = m;
		else if (key_is(m, "lines"))
			lines = m;
		else if (key_is(m, "unknown"))
			unk = m;
		else {
			problem(ld, "unknown key '%.*s'", (int)m->key_len, m->key);
			return -1;
		}
	}
	if (!!file == !!text) {
		problem(ld, "an example needs exactly one of file and text");
		return -1;
	}
	if (file) {
		if (name) {
			problem(ld, "name is for inline text");
			return -1;
		}
		if (!(e->file = dup_scalar(ld, file, "file")))
			return -1;
		if (!safe_rel_path(e->file)) {
			problem(ld, "file must be a path relative to the pack");
			return -1;
		}
		if (!(e->name = xstrdup(e->file)))
			return oom(ld);
	} else {
		if (!name) {
			problem(ld, "inline text needs a name (the path it is scanned as)");
			return -1;
		}
		if (!(e->text = dup_scalar(ld, text, "text")) || !(e->name = dup_scalar(ld, name, "name")))
			return -1;
		e->text_len = strlen(e->text);
	}
	if (positive != (lines || unk)) {
		problem(ld, positive ? "a positive example needs lines (or unknown)" :
			"a negative example has no lines");
		return -1;
	}
	if (lines && parse_lines(ld, lines, &e->lines, &e->n_lines))
		return -1;
	if (unk && parse_lines(ld, unk, &e->unknown, &e->n_unknown))
		return -1;
	return 0;
}

static int examples_compile(struct ld *ld, const struct iac_node *n, struct iac_check *c)
{
	const struct iac_node *m, *pos = NULL, *neg = NULL, *e;
	size_t i = 0, old;

	if (!n || n->kind != IAC_N_MAP) {
		problem(ld, "examples must be a map {positive: [...], negative: [...]}");
		return -1;
	}
	for (m = n->child; m; m = m->next) {
		if (key_is(m, "positive"))
			pos = m;
		else if (key_is(m, "negative"))
			neg = m;
		else {
			problem(ld, "unknown key '%.*s'", (int)m->key_len, m->key);
			return -1;
		}
	}
	if (!pos || pos->kind != IAC_N_LIST || !pos->n || !neg || neg->kind != IAC_N_LIST || !neg->n) {
		problem(ld, "at least one positive and one negative example are required");
		return -1;
	}
	if (pos->n + neg->n > 64) {
		problem(ld, "at most 64 examples");
		return -1;
	}
	if (!(c->examples = xcalloc(pos->n + neg->n, sizeof(*c->examples))))
		return oom(ld);
	for (e = pos->child; e; e = e->next) {
		int err;

		old = push(ld, ".positive[%zu]", i);
		err = example_compile(ld, e, true, &c->examples[i]);
		c->n_examples = ++i;
		pop(ld, old);
		if (err)
			return -1;
	}
	for (e = neg->child; e; e = e->next) {
		int err;

		old = push(ld, ".negative[%zu]", i - pos->n);
		err = example_compile(ld, e, false, &c->examples[i]);
		c->n_examples = ++i;
		pop(ld, old);
		if (err)
			return -1;
	}
	return 0;
}

static int check_compile(struct ld *ld, const struct iac_node *n, const char *pack_id, struct iac_check *c)
{
	const struct iac_node *m, *id = NULL, *title = NULL, *sev = NULL, *rem = NULL, *refs = NULL;
	const struct iac_node *mapped = NULL, *binds = NULL, *ex = NULL, *b;
	size_t i = 0, old;
	char sevs[16];

	memset(c, 0, sizeof(*c));
	if (!n || n->kind != IAC_N_MAP) {
		problem(ld, "a check must be a map");
		return -1;
	}
	/* The id first, so that every later message can name the check. */
	id = iac_map_get(n, "id");
	if (!is_scalar(id) || !id->len || id->len > 64) {
		problem(ld, "id missing or not a short string");
		return -1;
	}
	for (i = 0; i < id->len; i++) {
		char ch = id->str[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		      ch == '-' || ch == '_' || ch == '.')) {
			problem(ld, "id '%.*s' has characters other than [A-Za-z0-9._-]", (int)id->len, id->str);
			return -1;
		}
	}
	if (!(c->id = dup_scalar(ld, id, "id")))
		return -1;
	ld->id = c->id;
	for (m = n->child; m; m = m->next) {
		if (key_is(m, "id"))
			id = m;
		else if (key_is(m, "title"))
			title = m;
		else if (key_is(m, "severity"))
			sev = m;
		else if (key_is(m, "remediation"))
			rem = m;
		else if (key_is(m, "references"))
			refs = m;
		else if (key_is(m, "mapped"))
			mapped = m;
		else if (key_is(m, "bindings"))
			binds = m;
		else if (key_is(m, "examples"))
			ex = m;
		else {
			problem(ld, "unknown key '%.*s'", (int)m->key_len, m->key);
			return -1;
		}
	}
	if (!title || !rem) {
		problem(ld, "title and remediation are required");
		return -1;
	}
	if (!(c->title = dup_scalar(ld, title, "title")) ||
	    !(c->remediation = dup_scalar(ld, rem, "remediation")))
		return -1;
	if (!sev || sev->kind != IAC_N_STR || sev->len >= sizeof(sevs)) {
		problem(ld, "severity missing");
		return -1;
	}
	memcpy(sevs, sev->str, sev->len);
	sevs[sev->len] = '\0';
	if (rule_severity_parse(sevs, &c->info.severity)) {
		problem(ld, "severity must be critical, high, medium, low or info");
		return -1;
	}
	if (refs && dup_list(ld, refs, &c->refs, &c->n_refs, "references", false))
		return -1;
	if (mapped && dup_list(ld, mapped, &c->mapped, &c->n_mapped, "mapped", false))
		return -1;
	if (!(c->pack_id = xstrdup(pack_id ? pack_id : "")))
		return oom(ld);
	if (!binds || binds->kind != IAC_N_LIST || !binds->n || binds->n > LIMIT_IAC_BINDINGS) {
		problem(ld, "bindings must be a list of 1 to %u bindings", LIMIT_IAC_BINDINGS);
		return -1;
	}
	if (!(c->bindings = xcalloc(binds->n, sizeof(*c->bindings))))
		return oom(ld);
	i = 0;
	for (b = binds->child; b; b = b->next) {
		int err;

		old = push(ld, "bindings[%zu]", i);
		err = binding_compile(ld, b, &c->bindings[i]);
		c->n_bindings = ++i;
		pop(ld, old);
		if (err)
			return -1;
		c->info.families |= c->bindings[i - 1].family;
		c->info.redact |= cond_redacts(&c->bindings[i - 1].cond);
	}
	old = push(ld, "examples");
	i = (size_t)examples_compile(ld, ex, c);
	pop(ld, old);
	if (i)
		return -1;
	c->info.id = c->id;
	c->info.title = c->title;
	c->info.remediation = c->remediation;
	c->info.references = (const char *const *)c->refs;
	c->info.n_references = c->n_refs;
	c->info.mapped = (const char *const *)c->mapped;
	c->info.n_mapped = c->n_mapped;
	c->info.pack_id = c->pack_id;
	c->info.examples = c->examples;
	c->info.n_examples = c->n_examples;
	return 0;
}

/* --- the type index -------------------------------------------------------- */

static int tab_add(struct iac_checkset *cs, unsigned family, const char *type, uint32_t check,
		   struct iac_binding *b)
{
	size_t len = strlen(type), i, mask = cs->tab_cap - 1;
	uint32_t h = iac_hash_lower(type, len) ^ family;
	struct iac_tentry *e;

	for (i = h & mask;; i = (i + 1) & mask) {
		e = &cs->tab[i];
		if (!e->type)
			break;
		if (e->family == family && e->hash == h && strlen(e->type) == len &&
		    iac_mem_ieq(type, len, e->type))
			goto found;
	}
	if (!(e->type = xstrdup(type)))
		return ERR_NOMEM;
	for (i = 0; i < len; i++)
		if (e->type[i] >= 'A' && e->type[i] <= 'Z')
			e->type[i] = (char)(e->type[i] + 32);
	e->family = family;
	e->hash = h;
found:
	if (e->n == e->cap) {
		size_t nc = e->cap ? e->cap * 2 : 4;
		uint32_t *nch = xrealloc(e->check, nc * sizeof(*nch));
		struct iac_binding **nb;

		if (!nch)
			return ERR_NOMEM;
		e->check = nch;
		if (!(nb = xrealloc(e->binding, nc * sizeof(*nb))))
			return ERR_NOMEM;
		e->binding = nb;
		e->cap = nc;
	}
	e->check[e->n] = check;
	e->binding[e->n] = b;
	e->n++;
	return 0;
}

const struct iac_tentry *iac_checkset_lookup(const struct iac_checkset *cs, unsigned family,
					     const char *type, size_t len)
{
	uint32_t h;
	size_t i, mask;
	const struct iac_tentry *e;

	if (!cs->tab_cap)
		return NULL;
	h = iac_hash_lower(type, len) ^ family;
	mask = cs->tab_cap - 1;
	for (i = h & mask;; i = (i + 1) & mask) {
		e = &cs->tab[i];
		if (!e->type)
			return NULL;
		if (e->family == family && e->hash == h && iac_mem_ieq(type, len, e->type))
			return e;
	}
}

static int build_index(struct iac_checkset *cs)
{
	size_t i, j, k, nt = 0;
	int err;

	for (i = 0; i < cs->n; i++)
		for (j = 0; j < cs->checks[i].n_bindings; j++)
			nt += cs->checks[i].bindings[j].n_types;
	cs->tab_cap = 16;
	while (cs->tab_cap < nt * 2)
		cs->tab_cap *= 2;
	if (!(cs->tab = xcalloc(cs->tab_cap, sizeof(*cs->tab))))
		return ERR_NOMEM;
	for (i = 0; i < cs->n; i++)
		for (j = 0; j < cs->checks[i].n_bindings; j++) {
			struct iac_binding *b = &cs->checks[i].bindings[j];

			for (k = 0; k < b->n_types; k++)
				if ((err = tab_add(cs, b->family, b->types[k], (uint32_t)i, b)))
					return err;
		}
	return 0;
}

/* --- public ------------------------------------------------------------------ */

void iac_checkset_free(struct iac_checkset *cs)
{
	size_t i;

	if (!cs)
		return;
	for (i = 0; i < cs->n; i++)
		check_release(&cs->checks[i]);
	xfree(cs->checks);
	for (i = 0; i < cs->tab_cap; i++) {
		xfree(cs->tab[i].type);
		xfree(cs->tab[i].check);
		xfree(cs->tab[i].binding);
	}
	xfree(cs->tab);
	xfree(cs);
}

size_t iac_checkset_count(const struct iac_checkset *cs)
{
	return cs ? cs->n : 0;
}

const struct iac_check_info *iac_checkset_info(const struct iac_checkset *cs, size_t i)
{
	return cs && i < cs->n ? &cs->checks[i].info : NULL;
}

long iac_checkset_find(const struct iac_checkset *cs, const char *id)
{
	size_t i;

	for (i = 0; cs && i < cs->n; i++)
		if (!strcmp(cs->checks[i].id, id))
			return (long)i;
	return -1;
}

static int load_pack(struct ld *ld, struct iac_checkset *cs, const char *text, size_t len, size_t *cap)
{
	struct iac_arena a;
	struct iac_diag d = { 0 };
	struct iac_node *docs = NULL, *root, *m, *checks = NULL, *pack = NULL, *c;
	char *pack_id = NULL;
	size_t i, j;
	int rc = 0;

	if (len > LIMIT_IAC_PACK_BYTES) {
		problem(ld, "pack larger than %u bytes", LIMIT_IAC_PACK_BYTES);
		return ERR_LIMIT;
	}
	iac_arena_init(&a, (size_t)LIMIT_IAC_TREE_RATIO * len + LIMIT_IAC_TREE_SLACK);
	if (iac_yaml_parse(&a, text, len, &docs, &d)) {
		problem(ld, "line %u: %s", d.line, d.msg);
		iac_arena_release(&a);
		return d.err == ERR_NOMEM ? ERR_NOMEM : ERR_SYNTAX;
	}
	root = docs->child;
	if (!root || root->kind != IAC_N_MAP || root->next) {
		problem(ld, "a pack is one YAML document, a map {pack, checks}");
		iac_arena_release(&a);
		return ERR_SYNTAX;
	}
	for (m = root->child; m; m = m->next) {
		if (key_is(m, "pack"))
			pack = m;
		else if (key_is(m, "checks"))
			checks = m;
		else
			problem(ld, "unknown top-level key '%.*s'", (int)m->key_len, m->key);
	}
	if (pack && pack->kind == IAC_N_MAP) {
		for (m = pack->child; m; m = m->next) {
			if (key_is(m, "id") && m->kind == IAC_N_STR && !pack_id)
				pack_id = xstrndup(m->str, m->len);
			else if (key_is(m, "id"))
				problem(ld, "pack.id must be one string");
			else if (!key_is(m, "version") && !key_is(m, "description"))
				problem(ld, "pack: unknown key '%.*s'", (int)m->key_len, m->key);
		}
	}
	if (!pack_id) {
		problem(ld, "pack.id missing");
		rc = ERR_RULE;
	}
	if (!checks || checks->kind != IAC_N_LIST) {
		problem(ld, "checks must be a list");
		rc = ERR_RULE;
	}
	if (!rc && cs->n + checks->n > LIMIT_IAC_CHECKS) {
		problem(ld, "more than %u checks", LIMIT_IAC_CHECKS);
		rc = ERR_LIMIT;
	}
	if (!rc) {
		if (cs->n + checks->n > *cap) {
			struct iac_check *nc = xrealloc(cs->checks, (cs->n + checks->n) * sizeof(*nc));

			if (!nc) {
				rc = ERR_NOMEM;
				goto out;
			}
			cs->checks = nc;
			*cap = cs->n + checks->n;
		}
		i = 0;
		for (c = checks->child; c; c = c->next, i++) {
			struct iac_check *ck = &cs->checks[cs->n];

			ld->id = NULL;
			snprintf(ld->where, sizeof(ld->where), "%s", "");
			if (check_compile(ld, c, pack_id, ck)) {
				if (!ld->id)
					problem(ld, "(check #%zu of pack %s)", i + 1, pack_id);
				check_release(ck);
				continue;
			}
			for (j = 0; j < cs->n; j++)
				if (!strcmp(cs->checks[j].id, ck->id))
					break;
			if (j < cs->n) {
				problem(ld, "duplicate check id");
				check_release(ck);
				continue;
			}
			cs->n++;
		}
		ld->id = NULL;
		ld->where[0] = '\0';
	}
out:
	xfree(pack_id);
	iac_arena_release(&a);
	return rc;
}

int iac_checkset_load(const char *const *texts, const size_t *lens, size_t n,
		      struct iac_checkset **out, struct buf *msg)
{
	struct ld ld = { .msg = msg };
	struct iac_checkset *cs;
	size_t i, cap = 0;
	int rc = 0, err;

	if (!out)
		return ERR_USAGE;
	*out = NULL;
	if (!texts || !lens)
		return ERR_USAGE;
	if (!(cs = xcalloc(1, sizeof(*cs))))
		return ERR_NOMEM;
	for (i = 0; i < n; i++) {
		if (!texts[i]) {
			iac_checkset_free(cs);
			return ERR_USAGE;
		}
		err = load_pack(&ld, cs, texts[i], lens[i], &cap);
		if (err && !rc)
			rc = err;
	}
	if (!rc && ld.nomem)
		rc = ERR_NOMEM;
	if (!rc && ld.nprob)
		rc = ERR_RULE;
	if (!rc)
		rc = build_index(cs);
	if (rc) {
		iac_checkset_free(cs);
		return rc;
	}
	*out = cs;
	return 0;
}
