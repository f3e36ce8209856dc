/*
 * fuzz_iac_set.c - scan sets (core/iac/set.c) on arbitrary input: the
 * bytes are cut at NUL into up to 8 files, each "path\ncontent", so that
 * random paths (".." and "/" runs included), module sources, tfvars and
 * kustomizations meet the directory grouping and cross-file resolution.
 * Must neither crash, leak nor overrun; every finding names a real check.
 */
#include "core/base/api.h"
#include "tests/fuzz/fuzz_iac.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check_cb(void *arg, const char *path, void *user, const struct iac_finding *f, size_t n)
{
	size_t i;

	UNUSED(path);
	UNUSED(user);
	for (i = 0; i < n; i++)
		if (f[i].check != IAC_CHECK_NONE && f[i].check >= iac_checkset_count(arg))
			__builtin_trap();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iac_checkset *cs = fuzz_iac_checks();
	struct iac_set *s = NULL;
	char paths[8][128];
	size_t at = 0, k = 0;

	if (!size) {
		fuzz_iac_scan("main.tf", data, size);	/* the empty file, alone */
		return 0;
	}
	if (iac_set_new(&s))
		abort();
	while (at < size && k < ARRAY_SIZE(paths)) {
		const uint8_t *end = memchr(data + at, 0, size - at);
		size_t part = end ? (size_t)(end - (data + at)) : size - at;
		const uint8_t *nl = memchr(data + at, '\n', part);
		size_t pl = nl ? (size_t)(nl - (data + at)) : part;
		size_t cl = nl ? part - pl - 1 : 0;	/* content after the path line */

		if (pl >= sizeof(paths[0]))
			pl = sizeof(paths[0]) - 1;
		memcpy(paths[k], data + at, pl);
		paths[k][pl] = '\0';
		if (!paths[k][0])
			snprintf(paths[k], sizeof(paths[0]), "f%zu.tf", k);
		if (iac_set_add(s, paths[k], nl ? nl + 1 : data + at + part, cl, NULL))
			abort();
		k++;
		at += part + 1;
	}
	if (iac_set_scan(cs, NULL, s, check_cb, cs))
		abort();
	iac_set_free(s);
	return 0;
}
