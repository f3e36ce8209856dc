/*
 * rule-t.h - a secret rule as the engine sees it.
 *
 * Rules are authored in YAML packs (rules/packs/), checked and stored in
 * LMDB by rules/, and handed to core/match as an array of struct
 * secret_rule.  core/ never parses YAML or touches LMDB.
 */
#ifndef SLUICE_MATCH_RULE_T_H
#define SLUICE_MATCH_RULE_T_H

#include "core/base/api.h"

enum rule_tier {
	RULE_TIER_BLOCK,	/* prefixed, fixed-format or checksummed */
	RULE_TIER_WARN,		/* generic or keyword-anchored */
};

enum rule_severity {
	SEV_CRITICAL,
	SEV_HIGH,
	SEV_MEDIUM,
	SEV_LOW,
	SEV_INFO,
};

/* Pattern flags, as fields rather than inline modifiers (secrets.md §9). */
#define RULE_FLAG_CASELESS  0x1u
#define RULE_FLAG_DOTALL    0x2u
#define RULE_FLAG_MULTILINE 0x4u

/* Offline validators (secrets.md §3); a bit each. */
#define RULE_VALID_CRC32_BASE62 0x1u	/* GitHub ghp_ etc., npm_ */
#define RULE_VALID_JWT          0x2u	/* header.payload.sig, JSON parts */

/* Which line a finding is reported on (`line:` in a pack). */
enum rule_line_at {
	RULE_LINE_SECRET,	/* where the secret group starts (default) */
	RULE_LINE_MATCH,	/* where the whole match starts: the BEGIN
				 * line of a PEM block whose secret group is
				 * the first base64 line */
};

/* Candidate filters for the values of generic rules (`candidate:`): a
 * score the value must reach (`candidate_min:`) before it is reported.
 * RULE_CANDIDATE_NONE keeps only the entropy check. */
enum rule_candidate {
	RULE_CANDIDATE_NONE,
};

struct rule_example {
	char *text;		/* input */
	char *secret;		/* expected secret (positive examples) */
};

struct secret_rule {
	char *id;			/* SEC-<FAMILY>-<NAME>, unique */
	char *name;			/* shown in messages */
	char *pattern;			/* Hyperscan syntax, bounded width */
	unsigned flags;			/* RULE_FLAG_* */
	unsigned secret_group;		/* capture holding the secret; 0 = all */
	char **keywords;		/* lowercase literals */
	size_t n_keywords;
	unsigned keyword_window;	/* >0: a keyword must occur within this
					 * many bytes before the match end */
	double entropy_min;		/* bits per char; 0 = no check */
	unsigned validators;		/* RULE_VALID_* */
	char *requires;			/* companion rule id or NULL */
	enum rule_tier tier;
	enum rule_severity severity;
	char *remediation;
	char **references;
	size_t n_references;
	char **tags;
	size_t n_tags;
	struct rule_example *examples;
	size_t n_examples;
	struct rule_example *negatives;	/* secret unused */
	size_t n_negatives;
	char *pack_id;			/* pack the rule came from */
	char **paths;			/* `paths:` globs on the file path; a rule
					 * with paths only applies to such files */
	size_t n_paths;
	enum rule_line_at line_at;
	enum rule_candidate candidate;
	double candidate_min;
};

const char *rule_tier_name(enum rule_tier t);
const char *rule_severity_name(enum rule_severity s);
/* Parse helpers; return 0 or ERR_SYNTAX. */
int rule_tier_parse(const char *s, enum rule_tier *out);
int rule_severity_parse(const char *s, enum rule_severity *out);
int rule_validator_parse(const char *s, unsigned *bit);
const char *rule_validator_name(unsigned bit);
/* Every validator name, comma separated, for messages. */
const char *rule_validator_list(void);
int rule_candidate_parse(const char *s, enum rule_candidate *out);
const char *rule_candidate_name(enum rule_candidate c);
/* Frees everything a rule owns (not the struct itself). */
void secret_rule_release(struct secret_rule *r);

#endif
