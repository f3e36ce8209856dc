/*
 * report.h - collect findings of an offline scan and write them as text
 * (for a person), JSON (for tools) or SARIF 2.1.0 (for code hosts).
 *
 * Every written form carries the redacted secret and the fingerprint,
 * never the secret itself: the secret is not stored in a finding at all.
 *
 * Ownership: the report copies the path and ids it is given.  The ruleset
 * must outlive the report.
 */
#ifndef SLUICE_REPORT_REPORT_H
#define SLUICE_REPORT_REPORT_H

#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/match/match.h"
#include "core/match/ruleset.h"

struct iac_checkset;
struct iac_finding;

#include <stdio.h>

/* Findings kept in one report; beyond it they are counted only (and the
 * summary says so), so a scan of a huge generated tree stays bounded. */
#define REPORT_MAX_FINDINGS 1000000u
/* Errors kept verbatim. */
#define REPORT_MAX_ERRORS 10000u

enum report_format { REPORT_TEXT, REPORT_JSON, REPORT_SARIF };

enum report_kind { REPORT_SECRET, REPORT_IAC };

/* An IaC result as the report keeps it (core/iac/iac.h: iac_finding). */
struct report_iac {
	uint32_t check;			/* checkset index; UINT32_MAX: file-level */
	bool unknown;			/* UNKNOWN rather than FAIL */
	uint32_t end_line;		/* block range end */
	char resource[160];		/* azurerm_storage_account.logs */
	char found[160];		/* what was found, printable */
	char reason[160];		/* suppression reason */
};

struct report_entry {
	enum report_kind kind;
	char *path;			/* relative to the scanned root */
	char commit[65];		/* hex, "" when not from git history */
	char blob[65];			/* hex, "" for plain files */
	struct finding f;		/* secrets: copy; IaC: rule unused,
					 * line, column and status used */
	struct report_iac iac;		/* IaC only */
};

struct report {
	const struct ruleset *rs;	/* borrowed */
	const struct iac_checkset *iac;	/* borrowed, may be NULL */
	struct report_entry *entries;
	size_t n, cap;
	uint64_t dropped;		/* findings beyond REPORT_MAX_FINDINGS */
	char **errors;			/* "path: reason" lines */
	size_t n_errors;
	uint64_t objects;		/* files or blobs scanned */
	uint64_t bytes;			/* bytes scanned */
	uint64_t binary_objects;	/* scanned with the block tier only */
	uint64_t limit_hits;		/* objects stopped by a named limit */
};

void report_init(struct report *r, const struct ruleset *rs);
void report_release(struct report *r);
/* Adds a finding.  0 or ERR_NOMEM. */
int report_add(struct report *r, const char *path, const char *commit_hex,
	       const char *blob_hex, const struct finding *f);
/* Adds an IaC result (FAIL or UNKNOWN; suppressed ones too).  0 or
 * ERR_NOMEM. */
int report_add_iac(struct report *r, const char *path, const char *commit_hex,
		   const char *blob_hex, const struct iac_finding *f);
/* Records an error line ("path: reason"); never fails (drops on OOM). */
void report_error(struct report *r, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Sorts entries by path, line, column, rule. */
void report_sort(struct report *r);
/* Open findings at SARIF level "error" (block-tier secrets; critical and
 * high IaC failures): decides exit status 1. */
size_t report_blocking(const struct report *r);
/* Writes the report.  colour: ANSI colours in text output. */
int report_write(const struct report *r, enum report_format fmt, FILE *out, bool colour);
int report_format_parse(const char *s, enum report_format *out);

/* JSON string escaping into a buffer (used by other writers too). */
int json_escape(struct buf *b, const char *s, size_t len);

#endif
