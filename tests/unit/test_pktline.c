/*
 * test_pktline.c - decode/pktline/: pkt-line framing and side-band
 * demultiplexing on real git bytes (an advertisement and a side-band
 * report captured from git http-backend) and crafted cases, every input
 * fed whole, at every split and byte by byte.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err-t.h"
#include "core/base/limits.h"
#include "core/decode/dec_pktline.h"
#include "tests/lib/splitfeed.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#define S(lit) (const uint8_t *)(lit), sizeof(lit) - 1

static int collect(void *ctx, const uint8_t *p, size_t n)
{
	return buf_append(ctx, p, n);
}

/* Records every pkt as "<kind>:<len>:" + payload + "\n" into a buffer,
 * optionally stopping after the stop_at-th pkt (1-based). */
struct rec {
	struct buf *out;
	size_t n;
	size_t stop_at;
	unsigned flags;
	struct dec_pktline_params params;
};

static int record(void *arg, enum pkt_kind kind, const uint8_t *p, size_t n)
{
	struct rec *r = arg;

	if (buf_printf(r->out, "%d:%zu:", (int)kind, n) || buf_append(r->out, p, n) ||
	    buf_append(r->out, "\n", 1))
		return ERR_NOMEM;
	r->n++;
	return r->stop_at && r->n == r->stop_at ? PKTLINE_STOP : 0;
}

static const void *rec_params(void *arg, struct buf *out)
{
	struct rec *r = arg;

	r->out = out;
	r->n = 0;
	r->params.on_pkt = record;
	r->params.arg = r;
	r->params.flags = r->flags;
	return &r->params;
}

/* A plain list of the pkts of one whole run, for assertions. */
struct pkt {
	enum pkt_kind kind;
	const uint8_t *p;
	size_t n;
};

struct pkts {
	struct pkt v[64];
	size_t n;
	struct buf store;
};

static int keep(void *arg, enum pkt_kind kind, const uint8_t *p, size_t n)
{
	struct pkts *l = arg;

	if (l->n == ARRAY_SIZE(l->v))
		return ERR_LIMIT;
	l->v[l->n].kind = kind;
	l->v[l->n].n = n;
	/* Store offsets first; pointers are fixed up after the run. */
	l->v[l->n].p = (const uint8_t *)(uintptr_t)l->store.len;
	l->n++;
	return buf_append(&l->store, p, n);
}

static struct dec_result run_whole(const uint8_t *in, size_t len, unsigned flags,
				   struct pkts *l, struct buf *sinkout, enum pktline_why *why)
{
	struct dec_pktline d;
	struct dec_pktline_params prm = { keep, l, flags };
	struct dec_sink sink = { collect, sinkout };
	struct dec_result r;
	size_t i;

	l->n = 0;
	buf_init(&l->store, 1u << 24);
	buf_init(sinkout, 1u << 24);
	assert_int_equal(dec_pktline.init(&d, &prm), 0);
	r = dec_pktline.feed(&d, in, len, &sink);
	if (r.status == DEC_OK || r.status == DEC_MORE)
		r = dec_pktline.finish(&d, &sink);
	for (i = 0; i < l->n; i++)
		l->v[i].p = l->store.data + (uintptr_t)l->v[i].p;
	if (why)
		*why = dec_pktline_why(&d);
	dec_pktline.release(&d);
	return r;
}

static void release_pkts(struct pkts *l, struct buf *sinkout)
{
	buf_release(&l->store);
	buf_release(sinkout);
}

static void load(const char *rel, struct buf *b)
{
	assert_int_equal(test_read_file(test_fixture_path(rel), b), 0);
}

static void assert_payload(const struct pkt *k, enum pkt_kind kind, const char *s)
{
	assert_int_equal(k->kind, kind);
	assert_int_equal(k->n, strlen(s));
	assert_memory_equal(k->p, s, k->n);
}

static void test_real_advertisement(void **state)
{
	static const char *const files[] = {
		"git/advert-empty-sha1.pkt", "git/advert-refs-sha1.pkt",
		"git/advert-empty-sha256.pkt",
	};
	size_t f;

	UNUSED(state);
	for (f = 0; f < ARRAY_SIZE(files); f++) {
		struct buf in, sinkout;
		struct rec rec = { 0 };
		struct splitfeed_outcome o;
		struct pkts l;
		struct dec_result r;

		load(files[f], &in);
		splitfeed_check(&dec_pktline, rec_params, &rec, in.data, in.len, &o);
		assert_int_equal(o.status, DEC_OK);
		assert_int_equal(o.consumed, in.len);
		buf_release(&o.out);

		r = run_whole(in.data, in.len, DEC_PKTLINE_V0, &l, &sinkout, NULL);
		assert_int_equal(r.status, DEC_OK);
		/* git writes lowercase lengths: the canonical form is the input. */
		assert_int_equal(sinkout.len, in.len);
		assert_memory_equal(sinkout.data, in.data, in.len);
		assert_true(l.n >= 4);
		assert_payload(&l.v[0], PKT_DATA, "# service=git-receive-pack\n");
		assert_int_equal(l.v[1].kind, PKT_FLUSH);
		assert_int_equal(l.v[2].kind, PKT_DATA);
		/* The first ref carries the capabilities after a NUL. */
		assert_non_null(memchr(l.v[2].p, '\0', l.v[2].n));
		assert_non_null(memmem(l.v[2].p, l.v[2].n, "report-status", 13));
		assert_int_equal(l.v[l.n - 1].kind, PKT_FLUSH);
		release_pkts(&l, &sinkout);
		buf_release(&in);
	}
}

static void test_real_sideband_report(void **state)
{
	static const char *const files[] = {
		"git/result-sideband.pkt", "git/result-atomic-sideband.pkt",
	};
	size_t f;

	UNUSED(state);
	for (f = 0; f < ARRAY_SIZE(files); f++) {
		struct buf in, band1, inner_sink;
		struct rec rec = { .flags = DEC_PKTLINE_SIDEBAND };
		struct splitfeed_outcome o;
		struct pkts l, inner;
		struct dec_result r;
		size_t i;

		load(files[f], &in);
		splitfeed_check(&dec_pktline, rec_params, &rec, in.data, in.len, &o);
		assert_int_equal(o.status, DEC_OK);
		buf_release(&o.out);

		r = run_whole(in.data, in.len, DEC_PKTLINE_SIDEBAND, &l, &band1, NULL);
		assert_int_equal(r.status, DEC_OK);
		assert_int_equal(l.v[0].kind, PKT_BAND1);
		assert_int_equal(l.v[l.n - 1].kind, PKT_FLUSH);
		/* Band 1 holds a nested report-status: parse it in turn. */
		r = run_whole(band1.data, band1.len, DEC_PKTLINE_V0, &inner, &inner_sink, NULL);
		assert_int_equal(r.status, DEC_OK);
		assert_payload(&inner.v[0], PKT_DATA, "unpack ok\n");
		for (i = 1; i + 1 < inner.n; i++) {
			assert_int_equal(inner.v[i].kind, PKT_DATA);
			assert_memory_equal(inner.v[i].p, "ok refs/heads/", 14);
		}
		assert_int_equal(inner.v[inner.n - 1].kind, PKT_FLUSH);
		release_pkts(&inner, &inner_sink);
		release_pkts(&l, &band1);
		buf_release(&in);
	}
}

static void test_uppercase_length_canonical(void **state)
{
	struct buf sinkout;
	struct pkts l;
	struct dec_result r;
	struct rec rec = { 0 };
	struct splitfeed_outcome o;

	UNUSED(state);
	splitfeed_check(&dec_pktline, rec_params, &rec, S("000Ahello\n000aHELLO\n0000"), &o);
	assert_int_equal(o.status, DEC_OK);
	buf_release(&o.out);
	r = run_whole(S("000Ahello\n000aHELLO\n0000"), 0, &l, &sinkout, NULL);
	assert_int_equal(r.status, DEC_OK);
	assert_int_equal(l.n, 3);
	assert_payload(&l.v[0], PKT_DATA, "hello\n");
	assert_payload(&l.v[1], PKT_DATA, "HELLO\n");
	assert_int_equal(l.v[2].kind, PKT_FLUSH);
	assert_int_equal(sinkout.len, 24);
	assert_memory_equal(sinkout.data, "000ahello\n000aHELLO\n0000", 24);
	release_pkts(&l, &sinkout);
}

static void test_special_lengths(void **state)
{
	struct buf sinkout;
	struct pkts l;
	struct dec_result r;
	struct rec rec = { 0 };
	struct splitfeed_outcome o;

	UNUSED(state);
	/* v2 framing: delim, response-end and the empty 0004 pkt. */
	splitfeed_check(&dec_pktline, rec_params, &rec, S("00000001000200040005x"), &o);
	assert_int_equal(o.status, DEC_OK);
	buf_release(&o.out);
	r = run_whole(S("00000001000200040005x"), 0, &l, &sinkout, NULL);
	assert_int_equal(r.status, DEC_OK);
	assert_int_equal(l.n, 5);
	assert_int_equal(l.v[0].kind, PKT_FLUSH);
	assert_int_equal(l.v[1].kind, PKT_DELIM);
	assert_int_equal(l.v[2].kind, PKT_RESPONSE_END);
	assert_payload(&l.v[3], PKT_DATA, "");
	assert_payload(&l.v[4], PKT_DATA, "x");
	assert_memory_equal(sinkout.data, "00000001000200040005x", 21);
	release_pkts(&l, &sinkout);
}

static void test_longest_pkt(void **state)
{
	struct buf in, sinkout;
	struct pkts l;
	struct dec_result r;
	struct rec rec = { 0 };
	struct splitfeed_outcome o;
	size_t i;

	UNUSED(state);
	buf_init(&in, 1u << 20);
	assert_int_equal(buf_append_str(&in, "fff0"), 0);
	for (i = 0; i < PKTLINE_MAX_PAYLOAD; i++) {
		uint8_t b = (uint8_t)(i ^ (i >> 8));

		assert_int_equal(buf_append(&in, &b, 1), 0);
	}
	assert_int_equal(buf_append_str(&in, "0000"), 0);
	splitfeed_check(&dec_pktline, rec_params, &rec, in.data, in.len, &o);
	assert_int_equal(o.status, DEC_OK);
	buf_release(&o.out);
	r = run_whole(in.data, in.len, 0, &l, &sinkout, NULL);
	assert_int_equal(r.status, DEC_OK);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.v[0].n, PKTLINE_MAX_PAYLOAD);
	assert_memory_equal(l.v[0].p, in.data + 4, PKTLINE_MAX_PAYLOAD);
	release_pkts(&l, &sinkout);
	buf_release(&in);
}

static void test_stop_leaves_pack(void **state)
{
	struct rec rec = { .stop_at = 2 };
	struct splitfeed_outcome o;

	UNUSED(state);
	/* Stop at the flush: "PACK" belongs to the next layer. */
	splitfeed_check(&dec_pktline, rec_params, &rec, S("0008abcd0000PACK\0\0\0\2"), &o);
	assert_int_equal(o.status, DEC_STOP);
	assert_int_equal(o.consumed, 12);
	assert_non_null(memmem(o.out.data, o.out.len, "0:4:abcd\n", 9));
	assert_non_null(memmem(o.out.data, o.out.len, "1:0:\n", 5));
	buf_release(&o.out);
}

struct bad_case {
	const char *name;
	const char *in;
	size_t len;		/* 0 = strlen */
	unsigned flags;
	int err;
	enum pktline_why why;
	size_t consumed;
};

static void test_malformed(void **state)
{
	static const struct bad_case cases[] = {
		{ "bad hex", "00g5x", 0, 0, ERR_SYNTAX, PKTLINE_WHY_BAD_HEX, 2 },
		{ "space in length", "0 05x", 0, 0, ERR_SYNTAX, PKTLINE_WHY_BAD_HEX, 1 },
		{ "PACK where a pkt belongs", "PACK", 0, 0, ERR_SYNTAX, PKTLINE_WHY_BAD_HEX, 0 },
		{ "length 3", "0003", 0, 0, ERR_SYNTAX, PKTLINE_WHY_BAD_LENGTH, 3 },
		{ "length 65521", "fff1", 0, 0, ERR_LIMIT, PKTLINE_WHY_TOO_LONG, 3 },
		{ "length ffff", "0000ffff", 0, 0, ERR_LIMIT, PKTLINE_WHY_TOO_LONG, 7 },
		{ "delim in v0", "0006ab0001", 0, DEC_PKTLINE_V0, ERR_SYNTAX,
		  PKTLINE_WHY_V2_SPECIAL, 9 },
		{ "response-end in v0", "0002", 0, DEC_PKTLINE_V0, ERR_SYNTAX,
		  PKTLINE_WHY_V2_SPECIAL, 3 },
		{ "band 0", "0006\0x", 6, DEC_PKTLINE_SIDEBAND, ERR_SYNTAX,
		  PKTLINE_WHY_BAD_BAND, 4 },
		{ "band 4", "0005\1" "0006\4x", 11, DEC_PKTLINE_SIDEBAND, ERR_SYNTAX,
		  PKTLINE_WHY_BAD_BAND, 9 },
		{ "no band byte", "0004", 0, DEC_PKTLINE_SIDEBAND, ERR_SYNTAX,
		  PKTLINE_WHY_BAD_BAND, 3 },
		{ "truncated length", "0000000", 0, 0, ERR_TRUNCATED, PKTLINE_WHY_TRUNCATED, 7 },
		{ "truncated payload", "0009abc", 0, 0, ERR_TRUNCATED,
		  PKTLINE_WHY_TRUNCATED, 7 },
	};
	size_t i;

	UNUSED(state);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct bad_case *bc = &cases[i];
		size_t len = bc->len ? bc->len : strlen(bc->in);
		struct rec rec = { .flags = bc->flags };
		struct splitfeed_outcome o;
		struct pkts l;
		struct buf sinkout;
		enum pktline_why why;
		struct dec_result r;

		splitfeed_check(&dec_pktline, rec_params, &rec, (const uint8_t *)bc->in, len, &o);
		if (o.status != DEC_ERR || o.err != bc->err || o.consumed != bc->consumed)
			fail_msg("%s: status %d err %d consumed %zu", bc->name, o.status, o.err,
				 o.consumed);
		buf_release(&o.out);
		r = run_whole((const uint8_t *)bc->in, len, bc->flags, &l, &sinkout, &why);
		assert_int_equal(r.status, DEC_ERR);
		if (why != bc->why)
			fail_msg("%s: why %s", bc->name, dec_pktline_why_str(why));
		release_pkts(&l, &sinkout);
	}
}

static void test_encoders_round_trip(void **state)
{
	struct buf out, band1;
	struct pkts l;
	struct dec_result r;
	uint8_t *big;
	size_t n = 2 * PKTLINE_MAX_BAND_DATA + 1, i;
	struct rec rec = { .flags = DEC_PKTLINE_SIDEBAND };
	struct splitfeed_outcome o;

	UNUSED(state);
	big = xmalloc(n);
	assert_non_null(big);
	for (i = 0; i < n; i++)
		big[i] = (uint8_t)(i * 7);
	buf_init(&out, 1u << 20);
	assert_int_equal(pktline_encode_band(&out, 2, "remote: hi\n", 11), 0);
	assert_int_equal(pktline_encode_band(&out, 1, big, n), 0);
	assert_int_equal(pktline_encode_band(&out, 1, NULL, 0), 0);
	assert_int_equal(pktline_encode_band(&out, 3, "boom", 4), 0);
	assert_int_equal(pktline_encode_flush(&out), 0);
	assert_int_equal(pktline_encode_band(&out, 4, "x", 1), ERR_USAGE);
	assert_int_equal(out.len, (5 + 11) + (3 * 5 + n) + 5 + (5 + 4) + 4);

	splitfeed_check(&dec_pktline, rec_params, &rec, out.data, out.len, &o);
	assert_int_equal(o.status, DEC_OK);
	buf_release(&o.out);
	r = run_whole(out.data, out.len, DEC_PKTLINE_SIDEBAND, &l, &band1, NULL);
	assert_int_equal(r.status, DEC_OK);
	assert_int_equal(l.n, 7);
	assert_payload(&l.v[0], PKT_BAND2, "remote: hi\n");
	assert_int_equal(l.v[1].kind, PKT_BAND1);
	assert_int_equal(l.v[1].n, PKTLINE_MAX_BAND_DATA);
	assert_int_equal(l.v[3].n, 1);
	assert_payload(&l.v[4], PKT_BAND1, "");
	assert_payload(&l.v[5], PKT_BAND3, "boom");
	assert_int_equal(l.v[6].kind, PKT_FLUSH);
	assert_int_equal(band1.len, n);
	assert_memory_equal(band1.data, big, n);
	release_pkts(&l, &band1);

	buf_reset(&out);
	assert_int_equal(pktline_encode(&out, big, PKTLINE_MAX_PAYLOAD), 0);
	assert_memory_equal(out.data, "fff0", 4);
	assert_int_equal(pktline_encode(&out, big, PKTLINE_MAX_PAYLOAD + 1), ERR_LIMIT);
	assert_int_equal(out.len, LIMIT_PKT_BYTES);
	buf_release(&out);
	/* A full buffer leaves out unchanged. */
	buf_init(&out, 8);
	assert_int_equal(pktline_encode_band(&out, 1, "abcd", 4), ERR_LIMIT);
	assert_int_equal(out.len, 0);
	buf_release(&out);
	xfree(big);
}

static int fail_cb(void *arg, enum pkt_kind kind, const uint8_t *p, size_t n)
{
	UNUSED(arg);
	UNUSED(p);
	UNUSED(n);
	return kind == PKT_FLUSH ? ERR_STOPPED : 0;
}

static void test_callback_error(void **state)
{
	struct dec_pktline d;
	struct dec_pktline_params prm = { fail_cb, NULL, 0 };
	struct buf out;
	struct dec_sink sink = { collect, &out };
	struct dec_result r;

	UNUSED(state);
	buf_init(&out, 1024);
	assert_int_equal(dec_pktline.init(&d, &prm), 0);
	r = dec_pktline.feed(&d, S("0005a0000rest"), &sink);
	assert_int_equal(r.status, DEC_ERR);
	assert_int_equal(r.err, ERR_STOPPED);
	assert_int_equal(r.consumed, 9);
	assert_int_equal(dec_pktline_why(&d), PKTLINE_WHY_CALLBACK);
	dec_pktline.release(&d);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_advertisement),
		cmocka_unit_test(test_real_sideband_report),
		cmocka_unit_test(test_uppercase_length_canonical),
		cmocka_unit_test(test_special_lengths),
		cmocka_unit_test(test_longest_pkt),
		cmocka_unit_test(test_stop_leaves_pack),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_encoders_round_trip),
		cmocka_unit_test(test_callback_error),
	};

	return cmocka_run_group_tests_name("decode/pktline/", tests, NULL, NULL);
}
