/*
 * helm.c - a bounded renderer of the Go-template subset Helm charts use,
 * with the chart's default values (helm.h is the manual).
 *
 * Shape: every templates/ file is cut into items (text, actions, block
 * keywords with their else/end links) once; execution walks the items and
 * evaluates each action's pipeline straight from its text with a small
 * lexer, so there is no expression tree to build or free.  Values live in
 * one arena per chart capped at LIMIT_HELM_MEMORY; every executed item,
 * function call, iteration and serialised node costs a step against
 * LIMIT_HELM_STEPS, so no template, however written, runs long.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err-t.h"
#include "core/base/limits.h"
#include "core/iac/helm.h"

#include <mbedtls/sha256.h>
#include <yaml.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Internal results beside the ERR_ codes: a range body asked to stop or
 * to go on with the next element. */
#define HX_BREAK	1
#define HX_CONTINUE	2

/* What `helm template` is told about the cluster. */
#define KUBE_VERSION	"v1.30.0"
#define KUBE_MAJOR	1
#define KUBE_MINOR	30

/* --- arena ------------------------------------------------------------ */

struct ablk {
	struct ablk *next;
	size_t used, cap;
};
#define ABLK_HDR ((sizeof(struct ablk) + 15) & ~(size_t)15)

struct arena {
	struct ablk *head;
	size_t total;
};

static void *aalloc(struct arena *a, size_t n)
{
	struct ablk *b;
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (n == 0)
		n = 16;
	if (!a->head || a->head->cap - a->head->used < n) {
		size_t cap = n > 65536 ? n : 65536;

		if (n > LIMIT_HELM_MEMORY || a->total + cap > LIMIT_HELM_MEMORY)
			return NULL;
		b = xmalloc(ABLK_HDR + cap);
		if (!b)
			return NULL;
		b->next = a->head;
		b->used = 0;
		b->cap = cap;
		a->head = b;
		a->total += cap;
	}
	p = (char *)a->head + ABLK_HDR + a->head->used;
	a->head->used += n;
	memset(p, 0, n);
	return p;
}

static void arena_free(struct arena *a)
{
	while (a->head) {
		struct ablk *n = a->head->next;

		xfree(a->head);
		a->head = n;
	}
	a->total = 0;
}

/* --- values ----------------------------------------------------------- */

enum hk {
	HK_NIL, HK_BOOL, HK_INT, HK_FLOAT, HK_STR, HK_LIST, HK_MAP,
	HK_UNK,			/* not knowable with default values */
	HK_APIS,		/* .Capabilities.APIVersions */
	HK_APIS_HAS,		/* .Capabilities.APIVersions.Has (a method) */
};

struct hv {
	uint8_t k;
	bool b;
	int64_t i;
	double f;
	const char *s;		/* HK_STR: NUL-terminated copy */
	size_t n, cap;		/* string bytes, or list/map entries */
	struct hv **v;		/* list items, map values */
	const char **keys;	/* map keys, sorted (Go iterates maps sorted) */
};

static struct hv V_NIL = { .k = HK_NIL };
static struct hv V_TRUE = { .k = HK_BOOL, .b = true };
static struct hv V_FALSE = { .k = HK_BOOL, .b = false };
static struct hv V_UNK = { .k = HK_UNK };
static struct hv V_EMPTY = { .k = HK_STR, .s = "" };

static struct hv *hv_new(struct arena *a, enum hk k)
{
	struct hv *v = aalloc(a, sizeof(*v));

	if (v)
		v->k = (uint8_t)k;
	return v;
}

static struct hv *hv_str(struct arena *a, const char *s, size_t n)
{
	struct hv *v = hv_new(a, HK_STR);
	char *c;

	if (!v || !(c = aalloc(a, n + 1)))
		return NULL;
	memcpy(c, s, n);
	c[n] = '\0';
	v->s = c;
	v->n = n;
	return v;
}

static struct hv *hv_int(struct arena *a, int64_t i)
{
	struct hv *v = hv_new(a, HK_INT);

	if (v)
		v->i = i;
	return v;
}

static struct hv *hv_bool(bool b)
{
	return b ? &V_TRUE : &V_FALSE;
}

/* Grows a list or map to hold one more entry; arrays move within the
 * arena (the old one is abandoned: the arena is per chart). */
static int hv_grow(struct arena *a, struct hv *v)
{
	size_t ncap;
	struct hv **nv;
	const char **nk = NULL;

	if (v->n < v->cap)
		return 0;
	ncap = v->cap ? v->cap * 2 : 4;
	nv = aalloc(a, ncap * sizeof(*nv));
	if (!nv)
		return ERR_LIMIT;
	if (v->k == HK_MAP && !(nk = aalloc(a, ncap * sizeof(*nk))))
		return ERR_LIMIT;
	if (v->n) {
		memcpy(nv, v->v, v->n * sizeof(*nv));
		if (nk)
			memcpy(nk, v->keys, v->n * sizeof(*nk));
	}
	v->v = nv;
	v->keys = nk;
	v->cap = ncap;
	return 0;
}

static int list_push(struct arena *a, struct hv *l, struct hv *e)
{
	if (hv_grow(a, l))
		return ERR_LIMIT;
	l->v[l->n++] = e;
	return 0;
}

/* Index of key in m, or -(insertion point) - 1. */
static long map_find(const struct hv *m, const char *key)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(m->keys[mid], key);

		if (!c)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -(long)lo - 1;
}

static struct hv *map_get(const struct hv *m, const char *key)
{
	long i;

	if (m->k != HK_MAP)
		return NULL;
	i = map_find(m, key);
	return i >= 0 ? m->v[i] : NULL;
}

/* Sets key (copied) to val, replacing an existing entry. */
static int map_put(struct arena *a, struct hv *m, const char *key, size_t klen, struct hv *val)
{
	char *k = aalloc(a, klen + 1);
	long i;
	size_t at;

	if (!k)
		return ERR_LIMIT;
	memcpy(k, key, klen);
	k[klen] = '\0';
	i = map_find(m, k);
	if (i >= 0) {
		m->v[i] = val;
		return 0;
	}
	if (hv_grow(a, m))
		return ERR_LIMIT;
	at = (size_t)(-i - 1);
	memmove(m->v + at + 1, m->v + at, (m->n - at) * sizeof(*m->v));
	memmove(m->keys + at + 1, m->keys + at, (m->n - at) * sizeof(*m->keys));
	m->v[at] = val;
	m->keys[at] = k;
	m->n++;
	return 0;
}

/* --- values.yaml and Chart.yaml through libyaml's document API ---------- */

struct yconv {
	struct arena *a;
	yaml_document_t *doc;
	struct hv **memo;	/* per node: converted value (aliases share it) */
	uint8_t *busy;		/* per node: being converted (alias cycles) */
	size_t n_nodes;
};

static bool tok_is(const char *s, size_t n, const char *const *set)
{
	for (; *set; set++)
		if (strlen(*set) == n && !memcmp(*set, s, n))
			return true;
	return false;
}

/* YAML 1.1 typing of a plain scalar, as go-yaml v2 reads values files. */
static struct hv *yaml_scalar(struct arena *a, const char *s, size_t n, bool plain)
{
	static const char *const nul[] = { "", "~", "null", "Null", "NULL", NULL };
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y", NULL };
	static const char *const no[] = { "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N", NULL };
	char tmp[64], *end;

	if (!plain)
		return hv_str(a, s, n);
	if (tok_is(s, n, nul))
		return &V_NIL;
	if (tok_is(s, n, yes))
		return &V_TRUE;
	if (tok_is(s, n, no))
		return &V_FALSE;
	if (n > 0 && n < sizeof(tmp) && strspn(s, "0123456789+-.eExXabcdefABCDEF_") >= n) {
		long long ll;
		double d;

		memcpy(tmp, s, n);
		tmp[n] = '\0';
		errno = 0;
		ll = strtoll(tmp, &end, 0);
		if (*end == '\0' && end != tmp && !errno)
			return hv_int(a, ll);
		d = strtod(tmp, &end);
		if (*end == '\0' && end != tmp && strpbrk(tmp, "xX") == NULL) {
			struct hv *v = hv_new(a, HK_FLOAT);

			if (v)
				v->f = d;
			return v;
		}
	}
	return hv_str(a, s, n);
}

static struct hv *yconv_node(struct yconv *c, int idx, unsigned depth);

static struct hv *yconv_map(struct yconv *c, yaml_node_t *nd, unsigned depth)
{
	struct hv *m = hv_new(c->a, HK_MAP);
	yaml_node_pair_t *p;

	if (!m)
		return NULL;
	for (p = nd->data.mapping.pairs.start; p < nd->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = yaml_document_get_node(c->doc, p->key);
		struct hv *val;

		if (!kn || kn->type != YAML_SCALAR_NODE)
			continue;	/* complex keys: not in values files */
		val = yconv_node(c, p->value, depth + 1);
		if (!val || map_put(c->a, m, (const char *)kn->data.scalar.value,
				    strlen((const char *)kn->data.scalar.value), val))
			return NULL;
	}
	return m;
}

static struct hv *yconv_node(struct yconv *c, int idx, unsigned depth)
{
	yaml_node_t *nd = yaml_document_get_node(c->doc, idx);
	struct hv *v = NULL;
	size_t i;

	if (!nd || depth > LIMIT_IAC_DEPTH)
		return NULL;
	i = (size_t)(idx - 1);
	if (c->memo[i])
		return c->memo[i];
	if (c->busy[i])
		return &V_NIL;
	c->busy[i] = 1;
	if (nd->type == YAML_SCALAR_NODE) {
		v = yaml_scalar(c->a, (const char *)nd->data.scalar.value, nd->data.scalar.length,
				nd->data.scalar.style == YAML_PLAIN_SCALAR_STYLE);
	} else if (nd->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *it;

		v = hv_new(c->a, HK_LIST);
		for (it = nd->data.sequence.items.start; v && it < nd->data.sequence.items.top; it++) {
			struct hv *e = yconv_node(c, *it, depth + 1);

			if (!e || list_push(c->a, v, e))
				v = NULL;
		}
	} else if (nd->type == YAML_MAPPING_NODE) {
		v = yconv_map(c, nd, depth);
	}
	c->busy[i] = 0;
	c->memo[i] = v;
	return v;
}

/* Parses the first document of a YAML file into a value; an empty file
 * is an empty map.  0, ERR_SYNTAX (msg set) or ERR_LIMIT. */
static int yaml_load(struct arena *a, const uint8_t *data, size_t len, struct hv **out,
		     char *msg, size_t msgsz)
{
	yaml_parser_t p;
	yaml_document_t doc;
	struct yconv c = { .a = a, .doc = &doc };
	yaml_node_t *root;
	int err = 0;

	if (!data && len) {
		snprintf(msg, msgsz, "limit: file over %u bytes", LIMIT_HELM_FILE_OUTPUT);
		return ERR_LIMIT;
	}
	if (!yaml_parser_initialize(&p))
		return ERR_NOMEM;
	yaml_parser_set_input_string(&p, data, len);
	if (!yaml_parser_load(&p, &doc)) {
		snprintf(msg, msgsz, "YAML error at line %zu: %s", p.problem_mark.line + 1,
			 p.problem ? p.problem : "?");
		yaml_parser_delete(&p);
		return ERR_SYNTAX;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		*out = hv_new(a, HK_MAP);
		err = *out ? 0 : ERR_LIMIT;
		goto done;
	}
	c.n_nodes = (size_t)(doc.nodes.top - doc.nodes.start);
	c.memo = xcalloc(c.n_nodes, sizeof(*c.memo));
	c.busy = xcalloc(c.n_nodes, 1);
	if (!c.memo || !c.busy) {
		err = ERR_NOMEM;
		goto done;
	}
	*out = yconv_node(&c, 1, 0);
	if (!*out) {
		snprintf(msg, msgsz, "limit: values deeper than %u or over %u bytes",
			 LIMIT_IAC_DEPTH, LIMIT_HELM_MEMORY);
		err = ERR_LIMIT;
	} else if ((*out)->k == HK_NIL) {
		*out = hv_new(a, HK_MAP);
	} else if ((*out)->k != HK_MAP) {
		snprintf(msg, msgsz, "top level is not a mapping");
		err = ERR_SYNTAX;
	}
done:
	xfree(c.memo);
	xfree(c.busy);
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
	return err;
}

/* --- templates: items ------------------------------------------------- */

enum ik {
	I_TEXT, I_EXPR, I_IF, I_ELSE, I_END, I_RANGE, I_WITH, I_DEFINE, I_BLOCK,
	I_TEMPLATE, I_BREAK, I_CONTINUE,
};

struct item {
	uint8_t kind;
	uint8_t sub;		/* I_ELSE: 0, I_IF ("else if") or I_WITH */
	uint32_t line;		/* template line of the item's start */
	uint32_t a, b;		/* text bytes, or the action after its keyword */
	uint32_t next;		/* if/with/range/else: next else or the end */
	uint32_t end;		/* openers: their end */
};

struct tfile {
	const char *path;
	const char *text;
	size_t len;
	struct item *items;
	size_t n, cap;
	size_t max_items;	/* what is left of the chart's LIMIT_HELM_ITEMS */
	bool output;		/* rendered as manifests (not a partial) */
	bool bad;		/* did not parse: why, why_line */
	char why[160];
	uint32_t why_line;
};

struct tdef {
	const char *name;	/* arena */
	const struct tfile *f;
	uint32_t first, end;	/* body items [first, end) */
	size_t order;		/* later definitions win */
};

struct chart {
	struct arena a;
	struct tfile *files;
	size_t n_files;
	struct tdef *defs;
	size_t n_defs, cap_defs;
	struct hv *root;
	const char *name;	/* Chart.yaml name: templates are "<name>/templates/x.yaml" */
	uint64_t steps;
	size_t out_total;
};

static bool is_ident(int c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int tf_bad(struct tfile *f, uint32_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int tf_bad(struct tfile *f, uint32_t line, const char *fmt, ...)
{
	va_list ap;

	if (!f->bad) {
		va_start(ap, fmt);
		vsnprintf(f->why, sizeof(f->why), fmt, ap);
		va_end(ap);
		f->why_line = line ? line : 1;
		f->bad = true;
	}
	return ERR_UNSUPPORTED;
}

static int tf_add(struct tfile *f, enum ik kind, uint32_t line, size_t a, size_t b)
{
	struct item *it;

	if (f->n >= f->max_items)
		return tf_bad(f, line, "limit: more than %u texts and actions per chart", LIMIT_HELM_ITEMS);
	if (array_reserve(&f->items, &f->cap, f->n, sizeof(*f->items), 64))
		return ERR_NOMEM;
	it = &f->items[f->n++];
	memset(it, 0, sizeof(*it));
	it->kind = (uint8_t)kind;
	it->line = line;
	it->a = (uint32_t)a;
	it->b = (uint32_t)b;
	return 0;
}

/* End of the action that starts at p (just after "{{" and its "-"): the
 * offset of its "}}", skipping quoted strings; 0 when unterminated. */
static size_t action_close(const char *s, size_t len, size_t p)
{
	while (p + 1 < len) {
		char c = s[p];

		if (c == '"') {
			for (p++; p < len && s[p] != '"' && s[p] != '\n'; p++)
				if (s[p] == '\\')
					p++;
			if (p >= len || s[p] != '"')
				return 0;
		} else if (c == '`') {
			for (p++; p < len && s[p] != '`'; p++)
				;
			if (p >= len)
				return 0;
		} else if (c == '}' && s[p + 1] == '}') {
			return p;
		}
		p++;
	}
	return 0;
}

static enum ik keyword(const char *s, size_t n, size_t *kwlen)
{
	static const struct { const char *w; enum ik k; } kw[] = {
		{ "if", I_IF }, { "else", I_ELSE }, { "end", I_END }, { "range", I_RANGE },
		{ "with", I_WITH }, { "define", I_DEFINE }, { "block", I_BLOCK },
		{ "template", I_TEMPLATE }, { "break", I_BREAK }, { "continue", I_CONTINUE },
	};
	size_t w = 0, i;

	while (w < n && is_ident((unsigned char)s[w]))
		w++;
	for (i = 0; i < ARRAY_SIZE(kw); i++)
		if (strlen(kw[i].w) == w && !memcmp(kw[i].w, s, w)) {
			*kwlen = w;
			return kw[i].k;
		}
	*kwlen = 0;
	return I_EXPR;
}

struct open_blk {
	uint32_t opener, last;
};

/* Links an else or end to the open block on top of the stack. */
static int link_block(struct tfile *f, struct open_blk *st, unsigned *depth, enum ik k, uint32_t line)
{
	uint32_t me = (uint32_t)(f->n - 1);
	struct open_blk *top;
	uint8_t ok;

	if (!*depth)
		return tf_bad(f, line, "unexpected {{%s}}", k == I_END ? "end" : "else");
	top = &st[*depth - 1];
	ok = f->items[top->opener].kind;
	if (k == I_ELSE) {
		if (ok != I_IF && ok != I_WITH && ok != I_RANGE)
			return tf_bad(f, line, "unexpected {{else}}");
		f->items[top->last].next = me;
		top->last = me;
		return 0;
	}
	f->items[top->last].next = me;
	f->items[top->opener].end = me;
	(*depth)--;
	return 0;
}

static void trim_span(const char *s, size_t *a, size_t *b)
{
	while (*a < *b && is_space((unsigned char)s[*a]))
		(*a)++;
	while (*b > *a && is_space((unsigned char)s[*b - 1]))
		(*b)--;
}

/* Classifies one action [a, b) (trimmed) into an item. */
static int add_action(struct tfile *f, struct open_blk *st, unsigned *depth, size_t a, size_t b,
		      uint32_t line)
{
	size_t kwl;
	enum ik k = keyword(f->text + a, b - a, &kwl);
	size_t ra = a + kwl, rb = b;
	uint8_t sub = 0;
	int err;

	trim_span(f->text, &ra, &rb);
	if (k == I_ELSE && ra < rb) {
		size_t k2;
		enum ik e = keyword(f->text + ra, rb - ra, &k2);

		if (e != I_IF && e != I_WITH)
			return tf_bad(f, line, "unsupported {{else ...}}");
		sub = (uint8_t)e;
		ra += k2;
		trim_span(f->text, &ra, &rb);
	}
	if ((err = tf_add(f, k, line, ra, rb)))
		return err;
	f->items[f->n - 1].sub = sub;
	switch (k) {
	case I_IF: case I_RANGE: case I_WITH: case I_DEFINE: case I_BLOCK:
		if (*depth >= LIMIT_HELM_NESTING)
			return tf_bad(f, line, "limit: blocks nested deeper than %u", LIMIT_HELM_NESTING);
		st[*depth].opener = st[*depth].last = (uint32_t)(f->n - 1);
		(*depth)++;
		return 0;
	case I_ELSE: case I_END:
		return link_block(f, st, depth, k, line);
	default:
		return 0;
	}
}

struct tparse {
	struct tfile *f;
	size_t lpos;		/* line counting: offset ... */
	uint32_t lline;		/* ... and its line */
};

static uint32_t line_at(struct tparse *tp, size_t off)
{
	for (; tp->lpos < off; tp->lpos++)
		if (tp->f->text[tp->lpos] == '\n')
			tp->lline++;
	return tp->lline;
}

/* Skips a comment action body at p ("/ * ... * /" then optional " -");
 * returns the offset of its "}}" or 0. */
static size_t comment_close(const char *s, size_t len, size_t p, bool *trim_right)
{
	const char *e = memmem(s + p, len - p, "*/", 2);
	size_t q;

	if (!e)
		return 0;
	q = (size_t)(e - s) + 2;
	*trim_right = false;
	if (q + 3 < len + 1 && q + 1 < len && s[q] == ' ' && s[q + 1] == '-') {
		*trim_right = true;
		q += 2;
	}
	if (q + 1 < len && s[q] == '}' && s[q + 1] == '}')
		return q;
	return 0;
}

/* Cuts a template into items.  Whitespace trimming is applied here, by
 * moving the bounds of the neighbouring text items. */
static int parse_template(struct tfile *f)
{
	struct open_blk st[LIMIT_HELM_NESTING];
	struct tparse tp = { .f = f, .lpos = 0, .lline = 1 };
	const char *s = f->text;
	size_t len = f->len, pos = 0;
	unsigned depth = 0;
	int err;

	while (pos < len) {
		const char *o = memmem(s + pos, len - pos, "{{", 2);
		size_t open = o ? (size_t)(o - s) : len, te = open, p, close;
		bool tl = false, tr = false;
		uint32_t line;

		if (o && open + 3 < len && s[open + 2] == '-' && is_space((unsigned char)s[open + 3]))
			tl = true;
		if (tl)
			while (te > pos && is_space((unsigned char)s[te - 1]))
				te--;
		if (te > pos && (err = tf_add(f, I_TEXT, line_at(&tp, pos), pos, te)))
			return err;
		if (!o)
			break;
		line = line_at(&tp, open);
		p = open + 2 + (tl ? 1 : 0);
		while (p < len && is_space((unsigned char)s[p]))
			p++;
		if (p + 1 < len && s[p] == '/' && s[p + 1] == '*') {
			close = comment_close(s, len, p, &tr);
			if (!close)
				return tf_bad(f, line, "unterminated comment");
		} else {
			size_t a = p, b;

			close = action_close(s, len, p);
			if (!close)
				return tf_bad(f, line, "unterminated action");
			b = close;
			if (b >= 2 && s[b - 1] == '-' && is_space((unsigned char)s[b - 2]) && b - 1 >= a) {
				tr = true;
				b--;
			}
			trim_span(s, &a, &b);
			if ((err = add_action(f, st, &depth, a, b, line)))
				return err;
		}
		pos = close + 2;
		if (tr)
			while (pos < len && is_space((unsigned char)s[pos]))
				pos++;
	}
	if (depth)
		return tf_bad(f, f->items[st[depth - 1].opener].line, "block without {{end}}");
	return 0;
}

/* --- executor state --------------------------------------------------- */

struct obuf {
	struct buf b;
	uint32_t *lines;	/* template line per output line (0 = blank yet) */
	size_t nl, cap;
	bool track;		/* keep lines (the file's output, not a capture) */
};

struct var {
	const char *name;	/* "$x" in the template text */
	size_t n;
	struct hv *v;
};

struct hx {
	struct chart *c;
	struct arena *a;
	const struct tfile *top;	/* the file being rendered */
	const struct tfile *cur;	/* the file whose items run */
	struct obuf *out;
	uint32_t line;			/* line of the running item */
	uint32_t pin;			/* line of the outermost call into another file */
	struct hv *dot;			/* . */
	struct var *vars;
	size_t nv, vbase;
	unsigned calls;			/* template/include depth */
	unsigned blocks;		/* if/with/range open, across includes */
	unsigned nest;			/* parenthesis depth */
	bool failed;
	char why[160];
	uint32_t why_line;
};

static int hx_stop(struct hx *x, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int hx_stop(struct hx *x, int err, const char *fmt, ...)
{
	va_list ap;

	if (!x->failed) {
		va_start(ap, fmt);
		vsnprintf(x->why, sizeof(x->why), fmt, ap);
		va_end(ap);
		x->why_line = x->pin ? x->pin : x->line ? x->line : 1;
		x->failed = true;
	}
	return err;
}

#define UNSUP(x, ...) hx_stop((x), ERR_UNSUPPORTED, __VA_ARGS__)

static int nomem(struct hx *x)
{
	return hx_stop(x, ERR_LIMIT, "limit: rendering memory over %u bytes", LIMIT_HELM_MEMORY);
}

static int step(struct hx *x, uint64_t n)
{
	x->c->steps += n;
	if (x->c->steps > LIMIT_HELM_STEPS)
		return hx_stop(x, ERR_LIMIT, "limit: more than %u template steps", LIMIT_HELM_STEPS);
	return 0;
}

/* A new output line.  Its map entry counts against the chart's output
 * budget too, so a chart of empty lines cannot hold 4 bytes per byte. */
static int line_push(struct hx *x, struct obuf *o)
{
	if (x->c->out_total + sizeof(*o->lines) > LIMIT_HELM_CHART_OUTPUT)
		return hx_stop(x, ERR_LIMIT, "limit: chart output over %u bytes", LIMIT_HELM_CHART_OUTPUT);
	if (array_reserve(&o->lines, &o->cap, o->nl, sizeof(*o->lines), 64))
		return nomem(x);
	x->c->out_total += sizeof(*o->lines);
	o->lines[o->nl++] = 0;
	return 0;
}

/* Writes n bytes; `line` is the template line of s[0], advanced at each
 * newline when s is template text (adv), else every line gets it. */
static int emit(struct hx *x, const char *s, size_t n, uint32_t line, bool adv)
{
	struct obuf *o = x->out;
	size_t i;

	if (x->c->out_total + n > LIMIT_HELM_CHART_OUTPUT)
		return hx_stop(x, ERR_LIMIT, "limit: chart output over %u bytes", LIMIT_HELM_CHART_OUTPUT);
	if (buf_append(&o->b, s, n))
		return hx_stop(x, ERR_LIMIT, "limit: output over %zu bytes", o->b.max);
	x->c->out_total += n;
	if (!o->track)
		return 0;
	for (i = 0; i < n; i++) {
		if (!o->nl && line_push(x, o))
			return ERR_LIMIT;
		if (s[i] == '\n') {
			if (line_push(x, o))
				return ERR_LIMIT;
			if (adv)
				line++;
		} else if (!is_space((unsigned char)s[i]) && !o->lines[o->nl - 1]) {
			o->lines[o->nl - 1] = x->pin ? x->pin : line;
		}
	}
	return 0;
}

/* Whether the current output line already holds something other than
 * blanks (a "key: " an unknown value can stand after). */
static bool line_has_text(const struct obuf *o)
{
	size_t i = o->b.len;

	while (i > 0 && o->b.data[i - 1] != '\n') {
		if (!is_space(o->b.data[i - 1]))
			return true;
		i--;
	}
	return false;
}

static struct var *var_find(struct hx *x, const char *name, size_t n)
{
	size_t i = x->nv;

	while (i > x->vbase) {
		i--;
		if (x->vars[i].n == n && !memcmp(x->vars[i].name, name, n))
			return &x->vars[i];
	}
	return NULL;
}

static int var_push(struct hx *x, const char *name, size_t n, struct hv *v)
{
	if (x->nv >= LIMIT_HELM_VARS)
		return hx_stop(x, ERR_LIMIT, "limit: more than %u variables", LIMIT_HELM_VARS);
	x->vars[x->nv].name = name;
	x->vars[x->nv].n = n;
	x->vars[x->nv].v = v;
	x->nv++;
	return 0;
}

/* --- printing values -------------------------------------------------- */

static bool unk_walk(const struct hv *v, unsigned depth, uint64_t *budget)
{
	size_t i;

	if (v->k == HK_UNK || v->k == HK_APIS || v->k == HK_APIS_HAS || depth > LIMIT_IAC_DEPTH || !*budget)
		return true;
	(*budget)--;
	if (v->k == HK_LIST || v->k == HK_MAP)
		for (i = 0; i < v->n; i++)
			if (unk_walk(v->v[i], depth + 1, budget))
				return true;
	return false;
}

/* Whether v holds an unknown anywhere.  Values may share subtrees (YAML
 * aliases), so the walk costs steps like any other: a value too big to
 * walk stops the rendering on the step limit. */
static bool has_unknown(struct hx *x, const struct hv *v)
{
	uint64_t left = x->c->steps < LIMIT_HELM_STEPS ? LIMIT_HELM_STEPS - x->c->steps + 1 : 1;
	uint64_t budget = left;
	bool r;

	if (v->k != HK_LIST && v->k != HK_MAP)
		return v->k == HK_UNK || v->k == HK_APIS || v->k == HK_APIS_HAS;
	r = unk_walk(v, 0, &budget);
	x->c->steps += left - budget;
	if (!budget)
		x->c->steps = (uint64_t)LIMIT_HELM_STEPS + 1;	/* latched: the next step() stops */
	return r;
}

/* Go's %v of a float64: shortest form that reads back, exponent from
 * 1e21 up or below 1e-4. */
static int fmt_float(struct buf *b, double f)
{
	char tmp[40];
	int p;

	if (isnan(f))
		return buf_append_str(b, "NaN");
	if (isinf(f))
		return buf_append_str(b, f > 0 ? "+Inf" : "-Inf");
	if (f == floor(f) && fabs(f) < 1e21)
		return buf_printf(b, "%.0f", f);
	for (p = 1; p <= 17; p++) {
		snprintf(tmp, sizeof(tmp), "%.*g", p, f);
		if (strtod(tmp, NULL) == f)
			break;
	}
	return buf_append_str(b, tmp);
}

/* fmt.Sprint-like text of a value; nil as `nilstr`. */
static int fmt_value(struct hx *x, struct buf *b, const struct hv *v, const char *nilstr, unsigned depth)
{
	size_t i;
	int err = 0;

	if (depth > LIMIT_IAC_DEPTH || step(x, 1))
		return ERR_LIMIT;
	switch (v->k) {
	case HK_NIL: return buf_append_str(b, nilstr);
	case HK_BOOL: return buf_append_str(b, v->b ? "true" : "false");
	case HK_INT: return buf_printf(b, "%lld", (long long)v->i);
	case HK_FLOAT: return fmt_float(b, v->f);
	case HK_STR: return buf_append(b, v->s, v->n);
	case HK_LIST:
		err = buf_append_str(b, "[");
		for (i = 0; !err && i < v->n; i++)
			err = (i ? buf_append_str(b, " ") : 0) ?: fmt_value(x, b, v->v[i], "<nil>", depth + 1);
		return err ?: buf_append_str(b, "]");
	case HK_MAP:
		err = buf_append_str(b, "map[");
		for (i = 0; !err && i < v->n; i++)
			err = buf_printf(b, "%s%s:", i ? " " : "", v->keys[i]) ?:
			      fmt_value(x, b, v->v[i], "<nil>", depth + 1);
		return err ?: buf_append_str(b, "]");
	default:
		return ERR_UNSUPPORTED;
	}
}

/* A string value of what `fill` wrote into a scratch buffer. */
static int scratch_done(struct hx *x, struct buf *b, int err, struct hv **out)
{
	if (!err && !(*out = hv_str(x->a, b->data ? (const char *)b->data : "", b->len)))
		err = nomem(x);
	else if (err == ERR_LIMIT || err == ERR_NOMEM)
		err = hx_stop(x, ERR_LIMIT, "limit: a string over %u bytes", LIMIT_HELM_FILE_OUTPUT);
	else if (err)
		err = UNSUP(x, "value cannot be printed");
	buf_release(b);
	return err;
}

static int to_text(struct hx *x, const struct hv *v, const char *nilstr, struct hv **out)
{
	struct buf b;

	if (v->k == HK_STR) {
		*out = (struct hv *)v;
		return 0;
	}
	if (has_unknown(x, v)) {
		*out = &V_UNK;
		return 0;
	}
	buf_init(&b, LIMIT_HELM_FILE_OUTPUT);
	return scratch_done(x, &b, fmt_value(x, &b, v, nilstr, 0), out);
}

static bool truth(const struct hv *v)
{
	switch (v->k) {
	case HK_BOOL: return v->b;
	case HK_INT: return v->i != 0;
	case HK_FLOAT: return v->f != 0;
	case HK_STR: case HK_LIST: case HK_MAP: return v->n > 0;
	default: return false;
	}
}

/* --- toYaml / toJson -------------------------------------------------- */

static bool yaml_needs_quotes(const char *s, size_t n)
{
	static const char *const special[] = {
		"true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
		"True", "False", "Yes", "No", "On", "Off", "Y", "N", "Null", "NULL",
		"TRUE", "FALSE", "YES", "NO", "ON", "OFF", NULL,
	};
	size_t i;
	char *end;

	if (!n || tok_is(s, n, special) || strchr("-?:,[]{}#&*!|>'\"%@` \t", s[0]) ||
	    is_space((unsigned char)s[n - 1]))
		return true;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || (c == ':' && (i + 1 == n || s[i + 1] == ' ')) ||
		    (c == '#' && s[i - 1] == ' '))
			return true;
	}
	if (strspn(s, "0123456789+-.eE_xXoabcdefABCDEF") == n) {
		strtod(s, &end);
		if (*end == '\0')
			return true;
		strtoll(s, &end, 0);
		if (*end == '\0')
			return true;
	}
	return false;
}

static int json_string(struct buf *b, const char *s, size_t n)
{
	size_t i;
	int err = buf_append(b, "\"", 1);

	for (i = 0; !err && i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			err = buf_printf(b, "\\%c", c);
		else if (c == '\n')
			err = buf_append_str(b, "\\n");
		else if (c == '\t')
			err = buf_append_str(b, "\\t");
		else if (c == '\r')
			err = buf_append_str(b, "\\r");
		else if (c < 0x20 || c == '<' || c == '>' || c == '&')
			err = buf_printf(b, "\\u%04x", c);
		else
			err = buf_append(b, &s[i], 1);
	}
	return err ?: buf_append(b, "\"", 1);
}

static int yaml_scalar_out(struct hx *x, struct buf *b, const struct hv *v)
{
	switch (v->k) {
	case HK_NIL: return buf_append_str(b, "null");
	case HK_STR:
		if (yaml_needs_quotes(v->s, v->n))
			return json_string(b, v->s, v->n);
		return buf_append(b, v->s, v->n);
	case HK_LIST: return buf_append_str(b, "[]");
	case HK_MAP: return buf_append_str(b, "{}");
	default: return fmt_value(x, b, v, "null", 0);
	}
}

static int pad(struct buf *b, unsigned n)
{
	static const char sp[] = "                                ";
	int err = 0;

	while (!err && n) {
		unsigned k = n < 32 ? n : 32;

		err = buf_append(b, sp, k);
		n -= k;
	}
	return err;
}

/* go-yaml v2 block style as Helm's toYaml writes it: sorted keys, lists
 * not indented under their key.  `inl`: the first line's indentation is
 * already written (a map as a list item). */
static int yaml_out(struct hx *x, struct buf *b, const struct hv *v, unsigned ind, bool inl, unsigned depth)
{
	size_t i;
	int err = 0;

	if (depth > LIMIT_IAC_DEPTH)
		return hx_stop(x, ERR_LIMIT, "limit: toYaml nested deeper than %u", LIMIT_IAC_DEPTH);
	if (step(x, 1))
		return ERR_LIMIT;
	if ((v->k != HK_LIST && v->k != HK_MAP) || !v->n)
		return yaml_scalar_out(x, b, v) ?: buf_append(b, "\n", 1);
	for (i = 0; !err && i < v->n; i++) {
		const struct hv *e = v->v[i];
		bool block = (e->k == HK_LIST || e->k == HK_MAP) && e->n;

		if (!(inl && i == 0))
			err = pad(b, ind);
		if (err)
			break;
		if (v->k == HK_LIST) {
			err = buf_append(b, "- ", 2);
			if (!err)
				err = block ? yaml_out(x, b, e, ind + 2, true, depth + 1)
					    : yaml_scalar_out(x, b, e) ?: buf_append(b, "\n", 1);
			continue;
		}
		if (yaml_needs_quotes(v->keys[i], strlen(v->keys[i])))
			err = json_string(b, v->keys[i], strlen(v->keys[i])) ?: buf_append(b, ":", 1);
		else
			err = buf_printf(b, "%s:", v->keys[i]);
		if (err)
			break;
		if (block)
			err = buf_append(b, "\n", 1) ?:
			      yaml_out(x, b, e, e->k == HK_LIST ? ind : ind + 2, false, depth + 1);
		else
			err = buf_append(b, " ", 1) ?: yaml_scalar_out(x, b, e) ?: buf_append(b, "\n", 1);
	}
	return err;
}

static int json_out(struct hx *x, struct buf *b, const struct hv *v, unsigned depth)
{
	size_t i;
	int err;

	if (depth > LIMIT_IAC_DEPTH)
		return hx_stop(x, ERR_LIMIT, "limit: toJson nested deeper than %u", LIMIT_IAC_DEPTH);
	if (step(x, 1))
		return ERR_LIMIT;
	switch (v->k) {
	case HK_NIL: return buf_append_str(b, "null");
	case HK_STR: return json_string(b, v->s, v->n);
	case HK_LIST:
		err = buf_append(b, "[", 1);
		for (i = 0; !err && i < v->n; i++)
			err = (i ? buf_append(b, ",", 1) : 0) ?: json_out(x, b, v->v[i], depth + 1);
		return err ?: buf_append(b, "]", 1);
	case HK_MAP:
		err = buf_append(b, "{", 1);
		for (i = 0; !err && i < v->n; i++)
			err = (i ? buf_append(b, ",", 1) : 0) ?:
			      json_string(b, v->keys[i], strlen(v->keys[i])) ?: buf_append(b, ":", 1) ?:
			      json_out(x, b, v->v[i], depth + 1);
		return err ?: buf_append(b, "}", 1);
	default:
		return fmt_value(x, b, v, "null", 0);
	}
}

/* --- action lexer ----------------------------------------------------- */

enum tk {
	T_EOF, T_FIELD, T_VAR, T_IDENT, T_STR, T_RAW, T_NUM, T_LP, T_RP, T_PIPE,
	T_DECL, T_ASSIGN, T_COMMA, T_BAD,
};

struct lx {
	const char *p, *e;	/* rest of the action */
	enum tk t;		/* current token */
	const char *ts;		/* its text */
	size_t tn;
};

/* ".a.b.c" continuing at p: returns its end. */
static const char *field_chain(const char *p, const char *e)
{
	while (p + 1 < e && p[0] == '.' && is_ident((unsigned char)p[1])) {
		p++;
		while (p < e && is_ident((unsigned char)*p))
			p++;
	}
	return p;
}

static void lx_next(struct lx *l)
{
	const char *p = l->p, *e = l->e;

	while (p < e && is_space((unsigned char)*p))
		p++;
	l->ts = p;
	if (p >= e) {
		l->t = T_EOF;
	} else if (*p == '.') {
		l->t = T_FIELD;
		p = (p + 1 < e && is_ident((unsigned char)p[1])) ? field_chain(p, e) : p + 1;
	} else if (*p == '$') {
		l->t = T_VAR;
		for (p++; p < e && is_ident((unsigned char)*p); p++)
			;
		p = field_chain(p, e);
	} else if (*p == '"') {
		l->t = T_STR;
		for (p++; p < e && *p != '"'; p++)
			if (*p == '\\')
				p++;
		p = p < e ? p + 1 : e;
	} else if (*p == '`') {
		l->t = T_RAW;
		for (p++; p < e && *p != '`'; p++)
			;
		p = p < e ? p + 1 : e;
	} else if ((*p >= '0' && *p <= '9') || ((*p == '-' || *p == '+') && p + 1 < e && p[1] >= '0' && p[1] <= '9')) {
		l->t = T_NUM;
		for (p++; p < e && (is_ident((unsigned char)*p) || *p == '.' ||
				    ((*p == '-' || *p == '+') && (p[-1] == 'e' || p[-1] == 'E'))); p++)
			;
	} else if (is_ident((unsigned char)*p)) {
		l->t = T_IDENT;
		while (p < e && is_ident((unsigned char)*p))
			p++;
	} else if (*p == ':' && p + 1 < e && p[1] == '=') {
		l->t = T_DECL;
		p += 2;
	} else {
		l->t = *p == '(' ? T_LP : *p == ')' ? T_RP : *p == '|' ? T_PIPE : *p == '=' ? T_ASSIGN :
		       *p == ',' ? T_COMMA : T_BAD;
		p++;
	}
	l->tn = (size_t)(p - l->ts);
	l->p = p;
}

static bool tok_eq(const struct lx *l, const char *w)
{
	return l->tn == strlen(w) && !memcmp(l->ts, w, l->tn);
}

static int put_utf8(struct buf *b, unsigned long c)
{
	unsigned char u[4];
	size_t n;

	if (c < 0x80) {
		u[0] = (unsigned char)c;
		n = 1;
	} else if (c < 0x800) {
		u[0] = (unsigned char)(0xc0 | (c >> 6));
		u[1] = (unsigned char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		u[0] = (unsigned char)(0xe0 | (c >> 12));
		u[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
		u[2] = (unsigned char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xf0 | ((c >> 18) & 0x07));
		u[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3f));
		u[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
		u[3] = (unsigned char)(0x80 | (c & 0x3f));
		n = 4;
	}
	return buf_append(b, u, n);
}

/* Go string literal (with quotes) -> value. */
static int str_lit(struct hx *x, const struct lx *l, struct hv **out)
{
	const char *s = l->ts + 1, *e = l->ts + l->tn - 1;
	struct buf b;
	int err = 0;

	if (l->tn < 2 || l->ts[l->tn - 1] != l->ts[0])
		return UNSUP(x, "unterminated string");
	if (l->t == T_RAW) {
		*out = hv_str(x->a, s, (size_t)(e - s));
		return *out ? 0 : nomem(x);
	}
	buf_init(&b, LIMIT_HELM_FILE_OUTPUT);
	while (!err && s < e) {
		char c = *s++;

		if (c != '\\' || s >= e) {
			err = buf_append(&b, &c, 1);
			continue;
		}
		c = *s++;
		switch (c) {
		case 'n': err = buf_append(&b, "\n", 1); break;
		case 't': err = buf_append(&b, "\t", 1); break;
		case 'r': err = buf_append(&b, "\r", 1); break;
		case 'x': case 'u': case 'U': {
			size_t want = c == 'x' ? 2 : c == 'u' ? 4 : 8, k;
			unsigned long cp = 0;

			for (k = 0; k < want && s < e && hex_digit_value((unsigned char)*s) >= 0; k++, s++)
				cp = cp * 16 + (unsigned long)hex_digit_value((unsigned char)*s);
			if (k != want)
				return buf_release(&b), UNSUP(x, "bad string escape");
			err = c == 'x' ? buf_append(&b, &(char){ (char)cp }, 1) : put_utf8(&b, cp);
			break;
		}
		default: err = buf_append(&b, &c, 1); break;
		}
	}
	return scratch_done(x, &b, err, out);
}

static int num_lit(struct hx *x, const struct lx *l, struct hv **out)
{
	char tmp[64], *end;
	struct hv *v;

	if (l->tn >= sizeof(tmp))
		return UNSUP(x, "bad number");
	memcpy(tmp, l->ts, l->tn);
	tmp[l->tn] = '\0';
	errno = 0;
	v = hv_new(x->a, HK_INT);
	if (!v)
		return nomem(x);
	v->i = strtoll(tmp, &end, 0);
	if (*end || errno) {
		v->k = HK_FLOAT;
		v->f = strtod(tmp, &end);
		if (*end)
			return UNSUP(x, "bad number '%s'", tmp);
	}
	*out = v;
	return 0;
}

/* Follows ".a.b" (s..e) from v; missing keys are nil, as with Helm's
 * missingkey handling. */
static int walk_fields(struct hx *x, struct hv *v, const char *s, const char *e, struct hv **out)
{
	char key[256];

	while (s < e) {
		const char *k = ++s;

		while (s < e && *s != '.')
			s++;
		if ((size_t)(s - k) >= sizeof(key))
			return UNSUP(x, "field name too long");
		memcpy(key, k, (size_t)(s - k));
		key[s - k] = '\0';
		if (v->k == HK_UNK)
			continue;
		if (v->k == HK_APIS && !strcmp(key, "Has")) {
			v = hv_new(x->a, HK_APIS_HAS);
			if (!v)
				return nomem(x);
			continue;
		}
		if (v->k == HK_NIL)
			continue;	/* Helm would stop on nil.x; with defaults the chart renders */
		if (v->k != HK_MAP)
			return UNSUP(x, "field '%s' of a non-map (method calls are not supported)", key);
		v = map_get(v, key);
		if (!v)
			v = &V_NIL;
	}
	*out = v;
	return 0;
}

/* --- pipelines -------------------------------------------------------- */

#define MAX_ARGS 32

static int eval_pipe(struct hx *x, struct lx *l, struct hv **out);
static int call_fn(struct hx *x, const char *name, size_t n, struct hv **a, size_t na, struct hv **out);

static int eval_operand(struct hx *x, struct lx *l, struct hv **out)
{
	const char *chain;
	struct var *vr;
	int err;

	switch (l->t) {
	case T_FIELD:
		*out = x->dot;
		err = l->tn > 1 ? walk_fields(x, x->dot, l->ts, l->ts + l->tn, out) : 0;
		break;
	case T_VAR:
		for (chain = l->ts + 1; chain < l->ts + l->tn && *chain != '.'; chain++)
			;
		vr = var_find(x, l->ts, (size_t)(chain - l->ts));
		if (!vr)
			return UNSUP(x, "undefined variable %.*s", (int)(chain - l->ts), l->ts);
		err = walk_fields(x, vr->v, chain, l->ts + l->tn, out);
		break;
	case T_STR: case T_RAW:
		err = str_lit(x, l, out);
		break;
	case T_NUM:
		err = num_lit(x, l, out);
		break;
	case T_IDENT:
		if (tok_eq(l, "true") || tok_eq(l, "false") || tok_eq(l, "nil")) {
			*out = tok_eq(l, "nil") ? &V_NIL : hv_bool(tok_eq(l, "true"));
			err = 0;
		} else {
			err = call_fn(x, l->ts, l->tn, NULL, 0, out);
		}
		break;
	case T_LP:
		if (++x->nest > LIMIT_HELM_NESTING)
			return hx_stop(x, ERR_LIMIT, "limit: parentheses nested deeper than %u", LIMIT_HELM_NESTING);
		lx_next(l);
		err = eval_pipe(x, l, out);
		x->nest--;
		if (err)
			return err;
		if (l->t != T_RP)
			return UNSUP(x, "missing )");
		chain = field_chain(l->p, l->e);
		if (chain != l->p) {
			err = walk_fields(x, *out, l->p, chain, out);
			l->p = chain;
		}
		break;
	default:
		return UNSUP(x, "unexpected '%.*s'", (int)l->tn, l->ts);
	}
	if (!err)
		lx_next(l);
	return err;
}

static bool ends_command(enum tk t)
{
	return t == T_PIPE || t == T_RP || t == T_EOF;
}

/* One command: a function with its arguments (and the piped value last),
 * or a single operand. */
static int eval_cmd(struct hx *x, struct lx *l, struct hv *piped, struct hv **out)
{
	struct hv *args[MAX_ARGS + 1];
	size_t na = 0;
	int err;

	if (l->t == T_IDENT && !tok_eq(l, "true") && !tok_eq(l, "false") && !tok_eq(l, "nil")) {
		const char *name = l->ts;
		size_t n = l->tn;

		lx_next(l);
		while (!ends_command(l->t)) {
			if (na >= MAX_ARGS)
				return UNSUP(x, "more than %u arguments", MAX_ARGS);
			if ((err = eval_operand(x, l, &args[na++])))
				return err;
		}
		if (piped)
			args[na++] = piped;
		return call_fn(x, name, n, args, na, out);
	}
	if ((err = eval_operand(x, l, out)))
		return err;
	if ((*out)->k == HK_APIS_HAS) {
		/* .Capabilities.APIVersions.Has "group/version" */
		if (l->t != T_STR || (err = eval_operand(x, l, &args[0])))
			return err ? err : UNSUP(x, "APIVersions.Has takes one string");
		return call_fn(x, "apiVersionsHas", 14, args, 1, out);
	}
	if (!ends_command(l->t) || piped) {
		if ((*out)->k == HK_UNK) {
			while (!ends_command(l->t) && !(err = eval_operand(x, l, &args[0])))
				;
			*out = &V_UNK;
			return err;
		}
		return UNSUP(x, "arguments given to a value that is not a function (method calls are not supported)");
	}
	return 0;
}

static int eval_cmds(struct hx *x, struct lx *l, struct hv **out)
{
	struct hv *v = NULL;
	int err;

	for (;;) {
		if ((err = eval_cmd(x, l, v, &v)))
			return err;
		if (l->t != T_PIPE)
			break;
		lx_next(l);
	}
	*out = v;
	return 0;
}

/* Parses "$a :=", "$a =" or "$a, $b :=" at the lexer; *nvars 0 when the
 * pipeline declares nothing (the lexer is then left untouched). */
static void parse_decl(struct lx *l, struct lx *names, size_t *nvars, bool *assign)
{
	struct lx save = *l, a;

	*nvars = 0;
	*assign = false;
	if (l->t != T_VAR || memchr(l->ts + 1, '.', l->tn - 1))
		return;
	a = *l;
	lx_next(l);
	if (l->t == T_COMMA) {
		lx_next(l);
		if (l->t != T_VAR) {
			*l = save;
			return;
		}
		names[1] = *l;
		lx_next(l);
		if (l->t != T_DECL) {
			*l = save;
			return;
		}
		names[0] = a;
		*nvars = 2;
		lx_next(l);
		return;
	}
	if (l->t == T_DECL || l->t == T_ASSIGN) {
		names[0] = a;
		*nvars = 1;
		*assign = l->t == T_ASSIGN;
		lx_next(l);
		return;
	}
	*l = save;
}

/* A pipeline with an optional declaration; declared values are bound and
 * *out is set to them too (Go prints nothing for a declaration: the caller
 * checks *decl). */
static int eval_pipe_decl(struct hx *x, struct lx *l, struct hv **out, bool *decl)
{
	struct lx names[2];
	size_t nv;
	bool assign;
	struct var *vr;
	int err;

	parse_decl(l, names, &nv, &assign);
	if (decl)
		*decl = nv > 0;
	if (nv > 1)
		return UNSUP(x, "two variables outside range");
	if ((err = eval_cmds(x, l, out)))
		return err;
	if (!nv)
		return 0;
	if (assign) {
		vr = var_find(x, names[0].ts, names[0].tn);
		if (!vr)
			return UNSUP(x, "assignment to undefined variable");
		vr->v = *out;
		return 0;
	}
	return var_push(x, names[0].ts, names[0].tn, *out);
}

static int eval_pipe(struct hx *x, struct lx *l, struct hv **out)
{
	return eval_pipe_decl(x, l, out, NULL);
}

/* Evaluates a whole action span of the running file. */
static int eval_span(struct hx *x, const struct item *it, struct hv **out, bool *decl)
{
	struct lx l = { .p = x->cur->text + it->a, .e = x->cur->text + it->b };
	int err;

	if (it->a == it->b)
		return UNSUP(x, "empty action");
	lx_next(&l);
	err = eval_pipe_decl(x, &l, out, decl);
	if (!err && l.t != T_EOF)
		err = UNSUP(x, "unexpected '%.*s' in action", (int)l.tn, l.ts);
	return err;
}

/* --- functions -------------------------------------------------------- */

static int exec_def(struct hx *x, const char *name, struct hv *dot);

/* A string view of an argument: strings as they are, nil as "", others
 * as fmt %v (unknowns were filtered out before the call). */
static int sarg(struct hx *x, struct hv *v, const char **s, size_t *n)
{
	struct hv *t;
	int err;

	if (v->k == HK_NIL) {
		*s = "";
		*n = 0;
		return 0;
	}
	if ((err = to_text(x, v, "", &t)))
		return err;
	*s = t->s;
	*n = t->n;
	return 0;
}

static int64_t to_int(const struct hv *v)
{
	switch (v->k) {
	case HK_INT: return v->i;
	case HK_FLOAT: return isfinite(v->f) && fabs(v->f) < 9e18 ? (int64_t)v->f : 0;
	case HK_BOOL: return v->b;
	case HK_STR: {
		char tmp[64], *end;
		long long ll;

		if (!v->n || v->n >= sizeof(tmp))
			return 0;
		memcpy(tmp, v->s, v->n + 1);
		ll = strtoll(tmp, &end, 0);
		if (*end) {
			double d = strtod(tmp, &end);

			return *end || !isfinite(d) || fabs(d) >= 9e18 ? 0 : (int64_t)d;
		}
		return ll;
	}
	default: return 0;
	}
}

static bool is_num(const struct hv *v)
{
	return v->k == HK_INT || v->k == HK_FLOAT;
}

/* -1/0/1 into *r; false when Go would refuse to compare them.  eq-only
 * kinds (bool, nil) give 0 or 1 (unequal). */
static bool compare(const struct hv *a, const struct hv *b, int *r)
{
	if (is_num(a) && is_num(b)) {
		if (a->k == HK_INT && b->k == HK_INT)
			*r = (a->i > b->i) - (a->i < b->i);
		else {
			double x = a->k == HK_INT ? (double)a->i : a->f, y = b->k == HK_INT ? (double)b->i : b->f;

			*r = (x > y) - (x < y);
		}
		return true;
	}
	if (a->k == HK_STR && b->k == HK_STR) {
		int c = memcmp(a->s, b->s, MIN(a->n, b->n));

		*r = c ? (c > 0 ? 1 : -1) : (a->n > b->n) - (a->n < b->n);
		return true;
	}
	if (a->k == HK_BOOL && b->k == HK_BOOL) {
		*r = a->b != b->b;
		return true;
	}
	if (a->k == HK_NIL || b->k == HK_NIL) {
		*r = !(a->k == HK_NIL && b->k == HK_NIL);
		return true;
	}
	return false;
}

typedef int (*hfn)(struct hx *x, struct hv **a, size_t n, struct hv **out);

static int str_out(struct hx *x, const char *s, size_t n, struct hv **out)
{
	*out = hv_str(x->a, s, n);
	return *out ? 0 : nomem(x);
}

static bool empty_val(const struct hv *v)
{
	return !truth(v);
}

static int f_default(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	UNUSED(x);
	if (n == 1 || a[1]->k == HK_NIL) {
		*out = a[0];
		return 0;
	}
	*out = a[1]->k == HK_UNK || has_unknown(x, a[1]) ? a[1] : empty_val(a[1]) ? a[0] : a[1];
	return 0;
}

static int quote_common(struct hx *x, struct hv **a, size_t n, struct hv **out, char q)
{
	struct buf b;
	size_t i, k, sn;
	const char *s;
	int err = 0;

	buf_init(&b, LIMIT_HELM_FILE_OUTPUT);
	for (i = 0; !err && i < n; i++) {
		if (a[i]->k == HK_NIL)
			continue;
		if ((err = sarg(x, a[i], &s, &sn)))
			break;
		if (b.len)
			err = buf_append(&b, " ", 1);
		if (q == '"') {
			err = err ?: json_string(&b, s, sn);
			continue;
		}
		err = err ?: buf_append(&b, "'", 1);
		for (k = 0; !err && k < sn; k++)
			err = buf_append(&b, &s[k], 1);
		err = err ?: buf_append(&b, "'", 1);
	}
	return scratch_done(x, &b, err, out);
}

static int f_quote(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	return quote_common(x, a, n, out, '"');
}

static int f_squote(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	return quote_common(x, a, n, out, '\'');
}

static int f_toyaml(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	struct buf b;
	int err;

	UNUSED(n);
	if (has_unknown(x, a[0])) {
		*out = &V_UNK;
		return 0;
	}
	buf_init(&b, LIMIT_HELM_FILE_OUTPUT);
	err = yaml_out(x, &b, a[0], 0, false, 0);
	if (!err && b.len && b.data[b.len - 1] == '\n')
		b.len--;	/* Helm trims the final newline */
	return scratch_done(x, &b, err, out);
}

static int f_tojson(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	struct buf b;

	UNUSED(n);
	if (has_unknown(x, a[0])) {
		*out = &V_UNK;
		return 0;
	}
	buf_init(&b, LIMIT_HELM_FILE_OUTPUT);
	return scratch_done(x, &b, json_out(x, &b, a[0], 0), out);
}

static int indent_common(struct hx *x, struct hv **a, struct hv **out, bool nl)
{
	int64_t w = to_int(a[0]);
	const char *s;
	size_t sn, i;
	struct buf b;
	int err;

	if ((err = sarg(x, a[1], &s, &sn)))
		return err;
	if (w < 0 || w > 1024)
		return UNSUP(x, "indent of %lld", (long long)w);
	buf_init(&b, LIMIT_HELM_FILE_OUTPUT);
	err = (nl ? buf_append(&b, "\n", 1) : 0) ?: pad(&b, (unsigned)w);
	for (i = 0; !err && i < sn; i++)
		err = buf_append(&b, &s[i], 1) ?: (s[i] == '\n' ? pad(&b, (unsigned)w) : 0);
	return scratch_done(x, &b, err, out);
}

static int f_indent(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	UNUSED(n);
	return indent_common(x, a, out, false);
}

static int f_nindent(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	UNUSED(n);
	return indent_common(x, a, out, true);
}

static int f_trim(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	const char *s;
	size_t sn;
	int err;

	UNUSED(n);
	if ((err = sarg(x, a[0], &s, &sn)))
		return err;
	while (sn && is_space((unsigned char)*s))
		s++, sn--;
	while (sn && is_space((unsigned char)s[sn - 1]))
		sn--;
	return str_out(x, s, sn, out);
}

static int f_trunc(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	int64_t c = to_int(a[0]);
	const char *s;
	size_t sn;
	int err;

	UNUSED(n);
	if ((err = sarg(x, a[1], &s, &sn)))
		return err;
	if (c >= 0 && (uint64_t)c < sn)
		sn = (size_t)c;
	else if (c < 0 && (uint64_t)-c < sn) {
		s += sn - (size_t)-c;
		sn = (size_t)-c;
	}
	return str_out(x, s, sn, out);
}

/* trimSuffix, trimPrefix, hasPrefix, hasSuffix, contains: (affix, s). */
static int affix(struct hx *x, struct hv **a, const char **s, size_t *sn, const char **f, size_t *fn)
{
	return sarg(x, a[0], f, fn) ?: sarg(x, a[1], s, sn);
}

static int f_trimsuffix(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	const char *s, *f;
	size_t sn, fn;
	int err = affix(x, a, &s, &sn, &f, &fn);

	UNUSED(n);
	if (err)
		return err;
	if (fn <= sn && !memcmp(s + sn - fn, f, fn))
		sn -= fn;
	return str_out(x, s, sn, out);
}

static int f_trimprefix(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	const char *s, *f;
	size_t sn, fn;
	int err = affix(x, a, &s, &sn, &f, &fn);

	UNUSED(n);
	if (err)
		return err;
	if (fn <= sn && !memcmp(s, f, fn))
		s += fn, sn -= fn;
	return str_out(x, s, sn, out);
}

static int f_hasprefix(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	const char *s, *f;
	size_t sn, fn;
	int err = affix(x, a, &s, &sn, &f, &fn);

	UNUSED(n);
	*out = hv_bool(!err && fn <= sn && !memcmp(s, f, fn));
	return err;
}

static int f_hassuffix(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	const char *s, *f;
	size_t sn, fn;
	int err = affix(x, a, &s, &sn, &f, &fn);

	UNUSED(n);
	*out = hv_bool(!err && fn <= sn && !memcmp(s + sn - fn, f, fn));
	return err;
}

static int f_contains(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	const char *s, *f;
	size_t sn, fn;
	int err = affix(x, a, &s, &sn, &f, &fn);

	UNUSED(n);
	*out = hv_bool(!err && (fn == 0 || memmem(s, sn, f, fn) != NULL));
	return err;
}

static int change_case(struct hx *x, struct hv **a, struct hv **out, bool up)
{
	const char *s;
	size_t sn, i;
	char *c;
	int err;

	if ((err = sarg(x, a[0], &s, &sn)) || (err = str_out(x, s, sn, out)))
		return err;
	c = (char *)(*out)->s;
	for (i = 0; i < sn; i++)
		if (up && c[i] >= 'a' && c[i] <= 'z')
			c[i] = (char)(c[i] - 32);
		else if (!up && c[i] >= 'A' && c[i] <= 'Z')
			c[i] = (char)(c[i] + 32);
	return 0;
}

static int f_lower(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	UNUSED(n);
	return change_case(x, a, out, false);
}

static int f_upper(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	UNUSED(n);
	return change_case(x, a, out, true);
}

static int f_replace(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	const char *o, *w, *s;
	size_t on, wn, sn, i = 0;
	struct buf b;
	int err;

	UNUSED(n);
	if ((err = sarg(x, a[0], &o, &on)) || (err = sarg(x, a[1], &w, &wn)) || (err = sarg(x, a[2], &s, &sn)))
		return err;
	buf_init(&b, LIMIT_HELM_FILE_OUTPUT);
	while (!err && i < sn) {
		if (on && i + on <= sn && !memcmp(s + i, o, on)) {
			err = buf_append(&b, w, wn);
			i += on;
		} else {
			err = buf_append(&b, s + i, 1);
			i++;
		}
		if (!err && !(i & 4095))
			err = step(x, 1);
	}
	return scratch_done(x, &b, err, out);
}

static int f_b64enc(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *s;
	size_t sn, i;
	struct buf b;
	int err;

	UNUSED(n);
	if ((err = sarg(x, a[0], (const char **)&s, &sn)))
		return err;
	buf_init(&b, LIMIT_HELM_FILE_OUTPUT);
	for (i = 0; !err && i < sn; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < sn ? (uint32_t)s[i + 1] << 8 : 0) |
			     (i + 2 < sn ? s[i + 2] : 0);
		char q[4] = { t[v >> 18], t[(v >> 12) & 63], i + 1 < sn ? t[(v >> 6) & 63] : '=',
			      i + 2 < sn ? t[v & 63] : '=' };

		err = buf_append(&b, q, 4);
	}
	return scratch_done(x, &b, err, out);
}

/* printf: %s %v %d %q %%, with an optional width. */
static int f_printf(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	const char *f;
	size_t fn, i, ai = 1;
	struct buf b;
	int err;

	if ((err = sarg(x, a[0], &f, &fn)))
		return err;
	buf_init(&b, LIMIT_HELM_FILE_OUTPUT);
	for (i = 0; !err && i < fn; i++) {
		unsigned width = 0;
		bool left = false;
		size_t before;
		struct hv *v;

		if (f[i] != '%' || i + 1 >= fn) {
			err = buf_append(&b, &f[i], 1);
			continue;
		}
		i++;
		if (f[i] == '%') {
			err = buf_append(&b, "%", 1);
			continue;
		}
		if (f[i] == '-')
			left = true, i++;
		while (i < fn && f[i] >= '0' && f[i] <= '9' && width < 1000)
			width = width * 10 + (unsigned)(f[i++] - '0');
		if (i >= fn)
			break;
		if (ai >= n) {
			err = buf_printf(&b, "%%!%c(MISSING)", f[i]);
			continue;
		}
		v = a[ai++];
		before = b.len;
		switch (f[i]) {
		case 's': case 'v': err = fmt_value(x, &b, v, "<nil>", 0); break;
		case 'd':
			err = is_num(v) ? buf_printf(&b, "%lld", (long long)to_int(v)) : fmt_value(x, &b, v, "<nil>", 0);
			break;
		case 'q':
			if (v->k != HK_STR)
				return buf_release(&b), UNSUP(x, "printf %%q of a non-string");
			err = json_string(&b, v->s, v->n);
			break;
		default:
			return buf_release(&b), UNSUP(x, "printf verb %%%c", f[i]);
		}
		if (!err && b.len - before < width) {
			size_t w = width - (b.len - before);

			err = pad(&b, (unsigned)w);
			if (!err && !left) {
				memmove(b.data + before + w, b.data + before, b.len - before - w);
				memset(b.data + before, ' ', w);
			}
		}
	}
	return scratch_done(x, &b, err, out);
}

/* print: fmt.Sprint (a space between operands when neither is a string). */
static int f_print(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	struct buf b;
	size_t i;
	int err = 0;

	buf_init(&b, LIMIT_HELM_FILE_OUTPUT);
	for (i = 0; !err && i < n; i++) {
		if (i && a[i]->k != HK_STR && a[i - 1]->k != HK_STR)
			err = buf_append(&b, " ", 1);
		err = err ?: fmt_value(x, &b, a[i], "<nil>", 0);
	}
	return scratch_done(x, &b, err, out);
}

static int f_tostring(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	UNUSED(n);
	return to_text(x, a[0], "<nil>", out);
}

static int f_int(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	UNUSED(n);
	*out = hv_int(x->a, to_int(a[0]));
	return *out ? 0 : nomem(x);
}

static int f_required(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	UNUSED(x);
	UNUSED(n);
	*out = a[1]->k == HK_NIL || (a[1]->k == HK_STR && !a[1]->n) ? &V_UNK : a[1];
	return 0;
}

static int f_unknown(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	UNUSED(x);
	UNUSED(a);
	UNUSED(n);
	*out = &V_UNK;
	return 0;
}

static int f_lookup(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	UNUSED(a);
	UNUSED(n);
	*out = hv_new(x->a, HK_MAP);	/* as `helm template`: no cluster */
	return *out ? 0 : nomem(x);
}

static int f_fail(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	const char *s = "";
	size_t sn = 0;

	UNUSED(out);
	if (n)
		sarg(x, a[0], &s, &sn);
	return UNSUP(x, "template calls fail: %.100s", s);
}

static int f_eq(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	size_t i;
	int r;

	for (i = 1; i < n; i++) {
		if (!compare(a[0], a[i], &r))
			return UNSUP(x, "eq of values that cannot be compared");
		if (!r) {
			*out = &V_TRUE;
			return 0;
		}
	}
	*out = &V_FALSE;
	return 0;
}

static int f_ne(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	int err = f_eq(x, a, n, out);

	*out = hv_bool(!err && !(*out)->b);
	return err;
}

static int order(struct hx *x, struct hv **a, int *r)
{
	if ((a[0]->k != HK_STR && !is_num(a[0])) || !compare(a[0], a[1], r) ||
	    (a[0]->k == HK_STR) != (a[1]->k == HK_STR))
		return UNSUP(x, "ordering of values that cannot be compared");
	return 0;
}

#define ORDER_FN(fname, cond) \
static int fname(struct hx *x, struct hv **a, size_t n, struct hv **out) \
{ \
	int r = 0, err = order(x, a, &r); \
	UNUSED(n); \
	*out = hv_bool(!err && (cond)); \
	return err; \
}
ORDER_FN(f_lt, r < 0)
ORDER_FN(f_le, r <= 0)
ORDER_FN(f_gt, r > 0)
ORDER_FN(f_ge, r >= 0)

/* and/or: the first deciding operand, else the last (Go semantics); an
 * unknown before the decision makes the result unknown. */
static int andor(struct hv **a, size_t n, struct hv **out, bool is_and)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (a[i]->k == HK_UNK)
			break;
		if (truth(a[i]) != is_and || i + 1 == n) {
			*out = a[i];
			return 0;
		}
	}
	*out = &V_UNK;
	return 0;
}

static int f_and(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	UNUSED(x);
	return andor(a, n, out, true);
}

static int f_or(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	UNUSED(x);
	return andor(a, n, out, false);
}

static int f_not(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	UNUSED(x);
	UNUSED(n);
	*out = hv_bool(!truth(a[0]));
	return 0;
}

static int f_empty(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	UNUSED(x);
	UNUSED(n);
	*out = hv_bool(empty_val(a[0]));
	return 0;
}

static int f_haskey(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	const char *k;
	size_t kn;
	int err;

	UNUSED(n);
	if (a[0]->k != HK_MAP)
		return UNSUP(x, "hasKey of a non-map");
	if ((err = sarg(x, a[1], &k, &kn)))
		return err;
	*out = hv_bool(map_get(a[0], k) != NULL);
	return 0;
}

static int f_list(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	size_t i;

	if (!(*out = hv_new(x->a, HK_LIST)))
		return nomem(x);
	for (i = 0; i < n; i++)
		if (list_push(x->a, *out, a[i]))
			return nomem(x);
	return 0;
}

static int f_dict(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	size_t i, kn;
	const char *k;
	int err;

	if (!(*out = hv_new(x->a, HK_MAP)))
		return nomem(x);
	for (i = 0; i < n; i += 2) {
		if ((err = sarg(x, a[i], &k, &kn)))
			return err;
		if (map_put(x->a, *out, k, kn, i + 1 < n ? a[i + 1] : &V_EMPTY))
			return nomem(x);
	}
	return 0;
}

/* Deep merge of src into dst: dst's keys win, maps merge (sprig/mergo). */
static int merge_into(struct hx *x, struct hv *dst, const struct hv *src, unsigned depth)
{
	size_t i;

	if (depth > LIMIT_IAC_DEPTH || step(x, 1))
		return hx_stop(x, ERR_LIMIT, "limit: merge deeper than %u", LIMIT_IAC_DEPTH);
	for (i = 0; i < src->n; i++) {
		struct hv *d = map_get(dst, src->keys[i]);
		int err;

		if (!d || d->k == HK_NIL) {
			if (map_put(x->a, dst, src->keys[i], strlen(src->keys[i]), src->v[i]))
				return nomem(x);
		} else if (d->k == HK_MAP && src->v[i]->k == HK_MAP && d != src->v[i]) {
			if ((err = merge_into(x, d, src->v[i], depth + 1)))
				return err;
		}
	}
	return 0;
}

static int f_merge(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	size_t i;
	int err;

	for (i = 0; i < n; i++)
		if (a[i]->k != HK_MAP)
			return UNSUP(x, "merge of a non-map");
	for (i = 1; i < n; i++)
		if (a[i] != a[0] && (err = merge_into(x, a[0], a[i], 0)))
			return err;
	*out = a[0];
	return 0;
}

static int f_set(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	const char *k;
	size_t kn;
	int err;

	UNUSED(n);
	if (a[0]->k != HK_MAP)
		return UNSUP(x, "set on a non-map");
	if ((err = sarg(x, a[1], &k, &kn)))
		return err;
	if (map_put(x->a, a[0], k, kn, a[2]))
		return nomem(x);
	*out = a[0];
	return 0;
}

static int f_ternary(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	UNUSED(x);
	UNUSED(n);
	*out = a[2]->k == HK_UNK ? &V_UNK : truth(a[2]) ? a[0] : a[1];
	return 0;
}

static int f_coalesce(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	size_t i;

	UNUSED(x);
	*out = &V_NIL;
	for (i = 0; i < n; i++) {
		if (a[i]->k == HK_UNK) {
			*out = &V_UNK;
			return 0;
		}
		if (!empty_val(a[i])) {
			*out = a[i];
			return 0;
		}
	}
	return 0;
}

static int f_len(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	UNUSED(n);
	if (a[0]->k != HK_STR && a[0]->k != HK_LIST && a[0]->k != HK_MAP && a[0]->k != HK_NIL)
		return UNSUP(x, "len of a scalar");
	*out = hv_int(x->a, (int64_t)a[0]->n);
	return *out ? 0 : nomem(x);
}

static int f_join(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	const char *sep;
	size_t sn, i;
	struct buf b;
	int err;

	UNUSED(n);
	if ((err = sarg(x, a[0], &sep, &sn)))
		return err;
	if (a[1]->k != HK_LIST)
		return to_text(x, a[1], "", out);
	buf_init(&b, LIMIT_HELM_FILE_OUTPUT);
	for (i = 0; !err && i < a[1]->n; i++)
		err = (i ? buf_append(&b, sep, sn) : 0) ?: fmt_value(x, &b, a[1]->v[i], "", 0);
	return scratch_done(x, &b, err, out);
}

static int f_until(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	int64_t c = to_int(a[0]), i;

	UNUSED(n);
	if (c > (int64_t)LIMIT_HELM_RANGE_ITEMS)
		return hx_stop(x, ERR_LIMIT, "limit: until %lld is over %u items", (long long)c,
			       LIMIT_HELM_RANGE_ITEMS);
	if (!(*out = hv_new(x->a, HK_LIST)))
		return nomem(x);
	for (i = 0; i < c; i++) {
		struct hv *e = hv_int(x->a, i);

		if (!e || list_push(x->a, *out, e))
			return nomem(x);
	}
	return step(x, (uint64_t)(c > 0 ? c : 0));
}

static int f_include(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	struct obuf *saved = x->out, cap = { .track = false };
	const char *name;
	size_t nn;
	int err;

	if ((err = sarg(x, a[0], &name, &nn)))
		return err;
	buf_init(&cap.b, LIMIT_HELM_FILE_OUTPUT);
	x->out = &cap;
	err = exec_def(x, name, n > 1 ? a[1] : &V_NIL);
	x->out = saved;
	if (!err)
		err = str_out(x, cap.b.data ? (const char *)cap.b.data : "", cap.b.len, out);
	buf_release(&cap.b);
	return err;
}

/* index coll k...: map keys and list positions; missing is nil. */
static int f_index(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	struct hv *v = a[0];
	size_t i;

	for (i = 1; i < n; i++) {
		if (v->k == HK_NIL)
			break;
		if (v->k == HK_MAP && a[i]->k == HK_STR) {
			v = map_get(v, a[i]->s);
		} else if (v->k == HK_LIST && is_num(a[i])) {
			int64_t k = to_int(a[i]);

			if (k < 0 || (uint64_t)k >= v->n)
				return UNSUP(x, "index %lld out of range", (long long)k);
			v = v->v[k];
		} else {
			return UNSUP(x, "index of a scalar or with a key of the wrong type");
		}
		if (!v)
			v = &V_NIL;
	}
	*out = v;
	return 0;
}

static int f_sha256sum(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	unsigned char h[32];
	char hex[65];
	const char *s;
	size_t sn, i;
	int err;

	UNUSED(n);
	if ((err = sarg(x, a[0], &s, &sn)))
		return err;
	if (mbedtls_sha256_ret((const unsigned char *)s, sn, h, 0))
		return UNSUP(x, "sha256sum failed");
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	return str_out(x, hex, 64, out);
}

/* add sub mul div mod max min add1: integer arithmetic (sprig casts to
 * int64); division by zero is unsupported rather than a panic. */
static int arith(struct hx *x, struct hv **a, size_t n, struct hv **out, char op)
{
	int64_t r = to_int(a[0]), v;
	size_t i;

	for (i = 1; i < n; i++) {
		v = to_int(a[i]);
		switch (op) {
		case '+': if (__builtin_add_overflow(r, v, &r)) goto ovf; break;
		case '-': if (__builtin_sub_overflow(r, v, &r)) goto ovf; break;
		case '*': if (__builtin_mul_overflow(r, v, &r)) goto ovf; break;
		case '/': case '%':
			if (!v || (r == INT64_MIN && v == -1))
				goto ovf;
			r = op == '/' ? r / v : r % v;
			break;
		case '>': r = MAX(r, v); break;
		case '<': r = MIN(r, v); break;
		}
	}
	*out = hv_int(x->a, r);
	return *out ? 0 : nomem(x);
ovf:
	return UNSUP(x, "arithmetic overflow or division by zero");
}

#define ARITH_FN(fname, op) \
static int fname(struct hx *x, struct hv **a, size_t n, struct hv **out) \
{ \
	return arith(x, a, n, out, op); \
}
ARITH_FN(f_add, '+')
ARITH_FN(f_sub, '-')
ARITH_FN(f_mul, '*')
ARITH_FN(f_div, '/')
ARITH_FN(f_mod, '%')
ARITH_FN(f_max, '>')
ARITH_FN(f_min, '<')

static int f_add1(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	struct hv one = { .k = HK_INT, .i = 1 }, *b[2] = { a[0], &one };

	UNUSED(n);
	return arith(x, b, 2, out, '+');
}

/* has needle list */
static int f_has(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	size_t i;
	int r;

	UNUSED(n);
	*out = &V_FALSE;
	if (a[1]->k == HK_NIL)
		return 0;
	if (a[1]->k != HK_LIST)
		return UNSUP(x, "has on a non-list");
	for (i = 0; i < a[1]->n; i++)
		if (compare(a[0], a[1]->v[i], &r) && !r) {
			*out = &V_TRUE;
			break;
		}
	return 0;
}

static int f_first(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	UNUSED(n);
	if (a[0]->k != HK_LIST && a[0]->k != HK_NIL)
		return UNSUP(x, "first of a non-list");
	*out = a[0]->n ? a[0]->v[0] : &V_NIL;
	return 0;
}

static int f_last(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	UNUSED(n);
	if (a[0]->k != HK_LIST && a[0]->k != HK_NIL)
		return UNSUP(x, "last of a non-list");
	*out = a[0]->n ? a[0]->v[a[0]->n - 1] : &V_NIL;
	return 0;
}

/* keys: sorted (sprig leaves them unordered; sorted is one of its orders). */
static int f_keys(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	size_t i, j;

	if (!(*out = hv_new(x->a, HK_LIST)))
		return nomem(x);
	for (i = 0; i < n; i++) {
		if (a[i]->k != HK_MAP)
			return UNSUP(x, "keys of a non-map");
		for (j = 0; j < a[i]->n; j++) {
			struct hv *k = hv_str(x->a, a[i]->keys[j], strlen(a[i]->keys[j]));

			if (!k || list_push(x->a, *out, k))
				return nomem(x);
		}
	}
	return step(x, (*out)->n);
}

static int f_get(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	struct hv *v;
	const char *k;
	size_t kn;
	int err;

	UNUSED(n);
	if (a[0]->k != HK_MAP)
		return UNSUP(x, "get on a non-map");
	if ((err = sarg(x, a[1], &k, &kn)))
		return err;
	v = map_get(a[0], k);
	*out = v ? v : &V_EMPTY;
	return 0;
}

static int f_splitlist(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	const char *sep, *s, *p;
	size_t sepn, sn;
	int err;

	UNUSED(n);
	if ((err = sarg(x, a[0], &sep, &sepn)) || (err = sarg(x, a[1], &s, &sn)))
		return err;
	if (!sepn)
		return UNSUP(x, "splitList with an empty separator");
	if (!(*out = hv_new(x->a, HK_LIST)))
		return nomem(x);
	for (;;) {
		struct hv *e;

		p = memmem(s, sn, sep, sepn);
		e = hv_str(x->a, s, p ? (size_t)(p - s) : sn);
		if (!e || list_push(x->a, *out, e))
			return nomem(x);
		if (!p)
			break;
		sn -= (size_t)(p - s) + sepn;
		s = p + sepn;
		if ((err = step(x, 1)))
			return err;
	}
	return 0;
}

static const char *kind_name(const struct hv *v)
{
	switch (v->k) {
	case HK_BOOL: return "bool";
	case HK_INT: return "int64";
	case HK_FLOAT: return "float64";
	case HK_STR: return "string";
	case HK_LIST: return "slice";
	case HK_MAP: return "map";
	default: return "invalid";
	}
}

static int f_kindis(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	const char *k;
	size_t kn;
	int err;

	UNUSED(n);
	if ((err = sarg(x, a[0], &k, &kn)))
		return err;
	*out = hv_bool(!strcmp(k, kind_name(a[1])));
	return 0;
}

static int f_kindof(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	UNUSED(n);
	return str_out(x, kind_name(a[0]), strlen(kind_name(a[0])), out);
}

/* cat: operands joined by spaces, nils dropped. */
static int f_cat(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	struct buf b;
	size_t i;
	int err = 0;

	buf_init(&b, LIMIT_HELM_FILE_OUTPUT);
	for (i = 0; !err && i < n; i++) {
		if (a[i]->k == HK_NIL)
			continue;
		err = (b.len ? buf_append(&b, " ", 1) : 0) ?: fmt_value(x, &b, a[i], "", 0);
	}
	return scratch_done(x, &b, err, out);
}

/* mergeOverwrite: like merge, the later maps winning. */
static int overwrite_into(struct hx *x, struct hv *dst, const struct hv *src, unsigned depth)
{
	size_t i;

	if (depth > LIMIT_IAC_DEPTH || step(x, 1))
		return hx_stop(x, ERR_LIMIT, "limit: merge deeper than %u", LIMIT_IAC_DEPTH);
	for (i = 0; i < src->n; i++) {
		struct hv *d = map_get(dst, src->keys[i]);
		int err;

		if (d && d->k == HK_MAP && src->v[i]->k == HK_MAP && d != src->v[i]) {
			if ((err = overwrite_into(x, d, src->v[i], depth + 1)))
				return err;
		} else if (map_put(x->a, dst, src->keys[i], strlen(src->keys[i]), src->v[i])) {
			return nomem(x);
		}
	}
	return 0;
}

static int f_mergeoverwrite(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	size_t i;
	int err;

	for (i = 0; i < n; i++)
		if (a[i]->k != HK_MAP)
			return UNSUP(x, "mergeOverwrite of a non-map");
	for (i = 1; i < n; i++)
		if (a[i] != a[0] && (err = overwrite_into(x, a[0], a[i], 0)))
			return err;
	*out = a[0];
	return 0;
}

/* deepCopy: a fresh copy of maps and lists (so later set/merge on it do
 * not reach the values). */
static int deep_copy(struct hx *x, struct hv *v, unsigned depth, struct hv **out)
{
	size_t i;
	int err;

	if (depth > LIMIT_IAC_DEPTH || step(x, 1))
		return hx_stop(x, ERR_LIMIT, "limit: deepCopy deeper than %u", LIMIT_IAC_DEPTH);
	if (v->k != HK_LIST && v->k != HK_MAP) {
		*out = v;
		return 0;
	}
	if (!(*out = hv_new(x->a, (enum hk)v->k)))
		return nomem(x);
	for (i = 0; i < v->n; i++) {
		struct hv *e;

		if ((err = deep_copy(x, v->v[i], depth + 1, &e)))
			return err;
		if (v->k == HK_LIST ? list_push(x->a, *out, e)
				    : map_put(x->a, *out, v->keys[i], strlen(v->keys[i]), e))
			return nomem(x);
	}
	return 0;
}

static int f_deepcopy(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	UNUSED(n);
	return deep_copy(x, a[0], 0, out);
}

static int f_title(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	const char *s;
	size_t sn, i;
	char *c;
	int err;

	UNUSED(n);
	if ((err = sarg(x, a[0], &s, &sn)) || (err = str_out(x, s, sn, out)))
		return err;
	c = (char *)(*out)->s;
	for (i = 0; i < sn; i++)
		if ((i == 0 || is_space((unsigned char)c[i - 1])) && c[i] >= 'a' && c[i] <= 'z')
			c[i] = (char)(c[i] - 32);
	return 0;
}

/* fromYaml / fromJson: a string parsed as a values file would be. */
static int f_fromyaml(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	const char *s;
	size_t sn;
	char msg[160];
	int err;

	UNUSED(n);
	if ((err = sarg(x, a[0], &s, &sn)))
		return err;
	if ((err = step(x, sn / 16 + 1)))
		return err;
	err = yaml_load(x->a, (const uint8_t *)s, sn, out, msg, sizeof(msg));
	if (err == ERR_LIMIT)
		return hx_stop(x, ERR_LIMIT, "%s", msg);
	if (err)
		return UNSUP(x, "fromYaml/fromJson of text that is not a mapping");
	return 0;
}

static int f_concat(struct hx *x, struct hv **a, size_t n, struct hv **out);

/* append / mustAppend list v: a new list; concat lists...: a new list. */
static int f_append(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	struct hv *both[2] = { a[0], NULL }, one = { .k = HK_LIST, .n = 1 }, *items[1] = { a[1] };

	UNUSED(n);
	one.v = items;
	both[1] = &one;
	return f_concat(x, both, 2, out);
}

static int f_concat(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	size_t i, k;

	if (!(*out = hv_new(x->a, HK_LIST)))
		return nomem(x);
	for (i = 0; i < n; i++) {
		if (a[i]->k == HK_NIL)
			continue;
		if (a[i]->k != HK_LIST)
			return UNSUP(x, "concat/append of a non-list");
		if (a[i]->n > LIMIT_HELM_RANGE_ITEMS || (*out)->n + a[i]->n > LIMIT_HELM_RANGE_ITEMS)
			return hx_stop(x, ERR_LIMIT, "limit: a list over %u items", LIMIT_HELM_RANGE_ITEMS);
		for (k = 0; k < a[i]->n; k++)
			if (list_push(x->a, *out, a[i]->v[k]))
				return nomem(x);
		if (step(x, a[i]->n))
			return ERR_LIMIT;
	}
	return 0;
}

static int f_trimall(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	const char *cut, *s;
	size_t cn, sn;
	int err;

	UNUSED(n);
	if ((err = sarg(x, a[0], &cut, &cn)) || (err = sarg(x, a[1], &s, &sn)))
		return err;
	while (sn && memchr(cut, *s, cn))
		s++, sn--;
	while (sn && memchr(cut, s[sn - 1], cn))
		sn--;
	return str_out(x, s, sn, out);
}

static int f_repeat(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	int64_t c = to_int(a[0]), i;
	const char *s;
	size_t sn;
	struct buf b;
	int err;

	UNUSED(n);
	if ((err = sarg(x, a[1], &s, &sn)))
		return err;
	buf_init(&b, LIMIT_HELM_FILE_OUTPUT);
	for (i = 0; !err && i < c; i++)
		err = buf_append(&b, s, sn) ?: step(x, sn / 64 + 1);
	return scratch_done(x, &b, err, out);
}

static int f_nospace(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	const char *s;
	size_t sn, i, w = 0;
	char *c;
	int err;

	UNUSED(n);
	if ((err = sarg(x, a[0], &s, &sn)) || (err = str_out(x, s, sn, out)))
		return err;
	c = (char *)(*out)->s;
	for (i = 0; i < sn; i++)
		if (!is_space((unsigned char)c[i]))
			c[w++] = c[i];
	c[w] = '\0';
	(*out)->n = w;
	return 0;
}

/* semver: "v1.30.0", "1.19-0", "1.2.x"; missing parts are wildcards. */
struct semver {
	long p[3];
	int n;			/* parts given (wildcards excluded) */
	bool pre;
};

static bool semver_parse(const char *s, size_t n, struct semver *v)
{
	size_t i = 0;

	memset(v, 0, sizeof(*v));
	while (i < n && is_space((unsigned char)s[i]))
		i++;
	if (i < n && (s[i] == 'v' || s[i] == 'V'))
		i++;
	while (v->n < 3 && i < n) {
		if (s[i] == 'x' || s[i] == 'X' || s[i] == '*') {
			i++;
			break;
		}
		if (s[i] < '0' || s[i] > '9')
			return false;
		while (i < n && s[i] >= '0' && s[i] <= '9' && v->p[v->n] < 100000000)
			v->p[v->n] = v->p[v->n] * 10 + (s[i++] - '0');
		v->n++;
		if (i < n && s[i] == '.')
			i++;
		else
			break;
	}
	if (i < n && s[i] == '-')
		v->pre = true;
	return v->n > 0 || i > 0;
}

static int semver_cmp(const long *a, const long *b, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

/* One constraint term ("op version") against have. */
static bool semver_term(const char *s, size_t n, const struct semver *have)
{
	char op[3] = "";
	size_t i = 0, k = 0;
	struct semver c;
	long hi[3];
	int r, d;

	while (i < n && k < 2 && strchr("<>=!~^", s[i]))
		op[k++] = s[i++];
	op[k] = '\0';
	if (!semver_parse(s + i, n - i, &c))
		return false;
	d = c.n ? c.n : 1;
	r = semver_cmp(have->p, c.p, c.n ? c.n : 0);
	if (!strcmp(op, ">="))
		return r >= 0;
	if (!strcmp(op, ">"))
		return c.n == 3 ? r > 0 : semver_cmp(have->p, c.p, c.n) > 0;
	if (!strcmp(op, "<="))
		return r <= 0;
	if (!strcmp(op, "<"))
		return semver_cmp(have->p, c.p, 3) < 0;
	if (!strcmp(op, "!="))
		return r != 0;
	if (!strcmp(op, "~") || !strcmp(op, "~>") || !strcmp(op, "^")) {
		memcpy(hi, c.p, sizeof(hi));
		if (op[0] == '^' && c.p[0] > 0)
			hi[0]++, hi[1] = hi[2] = 0;
		else if (c.n >= 2)
			hi[1]++, hi[2] = 0;
		else
			hi[0]++, hi[1] = hi[2] = 0;
		return semver_cmp(have->p, c.p, 3) >= 0 && semver_cmp(have->p, hi, 3) < 0;
	}
	UNUSED(d);
	return r == 0;	/* "=", "==" or none: equal on the parts given */
}

/* Constraint: terms separated by blanks or commas (all must hold), groups
 * by "||" (one must). */
static bool semver_match(const char *s, size_t n, const struct semver *have)
{
	size_t i = 0;
	bool group = true, any = false;

	while (i <= n) {
		size_t j;

		if (i == n || (i + 1 < n && s[i] == '|' && s[i + 1] == '|')) {
			any = any || group;
			group = true;
			i += 2;
			continue;
		}
		if (is_space((unsigned char)s[i]) || s[i] == ',') {
			i++;
			continue;
		}
		j = i;
		while (j < n && strchr("<>=!~^", s[j]))
			j++;
		while (j < n && is_space((unsigned char)s[j]))
			j++;
		while (j < n && !is_space((unsigned char)s[j]) && s[j] != ',' && s[j] != '|')
			j++;
		if (j == i) {	/* a lone '|': not a constraint, and no progress */
			group = false;
			i++;
			continue;
		}
		group = group && semver_term(s + i, j - i, have);
		i = j;
	}
	return any;
}

static int f_semvercompare(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	const char *c, *v;
	size_t cn, vn;
	struct semver have;
	int err;

	UNUSED(n);
	if ((err = sarg(x, a[0], &c, &cn)) || (err = sarg(x, a[1], &v, &vn)))
		return err;
	if (!semver_parse(v, vn, &have))
		return UNSUP(x, "semverCompare of '%.40s'", v);
	*out = hv_bool(semver_match(c, cn, &have));
	return 0;
}

/* .Capabilities.APIVersions.Has: the built-in GA groups of KUBE_VERSION. */
static int f_apis_has(struct hx *x, struct hv **a, size_t n, struct hv **out)
{
	static const char *const ga[] = {
		"v1", "apps/v1", "batch/v1", "autoscaling/v1", "autoscaling/v2", "policy/v1",
		"networking.k8s.io/v1", "rbac.authorization.k8s.io/v1", "storage.k8s.io/v1",
		"apiextensions.k8s.io/v1", "admissionregistration.k8s.io/v1", "coordination.k8s.io/v1",
		"discovery.k8s.io/v1", "scheduling.k8s.io/v1", "certificates.k8s.io/v1",
		"node.k8s.io/v1", "events.k8s.io/v1", "flowcontrol.apiserver.k8s.io/v1", NULL,
	};
	const char *s, *slash;
	size_t sn;
	int err;

	UNUSED(n);
	if ((err = sarg(x, a[0], &s, &sn)))
		return err;
	/* "apps/v1/Deployment": group/version/kind asks the same of the group */
	slash = memchr(s, '/', sn);
	if (slash && (slash = memchr(slash + 1, '/', sn - (size_t)(slash + 1 - s))))
		sn = (size_t)(slash - s);
	*out = hv_bool(tok_is(s, sn, ga));
	return 0;
}

#define F_UNK 1u	/* the function decides about unknown operands itself */

/* Sorted by name: call_fn() searches it by halves. */
static const struct fn_def {
	const char *name;
	hfn fn;
	uint8_t min, max;
	unsigned flags;
} fns[] = {
	{ "add", f_add, 1, MAX_ARGS, 0 },
	{ "add1", f_add1, 1, 1, 0 },
	{ "and", f_and, 1, MAX_ARGS, F_UNK },
	{ "apiVersionsHas", f_apis_has, 1, 1, 0 },
	{ "append", f_append, 2, 2, 0 },
	{ "b64enc", f_b64enc, 1, 1, 0 },
	{ "cat", f_cat, 0, MAX_ARGS, 0 },
	{ "coalesce", f_coalesce, 0, MAX_ARGS, F_UNK },
	{ "concat", f_concat, 0, MAX_ARGS, 0 },
	{ "contains", f_contains, 2, 2, 0 },
	{ "date", f_unknown, 1, 2, F_UNK },
	{ "deepCopy", f_deepcopy, 1, 1, 0 },
	{ "default", f_default, 1, 2, F_UNK },
	{ "dict", f_dict, 0, MAX_ARGS, F_UNK },
	{ "div", f_div, 2, 2, 0 },
	{ "empty", f_empty, 1, 1, 0 },
	{ "eq", f_eq, 2, MAX_ARGS, 0 },
	{ "fail", f_fail, 0, 1, F_UNK },
	{ "first", f_first, 1, 1, 0 },
	{ "fromJson", f_fromyaml, 1, 1, 0 },
	{ "fromYaml", f_fromyaml, 1, 1, 0 },
	{ "ge", f_ge, 2, 2, 0 },
	{ "get", f_get, 2, 2, 0 },
	{ "gt", f_gt, 2, 2, 0 },
	{ "has", f_has, 2, 2, 0 },
	{ "hasKey", f_haskey, 2, 2, 0 },
	{ "hasPrefix", f_hasprefix, 2, 2, 0 },
	{ "hasSuffix", f_hassuffix, 2, 2, 0 },
	{ "include", f_include, 1, 2, F_UNK },
	{ "indent", f_indent, 2, 2, 0 },
	{ "index", f_index, 1, MAX_ARGS, 0 },
	{ "int", f_int, 1, 1, 0 },
	{ "int64", f_int, 1, 1, 0 },
	{ "join", f_join, 2, 2, 0 },
	{ "keys", f_keys, 1, MAX_ARGS, 0 },
	{ "kindIs", f_kindis, 2, 2, 0 },
	{ "kindOf", f_kindof, 1, 1, 0 },
	{ "last", f_last, 1, 1, 0 },
	{ "le", f_le, 2, 2, 0 },
	{ "len", f_len, 1, 1, 0 },
	{ "list", f_list, 0, MAX_ARGS, F_UNK },
	{ "lookup", f_lookup, 4, 4, F_UNK },
	{ "lower", f_lower, 1, 1, 0 },
	{ "lt", f_lt, 2, 2, 0 },
	{ "max", f_max, 1, MAX_ARGS, 0 },
	{ "merge", f_merge, 1, MAX_ARGS, 0 },
	{ "mergeOverwrite", f_mergeoverwrite, 1, MAX_ARGS, 0 },
	{ "min", f_min, 1, MAX_ARGS, 0 },
	{ "mod", f_mod, 2, 2, 0 },
	{ "mul", f_mul, 1, MAX_ARGS, 0 },
	{ "mustAppend", f_append, 2, 2, 0 },
	{ "mustMerge", f_merge, 1, MAX_ARGS, 0 },
	{ "mustMergeOverwrite", f_mergeoverwrite, 1, MAX_ARGS, 0 },
	{ "ne", f_ne, 2, 2, 0 },
	{ "nindent", f_nindent, 2, 2, 0 },
	{ "nospace", f_nospace, 1, 1, 0 },
	{ "not", f_not, 1, 1, 0 },
	{ "now", f_unknown, 0, 0, F_UNK },
	{ "or", f_or, 1, MAX_ARGS, F_UNK },
	{ "print", f_print, 0, MAX_ARGS, 0 },
	{ "printf", f_printf, 1, MAX_ARGS, 0 },
	{ "quote", f_quote, 0, MAX_ARGS, 0 },
	{ "randAlpha", f_unknown, 1, 1, F_UNK },
	{ "randAlphaNum", f_unknown, 1, 1, F_UNK },
	{ "randAscii", f_unknown, 1, 1, F_UNK },
	{ "randNumeric", f_unknown, 1, 1, F_UNK },
	{ "repeat", f_repeat, 2, 2, 0 },
	{ "replace", f_replace, 3, 3, 0 },
	{ "required", f_required, 2, 2, F_UNK },
	{ "semverCompare", f_semvercompare, 2, 2, 0 },
	{ "set", f_set, 3, 3, F_UNK },
	{ "sha256sum", f_sha256sum, 1, 1, 0 },
	{ "splitList", f_splitlist, 2, 2, 0 },
	{ "squote", f_squote, 0, MAX_ARGS, 0 },
	{ "sub", f_sub, 2, 2, 0 },
	{ "ternary", f_ternary, 3, 3, F_UNK },
	{ "title", f_title, 1, 1, 0 },
	{ "toJson", f_tojson, 1, 1, F_UNK },
	{ "toString", f_tostring, 1, 1, 0 },
	{ "toYaml", f_toyaml, 1, 1, F_UNK },
	{ "tpl", f_unknown, 2, 2, F_UNK },
	{ "trim", f_trim, 1, 1, 0 },
	{ "trimAll", f_trimall, 2, 2, 0 },
	{ "trimPrefix", f_trimprefix, 2, 2, 0 },
	{ "trimSuffix", f_trimsuffix, 2, 2, 0 },
	{ "trunc", f_trunc, 2, 2, 0 },
	{ "tuple", f_list, 0, MAX_ARGS, F_UNK },
	{ "until", f_until, 1, 1, 0 },
	{ "upper", f_upper, 1, 1, 0 },
	{ "uuidv4", f_unknown, 0, 0, F_UNK },
};

static int call_fn(struct hx *x, const char *name, size_t n, struct hv **a, size_t na, struct hv **out)
{
	size_t i, lo, hi;
	uint64_t cost;
	int err;

	/* string functions cost by the bytes they may read: one step per 64
	 * (contains of a 4 MiB value in a long range is not one step) */
	for (i = 0, cost = 1; i < na; i++)
		if (a[i]->k == HK_STR)
			cost += a[i]->n / 64;
	if ((err = step(x, cost)))
		return err;
	lo = 0;
	hi = ARRAY_SIZE(fns);
	while (lo < hi) {	/* fns is sorted by name */
		const struct fn_def *f = &fns[(lo + hi) / 2];
		int r = strncmp(f->name, name, n);
		size_t k;

		if (!r && f->name[n])
			r = 1;
		if (r < 0) {
			lo = (lo + hi) / 2 + 1;
			continue;
		}
		if (r > 0) {
			hi = (lo + hi) / 2;
			continue;
		}
		if (na < f->min || na > f->max)
			return UNSUP(x, "%s with %zu arguments", f->name, na);
		if (!(f->flags & F_UNK))
			for (k = 0; k < na; k++)
				if (a[k]->k == HK_UNK || a[k]->k == HK_APIS || a[k]->k == HK_APIS_HAS) {
					*out = &V_UNK;
					return 0;
				}
		return f->fn(x, a, na, out);
	}
	return UNSUP(x, "unsupported function '%.*s'", (int)MIN(n, 60), name);
}

/* --- execution -------------------------------------------------------- */

static int exec_items(struct hx *x, uint32_t from, uint32_t to);

/* Writes an action's value.  An unknown may only stand inline after other
 * text on its line ("key: {{ unknown }}"): there it becomes one UNKNOWN
 * scalar; alone on a line it could be any structure, so the file is
 * unknown. */
static int print_value(struct hx *x, struct hv *v)
{
	static const char marker[] = "{{ unknown }}";
	struct hv *t;
	int err;

	if (v->k == HK_NIL)
		return 0;	/* Helm prints "<no value>" as nothing */
	if (v->k == HK_UNK || has_unknown(x, v)) {
		if (!line_has_text(x->out))
			return UNSUP(x, "a value unknown with default values stands alone on its line");
		/* "key:{{- toYaml $unknown | nindent 4 }}" joins the key's line */
		if (x->out->b.data[x->out->b.len - 1] == ':' && (err = emit(x, " ", 1, x->line, false)))
			return err;
		return emit(x, marker, sizeof(marker) - 1, x->line, false);
	}
	if ((err = to_text(x, v, "", &t)))
		return err;
	return emit(x, t->s, t->n, x->line, false);
}

static int run_body(struct hx *x, uint32_t from, uint32_t to, struct hv *dot)
{
	struct hv *saved = x->dot;
	int err;

	x->dot = dot;
	err = exec_items(x, from, to);
	x->dot = saved;
	return err;
}

/* if / with and their else chains. */
/* Blocks open at once across includes: the C stack grows with them, so
 * they share one bound (LIMIT_HELM_NESTING) however templates call each
 * other. */
static int block_enter(struct hx *x)
{
	if (x->blocks >= LIMIT_HELM_NESTING)
		return hx_stop(x, ERR_LIMIT, "limit: blocks nested deeper than %u across templates",
			       LIMIT_HELM_NESTING);
	x->blocks++;
	return 0;
}

static int exec_cond(struct hx *x, uint32_t i)
{
	const struct item *items = x->cur->items;
	uint32_t cur = i;
	size_t mark = x->nv;
	int err = 0;

	for (;;) {
		const struct item *it = &items[cur];
		uint8_t kind = it->kind == I_ELSE ? it->sub : it->kind;
		struct hv *v;

		x->line = it->line;
		if (it->kind == I_END)
			break;
		if (kind == 0) {	/* plain else */
			err = exec_items(x, cur + 1, it->next);
			break;
		}
		if ((err = eval_span(x, it, &v, NULL)))
			break;
		if (v->k == HK_UNK || v->k == HK_APIS_HAS)
			return UNSUP(x, "a condition is unknown with default values");
		if (truth(v)) {
			err = kind == I_WITH ? run_body(x, cur + 1, it->next, v) : exec_items(x, cur + 1, it->next);
			break;
		}
		cur = it->next;
	}
	x->nv = mark;
	return err;
}

static int range_one(struct hx *x, const struct item *it, uint32_t body, struct lx *names, size_t nn,
		     struct hv *key, struct hv *v)
{
	size_t mark = x->nv;
	int err = step(x, 1);

	if (!err && nn == 1)
		err = var_push(x, names[0].ts, names[0].tn, v);
	if (!err && nn == 2)
		err = var_push(x, names[0].ts, names[0].tn, key) ?: var_push(x, names[1].ts, names[1].tn, v);
	if (!err)
		err = run_body(x, body, it->next, v);
	x->nv = mark;
	return err;
}

static int exec_range(struct hx *x, uint32_t i)
{
	const struct item *it = &x->cur->items[i];
	struct lx l = { .p = x->cur->text + it->a, .e = x->cur->text + it->b }, names[2];
	size_t nn, k, mark = x->nv;
	bool assign;
	struct hv *v, *key;
	int err;

	lx_next(&l);
	parse_decl(&l, names, &nn, &assign);
	if (assign)
		return UNSUP(x, "range with '='");
	if ((err = eval_cmds(x, &l, &v)))
		return err;
	if (l.t != T_EOF)
		return UNSUP(x, "unexpected '%.*s' in range", (int)l.tn, l.ts);
	if (v->k == HK_UNK)
		return UNSUP(x, "range over a value unknown with default values");
	if (v->k == HK_INT) {
		if (v->i > (int64_t)LIMIT_HELM_RANGE_ITEMS)
			return hx_stop(x, ERR_LIMIT, "limit: range of %lld over %u items", (long long)v->i,
				       LIMIT_HELM_RANGE_ITEMS);
		for (k = 0; !err && (int64_t)k < v->i; k++) {
			struct hv *e = hv_int(x->a, (int64_t)k);

			err = e ? range_one(x, it, i + 1, names, nn, e, e) : nomem(x);
			if (err == HX_BREAK || err == HX_CONTINUE)
				err = err == HX_BREAK ? (k = (size_t)v->i, 0) : 0;
		}
	} else if (v->k == HK_LIST || v->k == HK_MAP) {
		if (v->n > LIMIT_HELM_RANGE_ITEMS)
			return hx_stop(x, ERR_LIMIT, "limit: range over %zu items (over %u)", v->n,
				       LIMIT_HELM_RANGE_ITEMS);
		for (k = 0; !err && k < v->n; k++) {
			/* the key is only made when a variable takes it */
			key = nn < 2 ? &V_NIL : v->k == HK_MAP ? hv_str(x->a, v->keys[k], strlen(v->keys[k]))
							      : hv_int(x->a, (int64_t)k);
			err = key ? range_one(x, it, i + 1, names, nn, key, v->v[k]) : nomem(x);
			if (err == HX_BREAK)
				err = 0, k = v->n;
			else if (err == HX_CONTINUE)
				err = 0;
		}
	} else if (v->k != HK_NIL && !(v->k == HK_BOOL && !v->b)) {
		return UNSUP(x, "range over a scalar");
	}
	if (!err && !truth(v) && x->cur->items[it->next].kind == I_ELSE)
		err = exec_items(x, it->next + 1, x->cur->items[it->next].next);
	x->nv = mark;
	return err;
}

static const struct tdef *def_find(struct chart *c, const char *name)
{
	size_t lo = 0, hi = c->n_defs;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int r = strcmp(c->defs[mid].name, name);

		if (!r)
			return &c->defs[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Runs a named template with dot (and $) set to dot. */
static int exec_def(struct hx *x, const char *name, struct hv *dot)
{
	const struct tdef *d = def_find(x->c, name);
	const struct tfile *saved_cur = x->cur;
	struct hv *saved_dot = x->dot;
	size_t saved_base = x->vbase, saved_nv = x->nv;
	uint32_t saved_pin = x->pin, saved_line = x->line;
	int err;

	if (!d)
		return UNSUP(x, "no template named \"%.60s\"", name);
	if (x->calls >= LIMIT_HELM_INCLUDE_DEPTH)
		return hx_stop(x, ERR_LIMIT, "limit: include/template nested deeper than %u",
			       LIMIT_HELM_INCLUDE_DEPTH);
	if (d->f != x->top && !x->pin)
		x->pin = x->line;
	x->calls++;
	x->vbase = x->nv;
	err = var_push(x, "$", 1, dot);
	x->cur = d->f;
	x->dot = dot;
	if (!err)
		err = exec_items(x, d->first, d->end);
	if (err == HX_BREAK || err == HX_CONTINUE)
		err = UNSUP(x, "break or continue outside range");
	x->calls--;
	x->cur = saved_cur;
	x->dot = saved_dot;
	x->vbase = saved_base;
	x->nv = saved_nv;
	x->pin = saved_pin;
	x->line = saved_line;
	return err;
}

/* {{template "name" pipeline}} and {{block "name" pipeline}}. */
static int exec_template(struct hx *x, const struct item *it)
{
	struct lx l = { .p = x->cur->text + it->a, .e = x->cur->text + it->b };
	struct hv *name, *dot = &V_NIL;
	int err;

	lx_next(&l);
	if ((l.t != T_STR && l.t != T_RAW) || (err = str_lit(x, &l, &name)))
		return UNSUP(x, "template without a name");
	lx_next(&l);
	if (l.t != T_EOF && (err = eval_cmds(x, &l, &dot)))
		return err;
	return exec_def(x, name->s, dot);
}

static int exec_one(struct hx *x, uint32_t *i)
{
	const struct item *it = &x->cur->items[*i];
	struct hv *v;
	bool decl;
	int err = 0;

	x->line = it->line;
	if ((err = step(x, 1)))
		return err;
	switch (it->kind) {
	case I_TEXT:
		err = emit(x, x->cur->text + it->a, it->b - it->a, it->line, true);
		break;
	case I_EXPR:
		err = eval_span(x, it, &v, &decl);
		if (!err && !decl)
			err = print_value(x, v);
		break;
	case I_IF: case I_WITH:
		if (!(err = block_enter(x))) {
			err = exec_cond(x, *i);
			x->blocks--;
		}
		*i = it->end;
		break;
	case I_RANGE:
		if (!(err = block_enter(x))) {
			err = exec_range(x, *i);
			x->blocks--;
		}
		*i = it->end;
		break;
	case I_DEFINE:
		*i = it->end;
		break;
	case I_BLOCK:
		err = exec_template(x, it);
		*i = it->end;
		break;
	case I_TEMPLATE:
		err = exec_template(x, it);
		break;
	case I_BREAK:
		return HX_BREAK;
	case I_CONTINUE:
		return HX_CONTINUE;
	default:
		return UNSUP(x, "misplaced {{else}} or {{end}}");
	}
	(*i)++;
	return err;
}

static int exec_items(struct hx *x, uint32_t from, uint32_t to)
{
	uint32_t i = from;
	int err = 0;

	while (!err && i < to)
		err = exec_one(x, &i);
	return err;
}

/* --- charts ----------------------------------------------------------- */

void helm_output_init(struct helm_output *o)
{
	o->files = NULL;
	o->n = 0;
}

void helm_output_release(struct helm_output *o)
{
	size_t i;

	for (i = 0; i < o->n; i++) {
		xfree(o->files[i].path);
		xfree(o->files[i].text);
		xfree(o->files[i].lines);
	}
	xfree(o->files);
	helm_output_init(o);
}

static const struct helm_file *chart_file(const struct helm_chart_files *in, const char *path)
{
	size_t i;

	for (i = 0; i < in->n; i++)
		if (in->files[i].path && !strcmp(in->files[i].path, path))
			return &in->files[i];
	return NULL;
}

static bool is_template_path(const char *p)
{
	return !strncmp(p, "templates/", 10) && p[10];
}

bool helm_is_chart(const struct helm_chart_files *in)
{
	size_t i;

	if (!in || !chart_file(in, "Chart.yaml"))
		return false;
	for (i = 0; i < in->n; i++)
		if (in->files[i].path && is_template_path(in->files[i].path))
			return true;
	return false;
}

static bool ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);

	return n >= k && !strcmp(s + n - k, suf);
}

/* Rendered as manifests: not a partial ("_helpers.tpl"), YAML or .tpl. */
static bool is_output_path(const char *p)
{
	const char *base = strrchr(p, '/');

	base = base ? base + 1 : p;
	return base[0] != '_' && (ends_with(p, ".yaml") || ends_with(p, ".yml") || ends_with(p, ".tpl"));
}

static int put(struct arena *a, struct hv *m, const char *k, struct hv *v)
{
	return v ? map_put(a, m, k, strlen(k), v) : ERR_LIMIT;
}

static struct hv *cstr(struct arena *a, const char *s)
{
	return hv_str(a, s, strlen(s));
}

/* .Chart: Chart.yaml's keys with Helm's field names (first letter up,
 * apiVersion as APIVersion). */
static struct hv *chart_object(struct arena *a, const struct hv *meta)
{
	struct hv *m = hv_new(a, HK_MAP);
	size_t i;
	char key[128];

	for (i = 0; m && i < meta->n; i++) {
		if (strlen(meta->keys[i]) >= sizeof(key) - 2)
			continue;
		if (!strcmp(meta->keys[i], "apiVersion"))
			snprintf(key, sizeof(key), "APIVersion");
		else {
			snprintf(key, sizeof(key), "%s", meta->keys[i]);
			if (key[0] >= 'a' && key[0] <= 'z')
				key[0] = (char)(key[0] - 32);
		}
		if (put(a, m, key, meta->v[i]))
			return NULL;
	}
	return m;
}

/* The fixed parts of the root object: .Release and .Capabilities. */
static struct hv *release_object(struct arena *a)
{
	struct hv *r = hv_new(a, HK_MAP);

	if (!r || put(a, r, "Name", cstr(a, "release-name")) || put(a, r, "Namespace", cstr(a, "default")) ||
	    put(a, r, "Service", cstr(a, "Helm")) || put(a, r, "IsInstall", &V_TRUE) ||
	    put(a, r, "IsUpgrade", &V_FALSE) || put(a, r, "Revision", hv_int(a, 1)))
		return NULL;
	return r;
}

static struct hv *capabilities_object(struct arena *a)
{
	struct hv *c = hv_new(a, HK_MAP), *k = hv_new(a, HK_MAP), *h = hv_new(a, HK_MAP);
	char num[16];

	if (!c || !k || !h || put(a, k, "Version", cstr(a, KUBE_VERSION)) ||
	    put(a, k, "GitVersion", cstr(a, KUBE_VERSION)) ||
	    put(a, k, "Major", (snprintf(num, sizeof(num), "%d", KUBE_MAJOR), cstr(a, num))) ||
	    put(a, k, "Minor", (snprintf(num, sizeof(num), "%d", KUBE_MINOR), cstr(a, num))) ||
	    put(a, h, "Version", cstr(a, "v3.14.0")) ||
	    put(a, c, "KubeVersion", k) || put(a, c, "HelmVersion", h) ||
	    put(a, c, "APIVersions", hv_new(a, HK_APIS)))
		return NULL;
	return c;
}

static int build_root(struct chart *c, const struct hv *values, const struct hv *meta)
{
	struct arena *a = &c->a;

	const struct hv *name = map_get(meta, "name");

	c->name = name && name->k == HK_STR ? name->s : "";
	c->root = hv_new(a, HK_MAP);
	if (!c->root || put(a, c->root, "Values", (struct hv *)values) ||
	    put(a, c->root, "Chart", chart_object(a, meta)) || put(a, c->root, "Release", release_object(a)) ||
	    put(a, c->root, "Capabilities", capabilities_object(a)) || put(a, c->root, "Files", &V_UNK))
		return ERR_LIMIT;
	return 0;
}

/* The name of a define/block item: its leading string literal (no
 * escapes in template names in practice; one with escapes is skipped and
 * calls to it stay unknown). */
static const char *def_name(struct chart *c, const struct tfile *f, const struct item *it)
{
	const char *s = f->text + it->a, *e = f->text + it->b, *q;
	char *name;

	if (s >= e || (*s != '"' && *s != '`'))
		return NULL;
	for (q = s + 1; q < e && *q != *s && *q != '\\'; q++)
		;
	if (q >= e || *q != *s)
		return NULL;
	name = aalloc(&c->a, (size_t)(q - s));
	if (name)
		memcpy(name, s + 1, (size_t)(q - s - 1));
	return name;
}

static int def_add(struct chart *c, const char *name, const struct tfile *f, uint32_t first, uint32_t end)
{
	struct tdef *d;

	if (array_reserve(&c->defs, &c->cap_defs, c->n_defs, sizeof(*c->defs), 16))
		return ERR_NOMEM;
	d = &c->defs[c->n_defs];
	d->name = name;
	d->f = f;
	d->first = first;
	d->end = end;
	d->order = c->n_defs++;
	return 0;
}

/* "<chart>/templates/x.yaml", the name Helm gives a template file. */
static const char *file_name(struct chart *c, const char *path)
{
	size_t a = strlen(c->name), b = strlen(path);
	char *s = aalloc(&c->a, a + b + 2);

	if (s) {
		memcpy(s, c->name, a);
		s[a] = '/';
		memcpy(s + a + 1, path, b + 1);
	}
	return s;
}

static int def_cmp(const void *pa, const void *pb)
{
	const struct tdef *a = pa, *b = pb;
	int r = strcmp(a->name, b->name);

	return r ? r : (a->order > b->order) - (a->order < b->order);
}

/* Collects define/block bodies of all files, and each file itself under
 * its Helm name (include (print $.Template.BasePath "/x.yaml") .); later
 * definitions win. */
static int collect_defs(struct chart *c)
{
	size_t fi, i, w = 0;

	for (fi = 0; fi < c->n_files; fi++) {
		const struct tfile *f = &c->files[fi];
		const char *name;

		if (f->bad)
			continue;
		if (!(name = file_name(c, f->path)) || def_add(c, name, f, 0, (uint32_t)f->n))
			return ERR_NOMEM;
		for (i = 0; i < f->n; i++) {
			const struct item *it = &f->items[i];

			if (it->kind != I_DEFINE && it->kind != I_BLOCK)
				continue;
			if ((name = def_name(c, f, it)) && def_add(c, name, f, (uint32_t)i + 1, it->end))
				return ERR_NOMEM;
		}
	}
	if (c->n_defs)
		qsort(c->defs, c->n_defs, sizeof(*c->defs), def_cmp);
	for (i = 0; i < c->n_defs; i++) {
		if (i + 1 < c->n_defs && !strcmp(c->defs[i].name, c->defs[i + 1].name))
			continue;
		c->defs[w++] = c->defs[i];
	}
	c->n_defs = w;
	return 0;
}

static void set_unknown(struct helm_rendered *r, const char *why, uint32_t line)
{
	size_t i;

	r->status = HELM_UNKNOWN;
	snprintf(r->reason, sizeof(r->reason), "%s", why);
	for (i = 0; r->reason[i]; i++)
		if ((unsigned char)r->reason[i] < 0x20 || (unsigned char)r->reason[i] > 0x7e)
			r->reason[i] = '?';
	r->reason_line = line ? line : 1;
}

/* Renders one output file into r. */
static int render_file(struct chart *c, const struct tfile *f, struct helm_rendered *r)
{
	struct obuf o = { .track = true };
	struct hx x = { .c = c, .a = &c->a, .top = f, .cur = f, .out = &o };
	struct hv *root = hv_new(&c->a, HK_MAP), *tm = hv_new(&c->a, HK_MAP);
	const char *slash = strrchr(f->path, '/');
	size_t i;
	int err;

	if (f->bad) {
		set_unknown(r, f->why, f->why_line);
		return 0;
	}
	x.vars = xcalloc(LIMIT_HELM_VARS, sizeof(*x.vars));
	if (!x.vars)
		return ERR_NOMEM;
	buf_init(&o.b, LIMIT_HELM_FILE_OUTPUT);
	/* the root per file: the chart's, plus .Template of this file */
	err = (!root || !tm) ? ERR_LIMIT : 0;
	for (i = 0; !err && i < c->root->n; i++)
		err = map_put(&c->a, root, c->root->keys[i], strlen(c->root->keys[i]), c->root->v[i]);
	if (!err) {
		const char *full = file_name(c, f->path);

		err = !full || put(&c->a, tm, "Name", cstr(&c->a, full)) ||
		      put(&c->a, tm, "BasePath", hv_str(&c->a, full, strlen(c->name) + 1 + (size_t)(slash - f->path))) ||
		      put(&c->a, root, "Template", tm);
	}
	if (err) {
		nomem(&x);
	} else {
		x.dot = root;
		err = var_push(&x, "$", 1, root);
		if (!err)
			err = exec_items(&x, 0, (uint32_t)f->n);
		if (err == HX_BREAK || err == HX_CONTINUE)
			err = UNSUP(&x, "break or continue outside range");
	}
	xfree(x.vars);
	if (err) {
		set_unknown(r, x.failed ? x.why : "internal error", x.why_line);
		buf_release(&o.b);
		xfree(o.lines);
		return 0;
	}
	/* blank lines take the line of the nearest tracked one above */
	for (i = 0; i < o.nl; i++)
		if (!o.lines[i])
			o.lines[i] = i ? o.lines[i - 1] : 0;
	r->status = HELM_RENDERED;
	r->text = o.b.data;
	r->len = o.b.len;
	r->lines = o.lines;
	r->n_lines = o.nl;
	return 0;
}

static void chart_release(struct chart *c)
{
	size_t i;

	for (i = 0; i < c->n_files; i++)
		xfree(c->files[i].items);
	xfree(c->files);
	xfree(c->defs);
	arena_free(&c->a);
}

static int load_meta(struct chart *c, const struct helm_chart_files *in, struct hv **values,
		     struct hv **meta, struct buf *err)
{
	const struct helm_file *cy = chart_file(in, "Chart.yaml"), *vy = chart_file(in, "values.yaml");
	char msg[200];
	int e;

	if (!cy) {
		if (err)
			buf_printf(err, "Chart.yaml missing");
		return ERR_SYNTAX;
	}
	if ((e = yaml_load(&c->a, cy->data, cy->len, meta, msg, sizeof(msg)))) {
		if (err)
			buf_printf(err, "Chart.yaml: %s", msg);
		return e;
	}
	if (!vy) {
		*values = hv_new(&c->a, HK_MAP);
		return *values ? 0 : ERR_LIMIT;
	}
	if ((e = yaml_load(&c->a, vy->data, vy->len, values, msg, sizeof(msg))) && err)
		buf_printf(err, "values.yaml: %s", msg);
	return e;
}

static int parse_all(struct chart *c, const struct helm_chart_files *in, struct buf *err)
{
	size_t i, n = 0, items = 0;

	for (i = 0; i < in->n; i++)
		if (in->files[i].path && is_template_path(in->files[i].path))
			n++;
	if (n > LIMIT_HELM_FILES) {
		if (err)
			buf_printf(err, "limit: more than %u templates", LIMIT_HELM_FILES);
		return ERR_LIMIT;
	}
	c->files = xcalloc(n ? n : 1, sizeof(*c->files));
	if (!c->files)
		return ERR_NOMEM;
	for (i = 0; i < in->n; i++) {
		const struct helm_file *hf = &in->files[i];
		struct tfile *f;
		int e;

		if (!hf->path || !is_template_path(hf->path))
			continue;
		f = &c->files[c->n_files++];
		f->path = hf->path;
		f->text = hf->data ? (const char *)hf->data : "";
		f->len = hf->len;	/* no data and a length: too large to read */
		f->output = is_output_path(hf->path);
		f->max_items = LIMIT_HELM_ITEMS - items;
		if (f->len > LIMIT_HELM_FILE_OUTPUT || (!hf->data && hf->len))
			tf_bad(f, 1, "limit: template over %u bytes", LIMIT_HELM_FILE_OUTPUT);
		else if ((e = parse_template(f)) == ERR_NOMEM)
			return e;
		items += f->n;
	}
	return collect_defs(c);
}

int helm_render(const struct helm_chart_files *in, struct helm_output *out, struct buf *err)
{
	struct chart c;
	struct hv *values = NULL, *meta = NULL;
	size_t i, n_out = 0;
	int e;

	if (!in || !out || (in->n && !in->files))
		return ERR_USAGE;
	memset(&c, 0, sizeof(c));
	e = load_meta(&c, in, &values, &meta, err);
	if (!e && (e = build_root(&c, values, meta)) && err)
		buf_printf(err, "limit: chart metadata over %u bytes", LIMIT_HELM_MEMORY);
	if (!e)
		e = parse_all(&c, in, err);
	for (i = 0; !e && i < c.n_files; i++)
		n_out += c.files[i].output;
	if (!e && n_out) {
		struct helm_rendered *nf = xrealloc(out->files, (out->n + n_out) * sizeof(*nf));

		if (!nf)
			e = ERR_NOMEM;
		else
			out->files = nf;
	}
	for (i = 0; !e && i < c.n_files; i++) {
		struct helm_rendered *r;

		if (!c.files[i].output)
			continue;
		r = &out->files[out->n];
		memset(r, 0, sizeof(*r));
		if (!(r->path = xstrdup(c.files[i].path)))
			e = ERR_NOMEM;
		else if (!(e = render_file(&c, &c.files[i], r)))
			out->n++;
		else
			xfree(r->path);
	}
	chart_release(&c);
	return e;
}

static uint32_t map_line(const uint32_t *lines, size_t n, uint32_t out_line, bool *exact);

uint32_t helm_source_line(const struct helm_rendered *r, uint32_t out_line, bool *exact)
{
	if (!r) {
		if (exact)
			*exact = false;
		return 1;
	}
	return map_line(r->lines, r->n_lines, out_line, exact);
}

/* --- scanning a chart ------------------------------------------------- */

struct helm_linemap {
	size_t n;
	uint32_t lines[];
};

struct helm_linemap *helm_linemap_take(struct helm_rendered *r)
{
	struct helm_linemap *m;

	if (!r || r->status != HELM_RENDERED)
		return NULL;
	m = xmalloc(sizeof(*m) + r->n_lines * sizeof(m->lines[0]));
	if (!m)
		return NULL;
	m->n = r->n_lines;
	if (r->n_lines)
		memcpy(m->lines, r->lines, r->n_lines * sizeof(m->lines[0]));
	return m;
}

static uint32_t map_line(const uint32_t *lines, size_t n, uint32_t out_line, bool *exact)
{
	bool ok = out_line >= 1 && out_line <= n && lines[out_line - 1];

	if (exact)
		*exact = ok;
	return ok ? lines[out_line - 1] : 1;
}

static void map_finding(const uint32_t *lines, size_t n, struct iac_finding *f, bool *exact)
{
	f->line = map_line(lines, n, f->line, exact);
	f->start_line = map_line(lines, n, f->start_line, NULL);
	f->end_line = map_line(lines, n, f->end_line, NULL);
	if (f->end_line < f->line)
		f->end_line = f->line;
	if (f->start_line > f->line)
		f->start_line = f->line;
}

void helm_linemap_apply(const struct helm_linemap *m, struct iac_finding *f)
{
	if (m && f)
		map_finding(m->lines, m->n, f, NULL);
}

static void fill_unknown(struct iac_finding *f, const char *path, const char *why, uint32_t line)
{
	memset(f, 0, sizeof(*f));
	f->check = IAC_CHECK_NONE;
	f->result = IAC_UNKNOWN;
	f->line = f->start_line = f->end_line = line;
	f->column = 1;
	snprintf(f->resource, sizeof(f->resource), "%s", path);
	snprintf(f->found, sizeof(f->found), "helm: %.150s", why);
}

void helm_unknown_finding(const struct helm_rendered *r, struct iac_finding *f)
{
	fill_unknown(f, r->path, r->reason, r->reason_line);
}

static int add_finding(struct helm_finding **out, size_t *n, size_t *cap, const char *path,
		       const struct iac_finding *f, bool exact)
{
	struct helm_finding *h;

	if (array_reserve(out, cap, *n, sizeof(**out), 16))
		return ERR_NOMEM;
	h = &(*out)[(*n)++];
	memset(h, 0, sizeof(*h));
	snprintf(h->path, sizeof(h->path), "%s", path);
	h->line_exact = exact;
	h->f = *f;
	return 0;
}

static int unknown_finding(struct helm_finding **out, size_t *n, size_t *cap, const char *path,
			   const char *why, uint32_t line)
{
	struct iac_finding f;

	fill_unknown(&f, path, why, line);
	return add_finding(out, n, cap, path, &f, true);
}

static int scan_rendered(const struct iac_checkset *cs, const struct helm_rendered *r,
			 struct helm_finding **out, size_t *n, size_t *cap);

int helm_scan_rendered(const struct iac_checkset *cs, const struct helm_rendered *r,
		       struct helm_finding **out, size_t *n_out)
{
	size_t cap = *n_out;

	if (!cs || !r || !out || !n_out)
		return ERR_USAGE;
	return scan_rendered(cs, r, out, n_out, &cap);
}

static int scan_rendered(const struct iac_checkset *cs, const struct helm_rendered *r,
			 struct helm_finding **out, size_t *n, size_t *cap)
{
	struct iac_scan_opts o;
	struct iac_finding *f = NULL;
	size_t nf = 0, i;
	int err;

	if (r->status == HELM_UNKNOWN)
		return unknown_finding(out, n, cap, r->path, r->reason, r->reason_line);
	iac_scan_opts_default(&o);
	o.format = IAC_KUBERNETES;
	err = iac_scan_ex(cs, &o, r->path, r->text ? r->text : (const uint8_t *)"", r->len, &f, &nf);
	for (i = 0; !err && i < nf; i++) {
		bool exact;

		map_finding(r->lines, r->n_lines, &f[i], &exact);
		err = add_finding(out, n, cap, r->path, &f[i], exact);
	}
	xfree(f);
	return err;
}

int helm_scan_chart(const struct iac_checkset *cs, const struct helm_chart_files *in,
		    struct helm_finding **out, size_t *n_out)
{
	struct helm_output o;
	struct buf msg;
	size_t cap = *n_out, i;
	int err;

	if (!cs || !in || !out || !n_out)
		return ERR_USAGE;
	helm_output_init(&o);
	buf_init(&msg, 512);
	err = helm_render(in, &o, &msg);
	if (err && err != ERR_NOMEM && err != ERR_USAGE) {
		buf_append(&msg, "", 1);
		err = unknown_finding(out, n_out, &cap, "Chart.yaml",
				      msg.data ? (const char *)msg.data : "chart not readable", 1);
	} else {
		for (i = 0; !err && i < o.n; i++)
			err = scan_rendered(cs, &o.files[i], out, n_out, &cap);
	}
	buf_release(&msg);
	helm_output_release(&o);
	return err;
}
