/*
 * push.h - one receive-pack request body (git-gate.md §3, §5), fed the
 * decoded body bytes (after chunked and gzip) in pieces of any size:
 * the command block (commands, capabilities, push options), then the pack,
 * scanned as it streams (core/push/packscan.h).
 *
 * The session never fails hard on bad input: a malformed command block, a
 * corrupt pack or a limit becomes a verdict reason (push_session_reason),
 * and the caller refuses the push.  Only ERR_NOMEM is returned as such.
 * Pack limits become: LIMIT_OBJECTS, LIMIT_OBJECT_SIZE, LIMIT_DEPTH,
 * LIMIT_EXPANSION (inflate_total), LIMIT_AMPLIFICATION (the pack expands
 * beyond slack + ratio * its size so far), LIMIT_MEMORY (the shared budget
 * in limits.memory is spent, also when the parser cannot start),
 * LIMIT_SPOOL (spool limit, or the spool disk is full); params.cancel
 * becomes BUDGET_TIME.  Each comes with a detail naming the figures.
 *
 * Life cycle: new -> feed* -> finish -> (read results) -> free.
 * Caveats: single-threaded; the ruleset and scratch must outlive it.
 */
#ifndef SLUICE_PUSH_PUSH_H
#define SLUICE_PUSH_PUSH_H

#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/match/match.h"
#include "core/pack/pack.h"
#include "core/push/push-t.h"
#include "core/verdict/verdict-t.h"

#define PUSH_OPTIONS_MAX 32

struct push_session;

struct push_session_params {
	const struct ruleset *rs;	/* borrowed */
	struct match_scratch *sc;	/* borrowed */
	struct pack_limits limits;	/* copy */
	const char *spool_dir;		/* pack spool directory */
	const struct iac_checkset *iac;	/* IaC checks, or NULL */
	const atomic_bool *cancel;	/* set from another thread to stop
					 * scanning (VR_BUDGET_TIME); NULL:
					 * never; must outlive the session */
};

struct iac_checkset;

int push_session_new(const struct push_session_params *p, struct push_session **out);
void push_session_free(struct push_session *ps);

/* Decoded body bytes.  0, or ERR_NOMEM. */
int push_session_feed(struct push_session *ps, const uint8_t *p, size_t n);
/* End of the body. */
int push_session_finish(struct push_session *ps);

/* Stops scanning with a reason (the time budget ran out): later bytes
 * are accepted and ignored, and the reason decides the verdict. */
void push_session_stop(struct push_session *ps, enum verdict_reason r, const char *detail);

/* The command block has been read (commands, caps, options known). */
bool push_session_commands_ready(const struct push_session *ps);
/* Body bytes that belong to the command block (before "PACK"). */
size_t push_session_prefix_len(const struct push_session *ps);
/* Body bytes, counted from the start, that belong to the request as
 * the gate parsed it: the command block and the pack bytes the parser
 * accepted, up to and including the trailer.  It stops growing at the
 * first byte the session refuses (bytes after the trailer, a corrupt
 * pack), so a caller that forwards only this many bytes never lets the
 * upstream read a byte the gate did not judge. */
uint64_t push_session_forwardable(const struct push_session *ps);
/* The request ended where git's would: after the pack trailer, or after
 * the command block of a delete-only push or the probe. */
bool push_session_request_complete(const struct push_session *ps);
/* The command block to forward upstream: unchanged, or with the
 * push-options capability and the option pkts removed (when sluice
 * injected push-options and the upstream does not support them). */
int push_session_forward_prefix(const struct push_session *ps, bool strip_options,
				struct buf *out);

const struct push_command *push_session_commands(const struct push_session *ps, size_t *n);
bool push_session_has_cap(const struct push_session *ps, const char *cap);
/* Push options sent with -o (strings owned by the session). */
const char *const *push_session_options(const struct push_session *ps, size_t *n);
bool push_session_is_probe(const struct push_session *ps);	/* body "0000" */
bool push_session_delete_only(const struct push_session *ps);	/* no pack */

/* After finish: findings with paths and commits (owned by the session),
 * and the first reason that stopped scanning (VR__COUNT when none). */
struct push_finding *push_session_findings(struct push_session *ps, size_t *n);
enum verdict_reason push_session_reason(const struct push_session *ps, const char **detail);
/* Scanned blob count and bytes. */
void push_session_counts(const struct push_session *ps, uint64_t *objects, uint64_t *bytes);

#endif
