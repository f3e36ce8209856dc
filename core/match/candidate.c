/*
 * candidate.c - token-efficiency scoring of generic secret candidates
 * (see candidate.h).
 */
#include "core/base/api.h"
#include "core/match/candidate.h"
#include "core/match/candidate-vocab.h"
#include "core/match/validate.h"

#include <math.h>

/* Longest vocabulary token; learn_vocab.py's MAXLEN. */
#define CANDIDATE_TOKEN_MAX 16u

#include "core/match/candidate-model.h"

enum cclass { C_LOWER, C_UPPER, C_DIGIT, C_SYMBOL };

static enum cclass class_of(unsigned char c)
{
	if (c >= 'a' && c <= 'z')
		return C_LOWER;
	if (c >= 'A' && c <= 'Z')
		return C_UPPER;
	if (c >= '0' && c <= '9')
		return C_DIGIT;
	return C_SYMBOL;
}

static bool is_letter(unsigned char c)
{
	enum cclass k = class_of(c);

	return k == C_LOWER || k == C_UPPER;
}

/* True when the lowercase letters w[0, n) are a vocabulary token; h is
 * the FNV-1a hash of w[0, n), computed incrementally by the caller. */
static bool in_vocab(const char *w, size_t n, uint32_t h)
{
	unsigned mask = candidate_vocab_slots - 1, i = h & mask;
	uint16_t v;

	while ((v = candidate_vocab_table[i]) != 0) {
		const unsigned char *t = candidate_vocab_blob + v - 1;

		if (t[0] == n && memcmp(t + 1, w, n) == 0)
			return true;
		i = (i + 1) & mask;
	}
	return false;
}

/* Segmentation statistics of one run of letters. */
struct seg {
	unsigned tokens;	/* tokens in the fewest-token segmentation */
	unsigned covered;	/* letters inside tokens of >= 3 */
	unsigned long_words;	/* tokens of >= 5 */
};

/* Fewest-token segmentation of the letters r[0, n) (n <= 64): a vocabulary
 * token of 2+ letters or a single letter costs one token each.  Ties go to
 * the segmentation that covers more letters with words. */
static void segment_letters(const char *r, size_t n, struct seg *out)
{
	char low[64];
	uint16_t best[65], cover[65], longw[65];
	size_t i, j;

	for (i = 0; i < n; i++)
		low[i] = (char)(r[i] | 0x20);
	best[0] = cover[0] = longw[0] = 0;
	for (j = 1; j <= n; j++)
		best[j] = UINT16_MAX;
	/* Forward: best[i] is final once every shorter prefix relaxed it. */
	for (i = 0; i < n; i++) {
		uint32_t h = 2166136261u;

		if (best[i] + 1u < best[i + 1] ||
		    (best[i] + 1u == best[i + 1] && cover[i] > cover[i + 1])) {
			best[i + 1] = (uint16_t)(best[i] + 1);
			cover[i + 1] = cover[i];
			longw[i + 1] = longw[i];
		}

		for (j = i; j < n && j - i < CANDIDATE_TOKEN_MAX; j++) {
			size_t len = j - i + 1;
			unsigned c, b;

			h = (h ^ (unsigned char)low[j]) * 16777619u;
			if (len < 2 || !in_vocab(low + i, len, h))
				continue;
			b = best[i] + 1u;
			c = cover[i] + (len >= 3 ? (unsigned)len : 0u);
			if (b < best[j + 1] || (b == best[j + 1] && c > cover[j + 1])) {
				best[j + 1] = (uint16_t)b;
				cover[j + 1] = (uint16_t)c;
				longw[j + 1] = (uint16_t)(longw[i] + (len >= 5));
			}
		}
	}
	out->tokens += best[n];
	out->covered += cover[n];
	out->long_words += longw[n];
}

/* Splits s into runs the way identifiers are written: at camelCase humps
 * ("getPassword" -> get, Password; "HTTPServer" -> HTTP, Server), at
 * letter/digit changes and at every symbol; letters are segmented into
 * words, digits count one token per three (as BPE tokenizers group them),
 * symbols one each. */
static void segment(const char *s, size_t n, struct seg *sg)
{
	size_t i = 0;

	memset(sg, 0, sizeof(*sg));
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t j = i + 1;

		if (is_letter(c)) {
			if (class_of(c) == C_UPPER) {
				while (j < n && class_of((unsigned char)s[j]) == C_UPPER)
					j++;
				/* "HTTPServer": the last capital starts "Server" */
				if (j < n && class_of((unsigned char)s[j]) == C_LOWER && j - i > 1)
					j--;
			}
			while (j < n && class_of((unsigned char)s[j]) == C_LOWER)
				j++;
			if (j - i > 64)
				j = i + 64;
			segment_letters(s + i, j - i, sg);
		} else if (class_of(c) == C_DIGIT) {
			while (j < n && class_of((unsigned char)s[j]) == C_DIGIT)
				j++;
			sg->tokens += (unsigned)(j - i + 2) / 3;
		} else {
			sg->tokens++;
		}
		i = j;
	}
}

double candidate_token_efficiency(const char *s, size_t len)
{
	struct seg sg;

	len = MIN(len, (size_t)CANDIDATE_SCORE_MAX);
	if (len == 0)
		return 0.0;
	segment(s, len, &sg);
	return (double)len / (double)sg.tokens;
}

/* Share of separator-delimited pieces (at . _ - / : and space) of 2+
 * characters that segment into at most two words: "spring.datasource.url",
 * "form-control", "password_hash" are all wordy; "x7Gq-p9Lk" is not. */
static double wordy_pieces(const char *s, size_t n)
{
	unsigned pieces = 0, wordy = 0;
	size_t i = 0;

	while (i < n) {
		size_t j = i;
		struct seg sg;

		while (j < n && class_of((unsigned char)s[j]) != C_SYMBOL)
			j++;
		if (j - i >= 2) {
			pieces++;
			segment(s + i, j - i, &sg);
			if (sg.tokens <= 2 && sg.covered * 2 >= j - i)
				wordy++;
		}
		i = j + 1;
	}
	return pieces ? (double)wordy / pieces : 0.0;
}

static bool has_sub(const char *s, size_t n, const char *w)
{
	return memmem(s, n, w, strlen(w)) != NULL;
}

static bool path_like(const char *s, size_t n)
{
	if (s[0] == '/' || s[0] == '~' || s[0] == '\\')
		return true;
	if (n >= 2 && s[0] == '.' && (s[1] == '/' || s[1] == '.'))
		return true;
	if (n >= 3 && is_letter((unsigned char)s[0]) && s[1] == ':' && s[2] == '\\')
		return true;
	return has_sub(s, n, "://");
}

/* Mean surprise per letter under the trigram model, in bits; letters are
 * read in runs (a run starts a new word), case folded. */
static double letter_surprise(const char *s, size_t n)
{
	unsigned a = 0, b = 0, letters = 0, sum = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		unsigned l;

		if (!is_letter(c)) {
			a = b = 0;
			continue;
		}
		/* a hump starts a new word too: "getPassword" */
		if (class_of(c) == C_UPPER && i && class_of((unsigned char)s[i - 1]) == C_LOWER)
			a = b = 0;
		l = (unsigned)((c | 0x20) - 'a');
		sum += candidate_trigram[(a * 27 + b) * 26 + l];
		letters++;
		a = b;
		b = l + 1;
	}
	return letters ? sum / 8.0 / letters : 0.0;
}

static bool hex_run(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (hex_digit_value((unsigned char)s[i]) < 0)
			return false;
	return n <= 16;
}

static unsigned digit_seps(const char *s, size_t n)
{
	unsigned k = 0;
	size_t i;

	for (i = 1; i + 1 < n; i++)
		if ((s[i] == '.' || s[i] == ':' || s[i] == '-' || s[i] == '/') &&
		    class_of((unsigned char)s[i - 1]) == C_DIGIT &&
		    class_of((unsigned char)s[i + 1]) == C_DIGIT)
			k++;
	return k;
}

static bool has_prefix(const char *s, size_t n, const char *p)
{
	size_t pl = strlen(p);

	return n > pl && memcmp(s, p, pl) == 0;
}

/* crypt(3) and PHC password hashes, algorithm-prefixed digests. */
static bool stored_hash(const char *s, size_t n)
{
	static const char *const prefixes[] = {
		"$2a$", "$2b$", "$2y$", "$1$", "$5$", "$6$", "$y$", "$argon2", "$pbkdf2",
		"$scrypt$", "pbkdf2_sha256$", "sha256:", "sha512:", "sha1:", "md5:",
		"{SSHA}", "{SHA}", "{SSHA512}", "{bcrypt}",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (has_prefix(s, n, prefixes[i]))
			return true;
	return false;
}

void candidate_features(const char *s, size_t len, double f[CF_N])
{
	unsigned cls[4] = { 0 }, switches = 0, runs = 0, letters = 0;
	enum cclass prev = C_SYMBOL;
	bool space = false, call = false, numeric = true;
	struct seg sg;
	size_t i;

	memset(f, 0, CF_N * sizeof(*f));
	len = MIN(len, (size_t)CANDIDATE_SCORE_MAX);
	if (len == 0)
		return;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		enum cclass k = class_of(c);
		bool letter = k == C_LOWER || k == C_UPPER;
		bool prev_letter = prev == C_LOWER || prev == C_UPPER;

		cls[k]++;
		letters += letter;
		if (i && letter && prev_letter && k != prev)
			switches++;
		if (!i || letter != prev_letter || (!letter && k != prev))
			runs++;
		space |= c == ' ';
		call |= c == '(' || c == '[' || c == '{' || c == ')';
		if (k != C_DIGIT && c != '.' && c != ',' && c != ':' && c != '-')
			numeric = false;
		prev = k;
	}
	segment(s, len, &sg);
	f[CF_TOKEN_DENSITY] = (double)sg.tokens / (double)len;
	f[CF_WORD_COVER] = letters ? (double)sg.covered / letters : 0.0;
	f[CF_LONG_WORDS] = 8.0 * sg.long_words / (double)len;
	f[CF_CLASSES] = ((cls[0] > 0) + (cls[1] > 0) + (cls[2] > 0) + (cls[3] > 0)) / 4.0;
	f[CF_CASE_SWITCHES] = letters ? (double)switches / letters : 0.0;
	f[CF_CLASS_RUNS] = (double)runs / (double)len;
	f[CF_LOG_LENGTH] = log2((double)len) / 8.0;
	f[CF_ENTROPY] = entropy_shannon(s, len) / 6.0;
	f[CF_DIGITS] = (double)cls[C_DIGIT] / (double)len;
	f[CF_SYMBOLS] = (double)cls[C_SYMBOL] / (double)len;
	f[CF_SPACE] = space;
	f[CF_CALL] = call;
	f[CF_PATH] = path_like(s, len);
	f[CF_WORDY_PIECES] = wordy_pieces(s, len);
	/* 0x1f2a is a number too (flags, ports, colours in code) */
	f[CF_ALL_DIGITS] = numeric || (len >= 3 && s[0] == '0' && (s[1] | 0x20) == 'x' &&
				       hex_run(s + 2, len - 2));
	f[CF_DIGIT_SEPS] = (double)digit_seps(s, len) / (double)len;
	f[CF_LETTER_SURPRISE] = letter_surprise(s, len) / 16.0;
	f[CF_SHORT_LETTERS] = letters == len && len < 16;
}

double candidate_score(enum rule_candidate kind, const char *s, size_t len)
{
	double f[CF_N], z = candidate_bias;
	size_t i;

	if (kind == RULE_CANDIDATE_NONE)
		return 1.0;
	if (stored_hash(s, len))
		return 0.0;
	candidate_features(s, len, f);
	for (i = 0; i < CF_N; i++)
		z += candidate_weights[i] * f[i];
	return 1.0 / (1.0 + exp(-z));
}
