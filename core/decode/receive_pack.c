/*
 * receive_pack.c - parser for the command block of a push request
 * (gitprotocol-pack "Reference Update Request", git-gate.md §3, §4.2).
 *
 * Built on dec_pktline: each whole pkt is judged by section (shallow and
 * first command, further commands, push options), and framing stops at
 * the flush after which the pack, not pkt-lines, follows.
 */
#include "core/base/api.h"
#include "core/decode/receive_pack.h"
#include "core/base/err-t.h"
#include "core/base/limits.h"

#define RP_NONE SIZE_MAX

static int discard(void *ctx, const uint8_t *p, size_t n)
{
	UNUSED(ctx);
	UNUSED(p);
	UNUSED(n);
	return 0;
}

static const struct dec_sink discard_sink = { discard, NULL };

static int rp_on_pkt(void *arg, enum pkt_kind kind, const uint8_t *p, size_t n);

static int rp_init(void *ctx, const void *params)
{
	struct dec_receive_pack *d = ctx;
	struct dec_pktline_params pp = { rp_on_pkt, d, DEC_PKTLINE_V0 };

	memset(d, 0, sizeof(*d));
	if (params)
		d->p = *(const struct receive_pack_params *)params;
	if (!d->p.default_hexsz)
		d->p.default_hexsz = 40;
	if (d->p.default_hexsz != 40 && d->p.default_hexsz != 64)
		return ERR_USAGE;
	/* Texts and raw payloads are each at most the block plus a NUL per
	 * item, so twice the block bound always suffices. */
	buf_init(&d->strs, 2 * (size_t)LIMIT_COMMAND_BLOCK_BYTES);
	buf_init(&d->raw, 2 * (size_t)LIMIT_COMMAND_BLOCK_BYTES);
	d->caps_off = d->agent_off = d->sid_off = RP_NONE;
	d->req.hexsz = d->p.default_hexsz;
	d->sec = RP_SEC_FIRST;
	return dec_pktline.init(&d->pkt, &pp);
}

static int rule(struct dec_receive_pack *d, enum rp_why why, int err)
{
	d->why = why;
	return err;
}

static bool is_lower_hex(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	return true;
}

static bool is_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != '0')
			return false;
	return true;
}

/* Drops one trailing LF (PACKET_READ_CHOMP_NEWLINE). */
static size_t chomp(const uint8_t *p, size_t n)
{
	return n && p[n - 1] == '\n' ? n - 1 : n;
}

static int str_add(struct dec_receive_pack *d, const void *p, size_t n, size_t *off)
{
	*off = d->strs.len;
	if (buf_reserve(&d->strs, n + 1))
		return rule(d, RP_WHY_NOMEM, ERR_NOMEM);
	buf_append(&d->strs, p, n);
	buf_append(&d->strs, "", 1);
	return 0;
}

static int raw_add(struct dec_receive_pack *d, const uint8_t *p, size_t n, size_t *off)
{
	*off = d->raw.len;
	if (buf_append(&d->raw, p, n))
		return rule(d, RP_WHY_NOMEM, ERR_NOMEM);
	return 0;
}

static int grow(void **v, size_t *cap, size_t need, size_t size)
{
	size_t ncap;
	void *nv;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	if (ncap < need)
		ncap = need;
	if (!size_mul(ncap, size, &need))
		return ERR_NOMEM;
	nv = xrealloc(*v, need);
	if (!nv)
		return ERR_NOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

static int add_line(struct dec_receive_pack *d, const uint8_t *p, size_t n)
{
	struct rp_line_at *l;
	int err;

	if (grow((void **)&d->lines, &d->lines_cap, d->nlines + 1, sizeof(*d->lines)))
		return rule(d, RP_WHY_NOMEM, ERR_NOMEM);
	l = &d->lines[d->nlines];
	err = str_add(d, p, chomp(p, n), &l->text_off);
	if (!err)
		err = raw_add(d, p, n, &l->raw_off);
	if (err)
		return err;
	l->raw_len = n;
	d->nlines++;
	return 0;
}

static int parse_shallow(struct dec_receive_pack *d, const uint8_t *p, size_t n)
{
	size_t len = chomp(p, n) - 8;
	const uint8_t *oid = p + 8;

	/* The object format is not known yet: take either length, insist on
	 * one length for all, and check it against the caps later. */
	if ((len != 40 && len != 64) || !is_lower_hex(oid, len) ||
	    (d->shallow_hexsz && d->shallow_hexsz != len))
		return rule(d, RP_WHY_BAD_OID, ERR_SYNTAX);
	d->shallow_hexsz = (unsigned)len;
	d->nshallow++;
	return add_line(d, p, n);
}

static bool token_is(const char *t, size_t n, const char *name)
{
	return n == strlen(name) && memcmp(t, name, n) == 0;
}

static bool token_has_prefix(const char *t, size_t n, const char *prefix, const char **val,
			     size_t *vlen)
{
	size_t k = strlen(prefix);

	if (n < k || memcmp(t, prefix, k) != 0)
		return false;
	*val = t + k;
	*vlen = n - k;
	return true;
}

static int parse_caps(struct dec_receive_pack *d, const uint8_t *p, size_t n)
{
	static const struct {
		const char *name;
		unsigned bit;
	} flags[] = {
		{ "report-status", RP_CAP_REPORT_STATUS },
		{ "report-status-v2", RP_CAP_REPORT_STATUS_V2 },
		{ "side-band-64k", RP_CAP_SIDE_BAND_64K },
		{ "side-band", RP_CAP_SIDE_BAND },
		{ "quiet", RP_CAP_QUIET },
		{ "atomic", RP_CAP_ATOMIC },
		{ "push-options", RP_CAP_PUSH_OPTIONS },
		{ "ofs-delta", RP_CAP_OFS_DELTA },
	};
	const char *s = (const char *)p;
	size_t len = chomp(p, n), i = 0;
	int err;

	err = str_add(d, p, n, &d->caps_off);
	if (err)
		return err;
	while (i < len) {
		const char *t, *val;
		size_t tn, vlen, k;
		bool known = false;

		while (i < len && s[i] == ' ')
			i++;
		t = s + i;
		while (i < len && s[i] != ' ')
			i++;
		tn = (size_t)(s + i - t);
		if (!tn)
			continue;
		for (k = 0; k < ARRAY_SIZE(flags); k++) {
			if (token_is(t, tn, flags[k].name)) {
				d->req.caps |= flags[k].bit;
				known = true;
			}
		}
		if (known)
			continue;
		if (token_has_prefix(t, tn, "object-format=", &val, &vlen)) {
			unsigned hexsz = token_is(val, vlen, "sha1") ? 40 :
					 token_is(val, vlen, "sha256") ? 64 : 0;

			if (!hexsz || ((d->req.caps & RP_CAP_OBJECT_FORMAT) &&
				       d->req.hexsz != hexsz))
				return rule(d, RP_WHY_OBJECT_FORMAT, ERR_UNSUPPORTED);
			d->req.hexsz = hexsz;
			d->req.caps |= RP_CAP_OBJECT_FORMAT;
		} else if (token_has_prefix(t, tn, "agent=", &val, &vlen)) {
			d->req.caps |= RP_CAP_AGENT;
			err = str_add(d, val, vlen, &d->agent_off);
		} else if (token_has_prefix(t, tn, "session-id=", &val, &vlen)) {
			d->req.caps |= RP_CAP_SESSION_ID;
			err = str_add(d, val, vlen, &d->sid_off);
		} else {
			d->req.caps |= RP_CAP_UNKNOWN;
		}
		if (err)
			return err;
	}
	if (d->shallow_hexsz && d->shallow_hexsz != d->req.hexsz)
		return rule(d, RP_WHY_BAD_OID, ERR_SYNTAX);
	return 0;
}

/* "old SP new SP ref" in line[0..n), the pkt payload being p[0..pn). */
static int parse_command(struct dec_receive_pack *d, const uint8_t *line, size_t n,
			 const uint8_t *p, size_t pn)
{
	size_t hx = d->req.hexsz, i;
	const uint8_t *ref;
	size_t ref_len;
	struct rp_cmd_at *c;
	int err;

	if (n < 2 * hx + 3 || line[hx] != ' ' || line[2 * hx + 1] != ' ')
		return rule(d, RP_WHY_BAD_COMMAND, ERR_SYNTAX);
	if (!is_lower_hex(line, hx) || !is_lower_hex(line + hx + 1, hx))
		return rule(d, RP_WHY_BAD_OID, ERR_SYNTAX);
	ref = line + 2 * hx + 2;
	ref_len = n - 2 * hx - 2;
	for (i = 0; i < ref_len; i++)
		if (ref[i] <= 0x20 || ref[i] == 0x7f)
			return rule(d, RP_WHY_BAD_REF, ERR_SYNTAX);
	if (d->ncmds >= LIMIT_PUSH_COMMANDS)
		return rule(d, RP_WHY_TOO_MANY_COMMANDS, ERR_LIMIT);
	if (grow((void **)&d->cmds, &d->cmds_cap, d->ncmds + 1, sizeof(*d->cmds)))
		return rule(d, RP_WHY_NOMEM, ERR_NOMEM);
	c = &d->cmds[d->ncmds];
	if ((err = str_add(d, line, hx, &c->old_off)) != 0 ||
	    (err = str_add(d, line + hx + 1, hx, &c->new_off)) != 0 ||
	    (err = str_add(d, ref, ref_len, &c->ref_off)) != 0 ||
	    (err = raw_add(d, p, pn, &c->raw_off)) != 0)
		return err;
	c->ref_len = ref_len;
	c->raw_len = pn;
	if (is_zero(line + hx + 1, hx))
		c->kind = RP_DELETE;
	else if (is_zero(line, hx))
		c->kind = RP_CREATE;
	else
		c->kind = RP_UPDATE;
	d->ncmds++;
	return 0;
}

static int on_first(struct dec_receive_pack *d, const uint8_t *p, size_t n)
{
	const uint8_t *nul;
	size_t ln;
	int err;

	if (n >= 8 && memcmp(p, "shallow ", 8) == 0)
		return parse_shallow(d, p, n);
	nul = memchr(p, '\0', n);
	ln = nul ? (size_t)(nul - p) : chomp(p, n);
	/* A signed push wraps the commands in a certificate; its first pkt
	 * is "push-cert" NUL caps (gitprotocol-pack "push-cert"). */
	if (chomp(p, ln) == 9 && memcmp(p, "push-cert", 9) == 0) {
		d->req.signed_push = true;
		return rule(d, RP_WHY_SIGNED_PUSH, ERR_UNSUPPORTED);
	}
	if (nul) {
		err = parse_caps(d, nul + 1, n - ln - 1);
		if (err)
			return err;
		/* Text before the NUL never carries the LF, but be lenient
		 * exactly as git's strlen()-based split is. */
		ln = chomp(p, ln);
	} else {
		err = str_add(d, "", 0, &d->caps_off);
		if (err)
			return err;
	}
	d->sec = RP_SEC_COMMANDS;
	return parse_command(d, p, ln, p, n);
}

static int rp_on_pkt(void *arg, enum pkt_kind kind, const uint8_t *p, size_t n)
{
	struct dec_receive_pack *d = arg;
	size_t bytes = kind == PKT_DATA ? n + 4 : 4;

	if (!size_add(d->block_bytes, bytes, &d->block_bytes) ||
	    d->block_bytes > LIMIT_COMMAND_BLOCK_BYTES)
		return rule(d, RP_WHY_BLOCK_LIMIT, ERR_LIMIT);
	/* dec_pktline in V0 mode refuses delim and response-end. */
	if (kind == PKT_FLUSH) {
		if (d->sec == RP_SEC_COMMANDS && (d->req.caps & RP_CAP_PUSH_OPTIONS)) {
			d->sec = RP_SEC_OPTIONS;
			return 0;
		}
		d->sec = RP_SEC_DONE;
		return PKTLINE_STOP;
	}
	if (d->sec != RP_SEC_OPTIONS && n == 0)
		return rule(d, RP_WHY_EMPTY_PKT, ERR_SYNTAX);
	switch (d->sec) {
	case RP_SEC_FIRST:
		return on_first(d, p, n);
	case RP_SEC_COMMANDS:
		if (n >= 8 && memcmp(p, "shallow ", 8) == 0)
			return rule(d, RP_WHY_SHALLOW_ORDER, ERR_SYNTAX);
		if (memchr(p, '\0', n))
			return rule(d, RP_WHY_CAPS_NOT_FIRST, ERR_SYNTAX);
		return parse_command(d, p, chomp(p, n), p, n);
	case RP_SEC_OPTIONS:
		if (memchr(p, '\0', n))
			return rule(d, RP_WHY_BAD_OPTION, ERR_SYNTAX);
		if (d->nlines - d->nshallow >= LIMIT_PUSH_OPTIONS)
			return rule(d, RP_WHY_TOO_MANY_OPTIONS, ERR_LIMIT);
		return add_line(d, p, n);
	default:
		return ERR_STATE;
	}
}

/* Fills d->req with pointers into the (now final) stores. */
static int publish(struct dec_receive_pack *d, bool complete)
{
	struct receive_pack_request *r = &d->req;
	const char *s = (const char *)d->strs.data;
	size_t i;

	if (d->published)
		return 0;
	d->pub_cmds = xcalloc(d->ncmds, sizeof(*d->pub_cmds));
	d->pub_lines = xcalloc(d->nlines, sizeof(*d->pub_lines));
	if (!d->pub_cmds || !d->pub_lines)
		return ERR_NOMEM;
	for (i = 0; i < d->ncmds; i++) {
		const struct rp_cmd_at *c = &d->cmds[i];

		d->pub_cmds[i].old_hex = s + c->old_off;
		d->pub_cmds[i].new_hex = s + c->new_off;
		d->pub_cmds[i].ref = s + c->ref_off;
		d->pub_cmds[i].ref_len = c->ref_len;
		d->pub_cmds[i].kind = c->kind;
		d->pub_cmds[i].payload = d->raw.data + c->raw_off;
		d->pub_cmds[i].payload_len = c->raw_len;
	}
	for (i = 0; i < d->nlines; i++) {
		d->pub_lines[i].text = s + d->lines[i].text_off;
		d->pub_lines[i].payload = d->raw.data + d->lines[i].raw_off;
		d->pub_lines[i].payload_len = d->lines[i].raw_len;
	}
	r->commands = d->pub_cmds;
	r->ncommands = d->ncmds;
	r->shallow = d->pub_lines;
	r->nshallow = d->nshallow;
	r->options = d->pub_lines + d->nshallow;
	r->noptions = d->nlines - d->nshallow;
	r->caps_raw = d->caps_off == RP_NONE ? "" : s + d->caps_off;
	r->agent = d->agent_off == RP_NONE ? NULL : s + d->agent_off;
	r->session_id = d->sid_off == RP_NONE ? NULL : s + d->sid_off;
	r->empty = d->ncmds == 0;
	r->delete_only = d->ncmds > 0;
	for (i = 0; i < d->ncmds; i++)
		if (d->cmds[i].kind != RP_DELETE)
			r->delete_only = false;
	r->complete = complete;
	r->block_bytes = d->block_bytes;
	d->published = true;
	return 0;
}

static struct dec_result failed(struct dec_receive_pack *d, struct dec_result r)
{
	if (d->why == RP_WHY_NONE) {
		enum pktline_why pw = dec_pktline_why(&d->pkt);

		d->why = pw == PKTLINE_WHY_TOO_LONG ? RP_WHY_PKT_LIMIT :
			 pw == PKTLINE_WHY_NOMEM ? RP_WHY_NOMEM :
			 pw == PKTLINE_WHY_TRUNCATED ? RP_WHY_TRUNCATED : RP_WHY_FRAMING;
	}
	d->sec = RP_SEC_FAILED;
	publish(d, false);
	return r;
}

static struct dec_result rp_feed(void *ctx, const uint8_t *in, size_t len,
				 const struct dec_sink *sink)
{
	struct dec_receive_pack *d = ctx;
	struct dec_result r;

	UNUSED(sink);
	if (d->sec == RP_SEC_DONE)
		return dec_ok(DEC_STOP, 0);
	if (d->sec == RP_SEC_FAILED)
		return dec_err(ERR_STATE, 0);
	r = dec_pktline.feed(&d->pkt, in, len, &discard_sink);
	if (r.status == DEC_ERR)
		return failed(d, r);
	if (r.status == DEC_STOP) {
		int err = publish(d, true);

		if (err) {
			d->why = RP_WHY_NOMEM;
			d->sec = RP_SEC_FAILED;
			return dec_err(err, r.consumed);
		}
		if (d->p.on_done)
			d->p.on_done(d->p.arg, &d->req);
		return r;
	}
	/* A request ends only at its final flush. */
	if (r.status == DEC_OK)
		r.status = DEC_MORE;
	return r;
}

static struct dec_result rp_finish(void *ctx, const struct dec_sink *sink)
{
	struct dec_receive_pack *d = ctx;

	UNUSED(sink);
	if (d->sec == RP_SEC_DONE)
		return dec_ok(DEC_STOP, 0);
	if (d->sec == RP_SEC_FAILED)
		return dec_err(ERR_STATE, 0);
	d->why = RP_WHY_TRUNCATED;
	return failed(d, dec_err(ERR_TRUNCATED, 0));
}

static void rp_release(void *ctx)
{
	struct dec_receive_pack *d = ctx;

	dec_pktline.release(&d->pkt);
	buf_release(&d->strs);
	buf_release(&d->raw);
	xfree(d->cmds);
	xfree(d->lines);
	xfree(d->pub_cmds);
	xfree(d->pub_lines);
	d->cmds = NULL;
	d->lines = NULL;
	d->pub_cmds = NULL;
	d->pub_lines = NULL;
	d->published = false;
}

enum rp_why receive_pack_why(const struct dec_receive_pack *d)
{
	return d->why;
}

const char *receive_pack_why_str(enum rp_why why)
{
	static const char *const text[] = {
		[RP_WHY_NONE] = "no error",
		[RP_WHY_FRAMING] = "bad pkt-line framing",
		[RP_WHY_EMPTY_PKT] = "empty pkt-line where a command belongs",
		[RP_WHY_BAD_COMMAND] = "malformed ref update command",
		[RP_WHY_BAD_OID] = "malformed object id",
		[RP_WHY_BAD_REF] = "bad ref name",
		[RP_WHY_CAPS_NOT_FIRST] = "capabilities after the first command",
		[RP_WHY_SHALLOW_ORDER] = "shallow line after a command",
		[RP_WHY_SIGNED_PUSH] = "signed pushes are not supported",
		[RP_WHY_OBJECT_FORMAT] = "unsupported object format",
		[RP_WHY_TOO_MANY_COMMANDS] = "too many ref updates",
		[RP_WHY_TOO_MANY_OPTIONS] = "too many push options",
		[RP_WHY_BAD_OPTION] = "bad push option",
		[RP_WHY_BLOCK_LIMIT] = "command block too large",
		[RP_WHY_PKT_LIMIT] = "pkt-line too long",
		[RP_WHY_TRUNCATED] = "request ended before its flush",
		[RP_WHY_NOMEM] = "out of memory",
	};

	if ((size_t)why >= ARRAY_SIZE(text) || !text[why])
		return "unknown";
	return text[why];
}

const struct receive_pack_request *receive_pack_peek(const struct dec_receive_pack *d)
{
	return d->published ? &d->req : NULL;
}

bool receive_pack_is_probe(const uint8_t *body, size_t len)
{
	return len == 4 && memcmp(body, "0000", 4) == 0;
}

static bool cap_matches(const uint8_t *t, size_t n, const char *name, size_t k)
{
	if (k && name[k - 1] == '=')
		return n >= k && memcmp(t, name, k) == 0;
	return n == k && memcmp(t, name, k) == 0;
}

int receive_pack_caps_drop(const uint8_t *caps, size_t n, const char *name, struct buf *out,
			   unsigned *dropped)
{
	size_t k = strlen(name), i = 0;
	size_t len = n && caps[n - 1] == '\n' ? n - 1 : n;
	bool drop_next_sep = false;
	unsigned count = 0;
	int err = 0;

	/* Tokens are split on SP only, as git's parse_feature_value() does;
	 * only a final LF ends the list. */
	while (i < len && !err) {
		size_t sep = i, tok, end;

		while (i < len && caps[i] == ' ')
			i++;
		tok = i;
		while (i < len && caps[i] != ' ')
			i++;
		end = i;
		if (end > tok && cap_matches(caps + tok, end - tok, name, k)) {
			/* A token goes with the separator before it; the first
			 * one, having none, takes the one after it. */
			if (sep == tok)
				drop_next_sep = true;
			count++;
		} else {
			if (!drop_next_sep)
				err = buf_append(out, caps + sep, tok - sep);
			drop_next_sep = false;
			if (!err)
				err = buf_append(out, caps + tok, end - tok);
		}
	}
	if (!err && len < n)
		err = buf_append(out, "\n", 1);
	if (dropped)
		*dropped = count;
	return err;
}

/* Appends the first command's payload without the capability `cap`. */
static int first_without_cap(const struct rp_command *c, const char *cap, struct buf *tmp)
{
	const uint8_t *p = c->payload, *nul = memchr(p, '\0', c->payload_len);
	size_t head;
	int err;

	if (!nul || !*cap)
		return buf_append(tmp, p, c->payload_len);
	head = (size_t)(nul - p) + 1;
	err = buf_append(tmp, p, head);
	return err ? err : receive_pack_caps_drop(p + head, c->payload_len - head, cap, tmp, NULL);
}

int receive_pack_reencode(const struct receive_pack_request *req, const char *drop_cap,
			  bool drop_options, struct buf *out)
{
	size_t i;
	int err;

	if (!req->complete)
		return ERR_STATE;
	for (i = 0; i < req->nshallow; i++) {
		err = pktline_encode(out, req->shallow[i].payload, req->shallow[i].payload_len);
		if (err)
			return err;
	}
	for (i = 0; i < req->ncommands; i++) {
		const struct rp_command *c = &req->commands[i];

		if (i == 0 && drop_cap) {
			struct buf tmp;

			buf_init(&tmp, PKTLINE_MAX_PAYLOAD);
			err = first_without_cap(c, drop_cap, &tmp);
			if (!err)
				err = pktline_encode(out, tmp.data, tmp.len);
			buf_release(&tmp);
		} else {
			err = pktline_encode(out, c->payload, c->payload_len);
		}
		if (err)
			return err;
	}
	err = pktline_encode_flush(out);
	if (err || drop_options || !(req->caps & RP_CAP_PUSH_OPTIONS))
		return err;
	for (i = 0; i < req->noptions; i++) {
		err = pktline_encode(out, req->options[i].payload, req->options[i].payload_len);
		if (err)
			return err;
	}
	return pktline_encode_flush(out);
}

const struct decoder_type dec_receive_pack = {
	.name = "receive-pack",
	.phase = DEC_PHASE_PROTOCOL,
	.flags = 0,
	.ctx_size = sizeof(struct dec_receive_pack),
	.init = rp_init,
	.feed = rp_feed,
	.finish = rp_finish,
	.release = rp_release,
};
