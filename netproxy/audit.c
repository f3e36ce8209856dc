/*
 * audit.c - the audit trail of push decisions: a JSON line per push in
 * DATA/audit.jsonl, written whole or not at all, synced to the disk when
 * the push passes with something to answer for, and a syslog message.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/base/limits.h"
#include "core/report/report.h"
#include "core/verdict/verdict.h"
#include "netproxy/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* One record is bounded, so a push cannot make the line (and our memory)
 * unbounded: a full command block (LIMIT_COMMAND_BLOCK_BYTES) with every
 * ref escaped at twice its size still fits.  When the findings list does
 * not fit, the line is written without it (the count stays); when even
 * that does not fit, the record fails and the gate refuses the push. */
#define AUDIT_LINE_MAX (4u * LIMIT_COMMAND_BLOCK_BYTES)
#define AUDIT_FINDINGS_MAX 200u

struct audit_log {
	int fd;
	char *path;			/* owned; for messages */
	pthread_mutex_t lock;		/* serializes lines and the cut-back */
	bool torn;			/* the file ends inside a line */
	_Atomic uint64_t failures;	/* records not written */
};

/* Does the file end with a partial line (a crash in the middle of a
 * write)?  Then the next record must start on a line of its own. */
static bool ends_torn(int fd)
{
	struct stat st;
	char last;

	if (fstat(fd, &st) != 0 || st.st_size == 0)
		return false;
	return pread(fd, &last, 1, st.st_size - 1) != 1 || last != '\n';
}

/* A new file is only crash-safe once its directory entry is on disk. */
static void sync_parent_dir(const char *path)
{
	char *copy = xstrdup(path);
	int dfd;

	if (!copy)
		return;
	dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		if (fsync(dfd) != 0)
			fprintf(stderr, "sluice serve: audit: cannot sync the directory of %s: %s\n",
				path, strerror(errno));
		close(dfd);
	}
	xfree(copy);
}

int audit_open(const char *path, struct audit_log **out)
{
	struct audit_log *a = xcalloc(1, sizeof(*a));
	bool created = true;

	*out = NULL;
	if (!a)
		return ERR_NOMEM;
	a->path = xstrdup(path);
	if (!a->path) {
		xfree(a);
		return ERR_NOMEM;
	}
	a->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (a->fd < 0 && errno == EEXIST) {
		created = false;
		a->fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
		if (a->fd < 0 && errno == EACCES)
			a->fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	}
	if (a->fd < 0) {
		int err = -errno;

		xfree(a->path);
		xfree(a);
		return err;
	}
	if (created)
		sync_parent_dir(path);
	else
		a->torn = ends_torn(a->fd);
	pthread_mutex_init(&a->lock, NULL);
	atomic_init(&a->failures, 0);
	openlog("sluice", LOG_PID, LOG_DAEMON);
	*out = a;
	return 0;
}

void audit_close(struct audit_log *a)
{
	if (!a)
		return;
	close(a->fd);
	pthread_mutex_destroy(&a->lock);
	xfree(a->path);
	xfree(a);
}

uint64_t audit_failures(const struct audit_log *a)
{
	return atomic_load(&a->failures);
}

void audit_incident_id(char out[16])
{
	static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	static atomic_uint counter;
	uint64_t v = ((uint64_t)time(NULL) << 16) ^ (atomic_fetch_add(&counter, 1) & 0xffff);
	int i;

	for (i = 12; i >= 0; i--) {
		out[i] = b32[v & 31];
		v >>= 5;
	}
	out[13] = '\0';
}

static int jstr(struct buf *b, const char *s)
{
	return json_escape(b, s ? s : "", s ? strlen(s) : 0);
}

/* The JSON line for r; with_findings false leaves the list out (too
 * large) and says so. */
static int format_record(struct buf *b, const struct audit_record *r, bool with_findings)
{
	static const char *const status[] = { "open", "suppressed", "bypassed" };
	char when[40];
	struct timespec ts;
	struct tm tm;
	size_t i;
	int err;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	buf_reset(b);
	err = buf_printf(b, "{\"time\":\"%s.%03ldZ\",\"incident\":", when, ts.tv_nsec / 1000000);
	err = err ? err : jstr(b, r->incident);
	err = err ? err : buf_append_str(b, ",\"client\":");
	err = err ? err : jstr(b, r->client);
	err = err ? err : buf_append_str(b, ",\"user\":");
	err = err ? err : (r->user ? jstr(b, r->user) : buf_append_str(b, "null"));
	err = err ? err : buf_append_str(b, ",\"repo\":");
	err = err ? err : jstr(b, r->repo);
	err = err ? err : buf_append_str(b, ",\"refs\":[");
	for (i = 0; !err && i < r->n_cmds; i++) {
		err = buf_append_str(b, i ? ",{\"ref\":" : "{\"ref\":");
		err = err ? err : jstr(b, r->cmds[i].ref);
		err = err ? err : buf_printf(b, ",\"old\":\"%s\",\"new\":\"%s\"}", r->cmds[i].old_oid,
					     r->cmds[i].new_oid);
	}
	err = err ? err : buf_printf(b, "],\"verdict\":\"%s\",\"reason\":",
				     verdict_action_name(r->action));
	err = err ? err : (r->reason < VR__COUNT ? jstr(b, verdict_reason_id(r->reason))
						 : buf_append_str(b, "null"));
	err = err ? err : buf_append_str(b, ",\"detail\":");
	err = err ? err : (r->detail ? jstr(b, r->detail) : buf_append_str(b, "null"));
	err = err ? err : buf_append_str(b, ",\"bypass\":");
	err = err ? err : (r->bypass ? jstr(b, r->bypass) : buf_append_str(b, "null"));
	err = err ? err : buf_append_str(b, ",\"note\":");
	err = err ? err : (r->note ? jstr(b, r->note) : buf_append_str(b, "null"));
	err = err ? err : buf_printf(b, ",\"generation\":%llu,\"objects\":%llu,\"bytes\":%llu,"
				     "\"scan_ms\":%.1f,\"verdict_ms\":%.3f,\"budget_exceeded\":%s,"
				     "\"finding_count\":%zu,",
				     (unsigned long long)r->generation, (unsigned long long)r->objects,
				     (unsigned long long)r->bytes, r->scan_ms, r->verdict_ms,
				     r->budget_exceeded ? "true" : "false", r->n_findings);
	if (!with_findings)
		return err ? err : buf_append_str(b, "\"findings_omitted\":true,\"findings\":[]}\n");
	err = err ? err : buf_append_str(b, "\"findings\":[");
	for (i = 0; !err && i < r->n_findings && i < AUDIT_FINDINGS_MAX; i++) {
		const struct push_finding *f = &r->findings[i];

		err = buf_append_str(b, i ? ",{\"rule\":" : "{\"rule\":");
		err = err ? err : jstr(b, f->rule_id);
		err = err ? err : buf_printf(b, ",\"kind\":\"%s\",\"commit\":\"%s\",\"path\":",
					     f->kind == PF_SECRET ? "secret" : "iac", f->commit);
		err = err ? err : jstr(b, f->path);
		err = err ? err : buf_printf(b, ",\"line\":%u,\"fingerprint\":\"%s\",\"status\":\"%s\","
					     "\"action\":\"%s\"}", f->line, f->fingerprint,
					     status[f->status], verdict_action_name(f->action));
	}
	return err ? err : buf_append_str(b, "]}\n");
}

/* A push that goes through although something was found or bypassed, or
 * although the scan did not judge it fully: its record must survive a
 * power cut, because the upstream keeps the push. */
static bool record_must_be_durable(const struct audit_record *r)
{
	return r->action != ACTION_REJECT &&
	       (r->bypass || r->n_findings > 0 || r->reason < VR__COUNT || r->budget_exceeded);
}

/* Appends the line whole or not at all (caller holds the lock). */
static int append_line(struct audit_log *a, const struct buf *b, bool durable)
{
	bool was_torn = a->torn;
	off_t before = lseek(a->fd, 0, SEEK_END);
	int err;

	if (before < 0)
		return -errno;
	err = a->torn ? write_all(a->fd, (const uint8_t *)"\n", 1) : 0;
	err = err ? err : write_all(a->fd, b->data, b->len);
	if (!err && durable && fdatasync(a->fd) != 0)
		err = -errno;
	if (!err) {
		a->torn = false;
		return 0;
	}
	/* Cut back: no partial line may stay in front of the next record,
	 * and a line that may not be on the disk must not claim a push was
	 * let through when the gate is about to refuse it. */
	if (ftruncate(a->fd, before) == 0)
		a->torn = was_torn;
	else
		a->torn = true;
	return err;
}

int audit_write(struct audit_log *a, const struct audit_record *r)
{
	struct buf b;
	uint64_t failures;
	int err;

	buf_init(&b, AUDIT_LINE_MAX);
	err = format_record(&b, r, true);
	if (err == ERR_LIMIT)
		err = format_record(&b, r, false);
	if (!err) {
		pthread_mutex_lock(&a->lock);
		err = append_line(a, &b, record_must_be_durable(r));
		pthread_mutex_unlock(&a->lock);
	}
	buf_release(&b);
	if (!err)
		return 0;
	failures = atomic_fetch_add(&a->failures, 1) + 1;
	fprintf(stderr, "sluice serve: audit: %s: the record of incident %s (verdict %s) was not written: "
		"%s (%llu record%s lost since start)\n", a->path, r->incident,
		verdict_action_name(r->action), err_str(err), (unsigned long long)failures,
		failures == 1 ? "" : "s");
	return err;
}

/* Client-chosen text (the user name comes from a base64 header and may
 * hold any byte) must not forge a second log line or a key=value pair of
 * its own: control bytes and spaces become '?'. */
static const char *printable(const char *s, char *out, size_t cap)
{
	size_t i;

	for (i = 0; s && s[i] && i + 1 < cap; i++)
		out[i] = (s[i] <= 0x20 || s[i] > 0x7e) ? '?' : s[i];
	out[i] = '\0';
	return out;
}

void audit_syslog(const struct audit_record *r, int write_err)
{
	char repo[256], user[128];

	syslog(r->action == ACTION_REJECT || write_err ? LOG_WARNING : LOG_NOTICE,
	       "push %s repo=%s client=%s user=%s findings=%zu reason=%s bypass=%s incident=%s "
	       "record=%s",
	       verdict_action_name(r->action), printable(r->repo, repo, sizeof(repo)), r->client,
	       r->user ? printable(r->user, user, sizeof(user)) : "-", r->n_findings,
	       r->reason < VR__COUNT ? verdict_reason_id(r->reason) : "-",
	       r->bypass ? r->bypass : "-", r->incident, write_err ? err_str(write_err) : "written");
}
