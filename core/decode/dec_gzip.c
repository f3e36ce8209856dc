/*
 * dec_gzip.c - Content-Encoding gzip/deflate (RFC 9110 §8.4.1.2-3,
 * RFC 1950-1952) with an expansion budget (style.md rule 5).
 *
 * Input is handed to zlib in slices that end on multiples of
 * GZIP_RATIO_STEP, and zlib is drained after each slice, so the ratio is
 * always judged at the same points of the stream.
 */
#include "core/base/api.h"
#include "core/decode/dec_gzip.h"
#include "core/base/buf.h"
#include "core/base/err-t.h"
#include "core/base/limits.h"

#include <strings.h>

#define GZIP_OUT_CHUNK 16384u

static voidpf gz_alloc(voidpf opaque, uInt items, uInt size)
{
	UNUSED(opaque);
	return xcalloc(items, size);
}

static void gz_free(voidpf opaque, voidpf p)
{
	UNUSED(opaque);
	xfree(p);
}

static int window_bits(enum gzip_format f)
{
	switch (f) {
	case GZIP_FORMAT_GZIP:
		return 15 + 16;
	case GZIP_FORMAT_RAW:
		return -15;
	default:
		return 15;
	}
}

static int start_zlib(struct dec_gzip *g, enum gzip_format f)
{
	int ret;

	g->z.zalloc = gz_alloc;
	g->z.zfree = gz_free;
	g->z.opaque = NULL;
	ret = inflateInit2(&g->z, window_bits(f));
	if (ret != Z_OK)
		return ret == Z_MEM_ERROR ? ERR_NOMEM : ERR_INFLATE;
	g->z_live = true;
	return 0;
}

static int gzip_init(void *ctx, const void *params)
{
	struct dec_gzip *g = ctx;
	int err;

	memset(g, 0, sizeof(*g));
	if (params)
		g->p = *(const struct dec_gzip_params *)params;
	if (!g->p.max_out)
		g->p.max_out = LIMIT_INFLATE_TOTAL_DEFAULT;
	if (!g->p.max_ratio)
		g->p.max_ratio = LIMIT_CONTENT_INFLATE_RATIO;
	if (!g->p.ratio_slack)
		g->p.ratio_slack = LIMIT_CONTENT_INFLATE_SLACK;
	if (g->p.format > GZIP_FORMAT_DEFLATE)
		return ERR_USAGE;
	g->next_check = GZIP_RATIO_STEP;
	if (g->p.format == GZIP_FORMAT_DEFLATE) {
		g->state = GZIP_DETECT;
		return 0;
	}
	err = start_zlib(g, g->p.format);
	if (err)
		return err;
	g->state = GZIP_STREAM;
	return 0;
}

static struct dec_result fail(struct dec_gzip *g, enum gzip_why why, int err, size_t consumed)
{
	g->state = GZIP_FAILED;
	g->why = why;
	return dec_err(err, consumed);
}

/* The ratio rule; saturating so a huge ratio cannot wrap. */
static bool ratio_exceeded(const struct dec_gzip *g)
{
	uint64_t allowed;

	if (__builtin_mul_overflow(g->in_total, (uint64_t)g->p.max_ratio, &allowed) ||
	    __builtin_add_overflow(allowed, g->p.ratio_slack, &allowed))
		return false;
	return g->out_total > allowed;
}

/*
 * Judges the ratio at every GZIP_RATIO_STEP boundary the input has
 * reached.  Input reaches zlib in slices ending on those boundaries, or in
 * the fixed 2-byte units of a header at a fixed position, so the points
 * at which this runs do not depend on the split.
 */
static bool steps_ok(struct dec_gzip *g)
{
	while (g->in_total >= g->next_check) {
		if (ratio_exceeded(g))
			return false;
		g->next_check += GZIP_RATIO_STEP;
	}
	return true;
}

/*
 * Inflates in[0..n) completely (or to the end of the stream) and drains
 * zlib.  *used = input taken.  Returns 0, 1 at the end of a stream or
 * member, or a negative code with g->why set.
 */
static int run(struct dec_gzip *g, const uint8_t *in, size_t n, size_t *used,
	       const struct dec_sink *sink)
{
	uint8_t out[GZIP_OUT_CHUNK];
	int ret, rc = 0;

	g->z.next_in = (Bytef *)(uintptr_t)in;
	g->z.avail_in = (uInt)n;
	for (;;) {
		uint64_t room = g->p.max_out - g->out_total;
		size_t produced;
		int err;

		/* One byte more than the budget allows shows an overrun. */
		g->z.next_out = out;
		g->z.avail_out = room < sizeof(out) ? (uInt)room + 1 : (uInt)sizeof(out);
		ret = inflate(&g->z, Z_NO_FLUSH);
		produced = (size_t)(g->z.next_out - out);
		if (produced > room) {
			g->why = GZIP_WHY_TOTAL;
			if (room && (err = sink->write(sink->ctx, out, (size_t)room)) != 0)
				g->why = GZIP_WHY_SINK;
			else
				err = ERR_LIMIT;
			g->out_total += room;
			rc = err;
			break;
		}
		g->out_total += produced;
		if (produced && (err = sink->write(sink->ctx, out, produced)) != 0) {
			g->why = GZIP_WHY_SINK;
			rc = err;
			break;
		}
		if (ret == Z_STREAM_END) {
			rc = 1;
			break;
		}
		if (ret == Z_BUF_ERROR)
			break;
		if (ret == Z_NEED_DICT) {
			g->why = GZIP_WHY_DICT;
			rc = ERR_UNSUPPORTED;
			break;
		}
		if (ret == Z_MEM_ERROR) {
			g->why = GZIP_WHY_NOMEM;
			rc = ERR_NOMEM;
			break;
		}
		if (ret != Z_OK) {
			g->why = GZIP_WHY_CORRUPT;
			rc = ERR_INFLATE;
			break;
		}
		if (g->z.avail_in == 0 && g->z.avail_out != 0)
			break;
	}
	*used = n - g->z.avail_in;
	g->in_total += *used;
	return rc;
}

/* A valid RFC 1950 header: deflate method, window <= 32K, check bits. */
static bool is_zlib_header(const uint8_t h[2])
{
	return (h[0] & 0x0f) == 8 && (h[0] >> 4) <= 7 && ((h[0] << 8) | h[1]) % 31 == 0;
}

static struct dec_result end_of_stream(struct dec_gzip *g, size_t i)
{
	if (ratio_exceeded(g))
		return fail(g, GZIP_WHY_RATIO, ERR_LIMIT, i);
	if (g->p.format == GZIP_FORMAT_GZIP) {
		g->members++;
		g->state = GZIP_BETWEEN;
		return dec_ok(DEC_OK, i);
	}
	g->state = GZIP_DONE;
	return dec_ok(DEC_STOP, i);
}

static struct dec_result gzip_feed(void *ctx, const uint8_t *in, size_t len,
				   const struct dec_sink *sink)
{
	static const uint8_t magic[2] = { 0x1f, 0x8b };
	struct dec_gzip *g = ctx;
	size_t i = 0;

	while (i < len) {
		size_t used, slice;
		int rc;

		switch (g->state) {
		case GZIP_DETECT:
			g->head[g->nhead++] = in[i++];
			if (g->nhead < 2)
				continue;
			rc = start_zlib(g, is_zlib_header(g->head) ? GZIP_FORMAT_ZLIB :
					GZIP_FORMAT_RAW);
			if (rc)
				return fail(g, GZIP_WHY_NOMEM, rc, i);
			g->state = GZIP_STREAM;
			/* The two bytes may have come in earlier calls: errors
			 * count both as taken, which is the same for any split. */
			rc = run(g, g->head, 2, &used, sink);
			if (rc < 0)
				return fail(g, g->why, rc, i);
			if (rc == 1) {
				/* Raw "03 00" is a whole (empty) stream; a byte
				 * left over is the one taken in this call. */
				return end_of_stream(g, i - (2 - used));
			}
			if (!steps_ok(g))
				return fail(g, GZIP_WHY_RATIO, ERR_LIMIT, i);
			continue;
		case GZIP_BETWEEN:
			if (in[i] != magic[0])
				return fail(g, GZIP_WHY_TRAILING, ERR_SYNTAX, i);
			g->state = GZIP_BETWEEN_1F;
			i++;
			continue;
		case GZIP_BETWEEN_1F:
			if (in[i] != magic[1])
				return fail(g, GZIP_WHY_TRAILING, ERR_SYNTAX, i);
			i++;
			if (inflateReset(&g->z) != Z_OK)
				return fail(g, GZIP_WHY_CORRUPT, ERR_INFLATE, i);
			g->state = GZIP_STREAM;
			rc = run(g, magic, 2, &used, sink);
			if (rc < 0)
				return fail(g, g->why, rc, i);
			if (!steps_ok(g))
				return fail(g, GZIP_WHY_RATIO, ERR_LIMIT, i);
			continue;
		case GZIP_STREAM:
			/* steps_ok() keeps in_total below next_check here. */
			slice = len - i;
			if ((uint64_t)slice > g->next_check - g->in_total)
				slice = (size_t)(g->next_check - g->in_total);
			rc = run(g, in + i, slice, &used, sink);
			i += used;
			if (rc < 0)
				return fail(g, g->why, rc, i);
			if (!steps_ok(g))
				return fail(g, GZIP_WHY_RATIO, ERR_LIMIT, i);
			if (rc == 1) {
				struct dec_result r = end_of_stream(g, i);

				if (r.status != DEC_OK)
					return r;
			}
			continue;
		case GZIP_DONE:
			return dec_ok(DEC_STOP, i);
		case GZIP_FAILED:
			return dec_err(ERR_STATE, i);
		}
	}
	if (g->state == GZIP_DONE)
		return dec_ok(DEC_STOP, len);
	if (g->state == GZIP_FAILED)
		return dec_err(ERR_STATE, len);
	return dec_ok(g->state == GZIP_BETWEEN ? DEC_OK : DEC_MORE, len);
}

static struct dec_result gzip_finish(void *ctx, const struct dec_sink *sink)
{
	struct dec_gzip *g = ctx;

	UNUSED(sink);
	switch (g->state) {
	case GZIP_DONE:
		return dec_ok(DEC_STOP, 0);
	case GZIP_BETWEEN:
		return dec_ok(DEC_OK, 0);
	case GZIP_FAILED:
		return dec_err(ERR_STATE, 0);
	default:
		if (ratio_exceeded(g))
			return fail(g, GZIP_WHY_RATIO, ERR_LIMIT, 0);
		return fail(g, GZIP_WHY_TRUNCATED, ERR_TRUNCATED, 0);
	}
}

static void gzip_release(void *ctx)
{
	struct dec_gzip *g = ctx;

	if (g->z_live)
		inflateEnd(&g->z);
	g->z_live = false;
}

enum gzip_why dec_gzip_why(const struct dec_gzip *g)
{
	return g->why;
}

void dec_gzip_totals(const struct dec_gzip *g, uint64_t *in, uint64_t *out)
{
	*in = g->in_total;
	*out = g->out_total;
}

const char *dec_gzip_why_str(enum gzip_why why)
{
	static const char *const text[] = {
		[GZIP_WHY_NONE] = "no error",
		[GZIP_WHY_CORRUPT] = "compressed data is corrupt",
		[GZIP_WHY_DICT] = "zlib stream needs a preset dictionary",
		[GZIP_WHY_TRAILING] = "garbage after a gzip member",
		[GZIP_WHY_TOTAL] = "inflated size above the limit",
		[GZIP_WHY_RATIO] = "compression ratio above the limit",
		[GZIP_WHY_TRUNCATED] = "compressed stream ended early",
		[GZIP_WHY_NOMEM] = "out of memory",
		[GZIP_WHY_SINK] = "consumer stopped",
	};

	if ((size_t)why >= ARRAY_SIZE(text) || !text[why])
		return "unknown";
	return text[why];
}

int dec_gzip_format_from_coding(const char *name, size_t len, enum gzip_format *out)
{
	if ((len == 4 && !strncasecmp(name, "gzip", 4)) ||
	    (len == 6 && !strncasecmp(name, "x-gzip", 6))) {
		*out = GZIP_FORMAT_GZIP;
		return 0;
	}
	if (len == 7 && !strncasecmp(name, "deflate", 7)) {
		*out = GZIP_FORMAT_DEFLATE;
		return 0;
	}
	return ERR_UNSUPPORTED;
}

const struct decoder_type dec_gzip = {
	.name = "gzip",
	.phase = DEC_PHASE_CONTENT,
	.flags = DEC_FLAG_BLOWUP,
	.ctx_size = sizeof(struct dec_gzip),
	.init = gzip_init,
	.feed = gzip_feed,
	.finish = gzip_finish,
	.release = gzip_release,
};
