/*
 * bicep.c - Bicep files into the position-annotated tree, without the Bicep
 * compiler (iac.md §1: resource/param/var declarations, object bodies,
 * '${}' interpolation, decorators, comments, nested resources, parent:).
 *
 * Output: a MAP whose members are declarations, key = keyword ("resource",
 * "param", "var", "module", ...), each an IAC_F_BLOCK MAP with its labels
 * in aux (resource: symbol, 'Type@api'; param/var: name) and aux->line the
 * first decorator's line.  A resource's members are its body's properties
 * (ARM property names, so ARM bindings apply unchanged); nested resources
 * are members with key "resource".  A param's default is its member
 * "default", a var's value its member "value".  `if (...)` conditions and
 * `[for ...: {...}]` loops are looked through to the object.  Values other
 * than literals, objects, arrays and bare identifiers (which may name a
 * param or var) are UNKNOWN with their text; strings with ${...} are
 * flagged IAC_F_TEMPLATE.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err-t.h"
#include "core/base/limits.h"
#include "core/iac/iac-int.h"
#include "core/iac/lex-int.h"

enum bctx {
	B_LINE,		/* declaration value / object member: newline, '}' */
	B_ARRAY,	/* array item: newline, ',', ']' */
	B_INLINE,	/* one-line object member: ',' too */
};

static int skip_expr(struct iac_lex *p, enum bctx ctx);

/* '...' with ${...} interpolation, or '''...''' verbatim. */
static int skip_string(struct iac_lex *p, bool *interp, bool *esc)
{
	uint32_t l0 = p->line;
	size_t start = p->pos;
	int err;

	if (iac_lex_peek(p, 1) == '\'' && iac_lex_peek(p, 2) == '\'') {
		p->pos += 3;
		for (;;) {
			if (p->pos + 2 >= p->len)
				return iac_diag_set(p->d, ERR_SYNTAX, l0, 1, "unterminated ''' string");
			if (p->s[p->pos] == '\'' && p->s[p->pos + 1] == '\'' && p->s[p->pos + 2] == '\'') {
				p->pos += 3;
				break;
			}
			if (p->s[p->pos] == '\n')
				iac_lex_newline(p);
			else
				p->pos++;
		}
	} else {
		p->pos++;
		for (;;) {
			int c = iac_lex_cur(p);

			if (c < 0 || c == '\n')
				return iac_diag_set(p->d, ERR_SYNTAX, l0, 1, "unterminated string");
			if (c == '\'') {
				p->pos++;
				break;
			}
			if (c == '\\') {
				*esc = true;
				p->pos += 2;
				continue;
			}
			if (c == '$' && iac_lex_peek(p, 1) == '{') {
				*interp = true;
				p->pos += 2;
				if (++p->depth > LIMIT_IAC_DEPTH)
					return iac_lex_too_deep(p);
				if ((err = skip_expr(p, B_ARRAY)))
					return err;
				while (iac_lex_cur(p) == ',') {
					p->pos++;
					if ((err = skip_expr(p, B_ARRAY)))
						return err;
				}
				if (iac_lex_cur(p) != '}')
					return iac_lex_syntax(p, "unterminated interpolation");
				p->pos++;
				p->depth--;
				continue;
			}
			p->pos++;
		}
	}
	if (p->pos - start > LIMIT_IAC_TOKEN_BYTES)
		return iac_lex_too_long(p, l0);
	return 0;
}

/* Up to, not including, the terminator of ctx; brackets and strings
 * skipped whole (newlines inside brackets are blanks). */
static int skip_expr(struct iac_lex *p, enum bctx ctx)
{
	char stack[LIMIT_IAC_DEPTH];
	size_t sp = 0;
	bool x1 = false, x2 = false;
	int err;

	while (p->pos < p->len) {
		int c = iac_lex_cur(p);

		if (c == '\'') {
			if ((err = skip_string(p, &x1, &x2)))
				return err;
			continue;
		}
		if (iac_lex_at_line_comment(p)) {
			if (!sp)
				return 0;
			iac_lex_skip_line(p);
			continue;
		}
		if (c == '/' && iac_lex_peek(p, 1) == '*') {
			if ((err = iac_lex_skip_ws(p, false)))
				return err;
			continue;
		}
		if (c == '\n') {
			if (!sp)
				return 0;
			iac_lex_newline(p);
			continue;
		}
		if (c == '(' || c == '[' || c == '{' || c == ')' || c == ']' || c == '}') {
			if ((err = iac_lex_bracket(p, stack, &sp)) < 0)
				return err;
			if (err)
				return 0;	/* closes what encloses the expression */
			continue;
		}
		if (c == ',' && !sp && ctx != B_LINE)
			return 0;
		p->pos++;
	}
	if (sp)
		return iac_lex_syntax(p, "unexpected end of input in an expression");
	return 0;
}

static int skip_group(struct iac_lex *p)
{
	int close = iac_lex_cur(p) == '(' ? ')' : iac_lex_cur(p) == '[' ? ']' : '}';
	int err;

	if (++p->depth > LIMIT_IAC_DEPTH)
		return iac_lex_too_deep(p);
	p->pos++;
	for (;;) {
		if ((err = skip_expr(p, B_ARRAY)))
			return err;
		if (iac_lex_cur(p) == '\n') {
			iac_lex_newline(p);
			continue;
		}
		if (iac_lex_cur(p) == ',') {
			p->pos++;
			continue;
		}
		if (iac_lex_cur(p) != close)
			return iac_lex_syntax(p, iac_lex_cur(p) < 0 ? "unexpected end of input" :
								     "mismatched bracket");
		p->pos++;
		break;
	}
	p->depth--;
	return 0;
}

static int term_string(struct iac_lex *p, struct iac_node **out)
{
	uint32_t line = p->line, col = iac_lex_col(p);
	size_t start = p->pos;
	bool interp = false, esc = false, triple = iac_lex_peek(p, 1) == '\'' && iac_lex_peek(p, 2) == '\'';
	struct iac_node *n;
	int err;

	if ((err = skip_string(p, &interp, &esc)))
		return err;
	if (!(n = iac_lex_node(p, IAC_N_STR, line, col)))
		return p->d->err;
	n->flags |= IAC_F_QUOTED;
	n->end_line = p->line;
	if (triple) {
		n->str = p->s + start + 3;
		n->len = (uint32_t)(p->pos - start - 6);
	} else {
		n->str = p->s + start + 1;
		n->len = (uint32_t)(p->pos - start - 2);
	}
	if (interp) {
		n->flags |= IAC_F_TEMPLATE;
	} else if (esc) {
		char *o = iac_arena_alloc(p->a, n->len + 1);
		uint32_t i, k = 0;

		if (!o)
			return iac_lex_nomem(p);
		for (i = 0; i < n->len; i++) {
			char c = n->str[i];

			if (c == '\\' && i + 1 < n->len) {
				c = n->str[++i];
				if (c == 'n')
					c = '\n';
				else if (c == 't')
					c = '\t';
				else if (c == 'r')
					c = '\r';
			}
			o[k++] = c;
		}
		n->str = o;
		n->len = k;
	}
	*out = n;
	return 0;
}

static int parse_value(struct iac_lex *p, enum bctx ctx, struct iac_node **out);

static int at_end(struct iac_lex *p, enum bctx ctx, bool *yes)
{
	int err, c;

	if ((err = iac_lex_skip_ws(p, false)))
		return err;
	c = iac_lex_cur(p);
	*yes = c < 0 || c == '\n' || iac_lex_at_line_comment(p) ||
	       (ctx == B_LINE && c == '}') ||
	       (ctx == B_INLINE && (c == ',' || c == '}')) ||
	       (ctx == B_ARRAY && (c == ',' || c == ']'));
	return 0;
}

static int parse_decl(struct iac_lex *p, struct iac_node *parent, struct iac_node **tail,
		      uint32_t deco_line);

/* Blanks, newlines, comments and the commas that may separate members or
 * items. */
static int skip_separators(struct iac_lex *p)
{
	int err;

	if ((err = iac_lex_skip_ws(p, true)))
		return err;
	while (iac_lex_cur(p) == ',') {
		p->pos++;
		if ((err = iac_lex_skip_ws(p, true)))
			return err;
	}
	return 0;
}

/* Decorators (@name.name(...)) and what follows them up to the next
 * token; *deco becomes the line of the first one, unless already set. */
static int skip_decorators(struct iac_lex *p, uint32_t *deco)
{
	int err;

	while (iac_lex_cur(p) == '@') {
		if (!*deco)
			*deco = p->line;
		p->pos++;
		while (iac_lex_id_char(iac_lex_cur(p)) || iac_lex_cur(p) == '.')
			p->pos++;
		if (iac_lex_cur(p) == '(' && (err = skip_group(p)))
			return err;
		if ((err = iac_lex_skip_ws(p, true)))
			return err;
	}
	return 0;
}

/* { key: value ... } with nested resource declarations. */
static int parse_object(struct iac_lex *p, struct iac_node *n)
{
	struct iac_node *tail = NULL, *v;
	int err;

	if (++p->depth > LIMIT_IAC_DEPTH)
		return iac_lex_too_deep(p);
	p->pos++;
	for (;;) {
		const char *key;
		uint32_t klen, kline, deco = 0;

		if ((err = skip_separators(p)))
			return err;
		if (iac_lex_cur(p) == '}') {
			n->end_line = p->line;
			p->pos++;
			break;
		}
		if (iac_lex_cur(p) < 0)
			return iac_lex_syntax(p, "unexpected end of input in an object");
		if ((err = skip_decorators(p, &deco)))	/* decorators on members */
			return err;
		kline = p->line;
		if (iac_lex_cur(p) == '\'') {
			struct iac_node *ks;

			if ((err = term_string(p, &ks)))
				return err;
			key = ks->str;
			klen = ks->len;
		} else if (iac_lex_id_start(iac_lex_cur(p))) {
			size_t ks = p->pos;

			while (iac_lex_id_char(iac_lex_cur(p)))
				p->pos++;
			key = p->s + ks;
			klen = (uint32_t)(p->pos - ks);
			if (klen == 8 && !memcmp(key, "resource", 8) &&
			    (iac_lex_cur(p) == ' ' || iac_lex_cur(p) == '\t')) {
				p->pos = ks;
				if ((err = parse_decl(p, n, &tail, deco ? deco : kline)))
					return err;
				continue;
			}
		} else {
			return iac_lex_syntax(p, "expected a property name");
		}
		if ((err = iac_lex_skip_ws(p, false)))
			return err;
		if (iac_lex_cur(p) != ':')
			return iac_lex_syntax(p, "expected ':' after a property name");
		p->pos++;
		if ((err = iac_lex_skip_ws(p, false)))
			return err;
		if ((err = parse_value(p, B_INLINE, &v)))
			return err;
		v->key = key;
		v->key_len = klen;
		v->key_line = kline;
		iac_node_append(n, &tail, v);
	}
	p->depth--;
	return 0;
}

static int parse_array(struct iac_lex *p, struct iac_node *n)
{
	struct iac_node *tail = NULL, *v;
	int err;

	if (++p->depth > LIMIT_IAC_DEPTH)
		return iac_lex_too_deep(p);
	p->pos++;
	for (;;) {
		if ((err = skip_separators(p)))
			return err;
		if (iac_lex_cur(p) == ']') {
			n->end_line = p->line;
			p->pos++;
			break;
		}
		if (iac_lex_cur(p) < 0)
			return iac_lex_syntax(p, "unexpected end of input in an array");
		if ((err = parse_value(p, B_ARRAY, &v)))
			return err;
		iac_node_append(n, &tail, v);
	}
	p->depth--;
	return 0;
}

static bool kw_at(const struct iac_lex *p, const char *kw)
{
	size_t l = strlen(kw);

	return p->len - p->pos > l && !memcmp(p->s + p->pos, kw, l) &&
	       !iac_lex_id_char((unsigned char)p->s[p->pos + l]);
}

static int parse_term(struct iac_lex *p, struct iac_node **out)
{
	uint32_t line = p->line, col = iac_lex_col(p);
	size_t start = p->pos;
	struct iac_node *n;
	int c = iac_lex_cur(p), err;

	*out = NULL;
	if (c == '\'')
		return term_string(p, out);
	if (c == '{' || c == '[') {
		if (c == '[') {
			size_t save = p->pos, sbol = p->bol;
			uint32_t sline = p->line;

			p->pos++;
			if ((err = iac_lex_skip_ws(p, true)))
				return err;
			if (kw_at(p, "for")) {
				p->pos = save;
				p->line = sline;
				p->bol = sbol;
				if ((err = skip_group(p)))
					return err;
				if (!(n = iac_lex_node(p, IAC_N_UNKNOWN, line, col)))
					return p->d->err;
				n->str = p->s + start;
				n->len = (uint32_t)(p->pos - start);
				n->end_line = p->line;
				*out = n;
				return 0;
			}
			p->pos = save;
			p->line = sline;
			p->bol = sbol;
		}
		if (!(n = iac_lex_node(p, c == '{' ? IAC_N_MAP : IAC_N_LIST, line, col)))
			return p->d->err;
		err = c == '{' ? parse_object(p, n) : parse_array(p, n);
		if (err)
			return err;
		*out = n;
		return 0;
	}
	if ((c >= '0' && c <= '9') || (c == '-' && iac_lex_peek(p, 1) >= '0' && iac_lex_peek(p, 1) <= '9')) {
		p->pos++;
		while ((iac_lex_cur(p) >= '0' && iac_lex_cur(p) <= '9') || iac_lex_cur(p) == '.')
			p->pos++;
		if (!(n = iac_lex_node(p, IAC_N_NUM, line, col)))
			return p->d->err;
	} else if (iac_lex_id_start(c)) {
		while (iac_lex_id_char(iac_lex_cur(p)))
			p->pos++;
		if (p->pos - start == 4 && !memcmp(p->s + start, "true", 4)) {
			if (!(n = iac_lex_node(p, IAC_N_BOOL, line, col)))
				return p->d->err;
			n->flags |= IAC_F_TRUE;
		} else if (p->pos - start == 5 && !memcmp(p->s + start, "false", 5)) {
			if (!(n = iac_lex_node(p, IAC_N_BOOL, line, col)))
				return p->d->err;
		} else if (p->pos - start == 4 && !memcmp(p->s + start, "null", 4)) {
			if (!(n = iac_lex_node(p, IAC_N_NULL, line, col)))
				return p->d->err;
		} else {
			/* A bare identifier may name a param or var; anything
			 * after it (call, member access) makes it UNKNOWN. */
			if (!(n = iac_lex_node(p, IAC_N_EXPR, line, col)))
				return p->d->err;
		}
	} else {
		return 0;
	}
	n->str = p->s + start;
	n->len = (uint32_t)(p->pos - start);
	*out = n;
	return 0;
}

static int parse_value(struct iac_lex *p, enum bctx ctx, struct iac_node **out)
{
	uint32_t line = p->line, col = iac_lex_col(p);
	size_t start = p->pos, sbol = p->bol;
	struct iac_node *n = NULL;
	bool end = false;
	int err;

	if ((err = parse_term(p, &n)))
		return err;
	if (n && (err = at_end(p, ctx, &end)))
		return err;
	if (n && end) {
		*out = n;
		return 0;
	}
	if (!n) {
		p->pos = start;
		p->line = line;
		p->bol = sbol;
	}
	if ((err = skip_expr(p, ctx)))
		return err;
	if (p->pos == start)
		return iac_lex_syntax(p, "expected a value");
	if (!(n = iac_lex_node(p, IAC_N_UNKNOWN, line, col)))
		return p->d->err;
	n->str = p->s + start;
	n->len = (uint32_t)(p->pos - start);
	while (n->len && (n->str[n->len - 1] == ' ' || n->str[n->len - 1] == '\t' ||
			  n->str[n->len - 1] == '\r'))
		n->len--;
	n->end_line = p->line;
	*out = n;
	return 0;
}

static int add_label(struct iac_lex *p, struct iac_node *labels, struct iac_node **lt,
		     const char *s, size_t n, uint32_t line, uint32_t col)
{
	struct iac_node *l = iac_lex_node(p, IAC_N_STR, line, col);

	if (!l)
		return p->d->err;
	l->str = s;
	l->len = (uint32_t)n;
	iac_node_append(labels, lt, l);
	return 0;
}

/* A resource body after '=': [if (...)] {...}, or [for ...: [if (...)] {...}]. */
static int parse_resource_body(struct iac_lex *p, struct iac_node *decl)
{
	bool loop = false;
	int err;

	if (iac_lex_cur(p) == '[') {
		/* Skip "[for x in y:" up to the ':' at this level. */
		int depth = 0;
		bool x1 = false, x2 = false;

		loop = true;
		p->pos++;
		for (;;) {
			int c = iac_lex_cur(p);

			if (c < 0)
				return iac_lex_syntax(p, "unterminated resource loop");
			if (c == '\'') {
				if ((err = skip_string(p, &x1, &x2)))
					return err;
				continue;
			}
			if (c == '\n') {
				iac_lex_newline(p);
				continue;
			}
			if (c == '(' || c == '[' || c == '{') {
				if (++depth > (int)LIMIT_IAC_DEPTH)
					return iac_lex_too_deep(p);
			} else if (c == ')' || c == ']' || c == '}') {
				depth--;
			} else if (c == ':' && !depth) {
				p->pos++;
				break;
			}
			p->pos++;
		}
		if ((err = iac_lex_skip_ws(p, true)))
			return err;
	}
	if (kw_at(p, "if")) {
		p->pos += 2;
		if ((err = iac_lex_skip_ws(p, true)))
			return err;
		if (iac_lex_cur(p) != '(')
			return iac_lex_syntax(p, "expected '(' after if");
		if ((err = skip_group(p)))
			return err;
		if ((err = iac_lex_skip_ws(p, true)))
			return err;
	}
	if (iac_lex_cur(p) != '{')
		return iac_lex_syntax(p, "expected a resource body");
	if ((err = parse_object(p, decl)))
		return err;
	if (loop) {
		if ((err = iac_lex_skip_ws(p, true)))
			return err;
		if (iac_lex_cur(p) != ']')
			return iac_lex_syntax(p, "expected ']' after a resource loop body");
		p->pos++;
	}
	return 0;
}

/* keyword ... at p->pos; appends the declaration to parent. */
static int parse_decl(struct iac_lex *p, struct iac_node *parent, struct iac_node **tail,
		      uint32_t deco_line)
{
	uint32_t line = p->line, col = iac_lex_col(p);
	size_t ks = p->pos, kl;
	struct iac_node *decl, *labels, *lt = NULL, *v;
	int err;

	while (iac_lex_id_char(iac_lex_cur(p)))
		p->pos++;
	kl = p->pos - ks;
	if (!(decl = iac_lex_node(p, IAC_N_MAP, line, col)) ||
	    !(labels = iac_lex_node(p, IAC_N_LIST, deco_line, 1)))
		return p->d->err;
	decl->flags |= IAC_F_BLOCK;
	decl->aux = labels;
	decl->key = p->s + ks;
	decl->key_len = (uint32_t)kl;
	decl->key_line = line;
	if ((err = iac_lex_skip_ws(p, false)))
		return err;
	if ((kl == 8 && !memcmp(p->s + ks, "resource", 8)) || (kl == 6 && !memcmp(p->s + ks, "module", 6))) {
		struct iac_node *ts;
		size_t ns = p->pos;

		while (iac_lex_id_char(iac_lex_cur(p)))
			p->pos++;
		if (p->pos == ns)
			return iac_lex_syntax(p, "expected a symbolic name");
		if ((err = add_label(p, labels, &lt, p->s + ns, p->pos - ns, line, col)))
			return err;
		if ((err = iac_lex_skip_ws(p, false)))
			return err;
		if (iac_lex_cur(p) != '\'')
			return iac_lex_syntax(p, "expected a quoted type");
		if ((err = term_string(p, &ts)))
			return err;
		iac_node_append(labels, &lt, ts);
		if ((err = iac_lex_skip_ws(p, false)))
			return err;
		if (kw_at(p, "existing")) {
			decl->flags |= IAC_F_EXISTING;
			p->pos += 8;
			if ((err = iac_lex_skip_ws(p, false)))
				return err;
		}
		if (iac_lex_cur(p) != '=')
			return iac_lex_syntax(p, "expected '='");
		p->pos++;
		if ((err = iac_lex_skip_ws(p, true)))
			return err;
		if ((err = parse_resource_body(p, decl)))
			return err;
	} else if ((kl == 5 && !memcmp(p->s + ks, "param", 5)) || (kl == 3 && !memcmp(p->s + ks, "var", 3))) {
		bool param = kl == 5;
		size_t ns = p->pos;
		struct iac_node *dtail = NULL;

		while (iac_lex_id_char(iac_lex_cur(p)))
			p->pos++;
		if (p->pos == ns)
			return iac_lex_syntax(p, "expected a name");
		if ((err = add_label(p, labels, &lt, p->s + ns, p->pos - ns, line, col)))
			return err;
		if (param) {
			/* The type, up to '=' or the end of the line. */
			char stack[LIMIT_IAC_DEPTH];
			size_t sp = 0;
			bool x1 = false, x2 = false;

			for (;;) {
				int c = iac_lex_cur(p);

				if (c < 0 || (!sp && (c == '\n' || c == '=' || iac_lex_at_line_comment(p))))
					break;
				if (c == '\'') {
					if ((err = skip_string(p, &x1, &x2)))
						return err;
					continue;
				}
				if (c == '\n') {
					iac_lex_newline(p);
					continue;
				}
				if (c == '{' || c == '[' || c == '(') {
					if (sp >= sizeof(stack))
						return iac_lex_too_deep(p);
					stack[sp++] = (char)c;
				} else if ((c == '}' || c == ']' || c == ')') && sp) {
					sp--;
				}
				p->pos++;
			}
		} else if ((err = iac_lex_skip_ws(p, false))) {
			return err;
		}
		if (iac_lex_cur(p) == '=') {
			p->pos++;
			if ((err = iac_lex_skip_ws(p, false)))
				return err;
			if ((err = parse_value(p, B_LINE, &v)))
				return err;
			v->key = param ? "default" : "value";
			v->key_len = param ? 7 : 5;
			v->key_line = line;
			iac_node_append(decl, &dtail, v);
		}
	} else {
		/* output, type, func, import, metadata, targetScope, ...:
		 * skip the rest of the statement. */
		if ((err = skip_expr(p, B_LINE)))
			return err;
	}
	decl->end_line = p->line;
	iac_node_append(parent, tail, decl);
	return 0;
}

int iac_bicep_parse(struct iac_arena *a, const char *s, size_t len,
		    struct iac_node **root, struct iac_diag *d)
{
	struct iac_lex p;
	struct iac_node *top, *tail = NULL;
	int err;

	*root = NULL;
	iac_lex_init(&p, s, len, false, a, d);
	if (!(top = iac_lex_node(&p, IAC_N_MAP, 1, 1)))
		return d->err;
	for (;;) {
		uint32_t deco = 0;

		if ((err = iac_lex_skip_ws(&p, true)))
			return err;
		if (iac_lex_cur(&p) < 0)
			break;
		if ((err = skip_decorators(&p, &deco)))
			return err;
		if (!iac_lex_id_start(iac_lex_cur(&p)))
			return iac_lex_syntax(&p, "expected a declaration");
		if ((err = parse_decl(&p, top, &tail, deco ? deco : p.line)))
			return err;
		if ((err = iac_lex_skip_ws(&p, false)))
			return err;
		if (iac_lex_cur(&p) >= 0 && iac_lex_cur(&p) != '\n')
			return iac_lex_syntax(&p, "expected a newline after a declaration");
	}
	*root = top;
	return 0;
}
