/*
 * decoder-t.h - the one interface every push-fed decoder implements.
 *
 * Callers hand bytes in; a decoder never blocks and never pulls.  All parse
 * state lives in the context, so parsing resumes at any split of the input
 * and the output is the same however the input is cut (style.md rule 4).
 *
 * Life cycle: init -> feed* -> finish -> release.  release is always
 * called, also after an error.  After STOP or ERR, feed must not be called
 * again.
 */
#ifndef SLUICE_DECODE_DECODER_T_H
#define SLUICE_DECODE_DECODER_T_H

#include "core/base/api.h"

enum dec_status {
	DEC_OK,		/* all input consumed; the decoder is at a boundary
			 * where input may legitimately end */
	DEC_MORE,	/* all input consumed; the decoder is inside a unit and
			 * needs more (dec_result.needed, when known) */
	DEC_STOP,	/* done: the encoded stream ended; bytes after
			 * dec_result.consumed belong to the next layer */
	DEC_ERR,	/* malformed input or a limit; dec_result.err says which */
};

struct dec_result {
	enum dec_status status;	/* see enum dec_status */
	size_t consumed;	/* bytes of this call's input used */
	size_t needed;		/* with DEC_MORE: bytes still needed, 0 = unknown */
	int err;		/* with DEC_ERR: a negative sluice/errno code */
};

/* Where decoded bytes go.  write returns 0 to continue or a negative code
 * to stop the decoder (which then returns DEC_ERR with that code). */
struct dec_sink {
	int (*write)(void *ctx, const uint8_t *p, size_t n);
	void *ctx;
};

enum dec_phase {
	DEC_PHASE_TRANSPORT,	/* chunked */
	DEC_PHASE_CONTENT,	/* gzip, deflate */
	DEC_PHASE_PROTOCOL,	/* pkt-line, side-band, multipart */
	DEC_PHASE_OBJECT,	/* pack, zlib, delta */
	DEC_PHASE_ARCHIVE,	/* tar, zip */
};

/* A decoder that can expand its input (inflate, base64, archives) charges
 * the per-stream expansion budget. */
#define DEC_FLAG_BLOWUP 0x1u

struct decoder_type {
	const char *name;		/* "chunked", "gzip", "pktline", "pack" */
	enum dec_phase phase;		/* where it sits in a chain */
	unsigned flags;			/* DEC_FLAG_* */
	size_t ctx_size;		/* bytes the caller provides for ctx */
	/* params is decoder-specific (may be NULL).  0 or a negative code. */
	int (*init)(void *ctx, const void *params);
	struct dec_result (*feed)(void *ctx, const uint8_t *in, size_t len,
				  const struct dec_sink *sink);
	/* End of input: a decoder inside a unit reports ERR_TRUNCATED. */
	struct dec_result (*finish)(void *ctx, const struct dec_sink *sink);
	void (*release)(void *ctx);
};

static inline struct dec_result dec_ok(enum dec_status st, size_t consumed)
{
	struct dec_result r = { st, consumed, 0, 0 };
	return r;
}

static inline struct dec_result dec_err(int err, size_t consumed)
{
	struct dec_result r = { DEC_ERR, consumed, 0, err };
	return r;
}

#endif
