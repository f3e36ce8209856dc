/*
 * cgi.h - run `git http-backend` as a CGI program (RFC 3875) for the
 * embedded default, where sluice serves DATA/repos itself.
 *
 * The child gets the request as CGI meta-variables, its body on stdin and
 * writes a CGI response (header fields, blank line, body to EOF) on
 * stdout.  The child's stderr goes to ours.
 *
 * Who may push is git http-backend's own rule: receive-pack is enabled
 * when REMOTE_USER is set, unless the repository's config says
 * `http.receivepack false` (and enabled for anyone when it says true).
 * So remote_user must be a user verified by the gate (auth.h), never a
 * name the client merely claimed; conn.c also answers an unverified
 * push with 401 before any child runs, which covers repositories that
 * say `http.receivepack true`.
 */
#ifndef SLUICE_NETPROXY_CGI_H
#define SLUICE_NETPROXY_CGI_H

#include "core/base/api.h"

#include <sys/types.h>

struct cgi_request {
	const char *method;		/* GET, POST */
	const char *path_info;		/* /demo.git/info/refs */
	const char *query;		/* service=git-receive-pack, or "" */
	const char *content_type;	/* or NULL */
	long long content_length;	/* -1: body until EOF */
	const char *content_encoding;	/* or NULL */
	const char *git_protocol;	/* Git-Protocol header, or NULL */
	const char *remote_addr;	/* client address */
	const char *remote_user;	/* verified user (auth.h), or NULL */
	const char *project_root;	/* DATA/repos */
};

/* Starts the child.  *stdin_fd and *stdout_fd are non-blocking,
 * close-on-exec pipe ends owned by the caller.  0 or -errno. */
int cgi_spawn(const struct cgi_request *req, pid_t *pid, int *stdin_fd, int *stdout_fd);

/* Reaps finished children without blocking (call from a timer or
 * SIGCHLD handler on the event loop). */
void cgi_reap(void);

#endif
