/*
 * ruleset.h - compiled secret rules: one Hyperscan stream database for
 * stage 1, one PCRE2 program per rule for stage 2 (secrets.md §1).
 *
 * A ruleset is immutable once built and may be shared by any number of
 * threads; each thread brings its own struct match_scratch (match.h).
 *
 * Ownership: ruleset_build() takes the rules array (and everything in it);
 * ruleset_free() releases them.  The serialized database returned by
 * ruleset_serialize() is owned by the caller (xfree).
 */
#ifndef SLUICE_MATCH_RULESET_H
#define SLUICE_MATCH_RULESET_H

#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/match/rule-t.h"

struct ruleset;

/* Checks one rule on its own: the pattern compiles in Hyperscan stream
 * mode (or as a prefilter), its width is bounded and at most max_window,
 * the PCRE2 confirmation compiles, secret_group exists.  On failure returns
 * ERR_RULE and appends a one-line reason to msg.  *width_out receives
 * the pattern's maximum width. */
int ruleset_check_rule(const struct secret_rule *r, unsigned max_window,
		       unsigned *width_out, struct buf *msg);

/* Compiles rules[0..n) (ownership of the array moves to the ruleset on
 * success and on failure).  If db/db_len are given, the serialized
 * Hyperscan database is deserialized instead of compiled; when it was
 * built for another library version or CPU, or cannot be deserialized at
 * all (a damaged cache record), ERR_UNSUPPORTED is returned
 * and the caller compiles again without it.  ERR_RULE (with msg),
 * ERR_HYPERSCAN, ERR_PCRE, ERR_NOMEM. */
int ruleset_build(struct secret_rule *rules, size_t n, const void *db, size_t db_len,
		  struct ruleset **out, struct buf *msg);
void ruleset_free(struct ruleset *rs);

/* Serialized Hyperscan database, for caching in LMDB. */
int ruleset_serialize(const struct ruleset *rs, void **out, size_t *len);

/* Key for fingerprints (secrets.md §5); copied.  Until set, the key is
 * empty (fingerprints are then plain SHA-256-based HMACs with an empty
 * key, still stable, but not deployment-specific). */
void ruleset_set_fingerprint_key(struct ruleset *rs, const uint8_t *key, size_t len);

size_t ruleset_count(const struct ruleset *rs);
const struct secret_rule *ruleset_rule(const struct ruleset *rs, size_t i);
/* Index of a rule by id, or -1. */
long ruleset_find(const struct ruleset *rs, const char *id);
/* Widest rule plus keyword window: the bytes a stream must keep. */
unsigned ruleset_window(const struct ruleset *rs);
/* "hyperscan <version> <platform>": the cache key part that invalidates
 * serialized databases. */
const char *ruleset_engine_id(void);

#endif
