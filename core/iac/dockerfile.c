/*
 * dockerfile.c - Dockerfiles into evaluable resources (iac.md §1, §9 DKR;
 * Dockerfile reference: parser directives, escape, line continuation,
 * exec and shell forms, heredocs, multi-stage builds, ARG before FROM).
 *
 * Each instruction becomes one resource whose type is the instruction name
 * in upper case and whose body holds what the checks need:
 *   FROM:   ref, image, tag, digest (absent when not written), kind
 *           ("image" | "stage" | "scratch"), alias; ${ARG} references in
 *           the image are resolved from ARG defaults in scope, else the
 *           ref/image/tag are UNKNOWN (iac.md §4)
 *   RUN:    text (the command, heredoc bodies included), commands (the
 *           first word of every simple command)
 *   USER:   user
 *   ADD, COPY: sources (arguments but flags and the destination)
 *   EXPOSE: ports
 *   ENV, ARG: vars, a list of {name, value}
 *   other:  args
 * and every build stage also becomes a "STAGE" resource (header: its FROM
 * line) with `final` (true for the last stage) and `user` (the last USER
 * of the stage, inherited from an earlier stage it builds on).
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err-t.h"
#include "core/base/limits.h"
#include "core/iac/iac-int.h"

#include <stdio.h>

/* Instructions are read into a struct of spans before any node is made. */
#define SEGS_MAX 64u

struct instr {
	const char *name;		/* instruction keyword as written */
	uint32_t name_len;
	const char *args;		/* arguments, continuations joined */
	uint32_t args_len;
	uint32_t line, end_line;
	uint32_t seg_off[SEGS_MAX];	/* where each joined physical line starts in args */
	uint32_t seg_line[SEGS_MAX];	/* and its line number */
	size_t nseg;
};

/* Physical line of a byte of args (continuation lines keep their own). */
static uint32_t line_at(const struct instr *in, const char *p)
{
	size_t off, k;
	uint32_t line = in->line;

	if (p < in->args || p > in->args + in->args_len)
		return in->line;
	off = (size_t)(p - in->args);
	for (k = 0; k < in->nseg && in->seg_off[k] <= off; k++)
		line = in->seg_line[k];
	return line;
}

static void seg_add(struct instr *in, size_t off, uint32_t line)
{
	if (in->nseg < SEGS_MAX) {
		in->seg_off[in->nseg] = (uint32_t)off;
		in->seg_line[in->nseg] = line;
		in->nseg++;
	}
}

struct arg_def {
	const char *name;
	uint32_t name_len;
	const char *value;		/* NULL: no default */
	uint32_t value_len;
};

struct dctx {
	struct iac_doc *doc;
	struct iac_arena *a;
	struct iac_diag *d;
	char escape;			/* '\\' or '`' (escape directive) */
	struct arg_def globals[64];	/* ARGs before the first FROM */
	size_t n_globals;
	const char *base;		/* file name for resource names */
	size_t base_len;
};

static int nomem(struct dctx *c, uint32_t line)
{
	return iac_diag_set(c->d, ERR_LIMIT, line, 1,
			    "limit: parse tree larger than %u bytes per input byte",
			    LIMIT_IAC_TREE_RATIO);
}

static bool ieq(const char *a, size_t n, const char *b)
{
	return iac_mem_ieq(a, n, b);
}

static bool span_ieq(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char x = a[i], y = b[i];

		if (x >= 'A' && x <= 'Z')
			x = (char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (char)(y + 32);
		if (x != y)
			return false;
	}
	return true;
}

static struct iac_node *str_node(struct dctx *c, const char *key, const char *s, size_t n,
				 uint32_t line)
{
	struct iac_node *v = iac_node_new(c->a, IAC_N_STR, line, 1);

	if (!v)
		return NULL;
	v->str = s;
	v->len = (uint32_t)n;
	if (key) {
		v->key = key;
		v->key_len = (uint32_t)strlen(key);
		v->key_line = line;
	}
	return v;
}

static struct iac_node *container(struct dctx *c, enum iac_kind k, const char *key, uint32_t line)
{
	struct iac_node *v = iac_node_new(c->a, k, line, 1);

	if (v && key) {
		v->key = key;
		v->key_len = (uint32_t)strlen(key);
		v->key_line = line;
	}
	return v;
}

static inline bool blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

/* Shell-ish word split: quotes group, the escape char escapes one byte.
 * Calls fn for each word (unquoted text, quotes kept out). Returns words. */
struct words {
	const char *w[256];		/* spans into a scratch copy */
	uint32_t l[256];
	const char *src[256];		/* where each word starts in the input */
	size_t n;
};

static int split_words(struct dctx *c, const char *s, size_t n, struct words *out, uint32_t line)
{
	char *o = iac_arena_alloc(c->a, n + 1);
	size_t i = 0, k = 0;

	out->n = 0;
	if (!o)
		return nomem(c, line);
	while (i < n && out->n < ARRAY_SIZE(out->w)) {
		char q = 0;
		size_t ws;

		while (i < n && (blank(s[i]) || s[i] == '\n'))
			i++;
		if (i >= n)
			break;
		ws = k;
		out->src[out->n] = s + i;
		while (i < n && (q || !(blank(s[i]) || s[i] == '\n'))) {
			if (q && s[i] == q) {
				q = 0;
				i++;
			} else if (!q && (s[i] == '"' || s[i] == '\'')) {
				q = s[i++];
			} else if (s[i] == c->escape && q != '\'' && i + 1 < n) {
				o[k++] = s[i + 1];
				i += 2;
			} else {
				o[k++] = s[i++];
			}
		}
		out->w[out->n] = o + ws;
		out->l[out->n] = (uint32_t)(k - ws);
		out->n++;
	}
	return 0;
}

/* Exec form: a JSON array of strings.  Returns the list or NULL (then the
 * shell form applies). */
static struct iac_node *exec_form(struct dctx *c, const char *s, size_t n, uint32_t line)
{
	struct iac_diag d = { 0 };
	struct iac_node *root = NULL, *e;

	if (!n || s[0] != '[')
		return NULL;
	if (iac_json_parse(c->a, s, n, line, 0, &root, &d) || !root || root->kind != IAC_N_LIST)
		return NULL;
	for (e = root->child; e; e = e->next) {
		if (e->kind != IAC_N_STR)
			return NULL;
		e->line = line;
	}
	return root;
}

static const struct arg_def *find_arg(const struct arg_def *defs, size_t n, const char *name,
				      size_t nl)
{
	size_t i;

	for (i = n; i-- > 0;)
		if (defs[i].name_len == nl && !memcmp(defs[i].name, name, nl))
			return &defs[i];
	return NULL;
}

/* Expands $X, ${X}, ${X:-d} from ARG defaults.  *unknown is set when a
 * variable has no value in scope. */
static char *expand(struct dctx *c, const char *s, size_t n, const struct arg_def *defs,
		    size_t ndefs, size_t *olen, bool *unknown, uint32_t line)
{
	struct buf b;
	size_t i = 0;
	char *r;

	*unknown = false;
	if (!memchr(s, '$', n)) {
		*olen = n;
		return (char *)s;
	}
	buf_init(&b, LIMIT_IAC_TOKEN_BYTES);
	while (i < n) {
		size_t ns, nl, dflt = 0, dl = 0;
		const struct arg_def *a;
		bool brace, has_dflt = false;

		if (s[i] != '$' || i + 1 >= n) {
			if (buf_append(&b, s + i, 1))
				goto fail;
			i++;
			continue;
		}
		brace = s[i + 1] == '{';
		ns = i + 1 + brace;
		for (nl = 0; ns + nl < n && (s[ns + nl] == '_' || (s[ns + nl] >= 'A' && s[ns + nl] <= 'Z') ||
					   (s[ns + nl] >= 'a' && s[ns + nl] <= 'z') ||
					   (s[ns + nl] >= '0' && s[ns + nl] <= '9')); nl++)
			;
		i = ns + nl;
		if (brace) {
			if (i + 1 < n && s[i] == ':' && (s[i + 1] == '-' || s[i + 1] == '+')) {
				has_dflt = s[i + 1] == '-';
				dflt = i + 2;
				while (i < n && s[i] != '}')
					i++;
				dl = i - dflt;
			}
			while (i < n && s[i] != '}')
				i++;
			if (i < n)
				i++;
		}
		a = find_arg(defs, ndefs, s + ns, nl);
		if (a && a->value) {
			if (buf_append(&b, a->value, a->value_len))
				goto fail;
		} else if (has_dflt) {
			if (buf_append(&b, s + dflt, dl))
				goto fail;
		} else {
			*unknown = true;
		}
	}
	r = iac_arena_strndup(c->a, (const char *)b.data, b.len);
	*olen = b.len;
	buf_release(&b);
	if (!r)
		nomem(c, line);
	return r;
fail:
	buf_release(&b);
	*unknown = true;
	*olen = n;
	return (char *)s;
}

/* NAME=value pairs (ENV a=b c="d e", ARG x=1) or the legacy "ENV k v". */
static int parse_vars(struct dctx *c, struct iac_node *body, const struct instr *in, bool env,
		      struct arg_def *defs, size_t *ndefs, size_t maxdefs)
{
	struct iac_node *list, *lt = NULL, *bt = NULL, *m, *mt;
	struct words w;
	size_t i;
	int err;

	if (!(list = container(c, IAC_N_LIST, "vars", in->line)))
		return nomem(c, in->line);
	if ((err = split_words(c, in->args, in->args_len, &w, in->line)))
		return err;
	for (i = 0; i < w.n; i++) {
		const char *eq = memchr(w.w[i], '=', w.l[i]);
		const char *name = w.w[i], *val = NULL;
		size_t nl = w.l[i], vl = 0;

		if (eq) {
			nl = (size_t)(eq - name);
			val = eq + 1;
			vl = w.l[i] - nl - 1;
		} else if (env && i == 0 && w.n > 1) {
			/* Legacy "ENV key value with spaces". */
			const char *sp = in->args;
			size_t k = 0;

			while (k < in->args_len && !blank(sp[k]))
				k++;
			while (k < in->args_len && blank(sp[k]))
				k++;
			val = sp + k;
			vl = in->args_len - k;
			i = w.n;
		}
		{
			uint32_t wl = line_at(in, w.src[i < w.n ? i : 0]);
			struct iac_node *nn, *vn;

			if (i >= w.n)	/* legacy form consumed the rest */
				wl = line_at(in, in->args);
			if (!(m = container(c, IAC_N_MAP, NULL, wl)))
				return nomem(c, in->line);
			mt = NULL;
			if (!(nn = str_node(c, "name", name, nl, wl)))
				return nomem(c, in->line);
			iac_node_append(m, &mt, nn);
			if (val) {
				if (!(vn = str_node(c, "value", val, vl, wl)))
					return nomem(c, in->line);
				iac_node_append(m, &mt, vn);
			}
		}
		iac_node_append(list, &lt, m);
		if (defs && *ndefs < maxdefs) {
			defs[*ndefs].name = name;
			defs[*ndefs].name_len = (uint32_t)nl;
			defs[*ndefs].value = val;
			defs[*ndefs].value_len = (uint32_t)vl;
			(*ndefs)++;
		}
	}
	iac_node_append(body, &bt, list);
	return 0;
}

/* First words of the simple commands of a shell command line. */
static int command_words(struct dctx *c, struct iac_node *list, struct iac_node **lt,
			 const char *s, size_t n, uint32_t line, const struct instr *in)
{
	static const char *const skip[] = { "if", "then", "else", "elif", "do", "while", "until",
					    "!", "time", "exec", "{", "(", "fi;", "done;" };
	size_t i = 0;
	bool start = true;

	while (i < n) {
		char q = 0;
		size_t ws;

		while (i < n && (blank(s[i]) || s[i] == '\n' || s[i] == c->escape)) {
			if (s[i] == '\n')
				start = true;	/* heredoc bodies: one command a line */
			i++;
		}
		if (i >= n)
			break;
		if (s[i] == '#' && start) {
			while (i < n && s[i] != '\n')
				i++;
			continue;
		}
		if (s[i] == ';' || s[i] == '|' || s[i] == '&' || s[i] == '(' || s[i] == ')') {
			start = true;
			i++;
			continue;
		}
		ws = i;
		while (i < n && (q || !(blank(s[i]) || s[i] == '\n' || s[i] == ';' || s[i] == '|' ||
				      s[i] == '&' || s[i] == ')'))) {
			if (q && s[i] == q)
				q = 0;
			else if (!q && (s[i] == '"' || s[i] == '\''))
				q = s[i];
			i++;
		}
		if (start) {
			size_t k, wl = i - ws;
			bool kw = false;

			if (memchr(s + ws, '=', wl) && s[ws] != '=' && s[ws] != '-')
				continue;	/* VAR=value prefix */
			if (wl >= 2 && s[ws] == '<' && s[ws + 1] == '<')
				continue;	/* heredoc marker: the body follows */
			for (k = 0; k < ARRAY_SIZE(skip); k++)
				if (strlen(skip[k]) == wl && !memcmp(skip[k], s + ws, wl))
					kw = true;
			if (kw)
				continue;
			{
				struct iac_node *wn = str_node(c, NULL, s + ws, wl,
							       in ? line_at(in, s + ws) : line);

				if (!wn)
					return nomem(c, line);
				iac_node_append(list, lt, wn);
			}
			start = false;
		}
	}
	return 0;
}

static int add_res(struct dctx *c, const char *type, struct iac_node *body, const struct instr *in,
		   uint32_t start, uint32_t end)
{
	struct iac_res r;

	memset(&r, 0, sizeof(r));
	r.type_len = (uint32_t)strlen(type);
	if (!(r.type = iac_arena_strndup(c->a, type, r.type_len)))
		return nomem(c, in->line);
	r.name = c->base;
	r.name_len = (uint32_t)c->base_len;
	r.body = body;
	r.line = in->line;
	r.col = 1;
	r.start_line = start;
	r.end_line = end;
	r.sup_line = in->line ? in->line - 1 : 0;
	return iac_doc_add_res(c->doc, &r);
}

struct stage {
	struct iac_node *body;		/* the STAGE resource body */
	struct iac_node *tail;
	const char *alias;
	uint32_t alias_len;
	struct iac_node *user;		/* last USER node, or inherited */
	size_t res;			/* index of its resource */
};

static int do_from(struct dctx *c, const struct instr *in, struct iac_node *body,
		   struct iac_node **bt, struct stage *stages, size_t nst, struct iac_node **inherit)
{
	struct words w;
	const char *ref = NULL, *alias = NULL;
	size_t rl = 0, al = 0, i, el;
	bool unknown = false;
	char *e;
	struct iac_node *v;
	int err;

	*inherit = NULL;
	if ((err = split_words(c, in->args, in->args_len, &w, in->line)))
		return err;
	for (i = 0; i < w.n; i++) {
		if (w.l[i] > 2 && w.w[i][0] == '-' && w.w[i][1] == '-')
			continue;
		if (!ref) {
			ref = w.w[i];
			rl = w.l[i];
		} else if (ieq(w.w[i], w.l[i], "as") && i + 1 < w.n) {
			alias = w.w[i + 1];
			al = w.l[i + 1];
			break;
		}
	}
	if (!ref)
		return iac_diag_set(c->d, ERR_SYNTAX, in->line, 1, "FROM without an image");
	e = expand(c, ref, rl, c->globals, c->n_globals, &el, &unknown, in->line);
	if (!e)
		return c->d->err;
	if (unknown) {
		if (!(v = container(c, IAC_N_UNKNOWN, "ref", in->line)))
			return nomem(c, in->line);
		v->str = ref;
		v->len = (uint32_t)rl;
		iac_node_append(body, bt, v);
		if (!(v = container(c, IAC_N_UNKNOWN, "image", in->line)))
			return nomem(c, in->line);
		v->str = ref;
		v->len = (uint32_t)rl;
		iac_node_append(body, bt, v);
		if (!(v = container(c, IAC_N_UNKNOWN, "tag", in->line)))
			return nomem(c, in->line);
		v->str = ref;
		v->len = (uint32_t)rl;
		iac_node_append(body, bt, v);
		if (!(v = str_node(c, "kind", "image", 5, in->line)))
			return nomem(c, in->line);
		iac_node_append(body, bt, v);
	} else {
		const char *at = memchr(e, '@', el), *colon = NULL;
		size_t nlen = at ? (size_t)(at - e) : el, k;
		const char *kind = "image";

		for (k = nlen; k-- > 0;) {
			if (e[k] == '/')
				break;
			if (e[k] == ':') {
				colon = e + k;
				break;
			}
		}
		if (!(v = str_node(c, "ref", e, el, in->line)))
			return nomem(c, in->line);
		iac_node_append(body, bt, v);
		if (!(v = str_node(c, "image", e, colon ? (size_t)(colon - e) : nlen, in->line)))
			return nomem(c, in->line);
		iac_node_append(body, bt, v);
		if (colon) {
			if (!(v = str_node(c, "tag", colon + 1, (size_t)(e + nlen - colon - 1), in->line)))
				return nomem(c, in->line);
			iac_node_append(body, bt, v);
		}
		if (at) {
			if (!(v = str_node(c, "digest", at + 1, (size_t)(e + el - at - 1), in->line)))
				return nomem(c, in->line);
			iac_node_append(body, bt, v);
		}
		if (ieq(e, el, "scratch")) {
			kind = "scratch";
		} else {
			for (k = 0; k < nst; k++) {
				if (stages[k].alias && stages[k].alias_len == el &&
				    span_ieq(stages[k].alias, e, el)) {
					kind = "stage";
					*inherit = stages[k].user;
					break;
				}
			}
		}
		if (!(v = str_node(c, "kind", kind, strlen(kind), in->line)))
			return nomem(c, in->line);
		iac_node_append(body, bt, v);
	}
	if (alias) {
		if (!(v = str_node(c, "alias", alias, al, in->line)))
			return nomem(c, in->line);
		iac_node_append(body, bt, v);
		stages[nst].alias = alias;
		stages[nst].alias_len = (uint32_t)al;
	}
	return 0;
}

/* Builds the resources of one instruction. */
static int do_instr(struct dctx *c, const struct instr *in, struct stage *stages, size_t *nst,
		    size_t maxst, struct arg_def *sargs, size_t *nsargs)
{
	char type[16];
	struct iac_node *body, *bt = NULL, *v, *list, *lt = NULL;
	struct words w;
	size_t i;
	int err;

	for (i = 0; i < in->name_len && i + 1 < sizeof(type); i++)
		type[i] = (char)((in->name[i] >= 'a' && in->name[i] <= 'z') ? in->name[i] - 32 : in->name[i]);
	type[i] = '\0';
	if (i != in->name_len)
		return iac_diag_set(c->d, ERR_SYNTAX, in->line, 1, "unknown instruction");
	if (!(body = container(c, IAC_N_MAP, NULL, in->line)))
		return nomem(c, in->line);
	body->end_line = in->end_line;
	if (!(v = str_node(c, "args", in->args, in->args_len, in->line)))
		return nomem(c, in->line);
	iac_node_append(body, &bt, v);

	if (!strcmp(type, "FROM")) {
		struct iac_node *inherit = NULL, *sb;
		struct stage *st;

		if (*nst >= maxst)
			return iac_diag_set(c->d, ERR_LIMIT, in->line, 1, "limit: more than %zu build stages",
					    maxst);
		st = &stages[*nst];
		memset(st, 0, sizeof(*st));
		if ((err = do_from(c, in, body, &bt, stages, *nst, &inherit)))
			return err;
		if (!(sb = container(c, IAC_N_MAP, NULL, in->line)))
			return nomem(c, in->line);
		st->body = sb;
		st->user = inherit;
		st->res = c->doc->n_res + 1;
		if ((err = add_res(c, "FROM", body, in, in->line, in->end_line)))
			return err;
		if ((err = add_res(c, "STAGE", sb, in, in->line, in->end_line)))
			return err;
		(*nst)++;
		*nsargs = 0;
		return 0;
	}
	if (!*nst && !strcmp(type, "ARG")) {
		/* Global ARG: in scope for FROM lines. */
		if ((err = parse_vars(c, body, in, false, c->globals, &c->n_globals, ARRAY_SIZE(c->globals))))
			return err;
		return add_res(c, "ARG", body, in, in->line, in->end_line);
	}
	if (!strcmp(type, "ARG") || !strcmp(type, "ENV")) {
		if ((err = parse_vars(c, body, in, type[0] == 'E', sargs, nsargs, 64)))
			return err;
	} else if (!strcmp(type, "RUN")) {
		struct iac_node *ex = exec_form(c, in->args, in->args_len, in->line);
		const char *text = in->args;
		size_t tl = in->args_len;

		if (!(list = container(c, IAC_N_LIST, "commands", in->line)))
			return nomem(c, in->line);
		if (ex) {
			struct iac_node *e0 = ex->child, *e2;

			if (e0 && e0->next && e0->next->next && iac_str_eq(e0->next, "-c") &&
			    (iac_str_eq(e0, "sh") || iac_str_eq(e0, "/bin/sh") || iac_str_eq(e0, "bash") ||
			     iac_str_eq(e0, "/bin/bash"))) {
				e2 = e0->next->next;
				text = e2->str;
				tl = e2->len;
				if ((err = command_words(c, list, &lt, text, tl, in->line, NULL)))
					return err;
			} else if (e0) {
				if (!(v = str_node(c, NULL, e0->str, e0->len, in->line)))
					return nomem(c, in->line);
				iac_node_append(list, &lt, v);
			}
		} else {
			/* Skip RUN flags (--mount=..., --network=...). */
			while (tl > 2 && text[0] == '-' && text[1] == '-') {
				size_t k = 0;

				while (k < tl && !blank(text[k]) && text[k] != '\n')
					k++;
				while (k < tl && (blank(text[k]) || text[k] == '\n'))
					k++;
				text += k;
				tl -= k;
			}
			if ((err = command_words(c, list, &lt, text, tl, in->line, in)))
				return err;
		}
		if (!(v = str_node(c, "text", text, tl, in->line)))
			return nomem(c, in->line);
		iac_node_append(body, &bt, v);
		iac_node_append(body, &bt, list);
	} else if (!strcmp(type, "USER")) {
		if ((err = split_words(c, in->args, in->args_len, &w, in->line)))
			return err;
		if (w.n) {
			if (!(v = str_node(c, "user", w.w[0], w.l[0], in->line)))
				return nomem(c, in->line);
			iac_node_append(body, &bt, v);
			if (*nst)
				stages[*nst - 1].user = v;
		}
	} else if (!strcmp(type, "ADD") || !strcmp(type, "COPY") || !strcmp(type, "EXPOSE")) {
		const char *a = in->args;
		size_t al = in->args_len, k;
		struct iac_node *ex, *e;
		bool expose = type[0] == 'E';
		size_t last;

		/* --chown=... --link: the exec form follows the flags. */
		while (al > 2 && a[0] == '-' && a[1] == '-') {
			for (k = 0; k < al && !blank(a[k]) && a[k] != '\n'; k++)
				;
			while (k < al && (blank(a[k]) || a[k] == '\n'))
				k++;
			a += k;
			al -= k;
		}
		ex = exec_form(c, a, al, in->line);

		if (!(list = container(c, IAC_N_LIST, expose ? "ports" : "sources", in->line)))
			return nomem(c, in->line);
		if (ex) {
			for (e = ex->child; e; e = e->next) {
				if (!expose && !e->next)
					break;	/* destination */
				if (!(v = str_node(c, NULL, e->str, e->len, in->line)))
					return nomem(c, in->line);
				iac_node_append(list, &lt, v);
			}
		} else {
			if ((err = split_words(c, in->args, in->args_len, &w, in->line)))
				return err;
			last = expose ? w.n : (w.n ? w.n - 1 : 0);
			for (i = 0; i < last; i++) {
				if (!expose && w.l[i] > 2 && w.w[i][0] == '-' && w.w[i][1] == '-')
					continue;
				if (!expose && w.l[i] >= 2 && w.w[i][0] == '<' && w.w[i][1] == '<')
					continue;	/* heredoc source: inline content */
				if (!(v = str_node(c, NULL, w.w[i], w.l[i], line_at(in, w.src[i]))))
					return nomem(c, in->line);
				iac_node_append(list, &lt, v);
			}
		}
		iac_node_append(body, &bt, list);
	}
	if ((err = add_res(c, type, body, in, in->line, in->end_line)))
		return err;
	if (*nst) {
		struct stage *st = &stages[*nst - 1];

		st->body->end_line = in->end_line;
		c->doc->res[st->res].end_line = in->end_line;
	}
	return 0;
}

/* Parser directives: "# name=value" lines before anything else. */
static size_t directives(struct dctx *c, const char *s, size_t len, uint32_t *line)
{
	size_t i = 0;

	while (i < len) {
		size_t e = i, k;

		while (e < len && s[e] != '\n')
			e++;
		k = i;
		while (k < e && blank(s[k]))
			k++;
		if (k >= e || s[k] != '#')
			break;
		k++;
		while (k < e && blank(s[k]))
			k++;
		if (e - k >= 7 && ieq(s + k, 6, "escape") && (s[k + 6] == '=' || blank(s[k + 6]))) {
			size_t v = k + 6;

			while (v < e && (blank(s[v]) || s[v] == '='))
				v++;
			if (v < e && (s[v] == '`' || s[v] == '\\'))
				c->escape = s[v];
		} else if (!memchr(s + k, '=', e - k)) {
			break;	/* an ordinary comment ends the directives */
		}
		i = e < len ? e + 1 : e;
		(*line)++;
	}
	return i;
}

int iac_docker_build(struct iac_doc *doc)
{
	const char *s = doc->text;
	size_t len = doc->len, i;
	uint32_t line = 1;
	struct dctx c = { .doc = doc, .a = &doc->arena, .d = &doc->diag, .escape = '\\' };
	struct stage stages[128];
	struct arg_def sargs[64];
	size_t nst = 0, nsargs = 0;
	int err;

	c.base = "Dockerfile";
	c.base_len = 10;
	if (doc->path && *doc->path) {
		const char *b = strrchr(doc->path, '/');

		c.base = b ? b + 1 : doc->path;
		c.base_len = strlen(c.base);
	}
	i = directives(&c, s, len, &line);
	if (len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3) && i == 0)
		i = 3;
	while (i < len) {
		struct instr in;
		size_t ls = i, e, k, ns;
		struct buf joined;
		bool multi = false;

		/* One physical line. */
		for (e = i; e < len && s[e] != '\n'; e++)
			;
		k = ls;
		while (k < e && blank(s[k]))
			k++;
		if (k >= e || s[k] == '#') {
			i = e + 1;
			line++;
			continue;
		}
		memset(&in, 0, sizeof(in));
		in.line = line;
		ns = k;
		while (k < e && !blank(s[k]))
			k++;
		in.name = s + ns;
		in.name_len = (uint32_t)(k - ns);
		while (k < e && blank(s[k]))
			k++;
		/* Continuations: the escape char ending a line (blanks after it
		 * allowed); comment lines inside are dropped. */
		buf_init(&joined, LIMIT_IAC_TOKEN_BYTES);
		for (;;) {
			size_t te = e;

			while (te > k && blank(s[te - 1]))
				te--;
			if (te > k && s[te - 1] == c.escape) {
				multi = true;
				seg_add(&in, joined.len, line);
				if (buf_append(&joined, s + k, te - 1 - k) || buf_append(&joined, " ", 1)) {
					buf_release(&joined);
					return iac_diag_set(&doc->diag, ERR_LIMIT, in.line, 1,
							    "limit: token longer than %u bytes",
							    LIMIT_IAC_TOKEN_BYTES);
				}
				i = e + 1;
				line++;
				if (i >= len)
					break;
				for (e = i; e < len && s[e] != '\n'; e++)
					;
				k = i;
				while (k < e && blank(s[k]))
					k++;
				while (k < e && s[k] == '#' && e < len) {
					/* comment line inside a continuation */
					i = e + 1;
					line++;
					for (e = i; e < len && s[e] != '\n'; e++)
						;
					k = i;
					while (k < e && blank(s[k]))
						k++;
				}
				continue;
			}
			if (multi) {
				seg_add(&in, joined.len, line);
				if (buf_append(&joined, s + k, te - k)) {
					buf_release(&joined);
					return iac_diag_set(&doc->diag, ERR_LIMIT, in.line, 1,
							    "limit: token longer than %u bytes",
							    LIMIT_IAC_TOKEN_BYTES);
				}
			} else {
				in.args = s + k;
				in.args_len = (uint32_t)(te - k);
			}
			break;
		}
		in.end_line = line;
		i = e + 1;
		line++;
		if (multi) {
			in.args = iac_arena_strndup(&doc->arena, (const char *)joined.data, joined.len);
			in.args_len = (uint32_t)joined.len;
			buf_release(&joined);
			if (!in.args)
				return nomem(&c, in.line);
		} else {
			buf_release(&joined);
		}
		/* BuildKit heredocs: <<EOF / <<-EOF / <<"EOF" on RUN, COPY, ADD. */
		{
			const char *h = in.args_len >= 3 ? memmem(in.args, in.args_len, "<<", 2) : NULL;

			if (h && (ieq(in.name, in.name_len, "RUN") || ieq(in.name, in.name_len, "COPY") ||
				  ieq(in.name, in.name_len, "ADD"))) {
				const char *m = h + 2, *end = in.args + in.args_len;
				size_t ml;
				struct buf body;

				if (m < end && *m == '-')
					m++;
				if (m < end && (*m == '"' || *m == '\''))
					m++;
				for (ml = 0; m + ml < end && (m[ml] == '_' || (m[ml] >= 'A' && m[ml] <= 'Z') ||
							     (m[ml] >= 'a' && m[ml] <= 'z') ||
							     (m[ml] >= '0' && m[ml] <= '9')); ml++)
					;
				if (ml) {
					buf_init(&body, LIMIT_IAC_TOKEN_BYTES);
					if (buf_append(&body, in.args, in.args_len)) {
						buf_release(&body);
						return nomem(&c, in.line);
					}
					while (i < len) {
						for (e = i; e < len && s[e] != '\n'; e++)
							;
						k = i;
						while (k < e && blank(s[k]))
							k++;
						{
							size_t te = e;

							while (te > k && blank(s[te - 1]))
								te--;
							i = e + 1;
							in.end_line = line;
							line++;
							if (te - k == ml && !memcmp(s + k, m, ml))
								break;
							if (!in.nseg)
								seg_add(&in, 0, in.line);
							seg_add(&in, body.len + 1, line - 1);
							if (buf_append(&body, "\n", 1) || buf_append(&body, s + k, te - k)) {
								buf_release(&body);
								return iac_diag_set(&doc->diag, ERR_LIMIT, in.line, 1,
										    "limit: token longer than %u bytes",
										    LIMIT_IAC_TOKEN_BYTES);
							}
						}
					}
					in.args = iac_arena_strndup(&doc->arena, (const char *)body.data, body.len);
					in.args_len = (uint32_t)body.len;
					buf_release(&body);
					if (!in.args)
						return nomem(&c, in.line);
				}
			}
		}
		if ((err = do_instr(&c, &in, stages, &nst, ARRAY_SIZE(stages), sargs, &nsargs)))
			return err;
	}
	/* STAGE bodies: user (last USER, maybe inherited) and final. */
	for (i = 0; i < nst; i++) {
		struct iac_node *v;

		if (stages[i].user) {
			if (!(v = str_node(&c, "user", stages[i].user->str, stages[i].user->len,
					   stages[i].user->line)))
				return nomem(&c, line);
			iac_node_append(stages[i].body, &stages[i].tail, v);
		}
		if (!(v = iac_node_new(c.a, IAC_N_BOOL, doc->res[stages[i].res].line, 1)))
			return nomem(&c, line);
		v->key = "final";
		v->key_len = 5;
		v->key_line = v->line;
		if (i + 1 == nst)
			v->flags |= IAC_F_TRUE;
		iac_node_append(stages[i].body, &stages[i].tail, v);
	}
	return 0;
}
