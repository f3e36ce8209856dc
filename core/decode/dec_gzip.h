/*
 * dec_gzip.h - HTTP Content-Encoding gzip / deflate (RFC 9110 §8.4.1),
 * push-fed, on zlib's inflate, with an expansion budget.
 *
 * Formats (dec_gzip_params.format):
 *   GZIP_FORMAT_GZIP     RFC 1952 members; several concatenated members
 *                        are one stream (gzip(1) and zlib's gzread do the
 *                        same; git http-backend stops after the first, so
 *                        we scan a superset of what it reads).
 *   GZIP_FORMAT_ZLIB     RFC 1950.
 *   GZIP_FORMAT_RAW      RFC 1951, no wrapper.
 *   GZIP_FORMAT_DEFLATE  HTTP "deflate": RFC 1950 as the RFC says, or raw
 *                        RFC 1951 when the first two bytes are not a valid
 *                        zlib header (what some servers send and browsers
 *                        and curl accept).
 * Output (dec_sink): the inflated bytes.
 *
 * End of stream: a zlib or raw stream is self-delimiting, so feed returns
 * DEC_STOP right after it and leaves the trailing bytes unconsumed.  A
 * gzip stream may be followed by another member, so after each member
 * feed returns DEC_OK (input may end here) and finish() confirms; bytes
 * after a member that do not start a new member (1f 8b) are an error.
 *
 * Expansion budget (style.md rule 5): DEC_FLAG_BLOWUP.  Output beyond
 * max_out is an error after exactly max_out bytes were written.  The
 * ratio rule "out > max_ratio * in + ratio_slack" is checked each time
 * the input consumed reaches a multiple of GZIP_RATIO_STEP bytes, at the
 * end of each member or stream, and in finish(): at those points the
 * output is exactly what that much input decodes to, so the verdict does
 * not depend on how the input was cut.
 *
 * Errors (DEC_ERR; dec_gzip_why() gives the detail):
 *   ERR_INFLATE      corrupt stream (bad header, block, CRC or length).
 *   ERR_UNSUPPORTED  a zlib stream that needs a preset dictionary.
 *   ERR_SYNTAX       bytes after a gzip member that are not a new member.
 *   ERR_LIMIT        max_out or the ratio rule exceeded.
 *   ERR_TRUNCATED    from finish() inside a stream or member (also for
 *                    empty input: an empty body is not a gzip stream).
 *   ERR_NOMEM, or whatever the sink returns.
 * consumed on a zlib error is the input zlib had taken when it failed.
 *
 * Caveats: init allocates zlib state (about 7 KiB plus a 32 KiB window
 * on first use) through xcalloc; release frees it, also after errors.
 */
#ifndef SLUICE_DECODE_DEC_GZIP_H
#define SLUICE_DECODE_DEC_GZIP_H

#include "core/base/api.h"
#include "core/decode/decoder-t.h"

#include <zlib.h>

extern const struct decoder_type dec_gzip;

/* Input bytes between two checks of the ratio rule. */
#define GZIP_RATIO_STEP 4096u

enum gzip_format {
	GZIP_FORMAT_GZIP,	/* RFC 1952, concatenated members */
	GZIP_FORMAT_ZLIB,	/* RFC 1950 */
	GZIP_FORMAT_RAW,	/* RFC 1951 */
	GZIP_FORMAT_DEFLATE,	/* HTTP deflate: zlib, else raw */
};

struct dec_gzip_params {
	enum gzip_format format;	/* see enum gzip_format */
	uint64_t max_out;	/* output cap; 0 = LIMIT_INFLATE_TOTAL_DEFAULT */
	uint32_t max_ratio;	/* 0 = LIMIT_CONTENT_INFLATE_RATIO */
	uint64_t ratio_slack;	/* 0 = LIMIT_CONTENT_INFLATE_SLACK */
};

enum gzip_why {
	GZIP_WHY_NONE,
	GZIP_WHY_CORRUPT,	/* zlib reported a data error */
	GZIP_WHY_DICT,		/* zlib stream needs a preset dictionary */
	GZIP_WHY_TRAILING,	/* bytes after a member that are not a member */
	GZIP_WHY_TOTAL,		/* output above max_out */
	GZIP_WHY_RATIO,		/* output/input above the ratio rule */
	GZIP_WHY_TRUNCATED,	/* input ended inside a stream */
	GZIP_WHY_NOMEM,		/* zlib could not allocate */
	GZIP_WHY_SINK,		/* the sink returned an error */
};

/* Decoder states; resumable at any byte. */
enum gzip_state {
	GZIP_DETECT,		/* DEFLATE format: reading the first 2 bytes */
	GZIP_STREAM,		/* inside a stream or member */
	GZIP_BETWEEN,		/* gzip: a member ended; input may end */
	GZIP_BETWEEN_1F,	/* gzip: 0x1f of a next member seen */
	GZIP_DONE,		/* zlib/raw stream ended: STOP */
	GZIP_FAILED,		/* an error was returned */
};

struct dec_gzip {
	enum gzip_state state;	/* see enum gzip_state */
	enum gzip_why why;	/* reason of the last error */
	struct dec_gzip_params p;	/* params with defaults filled in */
	z_stream z;		/* zlib state */
	bool z_live;		/* inflateInit2 succeeded */
	uint8_t head[2];	/* GZIP_DETECT: bytes seen */
	unsigned nhead;		/* GZIP_DETECT: count of head */
	uint64_t in_total;	/* input bytes taken, all members */
	uint64_t out_total;	/* output bytes produced, all members */
	uint64_t next_check;	/* in_total at which the ratio is checked */
	unsigned members;	/* gzip members completed */
};

enum gzip_why dec_gzip_why(const struct dec_gzip *g);
const char *dec_gzip_why_str(enum gzip_why why);
/* Bytes taken and produced so far, for the chain's expansion budget. */
void dec_gzip_totals(const struct dec_gzip *g, uint64_t *in, uint64_t *out);

/* Maps a Content-Encoding coding name (case-insensitive, RFC 9110 §8.4.1:
 * "gzip", "x-gzip", "deflate") to a format.  0, or ERR_UNSUPPORTED for
 * any other coding (including "identity", which needs no decoder, and
 * "br"/"zstd", which we do not decode: reject rather than pass unseen). */
int dec_gzip_format_from_coding(const char *name, size_t len, enum gzip_format *out);

#endif
