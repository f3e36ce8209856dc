/*
 * helm.h - Helm charts rendered with their default values, so that the
 * Kubernetes checks apply to what a chart would install.
 *
 * A chart is a directory holding Chart.yaml beside a templates/ directory
 * (helm_is_chart()).  helm_render() takes the chart's files already in
 * memory (no file I/O here: `sluice scan` reads a directory, the push
 * scanner keeps blobs until their paths are known) and executes every
 * templates/ file that does not start with "_" and ends in .yaml, .yml or
 * .tpl against a fixed root object:
 *
 *   .Values        values.yaml (YAML 1.1 typing; anchors shared, not copied)
 *   .Chart         Chart.yaml keys with their first letter upper-cased
 *                  (.Chart.Name, .Chart.Version, .Chart.AppVersion, ...)
 *   .Release       Name "release-name", Namespace "default", Service "Helm",
 *                  IsInstall true, IsUpgrade false, Revision 1
 *   .Capabilities  KubeVersion v1.30.0 (.Version, .GitVersion, .Major,
 *                  .Minor); .APIVersions.Has answers for the GA groups of
 *                  that version
 *   .Template      .Name and .BasePath of the file being rendered, as
 *                  Helm names them ("web/templates/x.yaml", "web/templates")
 *   .Files         unknown (its methods give unknown values)
 *
 * The supported subset of the template language (rules/packs/README-iac.md
 * "Helm charts"): text, {{- -}} trimming, comments, pipelines, parenthesised
 * pipelines, field chains on ., $ and variables, $x := / $x = , if / else
 * if / else, with / else, range over lists, maps (sorted keys) and
 * integers with one or two variables, break, continue, define, template,
 * block, every template file as a named template ("<chart>/templates/x.yaml",
 * with .Template.Name and .BasePath to match), and the functions default,
 * quote, squote, toYaml, toJson, nindent, indent, trim, trunc, trimSuffix,
 * trimPrefix, lower, upper, title, printf (%s %d %v %q), print, cat,
 * replace, b64enc, sha256sum, required, tpl, eq, ne, lt, le, gt, ge, and,
 * or, not, empty, hasKey, index, get, keys, has, first, last, list, dict,
 * merge, mergeOverwrite, deepCopy, set, semverCompare, contains,
 * hasPrefix, hasSuffix, splitList, join, toString, int, int64, add, add1,
 * sub, mul, div, mod, max, min, kindIs, kindOf, ternary, coalesce, lookup,
 * fail, include, len, until, fromYaml, fromJson, append, concat, tuple,
 * trimAll, repeat, nospace; random and time functions (randAlphaNum,
 * uuidv4, now, date) give unknown values.
 *
 * Unknown, never guessed.  A value that cannot be known with defaults
 * (required without a value, tpl, .Files, lookup results are empty maps as
 * in `helm template`) is an unknown value: functions of it are unknown,
 * and printed inline after other text on its line it becomes the marker
 * "{{ unknown }}", which the YAML parser turns into an UNKNOWN scalar.  An
 * unknown value that decides a branch or a range, is printed alone on its
 * line, or any unsupported construct (an unknown function, a method call,
 * a syntax error, fail) makes the whole template file HELM_UNKNOWN with the
 * reason and the template line; a limit hit does too, with a reason
 * starting "limit:".
 *
 * Lines: each rendered output line carries the template line it came
 * from: the line of the first non-blank byte written to it (text keeps its
 * own lines; the output of an action, including multi-line toYaml/include
 * output, gets the action's line; output of a named template from another
 * file gets the line of the outermost call in this file).
 *
 * Bounds (core/base/limits.h LIMIT_HELM_*): output bytes (and line-map
 * entries) per file and per chart, steps (actions, function calls, string
 * bytes / 64, iterations, toYaml nodes) per chart, control nesting (also
 * across includes, which bounds the C stack), expression nesting, include
 * depth, range iterations, variables, files, texts and actions, memory.
 * Calls share nothing (the chart's state is on the caller's stack and in
 * one arena) and are reentrant.
 */
#ifndef SLUICE_IAC_HELM_H
#define SLUICE_IAC_HELM_H

#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/iac/iac.h"

/* One file of the chart, path relative to the chart directory
 * ("Chart.yaml", "values.yaml", "templates/deployment.yaml").  A template
 * with data NULL and len > 0 was too large to read: it is reported as a
 * limit, never skipped. */
struct helm_file {
	const char *path;
	const uint8_t *data;
	size_t len;
};

struct helm_chart_files {
	const struct helm_file *files;
	size_t n;
};

enum helm_status {
	HELM_RENDERED,		/* text holds the manifests */
	HELM_UNKNOWN,		/* unsupported or a limit: reason, reason_line */
};

struct helm_rendered {
	char *path;			/* "templates/deployment.yaml", owned */
	enum helm_status status;
	uint8_t *text;			/* rendered bytes (HELM_RENDERED), owned */
	size_t len;
	uint32_t *lines;		/* template line of each output line */
	size_t n_lines;
	char reason[160];		/* HELM_UNKNOWN: why; printable ASCII */
	uint32_t reason_line;		/* HELM_UNKNOWN: template line (>= 1) */
};

struct helm_output {
	struct helm_rendered *files;	/* in the order of the input */
	size_t n;
};

void helm_output_init(struct helm_output *o);
void helm_output_release(struct helm_output *o);

/* True when paths (relative to one directory) hold "Chart.yaml" and at
 * least one "templates/..." file. */
bool helm_is_chart(const struct helm_chart_files *in);

/* Renders every template of the chart into out (which must be initialised
 * and is appended to).  Returns 0 when the chart as a whole was read (each
 * file then has its own status), ERR_SYNTAX when Chart.yaml is missing or
 * values.yaml does not parse (one line in err, out untouched), ERR_LIMIT
 * for more than LIMIT_HELM_FILES templates or a values.yaml over the
 * memory limit, ERR_NOMEM, or ERR_USAGE.  err may be NULL. */
int helm_render(const struct helm_chart_files *in, struct helm_output *out, struct buf *err);

/* The template line of output line out_line (1-based) of r; 1 when
 * outside.  *exact (may be NULL) says whether the line was tracked (false:
 * the template's first line is given). */
uint32_t helm_source_line(const struct helm_rendered *r, uint32_t out_line, bool *exact);

/* For callers that evaluate rendered files themselves (with their
 * directory, iac_set_add): the line map of r moved into one allocation
 * (free it with xfree; NULL when out of memory or r is not rendered), and
 * a finding on the rendered text mapped back to the template in place.
 * helm_unknown_finding() fills f with the one UNKNOWN finding of a
 * HELM_UNKNOWN file ("helm: <reason>" at its template line). */
struct helm_linemap;
struct helm_linemap *helm_linemap_take(struct helm_rendered *r);
void helm_linemap_apply(const struct helm_linemap *m, struct iac_finding *f);
void helm_unknown_finding(const struct helm_rendered *r, struct iac_finding *f);

/* A finding on a rendered chart: the iac finding with its lines mapped
 * back to the template, and the template it belongs to. */
struct helm_finding {
	char path[256];			/* "templates/deployment.yaml" */
	bool line_exact;		/* line tracked to the template, else 1 */
	struct iac_finding f;
};

/* helm_render() then iac_scan_ex() (format forced to Kubernetes) of each
 * rendered file; a HELM_UNKNOWN file gives one IAC_CHECK_NONE UNKNOWN
 * finding "helm: <reason>" at its reason line, and a chart that cannot be
 * read gives one such finding on "Chart.yaml".  Findings are appended to
 * *out (NULL or from an earlier call, xrealloc'd; the caller xfrees it).
 * Returns 0, ERR_NOMEM or ERR_USAGE. */
int helm_scan_chart(const struct iac_checkset *cs, const struct helm_chart_files *in,
		    struct helm_finding **out, size_t *n_out);
/* The same for one rendered file of helm_render()'s output. */
int helm_scan_rendered(const struct iac_checkset *cs, const struct helm_rendered *r,
		       struct helm_finding **out, size_t *n_out);

#endif
