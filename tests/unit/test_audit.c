/*
 * test_audit.c - netproxy/audit: a record is one whole JSON line or
 * nothing; failures are returned and counted (/dev/full, a full tmpfs);
 * a short write leaves no partial line in front of the next record; a
 * partial line left by a crash does not swallow the next record; an
 * oversized record loses its findings list or fails whole; the syslog
 * message of a refusal; the cost of the durable (fdatasync) records.
 *
 * The full-disk and syslog cases mount tmpfs file systems (the latter in a
 * private mount namespace), so this test needs root.  CI
 * runs as root; anywhere else the test fails loudly rather than skip.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "netproxy/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

/* Ref commands large enough that one record is several pages. */
#define BIG_CMDS 40

struct fixture {
	char dir[64];			/* mkdtemp */
	bool mounted;			/* dir is a tmpfs we mounted */
	struct push_command *cmds;	/* BIG_CMDS, owned */
	struct push_finding finding;	/* one bypassed secret */
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	size_t i;

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/sluice-audit.XXXXXX");
	if (!mkdtemp(fx->dir)) {
		free(fx);
		return -1;
	}
	fx->cmds = calloc(BIG_CMDS, sizeof(*fx->cmds));
	if (!fx->cmds)
		return -1;
	for (i = 0; i < BIG_CMDS; i++) {
		memset(fx->cmds[i].old_oid, '0', 40);
		memset(fx->cmds[i].new_oid, 'a', 40);
		snprintf(fx->cmds[i].ref, sizeof(fx->cmds[i].ref), "refs/heads/feature/%zu-%0200d", i, 7);
	}
	fx->finding.kind = PF_SECRET;
	snprintf(fx->finding.rule_id, sizeof(fx->finding.rule_id), "SEC-GITHUB-PAT");
	fx->finding.path = (char *)"config/\"quoted\"\n.yaml";
	memset(fx->finding.commit, 'c', 40);
	fx->finding.line = 3;
	snprintf(fx->finding.fingerprint, sizeof(fx->finding.fingerprint), "0123456789abcdef");
	fx->finding.status = PF_BYPASSED;
	fx->finding.action = ACTION_REJECT;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[128];

	/* Detached: a failed assertion may have left the log open (EBUSY). */
	if (fx->mounted && umount2(fx->dir, MNT_DETACH) != 0)
		fprintf(stderr, "umount %s: %s\n", fx->dir, strerror(errno));
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", fx->dir);
	free(fx->cmds);
	free(fx);
	return 0;
}

static void must_be_root(void)
{
	if (geteuid() != 0)
		fail_msg("test_audit mounts a tmpfs to fill a disk and must run as root "
			 "(CI does); refusing to skip");
}

/* A clean push's record (not synced) or, with bypass, a bypassed secret
 * (synced). */
static struct audit_record record(struct fixture *fx, const char *incident, size_t n_cmds,
				  bool bypass)
{
	struct audit_record r;

	memset(&r, 0, sizeof(r));
	r.incident = incident;
	r.client = "127.0.0.1";
	r.user = bypass ? "mallory" : NULL;
	r.repo = "/app.git";
	r.cmds = fx->cmds;
	r.n_cmds = n_cmds;
	r.action = bypass ? ACTION_WARN : ACTION_ALLOW;
	r.reason = VR__COUNT;
	r.findings = bypass ? &fx->finding : NULL;
	r.n_findings = bypass ? 1 : 0;
	r.bypass = bypass ? "false-positive" : NULL;
	r.generation = 4;
	return r;
}

static off_t file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/* Every line of path is a JSON object (python3's json module is the
 * judge), the file ends with a newline, and the incidents are exactly
 * `want`, in order, space-separated.  Lines listed in `junk` (1-based,
 * space-separated) are skipped: debris left by a crash. */
static void expect_lines(const char *path, const char *want, const char *junk)
{
	char cmd[1024];
	int st;

	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json,sys\n"
		 "d=open(sys.argv[1],\"rb\").read()\n"
		 "assert d.endswith(b\"\\n\"), \"no final newline\"\n"
		 "skip=set(int(x) for x in sys.argv[3].split())\n"
		 "got=[json.loads(l)[\"incident\"] for i,l in enumerate(d.split(b\"\\n\")[:-1],1) "
		 "if i not in skip]\n"
		 "assert got==sys.argv[2].split(), (got, sys.argv[2])' '%s' '%s' '%s'",
		 path, want, junk ? junk : "");
	st = system(cmd);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* /dev/full: every write fails with ENOSPC; each failure is returned and
 * counted. */
static void dev_full_fails_and_counts(void **state)
{
	struct fixture *fx = *state;
	struct audit_log *a = NULL;
	struct audit_record r = record(fx, "FULL1", 1, false);
	struct audit_record rb = record(fx, "FULL2", 1, true);

	assert_int_equal(audit_open("/dev/full", &a), 0);
	assert_non_null(a);
	assert_int_equal(audit_failures(a), 0);
	assert_int_equal(audit_write(a, &r), -ENOSPC);
	assert_int_equal(audit_failures(a), 1);
	assert_int_equal(audit_write(a, &rb), -ENOSPC);
	assert_int_equal(audit_failures(a), 2);
	audit_syslog(&rb, -ENOSPC);
	audit_close(a);
}

/* A normal file: one JSON line per record, written ones are not counted
 * as failures; the developer-chosen strings are escaped. */
static void one_json_line_per_record(void **state)
{
	struct fixture *fx = *state;
	struct audit_log *a = NULL;
	char path[128];
	struct audit_record r1 = record(fx, "ONE", 1, false);
	struct audit_record r2 = record(fx, "TWO", BIG_CMDS, true);
	struct audit_record r3 = record(fx, "THREE", 2, false);

	snprintf(path, sizeof(path), "%s/audit.jsonl", fx->dir);
	assert_int_equal(audit_open(path, &a), 0);
	r3.action = ACTION_REJECT;
	r3.reason = VR_SECRET_FOUND;
	r3.detail = "line\nbreak \"quoted\"";
	assert_int_equal(audit_write(a, &r1), 0);
	assert_int_equal(audit_write(a, &r2), 0);
	assert_int_equal(audit_write(a, &r3), 0);
	assert_int_equal(audit_failures(a), 0);
	audit_close(a);
	expect_lines(path, "ONE TWO THREE", NULL);

	/* Reopened: appends, never truncates. */
	assert_int_equal(audit_open(path, &a), 0);
	assert_int_equal(audit_write(a, &r1), 0);
	audit_close(a);
	expect_lines(path, "ONE TWO THREE ONE", NULL);
}

/* A crash in the middle of a write leaves a partial last line; the next
 * record must still be a line of its own. */
static void partial_line_at_open(void **state)
{
	struct fixture *fx = *state;
	struct audit_log *a = NULL;
	char path[128];
	struct audit_record r = record(fx, "AFTER", 1, false);
	FILE *f;

	snprintf(path, sizeof(path), "%s/torn.jsonl", fx->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"incident\":\"BEFORE\"}\n{\"incident\":\"CUT", f);
	fclose(f);
	assert_int_equal(audit_open(path, &a), 0);
	assert_int_equal(audit_write(a, &r), 0);
	audit_close(a);
	expect_lines(path, "BEFORE AFTER", "2");
}

static int fill_until_enospc(const char *path)
{
	static char block[4096];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ssize_t w;

	if (fd < 0)
		return -errno;
	memset(block, 'x', sizeof(block));
	do
		w = write(fd, block, sizeof(block));
	while (w > 0);
	/* The last page may take a few more bytes. */
	do
		w = write(fd, block, 1);
	while (w > 0);
	close(fd);
	return errno == ENOSPC ? 0 : -errno;
}

/* A full tmpfs: the large record gets a short write and then ENOSPC; it
 * must leave nothing behind, so the small record after it (which still
 * fits in the file's last page) is a clean line.  Once space is freed the
 * large record is written whole. */
static void short_write_leaves_no_partial_line(void **state)
{
	struct fixture *fx = *state;
	struct audit_log *a = NULL;
	char path[128], filler[128];
	struct audit_record small = record(fx, "SMALL1", 1, false);
	struct audit_record small2 = record(fx, "SMALL2", 1, false);
	struct audit_record big = record(fx, "BIG", BIG_CMDS, true);
	off_t before;

	must_be_root();
	if (mount("tmpfs", fx->dir, "tmpfs", 0, "size=64k,mode=0700") != 0)
		fail_msg("mount tmpfs on %s: %s", fx->dir, strerror(errno));
	fx->mounted = true;
	snprintf(path, sizeof(path), "%s/audit.jsonl", fx->dir);
	snprintf(filler, sizeof(filler), "%s/filler", fx->dir);
	assert_int_equal(audit_open(path, &a), 0);
	assert_int_equal(audit_write(a, &small), 0);
	assert_int_equal(fill_until_enospc(filler), 0);

	before = file_size(path);
	assert_true(before < 4096);
	/* The big record is several pages: the kernel takes what fits in
	 * the file's last page, then refuses. */
	assert_int_equal(audit_write(a, &big), -ENOSPC);
	assert_int_equal(audit_failures(a), 1);
	assert_int_equal(file_size(path), before);
	expect_lines(path, "SMALL1", NULL);

	/* The next record starts where the first ended. */
	assert_int_equal(audit_write(a, &small2), 0);
	assert_int_equal(audit_failures(a), 1);
	expect_lines(path, "SMALL1 SMALL2", NULL);

	assert_int_equal(unlink(filler), 0);
	assert_int_equal(audit_write(a, &big), 0);
	assert_int_equal(audit_failures(a), 1);
	expect_lines(path, "SMALL1 SMALL2 BIG", NULL);
	audit_close(a);
}

/* A record above the line limit: without its findings list when that is
 * what makes it large (the refs and the count stay); refused whole when
 * even that does not fit, and counted like any other failure. */
static void oversized_record(void **state)
{
	struct fixture *fx = *state;
	struct audit_log *a = NULL;
	char path[128];
	struct audit_record r = record(fx, "MANYFINDINGS", 1, true);
	struct push_finding *f = calloc(200, sizeof(*f));
	struct push_command *cmds = calloc(4096, sizeof(*cmds));
	char *longpath = malloc(40000);
	size_t i;
	off_t before;

	assert_non_null(f);
	assert_non_null(cmds);
	assert_non_null(longpath);
	memset(longpath, 'p', 39999);
	longpath[39999] = '\0';
	for (i = 0; i < 200; i++) {
		f[i] = fx->finding;
		f[i].path = longpath;
	}
	r.findings = f;
	r.n_findings = 200;
	snprintf(path, sizeof(path), "%s/audit.jsonl", fx->dir);
	assert_int_equal(audit_open(path, &a), 0);
	assert_int_equal(audit_write(a, &r), 0);
	expect_lines(path, "MANYFINDINGS", NULL);
	{
		char cmd[512];

		snprintf(cmd, sizeof(cmd), "python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).read()); "
			 "assert r[\"findings_omitted\"] and r[\"finding_count\"]==200 and len(r[\"refs\"])==1' '%s'",
			 path);
		assert_int_equal(system(cmd), 0);
	}

	for (i = 0; i < 4096; i++) {
		memset(cmds[i].ref, 'r', PUSH_REF_MAX - 1);
		memset(cmds[i].old_oid, '0', 40);
		memset(cmds[i].new_oid, 'a', 40);
	}
	r = record(fx, "MANYREFS", 1, false);
	r.cmds = cmds;
	r.n_cmds = 4096;
	before = file_size(path);
	assert_int_equal(audit_write(a, &r), ERR_LIMIT);
	assert_int_equal(audit_failures(a), 1);
	assert_int_equal(file_size(path), before);
	audit_close(a);
	free(f);
	free(cmds);
	free(longpath);
}

/* The syslog message of a push refused for its record, caught on a
 * /dev/log socket of our own: a child process in a private mount
 * namespace with a tmpfs over /dev, so the machine's /dev is untouched.
 * Client-chosen text cannot forge a second line. */
static int syslog_child(struct fixture *fx)
{
	struct audit_record r = record(fx, "SYSLOGREFUSED", 1, true);
	struct sockaddr_un sa;
	struct timeval tv = { 5, 0 };
	char msg[2048];
	ssize_t n;
	int fd;

	if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("tmpfs", "/dev", "tmpfs", 0, "size=64k") != 0)
		return 2;
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/dev/log");
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0)
		return 3;
	r.action = ACTION_REJECT;
	r.reason = VR_AUDIT_FAILED;
	r.user = "eve\npush allow repo=/app.git";
	audit_syslog(&r, -ENOSPC);
	n = recv(fd, msg, sizeof(msg) - 1, 0);
	if (n <= 0)
		return 4;
	msg[n] = '\0';
	fprintf(stderr, "syslog: %s\n", msg);
	if (!strstr(msg, "push reject ") || !strstr(msg, "reason=AUDIT_FAILED") ||
	    !strstr(msg, "incident=SYSLOGREFUSED") || !strstr(msg, "bypass=false-positive") ||
	    !strstr(msg, "record=No space left on device"))
		return 5;
	if (strchr(msg, '\n') || !strstr(msg, "user=eve?push?allow?repo=/app.git findings=1"))
		return 6;
	return 0;
}

static void syslog_names_the_refusal(void **state)
{
	pid_t pid;
	int st;

	must_be_root();
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(syslog_child(*state));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* What a durable record costs on the disk the test runs on (the build
 * directory): bypass records are fdatasync'ed, clean ones are not.  The
 * figures are printed; the assertion is that every record is written. */
static void durable_record_cost(void **state)
{
	struct fixture *fx = *state;
	struct audit_log *a = NULL;
	char path[160];
	struct audit_record clean = record(fx, "C", 1, false);
	struct audit_record bypass = record(fx, "B", 1, true);
	double t0, t_clean, t_durable;
	int i, n = 200;

	snprintf(path, sizeof(path), "./test_audit-cost.%ld.jsonl", (long)getpid());
	assert_int_equal(audit_open(path, &a), 0);
	t0 = now_us();
	for (i = 0; i < n; i++)
		assert_int_equal(audit_write(a, &clean), 0);
	t_clean = (now_us() - t0) / n;
	t0 = now_us();
	for (i = 0; i < n; i++)
		assert_int_equal(audit_write(a, &bypass), 0);
	t_durable = (now_us() - t0) / n;
	audit_close(a);
	assert_int_equal(file_size(path) > 0, 1);
	unlink(path);
	printf("audit record cost: %.1f us plain, %.1f us with fdatasync (%d each)\n", t_clean,
	       t_durable, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(dev_full_fails_and_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(one_json_line_per_record, setup, teardown),
		cmocka_unit_test_setup_teardown(partial_line_at_open, setup, teardown),
		cmocka_unit_test_setup_teardown(short_write_leaves_no_partial_line, setup, teardown),
		cmocka_unit_test_setup_teardown(oversized_record, setup, teardown),
		cmocka_unit_test_setup_teardown(syslog_names_the_refusal, setup, teardown),
		cmocka_unit_test_setup_teardown(durable_record_cost, setup, teardown),
	};

	return cmocka_run_group_tests_name("netproxy/audit/", tests, NULL, NULL);
}
