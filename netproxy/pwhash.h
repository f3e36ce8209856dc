/*
 * pwhash.h - the three OpenSSL libcrypto primitives auth.c needs:
 * PBKDF2-HMAC-SHA256 (RFC 8018 §5.2), HMAC-SHA256 (RFC 2104) and a
 * constant-time comparison.
 *
 * A file of its own because OpenSSL's headers declare a type named
 * ERR_STATE, which is also one of our error codes (core/base/err-t.h):
 * the two cannot meet in one translation unit.  libcrypto, not mbedTLS,
 * because it uses the CPU's SHA instructions: the same time buys about
 * three times the iterations.
 */
#ifndef SLUICE_NETPROXY_PWHASH_H
#define SLUICE_NETPROXY_PWHASH_H

#include "core/base/api.h"

/* Bytes of a SHA-256 output: the derived key and the HMAC. */
#define PWHASH_BYTES 32u

/* out = PBKDF2-HMAC-SHA256(password, salt, iterations), PWHASH_BYTES.
 * All lengths and iterations must fit an int.  false when libcrypto
 * fails (out of memory). */
bool pwhash_pbkdf2_sha256(const void *password, size_t len, const uint8_t *salt,
			  size_t salt_len, unsigned iterations, uint8_t out[PWHASH_BYTES]);

/* out = HMAC-SHA256(key, data), PWHASH_BYTES.  false when libcrypto
 * fails. */
bool pwhash_hmac_sha256(const uint8_t *key, size_t key_len, const void *data, size_t len,
			uint8_t out[PWHASH_BYTES]);

/* Whether a and b (n bytes each) are equal, in time that depends only
 * on n. */
bool pwhash_equal(const void *a, const void *b, size_t n);

#endif
