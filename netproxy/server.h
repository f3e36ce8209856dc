/*
 * server.h - what every worker of `sluice serve` shares, and the
 * per-worker state.  The server struct is read-only after start except
 * the rule snapshot holder (rules/snapshot.h: its own lock) and the audit
 * log (its own lock).
 */
#ifndef SLUICE_NETPROXY_SERVER_H
#define SLUICE_NETPROXY_SERVER_H

#include "core/base/api.h"
#include "core/base/membudget.h"
#include "netproxy/config.h"
#include "netproxy/tls.h"
#include "rules/snapshot.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdatomic.h>

struct upstream_target {
	bool cgi;			/* embedded git http-backend */
	bool tls;			/* https */
	char host[256];
	char port[8];
	char prefix[512];		/* path prefix, "" or "/git" */
	char repos[1024];		/* CGI: GIT_PROJECT_ROOT */
	char host_header[300];		/* host[:port] for the Host field */
};

/* "http(s)://host[:port][/prefix]" or "" (CGI).  0 or ERR_SYNTAX. */
int upstream_target_parse(const char *url, const char *repos_dir, struct upstream_target *t);

struct audit_log;
struct auth;

/* Whether the upstream advertised push-options, per repository, learnt
 * from the advertisement that precedes every push (bounded; an unknown
 * repository counts as "not supported"). */
#define PUSHOPT_CACHE 256
struct pushopt_entry {
	char repo[128];
	bool supported;
};

struct server {
	struct sluice_config cfg;		/* parsed config */
	struct upstream_target up;		/* where requests go */
	struct tls_ctx *tls;			/* client-facing */
	struct tls_ctx *up_tls;			/* https upstream, or NULL */
	struct snapshot_holder *rules;		/* current rule snapshot */
	struct audit_log *audit;		/* DATA/audit.jsonl + syslog */
	struct auth *auth;			/* DATA/users (auth.h: its own lock) */
	char spool_dir[1100];			/* DATA/spool */
	volatile int stopping;			/* set once, by the main thread */
	pthread_mutex_t pushopt_lock;		/* guards pushopt, pushopt_next */
	struct pushopt_entry pushopt[PUSHOPT_CACHE];
	unsigned pushopt_next;			/* round-robin replacement */
	struct scanpool *scan;			/* pushes' heavy work, off the loops */
	struct membudget push_membudget;	/* push_memory, shared by all pushes */
	pthread_mutex_t slot_lock;		/* guards the scan slots (conn.c) */
	unsigned slots;				/* pushes scanned at once */
	unsigned slots_used;
	struct conn *slot_head, *slot_tail;	/* pushes waiting for a slot */
};

struct worker {
	struct server *srv;		/* shared */
	struct event_base *base;	/* this thread's loop */
	int listen_fd;			/* SO_REUSEPORT socket of this worker */
	struct event *accept_ev;
	unsigned conns;			/* open connections */
	unsigned id;
	pthread_t thread;
	struct event *beat_ev;		/* heartbeat timer of this loop */
	_Atomic uint64_t beat_ms;	/* monotonic ms of its last run */
	struct conn *heads;		/* connections still before a whole
					 * request head, oldest first: the
					 * first closed at max_connections */
};

/* Monotonic clock in milliseconds. */
uint64_t conn_now_ms(void);
/* How often each loop's heartbeat runs; the watchdog ping requires
 * every loop to have beaten within a few of these. */
#define WORKER_BEAT_MS 250u

/* Accepts connections on w->listen_fd (conn.c). */
int conn_worker_start(struct worker *w);

#endif
