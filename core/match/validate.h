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

/* JWT (RFC 7519): three parts in the base64url alphabet (no '+', '/' or
 * padding) separated by '.'; the first two decode to well-formed JSON
 * objects (a strict parser: garbage after the object, bad escapes or
 * control characters fail), the header has an "alg" whose value is a JWA
 * name (RFC 7518, 8037) or "none".  The signature is not checked. */
bool validate_jwt(const char *s, size_t len);

/* Marvin (the keyed hash the .NET runtime and Microsoft's identifiable
 * keys use): the 64-bit state (high word << 32 | low word) after hashing p
 * under seed, and the 32-bit value identifiable keys carry (high ^ low). */
uint64_t marvin64(const uint8_t *p, size_t n, uint64_t seed);
uint32_t marvin32(const uint8_t *p, size_t n, uint64_t seed);

/* Azure identifiable keys (Storage, Cosmos DB, Service Bus, Event Hubs,
 * Relay, APIM, Functions, Search, Container Registry, Batch, Redis, IoT,
 * ML classic): base64 (base64url for Functions) whose text ends with a
 * 4-character service signature, then 6 characters holding the last 4
 * bytes, which are the little-endian Marvin32 of the bytes before them
 * under one of the service's seeds; '=' padding optional. */
bool validate_azure_identifiable(const char *s, size_t len);

/* Common Annotated Security Key (Azure AI services, OpenAI and other
 * newer keys): 84 base64 characters with "JQQJ9" at offset 52 and '9' or
 * 'D' after it; the last 4 characters are the base64 of the first three
 * little-endian bytes of Marvin32 over the decoded first 80 characters
 * (seed "Default0"). */
bool validate_azure_cask(const char *s, size_t len);

/* GitLab tokens (glpat-, ...): a legacy token is the prefix and exactly
 * 20 base64url characters (no checksum); a routable token (GitLab 17.x+)
 * is prefix + unpadded base64url B + ".01." + len(B) in 2 base-36 digits
 * + the CRC-32 of everything before in 7 base-36 digits (lower case).  B
 * decodes to 16 random bytes, a routing payload of "k:v" lines (keys c, g,
 * o, p, u, t) and one byte holding the payload's length. */
bool validate_gitlab_token(const char *s, size_t len);

/* Atlassian API and access tokens (ATATT3..., ATCTT3...): the last 8
 * characters are the upper-case hex CRC-32 (zlib) of everything before. */
bool validate_crc32_hex_suffix(const char *s, size_t len);

/* Grafana service account tokens: "glsa_" + 32 alphanumerics + '_' + 8
 * lower-case hex digits: the CRC-32 of the first 37 characters, its bytes
 * in little-endian order. */
bool validate_grafana_sa(const char *s, size_t len);

/* PyPI and TestPyPI upload tokens: "pypi-" + unpadded base64url of a
 * version 2 binary macaroon whose location is pypi.org or test.pypi.org,
 * with a non-empty identifier, well-formed caveat sections and a 32-byte
 * signature ending the blob. */
bool validate_pypi_macaroon(const char *s, size_t len);

/* AWS access key ids (AKIA, ASIA, ABIA, ACCA + 16 base32 characters): the
 * 16 characters decode to bits 7..46 carrying the account id, which must
 * be a 12-digit decimal number (< 10^12).  Rejects about 9% of random
 * ids; A3T... ids (older scheme) pass unchecked. */
bool validate_aws_key_id(const char *s, size_t len);

/* The first base64 line of a PEM private key decodes to the start of the
 * DER its BEGIN line announces:
 *   PKCS#1 RSA / DSA: SEQUENCE { INTEGER 0, INTEGER (long) ...
 *   PKCS#8:           SEQUENCE { INTEGER 0, SEQUENCE { OID ...
 *   SEC 1 EC:         SEQUENCE { INTEGER 1, OCTET STRING ...
 * Lengths must be definite and fit inside the outer SEQUENCE. */
bool validate_der_pkcs1(const char *s, size_t len);
bool validate_der_pkcs8(const char *s, size_t len);
bool validate_der_ec(const char *s, size_t len);

/* Content checks for files matched by name (path rules); p is the start
 * of the file, n at most RULE_PATH_HEAD_BYTES.
 *   pkcs12: PFX, a DER/BER SEQUENCE whose first element is INTEGER 3
 *   keystore: Java KeyStore (FE ED FE ED) or JCEKS (CE CE CE CE)
 *   kdbx: KeePass 2 (03 D9 A2 9A 67 FB 4B B5)
 *   pem-private-key: after blank space, a "-----BEGIN ... PRIVATE KEY"
 *   line or a PuTTY "PuTTY-User-Key-File-" header */
bool validate_pkcs12(const char *p, size_t n);
bool validate_keystore(const char *p, size_t n);
bool validate_kdbx(const char *p, size_t n);
bool validate_pem_private(const char *p, size_t n);

/* Every validator whose RULE_VALID_* bit is set in `validators` accepts
 * the secret (true when none is set). */
bool validate_secret(unsigned validators, const char *s, size_t len);

/* Shannon entropy of s in bits per character (0 for empty input). */
double entropy_shannon(const char *s, size_t len);

/* True when s is a template or environment reference, a filler, or a
 * documentation example rather than a credential:
 * ${...}, {{...}}, $(...), %VAR%, <your-token>, process.env, os.environ,
 * getenv, marker words (EXAMPLE, PLACEHOLDER, REDACTED, CHANGEME, YOUR_,
 * DUMMY, SAMPLE, FAKE), runs of x, one repeated character, true/false/
 * null/none, empty; and the few values published as examples everyone
 * has a copy of (the Azurite storage key, RFC 6749's example tokens). */
bool validate_is_placeholder(const char *s, size_t len);

/* For generic (warn-tier) rules only: values that are identifiers or
 * digests, not secrets: UUIDs, 40/64-hex object ids and digests, SRI
 * integrity strings (sha512-...), go.sum h1: hashes. */
bool validate_is_benign_identifier(const char *s, size_t len);

#endif
