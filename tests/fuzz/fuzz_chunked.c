/*
 * fuzz_chunked.c - libFuzzer target for dec_chunked (RFC 9112 §7.1).
 *
 * The first input byte picks a piece size; the rest is decoded whole and
 * in pieces, and any difference in output, status, error or bytes
 * consumed traps (style.md rule 4).
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/decode/dec_chunked.h"

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

static void run(const uint8_t *in, size_t len, size_t piece, struct run *r)
{
	struct dec_chunked c;
	struct dec_sink sink = { collect, &r->out };
	size_t pos = 0;

	buf_init(&r->out, 1u << 24);
	r->consumed = 0;
	r->err = 0;
	dec_chunked.init(&c, NULL);
	for (;;) {
		size_t n = MIN(piece, len - pos);
		struct dec_result res = dec_chunked.feed(&c, in + pos, n, &sink);

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
		struct dec_result res = dec_chunked.finish(&c, &sink);

		r->st = res.status;
		r->err = res.err;
	}
out:
	dec_chunked.release(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run a, b;
	size_t piece;

	if (size < 1)
		return 0;
	piece = (size_t)data[0] % 23 + 1;
	data++;
	size--;
	run(data, size, size ? size : 1, &a);
	run(data, size, piece, &b);
	if (a.st != b.st || a.err != b.err || a.consumed != b.consumed || a.out.len != b.out.len ||
	    (a.out.len && memcmp(a.out.data, b.out.data, a.out.len)))
		__builtin_trap();
	buf_release(&a.out);
	buf_release(&b.out);
	return 0;
}
