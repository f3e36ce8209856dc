/*
 * test_scanpool.c - the pool that runs pushes' heavy work off the event
 * loops: jobs run on pool threads (never the loop's), each job's done
 * event fires on its owner's loop after run() returned, a busy pool keeps
 * the loop turning, and the longest-run figure the watchdog reads grows
 * while a job runs and falls back to 0 when the pool is idle.
 */
#include "core/base/api.h"
#include "netproxy/scanpool.h"

#include <event2/thread.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#define JOBS 16

struct tjob {
	struct scan_job job;		/* first: run() casts back */
	pthread_t ran_on;
	atomic_bool ran;
	unsigned sleep_ms;
	unsigned order;			/* position among finished jobs */
	bool done_seen;
	bool ran_before_done;
};

static atomic_uint finished;
static unsigned done_count;
static struct event_base *base;

static void run_job(struct scan_job *job)
{
	struct tjob *t = (struct tjob *)(void *)job;

	t->ran_on = pthread_self();
	if (t->sleep_ms)
		usleep(t->sleep_ms * 1000u);
	t->order = atomic_fetch_add(&finished, 1);
	atomic_store(&t->ran, true);
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
	struct tjob *t = arg;

	UNUSED(fd);
	UNUSED(what);
	t->done_seen = true;
	t->ran_before_done = atomic_load(&t->ran);
	if (++done_count == JOBS)
		event_base_loopbreak(base);
}

static unsigned ticks;

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	UNUSED(fd);
	UNUSED(what);
	UNUSED(arg);
	ticks++;
}

static void jobs_run_off_loop_and_report_back(void **state)
{
	struct scanpool *pool;
	struct tjob jobs[JOBS];
	struct event *tick;
	struct timeval tv = { 0, 5000 };
	unsigned i;

	UNUSED(state);
	evthread_use_pthreads();
	base = event_base_new();
	assert_non_null(base);
	assert_int_equal(scanpool_new(2, &pool), 0);
	memset(jobs, 0, sizeof(jobs));
	atomic_store(&finished, 0);
	done_count = 0;
	ticks = 0;
	tick = event_new(base, -1, EV_PERSIST, on_tick, NULL);
	event_add(tick, &tv);
	for (i = 0; i < JOBS; i++) {
		jobs[i].job.run = run_job;
		jobs[i].sleep_ms = 20;
		jobs[i].job.done = event_new(base, -1, 0, on_done, &jobs[i]);
		assert_non_null(jobs[i].job.done);
		scanpool_submit(pool, &jobs[i].job);
	}
	/* 16 jobs of 20 ms on 2 threads: about 160 ms of work. */
	event_base_dispatch(base);
	for (i = 0; i < JOBS; i++) {
		assert_true(jobs[i].done_seen);
		assert_true(jobs[i].ran_before_done);
		assert_false(pthread_equal(jobs[i].ran_on, pthread_self()));
	}
	/* The loop kept turning while the pool worked (5 ms ticks). */
	assert_true(ticks >= 5);
	assert_int_equal(scanpool_queued(pool), 0);
	scanpool_free(pool);
	for (i = 0; i < JOBS; i++)
		event_free(jobs[i].job.done);
	event_free(tick);
	event_base_free(base);
}

static void fifo_on_one_thread(void **state)
{
	struct scanpool *pool;
	struct tjob jobs[JOBS];
	struct event *keep;
	struct timeval tv = { 0, 5000 };
	unsigned i;

	UNUSED(state);
	evthread_use_pthreads();
	base = event_base_new();
	/* A loop returns when nothing is pending: keep it alive the way a
	 * worker's listening event does. */
	keep = event_new(base, -1, EV_PERSIST, on_tick, NULL);
	event_add(keep, &tv);
	assert_int_equal(scanpool_new(1, &pool), 0);
	memset(jobs, 0, sizeof(jobs));
	atomic_store(&finished, 0);
	done_count = 0;
	for (i = 0; i < JOBS; i++) {
		jobs[i].job.run = run_job;
		jobs[i].job.done = event_new(base, -1, 0, on_done, &jobs[i]);
		scanpool_submit(pool, &jobs[i].job);
	}
	event_base_dispatch(base);
	for (i = 0; i < JOBS; i++)
		assert_int_equal(jobs[i].order, i);
	scanpool_free(pool);
	for (i = 0; i < JOBS; i++)
		event_free(jobs[i].job.done);
	event_free(keep);
	event_base_free(base);
}

static void longest_run_tracks_a_running_job(void **state)
{
	struct scanpool *pool;
	struct tjob slow;
	struct event *keep;
	struct timeval tv = { 0, 5000 };
	uint64_t seen = 0;
	int i;

	UNUSED(state);
	evthread_use_pthreads();
	base = event_base_new();
	keep = event_new(base, -1, EV_PERSIST, on_tick, NULL);
	event_add(keep, &tv);
	assert_int_equal(scanpool_new(1, &pool), 0);
	assert_int_equal(scanpool_longest_run_ms(pool), 0);
	memset(&slow, 0, sizeof(slow));
	slow.job.run = run_job;
	slow.sleep_ms = 800;
	slow.job.done = event_new(base, -1, 0, on_done, &slow);
	done_count = JOBS - 1;	/* one job: break the loop on it */
	scanpool_submit(pool, &slow.job);
	for (i = 0; i < 35 && seen < 100; i++) {
		usleep(20000);
		seen = scanpool_longest_run_ms(pool);
	}
	assert_true(seen >= 100);
	event_base_dispatch(base);
	assert_true(slow.done_seen);
	assert_int_equal(scanpool_longest_run_ms(pool), 0);
	scanpool_free(pool);
	event_free(slow.job.done);
	event_free(keep);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(jobs_run_off_loop_and_report_back),
		cmocka_unit_test(fifo_on_one_thread),
		cmocka_unit_test(longest_run_tracks_a_running_job),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
