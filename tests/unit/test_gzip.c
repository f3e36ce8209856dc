/*
 * test_gzip.c - decode/gzip/: Content-Encoding gzip/deflate on a real
 * git push body compressed the ways HTTP clients do, plus corrupt,
 * truncated and expanding streams; every input fed whole, at every split
 * and byte by byte.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err-t.h"
#include "core/base/limits.h"
#include "core/decode/dec_gzip.h"
#include "tests/lib/splitfeed.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <zlib.h>

static struct dec_gzip_params params_store;

static const void *get_params(void *arg, struct buf *out)
{
	UNUSED(out);
	return arg;
}

static void load(const char *rel, struct buf *b)
{
	assert_int_equal(test_read_file(test_fixture_path(rel), b), 0);
}

static void append(struct buf *b, const void *p, size_t n)
{
	assert_int_equal(buf_append(b, p, n), 0);
}

/* Compresses with zlib's deflate: windowBits 15 zlib, 31 gzip, -15 raw. */
static void compress_to(const uint8_t *in, size_t len, int wbits, const void *dict,
			size_t dict_len, struct buf *out)
{
	z_stream z;
	uint8_t tmp[4096];
	int ret;

	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, wbits, 9, Z_DEFAULT_STRATEGY), Z_OK);
	if (dict)
		assert_int_equal(deflateSetDictionary(&z, dict, (uInt)dict_len), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	do {
		z.next_out = tmp;
		z.avail_out = sizeof(tmp);
		ret = deflate(&z, Z_FINISH);
		append(out, tmp, sizeof(tmp) - z.avail_out);
	} while (ret == Z_OK);
	assert_int_equal(ret, Z_STREAM_END);
	deflateEnd(&z);
}

/* 2 bits of entropy per byte: compresses about 4:1. */
static void lowentropy(struct buf *b, size_t n)
{
	uint32_t x = 12345;
	size_t i;

	buf_init(b, n + 1);
	for (i = 0; i < n; i++) {
		uint8_t c;

		x = x * 1103515245u + 12345u;
		c = (uint8_t)("ACGT"[(x >> 16) & 3]);
		append(b, &c, 1);
	}
}

static void check_decodes_to(enum gzip_format fmt, const struct buf *enc,
			     const struct buf *want, enum dec_status st, size_t consumed)
{
	struct splitfeed_outcome o;

	memset(&params_store, 0, sizeof(params_store));
	params_store.format = fmt;
	splitfeed_check(&dec_gzip, get_params, &params_store, enc->data, enc->len, &o);
	assert_int_equal(o.status, st);
	assert_int_equal(o.consumed, consumed);
	assert_int_equal(o.out.len, want->len);
	assert_memory_equal(o.out.data, want->data, want->len);
	buf_release(&o.out);
}

static void test_real_push_body_all_formats(void **state)
{
	static const struct {
		const char *file;
		enum gzip_format fmt;
		enum dec_status st;
	} cases[] = {
		{ "git/push-create-sha1.body.gz", GZIP_FORMAT_GZIP, DEC_OK },
		{ "git/push-create-sha1.body.2members.gz", GZIP_FORMAT_GZIP, DEC_OK },
		{ "git/push-create-sha1.body.zlib", GZIP_FORMAT_ZLIB, DEC_STOP },
		{ "git/push-create-sha1.body.zlib", GZIP_FORMAT_DEFLATE, DEC_STOP },
		{ "git/push-create-sha1.body.deflate", GZIP_FORMAT_RAW, DEC_STOP },
		{ "git/push-create-sha1.body.deflate", GZIP_FORMAT_DEFLATE, DEC_STOP },
	};
	struct buf body;
	size_t i;

	UNUSED(state);
	load("git/push-create-sha1.body", &body);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct buf enc;

		load(cases[i].file, &enc);
		check_decodes_to(cases[i].fmt, &enc, &body, cases[i].st, enc.len);
		buf_release(&enc);
	}
	buf_release(&body);
}

/* zlib and raw streams end by themselves: the rest is the next layer's. */
static void test_stop_leaves_trailing_bytes(void **state)
{
	static const char *const files[] = { "git/push-create-sha1.body.zlib",
					     "git/push-create-sha1.body.deflate" };
	static const enum gzip_format fmts[] = { GZIP_FORMAT_ZLIB, GZIP_FORMAT_RAW };
	struct buf body;
	size_t i;

	UNUSED(state);
	load("git/push-create-sha1.body", &body);
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		struct buf enc;
		size_t n;

		load(files[i], &enc);
		n = enc.len;
		append(&enc, "NEXT", 4);
		check_decodes_to(fmts[i], &enc, &body, DEC_STOP, n);
		buf_release(&enc);
	}
	buf_release(&body);
}

static void test_empty_raw_stream(void **state)
{
	struct buf enc, none;

	UNUSED(state);
	buf_init(&enc, 64);
	buf_init(&none, 1);
	/* Raw deflate of nothing is the two bytes 03 00. */
	append(&enc, "\x03\x00rest", 6);
	check_decodes_to(GZIP_FORMAT_RAW, &enc, &none, DEC_STOP, 2);
	check_decodes_to(GZIP_FORMAT_DEFLATE, &enc, &none, DEC_STOP, 2);
	buf_release(&enc);
}

struct bad_case {
	const char *name;
	enum gzip_format fmt;
	struct buf in;
	int err;
	enum gzip_why why;
	size_t consumed;	/* SIZE_MAX: do not check */
};

static int collect(void *ctx, const uint8_t *p, size_t n)
{
	return buf_append(ctx, p, n);
}

/* Runs a private decoder with the given piece size and returns its why. */
static enum gzip_why why_of(const struct bad_case *bc, size_t piece)
{
	struct dec_gzip g;
	struct buf out;
	struct dec_sink sink;
	size_t pos = 0;
	enum gzip_why why;

	buf_init(&out, 1u << 30);
	sink.write = collect;
	sink.ctx = &out;
	assert_int_equal(dec_gzip.init(&g, &params_store), 0);
	while (pos < bc->in.len) {
		size_t n = piece ? MIN(piece, bc->in.len - pos) : bc->in.len - pos;
		struct dec_result r = dec_gzip.feed(&g, bc->in.data + pos, n, &sink);

		if (r.status == DEC_ERR || r.status == DEC_STOP)
			goto done;
		pos += n;
	}
	dec_gzip.finish(&g, &sink);
done:
	why = dec_gzip_why(&g);
	dec_gzip.release(&g);
	buf_release(&out);
	return why;
}

static void run_bad(struct bad_case *bc)
{
	struct splitfeed_outcome o;

	params_store.format = bc->fmt;
	splitfeed_check(&dec_gzip, get_params, &params_store, bc->in.data, bc->in.len, &o);
	if (o.status != DEC_ERR || o.err != bc->err ||
	    (bc->consumed != SIZE_MAX && o.consumed != bc->consumed))
		fail_msg("%s: status %d err %d consumed %zu", bc->name, o.status, o.err,
			 o.consumed);
	if (why_of(bc, 0) != bc->why || why_of(bc, 1) != bc->why)
		fail_msg("%s: why %s", bc->name, dec_gzip_why_str(why_of(bc, 0)));
	buf_release(&o.out);
	buf_release(&bc->in);
}

static void bad_from_file(struct bad_case *bc, const char *file)
{
	load(file, &bc->in);
}

static void test_malformed(void **state)
{
	struct bad_case bc;
	size_t n;

	UNUSED(state);
	/* Garbage after a complete member. */
	memset(&params_store, 0, sizeof(params_store));
	bc = (struct bad_case){ "trailing garbage", GZIP_FORMAT_GZIP, { 0 }, ERR_SYNTAX,
				GZIP_WHY_TRAILING, 0 };
	bad_from_file(&bc, "git/push-create-sha1.body.gz");
	bc.consumed = bc.in.len;
	append(&bc.in, "\0\0", 2);
	run_bad(&bc);

	memset(&params_store, 0, sizeof(params_store));
	bc = (struct bad_case){ "1f then junk", GZIP_FORMAT_GZIP, { 0 }, ERR_SYNTAX,
				GZIP_WHY_TRAILING, 0 };
	bad_from_file(&bc, "git/push-create-sha1.body.gz");
	bc.consumed = bc.in.len + 1;
	append(&bc.in, "\x1f" "x", 2);
	run_bad(&bc);

	/* Truncated: one byte short of the end, and empty input. */
	memset(&params_store, 0, sizeof(params_store));
	bc = (struct bad_case){ "truncated member", GZIP_FORMAT_GZIP, { 0 }, ERR_TRUNCATED,
				GZIP_WHY_TRUNCATED, 0 };
	bad_from_file(&bc, "git/push-create-sha1.body.gz");
	bc.in.len--;
	bc.consumed = bc.in.len;
	run_bad(&bc);

	memset(&params_store, 0, sizeof(params_store));
	bc = (struct bad_case){ "truncated second member", GZIP_FORMAT_GZIP, { 0 },
				ERR_TRUNCATED, GZIP_WHY_TRUNCATED, 0 };
	bad_from_file(&bc, "git/push-create-sha1.body.gz");
	n = bc.in.len;
	append(&bc.in, "\x1f\x8b\x08", 3);
	bc.consumed = n + 3;
	run_bad(&bc);

	memset(&params_store, 0, sizeof(params_store));
	bc = (struct bad_case){ "empty gzip body", GZIP_FORMAT_GZIP, { 0 }, ERR_TRUNCATED,
				GZIP_WHY_TRUNCATED, 0 };
	buf_init(&bc.in, 1);
	run_bad(&bc);

	memset(&params_store, 0, sizeof(params_store));
	bc = (struct bad_case){ "one byte of deflate", GZIP_FORMAT_DEFLATE, { 0 },
				ERR_TRUNCATED, GZIP_WHY_TRUNCATED, 1 };
	buf_init(&bc.in, 4);
	append(&bc.in, "\x78", 1);
	run_bad(&bc);

	/* Corruption: header method, stored CRC, and a zlib stream sent
	 * where gzip was declared. */
	memset(&params_store, 0, sizeof(params_store));
	bc = (struct bad_case){ "bad method", GZIP_FORMAT_GZIP, { 0 }, ERR_INFLATE,
				GZIP_WHY_CORRUPT, SIZE_MAX };
	bad_from_file(&bc, "git/push-create-sha1.body.gz");
	bc.in.data[2] = 7;
	run_bad(&bc);

	memset(&params_store, 0, sizeof(params_store));
	bc = (struct bad_case){ "bad crc", GZIP_FORMAT_GZIP, { 0 }, ERR_INFLATE,
				GZIP_WHY_CORRUPT, SIZE_MAX };
	bad_from_file(&bc, "git/push-create-sha1.body.gz");
	bc.in.data[bc.in.len - 8] ^= 0x55;
	run_bad(&bc);

	memset(&params_store, 0, sizeof(params_store));
	bc = (struct bad_case){ "zlib declared gzip", GZIP_FORMAT_GZIP, { 0 }, ERR_INFLATE,
				GZIP_WHY_CORRUPT, SIZE_MAX };
	bad_from_file(&bc, "git/push-create-sha1.body.zlib");
	run_bad(&bc);

	memset(&params_store, 0, sizeof(params_store));
	bc = (struct bad_case){ "bad adler", GZIP_FORMAT_ZLIB, { 0 }, ERR_INFLATE,
				GZIP_WHY_CORRUPT, SIZE_MAX };
	bad_from_file(&bc, "git/push-create-sha1.body.zlib");
	bc.in.data[bc.in.len - 1] ^= 1;
	run_bad(&bc);

	/* Corrupt deflate data in the middle: with the Adler-32 behind it
	 * every flip is caught, at a point that must not depend on the split
	 * (some flips break the Huffman data, others only the checksum). */
	{
		size_t k;

		for (k = 20; k < 60; k++) {
			memset(&params_store, 0, sizeof(params_store));
			bc = (struct bad_case){ "corrupt data", GZIP_FORMAT_ZLIB, { 0 },
						ERR_INFLATE, GZIP_WHY_CORRUPT, SIZE_MAX };
			bad_from_file(&bc, "git/push-create-sha1.body.zlib");
			bc.in.data[k] ^= 0xff;
			run_bad(&bc);
		}
	}
}

static void test_preset_dictionary(void **state)
{
	struct bad_case bc = { "dictionary", GZIP_FORMAT_ZLIB, { 0 }, ERR_UNSUPPORTED,
			       GZIP_WHY_DICT, SIZE_MAX };

	UNUSED(state);
	memset(&params_store, 0, sizeof(params_store));
	buf_init(&bc.in, 1u << 20);
	compress_to((const uint8_t *)"hello hello", 11, 15, "hello", 5, &bc.in);
	run_bad(&bc);
}

static void test_absolute_cap_is_exact(void **state)
{
	struct buf data, enc;
	struct splitfeed_outcome o;
	struct bad_case bc = { "max_out", GZIP_FORMAT_GZIP, { 0 }, ERR_LIMIT, GZIP_WHY_TOTAL,
			       SIZE_MAX };

	UNUSED(state);
	lowentropy(&data, 100000);
	buf_init(&enc, 1u << 20);
	compress_to(data.data, data.len, 31, NULL, 0, &enc);
	memset(&params_store, 0, sizeof(params_store));
	params_store.format = GZIP_FORMAT_GZIP;
	params_store.max_out = 50000;
	splitfeed_check(&dec_gzip, get_params, &params_store, enc.data, enc.len, &o);
	assert_int_equal(o.status, DEC_ERR);
	assert_int_equal(o.err, ERR_LIMIT);
	/* Exactly max_out bytes, and the right ones, reached the sink. */
	assert_int_equal(o.out.len, 50000);
	assert_memory_equal(o.out.data, data.data, 50000);
	buf_release(&o.out);
	bc.in = enc;
	run_bad(&bc);

	/* The same stream with max_out == its size passes. */
	buf_init(&enc, 1u << 20);
	compress_to(data.data, data.len, 31, NULL, 0, &enc);
	memset(&params_store, 0, sizeof(params_store));
	params_store.max_out = data.len;
	splitfeed_check(&dec_gzip, get_params, &params_store, enc.data, enc.len, &o);
	assert_int_equal(o.status, DEC_OK);
	assert_int_equal(o.out.len, data.len);
	buf_release(&o.out);
	buf_release(&enc);
	buf_release(&data);
}

static void test_ratio_at_steps(void **state)
{
	struct buf data, enc;
	struct splitfeed_outcome o;
	struct bad_case bc = { "ratio", GZIP_FORMAT_ZLIB, { 0 }, ERR_LIMIT, GZIP_WHY_RATIO,
			       GZIP_RATIO_STEP };

	UNUSED(state);
	/* Over 3:1; a 2:1 rule with 1 byte of slack trips at the first step. */
	lowentropy(&data, 100000);
	buf_init(&enc, 1u << 20);
	compress_to(data.data, data.len, 15, NULL, 0, &enc);
	assert_true(enc.len > 2 * GZIP_RATIO_STEP);
	memset(&params_store, 0, sizeof(params_store));
	params_store.format = GZIP_FORMAT_ZLIB;
	params_store.max_ratio = 2;
	params_store.ratio_slack = 1;
	splitfeed_check(&dec_gzip, get_params, &params_store, enc.data, enc.len, &o);
	assert_int_equal(o.status, DEC_ERR);
	assert_int_equal(o.err, ERR_LIMIT);
	assert_int_equal(o.consumed, GZIP_RATIO_STEP);
	assert_true(o.out.len > 2 * GZIP_RATIO_STEP);
	assert_memory_equal(o.out.data, data.data, o.out.len);
	buf_release(&o.out);
	bc.in = enc;
	run_bad(&bc);

	/* A 5:1 rule lets the whole stream through. */
	buf_init(&enc, 1u << 20);
	compress_to(data.data, data.len, 15, NULL, 0, &enc);
	memset(&params_store, 0, sizeof(params_store));
	params_store.format = GZIP_FORMAT_ZLIB;
	params_store.max_ratio = 5;
	params_store.ratio_slack = 1;
	splitfeed_check(&dec_gzip, get_params, &params_store, enc.data, enc.len, &o);
	assert_int_equal(o.status, DEC_STOP);
	assert_int_equal(o.out.len, data.len);
	buf_release(&o.out);
	buf_release(&enc);
	buf_release(&data);
}

static void test_small_bomb_caught_at_end(void **state)
{
	struct buf zeros, enc;
	struct bad_case bc = { "bomb", GZIP_FORMAT_GZIP, { 0 }, ERR_LIMIT, GZIP_WHY_RATIO,
			       SIZE_MAX };

	UNUSED(state);
	buf_init(&zeros, 1u << 20);
	assert_int_equal(buf_reserve(&zeros, 256 * 1024), 0);
	memset(zeros.data, 0, 256 * 1024);
	zeros.len = 256 * 1024;
	buf_init(&enc, 1u << 20);
	compress_to(zeros.data, zeros.len, 31, NULL, 0, &enc);
	assert_true(enc.len < GZIP_RATIO_STEP);
	memset(&params_store, 0, sizeof(params_store));
	params_store.max_ratio = 100;
	params_store.ratio_slack = 1;
	bc.in = enc;
	bc.consumed = enc.len;
	run_bad(&bc);
	buf_release(&zeros);
}

static void test_coding_names(void **state)
{
	enum gzip_format f;

	UNUSED(state);
	assert_int_equal(dec_gzip_format_from_coding("gzip", 4, &f), 0);
	assert_int_equal(f, GZIP_FORMAT_GZIP);
	assert_int_equal(dec_gzip_format_from_coding("X-GZip", 6, &f), 0);
	assert_int_equal(f, GZIP_FORMAT_GZIP);
	assert_int_equal(dec_gzip_format_from_coding("Deflate", 7, &f), 0);
	assert_int_equal(f, GZIP_FORMAT_DEFLATE);
	assert_int_equal(dec_gzip_format_from_coding("identity", 8, &f), ERR_UNSUPPORTED);
	assert_int_equal(dec_gzip_format_from_coding("br", 2, &f), ERR_UNSUPPORTED);
	assert_int_equal(dec_gzip_format_from_coding("gzipx", 5, &f), ERR_UNSUPPORTED);
	assert_int_equal(dec_gzip_format_from_coding("gzip", 3, &f), ERR_UNSUPPORTED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_push_body_all_formats),
		cmocka_unit_test(test_stop_leaves_trailing_bytes),
		cmocka_unit_test(test_empty_raw_stream),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_preset_dictionary),
		cmocka_unit_test(test_absolute_cap_is_exact),
		cmocka_unit_test(test_ratio_at_steps),
		cmocka_unit_test(test_small_bomb_caught_at_end),
		cmocka_unit_test(test_coding_names),
	};

	return cmocka_run_group_tests_name("decode/gzip/", tests, NULL, NULL);
}
