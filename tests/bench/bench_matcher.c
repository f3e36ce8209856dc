/*
 * bench_matcher.c - throughput of the two-stage matcher alone (Hyperscan
 * stream + PCRE2 confirmation + filters), without file I/O, pack parsing
 * or process start-up: the engine figure behind `sluice scan`.
 *
 * usage: bench_matcher PACK.yaml FILE [repeats]
 * Prints MB/s for the whole pack, its block tier and its warn tier, each
 * scanning FILE (read into memory) in 256 KiB pieces, best of `repeats`.
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
static double run(const struct rulepack *p, int tier, const uint8_t *data, size_t n, int repeats,
		  size_t *nrules)
{
	struct secret_rule *rr = xcalloc(p->n_rules + 1, sizeof(*rr));
	struct match_scratch *sc;
	struct ruleset *rs;
	struct buf msg;
	double best = -1;
	size_t k = 0, i;
	int r;

	buf_init(&msg, 1 << 20);
	for (i = 0; i < p->n_rules; i++) {
		if (tier >= 0 && (int)p->rules[i].tier != tier)
			continue;
		secret_rule_copy(&rr[k], &p->rules[i]);
		/* pairs need their partner; measured on their own here */
		xfree(rr[k].requires);
		rr[k].requires = NULL;
		k++;
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

int main(int argc, char **argv)
{
	struct rulepack p;
	struct buf msg, data;
	size_t nr;
	int repeats = argc > 3 ? atoi(argv[3]) : 3;
	FILE *f;
	char tmp[65536];
	size_t got;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_matcher PACK.yaml FILE [repeats]\n");
		return 2;
	}
	buf_init(&msg, 1 << 20);
	if (rulepack_load_file(argv[1], &p, &msg) != 0) {
		fprintf(stderr, "%.*s\n", (int)msg.len, msg.data);
		return 2;
	}
	buf_init(&data, (size_t)1 << 31);
	f = fopen(argv[2], "rb");
	if (!f)
		return 2;
	while ((got = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_append(&data, tmp, got);
	fclose(f);
	printf("| matcher rule set | rules | MB per CPU-s |\n|---|---:|---:|\n");
	{
		double all = run(&p, -1, data.data, data.len, repeats, &nr);

		printf("| whole pack | %zu | %.0f |\n", nr, all);
	}
	{
		double b = run(&p, RULE_TIER_BLOCK, data.data, data.len, repeats, &nr);

		printf("| block tier | %zu | %.0f |\n", nr, b);
	}
	{
		double w = run(&p, RULE_TIER_WARN, data.data, data.len, repeats, &nr);

		printf("| warn tier | %zu | %.0f |\n", nr, w);
	}
	printf("(input %.1f MB, best of %d, single thread)\n", (double)data.len / 1e6, repeats);
	rulepack_release(&p);
	buf_release(&data);
	buf_release(&msg);
	return 0;
}
