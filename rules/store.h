/*
 * store.h - the LMDB rule store: rules, compiled Hyperscan databases and
 * the fingerprint key, under generation numbers.
 *
 * Layout (one LMDB environment, file DIR/rules.mdb):
 *   meta   "schema" -> "1"; "generation" -> u64 BE (current);
 *          "fp_key" -> 32 random bytes (created on first open)
 *   rules  u64 BE generation || rule id -> serialized rule
 *   packs  u64 BE generation || pack id -> u32 BE version || description
 *   hsdb   u64 BE generation || engine id -> serialized Hyperscan database
 *   iacpacks  u64 BE generation || pack id -> IaC check pack YAML text
 *          (compiled by core/iac on load; validated on import)
 *
 * An import writes a complete new generation in one write transaction and
 * removes older generations; readers that began before keep seeing theirs
 * (LMDB's MVCC), so a running scan is never disturbed.  A reader loads
 * exactly one generation inside one read transaction.
 *
 * Caveats: one struct rules_store per process and environment (LMDB rule:
 * never open the same environment twice in one process).  The handle may
 * be used from several threads for loads; imports are serialized by LMDB.
 */
#ifndef SLUICE_RULES_STORE_H
#define SLUICE_RULES_STORE_H

#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/match/ruleset.h"
#include "rules/rulepack.h"

/* LMDB map size: the upper bound of the store on disk. */
#define RULES_STORE_MAP_BYTES (1ull << 30)

struct rules_store;

/* Opens (creating DIR and the store when missing).  Errors: -errno,
 * ERR_STORE (with msg). */
int rules_store_open(const char *dir, struct rules_store **out, struct buf *msg);
void rules_store_close(struct rules_store *st);

/* Current generation, 0 when nothing was ever imported. */
int rules_store_generation(struct rules_store *st, uint64_t *gen);

/* Imports packs as a new generation.  Rules of packs with the same id as
 * an imported pack are replaced; other packs stay.  Every rule must pass
 * ruleset_check_rule() and its examples (rulepack_check_examples());
 * otherwise nothing is written, ERR_RULE is returned and msg names each
 * failing rule.  Ownership of the packs stays with the caller. */
int rules_store_import(struct rules_store *st, struct rulepack *packs, size_t n,
		       uint64_t *gen_out, struct buf *msg);

/* Loads the current generation into a ruleset (deserializing the cached
 * Hyperscan database, or compiling it from the stored rules when the
 * cache is missing or was built by another library version or CPU, then
 * caching the result).  ERR_NOTFOUND when the store is empty. */
struct iac_checkset;
/* iac_out (may be NULL) receives the generation's IaC checks, NULL when
 * it has none. */
int rules_store_load(struct rules_store *st, struct ruleset **out, struct iac_checkset **iac_out,
		     uint64_t *gen_out, struct buf *msg);

/* The imported packs of the current generation: "id version" lines. */
int rules_store_list_packs(struct rules_store *st, struct buf *out);

#endif
