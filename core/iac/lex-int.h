/*
 * lex-int.h - the character cursor shared by the hand-written IaC parsers
 * (hcl.c, bicep.c; iac.md §1): position and line tracking, blanks and
 * comments, identifier characters, bracket matching while skipping an
 * expression, and the diagnostics every one of them raises.
 *
 * Internal to core/iac/ (style.md rule 1).  Everything works on a whole
 * input held in memory; the cursor never reads past len and never needs a
 * NUL terminator.
 *
 * Caveats: the cursor borrows s, the arena and the diagnostic for the
 * length of one parse.  Every error helper records the first error in
 * p->d and returns its code; later errors do not overwrite it
 * (iac_diag_set).  Positions are 1-based lines and byte columns.
 */
#ifndef SLUICE_IAC_LEX_INT_H
#define SLUICE_IAC_LEX_INT_H

#include "core/base/api.h"
#include "core/iac/iac-int.h"

/* One parse's cursor.  Valid states: pos <= len, bol <= pos, bol is 0, 3
 * (after a UTF-8 byte order mark) or one past a '\n'. */
struct iac_lex {
	const char *s;			/* input, not NUL-terminated */
	size_t len, pos;		/* input bytes; offset of the next byte */
	uint32_t line;			/* line of pos, 1-based */
	size_t bol;			/* offset of the first byte of that line */
	unsigned depth;			/* bracket / block nesting, <= LIMIT_IAC_DEPTH */
	bool hash_comments;		/* '#' starts a line comment too (HCL) */
	struct iac_arena *a;		/* where the parse's nodes go */
	struct iac_diag *d;		/* the parse's first error */
};

/* A cursor at the start of s[0, len) on line 1, past a UTF-8 byte order
 * mark.  Line comments are "//", and also "#" when hash_comments. */
void iac_lex_init(struct iac_lex *p, const char *s, size_t len, bool hash_comments,
		  struct iac_arena *a, struct iac_diag *d);

/* Column of pos, 1-based, in bytes. */
static inline uint32_t iac_lex_col(const struct iac_lex *p)
{
	return (uint32_t)(p->pos - p->bol + 1);
}

/* The byte at pos (0-255), or -1 at the end of input. */
static inline int iac_lex_cur(const struct iac_lex *p)
{
	return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

/* The byte k after pos, or -1 past the end of input. */
static inline int iac_lex_peek(const struct iac_lex *p, size_t k)
{
	return p->pos + k < p->len ? (unsigned char)p->s[p->pos + k] : -1;
}

/* Steps over the '\n' at pos and starts the next line. */
static inline void iac_lex_newline(struct iac_lex *p)
{
	p->pos++;
	p->line++;
	p->bol = p->pos;
}

/* ASCII letters, '_' and every non-ASCII byte (identifiers may be UTF-8). */
static inline bool iac_lex_id_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

/* iac_lex_id_start or a digit.  HCL adds '-' on top of this. */
static inline bool iac_lex_id_char(int c)
{
	return iac_lex_id_start(c) || (c >= '0' && c <= '9');
}

/* Does a line comment start at pos? */
static inline bool iac_lex_at_line_comment(const struct iac_lex *p)
{
	int c = iac_lex_cur(p);

	return (c == '#' && p->hash_comments) || (c == '/' && iac_lex_peek(p, 1) == '/');
}

/* Up to, not over, the next '\n' (or the end of input). */
static inline void iac_lex_skip_line(struct iac_lex *p)
{
	while (p->pos < p->len && p->s[p->pos] != '\n')
		p->pos++;
}

/* A block comment at pos ("/" "*"), through its end.  ERR_SYNTAX
 * "unterminated comment" (at the line it started on) when it has none. */
int iac_lex_skip_block_comment(struct iac_lex *p);

/* Blanks (space, tab, CR) and block comments; with nl also newlines and
 * line comments.  Without nl it stops at a '\n' or a line comment, which
 * end a statement in both languages.  0 or ERR_SYNTAX from an
 * unterminated block comment. */
int iac_lex_skip_ws(struct iac_lex *p, bool nl);

/*
 * For a caller skipping an expression with stack[] (LIMIT_IAC_DEPTH
 * entries, *sp in use) of the closers it expects: the bracket at pos.
 * An opener is pushed and stepped over: 0, or ERR_LIMIT when the stack or
 * p->depth + *sp reaches LIMIT_IAC_DEPTH.  A closer with an empty stack
 * belongs to an enclosing construct: 1, pos unchanged.  Any other closer
 * must match the top of the stack: 0 and stepped over, else ERR_SYNTAX
 * "mismatched bracket".
 */
int iac_lex_bracket(struct iac_lex *p, char *stack, size_t *sp);

/* ERR_SYNTAX at pos with the message what. */
int iac_lex_syntax(struct iac_lex *p, const char *what);

/* ERR_LIMIT at pos: the arena is full (LIMIT_IAC_TREE_RATIO). */
int iac_lex_nomem(struct iac_lex *p);

/* ERR_LIMIT at pos: nesting deeper than LIMIT_IAC_DEPTH. */
int iac_lex_too_deep(struct iac_lex *p);

/* ERR_LIMIT at (line, 1): a token longer than LIMIT_IAC_TOKEN_BYTES. */
int iac_lex_too_long(struct iac_lex *p, uint32_t line);

/* A new node from the parse's arena, or NULL with iac_lex_nomem() set in
 * p->d (the caller returns p->d->err). */
struct iac_node *iac_lex_node(struct iac_lex *p, enum iac_kind k, uint32_t line, uint32_t col);

#endif
