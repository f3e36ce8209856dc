/*
 * candidate.h - is the value of a generic assignment (`password = "..."`)
 * a credential, or an identifier, text, path, reference or placeholder?
 *
 * Shannon entropy cannot tell "getPasswordHash" (3.4 bits) from "Tr0ub4d&3"
 * (3.2 bits).  What does tell them apart is how well the value packs into
 * known tokens: identifiers, prose and paths segment into a few long
 * vocabulary words ("get|password|hash"), random and human-made secrets
 * into many short pieces ("tr|0|u|b|4|d|&|3").  The filter segments the
 * value into the fewest tokens of a vocabulary learned from Debian's own
 * code and documentation (candidate-vocab.c), derives a few features from
 * that segmentation and the character classes, and combines them with
 * logistic weights fitted on a labelled set (candidate-model.h; both
 * generated, see tests/fixtures/secrets/generic/).
 *
 * Deterministic, O(length) with a bounded constant, no allocation: it runs
 * in stage 2 on confirmed regex candidates only.
 */
#ifndef SLUICE_MATCH_CANDIDATE_H
#define SLUICE_MATCH_CANDIDATE_H

#include "core/base/api.h"
#include "core/match/rule-t.h"

/* Values are scored on their first CANDIDATE_SCORE_MAX bytes. */
#define CANDIDATE_SCORE_MAX 256u

/* Features, in the order of candidate-model.h's weights. */
enum candidate_feature {
	CF_TOKEN_DENSITY,	/* tokens per character (1 = no word at all) */
	CF_WORD_COVER,		/* share of letters inside words of >= 3 */
	CF_LONG_WORDS,		/* words of >= 5 letters per 8 characters */
	CF_CLASSES,		/* character classes present (lower, upper,
				 * digit, symbol) / 4 */
	CF_CASE_SWITCHES,	/* lower/upper alternations per letter */
	CF_CLASS_RUNS,		/* letter/digit/symbol runs per character */
	CF_LOG_LENGTH,		/* log2(length) / 8 */
	CF_ENTROPY,		/* Shannon entropy / 6 */
	CF_DIGITS,		/* share of digits */
	CF_SYMBOLS,		/* share of non-alphanumerics */
	CF_SPACE,		/* contains a space */
	CF_CALL,		/* has brackets: a call, index or template */
	CF_PATH,		/* path or URL shape: leading / ~ ./, "://",
				 * backslash */
	CF_WORDY_PIECES,	/* share of separator-delimited pieces that
				 * are one or two words */
	CF_ALL_DIGITS,		/* only digits (and . , : -), or 0x<hex> */
	CF_DIGIT_SEPS,		/* . : - / between two digits, per character
				 * (dates, versions, addresses) */
	CF_LETTER_SURPRISE,	/* mean trigram surprise of the letters, bits
				 * / 16: low for words, even unknown ones */
	CF_SHORT_LETTERS,	/* letters only and shorter than 16: names
				 * and codenames far more often than keys */
	CF_N
};

/* Fills f[CF_N] for s[0, len). */
void candidate_features(const char *s, size_t len, double f[CF_N]);

/* Characters per token of the minimal segmentation (the published "token
 * efficiency"): about 1 for random strings, 4-8 for identifiers. */
double candidate_token_efficiency(const char *s, size_t len);

/* Probability-like score in [0, 1] that s is a credential, for the filter
 * `kind`; RULE_CANDIDATE_NONE scores 1 (no filter).  Stored password
 * hashes in crypt(3)/PHC form ($2b$, $argon2id$, $6$ ...) and
 * algorithm-prefixed digests (sha256:...) score 0: they are what a
 * password becomes, not the password. */
double candidate_score(enum rule_candidate kind, const char *s, size_t len);

#endif
