/*
 * hcl.c - Terraform's HCL2 native syntax into the position-annotated tree
 * (iac.md §1; HashiCorp's "HCL Native Syntax Specification").
 *
 * Kept as values: literals, quoted strings, heredocs (<<EOF, <<-EOF),
 * tuples, objects, and jsonencode({...}) (parsed as the object it
 * encodes, for IAM policies).  Kept as expressions that may resolve later:
 * traversals such as var.x, local.y, aws_s3_bucket.b.id, and a string that
 * is exactly "${traversal}".  Everything else (function calls, operators,
 * conditionals, for-expressions, splats, templates mixing text and
 * interpolation) is skipped with bracket, string, heredoc and comment
 * awareness and kept as UNKNOWN with its text, or as a string flagged
 * IAC_F_TEMPLATE.  Blocks become map members whose key is the block type,
 * with their labels in aux and IAC_F_BLOCK set; repeated blocks stay
 * repeated members.
 *
 * Recursion follows the input's nesting and is capped at LIMIT_IAC_DEPTH.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err-t.h"
#include "core/base/limits.h"
#include "core/iac/iac-int.h"
#include "core/iac/lex-int.h"

enum ctx {
	CTX_BODY,	/* attribute value: ends at newline, '}' or a comment */
	CTX_OBJECT,	/* object item value: newline, ',', '}' or a comment */
	CTX_TUPLE,	/* tuple element: ',' or ']'; newlines are blanks */
	CTX_PAREN,	/* function argument: ',' or ')'; newlines are blanks */
};

/* HCL identifiers may contain '-' (resource names, attribute keys). */
static inline bool id_char(int c)
{
	return iac_lex_id_char(c) || c == '-';
}

static int skip_interp(struct iac_lex *p);

/* A quoted template at p->pos ('"').  Sets *interp when it holds ${ or %{
 * and *esc when it needs unescaping. */
static int skip_string(struct iac_lex *p, bool *interp, bool *esc)
{
	uint32_t l0 = p->line;
	size_t start = p->pos;
	int err;

	p->pos++;
	for (;;) {
		int c = iac_lex_cur(p);

		if (c < 0 || c == '\n')
			return iac_diag_set(p->d, ERR_SYNTAX, l0, (uint32_t)(start - p->bol + 1),
					    "unterminated string");
		if (c == '"') {
			p->pos++;
			break;
		}
		if (c == '\\') {
			*esc = true;
			p->pos += 2;
			continue;
		}
		if ((c == '$' || c == '%') && iac_lex_peek(p, 1) == c && iac_lex_peek(p, 2) == '{') {
			*esc = true;	/* $${ and %%{ are literal ${ and %{ */
			p->pos += 3;
			continue;
		}
		if ((c == '$' || c == '%') && iac_lex_peek(p, 1) == '{') {
			*interp = true;
			p->pos += 2;
			if ((err = skip_interp(p)))
				return err;
			continue;
		}
		p->pos++;
	}
	if (p->pos - start > LIMIT_IAC_TOKEN_BYTES)
		return iac_lex_too_long(p, l0);
	return 0;
}

/* Heredoc at p->pos ("<<").  On success cs and ce delimit the content and
 * ind says "<<-". */
static int skip_heredoc(struct iac_lex *p, size_t *cs, size_t *ce, bool *ind)
{
	uint32_t l0 = p->line;
	size_t id, idl, ls;

	p->pos += 2;
	*ind = iac_lex_cur(p) == '-';
	if (*ind)
		p->pos++;
	id = p->pos;
	while (id_char(iac_lex_cur(p)))
		p->pos++;
	idl = p->pos - id;
	if (!idl)
		return iac_lex_syntax(p, "heredoc without a delimiter");
	while (iac_lex_cur(p) == ' ' || iac_lex_cur(p) == '\t' || iac_lex_cur(p) == '\r')
		p->pos++;
	if (iac_lex_cur(p) != '\n')
		return iac_lex_syntax(p, "heredoc delimiter must end its line");
	iac_lex_newline(p);
	*cs = p->pos;
	for (;;) {
		size_t e;

		if (p->pos >= p->len)
			return iac_diag_set(p->d, ERR_SYNTAX, l0, 1, "unterminated heredoc");
		ls = p->pos;
		while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
			p->pos++;
		e = p->pos;
		while (e < p->len && p->s[e] != '\n' && p->s[e] != '\r')
			e++;
		if (e - p->pos == idl && !memcmp(p->s + p->pos, p->s + id, idl)) {
			*ce = ls;
			p->pos = e;
			break;
		}
		while (p->pos < p->len && p->s[p->pos] != '\n')
			p->pos++;
		if (p->pos < p->len)
			iac_lex_newline(p);
		if (p->pos - *cs > LIMIT_IAC_TOKEN_BYTES)
			return iac_lex_too_long(p, l0);
	}
	return 0;
}

/* Consumes an expression up to, not including, its terminator for ctx.
 * Brackets, strings, heredocs and comments inside are skipped whole. */
static int skip_expr(struct iac_lex *p, enum ctx ctx)
{
	char stack[LIMIT_IAC_DEPTH];
	size_t sp = 0, cs, ce;
	bool x1, x2;
	int err;

	while (p->pos < p->len) {
		int c = iac_lex_cur(p);

		if (c == '"') {
			if ((err = skip_string(p, &x1, &x2)))
				return err;
			continue;
		}
		if (c == '<' && iac_lex_peek(p, 1) == '<' &&
		    (iac_lex_id_start(iac_lex_peek(p, 2)) || iac_lex_peek(p, 2) == '-')) {
			if ((err = skip_heredoc(p, &cs, &ce, &x1)))
				return err;
			continue;
		}
		if (iac_lex_at_line_comment(p)) {
			if (!sp && (ctx == CTX_BODY || ctx == CTX_OBJECT))
				return 0;
			iac_lex_skip_line(p);
			continue;
		}
		if (c == '/' && iac_lex_peek(p, 1) == '*') {
			if ((err = iac_lex_skip_block_comment(p)))
				return err;
			continue;
		}
		if (c == '\n') {
			if (!sp && (ctx == CTX_BODY || ctx == CTX_OBJECT))
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
		if (c == ',' && !sp && ctx != CTX_BODY)
			return 0;
		p->pos++;
	}
	if (sp)
		return iac_lex_syntax(p, "unexpected end of input in an expression");
	return 0;
}

/* Inside ${ ... } or %{ ... }: up to and including the matching '}'. */
static int skip_interp(struct iac_lex *p)
{
	int err;

	if (++p->depth > LIMIT_IAC_DEPTH)
		return iac_lex_too_deep(p);
	if ((err = skip_expr(p, CTX_TUPLE)))
		return err;
	/* skip_expr(CTX_TUPLE) also stops at ',' (a conditional's parts are
	 * not comma-separated, but function arguments are): go on. */
	while (iac_lex_cur(p) == ',') {
		p->pos++;
		if ((err = skip_expr(p, CTX_TUPLE)))
			return err;
	}
	if (iac_lex_cur(p) != '}')
		return iac_lex_syntax(p, "unterminated interpolation");
	p->pos++;
	p->depth--;
	return 0;
}

/* One group from its opening bracket to its match, inclusive. */
static int skip_group(struct iac_lex *p)
{
	size_t start_depth = p->depth;
	int open = iac_lex_cur(p), close = open == '(' ? ')' : open == '[' ? ']' : '}';
	int err;

	if (++p->depth > LIMIT_IAC_DEPTH)
		return iac_lex_too_deep(p);
	p->pos++;
	for (;;) {
		if ((err = skip_expr(p, CTX_TUPLE)))
			return err;
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
	p->depth = (unsigned)start_depth;
	return 0;
}

/* Unescapes a literal (no interpolation) quoted string body. */
static char *unescape(struct iac_lex *p, const char *s, size_t n, uint32_t *olen)
{
	char *o = iac_arena_alloc(p->a, n + 1);
	size_t i, k = 0;

	if (!o)
		return NULL;
	for (i = 0; i < n; i++) {
		if ((s[i] == '$' || s[i] == '%') && i + 2 < n && s[i + 1] == s[i] && s[i + 2] == '{') {
			o[k++] = s[i];
			o[k++] = '{';
			i += 2;
			continue;
		}
		if (s[i] != '\\' || i + 1 >= n) {
			o[k++] = s[i];
			continue;
		}
		i++;
		switch (s[i]) {
		case 'n': o[k++] = '\n'; break;
		case 'r': o[k++] = '\r'; break;
		case 't': o[k++] = '\t'; break;
		case 'u':
		case 'U': {
			size_t nd = s[i] == 'u' ? 4 : 8, j;
			uint32_t cp = 0;
			int h;

			for (j = 0; j < nd && i + 1 + j < n && (h = hex_digit_value((unsigned char)s[i + 1 + j])) >= 0; j++)
				cp = (cp << 4) | (uint32_t)h;
			if (j != nd || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) {
				o[k++] = '?';
				i += j;
				break;
			}
			i += nd;
			/* Never longer than the escape: 6 or 10 bytes in, <= 4 out. */
			if (cp < 0x80) {
				o[k++] = (char)cp;
			} else if (cp < 0x800) {
				o[k++] = (char)(0xc0 | (cp >> 6));
				o[k++] = (char)(0x80 | (cp & 0x3f));
			} else if (cp < 0x10000) {
				o[k++] = (char)(0xe0 | (cp >> 12));
				o[k++] = (char)(0x80 | ((cp >> 6) & 0x3f));
				o[k++] = (char)(0x80 | (cp & 0x3f));
			} else {
				o[k++] = (char)(0xf0 | (cp >> 18));
				o[k++] = (char)(0x80 | ((cp >> 12) & 0x3f));
				o[k++] = (char)(0x80 | ((cp >> 6) & 0x3f));
				o[k++] = (char)(0x80 | (cp & 0x3f));
			}
			break;
		}
		default:
			o[k++] = s[i];
			break;
		}
	}
	*olen = (uint32_t)k;
	return o;
}

static bool is_simple_traversal(const char *s, size_t n)
{
	size_t i;

	if (!n || !iac_lex_id_start((unsigned char)s[0]))
		return false;
	for (i = 0; i < n; i++)
		if (!id_char((unsigned char)s[i]) && s[i] != '.' && s[i] != '[' && s[i] != ']' &&
		    s[i] != '"')
			return false;
	return true;
}

static int term_string(struct iac_lex *p, struct iac_node **out)
{
	uint32_t line = p->line, col = iac_lex_col(p);
	size_t start = p->pos;
	bool interp = false, esc = false;
	struct iac_node *n;
	const char *body;
	size_t blen;
	int err;

	if ((err = skip_string(p, &interp, &esc)))
		return err;
	body = p->s + start + 1;
	blen = p->pos - start - 2;
	if (!(n = iac_lex_node(p, IAC_N_STR, line, col)))
		return p->d->err;
	n->flags |= IAC_F_QUOTED;
	if (interp) {
		/* "${ x }" alone is the expression x (Terraform 0.11 style). */
		size_t i = 0, e = blen;

		if (blen >= 3 && body[0] == '$' && body[1] == '{' && body[blen - 1] == '}' &&
		    !memmem(body + 2, blen - 2, "${", 2)) {
			i = 2;
			e = blen - 1;
			while (i < e && (body[i] == ' ' || body[i] == '~'))
				i++;
			while (e > i && (body[e - 1] == ' ' || body[e - 1] == '~'))
				e--;
			if (is_simple_traversal(body + i, e - i)) {
				n->kind = IAC_N_EXPR;
				n->str = body + i;
				n->len = (uint32_t)(e - i);
				*out = n;
				return 0;
			}
		}
		n->flags |= IAC_F_TEMPLATE;
		n->str = body;
		n->len = (uint32_t)blen;
	} else if (esc) {
		if (!(n->str = unescape(p, body, blen, &n->len)))
			return iac_lex_nomem(p);
	} else {
		n->str = body;
		n->len = (uint32_t)blen;
	}
	*out = n;
	return 0;
}

static int term_heredoc(struct iac_lex *p, struct iac_node **out)
{
	uint32_t line = p->line, col = iac_lex_col(p);
	size_t cs = 0, ce = 0, i;
	bool ind = false;
	struct iac_node *n;
	const char *b;
	int err;

	if ((err = skip_heredoc(p, &cs, &ce, &ind)))
		return err;
	if (!(n = iac_lex_node(p, IAC_N_STR, line, col)))
		return p->d->err;
	n->flags |= IAC_F_HEREDOC;
	n->end_line = p->line;
	b = p->s + cs;
	n->str = b;
	n->len = (uint32_t)(ce - cs);
	for (i = 0; i + 1 < n->len; i++) {
		if ((b[i] == '$' || b[i] == '%') && b[i + 1] == '{' && !(i && b[i - 1] == b[i])) {
			n->flags |= IAC_F_TEMPLATE;
			break;
		}
	}
	if (ind && !(n->flags & IAC_F_TEMPLATE)) {
		/* <<- strips the smallest indentation of the non-blank lines. */
		size_t min = SIZE_MAX, w, k = 0;
		char *o;

		for (i = 0; i < n->len;) {
			for (w = 0; i + w < n->len && (b[i + w] == ' ' || b[i + w] == '\t'); w++)
				;
			if (i + w < n->len && b[i + w] != '\n' && w < min)
				min = w;
			while (i < n->len && b[i] != '\n')
				i++;
			i++;
		}
		if (min != SIZE_MAX && min) {
			if (!(o = iac_arena_alloc(p->a, n->len + 1)))
				return iac_lex_nomem(p);
			for (i = 0; i < n->len;) {
				for (w = 0; w < min && i < n->len && (b[i] == ' ' || b[i] == '\t'); w++)
					i++;
				while (i < n->len && b[i] != '\n')
					o[k++] = b[i++];
				if (i < n->len)
					o[k++] = b[i++];
			}
			n->str = o;
			n->len = (uint32_t)k;
		}
	}
	*out = n;
	return 0;
}

static int parse_expr(struct iac_lex *p, enum ctx ctx, struct iac_node **out);

/* Is p at the end of an expression for ctx (after blanks)? */
static int at_end(struct iac_lex *p, enum ctx ctx, bool *yes)
{
	int err, c;

	if ((err = iac_lex_skip_ws(p, ctx == CTX_TUPLE || ctx == CTX_PAREN)))
		return err;
	c = iac_lex_cur(p);
	switch (ctx) {
	case CTX_BODY:
		*yes = c < 0 || c == '\n' || c == '}' || iac_lex_at_line_comment(p);
		break;
	case CTX_OBJECT:
		*yes = c < 0 || c == '\n' || c == '}' || c == ',' || iac_lex_at_line_comment(p);
		break;
	case CTX_TUPLE:
		*yes = c < 0 || c == ']' || c == ',';
		break;
	case CTX_PAREN:
		*yes = c < 0 || c == ')' || c == ',';
		break;
	}
	return 0;
}

static int parse_collection(struct iac_lex *p, struct iac_node **out)
{
	uint32_t line = p->line, col = iac_lex_col(p);
	bool tuple = iac_lex_cur(p) == '[';
	struct iac_node *n, *tail = NULL, *v;
	size_t save = p->pos, kw;
	uint32_t save_line = p->line;
	size_t save_bol = p->bol;
	int err;

	if (++p->depth > LIMIT_IAC_DEPTH)
		return iac_lex_too_deep(p);
	p->pos++;
	if ((err = iac_lex_skip_ws(p, true)))
		return err;
	/* for-expressions: [for x in y : ...] and {for k, v in y : ...}. */
	kw = p->pos;
	if (p->len - kw > 4 && !memcmp(p->s + kw, "for", 3) && !id_char((unsigned char)p->s[kw + 3])) {
		p->pos = save;
		p->line = save_line;
		p->bol = save_bol;
		p->depth--;
		if ((err = skip_group(p)))
			return err;
		if (!(n = iac_lex_node(p, IAC_N_UNKNOWN, line, col)))
			return p->d->err;
		n->str = p->s + save;
		n->len = (uint32_t)(p->pos - save);
		n->end_line = p->line;
		*out = n;
		return 0;
	}
	if (!(n = iac_lex_node(p, tuple ? IAC_N_LIST : IAC_N_MAP, line, col)))
		return p->d->err;
	for (;;) {
		if ((err = iac_lex_skip_ws(p, true)))
			return err;
		if (iac_lex_cur(p) == (tuple ? ']' : '}')) {
			p->pos++;
			break;
		}
		if (iac_lex_cur(p) < 0)
			return iac_lex_syntax(p, "unexpected end of input in a collection");
		if (tuple) {
			if ((err = parse_expr(p, CTX_TUPLE, &v)))
				return err;
		} else {
			/* key = value | key: value; key is an identifier, a
			 * string or a parenthesised expression. */
			const char *key;
			uint32_t klen, kline = p->line;
			int c = iac_lex_cur(p);

			if (c == '"') {
				struct iac_node *ks;

				if ((err = term_string(p, &ks)))
					return err;
				key = ks->str;
				klen = ks->len;
			} else if (c == '(') {
				size_t ks = p->pos;

				if ((err = skip_group(p)))
					return err;
				key = p->s + ks;
				klen = (uint32_t)(p->pos - ks);
			} else if (iac_lex_id_start(c) || (c >= '0' && c <= '9')) {
				size_t ks = p->pos;

				while (id_char(iac_lex_cur(p)) || iac_lex_cur(p) == '.')
					p->pos++;
				key = p->s + ks;
				klen = (uint32_t)(p->pos - ks);
			} else {
				return iac_lex_syntax(p, "expected an object key");
			}
			if ((err = iac_lex_skip_ws(p, false)))
				return err;
			if (iac_lex_cur(p) != '=' && iac_lex_cur(p) != ':')
				return iac_lex_syntax(p, "expected '=' or ':' after an object key");
			p->pos++;
			if ((err = iac_lex_skip_ws(p, false)))
				return err;
			if ((err = parse_expr(p, CTX_OBJECT, &v)))
				return err;
			v->key = key;
			v->key_len = klen;
			v->key_line = kline;
		}
		iac_node_append(n, &tail, v);
		if ((err = iac_lex_skip_ws(p, !tuple)))
			return err;
		if (iac_lex_cur(p) == ',') {
			p->pos++;
		} else if (tuple) {
			if ((err = iac_lex_skip_ws(p, true)))
				return err;
			if (iac_lex_cur(p) != ']')
				return iac_lex_syntax(p, "expected ',' or ']'");
		}
	}
	n->end_line = p->line;
	p->depth--;
	*out = n;
	return 0;
}

/* identifier: literal keyword, function call or traversal. */
static int term_ident(struct iac_lex *p, struct iac_node **out)
{
	uint32_t line = p->line, col = iac_lex_col(p);
	size_t start = p->pos, nlen;
	struct iac_node *n;
	int err;

	while (id_char(iac_lex_cur(p)) || (iac_lex_cur(p) == ':' && iac_lex_peek(p, 1) == ':' &&
					   iac_lex_id_start(iac_lex_peek(p, 2)))) {
		if (iac_lex_cur(p) == ':')
			p->pos++;
		p->pos++;
	}
	nlen = p->pos - start;
	if ((nlen == 4 && !memcmp(p->s + start, "true", 4)) ||
	    (nlen == 5 && !memcmp(p->s + start, "false", 5))) {
		if (!(n = iac_lex_node(p, IAC_N_BOOL, line, col)))
			return p->d->err;
		if (nlen == 4)
			n->flags |= IAC_F_TRUE;
	} else if (nlen == 4 && !memcmp(p->s + start, "null", 4)) {
		if (!(n = iac_lex_node(p, IAC_N_NULL, line, col)))
			return p->d->err;
	} else if (iac_lex_cur(p) == '(') {
		if (nlen == 10 && !memcmp(p->s + start, "jsonencode", 10)) {
			/* jsonencode({...}): the argument is the value. */
			struct iac_lex save = *p;
			struct iac_node *v;
			bool end = false;

			p->pos++;
			if (++p->depth <= LIMIT_IAC_DEPTH && !iac_lex_skip_ws(p, true) &&
			    !parse_expr(p, CTX_PAREN, &v) && !at_end(p, CTX_PAREN, &end) &&
			    iac_lex_cur(p) == ')') {
				p->pos++;
				p->depth--;
				v->line = line;
				v->col = col;
				*out = v;
				return 0;
			}
			if (p->d->err == ERR_LIMIT)
				return p->d->err;
			/* Not a plain argument: skip it as a call. */
			*p = save;
			p->d->err = 0;
		}
		if ((err = skip_group(p)))
			return err;
		if (!(n = iac_lex_node(p, IAC_N_UNKNOWN, line, col)))
			return p->d->err;
	} else {
		/* Traversal: .attr, .0, [index], .*, [*] */
		for (;;) {
			int c1 = iac_lex_peek(p, 1);

			if (iac_lex_cur(p) == '.' &&
			    (iac_lex_id_start(c1) || c1 == '*' || (c1 >= '0' && c1 <= '9'))) {
				p->pos += 2;
				while (id_char(iac_lex_cur(p)))
					p->pos++;
			} else if (iac_lex_cur(p) == '[') {
				if ((err = skip_group(p)))
					return err;
			} else {
				break;
			}
		}
		if (!(n = iac_lex_node(p, IAC_N_EXPR, line, col)))
			return p->d->err;
	}
	n->str = p->s + start;
	n->len = (uint32_t)(p->pos - start);
	n->end_line = p->line;
	*out = n;
	return 0;
}

static int term_number(struct iac_lex *p, struct iac_node **out)
{
	uint32_t line = p->line, col = iac_lex_col(p);
	size_t start = p->pos;
	struct iac_node *n;

	if (iac_lex_cur(p) == '-')
		p->pos++;
	while ((iac_lex_cur(p) >= '0' && iac_lex_cur(p) <= '9') ||
	       (iac_lex_cur(p) == '.' && iac_lex_peek(p, 1) >= '0' && iac_lex_peek(p, 1) <= '9'))
		p->pos++;
	if ((iac_lex_cur(p) == 'e' || iac_lex_cur(p) == 'E') &&
	    ((iac_lex_peek(p, 1) >= '0' && iac_lex_peek(p, 1) <= '9') ||
	     ((iac_lex_peek(p, 1) == '+' || iac_lex_peek(p, 1) == '-') &&
	      iac_lex_peek(p, 2) >= '0' && iac_lex_peek(p, 2) <= '9'))) {
		p->pos += 2;
		while (iac_lex_cur(p) >= '0' && iac_lex_cur(p) <= '9')
			p->pos++;
	}
	if (!(n = iac_lex_node(p, IAC_N_NUM, line, col)))
		return p->d->err;
	n->str = p->s + start;
	n->len = (uint32_t)(p->pos - start);
	*out = n;
	return 0;
}

static int parse_term(struct iac_lex *p, struct iac_node **out)
{
	int c = iac_lex_cur(p);

	if (c == '"')
		return term_string(p, out);
	if (c == '<' && iac_lex_peek(p, 1) == '<')
		return term_heredoc(p, out);
	if (c == '[' || c == '{')
		return parse_collection(p, out);
	if ((c >= '0' && c <= '9') || (c == '-' && iac_lex_peek(p, 1) >= '0' && iac_lex_peek(p, 1) <= '9'))
		return term_number(p, out);
	if (iac_lex_id_start(c))
		return term_ident(p, out);
	*out = NULL;
	return 0;	/* operator, paren, ...: the caller skips it as UNKNOWN */
}

/* An expression: a term if nothing follows it, else UNKNOWN text. */
static int parse_expr(struct iac_lex *p, enum ctx ctx, struct iac_node **out)
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
	/* Operators, conditionals, indexing a literal, parentheses: skip the
	 * rest of the expression and keep its text.  A term already read is
	 * not read again, so nested operands cost linear time. */
	if (!n) {
		p->pos = start;
		p->line = line;
		p->bol = sbol;
	}
	if ((err = skip_expr(p, ctx)))
		return err;
	if (p->pos == start)
		return iac_lex_syntax(p, "expected an expression");
	if (!(n = iac_lex_node(p, IAC_N_UNKNOWN, line, col)))
		return p->d->err;
	n->str = p->s + start;
	n->len = (uint32_t)(p->pos - start);
	while (n->len && (n->str[n->len - 1] == ' ' || n->str[n->len - 1] == '\t' ||
			  n->str[n->len - 1] == '\r' || n->str[n->len - 1] == '\n'))
		n->len--;
	n->end_line = p->line;
	*out = n;
	return 0;
}

/* Attributes and blocks up to '}' (nested) or the end of input (top). */
static int parse_body(struct iac_lex *p, struct iac_node *body, bool nested)
{
	struct iac_node *tail = NULL;
	int err;

	for (;;) {
		uint32_t line, col;
		size_t ks, kl;
		struct iac_node *v;

		if ((err = iac_lex_skip_ws(p, true)))
			return err;
		if (iac_lex_cur(p) < 0) {
			if (nested)
				return iac_lex_syntax(p, "unexpected end of input: missing '}'");
			return 0;
		}
		if (iac_lex_cur(p) == '}') {
			if (!nested)
				return iac_lex_syntax(p, "unexpected '}'");
			body->end_line = p->line;
			p->pos++;
			return 0;
		}
		if (!iac_lex_id_start(iac_lex_cur(p)))
			return iac_lex_syntax(p, "expected an attribute or block name");
		line = p->line;
		col = iac_lex_col(p);
		ks = p->pos;
		while (id_char(iac_lex_cur(p)))
			p->pos++;
		kl = p->pos - ks;
		if ((err = iac_lex_skip_ws(p, false)))
			return err;
		if (iac_lex_cur(p) == '=' && iac_lex_peek(p, 1) != '=') {
			p->pos++;
			if ((err = iac_lex_skip_ws(p, false)))
				return err;
			if ((err = parse_expr(p, CTX_BODY, &v)))
				return err;
		} else {
			/* Block: labels, then '{'. */
			struct iac_node *labels, *ltail = NULL, *l;

			if (!(labels = iac_lex_node(p, IAC_N_LIST, line, col)))
				return p->d->err;
			while (iac_lex_cur(p) == '"' || iac_lex_id_start(iac_lex_cur(p))) {
				if (iac_lex_cur(p) == '"') {
					if ((err = term_string(p, &l)))
						return err;
				} else {
					if (!(l = iac_lex_node(p, IAC_N_STR, p->line, iac_lex_col(p))))
						return p->d->err;
					l->str = p->s + p->pos;
					while (id_char(iac_lex_cur(p)))
						p->pos++;
					l->len = (uint32_t)(p->s + p->pos - l->str);
				}
				iac_node_append(labels, &ltail, l);
				if ((err = iac_lex_skip_ws(p, false)))
					return err;
			}
			if (iac_lex_cur(p) != '{')
				return iac_lex_syntax(p, "expected '=' or a block");
			if (++p->depth > LIMIT_IAC_DEPTH)
				return iac_lex_too_deep(p);
			if (!(v = iac_lex_node(p, IAC_N_MAP, line, col)))
				return p->d->err;
			v->flags |= IAC_F_BLOCK;
			v->aux = labels;
			p->pos++;
			if ((err = parse_body(p, v, true)))
				return err;
			p->depth--;
		}
		v->key = p->s + ks;
		v->key_len = (uint32_t)kl;
		v->key_line = line;
		iac_node_append(body, &tail, v);
		/* The rest of the line must be blank or a comment. */
		if ((err = iac_lex_skip_ws(p, false)))
			return err;
		if (iac_lex_at_line_comment(p))
			iac_lex_skip_line(p);
		if (iac_lex_cur(p) >= 0 && iac_lex_cur(p) != '\n' && iac_lex_cur(p) != '}')
			return iac_lex_syntax(p, "expected a newline after an attribute or block");
	}
}

int iac_hcl_parse(struct iac_arena *a, const char *s, size_t len,
		  struct iac_node **body, struct iac_diag *d)
{
	struct iac_lex p;
	struct iac_node *root;
	int err;

	*body = NULL;
	iac_lex_init(&p, s, len, true, a, d);
	if (!(root = iac_lex_node(&p, IAC_N_MAP, 1, 1)))
		return d->err;
	if ((err = parse_body(&p, root, false)))
		return err;
	*body = root;
	return 0;
}
