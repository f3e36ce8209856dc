/*
 * dec_chunked.h - RFC 9112 §7.1 chunked transfer coding, push-fed.
 *
 * Input: the message body as framed by `Transfer-Encoding: chunked`.
 * Output (dec_sink): the chunk data, concatenated.  The decoder returns
 * DEC_STOP right after the CRLF that ends the trailer section; bytes after
 * it (the next pipelined message) are not consumed.
 *
 * Accepted:
 *   chunk-size   1 to LIMIT_CHUNK_SIZE_DIGITS hex digits, either case;
 *                leading zeros count towards the cap.
 *   chunk-ext    after the size, optional SP/HTAB then ';' and anything
 *                printable (VCHAR, SP, HTAB, obs-text) up to CRLF, at most
 *                LIMIT_CHUNK_EXT_BYTES per line; ignored.
 *   trailer      field lines after the last chunk, at most
 *                LIMIT_CHUNK_TRAILER_BYTES in total; discarded.
 * Rejected (DEC_ERR; dec_chunked_why() names the clause):
 *   ERR_SYNTAX   no digit, a non-hex byte where the size or ';' belongs,
 *                whitespace after the size not followed by ';', a control
 *                byte in an extension or trailer, a bare LF or bare CR
 *                anywhere (RFC 9112 §2.2 lets a recipient accept a bare LF;
 *                we do not, because a proxy and its upstream disagreeing on
 *                line ends is how bodies are smuggled), chunk data not
 *                followed by CRLF, obs-fold in the trailer.
 *   ERR_LIMIT    more size digits, extension or trailer bytes than the caps.
 *   ERR_TRUNCATED from finish() anywhere before the final CRLF.
 *   any code the sink's write returns.
 * On error, dec_result.consumed counts the bytes before the offending one.
 *
 * Caveats: params is unused (pass NULL).  The struct is public so callers
 * can embed it; its fields are private.
 */
#ifndef SLUICE_DECODE_DEC_CHUNKED_H
#define SLUICE_DECODE_DEC_CHUNKED_H

#include "core/base/api.h"
#include "core/decode/decoder-t.h"

extern const struct decoder_type dec_chunked;

/* Why the decoder failed; CHUNKED_WHY_NONE until it has. */
enum chunked_why {
	CHUNKED_WHY_NONE,
	CHUNKED_WHY_NO_DIGIT,		/* chunk-size line without a hex digit */
	CHUNKED_WHY_SIZE_DIGITS,	/* more than LIMIT_CHUNK_SIZE_DIGITS digits */
	CHUNKED_WHY_SIZE_JUNK,		/* byte after the size is not BWS, ';' or CR */
	CHUNKED_WHY_EXT_BYTE,		/* control byte inside a chunk extension */
	CHUNKED_WHY_EXT_LIMIT,		/* extension longer than LIMIT_CHUNK_EXT_BYTES */
	CHUNKED_WHY_BARE_LF,		/* LF without the CR before it */
	CHUNKED_WHY_BARE_CR,		/* CR not followed by LF */
	CHUNKED_WHY_DATA_END,		/* chunk data not followed by CRLF */
	CHUNKED_WHY_TRAILER_BYTE,	/* control byte or obs-fold in the trailer */
	CHUNKED_WHY_TRAILER_LIMIT,	/* trailer longer than LIMIT_CHUNK_TRAILER_BYTES */
	CHUNKED_WHY_TRUNCATED,		/* input ended before the final CRLF */
	CHUNKED_WHY_SINK,		/* the sink refused the data */
};

/* Parser states; each is resumable at any byte. */
enum chunked_state {
	CHUNKED_SIZE,		/* reading chunk-size hex digits */
	CHUNKED_BWS,		/* SP/HTAB after the size: ';' must follow */
	CHUNKED_EXT,		/* inside chunk extensions, up to CR */
	CHUNKED_SIZE_LF,	/* CR of the size line seen, LF must follow */
	CHUNKED_DATA,		/* copying chunk data (remaining bytes left) */
	CHUNKED_DATA_CR,	/* chunk data done, CR must follow */
	CHUNKED_DATA_LF,	/* CR after data seen, LF must follow */
	CHUNKED_TRAILER_BOL,	/* start of a trailer line (or the final CRLF) */
	CHUNKED_TRAILER,	/* inside a trailer field line */
	CHUNKED_TRAILER_LF,	/* CR of a trailer line seen, LF must follow */
	CHUNKED_END_LF,		/* CR of the final empty line seen */
	CHUNKED_DONE,		/* final CRLF consumed: STOP */
	CHUNKED_FAILED,		/* an error was returned */
};

struct dec_chunked {
	enum chunked_state state;	/* see enum chunked_state */
	enum chunked_why why;		/* reason of the last error */
	uint64_t remaining;		/* CHUNKED_SIZE/DATA: chunk bytes */
	unsigned digits;		/* CHUNKED_SIZE: digits seen so far */
	size_t ext_bytes;		/* bytes of extensions on this line */
	size_t trailer_bytes;		/* bytes of trailer so far */
	bool last;			/* the size line being read is 0 */
};

/* The reason for the last DEC_ERR (CHUNKED_WHY_NONE if none). */
enum chunked_why dec_chunked_why(const struct dec_chunked *c);
/* A short static text for a reason. */
const char *dec_chunked_why_str(enum chunked_why why);

/* Longest line dec_chunked_encode_size_line() writes: 16 digits + CRLF. */
#define DEC_CHUNKED_SIZE_LINE_MAX 18

/* Encoder helper for the proxy: writes the chunk-size line for a chunk of
 * `size` bytes ("1a2b\r\n", lowercase, no extensions) into out and returns
 * its length.  size 0 gives the last-chunk line "0\r\n"; the caller then
 * sends the final "\r\n" (no trailer).  Never fails. */
size_t dec_chunked_encode_size_line(uint64_t size, char out[DEC_CHUNKED_SIZE_LINE_MAX]);

#endif
