/*
 * packscan.c - blobs of a pack through the matcher; attribution at the end.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/base/limits.h"
#include "core/pack/attrib.h"
#include "core/push/packscan.h"

#include <stdio.h>

struct pending_blob {
	struct pack_oid oid;
	struct finding *findings;	/* owned */
	size_t n;
	char *path;			/* after resolve, owned */
	char commit[2 * PACK_OID_MAX + 1];
	char blob[2 * PACK_OID_MAX + 1];
};

struct packscan {
	struct packscan_params p;
	struct pack_parser *parser;
	struct pack_attrib *attrib;
	struct match_stream ms;
	bool in_blob;
	struct pending_blob *pending;
	size_t n_pending, cap_pending;
	struct packscan_stats stats;
};

static int on_begin(void *ctx, const struct pack_object_info *info)
{
	struct packscan *ps = ctx;
	int err;

	if (info->type != PACK_OBJ_BLOB)
		return pack_attrib_object_begin(ps->attrib, info);
	err = match_stream_init(&ps->ms, ps->p.rs, ps->p.sc);
	if (err) {
		match_stream_release(&ps->ms);
		return err;
	}
	ps->in_blob = true;
	return 0;
}

static int on_data(void *ctx, const struct pack_object_info *info, const uint8_t *p, size_t n)
{
	struct packscan *ps = ctx;

	if (info->type != PACK_OBJ_BLOB)
		return pack_attrib_object_data(ps->attrib, info, p, n);
	return ps->in_blob ? match_stream_feed(&ps->ms, p, n) : 0;
}

static int on_end(void *ctx, const struct pack_object_info *info)
{
	struct packscan *ps = ctx;
	struct pending_blob *pb;
	int err;

	if (info->type != PACK_OBJ_BLOB)
		return pack_attrib_object_end(ps->attrib, info);
	if (!ps->in_blob)
		return 0;
	ps->in_blob = false;
	err = match_stream_finish(&ps->ms);
	ps->stats.blobs++;
	ps->stats.blob_bytes += info->size;
	ps->stats.binary_blobs += ps->ms.binary;
	ps->stats.findings_over_limit += ps->ms.findings_over_limit;
	if (!err && ps->ms.n_findings) {
		if (ps->n_pending == ps->cap_pending) {
			size_t cap = ps->cap_pending ? ps->cap_pending * 2 : 16;
			struct pending_blob *np = xrealloc(ps->pending, cap * sizeof(*np));

			if (!np) {
				match_stream_release(&ps->ms);
				return ERR_NOMEM;
			}
			ps->pending = np;
			ps->cap_pending = cap;
		}
		pb = &ps->pending[ps->n_pending++];
		memset(pb, 0, sizeof(*pb));
		pb->oid = info->oid;
		pb->n = ps->ms.n_findings;
		pb->findings = ps->ms.findings;		/* ownership moves */
		ps->ms.findings = NULL;
		ps->ms.n_findings = 0;
	}
	match_stream_release(&ps->ms);
	return err;
}

int packscan_new(const struct packscan_params *p, struct packscan **out)
{
	struct packscan *ps = xcalloc(1, sizeof(*ps));
	struct pack_params pp;
	int err;

	*out = NULL;
	if (!ps)
		return ERR_NOMEM;
	ps->p = *p;
	memset(&pp, 0, sizeof(pp));
	pp.hash_algo = p->algo;
	pp.limits = p->limits;
	pp.sink.object_begin = on_begin;
	pp.sink.object_data = on_data;
	pp.sink.object_end = on_end;
	pp.sink.ctx = ps;
	pp.pack_fd = p->pack_fd;
	pp.spool_dir = p->spool_dir;
	err = pack_attrib_new(p->algo, LIMIT_PATH_MAP_BYTES_DEFAULT, &ps->attrib);
	if (!err)
		err = pack_parser_new(&pp, &ps->parser);
	if (err) {
		packscan_free(ps);
		return err;
	}
	*out = ps;
	return 0;
}

void packscan_free(struct packscan *ps)
{
	size_t i;

	if (!ps)
		return;
	if (ps->in_blob)
		match_stream_release(&ps->ms);
	for (i = 0; i < ps->n_pending; i++) {
		xfree(ps->pending[i].findings);
		xfree(ps->pending[i].path);
	}
	xfree(ps->pending);
	pack_parser_free(ps->parser);
	pack_attrib_free(ps->attrib);
	xfree(ps);
}

struct dec_result packscan_feed(struct packscan *ps, const uint8_t *p, size_t n)
{
	return pack_parser_feed(ps->parser, p, n);
}

struct dec_result packscan_finish(struct packscan *ps)
{
	return pack_parser_finish(ps->parser);
}

int packscan_resolve(struct packscan *ps)
{
	size_t len = pack_oid_len(ps->p.algo), i;
	int err = pack_attrib_resolve(ps->attrib);

	for (i = 0; i < ps->n_pending; i++) {
		struct pending_blob *pb = &ps->pending[i];
		const char *path = NULL;
		struct pack_oid commit;
		struct buf b;

		pack_oid_hex(&pb->oid, len, pb->blob);
		pb->commit[0] = '\0';
		buf_init(&b, 1 << 16);
		if (!err && pack_attrib_lookup(ps->attrib, &pb->oid, &path, &commit)) {
			pack_oid_hex(&commit, len, pb->commit);
			buf_append_str(&b, path);
		} else {
			buf_printf(&b, "blob:%s", pb->blob);
		}
		if (buf_append(&b, "", 1) != 0) {
			buf_release(&b);
			return ERR_NOMEM;
		}
		xfree(pb->path);
		pb->path = (char *)b.data;
	}
	return err;
}

size_t packscan_blob_count(const struct packscan *ps)
{
	return ps->n_pending;
}

void packscan_blob_get(const struct packscan *ps, size_t i, struct packscan_blob *out)
{
	const struct pending_blob *pb = &ps->pending[i];

	out->path = pb->path ? pb->path : "";
	memcpy(out->commit, pb->commit, sizeof(out->commit));
	memcpy(out->blob, pb->blob, sizeof(out->blob));
	out->findings = pb->findings;
	out->n = pb->n;
}

void packscan_stats(const struct packscan *ps, struct packscan_stats *out)
{
	*out = ps->stats;
	pack_parser_stats(ps->parser, &out->pack);
}
