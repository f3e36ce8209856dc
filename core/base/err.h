/*
 * err.h - error text at the edge.
 */
#ifndef SLUICE_BASE_ERR_H
#define SLUICE_BASE_ERR_H

#include "core/base/err-t.h"

/* Returns a static string for 0, any sluice code or any -errno value.
 * Never NULL. */
const char *err_str(int err);

#endif
