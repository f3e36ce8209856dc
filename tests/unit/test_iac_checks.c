/*
 * test_iac_checks.c - iac/checks/: the shipped packs rules/packs/iac-*.yaml
 * load together, iac-v1 holds the 56 checks of iac.md §9, and every check's positive
 * examples fire at exactly the lines the pack names while its negative
 * examples give nothing for that check (table-driven over the checkset).
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/iac/iac.h"
#include "tests/lib/slurp.h"

#include <dirent.h>
#include <stdarg.h>
#include <string.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

/* iac.md §9, in table order. */
static const char *const v1_ids[] = {
	"AZ-01", "AZ-02", "AZ-03", "AZ-04", "AZ-05", "AZ-06", "AZ-07", "AZ-08", "AZ-09", "AZ-10",
	"AZ-11", "AZ-12", "AZ-13", "AZ-14", "AZ-15", "AZ-16", "AZ-17", "AZ-18", "AZ-19",
	"AWS-01", "AWS-02", "AWS-03", "AWS-04", "AWS-05", "AWS-06", "AWS-07", "AWS-08", "AWS-09",
	"AWS-10", "AWS-11", "AWS-12",
	"GCP-01", "GCP-02", "GCP-03", "GCP-04", "GCP-05", "GCP-06", "GCP-07",
	"K8S-01", "K8S-02", "K8S-03", "K8S-04", "K8S-05", "K8S-06", "K8S-07", "K8S-08", "K8S-09",
	"K8S-10", "K8S-11",
	"DKR-01", "DKR-02", "DKR-03", "DKR-04", "DKR-05", "DKR-06", "DKR-07",
};

static char pack_dir[4096];

/* Loads every IaC pack in rules/packs (iac-*.yaml, in name order), so
 * the examples of every shipped pack run here. */
static int setup(void **state)
{
	const char *src = getenv("SLUICE_SOURCE_DIR");
	struct iac_checkset *cs = NULL;
	struct buf msg;
	char path[4200];
	char *names[16];
	const char *texts[16];
	char *owned[16];
	size_t lens[16], n = 0, i, j;
	struct dirent *de;
	DIR *dir;
	int rc;

	snprintf(pack_dir, sizeof(pack_dir), "%s/rules/packs", src ? src : ".");
	if (!(dir = opendir(pack_dir))) {
		fprintf(stderr, "cannot open %s (set SLUICE_SOURCE_DIR)\n", pack_dir);
		return -1;
	}
	while ((de = readdir(dir)) && n < ARRAY_SIZE(names)) {
		size_t l = strlen(de->d_name);

		if (l > 9 && !strncmp(de->d_name, "iac-", 4) && !strcmp(de->d_name + l - 5, ".yaml"))
			names[n++] = xstrdup(de->d_name);
	}
	closedir(dir);
	for (i = 1; i < n; i++)		/* name order: iac-v1 loads after iac-cis, ids are global */
		for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char *t = names[j];

			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", pack_dir, names[i]);
		owned[i] = test_slurp(path, &lens[i]);
		texts[i] = owned[i];
		if (!owned[i])
			fprintf(stderr, "cannot read %s\n", path);
	}
	rc = n ? 0 : -1;
	for (i = 0; i < n; i++)
		if (!owned[i])
			rc = -1;
	if (rc) {
		for (i = 0; i < n; i++) {
			xfree(owned[i]);
			xfree(names[i]);
		}
		return -1;
	}
	buf_init(&msg, 1 << 20);
	rc = iac_checkset_load(texts, lens, n, &cs, &msg);
	if (rc)
		fprintf(stderr, "load: %s\n%.*s", err_str(rc), (int)msg.len, (const char *)msg.data);
	buf_release(&msg);
	for (i = 0; i < n; i++) {
		xfree(owned[i]);
		xfree(names[i]);
	}
	*state = cs;
	return rc ? -1 : 0;
}

static int teardown(void **state)
{
	iac_checkset_free(*state);
	return 0;
}

static void pack_has_the_56_checks(void **state)
{
	const struct iac_checkset *cs = *state;
	size_t i;

	assert_true(iac_checkset_count(cs) >= ARRAY_SIZE(v1_ids));
	for (i = 0; i < ARRAY_SIZE(v1_ids); i++) {
		long k = iac_checkset_find(cs, v1_ids[i]);
		const struct iac_check_info *ci;

		if (k < 0)
			fprintf(stderr, "missing check %s\n", v1_ids[i]);
		assert_true(k >= 0);
		ci = iac_checkset_info(cs, (size_t)k);
		assert_non_null(ci->title);
		assert_true(strlen(ci->title) > 5);
		assert_true(strlen(ci->remediation) > 10);
		assert_true(ci->n_references >= 1);
		assert_true(ci->n_mapped >= 1);
		assert_string_equal(ci->pack_id, "iac-v1");
	}
}

static unsigned family_of(enum iac_format f)
{
	switch (f) {
	case IAC_TERRAFORM:
	case IAC_TERRAFORM_JSON:
		return IAC_FAM_TERRAFORM;
	case IAC_ARM:
	case IAC_BICEP:
		return IAC_FAM_ARM;
	case IAC_CLOUDFORMATION:
		return IAC_FAM_CLOUDFORMATION;
	case IAC_KUBERNETES:
		return IAC_FAM_KUBERNETES;
	case IAC_DOCKERFILE:
		return IAC_FAM_DOCKERFILE;
	default:
		return 0;
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Found lines (any order) against expected lines (sorted). */
static int same_lines(const char *id, const char *path, const char *what, uint32_t *got, size_t n,
		      const uint32_t *want, size_t nw)
{
	size_t i;

	qsort(got, n, sizeof(got[0]), cmp_u32);
	if (n == nw && (!n || !memcmp(got, want, n * sizeof(*got))))
		return 0;
	fprintf(stderr, "%s: %s: %s at", id, path, what);
	for (i = 0; i < n; i++)
		fprintf(stderr, " %u", got[i]);
	fprintf(stderr, "; expected");
	for (i = 0; i < nw; i++)
		fprintf(stderr, " %u", want[i]);
	fprintf(stderr, "\n");
	return 1;
}

/* Runs one example; returns the number of problems (printed). */
static int run_example(const struct iac_checkset *cs, size_t ci, const struct iac_example *ex,
		       unsigned *fams)
{
	const struct iac_check_info *info = iac_checkset_info(cs, ci);
	struct iac_finding *f = NULL;
	size_t nf = 0, i, nl = 0, nu = 0, len = 0;
	uint32_t lines[256], unk[256];
	char path[4400], *text;
	const char *data;
	enum iac_format fmt;
	int bad = 0, rc;

	if (ex->file) {
		snprintf(path, sizeof(path), "%s/%s", pack_dir, ex->file);
		text = test_slurp(path, &len);
		if (!text) {
			fprintf(stderr, "%s: cannot read %s\n", info->id, path);
			return 1;
		}
		data = text;
	} else {
		snprintf(path, sizeof(path), "%s", ex->name);
		text = NULL;
		data = ex->text;
		len = ex->text_len;
	}
	fmt = iac_detect(path, (const uint8_t *)data, len);
	if (fmt == IAC_NONE) {
		fprintf(stderr, "%s: %s is not detected as IaC\n", info->id, path);
		xfree(text);
		return 1;
	}
	if (ex->positive)
		*fams |= family_of(fmt);
	rc = iac_scan(cs, path, (const uint8_t *)data, len, &f, &nf);
	if (rc) {
		fprintf(stderr, "%s: %s: iac_scan: %s\n", info->id, path, err_str(rc));
		bad++;
	}
	for (i = 0; i < nf; i++) {
		if (f[i].check == IAC_CHECK_NONE) {
			fprintf(stderr, "%s: %s:%u: %s\n", info->id, path, f[i].line, f[i].found);
			bad++;
		}
		if (f[i].check != ci)
			continue;
		if (!ex->positive || f[i].suppressed) {
			fprintf(stderr, "%s: %s:%u: unexpected %s %s (%s)\n", info->id, path, f[i].line,
				iac_result_name(f[i].result), f[i].found, f[i].resource);
			bad++;
			continue;
		}
		if (f[i].result == IAC_FAIL && nl < ARRAY_SIZE(lines))
			lines[nl++] = f[i].line;
		else if (f[i].result == IAC_UNKNOWN && nu < ARRAY_SIZE(unk))
			unk[nu++] = f[i].line;
	}
	if (ex->positive) {
		bad += same_lines(info->id, path, "FAIL", lines, nl, ex->lines, ex->n_lines);
		bad += same_lines(info->id, path, "UNKNOWN", unk, nu, ex->unknown, ex->n_unknown);
	}
	xfree(f);
	xfree(text);
	return bad;
}

static void every_example_fires_exactly(void **state)
{
	const struct iac_checkset *cs = *state;
	size_t ci, e;
	int bad = 0;

	for (ci = 0; ci < iac_checkset_count(cs); ci++) {
		const struct iac_check_info *info = iac_checkset_info(cs, ci);
		unsigned fams = 0;
		size_t npos = 0, nneg = 0;

		for (e = 0; e < info->n_examples; e++) {
			bad += run_example(cs, ci, &info->examples[e], &fams);
			if (info->examples[e].positive)
				npos++;
			else
				nneg++;
		}
		if (!npos || !nneg) {
			fprintf(stderr, "%s: needs positive and negative examples\n", info->id);
			bad++;
		}
		/* Every format family the check binds has a positive example. */
		if ((fams & info->families) != info->families) {
			fprintf(stderr, "%s: families %#x bound, positive examples cover %#x\n", info->id,
				info->families, fams);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* The negative examples also stay clean of every other check of the same
 * kind where they are meant to be hardened: Kubernetes negatives built on
 * the hardened container must pass all container checks. */
static void hardened_k8s_negatives_are_clean(void **state)
{
	const struct iac_checkset *cs = *state;
	static const char *const files[] = { "K8S-02", "K8S-06", "K8S-11" };
	size_t i, j, bad = 0;

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		char path[4400];
		struct iac_finding *f = NULL;
		size_t nf = 0, len = 0;
		char *text;

		snprintf(path, sizeof(path), "%s/../../tests/fixtures/iac/checks/%s/negative.yaml", pack_dir,
			 files[i]);
		text = test_slurp(path, &len);
		assert_non_null(text);
		assert_int_equal(iac_scan(cs, path, (const uint8_t *)text, len, &f, &nf), 0);
		/* Hardened against the v1 checks; stricter packs may still report. */
		for (j = 0; j < nf; j++) {
			const struct iac_check_info *ci = iac_checkset_info(cs, f[j].check);

			if (strcmp(ci->pack_id, "iac-v1"))
				continue;
			fprintf(stderr, "%s:%u: %s %s\n", path, f[j].line, ci->id, f[j].found);
			bad++;
		}
		assert_int_equal(bad, 0);
		xfree(f);
		xfree(text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pack_has_the_56_checks),
		cmocka_unit_test(every_example_fires_exactly),
		cmocka_unit_test(hardened_k8s_negatives_are_clean),
	};

	return cmocka_run_group_tests_name("iac/checks/", tests, setup, teardown);
}
