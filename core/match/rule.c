/*
 * rule.c - names and parsing of rule enums; releasing a rule.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/match/rule-t.h"

#include <fnmatch.h>
#include <stdio.h>

static const char *const tier_names[] = { "block", "warn" };
static const char *const sev_names[] = { "critical", "high", "medium", "low", "info" };
static const struct { const char *name; unsigned bit; } validators[] = {
	{ "crc32-base62", RULE_VALID_CRC32_BASE62 },
	{ "jwt", RULE_VALID_JWT },
	{ "azure-identifiable", RULE_VALID_AZURE_ID },
	{ "azure-cask", RULE_VALID_AZURE_CASK },
	{ "crc32-hex", RULE_VALID_CRC32_HEX },
	{ "grafana-sa", RULE_VALID_GRAFANA_SA },
	{ "pypi-macaroon", RULE_VALID_PYPI },
	{ "aws-key-id", RULE_VALID_AWS_KEY_ID },
	{ "der-pkcs1", RULE_VALID_DER_PKCS1 },
	{ "der-pkcs8", RULE_VALID_DER_PKCS8 },
	{ "der-ec", RULE_VALID_DER_EC },
	{ "gitlab-token", RULE_VALID_GITLAB },
	{ "pkcs12", RULE_VALID_PKCS12 },
	{ "keystore", RULE_VALID_KEYSTORE },
	{ "kdbx", RULE_VALID_KDBX },
	{ "pem-private-key", RULE_VALID_PEM_PRIVATE },
};

/* Indexed by enum rule_candidate. */
static const char *const candidate_names[] = { "none", "tokens" };

const char *rule_tier_name(enum rule_tier t)
{
	return (unsigned)t < ARRAY_SIZE(tier_names) ? tier_names[t] : "?";
}

const char *rule_severity_name(enum rule_severity s)
{
	return (unsigned)s < ARRAY_SIZE(sev_names) ? sev_names[s] : "?";
}

int rule_tier_parse(const char *s, enum rule_tier *out)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tier_names); i++)
		if (strcmp(s, tier_names[i]) == 0) {
			*out = (enum rule_tier)i;
			return 0;
		}
	return ERR_SYNTAX;
}

int rule_severity_parse(const char *s, enum rule_severity *out)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sev_names); i++)
		if (strcmp(s, sev_names[i]) == 0) {
			*out = (enum rule_severity)i;
			return 0;
		}
	return ERR_SYNTAX;
}

int rule_validator_parse(const char *s, unsigned *bit)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(validators); i++)
		if (strcmp(s, validators[i].name) == 0) {
			*bit = validators[i].bit;
			return 0;
		}
	return ERR_SYNTAX;
}

const char *rule_validator_name(unsigned bit)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(validators); i++)
		if (validators[i].bit == bit)
			return validators[i].name;
	return NULL;
}

const char *rule_validator_list(void)
{
	static char list[256];
	size_t i, off = 0;

	if (list[0])
		return list;
	for (i = 0; i < ARRAY_SIZE(validators) && off < sizeof(list); i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
					i ? ", " : "", validators[i].name);
	return list;
}

int rule_candidate_parse(const char *s, enum rule_candidate *out)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(candidate_names); i++)
		if (strcmp(s, candidate_names[i]) == 0) {
			*out = (enum rule_candidate)i;
			return 0;
		}
	return ERR_SYNTAX;
}

const char *rule_candidate_name(enum rule_candidate c)
{
	return (unsigned)c < ARRAY_SIZE(candidate_names) ? candidate_names[c] : "?";
}

bool rule_path_matches(const struct secret_rule *r, const char *path)
{
	const char *base = strrchr(path, '/');
	size_t i;

	base = base ? base + 1 : path;
	for (i = 0; i < r->n_paths; i++) {
		const char *g = r->paths[i], *t;

		if (!strchr(g, '/')) {
			if (fnmatch(g, base, FNM_CASEFOLD) == 0)
				return true;
			continue;
		}
		for (t = path; t; t = strchr(t, '/'), t = t ? t + 1 : NULL)
			if (fnmatch(g, t, FNM_PATHNAME | FNM_PERIOD | FNM_CASEFOLD) == 0)
				return true;
	}
	return false;
}

static void free_strv(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		xfree(v[i]);
	xfree(v);
}

static void free_examples(struct rule_example *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		xfree(e[i].text);
		xfree(e[i].secret);
		xfree(e[i].path);
	}
	xfree(e);
}

void secret_rule_release(struct secret_rule *r)
{
	xfree(r->id);
	xfree(r->name);
	xfree(r->pattern);
	free_strv(r->keywords, r->n_keywords);
	xfree(r->requires);
	xfree(r->remediation);
	free_strv(r->references, r->n_references);
	free_strv(r->tags, r->n_tags);
	free_examples(r->examples, r->n_examples);
	free_examples(r->negatives, r->n_negatives);
	xfree(r->pack_id);
	free_strv(r->paths, r->n_paths);
	memset(r, 0, sizeof(*r));
}
