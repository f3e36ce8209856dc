/*
 * iac.h - the IaC misconfiguration engine: format detection, parsers that
 * keep line numbers, declarative checks and their evaluation
 * (design/iac.md §1-§9).
 *
 * A caller compiles one or more check packs into a struct iac_checkset
 * (iac_checkset_load), then hands whole files to iac_scan().  The engine
 * detects the format, parses the file into a position-annotated tree,
 * extracts the resources of that format (Terraform resources, ARM/Bicep
 * resources, CloudFormation logical resources, Kubernetes objects and
 * containers, Dockerfile instructions and stages), and evaluates every
 * check bound to each resource's type.  Each (check, resource) gives PASS,
 * FAIL or UNKNOWN; FAIL and UNKNOWN are returned as findings.
 *
 * Whole-file parsing, not push-fed.  Unlike core/decode, the IaC parsers
 * take the complete file: the gate buffers an IaC blob (at most
 * iac_scan_opts.max_file, LIMIT_IAC_FILE_BYTES_DEFAULT) and evaluates it
 * when the blob is complete and its path known (iac.md §2, issue 4), and a
 * check about a missing attribute can only be decided when its block has
 * closed anyway.  Every parser is a single deterministic forward pass with
 * bounded depth, token length, tree size and (YAML) alias expansion; it
 * never recurses on input nesting beyond LIMIT_IAC_DEPTH.  A cap that is
 * hit makes the file's result one UNKNOWN finding whose `found` text names
 * the limit ("limit: nesting depth 256 exceeded"), never a crash, a hang
 * or a silent pass.
 *
 * Unresolvable values (variables without a default in the file, or in the
 * directory when scanned through a set below; module outputs, function
 * calls, "${...}" templates, CloudFormation intrinsics other than Ref to a
 * defaulted parameter, ARM expressions other than parameters()/variables()
 * with literal values) give UNKNOWN, never PASS.
 *
 * Caveats: a checkset is immutable after load and may be shared by any
 * number of threads; iac_scan() keeps all state on its own stack and heap
 * and is reentrant.  Findings are plain data (no pointers into the
 * checkset or the input).
 */
#ifndef SLUICE_IAC_IAC_H
#define SLUICE_IAC_IAC_H

#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/match/rule-t.h"

struct iac_checkset;	/* compiled checks, immutable, shareable across threads */

enum iac_format {
	IAC_NONE,		/* not IaC: nothing is reported */
	IAC_TERRAFORM,		/* HCL native syntax, *.tf */
	IAC_TERRAFORM_JSON,	/* *.tf.json */
	IAC_ARM,		/* ARM deployment template (JSON) */
	IAC_BICEP,		/* *.bicep */
	IAC_CLOUDFORMATION,	/* JSON or YAML template */
	IAC_KUBERNETES,		/* YAML (multi-document) or JSON manifests */
	IAC_DOCKERFILE,		/* Dockerfile, Containerfile, *.dockerfile */
};

/* Binding families: the formats a check binding names in a pack.  ARM and
 * Bicep share one family (same property paths), as do both Terraform
 * syntaxes. */
#define IAC_FAM_TERRAFORM	0x01u
#define IAC_FAM_ARM		0x02u	/* ARM JSON and Bicep */
#define IAC_FAM_CLOUDFORMATION	0x04u
#define IAC_FAM_KUBERNETES	0x08u
#define IAC_FAM_DOCKERFILE	0x10u

/* "terraform", "arm", "bicep", ... ; never NULL. */
const char *iac_format_name(enum iac_format f);

/* One example of a check, as named in its pack (README-iac.md).  Exactly
 * one of file and text is set.  file is relative to the pack's directory;
 * the loader only validates it (relative, no NUL); reading it is the
 * caller's job.  name is the path the text is scanned under (it decides
 * the format) and is set for inline text; for a file it is the file. */
struct iac_example {
	bool positive;			/* must fire; else must be clean */
	const char *file;		/* path relative to the pack, or NULL */
	const char *text;		/* inline text, or NULL */
	size_t text_len;		/* bytes of text */
	const char *name;		/* virtual path for detection */
	const uint32_t *lines;		/* expected FAIL lines (positive), sorted */
	size_t n_lines;
	const uint32_t *unknown;	/* expected UNKNOWN lines (positive), sorted */
	size_t n_unknown;
};

/* What a check says about itself; strings are NUL-terminated and owned by
 * the checkset (valid until iac_checkset_free). */
struct iac_check_info {
	const char *id;			/* e.g. "AZ-02" */
	const char *title;		/* one line */
	enum rule_severity severity;
	const char *remediation;	/* one imperative sentence (or a few) */
	const char *const *references;	/* documentation URLs */
	size_t n_references;
	const char *const *mapped;	/* other tools' ids: CKV_AZURE_44, DL3002 */
	size_t n_mapped;
	unsigned families;		/* IAC_FAM_* bits of its bindings */
	bool redact;			/* some condition redacts its value (secrets) */
	const char *pack_id;		/* pack the check came from */
	const struct iac_example *examples;
	size_t n_examples;
};

/* Parses n check packs (YAML text, format in rules/packs/README-iac.md)
 * into one checkset.  Every check is validated: known keys only, known
 * operators and formats, well-formed attribute paths, regexes that
 * compile, value types that suit the operator, a positive and a negative
 * example (inline text or a file path relative to the pack), a unique id
 * across all packs.  On failure returns ERR_RULE (or ERR_SYNTAX for a YAML
 * error, ERR_LIMIT for a pack over LIMIT_IAC_PACK_BYTES or more than
 * LIMIT_IAC_CHECKS checks, ERR_NOMEM) and appends one line per problem to
 * msg ("AZ-02: bindings[1].fail_if.op: unknown operator 'eq'"); *out is
 * then NULL.  msg may be NULL.  The texts are not kept. */
int iac_checkset_load(const char *const *texts, const size_t *lens, size_t n,
		      struct iac_checkset **out, struct buf *msg);
void iac_checkset_free(struct iac_checkset *cs);
size_t iac_checkset_count(const struct iac_checkset *cs);
/* i < count; borrowed, valid until iac_checkset_free. */
const struct iac_check_info *iac_checkset_info(const struct iac_checkset *cs, size_t i);
/* Index of the check with this id, or -1. */
long iac_checkset_find(const struct iac_checkset *cs, const char *id);

/* Path plus the first bytes of the file -> format (iac.md §2).  The path
 * decides for .tf, .tf.json, .bicep and Dockerfile names; the content
 * decides for .json, .yaml, .yml and .template.  path may be NULL (content
 * only, JSON/YAML signatures).  Never fails; IAC_NONE when not IaC. */
enum iac_format iac_detect(const char *path, const uint8_t *head, size_t len);

enum iac_result { IAC_PASS, IAC_FAIL, IAC_UNKNOWN };

struct iac_finding {
	uint32_t check;			/* index into the checkset, or
					 * IAC_CHECK_NONE (parse error, limit) */
	enum iac_result result;		/* FAIL or UNKNOWN */
	uint32_t line, column, end_line; /* offending attribute's line (else the
					 * resource header line); block range end */
	uint32_t start_line;		/* block range start (header line) */
	char resource[256];		/* azurerm_storage_account.logs,
					 * AWS::S3::Bucket.MyBucket,
					 * Deployment.default.web container app */
	char found[160];		/* min_tls_version = "TLS1_0"; printable ASCII */
	bool suppressed;		/* an inline suppression matched */
	char suppress_reason[160];	/* its reason, or why one did not apply */
};

/* Options of one scan; iac_scan() uses iac_scan_opts_default(): max_file
 * LIMIT_IAC_FILE_BYTES_DEFAULT, no time budget (results must not depend on
 * machine load in tests; the gate sets LIMIT_IAC_TIME_MS_PER_MIB),
 * checkov markers honoured, reasons required, now = time(NULL). */
struct iac_scan_opts {
	size_t max_file;		/* bytes; larger files give one UNKNOWN */
	unsigned time_ms_per_mib;	/* wall-clock budget per started MiB; 0 = none */
	bool honour_checkov;		/* checkov:skip=<CKV_ID>:<reason> through mapped ids */
	bool require_reason;		/* suppression without reason does not apply */
	int64_t now;			/* unix time for until= dates; 0 = time(NULL) */
	enum iac_format format;		/* IAC_NONE = detect from path and content */
};
void iac_scan_opts_default(struct iac_scan_opts *o);

/* Check index of a file-level finding that belongs to no check: a parse
 * error or a limit hit.  Such a finding is UNKNOWN, sits at the error's
 * line (or 1) and names the cause in `found` ("parse error: ...",
 * "limit: nesting depth 256 exceeded"); the gate maps it to the
 * PARSE_UNKNOWN / LIMIT_* verdict reasons. */
#define IAC_CHECK_NONE UINT32_MAX

/* Evaluates one whole file.  data[0..len) need not be NUL-terminated and
 * is not kept.  path is used for detection and Dockerfile resource names
 * and may be NULL (then only JSON/YAML content is sniffed).
 *
 * Findings are appended to *out, whose memory must be NULL or come from an
 * earlier iac_scan() (it is grown with xrealloc); the caller frees it with
 * xfree.  *n_out counts the entries and is advanced.  At most
 * LIMIT_IAC_FINDINGS_PER_FILE findings are added per call; if there would
 * be more, the last one added is a limit finding.  One finding per
 * (check, resource) and, under `each:`, per (check, container); FAIL wins
 * over UNKNOWN.  Findings come in the document order of their resources.
 *
 * A file that is not IaC adds nothing.  A file that does not parse, or hits
 * a cap (size, depth, token, tree, alias expansion, optional time budget),
 * adds exactly one IAC_CHECK_NONE finding and no check findings.
 *
 * Returns 0, ERR_NOMEM, or ERR_USAGE (NULL cs/out/n_out, or NULL data
 * with len > 0).  These are internal errors only, never caused by hostile
 * input. */
int iac_scan(const struct iac_checkset *cs, const char *path, const uint8_t *data,
	     size_t len, struct iac_finding **out, size_t *n_out);
int iac_scan_ex(const struct iac_checkset *cs, const struct iac_scan_opts *opts,
		const char *path, const uint8_t *data, size_t len,
		struct iac_finding **out, size_t *n_out);

/* --- scan sets: files evaluated with their directory ----------------------
 *
 * A set holds the files of one push or one `sluice scan` and evaluates
 * them a directory at a time, so that what one file cannot answer alone is
 * looked up in the files around it (README-iac.md, "Directories and
 * modules"): Terraform variables, locals and partner resources in any .tf
 * of the directory, terraform.tfvars / *.auto.tfvars values, literal
 * arguments of a local `module` block (Terraform, Bicep) one level down,
 * and kustomize patches (the patched resources' results become UNKNOWN,
 * patch files are not evaluated).  A Helm chart renderer feeds its
 * rendered manifests in as files under the chart's directory
 * ("chart/templates/x.yaml"), and they are evaluated with each other.
 *
 * Usage: iac_set_new, iac_set_add for every IaC file and every file
 * iac_set_wants(path) names (tfvars, kustomization.yaml), iac_set_scan,
 * iac_set_free.  Files may come in any order.  Data is borrowed until
 * iac_set_free; paths are copied.  A file's findings are exactly those
 * iac_scan_ex would give it alone, except where the directory decides
 * (a variable resolved, a partner found, a patched resource). */
struct iac_set;

int iac_set_new(struct iac_set **out);
void iac_set_free(struct iac_set *s);
/* Adds a file; user is handed back with its findings.  0, ERR_NOMEM,
 * ERR_USAGE. */
int iac_set_add(struct iac_set *s, const char *path, const uint8_t *data, size_t len, void *user);
size_t iac_set_count(const struct iac_set *s);
/* Files that are not IaC themselves but that a set uses: terraform.tfvars,
 * *.auto.tfvars, kustomization.yaml. */
bool iac_set_wants(const char *path);

/* Called once per IaC file of the set (in directory order) with its
 * findings, borrowed for the call; a non-zero return stops the scan and is
 * returned. */
typedef int (*iac_set_cb)(void *arg, const char *path, void *user, const struct iac_finding *f, size_t n);

/* Evaluates the set (opts NULL: defaults).  0, ERR_NOMEM, ERR_USAGE, or
 * the callback's return. */
int iac_set_scan(const struct iac_checkset *cs, const struct iac_scan_opts *opts, struct iac_set *s,
		 iac_set_cb cb, void *arg);

/* "FAIL", "UNKNOWN", "PASS". */
const char *iac_result_name(enum iac_result r);

#endif
