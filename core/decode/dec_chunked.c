/*
 * dec_chunked.c - RFC 9112 §7.1 chunked transfer coding decoder.
 *
 * A byte-at-a-time state machine for the framing lines and a bulk copy for
 * chunk data, so the output and the stopping point do not depend on how
 * the input is cut.
 */
#include "core/base/api.h"
#include "core/decode/dec_chunked.h"
#include "core/base/err-t.h"
#include "core/base/limits.h"

/* VCHAR, SP, HTAB and obs-text: what a field value or an extension may
 * hold (RFC 9110 §5.5); every other control byte is refused. */
static bool is_text(uint8_t c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int chunked_init(void *ctx, const void *params)
{
	struct dec_chunked *c = ctx;

	UNUSED(params);
	memset(c, 0, sizeof(*c));
	c->state = CHUNKED_SIZE;
	return 0;
}

static struct dec_result fail(struct dec_chunked *c, enum chunked_why why, int err,
			      size_t consumed)
{
	c->state = CHUNKED_FAILED;
	c->why = why;
	return dec_err(err, consumed);
}

/* A CR or LF where neither belongs: name the line-end fault precisely. */
static struct dec_result line_fault(struct dec_chunked *c, uint8_t ch, enum chunked_why other,
				    size_t at)
{
	if (ch == '\n')
		return fail(c, CHUNKED_WHY_BARE_LF, ERR_SYNTAX, at);
	return fail(c, other, ERR_SYNTAX, at);
}

static struct dec_result chunked_feed(void *ctx, const uint8_t *in, size_t len,
				      const struct dec_sink *sink)
{
	struct dec_chunked *c = ctx;
	size_t i = 0;

	while (i < len) {
		uint8_t ch = in[i];
		int v;

		switch (c->state) {
		case CHUNKED_SIZE:
			v = hex_digit_value(ch);
			if (v >= 0) {
				if (c->digits >= LIMIT_CHUNK_SIZE_DIGITS)
					return fail(c, CHUNKED_WHY_SIZE_DIGITS, ERR_LIMIT, i);
				/* 16 digits fit 64 bits, so the shift cannot lose bits. */
				c->remaining = (c->remaining << 4) | (uint64_t)v;
				c->digits++;
				break;
			}
			if (c->digits == 0)
				return line_fault(c, ch, CHUNKED_WHY_NO_DIGIT, i);
			c->last = c->remaining == 0;
			if (ch == '\r') {
				c->state = CHUNKED_SIZE_LF;
				break;
			}
			if (ch == ';')
				c->state = CHUNKED_EXT;
			else if (ch == ' ' || ch == '\t')
				c->state = CHUNKED_BWS;
			else
				return line_fault(c, ch, CHUNKED_WHY_SIZE_JUNK, i);
			/* Everything after the size up to CR counts as extension. */
			c->ext_bytes = 1;
			break;
		case CHUNKED_BWS:
			/* BWS exists only before ';' (RFC 9112 §7.1.1); "5 \r\n"
			 * is a known desync probe. */
			if (++c->ext_bytes > LIMIT_CHUNK_EXT_BYTES)
				return fail(c, CHUNKED_WHY_EXT_LIMIT, ERR_LIMIT, i);
			if (ch == ';')
				c->state = CHUNKED_EXT;
			else if (ch != ' ' && ch != '\t')
				return line_fault(c, ch, CHUNKED_WHY_SIZE_JUNK, i);
			break;
		case CHUNKED_EXT:
			if (ch == '\r') {
				c->state = CHUNKED_SIZE_LF;
				break;
			}
			if (!is_text(ch))
				return line_fault(c, ch, CHUNKED_WHY_EXT_BYTE, i);
			if (++c->ext_bytes > LIMIT_CHUNK_EXT_BYTES)
				return fail(c, CHUNKED_WHY_EXT_LIMIT, ERR_LIMIT, i);
			break;
		case CHUNKED_SIZE_LF:
			if (ch != '\n')
				return fail(c, CHUNKED_WHY_BARE_CR, ERR_SYNTAX, i);
			c->digits = 0;
			c->ext_bytes = 0;
			c->state = c->last ? CHUNKED_TRAILER_BOL : CHUNKED_DATA;
			break;
		case CHUNKED_DATA: {
			size_t n = len - i;
			int err;

			if ((uint64_t)n > c->remaining)
				n = (size_t)c->remaining;
			err = sink->write(sink->ctx, in + i, n);
			if (err)
				return fail(c, CHUNKED_WHY_SINK, err, i);
			c->remaining -= n;
			i += n;
			if (c->remaining == 0)
				c->state = CHUNKED_DATA_CR;
			continue;
		}
		case CHUNKED_DATA_CR:
			if (ch != '\r')
				return line_fault(c, ch, CHUNKED_WHY_DATA_END, i);
			c->state = CHUNKED_DATA_LF;
			break;
		case CHUNKED_DATA_LF:
			if (ch != '\n')
				return fail(c, CHUNKED_WHY_BARE_CR, ERR_SYNTAX, i);
			c->state = CHUNKED_SIZE;
			break;
		case CHUNKED_TRAILER_BOL:
			if (ch == '\r') {
				c->state = CHUNKED_END_LF;
				break;
			}
			/* obs-fold is rejected in trailers as in heads (§5.2). */
			if (ch == ' ' || ch == '\t')
				return fail(c, CHUNKED_WHY_TRAILER_BYTE, ERR_SYNTAX, i);
			c->state = CHUNKED_TRAILER;
			/* fall through */
		case CHUNKED_TRAILER:
			if (ch == '\r') {
				c->state = CHUNKED_TRAILER_LF;
				break;
			}
			if (!is_text(ch))
				return line_fault(c, ch, CHUNKED_WHY_TRAILER_BYTE, i);
			if (++c->trailer_bytes > LIMIT_CHUNK_TRAILER_BYTES)
				return fail(c, CHUNKED_WHY_TRAILER_LIMIT, ERR_LIMIT, i);
			break;
		case CHUNKED_TRAILER_LF:
			if (ch != '\n')
				return fail(c, CHUNKED_WHY_BARE_CR, ERR_SYNTAX, i);
			c->state = CHUNKED_TRAILER_BOL;
			break;
		case CHUNKED_END_LF:
			if (ch != '\n')
				return fail(c, CHUNKED_WHY_BARE_CR, ERR_SYNTAX, i);
			c->state = CHUNKED_DONE;
			return dec_ok(DEC_STOP, i + 1);
		case CHUNKED_DONE:
			return dec_ok(DEC_STOP, i);
		case CHUNKED_FAILED:
			return dec_err(ERR_STATE, i);
		}
		i++;
	}
	if (c->state == CHUNKED_DONE)
		return dec_ok(DEC_STOP, len);
	if (c->state == CHUNKED_FAILED)
		return dec_err(ERR_STATE, len);
	{
		struct dec_result r = dec_ok(DEC_MORE, len);

		if (c->state == CHUNKED_DATA && c->remaining <= SIZE_MAX - 2)
			r.needed = (size_t)c->remaining + 2;
		else if (c->state == CHUNKED_DATA_CR)
			r.needed = 2;
		return r;
	}
}

static struct dec_result chunked_finish(void *ctx, const struct dec_sink *sink)
{
	struct dec_chunked *c = ctx;

	UNUSED(sink);
	if (c->state == CHUNKED_DONE)
		return dec_ok(DEC_STOP, 0);
	if (c->state == CHUNKED_FAILED)
		return dec_err(ERR_STATE, 0);
	return fail(c, CHUNKED_WHY_TRUNCATED, ERR_TRUNCATED, 0);
}

static void chunked_release(void *ctx)
{
	UNUSED(ctx);
}

enum chunked_why dec_chunked_why(const struct dec_chunked *c)
{
	return c->why;
}

const char *dec_chunked_why_str(enum chunked_why why)
{
	static const char *const text[] = {
		[CHUNKED_WHY_NONE] = "no error",
		[CHUNKED_WHY_NO_DIGIT] = "chunk-size has no hex digit",
		[CHUNKED_WHY_SIZE_DIGITS] = "chunk-size has too many digits",
		[CHUNKED_WHY_SIZE_JUNK] = "junk after chunk-size",
		[CHUNKED_WHY_EXT_BYTE] = "control byte in chunk extension",
		[CHUNKED_WHY_EXT_LIMIT] = "chunk extension too long",
		[CHUNKED_WHY_BARE_LF] = "bare LF",
		[CHUNKED_WHY_BARE_CR] = "bare CR",
		[CHUNKED_WHY_DATA_END] = "chunk data not followed by CRLF",
		[CHUNKED_WHY_TRAILER_BYTE] = "bad byte in trailer",
		[CHUNKED_WHY_TRAILER_LIMIT] = "trailer too long",
		[CHUNKED_WHY_TRUNCATED] = "body ended inside chunked framing",
		[CHUNKED_WHY_SINK] = "consumer stopped",
	};

	if ((size_t)why >= ARRAY_SIZE(text) || !text[why])
		return "unknown";
	return text[why];
}

size_t dec_chunked_encode_size_line(uint64_t size, char out[DEC_CHUNKED_SIZE_LINE_MAX])
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;
	int shift = 60;

	while (shift > 0 && ((size >> shift) & 0xf) == 0)
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		out[n++] = hex[(size >> shift) & 0xf];
	out[n++] = '\r';
	out[n++] = '\n';
	return n;
}

const struct decoder_type dec_chunked = {
	.name = "chunked",
	.phase = DEC_PHASE_TRANSPORT,
	.flags = 0,
	.ctx_size = sizeof(struct dec_chunked),
	.init = chunked_init,
	.feed = chunked_feed,
	.finish = chunked_finish,
	.release = chunked_release,
};
