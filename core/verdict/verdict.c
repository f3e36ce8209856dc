/*
 * verdict.c - the verdict reason table.
 */
#include "core/base/api.h"
#include "core/base/err.h"
#include "core/verdict/verdict.h"

static const struct {
	const char *id;
	enum verdict_action action;
	const char *text;
} reasons[] = {
#define VERDICT_ROW(id, action, text) { #id, action, text },
	VERDICT_REASONS(VERDICT_ROW)
#undef VERDICT_ROW
};

static const char *const action_names[] = { "allow", "audit", "warn", "reject" };

const char *verdict_reason_id(enum verdict_reason r)
{
	return (unsigned)r < ARRAY_SIZE(reasons) ? reasons[r].id : "UNKNOWN";
}

const char *verdict_reason_text(enum verdict_reason r)
{
	return (unsigned)r < ARRAY_SIZE(reasons) ? reasons[r].text : "unknown reason";
}

enum verdict_action verdict_reason_default(enum verdict_reason r)
{
	return (unsigned)r < ARRAY_SIZE(reasons) ? reasons[r].action : ACTION_REJECT;
}

const char *verdict_action_name(enum verdict_action a)
{
	return (unsigned)a < ARRAY_SIZE(action_names) ? action_names[a] : "reject";
}

int verdict_action_parse(const char *s, enum verdict_action *out)
{
	size_t i;

	if (strcmp(s, "block") == 0) {
		*out = ACTION_REJECT;
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(action_names); i++)
		if (strcmp(s, action_names[i]) == 0) {
			*out = (enum verdict_action)i;
			return 0;
		}
	return ERR_SYNTAX;
}
