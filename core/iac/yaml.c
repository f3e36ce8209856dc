/*
 * yaml.c - YAML streams (Kubernetes, CloudFormation, check packs) into the
 * position-annotated tree, through libyaml's event API (iac.md §1).
 *
 * What this adds to libyaml: line numbers on every key and value (from the
 * event marks), multi-document streams, anchors and aliases as shared
 * subtrees with a cap on their total expansion (LIMIT_IAC_ALIAS_NODES,
 * billion-laughs documents), CloudFormation short-form tags (!Ref, !Sub,
 * !GetAtt, ...) kept on their nodes instead of rejected, YAML 1.1 typing of
 * plain scalars, and Helm "{{ ... }}" actions masked so that templated
 * manifests parse where they can, their values becoming UNKNOWN.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err-t.h"
#include "core/base/limits.h"
#include "core/iac/iac-int.h"

#include <yaml.h>

struct yframe {
	struct iac_node *node;		/* open container */
	struct iac_node *tail;		/* its last child */
	bool want_key;			/* MAP: next event is a key */
	bool discard;			/* a complex key: built, then dropped */
	const char *key;		/* MAP: pending key */
	uint32_t key_len;
	uint32_t key_line;
};

struct anchor {
	char *name;			/* arena copy, NUL-terminated */
	struct iac_node *node;		/* the anchored node */
};

struct yp {
	struct iac_arena *a;
	struct iac_diag *d;
	const char *text;		/* what libyaml reads (maybe the masked copy) */
	const char *orig;		/* the input as given */
	size_t len;
	struct anchor *anchors;		/* open addressing, xmalloc'd */
	size_t n_anchors, cap_anchors;
	uint64_t expanded;		/* alias expansion, in nodes */
	bool masked;			/* Helm actions were masked */
};

static int nomem(struct yp *p, uint32_t line)
{
	return iac_diag_set(p->d, ERR_LIMIT, line, 1,
			    "limit: parse tree larger than %u bytes per input byte",
			    LIMIT_IAC_TREE_RATIO);
}

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 16777619u;
	}
	return h;
}

static int anchor_put(struct yp *p, const char *name, struct iac_node *node)
{
	size_t i, mask;

	if ((p->n_anchors + 1) * 2 > p->cap_anchors) {
		size_t ncap = p->cap_anchors ? p->cap_anchors * 2 : 64;
		struct anchor *na = xcalloc(ncap, sizeof(*na));

		if (!na)
			return ERR_NOMEM;
		for (i = 0; i < p->cap_anchors; i++) {
			size_t j;

			if (!p->anchors[i].name)
				continue;
			for (j = hash_str(p->anchors[i].name) & (ncap - 1); na[j].name;
			     j = (j + 1) & (ncap - 1))
				;
			na[j] = p->anchors[i];
		}
		xfree(p->anchors);
		p->anchors = na;
		p->cap_anchors = ncap;
	}
	mask = p->cap_anchors - 1;
	for (i = hash_str(name) & mask; p->anchors[i].name; i = (i + 1) & mask) {
		if (!strcmp(p->anchors[i].name, name)) {
			p->anchors[i].node = node;	/* redefinition: latest wins */
			return 0;
		}
	}
	p->anchors[i].name = iac_arena_strndup(p->a, name, strlen(name));
	if (!p->anchors[i].name)
		return ERR_LIMIT;
	p->anchors[i].node = node;
	p->n_anchors++;
	return 0;
}

static struct iac_node *anchor_get(struct yp *p, const char *name)
{
	size_t i, mask;

	if (!p->cap_anchors)
		return NULL;
	mask = p->cap_anchors - 1;
	for (i = hash_str(name) & mask; p->anchors[i].name; i = (i + 1) & mask)
		if (!strcmp(p->anchors[i].name, name))
			return p->anchors[i].node;
	return NULL;
}

/* YAML 1.1 plain-scalar typing, as Kubernetes (go-yaml v2) and
 * CloudFormation read it. */
static enum iac_kind plain_kind(const char *s, size_t n, bool *truth)
{
	static const char *const t[] = { "true", "True", "TRUE", "yes", "Yes", "YES",
					  "on", "On", "ON" };
	static const char *const f[] = { "false", "False", "FALSE", "no", "No", "NO",
					  "off", "Off", "OFF" };
	size_t i;
	bool digit = false;

	*truth = false;
	if (n == 0 || (n == 1 && s[0] == '~') || (n == 4 && (!memcmp(s, "null", 4) ||
	    !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4))))
		return IAC_N_NULL;
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		if (strlen(t[i]) == n && !memcmp(s, t[i], n)) {
			*truth = true;
			return IAC_N_BOOL;
		}
		if (strlen(f[i]) == n && !memcmp(s, f[i], n))
			return IAC_N_BOOL;
	}
	i = 0;
	if (s[0] == '-' || s[0] == '+')
		i++;
	if (n - i > 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'o')) {
		for (i += 2; i < n; i++)
			if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
			      (s[i] >= 'A' && s[i] <= 'F') || s[i] == '_'))
				return IAC_N_STR;
		return IAC_N_NUM;
	}
	for (; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digit = true;
		else if (s[i] != '.' && s[i] != 'e' && s[i] != 'E' && s[i] != '_' &&
			 !((s[i] == '-' || s[i] == '+') && i && (s[i - 1] == 'e' || s[i - 1] == 'E')))
			return IAC_N_STR;
	}
	return digit ? IAC_N_NUM : IAC_N_STR;
}

/* Text of a scalar event: into the input when the bytes are there
 * verbatim (plain one-line scalars), else an arena copy. */
static const char *scalar_text(struct yp *p, const yaml_event_t *ev, size_t n)
{
	size_t at = ev->start_mark.index;
	const char *v = (const char *)ev->data.scalar.value;

	if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && at < p->len &&
	    p->len - at >= n && !memcmp(p->text + at, v, n))
		return p->text + at;
	return iac_arena_strndup(p->a, v, n);
}

/* Helm: "{{ ... }}" is a Go template action, not YAML.  A line holding only
 * actions is blanked; an action inside a value becomes underscores of the
 * same length, so lines and columns stay put and the original text still
 * shows where the values were templated. */
static char *helm_mask(struct iac_arena *a, const char *s, size_t len)
{
	char *m = iac_arena_alloc(a, len + 1);
	size_t i = 0, bol = 0, j;
	bool only;

	if (!m)
		return NULL;
	memcpy(m, s, len);
	while (i < len) {
		if (s[i] == '\n') {
			bol = ++i;
			continue;
		}
		if (s[i] == '{' && i + 1 < len && s[i + 1] == '{') {
			for (j = i + 2; j + 1 < len && s[j] != '\n' && !(s[j] == '}' && s[j + 1] == '}'); j++)
				;
			if (j + 1 >= len || s[j] == '\n') {
				i = j;
				continue;
			}
			j += 2;
			memset(m + i, '_', j - i);
			i = j;
			continue;
		}
		i++;
	}
	/* Second pass: lines left with nothing but underscores and blanks were
	 * pure actions ({{- if ... }}); blank them. */
	for (i = 0, bol = 0; i <= len; i++) {
		if (i == len || m[i] == '\n') {
			only = false;
			for (j = bol; j < i; j++) {
				if (m[j] == '_' && s[j] != '_')
					only = true;
				else if (m[j] != ' ' && m[j] != '\t' && m[j] != '\r' && m[j] != '-')
					break;
			}
			if (only && j == i)
				memset(m + bol, ' ', i - bol);
			bol = i + 1;
		}
	}
	return m;
}

static bool in_helm_action(const struct yp *p, size_t from, size_t to)
{
	size_t i;

	if (!p->masked)
		return false;
	if (to > p->len)
		to = p->len;
	for (i = from; i + 1 < to; i++)
		if (p->orig[i] == '{' && p->orig[i + 1] == '{')
			return true;
	return false;
}

static int tag_node(struct yp *p, struct iac_node *n, const yaml_char_t *tag)
{
	const char *t = (const char *)tag;
	struct iac_node *tn;

	if (!t || !strcmp(t, "!"))
		return 0;
	if (!strncmp(t, "tag:yaml.org,2002:", 18)) {
		t += 18;
		if (n->kind == IAC_N_LIST || n->kind == IAC_N_MAP)
			return 0;
		if (!strcmp(t, "str"))
			n->kind = IAC_N_STR;
		else if (!strcmp(t, "int") || !strcmp(t, "float"))
			n->kind = IAC_N_NUM;
		return 0;
	}
	tn = iac_node_new(p->a, IAC_N_STR, n->line, n->col);
	if (!tn)
		return ERR_LIMIT;
	tn->str = iac_arena_strndup(p->a, t, strlen(t));
	if (!tn->str)
		return ERR_LIMIT;
	tn->len = (uint32_t)strlen(t);
	n->aux = tn;
	n->flags |= IAC_F_TAGGED;
	return 0;
}

/* Places a finished node: the document root, a map key, a map value or a
 * list element. */
static int place(struct yp *p, struct yframe *st, size_t depth, struct iac_node *n,
		 struct iac_node *docs, struct iac_node **doc_tail, bool is_scalar)
{
	struct yframe *f;

	if (!depth) {
		iac_node_append(docs, doc_tail, n);
		return 0;
	}
	f = &st[depth - 1];
	if (f->discard)
		return 0;
	if (f->node->kind == IAC_N_MAP) {
		if (f->want_key) {
			f->want_key = false;
			if (is_scalar) {
				f->key = n->str;
				f->key_len = n->len;
			} else {
				f->key = "";
				f->key_len = 0;
			}
			f->key_line = n->line;
			return 0;
		}
		f->want_key = true;
		n->key = f->key;
		n->key_len = f->key_len;
		n->key_line = f->key_line;
	}
	iac_node_append(f->node, &f->tail, n);
	UNUSED(p);
	return 0;
}

int iac_yaml_parse(struct iac_arena *a, const char *s, size_t len,
		   struct iac_node **docs_out, struct iac_diag *d)
{
	struct yframe st[LIMIT_IAC_DEPTH + 1];
	struct yp p = { .a = a, .d = d, .text = s, .orig = s, .len = len };
	yaml_parser_t parser;
	yaml_event_t ev;
	struct iac_node *docs, *doc_tail = NULL, *n;
	size_t depth = 0;
	bool done = false, have_ev = false;
	int err = 0;

	*docs_out = NULL;
	docs = iac_node_new(a, IAC_N_LIST, 1, 1);
	if (!docs)
		return nomem(&p, 1);
	if (memmem(s, len, "{{", 2)) {
		p.text = helm_mask(a, s, len);
		if (!p.text)
			return nomem(&p, 1);
		p.masked = true;
	}
	if (!yaml_parser_initialize(&parser))
		return iac_diag_set(d, ERR_NOMEM, 1, 1, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)p.text, len);
	while (!done && !err) {
		uint32_t line, col;
		struct yframe *f;

		if (!yaml_parser_parse(&parser, &ev)) {
			err = iac_diag_set(d, parser.error == YAML_MEMORY_ERROR ? ERR_NOMEM : ERR_SYNTAX,
					   (uint32_t)parser.problem_mark.line + 1,
					   (uint32_t)parser.problem_mark.column + 1, "%s",
					   parser.problem ? parser.problem : "YAML error");
			break;
		}
		have_ev = true;
		line = (uint32_t)ev.start_mark.line + 1;
		col = (uint32_t)ev.start_mark.column + 1;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_SCALAR_EVENT: {
			size_t vlen = ev.data.scalar.length;
			bool truth = false;
			enum iac_kind k = IAC_N_STR;

			if (vlen > LIMIT_IAC_TOKEN_BYTES) {
				err = iac_diag_set(d, ERR_LIMIT, line, col,
						   "limit: token longer than %u bytes", LIMIT_IAC_TOKEN_BYTES);
				break;
			}
			if (ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev.data.scalar.tag)
				k = plain_kind((const char *)ev.data.scalar.value, vlen, &truth);
			n = iac_node_new(a, k, line, col);
			if (!n || !(n->str = scalar_text(&p, &ev, vlen))) {
				err = nomem(&p, line);
				break;
			}
			n->len = (uint32_t)vlen;
			if (truth)
				n->flags |= IAC_F_TRUE;
			if (ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
				n->flags |= IAC_F_QUOTED;
			n->end_line = (uint32_t)ev.end_mark.line + 1;
			if (ev.end_mark.column == 0 && ev.end_mark.line > ev.start_mark.line)
				n->end_line--;
			if (in_helm_action(&p, ev.start_mark.index, ev.end_mark.index))
				n->kind = IAC_N_UNKNOWN;
			if (tag_node(&p, n, ev.data.scalar.tag)) {
				err = nomem(&p, line);
				break;
			}
			if (ev.data.scalar.anchor && (err = anchor_put(&p, (const char *)ev.data.scalar.anchor, n)))
				err = err == ERR_NOMEM ? iac_diag_set(d, ERR_NOMEM, line, col, "out of memory")
						       : nomem(&p, line);
			if (!err)
				err = place(&p, st, depth, n, docs, &doc_tail, true);
			break;
		}
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (depth >= LIMIT_IAC_DEPTH) {
				err = iac_diag_set(d, ERR_LIMIT, line, col,
						   "limit: nesting depth %u exceeded", LIMIT_IAC_DEPTH);
				break;
			}
			n = iac_node_new(a, ev.type == YAML_MAPPING_START_EVENT ? IAC_N_MAP : IAC_N_LIST,
					 line, col);
			if (!n || tag_node(&p, n, ev.type == YAML_MAPPING_START_EVENT ?
					   ev.data.mapping_start.tag : ev.data.sequence_start.tag)) {
				err = nomem(&p, line);
				break;
			}
			f = &st[depth];
			memset(f, 0, sizeof(*f));
			f->node = n;
			f->want_key = ev.type == YAML_MAPPING_START_EVENT;
			/* A container used as a map key: build it, then drop it. */
			f->discard = depth && (st[depth - 1].discard ||
					       (st[depth - 1].node->kind == IAC_N_MAP && st[depth - 1].want_key));
			{
				const yaml_char_t *anc = ev.type == YAML_MAPPING_START_EVENT ?
					ev.data.mapping_start.anchor : ev.data.sequence_start.anchor;

				if (anc && (err = anchor_put(&p, (const char *)anc, n))) {
					err = err == ERR_NOMEM ? iac_diag_set(d, ERR_NOMEM, line, col, "out of memory")
							       : nomem(&p, line);
					break;
				}
			}
			depth++;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (!depth) {
				err = iac_diag_set(d, ERR_SYNTAX, line, col, "unbalanced YAML events");
				break;
			}
			n = st[--depth].node;
			if (st[depth].discard && depth && !st[depth - 1].discard &&
			    st[depth - 1].node->kind == IAC_N_MAP && st[depth - 1].want_key) {
				/* The complex key is complete: an empty key stands for it. */
				err = place(&p, st, depth, n, docs, &doc_tail, false);
				break;
			}
			if (!st[depth].discard)
				err = place(&p, st, depth, n, docs, &doc_tail, false);
			break;
		case YAML_ALIAS_EVENT: {
			struct iac_node *target = anchor_get(&p, (const char *)ev.data.alias.anchor);

			if (!target) {
				err = iac_diag_set(d, ERR_SYNTAX, line, col, "alias to an unknown anchor");
				break;
			}
			p.expanded += target->weight;
			if (p.expanded > LIMIT_IAC_ALIAS_NODES) {
				err = iac_diag_set(d, ERR_LIMIT, line, col,
						   "limit: YAML alias expansion over %u nodes",
						   LIMIT_IAC_ALIAS_NODES);
				break;
			}
			/* A proxy node: same value and children, own key and
			 * sibling link. */
			n = iac_node_new(a, (enum iac_kind)target->kind, line, col);
			if (!n) {
				err = nomem(&p, line);
				break;
			}
			n->str = target->str;
			n->len = target->len;
			n->child = target->child;
			n->n = target->n;
			n->aux = target->aux;
			n->flags = target->flags;
			n->weight = target->weight;
			err = place(&p, st, depth, n, docs, &doc_tail, target->kind < IAC_N_LIST);
			break;
		}
		case YAML_DOCUMENT_END_EVENT:
		case YAML_DOCUMENT_START_EVENT:
		case YAML_STREAM_START_EVENT:
		case YAML_NO_EVENT:
			break;
		}
		yaml_event_delete(&ev);
		have_ev = false;
	}
	if (have_ev)
		yaml_event_delete(&ev);
	yaml_parser_delete(&parser);
	xfree(p.anchors);
	if (err)
		return err;
	*docs_out = docs;
	return 0;
}
