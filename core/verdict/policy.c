/*
 * policy.c - per-repository actions for findings and limits.
 */
#include "core/base/api.h"
#include "core/verdict/policy.h"

void policy_default(struct policy *p)
{
	size_t i;

	memset(p, 0, sizeof(*p));
	p->secret_block = ACTION_REJECT;
	p->secret_warn = ACTION_WARN;
	for (i = 0; i < POLICY_SEVERITIES; i++)
		p->iac[i] = ACTION_WARN;
	p->limits = ACTION_REJECT;
	p->fail_open = false;
	p->bypass = BYPASS_ANYONE;
}

enum verdict_action policy_secret_action(const struct policy *p, enum rule_tier tier)
{
	return tier == RULE_TIER_BLOCK ? p->secret_block : p->secret_warn;
}

enum verdict_action policy_iac_action(const struct policy *p, enum rule_severity sev)
{
	return (unsigned)sev < POLICY_SEVERITIES ? p->iac[sev] : ACTION_WARN;
}

enum verdict_action policy_finalize(const struct policy *p, enum verdict_action a)
{
	return (p->monitor && a == ACTION_REJECT) ? ACTION_WARN : a;
}

bool policy_may_bypass(const struct policy *p, const char *user)
{
	const char *s;
	size_t ul;

	if (p->bypass == BYPASS_ANYONE)
		return true;
	if (p->bypass == BYPASS_NOBODY || !user || !*user)
		return false;
	ul = strlen(user);
	for (s = p->bypass_users; *s;) {
		const char *e = strchr(s, ',');
		size_t l = e ? (size_t)(e - s) : strlen(s);

		/* "users:alice, bob": blanks around names are not part of them */
		while (l && (*s == ' ' || *s == '\t')) {
			s++;
			l--;
		}
		while (l && (s[l - 1] == ' ' || s[l - 1] == '\t'))
			l--;
		if (l == ul && memcmp(s, user, l) == 0)
			return true;
		if (!e)
			break;
		s = e + 1;
	}
	return false;
}
