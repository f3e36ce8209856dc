/*
 * bench_matcher.c - throughput of the two-stage matcher alone (Hyperscan
 * stream + PCRE2 confirmation + filters), without file I/O, pack parsing
 * or process start-up: the engine figure behind `sluice scan`.
 *
 * usage: bench_matcher PACK.yaml [PACK.yaml ...] FILE [repeats]
 * Prints MB/s for the rules of all the packs together, their block tier and
 * their warn tier, each scanning FILE (read into memory) in 256 KiB pieces,
 * best of `repeats`.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/match/match.h"
#include "core/match/ruleset.h"
#include "rules/rulepack.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* tier: -1 all, else RULE_TIER_*.  Returns MB per CPU-second or -1. */
static double run(const struct rulepack *packs, size_t n_packs, int tier, const uint8_t *data, size_t n, int repeats,
		  size_t *nrules)
{
	struct secret_rule *rr;
	struct match_scratch *sc;
	struct ruleset *rs;
	struct buf msg;
	double best = -1;
	size_t k = 0, total = 0, i, j;
	int r;

	buf_init(&msg, 1 << 20);
	for (j = 0; j < n_packs; j++)
		total += packs[j].n_rules;
	rr = xcalloc(total + 1, sizeof(*rr));
	for (j = 0; j < n_packs; j++) {
		const struct rulepack *p = &packs[j];

		for (i = 0; i < p->n_rules; i++) {
			if (tier >= 0 && (int)p->rules[i].tier != tier)
				continue;
			secret_rule_copy(&rr[k], &p->rules[i]);
			/* pairs need their partner; measured on their own here */
			xfree(rr[k].requires);
			rr[k].requires = NULL;
			k++;
		}
	}
	*nrules = k;
	if (ruleset_build(rr, k, NULL, 0, &rs, &msg) != 0 || match_scratch_new(rs, &sc) != 0) {
		fprintf(stderr, "%.*s\n", (int)msg.len, msg.data);
		return -1;
	}
	for (r = 0; r < repeats; r++) {
		struct match_stream ms;
		double t0 = now(), t;
		size_t o;

		match_stream_init(&ms, rs, sc);
		for (o = 0; o < n; o += 262144)
			match_stream_feed(&ms, data + o, MIN((size_t)262144, n - o));
		match_stream_finish(&ms);
		t = now() - t0;
		match_stream_release(&ms);
		if (t > 0 && (best < 0 || n / t / 1e6 > best))
			best = (double)n / t / 1e6;
	}
	match_scratch_free(sc);
	ruleset_free(rs);
	buf_release(&msg);
	return best;
}

static bool is_count(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

int main(int argc, char **argv)
{
	struct rulepack packs[64];
	size_t n_packs = 0, nr, j;
	struct buf msg, data;
	int repeats = 3, last = argc - 1, i;
	FILE *f;
	char tmp[65536];
	size_t got;

	if (argc > 3 && is_count(argv[last]))
		repeats = atoi(argv[last--]);
	if (last < 2 || last - 1 > (int)ARRAY_SIZE(packs)) {
		fprintf(stderr, "usage: bench_matcher PACK.yaml [PACK.yaml ...] FILE [repeats]\n");
		return 2;
	}
	buf_init(&msg, 1 << 20);
	for (i = 1; i < last; i++) {
		struct rulepack *p = &packs[n_packs];

		if (rulepack_load_file(argv[i], p, &msg) != 0) {
			fprintf(stderr, "%.*s\n", (int)msg.len, msg.data);
			return 2;
		}
		if (p->is_iac) {	/* IaC check packs hold no secret rules */
			rulepack_release(p);
			continue;
		}
		n_packs++;
	}
	buf_init(&data, (size_t)1 << 31);
	f = fopen(argv[last], "rb");
	if (!f)
		return 2;
	while ((got = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_append(&data, tmp, got);
	fclose(f);
	printf("| matcher rule set | rules | MB per CPU-s |\n|---|---:|---:|\n");
	{
		double all = run(packs, n_packs, -1, data.data, data.len, repeats, &nr);

		printf("| all rules | %zu | %.0f |\n", nr, all);
	}
	{
		double b = run(packs, n_packs, RULE_TIER_BLOCK, data.data, data.len, repeats, &nr);

		printf("| block tier | %zu | %.0f |\n", nr, b);
	}
	{
		double w = run(packs, n_packs, RULE_TIER_WARN, data.data, data.len, repeats, &nr);

		printf("| warn tier | %zu | %.0f |\n", nr, w);
	}
	printf("(input %.1f MB, best of %d, single thread)\n", (double)data.len / 1e6, repeats);
	for (j = 0; j < n_packs; j++)
		rulepack_release(&packs[j]);
	buf_release(&data);
	buf_release(&msg);
	return 0;
}
