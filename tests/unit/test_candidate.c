/*
 * test_candidate.c - the generic-secret candidate filter (core/match/
 * candidate.c): clear cases, and precision and recall on the held-out half
 * of the labelled set in tests/fixtures/secrets/generic/.
 *
 * Also the evaluation tool (not run by ctest):
 *   test_candidate --eval       entropy vs candidate filter, thresholds
 *                               tuned on tune.tsv, measured on heldout.tsv
 *   test_candidate --features F feature rows of F, for fit_candidate.py
 */
#include "core/base/api.h"
#include "core/match/candidate.h"
#include "core/match/validate.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

/* The candidate_min of the SEC-GENERIC-* rules (rules/packs/
 * secrets-generic.yaml): the F1-best threshold on tune.tsv. */
#define RULE_CANDIDATE_MIN 0.5

struct item {
	bool positive;
	char cat[32];
	char value[256];
	size_t len;
};

struct set {
	struct item *v;
	size_t n;
};

static const char *source_dir(void)
{
	const char *d = getenv("SLUICE_SOURCE_DIR");

	return d ? d : ".";
}

/* Reads label<TAB>category<TAB>value lines; '#' lines are comments. */
static int load_set(const char *name, struct set *out)
{
	char path[1024], line[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/fixtures/secrets/generic/%s", source_dir(), name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	out->v = NULL;
	out->n = 0;
	while (fgets(line, sizeof(line), f)) {
		char *t1 = strchr(line, '\t'), *t2, *nl;
		struct item *it;

		if (line[0] == '#' || !t1 || !(t2 = strchr(t1 + 1, '\t')))
			continue;
		if ((nl = strchr(t2 + 1, '\n')) != NULL)
			*nl = '\0';
		if (!(out->n & 255)) {
			struct item *nv = realloc(out->v, (out->n + 256) * sizeof(*nv));

			if (!nv)
				break;
			out->v = nv;
		}
		it = &out->v[out->n++];
		it->positive = line[0] == 'P';
		snprintf(it->cat, sizeof(it->cat), "%.*s", (int)(t2 - t1 - 1), t1 + 1);
		snprintf(it->value, sizeof(it->value), "%s", t2 + 1);
		it->len = strlen(it->value);
	}
	fclose(f);
	return 0;
}

/* The filters every warn-tier rule applies before entropy or candidate. */
static bool prefiltered(const struct item *it)
{
	return validate_is_placeholder(it->value, it->len) ||
	       validate_is_benign_identifier(it->value, it->len);
}

typedef double (*scorer)(const struct item *it);

static double score_entropy(const struct item *it)
{
	return entropy_shannon(it->value, it->len);
}

static double score_candidate(const struct item *it)
{
	return candidate_score(RULE_CANDIDATE_TOKENS, it->value, it->len);
}

struct counts {
	unsigned tp, fp, fn, tn;
};

static struct counts count(const struct set *s, scorer fn, double thr, bool pre)
{
	struct counts c = { 0, 0, 0, 0 };
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct item *it = &s->v[i];
		bool hit = !(pre && prefiltered(it)) && fn(it) >= thr;

		if (it->positive)
			hit ? c.tp++ : c.fn++;
		else
			hit ? c.fp++ : c.tn++;
	}
	return c;
}

static double precision(struct counts c)
{
	return c.tp + c.fp ? (double)c.tp / (c.tp + c.fp) : 1.0;
}

static double recall(struct counts c)
{
	return c.tp + c.fn ? (double)c.tp / (c.tp + c.fn) : 1.0;
}

static double f1(struct counts c)
{
	double p = precision(c), r = recall(c);

	return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

/* The threshold among the set's own scores that maximises F1. */
static double best_threshold(const struct set *s, scorer fn, bool pre)
{
	double best = 0.0, best_f1 = -1.0;
	size_t i;

	for (i = 0; i < s->n; i++) {
		double t = fn(&s->v[i]);
		double q = f1(count(s, fn, t, pre));

		if (q > best_f1 || (q == best_f1 && t < best)) {
			best_f1 = q;
			best = t;
		}
	}
	return best;
}

static void test_clear_cases(void **state)
{
	static const char *const secrets[] = {
		"Tr0ub4dor&3", "kX9#mP2$vL7q", "Summer2024!", "Zym7fM&zCd41S^y&W-Ld",
		"FZOJuG6bQset2pvq6mkNk2pQwhfuuC9nrkCPWWco", "9f8e7d6c5b4a3f2e1d0c",
		"Va8m2R2oeJL+wTwQzCl091RswBSL0tNHYG/6xJOVUoX0", "P@ssw0rd!",
	};
	static const char *const benign[] = {
		"getPassword()", "self.password", "config.db_password", "challengePassword",
		"Enter your password", "/etc/app/secret.key", "form-control", "PASSWORD_RESET",
		"spring.datasource.password", "https://oauth2.googleapis.com/token",
		"passwordConfirmation", "password_hash", "{0}", "%s", "SecretStr",
	};
	size_t i;

	UNUSED(state);
	for (i = 0; i < ARRAY_SIZE(secrets); i++) {
		double sc = candidate_score(RULE_CANDIDATE_TOKENS, secrets[i], strlen(secrets[i]));

		if (sc < RULE_CANDIDATE_MIN)
			fail_msg("secret %s scored %.3f", secrets[i], sc);
	}
	for (i = 0; i < ARRAY_SIZE(benign); i++) {
		double sc = candidate_score(RULE_CANDIDATE_TOKENS, benign[i], strlen(benign[i]));

		if (sc >= RULE_CANDIDATE_MIN)
			fail_msg("benign %s scored %.3f", benign[i], sc);
	}
	/* No filter: always passes. */
	assert_true(candidate_score(RULE_CANDIDATE_NONE, "x", 1) >= 1.0);
	/* Identifiers pack into long tokens, random strings do not. */
	assert_true(candidate_token_efficiency("getPasswordHash", 15) >= 4.0);
	assert_true(candidate_token_efficiency("q8Xv2KpL0zR7", 12) < 1.6);
	assert_true(candidate_token_efficiency("", 0) == 0.0);
}

static void test_long_and_odd_input(void **state)
{
	char big[4096];
	double f[CF_N];
	size_t i;

	UNUSED(state);
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7 + 3);	/* every byte value, NULs too */
	candidate_features(big, sizeof(big), f);
	for (i = 0; i < CF_N; i++)
		assert_true(f[i] >= 0.0 && f[i] <= 8.0);
	memset(big, 'a', sizeof(big));
	assert_true(candidate_score(RULE_CANDIDATE_TOKENS, big, sizeof(big)) >= 0.0);
	candidate_features("", 0, f);
	assert_true(f[CF_TOKEN_DENSITY] == 0.0);
}

/* Floors on held-out data: the filter must keep its measured quality
 * (tune.tsv chose the threshold; heldout.tsv was not looked at). */
static void test_heldout_floor(void **state)
{
	struct set held;
	struct counts c, e;

	UNUSED(state);
	assert_int_equal(load_set("heldout.tsv", &held), 0);
	assert_true(held.n >= 1000);
	c = count(&held, score_candidate, RULE_CANDIDATE_MIN, true);
	e = count(&held, score_entropy, 3.0, true);
	if (precision(c) < 0.95 || recall(c) < 0.90)
		fail_msg("candidate filter: precision %.3f recall %.3f", precision(c), recall(c));
	/* and it must beat entropy at the old rules' threshold */
	assert_true(f1(c) > f1(e));
	free(held.v);
}

static void print_row(const char *name, double thr, struct counts c)
{
	printf("| %-34s | %6.3f | %5.1f%% | %5.1f%% | %5.3f | %4u | %4u |\n", name, thr,
	       100 * precision(c), 100 * recall(c), f1(c), c.fp, c.fn);
}

static void per_category(const struct set *s, scorer fn, double thr)
{
	char cats[64][32];
	unsigned n = 0, hit[64] = { 0 }, all[64] = { 0 }, k;
	bool pos[64];
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct item *it = &s->v[i];

		for (k = 0; k < n; k++)
			if (pos[k] == it->positive && strcmp(cats[k], it->cat) == 0)
				break;
		if (k == n && n < 64) {
			snprintf(cats[n], sizeof(cats[n]), "%s", it->cat);
			pos[n++] = it->positive;
		}
		if (k < n) {
			all[k]++;
			hit[k] += !prefiltered(it) && fn(it) >= thr;
		}
	}
	for (k = 0; k < n; k++)
		printf("  %s %-16s reported %3u/%3u\n", pos[k] ? "P" : "N", cats[k], hit[k], all[k]);
}

static int eval(void)
{
	struct set tune, held;
	double te, tc, te0, tc0;

	if (load_set("tune.tsv", &tune) || load_set("heldout.tsv", &held)) {
		fprintf(stderr, "cannot read tests/fixtures/secrets/generic/*.tsv "
			"(set SLUICE_SOURCE_DIR)\n");
		return 1;
	}
	te = best_threshold(&tune, score_entropy, true);
	tc = best_threshold(&tune, score_candidate, true);
	te0 = best_threshold(&tune, score_entropy, false);
	tc0 = best_threshold(&tune, score_candidate, false);
	printf("held-out: %zu values; thresholds: F1-best on tune.tsv (%zu values)\n\n",
	       held.n, tune.n);
	printf("| %-34s | thresh | prec.  | recall | F1    | FP   | FN   |\n", "filter");
	printf("|------------------------------------|--------|--------|--------|-------|------|------|\n");
	print_row("entropy alone", te0, count(&held, score_entropy, te0, false));
	print_row("candidate alone", tc0, count(&held, score_candidate, tc0, false));
	print_row("engine filters + entropy", te, count(&held, score_entropy, te, true));
	print_row("engine filters + entropy 3.0 (old)", 3.0, count(&held, score_entropy, 3.0, true));
	print_row("engine filters + candidate", tc, count(&held, score_candidate, tc, true));
	print_row("engine filters + candidate (rules)", RULE_CANDIDATE_MIN,
		  count(&held, score_candidate, RULE_CANDIDATE_MIN, true));
	printf("\ntune.tsv F1: entropy %.3f, candidate %.3f\n",
	       f1(count(&tune, score_entropy, te, true)), f1(count(&tune, score_candidate, tc, true)));
	printf("\nper category, engine filters + candidate >= %.2f:\n", RULE_CANDIDATE_MIN);
	per_category(&held, score_candidate, RULE_CANDIDATE_MIN);
	printf("\nper category, engine filters + entropy >= %.2f:\n", te);
	per_category(&held, score_entropy, te);
	free(tune.v);
	free(held.v);
	return 0;
}

/* One row per value: label, prefiltered, then the features. */
static int dump_features(const char *name)
{
	struct set s;
	size_t i, k;

	if (load_set(name, &s))
		return 1;
	for (i = 0; i < s.n; i++) {
		double f[CF_N];

		candidate_features(s.v[i].value, s.v[i].len, f);
		printf("%d\t%d", s.v[i].positive, prefiltered(&s.v[i]));
		for (k = 0; k < CF_N; k++)
			printf("\t%.6f", f[k]);
		printf("\t%s\n", s.v[i].cat);
	}
	free(s.v);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clear_cases),
		cmocka_unit_test(test_long_and_odd_input),
		cmocka_unit_test(test_heldout_floor),
	};

	if (argc > 1 && strcmp(argv[1], "--eval") == 0)
		return eval();
	if (argc > 2 && strcmp(argv[1], "--features") == 0)
		return dump_features(argv[2]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
