/*
 * fuzz_rulepack.c - the YAML rule loader on arbitrary input; every rule it
 * accepts is also checked (compile, width) the way an import does.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/limits.h"
#include "core/match/ruleset.h"
#include "rules/rulepack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rulepack p;
	struct buf msg;
	size_t i;

	buf_init(&msg, 1 << 16);
	if (rulepack_load_mem((const char *)data, size, "fuzz", &p, &msg) == 0) {
		for (i = 0; i < p.n_rules && i < 4; i++)
			ruleset_check_rule(&p.rules[i], LIMIT_WINDOW_BYTES_DEFAULT, NULL, &msg);
		rulepack_release(&p);
	}
	buf_release(&msg);
	return 0;
}
