/*
 * set.c - scan sets: the files of a push or of a `sluice scan` evaluated
 * with the directory they live in (iac.h, "Scan sets"; iac.md §4).
 *
 * One file alone cannot answer much of what a check asks: Terraform
 * variables are declared in variables.tf and set in terraform.tfvars,
 * locals sit in any .tf of the module, an S3 bucket's public access block
 * is often a resource in another file, a module gets its inputs from the
 * block that calls it, and a kustomize overlay rewrites resources after
 * the fact.  A set groups its files by directory and evaluates each
 * directory at once:
 *
 *   - every IaC file of the directory is parsed, and each one's evaluation
 *     sees the others (iac_ctx): Terraform variables, locals and partner
 *     resources of the whole directory;
 *   - terraform.tfvars and *.auto.tfvars of the directory set variables
 *     (the auto files in lexical order after terraform.tfvars, later wins,
 *     as Terraform loads them);
 *   - a `module "x" { source = "./m" ... }` block in the set gives its
 *     literal arguments to the variables of ./m, one level; a Bicep
 *     `module m './m.bicep' = { params: {...} }` gives its literal params
 *     to that file.  An argument that is an expression of the caller is
 *     UNKNOWN in the module, and so is every argument when two callers
 *     call the same module (which one is deployed is not ours to pick);
 *   - a kustomization.yaml that patches resources makes every result of
 *     the patched resources UNKNOWN (patches are not applied), and the
 *     patch files themselves, fragments of objects, are not evaluated.
 *
 * What the set does not hold stays unknown: an incremental push without
 * the directory's variables.tf or tfvars resolves what it carries and
 * nothing more.  Memory: one directory's parse trees at a time (plus the
 * files that call it as a module).
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err-t.h"
#include "core/base/limits.h"
#include "core/iac/iac-int.h"

#include <stdlib.h>

/* A directory is evaluated as one only up to these: its parse trees are
 * held together and every file's lookups walk all of them, so a directory
 * past them (a hostile push of 30k tiny .tf files) has each file
 * evaluated alone, as iac_scan would. */
#define DIR_MAX_FILES	256u
#define DIR_MAX_BYTES	(16u * 1024 * 1024)

/* Kustomize patch targets kept per set: each is compared with every
 * Kubernetes object. */
#define KUSTOMIZE_MAX_TARGETS 1024u

enum role { R_NONE, R_IAC, R_TFVARS, R_KUSTOMIZE };

struct sfile {
	char *path;			/* owned */
	size_t dir_len;			/* bytes of path before the last '/' (0: none) */
	const uint8_t *data;		/* borrowed */
	size_t len;
	void *user;
	enum role role;
	enum iac_format fmt;
	bool patch;			/* a kustomize patch: not evaluated */
};

/* A module call: caller file -> target directory (TF) or file (Bicep). */
struct call {
	size_t caller;
	char *target;			/* normalised path, owned */
	size_t callers;			/* module blocks calling the same target */
};

/* A kustomize patch target. */
struct ktarget {
	char *kind, *name;		/* owned; name NULL: every object of kind */
	char *by;			/* the kustomization's path, owned */
};

struct iac_set {
	struct sfile *f;
	size_t n, cap;
	struct call *calls;
	size_t n_calls, cap_calls;
	struct ktarget *kt;
	size_t n_kt, cap_kt;
};

/* --- names ------------------------------------------------------------- */

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && !memcmp(s + a - b, suf, b);
}

static enum role role_of(const char *path)
{
	const char *b = base_name(path);

	if (!strcmp(b, "terraform.tfvars") || ends_with(b, ".auto.tfvars"))
		return R_TFVARS;
	if (!strcmp(b, "kustomization.yaml") || !strcmp(b, "kustomization.yml") || !strcmp(b, "Kustomization"))
		return R_KUSTOMIZE;
	return R_NONE;
}

bool iac_set_wants(const char *path)
{
	return path && role_of(path) != R_NONE;
}

/* dir + "/" + rel with "." and ".." segments folded; owned, or NULL. */
static char *join_norm(const char *dir, size_t dl, const char *rel, size_t rl)
{
	char *t = xmalloc(dl + rl + 2), *o;
	size_t n = 0, i = 0, k;

	if (!t)
		return NULL;
	if (dl) {
		memcpy(t, dir, dl);
		t[dl] = '/';
		n = dl + 1;
	}
	memcpy(t + n, rel, rl);
	n += rl;
	t[n] = '\0';
	if (!(o = xmalloc(n + 1))) {
		xfree(t);
		return NULL;
	}
	k = 0;
	if (t[0] == '/')
		o[k++] = '/';
	while (i < n) {
		size_t st, sl;

		while (i < n && t[i] == '/')
			i++;
		st = i;
		while (i < n && t[i] != '/')
			i++;
		sl = i - st;
		if (!sl || (sl == 1 && t[st] == '.'))
			continue;
		if (sl == 2 && t[st] == '.' && t[st + 1] == '.') {
			/* Back one segment unless there is none to drop. */
			size_t e = k;

			while (e > 0 && o[e - 1] == '/')
				e--;
			if (e > 0 && !(e >= 2 && o[e - 1] == '.' && o[e - 2] == '.' &&
				       (e == 2 || o[e - 3] == '/'))) {
				while (e > 0 && o[e - 1] != '/')
					e--;
				k = e;
				continue;
			}
		}
		if (k && o[k - 1] != '/')
			o[k++] = '/';
		memcpy(o + k, t + st, sl);
		k += sl;
	}
	while (k > 1 && o[k - 1] == '/')
		k--;
	o[k] = '\0';
	xfree(t);
	return o;
}

/* --- the set ------------------------------------------------------------ */

int iac_set_new(struct iac_set **out)
{
	if (!out)
		return ERR_USAGE;
	*out = xcalloc(1, sizeof(**out));
	return *out ? 0 : ERR_NOMEM;
}

void iac_set_free(struct iac_set *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++)
		xfree(s->f[i].path);
	for (i = 0; i < s->n_calls; i++)
		xfree(s->calls[i].target);
	for (i = 0; i < s->n_kt; i++) {
		xfree(s->kt[i].kind);
		xfree(s->kt[i].name);
		xfree(s->kt[i].by);
	}
	xfree(s->f);
	xfree(s->calls);
	xfree(s->kt);
	xfree(s);
}

size_t iac_set_count(const struct iac_set *s)
{
	return s ? s->n : 0;
}

int iac_set_add(struct iac_set *s, const char *path, const uint8_t *data, size_t len, void *user)
{
	struct sfile *f;
	const char *slash;

	if (!s || !path || (!data && len))
		return ERR_USAGE;
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 32;
		struct sfile *nv = xrealloc(s->f, nc * sizeof(*nv));

		if (!nv)
			return ERR_NOMEM;
		s->f = nv;
		s->cap = nc;
	}
	f = &s->f[s->n];
	memset(f, 0, sizeof(*f));
	if (!(f->path = xstrdup(path)))
		return ERR_NOMEM;
	slash = strrchr(f->path, '/');
	f->dir_len = slash ? (size_t)(slash - f->path) : 0;
	f->data = data ? data : (const uint8_t *)"";
	f->len = len;
	f->user = user;
	s->n++;
	return 0;
}

/* --- parsing helpers ------------------------------------------------------ */

/* One parsed file (arena and tree), released with doc_free. */
static struct iac_doc *doc_parse(const struct sfile *f, enum iac_format fmt)
{
	struct iac_doc *d = xcalloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->fmt = fmt;
	d->path = f->path;
	d->text = (const char *)f->data;
	d->len = f->len;
	iac_arena_init(&d->arena, (size_t)LIMIT_IAC_TREE_RATIO * f->len + LIMIT_IAC_TREE_SLACK);
	iac_doc_build(d);	/* a failure stays in d->diag */
	return d;
}

static void doc_free(struct iac_doc *d)
{
	if (!d)
		return;
	iac_doc_release(d);
	xfree(d);
}

static char *strndup_x(const char *s, size_t n)
{
	char *t = xmalloc(n + 1);

	if (t) {
		memcpy(t, s, n);
		t[n] = '\0';
	}
	return t;
}

static const struct iac_node *label_at(const struct iac_node *block, unsigned i)
{
	const struct iac_node *l = block->aux ? block->aux->child : NULL;

	while (l && i--)
		l = l->next;
	return l;
}

/* A local module source: "./x", "../x" (registry and git sources are not
 * in the set). */
static bool local_source(const char *s, size_t n)
{
	return (n >= 2 && !memcmp(s, "./", 2)) || (n >= 3 && !memcmp(s, "../", 3));
}

static int add_call(struct iac_set *s, size_t caller, const char *rel, size_t rl)
{
	char *t;

	if (s->n_calls == s->cap_calls) {
		size_t nc = s->cap_calls ? s->cap_calls * 2 : 8;
		struct call *nv = xrealloc(s->calls, nc * sizeof(*nv));

		if (!nv)
			return ERR_NOMEM;
		s->calls = nv;
		s->cap_calls = nc;
	}
	if (!(t = join_norm(s->f[caller].path, s->f[caller].dir_len, rel, rl)))
		return ERR_NOMEM;
	s->calls[s->n_calls].caller = caller;
	s->calls[s->n_calls].target = t;
	s->n_calls++;
	return 0;
}

/* The module blocks of a parsed Terraform or Bicep file, in order;
 * *src is the literal local source.  Returns the next block after prev. */
static struct iac_node *next_module(const struct iac_doc *d, struct iac_node *prev, const struct iac_node **src)
{
	struct iac_node *c = prev ? prev->next : (d->root ? d->root->child : NULL);

	for (; c; c = c->next) {
		const struct iac_node *sv;

		if (!(c->flags & IAC_F_BLOCK) || c->key_len != 6 || memcmp(c->key, "module", 6))
			continue;
		sv = d->fmt == IAC_BICEP ? label_at(c, 1) : iac_map_get(c, "source");
		if (sv && sv->kind == IAC_N_STR && !(sv->flags & IAC_F_TEMPLATE) && local_source(sv->str, sv->len)) {
			*src = sv;
			return c;
		}
		if (sv && sv->kind == IAC_N_STR && d->fmt == IAC_BICEP && !(sv->flags & IAC_F_TEMPLATE) &&
		    !memchr(sv->str, ':', sv->len)) {
			*src = sv;	/* Bicep: 'storage.bicep' is relative too */
			return c;
		}
	}
	return NULL;
}

static bool has_word(const struct sfile *f, const char *w)
{
	return memmem(f->data, f->len, w, strlen(w)) != NULL;
}

static int cmp_call(const void *a, const void *b)
{
	return strcmp((*(struct call *const *)a)->target, (*(struct call *const *)b)->target);
}

/* How many module blocks call each target: one sort, not a pass per call. */
static int count_callers(struct iac_set *s)
{
	struct call **v;
	size_t i, j, k;

	if (!s->n_calls)
		return 0;
	if (!(v = xmalloc(s->n_calls * sizeof(*v))))
		return ERR_NOMEM;
	for (i = 0; i < s->n_calls; i++)
		v[i] = &s->calls[i];
	qsort(v, s->n_calls, sizeof(*v), cmp_call);
	for (i = 0; i < s->n_calls; i = j) {
		for (j = i + 1; j < s->n_calls && !strcmp(v[j]->target, v[i]->target); j++)
			;
		for (k = i; k < j; k++)
			v[k]->callers = j - i;
	}
	xfree(v);
	return 0;
}

/* Module calls of every Terraform and Bicep file of the set. */
static int find_calls(struct iac_set *s)
{
	size_t i;
	int err;

	for (i = 0; i < s->n; i++) {
		struct sfile *f = &s->f[i];
		const struct iac_node *src = NULL;
		struct iac_node *m = NULL;
		struct iac_doc *d;

		if (f->role != R_IAC || (f->fmt != IAC_TERRAFORM && f->fmt != IAC_BICEP) || !has_word(f, "module"))
			continue;
		if (!(d = doc_parse(f, f->fmt)))
			return ERR_NOMEM;
		while (!d->diag.err && (m = next_module(d, m, &src)))
			if ((err = add_call(s, i, src->str, src->len))) {
				doc_free(d);
				return err;
			}
		doc_free(d);
	}
	return count_callers(s);
}

/* --- kustomize -------------------------------------------------------------- */

static int add_target(struct iac_set *s, const char *kind, size_t kl, const char *name, size_t nl,
		      const char *by)
{
	struct ktarget *k;

	if (s->n_kt >= KUSTOMIZE_MAX_TARGETS)
		return 0;	/* past it, further patches are not seen */
	if (s->n_kt == s->cap_kt) {
		size_t nc = s->cap_kt ? s->cap_kt * 2 : 8;
		struct ktarget *nv = xrealloc(s->kt, nc * sizeof(*nv));

		if (!nv)
			return ERR_NOMEM;
		s->kt = nv;
		s->cap_kt = nc;
	}
	k = &s->kt[s->n_kt];
	k->kind = strndup_x(kind, kl);
	k->name = name ? strndup_x(name, nl) : NULL;
	k->by = xstrdup(by);
	if (!k->kind || !k->by || (name && !k->name)) {
		xfree(k->kind);
		xfree(k->name);
		xfree(k->by);
		return ERR_NOMEM;
	}
	s->n_kt++;
	return 0;
}

static struct sfile *find_file(struct iac_set *s, const char *path)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->f[i].path, path))
			return &s->f[i];
	return NULL;
}

/* A patch file named by a kustomization: its objects are targets and the
 * file itself is a fragment. */
static int patch_file(struct iac_set *s, const struct sfile *kf, const struct iac_node *pv)
{
	struct sfile *pf;
	struct iac_doc *d;
	size_t i;
	char *p;
	int err = 0;

	if (!pv || pv->kind != IAC_N_STR || memchr(pv->str, '\n', pv->len))
		return 0;	/* inline patch text: its target decides */
	if (!(p = join_norm(kf->path, kf->dir_len, pv->str, pv->len)))
		return ERR_NOMEM;
	pf = find_file(s, p);
	xfree(p);
	if (!pf)
		return 0;
	pf->patch = true;
	if (pf->fmt != IAC_KUBERNETES || !(d = doc_parse(pf, IAC_KUBERNETES)))
		return pf->fmt == IAC_KUBERNETES ? ERR_NOMEM : 0;
	for (i = 0; i < d->n_res && !err; i++)
		err = add_target(s, d->res[i].type, d->res[i].type_len, d->res[i].name, d->res[i].name_len,
				 kf->path);
	doc_free(d);
	return err;
}

/* patches / patchesStrategicMerge / patchesJson6902 of one kustomization. */
static int kustomization(struct iac_set *s, struct sfile *kf)
{
	static const char *const keys[] = { "patches", "patchesStrategicMerge", "patchesJson6902" };
	struct iac_doc d;
	struct iac_node *root, *l, *e;
	size_t k, seen = 0;
	int err = 0;

	memset(&d, 0, sizeof(d));
	iac_arena_init(&d.arena, (size_t)LIMIT_IAC_TREE_RATIO * kf->len + LIMIT_IAC_TREE_SLACK);
	if (iac_yaml_parse(&d.arena, (const char *)kf->data, kf->len, &root, &d.diag) || !root ||
	    !root->child) {
		iac_arena_release(&d.arena);
		return 0;
	}
	for (k = 0; k < ARRAY_SIZE(keys) && !err; k++) {
		l = iac_map_get(root->child, keys[k]);
		for (e = l && l->kind == IAC_N_LIST ? l->child : NULL;
		     e && !err && s->n_kt < KUSTOMIZE_MAX_TARGETS && seen++ < KUSTOMIZE_MAX_TARGETS; e = e->next) {
			const struct iac_node *t = iac_map_get(e, "target");
			const struct iac_node *kind = iac_map_get(t, "kind"), *nm = iac_map_get(t, "name");

			if (e->kind == IAC_N_STR) {
				err = patch_file(s, kf, e);
				continue;
			}
			if (kind && kind->kind == IAC_N_STR)
				err = add_target(s, kind->str, kind->len,
						 nm && nm->kind == IAC_N_STR ? nm->str : NULL,
						 nm && nm->kind == IAC_N_STR ? nm->len : 0, kf->path);
			if (!err)
				err = patch_file(s, kf, iac_map_get(e, "path"));
		}
	}
	iac_arena_release(&d.arena);
	return err;
}

static void mark_patched(const struct iac_set *s, struct iac_doc *d)
{
	size_t i, k;

	for (i = 0; i < d->n_res; i++) {
		struct iac_res *r = &d->res[i];

		for (k = 0; k < s->n_kt && !r->patched; k++) {
			const struct ktarget *t = &s->kt[k];

			if (iac_mem_ieq(r->type, r->type_len, t->kind) &&
			    (!t->name || (strlen(t->name) == r->name_len && !memcmp(t->name, r->name, r->name_len))))
				r->patched = t->by;
		}
	}
}

/* --- one directory ------------------------------------------------------------ */

struct group {
	struct iac_doc **docs;		/* IaC files of the directory */
	size_t n_docs;
	struct iac_doc **extra;		/* tfvars and calling files */
	size_t n_extra;
	struct iac_input *in;
	size_t n_in, cap_in;
};

static int push_doc(struct iac_doc ***v, size_t *n, struct iac_doc *d)
{
	struct iac_doc **nv = xrealloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv) {
		doc_free(d);
		return ERR_NOMEM;
	}
	nv[(*n)++] = d;
	*v = nv;
	return 0;
}

static int add_input(struct group *g, const char *k, size_t kl, struct iac_node *v, const struct iac_doc *only)
{
	if (g->n_in == g->cap_in) {
		size_t nc = g->cap_in ? g->cap_in * 2 : 16;
		struct iac_input *nv = xrealloc(g->in, nc * sizeof(*nv));

		if (!nv)
			return ERR_NOMEM;
		g->in = nv;
		g->cap_in = nc;
	}
	g->in[g->n_in].k = k;
	g->in[g->n_in].kl = (uint32_t)kl;
	g->in[g->n_in].v = v;
	g->in[g->n_in].only = only;
	g->n_in++;
	return 0;
}

/* A caller's argument as the module sees it: literals pass, expressions
 * of the caller's own scope are unknown there. */
static struct iac_node *arg_value(struct iac_node *v, bool several)
{
	if (several || !v)
		return NULL;
	switch (v->kind) {
	case IAC_N_STR:
		return (v->flags & IAC_F_TEMPLATE) ? NULL : v;
	case IAC_N_NUM:
	case IAC_N_BOOL:
	case IAC_N_NULL:
		return v;
	default:
		return NULL;
	}
}

static bool meta_arg(const struct iac_node *c)
{
	static const char *const m[] = { "source", "version", "count", "for_each", "providers", "depends_on" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(m); i++)
		if (c->key_len == strlen(m[i]) && !memcmp(c->key, m[i], c->key_len))
			return true;
	return false;
}

/* Inputs from the module blocks that call this directory (Terraform) or
 * one of its Bicep files. */
static int group_calls(const struct iac_set *s, struct group *g, const char *dir)
{
	size_t c, i, last = SIZE_MAX;
	int err;
	for (c = 0; c < s->n_calls; c++) {
		const struct call *cl = &s->calls[c];
		const struct sfile *cf = &s->f[cl->caller];
		const struct iac_doc *only = NULL;
		const struct iac_node *src;
		struct iac_node *m = NULL, *a;
		struct iac_doc *d;

		if (cl->caller == last)
			continue;	/* all its blocks were read below */

		if (cf->fmt == IAC_TERRAFORM) {
			if (strcmp(cl->target, dir))
				continue;
		} else {
			for (i = 0; i < g->n_docs; i++) {
				char *np = join_norm(NULL, 0, g->docs[i]->path, strlen(g->docs[i]->path));
				bool same = np && !strcmp(np, cl->target);

				xfree(np);
				if (same)
					break;
			}
			if (i == g->n_docs)
				continue;
			only = g->docs[i];
		}
		last = cl->caller;
		if (!(d = doc_parse(cf, cf->fmt)))
			return ERR_NOMEM;
		if ((err = push_doc(&g->extra, &g->n_extra, d)))
			return err;
		while ((m = next_module(d, m, &src))) {
			char *t = join_norm(cf->path, cf->dir_len, src->str, src->len);
			bool mine = t && !strcmp(t, cl->target);

			xfree(t);
			if (!mine)
				continue;
			a = cf->fmt == IAC_BICEP ? iac_map_get(m, "params") : m;
			for (a = a && a->kind == IAC_N_MAP ? a->child : NULL; a; a = a->next)
				if (!(cf->fmt == IAC_TERRAFORM && (meta_arg(a) || (a->flags & IAC_F_BLOCK))) &&
				    (err = add_input(g, a->key, a->key_len, arg_value(a, cl->callers > 1), only)))
					return err;
		}
	}
	return 0;
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp((*(const struct sfile *const *)a)->path, (*(const struct sfile *const *)b)->path);
}

/* terraform.tfvars, then *.auto.tfvars in lexical order; later wins, so
 * they go in reversed (the symbol tables keep the first). */
static int group_tfvars(struct group *g, struct sfile **fs, size_t n)
{
	struct sfile *tv[64];
	size_t k = 0, i;
	int err;

	for (i = 0; i < n && k < ARRAY_SIZE(tv); i++)
		if (fs[i]->role == R_TFVARS && ends_with(fs[i]->path, ".auto.tfvars"))
			tv[k++] = fs[i];
	qsort(tv, k, sizeof(tv[0]), cmp_path);
	for (i = 0; i < n && k < ARRAY_SIZE(tv); i++)
		if (fs[i]->role == R_TFVARS && !ends_with(fs[i]->path, ".auto.tfvars")) {
			memmove(tv + 1, tv, k * sizeof(tv[0]));
			tv[0] = fs[i];
			k++;
		}
	while (k--) {
		struct iac_doc *d = doc_parse(tv[k], IAC_TERRAFORM);
		struct iac_node *a;

		if (!d)
			return ERR_NOMEM;
		if ((err = push_doc(&g->extra, &g->n_extra, d)))
			return err;
		for (a = !d->diag.err && d->root ? d->root->child : NULL; a; a = a->next)
			if (!(a->flags & IAC_F_BLOCK) && (err = add_input(g, a->key, a->key_len, a, NULL)))
				return err;
	}
	return 0;
}

static void group_release(struct group *g)
{
	size_t i;

	for (i = 0; i < g->n_docs; i++)
		doc_free(g->docs[i]);
	for (i = 0; i < g->n_extra; i++)
		doc_free(g->extra[i]);
	xfree(g->docs);
	xfree(g->extra);
	xfree(g->in);
}

static bool too_big(struct sfile **fs, size_t n)
{
	size_t i, files = 0, bytes = 0;

	for (i = 0; i < n; i++) {
		if (fs[i]->role == R_NONE)
			continue;
		files++;
		bytes += fs[i]->len;
	}
	return files > DIR_MAX_FILES || bytes > DIR_MAX_BYTES;
}

/* Past the caps: each file on its own (patch files still skipped). */
static int scan_alone(const struct iac_checkset *cs, const struct iac_scan_opts *opts, struct sfile **fs,
		      size_t n, iac_set_cb cb, void *arg)
{
	size_t i;
	int err = 0;

	for (i = 0; i < n && !err; i++) {
		struct iac_finding *out = NULL;
		size_t n_out = 0;

		if (fs[i]->role != R_IAC)
			continue;
		if (!fs[i]->patch)
			err = iac_scan_ex(cs, opts, fs[i]->path, fs[i]->data, fs[i]->len, &out, &n_out);
		if (!err)
			err = cb(arg, fs[i]->path, fs[i]->user, out, n_out);
		xfree(out);
	}
	return err;
}

/* Evaluates the files fs[0..n) of one directory. */
static int scan_group(const struct iac_checkset *cs, const struct iac_scan_opts *opts, struct iac_set *s,
		      struct sfile **fs, size_t n, iac_set_cb cb, void *arg)
{
	struct group g;
	struct iac_ctx ctx;
	char *dir;
	size_t i, di;
	int err = 0;

	memset(&g, 0, sizeof(g));
	if (too_big(fs, n))
		return scan_alone(cs, opts, fs, n, cb, arg);
	if (!(dir = join_norm(NULL, 0, fs[0]->path, fs[0]->dir_len)))
		return ERR_NOMEM;
	for (i = 0; i < n && !err; i++) {
		struct iac_doc *d;

		if (fs[i]->role != R_IAC || fs[i]->len > opts->max_file)
			continue;
		if (!(d = doc_parse(fs[i], fs[i]->fmt)))
			err = ERR_NOMEM;
		else
			err = push_doc(&g.docs, &g.n_docs, d);
	}
	if (!err)
		err = group_tfvars(&g, fs, n);
	if (!err)
		err = group_calls(s, &g, dir);
	memset(&ctx, 0, sizeof(ctx));
	ctx.docs = g.docs;
	ctx.n_docs = g.n_docs;
	ctx.inputs = g.in;
	ctx.n_inputs = g.n_in;
	ctx.givers = g.extra;
	ctx.n_givers = g.n_extra;
	for (i = 0, di = 0; i < n && !err; i++) {
		struct sfile *f = fs[i];
		struct iac_finding *out = NULL;
		size_t n_out = 0;

		if (f->role != R_IAC)
			continue;
		if (f->len > opts->max_file) {
			err = iac_scan_ex(cs, opts, f->path, f->data, f->len, &out, &n_out);
		} else {
			struct iac_doc *d = g.docs[di++];

			if (f->patch)
				goto deliver;	/* a fragment: its targets are UNKNOWN */
			d->ctx = &ctx;
			if (s->n_kt && d->fmt == IAC_KUBERNETES)
				mark_patched(s, d);
			err = iac_eval_doc(cs, opts, d, &out, &n_out);
		}
deliver:
		if (!err)
			err = cb(arg, f->path, f->user, out, n_out);
		xfree(out);
	}
	group_release(&g);
	xfree(dir);
	return err;
}

static int cmp_dir(const void *a, const void *b)
{
	const struct sfile *x = *(const struct sfile *const *)a, *y = *(const struct sfile *const *)b;
	size_t l = x->dir_len < y->dir_len ? x->dir_len : y->dir_len;
	int c = memcmp(x->path, y->path, l);

	if (c)
		return c;
	if (x->dir_len != y->dir_len)
		return x->dir_len < y->dir_len ? -1 : 1;
	c = strcmp(x->path, y->path);
	return c ? c : (x < y ? -1 : x > y);
}

int iac_set_scan(const struct iac_checkset *cs, const struct iac_scan_opts *opts, struct iac_set *s,
		 iac_set_cb cb, void *arg)
{
	struct iac_scan_opts dflt;
	struct sfile **idx;
	size_t i, j;
	int err = 0;

	if (!cs || !s || !cb)
		return ERR_USAGE;
	if (!opts) {
		iac_scan_opts_default(&dflt);
		opts = &dflt;
	}
	for (i = 0; i < s->n; i++) {
		struct sfile *f = &s->f[i];

		f->role = role_of(f->path);
		f->fmt = IAC_NONE;
		if (f->role == R_NONE) {
			f->fmt = opts->format != IAC_NONE ? opts->format :
				 iac_detect(f->path, f->data, f->len < 16384 ? f->len : 16384);
			f->role = f->fmt == IAC_NONE ? R_NONE : R_IAC;
		}
	}
	if ((err = find_calls(s)))
		return err;
	for (i = 0; i < s->n && !err; i++)
		if (s->f[i].role == R_KUSTOMIZE)
			err = kustomization(s, &s->f[i]);
	if (err)
		return err;
	if (!(idx = xmalloc((s->n + 1) * sizeof(*idx))))
		return ERR_NOMEM;
	for (i = 0; i < s->n; i++)
		idx[i] = &s->f[i];
	qsort(idx, s->n, sizeof(*idx), cmp_dir);
	for (i = 0; i < s->n && !err; i = j) {
		for (j = i + 1; j < s->n && idx[j]->dir_len == idx[i]->dir_len &&
				!memcmp(idx[j]->path, idx[i]->path, idx[i]->dir_len); j++)
			;
		err = scan_group(cs, opts, s, idx + i, j - i, cb, arg);
	}
	xfree(idx);
	return err;
}
