/*
 * packscan.h - scan every blob of a pack while it streams, and name each
 * finding's commit and path once the pack has ended.
 *
 * The one place where the pack parser (core/pack), the matcher
 * (core/match) and attribution meet; `sluice scan` (repositories, .pack
 * files) and the push gate both use it.  Raw pack bytes go in through
 * packscan_feed(); blobs are scanned as they inflate (one match stream
 * per blob, each blob once); commits and trees are kept for attribution,
 * bounded by LIMIT_PATH_MAP_BYTES_DEFAULT.
 *
 * IaC: a blob that may be an IaC file (small enough, text, and its first
 * bytes look like Terraform, Bicep, a Dockerfile, JSON or YAML) is kept,
 * within LIMIT_IAC_KEPT_BYTES per pack, and evaluated by core/iac in
 * packscan_resolve(), once its path is known (iac.md §2).
 *
 * Memory: with limits.memory set, the parser's buffers (pack.h), the tree
 * and path bytes kept for attribution and the kept IaC candidates are all
 * reserved from that shared budget and given back by packscan_free().  Not
 * reserved: the blob being sniffed for IaC (at most
 * LIMIT_IAC_FILE_BYTES_DEFAULT) and the findings.
 *
 * Caveats: single-threaded; the ruleset and scratch must outlive it.
 */
#ifndef SLUICE_PUSH_PACKSCAN_H
#define SLUICE_PUSH_PACKSCAN_H

#include "core/base/api.h"
#include "core/decode/decoder-t.h"
#include "core/match/match.h"
#include "core/pack/pack.h"

struct packscan;

struct packscan_params {
	const struct ruleset *rs;	/* borrowed */
	struct match_scratch *sc;	/* borrowed */
	enum pack_hash_algo algo;	/* object-format */
	struct pack_limits limits;	/* copy */
	int pack_fd;			/* see struct pack_params */
	const char *spool_dir;		/* see struct pack_params */
	const struct iac_checkset *iac;	/* IaC checks, or NULL for none */
	const atomic_bool *cancel;	/* see struct pack_params */
};

struct iac_checkset;
struct iac_finding;

/* One blob with findings, after packscan_resolve(). */
struct packscan_blob {
	const char *path;		/* "dir/file", or "blob:<hex>" */
	char commit[2 * PACK_OID_MAX + 1];	/* "" when unattributed */
	char blob[2 * PACK_OID_MAX + 1];
	const struct finding *findings;
	size_t n;
};

int packscan_new(const struct packscan_params *p, struct packscan **out);
void packscan_free(struct packscan *ps);
/* Raw pack bytes; STOP after the verified trailer.  Errors are the pack
 * parser's (pack.h), including ERR_LIMIT with packscan_stats().pack.
 * limit_hit naming the limit, and ERR_CANCELED. */
struct dec_result packscan_feed(struct packscan *ps, const uint8_t *p, size_t n);
struct dec_result packscan_finish(struct packscan *ps);
/* Maps blobs to paths; call once after the pack ended (or failed: what
 * was scanned is still attributed).  0 or an attribution error. */
int packscan_resolve(struct packscan *ps);
size_t packscan_blob_count(const struct packscan *ps);
/* Valid after resolve, until free. */
void packscan_blob_get(const struct packscan *ps, size_t i, struct packscan_blob *out);

/* IaC results of one blob, after packscan_resolve(). */
struct packscan_iac {
	const char *path;
	char commit[2 * PACK_OID_MAX + 1];
	char blob[2 * PACK_OID_MAX + 1];
	const struct iac_finding *findings;
	size_t n;
};
size_t packscan_iac_count(const struct packscan *ps);
void packscan_iac_get(const struct packscan *ps, size_t i, struct packscan_iac *out);

struct packscan_stats {
	struct pack_stats pack;		/* from the parser */
	uint64_t blobs, blob_bytes;	/* scanned */
	uint64_t binary_blobs;		/* block tier only */
	uint64_t findings_over_limit;	/* confirmed, not stored */
	uint64_t iac_files;		/* IaC files evaluated */
	uint64_t iac_not_evaluated;	/* candidates over LIMIT_IAC_KEPT_BYTES,
					 * or refused by limits.memory */
	bool attrib_memory_short;	/* packscan_resolve() failed because
					 * limits.memory was spent */
};
void packscan_stats(const struct packscan *ps, struct packscan_stats *out);

#endif
