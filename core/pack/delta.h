/*
 * delta.h - git delta application (gitformat-pack "Deltified representation").
 *
 * A delta is: varint base size, varint result size, then instructions.
 * `1xxxxxxx` copies from the base: bits 0-3 select which of four offset
 * bytes follow, bits 4-6 which of three size bytes (little-endian); a size
 * of 0 means 0x10000.  `0nnnnnnn` (n = 1..127) inserts the next n bytes.
 * `0x00` is reserved and rejected.  Varints are 7 bits per byte, low group
 * first, continuation in the top bit.
 *
 * Everything is bounds-checked: a copy must lie inside the base, no
 * instruction may write past the declared result size, the base must have
 * exactly the declared base size and the instructions must fill the result
 * exactly.  Every failure is ERR_DELTA; nothing is read or written outside
 * the given buffers.
 *
 * Caveats: pure functions, no allocation; pack_delta_apply_cancelable()
 * only reads the flag it is given.
 */
#ifndef SLUICE_PACK_DELTA_H
#define SLUICE_PACK_DELTA_H

#include "core/base/api.h"

#include <stdatomic.h>

/* Parses the two size varints at the start of a delta.  On success sets
 * *base_size, *result_size and *hdr_len (bytes used) and returns 0;
 * ERR_DELTA when the data ends inside a varint or a varint exceeds 64 bits. */
int pack_delta_header(const uint8_t *delta, size_t delta_len, uint64_t *base_size,
		      uint64_t *result_size, size_t *hdr_len);

/* Applies a whole delta (header included) to base, writing exactly
 * out_len bytes to out, which must equal the delta's result size.  base_len
 * must equal the delta's base size.  0 or ERR_DELTA.  out must not overlap
 * base or delta. */
int pack_delta_apply(const uint8_t *base, size_t base_len, const uint8_t *delta,
		     size_t delta_len, uint8_t *out, size_t out_len);

/* The same, reading *cancel (when not NULL) before each 1 MiB of output:
 * once it is true, stops with ERR_CANCELED (out then holds a partial
 * result).  A 500 MiB result is a few hundred milliseconds of copying;
 * another thread can stop it within one slice. */
int pack_delta_apply_cancelable(const uint8_t *base, size_t base_len, const uint8_t *delta,
				size_t delta_len, uint8_t *out, size_t out_len,
				const atomic_bool *cancel);

#endif
