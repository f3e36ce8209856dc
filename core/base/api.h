/*
 * api.h - the first include of every sluice source file.
 *
 * Pulls in the few standard headers every module uses and defines the
 * handful of macros the house style relies on.  Nothing here allocates or
 * depends on another sluice module.
 */
#ifndef SLUICE_BASE_API_H
#define SLUICE_BASE_API_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* The value of one hexadecimal digit (either case), or -1. */
static inline int hex_digit_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A macro's value as a string literal ("4000" from 4000). */
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define UNUSED(x) ((void)(x))

/* BUG_ON is for broken invariants only; input errors are returned, never
 * asserted.  It aborts because continuing with a corrupted invariant could
 * forward an unscanned push. */
void sluice_bug(const char *file, int line, const char *cond);
#define BUG_ON(cond) do { if (cond) sluice_bug(__FILE__, __LINE__, #cond); } while (0)

#endif
