/*
 * membudget.c - a lock-free byte budget shared by threads (C11 atomics).
 */
#include "core/base/api.h"
#include "core/base/membudget.h"

void membudget_init(struct membudget *b, size_t cap)
{
	atomic_init(&b->used, 0);
	atomic_init(&b->peak, 0);
	b->cap = cap;
}

bool membudget_take(struct membudget *b, size_t n)
{
	size_t cur = atomic_load_explicit(&b->used, memory_order_relaxed);
	size_t next, peak;

	/* Compare-and-swap rather than add-then-undo: an add that overshoots
	 * would make a concurrent taker fail although the cap was never
	 * really exceeded. */
	do {
		if (n > b->cap || cur > b->cap - n)
			return false;
		next = cur + n;
	} while (!atomic_compare_exchange_weak_explicit(&b->used, &cur, next,
							memory_order_relaxed,
							memory_order_relaxed));
	peak = atomic_load_explicit(&b->peak, memory_order_relaxed);
	while (next > peak &&
	       !atomic_compare_exchange_weak_explicit(&b->peak, &peak, next,
						      memory_order_relaxed,
						      memory_order_relaxed))
		;
	return true;
}

void membudget_give(struct membudget *b, size_t n)
{
	size_t before = atomic_fetch_sub_explicit(&b->used, n, memory_order_relaxed);

	BUG_ON(before < n);
}

size_t membudget_used(const struct membudget *b)
{
	return atomic_load_explicit(&b->used, memory_order_relaxed);
}

size_t membudget_peak(const struct membudget *b)
{
	return atomic_load_explicit(&b->peak, memory_order_relaxed);
}

size_t membudget_cap(const struct membudget *b)
{
	return b->cap;
}
