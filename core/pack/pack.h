/*
 * pack.h - push-fed git pack parser with delta resolution (gitformat-pack).
 *
 * The parser takes the raw bytes of a version 2/3 pack (PACK header,
 * objects, trailer) in pieces of any size and reports every object, fully
 * reconstructed (deltas applied), to an object sink.  It is the one pack
 * reader of sluice: `sluice scan x.pack`, `sluice scan <repo>` (fed by
 * `git pack-objects --all`) and the push gate all use it.
 *
 * Implements the decoder interface (core/decode/decoder-t.h): the exported
 * `pack_decoder` type.  params for init is a `struct pack_params`.  The
 * dec_sink argument of feed/finish is unused (objects go to the object sink
 * given in params) and may be NULL.  feed returns DEC_STOP once the trailer
 * has been read and verified; bytes after the trailer are not consumed.
 *
 * What the parser does, in order of the bytes:
 *   - header: "PACK", version 2 or 3, object count (capped);
 *   - per object: type/size varint header (overflow checked), OFS_DELTA
 *     negative offset or REF_DELTA base id, then one zlib stream whose
 *     inflated length must equal the header size;
 *   - non-delta objects are streamed to the sink while they inflate
 *     (object_begin, object_data*, object_end), so a large blob costs no
 *     memory beyond the zlib window;
 *   - delta objects are inflated, applied to their base (every copy
 *     bounds-checked) and reported as the resulting type, the
 *     reconstructed content in object_data calls of at most 1 MiB;
 *   - every object's id is computed (SHA-1 of "<type> <size>\0" + content,
 *     or SHA-256 when params.hash_algo says so);
 *   - REF_DELTA whose base has not arrived yet is deferred and resolved
 *     when the pack ends; a base that never arrives is ERR_BASE_MISSING;
 *   - the trailer checksum over all preceding bytes is verified.
 *
 * Delta bases: an LRU cache of inflated objects (bounded by
 * params.limits.base_cache_bytes); on a miss the base is re-inflated from
 * the raw pack bytes, which the parser keeps in a spool: either the caller's
 * file (params.pack_fd, for `sluice scan x.pack`) or a temporary file the
 * parser writes itself (bounded by params.limits.spool_bytes) in
 * params.spool_dir.
 *
 * Errors (dec_result.err):
 *   ERR_SYNTAX      bad magic; object type 0 or 5; an OFS_DELTA offset of 0,
 *                   reaching before the first object, or not landing on the
 *                   start of an earlier object; an inflated length that
 *                   differs from the header size (shorter or longer);
 *   ERR_UNSUPPORTED version not 2 or 3;
 *   ERR_OVERFLOW    the size varint or the OFS_DELTA offset exceeds 64 bits;
 *   ERR_LIMIT       a pack_limits field; pack_stats.limit_hit says which
 *                   (PACK_LIMIT_SPOOL_DISK: the spool write failed with
 *                   ENOSPC or EDQUOT, a full disk rather than corruption);
 *   ERR_CANCELED    params.cancel read true;
 *   ERR_INFLATE     corrupt zlib stream (bad header, data or adler-32), or
 *                   a spooled stream that does not re-inflate as before;
 *   ERR_DELTA       bad delta: base size mismatch, copy outside the base,
 *                   write past or short of the result size, opcode 0,
 *                   truncated instruction (see delta.h);
 *   ERR_BASE_MISSING a REF_DELTA whose base is not in the pack (thin pack),
 *                   or deltas that are each other's bases; reported after
 *                   the trailer verified, when no further base can come;
 *   ERR_CHECKSUM    trailer mismatch;
 *   ERR_TRUNCATED   finish before the trailer;
 *   ERR_IO          spool write/read failed; ERR_NOMEM;
 *   ERR_STATE       feed after STOP or ERR; ERR_USAGE (NULL params);
 *   or any negative code an object sink callback returned.
 * After an error the parser accepts nothing more; finish repeats the error.
 * The position of an error (dec_result.consumed summed over the feeds)
 * depends only on the input bytes, never on how they were split; the
 * exceptions depend on the world outside the input: ERR_CANCELED,
 * PACK_LIMIT_MEMORY (other holders of the budget), and spool failures
 * (ERR_IO, PACK_LIMIT_SPOOL_DISK), reported at the end of the feed whose
 * bytes could not be written.
 *
 * Work and memory: every byte the parser inflates or reconstructs (whole
 * objects, delta data, bases re-inflated from the spool, delta results)
 * is charged to one ledger, pack_stats.bytes_inflated, and checked BEFORE
 * the bytes are allocated or produced, against two limits:
 *   - limits.inflate_total, an absolute cap per pack;
 *   - the amplification budget, amplification_slack + amplification_ratio
 *     * (raw pack bytes received up to that point).  A delta's result
 *     size and a whole object's size are read from their headers and
 *     checked before anything is allocated, so a few hundred bytes that
 *     declare a 500 MiB result cost about nothing: ERR_LIMIT with
 *     PACK_LIMIT_AMPLIFICATION (pack_stats.limit_wanted holds the total
 *     the refused step would have reached).  A whole object's own stream
 *     is credited with the fewest bytes deflate could have encoded it in
 *     (1/1032 of its size) and checked again, exactly, where it ends; at
 *     ratios above 1032 plain inflation therefore never trips the budget,
 *     only delta reconstruction and re-inflation do.
 * Each check fires at a byte position fixed by the input alone.  Total
 * work per pack is thus at most the ledger (linear in the raw bytes) plus
 * delta instructions and hashing, each linear in it.
 *
 * Memory: when limits.memory is set, every large buffer the parser holds
 * is reserved from that shared budget before it is allocated and given
 * back when freed: the cached bases, delta data, the base and the result
 * of a delta being applied, a whole object inflated in one piece, the
 * entry table (about 60 bytes per object), and the fixed buffers (128 KiB
 * inflate chunk, 64 KiB read chunk, zlib state, and for our own spool
 * its last 256 KiB, kept in memory so small pushes never touch the disk),
 * these reserved at the first feed.  When a reservation fails, the
 * parser first evicts its own least recently used cached bases; when the
 * object at hand still does not fit, ERR_LIMIT with PACK_LIMIT_MEMORY
 * (limit_wanted: the bytes it asked for).  Where that happens depends on
 * the other holders of the budget, so its position is not fixed by the
 * input (see Errors).  Delta data grows with the bytes actually inflated,
 * never towards a declared size.  A whole object inflates in one piece (and
 * joins the cache) only when it is at most base_cache_bytes/4, the
 * amplification budget already covers it without credit, and the budget
 * has room now; otherwise it streams through the 128 KiB chunk.
 * base_cache_bytes caps the cache of this one pack; while less than a
 * quarter of the shared budget is left the cache does not grow past
 * LIMIT_BASE_CACHE_SHARED_FLOOR, so caches cannot starve the working
 * buffers of other pushes.  Not counted: the id lookup tables, cache
 * nodes and deferred-delta stacks (a few bytes per object, bounded through
 * max_objects).  pack_stats.memory_peak is the most this parser held at
 * once (counted even without a budget).
 *
 * Cancellation: params.cancel, when set, is read before each object, at
 * least once per 1 MiB inflated, re-inflated, reconstructed, hashed or
 * handed to the sink, and at each feed; once it reads true the parser
 * stops with ERR_CANCELED within that much work.
 *
 * Using pack_decoder directly: the context is a struct pack_parser, so
 * pack_parser_stats(ctx, ...) may be called on it before release.
 *
 * Caveats: not thread-safe; one parser per pack (only limits.memory and
 * params.cancel may be shared with, or written by, other threads).  The
 * memory budget and the cancel flag must outlive the parser.  Pointers
 * handed to the sink are valid only during the callback.
 */
#ifndef SLUICE_PACK_PACK_H
#define SLUICE_PACK_PACK_H

#include "core/base/api.h"
#include "core/decode/decoder-t.h"

#include <stdatomic.h>

struct membudget;

enum pack_obj_type {
	PACK_OBJ_NONE = 0,
	PACK_OBJ_COMMIT = 1,
	PACK_OBJ_TREE = 2,
	PACK_OBJ_BLOB = 3,
	PACK_OBJ_TAG = 4,
	PACK_OBJ_OFS_DELTA = 6,
	PACK_OBJ_REF_DELTA = 7,
};

enum pack_hash_algo {
	PACK_HASH_SHA1,		/* 20-byte ids, the default */
	PACK_HASH_SHA256,	/* 32-byte ids (object-format=sha256) */
};

#define PACK_OID_MAX 32

struct pack_oid {
	uint8_t id[PACK_OID_MAX];	/* raw id; first oid_len bytes used */
};

/* Which pack_limits field stopped the parser (for the verdict reason). */
enum pack_limit {
	PACK_LIMIT_NONE,
	PACK_LIMIT_OBJECTS,
	PACK_LIMIT_OBJECT_BYTES,
	PACK_LIMIT_DELTA_DEPTH,
	PACK_LIMIT_SPOOL_BYTES,
	PACK_LIMIT_INFLATE_TOTAL,
	PACK_LIMIT_AMPLIFICATION,	/* slack + ratio * raw bytes exceeded */
	PACK_LIMIT_MEMORY,		/* the shared memory budget is spent */
	PACK_LIMIT_SPOOL_DISK,		/* the spool disk is full (ENOSPC/EDQUOT) */
};

struct pack_limits {
	uint32_t max_objects;		/* LIMIT_PACK_OBJECTS_DEFAULT */
	uint64_t max_object_bytes;	/* LIMIT_OBJECT_BYTES_DEFAULT */
	uint32_t max_delta_depth;	/* LIMIT_DELTA_DEPTH_DEFAULT */
	size_t base_cache_bytes;	/* LIMIT_BASE_CACHE_BYTES */
	uint64_t spool_bytes;		/* LIMIT_SPOOL_BYTES_DEFAULT */
	uint64_t inflate_total;		/* LIMIT_INFLATE_TOTAL_DEFAULT */
	uint32_t amplification_ratio;	/* LIMIT_AMPLIFICATION_RATIO: bytes
					 * inflated per raw byte received */
	uint64_t amplification_slack;	/* LIMIT_AMPLIFICATION_SLACK */
	struct membudget *memory;	/* shared budget for large buffers, or
					 * NULL (unbounded); borrowed */
};

/* Fills every field with its limits.h default; memory is NULL. */
void pack_limits_default(struct pack_limits *l);

/* What the sink learns about an object. */
struct pack_object_info {
	enum pack_obj_type type;	/* COMMIT, TREE, BLOB or TAG (deltas are
					 * reported as their resolved type) */
	uint64_t size;			/* inflated (resolved) size */
	uint64_t offset;		/* offset of the entry in the pack */
	uint32_t index;			/* 0-based position in the pack */
	uint32_t delta_depth;		/* 0 for a whole object */
	bool oid_valid;			/* false in object_begin/data, true in
					 * object_end */
	struct pack_oid oid;		/* object id when oid_valid */
};

/* Receives objects.  Any callback may be NULL.  A negative return stops the
 * parser with that code.  Objects are reported in the order their content
 * becomes known: pack order, except deferred deltas (a REF_DELTA whose base
 * comes later, and any delta on a deferred delta), which are reported
 * after the trailer verified and before feed returns DEC_STOP.  A whole
 * object's data may arrive in any number of object_data calls (how many
 * depends on how the input was split); a delta result arrives in pieces
 * of at most 1 MiB.
 * info.index is the position in the pack, so deferred objects report
 * their original index. */
struct pack_object_sink {
	int (*object_begin)(void *ctx, const struct pack_object_info *info);
	int (*object_data)(void *ctx, const struct pack_object_info *info,
			   const uint8_t *p, size_t n);
	int (*object_end)(void *ctx, const struct pack_object_info *info);
	void *ctx;
};

struct pack_params {
	enum pack_hash_algo hash_algo;	/* SHA1 unless object-format=sha256 */
	struct pack_limits limits;	/* copy; see pack_limits_default() */
	struct pack_object_sink sink;	/* where objects go */
	int pack_fd;			/* >= 0: the caller's file holding the
					 * same bytes at the same offsets (read
					 * with pread, never written, not
					 * closed); -1: the parser spools */
	const char *spool_dir;		/* directory for the temporary spool
					 * (NULL: $TMPDIR or /tmp); the file is
					 * unlinked at once */
	const atomic_bool *cancel;	/* true: stop with ERR_CANCELED; NULL:
					 * never; borrowed, may be set from
					 * another thread */
};

/* Summary after the pack ended (or failed). */
struct pack_stats {
	uint32_t objects_declared;	/* from the header */
	uint32_t objects_done;		/* reported to the sink */
	uint32_t deltas;		/* of which were deltas */
	uint32_t max_depth_seen;	/* deepest delta chain */
	uint64_t bytes_in;		/* raw pack bytes consumed */
	uint64_t bytes_inflated;	/* inflated and reconstructed bytes, as
					 * charged to limits.inflate_total */
	uint64_t base_cache_misses;	/* objects re-inflated from the spool
					 * (bases and deferred delta data) */
	enum pack_limit limit_hit;	/* which limit stopped it, if any */
	uint64_t limit_wanted;		/* INFLATE_TOTAL, AMPLIFICATION: the
					 * ledger the refused step would have
					 * reached; MEMORY: bytes asked for */
	uint64_t memory_peak;		/* most bytes held reserved at once */
};

extern const struct decoder_type pack_decoder;

/* Convenience for callers that hold the context themselves.  The context
 * is opaque; allocate pack_decoder.ctx_size bytes or use these. */
struct pack_parser;
int pack_parser_new(const struct pack_params *params, struct pack_parser **out);
struct dec_result pack_parser_feed(struct pack_parser *p, const uint8_t *in, size_t len);
struct dec_result pack_parser_finish(struct pack_parser *p);
void pack_parser_stats(const struct pack_parser *p, struct pack_stats *out);
void pack_parser_free(struct pack_parser *p);

/* Object id helpers. */
size_t pack_oid_len(enum pack_hash_algo algo);
/* Writes 2*len hex digits and a NUL into out (size >= 2*len+1). */
void pack_oid_hex(const struct pack_oid *oid, size_t len, char *out);

#endif
