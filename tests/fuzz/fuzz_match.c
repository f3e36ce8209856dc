/*
 * fuzz_match.c - the two-stage matcher on arbitrary input, fed in pieces
 * whose sizes come from the input itself, with a small fixed rule set
 * (prefixed, generic with groups, checksummed, JWT, keyword proximity,
 * pair rule).
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/match/match.h"
#include "core/match/ruleset.h"
#include "rules/rulepack.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char pack[] =
	"pack: {id: fuzz, version: 1}\n"
	"rules:\n"
	"  - {id: F-GHP, name: g, pattern: '\\bghp_[0-9A-Za-z]{36}\\b', validators: [crc32-base62],"
	" tier: block, remediation: r, examples: [{text: a, secret: a}]}\n"
	"  - {id: F-AKID, name: a, pattern: '\\bAKIA[A-Z2-7]{16}\\b', tier: block, remediation: r,"
	" examples: [{text: a, secret: a}]}\n"
	"  - {id: F-SEC, name: s, pattern: 'secret\\s{0,4}[:=]\\s{0,4}([A-Za-z0-9/+]{8,40})', secret_group: 1,"
	" flags: [caseless], requires: F-AKID, entropy: 2.0, remediation: r, examples: [{text: a, secret: a}]}\n"
	"  - {id: F-JWT, name: j, pattern: '\\beyJ[A-Za-z0-9_-]{4,200}\\.eyJ[A-Za-z0-9_-]{2,400}\\.[A-Za-z0-9_-]{0,200}',"
	" validators: [jwt], remediation: r, examples: [{text: a, secret: a}]}\n"
	"  - {id: F-KW, name: k, pattern: '\\b[0-9a-f]{32}\\b', keywords: [twilio], keyword_window: 80,"
	" remediation: r, examples: [{text: a, secret: a}]}\n";

static struct ruleset *rs;
static struct match_scratch *sc;

static void setup(void)
{
	struct rulepack p;
	struct secret_rule *rules;
	size_t n;

	if (rulepack_load_mem(pack, sizeof(pack) - 1, "fuzz", &p, NULL) != 0)
		abort();
	rules = rulepack_take_rules(&p, &n);
	rulepack_release(&p);
	if (ruleset_build(rules, n, NULL, 0, &rs, NULL) != 0 || match_scratch_new(rs, &sc) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct match_stream ms;
	size_t pos = 0, piece;

	if (!rs)
		setup();
	if (size < 1)
		return 0;
	piece = (size_t)data[0] % 64 + 1;
	data++;
	size--;
	if (match_stream_init(&ms, rs, sc) == 0) {
		while (pos < size) {
			size_t n = MIN(piece, size - pos);

			if (match_stream_feed(&ms, data + pos, n))
				break;
			pos += n;
		}
		match_stream_finish(&ms);
	}
	match_stream_release(&ms);
	return 0;
}
