/*
 * scanpool.h - the threads that do a push's heavy work (inflating,
 * resolving deltas, matching, IaC evaluation) off the event loops.
 *
 * Why: one push may legitimately need seconds of CPU (a large history),
 * and a hostile one is bounded only by the limits table.  Done on an
 * event loop, that work would make every other connection of the worker
 * wait behind it, and a loop that does not turn cannot prove it is alive
 * to the service manager.  The loops therefore only move bytes and hand
 * each push's decoded body to this pool in batches; a push has at most
 * one job queued or running at a time, so its state is touched by one
 * thread at a time.
 *
 * Use:
 *   job->run = fn; job->done = event_new(base, -1, 0, on_done, arg);
 *   scanpool_submit(pool, job);
 * run() is called on a pool thread; when it returns, job->done is made
 * active on its event base (libevent's thread support must be on:
 * evthread_use_pthreads() before the bases are created), so the owner
 * continues on its own loop.  Everything run() touches belongs to the job
 * until done fires; the owner must not free the job before that (it may
 * ask run() to stop early through its own cancel flag).
 *
 * Jobs run in submission order, one per thread; there is no other
 * priority.  scanpool_free() waits for the running jobs and drops queued
 * ones without running them (their done events are not fired): call it
 * only after the loops stopped.
 *
 * Liveness: scanpool_longest_run_ms() is how long the oldest running job
 * has been running; the watchdog ping refuses to vouch for a process
 * where one runs far beyond every time budget.
 */
#ifndef SLUICE_NETPROXY_SCANPOOL_H
#define SLUICE_NETPROXY_SCANPOOL_H

#include "core/base/api.h"

#include <event2/event.h>

struct scan_job {
	void (*run)(struct scan_job *job);	/* on a pool thread */
	struct event *done;			/* activated when run returns */
	struct scan_job *next;			/* queue link (the pool's) */
};

struct scanpool;

/* Starts threads (at least 1).  0, ERR_NOMEM or -errno. */
int scanpool_new(unsigned threads, struct scanpool **out);
void scanpool_free(struct scanpool *p);
/* Queues a job; never blocks on work. */
void scanpool_submit(struct scanpool *p, struct scan_job *job);
/* Milliseconds the longest-running job has run, 0 when all are idle. */
uint64_t scanpool_longest_run_ms(struct scanpool *p);
/* Jobs queued and not yet started. */
unsigned scanpool_queued(struct scanpool *p);

#endif
