/*
 * fuzz_urlpath.c - libFuzzer target for request-target canonicalisation
 * (netproxy/urlpath.h): never a crash or an overrun, the output is never
 * longer than the input, and canonicalising the canonical form changes
 * nothing (the gate and the upstream must read one spelling).
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "netproxy/urlpath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *a = xmalloc(size + 1), *b = xmalloc(size + 1);
	const char *why;

	if (a && b && urlpath_canon((const char *)data, size, a, size + 1, &why) == 0) {
		size_t n = strlen(a);

		if (n > size)
			__builtin_trap();
		if (urlpath_canon(a, n, b, size + 1, &why) != 0 || strcmp(a, b) != 0)
			__builtin_trap();
	}
	xfree(a);
	xfree(b);
	return 0;
}
