/*
 * fuzz_split.h - shared by the decoder fuzz targets (fuzz_chunked,
 * fuzz_gzip, fuzz_http1, fuzz_pktline, fuzz_receive_pack): feed one
 * decoder its input in pieces, record what it did, and trap when the whole
 * run and the pieced run differ (style.md rule 4).
 *
 * Header-only because CMake builds each tests/fuzz/fuzz_*.c as its own
 * executable; everything here is static.
 *
 * A target's run() initialises its decoder (the params differ per
 * decoder), calls fuzz_run_start() and fuzz_run_feed(), adds whatever else
 * it wants compared to r->out, and releases the decoder.  Its
 * LLVMFuzzerTestOneInput runs the input whole and in pieces and hands both
 * results to fuzz_run_same().
 */
#ifndef SLUICE_TESTS_FUZZ_SPLIT_H
#define SLUICE_TESTS_FUZZ_SPLIT_H

#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/decode/decoder-t.h"

/* What one run did: its output and how it ended.  out owns its memory
 * until fuzz_run_same() releases it. */
struct fuzz_run {
	struct buf out;
	enum dec_status st;
	int err;
	size_t consumed;
};

/* dec_sink write that appends the decoded bytes to a struct buf. */
static inline int fuzz_collect(void *ctx, const uint8_t *p, size_t n)
{
	return buf_append(ctx, p, n);
}

/* An empty record: output buffer of 16 MiB at the most, nothing consumed. */
static inline void fuzz_run_start(struct fuzz_run *r)
{
	buf_init(&r->out, 1u << 24);
	r->consumed = 0;
	r->err = 0;
}

/*
 * Feed in[0, len) to the initialised decoder ctx of type dt in pieces of
 * piece bytes (piece > 0), then finish it unless it stopped or failed
 * first.  Status, error and bytes consumed land in r.  A decoder that
 * consumes less than a whole piece without stopping breaks the push-style
 * contract and traps.  The caller still releases ctx.
 */
static inline void fuzz_run_feed(const struct decoder_type *dt, void *ctx, const uint8_t *in,
				 size_t len, size_t piece, const struct dec_sink *sink,
				 struct fuzz_run *r)
{
	struct dec_result res;
	size_t pos = 0;

	for (;;) {
		size_t n = MIN(piece, len - pos);

		res = dt->feed(ctx, in + pos, n, sink);
		r->st = res.status;
		r->err = res.err;
		r->consumed += res.consumed;
		if (res.status == DEC_STOP || res.status == DEC_ERR)
			return;
		if (res.consumed != n)
			__builtin_trap();
		pos += n;
		if (pos >= len)
			break;
	}
	res = dt->finish(ctx, sink);
	r->st = res.status;
	r->err = res.err;
}

/* Trap unless a and b ended alike with the same output; release both. */
static inline void fuzz_run_same(struct fuzz_run *a, struct fuzz_run *b)
{
	if (a->st != b->st || a->err != b->err || a->consumed != b->consumed ||
	    a->out.len != b->out.len ||
	    (a->out.len && memcmp(a->out.data, b->out.data, a->out.len)))
		__builtin_trap();
	buf_release(&a->out);
	buf_release(&b->out);
}

#endif
