/*
 * err.c - names for sluice error codes and errno values.
 */
#include "core/base/api.h"
#include "core/base/err.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const sluice_err_text[] = {
#define ERR_TEXT(name, text) text,
	SLUICE_ERRORS(ERR_TEXT)
#undef ERR_TEXT
};

const char *err_str(int err)
{
	if (err == 0)
		return "success";
	if (err > ERR__FIRST && err < ERR__LAST)
		return sluice_err_text[err - ERR__FIRST - 1];
	if (err < 0 && err > -4096)
		return strerror(-err);
	return "unknown error";
}

void sluice_bug(const char *file, int line, const char *cond)
{
	fprintf(stderr, "BUG at %s:%d: %s\n", file, line, cond);
	abort();
}
