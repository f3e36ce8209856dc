/*
 * test_urlpath.c - one spelling for request targets: the spellings an
 * upstream would read as a push route canonicalise to the plain route,
 * and what upstreams disagree on is refused.
 */
#include "core/base/api.h"
#include "core/base/err.h"
#include "netproxy/urlpath.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static void expect_canon(const char *in, const char *want)
{
	char out[512];
	const char *why = NULL;
	int rc = urlpath_canon(in, strlen(in), out, sizeof(out), &why);

	if (rc != 0)
		fail_msg("%s: refused (%s)", in, why ? why : "?");
	if (strcmp(out, want) != 0)
		fail_msg("%s: got %s, want %s", in, out, want);
}

static void expect_refused(const char *in)
{
	char out[512];
	const char *why = NULL;
	int rc = urlpath_canon(in, strlen(in), out, sizeof(out), &why);

	if (rc != ERR_SYNTAX)
		fail_msg("%s: accepted as %s", in, out);
	assert_non_null(why);
}

static void plain_targets_unchanged(void **state)
{
	UNUSED(state);
	expect_canon("/app.git/git-receive-pack", "/app.git/git-receive-pack");
	expect_canon("/git/team/app.git/info/refs?service=git-receive-pack",
		     "/git/team/app.git/info/refs?service=git-receive-pack");
	expect_canon("/", "/");
	expect_canon("/my%20repo.git/HEAD", "/my%20repo.git/HEAD");
	expect_canon("/a/b/", "/a/b/");
}

static void push_route_spellings_canonicalise(void **state)
{
	UNUSED(state);
	expect_canon("/app.git/git%2dreceive-pack", "/app.git/git-receive-pack");
	expect_canon("/app.git/git%2Dreceive%2Dpack", "/app.git/git-receive-pack");
	expect_canon("/app.git/git-receive-pac%6b", "/app.git/git-receive-pack");
	expect_canon("/%61pp.git/../app.git/git%2Dreceive%2Dpack", "/app.git/git-receive-pack");
	expect_canon("/x/./app.git//git-receive-pack", "/x/app.git/git-receive-pack");
	expect_canon("/a/%2e%2e/app.git/git-receive-pack", "/app.git/git-receive-pack");
	expect_canon("/app.git/info/refs?service=git%2dreceive%2dpack",
		     "/app.git/info/refs?service=git-receive-pack");
	/* Non-unreserved escapes stay escaped, hex upper-cased. */
	expect_canon("/a%3ab/x?k=a%26b", "/a%3Ab/x?k=a%26b");
	expect_canon("/a/b/..", "/a/");
	expect_canon("/a/.", "/a/");
}

static void ambiguous_targets_refused(void **state)
{
	UNUSED(state);
	expect_refused("app.git/git-receive-pack");
	expect_refused("http://host/app.git/git-receive-pack");
	expect_refused("/app.git%2fgit-receive-pack");
	expect_refused("/app.git%2Fgit-receive-pack");
	expect_refused("/app.git%5cgit-receive-pack");
	expect_refused("/app.git\\git-receive-pack");
	expect_refused("/app.git/git-receive-pack%00");
	expect_refused("/app.git/git-receive-pack%0a");
	expect_refused("/app.git/%zz");
	expect_refused("/app.git/%4");
	expect_refused("/app.git/%");
	expect_refused("/../app.git/git-receive-pack");
	expect_refused("/a/../../app.git");
	expect_refused("/a\x01");
}

static void small_output_is_a_limit(void **state)
{
	char out[8];
	const char *why = NULL;

	UNUSED(state);
	assert_int_equal(urlpath_canon("/0123456789", 11, out, sizeof(out), &why), ERR_LIMIT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_targets_unchanged),
		cmocka_unit_test(push_route_spellings_canonicalise),
		cmocka_unit_test(ambiguous_targets_refused),
		cmocka_unit_test(small_output_is_a_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
