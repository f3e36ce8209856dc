/*
 * model.c - from a parsed file to its resources (iac.md §3, §6): what a
 * resource is in each format, its type and name, the header line a finding
 * falls back to, its block range, and the tables same-file references are
 * resolved from (iac.md §4).
 *
 *   Terraform   resource "T" "N" {...}  -> T / N, header: the block line;
 *               data "T" "N" -> data.T; provider "P" -> provider.P;
 *               dynamic "x" {...} blocks become UNKNOWN members named x
 *   TF JSON     {"resource": {"T": {"N": {...}}}}, header: the "N" key
 *   ARM         resources[*] (list or symbolic-name map), nested child
 *               resources typed parent/child, header: the object's first
 *               line (its "{", or its symbolic name)
 *   Bicep       resource sym 'T@api' = {...}, nested resources typed
 *               parent/child, existing resources skipped
 *   CFN         Resources.<LogicalId>, body: Properties, header: the
 *               logical-id key
 *   Kubernetes  every document (and List items) with apiVersion and kind;
 *               header: the object's first line; pod spec located per
 *               kind ($pod)
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err-t.h"
#include "core/base/limits.h"
#include "core/iac/iac-int.h"

int iac_doc_add_res(struct iac_doc *doc, const struct iac_res *r)
{
	if (doc->n_res == doc->cap_res) {
		size_t ncap = doc->cap_res ? doc->cap_res * 2 : 16;
		struct iac_res *nr;

		if (ncap > doc->len + 1024)
			return iac_diag_set(&doc->diag, ERR_LIMIT, r->line, 1, "limit: too many resources");
		nr = xrealloc(doc->res, ncap * sizeof(*nr));
		if (!nr)
			return iac_diag_set(&doc->diag, ERR_NOMEM, r->line, 1, "out of memory");
		doc->res = nr;
		doc->cap_res = ncap;
	}
	doc->res[doc->n_res++] = *r;
	return 0;
}

static int nomem(struct iac_doc *doc, uint32_t line)
{
	return iac_diag_set(&doc->diag, ERR_LIMIT, line, 1,
			    "limit: parse tree larger than %u bytes per input byte",
			    LIMIT_IAC_TREE_RATIO);
}

static const struct iac_node *label(const struct iac_node *block, unsigned i)
{
	const struct iac_node *l = block->aux ? block->aux->child : NULL;

	while (l && i--)
		l = l->next;
	return l;
}

/* --- Terraform ----------------------------------------------------------- */

/* dynamic "x" { ... } generates x blocks we cannot know statically. */
static void tf_dynamic(struct iac_node *body, unsigned depth)
{
	struct iac_node *c;
	const struct iac_node *l;

	if (depth > LIMIT_IAC_DEPTH)
		return;
	for (c = body->child; c; c = c->next) {
		if (c->kind != IAC_N_MAP || !(c->flags & IAC_F_BLOCK))
			continue;
		if (c->key_len == 7 && !memcmp(c->key, "dynamic", 7) && (l = label(c, 0))) {
			c->kind = IAC_N_UNKNOWN;
			c->str = c->key;
			c->len = (uint32_t)(l->str + l->len - c->key + (l->flags & IAC_F_QUOTED ? 1 : 0));
			if (c->len > 256)
				c->len = 7;
			c->key = l->str;
			c->key_len = l->len;
			c->child = NULL;
			c->n = 0;
			continue;
		}
		tf_dynamic(c, depth + 1);
	}
}

static int tf_add(struct iac_doc *doc, const char *prefix, const struct iac_node *tl,
		  const struct iac_node *nl, struct iac_node *body, uint32_t header)
{
	struct iac_res r;
	size_t pl = prefix ? strlen(prefix) : 0;

	memset(&r, 0, sizeof(r));
	if (pl) {
		char *t = iac_arena_alloc(&doc->arena, pl + tl->len + 1);

		if (!t)
			return nomem(doc, header);
		memcpy(t, prefix, pl);
		memcpy(t + pl, tl->str, tl->len);
		r.type = t;
		r.type_len = (uint32_t)(pl + tl->len);
	} else {
		r.type = tl->str;
		r.type_len = tl->len;
	}
	if (nl) {
		r.name = nl->str;
		r.name_len = nl->len;
	} else {
		r.name = tl->str;
		r.name_len = tl->len;
	}
	r.body = body;
	r.line = header;
	r.col = body ? body->col : 1;
	r.start_line = header;
	r.end_line = body ? body->end_line : header;
	r.sup_line = header > 1 ? header - 1 : 1;
	if (body && body->kind == IAC_N_MAP)
		tf_dynamic(body, 0);
	return iac_doc_add_res(doc, &r);
}

static int tf_extract(struct iac_doc *doc)
{
	struct iac_node *c;
	const struct iac_node *l0, *l1;
	int err;

	doc->vars = doc->root;
	doc->locals = doc->root;
	for (c = doc->root->child; c; c = c->next) {
		if (!(c->flags & IAC_F_BLOCK))
			continue;
		l0 = label(c, 0);
		l1 = label(c, 1);
		if (c->key_len == 8 && !memcmp(c->key, "resource", 8) && l0 && l1)
			err = tf_add(doc, NULL, l0, l1, c, c->key_line);
		else if (c->key_len == 4 && !memcmp(c->key, "data", 4) && l0 && l1)
			err = tf_add(doc, "data.", l0, l1, c, c->key_line);
		else if (c->key_len == 8 && !memcmp(c->key, "provider", 8) && l0)
			err = tf_add(doc, "provider.", l0, NULL, c, c->key_line);
		else
			err = 0;
		if (err)
			return err;
	}
	return 0;
}

/* Terraform JSON: bodies may be objects or lists of objects. */
static int tfjson_section(struct iac_doc *doc, const char *prefix, struct iac_node *sec, bool named)
{
	struct iac_node *t, *n, *b;
	int err;

	if (!sec || sec->kind != IAC_N_MAP)
		return 0;
	for (t = sec->child; t; t = t->next) {
		struct iac_node tl = { .str = t->key, .len = t->key_len };

		if (!named) {
			for (b = t->kind == IAC_N_LIST ? t->child : t; b; b = t->kind == IAC_N_LIST ? b->next : NULL)
				if (b->kind == IAC_N_MAP &&
				    (err = tf_add(doc, prefix, &tl, NULL, b, t->key_line)))
					return err;
			continue;
		}
		if (t->kind != IAC_N_MAP)
			continue;
		for (n = t->child; n; n = n->next) {
			struct iac_node nl = { .str = n->key, .len = n->key_len };

			for (b = n->kind == IAC_N_LIST ? n->child : n; b; b = n->kind == IAC_N_LIST ? b->next : NULL)
				if (b->kind == IAC_N_MAP &&
				    (err = tf_add(doc, prefix, &tl, &nl, b, n->key_line)))
					return err;
		}
	}
	return 0;
}

static int tfjson_extract(struct iac_doc *doc)
{
	struct iac_node *root = doc->root;
	int err;

	if (root->kind != IAC_N_MAP)
		return 0;
	doc->vars = iac_map_get(root, "variable");
	doc->locals = iac_map_get(root, "locals");
	if ((err = tfjson_section(doc, NULL, iac_map_get(root, "resource"), true)))
		return err;
	if ((err = tfjson_section(doc, "data.", iac_map_get(root, "data"), true)))
		return err;
	return tfjson_section(doc, "provider.", iac_map_get(root, "provider"), false);
}

/* --- ARM and Bicep -------------------------------------------------------- */

/* Full type of a nested child: a short type is appended to its parent's. */
static int child_type(struct iac_doc *doc, const char *pt, size_t pl, const char *t, size_t tl,
		      const char **out, uint32_t *olen, uint32_t line)
{
	const char *slash = memchr(t, '/', tl);
	const char *dot = memchr(t, '.', slash ? (size_t)(slash - t) : tl);
	char *o;

	if (!pt || !pl || dot) {
		*out = t;
		*olen = (uint32_t)tl;
		return 0;
	}
	o = iac_arena_alloc(&doc->arena, pl + 1 + tl + 1);
	if (!o)
		return nomem(doc, line);
	memcpy(o, pt, pl);
	o[pl] = '/';
	memcpy(o + pl + 1, t, tl);
	*out = o;
	*olen = (uint32_t)(pl + 1 + tl);
	return 0;
}

static int arm_resources(struct iac_doc *doc, struct iac_node *list, const char *pt, size_t pl,
			 unsigned depth);

static int arm_resource(struct iac_doc *doc, struct iac_node *o, const char *pt, size_t pl,
			unsigned depth)
{
	struct iac_node *t = iac_map_geti(o, "type"), *nm = iac_map_geti(o, "name");
	struct iac_node *sub, *tmpl;
	struct iac_res r;
	int err;

	if (!t || t->kind != IAC_N_STR || depth > LIMIT_IAC_DEPTH)
		return 0;
	memset(&r, 0, sizeof(r));
	if ((err = child_type(doc, pt, pl, t->str, t->len, &r.type, &r.type_len, t->key_line)))
		return err;
	if (nm && (nm->kind == IAC_N_STR || nm->kind == IAC_N_EXPR)) {
		r.name = nm->str;
		r.name_len = nm->len;
	} else {
		r.name = "?";
		r.name_len = 1;
	}
	r.body = o;
	r.api = iac_map_geti(o, "apiVersion");
	r.meta = iac_map_geti(o, "metadata");
	/* The first line of the resource's own text: its opening brace, or
	 * its symbolic name in the map form (languageVersion 2.0). */
	r.line = iac_node_line(o);
	r.col = o->key_line ? 1 : o->col;
	r.start_line = r.line;
	r.end_line = o->end_line;
	r.sup_line = o->line > 1 ? o->line - 1 : 1;
	if ((err = iac_doc_add_res(doc, &r)))
		return err;
	if ((sub = iac_map_geti(o, "resources")) &&
	    (err = arm_resources(doc, sub, r.type, r.type_len, depth + 1)))
		return err;
	/* Inline nested deployments carry a whole template. */
	if (iac_mem_ieq(r.type, r.type_len, "Microsoft.Resources/deployments") &&
	    (tmpl = iac_map_geti(iac_map_geti(o, "properties"), "template")) &&
	    (sub = iac_map_geti(tmpl, "resources")))
		return arm_resources(doc, sub, NULL, 0, depth + 1);
	return 0;
}

static int arm_resources(struct iac_doc *doc, struct iac_node *list, const char *pt, size_t pl,
			 unsigned depth)
{
	struct iac_node *c;
	int err;

	if (!list || (list->kind != IAC_N_LIST && list->kind != IAC_N_MAP))
		return 0;
	for (c = list->child; c; c = c->next)
		if (c->kind == IAC_N_MAP && (err = arm_resource(doc, c, pt, pl, depth)))
			return err;
	return 0;
}

static int arm_extract(struct iac_doc *doc)
{
	if (doc->root->kind != IAC_N_MAP)
		return 0;
	doc->vars = iac_map_geti(doc->root, "parameters");
	doc->locals = iac_map_geti(doc->root, "variables");
	return arm_resources(doc, iac_map_geti(doc->root, "resources"), NULL, 0, 0);
}

static int bicep_resources(struct iac_doc *doc, struct iac_node *parent, const char *pt, size_t pl,
			   const struct iac_node *papi, unsigned depth)
{
	struct iac_node *c;
	int err;

	if (depth > LIMIT_IAC_DEPTH)
		return 0;
	for (c = parent->child; c; c = c->next) {
		const struct iac_node *sym, *ts;
		const char *at;
		struct iac_res r;
		struct iac_node *api = NULL;
		size_t tl;

		if (!(c->flags & IAC_F_BLOCK) || c->key_len != 8 || memcmp(c->key, "resource", 8) ||
		    (c->flags & IAC_F_EXISTING))
			continue;
		sym = label(c, 0);
		ts = label(c, 1);
		if (!sym || !ts || (ts->flags & IAC_F_TEMPLATE))
			continue;
		memset(&r, 0, sizeof(r));
		at = memchr(ts->str, '@', ts->len);
		tl = at ? (size_t)(at - ts->str) : ts->len;
		if ((err = child_type(doc, pt, pl, ts->str, tl, &r.type, &r.type_len, c->key_line)))
			return err;
		if (at) {
			if (!(api = iac_node_new(&doc->arena, IAC_N_STR, ts->line, ts->col)))
				return nomem(doc, ts->line);
			api->str = at + 1;
			api->len = (uint32_t)(ts->str + ts->len - at - 1);
			api->key = "apiVersion";
			api->key_len = 10;
			api->key_line = ts->line;
		} else {
			api = (struct iac_node *)papi;
		}
		r.name = sym->str;
		r.name_len = sym->len;
		r.body = c;
		r.api = api;
		r.line = c->key_line;
		r.col = c->col;
		r.start_line = c->aux ? c->aux->line : c->key_line;
		r.end_line = c->end_line;
		r.sup_line = r.start_line > 1 ? r.start_line - 1 : 1;
		if ((err = iac_doc_add_res(doc, &r)))
			return err;
		if ((err = bicep_resources(doc, c, r.type, r.type_len, api, depth + 1)))
			return err;
	}
	return 0;
}

static int bicep_extract(struct iac_doc *doc)
{
	doc->vars = doc->root;
	doc->locals = doc->root;
	return bicep_resources(doc, doc->root, NULL, 0, NULL, 0);
}

/* --- CloudFormation ------------------------------------------------------- */

static int cfn_extract(struct iac_doc *doc, struct iac_node *root)
{
	struct iac_node *res, *c, *t;
	int err;

	if (!root || root->kind != IAC_N_MAP)
		return 0;
	doc->vars = iac_map_get(root, "Parameters");
	res = iac_map_get(root, "Resources");
	if (!res || res->kind != IAC_N_MAP)
		return 0;
	for (c = res->child; c; c = c->next) {
		struct iac_res r;

		if (c->kind != IAC_N_MAP || !(t = iac_map_get(c, "Type")) || t->kind != IAC_N_STR)
			continue;
		memset(&r, 0, sizeof(r));
		r.type = t->str;
		r.type_len = t->len;
		r.name = c->key;
		r.name_len = c->key_len;
		r.body = iac_map_get(c, "Properties");
		r.meta = iac_map_get(c, "Metadata");
		r.line = c->key_line;
		r.col = 1;
		r.start_line = c->key_line;
		r.end_line = c->end_line;
		r.sup_line = c->key_line > 1 ? c->key_line - 1 : 1;
		if ((err = iac_doc_add_res(doc, &r)))
			return err;
	}
	return 0;
}

/* --- Kubernetes ------------------------------------------------------------ */

static struct iac_node *path2(struct iac_node *n, const char *a, const char *b)
{
	return iac_map_get(iac_map_get(n, a), b);
}

static struct iac_node *pod_spec(struct iac_node *obj, const struct iac_node *kind)
{
	static const char *const tmpl[] = { "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
					    "Job", "ReplicationController" };
	struct iac_node *spec = iac_map_get(obj, "spec");
	size_t i;

	if (iac_str_eq(kind, "Pod"))
		return spec;
	if (iac_str_eq(kind, "CronJob"))
		return path2(path2(spec, "jobTemplate", "spec"), "template", "spec");
	if (iac_str_eq(kind, "PodTemplate"))
		return path2(obj, "template", "spec");
	for (i = 0; i < ARRAY_SIZE(tmpl); i++)
		if (iac_str_eq(kind, tmpl[i]))
			return path2(spec, "template", "spec");
	return NULL;
}

static int k8s_object(struct iac_doc *doc, struct iac_node *obj, unsigned depth)
{
	struct iac_node *kind, *meta, *nm, *ns, *items, *c;
	struct iac_res r;
	int err;

	if (!obj || obj->kind != IAC_N_MAP || depth > 4)
		return 0;
	kind = iac_map_get(obj, "kind");
	if (!kind || kind->kind != IAC_N_STR || !iac_map_get(obj, "apiVersion"))
		return 0;
	if ((iac_str_eq(kind, "List") || (kind->len > 4 && !memcmp(kind->str + kind->len - 4, "List", 4))) &&
	    (items = iac_map_get(obj, "items")) && items->kind == IAC_N_LIST) {
		for (c = items->child; c; c = c->next)
			if ((err = k8s_object(doc, c, depth + 1)))
				return err;
		return 0;
	}
	memset(&r, 0, sizeof(r));
	meta = iac_map_get(obj, "metadata");
	nm = iac_map_get(meta, "name");
	ns = iac_map_get(meta, "namespace");
	r.type = kind->str;
	r.type_len = kind->len;
	if (nm && (nm->kind == IAC_N_STR || nm->kind == IAC_N_UNKNOWN)) {
		r.name = nm->str;
		r.name_len = nm->len;
	} else {
		r.name = "?";
		r.name_len = 1;
	}
	if (ns && ns->kind == IAC_N_STR) {
		r.ns = ns->str;
		r.ns_len = ns->len;
	} else {
		r.ns = "default";
		r.ns_len = 7;
	}
	r.body = obj;
	r.meta = iac_map_get(meta, "annotations");
	r.pod = pod_spec(obj, kind);
	/* The object's first line (apiVersion/kind sit in it), whichever of
	 * its keys comes first. */
	r.line = obj->line;
	r.col = obj->col;
	r.start_line = obj->line;
	r.end_line = obj->end_line;
	r.sup_line = obj->line > 1 ? obj->line - 1 : 1;
	return iac_doc_add_res(doc, &r);
}

/* --- the file -------------------------------------------------------------- */

static bool json_text(const char *s, size_t n)
{
	size_t i = 0;

	if (n >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
		i = 3;
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
		i++;
	return i < n && (s[i] == '{' || s[i] == '[');
}

int iac_doc_build(struct iac_doc *doc)
{
	struct iac_node *c;
	int err;

	switch (doc->fmt) {
	case IAC_TERRAFORM:
		if ((err = iac_hcl_parse(&doc->arena, doc->text, doc->len, &doc->root, &doc->diag)))
			return err;
		return tf_extract(doc);
	case IAC_TERRAFORM_JSON:
		if ((err = iac_json_parse(&doc->arena, doc->text, doc->len, 1, IAC_JSON_TEMPLATES,
					  &doc->root, &doc->diag)))
			return err;
		return tfjson_extract(doc);
	case IAC_ARM:
		if ((err = iac_json_parse(&doc->arena, doc->text, doc->len, 1, IAC_JSON_ARM, &doc->root,
					  &doc->diag)))
			return err;
		return arm_extract(doc);
	case IAC_BICEP:
		if ((err = iac_bicep_parse(&doc->arena, doc->text, doc->len, &doc->root, &doc->diag)))
			return err;
		return bicep_extract(doc);
	case IAC_CLOUDFORMATION:
	case IAC_KUBERNETES:
		if (json_text(doc->text, doc->len)) {
			struct iac_node *one;

			if ((err = iac_json_parse(&doc->arena, doc->text, doc->len, 1, 0, &one, &doc->diag)))
				return err;
			if (!(doc->root = iac_node_new(&doc->arena, IAC_N_LIST, 1, 1)))
				return nomem(doc, 1);
			doc->root->child = one;
			doc->root->n = 1;
		} else if ((err = iac_yaml_parse(&doc->arena, doc->text, doc->len, &doc->root, &doc->diag))) {
			return err;
		}
		if (doc->fmt == IAC_CLOUDFORMATION)
			return cfn_extract(doc, doc->root->child);
		for (c = doc->root->child; c; c = c->next)
			if ((err = k8s_object(doc, c, 0)))
				return err;
		return 0;
	case IAC_DOCKERFILE:
		return iac_docker_build(doc);
	case IAC_NONE:
		break;
	}
	return 0;
}

void iac_doc_release(struct iac_doc *doc)
{
	iac_arena_release(&doc->arena);
	xfree(doc->res);
	doc->res = NULL;
	doc->n_res = doc->cap_res = 0;
}
