/*
 * cmd_scan.c - `sluice scan [--format text|json|sarif] PATH...`.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/iac/iac.h"
#include "core/report/report.h"
#include "core/source/source.h"
#include "netproxy/cmd_scan.h"
#include "rules/rulectl.h"
#include "rules/store.h"

#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

static int usage(void)
{
	fprintf(stderr,
		"usage: sluice scan [--data DIR] [--format text|json|sarif] [--output FILE]\n"
		"                   [--no-git] [--no-progress] PATH...\n"
		"Scans files, directories (recursively, dot-files included), git repositories\n"
		"(every blob reachable from any ref, with commit and path) and .pack files.\n"
		"Files that are Terraform, ARM, Bicep, CloudFormation, Kubernetes or Dockerfiles\n"
		"are also checked for misconfigurations.\n"
		"Exit status: 0 clean, 1 findings at SARIF level error (block-tier secrets,\n"
		"critical and high IaC failures), 2 errors.\n");
	return 2;
}

int cmd_scan_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "no-git", no_argument, NULL, 'G' },
		{ "no-progress", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = rulectl_default_data_dir(), *output = NULL;
	enum report_format fmt = REPORT_TEXT;
	struct scan_opts so = { false, true, NULL };
	struct rules_store *st = NULL;
	struct ruleset *rs = NULL;
	struct iac_checkset *iac = NULL;
	struct scanner sc;
	struct report rep;
	struct buf msg;
	FILE *out = stdout;
	int c, i, err, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:f:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': data = optarg; break;
		case 'f':
			if (report_format_parse(optarg, &fmt)) {
				fprintf(stderr, "sluice scan: unknown format %s\n", optarg);
				return 2;
			}
			break;
		case 'o': output = optarg; break;
		case 'G': so.no_git = true; break;
		case 'P': so.progress = false; break;
		default: return usage();
		}
	}
	if (optind >= argc)
		return usage();
	so.progress = so.progress && isatty(2);

	/* One read transaction loads one generation; the scan keeps that
	 * ruleset to the end, whatever is imported meanwhile. */
	buf_init(&msg, 1 << 24);
	err = rulectl_open_store(data, &st, &msg);
	if (!err)
		err = rules_store_load(st, &rs, &iac, NULL, &msg);
	rules_store_close(st);
	if (msg.len)
		fprintf(stderr, "%.*s\n", (int)msg.len, msg.data);
	buf_release(&msg);
	if (err) {
		fprintf(stderr, "sluice scan: cannot load rules from %s: %s\n", data, err_str(err));
		return 2;
	}
	if (output) {
		out = fopen(output, "w");
		if (!out) {
			perror(output);
			ruleset_free(rs);
			return 2;
		}
	}
	report_init(&rep, rs);
	rep.iac = iac;
	so.iac = iac;
	err = scanner_init(&sc, rs, &rep, &so);
	for (i = optind; !err && i < argc; i++)
		scan_path(&sc, argv[i]);
	scanner_release(&sc);
	if (err)
		report_error(&rep, "sluice", "%s", err_str(err));
	report_sort(&rep);
	err = report_write(&rep, fmt, out, fmt == REPORT_TEXT && !output && isatty(1));
	if (out != stdout)
		fclose(out);
	rc = rep.n_errors || err ? 2 : report_blocking(&rep) ? 1 : 0;
	report_release(&rep);
	ruleset_free(rs);
	iac_checkset_free(iac);
	return rc;
}
