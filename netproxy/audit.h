/*
 * audit.h - one JSON line per push decision in DATA/audit.jsonl, and a
 * syslog message (secrets.md §6).  Never holds a secret: findings carry
 * rule, commit, path, line and fingerprint only.
 *
 * The rule this module serves: no push goes upstream without its audit
 * record.  audit_write() therefore reports whether the whole line reached
 * the file (and, for the records that matter most, the disk), and the gate
 * refuses a push it cannot record (gate.c, reason AUDIT_FAILED).
 *
 * Caveats:
 * - Thread-safe: a mutex serializes lines; the file is O_APPEND and only
 *   this process writes it, so lines never interleave.
 * - A failed write is cut back to the file's previous length, so a
 *   partial line (ENOSPC in the middle of a record) never remains to be
 *   glued to the next record.  If even that cut fails, the next record
 *   starts with a newline: the debris is one unparsable line of its own.
 *   The same holds for a partial last line found at audit_open() (a crash
 *   during a write).
 * - Rotation must move the file and restart (or reopen) sluice: a
 *   copy-and-truncate between two writes is not noticed.
 * - A durable write (see audit_write) holds the lock during fdatasync(2),
 *   so other pushes' records wait for the disk; such records are rare
 *   (bypasses, pushes passing with findings), clean pushes do not wait.
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
	const char *user;		/* user verified by auth.h, or NULL */
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

/* Opens (creating, mode 0640) the log at path for appending; a new file's
 * directory entry is synced so the file survives a crash.  *out is the
 * new log, owned by the caller until audit_close().  0, ERR_NOMEM or
 * -errno from open(2). */
int audit_open(const char *path, struct audit_log **out);
/* Closes the file and frees the log; NULL is accepted. */
void audit_close(struct audit_log *a);

/* Writes r as one line.  Returns 0 only when the whole line is in the
 * file; for a record that lets a push through with a bypass, with
 * findings (also suppressed ones) or with a reason (fail-open budget, a
 * warning limit), also only once fdatasync(2) has put it on the disk, so
 * the record exists before the push can be applied.  Clean pushes and
 * refusals are not synced: a refusal applies nothing, and a clean push
 * has nothing to answer for beyond the line itself.
 *
 * Errors: -errno of write(2), fdatasync(2) or lseek(2) (-ENOSPC, -EDQUOT,
 * -EIO, -EFBIG, ...), ERR_IO when write(2) makes no progress without an
 * errno, ERR_LIMIT when the record does not fit AUDIT_LINE_MAX even
 * without its findings list.  On any error nothing of the record stays in
 * the file, the failure counter grows and one line naming the file, the
 * incident, the error text and the running count goes to stderr.  r and
 * everything it points to are borrowed for the call. */
int audit_write(struct audit_log *a, const struct audit_record *r);

/* The syslog message for the final decision of a push (action, reason,
 * repository, client, user, findings, incident) and whether its record
 * was written: write_err is audit_write()'s result. */
void audit_syslog(const struct audit_record *r, int write_err);

/* Records that could not be written since audit_open(). */
uint64_t audit_failures(const struct audit_log *a);

/* A new incident id (time + counter, base32), into out[16]. */
void audit_incident_id(char out[16]);

#endif
