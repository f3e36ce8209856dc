/*
 * test_auth.c - netproxy/auth: DATA/users (hash round trip, strict
 * parsing with file:line, mode checks), HTTP Basic verification, the
 * verified-credential cache, the per-client failure limiter, the
 * process-wide hash rate, re-reading a changed file, and the first-start
 * admin credential.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/base/limits.h"
#include "netproxy/auth.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/base64.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

static char dir[64];
static char users[128];
static uint64_t fake_now = 1000;

static uint64_t fake_clock(void)
{
	return fake_now;
}

static int setup(void **state)
{
	UNUSED(state);
	snprintf(dir, sizeof(dir), "/tmp/sluice-auth.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(users, sizeof(users), "%s/users", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	UNUSED(state);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* "Basic base64(user:password)" */
static const char *basic(const char *user, const char *password)
{
	static char out[512];
	char plain[300];
	size_t n;

	snprintf(plain, sizeof(plain), "%s:%s", user, password);
	memcpy(out, "Basic ", 6);
	assert_int_equal(mbedtls_base64_encode((unsigned char *)out + 6, sizeof(out) - 6, &n,
					       (const unsigned char *)plain, strlen(plain)), 0);
	return out;
}

static enum auth_result verify(struct auth *a, const char *client, const char *value, char *user)
{
	char scratch[AUTH_NAME_CAP];

	return auth_verify_basic(a, client, value, value ? strlen(value) : 0, user ? user : scratch,
				 AUTH_NAME_CAP);
}

static void write_users(const char *text, mode_t mode)
{
	int fd;

	unlink(users);
	fd = open(users, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void add_user(const char *name, const char *password)
{
	struct buf msg;

	buf_init(&msg, 4096);
	assert_int_equal(auth_file_change(users, AUTH_ADD, name, password, &msg), 0);
	buf_release(&msg);
}

static struct auth *open_auth(enum auth_mode mode)
{
	struct auth *a = NULL;
	struct buf msg;

	buf_init(&msg, 4096);
	assert_int_equal(auth_new(users, mode, &a, &msg), 0);
	buf_release(&msg);
	auth_clock_set(a, fake_clock);
	return a;
}

/* --- the file --------------------------------------------------------------- */

static void round_trip(void **state)
{
	struct auth *a;
	char user[AUTH_NAME_CAP];
	struct stat st;

	UNUSED(state);
	unlink(users);
	add_user("alice", "correct horse battery");
	add_user("bob.smith-2", "another password");
	assert_int_equal(stat(users, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	a = open_auth(AUTH_GATE);
	assert_int_equal(auth_user_count(a), 2);
	fake_now += 10;
	assert_int_equal(verify(a, "192.0.2.1", basic("alice", "correct horse battery"), user),
			 AUTH_VERIFIED);
	assert_string_equal(user, "alice");
	assert_int_equal(verify(a, "192.0.2.1", basic("bob.smith-2", "another password"), user),
			 AUTH_VERIFIED);
	assert_string_equal(user, "bob.smith-2");
	auth_free(a);
	/* A password containing ':' is fine: only the first one splits. */
	{
		struct buf msg;

		buf_init(&msg, 4096);
		assert_int_equal(auth_file_change(users, AUTH_PASSWD, "alice", "pa:ss:word", &msg), 0);
		buf_release(&msg);
	}
	a = open_auth(AUTH_GATE);
	fake_now += 10;
	assert_int_equal(verify(a, "192.0.2.1", basic("alice", "pa:ss:word"), user), AUTH_VERIFIED);
	assert_string_equal(user, "alice");
	auth_free(a);
}

static void wrong_password_and_no_credential(void **state)
{
	struct auth *a;
	char user[AUTH_NAME_CAP];

	UNUSED(state);
	unlink(users);
	add_user("alice", "correct horse battery");
	a = open_auth(AUTH_GATE);
	fake_now += 100;
	assert_int_equal(verify(a, "192.0.2.7", basic("alice", "correct horse batterY"), user),
			 AUTH_REFUSED);
	assert_string_equal(user, "");
	assert_int_equal(verify(a, "192.0.2.7", basic("alice", "correct horse battery "), NULL),
			 AUTH_REFUSED);
	assert_int_equal(verify(a, "192.0.2.7", basic("mallory", "correct horse battery"), NULL),
			 AUTH_REFUSED);
	assert_int_equal(verify(a, "192.0.2.7", basic("alice", ""), NULL), AUTH_REFUSED);
	assert_int_equal(verify(a, "192.0.2.7", "Basic !!!notbase64", NULL), AUTH_REFUSED);
	assert_int_equal(verify(a, "192.0.2.7", "Basic YWxpY2U=", NULL), AUTH_REFUSED); /* "alice" */
	/* Not a Basic credential at all: nothing to check. */
	assert_int_equal(verify(a, "192.0.2.8", NULL, NULL), AUTH_NO_CREDENTIAL);
	assert_int_equal(verify(a, "192.0.2.8", "Bearer abc", NULL), AUTH_NO_CREDENTIAL);
	assert_int_equal(verify(a, "192.0.2.8", "Basic", NULL), AUTH_NO_CREDENTIAL);
	assert_int_equal(verify(a, "192.0.2.8", "Basicx YWxpY2U6eA==", NULL), AUTH_NO_CREDENTIAL);
	/* The scheme is case-insensitive. */
	fake_now += 100;
	assert_int_equal(verify(a, "192.0.2.8", basic("alice", "correct horse battery") + 0, user),
			 AUTH_VERIFIED);
	{
		char lower[512];

		snprintf(lower, sizeof(lower), "bAsIc  %s", basic("alice", "correct horse battery") + 6);
		assert_int_equal(verify(a, "192.0.2.8", lower, user), AUTH_VERIFIED);
	}
	auth_free(a);
}

static void malformed_lines(void **state)
{
	static const char good[] =
		"$pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
	static const struct {
		const char *line;	/* third line of the file; %s = a good hash */
		int err;
		const char *why;
	} cases[] = {
		{ "carol", ERR_SYNTAX, "expected name:hash" },
		{ ":%s", ERR_SYNTAX, "invalid user name" },
		{ "-carol:%s", ERR_SYNTAX, "invalid user name" },
		{ "car ol:%s", ERR_SYNTAX, "invalid user name" },
		{ "carol:$2y$10$abcdefghijklmnopqrstuv", ERR_SYNTAX, "hash is not $pbkdf2-sha256$" },
		{ "carol:$pbkdf2-sha256$x$AAAAAAAAAAA=$AAAA", ERR_SYNTAX, "iteration count is not a number" },
		{ "carol:$pbkdf2-sha256$999$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		  ERR_SYNTAX, "iteration count out of range" },
		{ "carol:$pbkdf2-sha256$99999999$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		  ERR_SYNTAX, "iteration count" },
		{ "carol:$pbkdf2-sha256$100000$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		  ERR_SYNTAX, "salt is not base64" },
		{ "carol:$pbkdf2-sha256$100000$AA AAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		  ERR_SYNTAX, "salt is not base64" },
		{ "carol:$pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAAAA==$AAAA", ERR_SYNTAX,
		  "key is not base64 of 32 bytes" },
		{ "carol:$pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=x",
		  ERR_SYNTAX, "key is not base64" },
		{ "alice:%s", ERR_SYNTAX, "user 'alice' appears twice" },
	};
	struct auth *a;
	struct buf msg;
	char text[2048], line[700], want[200];
	size_t i;

	UNUSED(state);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(line, sizeof(line), cases[i].line, good);
		snprintf(text, sizeof(text), "# users\nalice:%s\n%s\nbob:%s\n", good, line, good);
		write_users(text, 0600);
		buf_init(&msg, 4096);
		a = (struct auth *)1;
		assert_int_equal(auth_new(users, AUTH_GATE, &a, &msg), cases[i].err);
		assert_null(a);
		assert_int_equal(buf_append(&msg, "", 1), 0);
		snprintf(want, sizeof(want), "%s:3: %s", users, cases[i].why);
		if (strncmp((char *)msg.data, want, strlen(want)) != 0)
			fail_msg("case %zu: got '%s', want '%s...'", i, (char *)msg.data, want);
		buf_release(&msg);
	}
	/* A line over the limit, comments, blank lines and CRLF. */
	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	snprintf(text, sizeof(text), "alice:%s\n%s:%s\n", good, line, good);
	write_users(text, 0600);
	buf_init(&msg, 4096);
	assert_int_equal(auth_new(users, AUTH_GATE, &a, &msg), ERR_LIMIT);
	assert_non_null(strstr((char *)msg.data, "users:2: line longer than"));
	buf_release(&msg);
	snprintf(text, sizeof(text), "# comment\r\n\r\nalice:%s\r\n\n# bob:nothing\nbob:%s", good, good);
	write_users(text, 0600);
	a = open_auth(AUTH_GATE);
	assert_int_equal(auth_user_count(a), 2);
	auth_free(a);
	/* Anyone who can write the file can make themselves a user. */
	write_users(text, 0620);
	buf_init(&msg, 4096);
	assert_int_equal(auth_new(users, AUTH_GATE, &a, &msg), ERR_UNSUPPORTED);
	assert_non_null(strstr((char *)msg.data, "chmod 600"));
	buf_release(&msg);
	/* A missing file is an empty table. */
	unlink(users);
	a = open_auth(AUTH_GATE);
	assert_int_equal(auth_user_count(a), 0);
	fake_now += 100;
	assert_int_equal(verify(a, "192.0.2.9", basic("alice", "whatever1"), NULL), AUTH_REFUSED);
	auth_free(a);
}

static void file_changes(void **state)
{
	struct buf msg, out;

	UNUSED(state);
	unlink(users);
	add_user("alice", "password one");
	buf_init(&msg, 4096);
	assert_int_equal(auth_file_change(users, AUTH_ADD, "alice", "password two", &msg), ERR_USAGE);
	assert_non_null(strstr((char *)msg.data, "exists"));
	buf_reset(&msg);
	assert_int_equal(auth_file_change(users, AUTH_DEL, "bob", NULL, &msg), ERR_NOTFOUND);
	buf_reset(&msg);
	assert_int_equal(auth_file_change(users, AUTH_PASSWD, "bob", "password two", &msg),
			 ERR_NOTFOUND);
	buf_reset(&msg);
	assert_int_equal(auth_file_change(users, AUTH_ADD, "b@d", "password two", &msg), ERR_USAGE);
	buf_reset(&msg);
	add_user("bob", "password two");
	add_user("carol", "password three");
	assert_int_equal(auth_file_change(users, AUTH_DEL, "bob", NULL, &msg), 0);
	buf_init(&out, 4096);
	assert_int_equal(auth_file_list(users, &out, &msg), 0);
	assert_int_equal(buf_append(&out, "", 1), 0);
	assert_string_equal((char *)out.data, "alice\ncarol\n");
	buf_release(&out);
	/* A malformed file is not rewritten. */
	write_users("alice\n", 0600);
	buf_reset(&msg);
	assert_int_equal(auth_file_change(users, AUTH_ADD, "dave", "password four", &msg),
			 ERR_SYNTAX);
	assert_non_null(strstr((char *)msg.data, "users:1:"));
	buf_release(&msg);
}

static void first_start(void **state)
{
	char pw[LIMIT_AUTH_GENERATED_CHARS + 1], pw2[LIMIT_AUTH_GENERATED_CHARS + 1];
	char user[AUTH_NAME_CAP];
	struct auth *a;
	struct stat st;
	struct buf msg;
	size_t i;

	UNUSED(state);
	unlink(users);
	buf_init(&msg, 4096);
	assert_int_equal(auth_first_start(users, pw, sizeof(pw), &msg), 1);
	assert_int_equal(strlen(pw), LIMIT_AUTH_GENERATED_CHARS);
	for (i = 0; pw[i]; i++)
		assert_non_null(strchr("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
				       pw[i]));
	assert_int_equal(stat(users, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* Never again: the file exists, nothing changes, nothing is shown. */
	assert_int_equal(auth_first_start(users, pw2, sizeof(pw2), &msg), 0);
	assert_string_equal(pw2, "");
	buf_release(&msg);
	a = open_auth(AUTH_GATE);
	fake_now += 100;
	assert_int_equal(verify(a, "192.0.2.10", basic("admin", pw), user), AUTH_VERIFIED);
	assert_string_equal(user, "admin");
	auth_free(a);
	/* Two generated passwords differ. */
	assert_int_equal(auth_password_generate(pw2, sizeof(pw2)), 0);
	assert_string_not_equal(pw, pw2);
}

/* --- cache, limiter, rate, reload -------------------------------------------- */

static void cache_hit(void **state)
{
	struct auth *a;
	char user[AUTH_NAME_CAP], other[512], client[32];
	unsigned i;

	UNUSED(state);
	unlink(users);
	add_user("alice", "correct horse battery");
	a = open_auth(AUTH_GATE);
	fake_now += 100;
	assert_int_equal(verify(a, "192.0.2.20", basic("alice", "correct horse battery"), user),
			 AUTH_VERIFIED);
	/* Spend this second's whole hash rate with wrong passwords from
	 * many addresses (each one hashes). */
	for (i = 1; i < LIMIT_AUTH_HASHES_PER_SEC; i++) {
		snprintf(client, sizeof(client), "198.51.100.%u", i);
		assert_int_equal(verify(a, client, basic("alice", "guess"), NULL), AUTH_REFUSED);
	}
	assert_int_equal(verify(a, "198.51.100.200", basic("alice", "guess"), NULL), AUTH_BUSY);
	/* The same credential spelt differently is not in the cache: it
	 * would need a hash, and there is none left this second. */
	snprintf(other, sizeof(other), "basic %s", basic("alice", "correct horse battery") + 6);
	assert_int_equal(verify(a, "192.0.2.20", other, NULL), AUTH_BUSY);
	/* The cached one costs no hash. */
	memset(user, 0, sizeof(user));
	assert_int_equal(verify(a, "192.0.2.20", basic("alice", "correct horse battery"), user),
			 AUTH_VERIFIED);
	assert_string_equal(user, "alice");
	/* ... until its lifetime ends (rate spent again at the new time). */
	fake_now += LIMIT_AUTH_CACHE_TTL_SEC;
	for (i = 0; i < LIMIT_AUTH_HASHES_PER_SEC; i++) {
		snprintf(client, sizeof(client), "203.0.113.%u", i);
		assert_int_equal(verify(a, client, basic("alice", "guess"), NULL), AUTH_REFUSED);
	}
	assert_int_equal(verify(a, "192.0.2.20", basic("alice", "correct horse battery"), NULL),
			 AUTH_BUSY);
	fake_now += 1;
	assert_int_equal(verify(a, "192.0.2.20", basic("alice", "correct horse battery"), NULL),
			 AUTH_VERIFIED);
	auth_free(a);
}

static void failure_limiter(void **state)
{
	struct auth *a;
	const char *good;
	char good_copy[512];
	unsigned i;

	UNUSED(state);
	unlink(users);
	add_user("alice", "correct horse battery");
	a = open_auth(AUTH_GATE);
	good = basic("alice", "correct horse battery");
	snprintf(good_copy, sizeof(good_copy), "%s", good);
	fake_now += 100;
	for (i = 0; i < LIMIT_AUTH_FAILURES; i++) {
		fake_now += 1;
		assert_int_equal(verify(a, "192.0.2.30", basic("alice", "guess"), NULL), AUTH_REFUSED);
	}
	/* Throttled: even the right password is not checked now. */
	assert_int_equal(verify(a, "192.0.2.30", good_copy, NULL), AUTH_THROTTLED);
	assert_int_equal(verify(a, "192.0.2.30", basic("mallory", "x1234567"), NULL), AUTH_THROTTLED);
	/* Another address is not. */
	assert_int_equal(verify(a, "192.0.2.31", good_copy, NULL), AUTH_VERIFIED);
	/* Nor a verified credential already cached... */
	assert_int_equal(verify(a, "192.0.2.30", good_copy, NULL), AUTH_VERIFIED);
	/* ...and the window ends. */
	fake_now += LIMIT_AUTH_FAILURE_WINDOW_SEC;
	assert_int_equal(verify(a, "192.0.2.30", basic("alice", "guess"), NULL), AUTH_REFUSED);

	/* IPv6 counts per /64. */
	for (i = 0; i < LIMIT_AUTH_FAILURES; i++) {
		char client[64];

		fake_now += 1;
		snprintf(client, sizeof(client), "2001:db8::%u", i + 1);
		assert_int_equal(verify(a, client, basic("alice", "guess"), NULL), AUTH_REFUSED);
	}
	assert_int_equal(verify(a, "2001:db8::ffff", basic("alice", "guess 2"), NULL), AUTH_THROTTLED);
	fake_now += 1;
	assert_int_equal(verify(a, "2001:db8:0:1::1", basic("alice", "guess 2"), NULL), AUTH_REFUSED);
	auth_free(a);

	/* Upstream mode: a name DATA/users does not hold is the upstream's
	 * business: refused without counting. */
	a = open_auth(AUTH_ADVISORY);
	fake_now += 100;
	for (i = 0; i < 2 * LIMIT_AUTH_FAILURES; i++)
		assert_int_equal(verify(a, "192.0.2.40", basic("upstream-user", "token"), NULL),
				 AUTH_REFUSED);
	assert_int_equal(verify(a, "192.0.2.40", good_copy, NULL), AUTH_VERIFIED);
	/* But guessing a listed user's password counts. */
	for (i = 0; i < LIMIT_AUTH_FAILURES; i++) {
		fake_now += 1;
		assert_int_equal(verify(a, "192.0.2.41", basic("alice", "guess"), NULL), AUTH_REFUSED);
	}
	assert_int_equal(verify(a, "192.0.2.41", basic("alice", "guess"), NULL), AUTH_THROTTLED);
	auth_free(a);
}

static void reload_on_change(void **state)
{
	struct auth *a;
	struct buf msg;
	char old[512];

	UNUSED(state);
	unlink(users);
	add_user("alice", "correct horse battery");
	a = open_auth(AUTH_GATE);
	snprintf(old, sizeof(old), "%s", basic("alice", "correct horse battery"));
	fake_now += 100;
	assert_int_equal(verify(a, "192.0.2.50", old, NULL), AUTH_VERIFIED);
	/* A changed password empties the cache at the next request. */
	buf_init(&msg, 4096);
	assert_int_equal(auth_file_change(users, AUTH_PASSWD, "alice", "new password", &msg), 0);
	fake_now += 1;
	assert_int_equal(verify(a, "192.0.2.50", old, NULL), AUTH_REFUSED);
	fake_now += 1;
	assert_int_equal(verify(a, "192.0.2.50", basic("alice", "new password"), NULL), AUTH_VERIFIED);
	/* A file that no longer parses keeps the last good table. */
	write_users("alice:broken\n", 0600);
	fake_now += 1;
	assert_int_equal(verify(a, "192.0.2.51", basic("alice", "new password"), NULL), AUTH_VERIFIED);
	assert_int_equal(auth_user_count(a), 1);
	/* A deleted file means no users. */
	unlink(users);
	fake_now += 1;
	assert_int_equal(verify(a, "192.0.2.52", basic("alice", "new password"), NULL), AUTH_REFUSED);
	assert_int_equal(auth_user_count(a), 0);
	buf_release(&msg);
	auth_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(wrong_password_and_no_credential),
		cmocka_unit_test(malformed_lines),
		cmocka_unit_test(file_changes),
		cmocka_unit_test(first_start),
		cmocka_unit_test(cache_hit),
		cmocka_unit_test(failure_limiter),
		cmocka_unit_test(reload_on_change),
	};

	return cmocka_run_group_tests_name("netproxy/auth/", tests, setup, teardown);
}
