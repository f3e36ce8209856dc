/*
 * endpoint.c - non-blocking reads and writes on plain sockets, TLS
 * sockets and pipes, with readiness events from libevent.
 */
#include "core/base/api.h"
#include "core/base/err.h"
#include "netproxy/endpoint.h"

#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

/* One read or write call moves at most this much: enough to fill a TLS
 * record train, small enough to keep one busy connection from starving
 * the others on the same event loop. */
#define ENDPOINT_IO_CHUNK (64u * 1024)

static void pump(struct endpoint *ep);

static void set_error(struct endpoint *ep, int err, const char *text)
{
	if (ep->err)
		return;
	ep->err = err;
	snprintf(ep->errtext, sizeof(ep->errtext), "%s", text);
}

static void update_events(struct endpoint *ep)
{
	bool want_r = false, want_w = false;

	if (ep->err)
		goto apply;
	if (ep->handshaking) {
		want_r = ep->tls_want == TLS_WANT_READ;
		want_w = ep->tls_want == TLS_WANT_WRITE;
		goto apply;
	}
	if (ep->reading && !ep->eof && evbuffer_get_length(ep->in) < ep->in_cap)
		want_r = true;
	if (!ep->shut_wr && evbuffer_get_length(ep->out) > 0)
		want_w = true;
	/* TLS may need the other direction to make progress. */
	if (ep->tls && ep->tls_want == TLS_WANT_WRITE && (want_r || evbuffer_get_length(ep->out)))
		want_w = true;
	if (ep->tls && ep->tls_want == TLS_WANT_READ && evbuffer_get_length(ep->out))
		want_r = true;
apply:
	if (want_r)
		event_add(ep->rev, NULL);
	else
		event_del(ep->rev);
	if (want_w)
		event_add(ep->wev, NULL);
	else
		event_del(ep->wev);
}

static void on_ready(evutil_socket_t fd, short what, void *arg)
{
	UNUSED(fd);
	UNUSED(what);
	pump(arg);
}

int endpoint_new(struct event_base *base, int rfd, int wfd, bool own_fds,
		 struct tls_conn *tls, size_t in_cap, struct endpoint **out)
{
	struct endpoint *ep = xcalloc(1, sizeof(*ep));

	*out = NULL;
	if (!ep)
		return ERR_NOMEM;
	ep->base = base;
	ep->rfd = rfd;
	ep->wfd = wfd;
	ep->own_fds = own_fds;
	ep->tls = tls;
	ep->handshaking = tls != NULL;
	ep->tls_want = TLS_WANT_READ;
	ep->in_cap = in_cap;
	ep->reading = true;
	ep->in = evbuffer_new();
	ep->out = evbuffer_new();
	ep->rev = event_new(base, rfd, EV_READ | EV_PERSIST, on_ready, ep);
	ep->wev = event_new(base, wfd, EV_WRITE | EV_PERSIST, on_ready, ep);
	if (!ep->in || !ep->out || !ep->rev || !ep->wev) {
		ep->own_fds = false;
		endpoint_free(ep);
		return ERR_NOMEM;
	}
	*out = ep;
	/* A server-side TLS handshake waits for the ClientHello; a client
	 * side one must send first. */
	event_active(ep->wev, EV_WRITE, 0);
	update_events(ep);
	return 0;
}

void endpoint_free(struct endpoint *ep)
{
	if (!ep)
		return;
	if (ep->rev)
		event_free(ep->rev);
	if (ep->wev)
		event_free(ep->wev);
	if (ep->in)
		evbuffer_free(ep->in);
	if (ep->out)
		evbuffer_free(ep->out);
	tls_conn_free(ep->tls);
	if (ep->own_fds) {
		if (ep->rfd >= 0)
			close(ep->rfd);
		if (ep->wfd >= 0 && ep->wfd != ep->rfd)
			close(ep->wfd);
	}
	xfree(ep);
}

static void do_shutdown(struct endpoint *ep)
{
	if (ep->shut_wr)
		return;
	ep->shut_wr = true;
	if (ep->tls)
		tls_conn_close_notify(ep->tls);
	if (ep->wfd != ep->rfd) {
		close(ep->wfd);
		ep->wfd = -1;
		event_del(ep->wev);
	} else if (!ep->tls) {
		shutdown(ep->wfd, SHUT_WR);
	}
}

/* Writes as much of ep->out as the socket takes. */
static void flush_out(struct endpoint *ep)
{
	while (!ep->err && !ep->shut_wr && evbuffer_get_length(ep->out) > 0) {
		size_t n = MIN(evbuffer_get_length(ep->out), (size_t)ENDPOINT_IO_CHUNK);
		const unsigned char *p = evbuffer_pullup(ep->out, (ssize_t)n);
		ssize_t w;

		if (ep->tls) {
			enum tls_want want = 0;

			w = tls_conn_write(ep->tls, p, n, &want);
			if (w == TLS_AGAIN) {
				ep->tls_want = want;
				return;
			}
			if (w < 0) {
				set_error(ep, ERR_IO, tls_conn_error(ep->tls));
				return;
			}
		} else {
			w = write(ep->wfd, p, n);
			if (w < 0) {
				if (errno == EAGAIN || errno == EINTR)
					return;
				set_error(ep, -errno, strerror(errno));
				return;
			}
		}
		evbuffer_drain(ep->out, (size_t)w);
	}
}

/* Reads while the input is below its cap. */
static bool fill_in(struct endpoint *ep)
{
	unsigned char tmp[ENDPOINT_IO_CHUNK];
	bool got = false;

	while (!ep->err && !ep->eof && ep->reading && evbuffer_get_length(ep->in) < ep->in_cap) {
		ssize_t r;

		if (ep->tls) {
			enum tls_want want = 0;

			r = tls_conn_read(ep->tls, tmp, sizeof(tmp), &want);
			if (r == TLS_AGAIN) {
				ep->tls_want = want;
				break;
			}
			if (r < 0) {
				set_error(ep, ERR_IO, tls_conn_error(ep->tls));
				got = true;
				break;
			}
		} else {
			r = read(ep->rfd, tmp, sizeof(tmp));
			if (r < 0) {
				if (errno == EAGAIN || errno == EINTR)
					break;
				set_error(ep, -errno, strerror(errno));
				got = true;
				break;
			}
		}
		if (r == 0) {
			ep->eof = true;
			got = true;
			break;
		}
		evbuffer_add(ep->in, tmp, (size_t)r);
		got = true;
	}
	return got;
}

static void pump(struct endpoint *ep)
{
	bool had_out, got;

	if (ep->handshaking) {
		enum tls_want want = 0;
		int rc = tls_conn_handshake(ep->tls, &want);

		if (rc == TLS_AGAIN) {
			ep->tls_want = want;
			update_events(ep);
			return;
		}
		if (rc < 0) {
			set_error(ep, ERR_IO, tls_conn_error(ep->tls));
			update_events(ep);
			if (ep->on_event)
				ep->on_event(ep, ep->arg);
			return;
		}
		ep->handshaking = false;
		ep->tls_want = 0;
		if (ep->on_event)
			ep->on_event(ep, ep->arg);
	}
	had_out = evbuffer_get_length(ep->out) > 0;
	flush_out(ep);
	if (!ep->err && evbuffer_get_length(ep->out) == 0 && ep->close_after_flush)
		do_shutdown(ep);
	got = fill_in(ep);
	update_events(ep);
	if (got || ep->err) {
		if (ep->on_read)
			ep->on_read(ep, ep->arg);
		else if (ep->on_event && (ep->eof || ep->err))
			ep->on_event(ep, ep->arg);
		return;	/* the callback may have freed the endpoint */
	}
	if (had_out && evbuffer_get_length(ep->out) == 0 && ep->on_drain)
		ep->on_drain(ep, ep->arg);
}

int endpoint_write(struct endpoint *ep, const void *p, size_t n)
{
	if (n && evbuffer_add(ep->out, p, n) != 0)
		return ERR_NOMEM;
	if (!ep->handshaking)
		event_active(ep->wev, EV_WRITE, 0);
	return 0;
}

int endpoint_write_buffer(struct endpoint *ep, struct evbuffer *src)
{
	if (evbuffer_add_buffer(ep->out, src) != 0)
		return ERR_NOMEM;
	if (!ep->handshaking)
		event_active(ep->wev, EV_WRITE, 0);
	return 0;
}

void endpoint_want_read(struct endpoint *ep, bool on)
{
	ep->reading = on;
	if (on && !ep->handshaking)
		event_active(ep->rev, EV_READ, 0);
	else
		update_events(ep);
}

void endpoint_rearm(struct endpoint *ep)
{
	update_events(ep);
	if (ep->reading && !ep->eof && !ep->err && !ep->handshaking && ep->tls &&
	    tls_conn_pending(ep->tls) > 0 && evbuffer_get_length(ep->in) < ep->in_cap)
		event_active(ep->rev, EV_READ, 0);
}

void endpoint_shutdown_after_flush(struct endpoint *ep)
{
	ep->close_after_flush = true;
	if (evbuffer_get_length(ep->out) == 0)
		do_shutdown(ep);
	else
		event_active(ep->wev, EV_WRITE, 0);
}

size_t endpoint_pending(const struct endpoint *ep)
{
	return evbuffer_get_length(ep->out);
}
