/*
 * test_policy.c - verdict/policy/: the verdict reason table (ids, texts,
 * default actions), action names and their parser, and the policy that
 * maps findings to actions: tiers, IaC severities, monitor mode and who
 * may bypass.
 */
#include "core/base/api.h"
#include "core/base/err.h"
#include "core/verdict/policy.h"
#include "core/verdict/verdict.h"

#include <ctype.h>
#include <stdio.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

/* --- the reason table --------------------------------------------------- */

static void reason_table(void **state)
{
	static const struct {
		enum verdict_reason r;
		const char *id;
		enum verdict_action a;
	} spot[] = {
		{ VR_SECRET_FOUND, "SECRET_FOUND", ACTION_REJECT },
		{ VR_SECRET_WARN, "SECRET_WARN", ACTION_WARN },
		{ VR_IAC_FINDING, "IAC_FINDING", ACTION_WARN },
		{ VR_LIMIT_OBJECTS, "LIMIT_OBJECTS", ACTION_REJECT },
		{ VR_LIMIT_IAC, "LIMIT_IAC", ACTION_WARN },
		{ VR_BUDGET_TIME, "BUDGET_TIME", ACTION_REJECT },
		{ VR_PACK_CORRUPT, "PACK_CORRUPT", ACTION_REJECT },
		{ VR_THIN_BASE_MISSING, "THIN_BASE_MISSING", ACTION_REJECT },
		{ VR_PARSE_UNKNOWN, "PARSE_UNKNOWN", ACTION_REJECT },
		{ VR_SIGNED_PUSH, "SIGNED_PUSH", ACTION_REJECT },
		{ VR_INTERNAL, "INTERNAL", ACTION_REJECT },
	};
	size_t i, j;

	UNUSED(state);
	for (i = 0; i < ARRAY_SIZE(spot); i++) {
		assert_string_equal(verdict_reason_id(spot[i].r), spot[i].id);
		assert_int_equal(verdict_reason_default(spot[i].r), spot[i].a);
	}
	assert_string_equal(verdict_reason_text(VR_PACK_CORRUPT), "pack is corrupt");
	/* Every row: an upper-case id unique in the table, a one-line text,
	 * a known default action; only warn-by-default rows are findings
	 * that never block on their own. */
	for (i = 0; i < VR__COUNT; i++) {
		const char *id = verdict_reason_id((enum verdict_reason)i);
		const char *text = verdict_reason_text((enum verdict_reason)i);
		enum verdict_action a = verdict_reason_default((enum verdict_reason)i);
		size_t k;

		assert_true(strlen(id) > 2);
		for (k = 0; id[k]; k++)
			assert_true(isupper((unsigned char)id[k]) || id[k] == '_');
		assert_true(strlen(text) > 5);
		assert_null(strchr(text, '\n'));
		assert_true(a == ACTION_REJECT || a == ACTION_WARN);
		for (j = 0; j < i; j++)
			assert_string_not_equal(id, verdict_reason_id((enum verdict_reason)j));
	}
	/* Outside the table: fail closed. */
	assert_string_equal(verdict_reason_id(VR__COUNT), "UNKNOWN");
	assert_string_equal(verdict_reason_text(VR__COUNT), "unknown reason");
	assert_int_equal(verdict_reason_default(VR__COUNT), ACTION_REJECT);
	assert_int_equal(verdict_reason_default((enum verdict_reason)-1), ACTION_REJECT);
}

static void action_names(void **state)
{
	static const struct {
		enum verdict_action a;
		const char *name;
	} names[] = {
		{ ACTION_ALLOW, "allow" }, { ACTION_AUDIT, "audit" },
		{ ACTION_WARN, "warn" }, { ACTION_REJECT, "reject" },
	};
	static const char *const bad[] = { "", "Reject", "deny", "blocked", "warn ", "al" };
	enum verdict_action a;
	size_t i;

	UNUSED(state);
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		assert_string_equal(verdict_action_name(names[i].a), names[i].name);
		a = (enum verdict_action)99;
		assert_int_equal(verdict_action_parse(names[i].name, &a), 0);
		assert_int_equal(a, names[i].a);
		/* name -> action -> name */
		assert_string_equal(verdict_action_name(a), names[i].name);
	}
	assert_int_equal(verdict_action_parse("block", &a), 0);
	assert_int_equal(a, ACTION_REJECT);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		a = ACTION_AUDIT;
		assert_int_equal(verdict_action_parse(bad[i], &a), ERR_SYNTAX);
		assert_int_equal(a, ACTION_AUDIT);
	}
	assert_string_equal(verdict_action_name((enum verdict_action)42), "reject");
	/* The order that verdict_max relies on. */
	assert_int_equal(verdict_max(ACTION_ALLOW, ACTION_AUDIT), ACTION_AUDIT);
	assert_int_equal(verdict_max(ACTION_WARN, ACTION_AUDIT), ACTION_WARN);
	assert_int_equal(verdict_max(ACTION_WARN, ACTION_REJECT), ACTION_REJECT);
	assert_int_equal(verdict_max(ACTION_REJECT, ACTION_ALLOW), ACTION_REJECT);
}

/* --- policy ---------------------------------------------------------------- */

static void defaults(void **state)
{
	struct policy p;
	size_t i;

	UNUSED(state);
	memset(&p, 0x5a, sizeof(p));
	policy_default(&p);
	assert_int_equal(policy_secret_action(&p, RULE_TIER_BLOCK), ACTION_REJECT);
	assert_int_equal(policy_secret_action(&p, RULE_TIER_WARN), ACTION_WARN);
	for (i = 0; i < POLICY_SEVERITIES; i++)
		assert_int_equal(policy_iac_action(&p, (enum rule_severity)i), ACTION_WARN);
	assert_int_equal(p.limits, ACTION_REJECT);
	assert_false(p.fail_open);
	assert_false(p.monitor);
	assert_int_equal(p.bypass, BYPASS_ANYONE);
	assert_string_equal(p.bypass_users, "");
}

static void actions_by_tier_and_severity(void **state)
{
	struct policy p;

	UNUSED(state);
	policy_default(&p);
	p.secret_block = ACTION_AUDIT;
	p.secret_warn = ACTION_REJECT;
	assert_int_equal(policy_secret_action(&p, RULE_TIER_BLOCK), ACTION_AUDIT);
	assert_int_equal(policy_secret_action(&p, RULE_TIER_WARN), ACTION_REJECT);
	p.iac[SEV_CRITICAL] = ACTION_REJECT;
	p.iac[SEV_HIGH] = ACTION_REJECT;
	p.iac[SEV_INFO] = ACTION_ALLOW;
	assert_int_equal(policy_iac_action(&p, SEV_CRITICAL), ACTION_REJECT);
	assert_int_equal(policy_iac_action(&p, SEV_HIGH), ACTION_REJECT);
	assert_int_equal(policy_iac_action(&p, SEV_MEDIUM), ACTION_WARN);
	assert_int_equal(policy_iac_action(&p, SEV_LOW), ACTION_WARN);
	assert_int_equal(policy_iac_action(&p, SEV_INFO), ACTION_ALLOW);
	/* A severity outside the table warns. */
	assert_int_equal(policy_iac_action(&p, (enum rule_severity)POLICY_SEVERITIES), ACTION_WARN);
	assert_int_equal(policy_iac_action(&p, (enum rule_severity)-1), ACTION_WARN);
}

static void monitor_mode(void **state)
{
	struct policy p;
	enum verdict_action a;

	UNUSED(state);
	policy_default(&p);
	for (a = ACTION_ALLOW; a <= ACTION_REJECT; a++)
		assert_int_equal(policy_finalize(&p, a), a);
	p.monitor = true;
	assert_int_equal(policy_finalize(&p, ACTION_REJECT), ACTION_WARN);
	assert_int_equal(policy_finalize(&p, ACTION_WARN), ACTION_WARN);
	assert_int_equal(policy_finalize(&p, ACTION_AUDIT), ACTION_AUDIT);
	assert_int_equal(policy_finalize(&p, ACTION_ALLOW), ACTION_ALLOW);
	/* A limit reason and a blocked secret alike. */
	assert_int_equal(policy_finalize(&p, verdict_reason_default(VR_LIMIT_DEPTH)), ACTION_WARN);
	assert_int_equal(policy_finalize(&p, policy_secret_action(&p, RULE_TIER_BLOCK)),
			 ACTION_WARN);
}

static void bypass(void **state)
{
	static const struct {
		const char *users;	/* bypass_users */
		const char *user;	/* who asks; NULL: unauthenticated */
		bool ok;
	} cases[] = {
		{ "alice,bob", "alice", true },
		{ "alice,bob", "bob", true },
		{ "alice,bob", "carol", false },
		{ "alice,bob", "alic", false },
		{ "alice,bob", "alicex", false },
		{ "alice,bob", "alice,bob", false },
		{ "alice,bob", "Alice", false },
		{ "alice,bob", "", false },
		{ "alice,bob", NULL, false },
		{ "alice", "alice", true },
		{ "alice,", "alice", true },
		{ ",alice", "alice", true },
		{ "a,,b", "b", true },
		{ "a,,b", "", false },
		{ "", "alice", false },
		{ "", "", false },
		{ "bob,alice,carol", "carol", true },
		{ "bob,alice,carol", "ice", false },
	};
	struct policy p;
	size_t i;

	UNUSED(state);
	policy_default(&p);
	assert_true(policy_may_bypass(&p, "anybody"));
	assert_true(policy_may_bypass(&p, NULL));	/* anyone: even unauthenticated */
	p.bypass = BYPASS_NOBODY;
	snprintf(p.bypass_users, sizeof(p.bypass_users), "alice");
	assert_false(policy_may_bypass(&p, "alice"));
	assert_false(policy_may_bypass(&p, NULL));
	p.bypass = BYPASS_USERS;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(p.bypass_users, sizeof(p.bypass_users), "%s", cases[i].users);
		if (policy_may_bypass(&p, cases[i].user) != cases[i].ok)
			fail_msg("users '%s', user '%s': expected %s", cases[i].users,
				 cases[i].user ? cases[i].user : "(null)", cases[i].ok ? "yes" : "no");
	}
	/* A list that fills the field. */
	memset(p.bypass_users, 'u', sizeof(p.bypass_users) - 1);
	p.bypass_users[sizeof(p.bypass_users) - 1] = '\0';
	p.bypass_users[sizeof(p.bypass_users) - 5] = ',';
	assert_true(policy_may_bypass(&p, "uuu"));
	assert_false(policy_may_bypass(&p, "uuuu"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reason_table),
		cmocka_unit_test(action_names),
		cmocka_unit_test(defaults),
		cmocka_unit_test(actions_by_tier_and_severity),
		cmocka_unit_test(monitor_mode),
		cmocka_unit_test(bypass),
	};

	return cmocka_run_group_tests_name("verdict/policy/", tests, NULL, NULL);
}
