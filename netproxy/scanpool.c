/*
 * scanpool.c - a fixed set of threads taking jobs from one FIFO.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "netproxy/scanpool.h"

#include <errno.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Niceness of the scan threads (0 = the loops' priority, 19 = lowest). */
#define SCANPOOL_NICE 10

struct scan_thread {
	struct scanpool *pool;
	pthread_t tid;
	bool started;
	uint64_t run_since_ms;		/* 0 when idle; guarded by pool->lock */
};

struct scanpool {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct scan_job *head, *tail;	/* FIFO */
	unsigned queued;
	bool stopping;
	unsigned nthreads;
	struct scan_thread *threads;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void *scan_thread_main(void *arg)
{
	struct scan_thread *t = arg;
	struct scanpool *p = t->pool;

	/* Scanning is the appliance's background work: the event loops and
	 * the git processes serving clones come first when the CPU is
	 * short (Linux nice values are per thread). */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), SCANPOOL_NICE) != 0) {
		/* Not allowed to lower our own priority is not an error. */
	}

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct scan_job *job;

		while (!p->head && !p->stopping)
			pthread_cond_wait(&p->wake, &p->lock);
		if (p->stopping)
			break;
		job = p->head;
		p->head = job->next;
		if (!p->head)
			p->tail = NULL;
		p->queued--;
		t->run_since_ms = now_ms();
		pthread_mutex_unlock(&p->lock);

		job->run(job);

		/* Idle before the owner hears of it, so an owner that asks
		 * right after its done event never sees this job running. */
		pthread_mutex_lock(&p->lock);
		t->run_since_ms = 0;
		pthread_mutex_unlock(&p->lock);
		/* After this the job belongs to its owner again. */
		event_active(job->done, EV_READ, 0);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int scanpool_new(unsigned threads, struct scanpool **out)
{
	struct scanpool *p = xcalloc(1, sizeof(*p));
	unsigned i;

	*out = NULL;
	if (!p)
		return ERR_NOMEM;
	p->nthreads = MAX(threads, 1u);
	p->threads = xcalloc(p->nthreads, sizeof(*p->threads));
	if (!p->threads) {
		xfree(p);
		return ERR_NOMEM;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	for (i = 0; i < p->nthreads; i++) {
		int rc;

		p->threads[i].pool = p;
		rc = pthread_create(&p->threads[i].tid, NULL, scan_thread_main, &p->threads[i]);
		if (rc != 0) {
			scanpool_free(p);
			return -rc;
		}
		p->threads[i].started = true;
	}
	*out = p;
	return 0;
}

void scanpool_free(struct scanpool *p)
{
	unsigned i;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->nthreads; i++)
		if (p->threads[i].started)
			pthread_join(p->threads[i].tid, NULL);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	xfree(p->threads);
	xfree(p);
}

void scanpool_submit(struct scanpool *p, struct scan_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&p->lock);
	if (p->tail)
		p->tail->next = job;
	else
		p->head = job;
	p->tail = job;
	p->queued++;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
}

uint64_t scanpool_longest_run_ms(struct scanpool *p)
{
	uint64_t now = now_ms(), longest = 0;
	unsigned i;

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < p->nthreads; i++)
		if (p->threads[i].run_since_ms && now - p->threads[i].run_since_ms > longest)
			longest = now - p->threads[i].run_since_ms;
	pthread_mutex_unlock(&p->lock);
	return longest;
}

unsigned scanpool_queued(struct scanpool *p)
{
	unsigned n;

	pthread_mutex_lock(&p->lock);
	n = p->queued;
	pthread_mutex_unlock(&p->lock);
	return n;
}
