/*
 * fuzz_gzip.c - libFuzzer target for dec_gzip (gzip/zlib/deflate).
 *
 * The first input byte picks a piece size (bits 0-5) and the format
 * (bits 6-7); the rest is inflated whole and in pieces, and any
 * difference in output, status, error or bytes consumed traps (style.md
 * rule 4).  Small budgets keep runs fast and reach the limit paths.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/decode/dec_gzip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
	struct buf out;
	enum dec_status st;
	int err;
	size_t consumed;
};

static int collect(void *ctx, const uint8_t *p, size_t n)
{
	return buf_append(ctx, p, n);
}

static void run(const uint8_t *in, size_t len, size_t piece, const struct dec_gzip_params *prm,
		struct run *r)
{
	struct dec_gzip c;
	struct dec_sink sink = { collect, &r->out };
	size_t pos = 0;

	buf_init(&r->out, 1u << 24);
	r->consumed = 0;
	r->err = 0;
	if (dec_gzip.init(&c, prm)) {
		r->st = DEC_ERR;
		dec_gzip.release(&c);
		return;
	}
	for (;;) {
		size_t n = MIN(piece, len - pos);
		struct dec_result res = dec_gzip.feed(&c, in + pos, n, &sink);

		r->st = res.status;
		r->err = res.err;
		r->consumed += res.consumed;
		if (res.status == DEC_STOP || res.status == DEC_ERR)
			goto out;
		if (res.consumed != n)
			__builtin_trap();
		pos += n;
		if (pos >= len)
			break;
	}
	{
		struct dec_result res = dec_gzip.finish(&c, &sink);

		r->st = res.status;
		r->err = res.err;
	}
out:
	dec_gzip.release(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run a, b;
	struct dec_gzip_params prm = { 0 };
	size_t piece;

	if (size < 1)
		return 0;
	piece = (size_t)(data[0] & 0x3f) + 1;
	prm.format = (enum gzip_format)(data[0] >> 6);
	prm.max_out = 1u << 20;
	prm.max_ratio = 50;
	prm.ratio_slack = 64 * 1024;
	data++;
	size--;
	run(data, size, size ? size : 1, &prm, &a);
	run(data, size, piece, &prm, &b);
	if (a.st != b.st || a.err != b.err || a.consumed != b.consumed || a.out.len != b.out.len ||
	    (a.out.len && memcmp(a.out.data, b.out.data, a.out.len)))
		__builtin_trap();
	buf_release(&a.out);
	buf_release(&b.out);
	return 0;
}
