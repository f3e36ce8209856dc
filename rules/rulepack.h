/*
 * rulepack.h - read a YAML rule pack (rules/packs/NAME.yaml) into secret
 * rules, and check every rule against its own examples.
 *
 * Pack format (see rules/packs/README.md):
 *   pack: {id, version, description}
 *   rules: [{id, name, pattern, secret_group, flags, keywords,
 *            keyword_window, entropy, validators, requires, tier, severity,
 *            remediation, references, tags, examples: [{text, secret}],
 *            negative_examples: [text]}]
 * Unknown keys are errors, so a typo never silently disables a field.
 * A pack with a top-level `checks` list is an IaC check pack
 * (rules/packs/README-iac.md): only `pack` is read here and the text is
 * kept whole in iac_text for core/iac to validate and compile.
 *
 * Errors: ERR_SYNTAX (YAML or schema, with msg naming the rule and field),
 * ERR_LIMIT (file above RULEPACK_MAX_BYTES), -errno, ERR_NOMEM.
 */
#ifndef SLUICE_RULES_RULEPACK_H
#define SLUICE_RULES_RULEPACK_H

#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/match/rule-t.h"
#include "core/match/ruleset.h"

/* A pack file larger than this is refused: packs are text written by
 * people, and the parser holds the whole document. */
#define RULEPACK_MAX_BYTES (16u * 1024 * 1024)
/* Rules per pack and strings per list field. */
#define RULEPACK_MAX_RULES 10000u
#define RULEPACK_MAX_LIST  1000u

struct rulepack {
	char *id;			/* pack id, e.g. "secrets-v1" */
	uint32_t version;		/* pack version */
	char *description;
	struct secret_rule *rules;	/* owned */
	size_t n_rules;
	char *source;			/* file it was read from, or NULL */
	bool is_iac;			/* an IaC check pack */
	char *iac_text;			/* IaC check pack (top-level `checks`):
					 * the whole YAML text, owned; checked
					 * and compiled by core/iac */
	size_t iac_len;
};

int rulepack_load_file(const char *path, struct rulepack *out, struct buf *msg);
int rulepack_load_mem(const char *text, size_t len, const char *name,
		      struct rulepack *out, struct buf *msg);
void rulepack_release(struct rulepack *p);

/* Moves the rules out of the pack (the pack keeps its id). */
struct secret_rule *rulepack_take_rules(struct rulepack *p, size_t *n);

/* Deep copy of a rule into *dst.  0 or ERR_NOMEM. */
int secret_rule_copy(struct secret_rule *dst, const struct secret_rule *src);

/* Runs every example and negative example of every rule through the full
 * pipeline of `rs` (which must be built from the same rules).  Each
 * example must give exactly one open finding of its rule whose secret is
 * the expected one; each negative example none.  Appends one line per
 * failure to msg.  Returns the number of failures, or a negative code. */
long rulepack_check_examples(const struct ruleset *rs, struct buf *msg);

#endif
