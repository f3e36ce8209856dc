/*
 * attrib.h - map blobs to (commit, path) after a pack has been read.
 *
 * Trees usually precede their blobs in a pack, but git does not promise it,
 * so attribution happens at the end (git-gate.md §5).  The collector is fed
 * every object from the pack (via the pack object sink); it keeps tree
 * content and reduces each commit to (tree id, parents, committer time),
 * bounded by max_bytes.  pack_attrib_resolve() then walks the commits
 * oldest first and records, for every blob reachable from their trees, the
 * first commit and the path ("dir/sub/file") at which it appears.
 *
 * Order: a commit comes after its parents that are in the pack; among
 * commits whose parents are done, the lowest committer time first, and on
 * equal times the later pack position first (pack-objects writes newest
 * first).  Each tree is walked once, depth-first in entry order, so within
 * one commit a blob gets the first path `git ls-tree -r` prints.
 *
 * Errors: the feed hooks never fail (they return 0, so attribution trouble
 * never stops the pack parser); problems are remembered and
 * pack_attrib_resolve() returns the first one after attributing what it
 * could: ERR_LIMIT (max_bytes of kept tree content and paths, tree depth
 * beyond LIMIT_TREE_DEPTH_DEFAULT, a path beyond LIMIT_PATH_BYTES_DEFAULT,
 * more than LIMIT_COMMIT_PARENTS parents), ERR_SYNTAX (malformed tree or
 * commit: the rest of that tree is skipped), ERR_NOMEM.  A second resolve
 * is ERR_STATE.
 *
 * Caveats: a blob reachable from no commit in the pack (a tag on a blob, or
 * trees whose commit is elsewhere) has no path; lookups return false and the
 * caller reports it by id.  Not thread-safe.  Tree content is freed by
 * resolve(); only the paths stay.
 */
#ifndef SLUICE_PACK_ATTRIB_H
#define SLUICE_PACK_ATTRIB_H

#include "core/base/api.h"
#include "core/pack/pack.h"

struct pack_attrib;

int pack_attrib_new(enum pack_hash_algo algo, size_t max_bytes, struct pack_attrib **out);
/* Gives back every reservation (see pack_attrib_set_memory) and frees. */
void pack_attrib_free(struct pack_attrib *a);

/* Kept bytes (tree content, commit heads in flight, paths) are also
 * reserved from `memory`, the budget shared by every push in flight
 * (borrowed, must outlive a), before they are allocated; a reservation
 * that fails is ERR_LIMIT like max_bytes, and pack_attrib_memory_short()
 * then says so.  Call before the first object; NULL (the default): no
 * shared budget. */
void pack_attrib_set_memory(struct pack_attrib *a, struct membudget *memory);
/* True when the error resolve() returns is ERR_LIMIT because the shared
 * budget was spent (rather than max_bytes or a depth limit). */
bool pack_attrib_memory_short(const struct pack_attrib *a);

/* Feed hooks with the pack_object_sink signatures; the collector keeps
 * commits and trees and ignores other types.  ctx is the pack_attrib.
 * Always 0 (see Errors). */
int pack_attrib_object_begin(void *ctx, const struct pack_object_info *info);
int pack_attrib_object_data(void *ctx, const struct pack_object_info *info,
			    const uint8_t *p, size_t n);
int pack_attrib_object_end(void *ctx, const struct pack_object_info *info);

/* Walks commits and trees.  Call once, after the pack ended.  0 or the
 * first error seen (see Errors); lookups work either way. */
int pack_attrib_resolve(struct pack_attrib *a);

/* After resolve: the path (owned by a, valid until pack_attrib_free) and
 * the commit id of blob `oid`.  Returns false when the blob has no path. */
bool pack_attrib_lookup(const struct pack_attrib *a, const struct pack_oid *blob,
			const char **path, struct pack_oid *commit);

#endif
