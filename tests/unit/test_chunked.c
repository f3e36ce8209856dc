/*
 * test_chunked.c - decode/chunked/: RFC 9112 §7.1 decoder, fed whole, at
 * every split and byte by byte, on a real git push body and crafted cases.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err-t.h"
#include "core/base/limits.h"
#include "core/decode/dec_chunked.h"
#include "tests/lib/splitfeed.h"

#include <mbedtls/sha1.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#define S(lit) (const uint8_t *)(lit), sizeof(lit) - 1

static int collect(void *ctx, const uint8_t *p, size_t n)
{
	return buf_append(ctx, p, n);
}

/* Runs a private decoder with the given piece size and returns its why. */
static enum chunked_why why_of(const uint8_t *in, size_t len, size_t piece)
{
	struct dec_chunked c;
	struct buf out;
	struct dec_sink sink = { collect, &out };
	size_t pos = 0;
	enum chunked_why why;

	buf_init(&out, 1u << 30);
	assert_int_equal(dec_chunked.init(&c, NULL), 0);
	while (pos < len) {
		size_t n = piece ? MIN(piece, len - pos) : len - pos;
		struct dec_result r = dec_chunked.feed(&c, in + pos, n, &sink);

		if (r.status == DEC_ERR || r.status == DEC_STOP)
			goto done;
		pos += n;
	}
	dec_chunked.finish(&c, &sink);
done:
	why = dec_chunked_why(&c);
	dec_chunked.release(&c);
	buf_release(&out);
	return why;
}

static const uint8_t *body_after_head(const struct buf *b, size_t *len)
{
	const uint8_t *p = memmem(b->data, b->len, "\r\n\r\n", 4);

	assert_non_null(p);
	p += 4;
	*len = b->len - (size_t)(p - b->data);
	return p;
}

/* The pack trailer is the SHA-1 of everything before it: a decoded body
 * whose pack verifies was reassembled exactly. */
static void assert_pack_verifies(const uint8_t *body, size_t len)
{
	const uint8_t *pack = memmem(body, len, "PACK", 4);
	uint8_t sum[20];
	size_t plen;

	assert_non_null(pack);
	plen = len - (size_t)(pack - body);
	assert_true(plen > 32);
	assert_int_equal(mbedtls_sha1_ret(pack, plen - 20, sum), 0);
	assert_memory_equal(sum, pack + plen - 20, 20);
}

static void test_real_git_chunked_push(void **state)
{
	struct buf file;
	struct splitfeed_outcome o;
	const uint8_t *body;
	size_t len;

	UNUSED(state);
	assert_int_equal(test_read_file(test_fixture_path("http/git-post-chunked.req"), &file), 0);
	body = body_after_head(&file, &len);
	splitfeed_check(&dec_chunked, NULL, NULL, body, len, &o);
	assert_int_equal(o.status, DEC_STOP);
	assert_int_equal(o.consumed, len);
	assert_true(o.out.len < len);
	assert_pack_verifies(o.out.data, o.out.len);
	buf_release(&o.out);
	buf_release(&file);
}

/* Builds a chunked body with the encoder helper, odd chunk sizes,
 * extensions and a trailer, then decodes it back. */
static void test_round_trip_with_ext_and_trailer(void **state)
{
	static const size_t sizes[] = { 1, 15, 16, 255, 256, 4095, 7 };
	struct buf data, enc;
	struct splitfeed_outcome o;
	size_t i, off = 0;
	char line[DEC_CHUNKED_SIZE_LINE_MAX];

	UNUSED(state);
	buf_init(&data, 1u << 20);
	buf_init(&enc, 1u << 20);
	for (i = 0; i < 4645; i++) {
		uint8_t b = (uint8_t)(i * 131 + 7);

		assert_int_equal(buf_append(&data, &b, 1), 0);
	}
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_t n = dec_chunked_encode_size_line(sizes[i], line);

		/* Put an extension on every other chunk: ignored. */
		if (i % 2) {
			assert_int_equal(buf_append(&enc, line, n - 2), 0);
			assert_int_equal(buf_append_str(&enc, " ; name=\"v;x\"\r\n"), 0);
		} else {
			assert_int_equal(buf_append(&enc, line, n), 0);
		}
		assert_int_equal(buf_append(&enc, data.data + off, sizes[i]), 0);
		assert_int_equal(buf_append_str(&enc, "\r\n"), 0);
		off += sizes[i];
	}
	assert_int_equal(off, data.len);
	assert_int_equal(buf_append_str(&enc, "0;last\r\nX-Sum: 1\r\nX-Other: a b\r\n\r\nNEXT"), 0);
	splitfeed_check(&dec_chunked, NULL, NULL, enc.data, enc.len, &o);
	assert_int_equal(o.status, DEC_STOP);
	assert_int_equal(o.consumed, enc.len - 4);
	assert_int_equal(o.out.len, data.len);
	assert_memory_equal(o.out.data, data.data, data.len);
	buf_release(&o.out);
	buf_release(&data);
	buf_release(&enc);
}

static void test_encode_size_line(void **state)
{
	char line[DEC_CHUNKED_SIZE_LINE_MAX];
	size_t n;

	UNUSED(state);
	n = dec_chunked_encode_size_line(0, line);
	assert_int_equal(n, 3);
	assert_memory_equal(line, "0\r\n", 3);
	n = dec_chunked_encode_size_line(0x1a2b, line);
	assert_int_equal(n, 6);
	assert_memory_equal(line, "1a2b\r\n", 6);
	n = dec_chunked_encode_size_line(UINT64_MAX, line);
	assert_int_equal(n, 18);
	assert_memory_equal(line, "ffffffffffffffff\r\n", 18);
}

static void test_uppercase_and_leading_zeros(void **state)
{
	struct splitfeed_outcome o;

	UNUSED(state);
	splitfeed_check(&dec_chunked, NULL, NULL,
			S("000A\r\n0123456789\r\n0000000000000000\r\n\r\n"), &o);
	assert_int_equal(o.status, DEC_STOP);
	assert_int_equal(o.out.len, 10);
	assert_memory_equal(o.out.data, "0123456789", 10);
	buf_release(&o.out);
}

struct bad_case {
	const char *name;
	const char *in;
	size_t len;		/* 0 = strlen(in) */
	int err;
	enum chunked_why why;
	size_t consumed;	/* bytes before the offending one */
};

static void run_bad(const struct bad_case *bc)
{
	struct splitfeed_outcome o;
	size_t len = bc->len ? bc->len : strlen(bc->in);

	splitfeed_check(&dec_chunked, NULL, NULL, (const uint8_t *)bc->in, len, &o);
	if (o.status != DEC_ERR || o.err != bc->err || o.consumed != bc->consumed)
		fail_msg("%s: status %d err %d consumed %zu", bc->name, o.status, o.err,
			 o.consumed);
	assert_int_equal(why_of((const uint8_t *)bc->in, len, 0), bc->why);
	assert_int_equal(why_of((const uint8_t *)bc->in, len, 1), bc->why);
	buf_release(&o.out);
}

static void test_malformed(void **state)
{
	static const struct bad_case cases[] = {
		{ "no digit", "\r\n", 0, ERR_SYNTAX, CHUNKED_WHY_NO_DIGIT, 0 },
		{ "non-hex size", "g\r\n", 0, ERR_SYNTAX, CHUNKED_WHY_NO_DIGIT, 0 },
		{ "negative size", "-1\r\n", 0, ERR_SYNTAX, CHUNKED_WHY_NO_DIGIT, 0 },
		{ "17 digits", "00000000000000001\r\n", 0, ERR_LIMIT,
		  CHUNKED_WHY_SIZE_DIGITS, 16 },
		{ "overflowing size", "10000000000000000\r\n", 0, ERR_LIMIT,
		  CHUNKED_WHY_SIZE_DIGITS, 16 },
		{ "junk after size", "5x\r\nhello\r\n0\r\n\r\n", 0, ERR_SYNTAX,
		  CHUNKED_WHY_SIZE_JUNK, 1 },
		{ "0x prefix", "0x5\r\n", 0, ERR_SYNTAX, CHUNKED_WHY_SIZE_JUNK, 1 },
		{ "space then CRLF", "5 \r\nhello\r\n0\r\n\r\n", 0, ERR_SYNTAX,
		  CHUNKED_WHY_SIZE_JUNK, 2 },
		{ "bare LF after size", "5\nhello\r\n0\r\n\r\n", 0, ERR_SYNTAX,
		  CHUNKED_WHY_BARE_LF, 1 },
		{ "bare CR after size", "5\rhello\r\n", 0, ERR_SYNTAX, CHUNKED_WHY_BARE_CR, 2 },
		{ "NUL in extension", "5;a\0b\r\nhello\r\n0\r\n\r\n", 19, ERR_SYNTAX,
		  CHUNKED_WHY_EXT_BYTE, 3 },
		{ "LF in extension", "5;a\nb\r\n", 0, ERR_SYNTAX, CHUNKED_WHY_BARE_LF, 3 },
		{ "data longer than size", "3\r\nhello\r\n0\r\n\r\n", 0, ERR_SYNTAX,
		  CHUNKED_WHY_DATA_END, 6 },
		{ "data with bare LF", "5\r\nhello\n0\r\n\r\n", 0, ERR_SYNTAX,
		  CHUNKED_WHY_BARE_LF, 8 },
		{ "data CR without LF", "5\r\nhello\rX", 0, ERR_SYNTAX, CHUNKED_WHY_BARE_CR, 9 },
		{ "obs-fold in trailer", "0\r\nA: b\r\n c\r\n\r\n", 0, ERR_SYNTAX,
		  CHUNKED_WHY_TRAILER_BYTE, 9 },
		{ "control byte in trailer", "0\r\nA: \x01\r\n\r\n", 0, ERR_SYNTAX,
		  CHUNKED_WHY_TRAILER_BYTE, 6 },
		{ "bare LF ends trailer", "0\r\nA: b\n\r\n", 0, ERR_SYNTAX,
		  CHUNKED_WHY_BARE_LF, 7 },
		{ "final bare LF", "0\r\n\n", 0, ERR_SYNTAX, CHUNKED_WHY_BARE_LF, 3 },
		{ "final CR junk", "0\r\n\rX", 0, ERR_SYNTAX, CHUNKED_WHY_BARE_CR, 4 },
		{ "empty input", "", 0, ERR_TRUNCATED, CHUNKED_WHY_TRUNCATED, 0 },
		{ "no last chunk", "5\r\nhello\r\n", 0, ERR_TRUNCATED,
		  CHUNKED_WHY_TRUNCATED, 10 },
		{ "inside data", "5\r\nhel", 0, ERR_TRUNCATED, CHUNKED_WHY_TRUNCATED, 6 },
		{ "no final CRLF", "0\r\n", 0, ERR_TRUNCATED, CHUNKED_WHY_TRUNCATED, 3 },
		{ "trailer not ended", "0\r\nA: b\r\n", 0, ERR_TRUNCATED,
		  CHUNKED_WHY_TRUNCATED, 9 },
	};
	size_t i;

	UNUSED(state);
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		run_bad(&cases[i]);
}

static void test_extension_limit(void **state)
{
	struct buf in;
	struct bad_case bc = { "long extension", NULL, 0, ERR_LIMIT, CHUNKED_WHY_EXT_LIMIT, 0 };
	size_t i;

	UNUSED(state);
	buf_init(&in, 1u << 20);
	assert_int_equal(buf_append_str(&in, "1;"), 0);
	for (i = 0; i < LIMIT_CHUNK_EXT_BYTES; i++)
		assert_int_equal(buf_append(&in, "e", 1), 0);
	assert_int_equal(buf_append_str(&in, "\r\nx\r\n0\r\n\r\n"), 0);
	bc.in = (const char *)in.data;
	bc.len = in.len;
	/* Every byte after the size counts, ';' included: the cap trips on
	 * the last 'e'. */
	bc.consumed = 1 + LIMIT_CHUNK_EXT_BYTES;
	run_bad(&bc);
	/* One byte less passes. */
	{
		struct splitfeed_outcome o;
		struct buf ok;

		buf_init(&ok, 1u << 20);
		assert_int_equal(buf_append_str(&ok, "1;"), 0);
		for (i = 0; i + 1 < LIMIT_CHUNK_EXT_BYTES; i++)
			assert_int_equal(buf_append(&ok, "e", 1), 0);
		assert_int_equal(buf_append_str(&ok, "\r\nx\r\n0\r\n\r\n"), 0);
		splitfeed_check(&dec_chunked, NULL, NULL, ok.data, ok.len, &o);
		assert_int_equal(o.status, DEC_STOP);
		assert_int_equal(o.out.len, 1);
		buf_release(&o.out);
		buf_release(&ok);
	}
	buf_release(&in);
}

static void test_trailer_limit(void **state)
{
	struct buf in;
	struct bad_case bc = { "long trailer", NULL, 0, ERR_LIMIT,
			       CHUNKED_WHY_TRAILER_LIMIT, 0 };
	size_t i;

	UNUSED(state);
	buf_init(&in, 1u << 20);
	assert_int_equal(buf_append_str(&in, "0\r\n"), 0);
	for (i = 0; i <= LIMIT_CHUNK_TRAILER_BYTES / 7 + 1; i++)
		assert_int_equal(buf_append_str(&in, "A: 1234\r\n"), 0);
	assert_int_equal(buf_append_str(&in, "\r\n"), 0);
	bc.in = (const char *)in.data;
	bc.len = in.len;
	/* 7 counted bytes per 9-byte line; the cap trips on byte cap+1. */
	bc.consumed = 3 + (LIMIT_CHUNK_TRAILER_BYTES / 7) * 9 + LIMIT_CHUNK_TRAILER_BYTES % 7;
	run_bad(&bc);
	buf_release(&in);
}

static int refuse(void *ctx, const uint8_t *p, size_t n)
{
	UNUSED(ctx);
	UNUSED(p);
	UNUSED(n);
	return ERR_STOPPED;
}

static void test_sink_error_and_after_stop(void **state)
{
	struct dec_chunked c;
	struct dec_sink sink = { refuse, NULL };
	struct dec_result r;

	UNUSED(state);
	assert_int_equal(dec_chunked.init(&c, NULL), 0);
	r = dec_chunked.feed(&c, S("3\r\nabc\r\n0\r\n\r\n"), &sink);
	assert_int_equal(r.status, DEC_ERR);
	assert_int_equal(r.err, ERR_STOPPED);
	assert_int_equal(r.consumed, 3);
	assert_int_equal(dec_chunked_why(&c), CHUNKED_WHY_SINK);
	assert_string_equal(dec_chunked_why_str(CHUNKED_WHY_SINK), "consumer stopped");
	dec_chunked.release(&c);
}

static void test_needed_hint(void **state)
{
	struct dec_chunked c;
	struct buf out;
	struct dec_sink sink = { collect, &out };
	struct dec_result r;

	UNUSED(state);
	buf_init(&out, 1024);
	assert_int_equal(dec_chunked.init(&c, NULL), 0);
	r = dec_chunked.feed(&c, S("10\r\nabcd"), &sink);
	assert_int_equal(r.status, DEC_MORE);
	assert_int_equal(r.consumed, 8);
	assert_int_equal(r.needed, 12 + 2);
	dec_chunked.release(&c);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_git_chunked_push),
		cmocka_unit_test(test_round_trip_with_ext_and_trailer),
		cmocka_unit_test(test_encode_size_line),
		cmocka_unit_test(test_uppercase_and_leading_zeros),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_extension_limit),
		cmocka_unit_test(test_trailer_limit),
		cmocka_unit_test(test_sink_error_and_after_stop),
		cmocka_unit_test(test_needed_hint),
	};

	return cmocka_run_group_tests_name("decode/chunked/", tests, NULL, NULL);
}
