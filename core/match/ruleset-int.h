/*
 * ruleset-int.h - ruleset internals shared by ruleset.c and match.c only.
 */
#ifndef SLUICE_MATCH_RULESET_INT_H
#define SLUICE_MATCH_RULESET_INT_H

#include "core/base/api.h"
#include "core/match/rule-t.h"

#include <hs/hs.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

struct compiled_rule {
	pcre2_code *confirm;		/* pattern + "\z", JIT-compiled */
	unsigned width;			/* max_width from Hyperscan */
	unsigned prefix_len;		/* literal prefix shown unredacted */
	long requires;			/* index of the companion rule or -1 */
};

struct ruleset {
	struct secret_rule *rules;	/* owned array */
	struct compiled_rule *comp;	/* parallel to rules */
	size_t n;
	hs_database_t *db;		/* stream mode, ids = rule indexes */
	unsigned window;		/* bytes a stream keeps behind it */
	uint8_t fp_key[64];		/* fingerprint HMAC key */
	size_t fp_key_len;
};

#endif
