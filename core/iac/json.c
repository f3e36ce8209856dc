/*
 * json.c - a small position-keeping JSON parser (RFC 8259) for ARM,
 * CloudFormation, Terraform JSON and Kubernetes JSON, and for policy
 * documents embedded in strings (iac.md §1).
 *
 * No JSON library in Debian keeps line numbers for every key and value,
 * hence our own.  Tolerated beyond RFC 8259, because ARM accepts them:
 * line and block comments, a trailing comma, a leading BOM.  One forward
 * pass with an explicit stack (no recursion), so a "[[[[..." bomb costs
 * LIMIT_IAC_DEPTH frames at most and a multi-MB one-line document is read
 * in linear time.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err-t.h"
#include "core/base/limits.h"
#include "core/iac/iac-int.h"

struct jframe {
	struct iac_node *node;		/* the open container */
	struct iac_node *tail;		/* its last child */
};

struct jp {
	const char *s;			/* input */
	size_t len, pos;
	uint32_t line;			/* current line */
	size_t bol;			/* offset of the current line's start */
	unsigned flags;			/* IAC_JSON_* */
	struct iac_arena *a;
	struct iac_diag *d;
};

static inline uint32_t col_of(const struct jp *p, size_t pos)
{
	return (uint32_t)(pos - p->bol + 1);
}

static int nomem(struct jp *p)
{
	return iac_diag_set(p->d, ERR_LIMIT, p->line, col_of(p, p->pos),
			    "limit: parse tree larger than %u bytes per input byte",
			    LIMIT_IAC_TREE_RATIO);
}

/* Skips blanks and comments; counts lines. */
static int skip_ws(struct jp *p)
{
	const char *s = p->s;

	while (p->pos < p->len) {
		char c = s[p->pos];

		if (c == '\n') {
			p->pos++;
			p->line++;
			p->bol = p->pos;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			p->pos++;
		} else if (c == '/' && p->pos + 1 < p->len && s[p->pos + 1] == '/') {
			while (p->pos < p->len && s[p->pos] != '\n')
				p->pos++;
		} else if (c == '/' && p->pos + 1 < p->len && s[p->pos + 1] == '*') {
			uint32_t l0 = p->line;
			size_t c0 = p->pos;

			p->pos += 2;
			for (;;) {
				if (p->pos + 1 >= p->len)
					return iac_diag_set(p->d, ERR_SYNTAX, l0, col_of(p, c0),
							    "unterminated comment");
				if (s[p->pos] == '*' && s[p->pos + 1] == '/') {
					p->pos += 2;
					break;
				}
				if (s[p->pos] == '\n') {
					p->line++;
					p->bol = p->pos + 1;
				}
				p->pos++;
			}
		} else {
			break;
		}
	}
	return 0;
}

static int hex4(const char *s, uint32_t *out)
{
	uint32_t v = 0;
	int i, h;

	for (i = 0; i < 4; i++) {
		h = hex_digit_value(s[i]);
		if (h < 0)
			return -1;
		v = (v << 4) | (uint32_t)h;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Reads a string at p->pos (the opening quote); the result points into the
 * input, or into the arena when escapes had to be decoded. */
static int read_string(struct jp *p, const char **out, uint32_t *olen)
{
	const char *s = p->s;
	size_t start = ++p->pos, i, n;
	uint32_t l0 = p->line;
	size_t c0 = start - 1;
	bool esc = false;
	char *o;

	for (i = start; i < p->len && s[i] != '"'; i++) {
		if (s[i] == '\\') {
			esc = true;
			i++;
		} else if (s[i] == '\n') {
			p->line++;
			p->bol = i + 1;
		}
	}
	if (i >= p->len)
		return iac_diag_set(p->d, ERR_SYNTAX, l0, col_of(p, c0) , "unterminated string");
	n = i - start;
	if (n > LIMIT_IAC_TOKEN_BYTES)
		return iac_diag_set(p->d, ERR_LIMIT, l0, 1, "limit: token longer than %u bytes",
				    LIMIT_IAC_TOKEN_BYTES);
	p->pos = i + 1;
	if (!esc) {
		*out = s + start;
		*olen = (uint32_t)n;
		return 0;
	}
	o = iac_arena_alloc(p->a, n + 1);
	if (!o)
		return nomem(p);
	*out = o;
	for (i = start, n = 0; i < p->pos - 1; i++) {
		uint32_t cp, lo;

		if (s[i] != '\\') {
			o[n++] = s[i];
			continue;
		}
		i++;
		switch (s[i]) {
		case 'n': o[n++] = '\n'; break;
		case 't': o[n++] = '\t'; break;
		case 'r': o[n++] = '\r'; break;
		case 'b': o[n++] = '\b'; break;
		case 'f': o[n++] = '\f'; break;
		case 'u':
			/* At most 6 input bytes -> at most 4 output bytes. */
			if (i + 4 >= p->pos || hex4(s + i + 1, &cp))
				return iac_diag_set(p->d, ERR_SYNTAX, l0, col_of(p, c0),
						    "bad \\u escape");
			i += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && i + 6 < p->pos && s[i + 1] == '\\' &&
			    s[i + 2] == 'u' && !hex4(s + i + 3, &lo) && lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				i += 6;
			} else if (cp >= 0xd800 && cp < 0xe000) {
				cp = 0xfffd;
			}
			n += put_utf8(o + n, cp);
			break;
		default:
			o[n++] = s[i];	/* \" \\ \/ and, leniently, anything else */
			break;
		}
	}
	*olen = (uint32_t)n;
	return 0;
}

/* A scalar or the start of a container at p->pos; *node receives it. */
static int read_scalar(struct jp *p, struct iac_node **node)
{
	const char *s = p->s;
	uint32_t line = p->line, col = col_of(p, p->pos);
	struct iac_node *n;
	const char *str;
	uint32_t slen;
	size_t i;
	int err;

	if (s[p->pos] == '"') {
		err = read_string(p, &str, &slen);
		if (err)
			return err;
		n = iac_node_new(p->a, IAC_N_STR, line, col);
		if (!n)
			return nomem(p);
		n->str = str;
		n->len = slen;
		n->flags |= IAC_F_QUOTED;
		if ((p->flags & IAC_JSON_TEMPLATES) && memmem(str, slen, "${", 2))
			n->flags |= IAC_F_TEMPLATE;
		if ((p->flags & IAC_JSON_ARM) && slen >= 1 && str[0] == '[') {
			/* ARM: "[expr]" is an expression, "[[..." a literal '['. */
			if (slen >= 2 && str[1] == '[') {
				n->str++;
				n->len--;
			} else if (str[slen - 1] == ']') {
				n->kind = IAC_N_EXPR;
			}
		}
		*node = n;
		return 0;
	}
	i = p->pos;
	if (s[i] == '-' || (s[i] >= '0' && s[i] <= '9')) {
		if (s[i] == '-')
			i++;
		while (i < p->len && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == 'e' ||
				      s[i] == 'E' || s[i] == '+' || s[i] == '-'))
			i++;
		if (i - p->pos > 64)
			return iac_diag_set(p->d, ERR_SYNTAX, line, col, "number too long");
		n = iac_node_new(p->a, IAC_N_NUM, line, col);
		if (!n)
			return nomem(p);
		n->str = s + p->pos;
		n->len = (uint32_t)(i - p->pos);
		p->pos = i;
		*node = n;
		return 0;
	}
	if (p->len - i >= 4 && !memcmp(s + i, "true", 4)) {
		n = iac_node_new(p->a, IAC_N_BOOL, line, col);
		slen = 4;
	} else if (p->len - i >= 5 && !memcmp(s + i, "false", 5)) {
		n = iac_node_new(p->a, IAC_N_BOOL, line, col);
		slen = 5;
	} else if (p->len - i >= 4 && !memcmp(s + i, "null", 4)) {
		n = iac_node_new(p->a, IAC_N_NULL, line, col);
		slen = 4;
	} else {
		return iac_diag_set(p->d, ERR_SYNTAX, line, col, "unexpected character '%c'",
				    (s[i] > 0x20 && s[i] < 0x7f) ? s[i] : '?');
	}
	if (!n)
		return nomem(p);
	if (slen == 4 && s[i] == 't')
		n->flags |= IAC_F_TRUE;
	n->str = s + i;
	n->len = slen;
	p->pos += slen;
	*node = n;
	return 0;
}

int iac_json_parse(struct iac_arena *a, const char *s, size_t len, uint32_t base_line,
		   unsigned flags, struct iac_node **root, struct iac_diag *d)
{
	struct jframe st[LIMIT_IAC_DEPTH + 1];
	struct jp p = { .s = s, .len = len, .line = base_line ? base_line : 1, .flags = flags,
			.a = a, .d = d };
	size_t depth = 0;
	struct iac_node *n = NULL, *top = NULL;
	const char *key = NULL;
	uint32_t key_len = 0, key_line = 0;
	int err;

	*root = NULL;
	if (len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
		p.pos = p.bol = 3;
	for (;;) {
		if ((err = skip_ws(&p)))
			return err;
		if (p.pos >= len)
			return iac_diag_set(d, ERR_SYNTAX, p.line, col_of(&p, p.pos),
					    "unexpected end of input");
		/* In an object: a key, or the closing brace. */
		if (depth && st[depth - 1].node->kind == IAC_N_MAP) {
			if (s[p.pos] == '}')
				goto close;
			if (s[p.pos] != '"')
				return iac_diag_set(d, ERR_SYNTAX, p.line, col_of(&p, p.pos),
						    "expected a string key");
			key_line = p.line;
			if ((err = read_string(&p, &key, &key_len)))
				return err;
			if ((err = skip_ws(&p)))
				return err;
			if (p.pos >= len || s[p.pos] != ':')
				return iac_diag_set(d, ERR_SYNTAX, p.line, col_of(&p, p.pos),
						    "expected ':'");
			p.pos++;
			if ((err = skip_ws(&p)))
				return err;
			if (p.pos >= len)
				return iac_diag_set(d, ERR_SYNTAX, p.line, col_of(&p, p.pos),
						    "unexpected end of input");
		} else if (depth && s[p.pos] == ']') {
			goto close;
		}
		if (s[p.pos] == '{' || s[p.pos] == '[') {
			if (depth >= LIMIT_IAC_DEPTH)
				return iac_diag_set(d, ERR_LIMIT, p.line, col_of(&p, p.pos),
						    "limit: nesting depth %u exceeded", LIMIT_IAC_DEPTH);
			n = iac_node_new(a, s[p.pos] == '{' ? IAC_N_MAP : IAC_N_LIST, p.line,
					 col_of(&p, p.pos));
			if (!n)
				return nomem(&p);
			if (depth && st[depth - 1].node->kind == IAC_N_MAP) {
				n->key = key;
				n->key_len = key_len;
				n->key_line = key_line;
			}
			st[depth].node = n;
			st[depth].tail = NULL;
			depth++;
			p.pos++;
			continue;
		}
		if ((err = read_scalar(&p, &n)))
			return err;
		if (!depth) {
			top = n;
			goto done;
		}
		if (st[depth - 1].node->kind == IAC_N_MAP) {
			n->key = key;
			n->key_len = key_len;
			n->key_line = key_line;
		}
		iac_node_append(st[depth - 1].node, &st[depth - 1].tail, n);
		goto after;
close:
		n = st[--depth].node;
		n->end_line = p.line;
		if ((n->kind == IAC_N_MAP) != (s[p.pos] == '}'))
			return iac_diag_set(d, ERR_SYNTAX, p.line, col_of(&p, p.pos),
					    "mismatched '%c'", s[p.pos]);
		p.pos++;
		if (!depth) {
			top = n;
			goto done;
		}
		iac_node_append(st[depth - 1].node, &st[depth - 1].tail, n);
after:
		/* After a value: ',' (a trailing one is tolerated) or a close. */
		if ((err = skip_ws(&p)))
			return err;
		if (p.pos >= len)
			return iac_diag_set(d, ERR_SYNTAX, p.line, col_of(&p, p.pos),
					    "unexpected end of input");
		if (s[p.pos] == ',') {
			p.pos++;
			continue;
		}
		if (s[p.pos] == '}' || s[p.pos] == ']') {
			if ((err = skip_ws(&p)))
				return err;
			goto close;
		}
		return iac_diag_set(d, ERR_SYNTAX, p.line, col_of(&p, p.pos), "expected ',' or a close");
	}
done:
	if ((err = skip_ws(&p)))
		return err;
	if (p.pos < len && s[p.pos] != '\0')
		return iac_diag_set(d, ERR_SYNTAX, p.line, col_of(&p, p.pos),
				    "trailing data after the document");
	*root = top;
	return 0;
}
