/*
 * test_pack.c - the pack parser (core/pack/pack.h) against packs made by
 * the real git CLI (ids cross-checked with git verify-pack and rev-list)
 * and hand-crafted malicious packs (tests/lib/packbuild.h).  Every pack is
 * fed whole, at every split point and one byte at a time.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err-t.h"
#include "core/base/limits.h"
#include "core/base/membudget.h"
#include "core/pack/delta.h"
#include "core/pack/pack.h"
#include "tests/lib/packbuild.h"
#include "tests/lib/splitfeed.h"

#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mount.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

/* --- sinks ------------------------------------------------------------------- */

static const char *tname(enum pack_obj_type t)
{
	switch (t) {
	case PACK_OBJ_COMMIT: return "commit";
	case PACK_OBJ_TREE: return "tree";
	case PACK_OBJ_BLOB: return "blob";
	case PACK_OBJ_TAG: return "tag";
	default: return "?";
	}
}

/* Serialises every object into the run's output: a begin line, the
 * content, an end line with the id.  Chunking of object_data is invisible. */
struct ser {
	struct buf *out;	/* the run's output */
	size_t oid_len;		/* 20 or 32 */
};

static int ser_begin(void *ctx, const struct pack_object_info *i)
{
	struct ser *s = ctx;

	assert_false(i->oid_valid);
	return buf_printf(s->out, "<%s %" PRIu64 " @%" PRIu64 " #%u d%u>", tname(i->type),
			  i->size, i->offset, i->index, i->delta_depth);
}

static int ser_data(void *ctx, const struct pack_object_info *i, const uint8_t *p, size_t n)
{
	struct ser *s = ctx;

	assert_false(i->oid_valid);
	return buf_append(s->out, p, n);
}

static int ser_end(void *ctx, const struct pack_object_info *i)
{
	struct ser *s = ctx;
	char hex[2 * PACK_OID_MAX + 1];

	assert_true(i->oid_valid);
	pack_oid_hex(&i->oid, s->oid_len, hex);
	return buf_printf(s->out, "</%s>\n", hex);
}

struct cfg {
	struct pack_params prm;	/* handed to each run */
	struct ser ser;		/* sink state of the current run */
};

static void cfg_init(struct cfg *c, enum pack_hash_algo algo)
{
	memset(c, 0, sizeof(*c));
	c->prm.hash_algo = algo;
	pack_limits_default(&c->prm.limits);
	c->prm.pack_fd = -1;
	c->ser.oid_len = pack_oid_len(algo);
}

static const void *cfg_params(void *arg, struct buf *out)
{
	struct cfg *c = arg;

	c->ser.out = out;
	c->prm.sink.object_begin = ser_begin;
	c->prm.sink.object_data = ser_data;
	c->prm.sink.object_end = ser_end;
	c->prm.sink.ctx = &c->ser;
	return &c->prm;
}

/* Records objects with their content, for exact assertions. */
struct rec_obj {
	enum pack_obj_type type;	/* resolved type */
	uint64_t size, offset;		/* as reported */
	uint32_t index, depth;		/* as reported */
	char hex[2 * PACK_OID_MAX + 1];	/* id */
	struct buf content;		/* all data bytes */
};

struct rec {
	struct rec_obj *objs;		/* in report order */
	size_t n, cap;			/* used / allocated */
	size_t oid_len;			/* 20 or 32 */
	uint64_t data_calls;		/* object_data calls seen */
};

static int rec_begin(void *ctx, const struct pack_object_info *i)
{
	struct rec *r = ctx;
	struct rec_obj *o;

	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->objs = xrealloc(r->objs, r->cap * sizeof(*r->objs));
		assert_non_null(r->objs);
	}
	o = &r->objs[r->n++];
	memset(o, 0, sizeof(*o));
	o->type = i->type;
	o->size = i->size;
	o->offset = i->offset;
	o->index = i->index;
	o->depth = i->delta_depth;
	buf_init(&o->content, (size_t)1 << 31);
	return 0;
}

static int rec_data(void *ctx, const struct pack_object_info *i, const uint8_t *p, size_t n)
{
	struct rec *r = ctx;

	assert_true(r->n > 0);
	assert_int_equal(r->objs[r->n - 1].offset, i->offset);
	r->data_calls++;
	return buf_append(&r->objs[r->n - 1].content, p, n);
}

static int rec_end(void *ctx, const struct pack_object_info *i)
{
	struct rec *r = ctx;
	struct rec_obj *o = &r->objs[r->n - 1];

	assert_int_equal(o->offset, i->offset);
	assert_int_equal(o->content.len, i->size);
	pack_oid_hex(&i->oid, r->oid_len, o->hex);
	return 0;
}

static void rec_free(struct rec *r)
{
	size_t k;

	for (k = 0; k < r->n; k++)
		buf_release(&r->objs[k].content);
	xfree(r->objs);
	memset(r, 0, sizeof(*r));
}

/* Whole-buffer run with a recording sink; returns the final result. */
static struct dec_result run_rec(const struct pack_params *base, const uint8_t *in, size_t len,
				 struct rec *r, struct pack_stats *st)
{
	struct pack_params prm = *base;
	struct pack_parser *p;
	struct dec_result res;

	memset(r, 0, sizeof(*r));
	r->oid_len = pack_oid_len(prm.hash_algo);
	prm.sink.object_begin = rec_begin;
	prm.sink.object_data = rec_data;
	prm.sink.object_end = rec_end;
	prm.sink.ctx = r;
	assert_int_equal(pack_parser_new(&prm, &p), 0);
	res = pack_parser_feed(p, in, len);
	if (res.status == DEC_MORE)
		res = pack_parser_finish(p);
	if (st)
		pack_parser_stats(p, st);
	pack_parser_free(p);
	return res;
}

static void hex_of(const uint8_t *id, size_t n, char *out)
{
	struct pack_oid o;

	memcpy(o.id, id, n);
	pack_oid_hex(&o, n, out);
}

/* Asserts an object of the given type and content was reported. */
static void expect_obj(const struct rec *r, size_t k, unsigned type, const void *p, size_t n,
		       uint32_t depth)
{
	uint8_t id[PACK_OID_MAX];
	char hex[2 * PACK_OID_MAX + 1];

	assert_true(k < r->n);
	assert_int_equal(r->objs[k].type, type);
	assert_int_equal(r->objs[k].size, n);
	assert_int_equal(r->objs[k].depth, depth);
	assert_int_equal(r->objs[k].content.len, n);
	if (n)
		assert_memory_equal(r->objs[k].content.data, p, n);
	pb_oid(r->oid_len == 32 ? PACK_HASH_SHA256 : PACK_HASH_SHA1, type, p, n, id);
	hex_of(id, r->oid_len, hex);
	assert_string_equal(r->objs[k].hex, hex);
}

/* Feeds a pack every way splitfeed knows; returns the whole outcome. */
static void check_splits(struct cfg *c, const struct buf *pack, struct splitfeed_outcome *o)
{
	splitfeed_check(&pack_decoder, cfg_params, c, pack->data, pack->len, o);
}

/* A malicious pack must fail with err (and limit lh) however it is cut. */
static void expect_fail(const struct pack_limits *lim, const struct buf *pack, int err,
			enum pack_limit lh)
{
	struct splitfeed_outcome o;
	struct pack_stats st;
	struct dec_result r;
	struct rec rc;
	struct cfg c;

	cfg_init(&c, PACK_HASH_SHA1);
	if (lim)
		c.prm.limits = *lim;
	check_splits(&c, pack, &o);
	assert_int_equal(o.status, DEC_ERR);
	if (o.err != err)
		fail_msg("expected error %d, got %d", err, o.err);
	buf_release(&o.out);
	r = run_rec(&c.prm, pack->data, pack->len, &rc, &st);
	assert_int_equal(r.status, DEC_ERR);
	assert_int_equal(r.err, err);
	assert_int_equal(st.limit_hit, lh);
	rec_free(&rc);
}

/* --- hand-crafted valid packs -------------------------------------------------- */

static void test_empty_pack(void **state)
{
	struct splitfeed_outcome o;
	struct packbuild b;
	struct cfg c;

	UNUSED(state);
	pb_init(&b, PACK_HASH_SHA1);
	pb_header(&b, 2, 0);
	pb_trailer(&b);
	cfg_init(&c, PACK_HASH_SHA1);
	check_splits(&c, &b.out, &o);
	assert_int_equal(o.status, DEC_STOP);
	assert_int_equal(o.consumed, 32);
	assert_int_equal(o.out.len, 0);
	buf_release(&o.out);
	pb_release(&b);
}

static void test_whole_objects_v3_and_trailing_bytes(void **state)
{
	static const char blob[] = "hello, world\n";
	static const char commit[] = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
				     "author A <a@b> 1 +0000\ncommitter A <a@b> 1 +0000\n\nmsg\n";
	struct splitfeed_outcome o;
	struct packbuild b;
	struct rec r;
	struct cfg c;
	size_t plen;

	UNUSED(state);
	pb_init(&b, PACK_HASH_SHA1);
	pb_header(&b, 3, 4);
	pb_whole(&b, PACK_OBJ_BLOB, blob, strlen(blob));
	pb_whole(&b, PACK_OBJ_TREE, "", 0);
	pb_whole(&b, PACK_OBJ_COMMIT, commit, strlen(commit));
	pb_whole(&b, PACK_OBJ_BLOB, blob, strlen(blob));	/* duplicate */
	pb_trailer(&b);
	plen = b.out.len;
	pb_raw(&b, "0000extra", 9);	/* belongs to the next layer */
	cfg_init(&c, PACK_HASH_SHA1);
	check_splits(&c, &b.out, &o);
	assert_int_equal(o.status, DEC_STOP);
	assert_int_equal(o.consumed, plen);
	buf_release(&o.out);
	assert_int_equal(run_rec(&c.prm, b.out.data, b.out.len, &r, NULL).status, DEC_STOP);
	assert_int_equal(r.n, 4);
	expect_obj(&r, 0, PACK_OBJ_BLOB, blob, strlen(blob), 0);
	expect_obj(&r, 1, PACK_OBJ_TREE, "", 0, 0);
	assert_string_equal(r.objs[1].hex, "4b825dc642cb6eb9a060e54bf8d69288fbee4904");
	expect_obj(&r, 2, PACK_OBJ_COMMIT, commit, strlen(commit), 0);
	expect_obj(&r, 3, PACK_OBJ_BLOB, blob, strlen(blob), 0);
	assert_string_equal(r.objs[0].hex, "4b5fa63702dd96796042e92787f464e28f09f17d");
	rec_free(&r);
	pb_release(&b);
}

/* REF_DELTA before its base, an OFS_DELTA on that deferred delta, and a
 * REF_DELTA on the OFS one: all resolved when the pack ends. */
static void test_deferred_chain(void **state)
{
	static const char base[] = "The quick brown fox jumps over the lazy dog.\n";
	char v1[160], v2[200], v3[240];
	uint8_t id[PACK_OID_MAX];
	struct splitfeed_outcome o;
	struct buf d1, d2, d3;
	struct packbuild b;
	uint64_t off1, cache;
	struct rec r;
	struct cfg c;

	UNUSED(state);
	snprintf(v1, sizeof(v1), "%s%s", base, "one more line\n");
	snprintf(v2, sizeof(v2), "%s%s", "head\n", v1);
	snprintf(v3, sizeof(v3), "%.20s%s", v2, "tail\n");
	buf_init(&d1, 4096);
	buf_init(&d2, 4096);
	buf_init(&d3, 4096);
	pb_delta_new(&d1, strlen(base), strlen(v1));
	pb_delta_copy(&d1, 0, (uint32_t)strlen(base));
	pb_delta_insert(&d1, "one more line\n", 14);
	pb_delta_new(&d2, strlen(v1), strlen(v2));
	pb_delta_insert(&d2, "head\n", 5);
	pb_delta_copy(&d2, 0, (uint32_t)strlen(v1));
	pb_delta_new(&d3, strlen(v2), strlen(v3));
	pb_delta_copy(&d3, 0, 20);
	pb_delta_insert(&d3, "tail\n", 5);

	pb_init(&b, PACK_HASH_SHA1);
	pb_header(&b, 2, 4);
	pb_oid(PACK_HASH_SHA1, PACK_OBJ_BLOB, base, strlen(base), id);
	off1 = pb_ref_delta(&b, id, d1.data, d1.len);		/* v1, base later */
	pb_ofs_delta(&b, off1, d2.data, d2.len);		/* v2 on deferred v1 */
	pb_oid(PACK_HASH_SHA1, PACK_OBJ_BLOB, v2, strlen(v2), id);
	pb_ref_delta(&b, id, d3.data, d3.len);			/* v3 on deferred v2 */
	pb_whole(&b, PACK_OBJ_BLOB, base, strlen(base));
	pb_trailer(&b);

	for (cache = 0; cache <= 1; cache++) {
		cfg_init(&c, PACK_HASH_SHA1);
		c.prm.limits.base_cache_bytes = cache ? LIMIT_BASE_CACHE_BYTES : 0;
		check_splits(&c, &b.out, &o);
		assert_int_equal(o.status, DEC_STOP);
		buf_release(&o.out);
		assert_int_equal(run_rec(&c.prm, b.out.data, b.out.len, &r, NULL).status, DEC_STOP);
		assert_int_equal(r.n, 4);
		expect_obj(&r, 0, PACK_OBJ_BLOB, base, strlen(base), 0);
		expect_obj(&r, 1, PACK_OBJ_BLOB, v1, strlen(v1), 1);
		expect_obj(&r, 2, PACK_OBJ_BLOB, v2, strlen(v2), 2);
		expect_obj(&r, 3, PACK_OBJ_BLOB, v3, strlen(v3), 3);
		assert_int_equal(r.objs[1].index, 0);
		assert_int_equal(r.objs[3].index, 2);
		rec_free(&r);
	}
	pb_release(&b);
	buf_release(&d1);
	buf_release(&d2);
	buf_release(&d3);
}

/* A base larger than the cache streams and is re-inflated from the spool
 * (or the caller's file); copy size 0 means 0x10000. */
static void test_big_base_spool_and_copy_64k(void **state)
{
	const size_t n = 70000;
	uint8_t *big = xmalloc(n), *res = xmalloc(n + 3);
	char path[] = "/tmp/sluice-pack-XXXXXX";
	struct splitfeed_outcome o, o2;
	struct packbuild b;
	struct buf d;
	uint64_t off;
	struct rec r;
	struct cfg c;
	size_t k;
	int fd;

	UNUSED(state);
	for (k = 0; k < n; k++)
		big[k] = (uint8_t)((k * 2654435761u) >> 13);
	buf_init(&d, 1 << 20);
	pb_delta_new(&d, n, n + 3);
	pb_delta_copy(&d, 0, 0x10000);	/* encoded without size bytes */
	pb_delta_copy(&d, 0x10000, (uint32_t)(n - 0x10000));
	pb_delta_insert(&d, "end", 3);
	memcpy(res, big, n);
	memcpy(res + n, "end", 3);
	pb_init(&b, PACK_HASH_SHA1);
	pb_header(&b, 2, 3);
	off = pb_whole(&b, PACK_OBJ_BLOB, big, n);
	pb_ofs_delta(&b, off, d.data, d.len);
	pb_ofs_delta(&b, off, d.data, d.len);
	pb_trailer(&b);

	cfg_init(&c, PACK_HASH_SHA1);
	c.prm.limits.base_cache_bytes = 16384;	/* 70000 > cache/4 */
	check_splits(&c, &b.out, &o);
	assert_int_equal(o.status, DEC_STOP);
	{
		struct pack_stats st;

		assert_int_equal(run_rec(&c.prm, b.out.data, b.out.len, &r, &st).status, DEC_STOP);
		assert_int_equal(st.base_cache_misses, 2);
	}
	expect_obj(&r, 0, PACK_OBJ_BLOB, big, n, 0);
	expect_obj(&r, 1, PACK_OBJ_BLOB, res, n + 3, 1);
	expect_obj(&r, 2, PACK_OBJ_BLOB, res, n + 3, 1);
	rec_free(&r);

	/* the caller's file instead of our spool: same output */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, b.out.data, b.out.len), (ssize_t)b.out.len);
	c.prm.pack_fd = fd;
	splitfeed_run(&pack_decoder, cfg_params, &c, b.out.data, b.out.len, 0, &o2);
	assert_int_equal(o2.status, DEC_STOP);
	assert_int_equal(o2.out.len, o.out.len);
	assert_memory_equal(o2.out.data, o.out.data, o.out.len);
	close(fd);
	buf_release(&o.out);
	buf_release(&o2.out);
	pb_release(&b);
	buf_release(&d);
	xfree(big);
	xfree(res);
}

static void test_sha256_crafted(void **state)
{
	static const char base[] = "sha256 content\n";
	uint8_t id[PACK_OID_MAX];
	struct splitfeed_outcome o;
	struct packbuild b;
	struct buf d;
	struct rec r;
	struct cfg c;

	UNUSED(state);
	buf_init(&d, 4096);
	pb_delta_new(&d, strlen(base), 6);
	pb_delta_copy(&d, 0, 6);
	pb_init(&b, PACK_HASH_SHA256);
	pb_header(&b, 2, 2);
	pb_whole(&b, PACK_OBJ_BLOB, base, strlen(base));
	pb_oid(PACK_HASH_SHA256, PACK_OBJ_BLOB, base, strlen(base), id);
	pb_ref_delta(&b, id, d.data, d.len);
	pb_trailer(&b);
	cfg_init(&c, PACK_HASH_SHA256);
	check_splits(&c, &b.out, &o);
	assert_int_equal(o.status, DEC_STOP);
	buf_release(&o.out);
	assert_int_equal(run_rec(&c.prm, b.out.data, b.out.len, &r, NULL).status, DEC_STOP);
	expect_obj(&r, 0, PACK_OBJ_BLOB, base, strlen(base), 0);
	expect_obj(&r, 1, PACK_OBJ_BLOB, "sha256", 6, 1);
	assert_int_equal(strlen(r.objs[0].hex), 64);
	rec_free(&r);
	pb_release(&b);
	buf_release(&d);
}

/* --- malicious packs ------------------------------------------------------------ */

static void one_blob_pack(struct packbuild *b, unsigned version, const char *magic)
{
	pb_init(b, PACK_HASH_SHA1);
	pb_header(b, version, 1);
	memcpy(b->out.data, magic, 4);
	pb_whole(b, PACK_OBJ_BLOB, "abc", 3);
	pb_trailer(b);
}

static void test_bad_magic_and_version(void **state)
{
	struct packbuild b;

	UNUSED(state);
	one_blob_pack(&b, 2, "PACX");
	expect_fail(NULL, &b.out, ERR_SYNTAX, PACK_LIMIT_NONE);
	pb_release(&b);
	one_blob_pack(&b, 4, "PACK");
	expect_fail(NULL, &b.out, ERR_UNSUPPORTED, PACK_LIMIT_NONE);
	pb_release(&b);
	one_blob_pack(&b, 1, "PACK");
	expect_fail(NULL, &b.out, ERR_UNSUPPORTED, PACK_LIMIT_NONE);
	pb_release(&b);
}

static void test_bad_types(void **state)
{
	unsigned t;

	UNUSED(state);
	for (t = 0; t <= 5; t += 5) {
		struct packbuild b;

		pb_init(&b, PACK_HASH_SHA1);
		pb_header(&b, 2, 1);
		pb_obj_header(&b, t, 3);
		pb_zlib(&b, "abc", 3);
		pb_trailer(&b);
		expect_fail(NULL, &b.out, ERR_SYNTAX, PACK_LIMIT_NONE);
		pb_release(&b);
	}
}

static void test_size_varint_overflow(void **state)
{
	static const uint8_t hdr[] = { 0x9f, 0xff, 0xff, 0xff, 0xff, 0xff,
				       0xff, 0xff, 0xff, 0xff, 0x01 };
	static const uint8_t endless[] = { 0xb0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
					   0x80, 0x80, 0x80, 0x80, 0x80, 0x00 };
	struct packbuild b;

	UNUSED(state);
	pb_init(&b, PACK_HASH_SHA1);
	pb_header(&b, 2, 1);
	pb_raw(&b, hdr, sizeof(hdr));
	pb_zlib(&b, "abc", 3);
	pb_trailer(&b);
	expect_fail(NULL, &b.out, ERR_OVERFLOW, PACK_LIMIT_NONE);
	pb_release(&b);
	/* zero groups forever also overflow the shift */
	pb_init(&b, PACK_HASH_SHA1);
	pb_header(&b, 2, 1);
	pb_raw(&b, endless, sizeof(endless));
	pb_trailer(&b);
	expect_fail(NULL, &b.out, ERR_OVERFLOW, PACK_LIMIT_NONE);
	pb_release(&b);
}

static void ofs_pack(struct packbuild *b, const uint8_t *ofs, size_t ofs_len)
{
	struct buf d;

	buf_init(&d, 256);
	pb_delta_new(&d, 3, 3);
	pb_delta_copy(&d, 0, 3);
	pb_init(b, PACK_HASH_SHA1);
	pb_header(b, 2, 2);
	pb_whole(b, PACK_OBJ_BLOB, "abc", 3);
	pb_obj_header(b, PACK_OBJ_OFS_DELTA, d.len);
	pb_raw(b, ofs, ofs_len);
	pb_zlib(b, d.data, d.len);
	pb_trailer(b);
	buf_release(&d);
}

static void test_ofs_offsets(void **state)
{
	static const uint8_t zero[] = { 0x00 };
	static const uint8_t beyond[] = { 0x7f };	/* 127 > offset of the delta */
	static const uint8_t middle[] = { 0x05 };	/* inside the first object */
	static const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					0xff, 0xff, 0xff, 0xff, 0x7f };
	struct packbuild b;
	uint8_t exact[1];

	UNUSED(state);
	ofs_pack(&b, zero, 1);
	expect_fail(NULL, &b.out, ERR_SYNTAX, PACK_LIMIT_NONE);
	pb_release(&b);
	ofs_pack(&b, beyond, 1);
	expect_fail(NULL, &b.out, ERR_SYNTAX, PACK_LIMIT_NONE);
	pb_release(&b);
	ofs_pack(&b, middle, 1);
	expect_fail(NULL, &b.out, ERR_SYNTAX, PACK_LIMIT_NONE);
	pb_release(&b);
	ofs_pack(&b, huge, sizeof(huge));
	expect_fail(NULL, &b.out, ERR_OVERFLOW, PACK_LIMIT_NONE);
	pb_release(&b);
	/* control: the right offset (delta at 12 + 1 + 11 = 24, base at 12) works */
	exact[0] = 12;
	ofs_pack(&b, exact, 1);
	{
		struct splitfeed_outcome o;
		struct cfg c;

		cfg_init(&c, PACK_HASH_SHA1);
		check_splits(&c, &b.out, &o);
		assert_int_equal(o.status, DEC_STOP);
		buf_release(&o.out);
	}
	pb_release(&b);
}

/* base "hello world" (11 bytes) and one OFS delta with the given ops */
static void delta_pack(struct packbuild *b, const struct buf *d)
{
	uint64_t off;

	pb_init(b, PACK_HASH_SHA1);
	pb_header(b, 2, 2);
	off = pb_whole(b, PACK_OBJ_BLOB, "hello world", 11);
	pb_ofs_delta(b, off, d->data, d->len);
	pb_trailer(b);
}

static void test_bad_deltas(void **state)
{
	struct packbuild b;
	struct buf d;

	UNUSED(state);
	buf_init(&d, 256);
	/* copy beyond the base */
	pb_delta_new(&d, 11, 20);
	pb_delta_copy(&d, 5, 20);
	delta_pack(&b, &d);
	expect_fail(NULL, &b.out, ERR_DELTA, PACK_LIMIT_NONE);
	pb_release(&b);
	/* result shorter than declared */
	buf_reset(&d);
	pb_delta_new(&d, 11, 12);
	pb_delta_copy(&d, 0, 11);
	delta_pack(&b, &d);
	expect_fail(NULL, &b.out, ERR_DELTA, PACK_LIMIT_NONE);
	pb_release(&b);
	/* insert past the declared result */
	buf_reset(&d);
	pb_delta_new(&d, 11, 2);
	pb_delta_insert(&d, "abc", 3);
	delta_pack(&b, &d);
	expect_fail(NULL, &b.out, ERR_DELTA, PACK_LIMIT_NONE);
	pb_release(&b);
	/* wrong base size */
	buf_reset(&d);
	pb_delta_new(&d, 10, 3);
	pb_delta_copy(&d, 0, 3);
	delta_pack(&b, &d);
	expect_fail(NULL, &b.out, ERR_DELTA, PACK_LIMIT_NONE);
	pb_release(&b);
	/* reserved opcode 0 */
	buf_reset(&d);
	pb_delta_new(&d, 11, 3);
	{
		uint8_t z = 0;

		assert_int_equal(buf_append(&d, &z, 1), 0);
		pb_delta_copy(&d, 0, 3);
	}
	delta_pack(&b, &d);
	expect_fail(NULL, &b.out, ERR_DELTA, PACK_LIMIT_NONE);
	pb_release(&b);
	/* copy op whose argument bytes are missing */
	buf_reset(&d);
	pb_delta_new(&d, 11, 3);
	{
		uint8_t op = 0x91;	/* offset byte and size byte announced */

		assert_int_equal(buf_append(&d, &op, 1), 0);
	}
	delta_pack(&b, &d);
	expect_fail(NULL, &b.out, ERR_DELTA, PACK_LIMIT_NONE);
	pb_release(&b);
	buf_release(&d);
}

static void test_inflated_size_mismatch(void **state)
{
	struct packbuild b;
	int k;

	UNUSED(state);
	for (k = 0; k < 2; k++) {
		pb_init(&b, PACK_HASH_SHA1);
		pb_header(&b, 2, 2);
		pb_obj_header(&b, PACK_OBJ_BLOB, k ? 12 : 10);	/* stream has 11 */
		pb_zlib(&b, "hello world", 11);
		pb_whole(&b, PACK_OBJ_BLOB, "x", 1);
		pb_trailer(&b);
		expect_fail(NULL, &b.out, ERR_SYNTAX, PACK_LIMIT_NONE);
		pb_release(&b);
	}
}

static void test_corrupt_zlib(void **state)
{
	char text[4000];
	struct packbuild b;
	size_t k, at;

	UNUSED(state);
	for (k = 0; k < sizeof(text); k++)
		text[k] = (char)('a' + (k * 7 + k / 13) % 26);
	/* damaged adler-32 */
	pb_init(&b, PACK_HASH_SHA1);
	pb_header(&b, 2, 1);
	pb_whole(&b, PACK_OBJ_BLOB, text, sizeof(text));
	b.out.data[b.out.len - 1] ^= 0x55;
	pb_trailer(&b);
	expect_fail(NULL, &b.out, ERR_INFLATE, PACK_LIMIT_NONE);
	pb_release(&b);
	/* damaged deflate data in the middle of a large stream: wherever
	 * zlib notices, the error position must not depend on the split */
	for (k = 0; k < 6; k++) {
		uint8_t big[60000];
		size_t j, start;
		struct splitfeed_outcome o;
		struct cfg c;

		for (j = 0; j < sizeof(big); j++)
			big[j] = (uint8_t)("abcdefgh"[(j * 7 + j / 101) % 8] ^ (j % 251 == 0));
		pb_init(&b, PACK_HASH_SHA1);
		pb_header(&b, 2, 1);
		pb_obj_header(&b, PACK_OBJ_BLOB, sizeof(big));
		start = b.out.len;
		pb_zlib(&b, big, sizeof(big));
		b.out.data[start + 10 + (b.out.len - start - 20) * k / 6] ^= (uint8_t)(0x10 << (k % 4));
		pb_trailer(&b);
		cfg_init(&c, PACK_HASH_SHA1);
		check_splits(&c, &b.out, &o);
		assert_int_equal(o.status, DEC_ERR);
		assert_true(o.err == ERR_INFLATE || o.err == ERR_SYNTAX);
		buf_release(&o.out);
		pb_release(&b);
	}
	/* damaged zlib header */
	pb_init(&b, PACK_HASH_SHA1);
	pb_header(&b, 2, 1);
	pb_obj_header(&b, PACK_OBJ_BLOB, sizeof(text));
	at = b.out.len;
	pb_zlib(&b, text, sizeof(text));
	b.out.data[at] = 0x77;
	pb_trailer(&b);
	expect_fail(NULL, &b.out, ERR_INFLATE, PACK_LIMIT_NONE);
	pb_release(&b);
}

static void test_truncated_and_bad_trailer(void **state)
{
	struct packbuild b;
	struct buf cut;

	UNUSED(state);
	one_blob_pack(&b, 2, "PACK");
	buf_init(&cut, 1 << 20);
	/* cut inside the zlib stream, inside the header and before the trailer */
	assert_int_equal(buf_append(&cut, b.out.data, 16), 0);
	expect_fail(NULL, &cut, ERR_TRUNCATED, PACK_LIMIT_NONE);
	buf_reset(&cut);
	assert_int_equal(buf_append(&cut, b.out.data, 7), 0);
	expect_fail(NULL, &cut, ERR_TRUNCATED, PACK_LIMIT_NONE);
	buf_reset(&cut);
	assert_int_equal(buf_append(&cut, b.out.data, b.out.len - 1), 0);
	expect_fail(NULL, &cut, ERR_TRUNCATED, PACK_LIMIT_NONE);
	buf_release(&cut);
	b.out.data[b.out.len - 5] ^= 1;
	expect_fail(NULL, &b.out, ERR_CHECKSUM, PACK_LIMIT_NONE);
	pb_release(&b);
}

static void test_limits(void **state)
{
	struct pack_limits lim;
	struct packbuild b;
	struct buf d;
	uint64_t off;
	int k;

	UNUSED(state);
	/* object count */
	pack_limits_default(&lim);
	lim.max_objects = 2;
	pb_init(&b, PACK_HASH_SHA1);
	pb_header(&b, 2, 3);
	for (k = 0; k < 3; k++)
		pb_whole(&b, PACK_OBJ_BLOB, "abc", 3);
	pb_trailer(&b);
	expect_fail(&lim, &b.out, ERR_LIMIT, PACK_LIMIT_OBJECTS);
	/* the same pack within the limit */
	lim.max_objects = 3;
	{
		struct splitfeed_outcome o;
		struct cfg c;

		cfg_init(&c, PACK_HASH_SHA1);
		c.prm.limits = lim;
		check_splits(&c, &b.out, &o);
		assert_int_equal(o.status, DEC_STOP);
		buf_release(&o.out);
	}
	/* total inflated bytes: 3 + 3 + 3 > 8 */
	lim.inflate_total = 8;
	expect_fail(&lim, &b.out, ERR_LIMIT, PACK_LIMIT_INFLATE_TOTAL);
	/* spool */
	pack_limits_default(&lim);
	lim.spool_bytes = 30;
	expect_fail(&lim, &b.out, ERR_LIMIT, PACK_LIMIT_SPOOL_BYTES);
	/* object size */
	pack_limits_default(&lim);
	lim.max_object_bytes = 2;
	expect_fail(&lim, &b.out, ERR_LIMIT, PACK_LIMIT_OBJECT_BYTES);
	pb_release(&b);

	/* delta result larger than the object limit */
	buf_init(&d, 1 << 20);
	pb_delta_new(&d, 3, 9);
	pb_delta_copy(&d, 0, 3);
	pb_delta_copy(&d, 0, 3);
	pb_delta_copy(&d, 0, 3);
	pb_init(&b, PACK_HASH_SHA1);
	pb_header(&b, 2, 2);
	off = pb_whole(&b, PACK_OBJ_BLOB, "abc", 3);
	pb_ofs_delta(&b, off, d.data, d.len);
	pb_trailer(&b);
	pack_limits_default(&lim);
	lim.max_object_bytes = 8;
	expect_fail(&lim, &b.out, ERR_LIMIT, PACK_LIMIT_OBJECT_BYTES);
	pb_release(&b);
	buf_release(&d);
}

/* A chain of `n` deltas, each appending one byte; OFS or all deferred REF. */
static void chain_pack(struct packbuild *b, int n, bool ref)
{
	char content[64] = "base";
	uint8_t id[PACK_OID_MAX];
	uint64_t prev;
	struct buf d;
	int k;

	buf_init(&d, 1 << 16);
	pb_init(b, PACK_HASH_SHA1);
	pb_header(b, 2, (uint32_t)n + 1);
	if (ref) {
		/* deltas first, newest first, so every base arrives later */
		for (k = n; k >= 1; k--) {
			size_t bl = 4 + (size_t)k - 1;

			memset(content + 4, 'x', (size_t)k);
			content[4 + k] = '\0';
			buf_reset(&d);
			pb_delta_new(&d, bl, bl + 1);
			pb_delta_copy(&d, 0, (uint32_t)bl);
			pb_delta_insert(&d, "x", 1);
			content[bl] = '\0';
			pb_oid(PACK_HASH_SHA1, PACK_OBJ_BLOB, content, bl, id);
			pb_ref_delta(b, id, d.data, d.len);
		}
		pb_whole(b, PACK_OBJ_BLOB, "base", 4);
	} else {
		prev = pb_whole(b, PACK_OBJ_BLOB, "base", 4);
		for (k = 1; k <= n; k++) {
			buf_reset(&d);
			pb_delta_new(&d, 3 + (size_t)k, 4 + (size_t)k);
			pb_delta_copy(&d, 0, 3 + (uint32_t)k);
			pb_delta_insert(&d, "x", 1);
			prev = pb_ofs_delta(b, prev, d.data, d.len);
		}
	}
	pb_trailer(b);
	buf_release(&d);
}

static void test_chain_depth(void **state)
{
	struct pack_limits lim;
	struct pack_stats st;
	struct packbuild b;
	struct rec r;
	struct cfg c;
	int ref;

	UNUSED(state);
	for (ref = 0; ref <= 1; ref++) {
		chain_pack(&b, 5, ref);
		pack_limits_default(&lim);
		lim.max_delta_depth = 4;
		expect_fail(&lim, &b.out, ERR_LIMIT, PACK_LIMIT_DELTA_DEPTH);
		/* depth 5 is fine with the limit at 5, with or without a cache */
		cfg_init(&c, PACK_HASH_SHA1);
		c.prm.limits.max_delta_depth = 5;
		c.prm.limits.base_cache_bytes = 0;
		assert_int_equal(run_rec(&c.prm, b.out.data, b.out.len, &r, &st).status, DEC_STOP);
		assert_int_equal(r.n, 6);
		assert_int_equal(st.max_depth_seen, 5);
		assert_int_equal(st.deltas, 5);
		expect_obj(&r, 5, PACK_OBJ_BLOB, "basexxxxx", 9, 5);
		rec_free(&r);
		{
			struct splitfeed_outcome o;

			check_splits(&c, &b.out, &o);
			assert_int_equal(o.status, DEC_STOP);
			buf_release(&o.out);
		}
		pb_release(&b);
	}
}

static void test_ref_missing_and_cycle(void **state)
{
	uint8_t id[PACK_OID_MAX];
	struct packbuild b;
	struct buf d;

	UNUSED(state);
	buf_init(&d, 256);
	pb_delta_new(&d, 3, 3);
	pb_delta_insert(&d, "aaa", 3);
	pb_init(&b, PACK_HASH_SHA1);
	pb_header(&b, 2, 2);
	pb_whole(&b, PACK_OBJ_BLOB, "zzz", 3);
	pb_oid(PACK_HASH_SHA1, PACK_OBJ_BLOB, "bbb", 3, id);
	pb_ref_delta(&b, id, d.data, d.len);
	pb_trailer(&b);
	expect_fail(NULL, &b.out, ERR_BASE_MISSING, PACK_LIMIT_NONE);
	pb_release(&b);

	/* two deltas, each the other's base: neither can ever resolve */
	pb_init(&b, PACK_HASH_SHA1);
	pb_header(&b, 2, 2);
	pb_ref_delta(&b, id, d.data, d.len);		/* "aaa" from "bbb" */
	buf_reset(&d);
	pb_delta_new(&d, 3, 3);
	pb_delta_insert(&d, "bbb", 3);
	pb_oid(PACK_HASH_SHA1, PACK_OBJ_BLOB, "aaa", 3, id);
	pb_ref_delta(&b, id, d.data, d.len);		/* "bbb" from "aaa" */
	pb_trailer(&b);
	expect_fail(NULL, &b.out, ERR_BASE_MISSING, PACK_LIMIT_NONE);
	pb_release(&b);
	buf_release(&d);
}

static int refuse_second(void *ctx, const struct pack_object_info *i)
{
	UNUSED(ctx);
	return i->index == 1 ? -42 : 0;
}

static void test_sink_error_and_state(void **state)
{
	struct packbuild b;
	struct pack_parser *p;
	struct pack_params prm;
	struct dec_result r;

	UNUSED(state);
	pb_init(&b, PACK_HASH_SHA1);
	pb_header(&b, 2, 2);
	pb_whole(&b, PACK_OBJ_BLOB, "abc", 3);
	pb_whole(&b, PACK_OBJ_BLOB, "def", 3);
	pb_trailer(&b);
	memset(&prm, 0, sizeof(prm));
	pack_limits_default(&prm.limits);
	prm.pack_fd = -1;
	/* NULL callbacks are allowed */
	assert_int_equal(pack_parser_new(&prm, &p), 0);
	r = pack_parser_feed(p, b.out.data, b.out.len);
	assert_int_equal(r.status, DEC_STOP);
	r = pack_parser_feed(p, b.out.data, 1);
	assert_int_equal(r.status, DEC_ERR);	/* nothing after STOP */
	assert_int_equal(r.err, ERR_STATE);
	pack_parser_free(p);
	/* a sink's negative return stops the parser with that code */
	prm.sink.object_end = refuse_second;
	assert_int_equal(pack_parser_new(&prm, &p), 0);
	r = pack_parser_feed(p, b.out.data, b.out.len);
	assert_int_equal(r.status, DEC_ERR);
	assert_int_equal(r.err, -42);
	r = pack_parser_finish(p);
	assert_int_equal(r.err, -42);
	pack_parser_free(p);
	pb_release(&b);
}

static void test_delta_apply_direct(void **state)
{
	uint8_t out[16];
	struct buf d;

	UNUSED(state);
	buf_init(&d, 256);
	pb_delta_new(&d, 5, 8);
	pb_delta_copy(&d, 1, 4);
	pb_delta_insert(&d, "WXYZ", 4);
	assert_int_equal(pack_delta_apply((const uint8_t *)"abcde", 5, d.data, d.len, out, 8), 0);
	assert_memory_equal(out, "bcdeWXYZ", 8);
	assert_int_equal(pack_delta_apply((const uint8_t *)"abcde", 5, d.data, d.len, out, 7),
			 ERR_DELTA);
	assert_int_equal(pack_delta_apply((const uint8_t *)"abcd", 4, d.data, d.len, out, 8),
			 ERR_DELTA);
	/* truncated insert */
	assert_int_equal(pack_delta_apply((const uint8_t *)"abcde", 5, d.data, d.len - 1, out, 8),
			 ERR_DELTA);
	buf_release(&d);
}

/* --- work and memory bounds ------------------------------------------------------ */

#define MIB ((uint64_t)1 << 20)

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* What the amplification budget allows after `raw` pack bytes. */
static uint64_t amp_allowed(const struct pack_limits *l, uint64_t raw)
{
	return l->amplification_slack + (uint64_t)l->amplification_ratio * raw;
}

/* One whole run with a recording sink; the parser reserves from a fresh
 * budget of `cap` bytes, which must be whole again after the run. */
static struct dec_result run_budget(const struct pack_limits *lim, const struct buf *pack,
				    size_t cap, struct pack_stats *st, size_t *peak,
				    double *secs, struct rec *r)
{
	struct membudget mb;
	struct dec_result res;
	struct cfg c;
	double t0;

	membudget_init(&mb, cap);
	cfg_init(&c, PACK_HASH_SHA1);
	c.prm.limits = *lim;
	c.prm.limits.memory = &mb;
	t0 = now_s();
	res = run_rec(&c.prm, pack->data, pack->len, r, st);
	if (secs)
		*secs = now_s() - t0;
	assert_int_equal(membudget_used(&mb), 0);	/* everything given back */
	if (peak)
		*peak = membudget_peak(&mb);
	return res;
}

static void test_delta_bomb(void **state)
{
	static const unsigned counts[] = { 1, 16 };
	struct pack_limits lim;
	struct membudget mb;
	struct packbuild b;
	struct pack_stats st;
	struct dec_result r;
	struct rec rc;
	size_t peak, i;
	double secs;

	UNUSED(state);
	for (i = 0; i < ARRAY_SIZE(counts); i++) {
		pb_delta_bomb(&b, counts[i], 500 * MIB);
		/* the whole bomb is smaller than this comment */
		assert_true(b.out.len < 200 + 40 * counts[i]);
		pack_limits_default(&lim);
		r = run_budget(&lim, &b.out, (size_t)1 << 30, &st, &peak, &secs, &rc);
		assert_int_equal(r.status, DEC_ERR);
		assert_int_equal(r.err, ERR_LIMIT);
		assert_int_equal(st.limit_hit, PACK_LIMIT_AMPLIFICATION);
		assert_true(st.limit_wanted >= 500 * MIB);
		/* refused before the result was allocated or built */
		assert_true(peak < 2 * MIB);
		assert_true(st.memory_peak < 2 * MIB);
		assert_true(st.bytes_inflated <= 65536 + 8200);
		assert_true(st.bytes_inflated <= amp_allowed(&lim, st.bytes_in));
		assert_true(secs < 0.5);
		/* only the base was reported */
		assert_int_equal(rc.n, 1);
		rec_free(&rc);
		/* the same at every split point and byte by byte */
		membudget_init(&mb, (size_t)1 << 30);
		lim.memory = &mb;
		expect_fail(&lim, &b.out, ERR_LIMIT, PACK_LIMIT_AMPLIFICATION);
		assert_true(membudget_peak(&mb) < 2 * MIB);
		assert_int_equal(membudget_used(&mb), 0);
		/* without the amplification budget, the absolute limits are
		 * also checked before allocating */
		pack_limits_default(&lim);
		lim.amplification_slack = (uint64_t)1 << 60;
		lim.inflate_total = 256 * MIB;
		r = run_budget(&lim, &b.out, (size_t)1 << 30, &st, &peak, &secs, &rc);
		assert_int_equal(r.err, ERR_LIMIT);
		assert_int_equal(st.limit_hit, PACK_LIMIT_INFLATE_TOTAL);
		assert_true(peak < 2 * MIB && secs < 0.5);
		rec_free(&rc);
		lim.inflate_total = LIMIT_INFLATE_TOTAL_DEFAULT;
		lim.max_object_bytes = 256 * MIB;
		r = run_budget(&lim, &b.out, (size_t)1 << 30, &st, &peak, &secs, &rc);
		assert_int_equal(r.err, ERR_LIMIT);
		assert_int_equal(st.limit_hit, PACK_LIMIT_OBJECT_BYTES);
		assert_true(peak < 2 * MIB && secs < 0.5);
		rec_free(&rc);
		pb_release(&b);
	}
}

#define REV_BYTES ((uint32_t)128 * 1024)

/* base (128 KiB of zeros) <- d1 <- d2 <- ... <- dn, each delta copying
 * its base but the last byte and adding one: 128 KiB each, about 30
 * bytes of pack each. */
static void reexpand_pack(struct packbuild *b, unsigned n)
{
	uint64_t prev;
	struct buf d;
	unsigned k;

	pb_init(b, PACK_HASH_SHA1);
	pb_header(b, 2, 1 + n);
	prev = pb_whole_fill(b, PACK_OBJ_BLOB, 0, REV_BYTES);
	buf_init(&d, 1 << 16);
	for (k = 0; k < n; k++) {
		uint8_t c = (uint8_t)('a' + k % 26);

		buf_reset(&d);
		pb_delta_new(&d, REV_BYTES, REV_BYTES);
		pb_delta_copy(&d, 0, REV_BYTES - 1);
		pb_delta_insert(&d, &c, 1);
		prev = pb_ofs_delta(b, prev, d.data, d.len);
	}
	pb_trailer(b);
	buf_release(&d);
}

static void test_chain_reexpansion(void **state)
{
	struct pack_limits lim;
	struct packbuild b;
	struct pack_stats st;
	struct dec_result r;
	struct rec rc;
	size_t peak;
	double secs;

	UNUSED(state);
	/* The budget is scaled down (2 MiB of slack) so that every split
	 * point stays cheap; the arithmetic is the default one.  With a
	 * cache, 8 revisions of a 128 KiB file are 1.1 MiB of work: fine. */
	reexpand_pack(&b, 8);
	pack_limits_default(&lim);
	lim.amplification_slack = 2 * MIB;
	assert_true(9 * REV_BYTES + 400 < amp_allowed(&lim, b.out.len) / 2);
	r = run_budget(&lim, &b.out, (size_t)1 << 30, &st, &peak, &secs, &rc);
	assert_int_equal(r.status, DEC_STOP);
	assert_int_equal(rc.n, 9);
	assert_int_equal(rc.objs[8].depth, 8);
	assert_int_equal(rc.objs[8].content.len, REV_BYTES);
	assert_int_equal(rc.objs[8].content.data[REV_BYTES - 1], 'h');
	assert_int_equal(st.base_cache_misses, 0);
	rec_free(&rc);
	/* without one, every delta rebuilds its whole chain from the spool
	 * (1 + 2 + ... + n revisions, 5.6 MiB): the re-expansion is charged
	 * and stopped */
	lim.base_cache_bytes = 0;
	r = run_budget(&lim, &b.out, (size_t)1 << 30, &st, &peak, &secs, &rc);
	assert_int_equal(r.status, DEC_ERR);
	assert_int_equal(r.err, ERR_LIMIT);
	assert_int_equal(st.limit_hit, PACK_LIMIT_AMPLIFICATION);
	assert_true(st.base_cache_misses > 0);
	assert_true(st.bytes_inflated <= amp_allowed(&lim, st.bytes_in));
	assert_true(rc.n >= 2 && rc.n < 9);
	assert_true(peak < 2 * MIB);
	assert_true(secs < 1.0);
	rec_free(&rc);
	expect_fail(&lim, &b.out, ERR_LIMIT, PACK_LIMIT_AMPLIFICATION);
	pb_release(&b);
}

/* A normal, very compressible push still passes: 8 MiB of zeros (about
 * 8 KiB deflated) and a delta making an 8 MiB variant of it. */
static void test_compressible_blob_passes(void **state)
{
	static const size_t pieces[] = { 0, 1, 7, 4096 };
	struct splitfeed_outcome o, w;
	struct pack_limits lim;
	struct packbuild b;
	struct pack_stats st;
	struct dec_result r;
	struct membudget mb;
	struct rec rc;
	uint64_t base;
	struct buf d;
	uint8_t *zeros;
	size_t peak, i;
	struct cfg c;

	UNUSED(state);
	pb_init(&b, PACK_HASH_SHA1);
	pb_header(&b, 2, 2);
	base = pb_whole_fill(&b, PACK_OBJ_BLOB, 0, 8 * MIB);
	buf_init(&d, 1 << 16);
	pb_delta_new(&d, 8 * MIB, 8 * MIB);
	pb_delta_insert(&d, "#!", 2);
	pb_delta_copy(&d, 2, (uint32_t)(8 * MIB) - 2);
	pb_ofs_delta(&b, base, d.data, d.len);
	pb_trailer(&b);
	assert_true(b.out.len < 16 * 1024);
	pack_limits_default(&lim);
	r = run_budget(&lim, &b.out, (size_t)64 << 20, &st, &peak, NULL, &rc);
	assert_int_equal(r.status, DEC_STOP);
	zeros = xcalloc(1, 8 * MIB);
	assert_non_null(zeros);
	expect_obj(&rc, 0, PACK_OBJ_BLOB, zeros, 8 * MIB, 0);
	memcpy(zeros, "#!", 2);
	expect_obj(&rc, 1, PACK_OBJ_BLOB, zeros, 8 * MIB, 1);
	assert_true(st.bytes_inflated >= 16 * MIB);
	assert_true(peak < 32 * MIB);
	rec_free(&rc);
	/* the same however it is cut (every split point would be 8000 runs
	 * of 16 MiB each; whole, a few piece sizes and split points do) */
	membudget_init(&mb, (size_t)64 << 20);
	cfg_init(&c, PACK_HASH_SHA1);
	c.prm.limits.memory = &mb;
	splitfeed_run(&pack_decoder, cfg_params, &c, b.out.data, b.out.len, 0, &w);
	assert_int_equal(w.status, DEC_STOP);
	for (i = 1; i < ARRAY_SIZE(pieces); i++) {
		splitfeed_run(&pack_decoder, cfg_params, &c, b.out.data, b.out.len, pieces[i], &o);
		assert_int_equal(o.status, DEC_STOP);
		assert_int_equal(o.out.len, w.out.len);
		assert_memory_equal(o.out.data, w.out.data, w.out.len);
		buf_release(&o.out);
	}
	for (i = 1; i < b.out.len; i += b.out.len / 7) {
		splitfeed_run_split(&pack_decoder, cfg_params, &c, b.out.data, b.out.len, i, &o);
		assert_int_equal(o.status, DEC_STOP);
		assert_int_equal(o.out.len, w.out.len);
		assert_memory_equal(o.out.data, w.out.data, w.out.len);
		buf_release(&o.out);
	}
	assert_int_equal(membudget_used(&mb), 0);
	buf_release(&w.out);
	xfree(zeros);
	buf_release(&d);
	pb_release(&b);
}

static void test_memory_budget(void **state)
{
	struct pack_limits lim;
	struct membudget mb;
	struct packbuild b;
	struct pack_stats st;
	struct dec_result r;
	struct rec rc;
	size_t fixed, peak;
	uint64_t a, bb;
	struct buf d;
	unsigned k;

	UNUSED(state);
	pack_limits_default(&lim);
	/* what every pack holds: measured on an empty one */
	pb_init(&b, PACK_HASH_SHA1);
	pb_header(&b, 2, 0);
	pb_trailer(&b);
	r = run_budget(&lim, &b.out, (size_t)1 << 30, &st, &peak, NULL, &rc);
	assert_int_equal(r.status, DEC_STOP);
	fixed = peak;
	assert_true(fixed > 256 * 1024 && fixed < MIB);
	rec_free(&rc);
	/* a budget below that: refused at the first feed, nothing consumed */
	r = run_budget(&lim, &b.out, fixed - 1, &st, &peak, NULL, &rc);
	assert_int_equal(r.status, DEC_ERR);
	assert_int_equal(r.err, ERR_LIMIT);
	assert_int_equal(r.consumed, 0);
	assert_int_equal(st.limit_hit, PACK_LIMIT_MEMORY);
	assert_int_equal(st.limit_wanted, fixed);
	rec_free(&rc);
	pb_release(&b);

	/* A and B (256 KiB each) join the cache; a delta on B needs 256 KiB
	 * more: the budget has it only once A is evicted (B, being read,
	 * is never evicted). */
	buf_init(&d, 1 << 16);
	pb_delta_new(&d, REV_BYTES * 2, REV_BYTES * 2);
	pb_delta_copy(&d, 0, REV_BYTES * 2 - 1);
	pb_delta_insert(&d, "!", 1);
	pb_init(&b, PACK_HASH_SHA1);
	pb_header(&b, 2, 3);
	a = pb_whole_fill(&b, PACK_OBJ_BLOB, 'a', REV_BYTES * 2);
	bb = pb_whole_fill(&b, PACK_OBJ_BLOB, 'b', REV_BYTES * 2);
	pb_ofs_delta(&b, bb, d.data, d.len);
	pb_trailer(&b);
	UNUSED(a);
	r = run_budget(&lim, &b.out, fixed + 5 * REV_BYTES, &st, &peak, NULL, &rc);
	assert_int_equal(r.status, DEC_STOP);
	assert_int_equal(rc.n, 3);
	assert_int_equal(rc.objs[2].content.data[0], 'b');
	assert_int_equal(rc.objs[2].content.data[REV_BYTES * 2 - 1], '!');
	assert_true(peak <= fixed + 5 * REV_BYTES);
	assert_int_equal(st.base_cache_misses, 0);	/* B stayed cached */
	rec_free(&rc);
	/* with less, B and the result cannot both be held: refused, at the
	 * same byte however the pack is cut */
	membudget_init(&mb, fixed + 3 * REV_BYTES);
	lim.memory = &mb;
	expect_fail(&lim, &b.out, ERR_LIMIT, PACK_LIMIT_MEMORY);
	assert_int_equal(membudget_used(&mb), 0);
	assert_true(membudget_peak(&mb) <= fixed + 3 * REV_BYTES);
	pb_release(&b);
	buf_release(&d);

	/* Eight 1 MiB blobs: all cached while the shared budget is roomy;
	 * once others hold more than half of it, the cache stops at its
	 * floor so that it cannot starve them. */
	pb_init(&b, PACK_HASH_SHA1);
	pb_header(&b, 2, 8);
	for (k = 0; k < 8; k++)
		pb_whole_fill(&b, PACK_OBJ_BLOB, (uint8_t)('a' + k), MIB);
	pb_trailer(&b);
	r = run_budget(&lim, &b.out, (size_t)1 << 30, &st, &peak, NULL, &rc);
	assert_int_equal(r.status, DEC_STOP);
	assert_true(st.memory_peak >= fixed + 8 * MIB);
	rec_free(&rc);
	membudget_init(&mb, 16 * MIB);
	assert_true(membudget_take(&mb, 9 * MIB));
	lim.memory = &mb;
	r = run_rec(&(struct pack_params){ .limits = lim, .pack_fd = -1 }, b.out.data, b.out.len,
		    &rc, &st);
	assert_int_equal(r.status, DEC_STOP);
	assert_int_equal(rc.n, 8);
	assert_true(st.memory_peak <= fixed + LIMIT_BASE_CACHE_SHARED_FLOOR + MIB + 4096);
	assert_int_equal(membudget_used(&mb), 9 * MIB);
	rec_free(&rc);
	pb_release(&b);
}

struct canceller {
	atomic_bool *flag;	/* set after delay_ms */
	unsigned delay_ms;	/* from thread start */
	double set_at;		/* when it was set (now_s) */
};

static void *cancel_later(void *arg)
{
	struct canceller *c = arg;
	struct timespec ts = { (time_t)(c->delay_ms / 1000), (long)(c->delay_ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
	c->set_at = now_s();
	atomic_store(c->flag, true);
	return NULL;
}

/* Feeds the pack whole while another thread sets the cancel flag after
 * delay_ms; the parser must stop with ERR_CANCELED soon after. */
static void expect_canceled(const struct pack_limits *lim, const struct buf *pack,
			    unsigned delay_ms)
{
	struct canceller cn;
	atomic_bool flag;
	struct rec rc;
	struct dec_result r;
	pthread_t t;
	struct cfg c;
	double done;

	atomic_init(&flag, false);
	cn.flag = &flag;
	cn.delay_ms = delay_ms;
	cn.set_at = 0;
	cfg_init(&c, PACK_HASH_SHA1);
	c.prm.limits = *lim;
	c.prm.cancel = &flag;
	assert_int_equal(pthread_create(&t, NULL, cancel_later, &cn), 0);
	r = run_rec(&c.prm, pack->data, pack->len, &rc, NULL);
	done = now_s();
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(r.status, DEC_ERR);
	assert_int_equal(r.err, ERR_CANCELED);
	assert_true(cn.set_at > 0);
	/* within a slice of work (1 MiB), with room for a loaded machine */
	if (done - cn.set_at > 0.25)
		fail_msg("stopped %.3f s after the flag was set", done - cn.set_at);
	rec_free(&rc);
}

static void test_cancel(void **state)
{
	struct pack_limits lim;
	struct packbuild b;
	struct rec rc;
	struct dec_result r;
	atomic_bool flag;
	uint64_t base;
	struct buf d;
	struct cfg c;
	unsigned k;

	UNUSED(state);
	/* set before the parse: nothing is consumed */
	pb_init(&b, PACK_HASH_SHA1);
	pb_header(&b, 2, 1);
	pb_whole(&b, PACK_OBJ_BLOB, "abc", 3);
	pb_trailer(&b);
	atomic_init(&flag, true);
	cfg_init(&c, PACK_HASH_SHA1);
	c.prm.cancel = &flag;
	r = run_rec(&c.prm, b.out.data, b.out.len, &rc, NULL);
	assert_int_equal(r.err, ERR_CANCELED);
	assert_int_equal(r.consumed, 0);
	assert_int_equal(rc.n, 0);
	rec_free(&rc);
	atomic_store(&flag, false);
	r = run_rec(&c.prm, b.out.data, b.out.len, &rc, NULL);
	assert_int_equal(r.status, DEC_STOP);
	rec_free(&rc);
	pb_release(&b);

	/* one 256 MiB blob of zeros (256 KiB of pack) streaming: about a
	 * second of inflating and hashing, stopped after 30 ms */
	pb_init(&b, PACK_HASH_SHA1);
	pb_header(&b, 2, 1);
	pb_whole_fill(&b, PACK_OBJ_BLOB, 0, 256 * MIB);
	pb_trailer(&b);
	pack_limits_default(&lim);
	expect_canceled(&lim, &b.out, 30);
	pb_release(&b);

	/* deltas: a 16 MiB base (streamed, so re-inflated for each) and 16
	 * deltas of 16 MiB each, allowed by a raised budget: re-inflation,
	 * application and hashing are each cut in slices */
	pb_init(&b, PACK_HASH_SHA1);
	pb_header(&b, 2, 17);
	base = pb_whole_fill(&b, PACK_OBJ_BLOB, 0, 16 * MIB);
	buf_init(&d, 1 << 16);
	for (k = 0; k < 16; k++) {
		uint8_t ch = (uint8_t)('a' + k);

		buf_reset(&d);
		pb_delta_new(&d, 16 * MIB, 16 * MIB);
		pb_delta_insert(&d, &ch, 1);
		pb_delta_copy(&d, 1, (uint32_t)(16 * MIB) - 1);
		pb_ofs_delta(&b, base, d.data, d.len);
	}
	pb_trailer(&b);
	pack_limits_default(&lim);
	lim.amplification_slack = 4096 * MIB;
	lim.base_cache_bytes = 32 * MIB;
	expect_canceled(&lim, &b.out, 30);
	buf_release(&d);
	pb_release(&b);
}

static void test_delta_apply_cancelable(void **state)
{
	atomic_bool flag;
	uint8_t *base, *out;
	struct buf d;

	UNUSED(state);
	base = xcalloc(1, 65536);
	out = xmalloc(4 * MIB);
	assert_non_null(base);
	assert_non_null(out);
	buf_init(&d, 1 << 16);
	pb_delta_new(&d, 65536, 4 * MIB);
	pb_delta_copy_repeat(&d, 0, 0x10000, 64);
	atomic_init(&flag, true);
	/* 4 MiB: the flag is read after the first MiB */
	assert_int_equal(pack_delta_apply_cancelable(base, 65536, d.data, d.len, out, 4 * MIB,
						     &flag), ERR_CANCELED);
	atomic_store(&flag, false);
	assert_int_equal(pack_delta_apply_cancelable(base, 65536, d.data, d.len, out, 4 * MIB,
						     &flag), 0);
	/* below 1 MiB the flag is never read */
	buf_reset(&d);
	pb_delta_new(&d, 65536, 65536);
	pb_delta_copy(&d, 0, 0x10000);
	atomic_store(&flag, true);
	assert_int_equal(pack_delta_apply_cancelable(base, 65536, d.data, d.len, out, 65536,
						     &flag), 0);
	buf_release(&d);
	xfree(out);
	xfree(base);
}

/* A spool on a 64 KiB tmpfs: the first 256 KiB write fails with ENOSPC,
 * which is the gate's full disk (a limit), not a corrupt pack. */
static void test_spool_disk_full(void **state)
{
	char dir[] = "/tmp/sluice-tinyspool-XXXXXX";
	static const size_t pieces[] = { 0, 4096, 100000 };
	struct splitfeed_outcome o;
	struct packbuild b;
	struct pack_stats st;
	struct dec_result r;
	struct rec rc;
	uint8_t *noise;
	uint32_t x = 12345;
	size_t i;
	struct cfg c;

	UNUSED(state);
	assert_non_null(mkdtemp(dir));
	if (mount("tmpfs", dir, "tmpfs", 0, "size=64k") != 0) {
		rmdir(dir);
		skip();	/* needs root (CAP_SYS_ADMIN); reported as skipped */
	}
	noise = xmalloc(MIB);
	assert_non_null(noise);
	for (i = 0; i < MIB; i++) {
		x = x * 1103515245u + 12345u;
		noise[i] = (uint8_t)(x >> 16);
	}
	pb_init(&b, PACK_HASH_SHA1);
	pb_header(&b, 2, 1);
	pb_whole(&b, PACK_OBJ_BLOB, noise, MIB);
	pb_trailer(&b);
	cfg_init(&c, PACK_HASH_SHA1);
	c.prm.spool_dir = dir;
	r = run_rec(&c.prm, b.out.data, b.out.len, &rc, &st);
	assert_int_equal(r.status, DEC_ERR);
	assert_int_equal(r.err, ERR_LIMIT);
	assert_int_equal(st.limit_hit, PACK_LIMIT_SPOOL_DISK);
	rec_free(&rc);
	/* spool errors surface at the end of the feed that hit them, so only
	 * the outcome is compared across cuts */
	for (i = 0; i < ARRAY_SIZE(pieces); i++) {
		splitfeed_run(&pack_decoder, cfg_params, &c, b.out.data, b.out.len, pieces[i], &o);
		assert_int_equal(o.status, DEC_ERR);
		assert_int_equal(o.err, ERR_LIMIT);
		buf_release(&o.out);
	}
	/* the same pack on a roomy spool passes */
	c.prm.spool_dir = NULL;
	r = run_rec(&c.prm, b.out.data, b.out.len, &rc, &st);
	assert_int_equal(r.status, DEC_STOP);
	expect_obj(&rc, 0, PACK_OBJ_BLOB, noise, MIB, 0);
	rec_free(&rc);
	assert_int_equal(umount2(dir, MNT_DETACH), 0);
	rmdir(dir);
	xfree(noise);
	pb_release(&b);
}

/* --- packs made by git ------------------------------------------------------------ */

struct vp_line {
	char hex[2 * PACK_OID_MAX + 1];	/* id */
	char type[8];			/* resolved type */
	uint64_t size, offset;		/* object size, offset in the pack */
	uint32_t depth;			/* chain length, 0 for whole objects */
};

/* Parses `git verify-pack -v` output. */
static size_t parse_verify_pack(const struct buf *out, struct vp_line **lines)
{
	size_t n = 0, cap = 0, pos = 0;

	*lines = NULL;
	while (pos < out->len) {
		const char *l = (const char *)out->data + pos;
		const char *nl = memchr(l, '\n', out->len - pos);
		size_t ll = nl ? (size_t)(nl - l) : out->len - pos;
		char line[512], base[80];
		struct vp_line v;
		uint64_t inpack;
		int k;

		pos += ll + 1;
		if (ll >= sizeof(line))
			continue;
		memcpy(line, l, ll);
		line[ll] = '\0';
		memset(&v, 0, sizeof(v));
		k = sscanf(line, "%64s %7s %" SCNu64 " %" SCNu64 " %" SCNu64 " %u %79s", v.hex,
			   v.type, &v.size, &inpack, &v.offset, &v.depth, base);
		if (k < 5 || (strlen(v.hex) != 40 && strlen(v.hex) != 64))
			continue;
		if (k < 7)
			v.depth = 0;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			*lines = xrealloc(*lines, cap * sizeof(**lines));
			assert_non_null(*lines);
		}
		(*lines)[n++] = v;
	}
	return n;
}

static void write_text(const char *repo, const char *rel, unsigned seed, unsigned lines,
		       unsigned change)
{
	struct buf t;
	unsigned k;

	buf_init(&t, 1 << 26);
	for (k = 0; k < lines; k++) {
		unsigned h = (k * 2654435761u) ^ (seed * 40503u);

		assert_int_equal(buf_printf(&t, "%u: line %u of file %u, value %08x%s\n", seed, k,
					    seed, h, (k % 37) == change % 37 ? " changed" : ""),
				 0);
		if ((k + change) % 97 == 0)
			assert_int_equal(buf_printf(&t, "  inserted at revision %u\n", change), 0);
	}
	pb_write_file(repo, rel, t.data, t.len);
	buf_release(&t);
}

/* A repository whose history yields OFS and REF deltas: nested files edited
 * over many commits, a rename, a large file, a binary file, a tag. */
static const char *make_repo(const char *dir, const char *format)
{
	static char repo[4200];
	unsigned c, f;

	snprintf(repo, sizeof(repo), "%s/repo", dir);
	assert_int_equal(pb_sh("git init -q --object-format=%s '%s'", format, repo), 0);
	for (c = 0; c < 14; c++) {
		char rel[256], date[64];

		for (f = 0; f < 8; f++) {
			if ((f + c) % 3 && c)
				continue;
			snprintf(rel, sizeof(rel), "src/mod%u/sub/file%u.txt", f % 3, f);
			write_text(repo, rel, f, 300 + 20 * f, c);
		}
		if (c % 4 == 0)
			write_text(repo, "big/large.txt", 99, 2500, c);
		if (c == 3) {
			uint8_t bin[3000];
			unsigned k;

			for (k = 0; k < sizeof(bin); k++)
				bin[k] = (uint8_t)((k * 131u + c) >> 3);
			pb_write_file(repo, "bin/data.bin", bin, sizeof(bin));
		}
		if (c == 6)
			assert_int_equal(pb_sh("git -C '%s' mv src/mod1/sub/file1.txt src/moved.txt",
					       repo), 0);
		snprintf(date, sizeof(date), "%u +0000", 1700000000u + c * 60);
		setenv("GIT_AUTHOR_DATE", date, 1);
		setenv("GIT_COMMITTER_DATE", date, 1);
		assert_int_equal(pb_sh("git -C '%s' add -A && git -C '%s' commit -q -m 'commit %u'",
				       repo, repo, c), 0);
		if (c == 9)
			assert_int_equal(pb_sh("git -C '%s' tag -a -m 'tag it' v1", repo), 0);
	}
	return repo;
}

/* Parses pack with three configurations, each fed at every split, and
 * checks every object against git's own index of the same pack. */
static void check_git_pack(const char *repo, const char *pack_path, const char *idx_path,
			   enum pack_hash_algo algo, bool every_split)
{
	struct splitfeed_outcome o[3];
	struct vp_line *vp;
	struct buf pack, vout, revs;
	struct pack_stats st;
	struct rec r;
	struct cfg c;
	size_t nvp, k, j, nofs = 0;
	int fd, i;

	assert_int_equal(test_read_file(pack_path, &pack), 0);
	buf_init(&vout, 1 << 26);
	assert_int_equal(pb_sh_out(&vout, "git -C '%s' verify-pack -v '%s'", repo, idx_path), 0);
	nvp = parse_verify_pack(&vout, &vp);
	assert_true(nvp > 50);

	/* whole run with exact records */
	cfg_init(&c, algo);
	assert_int_equal(run_rec(&c.prm, pack.data, pack.len, &r, &st).status, DEC_STOP);
	if (r.n != nvp)
		fail_msg("%s: %zu objects parsed, verify-pack lists %zu", pack_path, r.n, nvp);
	assert_int_equal(st.objects_done, nvp);
	for (k = 0; k < r.n; k++) {
		for (j = 0; j < nvp && vp[j].offset != r.objs[k].offset; j++)
			;
		assert_true(j < nvp);
		assert_string_equal(r.objs[k].hex, vp[j].hex);
		assert_string_equal(tname(r.objs[k].type), vp[j].type);
		/* verify-pack shows the delta size for deltas */
		if (!vp[j].depth)
			assert_int_equal(r.objs[k].size, vp[j].size);
		assert_int_equal(r.objs[k].depth, vp[j].depth);
	}
	/* resolved type and size of every object, from git's object store */
	buf_init(&revs, 1 << 26);
	assert_int_equal(pb_sh_out(&revs, "git -C '%s' cat-file --batch-all-objects "
				   "--batch-check='%%(objectname) %%(objecttype) %%(objectsize)'",
				   repo), 0);
	for (k = 0; k < r.n; k++) {
		char want[200];
		const char *hit;

		snprintf(want, sizeof(want), "%s %s %" PRIu64 "\n", r.objs[k].hex,
			 tname(r.objs[k].type), r.objs[k].size);
		BUG_ON(buf_append(&revs, "", 1) != 0);
		revs.len--;
		hit = strstr((const char *)revs.data, want);
		if (!hit)
			fail_msg("%s not listed by cat-file", want);
	}
	buf_release(&revs);
	/* the raw types actually present */
	for (k = 0; k < nvp; k++)
		if (vp[k].depth)
			nofs++;
	assert_true(nofs > 10);

	/* every object git lists for the repository was reported */
	buf_init(&revs, 1 << 26);
	assert_int_equal(pb_sh_out(&revs, "git -C '%s' rev-list --objects --all | cut -c1-%zu",
				   repo, 2 * pack_oid_len(algo)), 0);
	for (k = 0; k + 1 < revs.len;) {
		const char *l = (const char *)revs.data + k;
		size_t hl = 2 * pack_oid_len(algo);
		bool found = false;

		for (j = 0; j < r.n && !found; j++)
			found = memcmp(r.objs[j].hex, l, hl) == 0;
		if (!found)
			fail_msg("object %.*s from rev-list not in the pack output", (int)hl, l);
		k += hl + 1;
	}
	buf_release(&revs);
	rec_free(&r);

	/* every split, three configurations, identical output */
	for (i = 0; i < 3; i++) {
		cfg_init(&c, algo);
		fd = -1;
		if (i == 1)
			c.prm.limits.base_cache_bytes = 0;	/* every base from the spool */
		if (i == 2) {
			fd = open(pack_path, O_RDONLY);
			assert_true(fd >= 0);
			c.prm.pack_fd = fd;
			c.prm.limits.base_cache_bytes = 256 * 1024;	/* large.txt streams */
		}
		if (i == 0 && every_split) {
			check_splits(&c, &pack, &o[i]);
		} else if (i == 0) {
			struct splitfeed_outcome os;
			size_t s;

			splitfeed_run(&pack_decoder, cfg_params, &c, pack.data, pack.len, 0, &o[i]);
			for (s = 0; s <= pack.len; s += pack.len / 97 + 1) {
				splitfeed_run_split(&pack_decoder, cfg_params, &c, pack.data, pack.len,
						    s, &os);
				assert_int_equal(os.status, DEC_STOP);
				assert_int_equal(os.out.len, o[0].out.len);
				assert_memory_equal(os.out.data, o[0].out.data, o[0].out.len);
				buf_release(&os.out);
			}
		} else
			splitfeed_run(&pack_decoder, cfg_params, &c, pack.data, pack.len, 0, &o[i]);
		assert_int_equal(o[i].status, DEC_STOP);
		assert_int_equal(o[i].consumed, pack.len);
		if (fd >= 0)
			close(fd);
		if (i) {
			assert_int_equal(o[i].out.len, o[0].out.len);
			assert_memory_equal(o[i].out.data, o[0].out.data, o[0].out.len);
		}
	}
	/* byte at a time with the spool-only configuration too */
	{
		struct splitfeed_outcome ob;

		cfg_init(&c, algo);
		c.prm.limits.base_cache_bytes = 0;
		splitfeed_run(&pack_decoder, cfg_params, &c, pack.data, pack.len, 7, &ob);
		assert_int_equal(ob.status, DEC_STOP);
		assert_int_equal(ob.out.len, o[0].out.len);
		assert_memory_equal(ob.out.data, o[0].out.data, o[0].out.len);
		buf_release(&ob.out);
	}
	for (i = 0; i < 3; i++)
		buf_release(&o[i].out);
	xfree(vp);
	buf_release(&vout);
	buf_release(&pack);
}

/* Counts raw REF_DELTA and OFS_DELTA headers by walking git's index. */
static void count_raw_types(const char *repo, const char *idx, size_t *ofs, size_t *ref)
{
	struct buf out;
	size_t pos = 0;

	*ofs = *ref = 0;
	buf_init(&out, 1 << 26);
	/* show-index gives offsets; the type byte is read from the pack */
	assert_int_equal(pb_sh_out(&out, "git -C '%s' show-index < '%s' | sort -n | "
				   "while read off id rest; do "
				   "  t=$(dd if='%.*s.pack' bs=1 skip=$off count=1 2>/dev/null | od -An -tu1); "
				   "  echo $(( (t >> 4) & 7 )); "
				   "done", repo, idx, (int)(strlen(idx) - 4), idx), 0);
	while (pos < out.len) {
		if (out.data[pos] == '6')
			(*ofs)++;
		if (out.data[pos] == '7')
			(*ref)++;
		while (pos < out.len && out.data[pos] != '\n')
			pos++;
		pos++;
	}
	buf_release(&out);
}

static void test_git_packs(void **state)
{
	const char *dir = pb_tmpdir();
	const char *repo;
	char ofs_pack[4300], ref_pack[4300], idx[4300];
	size_t nofs, nref;
	struct buf out;

	UNUSED(state);
	repo = make_repo(dir, "sha1");
	/* OFS deltas: a full repack with deep chains */
	assert_int_equal(pb_sh("git -C '%s' repack -adfq --depth=50 --window=50", repo), 0);
	buf_init(&out, 1 << 16);
	assert_int_equal(pb_sh_out(&out, "ls '%s'/.git/objects/pack/*.pack | head -1 | tr -d '\\n'",
				   repo), 0);
	assert_true(out.len > 5 && out.len < sizeof(ofs_pack));
	memcpy(ofs_pack, out.data, out.len);
	ofs_pack[out.len] = '\0';
	snprintf(idx, sizeof(idx), "%.*s.idx", (int)(strlen(ofs_pack) - 5), ofs_pack);
	count_raw_types(repo, idx, &nofs, &nref);
	assert_true(nofs > 10);
	assert_int_equal(nref, 0);
	check_git_pack(repo, ofs_pack, idx, PACK_HASH_SHA1, true);

	/* REF deltas: pack-objects without --delta-base-offset */
	snprintf(ref_pack, sizeof(ref_pack), "%s/ref.pack", dir);
	snprintf(idx, sizeof(idx), "%s/ref.idx", dir);
	assert_int_equal(pb_sh("git -C '%s' pack-objects --revs --all --stdout --no-reuse-delta "
			       "--depth=20 -q </dev/null >'%s'", repo, ref_pack), 0);
	assert_int_equal(pb_sh("git -C '%s' index-pack -o '%s' '%s' >/dev/null", repo, idx,
			       ref_pack), 0);
	count_raw_types(repo, idx, &nofs, &nref);
	assert_true(nref > 10);
	assert_int_equal(nofs, 0);
	check_git_pack(repo, ref_pack, idx, PACK_HASH_SHA1, false);

	/* a thin pack (what no-thin prevents): bases outside the pack */
	snprintf(ref_pack, sizeof(ref_pack), "%s/thin.pack", dir);
	assert_int_equal(pb_sh("printf 'HEAD\\n^HEAD~1\\n' | git -C '%s' pack-objects --revs --thin "
			       "--stdout -q >'%s'", repo, ref_pack), 0);
	{
		struct buf thin;
		struct rec r;
		struct cfg c;
		struct dec_result res;

		assert_int_equal(test_read_file(ref_pack, &thin), 0);
		assert_true(thin.len > 32);
		cfg_init(&c, PACK_HASH_SHA1);
		res = run_rec(&c.prm, thin.data, thin.len, &r, NULL);
		assert_int_equal(res.status, DEC_ERR);
		assert_int_equal(res.err, ERR_BASE_MISSING);
		assert_true(r.n > 0);	/* whole objects were still reported */
		rec_free(&r);
		expect_fail(NULL, &thin, ERR_BASE_MISSING, PACK_LIMIT_NONE);
		buf_release(&thin);
	}
	buf_release(&out);
	pb_rmtree(dir);
}

static void test_git_sha256_pack(void **state)
{
	const char *dir = pb_tmpdir();
	const char *repo;
	char pack[4300], idx[4300];

	UNUSED(state);
	repo = make_repo(dir, "sha256");
	snprintf(pack, sizeof(pack), "%s/s.pack", dir);
	snprintf(idx, sizeof(idx), "%s/s.idx", dir);
	assert_int_equal(pb_sh("git -C '%s' pack-objects --revs --all --stdout --delta-base-offset "
			       "-q </dev/null >'%s'", repo, pack), 0);
	assert_int_equal(pb_sh("git -C '%s' index-pack -o '%s' '%s' >/dev/null", repo, idx, pack),
			 0);
	check_git_pack(repo, pack, idx, PACK_HASH_SHA256, false);
	pb_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_pack),
		cmocka_unit_test(test_whole_objects_v3_and_trailing_bytes),
		cmocka_unit_test(test_deferred_chain),
		cmocka_unit_test(test_big_base_spool_and_copy_64k),
		cmocka_unit_test(test_sha256_crafted),
		cmocka_unit_test(test_bad_magic_and_version),
		cmocka_unit_test(test_bad_types),
		cmocka_unit_test(test_size_varint_overflow),
		cmocka_unit_test(test_ofs_offsets),
		cmocka_unit_test(test_bad_deltas),
		cmocka_unit_test(test_inflated_size_mismatch),
		cmocka_unit_test(test_corrupt_zlib),
		cmocka_unit_test(test_truncated_and_bad_trailer),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_chain_depth),
		cmocka_unit_test(test_ref_missing_and_cycle),
		cmocka_unit_test(test_sink_error_and_state),
		cmocka_unit_test(test_delta_apply_direct),
		cmocka_unit_test(test_delta_bomb),
		cmocka_unit_test(test_chain_reexpansion),
		cmocka_unit_test(test_compressible_blob_passes),
		cmocka_unit_test(test_memory_budget),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_delta_apply_cancelable),
		cmocka_unit_test(test_spool_disk_full),
		cmocka_unit_test(test_git_packs),
		cmocka_unit_test(test_git_sha256_pack),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
