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
#define RULE_VALID_AZURE_ID     0x4u	/* Azure identifiable key, Marvin32 */
#define RULE_VALID_AZURE_CASK   0x8u	/* Common Annotated Security Key */
#define RULE_VALID_CRC32_HEX    0x10u	/* Atlassian ATATT3/ATCTT3 */
#define RULE_VALID_GRAFANA_SA   0x20u	/* Grafana glsa_ CRC-32 */
#define RULE_VALID_PYPI         0x40u	/* pypi- macaroon structure */
#define RULE_VALID_AWS_KEY_ID   0x80u	/* account id inside AKIA... */
#define RULE_VALID_DER_PKCS1    0x100u	/* PEM line: RSA/DSA private key DER */
#define RULE_VALID_DER_PKCS8    0x200u	/* PEM line: PKCS#8 PrivateKeyInfo */
#define RULE_VALID_DER_EC       0x400u	/* PEM line: SEC 1 ECPrivateKey */
#define RULE_VALID_GITLAB       0x8000u	/* routable token CRC-32 (base 36) */
/* Content checks for path rules (`paths:` without `pattern:`), applied to
 * the first bytes of the file (RULE_PATH_HEAD_BYTES). */
#define RULE_VALID_PKCS12       0x800u	/* DER SEQUENCE { INTEGER 3, ... } */
#define RULE_VALID_KEYSTORE     0x1000u	/* JKS / JCEKS magic */
#define RULE_VALID_KDBX         0x2000u	/* KeePass 2 database magic */
#define RULE_VALID_PEM_PRIVATE  0x4000u	/* starts with a private key BEGIN line */
#define RULE_PATH_HEAD_BYTES 64
/* Validators that verify a checksum: a finding that passes one is
 * evidence "checksum"; the others check structure ("structure"). */
#define RULE_VALID_CHECKSUMS (RULE_VALID_CRC32_BASE62 | RULE_VALID_AZURE_ID | \
			      RULE_VALID_AZURE_CASK | RULE_VALID_CRC32_HEX | \
			      RULE_VALID_GRAFANA_SA | RULE_VALID_GITLAB)

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
	RULE_CANDIDATE_TOKENS,	/* token efficiency and character mix
				 * (core/match/candidate.h), score 0-1 */
};

struct rule_example {
	char *text;		/* input */
	char *secret;		/* expected secret (positive examples) */
	char *path;		/* path the text is scanned as, or NULL */
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
/* A path rule has `paths:` and no pattern: it reports a file by name. */
static inline bool rule_is_path_only(const struct secret_rule *r)
{
	return !r->pattern && r->n_paths;
}
/* True when one of r's globs matches path ('/'-separated, as in git): a
 * glob without '/' against the last component, a glob with '/' against
 * the whole path or any tail of it that starts a component.  '*' stays
 * inside a component; case is ignored (FOO.PFX is a .pfx). */
bool rule_path_matches(const struct secret_rule *r, const char *path);
/* Frees everything a rule owns (not the struct itself). */
void secret_rule_release(struct secret_rule *r);

#endif
