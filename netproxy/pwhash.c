/*
 * pwhash.c - PBKDF2-HMAC-SHA256, HMAC-SHA256 and constant-time equality
 * from OpenSSL libcrypto (see pwhash.h for why this is a file apart).
 */
#include "core/base/api.h"
#include "netproxy/pwhash.h"

#include <limits.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

bool pwhash_pbkdf2_sha256(const void *password, size_t len, const uint8_t *salt,
			  size_t salt_len, unsigned iterations, uint8_t out[PWHASH_BYTES])
{
	if (len > INT_MAX || salt_len > INT_MAX || iterations > INT_MAX)
		return false;
	return PKCS5_PBKDF2_HMAC(password, (int)len, salt, (int)salt_len, (int)iterations,
				 EVP_sha256(), PWHASH_BYTES, out) == 1;
}

bool pwhash_hmac_sha256(const uint8_t *key, size_t key_len, const void *data, size_t len,
			uint8_t out[PWHASH_BYTES])
{
	unsigned int n = 0;

	if (key_len > INT_MAX)
		return false;
	return HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &n) != NULL &&
	       n == PWHASH_BYTES;
}

bool pwhash_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}
