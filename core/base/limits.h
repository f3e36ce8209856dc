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
/* In-memory delta base cache (LRU); misses are re-inflated from the spool.
 * git uses 96 MiB (core.deltaBaseCacheLimit); at 32 MiB a 40-revision
 * history of 30 files re-inflated 26x its size (tests/bench/RESULTS.md). */
#define LIMIT_BASE_CACHE_BYTES       (96u * 1024 * 1024)
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

/* --- board ------------------------------------------------------------ */

/* Worker event loops chosen from the core count: past 8, pushes are bound
 * by upstream and disk, and each worker costs its own Hyperscan scratch
 * and pools (config `workers` may still set more). */
#define LIMIT_BOARD_WORKERS_MAX      8u
/* One NOTIFY_SOCKET datagram (READY=1, STATUS=...): a longer status text
 * is refused with ERR_LIMIT, never sent truncated. */
#define LIMIT_NOTIFY_BYTES           1024u

/* --- IaC misconfiguration engine (iac.md §1) -------------------------- */

/* Bytes of one IaC file buffered and evaluated; larger files are UNKNOWN
 * (a 4 MiB one-line JSON must not stall a push). */
#define LIMIT_IAC_FILE_BYTES_DEFAULT (4u * 1024 * 1024)
/* IaC candidate blobs kept per pack until their paths are known at the
 * end of the pack (git-gate.md §5: trees may follow blobs).  Above it a
 * candidate is not evaluated and the push gets the LIMIT_IAC reason. */
#define LIMIT_IAC_KEPT_BYTES         (64u * 1024 * 1024)
/* Nesting of objects/lists/blocks: a "[[[[..." bomb must not exhaust the
 * parser or the evaluator. */
#define LIMIT_IAC_DEPTH              256u
/* One token (string, heredoc, scalar): a multi-MB single string. */
#define LIMIT_IAC_TOKEN_BYTES        (1u * 1024 * 1024)
/* YAML alias expansion in nodes (billion-laughs documents). */
#define LIMIT_IAC_ALIAS_NODES        (64u * 1024)
/* Parse tree arena per file: at most this many bytes per input byte plus
 * a fixed slack, so tiny tokens cannot multiply memory. */
#define LIMIT_IAC_TREE_RATIO         8u
#define LIMIT_IAC_TREE_SLACK         (1u * 1024 * 1024)
/* Findings kept per file: a generated file with 100k bad resources. */
#define LIMIT_IAC_FINDINGS_PER_FILE  1000u
/* Suppression comments honoured per file. */
#define LIMIT_IAC_SUPPRESSIONS       1024u
/* Optional wall-clock budget for one file, per started MiB (iac.md §1
 * "parse time per file"); 0 in iac_scan() defaults, set by the gate. */
#define LIMIT_IAC_TIME_MS_PER_MIB    50u
/* Check packs: checks per set, bindings per check, condition nesting,
 * path segments; a hostile pack must not make evaluation unbounded. */
#define LIMIT_IAC_CHECKS             4096u
#define LIMIT_IAC_BINDINGS           32u
#define LIMIT_IAC_COND_DEPTH         16u
#define LIMIT_IAC_PATH_SEGMENTS      24u
#define LIMIT_IAC_PACK_BYTES         (8u * 1024 * 1024)

#endif
