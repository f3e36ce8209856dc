/*
 * match.h - stream a logical object (blob, commit message, file) through
 * the two matching stages and collect findings (secrets.md §1).
 *
 * Stage 1 runs the Hyperscan stream database over the bytes as they come.
 * Every end offset it reports is confirmed at once, inside the callback,
 * while the bytes before the end are still in memory: the stream keeps a
 * ring of the last ruleset_window() bytes, the current chunk holds the
 * rest.  PCRE2 must match ending exactly at that offset; the secret is the
 * rule's capture group; then keyword proximity, the placeholder filter,
 * benign-identifier filter (warn tier), entropy and validators decide.
 *
 * Per object: line and column of each secret's first byte (1-based; CRLF
 * counts once because only LF is counted), a redacted preview, and a
 * keyed fingerprint.  The secret itself is never stored.
 *
 * Caveats: a match_scratch belongs to one thread; a match_stream to one
 * object at a time.  Neither may be shared.  The ruleset must outlive
 * every scratch and stream made from it.
 */
#ifndef SLUICE_MATCH_MATCH_H
#define SLUICE_MATCH_MATCH_H

#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/match/ruleset.h"

#define FINDING_REDACTED_MAX 80
#define FINDING_FP_BYTES 16

enum finding_status {
	FINDING_OPEN,		/* counts for the verdict */
	FINDING_SUPPRESSED,	/* a sluice:ignore comment on its line */
};

/* Why a finding is believed (derived from its rule, see
 * finding_evidence_of()). */
enum finding_evidence {
	EVIDENCE_CONTEXT,	/* warn tier: keyword or assignment context */
	EVIDENCE_PREFIX,	/* block tier, fixed prefix and shape only */
	EVIDENCE_STRUCTURE,	/* decoded: JWT, DER, macaroon, key id */
	EVIDENCE_CHECKSUM,	/* an embedded checksum verified */
};

struct finding {
	uint32_t rule;				/* index into the ruleset */
	uint32_t line;				/* 1-based line of the secret */
	uint32_t column;			/* 1-based byte column */
	uint32_t secret_len;			/* bytes in the secret */
	uint64_t offset;			/* byte offset in the object */
	uint8_t fingerprint[FINDING_FP_BYTES];	/* HMAC-SHA-256, truncated */
	char redacted[FINDING_REDACTED_MAX];	/* printable, NUL-terminated */
	enum finding_status status;		/* open or suppressed */
	enum finding_evidence evidence;		/* from the rule */
	bool line_pending;			/* internal: the rest of its line
						 * (an ignore marker may follow)
						 * has not arrived yet */
};

struct match_scratch;

/* Per-thread scratch for a ruleset.  0, ERR_HYPERSCAN, ERR_NOMEM. */
int match_scratch_new(const struct ruleset *rs, struct match_scratch **out);
void match_scratch_free(struct match_scratch *sc);

struct match_stream {
	const struct ruleset *rs;	/* borrowed */
	struct match_scratch *sc;	/* borrowed */
	void *hs;			/* hs_stream_t, NULL with no rules */
	struct buf ring;		/* last bytes before `pos` (<= window) */
	uint64_t pos;			/* bytes fed so far */
	uint64_t lines_before;		/* LFs in [0, pos) */
	int64_t last_lf;		/* offset of the last LF before pos, -1 */
	const uint8_t *chunk;		/* chunk being scanned (callback only) */
	size_t chunk_len;
	size_t cursor;			/* line-count cursor inside chunk */
	uint64_t cursor_lines;		/* LFs in chunk[0, cursor) */
	bool binary;			/* NUL within the first sniff bytes */
	struct finding *findings;	/* kept findings, in discovery order */
	size_t n_findings;
	size_t cap_findings;
	uint64_t findings_over_limit;	/* confirmed but not stored */
	int32_t *last_of_rule;		/* per rule: index of its last finding */
	size_t n_line_pending;		/* findings waiting for their line end */
	int err;			/* first internal error, sticky */
	/* The object as a file (match_stream_set_object()); path rules. */
	const char *path;		/* borrowed; NULL: unknown */
	const char *blob_hex;		/* borrowed; NULL: computed if needed */
	uint8_t head[RULE_PATH_HEAD_BYTES];	/* first bytes of the object */
	size_t head_len;
	void *blob_md;			/* SHA-1 of "blob <size>\0" + data, only
					 * while a path rule wants the blob id */
};

/* Starts a stream.  0, ERR_HYPERSCAN, ERR_NOMEM. */
int match_stream_init(struct match_stream *ms, const struct ruleset *rs,
		      struct match_scratch *sc);
/* Names the object, before its first byte: path ('/'-separated, as in
 * git) and its git blob id in hex when known (else, if a path rule needs
 * it, the stream computes it from size and data; size UINT64_MAX when
 * unknown gives a SHA-1 of the data alone).  Both are borrowed until
 * match_stream_release().  With a path, rules with `paths:` and a pattern
 * apply only to matching paths, and path rules (no pattern) report a
 * non-empty matching file at finish, binary or not.  Without one (a pack
 * blob whose path is known only later), patterns apply everywhere and
 * path rules wait for match_path_finding(). */
int match_stream_set_object(struct match_stream *ms, const char *path, const char *blob_hex,
			    uint64_t size);
/* Scans the next bytes.  0 or the stream's sticky error. */
int match_stream_feed(struct match_stream *ms, const uint8_t *p, size_t n);
/* End of the object: end-anchored matches, `requires` pairs, a warn-tier
 * finding whose secret overlaps a block-tier one is dropped (one secret,
 * one finding), and for a binary object the warn tier is dropped.  Findings stay readable until
 * match_stream_release(). */
int match_stream_finish(struct match_stream *ms);
void match_stream_release(struct match_stream *ms);

/* Path rule `rule` on a file at path whose first bytes are head[0, n)
 * (n <= RULE_PATH_HEAD_BYTES, at least 1): true when a glob matches and
 * the rule's content checks pass. */
bool match_path_rule_applies(const struct ruleset *rs, uint32_t rule, const char *path,
			     const uint8_t *head, size_t n);
/* The finding of path rule `rule` for the blob whose id (hex) is
 * blob_hex: line 1, the blob id as its fingerprinted and redacted
 * secret (the content is never read). */
void match_path_finding(const struct ruleset *rs, uint32_t rule, const char *blob_hex,
			struct finding *out);

/* Evidence a rule's findings carry: context (warn tier), checksum (a
 * checksum validator), structure (another validator), prefix (block tier
 * without validator). */
enum finding_evidence finding_evidence_of(const struct secret_rule *r);
/* "context", "prefix", "structure" or "checksum". */
const char *finding_evidence_name(enum finding_evidence e);

/* Fingerprint of (rule id, secret) under the ruleset's key: HMAC-SHA-256
 * over id || 0x00 || secret, first 16 bytes. */
void match_fingerprint(const struct ruleset *rs, const char *rule_id,
		       const uint8_t *secret, size_t len, uint8_t out[FINDING_FP_BYTES]);
/* 16 lowercase hex digits of the first 8 bytes, NUL-terminated. */
void match_fingerprint_hex(const uint8_t fp[FINDING_FP_BYTES], char out[17]);
/* Redacted preview of a secret (secrets.md §7): the rule's literal prefix,
 * stars, and the last 4 characters when at least 16 random ones exist. */
void match_redact(const uint8_t *secret, size_t len, unsigned prefix_len,
		  char out[FINDING_REDACTED_MAX]);

#endif
