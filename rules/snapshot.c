/*
 * snapshot.c - pin, release and swap rule snapshots.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/iac/iac.h"
#include "rules/snapshot.h"

#include <pthread.h>

struct snapshot_holder {
	struct rules_store *st;		/* borrowed */
	pthread_mutex_t lock;		/* guards cur and every refs */
	pthread_mutex_t reload;		/* one reload at a time */
	struct rules_snapshot *cur;	/* holds one reference */
};

static int load(struct rules_store *st, struct rules_snapshot **out, struct buf *msg)
{
	struct rules_snapshot *s = xcalloc(1, sizeof(*s));
	int err;

	*out = NULL;
	if (!s)
		return ERR_NOMEM;
	err = rules_store_load(st, &s->rs, &s->iac, &s->generation, msg);
	if (err) {
		xfree(s);
		return err;
	}
	s->refs = 1;
	*out = s;
	return 0;
}

int snapshot_holder_new(struct rules_store *st, struct snapshot_holder **out, struct buf *msg)
{
	struct snapshot_holder *h = xcalloc(1, sizeof(*h));
	int err;

	*out = NULL;
	if (!h)
		return ERR_NOMEM;
	h->st = st;
	pthread_mutex_init(&h->lock, NULL);
	pthread_mutex_init(&h->reload, NULL);
	err = load(st, &h->cur, msg);
	if (err) {
		snapshot_holder_free(h);
		return err;
	}
	*out = h;
	return 0;
}

static void drop(struct rules_snapshot *s)
{
	ruleset_free(s->rs);
	iac_checkset_free(s->iac);
	xfree(s);
}

void snapshot_holder_free(struct snapshot_holder *h)
{
	if (!h)
		return;
	if (h->cur)
		snapshot_put(h, h->cur);
	pthread_mutex_destroy(&h->lock);
	pthread_mutex_destroy(&h->reload);
	xfree(h);
}

struct rules_snapshot *snapshot_get(struct snapshot_holder *h)
{
	struct rules_snapshot *s;

	pthread_mutex_lock(&h->lock);
	s = h->cur;
	s->refs++;
	pthread_mutex_unlock(&h->lock);
	return s;
}

void snapshot_put(struct snapshot_holder *h, struct rules_snapshot *s)
{
	bool last;

	pthread_mutex_lock(&h->lock);
	BUG_ON(s->refs == 0);
	last = --s->refs == 0;
	pthread_mutex_unlock(&h->lock);
	if (last)
		drop(s);
}

int snapshot_refresh(struct snapshot_holder *h, struct buf *msg)
{
	struct rules_snapshot *fresh, *old;
	uint64_t gen;
	int err;

	pthread_mutex_lock(&h->reload);
	err = rules_store_generation(h->st, &gen);
	if (err || gen == h->cur->generation) {
		pthread_mutex_unlock(&h->reload);
		return err;
	}
	err = load(h->st, &fresh, msg);
	if (err) {
		pthread_mutex_unlock(&h->reload);
		return err;
	}
	pthread_mutex_lock(&h->lock);
	old = h->cur;
	h->cur = fresh;
	pthread_mutex_unlock(&h->lock);
	pthread_mutex_unlock(&h->reload);
	snapshot_put(h, old);
	return 1;
}
