/*
 * delta.c - bounds-checked git delta application (gitformat-pack,
 * "Deltified representation"; git-gate.md §5).
 */
#include "core/base/api.h"
#include "core/base/err-t.h"
#include "core/pack/delta.h"

static int delta_varint(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
	const uint8_t *p = *pp;
	uint64_t v = 0;
	unsigned shift = 0;
	uint8_t c;

	do {
		if (p == end)
			return ERR_DELTA;
		c = *p++;
		/* the group must fit in the bits left above `shift` */
		if (shift >= 64 || ((uint64_t)(c & 0x7f) << shift) >> shift != (uint64_t)(c & 0x7f))
			return ERR_DELTA;
		v |= (uint64_t)(c & 0x7f) << shift;
		shift += 7;
	} while (c & 0x80);
	*pp = p;
	*out = v;
	return 0;
}

int pack_delta_header(const uint8_t *delta, size_t delta_len, uint64_t *base_size,
		      uint64_t *result_size, size_t *hdr_len)
{
	const uint8_t *p = delta, *end = delta + delta_len;

	if (delta_varint(&p, end, base_size) || delta_varint(&p, end, result_size))
		return ERR_DELTA;
	*hdr_len = (size_t)(p - delta);
	return 0;
}

/* Output between two reads of the cancel flag. */
#define CANCEL_EVERY ((size_t)1 << 20)

int pack_delta_apply(const uint8_t *base, size_t base_len, const uint8_t *delta,
		     size_t delta_len, uint8_t *out, size_t out_len)
{
	return pack_delta_apply_cancelable(base, base_len, delta, delta_len, out, out_len, NULL);
}

int pack_delta_apply_cancelable(const uint8_t *base, size_t base_len, const uint8_t *delta,
				size_t delta_len, uint8_t *out, size_t out_len,
				const atomic_bool *cancel)
{
	const uint8_t *p, *end = delta + delta_len;
	uint64_t bsz, rsz;
	size_t hl, left = out_len;
	size_t next_check = out_len > CANCEL_EVERY ? out_len - CANCEL_EVERY : 0;
	uint8_t *o = out;

	if (pack_delta_header(delta, delta_len, &bsz, &rsz, &hl))
		return ERR_DELTA;
	if (bsz != base_len || rsz != out_len)
		return ERR_DELTA;
	p = delta + hl;
	while (p < end) {
		uint8_t c = *p++;

		/* one load per MiB written: `left` only falls, by at most
		 * 64 KiB per instruction */
		if (cancel && left < next_check) {
			if (atomic_load_explicit(cancel, memory_order_relaxed))
				return ERR_CANCELED;
			next_check = left > CANCEL_EVERY ? left - CANCEL_EVERY : 0;
		}

		if (c & 0x80) {
			size_t off = 0, sz = 0;

			/* up to 7 argument bytes; each must be present */
			if ((size_t)(end - p) < (size_t)__builtin_popcount(c & 0x7f))
				return ERR_DELTA;
			if (c & 0x01) off = *p++;
			if (c & 0x02) off |= (size_t)*p++ << 8;
			if (c & 0x04) off |= (size_t)*p++ << 16;
			if (c & 0x08) off |= (size_t)*p++ << 24;
			if (c & 0x10) sz = *p++;
			if (c & 0x20) sz |= (size_t)*p++ << 8;
			if (c & 0x40) sz |= (size_t)*p++ << 16;
			if (sz == 0)
				sz = 0x10000;
			/* off and sz are each below 2^32: no overflow in the sum */
			if (off > base_len || sz > base_len - off || sz > left)
				return ERR_DELTA;
			memcpy(o, base + off, sz);
			o += sz;
			left -= sz;
		} else if (c) {
			if ((size_t)(end - p) < c || c > left)
				return ERR_DELTA;
			memcpy(o, p, c);
			p += c;
			o += c;
			left -= c;
		} else {
			/* opcode 0 is reserved (gitformat-pack) */
			return ERR_DELTA;
		}
	}
	return left ? ERR_DELTA : 0;
}
