/*
 * config.c - the configuration table and its parser.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/base/limits.h"
#include "core/verdict/verdict.h"
#include "netproxy/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum cfg_type { CFG_STRING, CFG_UINT, CFG_U64 };

struct cfg_row {
	const char *name;
	enum cfg_type type;
	size_t offset;
	size_t size;		/* strings: buffer size */
	uint64_t min, max;	/* numbers */
	const char *def;	/* default as text */
	const char *help;
};

#define STR(f, d, h) { #f, CFG_STRING, offsetof(struct sluice_config, f), \
		       sizeof(((struct sluice_config *)0)->f), 0, 0, d, h }
#define UINT(f, lo, hi, d, h) { #f, CFG_UINT, offsetof(struct sluice_config, f), \
				sizeof(unsigned), lo, hi, d, h }
#define U64(f, lo, hi, d, h) { #f, CFG_U64, offsetof(struct sluice_config, f), \
			       sizeof(uint64_t), lo, hi, d, h }

static const struct cfg_row rows[] = {
	STR(listen, "0.0.0.0:8443", "address and port to accept TLS on"),
	STR(data, "/var/lib/sluice", "LMDB rules, repositories, spool, audit log, TLS files"),
	STR(upstream, "", "http(s)://host:port[/prefix] of the git server; empty: embedded backend"),
	STR(upstream_ca, "", "CA file to verify an https upstream (default: system CAs)"),
	STR(cert, "", "TLS certificate (PEM); empty: self-signed in DATA/tls"),
	STR(key, "", "TLS private key (PEM)"),
	STR(server_name, "localhost", "name in the self-signed certificate"),
	STR(log_level, "info", "error, warn, info or debug"),
	UINT(verdict_deadline_ms, 100, 600000, "4000", "time budget after the last byte of a push"),
	UINT(push_budget_ms, 1000, 3600000, "120000",
	     "scanning time of one push body; past it the push is judged unscanned"),
	U64(hold_whole_max, 0, 1ull << 32, "1048576", "Content-Length bodies up to this are held whole"),
	UINT(workers, 0, 64, "0", "event loop threads; 0: from the board profile"),
	UINT(max_connections, 1, 100000, "1024", "connections per worker"),
	UINT(idle_timeout_ms, 1000, 3600000, "120000", "idle connections are closed after this"),
	UINT(max_findings_shown, 1, 100, "10", "findings listed in remote: lines"),
	U64(push_memory, 16ull << 20, 1ull << 40, STRINGIFY(LIMIT_PUSH_MEMORY_DEFAULT),
	    "working memory shared by all pushes in flight (delta bases and results, held bodies)"),
	UINT(scan_threads, 0, 64, "0", "threads scanning pushes off the event loops; 0: one per CPU"),
	UINT(push_slots, 0, 1024, "0",
	     "pushes scanned at once (others wait); 0: push_memory / " STRINGIFY(LIMIT_PUSH_SLOT_MIB) " MiB"),
	UINT(push_queue_timeout_ms, 1000, 3600000, STRINGIFY(LIMIT_PUSH_QUEUE_MS),
	     "a push waiting this long for a scan slot is refused as busy"),
	UINT(handshake_timeout_ms, 500, 600000, STRINGIFY(LIMIT_TLS_HANDSHAKE_MS),
	     "a TLS handshake must finish within this"),
	UINT(request_head_timeout_ms, 500, 600000, STRINGIFY(LIMIT_REQUEST_HEAD_MS),
	     "a request head must arrive whole within this (from connect or the previous reply)"),
	UINT(min_body_rate, 0, 1u << 30, STRINGIFY(LIMIT_BODY_RATE_MIN),
	     "bytes per second a request body must keep up, measured per window; 0: off"),
	UINT(body_rate_window_ms, 1000, 600000, STRINGIFY(LIMIT_BODY_RATE_WINDOW_MS),
	     "window over which min_body_rate is measured"),
};

/* iac_<severity> keys, in enum rule_severity order. */
static const char *const sev[POLICY_SEVERITIES] = { "critical", "high", "medium", "low", "info" };

/* Policy keys, valid globally and per repository. */
static int set_policy(struct policy *p, const char *key, const char *value, struct buf *msg)
{
	enum verdict_action a, *slot = NULL;
	size_t i;

	if (strcmp(key, "on_timeout") == 0) {
		if (strcmp(value, "fail-closed") == 0)
			p->fail_open = false;
		else if (strcmp(value, "fail-open") == 0)
			p->fail_open = true;
		else
			goto bad;
		return 0;
	}
	if (strcmp(key, "mode") == 0) {
		if (strcmp(value, "enforce") == 0)
			p->monitor = false;
		else if (strcmp(value, "monitor") == 0)
			p->monitor = true;
		else
			goto bad;
		return 0;
	}
	if (strcmp(key, "bypass") == 0) {
		if (strcmp(value, "anyone") == 0) {
			p->bypass = BYPASS_ANYONE;
		} else if (strcmp(value, "nobody") == 0) {
			p->bypass = BYPASS_NOBODY;
		} else if (strncmp(value, "users:", 6) == 0 &&
			   strlen(value + 6) < sizeof(p->bypass_users)) {
			p->bypass = BYPASS_USERS;
			snprintf(p->bypass_users, sizeof(p->bypass_users), "%s", value + 6);
		} else {
			goto bad;
		}
		return 0;
	}
	/* The key first: a typo must be reported as an unknown key, not as
	 * a bad value of a key that does not exist. */
	if (strcmp(key, "secret_block") == 0) {
		slot = &p->secret_block;
	} else if (strcmp(key, "secret_warn") == 0) {
		slot = &p->secret_warn;
	} else if (strcmp(key, "limits") == 0) {
		slot = &p->limits;
	} else if (strncmp(key, "iac_", 4) == 0) {
		for (i = 0; i < POLICY_SEVERITIES; i++)
			if (strcmp(key + 4, sev[i]) == 0)
				slot = &p->iac[i];
		if (!slot && strcmp(key, "iac_action") != 0)
			return ERR_NOTFOUND;
	} else {
		return ERR_NOTFOUND;
	}
	if (verdict_action_parse(value, &a) != 0)
		goto bad;
	if (slot)
		*slot = a;
	else
		for (i = 0; i < POLICY_SEVERITIES; i++)	/* iac_action */
			p->iac[i] = a;
	return 0;
bad:
	if (msg)
		buf_printf(msg, "%s: invalid value '%s'", key, value);
	return ERR_SYNTAX;
}

void config_default(struct sluice_config *c)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < ARRAY_SIZE(rows); i++)
		config_set(c, rows[i].name, rows[i].def, NULL);
	policy_default(&c->policy);
}

void config_release(struct sluice_config *c)
{
	xfree(c->repos);
	c->repos = NULL;
	c->n_repos = 0;
}

static int set_repo(struct sluice_config *c, const char *rest, const char *value, struct buf *msg)
{
	/* rest = "<repo path>.<policy key>": the key is after the last dot
	 * that starts a known policy key, so repository names may contain
	 * dots ("app.git"). */
	const char *dot;
	struct repo_policy *rp = NULL;
	char repo[256], key[64];
	size_t i;
	int err;

	/* config_policy_for() ignores the URL's leading slashes; so must
	 * the override, or "repo./team/app.git..." would never apply. */
	while (*rest == '/')
		rest++;
	dot = strrchr(rest, '.');
	if (!dot || dot == rest || strlen(dot + 1) >= sizeof(key) ||
	    (size_t)(dot - rest) >= sizeof(repo)) {
		if (msg)
			buf_printf(msg, "repo.%s: expected repo.<path>.<key>", rest);
		return ERR_SYNTAX;
	}
	memcpy(repo, rest, (size_t)(dot - rest));
	repo[dot - rest] = '\0';
	snprintf(key, sizeof(key), "%s", dot + 1);
	for (i = 0; i < c->n_repos; i++)
		if (strcmp(c->repos[i].repo, repo) == 0)
			rp = &c->repos[i];
	if (!rp) {
		struct repo_policy *nr;

		if (c->n_repos >= CONFIG_MAX_REPOS) {
			if (msg)
				buf_printf(msg, "more than %u repository overrides", CONFIG_MAX_REPOS);
			return ERR_LIMIT;
		}
		nr = xrealloc(c->repos, (c->n_repos + 1) * sizeof(*nr));
		if (!nr)
			return ERR_NOMEM;
		c->repos = nr;
		rp = &c->repos[c->n_repos++];
		snprintf(rp->repo, sizeof(rp->repo), "%s", repo);
		rp->policy = c->policy;
	}
	err = set_policy(&rp->policy, key, value, msg);
	if (err == ERR_NOTFOUND && msg)
		buf_printf(msg, "repo.%s: unknown policy key '%s'", rest, key);
	return err == ERR_NOTFOUND ? ERR_SYNTAX : err;
}

int config_set(struct sluice_config *c, const char *key, const char *value, struct buf *msg)
{
	size_t i;
	int err;

	if (strncmp(key, "repo.", 5) == 0)
		return set_repo(c, key + 5, value, msg);
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		const struct cfg_row *r = &rows[i];
		char *field = (char *)c + r->offset;
		unsigned long long v;
		char *end;

		if (strcmp(key, r->name) != 0)
			continue;
		if (r->type == CFG_STRING) {
			if (strlen(value) >= r->size) {
				if (msg)
					buf_printf(msg, "%s: value too long", key);
				return ERR_LIMIT;
			}
			snprintf(field, r->size, "%s", value);
			return 0;
		}
		errno = 0;
		v = strtoull(value, &end, 10);
		if (errno || end == value || *end || v < r->min || v > r->max) {
			if (msg)
				buf_printf(msg, "%s: expected a number from %llu to %llu, got '%s'", key,
					   (unsigned long long)r->min, (unsigned long long)r->max, value);
			return ERR_SYNTAX;
		}
		if (r->type == CFG_UINT)
			*(unsigned *)(void *)field = (unsigned)v;
		else
			*(uint64_t *)(void *)field = v;
		return 0;
	}
	err = set_policy(&c->policy, key, value, msg);
	if (err == ERR_NOTFOUND) {
		if (msg)
			buf_printf(msg, "unknown key '%s'", key);
		return ERR_SYNTAX;
	}
	/* Repository overrides made earlier keep their own copies. */
	return err;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

int config_load_file(struct sluice_config *c, const char *path, struct buf *msg)
{
	struct buf text;
	char *line, *next;
	unsigned lineno = 0;
	int err;

	buf_init(&text, CONFIG_MAX_BYTES);
	err = buf_read_file(&text, path);
	if (!err)
		err = buf_append(&text, "", 1);
	if (err) {
		if (msg)
			buf_printf(msg, "%s: %s", path, err_str(err));
		buf_release(&text);
		return err;
	}
	/* Line by line by hand: strtok_r would skip empty lines and the
	 * numbers in error messages would drift. */
	for (line = (char *)text.data; line && !err; line = next) {
		char *eq, *k, *v, *hash;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		k = trim(line);
		if (!*k)
			continue;
		eq = strchr(k, '=');
		if (!eq) {
			if (msg)
				buf_printf(msg, "%s:%u: expected key = value", path, lineno);
			err = ERR_SYNTAX;
			break;
		}
		*eq = '\0';
		v = trim(eq + 1);
		k = trim(k);
		if (config_set(c, k, v, msg) != 0) {
			if (msg)
				buf_printf(msg, " (%s:%u)", path, lineno);
			err = ERR_SYNTAX;
		}
	}
	buf_release(&text);
	return err;
}

const struct policy *config_policy_for(const struct sluice_config *c, const char *repo)
{
	size_t i;

	while (repo && *repo == '/')
		repo++;
	for (i = 0; repo && i < c->n_repos; i++)
		if (strcmp(c->repos[i].repo, repo) == 0)
			return &c->repos[i].policy;
	return &c->policy;
}

/* The policy keys of p, each line starting with prefix ("" or
 * "repo.<path>."). */
static int dump_policy(struct buf *out, const char *prefix, const struct policy *p)
{
	size_t i;
	int err;

	err = buf_printf(out, "%son_timeout = %s\n%smode = %s\n%ssecret_block = %s\n"
			 "%ssecret_warn = %s\n%slimits = %s\n",
			 prefix, p->fail_open ? "fail-open" : "fail-closed",
			 prefix, p->monitor ? "monitor" : "enforce",
			 prefix, verdict_action_name(p->secret_block),
			 prefix, verdict_action_name(p->secret_warn),
			 prefix, verdict_action_name(p->limits));
	for (i = 0; !err && i < POLICY_SEVERITIES; i++)
		err = buf_printf(out, "%siac_%s = %s\n", prefix, sev[i], verdict_action_name(p->iac[i]));
	if (!err)
		err = buf_printf(out, "%sbypass = %s%s\n", prefix,
				 p->bypass == BYPASS_ANYONE ? "anyone" :
				 p->bypass == BYPASS_NOBODY ? "nobody" : "users:",
				 p->bypass == BYPASS_USERS ? p->bypass_users : "");
	return err;
}

int config_dump(const struct sluice_config *c, struct buf *out)
{
	size_t i;
	int err = 0;

	for (i = 0; !err && i < ARRAY_SIZE(rows); i++) {
		const struct cfg_row *r = &rows[i];
		const char *field = (const char *)c + r->offset;

		if (r->type == CFG_STRING)
			err = buf_printf(out, "%s = %s\n", r->name, field);
		else if (r->type == CFG_UINT)
			err = buf_printf(out, "%s = %u\n", r->name, *(const unsigned *)(const void *)field);
		else
			err = buf_printf(out, "%s = %llu\n", r->name,
					 (unsigned long long)*(const uint64_t *)(const void *)field);
	}
	/* The policy is configuration too: the default, then each
	 * repository's whole policy (overrides start as copies). */
	if (!err)
		err = dump_policy(out, "", &c->policy);
	for (i = 0; !err && i < c->n_repos; i++) {
		char prefix[300];

		snprintf(prefix, sizeof(prefix), "repo.%s.", c->repos[i].repo);
		err = dump_policy(out, prefix, &c->repos[i].policy);
	}
	return err;
}
