/*
 * test_iac_repo.c - iac/repo/: the fake infrastructure repository of
 * tests/fixtures/iac/gen_infra_repo.py (six formats, one planted
 * misconfiguration per resource, hardened resources beside them) scanned
 * file by file with rules/packs/iac-v1.yaml.  At least 90% of the planted
 * misconfigurations must be found at their exact line (we expect all), and
 * nothing may be reported on hardened resources or beside the planted one.
 * The findings are also written as TSV and scored by check_infra_repo.py,
 * the script the lead reuses on `sluice scan --format sarif` output.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/iac/iac.h"
#include "tests/lib/slurp.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#define MAXE 4096

struct planted {
	char path[256];
	uint32_t line, start, end;
	char check[32];
	bool found;
};

struct range {
	char path[256];
	uint32_t start, end;
};

static struct iac_checkset *load_pack(const char *src)
{
	char path[4096];
	struct iac_checkset *cs = NULL;
	const char *t[1];
	size_t l[1];
	char *text;

	snprintf(path, sizeof(path), "%s/rules/packs/iac-v1.yaml", src);
	text = test_slurp(path, &l[0]);
	assert_non_null(text);
	t[0] = text;
	assert_int_equal(iac_checkset_load(t, l, 1, &cs, NULL), 0);
	xfree(text);
	return cs;
}

static void generated_repo_scores(void **state)
{
	const char *src = getenv("SLUICE_SOURCE_DIR");
	static struct planted pl[MAXE];
	static struct range hr[MAXE];
	static char paths[MAXE][256];
	size_t np = 0, nh = 0, npath = 0, i, j, found = 0, wrong = 0;
	char dir[] = "/tmp/sluice-iac-repo-XXXXXX", cmd[8192], line[1024], path[4600];
	struct iac_checkset *cs;
	FILE *man, *tsv;

	UNUSED(state);
	if (!src)
		src = ".";
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "python3 '%s/tests/fixtures/iac/gen_infra_repo.py' '%s' > /dev/null", src, dir);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/manifest.tsv", dir);
	man = fopen(path, "r");
	assert_non_null(man);
	while (fgets(line, sizeof(line), man)) {
		char kind, p[256], c[32];
		unsigned a, b, d;

		if (line[0] == 'P' && sscanf(line, "%c\t%255[^\t]\t%u\t%31[^\t]\t%u\t%u", &kind, p, &a, c, &b, &d) == 6 &&
		    np < MAXE) {
			snprintf(pl[np].path, sizeof(pl[np].path), "%s", p);
			snprintf(pl[np].check, sizeof(pl[np].check), "%s", c);
			pl[np].line = a;
			pl[np].start = b;
			pl[np].end = d;
			np++;
		} else if (line[0] == 'H' && sscanf(line, "%c\t%255[^\t]\t%u\t%u", &kind, p, &a, &b) == 4 && nh < MAXE) {
			snprintf(hr[nh].path, sizeof(hr[nh].path), "%s", p);
			hr[nh].start = a;
			hr[nh].end = b;
			nh++;
		} else {
			continue;
		}
		for (j = 0; j < npath && strcmp(paths[j], p); j++)
			;
		if (j == npath && npath < MAXE)
			snprintf(paths[npath++], sizeof(paths[0]), "%s", p);
	}
	fclose(man);
	assert_true(np >= 90);
	assert_true(nh >= 30);
	cs = load_pack(src);
	snprintf(path, sizeof(path), "%s/results.tsv", dir);
	tsv = fopen(path, "w");
	assert_non_null(tsv);
	for (i = 0; i < npath; i++) {
		struct iac_finding *f = NULL;
		size_t nf = 0, len = 0, k;
		char *text;

		snprintf(path, sizeof(path), "%s/%s", dir, paths[i]);
		text = test_slurp(path, &len);
		assert_non_null(text);
		assert_int_equal(iac_scan(cs, paths[i], (const uint8_t *)text, len, &f, &nf), 0);
		for (k = 0; k < nf; k++) {
			const char *id = f[k].check == IAC_CHECK_NONE ? "-" : iac_checkset_info(cs, f[k].check)->id;
			bool ok = false;

			fprintf(tsv, "%s\t%u\t%s\t%s\n", paths[i], f[k].line, id, iac_result_name(f[k].result));
			for (j = 0; j < np; j++) {
				if (!strcmp(pl[j].path, paths[i]) && pl[j].line == f[k].line &&
				    !strcmp(pl[j].check, id) && f[k].result == IAC_FAIL) {
					if (!pl[j].found)
						found++;
					pl[j].found = true;
					ok = true;
				}
			}
			if (!ok) {
				fprintf(stderr, "not planted: %s:%u %s %s %s\n", paths[i], f[k].line, id,
					iac_result_name(f[k].result), f[k].found);
				wrong++;
			}
		}
		xfree(f);
		xfree(text);
	}
	fclose(tsv);
	for (j = 0; j < np; j++)
		if (!pl[j].found)
			fprintf(stderr, "missed: %s:%u %s\n", pl[j].path, pl[j].line, pl[j].check);
	fprintf(stderr, "iac repo: %zu/%zu planted found at the exact line, %zu other finding(s), %zu files\n",
		found, np, wrong, npath);
	assert_true(found * 10 >= np * 9);
	assert_int_equal(wrong, 0);
	/* The scoring script agrees. */
	snprintf(cmd, sizeof(cmd), "python3 '%s/tests/fixtures/iac/check_infra_repo.py' '%s' '%s/results.tsv' > /dev/null",
		 src, dir, dir);
	assert_int_equal(system(cmd), 0);
	/* And fails when findings are missing. */
	snprintf(cmd, sizeof(cmd), "head -n 5 '%s/results.tsv' > '%s/few.tsv' && "
		 "python3 '%s/tests/fixtures/iac/check_infra_repo.py' '%s' '%s/few.tsv' > /dev/null",
		 dir, dir, src, dir, dir);
	assert_int_not_equal(system(cmd), 0);
	iac_checkset_free(cs);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(generated_repo_scores),
	};

	return cmocka_run_group_tests_name("iac/repo/", tests, NULL, NULL);
}
