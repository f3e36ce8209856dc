/*
 * oidmap-int.h - object id -> u32 hash table shared by pack.c and attrib.c.
 *
 * Internal to core/pack.  The map stores only 32-bit values (indexes into
 * the caller's arrays); the key of a value is fetched through the caller's
 * key function, so ids are never stored twice.  Keys may be attacker-chosen
 * (REF_DELTA base ids are raw bytes, not hashes), so slots are placed by a
 * keyed hash with a per-map random seed: crafted ids cannot force long probe
 * runs.
 *
 * Caveats: the key function must return the same bytes for a value as long
 * as the value is in the map; iteration order is not exposed (it depends on
 * the seed), so callers that need a deterministic order keep their own list.
 */
#ifndef SLUICE_PACK_OIDMAP_INT_H
#define SLUICE_PACK_OIDMAP_INT_H

#include "core/base/api.h"

typedef const uint8_t *(*oidmap_key_fn)(const void *ctx, uint32_t val);

struct oidmap {
	uint64_t *slots;	/* 0 empty, else (hash32 << 32) | (val + 1) */
	uint32_t mask;		/* slot count - 1; 0 with no slots */
	uint32_t count;		/* values stored */
	size_t oid_len;		/* bytes compared */
	oidmap_key_fn key;	/* value -> its id */
	const void *ctx;	/* for key */
	uint64_t seed;		/* per-map hash key */
};

/* Sets up an empty map.  Allocates nothing. */
void oidmap_init(struct oidmap *m, size_t oid_len, oidmap_key_fn key, const void *ctx);
void oidmap_release(struct oidmap *m);
/* true and *val when a value with that id is stored. */
bool oidmap_get(const struct oidmap *m, const uint8_t *oid, uint32_t *val);
/* Stores val under key(val) unless that id is present; *stored gets the
 * value now in the map for that id (val, or the earlier one).  val must be
 * below UINT32_MAX.  0 or ERR_NOMEM. */
int oidmap_put(struct oidmap *m, uint32_t val, uint32_t *stored);

#endif
