/*
 * fuzz_pack.c - libFuzzer target for the pack parser (core/pack/pack.h).
 *
 * Input: one mode byte, then pack bytes.  Mode bit 0 appends the correct
 * trailer checksum so the fuzzer can reach deferred REF_DELTA resolution
 * (which runs only after the trailer verifies); bits 1-7 pick a split
 * point, so resumption inside every state is exercised.  Limits are small
 * to keep each run fast.  Odd split points also run under a small shared
 * memory budget and amplification slack, and every run must give back
 * every byte it reserved (a leak in the accounting would slowly starve
 * the appliance's pushes).
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/membudget.h"
#include "core/pack/attrib.h"
#include "core/pack/pack.h"

#include <mbedtls/sha1.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint8_t fz_sink;

static int fz_data(void *ctx, const struct pack_object_info *i, const uint8_t *p, size_t n)
{
	UNUSED(ctx);
	UNUSED(i);
	if (n)
		fz_sink ^= p[0] ^ p[n - 1];	/* touch the ends: ASan checks the range */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pack_params prm;
	struct pack_parser *p;
	struct pack_attrib *a;
	struct dec_result r;
	uint8_t *in;
	size_t len, cut;

	if (size < 1)
		return 0;
	len = size - 1;
	in = xmalloc(len + 20);
	if (!in)
		return 0;
	memcpy(in, data + 1, len);
	if (data[0] & 1) {
		mbedtls_sha1_ret(in, len, in + len);
		len += 20;
	}
	cut = len ? ((size_t)(data[0] >> 1) * 131) % (len + 1) : 0;

	memset(&prm, 0, sizeof(prm));
	pack_limits_default(&prm.limits);
	prm.limits.max_objects = 256;
	prm.limits.max_object_bytes = 1 << 20;
	prm.limits.max_delta_depth = 32;
	prm.limits.base_cache_bytes = 4096;
	prm.limits.spool_bytes = 1 << 20;
	prm.limits.inflate_total = 8 << 20;
	prm.pack_fd = -1;
	if (cut & 1) {
		static struct membudget budget;

		membudget_init(&budget, 2u << 20);
		prm.limits.memory = &budget;
		prm.limits.amplification_slack = 64u << 10;
	}
	if (pack_attrib_new(PACK_HASH_SHA1, 1 << 20, &a)) {
		xfree(in);
		return 0;
	}
	prm.sink.object_begin = pack_attrib_object_begin;
	prm.sink.object_data = pack_attrib_object_data;
	prm.sink.object_end = pack_attrib_object_end;
	prm.sink.ctx = a;
	if (data[0] & 0x80) {
		prm.sink.object_data = fz_data;	/* parser alone, attrib unused */
		prm.sink.ctx = NULL;
		prm.sink.object_begin = NULL;
		prm.sink.object_end = NULL;
	}
	if (pack_parser_new(&prm, &p) == 0) {
		r = pack_parser_feed(p, in, cut);
		if (r.status == DEC_MORE || r.status == DEC_OK)
			r = pack_parser_feed(p, in + cut, len - cut);
		if (r.status == DEC_MORE || r.status == DEC_OK)
			r = pack_parser_finish(p);
		pack_parser_free(p);
	}
	if (prm.limits.memory && membudget_used(prm.limits.memory) != 0)
		__builtin_trap();	/* reservations not given back */
	if (!(data[0] & 0x80)) {
		struct pack_oid o, c;
		const char *path;

		pack_attrib_resolve(a);
		memset(&o, 0, sizeof(o));
		pack_attrib_lookup(a, &o, &path, &c);
	}
	pack_attrib_free(a);
	xfree(in);
	return 0;
}
