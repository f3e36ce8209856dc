/*
 * watchdog.h - telling the service manager how sluice is doing: the
 * sd_notify(3) protocol (READY=1, STATUS=, WATCHDOG=1, STOPPING=1) and
 * the watchdog interval (issue 3 §4 "sluice serve sends sd_notify READY
 * and WATCHDOG"; firmware/systemd/sluice.service has Type=notify and
 * WatchdogSec=).
 *
 * With SLUICE_HAVE_SYSTEMD (set by CMake when libsystemd is found) the
 * messages go through libsystemd's sd_notify(); otherwise through
 * watchdog_notify_socket(), a small implementation of the same datagram
 * protocol: one AF_UNIX SOCK_DGRAM message to $NOTIFY_SOCKET, a path, or
 * an abstract name when the variable starts with '@'.
 *
 * Use from the daemon:
 *   after the listener is bound and the rules are loaded: watchdog_ready();
 *   if watchdog_interval_usec() returns u > 0: a libevent timer every u/2
 *   microseconds calls watchdog_ping() (only from the loop that would hang
 *   if sluice hung, so the ping proves progress);
 *   on SIGTERM: watchdog_stopping().
 *
 * Every function returns 0 when the message was sent, ERR_NOTFOUND when
 * NOTIFY_SOCKET is not set (not started by systemd with Type=notify:
 * callers ignore this), ERR_SYNTAX for a status containing a newline
 * (one line of text must not inject another assignment such as
 * "WATCHDOG=trigger"), ERR_LIMIT for a message longer than
 * LIMIT_NOTIFY_BYTES, or -errno from socket()/sendto() (-EAFNOSUPPORT for
 * a NOTIFY_SOCKET that is neither a path nor '@name', -ENAMETOOLONG when
 * it does not fit a sockaddr_un).
 *
 * Caveats: the functions read the environment at every call and keep no
 * state; they are thread-safe as long as nobody calls setenv() at the
 * same time.  NOTIFY_SOCKET is left in the environment, so processes the
 * daemon spawns (git http-backend) inherit it: systemd's default
 * NotifyAccess=main ignores their messages, which is what we want.
 */
#ifndef SLUICE_BOARD_WATCHDOG_H
#define SLUICE_BOARD_WATCHDOG_H

#include "core/base/api.h"

/* "READY=1" plus "STATUS=<status>" when status is non-NULL. */
int watchdog_ready(const char *status);
/* "STATUS=<status>": free text systemctl status shows. */
int watchdog_status(const char *status);
/* "WATCHDOG=1": the service is alive; due every watchdog interval. */
int watchdog_ping(void);
/* "STOPPING=1": shutdown has begun (stops the watchdog clock). */
int watchdog_stopping(void);

/* Sends one raw notification (newline-separated VAR=value lines) by
 * whichever implementation was compiled in.  Errors as above (no status
 * check: the caller builds the whole message). */
int watchdog_notify(const char *message);
/* The built-in implementation, compiled always so that it is tested even
 * where libsystemd is present: sends message to socket_name ("/path" or
 * "@abstract").  ERR_NOTFOUND when socket_name is NULL or "". */
int watchdog_notify_socket(const char *socket_name, const char *message);

/* The watchdog interval systemd expects pings within, in microseconds,
 * or 0 when the watchdog is off: $WATCHDOG_USEC when it is a positive
 * decimal number and $WATCHDOG_PID is unset or names this process
 * (sd_watchdog_enabled(3) rules).  Ping at half of it. */
uint64_t watchdog_interval_usec(void);

#endif
