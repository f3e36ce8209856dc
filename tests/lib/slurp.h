/*
 * slurp.h - read a whole file for a test: the bytes plus a terminating
 * NUL (not counted in *len), allocated with xmalloc; NULL when the file
 * cannot be read.  Free with xfree.
 */
#ifndef SLUICE_TESTS_SLURP_H
#define SLUICE_TESTS_SLURP_H

#include <stddef.h>

char *test_slurp(const char *path, size_t *len);

#endif
