/*
 * test_http1.c - decode/http1/: request and response heads captured from
 * a real git push through git http-backend, and crafted smuggling and
 * malformation cases; every input fed whole, at every split and byte by
 * byte.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err-t.h"
#include "core/base/limits.h"
#include "core/decode/dec_chunked.h"
#include "core/decode/http1.h"
#include "tests/lib/splitfeed.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

/* Serialises a parsed head into the run's output, so splitfeed compares
 * the parse itself across splits. */
static void dump(void *arg, const struct http1_head *h)
{
	struct buf *out = arg;
	size_t i;

	buf_printf(out, "%d|%s|%s|%u|%s|%u|%zu\n", (int)h->kind, h->method ? h->method : "",
		   h->target ? h->target : "", h->status, h->reason ? h->reason : "", h->minor,
		   h->head_bytes);
	for (i = 0; i < h->nheaders; i++)
		buf_printf(out, "%s=%s\n", h->headers[i].name, h->headers[i].value);
	buf_printf(out, "chunked=%d len=%d/%llu keep=%d expect=%d/%d\n", h->chunked,
		   h->has_length, (unsigned long long)h->content_length, h->keep_alive,
		   h->expect_continue, h->expect_other);
}

struct pf {
	struct http1_params p;
};

static const void *params_for(void *arg, struct buf *out)
{
	struct pf *pf = arg;

	pf->p.on_head = dump;
	pf->p.arg = out;
	return &pf->p;
}

static void load(const char *rel, struct buf *b)
{
	assert_int_equal(test_read_file(test_fixture_path(rel), b), 0);
}

/* A parser of our own that stays alive for assertions on the head. */
struct parsed {
	struct http1 h;
	struct dec_result r;
};

static int nosink(void *ctx, const uint8_t *p, size_t n)
{
	UNUSED(ctx);
	UNUSED(p);
	UNUSED(n);
	return ERR_STATE;
}

static const struct http1_head *parse(struct parsed *ps, enum http1_kind kind,
				      const uint8_t *in, size_t len)
{
	struct http1_params p = { .kind = kind };
	struct dec_sink sink = { nosink, NULL };

	assert_int_equal(http1_decoder.init(&ps->h, &p), 0);
	ps->r = http1_decoder.feed(&ps->h, in, len, &sink);
	if (ps->r.status == DEC_MORE)
		ps->r = http1_decoder.finish(&ps->h, &sink);
	return http1_head_peek(&ps->h);
}

static size_t head_len(const struct buf *b)
{
	const uint8_t *e = memmem(b->data, b->len, "\r\n\r\n", 4);

	assert_non_null(e);
	return (size_t)(e - b->data) + 4;
}

static const char *field(const struct http1_head *h, const char *name)
{
	const struct http1_header *f = http1_header_find(h, name, NULL);

	return f ? f->value : NULL;
}

static void check_split(enum http1_kind kind, const struct buf *in, size_t stop_at)
{
	struct pf pf = { .p = { .kind = kind } };
	struct splitfeed_outcome o;

	splitfeed_check(&http1_decoder, params_for, &pf, in->data, in->len, &o);
	assert_int_equal(o.status, DEC_STOP);
	assert_int_equal(o.consumed, stop_at);
	assert_true(o.out.len > 0);
	buf_release(&o.out);
}

static void test_real_get_info_refs(void **state)
{
	struct buf in;
	struct parsed ps;
	const struct http1_head *h;

	UNUSED(state);
	load("http/git-get-info-refs.req", &in);
	check_split(HTTP1_REQUEST, &in, in.len);
	h = parse(&ps, HTTP1_REQUEST, in.data, in.len);
	assert_non_null(h);
	assert_true(http1_method_is(h, "GET"));
	assert_false(http1_method_is(h, "get"));
	assert_string_equal(h->target, "/sha1.git/info/refs?service=git-receive-pack");
	assert_int_equal(h->minor, 1);
	assert_string_equal(field(h, "user-agent"), "git/2.39.5");
	assert_non_null(field(h, "HOST"));
	assert_int_equal(http1_request_body(h), HTTP1_BODY_NONE);
	assert_true(h->keep_alive);
	assert_true(http1_list_has(field(h, "accept-encoding"),
				   strlen(field(h, "accept-encoding")), "GZIP"));
	assert_false(http1_list_has(field(h, "accept-encoding"),
				    strlen(field(h, "accept-encoding")), "identity"));
	assert_int_equal(h->head_bytes, in.len);
	http1_decoder.release(&ps.h);
	buf_release(&in);
}

static void test_real_post_with_length(void **state)
{
	static const char *const files[] = { "http/git-post-receive-pack.req",
					     "http/git-post-probe.req" };
	size_t f;

	UNUSED(state);
	for (f = 0; f < ARRAY_SIZE(files); f++) {
		struct buf in;
		struct parsed ps;
		const struct http1_head *h;
		size_t hl;
		const char *name;
		size_t nlen;

		load(files[f], &in);
		hl = head_len(&in);
		check_split(HTTP1_REQUEST, &in, hl);
		h = parse(&ps, HTTP1_REQUEST, in.data, in.len);
		assert_non_null(h);
		assert_int_equal(ps.r.consumed, hl);
		assert_true(http1_method_is(h, "POST"));
		assert_string_equal(field(h, "Content-Type"),
				    "application/x-git-receive-pack-request");
		assert_int_equal(http1_request_body(h), HTTP1_BODY_LENGTH);
		assert_int_equal(h->content_length, in.len - hl);
		assert_false(h->expect_continue);
		assert_int_equal(http1_content_coding(h, &name, &nlen), 0);
		assert_null(name);
		http1_decoder.release(&ps.h);
		buf_release(&in);
	}
}

static int collect(void *ctx, const uint8_t *p, size_t n)
{
	return buf_append(ctx, p, n);
}

/* The head parser stops at the body, dec_chunked takes it from there and
 * stops at the end of the capture. */
static void test_real_post_chunked_chain(void **state)
{
	struct buf in, body;
	struct parsed ps;
	const struct http1_head *h;
	struct dec_chunked c;
	struct dec_sink sink;
	struct dec_result r;

	UNUSED(state);
	load("http/git-post-chunked.req", &in);
	check_split(HTTP1_REQUEST, &in, head_len(&in));
	h = parse(&ps, HTTP1_REQUEST, in.data, in.len);
	assert_non_null(h);
	assert_true(h->chunked);
	assert_false(h->has_length);
	assert_int_equal(http1_request_body(h), HTTP1_BODY_CHUNKED);
	buf_init(&body, 1u << 20);
	sink.write = collect;
	sink.ctx = &body;
	assert_int_equal(dec_chunked.init(&c, NULL), 0);
	r = dec_chunked.feed(&c, in.data + ps.r.consumed, in.len - ps.r.consumed, &sink);
	assert_int_equal(r.status, DEC_STOP);
	assert_int_equal(ps.r.consumed + r.consumed, in.len);
	assert_non_null(memmem(body.data, body.len, "PACK", 4));
	dec_chunked.release(&c);
	http1_decoder.release(&ps.h);
	buf_release(&body);
	buf_release(&in);
}

static void test_real_responses(void **state)
{
	static const struct {
		const char *file;
		const char *ctype;
	} cases[] = {
		{ "http/git-advert-200.resp", "application/x-git-receive-pack-advertisement" },
		{ "http/git-receive-pack-result.resp", "application/x-git-receive-pack-result" },
	};
	size_t f;

	UNUSED(state);
	for (f = 0; f < ARRAY_SIZE(cases); f++) {
		struct buf in;
		struct parsed ps;
		const struct http1_head *h;
		size_t hl;

		load(cases[f].file, &in);
		hl = head_len(&in);
		check_split(HTTP1_RESPONSE, &in, hl);
		h = parse(&ps, HTTP1_RESPONSE, in.data, in.len);
		assert_non_null(h);
		assert_int_equal(h->status, 200);
		assert_string_equal(h->reason, "OK");
		assert_string_equal(field(h, "content-type"), cases[f].ctype);
		assert_int_equal(http1_response_body(h, false), HTTP1_BODY_LENGTH);
		assert_int_equal(http1_response_body(h, true), HTTP1_BODY_NONE);
		assert_int_equal(h->content_length, in.len - hl);
		assert_true(h->keep_alive);
		http1_decoder.release(&ps.h);
		buf_release(&in);
	}
}

struct good_case {
	const char *name;
	enum http1_kind kind;
	const char *in;
	size_t stop;			/* expected consumed */
	const char *check_field;	/* a field that must be found, or NULL */
	const char *check_value;
};

static void test_accepted_variants(void **state)
{
	static const struct good_case cases[] = {
		{ "leading CRLFs", HTTP1_REQUEST, "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 31,
		  "host", "a" },
		{ "OWS trimmed", HTTP1_REQUEST,
		  "GET / HTTP/1.1\r\nHost:  \t a b \t\r\nX-E:\r\n\r\n", 40, "x-e", "" },
		{ "pipelined", HTTP1_REQUEST,
		  "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n", 28,
		  "host", "a" },
		{ "http/1.0 without host", HTTP1_REQUEST, "GET / HTTP/1.0\r\n\r\n", 18, NULL, NULL },
		{ "same length twice", HTTP1_REQUEST,
		  "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3, 3\r\n\r\nabc",
		  69, "content-length", "3" },
		{ "status without reason", HTTP1_RESPONSE, "HTTP/1.1 204\r\n\r\n", 16, NULL, NULL },
		{ "empty reason", HTTP1_RESPONSE, "HTTP/1.1 404 \r\nA: b\r\n\r\n", 23, "a", "b" },
		{ "obs-text in value", HTTP1_RESPONSE, "HTTP/1.1 200 OK\r\nX: caf\xc3\xa9\r\n\r\n",
		  29, "x", "caf\xc3\xa9" },
		{ "chunked any case", HTTP1_REQUEST,
		  "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n", 56,
		  "transfer-encoding", "Chunked" },
	};
	size_t i;

	UNUSED(state);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct buf in;
		struct parsed ps;
		const struct http1_head *h;

		buf_init(&in, 4096);
		assert_int_equal(buf_append_str(&in, cases[i].in), 0);
		check_split(cases[i].kind, &in, cases[i].stop);
		h = parse(&ps, cases[i].kind, in.data, in.len);
		if (!h)
			fail_msg("%s: %s", cases[i].name, http1_why_str(http1_why(&ps.h)));
		if (cases[i].check_field)
			assert_string_equal(field(h, cases[i].check_field), cases[i].check_value);
		http1_decoder.release(&ps.h);
		buf_release(&in);
	}
}

static void test_derived_facts(void **state)
{
	struct parsed ps;
	const struct http1_head *h;
	const char *name;
	size_t nlen, it = 0;
	static const char req[] =
		"PUT /x HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nConnection: foo, close\r\n"
		"Content-Encoding: identity, GZIP\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: 0\r\n\r\n";
	static const char req10[] = "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n";
	static const char stacked[] =
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Encoding: gzip\r\nContent-Encoding: br\r\n\r\n";
	static const char resp_close[] = "HTTP/1.1 200 OK\r\n\r\n";
	static const char resp_100[] = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n";

	UNUSED(state);
	h = parse(&ps, HTTP1_REQUEST, (const uint8_t *)req, sizeof(req) - 1);
	assert_non_null(h);
	assert_true(h->expect_continue);
	assert_false(h->keep_alive);
	assert_int_equal(http1_request_body(h), HTTP1_BODY_LENGTH);
	assert_int_equal(h->content_length, 0);
	assert_int_equal(http1_content_coding(h, &name, &nlen), 0);
	assert_int_equal(nlen, 4);
	assert_memory_equal(name, "GZIP", 4);
	assert_string_equal(http1_header_find(h, "X-A", &it)->value, "1");
	assert_string_equal(http1_header_find(h, "X-A", &it)->value, "2");
	assert_null(http1_header_find(h, "X-A", &it));
	http1_decoder.release(&ps.h);

	h = parse(&ps, HTTP1_REQUEST, (const uint8_t *)req10, sizeof(req10) - 1);
	assert_non_null(h);
	assert_int_equal(h->minor, 0);
	assert_true(h->keep_alive);
	http1_decoder.release(&ps.h);

	h = parse(&ps, HTTP1_REQUEST, (const uint8_t *)stacked, sizeof(stacked) - 1);
	assert_non_null(h);
	assert_int_equal(http1_content_coding(h, &name, &nlen), ERR_UNSUPPORTED);
	http1_decoder.release(&ps.h);

	h = parse(&ps, HTTP1_RESPONSE, (const uint8_t *)resp_close, sizeof(resp_close) - 1);
	assert_non_null(h);
	assert_int_equal(http1_response_body(h, false), HTTP1_BODY_CLOSE);
	assert_false(h->keep_alive);
	http1_decoder.release(&ps.h);

	h = parse(&ps, HTTP1_RESPONSE, (const uint8_t *)resp_100, sizeof(resp_100) - 1);
	assert_non_null(h);
	assert_int_equal(ps.r.consumed, 25);
	assert_int_equal(h->status, 100);
	assert_int_equal(http1_response_body(h, false), HTTP1_BODY_NONE);
	http1_decoder.release(&ps.h);
}

struct bad_case {
	const char *name;
	enum http1_kind kind;
	const char *in;
	size_t len;		/* 0 = strlen */
	int err;
	enum http1_why why;
	size_t consumed;	/* SIZE_MAX = the whole input */
};

static void test_rejected(void **state)
{
	static const struct bad_case cases[] = {
		{ "NUL in value", HTTP1_REQUEST, "GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n", 29,
		  ERR_SYNTAX, HTTP1_WHY_NUL, 23 },
		{ "bare LF line end", HTTP1_REQUEST, "GET / HTTP/1.1\nHost: a\r\n\r\n", 0,
		  ERR_SYNTAX, HTTP1_WHY_BARE_LF, 14 },
		{ "bare CR in value", HTTP1_REQUEST, "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 0,
		  ERR_SYNTAX, HTTP1_WHY_BARE_CR, 24 },
		{ "bare LF blank line", HTTP1_REQUEST, "GET / HTTP/1.1\r\nHost: a\r\n\n", 0,
		  ERR_SYNTAX, HTTP1_WHY_BARE_LF, 25 },
		{ "CR junk at end", HTTP1_REQUEST, "GET / HTTP/1.1\r\nHost: a\r\n\rX", 0,
		  ERR_SYNTAX, HTTP1_WHY_BARE_CR, 26 },
		{ "obs-fold", HTTP1_REQUEST, "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", 0,
		  ERR_SYNTAX, HTTP1_WHY_OBS_FOLD, SIZE_MAX },
		{ "space before colon", HTTP1_REQUEST,
		  "GET / HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n\r\nhello", 0, ERR_SYNTAX,
		  HTTP1_WHY_FIELD_NAME, 47 },
		{ "space in name", HTTP1_REQUEST, "GET / HTTP/1.1\r\nHost: a\r\nX Y: 1\r\n\r\n", 0,
		  ERR_SYNTAX, HTTP1_WHY_FIELD_NAME, SIZE_MAX },
		{ "empty name", HTTP1_REQUEST, "GET / HTTP/1.1\r\nHost: a\r\n: 1\r\n\r\n", 0,
		  ERR_SYNTAX, HTTP1_WHY_FIELD_NAME, SIZE_MAX },
		{ "no colon", HTTP1_REQUEST, "GET / HTTP/1.1\r\nHost: a\r\nJunk\r\n\r\n", 0,
		  ERR_SYNTAX, HTTP1_WHY_FIELD_NAME, SIZE_MAX },
		{ "control in value", HTTP1_REQUEST, "GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n", 0,
		  ERR_SYNTAX, HTTP1_WHY_FIELD_VALUE, SIZE_MAX },
		{ "TE and CL", HTTP1_REQUEST,
		  "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n",
		  0, ERR_SYNTAX, HTTP1_WHY_TE_AND_CL, SIZE_MAX },
		{ "CL and TE in response", HTTP1_RESPONSE,
		  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n", 0,
		  ERR_SYNTAX, HTTP1_WHY_TE_AND_CL, SIZE_MAX },
		{ "TE gzip", HTTP1_REQUEST,
		  "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 0,
		  ERR_UNSUPPORTED, HTTP1_WHY_TE_UNSUPPORTED, SIZE_MAX },
		{ "TE chunked not last", HTTP1_REQUEST,
		  "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 0,
		  ERR_UNSUPPORTED, HTTP1_WHY_TE_UNSUPPORTED, SIZE_MAX },
		{ "TE chunked twice", HTTP1_REQUEST,
		  "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
		  "Transfer-Encoding: chunked\r\n\r\n", 0,
		  ERR_UNSUPPORTED, HTTP1_WHY_TE_UNSUPPORTED, SIZE_MAX },
		{ "TE xchunked", HTTP1_REQUEST,
		  "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n", 0,
		  ERR_UNSUPPORTED, HTTP1_WHY_TE_UNSUPPORTED, SIZE_MAX },
		{ "TE empty", HTTP1_REQUEST,
		  "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", 0,
		  ERR_UNSUPPORTED, HTTP1_WHY_TE_UNSUPPORTED, SIZE_MAX },
		{ "TE in HTTP/1.0", HTTP1_REQUEST,
		  "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 0, ERR_SYNTAX,
		  HTTP1_WHY_TE_HTTP10, SIZE_MAX },
		{ "CL differing lines", HTTP1_REQUEST,
		  "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n", 0,
		  ERR_SYNTAX, HTTP1_WHY_CL_MISMATCH, SIZE_MAX },
		{ "CL differing list", HTTP1_REQUEST,
		  "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4, 5\r\n\r\n", 0, ERR_SYNTAX,
		  HTTP1_WHY_CL_MISMATCH, SIZE_MAX },
		{ "CL negative", HTTP1_REQUEST,
		  "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 0, ERR_SYNTAX,
		  HTTP1_WHY_CL_SYNTAX, SIZE_MAX },
		{ "CL plus sign", HTTP1_REQUEST,
		  "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +4\r\n\r\n", 0, ERR_SYNTAX,
		  HTTP1_WHY_CL_SYNTAX, SIZE_MAX },
		{ "CL hex", HTTP1_REQUEST, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x4\r\n\r\n",
		  0, ERR_SYNTAX, HTTP1_WHY_CL_SYNTAX, SIZE_MAX },
		{ "CL empty", HTTP1_REQUEST, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n",
		  0, ERR_SYNTAX, HTTP1_WHY_CL_SYNTAX, SIZE_MAX },
		{ "CL only commas", HTTP1_REQUEST,
		  "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: , ,\r\n\r\n", 0, ERR_SYNTAX,
		  HTTP1_WHY_CL_SYNTAX, SIZE_MAX },
		{ "CL 2^64", HTTP1_REQUEST,
		  "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551616\r\n\r\n", 0,
		  ERR_OVERFLOW, HTTP1_WHY_CL_OVERFLOW, SIZE_MAX },
		{ "CL huge", HTTP1_REQUEST,
		  "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", 0,
		  ERR_OVERFLOW, HTTP1_WHY_CL_OVERFLOW, SIZE_MAX },
		{ "no host", HTTP1_REQUEST, "GET / HTTP/1.1\r\nX: y\r\n\r\n", 0, ERR_SYNTAX,
		  HTTP1_WHY_HOST, SIZE_MAX },
		{ "two hosts", HTTP1_REQUEST, "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 0,
		  ERR_SYNTAX, HTTP1_WHY_HOST, SIZE_MAX },
		{ "HTTP/2.0", HTTP1_REQUEST, "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 0, ERR_UNSUPPORTED,
		  HTTP1_WHY_VERSION_UNSUPPORTED, SIZE_MAX },
		{ "lowercase version", HTTP1_REQUEST, "GET / http/1.1\r\nHost: a\r\n\r\n", 0,
		  ERR_SYNTAX, HTTP1_WHY_VERSION, SIZE_MAX },
		{ "HTTP/1.10", HTTP1_REQUEST, "GET / HTTP/1.10\r\nHost: a\r\n\r\n", 0, ERR_SYNTAX,
		  HTTP1_WHY_VERSION, SIZE_MAX },
		{ "missing version", HTTP1_REQUEST, "GET /\r\nHost: a\r\n\r\n", 0, ERR_SYNTAX,
		  HTTP1_WHY_START_LINE, SIZE_MAX },
		{ "double space", HTTP1_REQUEST, "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 0, ERR_SYNTAX,
		  HTTP1_WHY_START_LINE, SIZE_MAX },
		{ "extra token", HTTP1_REQUEST, "GET / x HTTP/1.1\r\nHost: a\r\n\r\n", 0, ERR_SYNTAX,
		  HTTP1_WHY_VERSION, SIZE_MAX },
		{ "bad method", HTTP1_REQUEST, "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 0, ERR_SYNTAX,
		  HTTP1_WHY_METHOD, SIZE_MAX },
		{ "obs-text target", HTTP1_REQUEST, "GET /\xff HTTP/1.1\r\nHost: a\r\n\r\n", 0,
		  ERR_SYNTAX, HTTP1_WHY_TARGET, SIZE_MAX },
		{ "status 99", HTTP1_RESPONSE, "HTTP/1.1 099 X\r\n\r\n", 0, ERR_SYNTAX,
		  HTTP1_WHY_STATUS, SIZE_MAX },
		{ "status 600", HTTP1_RESPONSE, "HTTP/1.1 600 X\r\n\r\n", 0, ERR_SYNTAX,
		  HTTP1_WHY_STATUS, SIZE_MAX },
		{ "status letters", HTTP1_RESPONSE, "HTTP/1.1 2x0 X\r\n\r\n", 0, ERR_SYNTAX,
		  HTTP1_WHY_STATUS, SIZE_MAX },
		{ "status 4 digits", HTTP1_RESPONSE, "HTTP/1.1 2000 X\r\n\r\n", 0, ERR_SYNTAX,
		  HTTP1_WHY_START_LINE, SIZE_MAX },
		{ "response leading CRLF", HTTP1_RESPONSE, "\r\nHTTP/1.1 200 OK\r\n\r\n", 0,
		  ERR_SYNTAX, HTTP1_WHY_START_LINE, SIZE_MAX },
		{ "truncated", HTTP1_REQUEST, "GET / HTTP/1.1\r\nHost: a\r\n", 0, ERR_TRUNCATED,
		  HTTP1_WHY_TRUNCATED, SIZE_MAX },
		{ "empty", HTTP1_REQUEST, "", 0, ERR_TRUNCATED, HTTP1_WHY_TRUNCATED, 0 },
	};
	size_t i;

	UNUSED(state);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct bad_case *bc = &cases[i];
		size_t len = bc->len ? bc->len : strlen(bc->in);
		size_t want = bc->consumed == SIZE_MAX ? len : bc->consumed;
		struct pf pf = { .p = { .kind = bc->kind } };
		struct splitfeed_outcome o;
		struct parsed ps;

		splitfeed_check(&http1_decoder, params_for, &pf, (const uint8_t *)bc->in, len, &o);
		if (o.status != DEC_ERR || o.err != bc->err || o.consumed != want)
			fail_msg("%s: status %d err %d consumed %zu", bc->name, o.status, o.err,
				 o.consumed);
		assert_int_equal(o.out.len, 0);
		buf_release(&o.out);
		assert_null(parse(&ps, bc->kind, (const uint8_t *)bc->in, len));
		if (http1_why(&ps.h) != bc->why)
			fail_msg("%s: why %s", bc->name, http1_why_str(http1_why(&ps.h)));
		http1_decoder.release(&ps.h);
	}
}

static void test_caps(void **state)
{
	struct buf in;
	struct pf pf = { .p = { .kind = HTTP1_REQUEST } };
	struct splitfeed_outcome o;
	struct parsed ps;
	size_t i;

	UNUSED(state);
	/* LIMIT_HTTP_HEADERS fields pass, one more does not. */
	buf_init(&in, 1u << 20);
	assert_int_equal(buf_append_str(&in, "GET / HTTP/1.1\r\nHost: a\r\n"), 0);
	for (i = 1; i < LIMIT_HTTP_HEADERS; i++)
		assert_int_equal(buf_printf(&in, "X-%zu: v\r\n", i), 0);
	assert_int_equal(buf_append_str(&in, "\r\n"), 0);
	check_split(HTTP1_REQUEST, &in, in.len);
	in.len -= 2;
	assert_int_equal(buf_append_str(&in, "X-Last: v\r\n\r\n"), 0);
	splitfeed_check(&http1_decoder, params_for, &pf, in.data, in.len, &o);
	assert_int_equal(o.status, DEC_ERR);
	assert_int_equal(o.err, ERR_LIMIT);
	buf_release(&o.out);
	assert_null(parse(&ps, HTTP1_REQUEST, in.data, in.len));
	assert_int_equal(http1_why(&ps.h), HTTP1_WHY_HEADERS_LIMIT);
	http1_decoder.release(&ps.h);

	/* A head of exactly LIMIT_HTTP_HEAD_BYTES passes; one byte more fails
	 * at that byte, before the blank line is ever seen. */
	buf_reset(&in);
	assert_int_equal(buf_append_str(&in, "GET / HTTP/1.1\r\nHost: a\r\nX: "), 0);
	while (in.len < LIMIT_HTTP_HEAD_BYTES - 4)
		assert_int_equal(buf_append(&in, "v", 1), 0);
	assert_int_equal(buf_append_str(&in, "\r\n\r\n"), 0);
	assert_int_equal(in.len, LIMIT_HTTP_HEAD_BYTES);
	check_split(HTTP1_REQUEST, &in, in.len);
	in.len -= 4;
	assert_int_equal(buf_append_str(&in, "v\r\n\r\n"), 0);
	splitfeed_check(&http1_decoder, params_for, &pf, in.data, in.len, &o);
	assert_int_equal(o.status, DEC_ERR);
	assert_int_equal(o.err, ERR_LIMIT);
	assert_int_equal(o.consumed, LIMIT_HTTP_HEAD_BYTES);
	buf_release(&o.out);

	/* Endless leading CRLFs are bounded too. */
	buf_reset(&in);
	while (in.len <= LIMIT_HTTP_HEAD_BYTES)
		assert_int_equal(buf_append_str(&in, "\r\n"), 0);
	assert_null(parse(&ps, HTTP1_REQUEST, in.data, in.len));
	assert_int_equal(http1_why(&ps.h), HTTP1_WHY_HEAD_LIMIT);
	http1_decoder.release(&ps.h);
	buf_release(&in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_get_info_refs),
		cmocka_unit_test(test_real_post_with_length),
		cmocka_unit_test(test_real_post_chunked_chain),
		cmocka_unit_test(test_real_responses),
		cmocka_unit_test(test_accepted_variants),
		cmocka_unit_test(test_derived_facts),
		cmocka_unit_test(test_rejected),
		cmocka_unit_test(test_caps),
	};

	return cmocka_run_group_tests_name("decode/http1/", tests, NULL, NULL);
}
