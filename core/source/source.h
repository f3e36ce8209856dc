/*
 * source.h - offline inputs for `sluice scan`: files, directory trees,
 * git repositories and .pack files, all scanned by the same engine.
 *
 * - A regular file is scanned as one object; its path in the report is
 *   relative to the argument's root (the argument itself for a file).
 * - A directory is walked recursively (dot-files included, symlinks not
 *   followed, depth bounded by LIMIT_DIR_DEPTH).  A directory that is a
 *   git work tree (has .git) or a bare repository is scanned as a
 *   repository instead, unless opts.no_git is set; then its working files
 *   are scanned and .git is skipped.
 * - A repository: `git pack-objects --all --stdout` streams every object
 *   reachable from any ref into the pack parser (core/pack), so each
 *   unique blob is scanned once, and paths and commits come from the
 *   commits and trees of that pack (core/pack/attrib.h).  Needs `git` on
 *   PATH.  SHA-256 repositories are supported when git supports them.
 * - Files that are IaC (core/iac: by path and first bytes) and at most
 *   LIMIT_IAC_FILE_BYTES_DEFAULT long are also evaluated by the IaC
 *   checks; in repositories and packs, after their paths are known.
 * - "-" is standard input, scanned as one object named "(stdin)".
 * - A file whose first bytes are "PACK" and whose name ends in .pack is
 *   read through the pack parser directly (pack_fd, no spool copy).
 *
 * Errors never stop a scan: unreadable files, corrupt packs, limits are
 * recorded in the report (report_error) and the scan goes on; the caller
 * turns any recorded error into exit status 2.
 */
#ifndef SLUICE_SOURCE_SOURCE_H
#define SLUICE_SOURCE_SOURCE_H

#include "core/base/api.h"
#include "core/match/match.h"
#include "core/report/report.h"

/* Read size for plain files and pipes. */
#define SOURCE_READ_CHUNK (256u * 1024)

struct iac_checkset;

struct scan_opts {
	bool no_git;		/* scan work trees as files, not history */
	bool progress;		/* a progress line on stderr */
	const char *spool_dir;	/* temp files of the pack parser */
	const struct iac_checkset *iac;	/* IaC checks, NULL for secrets only */
};

struct scanner {
	const struct ruleset *rs;	/* borrowed */
	struct match_scratch *sc;	/* owned */
	struct report *rep;		/* borrowed */
	struct scan_opts opts;
	uint8_t *chunk;			/* read buffer, SOURCE_READ_CHUNK */
	double last_progress;		/* monotonic seconds of last line */
	/* IaC files of the directory being walked, evaluated together at
	 * the end of the walk (iac_set: variables, partners, modules). */
	struct iac_set *iac_set;
	uint8_t **iac_bufs;		/* their contents, owned */
	size_t n_iac_bufs, cap_iac_bufs;
	size_t iac_kept;		/* bytes held */
	bool iac_walk;			/* a directory walk keeps them */
};

int scanner_init(struct scanner *s, const struct ruleset *rs, struct report *rep,
		 const struct scan_opts *opts);
void scanner_release(struct scanner *s);

/* Scans one command-line argument.  Returns 0 when the argument could be
 * read at all (per-object errors are in the report), else a negative code
 * (also recorded in the report). */
int scan_path(struct scanner *s, const char *path);

/* Scans an in-memory object (used by tests and the proxy). */
int scan_buffer(struct scanner *s, const char *path, const uint8_t *p, size_t n);

#endif
