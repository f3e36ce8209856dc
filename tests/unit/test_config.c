/*
 * test_config.c - netproxy/config/: the configuration table.  Every key
 * set from a file, comments and blank lines, errors naming file:line,
 * numbers at and beyond their bounds, over-long strings, the policy keys,
 * per-repository overrides (paths with dots), config_policy_for, and the
 * --print-config dump read back to the same configuration.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/verdict/policy.h"
#include "core/verdict/verdict.h"
#include "netproxy/config.h"
#include "tests/lib/packbuild.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

static char dir[4096];

static int setup(void **state)
{
	UNUSED(state);
	snprintf(dir, sizeof(dir), "%s", pb_tmpdir());
	return 0;
}

static int teardown(void **state)
{
	UNUSED(state);
	pb_rmtree(dir);
	return 0;
}

/* Writes text to DIR/name; returns the path (static). */
static const char *write_conf(const char *name, const char *text)
{
	static char path[4200];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	pb_write_file(dir, name, text, strlen(text));
	return path;
}

static bool has(const struct buf *b, const char *s)
{
	return b->len && memmem(b->data, b->len, s, strlen(s)) != NULL;
}

/* --- defaults and the table --------------------------------------------- */

static void defaults(void **state)
{
	struct sluice_config c;

	UNUSED(state);
	config_default(&c);
	assert_string_equal(c.listen, "0.0.0.0:8443");
	assert_string_equal(c.data, "/var/lib/sluice");
	assert_string_equal(c.upstream, "");
	assert_string_equal(c.upstream_ca, "");
	assert_string_equal(c.cert, "");
	assert_string_equal(c.key, "");
	assert_string_equal(c.server_name, "localhost");
	assert_string_equal(c.log_level, "info");
	assert_int_equal(c.verdict_deadline_ms, 4000);
	assert_int_equal(c.push_budget_ms, 120000);
	assert_int_equal(c.hold_whole_max, 1048576);
	assert_int_equal(c.workers, 0);
	assert_int_equal(c.max_connections, 1024);
	assert_int_equal(c.idle_timeout_ms, 120000);
	assert_int_equal(c.max_findings_shown, 10);
	/* Sized for a 1 GB board (limits.h). */
	assert_int_equal(c.push_memory, 128ull << 20);
	assert_int_equal(c.scan_threads, 0);
	assert_int_equal(c.push_slots, 0);
	assert_int_equal(c.push_queue_timeout_ms, 120000);
	assert_int_equal(c.handshake_timeout_ms, 10000);
	assert_int_equal(c.request_head_timeout_ms, 20000);
	assert_int_equal(c.min_body_rate, 1024);
	assert_int_equal(c.body_rate_window_ms, 15000);
	assert_int_equal(c.policy.secret_block, ACTION_REJECT);
	assert_int_equal(c.policy.secret_warn, ACTION_WARN);
	assert_int_equal(c.policy.limits, ACTION_REJECT);
	assert_int_equal(c.policy.iac[SEV_CRITICAL], ACTION_WARN);
	assert_int_equal(c.policy.iac[SEV_INFO], ACTION_WARN);
	assert_false(c.policy.fail_open);
	assert_false(c.policy.monitor);
	assert_int_equal(c.policy.bypass, BYPASS_ANYONE);
	assert_int_equal(c.n_repos, 0);
	config_release(&c);
}

/* Every key of the table and every policy key, from one file with
 * comments, blank lines, odd spacing and CRLF line ends. */
static void every_key_from_file(void **state)
{
	static const char text[] =
		"# sluice test configuration\n"
		"\n"
		"listen = 127.0.0.1:9443\n"
		"data=/srv/sluice   \n"
		"\tupstream =  https://git.example.com:8443/prefix  \r\n"
		"upstream_ca = /etc/ca.pem # trailing comment\n"
		"cert = /etc/sluice/cert.pem\n"
		"key = /etc/sluice/key.pem\n"
		"server_name = gate.example.com\n"
		"log_level = debug\n"
		"   # indented comment\n"
		"verdict_deadline_ms = 250\n"
		"push_budget_ms = 3600000\n"
		"hold_whole_max = 4294967296\n"
		"workers = 3\n"
		"max_connections = 77\n"
		"idle_timeout_ms = 5000\n"
		"max_findings_shown = 100\n"
		"push_memory = 16777216\n"
		"\n"
		"secret_block = warn\n"
		"secret_warn = audit\n"
		"iac_action = allow\n"
		"iac_high = block\n"
		"iac_medium = reject\n"
		"limits = warn\n"
		"on_timeout = fail-open\n"
		"mode = monitor\n"
		"bypass = users:alice,bob\n";
	struct sluice_config c;
	struct buf msg;
	int err;

	UNUSED(state);
	buf_init(&msg, 1 << 16);
	config_default(&c);
	err = config_load_file(&c, write_conf("all.conf", text), &msg);
	if (err)
		fail_msg("%s: %.*s", err_str(err), (int)msg.len, (const char *)msg.data);
	assert_string_equal(c.listen, "127.0.0.1:9443");
	assert_string_equal(c.data, "/srv/sluice");
	assert_string_equal(c.upstream, "https://git.example.com:8443/prefix");
	assert_string_equal(c.upstream_ca, "/etc/ca.pem");
	assert_string_equal(c.cert, "/etc/sluice/cert.pem");
	assert_string_equal(c.key, "/etc/sluice/key.pem");
	assert_string_equal(c.server_name, "gate.example.com");
	assert_string_equal(c.log_level, "debug");
	assert_int_equal(c.verdict_deadline_ms, 250);
	assert_int_equal(c.push_budget_ms, 3600000);
	assert_int_equal(c.hold_whole_max, 4294967296ull);
	assert_int_equal(c.workers, 3);
	assert_int_equal(c.max_connections, 77);
	assert_int_equal(c.idle_timeout_ms, 5000);
	assert_int_equal(c.max_findings_shown, 100);
	assert_int_equal(c.push_memory, 16777216);
	assert_int_equal(c.policy.secret_block, ACTION_WARN);
	assert_int_equal(c.policy.secret_warn, ACTION_AUDIT);
	assert_int_equal(c.policy.iac[SEV_CRITICAL], ACTION_ALLOW);
	assert_int_equal(c.policy.iac[SEV_HIGH], ACTION_REJECT);
	assert_int_equal(c.policy.iac[SEV_MEDIUM], ACTION_REJECT);
	assert_int_equal(c.policy.iac[SEV_LOW], ACTION_ALLOW);
	assert_int_equal(c.policy.iac[SEV_INFO], ACTION_ALLOW);
	assert_int_equal(c.policy.limits, ACTION_WARN);
	assert_true(c.policy.fail_open);
	assert_true(c.policy.monitor);
	assert_int_equal(c.policy.bypass, BYPASS_USERS);
	assert_string_equal(c.policy.bypass_users, "alice,bob");
	assert_true(policy_may_bypass(&c.policy, "bob"));
	assert_false(policy_may_bypass(&c.policy, "carol"));
	config_release(&c);
	buf_release(&msg);
}

static void file_errors_name_the_line(void **state)
{
	static const struct {
		const char *text;
		const char *where;	/* "file:line" suffix expected in msg */
		const char *what;	/* and this */
	} bad[] = {
		{ "listen = 1.2.3.4:1\nbogus = 1\n", ":2", "unknown key 'bogus'" },
		/* Blank lines count as lines. */
		{ "# head\n\n\nlisten = 1.2.3.4:1\n\nbogus = 1\n", ":6", "unknown key 'bogus'" },
		{ "\n\n\n\nworkers = 65\n", ":5", "workers" },
		{ "\n# x\n\nno equals sign here\n", ":4", "key = value" },
		{ "mode = enforce\nmode = loud\n", ":2", "loud" },
		{ "\r\n\r\nrepo.app.git.colour = red\r\n", ":3", "colour" },
	};
	struct sluice_config c;
	struct buf msg;
	char want[4300];
	const char *path;
	size_t i;

	UNUSED(state);
	buf_init(&msg, 1 << 16);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		config_default(&c);
		buf_reset(&msg);
		path = write_conf("bad.conf", bad[i].text);
		assert_int_equal(config_load_file(&c, path, &msg), ERR_SYNTAX);
		snprintf(want, sizeof(want), "%s%s", path, bad[i].where);
		if (!has(&msg, want) || !has(&msg, bad[i].what))
			fail_msg("case %zu: want '%s' and '%s' in: %.*s", i, want, bad[i].what,
				 (int)msg.len, (const char *)msg.data);
		/* No later line counts as the bad one. */
		snprintf(want, sizeof(want), "%s:%u", path, (unsigned)(bad[i].where[1] - '0') + 1);
		assert_false(has(&msg, want));
		config_release(&c);
	}
	/* Lines after the bad one are not applied. */
	config_default(&c);
	assert_int_equal(config_load_file(&c, write_conf("stop.conf",
				"bogus = 1\nlisten = 9.9.9.9:9\n"), NULL), ERR_SYNTAX);
	assert_string_equal(c.listen, "0.0.0.0:8443");
	config_release(&c);

	/* Missing file: -errno. */
	config_default(&c);
	buf_reset(&msg);
	snprintf(want, sizeof(want), "%s/nope.conf", dir);
	assert_int_equal(config_load_file(&c, want, &msg), -ENOENT);
	assert_true(has(&msg, "nope.conf"));
	config_release(&c);
	buf_release(&msg);
}

static void file_too_large(void **state)
{
	struct sluice_config c;
	struct buf text;
	const char *path;
	size_t i;

	UNUSED(state);
	buf_init(&text, 4u << 20);
	for (i = 0; text.len <= CONFIG_MAX_BYTES; i++)
		assert_int_equal(buf_append_str(&text, "# a comment line of some length\n"), 0);
	assert_int_equal(buf_append(&text, "", 1), 0);
	path = write_conf("big.conf", (const char *)text.data);
	config_default(&c);
	assert_int_equal(config_load_file(&c, path, NULL), ERR_LIMIT);
	config_release(&c);
	buf_release(&text);
}

/* --- config_set ----------------------------------------------------------- */

static void numbers(void **state)
{
	static const struct {
		const char *key, *value;
		bool ok;
		uint64_t want;
	} cases[] = {
		{ "verdict_deadline_ms", "100", true, 100 },
		{ "verdict_deadline_ms", "600000", true, 600000 },
		{ "verdict_deadline_ms", "99", false, 0 },
		{ "verdict_deadline_ms", "600001", false, 0 },
		{ "verdict_deadline_ms", "", false, 0 },
		{ "verdict_deadline_ms", "abc", false, 0 },
		{ "verdict_deadline_ms", "12x", false, 0 },
		{ "verdict_deadline_ms", "1.5", false, 0 },
		{ "verdict_deadline_ms", "-1", false, 0 },
		{ "verdict_deadline_ms", "4294967396", false, 0 },
		{ "verdict_deadline_ms", "99999999999999999999999", false, 0 },
		{ "hold_whole_max", "0", true, 0 },
		{ "hold_whole_max", "4294967296", true, 4294967296ull },
		{ "hold_whole_max", "4294967297", false, 0 },
		{ "workers", "0", true, 0 },
		{ "workers", "64", true, 64 },
		{ "workers", "65", false, 0 },
		{ "max_connections", "0", false, 0 },
		{ "max_connections", "1", true, 1 },
		{ "max_connections", "100000", true, 100000 },
		{ "max_connections", "100001", false, 0 },
		{ "idle_timeout_ms", "999", false, 0 },
		{ "idle_timeout_ms", "1000", true, 1000 },
		{ "idle_timeout_ms", "3600000", true, 3600000 },
		{ "idle_timeout_ms", "3600001", false, 0 },
		{ "max_findings_shown", "0", false, 0 },
		{ "max_findings_shown", "1", true, 1 },
		{ "max_findings_shown", "101", false, 0 },
		{ "push_budget_ms", "999", false, 0 },
		{ "push_budget_ms", "1000", true, 1000 },
		{ "push_budget_ms", "3600000", true, 3600000 },
		{ "push_budget_ms", "3600001", false, 0 },
		{ "push_memory", "16777215", false, 0 },
		{ "push_memory", "16777216", true, 16777216 },
		{ "push_memory", "1099511627776", true, 1099511627776ull },
		{ "push_memory", "1099511627777", false, 0 },
	};
	struct sluice_config c, before;
	struct buf msg;
	size_t i;

	UNUSED(state);
	buf_init(&msg, 1 << 16);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t got;
		int err;

		config_default(&c);
		before = c;
		buf_reset(&msg);
		err = config_set(&c, cases[i].key, cases[i].value, &msg);
		if (strcmp(cases[i].key, "verdict_deadline_ms") == 0)
			got = c.verdict_deadline_ms;
		else if (strcmp(cases[i].key, "hold_whole_max") == 0)
			got = c.hold_whole_max;
		else if (strcmp(cases[i].key, "workers") == 0)
			got = c.workers;
		else if (strcmp(cases[i].key, "max_connections") == 0)
			got = c.max_connections;
		else if (strcmp(cases[i].key, "idle_timeout_ms") == 0)
			got = c.idle_timeout_ms;
		else if (strcmp(cases[i].key, "push_budget_ms") == 0)
			got = c.push_budget_ms;
		else if (strcmp(cases[i].key, "push_memory") == 0)
			got = c.push_memory;
		else
			got = c.max_findings_shown;
		if (cases[i].ok) {
			if (err)
				fail_msg("%s = %s: %.*s", cases[i].key, cases[i].value, (int)msg.len,
					 (const char *)msg.data);
			assert_int_equal(got, cases[i].want);
		} else {
			if (err != ERR_SYNTAX)
				fail_msg("%s = '%s' accepted", cases[i].key, cases[i].value);
			/* The message names the key and the bounds; nothing changed. */
			assert_true(has(&msg, cases[i].key));
			assert_true(has(&msg, "expected a number"));
			assert_memory_equal(&c, &before, sizeof(c));
		}
		config_release(&c);
	}
	buf_release(&msg);
}

static void strings(void **state)
{
	struct sluice_config c;
	struct buf msg;
	char big[CONFIG_STR + 1];

	UNUSED(state);
	buf_init(&msg, 1 << 16);
	config_default(&c);
	memset(big, 'a', sizeof(big));
	big[CONFIG_STR - 1] = '\0';	/* CONFIG_STR - 1 bytes: fits */
	assert_int_equal(config_set(&c, "data", big, &msg), 0);
	assert_int_equal(strlen(c.data), CONFIG_STR - 1);
	big[CONFIG_STR - 1] = 'a';
	big[CONFIG_STR] = '\0';		/* one more: refused, field kept */
	assert_int_equal(config_set(&c, "data", big, &msg), ERR_LIMIT);
	assert_true(has(&msg, "data: value too long"));
	assert_int_equal(strlen(c.data), CONFIG_STR - 1);
	big[sizeof(c.server_name)] = '\0';
	assert_int_equal(config_set(&c, "server_name", big, NULL), ERR_LIMIT);
	assert_string_equal(c.server_name, "localhost");
	assert_int_equal(config_set(&c, "log_level", "warn", NULL), 0);
	assert_int_equal(config_set(&c, "log_level", "0123456789abcdef", NULL), ERR_LIMIT);
	assert_string_equal(c.log_level, "warn");
	/* An empty value is a value. */
	assert_int_equal(config_set(&c, "upstream", "", NULL), 0);
	assert_string_equal(c.upstream, "");
	/* Keys are exact. */
	buf_reset(&msg);
	assert_int_equal(config_set(&c, "Listen", "x", &msg), ERR_SYNTAX);
	assert_true(has(&msg, "unknown key 'Listen'"));
	assert_int_equal(config_set(&c, "listen ", "x", NULL), ERR_SYNTAX);
	/* A typo in a key is called that, whatever its value. */
	buf_reset(&msg);
	assert_int_equal(config_set(&c, "verdict_deadline", "4000", &msg), ERR_SYNTAX);
	assert_true(has(&msg, "unknown key 'verdict_deadline'"));
	buf_reset(&msg);
	assert_int_equal(config_set(&c, "secret_blok", "warn", &msg), ERR_SYNTAX);
	assert_true(has(&msg, "unknown key 'secret_blok'"));
	assert_int_equal(config_set(&c, "iac_", "warn", NULL), ERR_SYNTAX);
	assert_int_equal(config_set(&c, "iac_urgent", "warn", NULL), ERR_SYNTAX);
	config_release(&c);
	buf_release(&msg);
}

static void policy_keys(void **state)
{
	static const struct {
		const char *value;
		enum verdict_action a;
	} actions[] = {
		{ "allow", ACTION_ALLOW }, { "audit", ACTION_AUDIT }, { "warn", ACTION_WARN },
		{ "reject", ACTION_REJECT }, { "block", ACTION_REJECT },
	};
	static const char *const sev[] = { "iac_critical", "iac_high", "iac_medium", "iac_low",
					   "iac_info" };
	struct sluice_config c;
	struct buf msg;
	size_t i, j;

	UNUSED(state);
	buf_init(&msg, 1 << 16);
	config_default(&c);
	for (i = 0; i < ARRAY_SIZE(actions); i++) {
		assert_int_equal(config_set(&c, "secret_block", actions[i].value, NULL), 0);
		assert_int_equal(c.policy.secret_block, actions[i].a);
		assert_int_equal(config_set(&c, "secret_warn", actions[i].value, NULL), 0);
		assert_int_equal(c.policy.secret_warn, actions[i].a);
		assert_int_equal(config_set(&c, "limits", actions[i].value, NULL), 0);
		assert_int_equal(c.policy.limits, actions[i].a);
	}
	/* One severity at a time leaves the others. */
	config_default(&c);
	for (i = 0; i < ARRAY_SIZE(sev); i++) {
		assert_int_equal(config_set(&c, sev[i], "block", NULL), 0);
		for (j = 0; j < POLICY_SEVERITIES; j++)
			assert_int_equal(c.policy.iac[j], j <= i ? ACTION_REJECT : ACTION_WARN);
		assert_int_equal(policy_iac_action(&c.policy, (enum rule_severity)i), ACTION_REJECT);
	}
	assert_int_equal(config_set(&c, "iac_action", "audit", NULL), 0);
	for (j = 0; j < POLICY_SEVERITIES; j++)
		assert_int_equal(c.policy.iac[j], ACTION_AUDIT);

	assert_int_equal(config_set(&c, "on_timeout", "fail-open", NULL), 0);
	assert_true(c.policy.fail_open);
	assert_int_equal(config_set(&c, "on_timeout", "fail-closed", NULL), 0);
	assert_false(c.policy.fail_open);
	assert_int_equal(config_set(&c, "mode", "monitor", NULL), 0);
	assert_true(c.policy.monitor);
	assert_int_equal(policy_finalize(&c.policy, ACTION_REJECT), ACTION_WARN);
	assert_int_equal(config_set(&c, "mode", "enforce", NULL), 0);
	assert_false(c.policy.monitor);
	assert_int_equal(policy_finalize(&c.policy, ACTION_REJECT), ACTION_REJECT);

	assert_int_equal(config_set(&c, "bypass", "nobody", NULL), 0);
	assert_int_equal(c.policy.bypass, BYPASS_NOBODY);
	assert_false(policy_may_bypass(&c.policy, "alice"));
	assert_int_equal(config_set(&c, "bypass", "users:alice", NULL), 0);
	assert_int_equal(c.policy.bypass, BYPASS_USERS);
	assert_true(policy_may_bypass(&c.policy, "alice"));
	assert_false(policy_may_bypass(&c.policy, NULL));
	assert_int_equal(config_set(&c, "bypass", "anyone", NULL), 0);
	assert_int_equal(c.policy.bypass, BYPASS_ANYONE);

	/* Bad values: ERR_SYNTAX naming key and value, policy unchanged. */
	{
		static const char *const badkv[][2] = {
			{ "secret_block", "deny" }, { "secret_warn", "" }, { "limits", "BLOCK" },
			{ "iac_action", "maybe" }, { "iac_low", "0" }, { "on_timeout", "open" },
			{ "mode", "Monitor" }, { "bypass", "users" }, { "bypass", "everyone" },
		};
		struct policy before = c.policy;

		for (i = 0; i < ARRAY_SIZE(badkv); i++) {
			buf_reset(&msg);
			assert_int_equal(config_set(&c, badkv[i][0], badkv[i][1], &msg), ERR_SYNTAX);
			assert_true(has(&msg, badkv[i][0]));
			assert_memory_equal(&before, &c.policy, sizeof(before));
		}
	}
	/* A user list longer than the policy keeps is refused, not cut. */
	{
		char users[POLICY_USERS_MAX + 16];

		memcpy(users, "users:", 6);
		memset(users + 6, 'u', sizeof(users) - 7);
		users[sizeof(users) - 1] = '\0';
		assert_int_equal(config_set(&c, "bypass", users, NULL), ERR_SYNTAX);
		assert_int_equal(c.policy.bypass, BYPASS_ANYONE);
	}
	config_release(&c);
	buf_release(&msg);
}

static void repo_overrides(void **state)
{
	static const char text[] =
		"secret_warn = block\n"
		"repo.team/app.git.secret_block = warn\n"
		"repo.team/app.git.bypass = users:a,b\n"
		"repo.team/app.git.iac_medium = block\n"
		"repo.sandbox.git.mode = monitor\n"
		"repo.plain.on_timeout = fail-open\n";
	struct sluice_config c;
	const struct policy *p;
	struct buf msg;
	int err;

	UNUSED(state);
	buf_init(&msg, 1 << 16);
	config_default(&c);
	err = config_load_file(&c, write_conf("repos.conf", text), &msg);
	if (err)
		fail_msg("%.*s", (int)msg.len, (const char *)msg.data);
	assert_int_equal(c.n_repos, 3);

	p = config_policy_for(&c, "team/app.git");
	assert_ptr_not_equal(p, &c.policy);
	assert_int_equal(p->secret_block, ACTION_WARN);
	assert_int_equal(p->bypass, BYPASS_USERS);
	assert_true(policy_may_bypass(p, "a"));
	assert_true(policy_may_bypass(p, "b"));
	assert_false(policy_may_bypass(p, "c"));
	assert_false(policy_may_bypass(p, "a,b"));
	assert_int_equal(p->iac[SEV_MEDIUM], ACTION_REJECT);
	assert_int_equal(p->iac[SEV_HIGH], ACTION_WARN);
	/* It started as a copy of the default made before it. */
	assert_int_equal(p->secret_warn, ACTION_REJECT);
	/* Leading slashes of a URL path do not matter. */
	assert_ptr_equal(config_policy_for(&c, "/team/app.git"), p);
	assert_ptr_equal(config_policy_for(&c, "//team/app.git"), p);

	p = config_policy_for(&c, "sandbox.git");
	assert_true(p->monitor);
	assert_int_equal(p->secret_block, ACTION_REJECT);
	assert_int_equal(policy_finalize(p, ACTION_REJECT), ACTION_WARN);
	assert_true(config_policy_for(&c, "plain")->fail_open);

	/* Others, and near misses, get the default. */
	assert_ptr_equal(config_policy_for(&c, "team/app"), &c.policy);
	assert_ptr_equal(config_policy_for(&c, "team/app.git/"), &c.policy);
	assert_ptr_equal(config_policy_for(&c, "other.git"), &c.policy);
	assert_ptr_equal(config_policy_for(&c, NULL), &c.policy);
	assert_false(c.policy.monitor);
	assert_int_equal(c.policy.secret_block, ACTION_REJECT);

	/* An override written with the URL's leading slash is the same
	 * repository (lookups ignore leading slashes too); it must apply. */
	assert_int_equal(config_set(&c, "repo./team/app.git.limits", "audit", NULL), 0);
	assert_int_equal(config_set(&c, "repo.//slashy.git.mode", "monitor", NULL), 0);
	assert_int_equal(c.n_repos, 4);
	p = config_policy_for(&c, "/team/app.git");
	assert_int_equal(p->limits, ACTION_AUDIT);
	assert_int_equal(p->secret_block, ACTION_WARN);
	assert_true(config_policy_for(&c, "slashy.git")->monitor);
	assert_true(config_policy_for(&c, "/slashy.git")->monitor);
	assert_int_equal(config_set(&c, "repo./.mode", "monitor", NULL), ERR_SYNTAX);

	/* Malformed override keys. */
	buf_reset(&msg);
	assert_int_equal(config_set(&c, "repo.nodot", "warn", &msg), ERR_SYNTAX);
	assert_true(has(&msg, "repo.<path>.<key>"));
	assert_int_equal(config_set(&c, "repo..mode", "monitor", NULL), ERR_SYNTAX);
	assert_int_equal(config_set(&c, "repo.x.", "monitor", NULL), ERR_SYNTAX);
	buf_reset(&msg);
	assert_int_equal(config_set(&c, "repo.app.git.listen", "1.2.3.4:5", &msg), ERR_SYNTAX);
	assert_true(has(&msg, "unknown policy key 'listen'"));
	buf_reset(&msg);
	assert_int_equal(config_set(&c, "repo.app.git.colour", "warn", &msg), ERR_SYNTAX);
	assert_true(has(&msg, "unknown policy key 'colour'"));
	assert_int_equal(config_set(&c, "repo.app.git.mode", "loud", NULL), ERR_SYNTAX);
	config_release(&c);
	assert_null(c.repos);
	assert_int_equal(c.n_repos, 0);

	/* At most CONFIG_MAX_REPOS repositories. */
	config_default(&c);
	{
		char key[64];
		unsigned i;

		for (i = 0; i < CONFIG_MAX_REPOS; i++) {
			snprintf(key, sizeof(key), "repo.r%u.git.mode", i);
			assert_int_equal(config_set(&c, key, "monitor", NULL), 0);
		}
		assert_int_equal(config_set(&c, "repo.one-more.git.mode", "monitor", NULL),
				 ERR_LIMIT);
		/* An existing one can still be changed. */
		assert_int_equal(config_set(&c, "repo.r7.git.mode", "enforce", NULL), 0);
		assert_false(config_policy_for(&c, "r7.git")->monitor);
		assert_true(config_policy_for(&c, "r8.git")->monitor);
	}
	config_release(&c);
	buf_release(&msg);
}

/* The dump is a configuration file that gives the same configuration. */
static void dump_round_trip(void **state)
{
	struct sluice_config a, b;
	struct buf d1, d2, msg;
	const struct policy *pa, *pb;
	int err;

	UNUSED(state);
	buf_init(&d1, 1 << 20);
	buf_init(&d2, 1 << 20);
	buf_init(&msg, 1 << 16);
	config_default(&a);
	assert_int_equal(config_set(&a, "listen", "10.0.0.1:443", NULL), 0);
	assert_int_equal(config_set(&a, "upstream", "http://127.0.0.1:8080", NULL), 0);
	assert_int_equal(config_set(&a, "verdict_deadline_ms", "123", NULL), 0);
	assert_int_equal(config_set(&a, "hold_whole_max", "4294967296", NULL), 0);
	assert_int_equal(config_set(&a, "max_findings_shown", "3", NULL), 0);
	assert_int_equal(config_set(&a, "secret_warn", "block", NULL), 0);
	assert_int_equal(config_set(&a, "iac_low", "allow", NULL), 0);
	assert_int_equal(config_set(&a, "mode", "monitor", NULL), 0);
	assert_int_equal(config_set(&a, "on_timeout", "fail-open", NULL), 0);
	assert_int_equal(config_set(&a, "bypass", "users:x,y", NULL), 0);
	assert_int_equal(config_set(&a, "repo.team/app.git.secret_block", "audit", NULL), 0);
	assert_int_equal(config_set(&a, "repo.team/app.git.bypass", "nobody", NULL), 0);
	assert_int_equal(config_dump(&a, &d1), 0);
	/* One line per key, "key = value". */
	assert_true(has(&d1, "listen = 10.0.0.1:443\n"));
	assert_true(has(&d1, "upstream_ca = \n"));
	assert_true(has(&d1, "hold_whole_max = 4294967296\n"));
	assert_true(has(&d1, "max_findings_shown = 3\n"));

	config_default(&b);
	assert_int_equal(buf_append(&d1, "", 1), 0);
	err = config_load_file(&b, write_conf("dump.conf", (const char *)d1.data), &msg);
	if (err)
		fail_msg("%.*s", (int)msg.len, (const char *)msg.data);
	d1.len--;
	assert_int_equal(config_dump(&b, &d2), 0);
	assert_int_equal(d1.len, d2.len);
	assert_memory_equal(d1.data, d2.data, d1.len);
	assert_string_equal(a.listen, b.listen);
	assert_string_equal(a.upstream, b.upstream);
	assert_int_equal(a.verdict_deadline_ms, b.verdict_deadline_ms);
	assert_int_equal(a.hold_whole_max, b.hold_whole_max);
	assert_int_equal(a.max_findings_shown, b.max_findings_shown);
	/* The policy, global and per repository, is part of the
	 * configuration too ("every key"). */
	assert_memory_equal(&a.policy, &b.policy, sizeof(a.policy));
	assert_int_equal(b.n_repos, 1);
	pa = config_policy_for(&a, "team/app.git");
	pb = config_policy_for(&b, "team/app.git");
	assert_ptr_not_equal(pb, &b.policy);
	assert_memory_equal(pa, pb, sizeof(*pa));
	config_release(&a);
	config_release(&b);
	buf_release(&d1);
	buf_release(&d2);
	buf_release(&msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(every_key_from_file),
		cmocka_unit_test(file_errors_name_the_line),
		cmocka_unit_test(file_too_large),
		cmocka_unit_test(numbers),
		cmocka_unit_test(strings),
		cmocka_unit_test(policy_keys),
		cmocka_unit_test(repo_overrides),
		cmocka_unit_test(dump_round_trip),
	};

	return cmocka_run_group_tests_name("netproxy/config/", tests, setup, teardown);
}
