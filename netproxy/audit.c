/*
 * audit.c - the audit trail of push decisions.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/report/report.h"
#include "core/verdict/verdict.h"
#include "netproxy/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* One record: bounded, so a push with many findings cannot make the log
 * line unbounded (the count is still recorded). */
#define AUDIT_LINE_MAX (256u * 1024)
#define AUDIT_FINDINGS_MAX 200u

struct audit_log {
	int fd;
	pthread_mutex_t lock;
	uint64_t write_errors;
};

int audit_open(const char *path, struct audit_log **out)
{
	struct audit_log *a = xcalloc(1, sizeof(*a));

	*out = NULL;
	if (!a)
		return ERR_NOMEM;
	a->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (a->fd < 0) {
		int err = -errno;

		xfree(a);
		return err;
	}
	pthread_mutex_init(&a->lock, NULL);
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
	xfree(a);
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

void audit_write(struct audit_log *a, const struct audit_record *r)
{
	static const char *const status[] = { "open", "suppressed", "bypassed" };
	struct buf b;
	char when[40];
	struct timespec ts;
	struct tm tm;
	size_t i;
	int err;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	buf_init(&b, AUDIT_LINE_MAX);
	err = buf_printf(&b, "{\"time\":\"%s.%03ldZ\",\"incident\":", when, ts.tv_nsec / 1000000);
	err = err ? err : jstr(&b, r->incident);
	err = err ? err : buf_append_str(&b, ",\"client\":");
	err = err ? err : jstr(&b, r->client);
	err = err ? err : buf_append_str(&b, ",\"user\":");
	err = err ? err : (r->user ? jstr(&b, r->user) : buf_append_str(&b, "null"));
	err = err ? err : buf_append_str(&b, ",\"repo\":");
	err = err ? err : jstr(&b, r->repo);
	err = err ? err : buf_append_str(&b, ",\"refs\":[");
	for (i = 0; !err && i < r->n_cmds; i++) {
		err = buf_append_str(&b, i ? ",{\"ref\":" : "{\"ref\":");
		err = err ? err : jstr(&b, r->cmds[i].ref);
		err = err ? err : buf_printf(&b, ",\"old\":\"%s\",\"new\":\"%s\"}", r->cmds[i].old_oid,
					     r->cmds[i].new_oid);
	}
	err = err ? err : buf_printf(&b, "],\"verdict\":\"%s\",\"reason\":",
				     verdict_action_name(r->action));
	err = err ? err : (r->reason < VR__COUNT ? jstr(&b, verdict_reason_id(r->reason))
						 : buf_append_str(&b, "null"));
	err = err ? err : buf_append_str(&b, ",\"detail\":");
	err = err ? err : (r->detail ? jstr(&b, r->detail) : buf_append_str(&b, "null"));
	err = err ? err : buf_append_str(&b, ",\"bypass\":");
	err = err ? err : (r->bypass ? jstr(&b, r->bypass) : buf_append_str(&b, "null"));
	err = err ? err : buf_append_str(&b, ",\"note\":");
	err = err ? err : (r->note ? jstr(&b, r->note) : buf_append_str(&b, "null"));
	err = err ? err : buf_printf(&b, ",\"generation\":%llu,\"objects\":%llu,\"bytes\":%llu,"
				     "\"scan_ms\":%.1f,\"verdict_ms\":%.3f,\"budget_exceeded\":%s,"
				     "\"finding_count\":%zu,\"findings\":[",
				     (unsigned long long)r->generation, (unsigned long long)r->objects,
				     (unsigned long long)r->bytes, r->scan_ms, r->verdict_ms,
				     r->budget_exceeded ? "true" : "false", r->n_findings);
	for (i = 0; !err && i < r->n_findings && i < AUDIT_FINDINGS_MAX; i++) {
		const struct push_finding *f = &r->findings[i];

		err = buf_append_str(&b, i ? ",{\"rule\":" : "{\"rule\":");
		err = err ? err : jstr(&b, f->rule_id);
		err = err ? err : buf_printf(&b, ",\"kind\":\"%s\",\"commit\":\"%s\",\"path\":",
					     f->kind == PF_SECRET ? "secret" : "iac", f->commit);
		err = err ? err : jstr(&b, f->path);
		err = err ? err : buf_printf(&b, ",\"line\":%u,\"fingerprint\":\"%s\",\"status\":\"%s\","
					     "\"action\":\"%s\"}", f->line, f->fingerprint,
					     status[f->status], verdict_action_name(f->action));
	}
	err = err ? err : buf_append_str(&b, "]}\n");
	if (err) {
		buf_reset(&b);
		buf_printf(&b, "{\"incident\":\"%s\",\"verdict\":\"%s\",\"error\":\"record too large\"}\n",
			   r->incident, verdict_action_name(r->action));
	}
	pthread_mutex_lock(&a->lock);
	if (write(a->fd, b.data, b.len) != (ssize_t)b.len)
		a->write_errors++;
	pthread_mutex_unlock(&a->lock);
	syslog(r->action == ACTION_REJECT ? LOG_WARNING : LOG_NOTICE,
	       "push %s repo=%s client=%s user=%s findings=%zu reason=%s incident=%s",
	       verdict_action_name(r->action), r->repo, r->client, r->user ? r->user : "-",
	       r->n_findings, r->reason < VR__COUNT ? verdict_reason_id(r->reason) : "-",
	       r->incident);
	buf_release(&b);
}
