/*
 * test_receive_pack.c - decode/receive_pack/: push request bodies captured
 * from real git pushes (sha1, sha256, atomic with push options, delete
 * only, the probe), crafted malformed requests, the command-block
 * re-encoding of git-gate.md §4.2 and the advertisement rewrite of §4.1.
 * Every body is fed whole, at every split and byte by byte.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err-t.h"
#include "core/base/limits.h"
#include "core/decode/advert.h"
#include "core/decode/dec_pktline.h"
#include "core/decode/receive_pack.h"
#include "tests/lib/splitfeed.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#define ZERO40 "0000000000000000000000000000000000000000"
#define A40 "1111111111111111111111111111111111111111"
#define B40 "2222222222222222222222222222222222222222"
#define A64 A40 "111111111111111111111111"

/* Serialises a request into the run's output so that splitfeed compares
 * the parse across splits. */
static void dump(void *arg, const struct receive_pack_request *r)
{
	struct buf *out = arg;
	size_t i;

	buf_printf(out, "caps=%x raw=%s agent=%s hexsz=%u empty=%d del=%d bytes=%zu\n", r->caps,
		   r->caps_raw, r->agent ? r->agent : "-", r->hexsz, r->empty, r->delete_only,
		   r->block_bytes);
	for (i = 0; i < r->nshallow; i++)
		buf_printf(out, "S %s\n", r->shallow[i].text);
	for (i = 0; i < r->ncommands; i++)
		buf_printf(out, "C %d %s %s %s\n", (int)r->commands[i].kind, r->commands[i].old_hex,
			   r->commands[i].new_hex, r->commands[i].ref);
	for (i = 0; i < r->noptions; i++)
		buf_printf(out, "O %s\n", r->options[i].text);
}

static struct receive_pack_params rp_params;

static const void *params_for(void *arg, struct buf *out)
{
	UNUSED(arg);
	rp_params.on_done = dump;
	rp_params.arg = out;
	return &rp_params;
}

static void load(const char *rel, struct buf *b)
{
	assert_int_equal(test_read_file(test_fixture_path(rel), b), 0);
}

static int collect(void *ctx, const uint8_t *p, size_t n)
{
	return buf_append(ctx, p, n);
}

struct parsed {
	struct dec_receive_pack d;
	struct dec_result r;
};

static int nosink(void *ctx, const uint8_t *p, size_t n)
{
	UNUSED(ctx);
	UNUSED(p);
	UNUSED(n);
	return ERR_STATE;
}

static const struct receive_pack_request *parse(struct parsed *ps, const uint8_t *in,
						size_t len)
{
	struct receive_pack_params p = { 0 };
	struct dec_sink sink = { nosink, NULL };

	assert_int_equal(dec_receive_pack.init(&ps->d, &p), 0);
	ps->r = dec_receive_pack.feed(&ps->d, in, len, &sink);
	if (ps->r.status == DEC_MORE || ps->r.status == DEC_OK)
		ps->r = dec_receive_pack.finish(&ps->d, &sink);
	return receive_pack_peek(&ps->d);
}

/* splitfeed, then the expected end: STOP at stop_at. */
static void check_stop(const struct buf *in, size_t stop_at)
{
	struct splitfeed_outcome o;

	memset(&rp_params, 0, sizeof(rp_params));
	splitfeed_check(&dec_receive_pack, params_for, NULL, in->data, in->len, &o);
	if (o.status != DEC_STOP) {
		struct parsed ps;

		parse(&ps, in->data, in->len);
		fail_msg("status %d err %d why %s", o.status, o.err,
			 receive_pack_why_str(receive_pack_why(&ps.d)));
	}
	assert_int_equal(o.consumed, stop_at);
	assert_true(o.out.len > 0);
	buf_release(&o.out);
}

static size_t pack_at(const struct buf *b)
{
	const uint8_t *p = memmem(b->data, b->len, "PACK", 4);

	assert_non_null(p);
	return (size_t)(p - b->data);
}

static bool all_hex(const char *s, size_t n)
{
	size_t i;

	if (strlen(s) != n)
		return false;
	for (i = 0; i < n; i++)
		if (!strchr("0123456789abcdef", s[i]))
			return false;
	return true;
}

static void test_real_create_sha1_and_sha256(void **state)
{
	static const struct {
		const char *file;
		unsigned hexsz;
	} cases[] = {
		{ "git/push-create-sha1.body", 40 },
		{ "git/push-create-sha256.body", 64 },
	};
	size_t f;

	UNUSED(state);
	for (f = 0; f < ARRAY_SIZE(cases); f++) {
		struct buf in;
		struct parsed ps;
		const struct receive_pack_request *r;
		size_t stop;

		load(cases[f].file, &in);
		stop = pack_at(&in);
		check_stop(&in, stop);
		r = parse(&ps, in.data, in.len);
		assert_non_null(r);
		assert_true(r->complete);
		assert_int_equal(ps.r.consumed, stop);
		assert_int_equal(r->hexsz, cases[f].hexsz);
		assert_int_equal(r->ncommands, 1);
		assert_int_equal(r->commands[0].kind, RP_CREATE);
		assert_true(all_hex(r->commands[0].old_hex, r->hexsz));
		assert_true(all_hex(r->commands[0].new_hex, r->hexsz));
		assert_string_equal(r->commands[0].ref, "refs/heads/main");
		assert_int_equal(r->commands[0].ref_len, 15);
		assert_true(r->caps & RP_CAP_REPORT_STATUS_V2);
		assert_true(r->caps & RP_CAP_SIDE_BAND_64K);
		assert_true(r->caps & RP_CAP_QUIET);
		assert_true(r->caps & RP_CAP_OBJECT_FORMAT);
		assert_false(r->caps & (RP_CAP_PUSH_OPTIONS | RP_CAP_ATOMIC | RP_CAP_UNKNOWN));
		assert_string_equal(r->agent, "git/2.39.5");
		assert_false(r->empty);
		assert_false(r->delete_only);
		assert_int_equal(r->noptions, 0);
		assert_int_equal(r->block_bytes, stop);
		dec_receive_pack.release(&ps.d);
		buf_release(&in);
	}
}

static void test_real_atomic_with_options(void **state)
{
	struct buf in, create;
	struct parsed ps, pc;
	const struct receive_pack_request *r, *rc;
	size_t stop;

	UNUSED(state);
	load("git/push-atomic-options.body", &in);
	stop = pack_at(&in);
	check_stop(&in, stop);
	r = parse(&ps, in.data, in.len);
	assert_non_null(r);
	assert_int_equal(ps.r.consumed, stop);
	assert_true(r->caps & RP_CAP_ATOMIC);
	assert_true(r->caps & RP_CAP_PUSH_OPTIONS);
	assert_int_equal(r->ncommands, 2);
	assert_int_equal(r->commands[0].kind, RP_UPDATE);
	assert_string_equal(r->commands[0].ref, "refs/heads/main");
	assert_int_equal(r->commands[1].kind, RP_CREATE);
	assert_string_equal(r->commands[1].ref, "refs/heads/topic");
	assert_int_equal(r->noptions, 2);
	assert_string_equal(r->options[0].text, "ci.skip");
	assert_string_equal(r->options[1].text, "sluice.bypass=false-positive");
	/* The same capture pushed main before: this update starts where that
	 * create ended, and topic was branched there. */
	load("git/push-create-sha1.body", &create);
	rc = parse(&pc, create.data, create.len);
	assert_non_null(rc);
	assert_string_equal(r->commands[0].old_hex, rc->commands[0].new_hex);
	assert_string_equal(r->commands[1].new_hex, rc->commands[0].new_hex);
	dec_receive_pack.release(&pc.d);
	dec_receive_pack.release(&ps.d);
	buf_release(&create);
	buf_release(&in);
}

static void test_real_delete_only_and_probe(void **state)
{
	struct buf in;
	struct parsed ps;
	const struct receive_pack_request *r;

	UNUSED(state);
	load("git/push-delete-only.body", &in);
	assert_null(memmem(in.data, in.len, "PACK", 4));
	check_stop(&in, in.len);
	r = parse(&ps, in.data, in.len);
	assert_non_null(r);
	assert_true(r->delete_only);
	assert_int_equal(r->ncommands, 1);
	assert_int_equal(r->commands[0].kind, RP_DELETE);
	assert_string_equal(r->commands[0].new_hex, ZERO40);
	assert_string_equal(r->commands[0].ref, "refs/heads/topic");
	assert_false(receive_pack_is_probe(in.data, in.len));
	dec_receive_pack.release(&ps.d);
	buf_release(&in);

	load("git/push-probe.body", &in);
	assert_true(receive_pack_is_probe(in.data, in.len));
	check_stop(&in, 4);
	r = parse(&ps, in.data, in.len);
	assert_non_null(r);
	assert_true(r->empty);
	assert_false(r->delete_only);
	assert_int_equal(r->ncommands, 0);
	dec_receive_pack.release(&ps.d);
	buf_release(&in);
}

static void add_pkt(struct buf *b, const char *payload, size_t n)
{
	assert_int_equal(pktline_encode(b, payload, n ? n : strlen(payload)), 0);
}

static void test_crafted_accepted(void **state)
{
	struct buf in;
	struct parsed ps;
	const struct receive_pack_request *r;
	static const char first[] = A40 " " B40 " refs/heads/a\n\0 report-status unknown-x "
				    "session-id=abc\n";

	UNUSED(state);
	buf_init(&in, 1u << 20);
	add_pkt(&in, "shallow " A40 "\n", 0);
	add_pkt(&in, "shallow " B40, 0);
	add_pkt(&in, first, sizeof(first) - 1);
	add_pkt(&in, B40 " " ZERO40 " refs/tags/v1\n", 0);
	add_pkt(&in, A40 " " B40 " refs/heads/\xc3\xa9t\xc3\xa9", 0);
	assert_int_equal(pktline_encode_flush(&in), 0);
	assert_int_equal(buf_append_str(&in, "PACK"), 0);
	check_stop(&in, in.len - 4);
	r = parse(&ps, in.data, in.len);
	assert_non_null(r);
	assert_int_equal(r->nshallow, 2);
	assert_string_equal(r->shallow[0].text, "shallow " A40);
	assert_int_equal(r->ncommands, 3);
	assert_string_equal(r->commands[0].ref, "refs/heads/a");
	assert_int_equal(r->commands[1].kind, RP_DELETE);
	assert_string_equal(r->commands[2].ref, "refs/heads/\xc3\xa9t\xc3\xa9");
	assert_true(r->caps & RP_CAP_REPORT_STATUS);
	assert_true(r->caps & RP_CAP_UNKNOWN);
	assert_string_equal(r->session_id, "abc");
	assert_null(r->agent);
	assert_string_equal(r->caps_raw, " report-status unknown-x session-id=abc\n");
	dec_receive_pack.release(&ps.d);
	buf_release(&in);

	/* Uppercase length digits frame the same request (0x6a -> "006A"). */
	buf_init(&in, 1u << 20);
	add_pkt(&in, ZERO40 " " A40 " refs/heads/abcdefghi", 0);
	assert_memory_equal(in.data, "006a", 4);
	in.data[3] = 'A';
	assert_int_equal(pktline_encode_flush(&in), 0);
	check_stop(&in, in.len);
	buf_release(&in);

	/* Without object-format, default_hexsz decides. */
	{
		struct receive_pack_params p = { .default_hexsz = 64 };
		struct dec_sink sink = { nosink, NULL };

		buf_init(&in, 1u << 20);
		add_pkt(&in, A64 " " A64 " refs/heads/x", 0);
		assert_int_equal(pktline_encode_flush(&in), 0);
		assert_int_equal(dec_receive_pack.init(&ps.d, &p), 0);
		ps.r = dec_receive_pack.feed(&ps.d, in.data, in.len, &sink);
		assert_int_equal(ps.r.status, DEC_STOP);
		r = receive_pack_peek(&ps.d);
		assert_int_equal(r->hexsz, 64);
		assert_int_equal(r->commands[0].kind, RP_UPDATE);
		dec_receive_pack.release(&ps.d);
		buf_release(&in);
		p.default_hexsz = 41;
		assert_int_equal(dec_receive_pack.init(&ps.d, &p), ERR_USAGE);
		dec_receive_pack.release(&ps.d);
	}
}

struct pkt_src {
	const char *s;
	size_t n;
};

#define P(lit) { (lit), sizeof(lit) - 1 }

struct bad_case {
	const char *name;
	struct pkt_src pkts[4];	/* payloads; "FLUSH" is a flush */
	const char *tail;	/* raw bytes after the pkts, may be NULL */
	int err;
	enum rp_why why;
};

static void build(const struct bad_case *bc, struct buf *in)
{
	size_t i;

	buf_init(in, 1u << 22);
	for (i = 0; i < ARRAY_SIZE(bc->pkts) && bc->pkts[i].s; i++) {
		if (!strcmp(bc->pkts[i].s, "FLUSH"))
			assert_int_equal(pktline_encode_flush(in), 0);
		else
			add_pkt(in, bc->pkts[i].s, bc->pkts[i].n);
	}
	if (bc->tail)
		assert_int_equal(buf_append(in, bc->tail, strlen(bc->tail)), 0);
}

/*
 * For the large generated inputs of the limit tests, splitfeed_check's
 * 4096 split points cost minutes under sanitizers: compare the whole run
 * with byte-at-a-time, a few odd piece sizes and a few split points.
 */
static void some_splits(const struct buf *in, struct splitfeed_outcome *whole)
{
	static const size_t pieces[] = { 1, 3, 4093, 65521 };
	size_t i;

	memset(&rp_params, 0, sizeof(rp_params));
	splitfeed_run(&dec_receive_pack, params_for, NULL, in->data, in->len, 0, whole);
	for (i = 0; i < ARRAY_SIZE(pieces) + 5; i++) {
		struct splitfeed_outcome o;

		if (i < ARRAY_SIZE(pieces))
			splitfeed_run(&dec_receive_pack, params_for, NULL, in->data, in->len,
				      pieces[i], &o);
		else
			splitfeed_run_split(&dec_receive_pack, params_for, NULL, in->data, in->len,
					    in->len * (i - ARRAY_SIZE(pieces)) / 5 + 1, &o);
		assert_int_equal(o.status, whole->status);
		assert_int_equal(o.err, whole->err);
		assert_int_equal(o.consumed, whole->consumed);
		assert_int_equal(o.out.len, whole->out.len);
		assert_memory_equal(o.out.data, whole->out.data, o.out.len);
		buf_release(&o.out);
	}
}

static void expect_bad_big(const char *name, const struct buf *in, int err, enum rp_why why)
{
	struct splitfeed_outcome o;
	struct parsed ps;

	some_splits(in, &o);
	if (o.status != DEC_ERR || o.err != err)
		fail_msg("%s: status %d err %d", name, o.status, o.err);
	buf_release(&o.out);
	parse(&ps, in->data, in->len);
	if (receive_pack_why(&ps.d) != why)
		fail_msg("%s: why %s", name, receive_pack_why_str(receive_pack_why(&ps.d)));
	dec_receive_pack.release(&ps.d);
}

static void expect_bad(const char *name, const struct buf *in, int err, enum rp_why why)
{
	struct splitfeed_outcome o;
	struct parsed ps;
	const struct receive_pack_request *r;

	memset(&rp_params, 0, sizeof(rp_params));
	splitfeed_check(&dec_receive_pack, params_for, NULL, in->data, in->len, &o);
	if (o.status != DEC_ERR || o.err != err)
		fail_msg("%s: status %d err %d", name, o.status, o.err);
	buf_release(&o.out);
	r = parse(&ps, in->data, in->len);
	if (receive_pack_why(&ps.d) != why)
		fail_msg("%s: why %s", name, receive_pack_why_str(receive_pack_why(&ps.d)));
	/* A partial request is published for the responder. */
	assert_non_null(r);
	assert_false(r->complete);
	dec_receive_pack.release(&ps.d);
}

#define FIRST_OK ZERO40 " " A40 " refs/heads/m"
#define CAPS_NUL "\0 report-status"

static void test_malformed(void **state)
{
	static const struct bad_case cases[] = {
		{ "length 3", { { NULL } }, "0003", ERR_SYNTAX, RP_WHY_FRAMING },
		{ "PACK first", { { NULL } }, "PACK", ERR_SYNTAX, RP_WHY_FRAMING },
		{ "bad hex", { { NULL } }, "00x8abcd", ERR_SYNTAX, RP_WHY_FRAMING },
		{ "overlong pkt", { { NULL } }, "fff1", ERR_LIMIT, RP_WHY_PKT_LIMIT },
		{ "delim", { P(FIRST_OK) }, "0001", ERR_SYNTAX, RP_WHY_FRAMING },
		{ "response-end", { { NULL } }, "0002", ERR_SYNTAX, RP_WHY_FRAMING },
		{ "empty pkt", { { NULL } }, "0004", ERR_SYNTAX, RP_WHY_EMPTY_PKT },
		{ "empty pkt later", { P(FIRST_OK) }, "0004", ERR_SYNTAX, RP_WHY_EMPTY_PKT },
		{ "short command", { P(ZERO40 " " A40) }, NULL, ERR_SYNTAX, RP_WHY_BAD_COMMAND },
		{ "no ref", { P(ZERO40 " " A40 " ") }, NULL, ERR_SYNTAX, RP_WHY_BAD_COMMAND },
		{ "tab separator", { P(ZERO40 "\t" A40 " refs/heads/m") }, NULL, ERR_SYNTAX,
		  RP_WHY_BAD_COMMAND },
		{ "uppercase oid", { P(ZERO40 " ABCDEF1111111111111111111111111111111111 r") },
		  NULL, ERR_SYNTAX, RP_WHY_BAD_OID },
		{ "non-hex oid", { P(ZERO40 " g111111111111111111111111111111111111111 r") },
		  NULL, ERR_SYNTAX, RP_WHY_BAD_OID },
		{ "sha256 id in sha1 push", { P(ZERO40 " " A64 " refs/heads/m") }, NULL,
		  ERR_SYNTAX, RP_WHY_BAD_COMMAND },
		{ "sha1 id in sha256 push", { P(FIRST_OK "\0 object-format=sha256") }, NULL,
		  ERR_SYNTAX, RP_WHY_BAD_COMMAND },
		{ "space in ref", { P(ZERO40 " " A40 " refs/heads/a b") }, NULL, ERR_SYNTAX,
		  RP_WHY_BAD_REF },
		{ "control in ref", { P(ZERO40 " " A40 " refs/heads/a\x01") }, NULL, ERR_SYNTAX,
		  RP_WHY_BAD_REF },
		{ "caps on second", { P(FIRST_OK), P(ZERO40 " " A40 " refs/heads/n" CAPS_NUL) },
		  NULL, ERR_SYNTAX, RP_WHY_CAPS_NOT_FIRST },
		{ "shallow after command", { P(FIRST_OK), P("shallow " A40) }, NULL, ERR_SYNTAX,
		  RP_WHY_SHALLOW_ORDER },
		{ "bad shallow", { P("shallow 1234") }, NULL, ERR_SYNTAX, RP_WHY_BAD_OID },
		{ "mixed shallow lengths", { P("shallow " A40), P("shallow " A64) }, NULL,
		  ERR_SYNTAX, RP_WHY_BAD_OID },
		{ "shallow sha1, push sha256",
		  { P("shallow " A40), P(A64 " " A64 " r\0 object-format=sha256") }, NULL,
		  ERR_SYNTAX, RP_WHY_BAD_OID },
		{ "signed push", { P("push-cert\0 report-status"), P("certificate version 0.1\n") },
		  NULL, ERR_UNSUPPORTED, RP_WHY_SIGNED_PUSH },
		{ "signed push after shallow", { P("shallow " A40), P("push-cert\n") }, NULL,
		  ERR_UNSUPPORTED, RP_WHY_SIGNED_PUSH },
		{ "sha512", { P(FIRST_OK "\0 object-format=sha512") }, NULL, ERR_UNSUPPORTED,
		  RP_WHY_OBJECT_FORMAT },
		{ "two object formats", { P(FIRST_OK "\0 object-format=sha1 object-format=sha256") },
		  NULL, ERR_UNSUPPORTED, RP_WHY_OBJECT_FORMAT },
		{ "missing flush", { P(FIRST_OK) }, NULL, ERR_TRUNCATED, RP_WHY_TRUNCATED },
		{ "cut inside pkt", { P(FIRST_OK) }, "0040abc", ERR_TRUNCATED, RP_WHY_TRUNCATED },
		{ "missing option flush", { P(FIRST_OK "\0 push-options"), P("FLUSH"), P("ci.skip") },
		  NULL, ERR_TRUNCATED, RP_WHY_TRUNCATED },
		{ "NUL in option", { P(FIRST_OK "\0 push-options"), P("FLUSH"), P("a\0b") }, "0000",
		  ERR_SYNTAX, RP_WHY_BAD_OPTION },
		{ "empty body", { { NULL } }, NULL, ERR_TRUNCATED, RP_WHY_TRUNCATED },
	};
	size_t i;

	UNUSED(state);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct buf in;

		build(&cases[i], &in);
		expect_bad(cases[i].name, &in, cases[i].err, cases[i].why);
		buf_release(&in);
	}
}

static void test_limits(void **state)
{
	struct buf in;
	size_t i;

	UNUSED(state);
	/* LIMIT_PUSH_COMMANDS commands pass; one more does not. */
	buf_init(&in, 1u << 22);
	for (i = 0; i < LIMIT_PUSH_COMMANDS; i++)
		assert_int_equal(buf_printf(&in, "%04zx%s %s r%05zu", (size_t)4 + 88, ZERO40, A40,
					    i), 0);
	assert_int_equal(pktline_encode_flush(&in), 0);
	{
		struct splitfeed_outcome o;

		some_splits(&in, &o);
		assert_int_equal(o.status, DEC_STOP);
		assert_int_equal(o.consumed, in.len);
		buf_release(&o.out);
	}
	in.len -= 4;
	assert_int_equal(buf_printf(&in, "%04zx%s %s r%05zu", (size_t)4 + 88, ZERO40, A40, i), 0);
	assert_int_equal(pktline_encode_flush(&in), 0);
	expect_bad_big("too many commands", &in, ERR_LIMIT, RP_WHY_TOO_MANY_COMMANDS);
	buf_release(&in);

	/* LIMIT_PUSH_OPTIONS options pass; one more does not. */
	buf_init(&in, 1u << 22);
	add_pkt(&in, FIRST_OK "\0 push-options", sizeof(FIRST_OK "\0 push-options") - 1);
	assert_int_equal(pktline_encode_flush(&in), 0);
	for (i = 0; i < LIMIT_PUSH_OPTIONS; i++)
		add_pkt(&in, "o", 1);
	assert_int_equal(pktline_encode_flush(&in), 0);
	check_stop(&in, in.len);
	in.len -= 4;
	add_pkt(&in, "o", 1);
	assert_int_equal(pktline_encode_flush(&in), 0);
	expect_bad("too many options", &in, ERR_LIMIT, RP_WHY_TOO_MANY_OPTIONS);
	buf_release(&in);

	/* Long ref names push the block over LIMIT_COMMAND_BLOCK_BYTES before
	 * the command count matters. */
	buf_init(&in, 1u << 22);
	{
		char *ref = xmalloc(PKTLINE_MAX_PAYLOAD);

		assert_non_null(ref);
		memset(ref, 'r', PKTLINE_MAX_PAYLOAD);
		for (i = 0; i * LIMIT_PKT_BYTES <= LIMIT_COMMAND_BLOCK_BYTES; i++) {
			memcpy(ref, ZERO40 " " A40 " ", 82);
			assert_int_equal(pktline_encode(&in, ref, PKTLINE_MAX_PAYLOAD), 0);
		}
		xfree(ref);
	}
	assert_int_equal(pktline_encode_flush(&in), 0);
	expect_bad_big("block too big", &in, ERR_LIMIT, RP_WHY_BLOCK_LIMIT);
	buf_release(&in);
}

/* The block as expected after dropping " push-options" and the options,
 * computed from the captured bytes by plain string surgery. */
static void expected_stripped(const struct buf *in, struct buf *want)
{
	const uint8_t *first = in->data + 4;
	size_t flen = 0, i, rest_off;
	const uint8_t *cap;

	for (i = 0; i < 4; i++)
		flen = flen * 16 + (size_t)(strchr("0123456789abcdef", in->data[i]) -
					    "0123456789abcdef");
	cap = memmem(first, flen - 4, " push-options", 13);
	assert_non_null(cap);
	buf_init(want, 1u << 20);
	assert_int_equal(buf_printf(want, "%04zx", flen - 13), 0);
	assert_int_equal(buf_append(want, first, (size_t)(cap - first)), 0);
	assert_int_equal(buf_append(want, cap + 13, flen - 4 - (size_t)(cap + 13 - first)), 0);
	/* The other command pkts, walked by their lengths, and the flush. */
	rest_off = flen;
	for (;;) {
		size_t l = 0;

		for (i = 0; i < 4; i++)
			l = l * 16 + (size_t)(strchr("0123456789abcdef", in->data[rest_off + i]) -
					      "0123456789abcdef");
		if (l == 0)
			break;
		rest_off += l;
	}
	assert_int_equal(buf_append(want, in->data + flen, rest_off + 4 - flen), 0);
}

static void test_reencode(void **state)
{
	struct buf in, out, want, replay;
	struct parsed ps, p2;
	const struct receive_pack_request *r, *r2;
	size_t stop;

	UNUSED(state);
	load("git/push-atomic-options.body", &in);
	stop = pack_at(&in);
	r = parse(&ps, in.data, in.len);
	assert_non_null(r);

	/* Nothing dropped: git's own bytes come back. */
	buf_init(&out, 1u << 20);
	assert_int_equal(receive_pack_reencode(r, NULL, false, &out), 0);
	assert_int_equal(out.len, stop);
	assert_memory_equal(out.data, in.data, stop);

	/* push-options stripped for an upstream that lacks it. */
	buf_reset(&out);
	assert_int_equal(receive_pack_reencode(r, "push-options", true, &out), 0);
	expected_stripped(&in, &want);
	assert_int_equal(out.len, want.len);
	assert_memory_equal(out.data, want.data, want.len);

	/* The result, with the pack behind it, parses as a push without
	 * options whose commands are unchanged. */
	buf_init(&replay, 1u << 20);
	assert_int_equal(buf_append(&replay, out.data, out.len), 0);
	assert_int_equal(buf_append(&replay, in.data + stop, in.len - stop), 0);
	r2 = parse(&p2, replay.data, replay.len);
	assert_non_null(r2);
	assert_true(r2->complete);
	assert_int_equal(p2.r.consumed, out.len);
	assert_false(r2->caps & RP_CAP_PUSH_OPTIONS);
	assert_int_equal(r2->caps | RP_CAP_PUSH_OPTIONS, r->caps);
	assert_int_equal(r2->noptions, 0);
	assert_int_equal(r2->ncommands, 2);
	assert_string_equal(r2->commands[1].new_hex, r->commands[1].new_hex);
	dec_receive_pack.release(&p2.d);

	/* A cap that is not there changes nothing; the first token and the
	 * last token are cut with one separator. */
	buf_reset(&out);
	assert_int_equal(receive_pack_reencode(r, "no-such-cap", false, &out), 0);
	assert_memory_equal(out.data, in.data, stop);
	buf_reset(&out);
	assert_int_equal(receive_pack_reencode(r, "report-status-v2", true, &out), 0);
	assert_null(memmem(out.data, out.len, "report-status", 13));
	/* git's list starts with a space: the token goes with the one before it. */
	assert_non_null(memmem(out.data, out.len, "\0 side-band-64k quiet", 21));
	buf_reset(&out);
	assert_int_equal(receive_pack_reencode(r, "agent=git/2.39.5", true, &out), 0);
	assert_non_null(memmem(out.data, out.len, "object-format=sha10066" ZERO40, 62));

	dec_receive_pack.release(&ps.d);
	buf_release(&replay);
	buf_release(&want);
	buf_release(&out);
	buf_release(&in);

	/* A list without the leading space: the space after goes instead. */
	{
		static const char first[] = FIRST_OK "\0report-status quiet";

		buf_init(&in, 1024);
		add_pkt(&in, first, sizeof(first) - 1);
		assert_int_equal(pktline_encode_flush(&in), 0);
		r = parse(&ps, in.data, in.len);
		assert_non_null(r);
		buf_init(&out, 1024);
		assert_int_equal(receive_pack_reencode(r, "report-status", false, &out), 0);
		assert_int_equal(out.len, in.len - 14);
		assert_memory_equal(out.data, "0068", 4);
		assert_memory_equal(out.data + 4 + sizeof(FIRST_OK), "quiet0000", 9);
		dec_receive_pack.release(&ps.d);
		buf_release(&out);
		buf_release(&in);
	}

	/* An incomplete request cannot be re-encoded. */
	load("git/push-create-sha1.body", &in);
	r = parse(&ps, in.data, 60);
	assert_non_null(r);
	buf_init(&out, 1024);
	assert_int_equal(receive_pack_reencode(r, NULL, false, &out), ERR_STATE);
	dec_receive_pack.release(&ps.d);
	buf_release(&out);
	buf_release(&in);
}

static void test_caps_drop(void **state)
{
	static const struct {
		const char *in, *name, *want;
		unsigned dropped;
	} cases[] = {
		{ " a b c", "b", " a c", 1 },
		{ " a b c\n", "c", " a b\n", 1 },
		{ "a b c", "a", "b c", 1 },
		{ "a a b a", "a", "b", 3 },
		{ "x push-cert=1 y push-cert=2\n", "push-cert=", "x y\n", 2 },
		{ "push-cert", "push-cert=", "push-cert", 0 },
		{ "ab b", "a", "ab b", 0 },
		{ "a  b", "b", "a", 1 },
		{ "", "a", "", 0 },
	};
	size_t i;

	UNUSED(state);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct buf out;
		unsigned n = 99;

		buf_init(&out, 256);
		assert_int_equal(receive_pack_caps_drop((const uint8_t *)cases[i].in,
							strlen(cases[i].in), cases[i].name, &out,
							&n), 0);
		assert_int_equal(n, cases[i].dropped);
		assert_int_equal(out.len, strlen(cases[i].want));
		if (out.len)
			assert_memory_equal(out.data, cases[i].want, out.len);
		buf_release(&out);
	}
}

/* Third pkt payload of an advertisement (the first ref). */
static void first_ref(const uint8_t *b, size_t len, const uint8_t **p, size_t *n)
{
	size_t pos = 0, k;

	for (k = 0; k < 3; k++) {
		size_t l = 0, i;

		assert_true(pos + 4 <= len);
		for (i = 0; i < 4; i++)
			l = l * 16 + (size_t)(strchr("0123456789abcdef", b[pos + i]) -
					      "0123456789abcdef");
		if (k == 2) {
			*p = b + pos + 4;
			*n = l - 4;
			return;
		}
		pos += l ? l : 4;
	}
}

static void test_advert_real(void **state)
{
	static const struct {
		const char *file;
		unsigned hexsz;
		bool empty;
	} cases[] = {
		{ "git/advert-empty-sha1.pkt", 40, true },
		{ "git/advert-empty-sha256.pkt", 64, true },
		{ "git/advert-refs-sha1.pkt", 40, false },
	};
	size_t f;

	UNUSED(state);
	for (f = 0; f < ARRAY_SIZE(cases); f++) {
		struct buf in, out, whole;
		struct advert_info info;
		size_t consumed, cut, on, nn;
		const uint8_t *op, *np;

		load(cases[f].file, &in);
		buf_init(&out, 1u << 20);
		assert_int_equal(advert_rewrite(in.data, in.len, ADVERT_ADD_NO_THIN |
						ADVERT_ADD_PUSH_OPTIONS, &out, &consumed, &info), 0);
		assert_int_equal(info.hexsz, cases[f].hexsz);
		assert_int_equal(info.empty_repo, cases[f].empty);
		assert_false(info.version1);
		/* The capture's server advertises push-options already. */
		assert_true(info.had_push_options);
		assert_false(info.had_no_thin);
		assert_int_equal(info.changed, ADVERT_ADD_NO_THIN);
		assert_int_equal(out.len, consumed + 8);
		buf_init(&whole, 1u << 20);
		assert_int_equal(buf_append(&whole, out.data, out.len), 0);
		assert_int_equal(buf_append(&whole, in.data + consumed, in.len - consumed), 0);
		first_ref(in.data, in.len, &op, &on);
		first_ref(whole.data, whole.len, &np, &nn);
		assert_int_equal(nn, on + 8);
		assert_memory_equal(np, op, on - 1);
		assert_memory_equal(np + on - 1, " no-thin\n", 9);
		/* The rewritten body frames cleanly to its end. */
		{
			struct dec_pktline d;
			struct dec_pktline_params pp = { NULL, NULL, DEC_PKTLINE_V0 };
			struct buf canon;
			struct dec_sink sink = { collect, &canon };
			struct dec_result r;

			buf_init(&canon, 1u << 20);
			assert_int_equal(dec_pktline.init(&d, &pp), 0);
			r = dec_pktline.feed(&d, whole.data, whole.len, &sink);
			assert_int_equal(r.status, DEC_OK);
			assert_int_equal(dec_pktline.finish(&d, &sink).status, DEC_OK);
			assert_int_equal(canon.len, whole.len);
			assert_memory_equal(canon.data, whole.data, whole.len);
			dec_pktline.release(&d);
			buf_release(&canon);
		}
		/* Every shorter prefix asks for more; longer ones agree. */
		for (cut = 0; cut <= in.len; cut++) {
			struct buf o2;
			size_t c2;
			int err;

			buf_init(&o2, 1u << 20);
			err = advert_rewrite(in.data, cut, ADVERT_ADD_NO_THIN |
					     ADVERT_ADD_PUSH_OPTIONS, &o2, &c2, NULL);
			if (cut < consumed) {
				assert_int_equal(err, ERR_TRUNCATED);
				assert_int_equal(o2.len, 0);
			} else {
				assert_int_equal(err, 0);
				assert_int_equal(c2, consumed);
				assert_int_equal(o2.len, out.len);
				assert_memory_equal(o2.data, out.data, out.len);
			}
			buf_release(&o2);
		}
		buf_release(&whole);
		buf_release(&out);
		buf_release(&in);
	}
}

static void test_advert_crafted(void **state)
{
	struct buf in, out;
	struct advert_info info;
	size_t consumed;
	static const char ref[] = A40 " refs/heads/main\0report-status push-cert=1234-abcd "
				  "delete-refs";

	UNUSED(state);
	buf_init(&in, 1u << 20);
	buf_init(&out, 1u << 20);
	add_pkt(&in, "# service=git-receive-pack", 0);
	assert_int_equal(pktline_encode_flush(&in), 0);
	add_pkt(&in, "version 1\n", 0);
	add_pkt(&in, ref, sizeof(ref) - 1);
	add_pkt(&in, B40 " refs/heads/other\n", 0);
	assert_int_equal(pktline_encode_flush(&in), 0);
	assert_int_equal(advert_rewrite(in.data, in.len, ADVERT_ADD_NO_THIN |
					ADVERT_ADD_PUSH_OPTIONS | ADVERT_DROP_PUSH_CERT, &out,
					&consumed, &info), 0);
	assert_true(info.version1);
	assert_true(info.had_push_cert);
	assert_false(info.empty_repo);
	assert_int_equal(info.changed, ADVERT_ADD_NO_THIN | ADVERT_ADD_PUSH_OPTIONS |
					       ADVERT_DROP_PUSH_CERT);
	{
		static const char want[] = A40 " refs/heads/main\0report-status delete-refs "
					   "no-thin push-options";
		size_t pre = consumed - (sizeof(ref) - 1) - 4;

		assert_int_equal(out.len, pre + 4 + sizeof(want) - 1);
		assert_memory_equal(out.data, in.data, pre);
		assert_memory_equal(out.data + pre + 4, want, sizeof(want) - 1);
	}

	/* Only push-cert, dropped: nothing left after the NUL but the adds. */
	buf_reset(&in);
	buf_reset(&out);
	add_pkt(&in, "# service=git-receive-pack\n", 0);
	assert_int_equal(pktline_encode_flush(&in), 0);
	add_pkt(&in, ZERO40 " capabilities^{}\0push-cert=x\n",
		sizeof(ZERO40 " capabilities^{}\0push-cert=x\n") - 1);
	assert_int_equal(advert_rewrite(in.data, in.len, ADVERT_DROP_PUSH_CERT |
					ADVERT_ADD_NO_THIN, &out, &consumed, &info), 0);
	assert_true(info.empty_repo);
	assert_non_null(memmem(out.data, out.len, "capabilities^{}\0no-thin\n", 24));

	/* Not a receive-pack advertisement. */
	buf_reset(&in);
	add_pkt(&in, "# service=git-upload-pack\n", 0);
	assert_int_equal(pktline_encode_flush(&in), 0);
	add_pkt(&in, ZERO40 " capabilities^{}\0x\n", sizeof(ZERO40 " capabilities^{}\0x\n") - 1);
	assert_int_equal(advert_rewrite(in.data, in.len, ADVERT_ADD_NO_THIN, &out, &consumed,
					NULL), ERR_SYNTAX);
	buf_reset(&in);
	add_pkt(&in, "# service=git-receive-pack\n", 0);
	add_pkt(&in, ZERO40 " capabilities^{}\0x\n", sizeof(ZERO40 " capabilities^{}\0x\n") - 1);
	assert_int_equal(advert_rewrite(in.data, in.len, ADVERT_ADD_NO_THIN, &out, &consumed,
					NULL), ERR_SYNTAX);
	buf_reset(&in);
	add_pkt(&in, "# service=git-receive-pack\n", 0);
	assert_int_equal(pktline_encode_flush(&in), 0);
	add_pkt(&in, A40 " refs/heads/main\n", 0);
	assert_int_equal(advert_rewrite(in.data, in.len, ADVERT_ADD_NO_THIN, &out, &consumed,
					NULL), ERR_SYNTAX);
	buf_reset(&in);
	assert_int_equal(buf_append_str(&in, "001f# service=git-receive-pack\n0003"), 0);
	assert_int_equal(advert_rewrite(in.data, in.len, ADVERT_ADD_NO_THIN, &out, &consumed,
					NULL), ERR_SYNTAX);
	buf_release(&in);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_create_sha1_and_sha256),
		cmocka_unit_test(test_real_atomic_with_options),
		cmocka_unit_test(test_real_delete_only_and_probe),
		cmocka_unit_test(test_crafted_accepted),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_reencode),
		cmocka_unit_test(test_caps_drop),
		cmocka_unit_test(test_advert_real),
		cmocka_unit_test(test_advert_crafted),
	};

	return cmocka_run_group_tests_name("decode/receive_pack/", tests, NULL, NULL);
}
