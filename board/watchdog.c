/*
 * watchdog.c - sd_notify(3) readiness, status and watchdog messages, and
 * the watchdog interval (sd_watchdog_enabled(3)); issue 3 §4.
 *
 * The wire protocol is one datagram of newline-separated VAR=value
 * assignments to the AF_UNIX socket named by $NOTIFY_SOCKET; systemd
 * checks the sender with SCM_CREDENTIALS, which the kernel attaches
 * itself, so nothing but the text needs to be sent.
 */
#include "core/base/api.h"
#include "core/base/err-t.h"
#include "core/base/limits.h"
#include "board/watchdog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#ifdef SLUICE_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

int watchdog_notify_socket(const char *socket_name, const char *message)
{
	struct sockaddr_un sa;
	socklen_t salen;
	size_t n;
	ssize_t sent;
	int fd, err = 0;

	if (!socket_name || !*socket_name)
		return ERR_NOTFOUND;
	if (socket_name[0] != '/' && socket_name[0] != '@')
		return -EAFNOSUPPORT;
	n = strlen(socket_name);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (socket_name[0] == '@') {
		/* Abstract namespace: a leading NUL, and the length counts
		 * exactly the name bytes (no terminator). */
		if (n > sizeof(sa.sun_path))
			return -ENAMETOOLONG;
		memcpy(sa.sun_path, socket_name, n);
		sa.sun_path[0] = '\0';
		salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		if (n >= sizeof(sa.sun_path))
			return -ENAMETOOLONG;
		memcpy(sa.sun_path, socket_name, n);
		salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	}

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	do
		sent = sendto(fd, message, strlen(message), MSG_NOSIGNAL,
			      (const struct sockaddr *)&sa, salen);
	while (sent < 0 && errno == EINTR);
	if (sent < 0)
		err = -errno;
	close(fd);
	return err;
}

int watchdog_notify(const char *message)
{
	if (strlen(message) >= LIMIT_NOTIFY_BYTES)
		return ERR_LIMIT;
#ifdef SLUICE_HAVE_SYSTEMD
	{
		int r = sd_notify(0, message);

		if (r > 0)
			return 0;
		return r == 0 ? ERR_NOTFOUND : r;
	}
#else
	return watchdog_notify_socket(getenv("NOTIFY_SOCKET"), message);
#endif
}

/* Sends prefix followed by "STATUS=<status>" when status is given. */
static int notify_with_status(const char *prefix, const char *status)
{
	char msg[LIMIT_NOTIFY_BYTES];
	int n;

	if (!status)
		return watchdog_notify(prefix);
	if (strchr(status, '\n'))
		return ERR_SYNTAX;
	n = snprintf(msg, sizeof(msg), "%sSTATUS=%s", prefix, status);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return ERR_LIMIT;
	return watchdog_notify(msg);
}

int watchdog_ready(const char *status)
{
	return notify_with_status(status ? "READY=1\n" : "READY=1", status);
}

int watchdog_status(const char *status)
{
	if (!status)
		return ERR_SYNTAX;
	return notify_with_status("", status);
}

int watchdog_ping(void)
{
	return watchdog_notify("WATCHDOG=1");
}

int watchdog_stopping(void)
{
	return watchdog_notify("STOPPING=1");
}

#ifndef SLUICE_HAVE_SYSTEMD
/* Strict decimal: no sign, no spaces, no trailing text, no overflow. */
static bool parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(*s - '0'), &v))
			return false;
	}
	*out = v;
	return true;
}
#endif

uint64_t watchdog_interval_usec(void)
{
#ifdef SLUICE_HAVE_SYSTEMD
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) > 0)
		return usec;
	return 0;
#else
	const char *pid_s = getenv("WATCHDOG_PID");
	uint64_t usec, pid;

	if (!parse_u64(getenv("WATCHDOG_USEC"), &usec) || usec == 0 ||
	    usec == UINT64_MAX)
		return 0;
	/* Without WATCHDOG_PID the interval is for whoever reads it; with
	 * it, only for that process (a child must not take it over). */
	if (pid_s && (!parse_u64(pid_s, &pid) || pid != (uint64_t)getpid()))
		return 0;
	return usec;
#endif
}
