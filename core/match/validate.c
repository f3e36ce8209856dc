/*
 * validate.c - checksum, structure, entropy and placeholder filters for
 * confirmed matches (secrets.md §3 and §4).
 */
#include "core/base/api.h"
#include "core/match/rule-t.h"
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

/* Base64 alphabets for b64_decode(). */
enum b64_alpha {
	B64_STD,	/* '+', '/' */
	B64_URL,	/* '-', '_' */
};

static int b64_val(char c, enum b64_alpha a)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (a == B64_URL ? '-' : '+'))
		return 62;
	if (c == (a == B64_URL ? '_' : '/'))
		return 63;
	return -1;
}

/* Decodes s into out, keeping the first max bytes; trailing '=' padding
 * (at most two) ends the input.  Returns the full decoded length (which
 * may exceed max), or -1 on a character outside the alphabet, on
 * anything after the padding, or on a length no encoder produces. */
static long b64_decode(const char *s, size_t len, enum b64_alpha a, uint8_t *out, size_t max)
{
	uint32_t acc = 0;
	size_t n = 0, i, pad = 0;
	int bits = 0;

	while (pad < 2 && len > 0 && s[len - 1] == '=') {
		len--;
		pad++;
	}
	if (len % 4 == 1 || (pad && (len + pad) % 4))
		return -1;
	for (i = 0; i < len; i++) {
		int v = b64_val(s[i], a);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n < max)
				out[n] = (uint8_t)(acc >> bits);
			n++;
		}
	}
	/* Canonical encodings only: the bits below the last byte are zero,
	 * so a changed final character cannot decode to the same bytes. */
	if (bits && (acc & ((1u << bits) - 1)))
		return -1;
	return (long)n;
}

/*
 * A strict JSON checker over a decoded buffer: RFC 8259 values with a
 * nesting bound.  It allocates nothing; json_value() advances *p.
 */
#define JSON_MAX_DEPTH 16

struct json_in {
	const uint8_t *p, *end;
};

static void json_ws(struct json_in *in)
{
	while (in->p < in->end && (*in->p == ' ' || *in->p == '\t' || *in->p == '\n' ||
				   *in->p == '\r'))
		in->p++;
}

static bool json_lit(struct json_in *in, const char *word)
{
	size_t l = strlen(word);

	if ((size_t)(in->end - in->p) < l || memcmp(in->p, word, l) != 0)
		return false;
	in->p += l;
	return true;
}

/* A string; its raw body (escapes not undone) in *body, *blen. */
static bool json_string(struct json_in *in, const uint8_t **body, size_t *blen)
{
	const uint8_t *b;

	if (in->p >= in->end || *in->p != '"')
		return false;
	b = ++in->p;
	while (in->p < in->end && *in->p != '"') {
		uint8_t c = *in->p++;

		if (c < 0x20)
			return false;
		if (c != '\\')
			continue;
		if (in->p >= in->end)
			return false;
		c = *in->p++;
		if (c == 'u') {
			int k;

			for (k = 0; k < 4; k++, in->p++)
				if (in->p >= in->end || hex_digit_value(*in->p) < 0)
					return false;
		} else if (!strchr("\"\\/bfnrt", c) || c == 0) {
			return false;
		}
	}
	if (in->p >= in->end)
		return false;
	if (body) {
		*body = b;
		*blen = (size_t)(in->p - b);
	}
	in->p++;
	return true;
}

static bool json_digits(struct json_in *in)
{
	const uint8_t *s = in->p;

	while (in->p < in->end && *in->p >= '0' && *in->p <= '9')
		in->p++;
	return in->p > s;
}

static bool json_number(struct json_in *in)
{
	if (in->p < in->end && *in->p == '-')
		in->p++;
	if (in->p < in->end && *in->p == '0')
		in->p++;
	else if (!json_digits(in))
		return false;
	if (in->p < in->end && *in->p == '.') {
		in->p++;
		if (!json_digits(in))
			return false;
	}
	if (in->p < in->end && (*in->p == 'e' || *in->p == 'E')) {
		in->p++;
		if (in->p < in->end && (*in->p == '+' || *in->p == '-'))
			in->p++;
		if (!json_digits(in))
			return false;
	}
	return true;
}

static bool json_value(struct json_in *in, int depth);

/* An object or array after its opening bracket was consumed. */
static bool json_members(struct json_in *in, int depth, bool object)
{
	uint8_t close = object ? '}' : ']';

	json_ws(in);
	if (in->p < in->end && *in->p == close) {
		in->p++;
		return true;
	}
	for (;;) {
		json_ws(in);
		if (object) {
			if (!json_string(in, NULL, NULL))
				return false;
			json_ws(in);
			if (in->p >= in->end || *in->p++ != ':')
				return false;
		}
		if (!json_value(in, depth + 1))
			return false;
		json_ws(in);
		if (in->p >= in->end)
			return false;
		if (*in->p == close) {
			in->p++;
			return true;
		}
		if (*in->p++ != ',')
			return false;
	}
}

static bool json_value(struct json_in *in, int depth)
{
	if (depth > JSON_MAX_DEPTH)
		return false;
	json_ws(in);
	if (in->p >= in->end)
		return false;
	switch (*in->p) {
	case '{':
		in->p++;
		return json_members(in, depth, true);
	case '[':
		in->p++;
		return json_members(in, depth, false);
	case '"':
		return json_string(in, NULL, NULL);
	case 't':
		return json_lit(in, "true");
	case 'f':
		return json_lit(in, "false");
	case 'n':
		return json_lit(in, "null");
	default:
		return json_number(in);
	}
}

/* The whole buffer is one JSON object (whitespace around it allowed). */
static bool json_is_object(const uint8_t *p, size_t n)
{
	struct json_in in = { p, p + n };

	json_ws(&in);
	if (in.p >= in.end || *in.p != '{' || !json_value(&in, 0))
		return false;
	json_ws(&in);
	return in.p == in.end;
}

/* The "alg" member of a top-level object (already checked well formed)
 * is a string naming a JWA algorithm or "none". */
static bool jwt_alg_known(const uint8_t *p, size_t n)
{
	static const char *const algs[] = {
		"none", "HS256", "HS384", "HS512", "RS256", "RS384", "RS512",
		"ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA",
		"ES256K", "Ed25519", "Ed448",
	};
	struct json_in in = { p, p + n };
	bool found = false;

	json_ws(&in);
	in.p++;			/* '{' */
	for (;;) {
		const uint8_t *key, *val;
		size_t klen, vlen, i;

		json_ws(&in);
		if (in.p >= in.end || *in.p == '}')
			return found;
		if (!json_string(&in, &key, &klen))
			return false;
		json_ws(&in);
		in.p++;		/* ':' */
		json_ws(&in);
		if (klen == 3 && memcmp(key, "alg", 3) == 0) {
			if (found || !json_string(&in, &val, &vlen))
				return false;	/* duplicate or not a string */
			for (i = 0; i < ARRAY_SIZE(algs); i++)
				if (strlen(algs[i]) == vlen && memcmp(val, algs[i], vlen) == 0)
					break;
			if (i == ARRAY_SIZE(algs))
				return false;
			found = true;
		} else if (!json_value(&in, 1)) {
			return false;
		}
		json_ws(&in);
		if (in.p < in.end && *in.p == ',')
			in.p++;
	}
}

/* Decoded parts are bounded by the JWT rule's width (about 2 KB of text
 * per part). */
#define JWT_PART_MAX 2048

static bool jwt_part(const char *s, size_t len, bool header)
{
	uint8_t tmp[JWT_PART_MAX];
	long n;
	size_t i;

	for (i = 0; i < len; i++)
		if (b64_val(s[i], B64_URL) < 0)
			return false;	/* '=' padding, '+', '/' are not JWS */
	n = b64_decode(s, len, B64_URL, tmp, sizeof(tmp));
	if (n < 2 || (size_t)n > sizeof(tmp) || !json_is_object(tmp, (size_t)n))
		return false;
	return !header || jwt_alg_known(tmp, (size_t)n);
}

bool validate_jwt(const char *s, size_t len)
{
	const char *d1 = memchr(s, '.', len);
	const char *d2, *sig;
	size_t i;

	if (!d1)
		return false;
	d2 = memchr(d1 + 1, '.', (size_t)(s + len - d1 - 1));
	if (!d2)
		return false;
	for (sig = d2 + 1, i = 0; sig + i < s + len; i++)
		if (b64_val(sig[i], B64_URL) < 0)
			return false;
	return jwt_part(s, (size_t)(d1 - s), true) &&
	       jwt_part(d1 + 1, (size_t)(d2 - d1 - 1), false);
}

static uint32_t rotl32(uint32_t v, int k)
{
	return (v << k) | (v >> (32 - k));
}

static void marvin_mix(uint32_t *lo, uint32_t *hi)
{
	*hi ^= *lo;
	*lo = rotl32(*lo, 20);
	*lo += *hi;
	*hi = rotl32(*hi, 9);
	*hi ^= *lo;
	*lo = rotl32(*lo, 27);
	*lo += *hi;
	*hi = rotl32(*hi, 19);
}

uint64_t marvin64(const uint8_t *p, size_t n, uint64_t seed)
{
	uint32_t lo = (uint32_t)seed, hi = (uint32_t)(seed >> 32), last = 0x80;
	size_t i;

	for (; n >= 4; p += 4, n -= 4) {
		lo += (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		      (uint32_t)p[3] << 24;
		marvin_mix(&lo, &hi);
	}
	/* The tail, then a 0x80 byte as terminator, little-endian. */
	for (i = n; i-- > 0;)
		last = (last << 8) | p[i];
	lo += last;
	marvin_mix(&lo, &hi);
	marvin_mix(&lo, &hi);
	return (uint64_t)hi << 32 | lo;
}

uint32_t marvin32(const uint8_t *p, size_t n, uint64_t seed)
{
	uint64_t h = marvin64(p, n, seed);

	return (uint32_t)(h >> 32) ^ (uint32_t)h;
}

/* Service signatures and the checksum seeds their keys are made with
 * (Microsoft's published identifiable-key metadata). */
static const struct azure_family {
	char sig[5];
	enum b64_alpha alpha;
	uint64_t seeds[4];
} azure_families[] = {
	{ "+ASt", B64_STD, { 0x44656661756c7430 } },			/* Storage */
	{ "ACDb", B64_STD, { 0x4d617374524f3030, 0x4d61737452573030 } },	/* Cosmos DB */
	{ "+ASb", B64_STD, { 0x53656e6430303030, 0x4c697374656e3030,	/* Service Bus */
			     0x4d616e6167653030, 0x53797374656d3030 } },
	{ "+AEh", B64_STD, { 0x53656e6430303030, 0x4c697374656e3030,	/* Event Hubs */
			     0x4d616e6167653030, 0x53797374656d3030 } },
	{ "+ARm", B64_STD, { 0x53656e6430303030, 0x4c697374656e3030,	/* Relay */
			     0x4d616e6167653030 } },
	{ "APIM", B64_STD, { 0x54656e616e743030, 0x496f544875623030,	/* API Management */
			     0x4761746577793030, 0x4769744b65793030 } },
	{ "AzFu", B64_URL, { 0x46756e6374693030, 0x53797374656d3030,	/* Functions */
			     0x4d61737465723030 } },
	{ "AzSe", B64_STD, { 0x5175657279303030, 0x5041646d696e3030 } },	/* AI Search */
	{ "+ACR", B64_STD, { 0x41435244666c7430 } },			/* Container Registry */
	{ "+ABa", B64_STD, { 0x4162416363743030 } },			/* Batch */
	{ "AzCa", B64_STD, { 0x4163636573733030 } },			/* Cache for Redis */
	{ "AIoT", B64_STD, { 0x496f544875623030, 0x4470734b65793030,	/* IoT Hub, DPS, device */
			     0x4465766963653030 } },
	{ "+AMC", B64_STD, { 0x436c617373696330 } },			/* ML classic */
};

/* Identifiable keys are 24 to 4096 bytes; the longest one we match is 64. */
#define AZURE_KEY_MAX 96

bool validate_azure_identifiable(const char *s, size_t len)
{
	uint8_t raw[AZURE_KEY_MAX];
	size_t tl = len, i, k;

	while (tl > 0 && s[tl - 1] == '=')
		tl--;
	if (tl < 32 || tl > AZURE_KEY_MAX * 4 / 3)
		return false;
	for (i = 0; i < ARRAY_SIZE(azure_families); i++) {
		const struct azure_family *f = &azure_families[i];
		long n;
		uint32_t want;

		if (memcmp(s + tl - 10, f->sig, 4) != 0)
			continue;
		n = b64_decode(s, len, f->alpha, raw, sizeof(raw));
		if (n < 24 || (size_t)n > sizeof(raw))
			return false;
		want = (uint32_t)raw[n - 4] | (uint32_t)raw[n - 3] << 8 |
		       (uint32_t)raw[n - 2] << 16 | (uint32_t)raw[n - 1] << 24;
		for (k = 0; k < ARRAY_SIZE(f->seeds) && f->seeds[k]; k++)
			if (marvin32(raw, (size_t)n - 4, f->seeds[k]) == want)
				return true;
		return false;
	}
	return false;
}

#define CASK_LEN 84
#define CASK_SEED 0x44656661756c7430	/* "Default0" */

bool validate_azure_cask(const char *s, size_t len)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint8_t raw[CASK_LEN];
	uint32_t c;
	size_t i;

	if (len != CASK_LEN || memcmp(s + 52, "JQQJ9", 5) != 0 || (s[57] != '9' && s[57] != 'D'))
		return false;
	for (i = 0; i < len; i++)
		if (!is_base62(s[i]))
			return false;
	if (b64_decode(s, CASK_LEN - 4, B64_STD, raw, sizeof(raw)) != 60)
		return false;
	c = marvin32(raw, 60, CASK_SEED);
	/* base64 of the checksum's three low bytes, little-endian order */
	return s[80] == b64[(c >> 2) & 63] &&
	       s[81] == b64[((c & 3) << 4) | ((c >> 12) & 15)] &&
	       s[82] == b64[((c >> 8) & 15) << 2 | ((c >> 22) & 3)] &&
	       s[83] == b64[(c >> 16) & 63];
}

/* v in base 36, lower case, left-padded with '0' to exactly w digits. */
static bool base36_is(const char *s, size_t w, uint32_t v)
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	size_t i;

	for (i = w; i-- > 0; v /= 36)
		if (s[i] != digits[v % 36])
			return false;
	return v == 0;
}

/* The routing payload: "k:v" lines joined by '\n', keys from GitLab's set. */
static bool gitlab_payload(const uint8_t *p, size_t n)
{
	size_t i = 0;

	if (n == 0)
		return false;
	while (i < n) {
		size_t v;

		if (n - i < 3 || p[i] == 0 || !strchr("cgoptu", p[i]) || p[i + 1] != ':')
			return false;
		i += 2;
		for (v = i; i < n && p[i] != '\n'; i++)
			if (p[i] < 0x21 || p[i] > 0x7e)
				return false;
		if (i == v)
			return false;	/* empty value */
		if (i < n)
			i++;		/* the '\n' */
	}
	return p[n - 1] != '\n';
}

#define GITLAB_RANDOM_BYTES 16
#define GITLAB_B64_MAX 300

bool validate_gitlab_token(const char *s, size_t len)
{
	uint8_t raw[GITLAB_B64_MAX];
	const char *dash = memchr(s, '-', MIN(len, (size_t)32));
	size_t body, blen, i;
	long n;

	if (!dash)
		return false;
	body = (size_t)(dash + 1 - s);
	if (!memchr(s + body, '.', len - body)) {
		/* legacy: 20 characters, no checksum */
		if (len - body != 20)
			return false;
		for (i = body; i < len; i++)
			if (b64_val(s[i], B64_URL) < 0)
				return false;
		return true;
	}
	if (len < body + 4 + 2 + 7 + 1 || memcmp(s + len - 13, ".01.", 4) != 0)
		return false;
	blen = len - 13 - body;
	if (!base36_is(s + len - 9, 2, (uint32_t)blen) ||
	    !base36_is(s + len - 7, 7, (uint32_t)crc32(0L, (const Bytef *)s, (uInt)(len - 7))))
		return false;
	for (i = body; i < body + blen; i++)
		if (b64_val(s[i], B64_URL) < 0)
			return false;
	n = b64_decode(s + body, blen, B64_URL, raw, sizeof(raw));
	if (n < GITLAB_RANDOM_BYTES + 2 || (size_t)n > sizeof(raw) ||
	    raw[n - 1] != (uint8_t)(n - GITLAB_RANDOM_BYTES - 1))
		return false;
	return gitlab_payload(raw + GITLAB_RANDOM_BYTES, (size_t)n - GITLAB_RANDOM_BYTES - 1);
}

static bool is_upper_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

bool validate_crc32_hex_suffix(const char *s, size_t len)
{
	uint32_t crc;
	size_t i;

	if (len < 9)
		return false;
	for (i = len - 8; i < len; i++)
		if (!is_upper_hex(s[i]))
			return false;
	crc = (uint32_t)crc32(0L, (const Bytef *)s, (uInt)(len - 8));
	for (i = 0; i < 8; i++)
		if (hex_digit_value(s[len - 8 + i]) != (int)((crc >> (28 - 4 * i)) & 15))
			return false;
	return true;
}

bool validate_grafana_sa(const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	uint32_t crc;
	size_t i;

	if (len != 46 || memcmp(s, "glsa_", 5) != 0 || s[37] != '_')
		return false;
	for (i = 5; i < 37; i++)
		if (!is_base62(s[i]))
			return false;
	crc = (uint32_t)crc32(0L, (const Bytef *)s, 37);
	for (i = 0; i < 4; i++, crc >>= 8)
		if (s[38 + 2 * i] != hex[(crc >> 4) & 15] || s[39 + 2 * i] != hex[crc & 15])
			return false;
	return true;
}

/*
 * Version 2 binary macaroons (libmacaroons format): a version byte 2,
 * then sections of fields, each field a varint type and a varint length
 * and the data; type 0 (EOS) ends a section.  The header section has a
 * location (1) and an identifier (2); each caveat section an optional
 * location, an identifier and an optional verification id (4); an empty
 * section ends the caveats; a signature field (6) of 32 bytes ends all.
 */
struct mac_in {
	const uint8_t *p, *end;
};

static bool mac_varint(struct mac_in *in, uint32_t *v)
{
	int shift;

	*v = 0;
	for (shift = 0; shift < 28; shift += 7) {
		if (in->p >= in->end)
			return false;
		*v |= (uint32_t)(*in->p & 0x7f) << shift;
		if (!(*in->p++ & 0x80))
			return true;
	}
	return false;
}

/* One field: its type, and for types other than EOS its data. */
static bool mac_field(struct mac_in *in, uint32_t *type, const uint8_t **data, uint32_t *dlen)
{
	if (!mac_varint(in, type))
		return false;
	if (*type == 0)
		return true;
	if (!mac_varint(in, dlen) || *dlen > (size_t)(in->end - in->p))
		return false;
	*data = in->p;
	in->p += *dlen;
	return true;
}

/* A caveat section; *empty when it is the empty end-of-caveats section. */
static bool mac_caveat(struct mac_in *in, bool *empty)
{
	uint32_t type, dlen = 0, last = 0;
	const uint8_t *data;
	bool id = false;

	*empty = true;
	for (;;) {
		if (!mac_field(in, &type, &data, &dlen))
			return false;
		if (type == 0)
			return *empty || id;
		/* fields in increasing order: location, identifier, vid */
		if ((type != 1 && type != 2 && type != 4) || type <= last)
			return false;
		last = type;
		*empty = false;
		if (type == 2)
			id = dlen > 0;
	}
}

/* Large enough for PyPI tokens with many caveats; the rule's width is
 * smaller still. */
#define MACAROON_MAX 2048

bool validate_pypi_macaroon(const char *s, size_t len)
{
	uint8_t raw[MACAROON_MAX];
	struct mac_in in;
	const uint8_t *data = NULL;
	uint32_t type, dlen = 0;
	long n;
	bool empty;
	int caveats = 0;

	if (len < 6 || memcmp(s, "pypi-", 5) != 0)
		return false;
	n = b64_decode(s + 5, len - 5, B64_URL, raw, sizeof(raw));
	if (n < 1 || (size_t)n > sizeof(raw) || raw[0] != 2)
		return false;
	in.p = raw + 1;
	in.end = raw + n;
	if (!mac_field(&in, &type, &data, &dlen) || type != 1 ||
	    !((dlen == 8 && memcmp(data, "pypi.org", 8) == 0) ||
	      (dlen == 13 && memcmp(data, "test.pypi.org", 13) == 0)))
		return false;
	if (!mac_field(&in, &type, &data, &dlen) || type != 2 || dlen == 0)
		return false;
	if (!mac_field(&in, &type, &data, &dlen) || type != 0)
		return false;
	do {
		if (!mac_caveat(&in, &empty) || ++caveats > 64)
			return false;
	} while (!empty);
	if (!mac_field(&in, &type, &data, &dlen) || type != 6 || dlen != 32)
		return false;
	return in.p == in.end;
}

bool validate_aws_key_id(const char *s, size_t len)
{
	uint64_t bits = 0;
	size_t i;

	if (len != 20)
		return false;
	if (memcmp(s, "A3T", 3) == 0)
		return true;
	/* 16 base32 characters (RFC 4648 alphabet); the account id is in
	 * the first 48 of their 80 bits, so 10 characters (50 bits) do. */
	for (i = 4; i < 20; i++) {
		char c = s[i];
		int v;

		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= '2' && c <= '7')
			v = c - '2' + 26;
		else
			return false;
		if (i < 14)
			bits = bits << 5 | (uint64_t)v;
	}
	bits >>= 2;
	return ((bits & 0x7fffffffff80ull) >> 7) < 1000000000000ull;
}

/*
 * DER: definite lengths only.  der_hdr() reads a tag and length at *p and
 * leaves *p at the contents.
 */
static bool der_hdr(const uint8_t **p, const uint8_t *end, uint8_t tag, size_t *clen)
{
	size_t n, k;

	if (end - *p < 2 || **p != tag)
		return false;
	(*p)++;
	n = *(*p)++;
	if (n < 0x80) {
		*clen = n;
		return true;
	}
	k = n & 0x7f;
	if (k == 0 || k > 3 || (size_t)(end - *p) < k)
		return false;
	for (n = 0; k > 0; k--)
		n = n << 8 | *(*p)++;
	if (n < 0x80)
		return false;	/* DER uses the short form when it can */
	*clen = n;
	return true;
}

/* The first base64 line of a key decodes to this many bytes at most. */
#define PEM_LINE_MAX 64

/* Decodes the line and reads the outer SEQUENCE and the version INTEGER;
 * *p is left after the version. */
static bool der_key_start(const char *s, size_t len, uint8_t *raw, const uint8_t **p,
			  const uint8_t **end, size_t *outer, int *version)
{
	/* whole quanta only: a line may be cut anywhere by the wrapping */
	long n = b64_decode(s, len & ~(size_t)3, B64_STD, raw, PEM_LINE_MAX);
	size_t vlen;

	if (n < 8)
		return false;
	*p = raw;
	*end = raw + MIN((size_t)n, (size_t)PEM_LINE_MAX);
	if (!der_hdr(p, *end, 0x30, outer) || !der_hdr(p, *end, 0x02, &vlen) || vlen != 1 ||
	    *p >= *end)
		return false;
	*version = *(*p)++;
	return true;
}

bool validate_der_pkcs1(const char *s, size_t len)
{
	uint8_t raw[PEM_LINE_MAX];
	const uint8_t *p, *end;
	size_t outer, ilen;
	int version;

	if (!der_key_start(s, len, raw, &p, &end, &outer, &version) || version != 0)
		return false;
	/* RSA n / DSA p: at least 512 bits, inside the SEQUENCE */
	return der_hdr(&p, end, 0x02, &ilen) && ilen >= 64 && ilen < outer;
}

bool validate_der_pkcs8(const char *s, size_t len)
{
	uint8_t raw[PEM_LINE_MAX];
	const uint8_t *p, *end;
	size_t outer, alen, olen;
	int version;

	if (!der_key_start(s, len, raw, &p, &end, &outer, &version) ||
	    (version != 0 && version != 1))	/* v2 (RFC 5958) carries a public key */
		return false;
	return der_hdr(&p, end, 0x30, &alen) && alen < outer &&
	       der_hdr(&p, end, 0x06, &olen) && olen >= 3 && olen < alen;
}

bool validate_der_ec(const char *s, size_t len)
{
	uint8_t raw[PEM_LINE_MAX];
	const uint8_t *p, *end;
	size_t outer, klen;
	int version;

	if (!der_key_start(s, len, raw, &p, &end, &outer, &version) || version != 1)
		return false;
	/* the private scalar: 20 (P-160) to 66 (P-521) bytes */
	return der_hdr(&p, end, 0x04, &klen) && klen >= 20 && klen <= 66 && klen < outer;
}

bool validate_pkcs12(const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 2;

	if (n < 5 || p[0] != 0x30)
		return false;
	/* BER allows the indefinite form (0x80) that some tools write */
	if (p[1] >= 0x81 && p[1] <= 0x84)
		i += p[1] & 0x7f;
	else if (p[1] != 0x80 && p[1] >= 0x80)
		return false;
	return n >= i + 3 && p[i] == 0x02 && p[i + 1] == 0x01 && p[i + 2] == 0x03;
}

bool validate_keystore(const char *p, size_t n)
{
	return n >= 4 && (memcmp(p, "\xfe\xed\xfe\xed", 4) == 0 ||
			  memcmp(p, "\xce\xce\xce\xce", 4) == 0);
}

bool validate_kdbx(const char *p, size_t n)
{
	return n >= 8 && memcmp(p, "\x03\xd9\xa2\x9a\x67\xfb\x4b\xb5", 8) == 0;
}

bool validate_pem_private(const char *p, size_t n)
{
	const char *eol;
	size_t i = 0;

	while (i < n && isspace((unsigned char)p[i]))
		i++;
	p += i;
	n -= i;
	if (n >= 20 && memcmp(p, "PuTTY-User-Key-File-", 20) == 0)
		return true;
	if (n < 11 || memcmp(p, "-----BEGIN ", 11) != 0)
		return false;
	eol = memchr(p, '\n', n);
	return memmem(p, eol ? (size_t)(eol - p) : n, "PRIVATE KEY", 11) != NULL;
}

bool validate_secret(unsigned validators, const char *s, size_t len)
{
	static const struct {
		unsigned bit;
		bool (*check)(const char *, size_t);
	} table[] = {
		{ RULE_VALID_CRC32_BASE62, validate_crc32_base62 },
		{ RULE_VALID_JWT, validate_jwt },
		{ RULE_VALID_AZURE_ID, validate_azure_identifiable },
		{ RULE_VALID_AZURE_CASK, validate_azure_cask },
		{ RULE_VALID_CRC32_HEX, validate_crc32_hex_suffix },
		{ RULE_VALID_GRAFANA_SA, validate_grafana_sa },
		{ RULE_VALID_PYPI, validate_pypi_macaroon },
		{ RULE_VALID_AWS_KEY_ID, validate_aws_key_id },
		{ RULE_VALID_DER_PKCS1, validate_der_pkcs1 },
		{ RULE_VALID_DER_PKCS8, validate_der_pkcs8 },
		{ RULE_VALID_DER_EC, validate_der_ec },
		{ RULE_VALID_GITLAB, validate_gitlab_token },
		{ RULE_VALID_PKCS12, validate_pkcs12 },
		{ RULE_VALID_KEYSTORE, validate_keystore },
		{ RULE_VALID_KDBX, validate_kdbx },
		{ RULE_VALID_PEM_PRIVATE, validate_pem_private },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(table); i++)
		if ((validators & table[i].bit) && !table[i].check(s, len))
			return false;
	return true;
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

/* Values published in documentation and emulators that are secrets in
 * form only: the Azure Storage emulator's (Azurite, formerly the storage
 * emulator) fixed account key, and the access and refresh tokens of the
 * OAuth 2.0 specification's example responses (RFC 6749 sections 4.1.4,
 * 5.1).  Every copy of them is public; reporting them would train people
 * to ignore the gate. */
static const char *const published_values[] = {
	"Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
	"2YotnFZFEjr1zCsicMWpAA",
	"tGzv3JOkF0XG5Qx2TlKWIA",
};

static bool is_published_value(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(published_values); i++)
		if (strlen(published_values[i]) == len && memcmp(s, published_values[i], len) == 0)
			return true;
	return false;
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

	if (len == 0 || is_published_value(s, len))
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
