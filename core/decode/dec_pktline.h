/*
 * dec_pktline.h - git pkt-line framing (gitprotocol-common "pkt-line
 * Format") and side-band demultiplexing (gitprotocol-pack "side-band"),
 * push-fed.
 *
 * A pkt-line is 4 hex digits giving the total length (the 4 digits
 * included), then length-4 payload bytes.  Special lengths:
 *   0000 flush, 0001 delim, 0002 response-end  -> PKT_FLUSH/DELIM/RESPONSE_END
 *   0003                                       -> error (no such packet)
 *   0004                                       -> PKT_DATA with an empty payload
 * The length digits are accepted in either case: git reads them through
 * its hexval table, which knows 'a'-'f' and 'A'-'F' (checked: git 2.39
 * receive-pack accepts a command pkt framed "009E").  Writers, including
 * ours, emit lowercase.  0004 is framing-valid but git's writers never
 * send it and git's command readers reject it ("expected old/new/ref");
 * rejecting it is left to the consumer.  The longest pkt is
 * LIMIT_PKT_BYTES (65520, git's LARGE_PACKET_MAX) in total; git's reader
 * would tolerate 3 bytes more, no git writer produces them, we refuse.
 *
 * Output:
 *  - params->on_pkt is called once per pkt with the whole payload
 *    (buffered when it arrives split, at most 65516 bytes), in order.
 *  - the dec_sink receives a canonical re-encoding of every pkt (lowercase
 *    length, same payload), so two splits of one input give the same
 *    bytes; in side-band mode it receives the band-1 data instead (the
 *    demultiplexed primary stream, e.g. a nested report-status).
 * Each pkt goes to the sink first, then to on_pkt.
 *
 * on_pkt returns 0 to go on, PKTLINE_STOP to end framing after this pkt
 * (feed returns DEC_STOP; the bytes after the pkt belong to the next
 * layer, e.g. the PACK after a push's command list), or a negative code
 * (feed returns DEC_ERR with it, why PKTLINE_WHY_CALLBACK).
 *
 * Errors (DEC_ERR; dec_pktline_why() names the clause):
 *   ERR_SYNTAX    a non-hex length digit; length 0003; with
 *                 DEC_PKTLINE_V0 a delim or response-end; in side-band
 *                 mode an empty pkt or a band other than 1, 2, 3.
 *   ERR_LIMIT     length above LIMIT_PKT_BYTES.
 *   ERR_TRUNCATED from finish() inside a pkt.
 *   ERR_NOMEM, or whatever the sink or on_pkt returns.
 * consumed counts the bytes before the one at which a framing error was
 * found (the 4th digit for a bad length, the band byte for a bad band);
 * for a sink or on_pkt error it includes the whole pkt.
 *
 * Caveats: the payload pointer given to on_pkt is valid only during the
 * call.  The struct is public so callers can embed it; its fields are
 * private.
 */
#ifndef SLUICE_DECODE_DEC_PKTLINE_H
#define SLUICE_DECODE_DEC_PKTLINE_H

#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/decode/decoder-t.h"

extern const struct decoder_type dec_pktline;

/* Largest payload of one pkt: LIMIT_PKT_BYTES - 4. */
#define PKTLINE_MAX_PAYLOAD 65516u
/* Largest data in one side-band pkt: one byte goes to the band number. */
#define PKTLINE_MAX_BAND_DATA 65515u

enum pkt_kind {
	PKT_DATA,		/* a data pkt (normal mode) */
	PKT_FLUSH,		/* 0000 */
	PKT_DELIM,		/* 0001: protocol v2 section delimiter */
	PKT_RESPONSE_END,	/* 0002: protocol v2 stateless end of response */
	PKT_BAND1,		/* side-band mode: primary data, band byte removed */
	PKT_BAND2,		/* side-band mode: progress text ("remote: ") */
	PKT_BAND3,		/* side-band mode: fatal error text */
};

/* on_pkt return value: stop framing after this pkt. */
#define PKTLINE_STOP 1

/* Flags for dec_pktline_params.flags. */
#define DEC_PKTLINE_V0		0x1u	/* delim/response-end are errors (v0/v1) */
#define DEC_PKTLINE_SIDEBAND	0x2u	/* demultiplex side-band (implies V0) */

struct dec_pktline_params {
	/* Called per pkt; may be NULL.  See the header comment. */
	int (*on_pkt)(void *arg, enum pkt_kind kind, const uint8_t *payload, size_t len);
	void *arg;		/* passed to on_pkt */
	unsigned flags;		/* DEC_PKTLINE_* */
};

enum pktline_why {
	PKTLINE_WHY_NONE,
	PKTLINE_WHY_BAD_HEX,		/* non-hex byte in the length */
	PKTLINE_WHY_BAD_LENGTH,		/* length 0003 */
	PKTLINE_WHY_TOO_LONG,		/* length above LIMIT_PKT_BYTES */
	PKTLINE_WHY_V2_SPECIAL,		/* delim or response-end in v0 mode */
	PKTLINE_WHY_BAD_BAND,		/* side-band: empty pkt or band not 1-3 */
	PKTLINE_WHY_TRUNCATED,		/* input ended inside a pkt */
	PKTLINE_WHY_CALLBACK,		/* on_pkt returned an error */
	PKTLINE_WHY_SINK,		/* the sink returned an error */
	PKTLINE_WHY_NOMEM,		/* buffering a payload failed */
};

/* Parser states; resumable at any byte. */
enum pktline_state {
	PKTLINE_LEN,		/* reading the 4 length digits */
	PKTLINE_PAYLOAD,	/* reading payload bytes */
	PKTLINE_STOPPED,	/* on_pkt asked to stop: STOP */
	PKTLINE_FAILED,		/* an error was returned */
};

struct dec_pktline {
	enum pktline_state state;	/* see enum pktline_state */
	enum pktline_why why;		/* reason of the last error */
	struct dec_pktline_params p;	/* copy of the params */
	unsigned digits;		/* PKTLINE_LEN: digits read */
	size_t len;			/* total length being read */
	size_t remaining;		/* PKTLINE_PAYLOAD: bytes still missing */
	struct buf pending;		/* payload that arrived split */
};

/* The reason for the last DEC_ERR (PKTLINE_WHY_NONE if none). */
enum pktline_why dec_pktline_why(const struct dec_pktline *d);
const char *dec_pktline_why_str(enum pktline_why why);

/*
 * Encoders (lowercase length).  Each appends to out and returns 0,
 * ERR_LIMIT (payload too long for one pkt, or out's max reached; out is
 * then unchanged) or ERR_NOMEM.
 */
/* One data pkt; n <= PKTLINE_MAX_PAYLOAD. */
int pktline_encode(struct buf *out, const void *payload, size_t n);
/* "0000". */
int pktline_encode_flush(struct buf *out);
/* Side-band data on band 1-3, split into as many pkts as needed (git's
 * sideband.c sends at most PKTLINE_MAX_BAND_DATA per pkt).  n == 0 sends
 * one empty pkt (the band-1 keepalive "0005\1").  band outside 1-3 is
 * ERR_USAGE.  On error out is unchanged. */
int pktline_encode_band(struct buf *out, unsigned band, const void *data, size_t n);

#endif
