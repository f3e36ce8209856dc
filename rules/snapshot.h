/*
 * snapshot.h - the immutable, reference-counted rule snapshot the daemon
 * scans with (style.md rule 10).
 *
 * A push pins the snapshot current when it starts (snapshot_get) and
 * releases it when it ends (snapshot_put), so a newer generation imported
 * meanwhile never changes the rules of a push in flight.  snapshot_refresh
 * loads a newer generation from LMDB, when there is one, and swaps it in;
 * the old snapshot is freed when its last push ends.  The current pointer
 * is the only shared mutable state; a mutex guards it and the counts (one
 * lock per push, never per byte).
 */
#ifndef SLUICE_RULES_SNAPSHOT_H
#define SLUICE_RULES_SNAPSHOT_H

#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/match/ruleset.h"
#include "rules/store.h"

struct iac_checkset;

struct rules_snapshot {
	struct ruleset *rs;		/* owned */
	struct iac_checkset *iac;	/* owned; NULL without IaC packs */
	uint64_t generation;		/* LMDB generation it came from */
	unsigned refs;			/* guarded by the holder's mutex */
};

struct snapshot_holder;

/* Loads the current generation.  Errors from rules_store_load(). */
int snapshot_holder_new(struct rules_store *st, struct snapshot_holder **out, struct buf *msg);
void snapshot_holder_free(struct snapshot_holder *h);
/* Pins and returns the current snapshot (never NULL). */
struct rules_snapshot *snapshot_get(struct snapshot_holder *h);
void snapshot_put(struct snapshot_holder *h, struct rules_snapshot *s);
/* Swaps in a newer generation if LMDB has one.  Returns 1 when swapped,
 * 0 when current, or a negative code (the old snapshot stays). */
int snapshot_refresh(struct snapshot_holder *h, struct buf *msg);

#endif
