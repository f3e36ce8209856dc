/*
 * err-t.h - the one table of sluice error codes.
 *
 * Functions return int: 0 on success, a negative errno value (-ENOMEM,
 * -EIO, ...) for system failures, or one of the negative codes below.
 * Our codes lie between -200000 and -199000, far below any errno, so the two cannot be
 * confused.  err_str() (err.h) names both kinds.
 */
#ifndef SLUICE_BASE_ERR_T_H
#define SLUICE_BASE_ERR_T_H

#define SLUICE_ERR_BASE (-200000)

/* X(name, text) */
#define SLUICE_ERRORS(X) \
	X(ERR_NOMEM,        "out of memory") \
	X(ERR_LIMIT,        "a named limit was reached") \
	X(ERR_TRUNCATED,    "input ended in the middle of a unit") \
	X(ERR_SYNTAX,       "malformed input") \
	X(ERR_OVERFLOW,     "arithmetic overflow in a length or offset") \
	X(ERR_CHECKSUM,     "checksum mismatch") \
	X(ERR_UNSUPPORTED,  "unsupported format or version") \
	X(ERR_NOTFOUND,     "not found") \
	X(ERR_INFLATE,      "zlib stream is corrupt") \
	X(ERR_DELTA,        "delta instructions are invalid") \
	X(ERR_BASE_MISSING, "delta base is not in the pack") \
	X(ERR_RULE,         "rule is invalid") \
	X(ERR_HYPERSCAN,    "Hyperscan failed") \
	X(ERR_PCRE,         "PCRE2 failed") \
	X(ERR_STORE,        "rule store (LMDB) failed") \
	X(ERR_IO,           "I/O error") \
	X(ERR_USAGE,        "bad arguments") \
	X(ERR_STOPPED,      "stopped by the consumer") \
	X(ERR_STATE,        "call not valid in this state") \
	X(ERR_CANCELED,     "stopped: time budget ran out")

enum sluice_err {
	ERR__FIRST = SLUICE_ERR_BASE,	/* not an error; codes follow it upwards */
#define ERR_ENUM(name, text) name,
	SLUICE_ERRORS(ERR_ENUM)
#undef ERR_ENUM
	ERR__LAST			/* not an error; one past the last code */
};

#endif
