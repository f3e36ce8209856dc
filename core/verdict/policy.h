/*
 * policy.h - what each kind of finding does to a push, per repository
 * (secrets.md §2 and §6, iac.md §8).
 */
#ifndef SLUICE_VERDICT_POLICY_H
#define SLUICE_VERDICT_POLICY_H

#include "core/base/api.h"
#include "core/match/rule-t.h"
#include "core/verdict/verdict-t.h"

enum bypass_who {
	BYPASS_ANYONE,		/* any client may use -o sluice.bypass=... */
	BYPASS_USERS,		/* only the listed HTTP Basic users */
	BYPASS_NOBODY,
};

#define POLICY_USERS_MAX 512
#define POLICY_SEVERITIES 5

struct policy {
	enum verdict_action secret_block;		/* block-tier rules */
	enum verdict_action secret_warn;		/* warn-tier rules */
	enum verdict_action iac[POLICY_SEVERITIES];	/* by enum rule_severity */
	enum verdict_action limits;			/* limit and parse reasons */
	bool fail_open;					/* BUDGET_TIME allows */
	bool monitor;					/* never reject (rollout) */
	enum bypass_who bypass;
	char bypass_users[POLICY_USERS_MAX];		/* comma-separated */
};

/* Defaults: block tier rejects, warn tier warns, IaC warns at every
 * severity (iac issue: warn by default), limits reject, fail closed,
 * anyone may bypass (and every bypass is audited). */
void policy_default(struct policy *p);

enum verdict_action policy_secret_action(const struct policy *p, enum rule_tier tier);
enum verdict_action policy_iac_action(const struct policy *p, enum rule_severity sev);
/* Applies monitor mode: REJECT becomes WARN. */
enum verdict_action policy_finalize(const struct policy *p, enum verdict_action a);
/* May `user` (NULL when unauthenticated) bypass? */
bool policy_may_bypass(const struct policy *p, const char *user);

#endif
