/*
 * serve.c - start-up, first start, workers, signals and the watchdog of
 * `sluice serve`.
 *
 * First start (no state in DATA yet): the LMDB rule store is initialised
 * from the bundled packs, a self-signed certificate is created in
 * DATA/tls, and with the embedded backend a demo repository
 * DATA/repos/demo.git and the user file DATA/users with a generated
 * `admin` credential (printed once) are created, so a clone works at
 * once and a push works with that credential.
 *
 * Threads: one per worker, each with its own libevent base and its own
 * SO_REUSEPORT listening socket (the kernel spreads connections); the
 * main thread only waits for signals.  Worker 0 also refreshes the rule
 * snapshot, reaps CGI children and pings the watchdog, so a stuck loop
 * stops the pings and systemd restarts the appliance.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/base/limits.h"
#include "board/board.h"
#include "board/watchdog.h"
#include "netproxy/audit.h"
#include "netproxy/auth.h"
#include "netproxy/cgi.h"
#include "netproxy/config.h"
#include "netproxy/scanpool.h"
#include "netproxy/serve.h"
#include "netproxy/server.h"
#include "netproxy/tls.h"
#include "rules/rulectl.h"
#include "rules/snapshot.h"
#include "rules/store.h"

#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/thread.h>

#define SERVE_MAX_WORKERS 64
/* How often worker 0 looks for a newer rule generation in LMDB. */
#define SERVE_RULES_POLL_MS 1000

static int usage(void)
{
	fprintf(stderr,
		"usage: sluice serve [--config FILE] [--listen ADDR:PORT]\n"
		"                    [--upstream http(s)://host:port[/prefix]] [--upstream-ca FILE]\n"
		"                    [--cert FILE --key FILE] [--data DIR] [--workers N]\n"
		"                    [--board NAME] [--set KEY=VALUE]... [--print-config]\n"
		"Without --upstream, sluice serves the bare repositories in DATA/repos itself\n"
		"(git http-backend), creates DATA/repos/demo.git on first start and requires a\n"
		"user from DATA/users for pushes (the first start prints the admin password;\n"
		"manage users with `sluice user`).\n");
	return 2;
}

static int mkdir_p(const char *dir)
{
	char tmp[1100];
	char *p;

	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0750) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Runs a shell snippet for first-start chores (git init of the demo
 * repository).  Returns 0 when it exited 0. */
static int run_sh(const char *script, const char *arg)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execl("/bin/sh", "sh", "-ec", script, "sh", arg, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : ERR_IO;
}

static int create_demo_repo(const char *repos)
{
	static const char script[] =
		"repos=$1\n"
		"[ -e \"$repos/demo.git\" ] && exit 0\n"
		"tmp=$(mktemp -d)\n"
		"trap 'rm -rf \"$tmp\"' EXIT\n"
		"git init -q --bare \"$repos/demo.git\"\n"
		"git -C \"$repos/demo.git\" symbolic-ref HEAD refs/heads/main\n"
		"git init -q -b main \"$tmp/w\"\n"
		"printf '# demo\\n\\nA repository served by sluice. Clone it, commit, push.\\n' > \"$tmp/w/README.md\"\n"
		"git -C \"$tmp/w\" add README.md\n"
		"git -C \"$tmp/w\" -c user.name=sluice -c user.email=sluice@localhost commit -q -m 'demo repository'\n"
		"git -C \"$tmp/w\" push -q \"$repos/demo.git\" main\n";

	return run_sh(script, repos);
}

/* Push users (auth.h).  The embedded default has no other authority,
 * so its first start creates DATA/users with one generated admin
 * credential, shown once; upstream mode reads the file only if someone
 * made one (`sluice user add`). */
static int open_users(struct server *srv, struct buf *msg)
{
	char path[1100], password[LIMIT_AUTH_GENERATED_CHARS + 1];
	int rc;

	snprintf(path, sizeof(path), "%s/users", srv->cfg.data);
	if (srv->up.cgi) {
		rc = auth_first_start(path, password, sizeof(password), msg);
		if (rc < 0)
			return rc;
		if (rc == 1)
			fprintf(stderr, "sluice: first start: push user 'admin' password '%s' "
				"(stored hashed in %s; shown only now)\n", password, path);
		explicit_bzero(password, sizeof(password));
	}
	return auth_new(path, srv->up.cgi ? AUTH_GATE : AUTH_ADVISORY, &srv->auth, msg);
}

static int listen_socket(const char *listen_addr, int *out, struct buf *msg)
{
	char host[256], port[16];
	const char *colon = strrchr(listen_addr, ':');
	struct addrinfo hints, *res = NULL;
	int fd, one = 1, rc;

	if (!colon || (size_t)(colon - listen_addr) >= sizeof(host) || strlen(colon + 1) >= sizeof(port)) {
		buf_printf(msg, "listen: expected ADDR:PORT, got '%s'", listen_addr);
		return ERR_SYNTAX;
	}
	snprintf(host, sizeof(host), "%.*s", (int)(colon - listen_addr), listen_addr);
	snprintf(port, sizeof(port), "%s", colon + 1);
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
	rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (rc) {
		buf_printf(msg, "listen %s: %s", listen_addr, gai_strerror(rc));
		return ERR_SYNTAX;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 512) != 0) {
		rc = -errno;
		buf_printf(msg, "listen %s: %s", listen_addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return rc;
	}
	freeaddrinfo(res);
	*out = fd;
	return 0;
}

struct housekeeping {
	struct server *srv;
	struct event *ev;
	uint64_t watchdog_usec;
	unsigned ticks;
	struct worker *workers;
	unsigned nworkers;
};

/* The ping says "sluice is working": every event loop has turned
 * recently (a loop stuck in a long computation stops its heartbeat) and
 * no scan job has run far beyond every time budget. */
static bool all_alive(const struct housekeeping *hk)
{
	uint64_t now = conn_now_ms(), stale = MAX(hk->watchdog_usec / 2000, 4u * WORKER_BEAT_MS);
	uint64_t job_max = (uint64_t)hk->srv->cfg.push_budget_ms + 60000u;
	unsigned i;

	for (i = 0; i < hk->nworkers; i++)
		if (now - atomic_load(&hk->workers[i].beat_ms) > stale)
			return false;
	return scanpool_longest_run_ms(hk->srv->scan) <= job_max;
}

static void on_housekeeping(evutil_socket_t fd, short what, void *arg)
{
	struct housekeeping *hk = arg;
	struct buf msg;
	int rc;

	UNUSED(fd);
	UNUSED(what);
	cgi_reap();
	buf_init(&msg, 1 << 16);
	rc = snapshot_refresh(hk->srv->rules, &msg);
	if (rc == 1)
		fprintf(stderr, "sluice: new rule generation loaded\n");
	else if (rc < 0)
		fprintf(stderr, "sluice: rule reload failed, keeping the current rules: %s %.*s\n",
			err_str(rc), (int)msg.len, msg.data);
	buf_release(&msg);
	if (hk->watchdog_usec && all_alive(hk))
		watchdog_ping();
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	event_base_dispatch(w->base);
	return NULL;
}

int cmd_serve_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "upstream", required_argument, NULL, 'u' },
		{ "upstream-ca", required_argument, NULL, 'A' },
		{ "cert", required_argument, NULL, 'C' },
		{ "key", required_argument, NULL, 'K' },
		{ "data", required_argument, NULL, 'd' },
		{ "workers", required_argument, NULL, 'w' },
		{ "board", required_argument, NULL, 'b' },
		{ "set", required_argument, NULL, 's' },
		{ "print-config", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct server *srv = xcalloc(1, sizeof(*srv));
	struct worker workers[SERVE_MAX_WORKERS];
	struct board_profile board;
	struct housekeeping hk;
	struct rules_store *store = NULL;
	struct tls_server_opts to;
	const char *board_name = NULL;
	char cert[1100], key[1100], repos[1100], path[1100];
	struct buf msg;
	bool print_config = false, data_given = false;
	unsigned i, nworkers;
	sigset_t set;
	int c, err, sig, rc = 2;

	if (!srv)
		return 2;
	buf_init(&msg, 1 << 20);
	pthread_mutex_init(&srv->pushopt_lock, NULL);
	pthread_mutex_init(&srv->slot_lock, NULL);
	config_default(&srv->cfg);
	if (geteuid() != 0)
		snprintf(srv->cfg.data, sizeof(srv->cfg.data), "%s", rulectl_default_data_dir());
	/* The config file first, then the command line over it. */
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		if (c == 'c' && config_load_file(&srv->cfg, optarg, &msg) != 0) {
			fprintf(stderr, "sluice serve: %.*s\n", (int)msg.len, msg.data);
			goto out;
		}
		if (c == 'h' || c == '?') {
			rc = usage();
			goto out;
		}
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		const char *key_name = NULL;

		switch (c) {
		case 'l': key_name = "listen"; break;
		case 'u': key_name = "upstream"; break;
		case 'A': key_name = "upstream_ca"; break;
		case 'C': key_name = "cert"; break;
		case 'K': key_name = "key"; break;
		case 'd': key_name = "data"; data_given = true; break;
		case 'w': key_name = "workers"; break;
		case 'b': board_name = optarg; break;
		case 'p': print_config = true; break;
		case 's': {
			char k[128];
			const char *eq = strchr(optarg, '=');

			if (!eq || (size_t)(eq - optarg) >= sizeof(k)) {
				fprintf(stderr, "sluice serve: --set needs KEY=VALUE\n");
				goto out;
			}
			snprintf(k, sizeof(k), "%.*s", (int)(eq - optarg), optarg);
			if (config_set(&srv->cfg, k, eq + 1, &msg) != 0) {
				fprintf(stderr, "sluice serve: %.*s\n", (int)msg.len, msg.data);
				goto out;
			}
			break;
		}
		default: break;
		}
		if (key_name && config_set(&srv->cfg, key_name, optarg, &msg) != 0) {
			fprintf(stderr, "sluice serve: %.*s\n", (int)msg.len, msg.data);
			goto out;
		}
	}
	UNUSED(data_given);
	if (print_config) {
		config_dump(&srv->cfg, &msg);
		fwrite(msg.data, 1, msg.len, stdout);
		rc = 0;
		goto out;
	}
	if ((srv->cfg.cert[0] != 0) != (srv->cfg.key[0] != 0)) {
		fprintf(stderr, "sluice serve: --cert and --key go together\n");
		goto out;
	}

	/* First start: data directory, rules, certificate, demo repository. */
	snprintf(repos, sizeof(repos), "%s/repos", srv->cfg.data);
	snprintf(srv->spool_dir, sizeof(srv->spool_dir), "%s/spool", srv->cfg.data);
	snprintf(path, sizeof(path), "%s/tls", srv->cfg.data);
	if ((err = mkdir_p(srv->cfg.data)) || (err = mkdir_p(srv->spool_dir)) ||
	    (err = mkdir_p(path)) || (srv->cfg.upstream[0] == 0 && (err = mkdir_p(repos)))) {
		fprintf(stderr, "sluice serve: cannot create %s: %s\n", srv->cfg.data, err_str(err));
		goto out;
	}
	err = rulectl_open_store(srv->cfg.data, &store, &msg);
	if (!err)
		err = snapshot_holder_new(store, &srv->rules, &msg);
	if (err) {
		fprintf(stderr, "sluice serve: rules: %s\n%.*s\n", err_str(err), (int)msg.len, msg.data);
		goto out;
	}
	if (srv->cfg.cert[0]) {
		snprintf(cert, sizeof(cert), "%s", srv->cfg.cert);
		snprintf(key, sizeof(key), "%s", srv->cfg.key);
	} else {
		snprintf(cert, sizeof(cert), "%s/tls/cert.pem", srv->cfg.data);
		snprintf(key, sizeof(key), "%s/tls/key.pem", srv->cfg.data);
		err = tls_ensure_self_signed(cert, key, srv->cfg.server_name, &msg);
		if (err) {
			fprintf(stderr, "sluice serve: %.*s\n", (int)msg.len, msg.data);
			goto out;
		}
	}
	if (upstream_target_parse(srv->cfg.upstream, repos, &srv->up) != 0) {
		fprintf(stderr, "sluice serve: upstream must be http(s)://host[:port][/prefix]\n");
		goto out;
	}
	if (srv->up.cgi && create_demo_repo(repos) != 0)
		fprintf(stderr, "sluice serve: could not create the demo repository in %s\n", repos);
	if ((err = open_users(srv, &msg)) != 0) {
		fprintf(stderr, "sluice serve: users: %s: %.*s\n", err_str(err), (int)msg.len, msg.data);
		goto out;
	}
	if (srv->up.tls && tls_client_new(srv->cfg.upstream_ca[0] ? srv->cfg.upstream_ca : NULL,
					  &srv->up_tls, &msg) != 0) {
		fprintf(stderr, "sluice serve: %.*s\n", (int)msg.len, msg.data);
		goto out;
	}
	if (board_profile_init(&board, board_name, NULL) == ERR_NOTFOUND)
		fprintf(stderr, "sluice serve: unknown board '%s', using the detected profile\n",
			board_name);
	memset(&to, 0, sizeof(to));
	to.cert_file = cert;
	to.key_file = key;
	to.ciphersuites = board.ciphersuites;
	if (tls_server_new(&to, &srv->tls, &msg) != 0) {
		fprintf(stderr, "sluice serve: %.*s\n", (int)msg.len, msg.data);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/audit.jsonl", srv->cfg.data);
	if ((err = audit_open(path, &srv->audit)) != 0) {
		fprintf(stderr, "sluice serve: %s: %s\n", path, err_str(err));
		goto out;
	}

	/* Signals are taken by the main thread only; workers inherit the
	 * blocked mask. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	evthread_use_pthreads();

	nworkers = srv->cfg.workers ? srv->cfg.workers : board.workers;
	nworkers = MAX(1u, MIN(nworkers, (unsigned)SERVE_MAX_WORKERS));
	memset(workers, 0, sizeof(workers));
	for (i = 0; i < nworkers; i++) {
		struct worker *w = &workers[i];

		w->srv = srv;
		w->id = i;
		w->base = event_base_new();
		if (!w->base || listen_socket(srv->cfg.listen, &w->listen_fd, &msg) != 0 ||
		    conn_worker_start(w) != 0) {
			fprintf(stderr, "sluice serve: %.*s\n", (int)msg.len, msg.data);
			nworkers = i + 1;
			goto stop;
		}
	}
	membudget_init(&srv->push_membudget, (size_t)srv->cfg.push_memory);
	srv->slots = srv->cfg.push_slots ? srv->cfg.push_slots
		     : (unsigned)MAX(1ull, srv->cfg.push_memory / ((uint64_t)LIMIT_PUSH_SLOT_MIB << 20));
	{
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		unsigned threads = srv->cfg.scan_threads ? srv->cfg.scan_threads
				   : (unsigned)MAX(cpus, 1L);

		if ((err = scanpool_new(threads, &srv->scan)) != 0) {
			fprintf(stderr, "sluice serve: cannot start scan threads: %s\n", err_str(err));
			goto stop;
		}
	}
	memset(&hk, 0, sizeof(hk));
	hk.srv = srv;
	hk.workers = workers;
	hk.nworkers = nworkers;
	hk.watchdog_usec = watchdog_interval_usec();
	hk.ev = event_new(workers[0].base, -1, EV_PERSIST, on_housekeeping, &hk);
	{
		uint64_t ms = SERVE_RULES_POLL_MS;
		struct timeval tv;

		if (hk.watchdog_usec && hk.watchdog_usec / 2000 < ms)
			ms = hk.watchdog_usec / 2000;
		tv.tv_sec = (time_t)(ms / 1000);
		tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
		event_add(hk.ev, &tv);
	}
	for (i = 0; i < nworkers; i++)
		pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);
	{
		struct rules_snapshot *s = snapshot_get(srv->rules);

		fprintf(stderr, "sluice: listening on https://%s (%u worker%s, board %s, TLS %s "
			"first), upstream %s, data %s, rules generation %llu\n",
			srv->cfg.listen, nworkers, nworkers == 1 ? "" : "s", board.name,
			board.aes_fast ? "AES-GCM" : "ChaCha20-Poly1305",
			srv->up.cgi ? "embedded git http-backend" : srv->cfg.upstream, srv->cfg.data,
			(unsigned long long)s->generation);
		snapshot_put(srv->rules, s);
	}
	watchdog_ready("serving");
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			if (snapshot_refresh(srv->rules, &msg) < 0)
				fprintf(stderr, "sluice: reload failed: %.*s\n", (int)msg.len, msg.data);
			buf_reset(&msg);
			continue;
		}
		break;
	}
	fprintf(stderr, "sluice: stopping\n");
	watchdog_stopping();
	srv->stopping = 1;
	for (i = 0; i < nworkers; i++)
		event_base_loopexit(workers[i].base, NULL);
	for (i = 0; i < nworkers; i++)
		pthread_join(workers[i].thread, NULL);
	event_free(hk.ev);
	rc = 0;
stop:
	/* After the loops: no job can be submitted any more. */
	scanpool_free(srv->scan);
	srv->scan = NULL;
	for (i = 0; i < nworkers; i++) {
		if (workers[i].accept_ev)
			event_free(workers[i].accept_ev);
		if (workers[i].beat_ev)
			event_free(workers[i].beat_ev);
		if (workers[i].listen_fd > 0)
			close(workers[i].listen_fd);
		if (workers[i].base)
			event_base_free(workers[i].base);
	}
out:
	auth_free(srv->auth);
	audit_close(srv->audit);
	tls_ctx_free(srv->tls);
	tls_ctx_free(srv->up_tls);
	snapshot_holder_free(srv->rules);
	rules_store_close(store);
	config_release(&srv->cfg);
	buf_release(&msg);
	xfree(srv);
	return rc;
}
