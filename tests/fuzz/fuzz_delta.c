/*
 * fuzz_delta.c - libFuzzer target for delta application
 * (core/pack/delta.h).
 *
 * Input: two bytes of base length (little-endian, capped by the input),
 * the base, then the delta.  The output buffer is exactly the delta's
 * declared result size (capped at 1 MiB), so any write past it is caught
 * by ASan.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/pack/delta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t bsz, rsz;
	size_t blen, hl;
	uint8_t *base, *delta, *out;

	if (size < 2)
		return 0;
	blen = ((size_t)data[0] | (size_t)data[1] << 8) % (size - 1);
	/* separate copies so ASan sees exact bounds of each buffer */
	base = xmalloc(blen);
	delta = xmalloc(size - 2 - blen);
	if (!base || !delta)
		goto out;
	memcpy(base, data + 2, blen);
	memcpy(delta, data + 2 + blen, size - 2 - blen);
	if (pack_delta_header(delta, size - 2 - blen, &bsz, &rsz, &hl) || rsz > (1u << 20))
		goto out;
	out = xmalloc((size_t)rsz);
	if (out) {
		pack_delta_apply(base, blen, delta, size - 2 - blen, out, (size_t)rsz);
		/* a deliberately wrong output size must be refused, not overrun */
		if (rsz)
			pack_delta_apply(base, blen, delta, size - 2 - blen, out, (size_t)rsz - 1);
		xfree(out);
	}
out:
	xfree(base);
	xfree(delta);
	return 0;
}
