/*
 * test_attrib.c - blob -> (oldest commit, path) attribution
 * (core/pack/attrib.h), cross-checked against `git log --reverse` and
 * `git ls-tree -r` on a generated repository with nested directories,
 * renames, copies, a merge and a tagged loose blob; plus hand-fed trees for
 * the depth limit, the byte limit and malformed trees.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err-t.h"
#include "core/base/limits.h"
#include "core/base/membudget.h"
#include "core/pack/attrib.h"
#include "core/pack/pack.h"
#include "tests/lib/packbuild.h"
#include "tests/lib/splitfeed.h"

#include <stdio.h>
#include <stdlib.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

static void commit_files(const char *repo, unsigned c)
{
	char date[64];

	snprintf(date, sizeof(date), "%u +0000", 1600000000u + c * 100);
	setenv("GIT_AUTHOR_DATE", date, 1);
	setenv("GIT_COMMITTER_DATE", date, 1);
	assert_int_equal(pb_sh("git -C '%s' add -A && git -C '%s' commit -q -m 'c%u'", repo, repo,
			       c), 0);
}

static void put(const char *repo, const char *rel, const char *text)
{
	pb_write_file(repo, rel, text, strlen(text));
}

static void hex_to_oid(const char *hex, size_t len, struct pack_oid *o)
{
	size_t k;

	memset(o, 0, sizeof(*o));
	for (k = 0; k < len; k++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 2 * k, "%2x", &v), 1);
		o->id[k] = (uint8_t)v;
	}
}

/* Expected attribution computed from git alone. */
struct expect {
	char oid[80];		/* blob id */
	char commit[65];	/* first commit */
	char path[512];		/* its path there */
};

static size_t git_expectations(const char *repo, size_t hexlen, struct expect **out)
{
	struct buf commits, tree;
	struct expect *e = NULL;
	size_t n = 0, cap = 0, pos = 0;

	buf_init(&commits, 1 << 24);
	assert_int_equal(pb_sh_out(&commits, "git -C '%s' log --all --reverse --format=%%H", repo),
			 0);
	while (pos + hexlen <= commits.len) {
		char commit[65];
		size_t tp = 0;

		memcpy(commit, commits.data + pos, hexlen);
		commit[hexlen] = '\0';
		pos += hexlen + 1;
		buf_init(&tree, 1 << 24);
		assert_int_equal(pb_sh_out(&tree, "git -C '%s' ls-tree -r --full-tree %s", repo,
					   commit), 0);
		assert_int_equal(buf_append(&tree, "", 1), 0);
		while (tp < tree.len - 1) {
			char *line = (char *)tree.data + tp;
			char *nl = strchr(line, '\n');
			char mode[16], type[16], oid[80];
			char *tab = strchr(line, '\t');
			size_t k;
			bool seen = false;

			assert_non_null(nl);
			assert_non_null(tab);
			*nl = '\0';
			tp += strlen(line) + 1;
			assert_int_equal(sscanf(line, "%15s %15s %79s", mode, type, oid), 3);
			if (strcmp(type, "blob") != 0)
				continue;
			for (k = 0; k < n && !seen; k++)
				seen = strcmp(e[k].oid, oid) == 0;
			if (seen)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				e = xrealloc(e, cap * sizeof(*e));
				assert_non_null(e);
			}
			snprintf(e[n].oid, sizeof(e[n].oid), "%s", oid);
			snprintf(e[n].commit, sizeof(e[n].commit), "%s", commit);
			snprintf(e[n].path, sizeof(e[n].path), "%s", tab + 1);
			n++;
		}
		buf_release(&tree);
	}
	buf_release(&commits);
	*out = e;
	return n;
}

static void run_attrib_repo(const char *format, enum pack_hash_algo algo)
{
	const char *dir = pb_tmpdir();
	char repo[4200], loose[128];
	size_t hexlen = 2 * pack_oid_len(algo), n, k;
	struct pack_attrib *a;
	struct pack_params prm;
	struct pack_parser *p;
	struct dec_result r;
	struct expect *e;
	struct buf pack, out;

	snprintf(repo, sizeof(repo), "%s/repo", dir);
	assert_int_equal(pb_sh("git init -q -b main --object-format=%s '%s'", format, repo), 0);
	put(repo, "README", "top\n");
	put(repo, "a/b/c/deep.txt", "deep v1\n");
	put(repo, "a/b/sibling.txt", "sibling\n");
	put(repo, "x/y.txt", "y v1\n");
	commit_files(repo, 1);
	put(repo, "a/b/c/deep.txt", "deep v2\n");
	put(repo, "a/new.txt", "new in c2\n");
	commit_files(repo, 2);
	/* a rename: same blob at a new path stays attributed to c1 */
	assert_int_equal(pb_sh("git -C '%s' mv x/y.txt z/renamed.txt 2>/dev/null || "
			       "(mkdir -p '%s/z' && git -C '%s' mv x/y.txt z/renamed.txt)",
			       repo, repo, repo), 0);
	put(repo, "z/copy.txt", "deep v2\n");	/* a copy of an existing blob */
	commit_files(repo, 3);
	/* a side branch and a merge */
	assert_int_equal(pb_sh("git -C '%s' checkout -q -b side", repo), 0);
	put(repo, "side/only.txt", "side branch\n");
	put(repo, "side/shared.txt", "in both branches\n");	/* older: wins */
	put(repo, "a/b/c/deep.txt", "deep on side\n");
	commit_files(repo, 4);
	assert_int_equal(pb_sh("git -C '%s' checkout -q main", repo), 0);
	put(repo, "later/l1/l2/l3/file.txt", "late\n");
	put(repo, "later/shared.txt", "in both branches\n");
	commit_files(repo, 5);
	assert_int_equal(pb_sh("git -C '%s' merge -q --no-edit -X theirs side >/dev/null", repo),
			 0);
	put(repo, "after/merge.txt", "after\n");
	commit_files(repo, 7);
	/* a blob reachable only from a tag */
	buf_init(&out, 4096);
	assert_int_equal(pb_sh_out(&out, "cd '%s' && echo 'tagged blob' | git hash-object -w --stdin",
				   repo), 0);
	assert_true(out.len >= hexlen);
	memcpy(loose, out.data, hexlen);
	loose[hexlen] = '\0';
	assert_int_equal(pb_sh("git -C '%s' tag blobtag %s", repo, loose), 0);

	n = git_expectations(repo, hexlen, &e);
	assert_true(n >= 9);

	/* the pack, as `sluice scan <repo>` would read it */
	buf_init(&pack, (size_t)1 << 30);
	assert_int_equal(pb_sh_out(&pack, "git -C '%s' pack-objects --revs --all --stdout -q "
				   "</dev/null", repo), 0);
	assert_int_equal(pack_attrib_new(algo, LIMIT_PATH_MAP_BYTES_DEFAULT, &a), 0);
	memset(&prm, 0, sizeof(prm));
	prm.hash_algo = algo;
	pack_limits_default(&prm.limits);
	prm.pack_fd = -1;
	prm.sink.object_begin = pack_attrib_object_begin;
	prm.sink.object_data = pack_attrib_object_data;
	prm.sink.object_end = pack_attrib_object_end;
	prm.sink.ctx = a;
	assert_int_equal(pack_parser_new(&prm, &p), 0);
	/* small pieces: attribution must not care how objects were chunked */
	for (k = 0, r.status = DEC_MORE; k < pack.len && r.status == DEC_MORE; k += 100)
		r = pack_parser_feed(p, pack.data + k, MIN((size_t)100, pack.len - k));
	assert_int_equal(r.status, DEC_STOP);
	pack_parser_free(p);
	assert_int_equal(pack_attrib_resolve(a), 0);
	assert_int_equal(pack_attrib_resolve(a), ERR_STATE);

	for (k = 0; k < n; k++) {
		struct pack_oid blob, commit;
		const char *path;
		char hex[65];

		hex_to_oid(e[k].oid, hexlen / 2, &blob);
		if (!pack_attrib_lookup(a, &blob, &path, &commit))
			fail_msg("blob %s (%s) has no attribution", e[k].oid, e[k].path);
		pack_oid_hex(&commit, hexlen / 2, hex);
		if (strcmp(path, e[k].path) != 0 || strcmp(hex, e[k].commit) != 0)
			fail_msg("blob %s: got %s in %s, git says %s in %s", e[k].oid, path, hex,
				 e[k].path, e[k].commit);
	}
	/* the renamed file keeps its first path; the tagged blob has none */
	{
		struct pack_oid blob, commit;
		const char *path = NULL;

		hex_to_oid(loose, hexlen / 2, &blob);
		assert_false(pack_attrib_lookup(a, &blob, &path, &commit));
		for (k = 0; k < n && strcmp(e[k].path, "x/y.txt") != 0; k++)
			;
		assert_true(k < n);
		hex_to_oid(e[k].oid, hexlen / 2, &blob);
		assert_true(pack_attrib_lookup(a, &blob, &path, &commit));
		assert_string_equal(path, "x/y.txt");
		for (k = 0; k < n && strcmp(e[k].path, "later/l1/l2/l3/file.txt") != 0; k++)
			;
		assert_true(k < n);
		for (k = 0; k < n && strcmp(e[k].path, "side/shared.txt") != 0; k++)
			;
		assert_true(k < n);
	}
	pack_attrib_free(a);
	xfree(e);
	buf_release(&pack);
	buf_release(&out);
	pb_rmtree(dir);
}

static void test_git_repo_sha1(void **state)
{
	UNUSED(state);
	run_attrib_repo("sha1", PACK_HASH_SHA1);
}

static void test_git_repo_sha256(void **state)
{
	UNUSED(state);
	run_attrib_repo("sha256", PACK_HASH_SHA256);
}

/* --- hand-fed objects ------------------------------------------------------ */

static void feed(struct pack_attrib *a, unsigned type, const void *p, size_t n, uint32_t index,
		 struct pack_oid *oid)
{
	struct pack_object_info info;

	memset(&info, 0, sizeof(info));
	info.type = (enum pack_obj_type)type;
	info.size = n;
	info.index = index;
	assert_int_equal(pack_attrib_object_begin(a, &info), 0);
	/* in two pieces */
	assert_int_equal(pack_attrib_object_data(a, &info, p, n / 2), 0);
	assert_int_equal(pack_attrib_object_data(a, &info, (const uint8_t *)p + n / 2, n - n / 2),
			 0);
	pb_oid(PACK_HASH_SHA1, type, p, n, info.oid.id);
	info.oid_valid = true;
	assert_int_equal(pack_attrib_object_end(a, &info), 0);
	if (oid)
		*oid = info.oid;
}

static size_t tree_entry(uint8_t *out, const char *mode, const char *name,
			 const struct pack_oid *id)
{
	size_t ml = strlen(mode), nl = strlen(name);

	memcpy(out, mode, ml);
	out[ml] = ' ';
	memcpy(out + ml + 1, name, nl + 1);
	memcpy(out + ml + nl + 2, id->id, 20);
	return ml + nl + 2 + 20;
}

static void commit_text(char *out, size_t cap, const struct pack_oid *tree, long t)
{
	char hex[41];

	pack_oid_hex(tree, 20, hex);
	snprintf(out, cap, "tree %s\nauthor A <a@x> %ld +0000\ncommitter C <c@x> %ld +0000\n\nm\n",
		 hex, t, t);
}

/* Trees nested deeper than the walk allows: ERR_LIMIT, nothing below. */
static void test_depth_limit(void **state)
{
	const unsigned depth = LIMIT_TREE_DEPTH_DEFAULT + 5;
	struct pack_oid blob, top, shallow_blob, commit;
	struct pack_attrib *a;
	const char *path;
	uint8_t ent[128];
	char ctext[256];
	unsigned k;

	UNUSED(state);
	assert_int_equal(pack_attrib_new(PACK_HASH_SHA1, LIMIT_PATH_MAP_BYTES_DEFAULT, &a), 0);
	feed(a, PACK_OBJ_BLOB, "bottom\n", 7, 0, &blob);
	feed(a, PACK_OBJ_BLOB, "shallow\n", 8, 1, &shallow_blob);
	/* bottom-up: tree k holds "d" -> tree k+1; the deepest holds the blob */
	feed(a, PACK_OBJ_TREE, ent, tree_entry(ent, "100644", "f", &blob), 2, &top);
	for (k = 1; k < depth; k++) {
		size_t n = tree_entry(ent, "40000", "d", &top);

		if (k == depth - 1)
			n += tree_entry(ent + n, "100644", "s", &shallow_blob);
		feed(a, PACK_OBJ_TREE, ent, n, 2 + k, &top);
	}
	commit_text(ctext, sizeof(ctext), &top, 5);
	feed(a, PACK_OBJ_COMMIT, ctext, strlen(ctext), 2 + depth, NULL);
	assert_int_equal(pack_attrib_resolve(a), ERR_LIMIT);
	assert_false(pack_attrib_lookup(a, &blob, &path, &commit));
	assert_true(pack_attrib_lookup(a, &shallow_blob, &path, &commit));
	assert_string_equal(path, "s");
	pack_attrib_free(a);
}

/* Oldest commit wins even when it comes later in the pack; equal times go
 * to the later pack position (git writes newest first). */
static void test_oldest_first_and_limits(void **state)
{
	struct pack_oid blob, tree, commit_old, got;
	struct pack_attrib *a;
	const char *path;
	uint8_t ent[128];
	char ctext[256], hex[41], want[41];
	size_t n;

	UNUSED(state);
	assert_int_equal(pack_attrib_new(PACK_HASH_SHA1, 1 << 20, &a), 0);
	feed(a, PACK_OBJ_BLOB, "x\n", 2, 0, &blob);
	n = tree_entry(ent, "100644", "new.txt", &blob);
	feed(a, PACK_OBJ_TREE, ent, n, 1, &tree);
	commit_text(ctext, sizeof(ctext), &tree, 2000);	/* newer, first in pack */
	feed(a, PACK_OBJ_COMMIT, ctext, strlen(ctext), 2, NULL);
	n = tree_entry(ent, "100755", "old.sh", &blob);
	feed(a, PACK_OBJ_TREE, ent, n, 3, &tree);
	commit_text(ctext, sizeof(ctext), &tree, 1000);
	feed(a, PACK_OBJ_COMMIT, ctext, strlen(ctext), 4, &commit_old);
	assert_int_equal(pack_attrib_resolve(a), 0);
	assert_true(pack_attrib_lookup(a, &blob, &path, &got));
	assert_string_equal(path, "old.sh");
	pack_oid_hex(&got, 20, hex);
	pack_oid_hex(&commit_old, 20, want);
	assert_string_equal(hex, want);
	pack_attrib_free(a);

	/* too little room for the trees: ERR_LIMIT, no crash, no path */
	assert_int_equal(pack_attrib_new(PACK_HASH_SHA1, 16, &a), 0);
	feed(a, PACK_OBJ_BLOB, "x\n", 2, 0, &blob);
	n = tree_entry(ent, "100644", "new.txt", &blob);
	feed(a, PACK_OBJ_TREE, ent, n, 1, &tree);
	commit_text(ctext, sizeof(ctext), &tree, 2000);
	feed(a, PACK_OBJ_COMMIT, ctext, strlen(ctext), 2, NULL);
	assert_int_equal(pack_attrib_resolve(a), ERR_LIMIT);
	assert_false(pack_attrib_lookup(a, &blob, &path, &got));
	assert_false(pack_attrib_memory_short(a));
	pack_attrib_free(a);

	/* the same trees under a shared budget that other pushes have
	 * spent: ERR_LIMIT, said to be the budget's; every byte comes back */
	{
		struct membudget mb;

		membudget_init(&mb, 4096);
		assert_true(membudget_take(&mb, 4096 - 16));
		assert_int_equal(pack_attrib_new(PACK_HASH_SHA1, 1 << 20, &a), 0);
		pack_attrib_set_memory(a, &mb);
		feed(a, PACK_OBJ_BLOB, "x\n", 2, 0, &blob);
		n = tree_entry(ent, "100644", "new.txt", &blob);
		feed(a, PACK_OBJ_TREE, ent, n, 1, &tree);
		commit_text(ctext, sizeof(ctext), &tree, 2000);
		feed(a, PACK_OBJ_COMMIT, ctext, strlen(ctext), 2, NULL);
		assert_int_equal(pack_attrib_resolve(a), ERR_LIMIT);
		assert_true(pack_attrib_memory_short(a));
		pack_attrib_free(a);
		assert_int_equal(membudget_used(&mb), 4096 - 16);
		/* with room, the same objects are attributed and the paths'
		 * reservation is held until free */
		membudget_give(&mb, 4096 - 16);
		assert_int_equal(pack_attrib_new(PACK_HASH_SHA1, 1 << 20, &a), 0);
		pack_attrib_set_memory(a, &mb);
		feed(a, PACK_OBJ_BLOB, "x\n", 2, 0, &blob);
		feed(a, PACK_OBJ_TREE, ent, n, 1, &tree);
		feed(a, PACK_OBJ_COMMIT, ctext, strlen(ctext), 2, NULL);
		assert_int_equal(pack_attrib_resolve(a), 0);
		assert_false(pack_attrib_memory_short(a));
		assert_true(pack_attrib_lookup(a, &blob, &path, &got));
		assert_string_equal(path, "new.txt");
		assert_int_equal(membudget_used(&mb), strlen("new.txt") + 1);
		assert_true(membudget_peak(&mb) >= n);
		pack_attrib_free(a);
		assert_int_equal(membudget_used(&mb), 0);
	}

	/* a commit with a 300 KB message: only its head is kept */
	assert_int_equal(pack_attrib_new(PACK_HASH_SHA1, 64 * 1024 * 4, &a), 0);
	feed(a, PACK_OBJ_BLOB, "x\n", 2, 0, &blob);
	n = tree_entry(ent, "100644", "f", &blob);
	feed(a, PACK_OBJ_TREE, ent, n, 1, &tree);
	{
		size_t big = 300 * 1024, hl;
		char *msg = xmalloc(big);

		assert_non_null(msg);
		commit_text(msg, big, &tree, 7);
		hl = strlen(msg);
		memset(msg + hl, 'm', big - hl);
		feed(a, PACK_OBJ_COMMIT, msg, big, 2, &commit_old);
		xfree(msg);
	}
	assert_int_equal(pack_attrib_resolve(a), 0);
	assert_true(pack_attrib_lookup(a, &blob, &path, &got));
	assert_string_equal(path, "f");
	pack_attrib_free(a);

	/* a malformed tree (no NUL after the name) is ERR_SYNTAX */
	assert_int_equal(pack_attrib_new(PACK_HASH_SHA1, 1 << 20, &a), 0);
	feed(a, PACK_OBJ_TREE, "100644 broken", 13, 0, &tree);
	commit_text(ctext, sizeof(ctext), &tree, 1);
	feed(a, PACK_OBJ_COMMIT, ctext, strlen(ctext), 1, NULL);
	assert_int_equal(pack_attrib_resolve(a), ERR_SYNTAX);
	pack_attrib_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_git_repo_sha1),
		cmocka_unit_test(test_git_repo_sha256),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_oldest_first_and_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
