/*
 * fuzz_iac_helm.c - the Helm renderer (core/iac/helm.h) on arbitrary
 * charts: the input is cut at NUL bytes into values.yaml,
 * templates/_helpers.tpl and two templates (a fixed Chart.yaml), rendered,
 * then scanned through every check of rules/packs/iac-v1.yaml.  Nothing
 * may crash, leak, overrun, run away or render past its limits, and every
 * output line must map to a template line.
 */
#include "core/base/api.h"
#include "core/base/limits.h"
#include "core/iac/helm.h"
#include "tests/fuzz/fuzz_iac.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_output(const struct helm_output *o)
{
	size_t i, k, nl;

	for (i = 0; i < o->n; i++) {
		const struct helm_rendered *r = &o->files[i];

		if (r->status == HELM_UNKNOWN) {
			if (!r->reason[0] || r->reason_line < 1 || strlen(r->reason) >= sizeof(r->reason))
				abort();
			continue;
		}
		if (r->len > LIMIT_HELM_FILE_OUTPUT)
			abort();
		for (k = 0, nl = r->len ? 1 : 0; k < r->len; k++)
			nl += r->text[k] == '\n';
		if (nl != r->n_lines)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char chart[] = "apiVersion: v2\nname: fz\nversion: 0.1.0\nappVersion: \"1.0\"\n";
	static const char *const names[] = {
		"values.yaml", "templates/_helpers.tpl", "templates/a.yaml", "templates/b.yaml",
	};
	struct helm_file files[5];
	struct helm_chart_files in = { files, 1 };
	struct helm_output o;
	struct helm_finding *f = NULL;
	size_t nf = 0, start = 0, i;

	UNUSED(fuzz_iac_scan);	/* the shared header's other entry point */
	files[0].path = "Chart.yaml";
	files[0].data = (const uint8_t *)chart;
	files[0].len = sizeof(chart) - 1;
	for (i = 0; i <= size && in.n < ARRAY_SIZE(files); i++) {
		if (i < size && data[i] != 0)
			continue;
		files[in.n].path = names[in.n - 1];
		files[in.n].data = data + start;
		files[in.n].len = i - start;
		in.n++;
		start = i + 1;
	}
	helm_output_init(&o);
	if (helm_render(&in, &o, NULL) == 0)
		check_output(&o);
	helm_output_release(&o);
	if (helm_scan_chart(fuzz_iac_checks(), &in, &f, &nf))
		abort();
	xfree(f);
	return 0;
}
