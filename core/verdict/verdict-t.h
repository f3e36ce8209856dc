/*
 * verdict-t.h - why a push is allowed, warned about or refused: one row
 * per reason (style.md rule 8).  The same ID appears in logs, the audit
 * record, the git `ng <ref> <reason>` line and SARIF.
 */
#ifndef SLUICE_VERDICT_VERDICT_T_H
#define SLUICE_VERDICT_VERDICT_T_H

enum verdict_action {
	ACTION_ALLOW,	/* forward, say nothing */
	ACTION_AUDIT,	/* forward, record only */
	ACTION_WARN,	/* forward, add remote: warnings */
	ACTION_REJECT,	/* refuse; nothing is applied upstream */
};

/* X(ID, default action, text shown to the developer) */
#define VERDICT_REASONS(X) \
	X(SECRET_FOUND,      ACTION_REJECT, "secret found") \
	X(SECRET_WARN,       ACTION_WARN,   "possible secret") \
	X(IAC_FINDING,       ACTION_WARN,   "IaC misconfiguration") \
	X(LIMIT_OBJECTS,     ACTION_REJECT, "pack has more objects than the limit") \
	X(LIMIT_OBJECT_SIZE, ACTION_REJECT, "an object is larger than the limit") \
	X(LIMIT_DEPTH,       ACTION_REJECT, "delta chain deeper than the limit") \
	X(LIMIT_EXPANSION,   ACTION_REJECT, "decompressed size above the limit") \
	X(LIMIT_AMPLIFICATION, ACTION_REJECT, "the pack expands to more than its size allows") \
	X(LIMIT_MEMORY,      ACTION_REJECT, "the gate has no memory left for this push; try again shortly") \
	X(LIMIT_SPOOL,       ACTION_REJECT, "pack larger than the spool limit") \
	X(LIMIT_COMMANDS,    ACTION_REJECT, "command block above the limit") \
	X(LIMIT_FINDINGS,    ACTION_REJECT, "more findings than can be listed") \
	X(LIMIT_IAC,         ACTION_WARN,   "IaC files above the evaluation budget were not checked") \
	X(BUDGET_TIME,       ACTION_REJECT, "scan did not finish within the time budget") \
	X(PACK_CORRUPT,      ACTION_REJECT, "pack is corrupt") \
	X(THIN_BASE_MISSING, ACTION_REJECT, "delta base missing from the pack (thin pack)") \
	X(PARSE_UNKNOWN,     ACTION_REJECT, "push request could not be parsed") \
	X(TRAILING_BYTES,    ACTION_REJECT, "bytes after the end of the pack") \
	X(CLIENT_TOO_SLOW,   ACTION_REJECT, "the request was sent slower than the minimum rate") \
	X(AUDIT_FAILED,      ACTION_REJECT, "the audit record could not be written") \
	X(SIGNED_PUSH,       ACTION_REJECT, "signed pushes are not supported by the gate") \
	X(INTERNAL,          ACTION_REJECT, "internal error in the gate")

enum verdict_reason {
#define VERDICT_ENUM(id, action, text) VR_ ## id,
	VERDICT_REASONS(VERDICT_ENUM)
#undef VERDICT_ENUM
	VR__COUNT
};

#endif
