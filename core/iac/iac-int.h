/*
 * iac-int.h - internals shared by the files of core/iac/ (never included
 * from outside the folder): the position-annotated document tree, the
 * parser entry points, the resource model and the compiled checks.
 *
 * Tree (tree.c).  Every parser produces the same node type, allocated from
 * one bounded arena per scanned file.  Scalars keep (line, column) of the
 * value and, when they are a member of a map, of their key; containers
 * also keep the line where they end.  Strings point into the input when
 * they need no unescaping, else into the arena; they are (ptr, len) and
 * not NUL-terminated.  Nothing in a tree is freed on its own: the arena
 * goes at once.
 */
#ifndef SLUICE_IAC_IAC_INT_H
#define SLUICE_IAC_IAC_INT_H

#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/iac/iac.h"

struct iac_ctx;

/* --- tree -------------------------------------------------------------- */

enum iac_kind {
	IAC_N_NULL,	/* null, ~, empty YAML value: treated as absent */
	IAC_N_BOOL,	/* flags & IAC_F_TRUE gives the value */
	IAC_N_NUM,	/* str holds the literal text */
	IAC_N_STR,	/* literal string (IAC_F_TEMPLATE: holds ${...}) */
	IAC_N_EXPR,	/* expression that may resolve: var.x, [parameters('x')] */
	IAC_N_UNKNOWN,	/* value we cannot know statically; str = its text */
	IAC_N_LIST,	/* children in order */
	IAC_N_MAP,	/* children carry key/key_len, in document order */
};

#define IAC_F_TRUE	0x01u	/* IAC_N_BOOL value */
#define IAC_F_TEMPLATE	0x02u	/* string contains an interpolation */
#define IAC_F_BLOCK	0x04u	/* HCL/Bicep block: aux holds its labels */
#define IAC_F_HEREDOC	0x08u	/* HCL heredoc: lines inside are real */
#define IAC_F_TAGGED	0x10u	/* YAML node with a local tag (aux: tag string) */
#define IAC_F_EXISTING	0x20u	/* Bicep `existing` resource */
#define IAC_F_QUOTED	0x40u	/* scalar was quoted (YAML/HCL) */
#define IAC_F_PARSED	0x80u	/* @json already parsed: aux is the tree (or NULL) */

struct iac_node {
	struct iac_node *next;		/* next sibling, NULL at the end */
	struct iac_node *child;		/* first child (LIST/MAP) */
	struct iac_node *aux;		/* block labels, YAML tag, parsed @json */
	const char *key;		/* member key (in a MAP), else NULL */
	const char *str;		/* scalar text / expression text */
	uint32_t key_len;		/* bytes of key */
	uint32_t len;			/* bytes of str */
	uint32_t line, col;		/* 1-based position of the value */
	uint32_t key_line;		/* line of the key (0 when not a member) */
	uint32_t end_line;		/* last line of a container (= line for scalars) */
	uint32_t n;			/* children (LIST/MAP) */
	uint32_t weight;		/* nodes below incl. alias expansion (YAML) */
	uint8_t kind;			/* enum iac_kind */
	uint8_t flags;			/* IAC_F_* */
};

/* The arena: 64 KiB chunks, total bytes capped (LIMIT_IAC_TREE_*). */
struct iac_arena {
	struct iac_chunk *head;		/* newest chunk */
	size_t used;			/* bytes handed out, all chunks */
	size_t max;			/* cap; allocations past it fail */
};

void iac_arena_init(struct iac_arena *a, size_t max);
void iac_arena_release(struct iac_arena *a);
/* Zeroed memory, 8-aligned; NULL when the cap is reached or malloc fails. */
void *iac_arena_alloc(struct iac_arena *a, size_t n);
char *iac_arena_strndup(struct iac_arena *a, const char *s, size_t n);

struct iac_node *iac_node_new(struct iac_arena *a, enum iac_kind kind, uint32_t line, uint32_t col);
/* Appends child to parent using *tail (the parent's last child, kept by
 * the builder so appends are O(1)).  Updates n, weight. */
void iac_node_append(struct iac_node *parent, struct iac_node **tail, struct iac_node *child);
/* First member with this key (exact bytes), or NULL. */
struct iac_node *iac_map_get(const struct iac_node *map, const char *key);
struct iac_node *iac_map_getn(const struct iac_node *map, const char *key, size_t klen);
/* Same, ASCII case-insensitive key comparison. */
struct iac_node *iac_map_geti(const struct iac_node *map, const char *key);
/* True when node is a scalar string (STR, not a template) equal to s. */
bool iac_str_eq(const struct iac_node *n, const char *s);
bool iac_str_ieq(const struct iac_node *n, const char *s);
bool iac_mem_ieq(const char *a, size_t alen, const char *b);
/* Line to report for a node: its key's line when it is a member, else its
 * own line. */
static inline uint32_t iac_node_line(const struct iac_node *n)
{
	return n->key_line ? n->key_line : n->line;
}

/* --- diagnostics -------------------------------------------------------- */

/* Why a parse stopped.  err is ERR_SYNTAX (malformed), ERR_LIMIT (a cap),
 * ERR_NOMEM.  msg is printable ASCII; for limits it starts "limit: ". */
struct iac_diag {
	int err;
	uint32_t line, col;
	char msg[128];
};

/* Sets d (first error wins) and returns err. */
int iac_diag_set(struct iac_diag *d, int err, uint32_t line, uint32_t col,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* --- parsers (whole input, bounded; see iac.h) -------------------------- */

/* JSON (RFC 8259) with line and block comments and a trailing comma
 * tolerated (ARM).  Lines start at base_line.  IAC_JSON_TEMPLATES marks
 * strings containing "${" as templates (Terraform JSON, policy heredocs);
 * IAC_JSON_ARM marks strings "[...]" as expressions (and "[[" as a literal
 * "["). */
#define IAC_JSON_TEMPLATES 0x1u
#define IAC_JSON_ARM       0x2u
int iac_json_parse(struct iac_arena *a, const char *s, size_t len, uint32_t base_line,
		   unsigned flags, struct iac_node **root, struct iac_diag *d);

/* YAML stream -> LIST of document roots (libyaml).  Anchors resolve to
 * shared subtrees; total expansion is capped (LIMIT_IAC_ALIAS_NODES).
 * Local tags (!Ref, !Sub, ...) are kept on the node (IAC_F_TAGGED, aux).
 * Plain scalars are typed by YAML 1.1 core rules (true/yes/on, null, ~,
 * numbers). */
int iac_yaml_parse(struct iac_arena *a, const char *s, size_t len,
		   struct iac_node **docs, struct iac_diag *d);

/* Terraform native syntax -> MAP body (blocks: IAC_F_BLOCK members). */
int iac_hcl_parse(struct iac_arena *a, const char *s, size_t len,
		  struct iac_node **body, struct iac_diag *d);

/* Bicep -> MAP of declarations (key = keyword, IAC_F_BLOCK, aux labels). */
int iac_bicep_parse(struct iac_arena *a, const char *s, size_t len,
		    struct iac_node **root, struct iac_diag *d);

/* --- resources ---------------------------------------------------------- */

/* One evaluable unit: a Terraform resource/data/provider block, an ARM or
 * Bicep resource, a CloudFormation logical resource, a Kubernetes object,
 * a Dockerfile instruction or stage. */
struct iac_res {
	const char *type;		/* as written (ARM child types expanded) */
	uint32_t type_len;
	const char *name;		/* TF label, ARM name, logical id, ... */
	uint32_t name_len;
	const char *ns;			/* Kubernetes namespace or NULL */
	uint32_t ns_len;
	struct iac_node *body;		/* paths are relative to this (may be NULL) */
	struct iac_node *pod;		/* Kubernetes pod spec ($pod) */
	struct iac_node *api;		/* ARM/Bicep apiVersion node ($apiVersion) */
	struct iac_node *meta;		/* ARM metadata / CFN Metadata / K8s annotations */
	uint32_t line, col;		/* header line (iac.md §6) */
	uint32_t start_line, end_line;	/* block range */
	uint32_t sup_line;		/* first line where a suppression comment
					 * applies (header line - 1) */
	const char *patched;		/* kustomize patch that targets it (set.c):
					 * every result is UNKNOWN; NUL-terminated */
};

/* A parsed file with its resources and same-file resolution tables. */
struct iac_doc {
	enum iac_format fmt;
	const char *path;		/* file path or NULL, borrowed */
	const char *text;		/* the input, borrowed */
	size_t len;
	struct iac_arena arena;
	struct iac_node *root;		/* parser output */
	struct iac_res *res;		/* xrealloc'd array */
	size_t n_res, cap_res;
	/* resolution (iac.md §4) */
	struct iac_node *vars;		/* TF variable blocks / ARM parameters /
					 * Bicep params / CFN Parameters */
	struct iac_node *locals;	/* TF locals (LIST of MAPs) / ARM variables /
					 * Bicep vars */
	struct iac_diag diag;		/* set when the parse stopped */
	bool helm;			/* YAML had {{ }} templates masked */
	const struct iac_ctx *ctx;	/* directory context (set.c), or NULL */
};

/* --- directory context (set.c) ------------------------------------------ */

/* A value handed to a file from outside it: a terraform.tfvars /
 * *.auto.tfvars assignment, or an argument of the module block (Terraform)
 * or module params (Bicep) that calls it.  v NULL: set, but not to a
 * value known statically (an expression of the caller). */
struct iac_input {
	const char *k;
	uint32_t kl;
	struct iac_node *v;
	const struct iac_doc *only;	/* Bicep: for this file only; NULL: the dir */
};

/* What the files of one directory share while one of them is evaluated:
 * Terraform variables, locals and partner resources live in any .tf of
 * the directory.  Everything is borrowed from the set being scanned. */
struct iac_ctx {
	struct iac_doc *const *docs;	/* parsed files of the directory */
	size_t n_docs;
	const struct iac_input *inputs;	/* tfvars first, then module inputs */
	size_t n_inputs;
	struct iac_doc *const *givers;	/* the tfvars and calling files inputs
					 * come from (for naming them) */
	size_t n_givers;
};

/* Evaluates a built document (doc->ctx may be set) like iac_scan_ex does
 * after parsing; opts must not be NULL. */
int iac_eval_doc(const struct iac_checkset *cs, const struct iac_scan_opts *opts,
		 struct iac_doc *doc, struct iac_finding **out, size_t *n_out);

int iac_doc_add_res(struct iac_doc *doc, const struct iac_res *r);

/* Parse doc->text per doc->fmt and fill doc->res (model.c).  0 or the
 * diag error; ERR_NOMEM. */
int iac_doc_build(struct iac_doc *doc);
void iac_doc_release(struct iac_doc *doc);

/* Dockerfile: parser and model in one (dockerfile.c). */
int iac_docker_build(struct iac_doc *doc);

/* --- checks (check.c) --------------------------------------------------- */

enum iac_seg_kind {
	IAC_SEG_KEY,		/* member by key (lists: applied to each element) */
	IAC_SEG_ANY,		/* `*`: every element / member value */
	IAC_SEG_JSON,		/* `@json`: parse a string value as JSON */
	IAC_SEG_POD,		/* `$pod` (first segment only) */
	IAC_SEG_API,		/* `$apiVersion` (first segment only) */
};

struct iac_seg {
	uint8_t kind;			/* enum iac_seg_kind */
	uint32_t len;			/* key bytes */
	char *key;			/* owned, NUL-terminated */
};

struct iac_path {
	char *text;			/* as written, for messages */
	struct iac_seg *segs;
	size_t n;
};

enum iac_op {
	IAC_OP_EQUALS, IAC_OP_NOT_EQUALS, IAC_OP_IN, IAC_OP_NOT_IN,
	IAC_OP_REGEX, IAC_OP_NOT_REGEX,
	IAC_OP_EXISTS, IAC_OP_NOT_EXISTS,
	IAC_OP_IS_TRUE, IAC_OP_IS_FALSE, IAC_OP_NOT_TRUE, IAC_OP_NOT_FALSE,
	IAC_OP_GT, IAC_OP_GE, IAC_OP_LT, IAC_OP_LE,
	IAC_OP_CIDR_IS_WORLD, IAC_OP_PORT_RANGE_CONTAINS,
	IAC_OP_EMPTY, IAC_OP_NOT_EMPTY,
	IAC_OP_IS_LITERAL,	/* value written in this file (or a same-file default) */
};

enum iac_cond_kind {
	IAC_C_LEAF,		/* attr op value */
	IAC_C_ALL_OF,
	IAC_C_ANY_OF,
	IAC_C_NOT,
	IAC_C_ANY,		/* some element of path satisfies sub */
	IAC_C_ALL,		/* every element of path satisfies sub */
	IAC_C_PARTNER,		/* no partner resource references this one */
};

/* Three-valued truth of a condition ("the resource is bad"). */
enum iac_tv { IAC_TV_FALSE, IAC_TV_TRUE, IAC_TV_UNKNOWN };

struct iac_cond {
	uint8_t kind;			/* enum iac_cond_kind */
	uint8_t op;			/* enum iac_op (LEAF) */
	uint8_t missing;		/* enum iac_tv when the path is absent */
	bool all_values;		/* LEAF: every value must satisfy the op */
	bool case_sensitive;		/* LEAF: string comparisons */
	bool redact;			/* LEAF: never show its value (a secret) */
	struct iac_path *paths;		/* LEAF/ANY/ALL: aliases, newest first;
					 * PARTNER: the partner's ref attribute */
	size_t n_paths;
	char **values;			/* LEAF values (strings as written) */
	size_t n_values;
	double num;			/* numeric value (GT..LE, PORT_RANGE) */
	void *re;			/* pcre2_code * (REGEX/NOT_REGEX) */
	struct iac_cond *subs;		/* ALL_OF/ANY_OF children, NOT/ANY/ALL: [0] */
	size_t n_subs;
	char **types;			/* PARTNER: partner resource types */
	size_t n_types;
};

struct iac_binding {
	unsigned family;		/* one IAC_FAM_* bit */
	char **types;			/* resource types (TF, ARM, CFN, K8s kind, DKR) */
	size_t n_types;
	struct iac_path *each;		/* sub-scopes (K8s containers); NULL = resource */
	size_t n_each;
	struct iac_cond cond;		/* fail_if */
};

struct iac_check {
	struct iac_check_info info;	/* public part; strings owned below */
	char *id, *title, *remediation, *pack_id;
	char **refs;
	size_t n_refs;
	char **mapped;
	size_t n_mapped;
	struct iac_binding *bindings;
	size_t n_bindings;
	struct iac_example *examples;
	size_t n_examples;
};

/* (family, lower-cased type) -> bindings, built at load. */
struct iac_tentry {
	unsigned family;
	char *type;			/* lower-case, owned */
	uint32_t hash;
	uint32_t *check;		/* parallel arrays, owned */
	struct iac_binding **binding;
	size_t n, cap;
};

struct iac_checkset {
	struct iac_check *checks;
	size_t n;
	struct iac_tentry *tab;		/* open addressing, power of two */
	size_t tab_cap;
	char **pack_ids;
	size_t n_packs;
};

/* Bindings for a resource type in a family; NULL when none. */
const struct iac_tentry *iac_checkset_lookup(const struct iac_checkset *cs, unsigned family,
					     const char *type, size_t len);
uint32_t iac_hash_lower(const char *s, size_t len);

#endif
