/*
 * http1.c - HTTP/1.1 head parser (RFC 9112 §2-§6, RFC 9110 §5).
 *
 * Two steps: a byte-level state machine collects the head into a bounded
 * buffer and refuses NUL and stray CR/LF as they arrive; when the blank
 * line is seen, the complete head is parsed in one pass.  The parse
 * therefore never depends on where the input was cut.
 */
#include "core/base/api.h"
#include "core/decode/http1.h"
#include "core/base/err-t.h"
#include "core/base/limits.h"

#include <strings.h>

/* tchar (RFC 9110 §5.6.2). */
static bool is_tchar(uint8_t c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* field-vchar, SP and HTAB (RFC 9110 §5.5), obs-text included. */
static bool is_field_byte(uint8_t c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool is_ows(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static int http1_init(void *ctx, const void *params)
{
	struct http1 *h = ctx;

	memset(h, 0, sizeof(*h));
	if (params)
		h->p = *(const struct http1_params *)params;
	if (!h->p.max_head_bytes)
		h->p.max_head_bytes = LIMIT_HTTP_HEAD_BYTES;
	if (!h->p.max_headers)
		h->p.max_headers = LIMIT_HTTP_HEADERS;
	if (h->p.kind != HTTP1_REQUEST && h->p.kind != HTTP1_RESPONSE)
		return ERR_USAGE;
	/* One byte more for the NUL that ends the collected head. */
	buf_init(&h->raw, h->p.max_head_bytes + 1);
	h->fields = xcalloc(h->p.max_headers, sizeof(*h->fields));
	if (!h->fields)
		return ERR_NOMEM;
	h->state = h->p.kind == HTTP1_REQUEST ? HTTP1_LEAD : HTTP1_LINE;
	return 0;
}

static int set_why(struct http1 *h, enum http1_why why, int err)
{
	h->why = why;
	return err;
}

/* Splits off the next CRLF-terminated line of the collected head and
 * NUL-terminates it in place (at the CR). */
static char *next_line(char **pos, size_t *len)
{
	char *s = *pos;
	char *cr = strchr(s, '\r');

	/* The collector guarantees every CR is followed by LF. */
	*cr = '\0';
	*len = (size_t)(cr - s);
	*pos = cr + 2;
	return s;
}

static int parse_version(struct http1 *h, const char *v, size_t n)
{
	if (n != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' || v[5] < '0' || v[5] > '9' ||
	    v[7] < '0' || v[7] > '9')
		return set_why(h, HTTP1_WHY_VERSION, ERR_SYNTAX);
	if (v[5] != '1')
		return set_why(h, HTTP1_WHY_VERSION_UNSUPPORTED, ERR_UNSUPPORTED);
	h->head.minor = (unsigned)(v[7] - '0');
	return 0;
}

static int parse_request_line(struct http1 *h, char *s, size_t n)
{
	char *sp1 = memchr(s, ' ', n), *sp2;
	size_t i;
	int err;

	if (!sp1)
		return set_why(h, HTTP1_WHY_START_LINE, ERR_SYNTAX);
	sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - s));
	if (!sp2 || sp1 == s || sp2 == sp1 + 1)
		return set_why(h, HTTP1_WHY_START_LINE, ERR_SYNTAX);
	for (i = 0; s + i < sp1; i++)
		if (!is_tchar((uint8_t)s[i]))
			return set_why(h, HTTP1_WHY_METHOD, ERR_SYNTAX);
	for (i = 1; sp1 + i < sp2; i++)
		if ((uint8_t)sp1[i] < 0x21 || (uint8_t)sp1[i] > 0x7e)
			return set_why(h, HTTP1_WHY_TARGET, ERR_SYNTAX);
	/* A third SP ends up inside the version and fails there. */
	err = parse_version(h, sp2 + 1, n - (size_t)(sp2 + 1 - s));
	if (err)
		return err;
	*sp1 = '\0';
	*sp2 = '\0';
	h->head.method = s;
	h->head.method_len = (size_t)(sp1 - s);
	h->head.target = sp1 + 1;
	h->head.target_len = (size_t)(sp2 - sp1 - 1);
	return 0;
}

static int parse_status_line(struct http1 *h, char *s, size_t n)
{
	size_t i;
	int err;

	if (n < 12 || s[8] != ' ')
		return set_why(h, HTTP1_WHY_START_LINE, ERR_SYNTAX);
	err = parse_version(h, s, 8);
	if (err)
		return err;
	for (i = 9; i < 12; i++)
		if (s[i] < '0' || s[i] > '9')
			return set_why(h, HTTP1_WHY_STATUS, ERR_SYNTAX);
	h->head.status = (unsigned)((s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0'));
	if (h->head.status < 100 || h->head.status > 599)
		return set_why(h, HTTP1_WHY_STATUS, ERR_SYNTAX);
	if (n == 12) {
		h->head.reason = s + 12;
		h->head.reason_len = 0;
		return 0;
	}
	if (s[12] != ' ')
		return set_why(h, HTTP1_WHY_START_LINE, ERR_SYNTAX);
	for (i = 13; i < n; i++)
		if (!is_field_byte((uint8_t)s[i]))
			return set_why(h, HTTP1_WHY_START_LINE, ERR_SYNTAX);
	h->head.reason = s + 13;
	h->head.reason_len = n - 13;
	return 0;
}

static int parse_field(struct http1 *h, char *s, size_t n)
{
	char *colon = memchr(s, ':', n);
	char *v, *end;
	size_t i;

	if (is_ows((uint8_t)s[0]))
		return set_why(h, HTTP1_WHY_OBS_FOLD, ERR_SYNTAX);
	if (!colon || colon == s)
		return set_why(h, HTTP1_WHY_FIELD_NAME, ERR_SYNTAX);
	for (i = 0; s + i < colon; i++)
		if (!is_tchar((uint8_t)s[i]))
			return set_why(h, HTTP1_WHY_FIELD_NAME, ERR_SYNTAX);
	v = colon + 1;
	end = s + n;
	for (i = 0; v + i < end; i++)
		if (!is_field_byte((uint8_t)v[i]))
			return set_why(h, HTTP1_WHY_FIELD_VALUE, ERR_SYNTAX);
	while (v < end && is_ows((uint8_t)*v))
		v++;
	while (end > v && is_ows((uint8_t)end[-1]))
		end--;
	if (h->head.nheaders >= h->p.max_headers)
		return set_why(h, HTTP1_WHY_HEADERS_LIMIT, ERR_LIMIT);
	*colon = '\0';
	*end = '\0';
	h->fields[h->head.nheaders].name = s;
	h->fields[h->head.nheaders].name_len = (size_t)(colon - s);
	h->fields[h->head.nheaders].value = v;
	h->fields[h->head.nheaders].value_len = (size_t)(end - v);
	h->head.nheaders++;
	return 0;
}

/* Calls fn for each non-empty element of a comma list, OWS-trimmed.
 * Stops at the first non-zero return. */
static int each_element(const char *v, size_t n,
			int (*fn)(void *arg, const char *e, size_t len), void *arg)
{
	size_t i = 0;

	while (i < n) {
		size_t s, e;
		int rc;

		while (i < n && (is_ows((uint8_t)v[i]) || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && is_ows((uint8_t)v[e - 1]))
			e--;
		if (e > s && (rc = fn(arg, v + s, e - s)) != 0)
			return rc;
	}
	return 0;
}

struct framing {
	struct http1 *h;
	unsigned codings;	/* transfer codings seen, all lines */
	bool last_chunked;	/* the last coding seen is chunked */
	bool chunked_seen;	/* chunked appeared at all */
	bool have_cl;
	uint64_t cl;
	unsigned cl_values;	/* Content-Length list elements seen */
};

static int te_element(void *arg, const char *e, size_t len)
{
	struct framing *f = arg;

	f->codings++;
	f->last_chunked = len == 7 && !strncasecmp(e, "chunked", 7);
	if (f->last_chunked) {
		/* RFC 9112 §6.1: chunked MUST NOT be applied twice. */
		if (f->chunked_seen)
			return set_why(f->h, HTTP1_WHY_TE_UNSUPPORTED, ERR_UNSUPPORTED);
		f->chunked_seen = true;
	}
	return 0;
}

static int cl_element(void *arg, const char *e, size_t len)
{
	struct framing *f = arg;
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (e[i] < '0' || e[i] > '9')
			return set_why(f->h, HTTP1_WHY_CL_SYNTAX, ERR_SYNTAX);
		if (__builtin_mul_overflow(v, 10u, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(e[i] - '0'), &v))
			return set_why(f->h, HTTP1_WHY_CL_OVERFLOW, ERR_OVERFLOW);
	}
	f->cl_values++;
	if (f->have_cl && f->cl != v)
		return set_why(f->h, HTTP1_WHY_CL_MISMATCH, ERR_SYNTAX);
	f->have_cl = true;
	f->cl = v;
	return 0;
}

static bool ieq(const char *a, size_t alen, const char *b)
{
	return alen == strlen(b) && !strncasecmp(a, b, alen);
}

/* Derives framing and connection facts and applies the cross-field
 * rules (RFC 9112 §3.2, §6.1, §6.3; RFC 9110 §8.6, §10.1.1). */
static int derive(struct http1 *h)
{
	struct http1_head *hd = &h->head;
	struct framing f = { .h = h };
	bool te = false, close = false, keep = false;
	size_t i, hosts = 0;
	int err;

	for (i = 0; i < hd->nheaders; i++) {
		const struct http1_header *fl = &h->fields[i];

		if (ieq(fl->name, fl->name_len, "transfer-encoding")) {
			te = true;
			err = each_element(fl->value, fl->value_len, te_element, &f);
			if (err)
				return err;
		} else if (ieq(fl->name, fl->name_len, "content-length")) {
			unsigned before = f.cl_values;

			err = each_element(fl->value, fl->value_len, cl_element, &f);
			if (err)
				return err;
			/* An empty value, or only commas, is not 1*DIGIT. */
			if (f.cl_values == before)
				return set_why(h, HTTP1_WHY_CL_SYNTAX, ERR_SYNTAX);
		} else if (ieq(fl->name, fl->name_len, "connection")) {
			close |= http1_list_has(fl->value, fl->value_len, "close");
			keep |= http1_list_has(fl->value, fl->value_len, "keep-alive");
		} else if (ieq(fl->name, fl->name_len, "expect")) {
			if (ieq(fl->value, fl->value_len, "100-continue"))
				hd->expect_continue = true;
			else if (fl->value_len)
				hd->expect_other = true;
		} else if (ieq(fl->name, fl->name_len, "host")) {
			hosts++;
		}
	}
	if (te && f.have_cl)
		return set_why(h, HTTP1_WHY_TE_AND_CL, ERR_SYNTAX);
	if (te && hd->minor == 0)
		return set_why(h, HTTP1_WHY_TE_HTTP10, ERR_SYNTAX);
	if (te && (f.codings != 1 || !f.last_chunked))
		return set_why(h, HTTP1_WHY_TE_UNSUPPORTED, ERR_UNSUPPORTED);
	if (hd->kind == HTTP1_REQUEST && hd->minor >= 1 && hosts != 1)
		return set_why(h, HTTP1_WHY_HOST, ERR_SYNTAX);
	hd->chunked = te;
	hd->has_length = f.have_cl;
	hd->content_length = f.cl;
	hd->keep_alive = hd->minor >= 1 ? !close : (keep && !close);
	if (hd->kind == HTTP1_RESPONSE && http1_response_body(hd, false) == HTTP1_BODY_CLOSE)
		hd->keep_alive = false;
	return 0;
}

static int parse_head(struct http1 *h)
{
	char *pos = (char *)h->raw.data, *line;
	size_t n;
	int err;

	h->head.kind = h->p.kind;
	h->head.headers = h->fields;
	line = next_line(&pos, &n);
	err = h->p.kind == HTTP1_REQUEST ? parse_request_line(h, line, n) :
	      parse_status_line(h, line, n);
	if (err)
		return err;
	for (;;) {
		line = next_line(&pos, &n);
		if (n == 0)
			break;
		err = parse_field(h, line, n);
		if (err)
			return err;
	}
	return derive(h);
}

static struct dec_result fail(struct http1 *h, enum http1_why why, int err, size_t consumed)
{
	h->state = HTTP1_FAILED;
	h->why = why;
	return dec_err(err, consumed);
}

static struct dec_result http1_feed(void *ctx, const uint8_t *in, size_t len,
				    const struct dec_sink *sink)
{
	struct http1 *h = ctx;
	size_t i;

	UNUSED(sink);
	if (h->state == HTTP1_DONE)
		return dec_ok(DEC_STOP, 0);
	if (h->state == HTTP1_FAILED)
		return dec_err(ERR_STATE, 0);
	for (i = 0; i < len; i++) {
		uint8_t c = in[i];
		int err;

		if (c == 0)
			return fail(h, HTTP1_WHY_NUL, ERR_SYNTAX, i);
		if (h->seen >= h->p.max_head_bytes)
			return fail(h, HTTP1_WHY_HEAD_LIMIT, ERR_LIMIT, i);
		h->seen++;
		switch (h->state) {
		case HTTP1_LEAD:
			if (c == '\r') {
				h->state = HTTP1_LEAD_LF;
				continue;
			}
			if (c == '\n')
				return fail(h, HTTP1_WHY_BARE_LF, ERR_SYNTAX, i);
			h->state = HTTP1_LINE;
			break;
		case HTTP1_LEAD_LF:
			if (c != '\n')
				return fail(h, HTTP1_WHY_BARE_CR, ERR_SYNTAX, i);
			h->state = HTTP1_LEAD;
			continue;
		case HTTP1_LINE:
			if (c == '\r')
				h->state = HTTP1_LINE_LF;
			else if (c == '\n')
				return fail(h, HTTP1_WHY_BARE_LF, ERR_SYNTAX, i);
			break;
		case HTTP1_LINE_LF:
			if (c != '\n')
				return fail(h, HTTP1_WHY_BARE_CR, ERR_SYNTAX, i);
			h->state = HTTP1_BOL;
			break;
		case HTTP1_BOL:
			if (c == '\r')
				h->state = HTTP1_END_LF;
			else if (c == '\n')
				return fail(h, HTTP1_WHY_BARE_LF, ERR_SYNTAX, i);
			else
				h->state = HTTP1_LINE;
			break;
		case HTTP1_END_LF:
			if (c != '\n')
				return fail(h, HTTP1_WHY_BARE_CR, ERR_SYNTAX, i);
			/* Room is guaranteed: raw.max == max_head_bytes >= seen. */
			if (buf_append(&h->raw, &c, 1) || buf_append(&h->raw, "", 1))
				return fail(h, HTTP1_WHY_NOMEM, ERR_NOMEM, i);
			h->raw.len--;
			err = parse_head(h);
			if (err) {
				h->state = HTTP1_FAILED;
				return dec_err(err, i + 1);
			}
			h->head.head_bytes = h->seen;
			h->state = HTTP1_DONE;
			if (h->p.on_head)
				h->p.on_head(h->p.arg, &h->head);
			return dec_ok(DEC_STOP, i + 1);
		case HTTP1_DONE:
		case HTTP1_FAILED:
			break;
		}
		if (buf_append(&h->raw, &c, 1))
			return fail(h, HTTP1_WHY_NOMEM, ERR_NOMEM, i);
	}
	return dec_ok(DEC_MORE, len);
}

static struct dec_result http1_finish(void *ctx, const struct dec_sink *sink)
{
	struct http1 *h = ctx;

	UNUSED(sink);
	if (h->state == HTTP1_DONE)
		return dec_ok(DEC_STOP, 0);
	if (h->state == HTTP1_FAILED)
		return dec_err(ERR_STATE, 0);
	return fail(h, HTTP1_WHY_TRUNCATED, ERR_TRUNCATED, 0);
}

static void http1_release(void *ctx)
{
	struct http1 *h = ctx;

	buf_release(&h->raw);
	xfree(h->fields);
	h->fields = NULL;
}

enum http1_why http1_why(const struct http1 *h)
{
	return h->why;
}

const char *http1_why_str(enum http1_why why)
{
	static const char *const text[] = {
		[HTTP1_WHY_NONE] = "no error",
		[HTTP1_WHY_NUL] = "NUL byte in head",
		[HTTP1_WHY_BARE_CR] = "bare CR in head",
		[HTTP1_WHY_BARE_LF] = "bare LF in head",
		[HTTP1_WHY_HEAD_LIMIT] = "head too large",
		[HTTP1_WHY_HEADERS_LIMIT] = "too many header fields",
		[HTTP1_WHY_START_LINE] = "malformed start line",
		[HTTP1_WHY_METHOD] = "bad method",
		[HTTP1_WHY_TARGET] = "bad request-target",
		[HTTP1_WHY_VERSION] = "malformed HTTP version",
		[HTTP1_WHY_VERSION_UNSUPPORTED] = "unsupported HTTP version",
		[HTTP1_WHY_STATUS] = "bad status code",
		[HTTP1_WHY_OBS_FOLD] = "obsolete line folding",
		[HTTP1_WHY_FIELD_NAME] = "bad header field name",
		[HTTP1_WHY_FIELD_VALUE] = "bad header field value",
		[HTTP1_WHY_TE_AND_CL] = "both Transfer-Encoding and Content-Length",
		[HTTP1_WHY_TE_UNSUPPORTED] = "unsupported Transfer-Encoding",
		[HTTP1_WHY_TE_HTTP10] = "Transfer-Encoding in HTTP/1.0",
		[HTTP1_WHY_CL_SYNTAX] = "malformed Content-Length",
		[HTTP1_WHY_CL_MISMATCH] = "conflicting Content-Length values",
		[HTTP1_WHY_CL_OVERFLOW] = "Content-Length overflows",
		[HTTP1_WHY_HOST] = "missing or repeated Host",
		[HTTP1_WHY_TRUNCATED] = "connection ended inside the head",
		[HTTP1_WHY_NOMEM] = "out of memory",
	};

	if ((size_t)why >= ARRAY_SIZE(text) || !text[why])
		return "unknown";
	return text[why];
}

const struct http1_head *http1_head_peek(const struct http1 *h)
{
	return h->state == HTTP1_DONE ? &h->head : NULL;
}

const struct http1_header *http1_header_find(const struct http1_head *h, const char *name,
					     size_t *iter)
{
	size_t i = iter ? *iter : 0;

	for (; i < h->nheaders; i++) {
		if (ieq(h->headers[i].name, h->headers[i].name_len, name)) {
			if (iter)
				*iter = i + 1;
			return &h->headers[i];
		}
	}
	if (iter)
		*iter = h->nheaders;
	return NULL;
}

struct has_arg {
	const char *token;
};

static int has_element(void *arg, const char *e, size_t len)
{
	const struct has_arg *a = arg;

	return ieq(e, len, a->token);
}

bool http1_list_has(const char *value, size_t len, const char *token)
{
	struct has_arg a = { token };

	return each_element(value, len, has_element, &a) != 0;
}

enum http1_body http1_request_body(const struct http1_head *h)
{
	if (h->chunked)
		return HTTP1_BODY_CHUNKED;
	if (h->has_length)
		return HTTP1_BODY_LENGTH;
	return HTTP1_BODY_NONE;
}

enum http1_body http1_response_body(const struct http1_head *h, bool request_was_head)
{
	if (request_was_head || h->status < 200 || h->status == 204 || h->status == 304)
		return HTTP1_BODY_NONE;
	if (h->chunked)
		return HTTP1_BODY_CHUNKED;
	if (h->has_length)
		return HTTP1_BODY_LENGTH;
	return HTTP1_BODY_CLOSE;
}

struct coding_arg {
	const char *name;
	size_t len;
	unsigned count;
};

static int coding_element(void *arg, const char *e, size_t len)
{
	struct coding_arg *a = arg;

	if (ieq(e, len, "identity"))
		return 0;
	a->count++;
	a->name = e;
	a->len = len;
	return 0;
}

int http1_content_coding(const struct http1_head *h, const char **name, size_t *name_len)
{
	struct coding_arg a = { NULL, 0, 0 };
	const struct http1_header *f;
	size_t it = 0;

	while ((f = http1_header_find(h, "content-encoding", &it)) != NULL)
		each_element(f->value, f->value_len, coding_element, &a);
	if (a.count > 1)
		return ERR_UNSUPPORTED;
	*name = a.name;
	*name_len = a.len;
	return 0;
}

bool http1_method_is(const struct http1_head *h, const char *method)
{
	return h->kind == HTTP1_REQUEST && h->method_len == strlen(method) &&
	       memcmp(h->method, method, h->method_len) == 0;
}

const struct decoder_type http1_decoder = {
	.name = "http1",
	.phase = DEC_PHASE_TRANSPORT,
	.flags = 0,
	.ctx_size = sizeof(struct http1),
	.init = http1_init,
	.feed = http1_feed,
	.finish = http1_finish,
	.release = http1_release,
};
