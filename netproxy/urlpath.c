/*
 * urlpath.c - canonical request targets (see urlpath.h).
 */
#include "core/base/api.h"
#include "core/base/err.h"
#include "netproxy/urlpath.h"

static bool unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

struct out {
	char *p;
	size_t n, cap;
};

static bool put(struct out *o, char c)
{
	if (o->n + 1 >= o->cap)
		return false;
	o->p[o->n++] = c;
	return true;
}

/* Escape-normalises s[0..len) into o.  in_path: also refuses what a path
 * must not hold.  0, ERR_SYNTAX or ERR_LIMIT. */
static int normalise(const char *s, size_t len, bool in_path, struct out *o, const char **why)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f) {
			*why = "a raw control, space or non-ASCII byte in the request target";
			return ERR_SYNTAX;
		}
		if (in_path && c == '\\') {
			*why = "a backslash in the request path";
			return ERR_SYNTAX;
		}
		if (c == '%') {
			int h, l;
			unsigned char d;

			if (i + 2 >= len) {
				*why = "a truncated percent-escape";
				return ERR_SYNTAX;
			}
			h = hex_digit_value(s[i + 1]);
			l = hex_digit_value(s[i + 2]);
			if (h < 0 || l < 0) {
				*why = "a malformed percent-escape";
				return ERR_SYNTAX;
			}
			d = (unsigned char)(h * 16 + l);
			i += 2;
			if (d < 0x20 || d == 0x7f || (in_path && (d == '/' || d == '\\'))) {
				*why = "an escaped separator or control byte in the request target";
				return ERR_SYNTAX;
			}
			if (unreserved(d)) {
				if (!put(o, (char)d))
					return ERR_LIMIT;
			} else if (!put(o, '%') || !put(o, hex[d >> 4]) || !put(o, hex[d & 15])) {
				return ERR_LIMIT;
			}
			continue;
		}
		if (!put(o, (char)c))
			return ERR_LIMIT;
	}
	return 0;
}

/* Removes "." and ".." segments and empty segments from the path in
 * p[0..*n), in place (the result is never longer). */
static int remove_dots(char *p, size_t *n, const char **why)
{
	size_t r = 0, w = 0, len = *n;

	/* p[0] is '/'; segments start after each '/'. */
	while (r < len) {
		size_t s = r + 1, e = s;

		while (e < len && p[e] != '/')
			e++;
		if (e == s || (e - s == 1 && p[s] == '.')) {
			/* empty or "." segment: dropped, but a trailing one
			 * keeps the final "/" */
			if (e == len && w > 0 && p[w - 1] != '/')
				p[w++] = '/';
		} else if (e - s == 2 && p[s] == '.' && p[s + 1] == '.') {
			if (w == 0) {
				*why = "\"..\" above the root of the request path";
				return ERR_SYNTAX;
			}
			while (w > 0 && p[w - 1] != '/')
				w--;
			if (w > 0)
				w--;	/* the '/' before the dropped segment */
			if (e == len)
				p[w++] = '/';
		} else {
			p[w++] = '/';
			memmove(p + w, p + s, e - s);
			w += e - s;
		}
		r = e;
	}
	if (w == 0)
		p[w++] = '/';
	*n = w;
	return 0;
}

int urlpath_canon(const char *target, size_t len, char *out, size_t cap, const char **why)
{
	struct out o = { out, 0, cap };
	const char *q = memchr(target, '?', len);
	size_t plen = q ? (size_t)(q - target) : len;
	int err;

	*why = NULL;
	if (cap == 0)
		return ERR_LIMIT;
	out[0] = '\0';
	if (len == 0 || target[0] != '/') {
		*why = "the request target is not an absolute path";
		return ERR_SYNTAX;
	}
	err = normalise(target, plen, true, &o, why);
	if (err)
		return err;
	err = remove_dots(out, &o.n, why);
	if (err)
		return err;
	if (q) {
		if (!put(&o, '?'))
			return ERR_LIMIT;
		err = normalise(q + 1, len - plen - 1, false, &o, why);
		if (err)
			return err;
	}
	out[o.n] = '\0';
	return 0;
}
