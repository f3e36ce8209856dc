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
#include "tests/fuzz/fuzz_split.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run(const uint8_t *in, size_t len, size_t piece, const struct dec_gzip_params *prm,
		struct fuzz_run *r)
{
	struct dec_gzip c;
	struct dec_sink sink = { fuzz_collect, &r->out };

	fuzz_run_start(r);
	if (dec_gzip.init(&c, prm)) {
		r->st = DEC_ERR;
		dec_gzip.release(&c);
		return;
	}
	fuzz_run_feed(&dec_gzip, &c, in, len, piece, &sink, r);
	dec_gzip.release(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_run a, b;
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
	fuzz_run_same(&a, &b);
	return 0;
}
