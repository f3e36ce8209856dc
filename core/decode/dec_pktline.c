/*
 * dec_pktline.c - git pkt-line framing and side-band demultiplexing
 * (gitprotocol-common "pkt-line Format", gitprotocol-pack "side-band").
 *
 * The length is parsed digit by digit and a payload is handed over whole,
 * from the input when it arrived in one piece and from a bounded buffer
 * otherwise, so consumers see the same packets however the input is cut.
 */
#include "core/base/api.h"
#include "core/decode/dec_pktline.h"
#include "core/base/err-t.h"
#include "core/base/limits.h"

static const char hexdig[] = "0123456789abcdef";

static int pktline_init(void *ctx, const void *params)
{
	struct dec_pktline *d = ctx;

	memset(d, 0, sizeof(*d));
	if (params)
		d->p = *(const struct dec_pktline_params *)params;
	if (d->p.flags & DEC_PKTLINE_SIDEBAND)
		d->p.flags |= DEC_PKTLINE_V0;
	d->state = PKTLINE_LEN;
	buf_init(&d->pending, PKTLINE_MAX_PAYLOAD);
	return 0;
}

static struct dec_result fail(struct dec_pktline *d, enum pktline_why why, int err,
			      size_t consumed)
{
	d->state = PKTLINE_FAILED;
	d->why = why;
	return dec_err(err, consumed);
}

static void put_len(uint8_t out[4], size_t len)
{
	out[0] = (uint8_t)hexdig[(len >> 12) & 0xf];
	out[1] = (uint8_t)hexdig[(len >> 8) & 0xf];
	out[2] = (uint8_t)hexdig[(len >> 4) & 0xf];
	out[3] = (uint8_t)hexdig[len & 0xf];
}

/*
 * Hands one complete pkt to the sink and on_pkt.  Returns 0, PKTLINE_STOP,
 * or a negative code with d->why set.
 */
static int deliver(struct dec_pktline *d, enum pkt_kind kind, const uint8_t *p, size_t n,
		   const struct dec_sink *sink)
{
	int err = 0;

	if (d->p.flags & DEC_PKTLINE_SIDEBAND) {
		if (kind == PKT_DATA) {
			/* The band byte was checked when it arrived. */
			kind = (enum pkt_kind)(PKT_BAND1 + (p[0] - 1));
			p++;
			n--;
			if (kind == PKT_BAND1 && n)
				err = sink->write(sink->ctx, p, n);
		}
	} else {
		uint8_t head[4];

		put_len(head, kind == PKT_DATA ? n + 4 :
			      kind == PKT_FLUSH ? 0 : kind == PKT_DELIM ? 1 : 2);
		err = sink->write(sink->ctx, head, 4);
		if (!err && n)
			err = sink->write(sink->ctx, p, n);
	}
	if (err) {
		d->why = PKTLINE_WHY_SINK;
		return err;
	}
	if (!d->p.on_pkt)
		return 0;
	err = d->p.on_pkt(d->p.arg, kind, p, n);
	if (err < 0) {
		d->why = PKTLINE_WHY_CALLBACK;
		return err;
	}
	return err == PKTLINE_STOP ? PKTLINE_STOP : 0;
}

/* After deliver(): turn its answer into a feed result, or 1 to go on. */
static int after_deliver(struct dec_pktline *d, int rc, size_t end, struct dec_result *r)
{
	if (rc < 0) {
		d->state = PKTLINE_FAILED;
		*r = dec_err(rc, end);
		return 0;
	}
	if (rc == PKTLINE_STOP) {
		d->state = PKTLINE_STOPPED;
		*r = dec_ok(DEC_STOP, end);
		return 0;
	}
	return 1;
}

static struct dec_result pktline_feed(void *ctx, const uint8_t *in, size_t len,
				      const struct dec_sink *sink)
{
	struct dec_pktline *d = ctx;
	struct dec_result r;
	size_t i = 0;

	if (d->state == PKTLINE_STOPPED)
		return dec_ok(DEC_STOP, 0);
	if (d->state == PKTLINE_FAILED)
		return dec_err(ERR_STATE, 0);
	while (i < len) {
		if (d->state == PKTLINE_LEN) {
			int v = hex_digit_value(in[i]);
			enum pkt_kind kind;

			if (v < 0)
				return fail(d, PKTLINE_WHY_BAD_HEX, ERR_SYNTAX, i);
			d->len = (d->len << 4) | (size_t)v;
			if (++d->digits < 4) {
				i++;
				continue;
			}
			if (d->len > LIMIT_PKT_BYTES)
				return fail(d, PKTLINE_WHY_TOO_LONG, ERR_LIMIT, i);
			if (d->len == 3)
				return fail(d, PKTLINE_WHY_BAD_LENGTH, ERR_SYNTAX, i);
			if ((d->len == 1 || d->len == 2) && (d->p.flags & DEC_PKTLINE_V0))
				return fail(d, PKTLINE_WHY_V2_SPECIAL, ERR_SYNTAX, i);
			/* git's demultiplexer: "missing sideband designator". */
			if (d->len == 4 && (d->p.flags & DEC_PKTLINE_SIDEBAND))
				return fail(d, PKTLINE_WHY_BAD_BAND, ERR_SYNTAX, i);
			i++;
			d->digits = 0;
			if (d->len > 4) {
				d->remaining = d->len - 4;
				d->state = PKTLINE_PAYLOAD;
				buf_reset(&d->pending);
				continue;
			}
			kind = d->len == 0 ? PKT_FLUSH : d->len == 1 ? PKT_DELIM :
			       d->len == 2 ? PKT_RESPONSE_END : PKT_DATA;
			d->len = 0;
			if (!after_deliver(d, deliver(d, kind, NULL, 0, sink), i, &r))
				return r;
			continue;
		}
		/* PKTLINE_PAYLOAD */
		if ((d->p.flags & DEC_PKTLINE_SIDEBAND) && d->remaining == d->len - 4 &&
		    (in[i] < 1 || in[i] > 3))
			return fail(d, PKTLINE_WHY_BAD_BAND, ERR_SYNTAX, i);
		{
			size_t n = MIN(len - i, d->remaining);
			const uint8_t *p;
			size_t plen = d->len - 4;
			int rc;

			if (d->pending.len == 0 && n == d->remaining) {
				p = in + i;
			} else {
				if (buf_append(&d->pending, in + i, n))
					return fail(d, PKTLINE_WHY_NOMEM, ERR_NOMEM, i);
				p = d->pending.data;
			}
			i += n;
			d->remaining -= n;
			if (d->remaining)
				continue;
			d->state = PKTLINE_LEN;
			d->len = 0;
			rc = deliver(d, PKT_DATA, p, plen, sink);
			buf_reset(&d->pending);
			if (!after_deliver(d, rc, i, &r))
				return r;
		}
	}
	if (d->state == PKTLINE_LEN && d->digits == 0)
		return dec_ok(DEC_OK, len);
	r = dec_ok(DEC_MORE, len);
	r.needed = d->state == PKTLINE_LEN ? 4 - d->digits : d->remaining;
	return r;
}

static struct dec_result pktline_finish(void *ctx, const struct dec_sink *sink)
{
	struct dec_pktline *d = ctx;

	UNUSED(sink);
	if (d->state == PKTLINE_STOPPED)
		return dec_ok(DEC_STOP, 0);
	if (d->state == PKTLINE_FAILED)
		return dec_err(ERR_STATE, 0);
	if (d->state == PKTLINE_LEN && d->digits == 0)
		return dec_ok(DEC_OK, 0);
	return fail(d, PKTLINE_WHY_TRUNCATED, ERR_TRUNCATED, 0);
}

static void pktline_release(void *ctx)
{
	struct dec_pktline *d = ctx;

	buf_release(&d->pending);
}

enum pktline_why dec_pktline_why(const struct dec_pktline *d)
{
	return d->why;
}

const char *dec_pktline_why_str(enum pktline_why why)
{
	static const char *const text[] = {
		[PKTLINE_WHY_NONE] = "no error",
		[PKTLINE_WHY_BAD_HEX] = "bad pkt-line length character",
		[PKTLINE_WHY_BAD_LENGTH] = "bad pkt-line length",
		[PKTLINE_WHY_TOO_LONG] = "pkt-line too long",
		[PKTLINE_WHY_V2_SPECIAL] = "delim or response-end pkt outside protocol v2",
		[PKTLINE_WHY_BAD_BAND] = "bad side-band designator",
		[PKTLINE_WHY_TRUNCATED] = "input ended inside a pkt-line",
		[PKTLINE_WHY_CALLBACK] = "pkt consumer failed",
		[PKTLINE_WHY_SINK] = "sink failed",
		[PKTLINE_WHY_NOMEM] = "out of memory",
	};

	if ((size_t)why >= ARRAY_SIZE(text) || !text[why])
		return "unknown";
	return text[why];
}

int pktline_encode(struct buf *out, const void *payload, size_t n)
{
	uint8_t head[4];
	int err;

	if (n > PKTLINE_MAX_PAYLOAD)
		return ERR_LIMIT;
	err = buf_reserve(out, n + 4);
	if (err)
		return err;
	put_len(head, n + 4);
	buf_append(out, head, 4);
	buf_append(out, payload, n);
	return 0;
}

int pktline_encode_flush(struct buf *out)
{
	return buf_append(out, "0000", 4);
}

int pktline_encode_band(struct buf *out, unsigned band, const void *data, size_t n)
{
	const uint8_t *p = data;
	size_t pkts, total;
	int err;

	if (band < 1 || band > 3)
		return ERR_USAGE;
	pkts = n ? (n + PKTLINE_MAX_BAND_DATA - 1) / PKTLINE_MAX_BAND_DATA : 1;
	/* Reserve everything first so that a failure leaves out unchanged. */
	if (!size_mul(pkts, 5, &total) || !size_add(total, n, &total))
		return ERR_OVERFLOW;
	err = buf_reserve(out, total);
	if (err)
		return err;
	do {
		size_t k = MIN(n, PKTLINE_MAX_BAND_DATA);
		uint8_t head[5];

		put_len(head, k + 5);
		head[4] = (uint8_t)band;
		buf_append(out, head, 5);
		buf_append(out, p, k);
		p += k;
		n -= k;
	} while (n);
	return 0;
}

const struct decoder_type dec_pktline = {
	.name = "pktline",
	.phase = DEC_PHASE_PROTOCOL,
	.flags = 0,
	.ctx_size = sizeof(struct dec_pktline),
	.init = pktline_init,
	.feed = pktline_feed,
	.finish = pktline_finish,
	.release = pktline_release,
};
