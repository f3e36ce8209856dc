/*
 * config.h - `sluice serve` configuration: one table row per key (name,
 * type, bounds, default, offset), parsed once at start (style.md rule 12).
 *
 * File format: `key = value` lines, `#` comments, blank lines.  Unknown
 * keys are errors.  Per-repository policy overrides use
 * `repo.<path>.<key> = value`, where <path> is the repository path in the
 * URL without leading slash (e.g. `repo.team/app.git.secret_block = warn`)
 * and <key> is one of the policy keys.  Command-line options override the
 * file.
 */
#ifndef SLUICE_NETPROXY_CONFIG_H
#define SLUICE_NETPROXY_CONFIG_H

#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/verdict/policy.h"

#define CONFIG_STR 1024
#define CONFIG_MAX_REPOS 256
#define CONFIG_MAX_BYTES (1u << 20)

struct repo_policy {
	char repo[256];			/* URL path of the repository */
	struct policy policy;		/* starts as a copy of the default */
};

struct sluice_config {
	char listen[CONFIG_STR];	/* ADDR:PORT */
	char data[CONFIG_STR];		/* LMDB, repos, spool, audit, tls */
	char upstream[CONFIG_STR];	/* http(s)://host:port[/prefix]; "" =
					 * embedded git http-backend */
	char upstream_ca[CONFIG_STR];	/* CA file for an https upstream */
	char cert[CONFIG_STR];		/* "" = DATA/tls/cert.pem, self-signed */
	char key[CONFIG_STR];
	char server_name[256];		/* CN of the self-signed certificate */
	char log_level[16];		/* error, warn, info, debug */
	unsigned verdict_deadline_ms;	/* budget after the last byte */
	unsigned push_budget_ms;	/* scanning time of one push body */
	uint64_t hold_whole_max;	/* hold Content-Length bodies up to this */
	unsigned workers;		/* 0 = from the board profile */
	unsigned max_connections;	/* per worker */
	unsigned idle_timeout_ms;	/* idle connections are closed */
	unsigned max_findings_shown;	/* remote: findings per push */
	uint64_t push_memory;		/* working memory of all pushes in
					 * flight together (bytes) */
	unsigned scan_threads;		/* 0 = one per online CPU */
	unsigned push_slots;		/* 0 = push_memory / LIMIT_PUSH_SLOT_MIB */
	unsigned push_queue_timeout_ms;	/* wait for a slot, then busy */
	unsigned handshake_timeout_ms;	/* TLS handshake deadline */
	unsigned request_head_timeout_ms;	/* whole request head deadline */
	unsigned min_body_rate;		/* bytes/s per window; 0 = off */
	unsigned body_rate_window_ms;
	struct policy policy;		/* default policy */
	struct repo_policy *repos;	/* overrides, owned */
	size_t n_repos;
};

void config_default(struct sluice_config *c);
void config_release(struct sluice_config *c);
/* Parses a file into c (on top of what is there).  ERR_SYNTAX with msg
 * "file:line: ..." on the first bad line; -errno when unreadable. */
int config_load_file(struct sluice_config *c, const char *path, struct buf *msg);
/* Sets one key (from the command line or a file line). */
int config_set(struct sluice_config *c, const char *key, const char *value, struct buf *msg);
/* The policy for a repository path (its override or the default). */
const struct policy *config_policy_for(const struct sluice_config *c, const char *repo);
/* Writes every key with its value (for `sluice serve --print-config`). */
int config_dump(const struct sluice_config *c, struct buf *out);

#endif
