/*
 * limits.h - every default bound in sluice, in one place.
 *
 * Each limit names the attack or the protocol clause it answers.  Config may
 * override any of them (struct sluice_limits is copied into a snapshot);
 * reaching one is a verdict reason, never a crash and never a silent skip.
 */
#ifndef SLUICE_BASE_LIMITS_H
#define SLUICE_BASE_LIMITS_H

#include "core/base/api.h"

/* --- scan engine ---------------------------------------------------- */

/* Stage-2 confirmation window: the widest rule may match at most this many
 * bytes.  Rules wider than this are refused at import (secrets.md §1). */
#define LIMIT_WINDOW_BYTES_DEFAULT   (8u * 1024)
#define LIMIT_WINDOW_BYTES_MAX       (64u * 1024)
/* Hits buffered between two confirmation passes; a pathological blob that
 * matches every byte costs at most this much memory per stream. */
#define LIMIT_PENDING_HITS           4096u
/* Findings kept per object: a generated file with a million fake keys
 * must not exhaust memory; the rest are counted, not stored. */
#define LIMIT_FINDINGS_PER_OBJECT    1000u
/* Bytes of an object inspected for a NUL to call it binary (git's own
 * heuristic, xdiff-interface.c). */
#define LIMIT_BINARY_SNIFF_BYTES     8000u

/* --- pack parsing (gitformat-pack) ------------------------------------ */

/* Objects in one pack: the count is attacker-chosen u32; each costs an
 * index entry, so cap it. */
#define LIMIT_PACK_OBJECTS_DEFAULT   (4u * 1024 * 1024)
/* Inflated size of one object (header size field is attacker-chosen). */
#define LIMIT_OBJECT_BYTES_DEFAULT   (512ull * 1024 * 1024)
/* Delta chain depth: git's hard maximum is 4095. */
#define LIMIT_DELTA_DEPTH_DEFAULT    4095u
/* In-memory delta base cache (LRU); misses are re-inflated from the spool. */
#define LIMIT_BASE_CACHE_BYTES       (32u * 1024 * 1024)
/* Raw pack spool on disk per push: bounds disk use of one connection. */
#define LIMIT_SPOOL_BYTES_DEFAULT    (4ull * 1024 * 1024 * 1024)
/* Bytes decompressed per push, against zip-bomb packs. */
#define LIMIT_INFLATE_TOTAL_DEFAULT  (16ull * 1024 * 1024 * 1024)
/* Tree and commit bytes kept to map blobs to paths after the pack ends. */
#define LIMIT_PATH_MAP_BYTES_DEFAULT (256u * 1024 * 1024)
/* Tree nesting walked when mapping blobs to paths: a pack of trees nested
 * thousands deep must not exhaust the walk stack. */
#define LIMIT_TREE_DEPTH_DEFAULT     4096u
/* Bytes of one blob path "dir/sub/file" built during that walk. */
#define LIMIT_PATH_BYTES_DEFAULT     (64u * 1024)
/* Parents kept per commit for the oldest-first walk: octopus bombs. */
#define LIMIT_COMMIT_PARENTS         1024u

/* --- protocol --------------------------------------------------------- */

/* One pkt-line: 4 hex digits of length, 65520 bytes maximum
 * (gitprotocol-common). */
#define LIMIT_PKT_BYTES              65520u
/* Commands in one push and bytes of the command block. */
#define LIMIT_PUSH_COMMANDS          4096u
#define LIMIT_COMMAND_BLOCK_BYTES    (1024u * 1024)
/* HTTP request/response head: request smuggling and slowloris defence. */
#define LIMIT_HTTP_HEAD_BYTES        (16u * 1024)
#define LIMIT_HTTP_HEADERS           100u
/* Chunk-size line of chunked transfer coding (RFC 9112 §7.1): hex digits
 * beyond 16 would overflow 64 bits. */
#define LIMIT_CHUNK_SIZE_DIGITS      16u
#define LIMIT_CHUNK_EXT_BYTES        4096u
/* Trailer section after the last chunk (RFC 9112 §7.1.2): discarded, but
 * an endless trailer would otherwise be a slowloris with no body. */
#define LIMIT_CHUNK_TRAILER_BYTES    (8u * 1024)
/* Content-Encoding inflate of a request body (RFC 9110 §8.4): output may
 * exceed input by this ratio, plus a fixed slack so that small, highly
 * compressible bodies pass; absolute cap: LIMIT_INFLATE_TOTAL_DEFAULT. */
#define LIMIT_CONTENT_INFLATE_RATIO  100u
#define LIMIT_CONTENT_INFLATE_SLACK  (1u * 1024 * 1024)
/* Push options in one push (git sends one pkt per `-o`): each costs a
 * stored string and is matched against bypass policy. */
#define LIMIT_PUSH_OPTIONS           256u

/* --- offline scanning ------------------------------------------------- */

/* Directory recursion depth for `sluice scan DIR` (symlink loops are not
 * followed, but very deep trees are still bounded). */
#define LIMIT_DIR_DEPTH              256u

#endif
