/*
 * attrib.h - map blobs to (commit, path) after a pack has been read.
 *
 * Trees usually precede their blobs in a pack, but git does not promise it,
 * so attribution happens at the end (git-gate.md §5).  The collector is fed
 * every commit and tree object from the pack (via the pack object sink) and
 * keeps their content, bounded by max_bytes; pack_attrib_resolve() then
 * walks the commits oldest first (committer time, then pack order) and
 * records, for every blob reachable from their trees, the first commit and
 * the path at which it appears.  Each tree is walked once.
 *
 * Errors: ERR_LIMIT (max_bytes of kept commit/tree content, or path depth),
 * ERR_SYNTAX (malformed tree or commit), ERR_NOMEM.
 *
 * Caveats: a blob reachable from no commit in the pack (a tag on a blob, or
 * trees whose commit is elsewhere) has no path; lookups return false and the
 * caller reports it by id.
 */
#ifndef SLUICE_PACK_ATTRIB_H
#define SLUICE_PACK_ATTRIB_H

#include "core/base/api.h"
#include "core/pack/pack.h"

struct pack_attrib;

int pack_attrib_new(enum pack_hash_algo algo, size_t max_bytes, struct pack_attrib **out);
void pack_attrib_free(struct pack_attrib *a);

/* Feed hooks with the pack_object_sink signatures; the collector keeps
 * commits and trees and ignores other types.  ctx is the pack_attrib. */
int pack_attrib_object_begin(void *ctx, const struct pack_object_info *info);
int pack_attrib_object_data(void *ctx, const struct pack_object_info *info,
			    const uint8_t *p, size_t n);
int pack_attrib_object_end(void *ctx, const struct pack_object_info *info);

/* Walks commits and trees.  Call once, after the pack ended. */
int pack_attrib_resolve(struct pack_attrib *a);

/* After resolve: the path (owned by a, valid until pack_attrib_free) and
 * the commit id of blob `oid`.  Returns false when the blob has no path. */
bool pack_attrib_lookup(const struct pack_attrib *a, const struct pack_oid *blob,
			const char **path, struct pack_oid *commit);

#endif
