/*
 * endpoint.h - one side of a proxied exchange: a socket (plain or TLS) or
 * a pair of pipes (a CGI child), with bounded input and output buffers,
 * driven by libevent.
 *
 * The owner reads from ep->in (evbuffer of received plaintext) in its
 * on_read callback and queues output with endpoint_write().  Reading stops
 * by itself while ep->in holds more than in_cap bytes (back-pressure:
 * the owner resumes it with endpoint_want_read() after consuming), so a
 * slow peer on one side never makes the other side's buffer grow without
 * bound.  Byte caps never rely on bufferevent watermarks (git-gate.md §10).
 *
 * Callbacks (all optional) run on the endpoint's event base thread:
 *   on_read   new bytes in ep->in, or EOF (ep->eof) / error (ep->err)
 *   on_drain  the output buffer became empty
 *   on_event  handshake done (TLS), EOF or error when no on_read is set
 * An endpoint is freed only by its owner (endpoint_free), never from
 * inside its own callbacks' callers: the owner defers frees to the end of
 * the callback (see conn.c).
 */
#ifndef SLUICE_NETPROXY_ENDPOINT_H
#define SLUICE_NETPROXY_ENDPOINT_H

#include "core/base/api.h"
#include "netproxy/tls.h"

#include <event2/buffer.h>
#include <event2/event.h>

struct endpoint;
typedef void (*endpoint_cb)(struct endpoint *ep, void *arg);

struct endpoint {
	struct event_base *base;	/* borrowed */
	int rfd, wfd;			/* same fd for sockets; pipes for CGI */
	bool own_fds;			/* close them in endpoint_free */
	struct tls_conn *tls;		/* owned, or NULL for plain */
	bool handshaking;		/* TLS handshake not finished */
	enum tls_want tls_want;		/* what the last TLS call needs */
	struct event *rev, *wev;	/* readiness events */
	struct evbuffer *in;		/* received, not yet consumed */
	struct evbuffer *out;		/* queued for sending */
	size_t in_cap;			/* stop reading above this */
	bool reading;			/* the owner wants input */
	bool eof;			/* peer closed (clean) */
	bool shut_wr;			/* our write side is closed */
	bool close_after_flush;		/* shut the write side when drained */
	int err;			/* first error, sticky */
	char errtext[160];		/* for logs */
	endpoint_cb on_read, on_drain, on_event;
	void *arg;
};

/* Wraps fds (socket: rfd == wfd).  tls may be NULL.  Starts reading. */
int endpoint_new(struct event_base *base, int rfd, int wfd, bool own_fds,
		 struct tls_conn *tls, size_t in_cap, struct endpoint **out);
void endpoint_free(struct endpoint *ep);
/* Queues bytes; flushes as the socket allows.  0 or ERR_NOMEM. */
int endpoint_write(struct endpoint *ep, const void *p, size_t n);
/* Moves everything from src into the output queue (no copy). */
int endpoint_write_buffer(struct endpoint *ep, struct evbuffer *src);
/* Enables or disables reading (back-pressure). */
void endpoint_want_read(struct endpoint *ep, bool on);
/* Re-arms the read event after the owner consumed input (reading stops
 * by itself at in_cap; TLS may hold decrypted bytes the socket no longer
 * signals).  Call at the end of on_read when the endpoint lives on. */
void endpoint_rearm(struct endpoint *ep);
/* Half-close our write side once the queue is empty (EOF to a CGI's
 * stdin; shutdown(SHUT_WR) on a plain socket; close_notify on TLS). */
void endpoint_shutdown_after_flush(struct endpoint *ep);
/* Bytes queued and not yet written. */
size_t endpoint_pending(const struct endpoint *ep);

#endif
