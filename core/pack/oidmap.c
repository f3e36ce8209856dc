/*
 * oidmap.c - open-addressing object id table (linear probing, keyed hash).
 *
 * Serves the pack parser's id -> entry lookups (REF_DELTA bases, git-gate.md
 * §5) and the attribution maps.  Load is kept at or below one half.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err-t.h"
#include "core/pack/oidmap-int.h"

#include <sys/random.h>
#include <time.h>

static uint64_t seed_new(void)
{
	static uint64_t counter;
	uint64_t s = 0;

	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != (ssize_t)sizeof(s))
		s = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&s;
	return s ^ (++counter * 0x9e3779b97f4a7c15ull);
}

/* A keyed mix of the first 16 id bytes (ids are at least 20 bytes). */
static uint32_t oid_hash(const struct oidmap *m, const uint8_t *oid)
{
	uint64_t a, b, h;

	memcpy(&a, oid, 8);
	memcpy(&b, oid + 8, 8);
	h = (a ^ m->seed) * 0xff51afd7ed558ccdull;
	h ^= (b + m->seed) * 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 32;
	return (uint32_t)h;
}

void oidmap_init(struct oidmap *m, size_t oid_len, oidmap_key_fn key, const void *ctx)
{
	m->slots = NULL;
	m->mask = 0;
	m->count = 0;
	m->oid_len = oid_len;
	m->key = key;
	m->ctx = ctx;
	m->seed = seed_new();
}

void oidmap_release(struct oidmap *m)
{
	xfree(m->slots);
	m->slots = NULL;
	m->mask = 0;
	m->count = 0;
}

bool oidmap_get(const struct oidmap *m, const uint8_t *oid, uint32_t *val)
{
	uint32_t h, i;

	if (!m->slots)
		return false;
	h = oid_hash(m, oid);
	for (i = h & m->mask;; i = (i + 1) & m->mask) {
		uint64_t s = m->slots[i];

		if (!s)
			return false;
		if ((uint32_t)(s >> 32) == h) {
			uint32_t v = (uint32_t)s - 1;

			if (memcmp(m->key(m->ctx, v), oid, m->oid_len) == 0) {
				*val = v;
				return true;
			}
		}
	}
}

static int grow(struct oidmap *m)
{
	size_t n = m->slots ? ((size_t)m->mask + 1) * 2 : 1024;
	uint64_t *ns;
	size_t i;

	if (n > ((size_t)1 << 32))
		return ERR_NOMEM;
	ns = xcalloc(n, sizeof(*ns));
	if (!ns)
		return ERR_NOMEM;
	for (i = 0; m->slots && i <= m->mask; i++) {
		uint64_t s = m->slots[i];
		size_t j;

		if (!s)
			continue;
		for (j = (s >> 32) & (n - 1); ns[j]; j = (j + 1) & (n - 1))
			;
		ns[j] = s;
	}
	xfree(m->slots);
	m->slots = ns;
	m->mask = (uint32_t)(n - 1);
	return 0;
}

int oidmap_put(struct oidmap *m, uint32_t val, uint32_t *stored)
{
	const uint8_t *oid = m->key(m->ctx, val);
	uint32_t h, i;

	if (!m->slots || (size_t)(m->count + 1) * 2 > (size_t)m->mask + 1) {
		int err = grow(m);

		if (err)
			return err;
	}
	h = oid_hash(m, oid);
	for (i = h & m->mask;; i = (i + 1) & m->mask) {
		uint64_t s = m->slots[i];

		if (!s)
			break;
		if ((uint32_t)(s >> 32) == h &&
		    memcmp(m->key(m->ctx, (uint32_t)s - 1), oid, m->oid_len) == 0) {
			*stored = (uint32_t)s - 1;
			return 0;
		}
	}
	m->slots[i] = ((uint64_t)h << 32) | ((uint64_t)val + 1);
	m->count++;
	*stored = val;
	return 0;
}
