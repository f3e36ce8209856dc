/*
 * main.c - the single entry point and the subcommand table.  It lives in
 * netproxy/ because this is the only folder that may depend on all others.
 */
#include "core/base/api.h"
#include "netproxy/cmd_scan.h"
#include "netproxy/cmd_user.h"
#include "netproxy/serve.h"
#include "rules/rulectl.h"

#include <stdio.h>

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
};

static int cmd_version(int argc, char **argv)
{
	UNUSED(argc);
	UNUSED(argv);
	printf("sluice 0.1.0\n");
	return 0;
}

static const struct subcommand subcommands[] = {
	{ "serve", cmd_serve_main, "run the appliance: TLS proxy and push gate" },
	{ "scan", cmd_scan_main, "scan files, directories, git repositories, .pack files" },
	{ "rules", rulectl_main, "import, list, show, test, export rules" },
	{ "user", cmd_user_main, "add, change, remove, list push users (DATA/users)" },
	{ "version", cmd_version, "print the version" },
};

static int usage(void)
{
	size_t i;

	fprintf(stderr, "usage: sluice COMMAND [ARGS]\n");
	for (i = 0; i < ARRAY_SIZE(subcommands); i++)
		fprintf(stderr, "  %-8s %s\n", subcommands[i].name, subcommands[i].help);
	return 2;
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return usage();
	for (i = 0; i < ARRAY_SIZE(subcommands); i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "sluice: unknown command '%s'\n", argv[1]);
	return usage();
}
