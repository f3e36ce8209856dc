/*
 * fuzz_http1.c - libFuzzer target for the HTTP/1.1 head parser.
 *
 * The first input byte picks a piece size (bits 0-6) and request or
 * response (bit 7).  The parsed head, and the answers of the lookup
 * helpers, are serialised into the output, so the whole and the pieced
 * run must parse identically (style.md rule 4).
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/decode/http1.h"
#include "tests/fuzz/fuzz_split.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_head(void *arg, const struct http1_head *h)
{
	struct buf *out = arg;
	const char *cname;
	size_t clen, i, it = 0;
	int rc;

	buf_printf(out, "%s|%s|%u|%s|%u|%d%d%d%d%d|%llu|%d|%d\n", h->method ? h->method : "",
		   h->target ? h->target : "", h->status, h->reason ? h->reason : "", h->minor,
		   h->chunked, h->has_length, h->keep_alive, h->expect_continue, h->expect_other,
		   (unsigned long long)h->content_length, (int)http1_request_body(h),
		   (int)http1_response_body(h, false));
	for (i = 0; i < h->nheaders; i++) {
		if (strlen(h->headers[i].name) != h->headers[i].name_len ||
		    strlen(h->headers[i].value) != h->headers[i].value_len)
			__builtin_trap();
		buf_printf(out, "%s:%s\n", h->headers[i].name, h->headers[i].value);
		http1_list_has(h->headers[i].value, h->headers[i].value_len, "chunked");
	}
	while (http1_header_find(h, "host", &it))
		buf_append(out, "H", 1);
	rc = http1_content_coding(h, &cname, &clen);
	buf_printf(out, "%d %.*s\n", rc, rc == 0 && cname ? (int)clen : 0, rc == 0 && cname ? cname : "");
}

static void run(const uint8_t *in, size_t len, size_t piece, enum http1_kind kind,
		struct fuzz_run *r)
{
	struct http1 c;
	struct http1_params prm = { .kind = kind, .on_head = on_head };
	struct dec_sink sink = { fuzz_collect, &r->out };

	fuzz_run_start(r);
	prm.arg = &r->out;
	http1_decoder.init(&c, &prm);
	fuzz_run_feed(&http1_decoder, &c, in, len, piece, &sink, r);
	http1_decoder.release(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_run a, b;
	size_t piece;
	enum http1_kind kind;

	if (size < 1)
		return 0;

	piece = (size_t)(data[0] & 0x7f) + 1;
	kind = data[0] & 0x80 ? HTTP1_RESPONSE : HTTP1_REQUEST;
	data++;
	size--;
	run(data, size, size ? size : 1, kind, &a);
	run(data, size, piece, kind, &b);
	fuzz_run_same(&a, &b);
	return 0;
}
