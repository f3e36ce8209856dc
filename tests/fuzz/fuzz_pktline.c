/*
 * fuzz_pktline.c - libFuzzer target for dec_pktline (pkt-line, side-band).
 *
 * The first input byte picks a piece size (bits 0-4), the mode (bits
 * 5-6: plain, v0, side-band) and whether the consumer stops at the first
 * flush (bit 7).  Each pkt handed to on_pkt is recorded in the output, so
 * the whole and the pieced run must agree on every packet (style.md
 * rule 4).
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/decode/dec_pktline.h"
#include "tests/fuzz/fuzz_split.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ctl {
	struct buf *out;
	bool stop_at_flush;
};

static int on_pkt(void *arg, enum pkt_kind kind, const uint8_t *p, size_t n)
{
	struct ctl *c = arg;
	uint8_t k = (uint8_t)kind;

	if (buf_append(c->out, &k, 1) || buf_append(c->out, &n, sizeof(n)) ||
	    buf_append(c->out, p, n))
		return -1;
	return c->stop_at_flush && kind == PKT_FLUSH ? PKTLINE_STOP : 0;
}

static void run(const uint8_t *in, size_t len, size_t piece, unsigned mode, struct fuzz_run *r)
{
	struct dec_pktline c;
	struct ctl ctl = { &r->out, (mode & 4) != 0 };
	struct dec_pktline_params prm = { on_pkt, &ctl, 0 };
	struct dec_sink sink = { fuzz_collect, &r->out };

	fuzz_run_start(r);
	prm.flags = (mode & 3) == 1 ? DEC_PKTLINE_V0 : (mode & 3) == 2 ? DEC_PKTLINE_SIDEBAND : 0;
	dec_pktline.init(&c, &prm);
	fuzz_run_feed(&dec_pktline, &c, in, len, piece, &sink, r);
	dec_pktline.release(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_run a, b;
	size_t piece;
	unsigned mode;

	if (size < 1)
		return 0;

	piece = (size_t)(data[0] & 0x1f) + 1;
	mode = (unsigned)(data[0] >> 5);
	data++;
	size--;
	run(data, size, size ? size : 1, mode, &a);
	run(data, size, piece, mode, &b);
	fuzz_run_same(&a, &b);
	return 0;
}
