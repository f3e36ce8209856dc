/*
 * verdict.h - names, texts and default actions of verdict reasons, and
 * the policy that turns reasons into one action for a push.
 */
#ifndef SLUICE_VERDICT_VERDICT_H
#define SLUICE_VERDICT_VERDICT_H

#include "core/base/api.h"
#include "core/verdict/verdict-t.h"

const char *verdict_reason_id(enum verdict_reason r);	/* "SECRET_FOUND" */
const char *verdict_reason_text(enum verdict_reason r);
enum verdict_action verdict_reason_default(enum verdict_reason r);
const char *verdict_action_name(enum verdict_action a);	/* "reject" */
/* "allow", "audit", "warn", "reject" (also "block").  0 or ERR_SYNTAX. */
int verdict_action_parse(const char *s, enum verdict_action *out);

/* The strongest of two actions (REJECT > WARN > AUDIT > ALLOW). */
static inline enum verdict_action verdict_max(enum verdict_action a, enum verdict_action b)
{
	return a > b ? a : b;
}

#endif
