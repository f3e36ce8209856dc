/*
 * push-t.h - what the gate learns about one push: its ref commands, its
 * findings and the verdict.
 */
#ifndef SLUICE_PUSH_PUSH_T_H
#define SLUICE_PUSH_PUSH_T_H

#include "core/base/api.h"
#include "core/match/rule-t.h"
#include "core/verdict/verdict-t.h"

#define PUSH_OID_HEX 65		/* SHA-256 hex + NUL */
#define PUSH_REF_MAX 1024	/* git's refname limit is looser; longer is refused */

struct push_command {
	char old_oid[PUSH_OID_HEX];	/* hex */
	char new_oid[PUSH_OID_HEX];	/* hex; all zeros = delete */
	char ref[PUSH_REF_MAX];		/* refs/heads/main */
};

enum push_finding_kind { PF_SECRET, PF_IAC };

enum push_finding_status {
	PF_OPEN,		/* counts for the verdict */
	PF_SUPPRESSED,		/* sluice:ignore in the file */
	PF_BYPASSED,		/* -o sluice.bypass=<reason> accepted */
};

struct push_finding {
	enum push_finding_kind kind;
	uint32_t rule;				/* secret rule or IaC check index */
	char rule_id[64];			/* SEC-AWS-AKID, AZ-02 */
	char rule_name[128];			/* human name / IaC title */
	enum rule_severity severity;
	enum rule_tier tier;			/* secrets; IaC counts as warn */
	char *path;				/* owned; "blob:<id>" if unknown */
	char commit[PUSH_OID_HEX];		/* introducing commit, or "" */
	uint32_t line, column;
	char value[160];			/* redacted secret / IaC "found" */
	char fingerprint[17];			/* 16 hex; "" for IaC */
	char evidence[12];			/* checksum, structure, prefix,
						 * context; "" for IaC */
	char remediation[256];			/* one line */
	enum push_finding_status status;
	enum verdict_action action;		/* what policy made of it */
};

#endif
