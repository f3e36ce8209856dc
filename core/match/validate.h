/*
 * validate.h - offline checks applied after a match is confirmed
 * (secrets.md §3, §4).  All run in O(length of the secret) and allocate
 * nothing.
 */
#ifndef SLUICE_MATCH_VALIDATE_H
#define SLUICE_MATCH_VALIDATE_H

#include "core/base/api.h"

/* GitHub classic tokens (ghp_, gho_, ghu_, ghs_, ghr_) and npm_ tokens:
 * prefix "xxx_" + 30 base62 characters + 6 base62 characters that encode
 * the CRC-32 (zlib) of the 30, alphabet 0-9A-Za-z, left-padded with '0'.
 * s is the whole token including its prefix.  True when well formed. */
bool validate_crc32_base62(const char *s, size_t len);

/* JWT: three base64url parts separated by '.', the first two decode to
 * JSON objects ('{' ... '}') and the header names an "alg".  Structural
 * only: the signature is not checked. */
bool validate_jwt(const char *s, size_t len);

/* Shannon entropy of s in bits per character (0 for empty input). */
double entropy_shannon(const char *s, size_t len);

/* True when s is a template or environment reference, a filler, or a
 * documentation example rather than a credential (secrets.md §4):
 * ${...}, {{...}}, $(...), %VAR%, <your-token>, process.env, os.environ,
 * getenv, marker words (EXAMPLE, PLACEHOLDER, REDACTED, CHANGEME, YOUR_,
 * DUMMY, SAMPLE, FAKE), runs of x, one repeated character, true/false/
 * null/none, empty. */
bool validate_is_placeholder(const char *s, size_t len);

/* For generic (warn-tier) rules only: values that are identifiers or
 * digests, not secrets: UUIDs, 40/64-hex object ids and digests, SRI
 * integrity strings (sha512-...), go.sum h1: hashes. */
bool validate_is_benign_identifier(const char *s, size_t len);

#endif
