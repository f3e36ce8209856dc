/*
 * urlpath.h - one spelling for a request target before the gate routes it.
 *
 * Why: the gate decides from the path whether a request is a push
 * (".../git-receive-pack") and the upstream decides again from its own
 * reading of the same bytes.  If the two readings differ, a push can walk
 * past the gate: lighttpd and nginx decode "%2d" to "-" and resolve
 * "/x/../" before git http-backend sees PATH_INFO, so
 * "/app.git/git%2dreceive-pack" is a push upstream and would be a plain
 * request to a gate that compared bytes.  So the gate routes on the
 * canonical form and sends the upstream that same canonical form: both
 * then read one path.
 *
 * urlpath_canon() takes an origin-form target ("/path?query") and writes
 * the canonical target:
 *  - a percent-escape of an unreserved character (ALPHA DIGIT - . _ ~) is
 *    decoded (RFC 3986 §6.2.2.2: the two spellings are equivalent); other
 *    escapes are kept, with upper-case hex;
 *  - in the path, "." and ".." segments are removed (RFC 3986 §5.2.4)
 *    and runs of "/" become one;
 *  - the query is kept after the same escape normalisation.
 * Refused (ERR_SYNTAX, *why says which), because no git client sends them
 * and upstreams disagree on what they mean: a target not starting with
 * "/"; a malformed escape; an escaped "/", "\", NUL or control byte; a raw
 * byte outside visible ASCII or a raw "\" in the path; ".." above the
 * root.  ERR_LIMIT when out (cap bytes) is too small.
 */
#ifndef SLUICE_NETPROXY_URLPATH_H
#define SLUICE_NETPROXY_URLPATH_H

#include "core/base/api.h"

int urlpath_canon(const char *target, size_t len, char *out, size_t cap, const char **why);

#endif
