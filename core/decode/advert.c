/*
 * advert.c - receive-pack advertisement rewrite (git-gate.md §4): append
 * no-thin / push-options to the first ref's capability list, or hide
 * push-cert, and fix that pkt's length.
 */
#include "core/base/api.h"
#include "core/decode/advert.h"
#include "core/base/err-t.h"
#include "core/base/limits.h"
#include "core/decode/dec_pktline.h"
#include "core/decode/receive_pack.h"

struct pkt_at {
	size_t start;		/* offset of the length digits */
	size_t end;		/* offset after the payload */
	const uint8_t *payload;	/* NULL for a flush */
	size_t len;		/* payload bytes */
};

/* Reads the pkt at *pos; 0, ERR_TRUNCATED or ERR_SYNTAX. */
static int next_pkt(const uint8_t *in, size_t len, size_t *pos, struct pkt_at *k)
{
	size_t n = 0, i;

	if (len - *pos < 4)
		return ERR_TRUNCATED;
	for (i = 0; i < 4; i++) {
		int v = hex_digit_value(in[*pos + i]);

		if (v < 0)
			return ERR_SYNTAX;
		n = (n << 4) | (size_t)v;
	}
	if ((n > 0 && n < 4) || n > LIMIT_PKT_BYTES)
		return ERR_SYNTAX;
	k->start = *pos;
	if (n == 0) {
		k->payload = NULL;
		k->len = 0;
		k->end = *pos + 4;
	} else {
		if (len - *pos < n)
			return ERR_TRUNCATED;
		k->payload = in + *pos + 4;
		k->len = n - 4;
		k->end = *pos + n;
	}
	*pos = k->end;
	return 0;
}

static bool payload_is(const struct pkt_at *k, const char *text)
{
	size_t n = strlen(text), len = k->len;

	if (len && k->payload[len - 1] == '\n')
		len--;
	return k->payload && len == n && memcmp(k->payload, text, n) == 0;
}

/* Finds a space-separated token in caps; exact, or as a prefix when it
 * ends in '='.  Returns its offset or SIZE_MAX. */
static size_t find_cap(const uint8_t *caps, size_t n, const char *name)
{
	size_t k = strlen(name), i = 0;
	bool prefix = k && name[k - 1] == '=';

	while (i < n) {
		size_t s = i;

		while (i < n && caps[i] != ' ')
			i++;
		if (prefix ? (i - s >= k && memcmp(caps + s, name, k) == 0) :
			     (i - s == k && memcmp(caps + s, name, k) == 0))
			return s;
		i++;
	}
	return SIZE_MAX;
}

static size_t token_end(const uint8_t *caps, size_t n, size_t s)
{
	while (s < n && caps[s] != ' ')
		s++;
	return s;
}

int advert_rewrite(const uint8_t *in, size_t len, unsigned flags, struct buf *out,
		   size_t *consumed, struct advert_info *info)
{
	struct advert_info tmp_info;
	struct pkt_at k;
	size_t pos = 0, prefix_end, caps_off, caps_len, at, lf;
	const uint8_t *nul, *caps;
	struct buf pl;
	int err;

	if (!info)
		info = &tmp_info;
	memset(info, 0, sizeof(*info));
	info->hexsz = 40;
	if ((err = next_pkt(in, len, &pos, &k)) != 0)
		return err;
	if (!payload_is(&k, "# service=git-receive-pack"))
		return ERR_SYNTAX;
	if ((err = next_pkt(in, len, &pos, &k)) != 0)
		return err;
	if (k.payload)
		return ERR_SYNTAX;
	if ((err = next_pkt(in, len, &pos, &k)) != 0)
		return err;
	if (payload_is(&k, "version 1")) {
		info->version1 = true;
		if ((err = next_pkt(in, len, &pos, &k)) != 0)
			return err;
	}
	if (!k.payload || !(nul = memchr(k.payload, '\0', k.len)))
		return ERR_SYNTAX;
	prefix_end = k.start;
	caps = nul + 1;
	caps_off = (size_t)(caps - k.payload);
	caps_len = k.len - caps_off;
	lf = caps_len && caps[caps_len - 1] == '\n' ? 1 : 0;
	caps_len -= lf;
	{
		const uint8_t *sp = memchr(k.payload, ' ', (size_t)(nul - k.payload));

		info->empty_repo = sp && (size_t)(nul - sp - 1) == 15 &&
				   memcmp(sp + 1, "capabilities^{}", 15) == 0;
	}
	at = find_cap(caps, caps_len, "object-format=");
	if (at != SIZE_MAX) {
		size_t e = token_end(caps, caps_len, at);

		if (e - at == 20 && memcmp(caps + at + 14, "sha256", 6) == 0)
			info->hexsz = 64;
	}
	info->had_no_thin = find_cap(caps, caps_len, "no-thin") != SIZE_MAX;
	info->had_push_options = find_cap(caps, caps_len, "push-options") != SIZE_MAX;
	info->had_push_cert = find_cap(caps, caps_len, "push-cert=") != SIZE_MAX;

	/* The new payload: name part, caps without push-cert if asked (every
	 * copy of it), the added caps, the LF. */
	buf_init(&pl, PKTLINE_MAX_PAYLOAD);
	err = buf_append(&pl, k.payload, caps_off);
	if (!err && (flags & ADVERT_DROP_PUSH_CERT) && info->had_push_cert) {
		err = receive_pack_caps_drop(caps, caps_len, "push-cert=", &pl, NULL);
		info->changed |= ADVERT_DROP_PUSH_CERT;
	} else if (!err) {
		err = buf_append(&pl, caps, caps_len);
	}
	if (!err && (flags & ADVERT_ADD_NO_THIN) && !info->had_no_thin) {
		err = buf_append_str(&pl, pl.len > caps_off ? " no-thin" : "no-thin");
		info->changed |= ADVERT_ADD_NO_THIN;
	}
	if (!err && (flags & ADVERT_ADD_PUSH_OPTIONS) && !info->had_push_options) {
		err = buf_append_str(&pl, pl.len > caps_off ? " push-options" : "push-options");
		info->changed |= ADVERT_ADD_PUSH_OPTIONS;
	}
	if (!err && lf)
		err = buf_append(&pl, "\n", 1);
	if (err) {
		buf_release(&pl);
		return err == ERR_NOMEM ? err : ERR_LIMIT;
	}
	{
		size_t old_len = out->len;

		err = buf_reserve(out, prefix_end + pl.len + 4);
		if (!err) {
			buf_append(out, in, prefix_end);
			err = pktline_encode(out, pl.data, pl.len);
			if (err)
				out->len = old_len;
		}
	}
	buf_release(&pl);
	if (err)
		return err;
	*consumed = k.end;
	return 0;
}
