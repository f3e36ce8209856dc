/*
 * cgi.c - spawn git http-backend (RFC 3875 §4.1 meta-variables).
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "netproxy/cgi.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define CGI_ENV_MAX 32

struct envb {
	char *v[CGI_ENV_MAX + 1];
	size_t n;
};

static void env_add(struct envb *e, const char *name, const char *value)
{
	struct buf b;

	if (!value || e->n >= CGI_ENV_MAX)
		return;
	buf_init(&b, 1 << 16);
	if (buf_printf(&b, "%s=%s", name, value) == 0 && buf_append(&b, "", 1) == 0)
		e->v[e->n++] = (char *)b.data;
	else
		buf_release(&b);
}

int cgi_spawn(const struct cgi_request *req, pid_t *pid, int *stdin_fd, int *stdout_fd)
{
	char *argv[] = { "git", "http-backend", NULL };
	posix_spawn_file_actions_t fa;
	struct envb env = { { NULL }, 0 };
	int in[2], out[2], err;
	char len[32];
	size_t i;

	if (pipe2(in, O_CLOEXEC) != 0)
		return -errno;
	if (pipe2(out, O_CLOEXEC) != 0) {
		err = -errno;
		close(in[0]);
		close(in[1]);
		return err;
	}
	env_add(&env, "GATEWAY_INTERFACE", "CGI/1.1");
	env_add(&env, "SERVER_PROTOCOL", "HTTP/1.1");
	env_add(&env, "SERVER_SOFTWARE", "sluice");
	env_add(&env, "REQUEST_METHOD", req->method);
	env_add(&env, "PATH_INFO", req->path_info);
	env_add(&env, "QUERY_STRING", req->query ? req->query : "");
	env_add(&env, "CONTENT_TYPE", req->content_type);
	if (req->content_length >= 0) {
		snprintf(len, sizeof(len), "%lld", req->content_length);
		env_add(&env, "CONTENT_LENGTH", len);
	}
	env_add(&env, "HTTP_CONTENT_ENCODING", req->content_encoding);
	env_add(&env, "GIT_PROTOCOL", req->git_protocol);
	env_add(&env, "REMOTE_ADDR", req->remote_addr);
	env_add(&env, "REMOTE_USER", req->remote_user);
	env_add(&env, "GIT_PROJECT_ROOT", req->project_root);
	env_add(&env, "GIT_HTTP_EXPORT_ALL", "1");
	env_add(&env, "PATH", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	env_add(&env, "HOME", req->project_root);

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	err = posix_spawnp(pid, "git", &fa, NULL, argv, env.v);
	posix_spawn_file_actions_destroy(&fa);
	for (i = 0; i < env.n; i++)
		xfree(env.v[i]);
	close(in[0]);
	close(out[1]);
	if (err) {
		close(in[1]);
		close(out[0]);
		return -err;
	}
	fcntl(in[1], F_SETFL, fcntl(in[1], F_GETFL) | O_NONBLOCK);
	fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
	*stdin_fd = in[1];
	*stdout_fd = out[0];
	return 0;
}

void cgi_reap(void)
{
	int status;

	while (waitpid(-1, &status, WNOHANG) > 0)
		;
}
