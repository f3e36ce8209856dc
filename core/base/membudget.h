/*
 * membudget.h - a byte budget shared by threads.
 *
 * One budget caps the memory that all pushes in flight may hold at once
 * (the push gate keeps one for the whole appliance; `sluice scan` keeps
 * none).  A holder takes bytes before it allocates a large buffer and
 * gives them back when it frees it, so the sum of what every holder took
 * never exceeds the cap: an attacker who opens many pushes, each within
 * its own limits, still cannot make the appliance swap or be killed.
 *
 * The budget counts bytes only; it does not allocate.  Each call is one or
 * a few atomic operations (no lock), cheap enough to run once per buffer,
 * never per byte.
 *
 * Caveats: any thread may take and give at any time.  membudget_init()
 * is not atomic: call it before the budget is shared.  A holder must give
 * back exactly what it took; giving more than is in use is a broken
 * invariant (BUG_ON).  The budget needs no release.
 */
#ifndef SLUICE_BASE_MEMBUDGET_H
#define SLUICE_BASE_MEMBUDGET_H

#include "core/base/api.h"

#include <stdatomic.h>

struct membudget {
	atomic_size_t used;	/* bytes taken and not given back */
	atomic_size_t peak;	/* highest value used has had */
	size_t cap;		/* used never exceeds it */
};

/* Sets an empty budget of cap bytes (SIZE_MAX: unbounded, still counted). */
void membudget_init(struct membudget *b, size_t cap);

/* Takes n bytes: true when used + n <= cap (then used grows by n), false
 * when it would exceed the cap (then nothing is taken).  n == 0 always
 * succeeds.  Safe against concurrent take/give from other threads. */
bool membudget_take(struct membudget *b, size_t n);

/* Gives back n bytes taken earlier by the same holder. */
void membudget_give(struct membudget *b, size_t n);

/* Bytes in use now; another thread may change it right after. */
size_t membudget_used(const struct membudget *b);

/* The most bytes that were ever in use at once since init. */
size_t membudget_peak(const struct membudget *b);

/* The cap given to membudget_init(). */
size_t membudget_cap(const struct membudget *b);

#endif
