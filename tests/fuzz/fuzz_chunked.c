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
#include "tests/fuzz/fuzz_split.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run(const uint8_t *in, size_t len, size_t piece, struct fuzz_run *r)
{
	struct dec_chunked c;
	struct dec_sink sink = { fuzz_collect, &r->out };

	fuzz_run_start(r);
	dec_chunked.init(&c, NULL);
	fuzz_run_feed(&dec_chunked, &c, in, len, piece, &sink, r);
	dec_chunked.release(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_run a, b;
	size_t piece;

	if (size < 1)
		return 0;
	piece = (size_t)data[0] % 23 + 1;
	data++;
	size--;
	run(data, size, size ? size : 1, &a);
	run(data, size, piece, &b);
	fuzz_run_same(&a, &b);
	return 0;
}
