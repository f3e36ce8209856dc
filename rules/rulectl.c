/*
 * rulectl.c - `sluice rules import|list|show|test|export`.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/base/limits.h"
#include "core/iac/iac.h"
#include "core/match/ruleset.h"
#include "rules/rulectl.h"
#include "rules/rulepack.h"
#include "rules/store.h"

#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SLUICE_SOURCE_PACK_DIR
#define SLUICE_SOURCE_PACK_DIR "/usr/share/sluice/packs"
#endif

const char *rulectl_pack_dir(void)
{
	const char *env = getenv("SLUICE_PACK_DIR");
	struct stat st;

	if (env && *env)
		return env;
	if (stat(SLUICE_SOURCE_PACK_DIR, &st) == 0)
		return SLUICE_SOURCE_PACK_DIR;
	return "/usr/share/sluice/packs";
}

const char *rulectl_default_data_dir(void)
{
	static char dir[4096];
	const char *env = getenv("SLUICE_DATA"), *home;

	if (env && *env)
		return env;
	if (geteuid() == 0)
		return "/var/lib/sluice";
	env = getenv("XDG_DATA_HOME");
	home = getenv("HOME");
	if (env && *env)
		snprintf(dir, sizeof(dir), "%s/sluice", env);
	else
		snprintf(dir, sizeof(dir), "%s/.local/share/sluice", home ? home : ".");
	return dir;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads the given pack files (or, with n == 0, every .yaml in dir). */
static int load_packs(char **files, size_t n, const char *dir, struct rulepack **out,
		      size_t *n_out, struct buf *msg)
{
	char **names = NULL;
	size_t count = 0, i;
	struct rulepack *packs;
	int err = 0;

	*out = NULL;
	*n_out = 0;
	if (n == 0) {
		DIR *d = opendir(dir);
		struct dirent *de;

		if (!d) {
			buf_printf(msg, "%s: cannot open the pack directory\n", dir);
			return ERR_IO;
		}
		while ((de = readdir(d)) != NULL) {
			size_t l = strlen(de->d_name);
			char **nn;

			if (l < 6 || strcmp(de->d_name + l - 5, ".yaml") != 0)
				continue;
			nn = xrealloc(names, (count + 1) * sizeof(*nn));
			if (!nn)
				break;
			names = nn;
			names[count] = xmalloc(strlen(dir) + l + 2);
			if (!names[count])
				break;
			snprintf(names[count], strlen(dir) + l + 2, "%s/%s", dir, de->d_name);
			count++;
		}
		closedir(d);
		qsort(names, count, sizeof(*names), cmp_str);
	} else {
		names = files;
		count = n;
	}
	packs = xcalloc(count ? count : 1, sizeof(*packs));
	if (!packs)
		err = ERR_NOMEM;
	for (i = 0; !err && i < count; i++) {
		err = rulepack_load_file(names[i], &packs[i], msg);
		if (err)
			buf_append_str(msg, "\n");
	}
	if (n == 0) {
		for (i = 0; i < count; i++)
			xfree(names[i]);
		xfree(names);
	}
	if (err) {
		for (i = 0; packs && i < count; i++)
			rulepack_release(&packs[i]);
		xfree(packs);
		return err;
	}
	if (count == 0) {
		buf_printf(msg, "%s: no rule packs found\n", dir);
		xfree(packs);
		return ERR_NOTFOUND;
	}
	*out = packs;
	*n_out = count;
	return 0;
}

static void free_packs(struct rulepack *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		rulepack_release(&p[i]);
	xfree(p);
}

int rulectl_open_store(const char *dir, struct rules_store **out, struct buf *msg)
{
	struct rulepack *packs;
	uint64_t gen = 0;
	size_t n;
	int err;

	err = rules_store_open(dir, out, msg);
	if (err)
		return err;
	err = rules_store_generation(*out, &gen);
	if (err || gen)
		return err;
	err = load_packs(NULL, 0, rulectl_pack_dir(), &packs, &n, msg);
	if (!err) {
		err = rules_store_import(*out, packs, n, &gen, msg);
		free_packs(packs, n);
	}
	if (err) {
		rules_store_close(*out);
		*out = NULL;
	}
	return err;
}

static void print_msg(struct buf *msg)
{
	if (msg->len) {
		fwrite(msg->data, 1, msg->len, stderr);
		if (msg->data[msg->len - 1] != '\n')
			fputc('\n', stderr);
	}
	buf_reset(msg);
}

static int usage(void)
{
	fprintf(stderr,
		"usage: sluice rules import [--data DIR] PACK.yaml...\n"
		"       sluice rules list   [--data DIR]\n"
		"       sluice rules show   [--data DIR] RULE-ID\n"
		"       sluice rules test   [PACK.yaml...]   (default: the bundled packs)\n"
		"       sluice rules export [--data DIR] [--patterns]\n"
		"Rules live in the LMDB store in the data directory (default %s).\n",
		rulectl_default_data_dir());
	return 2;
}

/* Reads an IaC example: inline text, or a file relative to its pack. */
static int read_example(const struct rulepack *pack, const struct iac_example *e, struct buf *out)
{
	char path[4096];
	const char *slash;

	buf_init(out, LIMIT_IAC_FILE_BYTES_DEFAULT + 1);
	if (e->text)
		return buf_append(out, e->text, e->text_len);
	slash = pack->source ? strrchr(pack->source, '/') : NULL;
	snprintf(path, sizeof(path), "%.*s%s", slash ? (int)(slash - pack->source + 1) : 0,
		 slash ? pack->source : "", e->file);
	return buf_read_file(out, path);
}

/* Every IaC check's examples: positive ones fail at exactly the listed
 * lines (and are UNKNOWN at the listed ones), negative ones give nothing
 * for the check.  Returns failures, or a negative code. */
static long test_iac(struct rulepack *packs, size_t n, size_t *checks, size_t *examples,
		     struct buf *msg)
{
	const char *texts[64];
	size_t lens[64], m = 0, i, j, k;
	struct iac_checkset *cs = NULL;
	long failures = 0;
	int err;

	for (i = 0; i < n && m < ARRAY_SIZE(texts); i++)
		if (packs[i].is_iac) {
			texts[m] = packs[i].iac_text;
			lens[m++] = packs[i].iac_len;
		}
	*checks = *examples = 0;
	if (m == 0)
		return 0;
	err = iac_checkset_load(texts, lens, m, &cs, msg);
	if (err) {
		buf_append_str(msg, "\n");
		return 1;
	}
	*checks = iac_checkset_count(cs);
	for (i = 0; i < iac_checkset_count(cs); i++) {
		const struct iac_check_info *ci = iac_checkset_info(cs, i);
		const struct rulepack *pack = NULL;

		for (j = 0; j < n; j++)
			if (packs[j].is_iac && strcmp(packs[j].id, ci->pack_id) == 0)
				pack = &packs[j];
		for (j = 0; pack && j < ci->n_examples; j++) {
			const struct iac_example *e = &ci->examples[j];
			struct iac_finding *f = NULL;
			size_t nf = 0, fails = 0, unknowns = 0;
			struct buf text;
			bool bad = false;

			(*examples)++;
			if (read_example(pack, e, &text) != 0) {
				buf_printf(msg, "%s: example %s cannot be read\n", ci->id, e->name);
				failures++;
				buf_release(&text);
				continue;
			}
			err = iac_scan(cs, e->name, text.data ? text.data : (const uint8_t *)"", text.len,
				       &f, &nf);
			for (k = 0; !err && k < nf; k++) {
				const uint32_t *want;
				size_t nw, w;
				bool listed = false;

				if (f[k].check != i)
					continue;
				want = f[k].result == IAC_FAIL ? e->lines : e->unknown;
				nw = f[k].result == IAC_FAIL ? e->n_lines : e->n_unknown;
				for (w = 0; w < nw; w++)
					listed |= want[w] == f[k].line;
				if (f[k].result == IAC_FAIL)
					fails++;
				else
					unknowns++;
				if (!e->positive || !listed)
					bad = true;
			}
			if (!err && e->positive && (fails != e->n_lines || unknowns != e->n_unknown))
				bad = true;
			if (err || bad) {
				buf_printf(msg, "%s: %s example %s: %zu failure(s) and %zu unknown(s) of the "
					   "check, expected %zu and %zu at the listed lines\n", ci->id,
					   e->positive ? "positive" : "negative", e->name, fails, unknowns,
					   e->positive ? e->n_lines : 0, e->positive ? e->n_unknown : 0);
				failures++;
			}
			xfree(f);
			buf_release(&text);
		}
	}
	iac_checkset_free(cs);
	return failures;
}

static int cmd_test(int argc, char **argv, struct buf *msg)
{
	size_t iac_checks = 0, iac_examples = 0;
	long iac_failures;
	struct rulepack *packs;
	struct secret_rule *all;
	struct ruleset *rs = NULL;
	size_t n, total = 0, ex = 0, neg = 0, k = 0, i, j;
	long failures;
	int err;

	err = load_packs(argv, (size_t)argc, rulectl_pack_dir(), &packs, &n, msg);
	if (err) {
		print_msg(msg);
		return 2;
	}
	iac_failures = test_iac(packs, n, &iac_checks, &iac_examples, msg);
	for (i = 0; i < n; i++)
		total += packs[i].n_rules;
	all = xcalloc(total + 1, sizeof(*all));
	for (i = 0; all && i < n; i++) {
		for (j = 0; j < packs[i].n_rules; j++) {
			struct secret_rule *r = &packs[i].rules[j];

			if (ruleset_check_rule(r, LIMIT_WINDOW_BYTES_DEFAULT, NULL, msg)) {
				buf_append_str(msg, "\n");
				err = ERR_RULE;
			}
			ex += r->n_examples;
			neg += r->n_negatives;
			secret_rule_copy(&all[k++], r);
		}
	}
	free_packs(packs, n);
	if (err) {
		for (i = 0; i < k; i++)
			secret_rule_release(&all[i]);
		xfree(all);
		print_msg(msg);
		return 1;
	}
	err = ruleset_build(all, k, NULL, 0, &rs, msg);
	if (err) {
		print_msg(msg);
		return 1;
	}
	failures = rulepack_check_examples(rs, msg);
	print_msg(msg);
	ruleset_free(rs);
	if (failures < 0) {
		fprintf(stderr, "rules test: %s\n", err_str((int)failures));
		return 2;
	}
	printf("%zu rules, %zu examples, %zu negative examples: %ld failure(s)\n", k, ex, neg,
	       failures);
	if (iac_checks || iac_failures)
		printf("%zu IaC checks, %zu examples: %ld failure(s)\n", iac_checks, iac_examples,
		       iac_failures);
	return failures || iac_failures ? 1 : 0;
}

/* A YAML scalar that reads back as exactly s.  Single quotes when s has
 * no control character; otherwise double quotes with escapes, because a
 * single-quoted scalar folds its line breaks into spaces (and a line
 * starting with `...` or `---` would end the document). */
static void yaml_quote(FILE *f, const char *s)
{
	const char *c;
	bool plain = true;

	for (c = s; c && *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			plain = false;
	if (plain) {
		fputc('\'', f);
		for (; s && *s; s++) {
			if (*s == '\'')
				fputc('\'', f);
			fputc(*s, f);
		}
		fputc('\'', f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		unsigned char u = (unsigned char)*s;

		if (u == '\n')
			fputs("\\n", f);
		else if (u == '\t')
			fputs("\\t", f);
		else if (u == '\r')
			fputs("\\r", f);
		else if (u == '"' || u == '\\')
			fprintf(f, "\\%c", u);
		else if (u < 0x20 || u == 0x7f)
			fprintf(f, "\\x%02x", u);
		else
			fputc(u, f);
	}
	fputc('"', f);
}

static void export_rule(FILE *f, const struct secret_rule *r)
{
	size_t i;

	fprintf(f, "  - id: %s\n    name: ", r->id);
	yaml_quote(f, r->name);
	if (r->pattern) {	/* path rules have none */
		fprintf(f, "\n    pattern: ");
		yaml_quote(f, r->pattern);
	}
	fprintf(f, "\n    tier: %s\n    severity: %s\n", rule_tier_name(r->tier),
		rule_severity_name(r->severity));
	if (r->secret_group)
		fprintf(f, "    secret_group: %u\n", r->secret_group);
	if (r->flags) {
		const char *sep = "";

		fprintf(f, "    flags: [");
		if (r->flags & RULE_FLAG_CASELESS) {
			fprintf(f, "%scaseless", sep);
			sep = ", ";
		}
		if (r->flags & RULE_FLAG_DOTALL) {
			fprintf(f, "%sdotall", sep);
			sep = ", ";
		}
		if (r->flags & RULE_FLAG_MULTILINE)
			fprintf(f, "%smultiline", sep);
		fprintf(f, "]\n");
	}
	if (r->n_keywords) {
		fprintf(f, "    keywords: [");
		for (i = 0; i < r->n_keywords; i++) {
			fprintf(f, i ? ", " : "");
			yaml_quote(f, r->keywords[i]);
		}
		fprintf(f, "]\n");
	}
	if (r->keyword_window)
		fprintf(f, "    keyword_window: %u\n", r->keyword_window);
	if (r->entropy_min > 0)
		fprintf(f, "    entropy: %g\n", r->entropy_min);
	if (r->validators) {
		unsigned bit;
		const char *sep = "";

		fprintf(f, "    validators: [");
		for (bit = 1; bit; bit <<= 1)
			if ((r->validators & bit) && rule_validator_name(bit)) {
				fprintf(f, "%s%s", sep, rule_validator_name(bit));
				sep = ", ";
			}
		fprintf(f, "]\n");
	}
	if (r->n_paths) {
		fprintf(f, "    paths: [");
		for (i = 0; i < r->n_paths; i++) {
			fprintf(f, i ? ", " : "");
			yaml_quote(f, r->paths[i]);
		}
		fprintf(f, "]\n");
	}
	if (r->line_at == RULE_LINE_MATCH)
		fprintf(f, "    line: match\n");
	if (r->candidate != RULE_CANDIDATE_NONE) {
		fprintf(f, "    candidate: %s\n", rule_candidate_name(r->candidate));
		fprintf(f, "    candidate_min: %g\n", r->candidate_min);
	}
	if (r->requires)
		fprintf(f, "    requires: %s\n", r->requires);
	fprintf(f, "    remediation: ");
	yaml_quote(f, r->remediation);
	fprintf(f, "\n    examples:\n");
	for (i = 0; i < r->n_examples; i++) {
		fprintf(f, "      - text: ");
		yaml_quote(f, r->examples[i].text);
		if (r->examples[i].secret) {
			fprintf(f, "\n        secret: ");
			yaml_quote(f, r->examples[i].secret);
		}
		if (r->examples[i].path) {
			fprintf(f, "\n        path: ");
			yaml_quote(f, r->examples[i].path);
		}
		fprintf(f, "\n");
	}
	if (r->n_negatives) {
		fprintf(f, "    negative_examples:\n");
		for (i = 0; i < r->n_negatives; i++) {
			fprintf(f, r->negatives[i].path ? "      - text: " : "      - ");
			yaml_quote(f, r->negatives[i].text);
			if (r->negatives[i].path) {
				fprintf(f, "\n        path: ");
				yaml_quote(f, r->negatives[i].path);
			}
			fprintf(f, "\n");
		}
	}
}

int rulectl_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "patterns", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = rulectl_default_data_dir(), *sub;
	bool patterns = false;
	struct rules_store *st = NULL;
	struct ruleset *rs = NULL;
	struct iac_checkset *iac = NULL;
	struct buf msg;
	uint64_t gen = 0;
	int c, rc = 0, err;
	size_t i;

	if (argc < 2)
		return usage();
	sub = argv[1];
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:ph", opts, NULL)) != -1) {
		switch (c) {
		case 'd': data = optarg; break;
		case 'p': patterns = true; break;
		default: return usage();
		}
	}
	argc -= optind;
	argv += optind;
	buf_init(&msg, 1 << 24);

	if (strcmp(sub, "test") == 0) {
		rc = cmd_test(argc, argv, &msg);
		buf_release(&msg);
		return rc;
	}
	if (strcmp(sub, "import") == 0) {
		struct rulepack *packs;
		size_t n;

		if (argc < 1) {
			buf_release(&msg);
			return usage();
		}
		err = load_packs(argv, (size_t)argc, NULL, &packs, &n, &msg);
		if (err) {
			print_msg(&msg);
			buf_release(&msg);
			return 2;
		}
		err = rules_store_open(data, &st, &msg);
		if (!err)
			err = rules_store_import(st, packs, n, &gen, &msg);
		print_msg(&msg);
		if (!err) {
			size_t total = 0;

			for (i = 0; i < n; i++)
				total += packs[i].n_rules;
			printf("imported %zu pack(s), %zu rule(s) as generation %llu into %s\n", n,
			       total, (unsigned long long)gen, data);
		} else {
			fprintf(stderr, "rules import refused: %s; the store is unchanged\n",
				err_str(err));
			rc = err == ERR_RULE ? 1 : 2;
		}
		free_packs(packs, n);
		rules_store_close(st);
		buf_release(&msg);
		return rc;
	}
	if (strcmp(sub, "list") && strcmp(sub, "show") && strcmp(sub, "export")) {
		buf_release(&msg);
		return usage();
	}
	err = rulectl_open_store(data, &st, &msg);
	if (!err)
		err = rules_store_load(st, &rs, &iac, &gen, &msg);
	print_msg(&msg);
	if (err) {
		fprintf(stderr, "sluice rules %s: %s (data directory %s)\n", sub, err_str(err), data);
		rules_store_close(st);
		buf_release(&msg);
		return 2;
	}
	if (strcmp(sub, "list") == 0) {
		rules_store_list_packs(st, &msg);
		printf("generation %llu\n%.*s", (unsigned long long)gen, (int)msg.len, msg.data);
		for (i = 0; i < ruleset_count(rs); i++) {
			const struct secret_rule *r = ruleset_rule(rs, i);

			printf("%-32s %-5s %-8s %s\n", r->id, rule_tier_name(r->tier),
			       rule_severity_name(r->severity), r->name);
		}
		for (i = 0; iac && i < iac_checkset_count(iac); i++) {
			const struct iac_check_info *ci = iac_checkset_info(iac, i);

			printf("%-32s %-5s %-8s %s\n", ci->id, "iac", rule_severity_name(ci->severity),
			       ci->title);
		}
	} else if (strcmp(sub, "show") == 0) {
		long idx = argc == 1 ? ruleset_find(rs, argv[0]) : -1;

		if (idx < 0) {
			fprintf(stderr, "sluice rules show: no rule %s\n", argc ? argv[0] : "(none)");
			rc = 1;
		} else {
			printf("rules:\n");
			export_rule(stdout, ruleset_rule(rs, (size_t)idx));
		}
	} else {
		if (!patterns)
			printf("pack:\n  id: export\n  version: %llu\nrules:\n",
			       (unsigned long long)gen);
		for (i = 0; i < ruleset_count(rs); i++) {
			if (patterns) {
				const struct secret_rule *r = ruleset_rule(rs, i);

				/* Flags are fields in our packs; other tools read
				 * them as inline modifiers. */
				printf("%s%s%s%s%s%s\n", r->flags ? "(?" : "",
				       r->flags & RULE_FLAG_CASELESS ? "i" : "",
				       r->flags & RULE_FLAG_DOTALL ? "s" : "",
				       r->flags & RULE_FLAG_MULTILINE ? "m" : "",
				       r->flags ? ")" : "", r->pattern);
			}
			else
				export_rule(stdout, ruleset_rule(rs, i));
		}
	}
	ruleset_free(rs);
	iac_checkset_free(iac);
	rules_store_close(st);
	buf_release(&msg);
	return rc;
}
