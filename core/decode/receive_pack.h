/*
 * receive_pack.h - the request of a smart-HTTP push up to the pack: the
 * body of POST .../git-receive-pack after transfer and content decoding
 * (gitprotocol-pack "Reference Update Request and Packfile Transfer",
 * git-gate.md §3).
 *
 *   *pkt("shallow " oid)
 *    pkt(old SP new SP ref NUL caps)      caps only on the first command
 *   *pkt(old SP new SP ref)
 *    0000
 *   [*pkt(option) 0000]                   only when caps hold push-options
 *   [PACK ...]                            not ours: left unconsumed
 *
 * Implements struct decoder_type.  feed returns DEC_STOP right after the
 * flush that ends the command list (or the push options), leaving the
 * PACK bytes to the next layer; nothing is written to the sink.  The
 * parsed request is then in receive_pack_peek() and, if given, passed to
 * params->on_done.  What follows is the caller's to judge: nothing for
 * an empty request (the probe) or a delete-only one (git sends no pack
 * then), "PACK" otherwise.
 *
 * Accepted:
 *  - pkt-line framing as dec_pktline (length digits in either case);
 *    one trailing LF on a text pkt is dropped (git reads with
 *    PACKET_READ_CHOMP_NEWLINE).
 *  - ids: exactly hexsz lowercase hex digits; hexsz is 64 when the caps
 *    say object-format=sha256, 40 for sha1, else params->default_hexsz.
 *  - ref names of bytes 0x21-0x7e and 0x80-0xff (git checks the rest of
 *    check_refname_format() itself and refuses that ref).
 *  - the probe: a body that is only "0000" parses as an empty request
 *    (req->empty); receive_pack_is_probe() tests a whole body.
 * Rejected (DEC_ERR; receive_pack_why() names the rule).  Where git would
 * also refuse, or would accept something no git client sends, we refuse:
 * refusing blocks the push visibly, accepting what we do not understand
 * could let it through unscanned.
 *   ERR_SYNTAX  pkt-line framing errors (bad length digits, 0003,
 *               delim/response-end, which do not exist in a v0 push);
 *               an empty pkt (git: "expected old/new/ref, got ''");
 *               a malformed command or id, uppercase hex; a bad ref byte;
 *               caps (a NUL) on a command other than the first (git would
 *               parse them, and a stripped push-options could survive);
 *               "shallow" after a command; a NUL in a push option.
 *   ERR_UNSUPPORTED  a signed push (a "push-cert" block: reported as
 *               RP_WHY_SIGNED_PUSH, never parsed as commands); an
 *               object-format other than sha1/sha256.
 *   ERR_LIMIT   more than LIMIT_PUSH_COMMANDS commands, LIMIT_PUSH_OPTIONS
 *               options, or LIMIT_COMMAND_BLOCK_BYTES bytes; a pkt above
 *               LIMIT_PKT_BYTES.
 *   ERR_TRUNCATED  from finish() before the final flush (missing flush).
 *   ERR_NOMEM.
 * consumed counts bytes as dec_pktline does; a rule about a pkt's content
 * is found when the whole pkt has arrived and counts that pkt.
 *
 * Caveats: every pointer in struct receive_pack_request points into
 * memory the decoder owns; valid until release.  After an error the
 * request is published with what was parsed so far (complete == false),
 * so a responder can still learn the caps and the refs seen.
 */
#ifndef SLUICE_DECODE_RECEIVE_PACK_H
#define SLUICE_DECODE_RECEIVE_PACK_H

#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/decode/dec_pktline.h"
#include "core/decode/decoder-t.h"

extern const struct decoder_type dec_receive_pack;

/* Capabilities a client may request (gitprotocol-capabilities). */
#define RP_CAP_REPORT_STATUS	0x001u
#define RP_CAP_REPORT_STATUS_V2	0x002u
#define RP_CAP_SIDE_BAND_64K	0x004u
#define RP_CAP_SIDE_BAND	0x008u
#define RP_CAP_QUIET		0x010u
#define RP_CAP_ATOMIC		0x020u
#define RP_CAP_PUSH_OPTIONS	0x040u
#define RP_CAP_OFS_DELTA	0x080u
#define RP_CAP_OBJECT_FORMAT	0x100u	/* object-format= was sent */
#define RP_CAP_AGENT		0x200u
#define RP_CAP_SESSION_ID	0x400u
#define RP_CAP_UNKNOWN		0x800u	/* some other token (upstream judges it) */

enum rp_cmd_kind {
	RP_CREATE,	/* old is the zero id */
	RP_UPDATE,	/* neither id is zero */
	RP_DELETE,	/* new is the zero id (both zero counts as a delete) */
};

struct rp_command {
	const char *old_hex;		/* hexsz lowercase hex, NUL-terminated */
	const char *new_hex;		/* hexsz lowercase hex, NUL-terminated */
	const char *ref;		/* ref name, NUL-terminated */
	size_t ref_len;
	enum rp_cmd_kind kind;
	const uint8_t *payload;		/* the pkt payload as received */
	size_t payload_len;
};

struct rp_line {
	const char *text;		/* payload without a trailing LF, NUL-terminated */
	const uint8_t *payload;		/* the pkt payload as received */
	size_t payload_len;
};

struct receive_pack_request {
	const struct rp_command *commands;	/* in order of arrival */
	size_t ncommands;
	const struct rp_line *shallow;		/* text is "shallow <oid>" */
	size_t nshallow;
	const struct rp_line *options;		/* push options */
	size_t noptions;
	unsigned caps;			/* RP_CAP_* */
	const char *caps_raw;		/* the text after the NUL, as sent ("" if none) */
	const char *agent;		/* agent= value or NULL */
	const char *session_id;		/* session-id= value or NULL */
	unsigned hexsz;			/* 40 (sha1) or 64 (sha256) */
	bool empty;			/* no commands (the probe "0000") */
	bool delete_only;		/* commands, all deletes: no pack follows */
	bool signed_push;		/* a push-cert block was seen (an error) */
	bool complete;			/* parsed to the final flush */
	size_t block_bytes;		/* bytes consumed */
};

struct receive_pack_params {
	unsigned default_hexsz;		/* without object-format: 40 or 64; 0 = 40 */
	/* Called once at DEC_STOP; may be NULL. */
	void (*on_done)(void *arg, const struct receive_pack_request *req);
	void *arg;
};

enum rp_why {
	RP_WHY_NONE,
	RP_WHY_FRAMING,		/* pkt-line framing error (see dec_pktline) */
	RP_WHY_EMPTY_PKT,	/* 0004 where a command belongs */
	RP_WHY_BAD_COMMAND,	/* not "old SP new SP ref" */
	RP_WHY_BAD_OID,		/* id not hexsz lowercase hex */
	RP_WHY_BAD_REF,		/* empty ref, or a control byte or SP in it */
	RP_WHY_CAPS_NOT_FIRST,	/* NUL in a command other than the first */
	RP_WHY_SHALLOW_ORDER,	/* shallow line after a command */
	RP_WHY_SIGNED_PUSH,	/* push-cert block: signed pushes unsupported */
	RP_WHY_OBJECT_FORMAT,	/* object-format neither sha1 nor sha256 */
	RP_WHY_TOO_MANY_COMMANDS,	/* above LIMIT_PUSH_COMMANDS */
	RP_WHY_TOO_MANY_OPTIONS,	/* above LIMIT_PUSH_OPTIONS */
	RP_WHY_BAD_OPTION,	/* NUL in a push option */
	RP_WHY_BLOCK_LIMIT,	/* above LIMIT_COMMAND_BLOCK_BYTES */
	RP_WHY_PKT_LIMIT,	/* pkt above LIMIT_PKT_BYTES */
	RP_WHY_TRUNCATED,	/* body ended before the final flush */
	RP_WHY_NOMEM,		/* allocation failed */
};

/* Which part of the request comes next. */
enum rp_section {
	RP_SEC_FIRST,		/* shallow lines, the first command or a flush */
	RP_SEC_COMMANDS,	/* more commands or the flush */
	RP_SEC_OPTIONS,		/* push options or their flush */
	RP_SEC_DONE,		/* final flush seen: STOP */
	RP_SEC_FAILED,		/* an error was returned */
};

/* Where a parsed item sits while the stores may still move. */
struct rp_cmd_at {
	size_t old_off, new_off, ref_off, ref_len;	/* into strs */
	size_t raw_off, raw_len;			/* into raw */
	enum rp_cmd_kind kind;
};

struct rp_line_at {
	size_t text_off;		/* into strs */
	size_t raw_off, raw_len;	/* into raw */
};

struct dec_receive_pack {
	enum rp_section sec;		/* see enum rp_section */
	enum rp_why why;		/* reason of the last error */
	struct receive_pack_params p;	/* params with defaults filled in */
	struct dec_pktline pkt;		/* framing */
	struct buf strs;		/* NUL-terminated texts */
	struct buf raw;			/* payloads as received */
	struct rp_cmd_at *cmds;		/* ncmds parsed commands */
	size_t ncmds, cmds_cap;
	struct rp_line_at *lines;	/* shallow lines, then options */
	size_t nlines, lines_cap;
	size_t nshallow;		/* the first nshallow lines are shallow */
	unsigned shallow_hexsz;		/* id length of the shallow lines, 0 if none */
	size_t caps_off, agent_off, sid_off;	/* into strs; SIZE_MAX = absent */
	size_t block_bytes;		/* bytes of pkts so far */
	struct receive_pack_request req;	/* published at STOP or error */
	struct rp_command *pub_cmds;	/* arrays behind req */
	struct rp_line *pub_lines;
	bool published;
};

enum rp_why receive_pack_why(const struct dec_receive_pack *d);
const char *receive_pack_why_str(enum rp_why why);

/* The request after DEC_STOP (complete) or DEC_ERR (partial), else NULL.
 * Borrowed: valid until release. */
const struct receive_pack_request *receive_pack_peek(const struct dec_receive_pack *d);

/* Whether a whole request body is the 4-byte probe "0000" (git-gate.md §1). */
bool receive_pack_is_probe(const uint8_t *body, size_t len);

/*
 * Re-encodes the command block of a complete request for the upstream
 * (git-gate.md §4.2): shallow and command pkts with their payloads as
 * received, except that the capability drop_cap (e.g. "push-options";
 * NULL keeps all; see receive_pack_caps_drop()) is removed from the
 * first command,
 * then the flush, then (unless drop_options) the push-option pkts and
 * their flush.  Lengths are recomputed.  Appends to out; the PACK bytes
 * are the caller's to append.  0, ERR_STATE (request not complete),
 * ERR_LIMIT (out's max) or ERR_NOMEM; on error out may hold part of it.
 */
int receive_pack_reencode(const struct receive_pack_request *req, const char *drop_cap,
			  bool drop_options, struct buf *out);

/*
 * Appends caps[0..n) (a space-separated capability list, optionally ending
 * in LF) to out without every token equal to name, or, when name ends in
 * '=', every token starting with it ("push-cert=").  Each removed token
 * takes one adjacent separator with it, so the list stays well formed.
 * *dropped (may be NULL) is set to the number removed.  0, ERR_LIMIT
 * (out's max) or ERR_NOMEM.
 */
int receive_pack_caps_drop(const uint8_t *caps, size_t n, const char *name, struct buf *out,
			   unsigned *dropped);

#endif
