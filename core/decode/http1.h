/*
 * http1.h - HTTP/1.1 request and response head parser (RFC 9112 §2-§6,
 * RFC 9110 §5), push-fed, with the caps and the strictness a proxy that
 * must never disagree with its upstream about message framing needs.
 *
 * Implements struct decoder_type: feed bytes from the connection; the
 * decoder returns DEC_STOP right after the blank line that ends the head
 * and leaves the body bytes unconsumed.  Nothing is written to the sink.
 * The parsed head is then available from http1_head_peek() (and, if
 * given, passed to params->on_head) until release.
 *
 * Accepted:
 *  - request:  method SP request-target SP HTTP-version CRLF, then fields.
 *    Empty lines (CRLF) before the request line are skipped (RFC 9112 §2.2)
 *    but count towards the head cap.
 *  - response: HTTP-version SP 3DIGIT [SP reason-phrase] CRLF, then fields;
 *    the SP before an empty reason may be missing.
 *  - HTTP-version "HTTP/1." DIGIT; minor versions above 1 are treated as 1.1.
 *  - field-name a token (RFC 9110 §5.1), ':' straight after it; field-value
 *    with OWS trimmed, bytes VCHAR, obs-text, SP, HTAB.
 * Rejected (ERR_SYNTAX unless noted; http1_why() names the rule):
 *  - NUL anywhere; CR not followed by LF; LF without CR (RFC 9112 §2.2
 *    allows a lone LF; a proxy must not, or it and the upstream may split
 *    the stream differently);
 *  - obs-fold (a line starting with SP/HTAB, §5.2); whitespace between a
 *    field name and ':' (§5.1: MUST reject); empty or non-token names;
 *    control bytes in values;
 *  - a bad start line, method, target (only 0x21-0x7e), status (100-599);
 *  - another major version: ERR_UNSUPPORTED;
 *  - Transfer-Encoding and Content-Length together (§6.3: smuggling);
 *    Transfer-Encoding other than exactly "chunked" once and last
 *    (ERR_UNSUPPORTED: we only decode chunked); Transfer-Encoding in an
 *    HTTP/1.0 message (§6.1);
 *  - Content-Length not 1*DIGIT, or several differing values (in one list
 *    or on several lines; identical repeats are accepted, RFC 9110 §8.6);
 *    a value above UINT64_MAX: ERR_OVERFLOW;
 *  - an HTTP/1.1 request without exactly one Host field (§3.2);
 *  - a head above max_head_bytes, or more than max_headers fields:
 *    ERR_LIMIT;
 *  - ERR_TRUNCATED from finish() before the blank line; ERR_NOMEM.
 * consumed counts the bytes before the offending one for byte-level
 * faults (NUL, bare CR/LF, the cap); for faults found when the whole head
 * is parsed it counts the whole head.
 *
 * Caveats: all name/value/method/target/reason pointers point into a
 * buffer the parser owns, are NUL-terminated at their length (the parser
 * overwrites the delimiter after each), and stay valid until release.
 * The struct is public so callers can embed it; its fields are private.
 */
#ifndef SLUICE_DECODE_HTTP1_H
#define SLUICE_DECODE_HTTP1_H

#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/decode/decoder-t.h"

extern const struct decoder_type http1_decoder;

enum http1_kind {
	HTTP1_REQUEST,
	HTTP1_RESPONSE,
};

/* How the body after a head is framed (RFC 9112 §6.3). */
enum http1_body {
	HTTP1_BODY_NONE,	/* no body */
	HTTP1_BODY_LENGTH,	/* content_length bytes (may be 0) */
	HTTP1_BODY_CHUNKED,	/* chunked transfer coding: use dec_chunked */
	HTTP1_BODY_CLOSE,	/* response body runs until the connection closes */
};

struct http1_header {
	const char *name;	/* field name as sent, NUL-terminated */
	size_t name_len;
	const char *value;	/* OWS-trimmed value, NUL-terminated */
	size_t value_len;
};

struct http1_head {
	enum http1_kind kind;		/* request or response */
	const char *method;		/* request: method token */
	size_t method_len;
	const char *target;		/* request: request-target as sent */
	size_t target_len;
	unsigned status;		/* response: 100-599 */
	const char *reason;		/* response: reason phrase (may be "") */
	size_t reason_len;
	unsigned minor;			/* HTTP/1.<minor> */
	const struct http1_header *headers;	/* in order of arrival */
	size_t nheaders;
	/* Derived from the fields: */
	bool chunked;			/* Transfer-Encoding: chunked */
	bool has_length;		/* Content-Length present */
	uint64_t content_length;	/* with has_length */
	bool keep_alive;		/* connection persists after this message */
	bool expect_continue;		/* Expect: 100-continue */
	bool expect_other;		/* Expect with another value (answer 417) */
	size_t head_bytes;		/* bytes consumed, blank line included */
};

struct http1_params {
	enum http1_kind kind;		/* which start line to expect */
	/* Called once when the head is complete; may be NULL. */
	void (*on_head)(void *arg, const struct http1_head *head);
	void *arg;
	size_t max_head_bytes;		/* 0 = LIMIT_HTTP_HEAD_BYTES */
	size_t max_headers;		/* 0 = LIMIT_HTTP_HEADERS */
};

enum http1_why {
	HTTP1_WHY_NONE,
	HTTP1_WHY_NUL,			/* NUL byte in the head */
	HTTP1_WHY_BARE_CR,		/* CR not followed by LF */
	HTTP1_WHY_BARE_LF,		/* LF without CR */
	HTTP1_WHY_HEAD_LIMIT,		/* head above max_head_bytes */
	HTTP1_WHY_HEADERS_LIMIT,	/* more than max_headers fields */
	HTTP1_WHY_START_LINE,		/* malformed request or status line */
	HTTP1_WHY_METHOD,		/* method is not a token */
	HTTP1_WHY_TARGET,		/* bad byte in the request-target */
	HTTP1_WHY_VERSION,		/* malformed HTTP-version */
	HTTP1_WHY_VERSION_UNSUPPORTED,	/* not HTTP/1.x */
	HTTP1_WHY_STATUS,		/* status code not 100-599 */
	HTTP1_WHY_OBS_FOLD,		/* field line starting with SP/HTAB */
	HTTP1_WHY_FIELD_NAME,		/* empty or non-token name, space before ':' */
	HTTP1_WHY_FIELD_VALUE,		/* control byte in a value */
	HTTP1_WHY_TE_AND_CL,		/* Transfer-Encoding and Content-Length */
	HTTP1_WHY_TE_UNSUPPORTED,	/* coding other than a single final chunked */
	HTTP1_WHY_TE_HTTP10,		/* Transfer-Encoding in HTTP/1.0 */
	HTTP1_WHY_CL_SYNTAX,		/* Content-Length not digits */
	HTTP1_WHY_CL_MISMATCH,		/* differing Content-Length values */
	HTTP1_WHY_CL_OVERFLOW,		/* Content-Length above 2^64-1 */
	HTTP1_WHY_HOST,			/* HTTP/1.1 request without exactly one Host */
	HTTP1_WHY_TRUNCATED,		/* input ended inside the head */
	HTTP1_WHY_NOMEM,		/* allocation failed */
};

/* Byte-level states while collecting the head. */
enum http1_state {
	HTTP1_LEAD,		/* request: skipping empty lines before the start */
	HTTP1_LEAD_LF,		/* request: CR of a leading empty line seen */
	HTTP1_LINE,		/* inside a line */
	HTTP1_LINE_LF,		/* CR at the end of a line seen */
	HTTP1_BOL,		/* at the start of a line after the start line */
	HTTP1_END_LF,		/* CR of the blank line seen */
	HTTP1_DONE,		/* head parsed: STOP */
	HTTP1_FAILED,		/* an error was returned */
};

struct http1 {
	enum http1_state state;		/* see enum http1_state */
	enum http1_why why;		/* reason of the last error */
	struct http1_params p;		/* params with defaults filled in */
	struct buf raw;			/* the head from the start line on */
	size_t seen;			/* head bytes consumed, leading CRLFs too */
	struct http1_header *fields;	/* p.max_headers entries */
	struct http1_head head;		/* valid in HTTP1_DONE */
};

enum http1_why http1_why(const struct http1 *h);
const char *http1_why_str(enum http1_why why);

/* The parsed head once feed returned DEC_STOP, else NULL.  Borrowed:
 * valid until release. */
const struct http1_head *http1_head_peek(const struct http1 *h);

/* The first field named `name` (case-insensitive) at index >= *iter, or
 * NULL; *iter is set past it, so repeated calls walk repeated fields.
 * iter may be NULL to get the first. */
const struct http1_header *http1_header_find(const struct http1_head *h, const char *name,
					     size_t *iter);

/* Whether a comma-separated field value (RFC 9110 §5.6.1) holds `token`,
 * compared case-insensitively; empty list elements and OWS are skipped.
 * Parameters (";q=1") are not stripped: "gzip;q=1" does not match "gzip". */
bool http1_list_has(const char *value, size_t len, const char *token);

/* The request's body framing (RFC 9112 §6.3 rules 3-6 after the parser's
 * checks): chunked, else Content-Length, else none. */
enum http1_body http1_request_body(const struct http1_head *h);
/* The response's body framing: none for a HEAD request, 1xx, 204 and
 * 304; then chunked, Content-Length, else until close. */
enum http1_body http1_response_body(const struct http1_head *h, bool request_was_head);

/*
 * The single content coding of the message.  0 with *name = NULL when
 * there is no Content-Encoding or it is "identity"; 0 with the coding name
 * (a slice of the field value, not NUL-terminated at name_len) when there
 * is exactly one; ERR_UNSUPPORTED when several codings are stacked (in a
 * list or on several lines), which the gate does not decode.
 */
int http1_content_coding(const struct http1_head *h, const char **name, size_t *name_len);

/* Case-sensitive method comparison (methods are case-sensitive, RFC 9110
 * §9.1). */
bool http1_method_is(const struct http1_head *h, const char *method);

#endif
