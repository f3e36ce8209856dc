/*
 * lex.c - the character cursor shared by the HCL and Bicep parsers
 * (iac.md §1): comments, blanks, bracket matching and the parse
 * diagnostics.  See lex-int.h.
 */
#include "core/base/api.h"
#include "core/base/err-t.h"
#include "core/base/limits.h"
#include "core/iac/lex-int.h"

void iac_lex_init(struct iac_lex *p, const char *s, size_t len, bool hash_comments,
		  struct iac_arena *a, struct iac_diag *d)
{
	memset(p, 0, sizeof(*p));
	p->s = s;
	p->len = len;
	p->line = 1;
	p->hash_comments = hash_comments;
	p->a = a;
	p->d = d;
	if (len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
		p->pos = p->bol = 3;
}

int iac_lex_skip_block_comment(struct iac_lex *p)
{
	uint32_t l0 = p->line;

	p->pos += 2;
	while (p->pos + 1 < p->len && !(p->s[p->pos] == '*' && p->s[p->pos + 1] == '/')) {
		if (p->s[p->pos] == '\n')
			iac_lex_newline(p);
		else
			p->pos++;
	}
	if (p->pos + 1 >= p->len)
		return iac_diag_set(p->d, ERR_SYNTAX, l0, 1, "unterminated comment");
	p->pos += 2;
	return 0;
}

int iac_lex_skip_ws(struct iac_lex *p, bool nl)
{
	int err;

	for (;;) {
		int c = iac_lex_cur(p);

		if (c == ' ' || c == '\t' || c == '\r') {
			p->pos++;
		} else if (c == '\n' && nl) {
			iac_lex_newline(p);
		} else if (iac_lex_at_line_comment(p)) {
			if (!nl)
				return 0;
			iac_lex_skip_line(p);
		} else if (c == '/' && iac_lex_peek(p, 1) == '*') {
			if ((err = iac_lex_skip_block_comment(p)))
				return err;
		} else {
			return 0;
		}
	}
}

int iac_lex_bracket(struct iac_lex *p, char *stack, size_t *sp)
{
	int c = iac_lex_cur(p);

	if (c == '(' || c == '[' || c == '{') {
		if (*sp >= LIMIT_IAC_DEPTH || p->depth + *sp >= LIMIT_IAC_DEPTH)
			return iac_lex_too_deep(p);
		stack[(*sp)++] = (char)(c == '(' ? ')' : c == '[' ? ']' : '}');
		p->pos++;
		return 0;
	}
	if (!*sp)
		return 1;
	if (stack[--*sp] != c)
		return iac_lex_syntax(p, "mismatched bracket");
	p->pos++;
	return 0;
}

int iac_lex_syntax(struct iac_lex *p, const char *what)
{
	return iac_diag_set(p->d, ERR_SYNTAX, p->line, iac_lex_col(p), "%s", what);
}

int iac_lex_nomem(struct iac_lex *p)
{
	return iac_diag_set(p->d, ERR_LIMIT, p->line, iac_lex_col(p),
			    "limit: parse tree larger than %u bytes per input byte",
			    LIMIT_IAC_TREE_RATIO);
}

int iac_lex_too_deep(struct iac_lex *p)
{
	return iac_diag_set(p->d, ERR_LIMIT, p->line, iac_lex_col(p),
			    "limit: nesting depth %u exceeded", LIMIT_IAC_DEPTH);
}

int iac_lex_too_long(struct iac_lex *p, uint32_t line)
{
	return iac_diag_set(p->d, ERR_LIMIT, line, 1, "limit: token longer than %u bytes",
			    LIMIT_IAC_TOKEN_BYTES);
}

struct iac_node *iac_lex_node(struct iac_lex *p, enum iac_kind k, uint32_t line, uint32_t col)
{
	struct iac_node *n = iac_node_new(p->a, k, line, col);

	if (!n)
		iac_lex_nomem(p);
	return n;
}
