/*
 * slurp.c - read a whole file for a test.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "tests/lib/slurp.h"

#include <stdio.h>

char *test_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (b = xmalloc((size_t)n + 1)) && fread(b, 1, (size_t)n, f) == (size_t)n) {
		b[n] = '\0';
		*len = (size_t)n;
	} else {
		xfree(b);
		b = NULL;
	}
	fclose(f);
	return b;
}
