/*
 * validate.c - checksum, structure, entropy and placeholder filters for
 * confirmed matches (secrets.md §3 and §4).
 */
#include "core/base/api.h"
#include "core/match/validate.h"

#include <ctype.h>
#include <math.h>
#include <strings.h>
#include <zlib.h>

static const char base62[] =
	"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static bool is_base62(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool validate_crc32_base62(const char *s, size_t len)
{
	const char *us = memchr(s, '_', len < 8 ? len : 8);
	const char *body;
	char enc[6];
	uint32_t crc;
	size_t i;

	if (!us)
		return false;
	body = us + 1;
	if ((size_t)(s + len - body) != 36)
		return false;
	for (i = 0; i < 36; i++)
		if (!is_base62(body[i]))
			return false;
	crc = (uint32_t)crc32(0L, (const Bytef *)body, 30);
	for (i = 6; i-- > 0;) {
		enc[i] = base62[crc % 62];
		crc /= 62;
	}
	return memcmp(enc, body + 30, 6) == 0;
}

static int b64url_val(char c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '-' || c == '+') return 62;
	if (c == '_' || c == '/') return 63;
	return -1;
}

/* Decodes up to max bytes of a base64url part into out; returns the
 * decoded length or -1 on a bad character. */
static long b64url_decode(const char *s, size_t len, uint8_t *out, size_t max)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0, i;

	for (i = 0; i < len; i++) {
		int v;

		if (s[i] == '=')
			break;
		v = b64url_val(s[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n < max)
				out[n++] = (uint8_t)(acc >> bits);
		}
	}
	return (long)n;
}

static bool json_object_part(const char *s, size_t len, bool need_alg)
{
	uint8_t tmp[2048];
	long n = b64url_decode(s, len, tmp, sizeof(tmp));
	long i = 0, j;

	if (n < 2)
		return false;
	while (i < n && isspace(tmp[i]))
		i++;
	j = n - 1;
	if ((size_t)len * 3 / 4 <= sizeof(tmp))
		while (j > i && isspace(tmp[j]))
			j--;
	if (tmp[i] != '{')
		return false;
	if ((size_t)len * 3 / 4 <= sizeof(tmp) && tmp[j] != '}')
		return false;
	if (need_alg && !memmem(tmp, (size_t)n, "\"alg\"", 5))
		return false;
	return true;
}

bool validate_jwt(const char *s, size_t len)
{
	const char *d1 = memchr(s, '.', len);
	const char *d2;

	if (!d1)
		return false;
	d2 = memchr(d1 + 1, '.', (size_t)(s + len - d1 - 1));
	if (!d2)
		return false;
	return json_object_part(s, (size_t)(d1 - s), true) &&
	       json_object_part(d1 + 1, (size_t)(d2 - d1 - 1), false);
}

double entropy_shannon(const char *s, size_t len)
{
	unsigned counts[256] = { 0 };
	double h = 0.0;
	size_t i;

	if (len == 0)
		return 0.0;
	for (i = 0; i < len; i++)
		counts[(unsigned char)s[i]]++;
	for (i = 0; i < 256; i++) {
		if (counts[i]) {
			double p = (double)counts[i] / (double)len;

			h -= p * log2(p);
		}
	}
	return h;
}

static bool contains_ci(const char *s, size_t len, const char *word)
{
	size_t wl = strlen(word), i;

	if (wl > len)
		return false;
	for (i = 0; i + wl <= len; i++)
		if (strncasecmp(s + i, word, wl) == 0)
			return true;
	return false;
}

static bool equals_ci(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(s, word, len) == 0;
}

bool validate_is_placeholder(const char *s, size_t len)
{
	static const char *const markers[] = {
		"example", "placeholder", "redacted", "changeme", "change_me",
		"your_", "your-", "dummy", "sample", "fake", "xxxx", "${", "{{",
		"$(", "process.env", "os.environ", "getenv", "env(", "env.",
		"<", "*****", "....", "insert", "replace_me", "replaceme",
	};
	static const char *const fillers[] = {
		"true", "false", "null", "none", "nil", "undefined", "password",
		"secret", "token", "string", "value", "test", "testing",
	};
	size_t i, same = 1;

	if (len == 0)
		return true;
	for (i = 0; i < ARRAY_SIZE(markers); i++)
		if (contains_ci(s, len, markers[i]))
			return true;
	for (i = 0; i < ARRAY_SIZE(fillers); i++)
		if (equals_ci(s, len, fillers[i]))
			return true;
	/* %VAR% (Windows), $VAR and @VAR@ (autoconf) references. */
	if (len >= 3 && ((s[0] == '%' && s[len - 1] == '%') || (s[0] == '@' && s[len - 1] == '@')))
		return true;
	if (s[0] == '$' && len > 1 && (isupper((unsigned char)s[1]) || s[1] == '_'))
		return true;
	for (i = 1; i < len; i++)
		if (s[i] == s[0])
			same++;
	/* one repeated character, or nearly so ("aaaaaaaaaab") */
	if (len >= 4 && same * 10 >= len * 9)
		return true;
	return false;
}

static bool all_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static bool is_uuid(const char *s, size_t len)
{
	static const size_t dash[] = { 8, 13, 18, 23 };
	size_t i, d = 0;

	if (len != 36)
		return false;
	for (i = 0; i < len; i++) {
		if (d < 4 && i == dash[d]) {
			if (s[i] != '-')
				return false;
			d++;
		} else if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

bool validate_is_benign_identifier(const char *s, size_t len)
{
	if (is_uuid(s, len))
		return true;
	if ((len == 32 || len == 40 || len == 64 || len == 128) && all_hex(s, len))
		return true;
	if (len > 7 && (strncmp(s, "sha512-", 7) == 0 || strncmp(s, "sha384-", 7) == 0 ||
			strncmp(s, "sha256-", 7) == 0 || strncmp(s, "sha1-", 5) == 0))
		return true;
	if (len > 3 && strncmp(s, "h1:", 3) == 0)
		return true;
	return false;
}
