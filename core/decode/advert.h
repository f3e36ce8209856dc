/*
 * advert.h - rewrite of the receive-pack ref advertisement
 * (git-gate.md §4.1-§4.2; gitprotocol-http "Smart Server Response",
 * gitprotocol-pack "Reference Discovery").
 *
 * The body of a 200 reply to GET .../info/refs?service=git-receive-pack
 * starts:
 *   pkt("# service=git-receive-pack\n") 0000
 *   [pkt("version 1\n")]
 *   pkt(oid SP name NUL caps ["\n"])     first ref, or "capabilities^{}"
 *   ...                                  more refs, shallow lines, 0000
 * advert_rewrite() needs only that prefix: it returns the rewritten
 * prefix and how many input bytes it replaces; the rest of the body goes
 * to the client unchanged, and Content-Length grows by
 * out->len - *consumed.  So a large advertisement can be streamed.
 *
 * Accepted: the service line with or without its LF; length digits in
 * either case (the rewritten pkt gets lowercase).  The caps are appended
 * before a trailing LF if there is one.  A cap already present is not
 * added twice.
 * Errors: ERR_TRUNCATED (the prefix is not complete yet: call again with
 * more of the body); ERR_SYNTAX (not a receive-pack advertisement: no
 * service line, no flush after it, a first ref without NUL and caps, bad
 * framing); ERR_LIMIT (the rewritten pkt would exceed LIMIT_PKT_BYTES, or
 * out's max); ERR_NOMEM.  On error out is unchanged.
 */
#ifndef SLUICE_DECODE_ADVERT_H
#define SLUICE_DECODE_ADVERT_H

#include "core/base/api.h"
#include "core/base/buf.h"

#define ADVERT_ADD_NO_THIN	0x1u	/* every delta base inside the pack (§4.1) */
#define ADVERT_ADD_PUSH_OPTIONS	0x2u	/* let clients send -o (§4.2) */
#define ADVERT_DROP_PUSH_CERT	0x4u	/* hide push-cert=: clients then never sign */

struct advert_info {
	unsigned hexsz;		/* 40 or 64, from object-format= (default 40) */
	bool version1;		/* a "version 1" pkt was present */
	bool empty_repo;	/* the first ref is capabilities^{} */
	bool had_no_thin;	/* upstream already advertised no-thin */
	bool had_push_options;	/* upstream already advertised push-options */
	bool had_push_cert;	/* upstream advertised push-cert= */
	unsigned changed;	/* ADVERT_* flags that changed the caps */
};

/*
 * Rewrites the advertisement prefix in in[0..len) per flags, appending
 * the new prefix to out and setting *consumed to the input bytes it
 * replaces.  info (may be NULL) describes what was found.  Errors above.
 */
int advert_rewrite(const uint8_t *in, size_t len, unsigned flags, struct buf *out,
		   size_t *consumed, struct advert_info *info);

#endif
