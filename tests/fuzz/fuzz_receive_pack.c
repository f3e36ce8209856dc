/*
 * fuzz_receive_pack.c - libFuzzer target for the push request parser,
 * its re-encoder and the advertisement rewrite (core/decode/
 * receive_pack.h, advert.h).
 *
 * The first input byte picks a piece size (bits 0-5) and the default id
 * length (bit 6); the rest is parsed whole and in pieces, and the parsed
 * request (serialised) must be the same (style.md rule 4).  A complete
 * request is re-encoded with push-options stripped, and the result must
 * parse again to the same commands without push-options.  The same bytes
 * also go through advert_rewrite; a rewritten advertisement must be
 * rewritable again without further change.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/decode/advert.h"
#include "core/decode/receive_pack.h"
#include "tests/fuzz/fuzz_split.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int nosink(void *ctx, const uint8_t *p, size_t n)
{
	UNUSED(ctx);
	UNUSED(p);
	UNUSED(n);
	__builtin_trap();
}

static void dump(struct buf *out, const struct receive_pack_request *r)
{
	size_t i;

	buf_printf(out, "%x|%s|%s|%u|%d%d%d%d|%zu\n", r->caps, r->caps_raw,
		   r->agent ? r->agent : "-", r->hexsz, r->empty, r->delete_only, r->signed_push,
		   r->complete, r->block_bytes);
	for (i = 0; i < r->nshallow; i++)
		buf_printf(out, "S%s\n", r->shallow[i].text);
	for (i = 0; i < r->ncommands; i++) {
		if (strlen(r->commands[i].old_hex) != r->hexsz ||
		    strlen(r->commands[i].ref) != r->commands[i].ref_len)
			__builtin_trap();
		buf_printf(out, "C%d %s %s %s\n", (int)r->commands[i].kind,
			   r->commands[i].old_hex, r->commands[i].new_hex, r->commands[i].ref);
	}
	for (i = 0; i < r->noptions; i++)
		buf_printf(out, "O%s\n", r->options[i].text);
}

static void check_reencode(const struct receive_pack_request *r, unsigned hexsz)
{
	struct receive_pack_params prm = { .default_hexsz = hexsz };
	struct dec_sink sink = { nosink, NULL };
	struct dec_receive_pack d;
	const struct receive_pack_request *r2;
	struct dec_result res;
	struct buf out;

	buf_init(&out, 1u << 22);
	if (receive_pack_reencode(r, "push-options", true, &out))
		__builtin_trap();
	if (dec_receive_pack.init(&d, &prm))
		__builtin_trap();
	res = dec_receive_pack.feed(&d, out.data, out.len, &sink);
	r2 = receive_pack_peek(&d);
	if (res.status != DEC_STOP || res.consumed != out.len || !r2 ||
	    r2->ncommands != r->ncommands || r2->noptions != 0 ||
	    (r2->caps & RP_CAP_PUSH_OPTIONS))
		__builtin_trap();
	dec_receive_pack.release(&d);
	buf_release(&out);
}

static void run(const uint8_t *in, size_t len, size_t piece, unsigned hexsz, bool reencode,
		struct fuzz_run *r)
{
	struct receive_pack_params prm = { .default_hexsz = hexsz };
	struct dec_sink sink = { nosink, NULL };
	struct dec_receive_pack d;

	fuzz_run_start(r);
	dec_receive_pack.init(&d, &prm);
	fuzz_run_feed(&dec_receive_pack, &d, in, len, piece, &sink, r);
	if (receive_pack_peek(&d)) {
		dump(&r->out, receive_pack_peek(&d));
		if (reencode && receive_pack_peek(&d)->complete)
			check_reencode(receive_pack_peek(&d), hexsz);
	}
	dec_receive_pack.release(&d);
}

static void fuzz_advert(const uint8_t *in, size_t len)
{
	const unsigned flags = ADVERT_ADD_NO_THIN | ADVERT_ADD_PUSH_OPTIONS |
			       ADVERT_DROP_PUSH_CERT;
	struct advert_info info, info2;
	struct buf out, whole, out2;
	size_t consumed, consumed2;

	buf_init(&out, 1u << 22);
	if (advert_rewrite(in, len, flags, &out, &consumed, &info)) {
		buf_release(&out);
		return;
	}
	if (consumed > len)
		__builtin_trap();
	buf_init(&whole, 1u << 23);
	buf_init(&out2, 1u << 22);
	if (buf_append(&whole, out.data, out.len) ||
	    buf_append(&whole, in + consumed, len - consumed))
		__builtin_trap();
	/* The rewritten pkt may now exceed the pkt limit only if we said so. */
	if (!advert_rewrite(whole.data, whole.len, flags, &out2, &consumed2, &info2) &&
	    (info2.changed != 0 || consumed2 != out.len || info2.hexsz != info.hexsz ||
	     info2.empty_repo != info.empty_repo))
		__builtin_trap();
	buf_release(&out2);
	buf_release(&whole);
	buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_run a, b;
	size_t piece;
	unsigned hexsz;

	if (size < 1)
		return 0;
	piece = (size_t)(data[0] & 0x3f) + 1;
	hexsz = data[0] & 0x40 ? 64 : 40;
	data++;
	size--;
	run(data, size, size ? size : 1, hexsz, true, &a);
	run(data, size, piece, hexsz, false, &b);
	fuzz_run_same(&a, &b);
	fuzz_advert(data, size);
	return 0;
}
