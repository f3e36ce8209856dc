/*
 * fuzz_iac.h - shared by the fuzz_iac_* targets: the shipped check pack,
 * loaded once, and a scan of the input with the format forced, so that
 * random bytes reach the parser instead of being sniffed away.
 */
#ifndef SLUICE_TESTS_FUZZ_IAC_H
#define SLUICE_TESTS_FUZZ_IAC_H

#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/iac/iac.h"

#include <stdio.h>
#include <stdlib.h>

static struct iac_checkset *fuzz_iac_cs;

/* rules/packs/iac-v1.yaml, found from SLUICE_SOURCE_DIR or this file. */
static struct iac_checkset *fuzz_iac_checks(void)
{
	const char *src = getenv("SLUICE_SOURCE_DIR");
	char path[4096];
	const char *texts[1];
	size_t lens[1];
	FILE *f;
	char *t;
	long n;

	if (fuzz_iac_cs)
		return fuzz_iac_cs;
	if (src) {
		snprintf(path, sizeof(path), "%s/rules/packs/iac-v1.yaml", src);
	} else {
		const char *me = __FILE__, *cut = strstr(me, "tests/fuzz/fuzz_iac.h");

		snprintf(path, sizeof(path), "%.*srules/packs/iac-v1.yaml", cut ? (int)(cut - me) : 0, me);
	}
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "fuzz_iac: cannot open %s\n", path);
		abort();
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	t = xmalloc((size_t)n + 1);
	if (!t || fread(t, 1, (size_t)n, f) != (size_t)n)
		abort();
	fclose(f);
	texts[0] = t;
	lens[0] = (size_t)n;
	if (iac_checkset_load(texts, lens, 1, &fuzz_iac_cs, NULL))
		abort();
	xfree(t);
	return fuzz_iac_cs;
}

static void fuzz_iac_scan(const char *name, const uint8_t *data, size_t size)
{
	struct iac_checkset *cs = fuzz_iac_checks();
	struct iac_scan_opts o;
	struct iac_finding *f = NULL;
	size_t nf = 0, i;
	unsigned pick = size ? data[0] % 3 : 0;

	iac_scan_opts_default(&o);
	o.now = 1750000000;
	if (strstr(name, ".json"))
		o.format = pick == 0 ? IAC_ARM : pick == 1 ? IAC_TERRAFORM_JSON : IAC_CLOUDFORMATION;
	else if (strstr(name, ".yaml"))
		o.format = pick == 0 ? IAC_KUBERNETES : IAC_CLOUDFORMATION;
	else if (strstr(name, ".tf"))
		o.format = IAC_TERRAFORM;
	else if (strstr(name, ".bicep"))
		o.format = IAC_BICEP;
	else
		o.format = IAC_DOCKERFILE;
	if (iac_scan_ex(cs, &o, name, data, size, &f, &nf))
		abort();
	for (i = 0; i < nf; i++) {
		/* Findings are plain printable text within the struct. */
		if (strlen(f[i].found) >= sizeof(f[i].found) || strlen(f[i].resource) >= sizeof(f[i].resource))
			abort();
		if (f[i].check != IAC_CHECK_NONE && f[i].check >= iac_checkset_count(cs))
			abort();
		if (f[i].result == IAC_PASS)
			abort();
	}
	xfree(f);
}

#endif
