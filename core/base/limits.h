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
/* When less than a quarter of the shared push memory budget is left, a
 * push's base cache stops growing past this: cached bases only save
 * re-inflation, and one push's cache must not starve the working buffers
 * (delta data, bases and results being applied) of the others. */
#define LIMIT_BASE_CACHE_SHARED_FLOOR (4u * 1024 * 1024)
/* Raw pack spool on disk per push: bounds disk use of one connection. */
#define LIMIT_SPOOL_BYTES_DEFAULT    (4ull * 1024 * 1024 * 1024)
/* Bytes decompressed per push, against zip-bomb packs: an absolute cap
 * on the work of one push, checked before each object or delta result is
 * produced (the amplification budget below is the tighter one for small
 * pushes). */
#define LIMIT_INFLATE_TOTAL_DEFAULT  (16ull * 1024 * 1024 * 1024)
/* Amplification budget, against delta bombs: a 449-byte delta may declare
 * a 500 MiB result, and eight such deltas hold a CPU for seconds.  The
 * inflated and reconstructed bytes of a pack (every inflated byte, every
 * base re-inflated from the spool, every delta result) may not exceed
 * SLACK + RATIO * (raw pack bytes received so far); a delta result is
 * checked against it before it is allocated or built, so a bomb costs
 * about the slack, never what it declares.  Deflate itself cannot expand
 * beyond about 1032:1, so at 2048:1 plain inflation never reaches the
 * limit; only delta reconstruction and re-inflation (the work an attacker
 * can multiply) can.  Real histories stay below about 200:1 (an 8 MB
 * benchmark pack inflates to 380 MB).  The slack lets small pushes of
 * highly compressible files through (8 MiB of zeros deflate to 8 KiB). */
#define LIMIT_AMPLIFICATION_RATIO    2048u
#define LIMIT_AMPLIFICATION_SLACK    (16ull * 1024 * 1024)
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
/* Slow clients (slowloris): a connection that has not finished its TLS
 * handshake, or its request head, within these is closed, whatever its
 * trickle of bytes (each byte used to reset the idle timer); nginx's
 * client_header_timeout and HAProxy's `timeout http-request` are the
 * same idea.  A body must keep up LIMIT_BODY_RATE_MIN bytes per second
 * over each window while the gate is reading it.  Plain numbers: config
 * takes them as its defaults (netproxy/config.c). */
#define LIMIT_TLS_HANDSHAKE_MS       10000
#define LIMIT_REQUEST_HEAD_MS        20000
#define LIMIT_BODY_RATE_MIN          1024
#define LIMIT_BODY_RATE_WINDOW_MS    15000
/* Working memory of all pushes in flight together: delta bases and
 * results, held bodies.  Sized for a 1 GB board (the process idles near
 * 50 MB); a push that cannot get memory is refused LIMIT_MEMORY. */
#define LIMIT_PUSH_MEMORY_DEFAULT    134217728
/* Pushes scanned at once: one per this many MiB of push_memory (at least
 * one), so each has room for a delta-base cache that does not thrash (a
 * 40-revision history re-inflated 26x its size with 32 MiB, 2x with 96).
 * The others wait, reading nothing, up to LIMIT_PUSH_QUEUE_MS, then are
 * refused as busy. */
#define LIMIT_PUSH_SLOT_MIB          48
#define LIMIT_PUSH_QUEUE_MS          120000
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
/* Helm rendering (core/iac/helm.h): a chart is a program, so bound what
 * it may do.  Output per template file (what iac_scan would take) and per
 * chart; steps (actions, calls, iterations, toYaml nodes) per chart, so a
 * range of 10^9 or nested ranges stop in well under a second; control and
 * expression nesting; include/template depth (recursive includes);
 * elements of one range or until; variables live at once; templates per
 * chart; texts and actions per chart (24 bytes each); memory of the
 * values and intermediate strings. */
#define LIMIT_HELM_FILE_OUTPUT       LIMIT_IAC_FILE_BYTES_DEFAULT
#define LIMIT_HELM_CHART_OUTPUT      (32u * 1024 * 1024)
#define LIMIT_HELM_STEPS             (4u * 1024 * 1024)
#define LIMIT_HELM_NESTING           64u
#define LIMIT_HELM_INCLUDE_DEPTH     32u
#define LIMIT_HELM_RANGE_ITEMS       (64u * 1024)
#define LIMIT_HELM_VARS              1024u
#define LIMIT_HELM_FILES             1024u
#define LIMIT_HELM_ITEMS             (256u * 1024)
#define LIMIT_HELM_MEMORY            (64u * 1024 * 1024)

/* --- authentication (netproxy/auth.h) ------------------------------- */

/* PBKDF2-HMAC-SHA256 iterations for a new password hash: about 25 ms of
 * one core here.  The hash runs on an event loop, so this trades guessing
 * cost against loop stall; the count is stored per user and can rise. */
#define LIMIT_AUTH_PBKDF2_ITER_DEFAULT 100000u
/* Iteration counts accepted from DATA/users: fewer makes an offline guess
 * too cheap; more lets one line stall an event loop for seconds. */
#define LIMIT_AUTH_PBKDF2_ITER_MIN   10000u
#define LIMIT_AUTH_PBKDF2_ITER_MAX   2000000u
/* Random salt of a new hash; salts read back may be 8..64 bytes. */
#define LIMIT_AUTH_SALT_BYTES        16u
#define LIMIT_AUTH_SALT_BYTES_MIN    8u
#define LIMIT_AUTH_SALT_BYTES_MAX    64u
/* DATA/users size, users in it and one line: the file is read whole on
 * every change, under a lock the event loops share. */
#define LIMIT_AUTH_FILE_BYTES        (1u * 1024 * 1024)
#define LIMIT_AUTH_USERS             4096u
#define LIMIT_AUTH_LINE_BYTES        512u
/* A user name: it becomes REMOTE_USER and an audit field. */
#define LIMIT_AUTH_NAME_BYTES        64u
/* Password bytes: PBKDF2 hashes any length, but nobody needs more. */
#define LIMIT_AUTH_PASSWORD_BYTES    256u
/* Shortest password `sluice user add` stores. */
#define LIMIT_AUTH_PASSWORD_MIN      8u
/* Length of a generated password (base62: about 143 bits). */
#define LIMIT_AUTH_GENERATED_CHARS   24u
/* An Authorization field value longer than this is refused unread. */
#define LIMIT_AUTH_HEADER_BYTES      1024u
/* Recently verified credentials, so git's GET + POST of one push cost
 * one slow hash; a changed DATA/users empties the cache. */
#define LIMIT_AUTH_CACHE_ENTRIES     256u
#define LIMIT_AUTH_CACHE_TTL_SEC     300u
/* Password guessing and CPU burning from one address (IPv6: one /64):
 * after this many failures in the window, answer at once without hashing. */
#define LIMIT_AUTH_FAILURES          5u
#define LIMIT_AUTH_FAILURE_WINDOW_SEC 60u
#define LIMIT_AUTH_FAILURE_CLIENTS   1024u
/* Slow hashes per second for the whole process: many addresses together
 * must not keep the event loops hashing. */
#define LIMIT_AUTH_HASHES_PER_SEC    20u

#endif
