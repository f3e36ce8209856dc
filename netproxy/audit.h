/*
 * audit.h - one JSON line per push decision in DATA/audit.jsonl, and a
 * syslog message (secrets.md §6).  Never holds a secret: findings carry
 * rule, commit, path, line and fingerprint only.
 *
 * Thread-safe: a mutex serializes lines; each line is one write(2) on an
 * O_APPEND file, so lines never interleave.
 */
#ifndef SLUICE_NETPROXY_AUDIT_H
#define SLUICE_NETPROXY_AUDIT_H

#include "core/base/api.h"
#include "core/push/push-t.h"
#include "core/verdict/verdict-t.h"

struct audit_log;

struct audit_record {
	const char *incident;		/* id shown to the developer */
	const char *client;		/* address */
	const char *user;		/* HTTP Basic user or NULL */
	const char *repo;		/* URL path */
	const struct push_command *cmds;
	size_t n_cmds;
	enum verdict_action action;	/* final */
	enum verdict_reason reason;	/* main reason, VR__COUNT for none */
	const char *detail;		/* reason detail or NULL */
	const struct push_finding *findings;
	size_t n_findings;
	const char *bypass;		/* bypass reason or NULL */
	const char *note;		/* sluice.note or NULL */
	uint64_t generation;		/* rule snapshot */
	uint64_t objects, bytes;	/* scanned */
	double scan_ms;			/* wall time spent on the push */
	double verdict_ms;		/* from the last byte to the verdict */
	bool budget_exceeded;		/* the time budget ran out */
};

int audit_open(const char *path, struct audit_log **out);
void audit_close(struct audit_log *a);
/* Writes the record; errors are counted, never fatal. */
void audit_write(struct audit_log *a, const struct audit_record *r);
/* A new incident id (time + counter, base32), into out[16]. */
void audit_incident_id(char out[16]);

#endif
