/*
 * main.c - the single entry point and the subcommand table.
 */
#include "core/base/api.h"

#include <stdio.h>

int main(int argc, char **argv)
{
	UNUSED(argc);
	UNUSED(argv);
	fprintf(stderr, "usage: sluice serve|scan|rules ...\n");
	return 2;
}
