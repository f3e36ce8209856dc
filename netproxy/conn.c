/*
 * conn.c - one client connection of `sluice serve`: TLS, HTTP/1.1
 * keep-alive, routing, the upstream exchange, and the receive-pack gate
 * (ARCHITECTURE.md "Inline data flow" and "What the gate guarantees";
 * RFC 9112 for framing).
 *
 * Routes:
 *   POST .../git-receive-pack          the gate: decode the body, scan it
 *                                      as it streams, hold the pack
 *                                      trailer (or the whole small body)
 *                                      until the verdict
 *   GET .../info/refs?service=git-receive-pack
 *                                      advertisement rewrite: no-thin (and
 *                                      push-options when sluice offers
 *                                      bypass and the upstream does not)
 *   anything else                      streamed through unchanged
 *
 * Routing reads the canonical request target (urlpath.h), and the
 * upstream is sent that same target, so both read one path.
 * One upstream exchange per request (`Connection: close` upstream); the
 * client connection is kept alive when both sides allow it.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/base/limits.h"
#include "core/decode/dec_chunked.h"
#include "core/decode/dec_gzip.h"
#include "core/decode/http1.h"
#include "core/decode/advert.h"
#include "core/decode/receive_pack.h"
#include "core/push/push.h"
#include "core/verdict/verdict.h"
#include "netproxy/auth.h"
#include "netproxy/cgi.h"
#include "netproxy/endpoint.h"
#include "netproxy/gate.h"
#include "netproxy/scanpool.h"
#include "netproxy/server.h"
#include "netproxy/urlpath.h"

#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <strings.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>


/* Bytes buffered from one side before reading from it pauses until the
 * other side has taken them: bounds memory per connection. */
#define CONN_IN_CAP (256u * 1024)
#define CONN_BACKPRESSURE (1024u * 1024)
/* A whole info/refs advertisement is rewritten in memory. */
#define CONN_ADVERT_MAX (64u * 1024 * 1024)
/* The upstream's reply to a push (report-status) is collected whole. */
#define CONN_PUSH_REPLY_MAX (16u * 1024 * 1024)
/* Decoded bytes of a push held whole (small Content-Length bodies). */
#define CONN_HOLD_DECODED_MAX (64u * 1024 * 1024)
/* Held back at the end of a streamed pack: the longest trailer. */
#define CONN_TRAILER_HOLD 32u
/* Transfer-decoded push body taken from the client while the previous
 * batch is being scanned; the client waits beyond it. */
#define CONN_SCAN_BATCH (16u * 1024)
/* A push's client buffer while its body is read: little read ahead of the
 * scan, so little is left to scan after the last byte (the verdict
 * latency). */
#define CONN_PUSH_IN_CAP (16u * 1024)
/* Transfer-decoded body a push must have buffered (or its whole body)
 * before it asks for a scan slot. */
#define CONN_SLOT_READY (16u * 1024)
/* A CGI child left without its connection is drained this long at most. */
#define CONN_ORPHAN_MS 60000u
/* Job error: the gzip content coding failed (corrupt, or over its
 * expansion limit); not a code of core/base/err-t.h. */
#define GATE_ERR_GZIP (-1)

enum conn_state {
	CS_HEAD,	/* reading a request head */
	CS_BODY,	/* reading the request body */
	CS_DRAIN,	/* reply sent early; reading the rest of the body */
	CS_CLOSING,	/* flushing the last bytes, then close */
};

enum conn_route {
	ROUTE_PASS,	/* streamed through */
	ROUTE_ADVERT,	/* receive-pack advertisement, rewritten */
	ROUTE_RECEIVE,	/* a push: the gate */
};

enum gate_mode {
	GATE_HOLD_WHOLE,	/* body held in memory; upstream only on allow */
	GATE_STREAM,		/* streamed upstream; trailer held */
};

struct conn {
	struct worker *w;
	struct server *srv;
	struct endpoint *cl;		/* the client (TLS) */
	struct endpoint *up;		/* upstream socket or CGI pipes */
	pid_t cgi_pid;			/* CGI child, 0 when none */
	struct event *idle;		/* idle timeout */
	struct event *deadline;		/* TLS handshake / request head deadline */
	struct event *rate_ev;		/* body rate check, once per window */
	uint64_t head_since_ms;		/* waiting for a head since (accept or reply) */
	struct conn *head_prev, *head_next;	/* in w->heads while waiting */
	bool in_heads;
	bool hs_done;			/* TLS handshake finished */
	bool head_armed;		/* the head deadline runs */
	uint64_t rate_bytes;		/* body bytes taken in this window */
	bool rate_excused;		/* the gate paused reading in this window */
	char peer[64];			/* client address */
	enum conn_state st;
	bool dead;			/* free at the end of the callback */

	/* request */
	struct http1 reqp;		/* head parser */
	bool reqp_live;
	char *method, *target, *path, *query, *user, *ctype, *cenc, *gitproto;
	enum conn_route route;
	enum http1_body req_framing;
	uint64_t req_left;		/* LENGTH: bytes still to come */
	struct dec_chunked req_chunk;	/* CHUNKED: finds the body end */
	bool req_done;			/* whole body read */
	bool keepalive;			/* client wants the connection kept */
	bool is_head;			/* HEAD request */
	bool up_chunked;		/* we frame the upstream body chunked */
	bool up_opened;			/* upstream exchange started */
	bool response_started;		/* head sent to the client */

	/* response */
	struct http1 resp;		/* upstream response head parser */
	bool resp_live, resp_head_done, resp_done;
	enum http1_body resp_framing;
	uint64_t resp_left;
	struct dec_chunked resp_chunk;
	bool rechunk;			/* close-delimited -> chunked to client */
	bool collect;			/* collect the whole body */
	struct buf collected;
	unsigned status;

	/* gate (ROUTE_RECEIVE) */
	enum gate_mode gmode;
	struct rules_snapshot *snap;	/* pinned for the whole push */
	struct match_scratch *sc;
	struct push_session *push;
	struct dec_gzip gz;		/* Content-Encoding: gzip */
	bool gz_live;
	struct buf hold;		/* decoded body (whole) or prefix */
	uint8_t tail[CONN_TRAILER_HOLD];/* last pack bytes not yet sent */
	size_t tail_len;
	uint64_t decoded;		/* decoded body bytes so far */
	bool prefix_sent;		/* command block forwarded */
	bool strip_options;		/* remove push-options before upstream */
	bool decided;
	bool blocked;			/* reply is ours; upstream reply dropped */
	struct gate_decision dec;
	struct buf gate_reply;		/* our reply (block) or warnings */
	struct timespec t_start, t_body_end;
	struct timespec t_last_read;	/* the read that brought the last byte */
	bool budget_hit;		/* push_budget_ms ran out (job) */
	bool fail_open_pass;		/* ... under fail-open: the rest passes unjudged */

	/* scan jobs (netproxy/scanpool.h): fields marked (job) belong to the
	 * pool thread while job_busy, to the loop otherwise */
	struct evbuffer *scan_in;	/* transfer-decoded body, next batch */
	struct evbuffer *job_in;	/* the batch being scanned (job) */
	struct evbuffer *fwd_out;	/* accepted pack bytes to forward (job) */
	struct scan_job job;
	struct event *job_ev;		/* job done, on this loop */
	struct event *budget_ev;	/* push_budget_ms timer */
	atomic_bool cancel;		/* budget ran out or the client left */
	bool job_busy;			/* a batch is queued or running */
	bool budget_armed;		/* push_budget_ms runs (from the slot) */
	bool upstream_answered;		/* its whole reply came before the verdict */
	bool job_finish;		/* that batch ends the body */
	int job_err;			/* (job) */
	bool free_after_job;		/* conn_free waits for the job */

	/* scan slot (srv->slot_lock guards has_slot, slot_waiting, slot_next) */
	bool has_slot;
	bool slot_waiting;
	struct conn *slot_next;		/* FIFO of waiters */
	struct event *slot_ev;		/* activated by the thread granting a slot */
	struct event *slot_timer;	/* push_queue_timeout_ms */
};

static void conn_free(struct conn *c);
static void on_client_read(struct endpoint *ep, void *arg);
static void on_client_drain(struct endpoint *ep, void *arg);
static void on_client_event(struct endpoint *ep, void *arg);
static void on_up_read(struct endpoint *ep, void *arg);
static void on_up_drain(struct endpoint *ep, void *arg);
static void process_client(struct conn *c);
static void gate_job_run(struct scan_job *job);
static void head_wait_start(struct conn *c);
static void head_wait_done(struct conn *c);
static void head_first_byte(struct conn *c);
static bool slot_acquire(struct conn *c);
static void slot_release(struct conn *c);
static void begin_body(struct conn *c);
static bool slot_needed(const struct conn *c);
static void arm_ms(struct event *ev, uint64_t ms);
static void on_gate_job_done(evutil_socket_t fd, short what, void *arg);

static double elapsed_ms(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static void log_conn(const struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void log_conn(const struct conn *c, const char *fmt, ...)
{
	va_list ap;

	if (strcmp(c->srv->cfg.log_level, "debug") != 0 && strcmp(c->srv->cfg.log_level, "info") != 0)
		return;
	fprintf(stderr, "sluice[%u] %s: ", c->w->id, c->peer);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* --- small helpers ----------------------------------------------------- */

static char *dup_field(const struct http1_head *h, const char *name)
{
	const struct http1_header *f = http1_header_find(h, name, NULL);

	return f ? xstrndup(f->value, f->value_len) : NULL;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* The repository part of a git URL path: everything before /info/refs or
 * /git-receive-pack etc. */
static void repo_of(const char *path, char *out, size_t cap)
{
	static const char *const tails[] = { "/info/refs", "/git-receive-pack", "/git-upload-pack",
					     "/HEAD", "/objects/" };
	size_t i, len = strlen(path);

	for (i = 0; i < ARRAY_SIZE(tails); i++) {
		const char *t = strstr(path, tails[i]);

		if (t) {
			len = (size_t)(t - path);
			break;
		}
	}
	while (len && *path == '/') {
		path++;
		len--;
	}
	snprintf(out, cap, "%.*s", (int)MIN(len, cap - 1), path);
}

/* Who pushes (auth.h).  Only requests that may reach receive-pack are
 * checked, so fetches stay anonymous and cost no hash.  c->user is set
 * only for a user verified against DATA/users, never for a name merely
 * claimed: it becomes REMOTE_USER, the audit user and the name a
 * `users:` bypass is matched against.  Returns false when the request
 * must not go on: the embedded default has no other authority, so an
 * unverified push stops here (*res says why); in upstream mode the
 * upstream judges the credential and the pusher stays unverified. */
static bool verify_pusher(struct conn *c, const struct http1_head *h, enum auth_result *res)
{
	const struct http1_header *f;
	char user[AUTH_NAME_CAP];
	bool push = c->route == ROUTE_ADVERT || c->route == ROUTE_RECEIVE;

	/* git http-backend also decodes %xx in the query and takes any
	 * method on .../git-receive-pack to its own checks: everything that
	 * might reach receive-pack through the CGI needs the user. */
	if (c->srv->up.cgi)
		push = push || ends_with(c->path, "/git-receive-pack") ||
		       (c->query && (strcasestr(c->query, "receive") || strchr(c->query, '%')));
	*res = AUTH_NO_CREDENTIAL;
	if (!push || !c->srv->auth)
		return !c->srv->up.cgi || !push;
	f = http1_header_find(h, "Authorization", NULL);
	*res = auth_verify_basic(c->srv->auth, c->peer, f ? f->value : NULL, f ? f->value_len : 0,
				 user, sizeof(user));
	if (*res == AUTH_VERIFIED) {
		c->user = xstrdup(user);
		return c->user != NULL || !c->srv->up.cgi;
	}
	if (f)
		log_conn(c, "push credential not verified (%s)",
			 *res == AUTH_THROTTLED ? "too many failures" :
			 *res == AUTH_BUSY ? "hash rate spent" : "wrong user or password");
	return !c->srv->up.cgi;
}

/* A CGI child whose connection goes before it has answered (the client
 * left mid-push) must still get EOF on its stdin and be able to write its
 * reply: git restores SIGPIPE's default, so a closed stdout would kill
 * receive-pack by a signal, and git leaves its quarantine directory
 * behind when killed.  The orphan drains the reply until the child
 * closes it, bounded by CONN_ORPHAN_MS. */
struct cgi_orphan {
	struct endpoint *ep;
	struct event *timer;
};

static void orphan_free(struct cgi_orphan *o)
{
	if (o->timer)
		event_free(o->timer);
	endpoint_free(o->ep);
	xfree(o);
	cgi_reap();
}

static void on_orphan_read(struct endpoint *ep, void *arg)
{
	struct cgi_orphan *o = arg;

	evbuffer_drain(ep->in, evbuffer_get_length(ep->in));
	if (ep->eof || ep->err) {
		orphan_free(o);
		return;
	}
	endpoint_rearm(ep);
}

static void on_orphan_timeout(evutil_socket_t fd, short what, void *arg)
{
	UNUSED(fd);
	UNUSED(what);
	orphan_free(arg);
}

static void release_upstream(struct conn *c)
{
	struct cgi_orphan *o;

	if (!c->up)
		return;
	if (c->srv->up.cgi && !c->resp_done && !c->up->eof && !c->up->err &&
	    (o = xcalloc(1, sizeof(*o))) != NULL) {
		o->ep = c->up;
		o->timer = evtimer_new(c->w->base, on_orphan_timeout, o);
		o->ep->on_read = on_orphan_read;
		o->ep->on_drain = NULL;
		o->ep->on_event = NULL;
		o->ep->arg = o;
		/* What it said already is dropped; reading resumes even if the
		 * input buffer was at its cap. */
		evbuffer_drain(o->ep->in, evbuffer_get_length(o->ep->in));
		endpoint_shutdown_after_flush(o->ep);
		endpoint_want_read(o->ep, true);
		endpoint_rearm(o->ep);
		if (o->timer)
			arm_ms(o->timer, CONN_ORPHAN_MS);
		c->up = NULL;
		return;
	}
	endpoint_free(c->up);
	c->up = NULL;
}

static void clear_request(struct conn *c)
{
	slot_release(c);
	if (c->cl)
		c->cl->in_cap = CONN_IN_CAP;
	if (c->reqp_live)
		http1_decoder.release(&c->reqp);
	if (c->resp_live)
		http1_decoder.release(&c->resp);
	if (c->gz_live)
		dec_gzip.release(&c->gz);
	c->reqp_live = c->resp_live = c->gz_live = false;
	xfree(c->method);
	xfree(c->target);
	xfree(c->path);
	xfree(c->query);
	xfree(c->user);
	xfree(c->ctype);
	xfree(c->cenc);
	xfree(c->gitproto);
	c->method = c->target = c->path = c->query = c->user = c->ctype = c->cenc = NULL;
	c->gitproto = NULL;
	if (c->push) {
		push_session_free(c->push);
		c->push = NULL;
		/* A push frees tens of MiB of cache and buffers; give them back
		 * to the system instead of keeping them in malloc's arenas. */
		malloc_trim(0);
	}
	if (c->job_ev)
		event_free(c->job_ev);
	if (c->budget_ev)
		event_free(c->budget_ev);
	c->job_ev = c->budget_ev = NULL;
	if (c->scan_in)
		evbuffer_free(c->scan_in);
	if (c->job_in)
		evbuffer_free(c->job_in);
	if (c->fwd_out)
		evbuffer_free(c->fwd_out);
	c->scan_in = c->job_in = c->fwd_out = NULL;
	c->job_finish = c->fail_open_pass = c->budget_armed = c->upstream_answered = false;
	c->job_err = 0;
	atomic_store(&c->cancel, false);
	match_scratch_free(c->sc);
	c->sc = NULL;
	if (c->snap)
		snapshot_put(c->srv->rules, c->snap);
	c->snap = NULL;
	buf_release(&c->collected);
	buf_release(&c->hold);
	buf_release(&c->gate_reply);
	release_upstream(c);
	if (c->cgi_pid > 0)
		cgi_reap();
	c->cgi_pid = 0;
	c->req_done = c->up_chunked = c->up_opened = c->response_started = false;
	c->resp_head_done = c->resp_done = c->rechunk = c->collect = false;
	c->prefix_sent = c->strip_options = c->decided = c->blocked = false;
	c->tail_len = 0;
	c->decoded = 0;
	c->budget_hit = false;
	c->status = 0;
}

static void conn_close(struct conn *c)
{
	c->st = CS_CLOSING;
	endpoint_want_read(c->cl, false);
	endpoint_shutdown_after_flush(c->cl);
	if (endpoint_pending(c->cl) == 0)
		c->dead = true;
}

/* A complete response of our own (errors, blocks). */
static void send_simple(struct conn *c, unsigned status, const char *reason, const char *ctype,
			const void *body, size_t len, bool close)
{
	struct buf h;

	buf_init(&h, 4096);
	buf_printf(&h, "HTTP/1.1 %u %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		   "Cache-Control: no-cache\r\nConnection: %s\r\n\r\n", status, reason, ctype, len,
		   close ? "close" : "keep-alive");
	endpoint_write(c->cl, h.data, h.len);
	endpoint_write(c->cl, body, len);
	buf_release(&h);
	c->response_started = true;
	c->resp_done = true;
}

static void fail_request(struct conn *c, unsigned status, const char *reason, const char *text)
{
	struct buf b;

	buf_init(&b, 4096);
	buf_printf(&b, "sluice: %s\n", text);
	log_conn(c, "%u %s", status, text);
	if (!c->response_started) {
		send_simple(c, status, reason, "text/plain", b.data, b.len, true);
	}
	buf_release(&b);
	conn_close(c);
}

/* --- upstream ------------------------------------------------------------ */

int upstream_target_parse(const char *url, const char *repos_dir, struct upstream_target *t)
{
	const char *p, *host, *slash, *colon;

	memset(t, 0, sizeof(*t));
	if (!url || !*url) {
		t->cgi = true;
		snprintf(t->repos, sizeof(t->repos), "%s", repos_dir);
		return 0;
	}
	if (strncmp(url, "http://", 7) == 0) {
		p = url + 7;
		snprintf(t->port, sizeof(t->port), "80");
	} else if (strncmp(url, "https://", 8) == 0) {
		p = url + 8;
		t->tls = true;
		snprintf(t->port, sizeof(t->port), "443");
	} else {
		return ERR_SYNTAX;
	}
	host = p;
	slash = strchr(p, '/');
	if (!slash)
		slash = p + strlen(p);
	colon = memchr(host, ':', (size_t)(slash - host));
	if (colon) {
		if ((size_t)(slash - colon - 1) >= sizeof(t->port) || slash == colon + 1)
			return ERR_SYNTAX;
		snprintf(t->port, sizeof(t->port), "%.*s", (int)(slash - colon - 1), colon + 1);
	} else {
		colon = slash;
	}
	if (colon == host || (size_t)(colon - host) >= sizeof(t->host))
		return ERR_SYNTAX;
	snprintf(t->host, sizeof(t->host), "%.*s", (int)(colon - host), host);
	snprintf(t->host_header, sizeof(t->host_header), "%.*s", (int)(slash - host), host);
	snprintf(t->prefix, sizeof(t->prefix), "%s", slash);
	while (strlen(t->prefix) && t->prefix[strlen(t->prefix) - 1] == '/')
		t->prefix[strlen(t->prefix) - 1] = '\0';
	return 0;
}

static int connect_upstream(const struct upstream_target *t, int *fd_out)
{
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_family = AF_UNSPEC;
	/* Name resolution blocks; upstreams are configured by address or a
	 * name in /etc/hosts on appliances, so this is a local lookup. */
	rc = getaddrinfo(t->host, t->port, &hints, &res);
	if (rc != 0)
		return ERR_NOTFOUND;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return -ECONNREFUSED;
	{
		int one = 1;

		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	*fd_out = fd;
	return 0;
}

/* Hop-by-hop fields and the ones we set ourselves are not copied.  The
 * forwarding fields are the gate's to state: a client-sent
 * X-Forwarded-For with ours appended would put the client's choice first,
 * where upstreams read the address they log and trust. */
static bool skip_request_field(const char *name)
{
	static const char *const skip[] = {
		"Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "TE",
		"Trailer", "Upgrade", "Host", "Content-Length", "Expect", "Content-Encoding",
		"Accept-Encoding", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host",
		"X-Forwarded-Port", "X-Real-IP", "Forwarded",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(skip); i++)
		if (strcasecmp(name, skip[i]) == 0)
			return true;
	return false;
}

/* Opens the upstream exchange.  body_len: -1 unknown (chunked upstream),
 * else the exact length.  encoding: Content-Encoding to send, or NULL. */
static int open_upstream(struct conn *c, long long body_len, const char *encoding,
			 bool identity_only)
{
	const struct upstream_target *t = &c->srv->up;
	const struct http1_head *h = http1_head_peek(&c->reqp);
	struct tls_conn *tls = NULL;
	int fd, err;
	size_t i;

	c->up_opened = true;
	if (t->cgi) {
		struct cgi_request r;
		char path_info[4096];
		int in_fd, out_fd;

		memset(&r, 0, sizeof(r));
		snprintf(path_info, sizeof(path_info), "%s", c->path);
		r.method = c->method;
		r.path_info = path_info;
		r.query = c->query ? c->query : "";
		r.content_type = c->ctype;
		r.content_length = body_len;
		r.content_encoding = encoding;
		r.git_protocol = c->gitproto;
		r.remote_addr = c->peer;
		r.remote_user = c->user;
		r.project_root = t->repos;
		err = cgi_spawn(&r, &c->cgi_pid, &in_fd, &out_fd);
		if (err)
			return err;
		err = endpoint_new(c->w->base, out_fd, in_fd, true, NULL, CONN_IN_CAP, &c->up);
		if (err) {
			close(in_fd);
			close(out_fd);
			return err;
		}
		c->up_chunked = false;
	} else {
		struct buf head;

		err = connect_upstream(t, &fd);
		if (err)
			return err;
		if (t->tls && (err = tls_conn_new(c->srv->up_tls, fd, t->host, &tls)) != 0) {
			close(fd);
			return err;
		}
		err = endpoint_new(c->w->base, fd, fd, true, tls, CONN_IN_CAP, &c->up);
		if (err) {
			tls_conn_free(tls);
			close(fd);
			return err;
		}
		buf_init(&head, LIMIT_HTTP_HEAD_BYTES * 2);
		buf_printf(&head, "%s %s%s HTTP/1.1\r\nHost: %s\r\n", c->method, t->prefix, c->target,
			   t->host_header);
		for (i = 0; i < h->nheaders; i++) {
			if (skip_request_field(h->headers[i].name))
				continue;
			buf_printf(&head, "%s: %s\r\n", h->headers[i].name, h->headers[i].value);
		}
		if (identity_only) {
			buf_append_str(&head, "Accept-Encoding: identity\r\n");
		} else {
			const struct http1_header *ae = http1_header_find(h, "Accept-Encoding", NULL);

			if (ae)
				buf_printf(&head, "Accept-Encoding: %s\r\n", ae->value);
		}
		if (encoding)
			buf_printf(&head, "Content-Encoding: %s\r\n", encoding);
		if (body_len >= 0 && (body_len > 0 || h->has_length || h->chunked)) {
			buf_printf(&head, "Content-Length: %lld\r\n", body_len);
		} else if (body_len < 0) {
			buf_append_str(&head, "Transfer-Encoding: chunked\r\n");
			c->up_chunked = true;
		}
		{
			const struct http1_header *host = http1_header_find(h, "Host", NULL);

			buf_printf(&head, "X-Forwarded-For: %s\r\nX-Forwarded-Proto: https\r\n",
				   c->peer);
			if (host)
				buf_printf(&head, "X-Forwarded-Host: %.*s\r\n", (int)host->value_len,
					   host->value);
		}
		buf_append_str(&head, "Connection: close\r\n\r\n");
		if (head.len >= head.max) {
			buf_release(&head);
			return ERR_LIMIT;
		}
		endpoint_write(c->up, head.data, head.len);
		buf_release(&head);
	}
	c->up->on_read = on_up_read;
	c->up->on_drain = on_up_drain;
	c->up->arg = c;
	if (!http1_decoder.init(&c->resp, &(struct http1_params){ HTTP1_RESPONSE, NULL, NULL, 0, 0 }))
		c->resp_live = true;
	else
		return ERR_NOMEM;
	if (t->cgi) {
		/* A CGI response has no status line; give the parser one and
		 * let a Status field override it (RFC 3875 §6.3.3). */
		static const char synth[] = "HTTP/1.1 200 OK\r\n";
		struct dec_result r = http1_decoder.feed(&c->resp, (const uint8_t *)synth,
							 sizeof(synth) - 1, NULL);

		if (r.status == DEC_ERR)
			return r.err;
	}
	return 0;
}

/* Decoded request body bytes to the upstream, framed as we announced. */
static void up_send_body(struct conn *c, const void *p, size_t n)
{
	if (!n || !c->up)
		return;
	if (c->up_chunked) {
		char line[DEC_CHUNKED_SIZE_LINE_MAX];
		size_t l = dec_chunked_encode_size_line(n, line);

		endpoint_write(c->up, line, l);
		endpoint_write(c->up, p, n);
		endpoint_write(c->up, "\r\n", 2);
	} else {
		endpoint_write(c->up, p, n);
	}
}

static void up_end_body(struct conn *c)
{
	if (!c->up)
		return;
	if (c->up_chunked)
		endpoint_write(c->up, "0\r\n\r\n", 5);
	if (c->srv->up.cgi)
		endpoint_shutdown_after_flush(c->up);
}

/* --- responses to the client ------------------------------------------- */

static bool skip_response_field(const char *name)
{
	static const char *const skip[] = {
		"Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "TE",
		"Trailer", "Upgrade", "Content-Length", "Status",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(skip); i++)
		if (strcasecmp(name, skip[i]) == 0)
			return true;
	return false;
}

/* Head of the relayed response.  body_len >= 0: Content-Length; -1: the
 * body follows chunked; -2: no body. */
/* The upstream's status; a CGI Status field overrides the synthetic
 * status line (RFC 3875 §6.3.3).  reason_buf receives the phrase. */
static unsigned response_status(const struct http1_head *h, char *reason_buf, size_t cap)
{
	const struct http1_header *st = http1_header_find(h, "Status", NULL);
	unsigned status = h->status;

	snprintf(reason_buf, cap, "%s", h->reason ? h->reason : "");
	if (st && st->value_len >= 3) {
		status = (unsigned)strtoul(st->value, NULL, 10);
		snprintf(reason_buf, cap, "%s", st->value_len > 4 ? st->value + 4 : "");
	}
	if (status < 100 || status > 599)
		status = 502;
	return status;
}

static void send_response_head(struct conn *c, long long body_len)
{
	const struct http1_head *h = http1_head_peek(&c->resp);
	char reason[128];
	unsigned status = response_status(h, reason, sizeof(reason));
	struct buf head;
	size_t i;

	c->status = status;
	buf_init(&head, LIMIT_HTTP_HEAD_BYTES * 2);
	buf_printf(&head, "HTTP/1.1 %u %s\r\n", status, *reason ? reason : "OK");
	for (i = 0; i < h->nheaders; i++) {
		if (skip_response_field(h->headers[i].name))
			continue;
		if (body_len >= 0 && c->collect && strcasecmp(h->headers[i].name, "Content-Encoding") == 0)
			continue;
		buf_printf(&head, "%s: %s\r\n", h->headers[i].name, h->headers[i].value);
	}
	if (body_len >= 0)
		buf_printf(&head, "Content-Length: %lld\r\n", body_len);
	else if (body_len == -1)
		buf_append_str(&head, "Transfer-Encoding: chunked\r\n");
	buf_printf(&head, "Connection: %s\r\n\r\n", c->keepalive ? "keep-alive" : "close");
	endpoint_write(c->cl, head.data, head.len);
	buf_release(&head);
	c->response_started = true;
}

static void pushopt_remember(struct server *srv, const char *repo, bool supported)
{
	unsigned i;

	pthread_mutex_lock(&srv->pushopt_lock);
	for (i = 0; i < PUSHOPT_CACHE; i++)
		if (strcmp(srv->pushopt[i].repo, repo) == 0)
			break;
	if (i == PUSHOPT_CACHE)
		i = srv->pushopt_next++ % PUSHOPT_CACHE;
	snprintf(srv->pushopt[i].repo, sizeof(srv->pushopt[i].repo), "%.127s", repo);
	srv->pushopt[i].supported = supported;
	pthread_mutex_unlock(&srv->pushopt_lock);
}

static bool pushopt_supported(struct server *srv, const char *repo)
{
	bool yes = false;
	unsigned i;

	pthread_mutex_lock(&srv->pushopt_lock);
	for (i = 0; i < PUSHOPT_CACHE; i++)
		if (srv->pushopt[i].repo[0] && strcmp(srv->pushopt[i].repo, repo) == 0)
			yes = srv->pushopt[i].supported;
	pthread_mutex_unlock(&srv->pushopt_lock);
	return yes;
}

static void rewrite_advert(struct conn *c)
{
	const struct policy *p;
	struct advert_info info;
	struct buf out;
	char repo[512];
	size_t consumed = 0;
	unsigned flags = ADVERT_ADD_NO_THIN | ADVERT_DROP_PUSH_CERT;
	int err = ERR_SYNTAX;

	repo_of(c->path, repo, sizeof(repo));
	p = config_policy_for(&c->srv->cfg, repo);
	/* push-options when bypass is possible: the gate consumes its own
	 * options before forwarding when the upstream lacks the capability. */
	if (p->bypass != BYPASS_NOBODY)
		flags |= ADVERT_ADD_PUSH_OPTIONS;
	buf_init(&out, CONN_ADVERT_MAX + 4096);
	if (c->status == 200)
		err = advert_rewrite(c->collected.data, c->collected.len, flags, &out, &consumed, &info);
	if (!err) {
		pushopt_remember(c->srv, repo, info.had_push_options);
		buf_append(&out, c->collected.data + consumed, c->collected.len - consumed);
	} else {
		/* Not an advertisement we understand (an error page, a dumb
		 * server): pass it unchanged. */
		buf_reset(&out);
		buf_append(&out, c->collected.data, c->collected.len);
	}
	send_response_head(c, (long long)out.len);
	endpoint_write(c->cl, out.data, out.len);
	buf_release(&out);
}

static void finish_gate_reply(struct conn *c);
static void request_complete(struct conn *c);

/* The whole upstream response has been read (or relayed). */
static void response_complete(struct conn *c)
{
	if (c->route == ROUTE_RECEIVE && !c->decided) {
		/* Answered before the verdict (an upstream error): the reply
		 * waits for it (gate_conclude). */
		c->upstream_answered = true;
		return;
	}
	c->resp_done = true;
	if (c->collect) {
		if (c->route == ROUTE_ADVERT)
			rewrite_advert(c);
		else if (c->route == ROUTE_RECEIVE)
			finish_gate_reply(c);
	}
	if (c->rechunk)
		endpoint_write(c->cl, "0\r\n\r\n", 5);
	request_complete(c);
}

/* Body bytes of the upstream response: relay or collect. */
static int resp_body_bytes(void *arg, const uint8_t *p, size_t n)
{
	struct conn *c = arg;

	if (c->collect)
		return buf_append(&c->collected, p, n);
	if (c->rechunk) {
		char line[DEC_CHUNKED_SIZE_LINE_MAX];
		size_t l = dec_chunked_encode_size_line(n, line);

		endpoint_write(c->cl, line, l);
		endpoint_write(c->cl, p, n);
		endpoint_write(c->cl, "\r\n", 2);
		return 0;
	}
	return endpoint_write(c->cl, p, n);
}

/* The first contiguous piece of an input buffer, at most max bytes.
 * Every parser here is push-fed and gives the same result however its
 * input is cut, so pieces are taken as they lie instead of being copied
 * together with evbuffer_pullup (a copy of every byte of a push). */
static const uint8_t *first_piece(struct evbuffer *in, size_t max, size_t *n)
{
	struct evbuffer_iovec v;

	if (evbuffer_peek(in, -1, NULL, &v, 1) < 1 || v.iov_len == 0) {
		*n = 0;
		return NULL;
	}
	*n = MIN(v.iov_len, max);
	return v.iov_base;
}

static void process_upstream(struct conn *c)
{
	struct evbuffer *in = c->up->in;

	while (!c->dead && !c->resp_done && evbuffer_get_length(in) > 0) {
		size_t n;
		const uint8_t *p = first_piece(in, CONN_IN_CAP, &n);

		if (!c->resp_head_done) {
			struct dec_result r = http1_decoder.feed(&c->resp, p, n, NULL);
			const struct http1_head *h;

			if (r.status == DEC_ERR) {
				fail_request(c, 502, "Bad Gateway", "malformed response from the upstream");
				return;
			}
			evbuffer_drain(in, r.consumed);
			if (r.status != DEC_STOP)
				continue;
			h = http1_head_peek(&c->resp);
			if (h->status >= 100 && h->status < 200) {
				/* Interim responses: relay 100 only if the
				 * client asked; we already answered it. */
				http1_decoder.release(&c->resp);
				http1_decoder.init(&c->resp, &(struct http1_params){ HTTP1_RESPONSE,
						   NULL, NULL, 0, 0 });
				continue;
			}
			c->resp_head_done = true;
			{
				char reason[128];

				c->status = response_status(h, reason, sizeof(reason));
			}
			c->resp_framing = c->srv->up.cgi ? HTTP1_BODY_CLOSE
							 : http1_response_body(h, c->is_head);
			c->resp_left = h->content_length;
			if (c->resp_framing == HTTP1_BODY_CHUNKED)
				dec_chunked.init(&c->resp_chunk, NULL);
			/* A push's reply is never relayed before the verdict:
			 * git http-backend writes its head before it reads
			 * the body, and a relayed head would leave the gate no
			 * way to say why it refused. */
			c->collect = c->route == ROUTE_ADVERT || c->route == ROUTE_RECEIVE;
			if (c->collect) {
				buf_init(&c->collected, c->route == ROUTE_ADVERT ? CONN_ADVERT_MAX
										  : CONN_PUSH_REPLY_MAX);
			} else if (c->resp_framing == HTTP1_BODY_NONE) {
				send_response_head(c, -2);
			} else if (c->resp_framing == HTTP1_BODY_LENGTH) {
				send_response_head(c, (long long)c->resp_left);
			} else {
				c->rechunk = true;
				send_response_head(c, -1);
			}
			if (c->resp_framing == HTTP1_BODY_NONE ||
			    (c->resp_framing == HTTP1_BODY_LENGTH && c->resp_left == 0)) {
				response_complete(c);
				return;
			}
			continue;
		}
		if (c->resp_framing == HTTP1_BODY_LENGTH) {
			size_t take = (size_t)MIN((uint64_t)n, c->resp_left);

			if (resp_body_bytes(c, p, take)) {
				fail_request(c, 502, "Bad Gateway", "upstream response too large");
				return;
			}
			evbuffer_drain(in, take);
			c->resp_left -= take;
			if (c->resp_left == 0) {
				response_complete(c);
				return;
			}
		} else if (c->resp_framing == HTTP1_BODY_CHUNKED) {
			struct dec_sink sink = { resp_body_bytes, c };
			struct dec_result r = dec_chunked.feed(&c->resp_chunk, p, n, &sink);

			if (r.status == DEC_ERR) {
				fail_request(c, 502, "Bad Gateway", "malformed chunked response upstream");
				return;
			}
			evbuffer_drain(in, r.consumed);
			if (r.status == DEC_STOP) {
				response_complete(c);
				return;
			}
		} else {
			if (resp_body_bytes(c, p, n)) {
				fail_request(c, 502, "Bad Gateway", "upstream response too large");
				return;
			}
			evbuffer_drain(in, n);
		}
	}
	if (!c->dead && !c->resp_done && (c->up->eof || c->up->err)) {
		if (c->resp_head_done && c->resp_framing == HTTP1_BODY_CLOSE && !c->up->err) {
			response_complete(c);
		} else if (!c->resp_head_done) {
			char text[512];

			if (c->srv->up.cgi)
				snprintf(text, sizeof(text), "the embedded git http-backend ended without "
					 "a response%s%s", c->up->err ? ": " : "",
					 c->up->err ? c->up->errtext : "");
			else if (c->up->err)
				snprintf(text, sizeof(text), "cannot reach the upstream git server %s:%s: %s",
					 c->srv->up.host, c->srv->up.port, c->up->errtext);
			else
				snprintf(text, sizeof(text), "the upstream git server %s:%s closed the "
					 "connection without a response", c->srv->up.host, c->srv->up.port);
			if (c->route == ROUTE_RECEIVE && c->blocked) {
				/* We answer a blocked push ourselves anyway. */
				response_complete(c);
			} else {
				fail_request(c, 502, "Bad Gateway", text);
			}
		} else {
			log_conn(c, "upstream ended mid-response: %s", c->up->errtext);
			conn_close(c);
		}
	}
}

static void reset_idle(struct conn *c);

static void on_up_read(struct endpoint *ep, void *arg)
{
	struct conn *c = arg;

	UNUSED(ep);
	/* A slow upstream (a big push being indexed) is activity too: the
	 * idle timeout is for connections where neither side moves. */
	reset_idle(c);
	process_upstream(c);
	/* Back-pressure: stop reading the upstream while the client is slow. */
	if (!c->dead && c->up && !c->collect && endpoint_pending(c->cl) >= CONN_BACKPRESSURE)
		endpoint_want_read(c->up, false);
	else if (!c->dead && c->up)
		endpoint_rearm(c->up);
	if (c->dead)
		conn_free(c);
}

static void on_up_drain(struct endpoint *ep, void *arg)
{
	struct conn *c = arg;

	UNUSED(ep);
	if (c->st == CS_BODY && !c->dead)
		endpoint_want_read(c->cl, true);
}

/* --- the gate ------------------------------------------------------------- */
/*
 * The loop moves the transfer-decoded body (chunked framing removed) into
 * scan_in; a job on the scan pool takes it in batches and feeds the
 * content decoding (gzip) and the push session, keeping only the bytes
 * the session accepted as part of the request it parsed (command block,
 * then pack bytes up to and including the trailer).  Back on the loop,
 * those bytes go upstream, minus the last CONN_TRAILER_HOLD of them: since
 * nothing after the trailer is ever accepted, the held bytes are exactly
 * the end of the pack, and corrupting them on a refusal makes the
 * upstream discard the whole pack.  Anything the session refused (bytes
 * after the trailer, a second pack, a corrupt object) never leaves the
 * gate.
 */

static void gate_fail(struct conn *c, const char *text)
{
	fail_request(c, 500, "Internal Server Error", text);
}

static void on_push_budget(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	UNUSED(fd);
	UNUSED(what);
	/* The job sees the flag at its next piece; the pack parser sees it
	 * inside long work, so a running job stops within milliseconds. */
	atomic_store(&c->cancel, true);
}

static int gate_start(struct conn *c)
{
	const struct http1_head *h = http1_head_peek(&c->reqp);
	struct push_session_params pp;
	const char *coding = NULL;
	size_t coding_len = 0;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &c->t_start);
	c->snap = snapshot_get(c->srv->rules);
	err = match_scratch_new(c->snap->rs, &c->sc);
	if (err)
		return err;
	memset(&pp, 0, sizeof(pp));
	pp.rs = c->snap->rs;
	pp.sc = c->sc;
	pack_limits_default(&pp.limits);
	/* Delta bases and results are the dominant memory of a push; every
	 * push in flight reserves them from one budget (push_memory), before
	 * allocating, and is refused LIMIT_MEMORY when it cannot fit. */
	pp.limits.memory = &c->srv->push_membudget;
	/* Each admitted push may cache up to its share of the budget. */
	pp.limits.base_cache_bytes = (size_t)MIN((uint64_t)pp.limits.base_cache_bytes,
						 c->srv->cfg.push_memory / MAX(c->srv->slots, 1u));
	pp.cancel = &c->cancel;
	pp.spool_dir = c->srv->spool_dir;
	pp.iac = c->snap->iac;
	err = push_session_new(&pp, &c->push);
	if (err)
		return err;
	if (http1_content_coding(h, &coding, &coding_len) != 0)
		return ERR_UNSUPPORTED;
	if (coding) {
		struct dec_gzip_params gp;

		memset(&gp, 0, sizeof(gp));
		if (dec_gzip_format_from_coding(coding, coding_len, &gp.format) != 0)
			return ERR_UNSUPPORTED;
		err = dec_gzip.init(&c->gz, &gp);
		if (err)
			return err;
		c->gz_live = true;
	}
	c->gmode = (c->req_framing == HTTP1_BODY_LENGTH &&
		    h->content_length <= c->srv->cfg.hold_whole_max) ? GATE_HOLD_WHOLE : GATE_STREAM;
	buf_init(&c->hold, c->gmode == GATE_HOLD_WHOLE ? CONN_HOLD_DECODED_MAX
						       : LIMIT_COMMAND_BLOCK_BYTES + 65536);
	/* report-status for up to LIMIT_PUSH_COMMANDS refs of any length */
	buf_init(&c->gate_reply, CONN_PUSH_REPLY_MAX);
	c->scan_in = evbuffer_new();
	c->job_in = evbuffer_new();
	c->fwd_out = evbuffer_new();
	c->job_ev = event_new(c->w->base, -1, 0, on_gate_job_done, c);
	c->budget_ev = evtimer_new(c->w->base, on_push_budget, c);
	if (!c->scan_in || !c->job_in || !c->fwd_out || !c->job_ev || !c->budget_ev)
		return ERR_NOMEM;
	c->job.run = gate_job_run;
	c->job.done = c->job_ev;
	atomic_store(&c->cancel, false);
	c->cl->in_cap = CONN_PUSH_IN_CAP;
	return 0;
}

/* Pack bytes in stream mode: everything but the last CONN_TRAILER_HOLD
 * accepted bytes goes upstream now. */
static void gate_forward_pack(struct conn *c, const uint8_t *p, size_t n)
{
	size_t total = c->tail_len + n;

	if (total <= CONN_TRAILER_HOLD) {
		memcpy(c->tail + c->tail_len, p, n);
		c->tail_len = total;
		return;
	}
	/* Send (tail + p) minus the last CONN_TRAILER_HOLD bytes. */
	{
		size_t send = total - CONN_TRAILER_HOLD;
		size_t from_tail = MIN(send, c->tail_len);
		uint8_t keep[CONN_TRAILER_HOLD];

		if (from_tail)
			up_send_body(c, c->tail, from_tail);
		if (send > from_tail)
			up_send_body(c, p, send - from_tail);
		/* new tail = last CONN_TRAILER_HOLD of (tail + p) */
		if (n >= CONN_TRAILER_HOLD) {
			memcpy(keep, p + n - CONN_TRAILER_HOLD, CONN_TRAILER_HOLD);
		} else {
			size_t from_old = CONN_TRAILER_HOLD - n;

			memcpy(keep, c->tail + c->tail_len - from_old, from_old);
			memcpy(keep + from_old, p, n);
		}
		memcpy(c->tail, keep, CONN_TRAILER_HOLD);
		c->tail_len = CONN_TRAILER_HOLD;
	}
}

/* The gate reads the options (sluice.bypass, sluice.note) itself; the
 * options and the capability are removed before forwarding when the
 * upstream did not advertise push-options (sluice offered it on its
 * behalf); otherwise they go through for the upstream's hooks. */
static void decide_strip(struct conn *c)
{
	char repo[512];

	repo_of(c->path, repo, sizeof(repo));
	c->strip_options = push_session_has_cap(c->push, "push-options") &&
			   !pushopt_supported(c->srv, repo);
}

/* Stream mode: once the command block is known, open the upstream and
 * send it (rewritten if needed). */
static int gate_open_stream(struct conn *c)
{
	struct buf prefix;
	int err;

	decide_strip(c);
	err = open_upstream(c, -1, NULL, false);
	if (err)
		return err;
	buf_init(&prefix, LIMIT_COMMAND_BLOCK_BYTES + 65536);
	err = push_session_forward_prefix(c->push, c->strip_options, &prefix);
	if (!err) {
		up_send_body(c, prefix.data, prefix.len);
		c->prefix_sent = true;
	}
	buf_release(&prefix);
	return err;
}

/* [job] The time budget ran out: stop judging.  Fail-closed refuses the
 * push at the end; fail-open lets the rest through unjudged, as the
 * operator chose. */
static void gate_budget_stop(struct conn *c)
{
	char repo[512];
	char detail[120];

	c->budget_hit = true;
	snprintf(detail, sizeof(detail), "scanning took more than %u ms; the rest of the push was "
		 "not scanned", c->srv->cfg.push_budget_ms);
	push_session_stop(c->push, VR_BUDGET_TIME, detail);
	repo_of(c->path, repo, sizeof(repo));
	c->fail_open_pass = config_policy_for(&c->srv->cfg, repo)->fail_open;
}

/* [job] Decoded (de-chunked, inflated) push body bytes. */
static int gate_decoded(void *arg, const uint8_t *p, size_t n)
{
	struct conn *c = arg;
	uint64_t off = c->decoded, before = push_session_forwardable(c->push);
	size_t accepted, to_hold;
	int err;

	if (!c->budget_hit && atomic_load(&c->cancel))
		gate_budget_stop(c);
	c->decoded += n;
	err = push_session_feed(c->push, p, n);
	if (err)
		return err;
	if (!c->budget_hit && atomic_load(&c->cancel))
		gate_budget_stop(c);
	accepted = c->fail_open_pass ? n : (size_t)(push_session_forwardable(c->push) - before);
	if (c->gmode == GATE_HOLD_WHOLE)
		return accepted ? buf_append(&c->hold, p, accepted) : 0;
	/* Stream mode: the command block is held (it is re-encoded for
	 * the upstream); pack bytes go to the loop for forwarding. */
	if (!push_session_commands_ready(c->push))
		to_hold = accepted;
	else
		to_hold = push_session_prefix_len(c->push) > off
			  ? MIN(accepted, (size_t)(push_session_prefix_len(c->push) - off)) : 0;
	if (to_hold && (err = buf_append(&c->hold, p, to_hold)) != 0)
		return err;
	if (accepted > to_hold && evbuffer_add(c->fwd_out, p + to_hold, accepted - to_hold) != 0)
		return ERR_NOMEM;
	return 0;
}

/* [job] One batch of the body; the last one also finishes the session. */
static void gate_job_run(struct scan_job *job)
{
	struct conn *c = (struct conn *)(void *)((char *)job - offsetof(struct conn, job));
	struct dec_sink sink = { gate_decoded, c };
	const uint8_t *p;
	size_t n;
	int err = 0;

	while (!err && (p = first_piece(c->job_in, SIZE_MAX, &n)) != NULL) {
		if (c->gz_live) {
			struct dec_result r = dec_gzip.feed(&c->gz, p, n, &sink);

			if (r.status == DEC_ERR)
				err = r.err ? r.err : ERR_SYNTAX;
		} else {
			err = gate_decoded(c, p, n);
		}
		evbuffer_drain(c->job_in, n);
	}
	if (!err && c->job_finish && c->gz_live) {
		struct dec_result r = dec_gzip.finish(&c->gz, &sink);

		if (r.status == DEC_ERR)
			err = GATE_ERR_GZIP;
	} else if (err && c->gz_live && err != ERR_NOMEM && err != ERR_LIMIT) {
		err = GATE_ERR_GZIP;
	}
	if (!err && c->job_finish)
		err = push_session_finish(c->push);
	evbuffer_drain(c->job_in, evbuffer_get_length(c->job_in));
	c->job_err = err;
}

/* Hands the next batch to the pool, if there is one and none is running. */
static void gate_kick(struct conn *c)
{
	if (c->job_busy || c->job_finish || c->slot_waiting)
		return;
	if (evbuffer_get_length(c->scan_in) == 0 && !c->req_done)
		return;
	if (!c->has_slot && slot_needed(c)) {
		/* A push asks for a scan slot only once it has shown it can
		 * keep the scanner busy: a first batch, or its whole body.
		 * A client trickling its body never holds a slot; the body
		 * rate check closes it instead. */
		if (evbuffer_get_length(c->scan_in) < CONN_SLOT_READY && !c->req_done)
			return;
		if (!slot_acquire(c))
			return;		/* on_slot_granted() kicks again */
	}
	if (!c->budget_armed) {
		/* The push's time runs from when it may be scanned. */
		c->budget_armed = true;
		clock_gettime(CLOCK_MONOTONIC, &c->t_start);
		arm_ms(c->budget_ev, c->srv->cfg.push_budget_ms);
	}
	evbuffer_add_buffer(c->job_in, c->scan_in);
	c->job_finish = c->req_done;
	c->job_busy = true;
	scanpool_submit(c->srv->scan, &c->job);
}

static void gate_conclude(struct conn *c);

/* The upstream's whole reply came before the verdict: send it (or ours)
 * now that there is one. */
static void gate_reply_if_answered(struct conn *c)
{
	if (c->upstream_answered && !c->dead) {
		c->upstream_answered = false;
		response_complete(c);
	}
}

static void on_gate_job_done(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	size_t ncmds = 0;

	UNUSED(fd);
	UNUSED(what);
	c->job_busy = false;
	if (c->free_after_job) {
		conn_free(c);
		return;
	}
	if (c->st == CS_CLOSING)	/* refused meanwhile (deadline, rate) */
		goto out;
	if (c->job_err) {
		if (c->job_err == GATE_ERR_GZIP)
			fail_request(c, 400, "Bad Request", "the gzip request body is corrupt or "
				     "exceeds the expansion limit");
		else if (c->job_err == ERR_LIMIT)
			fail_request(c, 413, "Payload Too Large", "push body above the gate's hold limit");
		else
			gate_fail(c, c->job_err == ERR_NOMEM ? "out of memory while scanning the push"
							     : err_str(c->job_err));
		goto out;
	}
	push_session_commands(c->push, &ncmds);
	if (c->gmode == GATE_STREAM && !c->up_opened && push_session_commands_ready(c->push) &&
	    ncmds > 0 && gate_open_stream(c) != 0) {
		fail_request(c, 502, "Bad Gateway", "cannot reach the upstream git server");
		goto out;
	}
	if (c->prefix_sent) {
		const uint8_t *p;
		size_t n;

		while ((p = first_piece(c->fwd_out, SIZE_MAX, &n)) != NULL) {
			gate_forward_pack(c, p, n);
			evbuffer_drain(c->fwd_out, n);
		}
	}
	if (c->job_finish) {
		gate_conclude(c);
		goto out;
	}
	/* More of the body may be waiting in the client's buffer. */
	if (c->st == CS_BODY && c->cl) {
		if (!c->up || endpoint_pending(c->up) <= CONN_BACKPRESSURE)
			endpoint_want_read(c->cl, true);
		process_client(c);
	}
	if (!c->dead)
		gate_kick(c);
out:
	if (c->dead)
		conn_free(c);
}

/* The session has finished: decide, then forward or refuse. */
static void gate_conclude(struct conn *c)
{
	struct gate_context gc;
	struct timespec now;
	char repo[512];
	int err = 0;

	/* The probe and empty requests are not pushes: forward untouched. */
	if (push_session_is_probe(c->push) || !push_session_commands_ready(c->push)) {
		if (!push_session_is_probe(c->push) && c->decoded > 0)
			goto decide;
		c->decided = true;	/* nothing to judge: the reply may go out */
		if (!c->up_opened && open_upstream(c, (long long)c->hold.len, NULL, false) != 0) {
			fail_request(c, 502, "Bad Gateway", "cannot reach the upstream git server");
			return;
		}
		up_send_body(c, c->hold.data, c->hold.len);
		up_end_body(c);
		return;
	}
decide:
	clock_gettime(CLOCK_MONOTONIC, &now);
	repo_of(c->path, repo, sizeof(repo));
	memset(&gc, 0, sizeof(gc));
	gc.srv = c->srv;
	gc.repo = repo;
	gc.client = c->peer;
	gc.user = c->user;
	gc.generation = c->snap->generation;
	gc.scan_ms = elapsed_ms(&c->t_start, &now);
	/* A body that was whole before its scan slot came: the verdict
	 * latency counts from the slot. */
	if (elapsed_ms(&c->t_body_end, &c->t_start) > 0)
		c->t_body_end = c->t_start;
	gc.verdict_ms = elapsed_ms(&c->t_body_end, &now);
	gate_decide(&gc, c->push, &c->dec);
	c->decided = true;
	log_conn(c, "push to %s (%s, %llu body bytes): %s (%s), incident %s, %.1f ms after the "
		 "last byte", repo, c->gmode == GATE_HOLD_WHOLE ? "held whole" : "streamed",
		 (unsigned long long)c->decoded,
		 c->dec.action == ACTION_REJECT ? "REJECT" : c->dec.action == ACTION_WARN ? "warn"
											: "allow",
		 c->dec.reason < VR__COUNT ? verdict_reason_id(c->dec.reason) : "clean",
		 c->dec.incident, gc.verdict_ms);
	if (c->dec.action == ACTION_REJECT) {
		c->blocked = true;
		err = gate_reject_body(&gc, c->push, &c->dec, &c->gate_reply);
		if (c->gmode == GATE_STREAM && c->up) {
			/* Complete the upstream body with a corrupted end of
			 * pack so receive-pack fails its checksum and discards it;
			 * never cut a body short. */
			if (c->tail_len)
				c->tail[c->tail_len - 1] ^= 0xff;
			up_send_body(c, c->tail, c->tail_len);
			c->tail_len = 0;
			up_end_body(c);
		}
		if (err) {
			/* Refuse all the same; without a report git shows
			 * an error. */
			buf_reset(&c->gate_reply);
			gate_fail(c, "push refused, but the reply was too large to build");
			return;
		}
		if (c->gmode == GATE_STREAM && c->up) {
			/* Our reply goes out when the upstream has answered,
			 * so its quarantine is gone before the client moves on. */
			gate_reply_if_answered(c);
			return;
		}
		finish_gate_reply(c);
		request_complete(c);
		return;
	}
	if (gate_warning_pkts(&gc, c->push, &c->dec, &c->gate_reply) != 0)
		buf_reset(&c->gate_reply);	/* warnings are optional; the push goes on */
	if (c->gmode == GATE_HOLD_WHOLE) {
		struct buf fwd;
		size_t plen = push_session_prefix_len(c->push);

		buf_init(&fwd, CONN_HOLD_DECODED_MAX + LIMIT_COMMAND_BLOCK_BYTES);
		decide_strip(c);
		if (push_session_commands_ready(c->push))
			err = push_session_forward_prefix(c->push, c->strip_options, &fwd);
		if (!err && c->hold.len > plen)
			err = buf_append(&fwd, c->hold.data + plen, c->hold.len - plen);
		if (!err)
			err = open_upstream(c, (long long)fwd.len, NULL, false);
		if (err) {
			buf_release(&fwd);
			fail_request(c, 502, "Bad Gateway", "cannot reach the upstream git server");
			return;
		}
		up_send_body(c, fwd.data, fwd.len);
		up_end_body(c);
		buf_release(&fwd);
		return;
	}
	if (!c->up) {
		/* Stream mode whose command block named no ref to open the
		 * upstream for earlier. */
		if (gate_open_stream(c) != 0) {
			fail_request(c, 502, "Bad Gateway", "cannot reach the upstream git server");
			return;
		}
	}
	up_send_body(c, c->tail, c->tail_len);
	c->tail_len = 0;
	up_end_body(c);
	gate_reply_if_answered(c);
}

/* Sends the push reply: ours (blocked) or the upstream's, with our
 * warning pkts in front. */
static void finish_gate_reply(struct conn *c)
{
	if (c->blocked) {
		struct buf h;

		buf_init(&h, 1024);
		buf_printf(&h, "HTTP/1.1 200 OK\r\nContent-Type: application/x-git-receive-pack-result\r\n"
			   "Cache-Control: no-cache\r\nContent-Length: %zu\r\nConnection: %s\r\n\r\n",
			   c->gate_reply.len, c->keepalive ? "keep-alive" : "close");
		endpoint_write(c->cl, h.data, h.len);
		endpoint_write(c->cl, c->gate_reply.data, c->gate_reply.len);
		buf_release(&h);
		c->response_started = true;
		c->resp_done = true;
		return;
	}
	/* Warnings go first: git prints band-2 lines as they come, and the
	 * report (band 1) follows. */
	send_response_head(c, (long long)(c->gate_reply.len + c->collected.len));
	endpoint_write(c->cl, c->gate_reply.data, c->gate_reply.len);
	endpoint_write(c->cl, c->collected.data, c->collected.len);
}

/* --- scan slots ------------------------------------------------------------ */
/*
 * Pushes are admitted to scanning a few at a time (the slots): each gets
 * a useful share of push_memory for its delta bases instead of every push
 * in flight thrashing a sliver of it.  Others wait, reading nothing, in
 * one FIFO for the whole server (workers are threads: slot_lock), and are
 * refused as busy after push_queue_timeout_ms.  The probe ("0000") needs
 * no slot.  A slot is held until the push's request is cleared; a slow
 * pusher is bounded by min_body_rate and push_budget_ms.
 */

static void on_slot_granted(evutil_socket_t fd, short what, void *arg);
static void on_slot_timeout(evutil_socket_t fd, short what, void *arg);

static bool slot_needed(const struct conn *c)
{
	const struct http1_head *h = http1_head_peek(&c->reqp);

	return !(c->req_framing == HTTP1_BODY_LENGTH && h->content_length <= 4);
}

/* true: the caller holds a slot now; false: queued (or failed). */
static bool slot_acquire(struct conn *c)
{
	struct server *srv = c->srv;
	bool got = false;

	if (!slot_needed(c))
		return true;
	c->slot_ev = event_new(c->w->base, -1, 0, on_slot_granted, c);
	c->slot_timer = evtimer_new(c->w->base, on_slot_timeout, c);
	if (!c->slot_ev || !c->slot_timer) {
		gate_fail(c, "out of memory");
		return false;
	}
	pthread_mutex_lock(&srv->slot_lock);
	if (srv->slots_used < srv->slots && !srv->slot_head) {
		srv->slots_used++;
		c->has_slot = got = true;
	} else {
		c->slot_next = NULL;
		if (srv->slot_tail)
			srv->slot_tail->slot_next = c;
		else
			srv->slot_head = c;
		srv->slot_tail = c;
		c->slot_waiting = true;
	}
	pthread_mutex_unlock(&srv->slot_lock);
	if (!got) {
		arm_ms(c->slot_timer, srv->cfg.push_queue_timeout_ms);
		log_conn(c, "push waits for a scan slot (%u in use)", srv->slots);
	}
	return got;
}

/* Removes c from the queue if it waits there.  Caller holds slot_lock. */
static void slot_unqueue_locked(struct conn *c)
{
	struct server *srv = c->srv;
	struct conn **pp = &srv->slot_head, *prev = NULL;

	while (*pp && *pp != c) {
		prev = *pp;
		pp = &(*pp)->slot_next;
	}
	if (*pp) {
		*pp = c->slot_next;
		if (srv->slot_tail == c)
			srv->slot_tail = prev;
	}
	c->slot_next = NULL;
	c->slot_waiting = false;
}

/* Gives back c's slot (or its place in the queue); the oldest waiter gets
 * the slot and is woken on its own loop. */
static void slot_release(struct conn *c)
{
	struct server *srv = c->srv;

	if (!c->slot_ev)
		return;		/* never asked for one */
	pthread_mutex_lock(&srv->slot_lock);
	if (c->slot_waiting)
		slot_unqueue_locked(c);
	if (c->has_slot) {
		struct conn *next = srv->slot_head;

		c->has_slot = false;
		if (next) {
			slot_unqueue_locked(next);
			next->has_slot = true;
			/* Under the lock: the waiter's conn_free takes it too
			 * before freeing this event. */
			event_active(next->slot_ev, EV_READ, 0);
		} else {
			srv->slots_used--;
		}
	}
	pthread_mutex_unlock(&srv->slot_lock);
	if (c->slot_ev)
		event_free(c->slot_ev);
	if (c->slot_timer)
		event_free(c->slot_timer);
	c->slot_ev = c->slot_timer = NULL;
}

static void on_slot_granted(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	UNUSED(fd);
	UNUSED(what);
	evtimer_del(c->slot_timer);
	if (c->dead || c->st != CS_BODY)
		return;
	gate_kick(c);
	if (!c->dead && c->st == CS_BODY && c->cl) {
		endpoint_want_read(c->cl, true);
		process_client(c);
	}
	if (c->dead)
		conn_free(c);
}

static void on_slot_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	char text[200];
	bool granted;

	UNUSED(fd);
	UNUSED(what);
	pthread_mutex_lock(&c->srv->slot_lock);
	granted = c->has_slot;
	if (!granted)
		slot_unqueue_locked(c);
	pthread_mutex_unlock(&c->srv->slot_lock);
	if (granted)
		return;		/* the grant event is on its way */
	snprintf(text, sizeof(text), "%s: the gate is busy scanning other pushes; try again in a "
		 "minute", verdict_reason_id(VR_LIMIT_MEMORY));
	fail_request(c, 503, "Service Unavailable", text);
	if (c->dead)
		conn_free(c);
}

/* --- requests ------------------------------------------------------------- */

/* Routes on the canonical target (urlpath.h), which is also what the
 * upstream is sent.  false: the target was refused (*why says why). */
static bool route_request(struct conn *c, const char **why)
{
	const struct http1_head *h = http1_head_peek(&c->reqp);
	char *q;

	c->method = xstrndup(h->method, h->method_len);
	c->target = xcalloc(1, h->target_len + 1);
	if (!c->method || !c->target)
		return true;	/* the caller reports the allocation */
	if (urlpath_canon(h->target, h->target_len, c->target, h->target_len + 1, why) != 0)
		return false;
	c->path = xstrdup(c->target);
	if (!c->path)
		return true;
	q = strchr(c->path, '?');
	if (q) {
		c->query = xstrdup(q + 1);
		*q = '\0';
	}
	c->ctype = dup_field(h, "Content-Type");
	c->cenc = dup_field(h, "Content-Encoding");
	c->gitproto = dup_field(h, "Git-Protocol");
	c->keepalive = h->keep_alive;
	c->is_head = http1_method_is(h, "HEAD");
	c->req_framing = http1_request_body(h);
	c->req_left = h->content_length;
	c->route = ROUTE_PASS;
	if (http1_method_is(h, "POST") && ends_with(c->path, "/git-receive-pack"))
		c->route = ROUTE_RECEIVE;
	else if (http1_method_is(h, "GET") && ends_with(c->path, "/info/refs") && c->query &&
		 strstr(c->query, "service=git-receive-pack"))
		c->route = ROUTE_ADVERT;
	return true;
}

static void start_request(struct conn *c)
{
	const struct http1_head *h = http1_head_peek(&c->reqp);
	enum auth_result auth;
	const char *why = NULL;

	head_wait_done(c);
	if (!route_request(c, &why)) {
		char text[200];

		snprintf(text, sizeof(text), "request target refused: %s", why);
		fail_request(c, 400, "Bad Request", text);
		return;
	}
	if (!c->method || !c->target || !c->path) {
		gate_fail(c, "out of memory");
		return;
	}
	if (!verify_pusher(c, h, &auth)) {
		/* The challenge makes git ask for a credential and retry.
		 * send_simple() takes no extra fields, so the
		 * WWW-Authenticate line follows the Content-Type value. */
		static const char challenge[] = "text/plain\r\nWWW-Authenticate: Basic realm=\"sluice\"";
		const char *text = auth == AUTH_NO_CREDENTIAL ?
			"sluice: pushing needs a user name and password (see `sluice user`)\n" :
			auth == AUTH_THROTTLED ?
			"sluice: too many failed logins from your address; try again in a minute\n" :
			"sluice: wrong user name or password\n";

		if (auth == AUTH_BUSY)
			fail_request(c, 503, "Service Unavailable",
				     "too many password checks at once; try again in a few seconds");
		else if (auth == AUTH_VERIFIED)
			gate_fail(c, "out of memory");
		else {
			send_simple(c, 401, "Unauthorized", challenge, text, strlen(text), true);
			conn_close(c);
		}
		return;
	}
	if (h->expect_other) {
		send_simple(c, 417, "Expectation Failed", "text/plain", "", 0, true);
		conn_close(c);
		return;
	}
	if (c->req_framing == HTTP1_BODY_CHUNKED)
		dec_chunked.init(&c->req_chunk, NULL);
	c->st = CS_BODY;
	begin_body(c);
}

/* The request head is accepted; the body may come (for a push: a scan
 * slot is held). */
static void begin_body(struct conn *c)
{
	const struct http1_head *h = http1_head_peek(&c->reqp);
	int err = 0;

	if (c->route == ROUTE_RECEIVE) {
		err = gate_start(c);
		if (err == ERR_UNSUPPORTED) {
			fail_request(c, 415, "Unsupported Media Type",
				     "only one gzip or deflate content coding is supported on pushes");
			return;
		}
	} else {
		/* Pass-through keeps the client's length; a chunked body goes
		 * upstream chunked (-1). */
		long long len = c->req_framing == HTTP1_BODY_LENGTH ? (long long)c->req_left
				: c->req_framing == HTTP1_BODY_NONE ? 0 : -1;

		err = open_upstream(c, len, c->cenc, c->route == ROUTE_ADVERT);
	}
	if (err) {
		char text[512];

		snprintf(text, sizeof(text), "cannot reach the upstream git server%s%s: %s",
			 c->srv->up.cgi ? "" : " ", c->srv->up.cgi ? "" : c->srv->up.host,
			 err_str(err));
		fail_request(c, 502, "Bad Gateway", text);
		return;
	}
	/* We read the body ourselves, so we answer 100-continue ourselves. */
	if (h->expect_continue && c->req_framing != HTTP1_BODY_NONE)
		endpoint_write(c->cl, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	if (c->req_framing == HTTP1_BODY_NONE ||
	    (c->req_framing == HTTP1_BODY_LENGTH && c->req_left == 0)) {
		c->req_done = true;
		if (c->route == ROUTE_RECEIVE) {
			clock_gettime(CLOCK_MONOTONIC, &c->t_body_end);
			gate_kick(c);
		} else {
			up_end_body(c);
		}
	}
}

/* Transfer-decoded body bytes: upstream as they are, or, for the gate,
 * into the scan batch. */
static int pass_body(void *arg, const uint8_t *p, size_t n)
{
	struct conn *c = arg;

	if (c->route == ROUTE_RECEIVE)
		return evbuffer_add(c->scan_in, p, n) == 0 ? 0 : ERR_NOMEM;
	up_send_body(c, p, n);
	return 0;
}

/* Request body bytes from the client, per the request's framing. */
static void process_body(struct conn *c)
{
	struct evbuffer *in = c->cl->in;

	while (!c->dead && c->st == CS_BODY && !c->req_done && evbuffer_get_length(in) > 0) {
		size_t n;
		const uint8_t *p;
		int err = 0;

		/* The gate takes a batch while the previous one is scanned;
		 * past that, the client waits (back-pressure). */
		if (c->route == ROUTE_RECEIVE && evbuffer_get_length(c->scan_in) >= CONN_SCAN_BATCH) {
			c->rate_excused = true;
			break;
		}
		c->rate_bytes += evbuffer_get_length(in);
		p = first_piece(in, CONN_IN_CAP, &n);
		if (c->req_framing == HTTP1_BODY_LENGTH && c->route == ROUTE_RECEIVE) {
			size_t take = (size_t)MIN((uint64_t)evbuffer_get_length(in), c->req_left);

			/* Moves the buffer chains, no copy. */
			if (evbuffer_remove_buffer(in, c->scan_in, take) != (int)take)
				err = ERR_NOMEM;
			c->req_left -= take;
			if (c->req_left == 0)
				c->req_done = true;
		} else if (c->req_framing == HTTP1_BODY_LENGTH) {
			size_t take = (size_t)MIN((uint64_t)n, c->req_left);

			err = pass_body(c, p, take);
			evbuffer_drain(in, take);
			c->req_left -= take;
			if (c->req_left == 0)
				c->req_done = true;
		} else {
			struct dec_sink sink = { pass_body, c };
			struct dec_result r = dec_chunked.feed(&c->req_chunk, p, n, &sink);

			if (r.status == DEC_ERR)
				err = r.err ? r.err : ERR_SYNTAX;
			evbuffer_drain(in, r.consumed);
			if (r.status == DEC_STOP)
				c->req_done = true;
		}
		if (err) {
			if (c->route == ROUTE_RECEIVE && err == ERR_LIMIT)
				fail_request(c, 413, "Payload Too Large",
					     "push body above the gate's hold limit");
			else if (c->route == ROUTE_RECEIVE && err != ERR_NOMEM)
				fail_request(c, 400, "Bad Request", "malformed request body");
			else
				gate_fail(c, err_str(err));
			return;
		}
		if (c->req_done && c->route == ROUTE_RECEIVE) {
			/* Latency counts from the read that brought the last
			 * byte: the scan of that last batch is part of it. */
			c->t_body_end = c->t_last_read;
		} else if (c->req_done) {
			up_end_body(c);
		}
	}
	if (!c->dead && c->route == ROUTE_RECEIVE && c->st == CS_BODY) {
		gate_kick(c);
		if (evbuffer_get_length(c->scan_in) >= CONN_SCAN_BATCH)
			endpoint_want_read(c->cl, false);
	}
	/* Back-pressure towards the client. */
	if (!c->dead && c->st == CS_BODY && c->up && endpoint_pending(c->up) > CONN_BACKPRESSURE) {
		endpoint_want_read(c->cl, false);
		c->rate_excused = true;
	}
}

static int start_head_parser(struct conn *c)
{
	struct http1_params hp = { HTTP1_REQUEST, NULL, NULL, 0, 0 };
	int err = http1_decoder.init(&c->reqp, &hp);

	c->reqp_live = err == 0;
	c->st = CS_HEAD;
	return err;
}

/* After the response has been sent: next request or close. */
static void request_complete(struct conn *c)
{
	if (c->dead || c->st == CS_CLOSING)
		return;
	if (!c->resp_done)
		return;
	if (!c->req_done || !c->keepalive) {
		conn_close(c);
		return;
	}
	clear_request(c);
	if (start_head_parser(c) != 0) {
		conn_close(c);
		return;
	}
	evtimer_del(c->rate_ev);
	head_wait_start(c);
	endpoint_want_read(c->cl, true);
	/* A pipelined request may already be buffered. */
	if (evbuffer_get_length(c->cl->in))
		process_client(c);
}

static void process_client(struct conn *c)
{
	struct evbuffer *in = c->cl->in;

	if (c->st == CS_HEAD && evbuffer_get_length(in) > 0)
		head_first_byte(c);
	while (!c->dead && c->st == CS_HEAD && evbuffer_get_length(in) > 0) {
		size_t n;
		const uint8_t *p = first_piece(in, LIMIT_HTTP_HEAD_BYTES + 4, &n);
		struct dec_result r = http1_decoder.feed(&c->reqp, p, n, NULL);

		if (r.status == DEC_ERR) {
			char text[200];

			snprintf(text, sizeof(text), "bad request head: %s",
				 http1_why_str(http1_why(&c->reqp)));
			fail_request(c, r.err == ERR_LIMIT ? 431 : 400,
				     r.err == ERR_LIMIT ? "Request Header Fields Too Large" : "Bad Request",
				     text);
			return;
		}
		evbuffer_drain(in, r.consumed);
		if (r.status == DEC_STOP)
			start_request(c);
	}
	if (!c->dead && c->st == CS_BODY)
		process_body(c);
	if (!c->dead && c->st == CS_DRAIN)
		evbuffer_drain(in, evbuffer_get_length(in));
}

/* --- slow clients ------------------------------------------------------- */
/*
 * Each byte resets the idle timer, so a client trickling one byte per
 * second would never be idle.  Deadlines that bytes do not reset bound
 * the TLS handshake and the whole request head; a body must keep up a
 * minimum rate while the gate is reading it; and when the connection cap
 * is reached, the connection that has waited longest for its head is
 * closed first, so a real client still gets in.
 */

uint64_t conn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void arm_ms(struct event *ev, uint64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000) };

	evtimer_add(ev, &tv);
}

static void heads_remove(struct conn *c)
{
	if (!c->in_heads)
		return;
	if (c->head_prev)
		c->head_prev->head_next = c->head_next;
	else
		c->w->heads = c->head_next;
	if (c->head_next)
		c->head_next->head_prev = c->head_prev;
	c->head_prev = c->head_next = NULL;
	c->in_heads = false;
}

/* Newest first: the oldest waiter is at the end of the list. */
static void heads_insert(struct conn *c)
{
	heads_remove(c);
	c->head_next = c->w->heads;
	if (c->head_next)
		c->head_next->head_prev = c;
	c->w->heads = c;
	c->in_heads = true;
}

/* Waiting for a request head from now on.  A new connection's deadline
 * runs from now (handshake and head); on a kept-alive connection the
 * wait for the next request is idle time (idle_timeout_ms: the client may
 * be building a pack), and the head deadline starts with its first byte
 * (head_first_byte). */
static void head_wait_start(struct conn *c)
{
	c->head_since_ms = conn_now_ms();
	heads_insert(c);
	c->head_armed = !c->hs_done;
	if (c->head_armed)
		arm_ms(c->deadline, MIN(c->srv->cfg.handshake_timeout_ms,
					c->srv->cfg.request_head_timeout_ms));
}

static void head_first_byte(struct conn *c)
{
	if (c->head_armed)
		return;
	c->head_armed = true;
	arm_ms(c->deadline, c->srv->cfg.request_head_timeout_ms);
}

static void head_wait_done(struct conn *c)
{
	heads_remove(c);
	evtimer_del(c->deadline);
	c->head_armed = false;
	if (c->srv->cfg.min_body_rate) {
		c->rate_bytes = 0;
		c->rate_excused = false;
		arm_ms(c->rate_ev, c->srv->cfg.body_rate_window_ms);
	}
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	UNUSED(fd);
	UNUSED(what);
	if (!c->hs_done) {
		log_conn(c, "TLS handshake not finished within %u ms: closed",
			 c->srv->cfg.handshake_timeout_ms);
		conn_free(c);
		return;
	}
	log_conn(c, "request head not complete within %u ms: closed",
		 c->srv->cfg.request_head_timeout_ms);
	fail_request(c, 408, "Request Timeout", "the request head did not arrive in time");
	if (c->dead)
		conn_free(c);
}

static void on_rate_check(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	uint64_t need = (uint64_t)c->srv->cfg.min_body_rate * c->srv->cfg.body_rate_window_ms / 1000u;

	UNUSED(fd);
	UNUSED(what);
	if (c->st != CS_BODY || c->req_done)
		return;
	if (!c->rate_excused && !c->slot_waiting && c->rate_bytes < need) {
		char text[160];

		snprintf(text, sizeof(text), "%s: the request body came slower than %u bytes per "
			 "second", verdict_reason_id(VR_CLIENT_TOO_SLOW), c->srv->cfg.min_body_rate);
		log_conn(c, "%s (%llu bytes in %u ms)", text, (unsigned long long)c->rate_bytes,
			 c->srv->cfg.body_rate_window_ms);
		/* The upstream body, if any, is never completed: nothing of
		 * it is applied. */
		fail_request(c, 408, "Request Timeout", text);
		if (c->dead)
			conn_free(c);
		return;
	}
	c->rate_bytes = 0;
	/* Still paused by us: the next window is excused as well. */
	c->rate_excused = c->cl && !c->cl->reading;
	arm_ms(c->rate_ev, c->srv->cfg.body_rate_window_ms);
}

/* At the connection cap: close the connection that has waited longest
 * for its request head.  true when one was closed. */
static bool evict_oldest_waiter(struct worker *w)
{
	struct conn *c = w->heads;

	while (c && c->head_next)
		c = c->head_next;
	if (!c || c->job_busy)
		return false;
	log_conn(c, "connection cap reached: closing this connection, which has waited %llu ms "
		 "for a request head", (unsigned long long)(conn_now_ms() - c->head_since_ms));
	conn_free(c);
	return true;
}

static void reset_idle(struct conn *c)
{
	struct timeval tv = { c->srv->cfg.idle_timeout_ms / 1000,
			      (c->srv->cfg.idle_timeout_ms % 1000) * 1000 };

	evtimer_add(c->idle, &tv);
}

static void on_client_read(struct endpoint *ep, void *arg)
{
	struct conn *c = arg;

	clock_gettime(CLOCK_MONOTONIC, &c->t_last_read);
	reset_idle(c);
	if (ep->err || ep->eof) {
		if (ep->err)
			log_conn(c, "client: %s", ep->errtext);
		/* A client that goes away mid-push: the upstream body is never
		 * completed, so receive-pack applies nothing. */
		if (evbuffer_get_length(ep->in))
			process_client(c);
		if (!c->dead && (ep->err || c->st != CS_CLOSING))
			c->dead = true;
	} else {
		process_client(c);
	}
	if (!c->dead && c->cl->reading)
		endpoint_rearm(c->cl);
	if (c->dead)
		conn_free(c);
}

static void on_client_drain(struct endpoint *ep, void *arg)
{
	struct conn *c = arg;

	UNUSED(ep);
	if (c->st == CS_CLOSING) {
		c->dead = true;
	} else if (c->up && !c->collect) {
		endpoint_want_read(c->up, true);
	}
	if (c->dead)
		conn_free(c);
}

static void on_client_event(struct endpoint *ep, void *arg)
{
	struct conn *c = arg;

	if (ep->err) {
		log_conn(c, "TLS handshake failed: %s", ep->errtext);
		c->dead = true;
		conn_free(c);
		return;
	}
	if (!ep->handshaking && !c->hs_done) {
		/* The head deadline counts from the connection's start. */
		uint64_t spent = conn_now_ms() - c->head_since_ms;

		c->hs_done = true;
		if (c->st == CS_HEAD)
			arm_ms(c->deadline, c->srv->cfg.request_head_timeout_ms > spent
				   ? c->srv->cfg.request_head_timeout_ms - spent : 1);
	}
}

static void on_idle(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	UNUSED(fd);
	UNUSED(what);
	log_conn(c, "idle timeout");
	conn_free(c);
}

static void conn_free(struct conn *c)
{
	if (c->job_busy) {
		/* A scan thread still owns the push state: ask it to stop,
		 * close the sockets now, and finish when its job is done. */
		atomic_store(&c->cancel, true);
		if (!c->free_after_job) {
			c->free_after_job = true;
			if (c->idle)
				evtimer_del(c->idle);
			if (c->deadline)
				evtimer_del(c->deadline);
			if (c->rate_ev)
				evtimer_del(c->rate_ev);
			if (c->budget_ev)
				evtimer_del(c->budget_ev);
			heads_remove(c);
			release_upstream(c);
			if (c->cl) {
				endpoint_free(c->cl);
				c->cl = NULL;
			}
		}
		return;
	}
	clear_request(c);
	heads_remove(c);
	if (c->idle)
		event_free(c->idle);
	if (c->deadline)
		event_free(c->deadline);
	if (c->rate_ev)
		event_free(c->rate_ev);
	if (c->cl)
		endpoint_free(c->cl);
	c->w->conns--;
	xfree(c);
}

static void on_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct worker *w = arg;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct tls_conn *tls = NULL;
	struct conn *c;
	int fd, one = 1;

	UNUSED(what);
	fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (w->srv->stopping || (w->conns >= w->srv->cfg.max_connections &&
				 !evict_oldest_waiter(w))) {
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c = xcalloc(1, sizeof(*c));
	if (!c || tls_conn_new(w->srv->tls, fd, NULL, &tls) != 0) {
		xfree(c);
		close(fd);
		return;
	}
	c->w = w;
	c->srv = w->srv;
	w->conns++;
	if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, c->peer, sizeof(c->peer));
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, c->peer, sizeof(c->peer));
	c->idle = evtimer_new(w->base, on_idle, c);
	c->deadline = evtimer_new(w->base, on_deadline, c);
	c->rate_ev = evtimer_new(w->base, on_rate_check, c);
	if (!c->idle || !c->deadline || !c->rate_ev ||
	    endpoint_new(w->base, fd, fd, true, tls, CONN_IN_CAP, &c->cl) != 0 ||
	    start_head_parser(c) != 0) {
		if (!c->cl) {
			tls_conn_free(tls);
			close(fd);
		}
		conn_free(c);
		return;
	}
	c->cl->on_read = on_client_read;
	c->cl->on_drain = on_client_drain;
	c->cl->on_event = on_client_event;
	c->cl->arg = c;
	reset_idle(c);
	head_wait_start(c);
}

static void on_beat(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;

	UNUSED(fd);
	UNUSED(what);
	atomic_store(&w->beat_ms, conn_now_ms());
}

int conn_worker_start(struct worker *w)
{
	struct timeval beat = { 0, WORKER_BEAT_MS * 1000 };

	w->accept_ev = event_new(w->base, w->listen_fd, EV_READ | EV_PERSIST, on_accept, w);
	w->beat_ev = event_new(w->base, -1, EV_PERSIST, on_beat, w);
	if (!w->accept_ev || !w->beat_ev)
		return ERR_NOMEM;
	atomic_store(&w->beat_ms, conn_now_ms());
	if (event_add(w->beat_ev, &beat) != 0)
		return ERR_IO;
	return event_add(w->accept_ev, NULL) == 0 ? 0 : ERR_IO;
}
