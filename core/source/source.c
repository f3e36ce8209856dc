/*
 * source.c - enumerate offline inputs and feed them to the matcher.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/base/limits.h"
#include "core/iac/helm.h"
#include "core/iac/iac.h"
#include "core/pack/pack.h"
#include "core/push/packscan.h"
#include "core/source/source.h"

#include <dirent.h>
#include <mbedtls/sha1.h>
#include <mbedtls/sha256.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress(struct scanner *s, const char *what)
{
	double t;

	if (!s->opts.progress)
		return;
	t = now_seconds();
	if (t - s->last_progress < 0.5)
		return;
	s->last_progress = t;
	fprintf(stderr, "\r\033[Kscanning: %llu objects, %.1f MB, %zu findings  %.60s",
		(unsigned long long)s->rep->objects, (double)s->rep->bytes / 1e6, s->rep->n,
		what);
}

int scanner_init(struct scanner *s, const struct ruleset *rs, struct report *rep,
		 const struct scan_opts *opts)
{
	memset(s, 0, sizeof(*s));
	s->rs = rs;
	s->rep = rep;
	if (opts)
		s->opts = *opts;
	s->chunk = xmalloc(SOURCE_READ_CHUNK);
	if (!s->chunk)
		return ERR_NOMEM;
	return match_scratch_new(rs, &s->sc);
}

void scanner_release(struct scanner *s)
{
	if (s->opts.progress && s->last_progress > 0)
		fprintf(stderr, "\r\033[K");
	match_scratch_free(s->sc);
	xfree(s->chunk);
	s->sc = NULL;
	s->chunk = NULL;
}

static int collect(struct scanner *s, struct match_stream *ms, const char *path,
		   const char *commit, const char *blob)
{
	size_t i;
	int err = 0;

	if (ms->binary)
		s->rep->binary_objects++;
	if (ms->findings_over_limit)
		report_error(s->rep, path, "%llu more findings than the per-object limit (%u) "
			     "were not stored", (unsigned long long)ms->findings_over_limit,
			     LIMIT_FINDINGS_PER_OBJECT);
	for (i = 0; !err && i < ms->n_findings; i++)
		err = report_add(s->rep, path, commit, blob, &ms->findings[i]);
	return err;
}

int scan_buffer(struct scanner *s, const char *path, const uint8_t *p, size_t n)
{
	struct match_stream ms;
	int err = match_stream_init(&ms, s->rs, s->sc);

	if (!err)
		err = match_stream_set_object(&ms, path, NULL, n);
	if (!err)
		err = match_stream_feed(&ms, p, n);
	if (!err)
		err = match_stream_finish(&ms);
	if (!err) {
		s->rep->objects++;
		s->rep->bytes += n;
		err = collect(s, &ms, path, NULL, NULL);
	}
	match_stream_release(&ms);
	return err;
}

static void scan_iac(struct scanner *s, const char *path, const uint8_t *p, size_t n,
		     const char *commit, const char *blob)
{
	struct iac_finding *f = NULL;
	size_t nf = 0, i;

	if (iac_scan(s->opts.iac, path, p, n, &f, &nf) != 0) {
		report_error(s->rep, path, "IaC evaluation failed: out of memory");
		return;
	}
	for (i = 0; i < nf; i++)
		report_add_iac(s->rep, path, commit, blob, &f[i]);
	xfree(f);
}

static int set_report(void *arg, const char *path, void *user, const struct iac_finding *f, size_t n)
{
	struct scanner *s = arg;
	size_t i;

	for (i = 0; i < n; i++) {
		struct iac_finding m = f[i];

		/* user: the line map of a rendered Helm template (chart_keep),
		 * which puts the finding at the template's line; else NULL */
		helm_linemap_apply(user, &m);
		if (report_add_iac(s->rep, path, NULL, NULL, &m))
			return ERR_NOMEM;
	}
	return 0;
}

/* Evaluates the IaC files kept so far, each with its directory. */
static void iac_flush(struct scanner *s)
{
	size_t i;

	if (s->iac_set && iac_set_scan(s->opts.iac, NULL, s->iac_set, set_report, s) != 0)
		report_error(s->rep, ".", "IaC evaluation failed: out of memory");
	iac_set_free(s->iac_set);
	s->iac_set = NULL;
	for (i = 0; i < s->n_iac_bufs; i++)
		xfree(s->iac_bufs[i]);
	xfree(s->iac_bufs);
	s->iac_bufs = NULL;
	s->n_iac_bufs = s->cap_iac_bufs = 0;
	s->iac_kept = 0;
}

/* Takes ownership of p until the next iac_flush(); ERR_NOMEM leaves it
 * with the caller. */
static int iac_own(struct scanner *s, void *p)
{
	if (array_reserve(&s->iac_bufs, &s->cap_iac_bufs, s->n_iac_bufs, sizeof(*s->iac_bufs), 16))
		return ERR_NOMEM;
	s->iac_bufs[s->n_iac_bufs++] = p;
	return 0;
}

/* Keeps a whole IaC (or tfvars, kustomization) file for the directory's
 * evaluation; the data moves out of whole.  Past LIMIT_IAC_KEPT_BYTES the
 * files so far are evaluated first (context across that cut is lost). */
static void iac_keep(struct scanner *s, const char *display, struct buf *whole)
{
	uint8_t *data = whole->data;
	size_t len = whole->len;

	if (s->iac_kept + len > LIMIT_IAC_KEPT_BYTES)
		iac_flush(s);
	if (!data || (!s->iac_set && iac_set_new(&s->iac_set)) || iac_own(s, data)) {
		scan_iac(s, display, data ? data : (const uint8_t *)"", len, NULL, NULL);
		return;
	}
	buf_init(whole, LIMIT_IAC_FILE_BYTES_DEFAULT);	/* data is ours now */
	s->iac_kept += len;
	if (iac_set_add(s->iac_set, display, data, len, NULL))
		report_error(s->rep, display, "IaC evaluation failed: out of memory");
}

static int scan_fd(struct scanner *s, int fd, const char *display)
{
	struct match_stream ms;
	struct buf whole;
	bool iac = false, first = true;
	ssize_t r;
	uint64_t total = 0;
	struct stat st;
	int err = match_stream_init(&ms, s->rs, s->sc);

	/* the size makes the blob id of a file a path rule reports */
	if (!err)
		err = match_stream_set_object(&ms, display, NULL,
					      fstat(fd, &st) == 0 && S_ISREG(st.st_mode)
					      ? (uint64_t)st.st_size : UINT64_MAX);
	buf_init(&whole, LIMIT_IAC_FILE_BYTES_DEFAULT);
	while (!err && (r = read(fd, s->chunk, SOURCE_READ_CHUNK)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (first && s->opts.iac)
			iac = iac_detect(display, s->chunk, (size_t)r) != IAC_NONE ||
			      (s->iac_walk && iac_set_wants(display));
		first = false;
		/* An IaC file above the cap is still evaluated: iac_scan gives
		 * it one UNKNOWN "limit" finding, never a silent pass. */
		if (iac && buf_append(&whole, s->chunk, (size_t)r) != 0) {
			iac = false;
			scan_iac(s, display, NULL, LIMIT_IAC_FILE_BYTES_DEFAULT + 1, NULL, NULL);
		}
		total += (uint64_t)r;
		err = match_stream_feed(&ms, s->chunk, (size_t)r);
	}
	if (!err && iac && s->iac_walk)
		iac_keep(s, display, &whole);
	else if (!err && iac)
		scan_iac(s, display, whole.data ? whole.data : (const uint8_t *)"", whole.len, NULL, NULL);
	buf_release(&whole);
	if (!err)
		err = match_stream_finish(&ms);
	if (!err) {
		s->rep->objects++;
		s->rep->bytes += total;
		err = collect(s, &ms, display, NULL, NULL);
	} else {
		report_error(s->rep, display, "%s", err_str(err));
	}
	match_stream_release(&ms);
	progress(s, display);
	return err;
}

/* --- packs ------------------------------------------------------------ */

/* Feeds a pack from fd (a pipe or a file) through packscan and reports its
 * findings with commit and path. */
static int scan_pack_stream(struct scanner *s, int fd, bool seekable, const char *display,
			    enum pack_hash_algo algo)
{
	struct packscan_params pp;
	struct packscan *ps = NULL;
	struct packscan_stats st;
	struct dec_result r = { DEC_OK, 0, 0, 0 };
	bool stopped = false;
	ssize_t n;
	size_t i, j;
	int err;

	memset(&pp, 0, sizeof(pp));
	pp.rs = s->rs;
	pp.sc = s->sc;
	pp.algo = algo;
	pack_limits_default(&pp.limits);
	pp.pack_fd = seekable ? fd : -1;
	pp.spool_dir = s->opts.spool_dir;
	pp.iac = s->opts.iac;
	err = packscan_new(&pp, &ps);
	while (!err && !stopped && (n = read(fd, s->chunk, SOURCE_READ_CHUNK)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		r = packscan_feed(ps, s->chunk, (size_t)n);
		if (r.status == DEC_ERR)
			err = r.err;
		else if (r.status == DEC_STOP)
			stopped = true;
		progress(s, display);
	}
	if (!err && !stopped) {
		r = packscan_finish(ps);
		if (r.status == DEC_ERR)
			err = r.err;
	}
	if (!ps)
		return err;
	if (err)
		report_error(s->rep, display, "pack not fully read: %s", err_str(err));
	/* Attribute what was found, even after an error: a partial pack
	 * still yields findings worth reporting. */
	if (packscan_resolve(ps) != 0)
		report_error(s->rep, display, "paths could not be resolved");
	packscan_stats(ps, &st);
	s->rep->objects += st.blobs;
	s->rep->bytes += st.blob_bytes;
	s->rep->binary_objects += st.binary_blobs;
	if (st.pack.limit_hit != PACK_LIMIT_NONE)
		s->rep->limit_hits++;
	if (st.findings_over_limit)
		report_error(s->rep, display, "%llu findings above the per-object limit were not "
			     "stored", (unsigned long long)st.findings_over_limit);
	for (i = 0; i < packscan_blob_count(ps); i++) {
		struct packscan_blob b;

		packscan_blob_get(ps, i, &b);
		for (j = 0; j < b.n; j++)
			if (report_add(s->rep, b.path, b.commit, b.blob, &b.findings[j]))
				err = ERR_NOMEM;
	}
	for (i = 0; i < packscan_iac_count(ps); i++) {
		struct packscan_iac b;

		packscan_iac_get(ps, i, &b);
		for (j = 0; j < b.n; j++)
			if (report_add_iac(s->rep, b.path, b.commit, b.blob, &b.findings[j]))
				err = ERR_NOMEM;
	}
	if (st.iac_not_evaluated)
		report_error(s->rep, display, "%llu IaC file(s) not evaluated: more than %u MiB of "
			     "IaC candidates in one pack", (unsigned long long)st.iac_not_evaluated,
			     LIMIT_IAC_KEPT_BYTES >> 20);
	packscan_free(ps);
	return err;
}

static bool is_git_dir(const char *dir)
{
	struct buf p;
	struct stat st;
	bool yes;

	buf_init(&p, 8192);
	buf_printf(&p, "%s/objects", dir);
	buf_append(&p, "", 1);
	yes = stat((const char *)p.data, &st) == 0 && S_ISDIR(st.st_mode);
	buf_reset(&p);
	buf_printf(&p, "%s/HEAD", dir);
	buf_append(&p, "", 1);
	yes = yes && stat((const char *)p.data, &st) == 0;
	buf_release(&p);
	return yes;
}

/* The repository's object format (extensions.objectFormat): "sha256"
 * repositories have 32-byte ids in their packs. */
static enum pack_hash_algo repo_algo(const char *gitdir)
{
	struct buf path, text;
	bool sha256 = false;

	buf_init(&path, 8192);
	buf_init(&text, 1 << 20);
	/* git writes "objectformat = sha256" under [extensions]. */
	if (buf_printf(&path, "%s/config", gitdir) == 0 &&
	    buf_read_file(&text, (const char *)path.data) == 0 && buf_append(&text, "", 1) == 0)
		sha256 = strcasestr((const char *)text.data, "objectformat = sha256") != NULL;
	buf_release(&path);
	buf_release(&text);
	return sha256 ? PACK_HASH_SHA256 : PACK_HASH_SHA1;
}

/* A .pack file does not name its object format.  Its trailer does: the
 * last 20 bytes are the SHA-1 of the rest in a SHA-1 repository, the
 * last 32 the SHA-256 in a SHA-256 one.  One extra read of the file. */
static enum pack_hash_algo pack_file_algo(int fd)
{
	mbedtls_sha1_context s1;
	mbedtls_sha256_context s2;
	uint8_t buf1[65536], t1[20], t2[32], tail[32];
	struct stat st;
	off_t off = 0, len;
	enum pack_hash_algo algo = PACK_HASH_SHA1;

	if (fstat(fd, &st) != 0 || st.st_size < 12 + 32)
		return algo;
	len = st.st_size;
	if (pread(fd, tail, 32, len - 32) != 32)
		return algo;
	mbedtls_sha1_init(&s1);
	mbedtls_sha256_init(&s2);
	mbedtls_sha1_starts_ret(&s1);
	mbedtls_sha256_starts_ret(&s2, 0);
	while (off < len - 20) {
		size_t want = (size_t)MIN((off_t)sizeof(buf1), len - 20 - off);
		ssize_t n = pread(fd, buf1, want, off);
		size_t n2;

		if (n <= 0)
			break;
		mbedtls_sha1_update_ret(&s1, buf1, (size_t)n);
		/* SHA-256 covers 12 bytes less than SHA-1 does. */
		n2 = off + n > len - 32 ? (size_t)MAX((off_t)0, len - 32 - off) : (size_t)n;
		if (n2)
			mbedtls_sha256_update_ret(&s2, buf1, n2);
		off += n;
	}
	mbedtls_sha1_finish_ret(&s1, t1);
	mbedtls_sha256_finish_ret(&s2, t2);
	if (memcmp(t1, tail + 12, 20) != 0 && memcmp(t2, tail, 32) == 0)
		algo = PACK_HASH_SHA256;
	mbedtls_sha1_free(&s1);
	mbedtls_sha256_free(&s2);
	return algo;
}

/* `git pack-objects --all --stdout` of a repository into the parser. */
static int scan_repository(struct scanner *s, const char *gitdir, const char *display)
{
	enum pack_hash_algo algo = repo_algo(gitdir);
	char *argv[] = { "git", "--git-dir", (char *)gitdir, "pack-objects", "--all",
			 "--stdout", "-q", "--window=0", NULL };
	posix_spawn_file_actions_t fa;
	int pfd[2], status = 0, err;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) != 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	err = posix_spawnp(&pid, "git", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (err) {
		close(pfd[0]);
		report_error(s->rep, display, "cannot run git: %s", strerror(err));
		return -err;
	}
	err = scan_pack_stream(s, pfd[0], false, display, algo);
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!err && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		report_error(s->rep, display, "git pack-objects failed (is it a repository "
			     "with at least one ref?)");
		err = ERR_IO;
	}
	return err;
}

/* --- files and directories -------------------------------------------- */

static bool looks_like_pack(int fd, const char *name)
{
	size_t len = strlen(name);
	char magic[4];

	if (len < 5 || strcmp(name + len - 5, ".pack") != 0)
		return false;
	if (pread(fd, magic, 4, 0) != 4)
		return false;
	return memcmp(magic, "PACK", 4) == 0;
}

static int scan_file_at(struct scanner *s, int dirfd, const char *name, const char *display)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	int err;

	if (fd < 0) {
		err = -errno;
		report_error(s->rep, display, "%s", err_str(err));
		return err;
	}
	if (looks_like_pack(fd, name))
		err = scan_pack_stream(s, fd, true, display, pack_file_algo(fd));
	else
		err = scan_fd(s, fd, display);
	close(fd);
	return err;
}

/* --- Helm charts ------------------------------------------------------ */

/* A chart: Chart.yaml beside a templates/ directory (core/iac/helm.h). */
static bool is_chart_dir(int dirfd)
{
	struct stat st;

	return fstatat(dirfd, "Chart.yaml", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
	       fstatat(dirfd, "templates", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

struct chart_files {
	struct helm_file *f;
	size_t n, cap, bytes;
};

/* Reads dirfd/name as the chart file `path`; a missing or unreadable file
 * is left out (helm_render says what a chart lacks), one too large is
 * passed without data (helm_render reports the limit). */
static void chart_read(struct chart_files *c, int dirfd, const char *name, const char *path)
{
	struct helm_file *hf;
	struct buf b;
	char chunk[16384];
	ssize_t r = 0;
	int fd;

	if (c->n >= LIMIT_HELM_FILES + 2 || c->bytes >= LIMIT_IAC_KEPT_BYTES ||
	    array_reserve(&c->f, &c->cap, c->n, sizeof(*c->f), 16))
		return;
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return;
	buf_init(&b, LIMIT_HELM_FILE_OUTPUT);
	while ((r = read(fd, chunk, sizeof(chunk))) > 0 || (r < 0 && errno == EINTR))
		if (r > 0 && buf_append(&b, chunk, (size_t)r))
			break;
	close(fd);
	hf = &c->f[c->n];
	hf->path = xstrdup(path);
	if (!hf->path) {
		buf_release(&b);
		return;
	}
	hf->data = r == 0 ? b.data : NULL;
	hf->len = r == 0 ? b.len : LIMIT_HELM_FILE_OUTPUT + 1;
	if (r != 0)
		buf_release(&b);
	c->bytes += b.len;
	c->n++;
}

/* templates/ and its subdirectories (Helm reads them all). */
static void chart_read_dir(struct chart_files *c, int parent, const char *name, const char *path,
			   unsigned depth)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	struct dirent *de;
	char sub[4096];
	DIR *d;

	if (fd < 0)
		return;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (de->d_name[0] == '.' || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    (size_t)snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >= sizeof(sub))
			continue;
		if (S_ISREG(st.st_mode))
			chart_read(c, dirfd(d), de->d_name, sub);
		else if (S_ISDIR(st.st_mode) && depth < 8)
			chart_read_dir(c, dirfd(d), de->d_name, sub, depth + 1);
	}
	closedir(d);
}

/* Keeps one rendered manifest for the directory evaluation (iac_set), so
 * the chart's manifests are evaluated with each other: its text and line
 * map move into the kept buffers, and the map is the set's user pointer
 * (set_report).  False when not kept: outside a walk, empty, or not
 * detected as Kubernetes by the set (then it is evaluated alone, as
 * Kubernetes, never dropped). */
static bool chart_keep(struct scanner *s, const char *path, struct helm_rendered *r)
{
	struct helm_linemap *m;
	uint8_t *data = r->text;

	if (!s->iac_walk || !r->len ||
	    iac_detect(path, r->text, r->len < 16384 ? r->len : 16384) != IAC_KUBERNETES)
		return false;
	if (s->iac_kept + r->len > LIMIT_IAC_KEPT_BYTES)
		iac_flush(s);
	if ((!s->iac_set && iac_set_new(&s->iac_set)) || !(m = helm_linemap_take(r)))
		return false;
	if (iac_own(s, m)) {
		xfree(m);
		return false;
	}
	if (iac_own(s, data))
		return false;	/* m is freed with the set's buffers */
	r->text = NULL;
	s->iac_kept += r->len;
	if (iac_set_add(s->iac_set, path, data, r->len, m))
		report_error(s->rep, path, "IaC evaluation failed: out of memory");
	return true;
}

/* One rendered file: UNKNOWN when it could not be rendered, else kept for
 * the directory or evaluated now. */
static void chart_file(struct scanner *s, const char *path, struct helm_rendered *r)
{
	struct helm_finding *f = NULL;
	struct iac_finding u;
	size_t nf = 0, i;

	if (r->status == HELM_UNKNOWN) {
		helm_unknown_finding(r, &u);
		report_add_iac(s->rep, path, NULL, NULL, &u);
		return;
	}
	if (chart_keep(s, path, r))
		return;
	if (helm_scan_rendered(s->opts.iac, r, &f, &nf) != 0)
		report_error(s->rep, path, "IaC evaluation failed: out of memory");
	for (i = 0; i < nf; i++)
		report_add_iac(s->rep, path, NULL, NULL, &f[i].f);
	xfree(f);
}

/* Renders the chart in dirfd with its default values; its templates'
 * Kubernetes findings are reported as "<rel>/templates/x.yaml" at the
 * template line.  Its raw templates then get the secret scan only. */
static void scan_chart(struct scanner *s, int dirfd, const struct buf *rel)
{
	struct chart_files c = { 0 };
	struct helm_chart_files in;
	struct helm_output o;
	struct buf msg;
	size_t i;
	char path[4096];
	const char *dir = rel->len ? (const char *)rel->data : "";
	int err;

	chart_read(&c, dirfd, "Chart.yaml", "Chart.yaml");
	chart_read(&c, dirfd, "values.yaml", "values.yaml");
	chart_read_dir(&c, dirfd, "templates", "templates", 0);
	in.files = c.f;
	in.n = c.n;
	helm_output_init(&o);
	buf_init(&msg, 512);
	err = helm_render(&in, &o, &msg);
	if (err == ERR_NOMEM || err == ERR_USAGE) {
		report_error(s->rep, rel->len ? dir : ".", "Helm rendering failed: %s", err_str(err));
	} else if (err) {	/* the chart as a whole: one UNKNOWN on Chart.yaml */
		struct helm_rendered cr = { .path = "Chart.yaml", .status = HELM_UNKNOWN, .reason_line = 1 };
		struct iac_finding u;

		snprintf(cr.reason, sizeof(cr.reason), "%.*s", (int)MIN(msg.len, sizeof(cr.reason) - 1),
			 msg.data ? (const char *)msg.data : "chart not readable");
		helm_unknown_finding(&cr, &u);
		snprintf(path, sizeof(path), "%s%sChart.yaml", dir, rel->len ? "/" : "");
		report_add_iac(s->rep, path, NULL, NULL, &u);
	}
	for (i = 0; !err && i < o.n; i++) {
		snprintf(path, sizeof(path), "%s%s%s", dir, rel->len ? "/" : "", o.files[i].path);
		chart_file(s, path, &o.files[i]);
	}
	buf_release(&msg);
	helm_output_release(&o);
	for (i = 0; i < c.n; i++) {
		xfree((void *)c.f[i].path);
		xfree((void *)c.f[i].data);
	}
	xfree(c.f);
}

static int walk(struct scanner *s, int dirfd, struct buf *rel, unsigned depth)
{
	DIR *d;
	struct dirent *de;
	size_t base = rel->len;
	int fd;
	bool chart;

	if (depth > LIMIT_DIR_DEPTH) {
		s->rep->limit_hits++;
		report_error(s->rep, rel->len ? (const char *)rel->data : ".",
			     "directory deeper than %u levels not scanned", LIMIT_DIR_DEPTH);
		return 0;
	}
	chart = s->opts.iac && is_chart_dir(dirfd);
	if (chart)
		scan_chart(s, dirfd, rel);
	fd = dup(dirfd);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		rel->len = base;
		if ((base && buf_append(rel, "/", 1)) || buf_append_str(rel, de->d_name) ||
		    buf_append(rel, "", 1)) {
			report_error(s->rep, de->d_name, "path too long");
			continue;
		}
		rel->len--;	/* keep the NUL out of the length */
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			report_error(s->rep, (const char *)rel->data, "%s", strerror(errno));
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			int sub;

			if (strcmp(de->d_name, ".git") == 0)
				continue;	/* history is scanned as a repository */
			sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
			if (sub < 0) {
				report_error(s->rep, (const char *)rel->data, "%s", strerror(errno));
				continue;
			}
			if (chart && strcmp(de->d_name, "templates") == 0) {
				/* rendered by scan_chart: the raw templates
				 * are scanned for secrets, not as manifests */
				const struct iac_checkset *iac = s->opts.iac;

				s->opts.iac = NULL;
				walk(s, sub, rel, depth + 1);
				s->opts.iac = iac;
			} else {
				walk(s, sub, rel, depth + 1);
			}
			close(sub);
		} else if (S_ISREG(st.st_mode)) {
			char *display = xstrdup((const char *)rel->data);

			if (!display)
				break;
			scan_file_at(s, dirfd, de->d_name, display);
			xfree(display);
		}
		/* symlinks, devices, sockets: not content of the tree */
	}
	rel->len = base;
	closedir(d);
	return 0;
}

int scan_path(struct scanner *s, const char *path)
{
	struct stat st;
	int err;

	if (strcmp(path, "-") == 0)
		return scan_fd(s, 0, "(stdin)");

	if (stat(path, &st) != 0) {
		err = -errno;
		report_error(s->rep, path, "%s", err_str(err));
		return err;
	}
	if (S_ISDIR(st.st_mode)) {
		struct buf rel, gd;
		int fd;

		if (!s->opts.no_git) {
			buf_init(&gd, 8192);
			buf_printf(&gd, "%s/.git", path);
			buf_append(&gd, "", 1);
			if (is_git_dir((const char *)gd.data)) {
				err = scan_repository(s, (const char *)gd.data, path);
				buf_release(&gd);
				return err;
			}
			buf_release(&gd);
			if (is_git_dir(path))
				return scan_repository(s, path, path);
		}
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			err = -errno;
			report_error(s->rep, path, "%s", err_str(err));
			return err;
		}
		buf_init(&rel, 65536);
		/* IaC files are evaluated with their directory after the walk. */
		s->iac_walk = s->opts.iac != NULL;
		err = walk(s, fd, &rel, 0);
		s->iac_walk = false;
		iac_flush(s);
		buf_release(&rel);
		close(fd);
		return err;
	}
	if (!S_ISREG(st.st_mode)) {
		report_error(s->rep, path, "not a regular file or directory");
		return ERR_USAGE;
	}
	{
		const char *display = path;

		while (strncmp(display, "./", 2) == 0)
			display += 2;
		return scan_file_at(s, AT_FDCWD, path, display);
	}
}
