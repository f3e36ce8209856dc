/*
 * splitfeed.c - whole / every-split / byte-at-a-time decoder feeding.
 */
#include "core/base/api.h"
#include "tests/lib/splitfeed.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

static int collect(void *ctx, const uint8_t *p, size_t n)
{
	return buf_append(ctx, p, n);
}

static void run_pieces(const struct decoder_type *dt, splitfeed_params_fn params, void *arg,
		       const uint8_t *in, size_t len, const size_t *cuts, size_t ncuts,
		       struct splitfeed_outcome *o)
{
	void *ctx = xcalloc(1, dt->ctx_size);
	struct dec_sink sink;
	const void *prm;
	size_t pos = 0, ci = 0;
	int err;

	buf_init(&o->out, (size_t)1 << 31);
	o->status = DEC_ERR;
	o->err = 0;
	o->consumed = 0;
	sink.write = collect;
	sink.ctx = &o->out;
	prm = params ? params(arg, &o->out) : NULL;
	assert_non_null(ctx);
	err = dt->init(ctx, prm);
	if (err) {
		o->err = err;
		xfree(ctx);
		return;
	}
	for (;;) {
		size_t end = ci < ncuts ? cuts[ci++] : len;
		struct dec_result r;

		if (end > len)
			end = len;
		r = dt->feed(ctx, in + pos, end - pos, &sink);
		o->consumed += r.consumed;
		o->status = r.status;
		o->err = r.err;
		if (r.status == DEC_STOP || r.status == DEC_ERR)
			goto out;
		assert_int_equal(r.consumed, end - pos);
		pos = end;
		if (pos >= len)
			break;
	}
	{
		struct dec_result r = dt->finish(ctx, &sink);

		o->status = r.status;
		o->err = r.err;
	}
out:
	dt->release(ctx);
	xfree(ctx);
}

void splitfeed_run(const struct decoder_type *dt, splitfeed_params_fn params, void *arg,
		   const uint8_t *in, size_t len, size_t piece, struct splitfeed_outcome *o)
{
	size_t n = (piece && len) ? (len + piece - 1) / piece : 0;
	size_t *cuts = xcalloc(n + 1, sizeof(*cuts));
	size_t i;

	assert_non_null(cuts);
	for (i = 0; i < n; i++)
		cuts[i] = (i + 1) * piece;
	run_pieces(dt, params, arg, in, len, cuts, n, o);
	xfree(cuts);
}

void splitfeed_run_split(const struct decoder_type *dt, splitfeed_params_fn params, void *arg,
			 const uint8_t *in, size_t len, size_t split,
			 struct splitfeed_outcome *o)
{
	size_t cuts[1] = { split };

	run_pieces(dt, params, arg, in, len, cuts, 1, o);
}

static void expect_same(const struct splitfeed_outcome *a, const struct splitfeed_outcome *b,
			const char *how, size_t at)
{
	if (a->status != b->status || a->err != b->err || a->out.len != b->out.len ||
	    (a->out.len && memcmp(a->out.data, b->out.data, a->out.len) != 0) ||
	    a->consumed != b->consumed) {
		fail_msg("%s %zu: status %d/%d err %d/%d out %zu/%zu consumed %zu/%zu", how, at,
			 a->status, b->status, a->err, b->err, a->out.len, b->out.len,
			 a->consumed, b->consumed);
	}
}

void splitfeed_check(const struct decoder_type *dt, splitfeed_params_fn params, void *arg,
		     const uint8_t *in, size_t len, struct splitfeed_outcome *whole)
{
	const size_t max_splits = 4096;
	struct splitfeed_outcome o;
	size_t step = len > max_splits ? len / max_splits : 1;
	size_t s;

	splitfeed_run(dt, params, arg, in, len, 0, whole);
	for (s = 0; s <= len; s += step) {
		splitfeed_run_split(dt, params, arg, in, len, s, &o);
		expect_same(whole, &o, "split at", s);
		buf_release(&o.out);
	}
	if (len <= (1u << 20)) {
		splitfeed_run(dt, params, arg, in, len, 1, &o);
		expect_same(whole, &o, "byte at a time, length", len);
		buf_release(&o.out);
	}
}

int test_read_file(const char *path, struct buf *out)
{
	uint8_t tmp[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	buf_init(out, (size_t)1 << 31);
	while ((n = read(fd, tmp, sizeof(tmp))) > 0) {
		if (buf_append(out, tmp, (size_t)n)) {
			close(fd);
			return -ENOMEM;
		}
	}
	close(fd);
	return n < 0 ? -EIO : 0;
}

const char *test_fixture_path(const char *rel)
{
	static char path[4096];
	const char *src = getenv("SLUICE_SOURCE_DIR");

	snprintf(path, sizeof(path), "%s/tests/fixtures/%s", src ? src : ".", rel);
	return path;
}
