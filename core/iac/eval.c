/*
 * eval.c - evaluate compiled checks against one parsed file: attribute
 * paths with aliases, operators, three-valued combinators, same-file
 * resolution of variables and parameters, suppressions, and the finding a
 * (check, resource) pair reports (iac.md §3, §4, §6, §7).
 *
 * Truth values are "the resource is bad": TRUE -> FAIL, FALSE -> PASS,
 * UNKNOWN -> UNKNOWN.  all_of/any_of/not follow Kleene's logic, so an
 * unresolvable value can only ever turn a PASS into UNKNOWN, never the
 * other way round.  Work per file is O(resources x bindings of their
 * type): resources are looked up by (family, type) in the checkset's
 * index, never by rescanning the document per check.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err-t.h"
#include "core/base/limits.h"
#include "core/iac/iac-int.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Nodes one path may reach: a resource with 10k rules in one list is
 * evaluated on the first ones and the rest makes the result UNKNOWN. */
#define MATCH_MAX 512u
/* Variable -> local -> variable chains followed when resolving. */
#define RESOLVE_HOPS 8u

struct match {
	struct iac_node *origin;	/* where it sits in the document */
	struct iac_node *val;		/* resolved value, NULL = unknown */
	struct iac_node *via;		/* variable/parameter it came from */
};

/* Header first: walk() copies offsetof(m) + n entries. */
struct mset {
	size_t n;			/* entries in m */
	bool unknown;			/* some step could not be resolved */
	bool truncated;			/* more than MATCH_MAX */
	struct iac_node *unk;		/* the node that was not */
	struct match m[MATCH_MAX];
};

/* Why a condition has its value: the node, or a missing path. */
struct wit {
	struct iac_node *node;		/* document node (line), or NULL */
	struct iac_node *val;		/* its resolved value, NULL = unknown */
	struct iac_node *via;		/* resolved through this variable */
	const struct iac_path *path;	/* the (alias) path of the leaf */
	bool redact;			/* the leaf hides its value */
	const char *text;		/* fixed text (partner), or NULL */
	bool missing;			/* path absent */
};

/* Same-file names (variables, locals, parameters) hashed once per scan, so
 * that resolving stays linear however many references a file holds. */
struct sym {
	const char *k;			/* name, NULL = free slot */
	uint32_t kl;
	struct iac_node *v;		/* its value node (NULL: declared, no default) */
	bool decl;			/* put while the table took conflicts */
};

struct symtab {
	struct sym *v;			/* open addressing, power of two */
	size_t cap, n;
	bool built;
	bool ci;			/* names compare case-insensitively (ARM) */
	bool conflicts;			/* a second, different declaration makes the
					 * name unknown (several versions of one file
					 * in a push), instead of the first winning */
};

struct partner_cache;

struct ev {
	const struct iac_checkset *cs;
	struct iac_doc *doc;
	unsigned family;
	pcre2_match_data *md;
	const struct iac_res *res;	/* resource being evaluated */
	struct iac_node *pod;		/* its pod spec */
	struct mset *pool[48];		/* match sets, used as a stack */
	size_t pool_used;
	struct symtab vars, locals;	/* same-file names, built on first use */
	struct partner_cache *partners;	/* per PARTNER condition, built on first use */
};

static unsigned family_of(enum iac_format f)
{
	switch (f) {
	case IAC_TERRAFORM:
	case IAC_TERRAFORM_JSON:
		return IAC_FAM_TERRAFORM;
	case IAC_ARM:
	case IAC_BICEP:
		return IAC_FAM_ARM;
	case IAC_CLOUDFORMATION:
		return IAC_FAM_CLOUDFORMATION;
	case IAC_KUBERNETES:
		return IAC_FAM_KUBERNETES;
	case IAC_DOCKERFILE:
		return IAC_FAM_DOCKERFILE;
	case IAC_NONE:
		break;
	}
	return 0;
}

/* --- resolution (iac.md §4) ------------------------------------------------ */

static bool span_eq(const char *a, size_t al, const char *b, size_t bl)
{
	return al == bl && !memcmp(a, b, al);
}

static uint32_t sym_hash(const char *k, size_t kl, bool ci)
{
	return ci ? iac_hash_lower(k, kl) : iac_hash_lower(k, kl) ^ 0x9e37u;
}

static bool sym_eq(const struct sym *e, const char *k, size_t kl, bool ci)
{
	size_t i;

	if (e->kl != kl)
		return false;
	if (!ci)
		return !memcmp(e->k, k, kl);
	for (i = 0; i < kl; i++) {
		char x = e->k[i], y = k[i];

		if (x >= 'A' && x <= 'Z')
			x = (char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (char)(y + 32);
		if (x != y)
			return false;
	}
	return true;
}

/* Do two declarations say the same? */
static bool same_value(const struct iac_node *a, const struct iac_node *b)
{
	if (a == b)
		return true;
	if (!a || !b || a->kind != b->kind || a->kind == IAC_N_LIST || a->kind == IAC_N_MAP)
		return false;
	return a->flags == b->flags && a->len == b->len && (!a->len || !memcmp(a->str, b->str, a->len));
}

/* First definition wins, as the map lookups it replaces did; under
 * t->conflicts two different declarations leave the name unknown. */
static int sym_put(struct symtab *t, const char *k, size_t kl, struct iac_node *v)
{
	size_t i, mask;

	if ((t->n + 1) * 2 > t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 64, j;
		struct sym *nv = xcalloc(nc, sizeof(*nv));

		if (!nv)
			return ERR_NOMEM;
		for (j = 0; j < t->cap; j++) {
			if (!t->v[j].k)
				continue;
			for (i = sym_hash(t->v[j].k, t->v[j].kl, t->ci) & (nc - 1); nv[i].k; i = (i + 1) & (nc - 1))
				;
			nv[i] = t->v[j];
		}
		xfree(t->v);
		t->v = nv;
		t->cap = nc;
	}
	mask = t->cap - 1;
	for (i = sym_hash(k, kl, t->ci) & mask; t->v[i].k; i = (i + 1) & mask) {
		if (sym_eq(&t->v[i], k, kl, t->ci)) {
			if (t->conflicts && t->v[i].decl && !same_value(t->v[i].v, v))
				t->v[i].v = NULL;
			return 0;
		}
	}
	t->v[i].k = k;
	t->v[i].kl = (uint32_t)kl;
	t->v[i].v = v;
	t->v[i].decl = t->conflicts;
	t->n++;
	return 0;
}

static bool sym_get(const struct symtab *t, const char *k, size_t kl, struct iac_node **v)
{
	size_t i, mask;

	if (!t->cap)
		return false;
	mask = t->cap - 1;
	for (i = sym_hash(k, kl, t->ci) & mask; t->v[i].k; i = (i + 1) & mask) {
		if (sym_eq(&t->v[i], k, kl, t->ci)) {
			*v = t->v[i].v;
			return true;
		}
	}
	return false;
}

/* Members of a map into t, each mapped to its member `inner` (or itself). */
static void sym_members(struct symtab *t, struct iac_node *map, const char *inner, bool ci_inner)
{
	struct iac_node *c;

	if (!map || map->kind != IAC_N_MAP)
		return;
	for (c = map->child; c; c = c->next)
		sym_put(t, c->key, c->key_len, !inner ? c : ci_inner ? iac_map_geti(c, inner) : iac_map_get(c, inner));
}

/* Terraform variables and locals of one file into the tables. */
static void tf_syms(struct ev *ev, const struct iac_doc *d)
{
	struct symtab *vars = &ev->vars, *locals = &ev->locals;
	struct iac_node *c, *m;

	if (d->fmt == IAC_TERRAFORM_JSON) {
		sym_members(vars, d->vars, "default", false);
		sym_members(locals, d->locals, NULL, false);
		return;
	}
	for (c = d->root ? d->root->child : NULL; c; c = c->next) {
		if (!(c->flags & IAC_F_BLOCK))
			continue;
		if (span_eq(c->key, c->key_len, "variable", 8) && c->aux && c->aux->child)
			sym_put(vars, c->aux->child->str, c->aux->child->len, iac_map_get(c, "default"));
		else if (span_eq(c->key, c->key_len, "locals", 6))
			for (m = c->child; m; m = m->next)
				sym_put(locals, m->key, m->key_len, m);
	}
}

/* Values set from outside the file (tfvars, module arguments) go in
 * first: the first definition wins, so they override defaults. */
static void ctx_inputs(struct ev *ev)
{
	const struct iac_ctx *x = ev->doc->ctx;
	size_t i;

	for (i = 0; x && i < x->n_inputs; i++)
		if (!x->inputs[i].only || x->inputs[i].only == ev->doc)
			sym_put(&ev->vars, x->inputs[i].k, x->inputs[i].kl, x->inputs[i].v);
}

static void build_syms(struct ev *ev)
{
	struct iac_doc *doc = ev->doc;
	struct symtab *vars = &ev->vars, *locals = &ev->locals;
	struct iac_node *c;
	size_t i;

	vars->built = locals->built = true;
	switch (doc->fmt) {
	case IAC_TERRAFORM:
	case IAC_TERRAFORM_JSON:
		/* A module's variables and locals may sit in any of its
		 * files: with a directory context, all of them count. */
		ctx_inputs(ev);
		/* Declarations of one name that disagree across the files
		 * (two versions of variables.tf in a push) are unknown. */
		vars->conflicts = locals->conflicts = doc->ctx != NULL;
		tf_syms(ev, doc);
		for (i = 0; doc->ctx && i < doc->ctx->n_docs; i++) {
			const struct iac_doc *d = doc->ctx->docs[i];

			if (d != doc && (d->fmt == IAC_TERRAFORM || d->fmt == IAC_TERRAFORM_JSON))
				tf_syms(ev, d);
		}
		break;
	case IAC_BICEP:
		/* One namespace: params and vars. */
		ctx_inputs(ev);
		for (c = doc->vars ? doc->vars->child : NULL; c; c = c->next) {
			if (!(c->flags & IAC_F_BLOCK) || !c->aux || !c->aux->child)
				continue;
			if (span_eq(c->key, c->key_len, "param", 5))
				sym_put(vars, c->aux->child->str, c->aux->child->len, iac_map_get(c, "default"));
			else if (span_eq(c->key, c->key_len, "var", 3))
				sym_put(vars, c->aux->child->str, c->aux->child->len, iac_map_get(c, "value"));
		}
		break;
	case IAC_ARM:
		vars->ci = locals->ci = true;	/* ARM names are case-insensitive */
		sym_members(vars, doc->vars, "defaultValue", true);
		sym_members(locals, doc->locals, NULL, false);
		break;
	case IAC_CLOUDFORMATION:
		sym_members(vars, doc->vars, "Default", false);
		break;
	default:
		break;
	}
}

static struct iac_node *resolve(struct ev *ev, struct iac_node *n, struct iac_node **via);

static struct iac_node *resolve_ref(struct ev *ev, const char *s, size_t len, struct iac_node **via,
				    unsigned hop)
{
	struct iac_doc *doc = ev->doc;
	struct iac_node *t = NULL;

	if (hop > RESOLVE_HOPS)
		return NULL;
	if (!ev->vars.built)
		build_syms(ev);
	switch (doc->fmt) {
	case IAC_TERRAFORM:
	case IAC_TERRAFORM_JSON:
		if (len > 4 && !memcmp(s, "var.", 4) && !memchr(s + 4, '.', len - 4) && !memchr(s + 4, '[', len - 4))
			sym_get(&ev->vars, s + 4, len - 4, &t);
		else if (len > 6 && !memcmp(s, "local.", 6) && !memchr(s + 6, '.', len - 6) &&
			 !memchr(s + 6, '[', len - 6))
			sym_get(&ev->locals, s + 6, len - 6, &t);
		break;
	case IAC_BICEP:
		sym_get(&ev->vars, s, len, &t);
		break;
	case IAC_ARM: {
		/* [parameters('x')] / [variables('x')], blanks tolerated. */
		size_t i = 1, e = len - 1, ns, nl;
		bool param;

		while (i < e && s[i] == ' ')
			i++;
		if (e - i > 12 && !memcmp(s + i, "parameters(", 11)) {
			param = true;
			i += 11;
		} else if (e - i > 11 && !memcmp(s + i, "variables(", 10)) {
			param = false;
			i += 10;
		} else {
			return NULL;
		}
		while (i < e && s[i] == ' ')
			i++;
		if (i >= e || s[i] != '\'')
			return NULL;
		ns = ++i;
		while (i < e && s[i] != '\'')
			i++;
		if (i >= e)
			return NULL;
		nl = i - ns;
		i++;
		while (i < e && s[i] == ' ')
			i++;
		if (i >= e || s[i] != ')')
			return NULL;
		i++;
		while (i < e && s[i] == ' ')
			i++;
		if (i != e)
			return NULL;
		sym_get(param ? &ev->vars : &ev->locals, s + ns, nl, &t);
		break;
	}
	case IAC_CLOUDFORMATION:
		if (len > 5 && !memcmp(s, "AWS::", 5))
			return NULL;	/* pseudo parameters */
		sym_get(&ev->vars, s, len, &t);
		break;
	default:
		break;
	}
	if (!t)
		return NULL;
	if (!*via)
		*via = t;
	if (t->kind == IAC_N_EXPR)
		return resolve_ref(ev, t->str, t->len, via, hop + 1);
	return resolve(ev, t, via);
}

/* The literal value of n, or NULL when it cannot be known statically. */
static struct iac_node *resolve(struct ev *ev, struct iac_node *n, struct iac_node **via)
{
	enum iac_format f = ev->doc->fmt;

	if (!n)
		return NULL;
	switch (n->kind) {
	case IAC_N_UNKNOWN:
		return NULL;
	case IAC_N_EXPR:
		return resolve_ref(ev, n->str, n->len, via, 0);
	case IAC_N_STR:
		if (n->flags & IAC_F_TEMPLATE) {
			/* "${var.x}" in Terraform JSON is the reference. */
			if (f == IAC_TERRAFORM_JSON && n->len > 3 && n->str[0] == '$' && n->str[1] == '{' &&
			    n->str[n->len - 1] == '}' && !memchr(n->str + 2, '{', n->len - 3))
				return resolve_ref(ev, n->str + 2, n->len - 3, via, 0);
			return NULL;
		}
		break;
	default:
		break;
	}
	if (f == IAC_CLOUDFORMATION) {
		if (n->flags & IAC_F_TAGGED) {
			if (n->aux && iac_str_eq(n->aux, "!Ref") && n->kind == IAC_N_STR)
				return resolve_ref(ev, n->str, n->len, via, 0);
			return NULL;
		}
		if (n->kind == IAC_N_MAP && n->n == 1 && n->child) {
			struct iac_node *c = n->child;

			if (span_eq(c->key, c->key_len, "Ref", 3))
				return c->kind == IAC_N_STR ? resolve_ref(ev, c->str, c->len, via, 0) : NULL;
			if (c->key_len > 4 && !memcmp(c->key, "Fn::", 4))
				return NULL;
		}
	}
	return n;
}

/* --- paths -------------------------------------------------------------- */

static void mset_add(struct mset *s, struct iac_node *origin, struct iac_node *val, struct iac_node *via)
{
	if (origin && origin->kind == IAC_N_NULL)
		return;
	if (val && val->kind == IAC_N_NULL)
		return;	/* "= null" / empty YAML value: absent */
	if (s->n >= MATCH_MAX) {
		s->truncated = true;
		return;
	}
	s->m[s->n].origin = origin;
	s->m[s->n].val = val;
	s->m[s->n].via = via;
	s->n++;
}

static void mset_unknown(struct mset *s, struct iac_node *n)
{
	if (!s->unknown)
		s->unk = n;
	s->unknown = true;
}

static struct iac_node *json_of(struct ev *ev, struct iac_node *n)
{
	struct iac_diag d = { 0 };
	struct iac_node *root = NULL;
	uint32_t base;

	if (n->flags & IAC_F_PARSED)
		return n->aux;
	base = n->line + ((n->flags & IAC_F_HEREDOC) ? 1 : 0);
	if (iac_json_parse(&ev->doc->arena, n->str, n->len, base, IAC_JSON_TEMPLATES, &root, &d))
		root = NULL;
	if (!(n->flags & IAC_F_TAGGED)) {
		n->aux = root;
		n->flags |= IAC_F_PARSED;
	}
	return root;
}

static struct mset *mset_get(struct ev *ev)
{
	struct mset *s;

	if (ev->pool_used >= ARRAY_SIZE(ev->pool))
		return NULL;
	s = ev->pool[ev->pool_used];
	if (!s && !(s = ev->pool[ev->pool_used] = xmalloc(sizeof(*s))))
		return NULL;
	ev->pool_used++;
	return s;
}

static void mset_put(struct ev *ev)
{
	ev->pool_used--;
}

/* A Kubernetes Secret's stringData holds what data holds, unencoded: a
 * path that starts with `data` sees both (the API server merges them). */
static bool secret_data(const struct ev *ev, const struct iac_seg *g, const struct iac_node *e)
{
	const struct iac_res *r = ev->res;

	return ev->doc->fmt == IAC_KUBERNETES && r && g->len == 4 && !memcmp(g->key, "data", 4) &&
	       e->key_len == 10 && !memcmp(e->key, "stringData", 10) && r->type_len == 6 &&
	       !memcmp(r->type, "Secret", 6);
}

/* Walks one path from the scope; values are resolved at every step. */
static void walk(struct ev *ev, struct iac_node *scope, const struct iac_path *p, struct mset *out)
{
	struct mset *a = out, *b, *t;
	size_t i = 0, k;

	memset(out, 0, offsetof(struct mset, m));
	if (!(b = mset_get(ev))) {
		mset_unknown(out, scope);
		return;
	}
	if (p->n && p->segs[0].kind == IAC_SEG_POD) {
		if (ev->pod)
			mset_add(a, ev->pod, ev->pod, NULL);
		i = 1;
	} else if (p->n && p->segs[0].kind == IAC_SEG_API) {
		if (ev->res->api)
			mset_add(a, ev->res->api, ev->res->api, NULL);
		i = 1;
	} else if (scope) {
		mset_add(a, scope, scope, NULL);
	}
	for (; i < p->n; i++) {
		const struct iac_seg *g = &p->segs[i];

		b->n = 0;
		b->unknown = a->unknown;
		b->unk = a->unk;
		b->truncated = a->truncated;
		for (k = 0; k < a->n; k++) {
			struct iac_node *via = a->m[k].via, *o = a->m[k].origin, *e;
			struct iac_node *v = a->m[k].val ? a->m[k].val : resolve(ev, o, &via);

			if (g->kind == IAC_SEG_JSON) {
				/* A policy string (a template too: ${...} inside
				 * strings become unknown values) or an object
				 * already (jsonencode, CFN). */
				struct iac_node *js = v ? v : o;

				if (js && js->kind == IAC_N_STR && (v || (js->flags & IAC_F_TEMPLATE))) {
					e = json_of(ev, js);
					if (e)
						mset_add(b, e, e, via);
					else
						mset_unknown(b, js);
				} else if (v && (v->kind == IAC_N_MAP || v->kind == IAC_N_LIST)) {
					mset_add(b, v, v, via);
				} else if (!v) {
					mset_unknown(b, o);
				}
				continue;
			}
			if (!v) {
				mset_unknown(b, o);
				continue;
			}
			if (g->kind == IAC_SEG_ANY) {
				if (v->kind == IAC_N_LIST || v->kind == IAC_N_MAP)
					for (e = v->child; e; e = e->next)
						mset_add(b, e, NULL, via);
				continue;
			}
			/* KEY: on a map, its members (repeated blocks: all of
			 * them); on a list, each element's. */
			if (v->kind == IAC_N_MAP) {
				size_t before = b->n;

				for (e = v->child; e; e = e->next)
					if ((e->key_len == g->len && !memcmp(e->key, g->key, g->len)) ||
					    (i == 0 && o == ev->res->body && secret_data(ev, g, e)))
						mset_add(b, e, NULL, via);
				if (b->n == before && (e = iac_map_getn(v, g->key, g->len)))
					mset_add(b, e, NULL, via);	/* YAML merge key */
			} else if (v->kind == IAC_N_LIST) {
				for (e = v->child; e; e = e->next) {
					struct iac_node *via2 = via, *el = resolve(ev, e, &via2), *c;

					if (!el) {
						mset_unknown(b, e);
						continue;
					}
					if (el->kind != IAC_N_MAP)
						continue;
					for (c = el->child; c; c = c->next)
						if (c->key_len == g->len && !memcmp(c->key, g->key, g->len))
							mset_add(b, c, NULL, via2);
				}
			}
		}
		t = a;
		a = b;
		b = t;
	}
	if (a != out) {
		memcpy(out, a, offsetof(struct mset, m) + a->n * sizeof(a->m[0]));
		b = a;
	}
	UNUSED(b);
	mset_put(ev);
}

/* --- operators ------------------------------------------------------------ */

/* Scalar text of a value: bools normalised to true/false. */
static const char *scalar(const struct iac_node *v, size_t *len)
{
	switch (v->kind) {
	case IAC_N_BOOL:
		*len = (v->flags & IAC_F_TRUE) ? 4 : 5;
		return (v->flags & IAC_F_TRUE) ? "true" : "false";
	case IAC_N_STR:
	case IAC_N_NUM:
		*len = v->len;
		return v->str;
	default:
		return NULL;
	}
}

static bool to_number(const char *s, size_t n, double *out)
{
	char tmp[64], *end;

	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	if (!n || n >= sizeof(tmp))
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	*out = strtod(tmp, &end);
	while (*end == ' ')
		end++;
	return !*end && isfinite(*out);
}

static bool text_eq(const char *a, size_t al, const char *b, bool cs)
{
	size_t bl = strlen(b);
	double x, y;

	if (al == bl && (cs ? !memcmp(a, b, al) : iac_mem_ieq(a, al, b)))
		return true;
	return to_number(a, al, &x) && to_number(b, bl, &y) && x == y;
}

/* Dotted numeric (or date) comparison: "2018-07-01" < "2019-01-01",
 * "1.10" > "1.9". */
static int version_cmp(const char *a, size_t al, const char *b)
{
	size_t i = 0, j = 0, bl = strlen(b);

	while (i < al || j < bl) {
		unsigned long long x = 0, y = 0;
		bool dx = false, dy = false;

		while (i < al && a[i] >= '0' && a[i] <= '9') {
			x = x * 10 + (unsigned)(a[i++] - '0');
			dx = true;
			if (x > 1000000000ull)
				x = 1000000000ull;
		}
		while (j < bl && b[j] >= '0' && b[j] <= '9') {
			y = y * 10 + (unsigned)(b[j++] - '0');
			dy = true;
			if (y > 1000000000ull)
				y = 1000000000ull;
		}
		if (dx || dy) {
			if (x != y)
				return x < y ? -1 : 1;
			continue;
		}
		if (i < al && j < bl) {
			if (a[i] != b[j])
				return (unsigned char)a[i] < (unsigned char)b[j] ? -1 : 1;
			i++;
			j++;
		} else {
			return i < al ? 1 : (j < bl ? -1 : 0);
		}
	}
	return 0;
}

static bool world_cidr(const char *s, size_t n)
{
	static const char *const w[] = { "0.0.0.0/0", "::/0", "0::/0", "*", "internet", "any", "0/0" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(w); i++)
		if (iac_mem_ieq(s, n, w[i]))
			return true;
	return false;
}

/* "22", "20-25", "*", "-1", "22/tcp", "0-65535". */
static enum iac_tv port_covers(const char *s, size_t n, double port)
{
	double lo, hi;
	const char *dash;
	size_t i;

	while (n && (*s == ' ')) {
		s++;
		n--;
	}
	while (n && s[n - 1] == ' ')
		n--;
	if (n > 4 && iac_mem_ieq(s + n - 4, 4, "/tcp"))
		n -= 4;
	else if (n > 4 && iac_mem_ieq(s + n - 4, 4, "/udp"))
		return IAC_TV_FALSE;
	if ((n == 1 && s[0] == '*') || iac_mem_ieq(s, n, "any") || iac_mem_ieq(s, n, "-1"))
		return IAC_TV_TRUE;
	dash = n > 1 ? memchr(s + 1, '-', n - 1) : NULL;
	if (dash) {
		i = (size_t)(dash - s);
		if (!to_number(s, i, &lo) || !to_number(dash + 1, n - i - 1, &hi))
			return IAC_TV_FALSE;
		return lo <= port && port <= hi ? IAC_TV_TRUE : IAC_TV_FALSE;
	}
	if (!to_number(s, n, &lo))
		return IAC_TV_FALSE;
	return lo == port ? IAC_TV_TRUE : IAC_TV_FALSE;
}

/* Can the template t (text with ${...} holes) produce exactly v?  Only the
 * literal text outside the holes is known: if v does not contain all of
 * it, in order, it cannot.  Otherwise we do not know. */
static bool template_may_equal(const struct iac_node *t, const char *v)
{
	const char *s = t->str, *e = s + t->len, *at = v;

	while (s < e) {
		const char *lit = s;
		size_t ll;

		while (s < e && !((*s == '$' || *s == '%') && s + 1 < e && s[1] == '{'))
			s++;
		ll = (size_t)(s - lit);
		if (ll) {
			const char *f = memmem(at, strlen(at), lit, ll);

			if (!f)
				return false;
			at = f + ll;
		}
		if (s < e) {
			int depth = 0;

			for (s += 2, depth = 1; s < e && depth; s++) {
				if (*s == '{')
					depth++;
				else if (*s == '}')
					depth--;
			}
		}
	}
	return true;
}

/* EQUALS/IN (and their negations) on a template: FALSE/TRUE when no value
 * can match whatever fills the holes, else UNKNOWN. */
static enum iac_tv op_template(const struct iac_cond *c, const struct iac_node *t)
{
	size_t i;
	bool may = false;

	switch ((enum iac_op)c->op) {
	case IAC_OP_EQUALS:
	case IAC_OP_IN:
	case IAC_OP_NOT_EQUALS:
	case IAC_OP_NOT_IN:
		break;
	default:
		return IAC_TV_UNKNOWN;
	}
	for (i = 0; i < c->n_values && !may; i++)
		may = template_may_equal(t, c->values[i]);
	if (may)
		return IAC_TV_UNKNOWN;
	return (c->op == IAC_OP_EQUALS || c->op == IAC_OP_IN) ? IAC_TV_FALSE : IAC_TV_TRUE;
}

/* One operator on one resolved scalar value. */
static enum iac_tv op_scalar(struct ev *ev, const struct iac_cond *c, const struct iac_node *v)
{
	size_t len = 0, i;
	const char *s = scalar(v, &len);
	double x;
	int rc;

	switch ((enum iac_op)c->op) {
	case IAC_OP_IS_TRUE:
	case IAC_OP_NOT_TRUE: {
		bool t = v->kind == IAC_N_BOOL ? (v->flags & IAC_F_TRUE) : (s && iac_mem_ieq(s, len, "true"));

		return (t == (c->op == IAC_OP_IS_TRUE)) ? IAC_TV_TRUE : IAC_TV_FALSE;
	}
	case IAC_OP_IS_FALSE:
	case IAC_OP_NOT_FALSE: {
		bool f = v->kind == IAC_N_BOOL ? !(v->flags & IAC_F_TRUE) : (s && iac_mem_ieq(s, len, "false"));

		return (f == (c->op == IAC_OP_IS_FALSE)) ? IAC_TV_TRUE : IAC_TV_FALSE;
	}
	default:
		break;
	}
	if (!s)
		return (c->op == IAC_OP_NOT_EQUALS || c->op == IAC_OP_NOT_IN ||
			c->op == IAC_OP_NOT_REGEX) ? IAC_TV_TRUE : IAC_TV_FALSE;
	switch ((enum iac_op)c->op) {
	case IAC_OP_EQUALS:
		return text_eq(s, len, c->values[0], c->case_sensitive) ? IAC_TV_TRUE : IAC_TV_FALSE;
	case IAC_OP_NOT_EQUALS:
		return text_eq(s, len, c->values[0], c->case_sensitive) ? IAC_TV_FALSE : IAC_TV_TRUE;
	case IAC_OP_IN:
	case IAC_OP_NOT_IN:
		for (i = 0; i < c->n_values; i++)
			if (text_eq(s, len, c->values[i], c->case_sensitive))
				break;
		return ((i < c->n_values) == (c->op == IAC_OP_IN)) ? IAC_TV_TRUE : IAC_TV_FALSE;
	case IAC_OP_REGEX:
	case IAC_OP_NOT_REGEX:
		rc = pcre2_match(c->re, (PCRE2_SPTR)s, len, 0, 0, ev->md, NULL);
		if (rc < 0 && rc != PCRE2_ERROR_NOMATCH)
			return IAC_TV_UNKNOWN;	/* match limit: never a silent pass */
		return ((rc >= 0) == (c->op == IAC_OP_REGEX)) ? IAC_TV_TRUE : IAC_TV_FALSE;
	case IAC_OP_GT:
	case IAC_OP_GE:
	case IAC_OP_LT:
	case IAC_OP_LE: {
		int cmp;

		if (!isnan(c->num)) {
			if (!to_number(s, len, &x))
				return IAC_TV_FALSE;
			cmp = x < c->num ? -1 : x > c->num ? 1 : 0;
		} else {
			cmp = version_cmp(s, len, c->values[0]);
		}
		switch (c->op) {
		case IAC_OP_GT: return cmp > 0 ? IAC_TV_TRUE : IAC_TV_FALSE;
		case IAC_OP_GE: return cmp >= 0 ? IAC_TV_TRUE : IAC_TV_FALSE;
		case IAC_OP_LT: return cmp < 0 ? IAC_TV_TRUE : IAC_TV_FALSE;
		default: return cmp <= 0 ? IAC_TV_TRUE : IAC_TV_FALSE;
		}
	}
	case IAC_OP_CIDR_IS_WORLD:
		return world_cidr(s, len) ? IAC_TV_TRUE : IAC_TV_FALSE;
	case IAC_OP_PORT_RANGE_CONTAINS:
		return port_covers(s, len, c->num);
	default:
		return IAC_TV_FALSE;
	}
}

/* --- conditions ------------------------------------------------------------- */

static enum iac_tv cond_eval(struct ev *ev, const struct iac_cond *c, struct iac_node *scope,
			     struct wit *w, unsigned depth);

static void wit_set(struct wit *w, struct iac_node *node, struct iac_node *val, struct iac_node *via,
		    const struct iac_path *p)
{
	memset(w, 0, sizeof(*w));
	w->node = node;
	w->val = val;
	w->via = via;
	w->path = p;
}

/* The condition's value when its path is absent (p names it). */
static enum iac_tv wit_missing(struct wit *w, const struct iac_path *p, const struct iac_cond *c)
{
	memset(w, 0, sizeof(*w));
	w->path = p;
	w->missing = true;
	return (enum iac_tv)c->missing;
}

/* The first of c's alias paths, newest first, that matches anything under
 * scope, walked into s: the first one present wins (iac.md §5).  NULL when
 * none does. */
static const struct iac_path *first_alias(struct ev *ev, const struct iac_cond *c,
					  struct iac_node *scope, struct mset *s)
{
	size_t a;

	for (a = 0; a < c->n_paths; a++) {
		walk(ev, scope, &c->paths[a], s);
		if (s->n || s->unknown)
			return &c->paths[a];
	}
	return NULL;
}

/* Several three-valued results combined: which values were seen, and the
 * first witness of each. */
struct tally {
	bool any[3];			/* indexed by enum iac_tv */
	struct wit w[3];		/* first witness of each value seen */
};

/* Keeps w as the witness of t unless t already has one. */
static void tally_add(struct tally *tl, enum iac_tv t, const struct wit *w)
{
	if (!tl->any[t])
		tl->w[t] = *w;
	tl->any[t] = true;
}

/* tally_add of the witness (node, val, via, p). */
static void tally_set(struct tally *tl, enum iac_tv t, struct iac_node *node, struct iac_node *val,
		      struct iac_node *via, const struct iac_path *p)
{
	if (!tl->any[t])
		wit_set(&tl->w[t], node, val, via, p);
	tl->any[t] = true;
}

/* all: false if any was false, else unknown if any was unknown, else true.
 * Otherwise any: true if any was true, else unknown if any was, else
 * false.  *w is the witness of the value returned. */
static enum iac_tv tally_result(const struct tally *tl, bool all, struct wit *w)
{
	enum iac_tv t = all ? IAC_TV_FALSE : IAC_TV_TRUE;

	if (!tl->any[t])
		t = tl->any[IAC_TV_UNKNOWN] ? IAC_TV_UNKNOWN : all ? IAC_TV_TRUE : IAC_TV_FALSE;
	*w = tl->w[t];
	return t;
}

static enum iac_tv leaf_eval2(struct ev *ev, const struct iac_cond *c, struct iac_node *scope,
			      struct wit *w);

static enum iac_tv leaf_eval(struct ev *ev, const struct iac_cond *c, struct iac_node *scope,
			     struct wit *w)
{
	enum iac_tv t = leaf_eval2(ev, c, scope, w);

	w->redact = c->redact;
	return t;
}

static enum iac_tv leaf_eval2(struct ev *ev, const struct iac_cond *c, struct iac_node *scope,
			      struct wit *w)
{
	struct mset *s = mset_get(ev);
	const struct iac_path *p;
	struct tally tl;
	bool present = false;
	size_t k;
	enum iac_tv r;

	if (!s) {
		wit_set(w, scope, NULL, NULL, c->paths);
		return IAC_TV_UNKNOWN;
	}
	if (!(p = first_alias(ev, c, scope, s))) {
		mset_put(ev);
		return wit_missing(w, c->paths, c);
	}
	if (c->op == IAC_OP_EXISTS || c->op == IAC_OP_NOT_EXISTS) {
		if (s->n) {
			wit_set(w, s->m[0].origin, s->m[0].val, s->m[0].via, p);
			r = c->op == IAC_OP_EXISTS ? IAC_TV_TRUE : IAC_TV_FALSE;
		} else {
			wit_set(w, s->unk, NULL, NULL, p);
			r = IAC_TV_UNKNOWN;
		}
		mset_put(ev);
		return r;
	}
	memset(&tl, 0, sizeof(tl));
	if (s->unknown && c->op != IAC_OP_IS_LITERAL)
		tally_set(&tl, IAC_TV_UNKNOWN, s->unk, NULL, NULL, p);
	for (k = 0; k < s->n; k++) {
		struct iac_node *via = s->m[k].via, *v = s->m[k].val;
		struct iac_node *e;
		enum iac_tv t;

		if (!v)
			v = resolve(ev, s->m[k].origin, &via);
		if (c->op == IAC_OP_IS_LITERAL) {
			/* Known only if written here: unresolvable means it comes
			 * from outside the file, which is what the check wants. */
			present = true;
			tally_set(&tl, v ? IAC_TV_TRUE : IAC_TV_FALSE, s->m[k].origin, v, via, p);
			continue;
		}
		if (!v) {
			struct iac_node *o = s->m[k].origin;

			present = true;
			t = (o->kind == IAC_N_STR && (o->flags & IAC_F_TEMPLATE)) ? op_template(c, o) :
										    IAC_TV_UNKNOWN;
			tally_set(&tl, t, o, NULL, via, p);
			continue;
		}
		if (c->op == IAC_OP_EMPTY || c->op == IAC_OP_NOT_EMPTY) {
			bool empty = ((v->kind == IAC_N_LIST || v->kind == IAC_N_MAP) && !v->n) ||
				     (v->kind == IAC_N_STR && !v->len);

			present = true;
			t = (empty == (c->op == IAC_OP_EMPTY)) ? IAC_TV_TRUE : IAC_TV_FALSE;
			tally_set(&tl, t, s->m[k].origin, v, via, p);
			continue;
		}
		/* Scalar operators see list elements one by one. */
		for (e = v->kind == IAC_N_LIST ? v->child : v; e; e = v->kind == IAC_N_LIST ? e->next : NULL) {
			struct iac_node *ev2 = e, *via2 = via;
			struct iac_node *origin = v->kind == IAC_N_LIST ? e : s->m[k].origin;

			if (v->kind == IAC_N_LIST)
				ev2 = resolve(ev, e, &via2);
			if (ev2 && ev2->kind == IAC_N_NULL)
				continue;
			present = true;
			if (!ev2)
				t = (e->kind == IAC_N_STR && (e->flags & IAC_F_TEMPLATE)) ?
				    op_template(c, e) : IAC_TV_UNKNOWN;
			else
				t = op_scalar(ev, c, ev2);
			tally_set(&tl, t, origin, ev2, via2, p);
		}
	}
	if (s->truncated)
		tally_set(&tl, IAC_TV_UNKNOWN, scope, NULL, NULL, p);
	mset_put(ev);
	if (!present && !tl.any[IAC_TV_UNKNOWN]) {
		/* Only empty lists / nulls: as if absent. */
		return wit_missing(w, p, c);
	}
	return tally_result(&tl, c->all_values, w);
}

/* Elements for any/all: list items, or each matched node itself. */
static enum iac_tv quant_eval(struct ev *ev, const struct iac_cond *c, struct iac_node *scope,
			      struct wit *w, unsigned depth)
{
	struct mset *s = mset_get(ev);
	const struct iac_path *p;
	bool seen = false;
	struct tally tl;
	struct wit sw;
	size_t k;

	if (!s) {
		wit_set(w, scope, NULL, NULL, c->paths);
		return IAC_TV_UNKNOWN;
	}
	if (!(p = first_alias(ev, c, scope, s))) {
		mset_put(ev);
		return wit_missing(w, c->paths, c);
	}
	memset(&tl, 0, sizeof(tl));
	if (s->unknown || s->truncated)
		tally_set(&tl, IAC_TV_UNKNOWN, s->unk ? s->unk : scope, NULL, NULL, p);
	for (k = 0; k < s->n; k++) {
		struct iac_node *via = NULL, *v = resolve(ev, s->m[k].origin, &via), *e;

		if (!v) {
			tally_set(&tl, IAC_TV_UNKNOWN, s->m[k].origin, NULL, via, p);
			continue;
		}
		for (e = v->kind == IAC_N_LIST ? v->child : v; e; e = v->kind == IAC_N_LIST ? e->next : NULL) {
			struct iac_node *via2 = NULL, *el = resolve(ev, e, &via2);
			enum iac_tv t;

			seen = true;
			if (!el) {
				tally_set(&tl, IAC_TV_UNKNOWN, e, NULL, via2, p);
				continue;
			}
			t = cond_eval(ev, &c->subs[0], el, &sw, depth + 1);
			if (!sw.node) {
				/* A missing attribute of an element: its line. */
				sw.node = e;
			}
			tally_add(&tl, t, &sw);
			if (c->kind == IAC_C_ANY && tl.any[IAC_TV_TRUE])
				break;
		}
		if (c->kind == IAC_C_ANY && tl.any[IAC_TV_TRUE])
			break;
	}
	mset_put(ev);
	if (!seen && !tl.any[IAC_TV_UNKNOWN])
		return wit_missing(w, p, c);
	return tally_result(&tl, c->kind != IAC_C_ANY, w);
}

/* What the partner resources of one PARTNER condition refer to, collected
 * once per scan: "type.name" prefixes of their references and their literal
 * values.  Each resource then needs one lookup, not a pass over the file. */
struct partner_cache {
	struct partner_cache *next;
	const struct iac_cond *cond;
	struct symtab refs;		/* "aws_s3_bucket.logs" */
	struct symtab lits;		/* "example-logs" */
};

static void partners_free(struct partner_cache *p)
{
	while (p) {
		struct partner_cache *n = p->next;

		xfree(p->refs.v);
		xfree(p->lits.v);
		xfree(p);
		p = n;
	}
}

/* "${aws_s3_bucket.logs.id}" / aws_s3_bucket.logs.arn -> "aws_s3_bucket.logs". */
static bool ref_prefix(const char *s, size_t n, const char **k, size_t *kl)
{
	size_t i = 0, dots = 0, st;

	if (n >= 2 && s[0] == '$' && s[1] == '{')
		i = 2;
	while (i < n && s[i] == ' ')
		i++;
	st = i;
	for (; i < n; i++) {
		char ch = s[i];

		if (ch == '.') {
			if (++dots == 2)
				break;
		} else if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			     ch == '_' || ch == '-')) {
			break;
		}
	}
	if (dots < 1 || i == st)
		return false;
	*k = s + st;
	*kl = i - st;
	return true;
}

static void partner_doc(struct ev *ev, const struct iac_cond *c, const struct iac_doc *doc,
			struct partner_cache *pc, struct mset *s);

static struct partner_cache *partner_get(struct ev *ev, const struct iac_cond *c)
{
	const struct iac_ctx *ctx = ev->doc->ctx;
	struct partner_cache *pc;
	struct mset *s;
	size_t d;

	for (pc = ev->partners; pc; pc = pc->next)
		if (pc->cond == c)
			return pc;
	if (!(pc = xcalloc(1, sizeof(*pc))))
		return NULL;
	pc->cond = c;
	pc->next = ev->partners;
	ev->partners = pc;
	if (!(s = mset_get(ev)))
		return NULL;
	/* Partners in any file of the directory when there is a context. */
	for (d = 0; d < (ctx ? ctx->n_docs : 1); d++) {
		const struct iac_doc *doc = ctx ? ctx->docs[d] : ev->doc;

		if (family_of(doc->fmt) == ev->family)
			partner_doc(ev, c, doc, pc, s);
	}
	mset_put(ev);
	return pc;
}

/* The references and literals of c's partner types found in doc. */
static void partner_doc(struct ev *ev, const struct iac_cond *c, const struct iac_doc *doc,
			struct partner_cache *pc, struct mset *s)
{
	size_t i, t, k;

	for (i = 0; i < doc->n_res; i++) {
		const struct iac_res *r = &doc->res[i];

		for (t = 0; t < c->n_types; t++)
			if (iac_mem_ieq(r->type, r->type_len, c->types[t]))
				break;
		if (t == c->n_types)
			continue;
		walk(ev, r->body, &c->paths[0], s);
		for (k = 0; k < s->n; k++) {
			struct iac_node *o = s->m[k].origin, *via = NULL, *v;
			const char *key;
			size_t kl;

			if (o->kind == IAC_N_EXPR || (o->kind == IAC_N_STR && (o->flags & IAC_F_TEMPLATE))) {
				if (ref_prefix(o->str, o->len, &key, &kl))
					sym_put(&pc->refs, key, kl, o);
				/* var.name with a known value: the name it holds. */
				if ((v = resolve(ev, o, &via)) && v->kind == IAC_N_STR)
					sym_put(&pc->lits, v->str, v->len, o);
			} else if ((v = resolve(ev, o, &via)) && v->kind == IAC_N_STR) {
				sym_put(&pc->lits, v->str, v->len, o);
			}
		}
	}
}

/* Does some resource of the partner types refer to this one? */
static enum iac_tv partner_eval(struct ev *ev, const struct iac_cond *c, struct wit *w)
{
	const struct iac_res *me = ev->res;
	struct partner_cache *pc = partner_get(ev, c);
	struct iac_node *hit = NULL;
	bool found = false;
	struct mset *mine;
	char key[512];
	size_t k;

	memset(w, 0, sizeof(w[0]));
	if (!pc || !(mine = mset_get(ev))) {
		w->path = c->paths;
		return IAC_TV_UNKNOWN;
	}
	if (me->type_len + 1 + me->name_len < sizeof(key)) {
		memcpy(key, me->type, me->type_len);
		key[me->type_len] = '.';
		memcpy(key + me->type_len + 1, me->name, me->name_len);
		found = sym_get(&pc->refs, key, me->type_len + 1 + me->name_len, &hit);
	}
	walk(ev, me->body, &c->paths[0], mine);
	for (k = 0; k < mine->n && !found; k++) {
		struct iac_node *via = NULL, *v = resolve(ev, mine->m[k].origin, &via);

		if (v && v->kind == IAC_N_STR)
			found = sym_get(&pc->lits, v->str, v->len, &hit);
	}
	mset_put(ev);
	if (found)
		return IAC_TV_FALSE;
	w->missing = true;
	w->path = c->paths;
	w->text = c->types[0];
	return (enum iac_tv)c->missing;
}

static enum iac_tv cond_eval(struct ev *ev, const struct iac_cond *c, struct iac_node *scope,
			     struct wit *w, unsigned depth)
{
	struct wit sw;
	struct tally tl;
	size_t i;
	enum iac_tv t;

	memset(w, 0, sizeof(*w));
	if (depth > LIMIT_IAC_COND_DEPTH * 2)
		return IAC_TV_UNKNOWN;
	switch ((enum iac_cond_kind)c->kind) {
	case IAC_C_LEAF:
		return leaf_eval(ev, c, scope, w);
	case IAC_C_ANY:
	case IAC_C_ALL:
		return quant_eval(ev, c, scope, w, depth);
	case IAC_C_PARTNER:
		return partner_eval(ev, c, w);
	case IAC_C_NOT:
		t = cond_eval(ev, &c->subs[0], scope, w, depth + 1);
		return t == IAC_TV_UNKNOWN ? t : (t == IAC_TV_TRUE ? IAC_TV_FALSE : IAC_TV_TRUE);
	case IAC_C_ALL_OF:
	case IAC_C_ANY_OF:
		memset(&tl, 0, sizeof(tl));
		for (i = 0; i < c->n_subs; i++) {
			t = cond_eval(ev, &c->subs[i], scope, &sw, depth + 1);
			/* Prefer a present node over a missing path. */
			if (t == IAC_TV_TRUE && tl.any[t] && !tl.w[t].node && sw.node)
				tl.w[t] = sw;
			tally_add(&tl, t, &sw);
			if ((t == IAC_TV_TRUE && c->kind == IAC_C_ANY_OF) ||
			    (t == IAC_TV_FALSE && c->kind == IAC_C_ALL_OF))
				break;
		}
		return tally_result(&tl, c->kind == IAC_C_ALL_OF, w);
	}
	return IAC_TV_UNKNOWN;
}

/* --- suppressions (iac.md §7) ------------------------------------------------- */

struct sup {
	uint32_t line;			/* comment line (0: structured, per resource) */
	char ids[8][48];		/* check ids or mapped ids */
	size_t n_ids;
	char reason[120];
	char until[11];			/* YYYY-MM-DD or "" */
	bool file;			/* sluice:ignore-file */
	bool checkov;			/* checkov:skip: ids are mapped ids */
};

struct sups {
	struct sup *v;
	size_t n, cap;
};

static int sups_add(struct sups *s, const struct sup *x)
{
	if (s->n >= LIMIT_IAC_SUPPRESSIONS)
		return 0;
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 8;
		struct sup *nv = xrealloc(s->v, nc * sizeof(*nv));

		if (!nv)
			return ERR_NOMEM;
		s->v = nv;
		s->cap = nc;
	}
	s->v[s->n++] = *x;
	return 0;
}

static void copy_clean(char *dst, size_t cap, const char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n && k + 1 < cap; i++)
		dst[k++] = ((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f) ? s[i] : '?';
	dst[k] = '\0';
}

static bool id_ch(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.';
}

/* Text after the marker up to the end of the line: ids, reason, until. */
static void parse_sup(struct sup *x, const char *p, const char *e, bool checkov)
{
	const char *r;

	while (p < e && (*p == '=' || *p == ' ' || *p == '\t'))
		p++;
	while (p < e && x->n_ids < ARRAY_SIZE(x->ids)) {
		const char *st = p;

		while (p < e && id_ch(*p))
			p++;
		if (p == st)
			break;
		copy_clean(x->ids[x->n_ids++], sizeof(x->ids[0]), st, (size_t)(p - st));
		if (p < e && *p == ',') {
			p++;
			continue;
		}
		break;
	}
	/* Trim comment closers and the blanks around them. */
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	if (e - p >= 2 && e[-2] == '*' && e[-1] == '/')
		e -= 2;
	else if (e - p >= 3 && !memcmp(e - 3, "-->", 3))
		e -= 3;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (checkov) {
		if (p < e && *p == ':')
			p++;
		while (p < e && *p == ' ')
			p++;
		copy_clean(x->reason, sizeof(x->reason), p, (size_t)(e - p));
		return;
	}
	for (r = p; r + 6 <= e; r++) {
		if (!memcmp(r, "until=", 6) && (size_t)(e - r) >= 16) {
			copy_clean(x->until, sizeof(x->until), r + 6, 10);
			break;
		}
	}
	for (r = p; r + 7 <= e; r++) {
		if (!memcmp(r, "reason=", 7)) {
			const char *v = r + 7, *ve;

			if (v < e && (*v == '"' || *v == '\'')) {
				char q = *v++;

				for (ve = v; ve < e && *ve != q; ve++)
					;
			} else {
				for (ve = v; ve < e && *ve != ' '; ve++)
					;
			}
			copy_clean(x->reason, sizeof(x->reason), v, (size_t)(ve - v));
			return;
		}
	}
	/* Issue syntax: "sluice:ignore <id> <reason words>". */
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	if (p + 6 <= e && !memcmp(p, "until=", 6))
		p += 16 <= e - p ? 16 : (size_t)(e - p);
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	copy_clean(x->reason, sizeof(x->reason), p, (size_t)(e - p));
}

/* Where the first comment introducer of a line is, found once per line
 * however many markers the line holds. */
struct cscan {
	size_t bol;			/* line being scanned */
	size_t done;			/* scanned up to here */
	size_t first;			/* first '#', "//" or slash-star; SIZE_MAX none yet */
};

static bool in_comment(const char *t, size_t at, size_t bol, struct cscan *cs)
{
	size_t i;

	if (cs->bol != bol) {
		cs->bol = cs->done = bol;
		cs->first = SIZE_MAX;
	}
	for (i = cs->done; i < at && cs->first == SIZE_MAX; i++)
		if (t[i] == '#' || (t[i] == '/' && (t[i + 1] == '/' || t[i + 1] == '*')))
			cs->first = i;
	if (i > cs->done)
		cs->done = i;
	return cs->first < at;
}

/* Suppression markers in comments; one linear pass per marker. */
static int scan_comments(const char *t, size_t len, struct sups *out)
{
	static const struct { const char *m; size_t l; } marks[] = {
		{ "sluice:ignore", 13 }, { "checkov:skip=", 13 },
	};
	size_t mi;
	int err;

	for (mi = 0; mi < ARRAY_SIZE(marks); mi++) {
		const char *p = t, *end = t + len, *counted = t;
		struct cscan cs = { SIZE_MAX, 0, SIZE_MAX };
		uint32_t line = 1;

		while ((p = memmem(p, (size_t)(end - p), marks[mi].m, marks[mi].l))) {
			size_t at = (size_t)(p - t), bol = at;
			const char *e = p, *q;
			struct sup x;

			for (q = counted; q < p; q++)
				line += *q == '\n';
			counted = p;
			while (bol && t[bol - 1] != '\n')
				bol--;
			while (e < end && *e != '\n')
				e++;
			if (in_comment(t, at, bol, &cs)) {
				memset(&x, 0, sizeof(x));
				x.line = line;
				x.checkov = mi == 1;
				p += marks[mi].l;
				if (!x.checkov && p + 5 <= e && !memcmp(p, "-file", 5)) {
					x.file = true;
					p += 5;
				}
				parse_sup(&x, p, e, x.checkov);
				if (x.n_ids && (err = sups_add(out, &x)))
					return err;
			}
			p = e;
		}
	}
	return 0;
}

static int64_t days_from_civil(int y, unsigned m, unsigned d)
{
	int era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int64_t)era * 146097 + (int64_t)doe - 719468;
}

static bool expired(const char *until, int64_t now)
{
	unsigned y, m, d;
	char rest;

	if (!until[0])
		return false;
	if (sscanf(until, "%4u-%2u-%2u%c", &y, &m, &d, &rest) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
		return true;	/* unreadable date: treat as expired, say so */
	return now / 86400 > days_from_civil((int)y, m, d);
}

/* Line starts of the text, built on first need (Dockerfile suppressions). */
struct lines {
	uint32_t *off;			/* off[i] = offset of line i + 1 */
	size_t n;
};

static int lines_build(struct lines *l, const char *t, size_t len)
{
	size_t i, n = 1;

	for (i = 0; i < len; i++)
		n += t[i] == '\n';
	if (!(l->off = xmalloc(n * sizeof(*l->off))))
		return ERR_NOMEM;
	l->off[0] = 0;
	for (i = 0, n = 1; i < len; i++)
		if (t[i] == '\n')
			l->off[n++] = (uint32_t)(i + 1);
	l->n = n;
	return 0;
}

/* Are the lines strictly between from and to blank or comments? */
static bool only_comments_between(const char *t, size_t len, const struct lines *l, uint32_t from,
				  uint32_t to)
{
	uint32_t ln;

	for (ln = from + 1; ln < to && ln <= l->n; ln++) {
		size_t k = l->off[ln - 1];

		while (k < len && (t[k] == ' ' || t[k] == '\t' || t[k] == '\r'))
			k++;
		if (k < len && t[k] != '\n' && t[k] != '#')
			return false;
	}
	return true;
}

static bool sup_matches(const struct sup *x, const struct iac_check *ck)
{
	size_t i, j;

	for (i = 0; i < x->n_ids; i++) {
		if (!x->checkov && iac_mem_ieq(x->ids[i], strlen(x->ids[i]), ck->id))
			return true;
		if (x->checkov)
			for (j = 0; j < ck->n_mapped; j++)
				if (iac_mem_ieq(x->ids[i], strlen(x->ids[i]), ck->mapped[j]))
					return true;
	}
	return false;
}

/* Structured suppressions on the resource itself (K8s annotations, ARM
 * metadata, CFN Metadata). */
static bool structured_sup(const struct iac_res *r, const struct iac_check *ck, bool checkov,
			   struct sup *x)
{
	struct iac_node *m = r->meta, *c, *l, *e;
	size_t j;

	if (!m || m->kind != IAC_N_MAP)
		return false;
	memset(x, 0, sizeof(*x));
	for (c = m->child; c; c = c->next) {
		/* sluice.io/ignore.<ID>: "<reason>" */
		if (c->key_len > 17 && !memcmp(c->key, "sluice.io/ignore.", 17) &&
		    iac_mem_ieq(c->key + 17, c->key_len - 17, ck->id)) {
			if (c->kind == IAC_N_STR)
				copy_clean(x->reason, sizeof(x->reason), c->str, c->len);
			return true;
		}
		/* checkov.io/skipN: CKV_K8S_20=reason */
		if (checkov && c->key_len > 15 && !memcmp(c->key, "checkov.io/skip", 15) && c->kind == IAC_N_STR) {
			const char *eq = memchr(c->str, '=', c->len);
			size_t il = eq ? (size_t)(eq - c->str) : c->len;

			for (j = 0; j < ck->n_mapped; j++)
				if (iac_mem_ieq(c->str, il, ck->mapped[j])) {
					if (eq)
						copy_clean(x->reason, sizeof(x->reason), eq + 1,
							   c->len - il - 1);
					return true;
				}
		}
	}
	/* ARM: "sluice:ignore": [{id, reason}]; CFN: sluice: {ignore: [...]},
	 * checkov: {skip: [{id, comment}]}. */
	l = iac_map_get(m, "sluice:ignore");
	if (!l)
		l = iac_map_get(iac_map_get(m, "sluice"), "ignore");
	for (e = l && l->kind == IAC_N_LIST ? l->child : NULL; e; e = e->next) {
		struct iac_node *id = iac_map_get(e, "id"), *rs = iac_map_get(e, "reason");

		if (id && id->kind == IAC_N_STR && iac_mem_ieq(id->str, id->len, ck->id)) {
			if (rs && rs->kind == IAC_N_STR)
				copy_clean(x->reason, sizeof(x->reason), rs->str, rs->len);
			return true;
		}
	}
	l = checkov ? iac_map_get(iac_map_get(m, "checkov"), "skip") : NULL;
	for (e = l && l->kind == IAC_N_LIST ? l->child : NULL; e; e = e->next) {
		struct iac_node *id = iac_map_get(e, "id"), *rs = iac_map_get(e, "comment");

		for (j = 0; id && id->kind == IAC_N_STR && j < ck->n_mapped; j++)
			if (iac_mem_ieq(id->str, id->len, ck->mapped[j])) {
				if (rs && rs->kind == IAC_N_STR)
					copy_clean(x->reason, sizeof(x->reason), rs->str, rs->len);
				return true;
			}
	}
	return false;
}

/* --- findings ------------------------------------------------------------------- */

struct out {
	struct iac_finding **v;
	size_t *n;
	size_t added;			/* findings added by this call */
	size_t cap;			/* allocated entries of *v (ours) */
	bool full;			/* the per-file cap was reached */
};

static struct iac_finding *out_new(struct out *o)
{
	struct iac_finding *f;

	if (o->full)
		return NULL;
	if (*o->n >= o->cap) {
		size_t nc = o->cap ? o->cap * 2 : *o->n + 16;
		struct iac_finding *nv = xrealloc(*o->v, nc * sizeof(*nv));

		if (!nv)
			return NULL;
		*o->v = nv;
		o->cap = nc;
	}
	f = &(*o->v)[(*o->n)++];
	memset(f, 0, sizeof(*f));
	o->added++;
	return f;
}

/* Appends printable text, truncating at cap. */
static void put(char *dst, size_t cap, size_t *k, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && *k + 1 < cap; i++)
		dst[(*k)++] = ((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f) ? s[i] : '?';
	dst[*k] = '\0';
}

static void put_value(char *dst, size_t cap, size_t *k, const struct iac_node *v)
{
	switch (v->kind) {
	case IAC_N_STR:
		put(dst, cap, k, "\"", 1);
		put(dst, cap, k, v->str, v->len > 60 ? 60 : v->len);
		put(dst, cap, k, v->len > 60 ? "...\"" : "\"", v->len > 60 ? 4 : 1);
		break;
	case IAC_N_NUM:
	case IAC_N_EXPR:
	case IAC_N_UNKNOWN:
		put(dst, cap, k, v->str, v->len > 80 ? 80 : v->len);
		if (v->len > 80)
			put(dst, cap, k, "...", 3);
		break;
	case IAC_N_BOOL:
		put(dst, cap, k, (v->flags & IAC_F_TRUE) ? "true" : "false", (v->flags & IAC_F_TRUE) ? 4 : 5);
		break;
	case IAC_N_LIST:
		put(dst, cap, k, "[...]", 5);
		break;
	case IAC_N_MAP:
		put(dst, cap, k, "{...}", 5);
		break;
	default:
		put(dst, cap, k, "null", 4);
		break;
	}
}

/* The other file of the directory a node was written in (by where its
 * text lies), or NULL when it is this file's or unknown. */
static const char *other_file(const struct iac_doc *doc, const struct iac_node *n)
{
	size_t i;

	if (!doc->ctx || !n || !n->str || (n->str >= doc->text && n->str < doc->text + doc->len))
		return NULL;
	for (i = 0; i < doc->ctx->n_docs + doc->ctx->n_givers; i++) {
		const struct iac_doc *d = i < doc->ctx->n_docs ? doc->ctx->docs[i] :
					  doc->ctx->givers[i - doc->ctx->n_docs];

		if (d->path && n->str >= d->text && n->str < d->text + d->len) {
			const char *b = strrchr(d->path, '/');

			return b ? b + 1 : d->path;
		}
	}
	return NULL;
}

static void found_text(char *dst, size_t cap, const struct wit *w, enum iac_tv t, const struct iac_doc *doc)
{
	bool dir = doc->ctx != NULL;
	size_t k = 0;
	const char *ptxt = w->path ? w->path->text : "";
	const char *where = dir ? " in this directory refers to it" : " in this file refers to it";

	dst[0] = '\0';
	if (w->text) {
		put(dst, cap, &k, "no ", 3);
		put(dst, cap, &k, w->text, strlen(w->text));
		put(dst, cap, &k, where, strlen(where));
		return;
	}
	put(dst, cap, &k, ptxt, strlen(ptxt));
	if (w->missing || !w->node) {
		put(dst, cap, &k, " is not set", 11);
		return;
	}
	put(dst, cap, &k, " = ", 3);
	if (w->redact) {
		put(dst, cap, &k, "<redacted>", 10);
		return;
	}
	if (w->via || t == IAC_TV_UNKNOWN || !w->val) {
		/* The expression as written, then what it resolved to. */
		put_value(dst, cap, &k, w->node);
		if (w->val && w->via) {
			const char *of = other_file(doc, w->via);
			char ln[64];

			/* Where the value was set: tfvars, a module argument or a
			 * default in another file say which file. */
			put(dst, cap, &k, of ? " (" : " (default ", of ? 2 : 10);
			put_value(dst, cap, &k, w->val);
			if (of)
				snprintf(ln, sizeof(ln), " from %.32s:%u)", of, iac_node_line(w->via));
			else
				snprintf(ln, sizeof(ln), ", line %u)", iac_node_line(w->via));
			put(dst, cap, &k, ln, strlen(ln));
		} else if (t == IAC_TV_UNKNOWN) {
			put(dst, cap, &k, " (unresolved)", 13);
		}
		return;
	}
	put_value(dst, cap, &k, w->val);
}

static void address(char *dst, size_t cap, const struct iac_doc *doc, const struct iac_res *r,
		    const struct iac_node *elem)
{
	size_t k = 0;

	dst[0] = '\0';
	if (doc->fmt == IAC_DOCKERFILE) {
		put(dst, cap, &k, r->name, r->name_len);
		put(dst, cap, &k, ".", 1);
		put(dst, cap, &k, r->type, r->type_len);
		return;
	}
	put(dst, cap, &k, r->type, r->type_len);
	if (!(r->type_len > 9 && !memcmp(r->type, "provider.", 9) && r->name_len == r->type_len - 9)) {
		put(dst, cap, &k, ".", 1);
		if (r->ns) {
			put(dst, cap, &k, r->ns, r->ns_len);
			put(dst, cap, &k, ".", 1);
		}
		put(dst, cap, &k, r->name, r->name_len);
	}
	if (elem) {
		const struct iac_node *nm = iac_map_get(elem, "name");

		put(dst, cap, &k, " container ", 11);
		if (nm && nm->kind == IAC_N_STR)
			put(dst, cap, &k, nm->str, nm->len);
		else
			put(dst, cap, &k, "?", 1);
	}
}

static void limit_finding(struct out *o, uint32_t line, const char *text)
{
	struct iac_finding *f;
	size_t k = 0;

	o->full = false;
	if (!(f = out_new(o)))
		return;
	f->check = IAC_CHECK_NONE;
	f->result = IAC_UNKNOWN;
	f->line = line ? line : 1;
	f->start_line = f->line;
	f->end_line = f->line;
	f->column = 1;
	put(f->found, sizeof(f->found), &k, text, strlen(text));
	o->full = true;
}

/* Which finding a (check, resource or element) pair already has. */
struct fkey {
	size_t fi;			/* index into *out */
	uint32_t check;
	const void *key;		/* resource or element */
};

struct scan {
	struct lines lines;		/* line index, Dockerfile suppressions */
	struct fkey *keys;		/* xrealloc'd */
	size_t n_keys, cap_keys;
	struct ev ev;
	const struct iac_scan_opts *opts;
	struct sups sups;
	struct out out;
	int64_t now;
	struct timespec deadline;
	bool timed;
};

static void apply_sups(struct scan *sc, const struct iac_check *ck, const struct iac_res *r,
		       struct iac_finding *f)
{
	const struct iac_doc *doc = sc->ev.doc;
	struct sup xs, *hit = NULL;
	size_t i;

	for (i = 0; i < sc->sups.n && !hit; i++) {
		struct sup *x = &sc->sups.v[i];

		if (x->checkov && !sc->opts->honour_checkov)
			continue;
		if (!sup_matches(x, ck))
			continue;
		if (x->file)
			hit = x;
		else if (doc->fmt == IAC_DOCKERFILE) {
			if (!sc->lines.off && lines_build(&sc->lines, doc->text, doc->len))
				continue;
			if (x->line < f->line &&
			    only_comments_between(doc->text, doc->len, &sc->lines, x->line, f->line))
				hit = x;
		} else if (x->line >= r->sup_line && x->line <= r->end_line) {
			hit = x;
		}
	}
	if (!hit && structured_sup(r, ck, sc->opts->honour_checkov, &xs))
		hit = &xs;
	if (!hit)
		return;
	if (expired(hit->until, sc->now)) {
		snprintf(f->suppress_reason, sizeof(f->suppress_reason), "suppression expired %s: %s",
			 hit->until, hit->reason);
		return;
	}
	if (!hit->reason[0] && sc->opts->require_reason) {
		snprintf(f->suppress_reason, sizeof(f->suppress_reason),
			 "suppression ignored: no reason given");
		return;
	}
	f->suppressed = true;
	snprintf(f->suppress_reason, sizeof(f->suppress_reason), "%s", hit->reason);
}

/* Evaluates one binding on one scope; adds or upgrades the finding. */
static void eval_one(struct scan *sc, uint32_t ci, const struct iac_binding *b, const struct iac_res *r,
		     struct iac_node *scope, struct iac_node *elem)
{
	const struct iac_check *ck = &sc->ev.cs->checks[ci];
	struct iac_finding *f = NULL;
	struct wit w;
	enum iac_tv t;
	size_t i;
	uint32_t hline = elem ? elem->line : r->line;
	const void *key;

	t = cond_eval(&sc->ev, &b->cond, scope, &w, 0);
	/* A resource a kustomize patch rewrites is not what gets deployed:
	 * neither its pass nor its fail can be trusted. */
	if (r->patched)
		t = IAC_TV_UNKNOWN;
	if (t == IAC_TV_FALSE)
		return;
	/* One finding per (check, resource, element): FAIL beats UNKNOWN. */
	key = elem ? (const void *)elem : (const void *)r;
	for (i = 0; i < sc->n_keys; i++) {
		if (sc->keys[i].check == ci && sc->keys[i].key == key) {
			f = &(*sc->out.v)[sc->keys[i].fi];
			if (f->result == IAC_FAIL || t == IAC_TV_UNKNOWN)
				return;
			memset(f, 0, sizeof(*f));
			break;
		}
	}
	if (!f) {
		if (sc->out.added + 1 >= LIMIT_IAC_FINDINGS_PER_FILE) {
			if (!sc->out.full)
				limit_finding(&sc->out, r->line, "limit: more than 1000 findings in this file");
			return;
		}
		if (sc->n_keys == sc->cap_keys) {
			size_t nc = sc->cap_keys ? sc->cap_keys * 2 : 16;
			struct fkey *nk = xrealloc(sc->keys, nc * sizeof(*nk));

			if (!nk)
				return;
			sc->keys = nk;
			sc->cap_keys = nc;
		}
		if (!(f = out_new(&sc->out)))
			return;
		sc->keys[sc->n_keys].fi = *sc->out.n - 1;
		sc->keys[sc->n_keys].check = ci;
		sc->keys[sc->n_keys].key = key;
		sc->n_keys++;
	}
	f->check = ci;
	f->result = t == IAC_TV_TRUE ? IAC_FAIL : IAC_UNKNOWN;
	if (w.node && !w.missing) {
		f->line = iac_node_line(w.node);
		f->column = w.node->line == f->line ? w.node->col : 1;
	} else {
		f->line = hline;
		f->column = elem ? elem->col : r->col;
	}
	f->start_line = elem ? elem->line : r->start_line;
	f->end_line = elem ? elem->end_line : r->end_line;
	if (f->end_line < f->line)
		f->end_line = f->line;
	address(f->resource, sizeof(f->resource), sc->ev.doc, r, elem);
	if (r->patched) {
		size_t k = 0;

		f->line = hline;
		f->column = elem ? elem->col : r->col;
		put(f->found, sizeof(f->found), &k, "patched by kustomize ", 21);
		put(f->found, sizeof(f->found), &k, r->patched, strlen(r->patched));
		put(f->found, sizeof(f->found), &k, ": not evaluated", 15);
	} else {
		found_text(f->found, sizeof(f->found), &w, t, sc->ev.doc);
	}
	apply_sups(sc, ck, r, f);
}

static void eval_entry(struct scan *sc, const struct iac_tentry *e, const struct iac_res *r)
{
	size_t j, a;

	for (j = 0; e && j < e->n && !sc->out.full; j++) {
		const struct iac_binding *b = e->binding[j];

		if (!b->n_each) {
			eval_one(sc, e->check[j], b, r, r->body, NULL);
			continue;
		}
		/* Sub-scopes (containers): each element is evaluated alone. */
		for (a = 0; a < b->n_each; a++) {
			struct mset *s = mset_get(&sc->ev);
			size_t k;

			if (!s)
				return;
			walk(&sc->ev, r->body, &b->each[a], s);
			for (k = 0; k < s->n; k++) {
				struct iac_node *via = NULL, *v = resolve(&sc->ev, s->m[k].origin, &via), *el;

				for (el = v && v->kind == IAC_N_LIST ? v->child : NULL; el; el = el->next)
					if (el->kind == IAC_N_MAP)
						eval_one(sc, e->check[j], b, r, el, el);
			}
			mset_put(&sc->ev);
		}
	}
}

static bool over_time(struct scan *sc)
{
	struct timespec now;

	if (!sc->timed)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > sc->deadline.tv_sec ||
	       (now.tv_sec == sc->deadline.tv_sec && now.tv_nsec > sc->deadline.tv_nsec);
}

void iac_scan_opts_default(struct iac_scan_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_file = LIMIT_IAC_FILE_BYTES_DEFAULT;
	o->honour_checkov = true;
	o->require_reason = true;
}

const char *iac_result_name(enum iac_result r)
{
	switch (r) {
	case IAC_PASS: return "PASS";
	case IAC_FAIL: return "FAIL";
	case IAC_UNKNOWN: return "UNKNOWN";
	}
	return "?";
}

/* Per-file time budget: wall clock from now, per started MiB. */
static void budget_start(struct scan *sc, const struct iac_scan_opts *opts, size_t len)
{
	uint64_t ms;

	if (!opts->time_ms_per_mib)
		return;
	ms = (uint64_t)opts->time_ms_per_mib * (len / (1024 * 1024) + 1);
	clock_gettime(CLOCK_MONOTONIC, &sc->deadline);
	sc->deadline.tv_sec += (time_t)(ms / 1000);
	sc->deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (sc->deadline.tv_nsec >= 1000000000L) {
		sc->deadline.tv_sec++;
		sc->deadline.tv_nsec -= 1000000000L;
	}
	sc->timed = true;
}

/* Parse failures and limits as the file's one finding. */
static int build_failed(struct scan *sc, const struct iac_doc *doc)
{
	char t[160];

	if (doc->diag.err == ERR_NOMEM && !strstr(doc->diag.msg, "limit"))
		return ERR_NOMEM;
	snprintf(t, sizeof(t), "%s%s", doc->diag.err == ERR_LIMIT ? "" : "parse error: ", doc->diag.msg);
	limit_finding(&sc->out, doc->diag.line, t);
	return 0;
}

/* Evaluates every resource of a built document. */
static int eval_built(struct scan *sc, const struct iac_checkset *cs, struct iac_doc *doc)
{
	size_t i;
	int rc;

	if (over_time(sc)) {
		limit_finding(&sc->out, 1, "limit: parse time budget exceeded");
		return 0;
	}
	sc->ev.cs = cs;
	sc->ev.doc = doc;
	sc->ev.family = family_of(doc->fmt);
	sc->ev.md = pcre2_match_data_create(1, NULL);
	if (!sc->ev.md)
		return ERR_NOMEM;
	sc->now = sc->opts->now ? sc->opts->now : (int64_t)time(NULL);
	if ((rc = scan_comments(doc->text, doc->len, &sc->sups)))
		return rc;
	for (i = 0; i < doc->n_res && !sc->out.full; i++) {
		const struct iac_res *r = &doc->res[i];

		if (over_time(sc)) {
			limit_finding(&sc->out, r->line, "limit: evaluation time budget exceeded");
			break;
		}
		sc->ev.res = r;
		sc->ev.pod = r->pod;
		eval_entry(sc, iac_checkset_lookup(cs, sc->ev.family, r->type, r->type_len), r);
		if (r->pod)
			eval_entry(sc, iac_checkset_lookup(cs, sc->ev.family, "$pod", 4), r);
	}
	return 0;
}

static void scan_release(struct scan *sc)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sc->ev.pool); i++)
		xfree(sc->ev.pool[i]);
	xfree(sc->ev.vars.v);
	xfree(sc->ev.locals.v);
	partners_free(sc->ev.partners);
	if (sc->ev.md)
		pcre2_match_data_free(sc->ev.md);
	xfree(sc->sups.v);
	xfree(sc->keys);
	xfree(sc->lines.off);
}

static void scan_init(struct scan *sc, const struct iac_scan_opts *opts, struct iac_finding **out,
		      size_t *n_out)
{
	memset(sc, 0, sizeof(*sc));
	sc->opts = opts;
	sc->out.v = out;
	sc->out.n = n_out;
	sc->out.cap = *n_out;	/* unknown spare capacity: grow on the first add */
}

int iac_eval_doc(const struct iac_checkset *cs, const struct iac_scan_opts *opts,
		 struct iac_doc *doc, struct iac_finding **out, size_t *n_out)
{
	struct scan sc;
	int rc;

	scan_init(&sc, opts, out, n_out);
	budget_start(&sc, opts, doc->len);
	if (doc->diag.err)
		rc = build_failed(&sc, doc);
	else
		rc = eval_built(&sc, cs, doc);
	scan_release(&sc);
	return rc;
}

int iac_scan_ex(const struct iac_checkset *cs, const struct iac_scan_opts *opts,
		const char *path, const uint8_t *data, size_t len,
		struct iac_finding **out, size_t *n_out)
{
	struct iac_scan_opts dflt;
	struct scan sc;
	struct iac_doc doc;
	enum iac_format fmt;
	int rc = 0;

	if (!cs || !out || !n_out || (!data && len))
		return ERR_USAGE;
	if (!opts) {
		iac_scan_opts_default(&dflt);
		opts = &dflt;
	}
	scan_init(&sc, opts, out, n_out);
	fmt = opts->format != IAC_NONE ? opts->format :
	      iac_detect(path, data, len < 16384 ? len : 16384);
	if (fmt == IAC_NONE)
		return 0;
	if (len > opts->max_file) {
		char t[96];

		snprintf(t, sizeof(t), "limit: file larger than %zu bytes", opts->max_file);
		limit_finding(&sc.out, 1, t);
		return 0;
	}
	memset(&doc, 0, sizeof(doc));
	doc.fmt = fmt;
	doc.path = path;
	doc.text = (const char *)(data ? (const char *)data : "");
	doc.len = len;
	iac_arena_init(&doc.arena, (size_t)LIMIT_IAC_TREE_RATIO * len + LIMIT_IAC_TREE_SLACK);
	budget_start(&sc, opts, len);
	if (iac_doc_build(&doc))
		rc = build_failed(&sc, &doc);
	else
		rc = eval_built(&sc, cs, &doc);
	scan_release(&sc);
	iac_doc_release(&doc);
	return rc;
}

int iac_scan(const struct iac_checkset *cs, const char *path, const uint8_t *data, size_t len,
	     struct iac_finding **out, size_t *n_out)
{
	return iac_scan_ex(cs, NULL, path, data, len, out, n_out);
}
