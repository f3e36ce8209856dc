/*
 * attrib.c - blob -> (first commit, path) after a pack has been read
 * (git-gate.md §5 "Attribution"; tree format from gitformat-pack and
 * git's tree-walk: "<octal mode> SP <name> NUL <raw id>").
 *
 * Commits are reduced to (tree, parents, committer time) as they pass;
 * trees are kept whole (bounded).  resolve() orders the commits oldest
 * first - parents before children, then committer time, then later pack
 * position first (git writes newest first) - and walks each commit's tree
 * depth-first in entry order with an explicit stack, visiting every tree
 * once.  The first (commit, path) at which a blob is met is its
 * attribution; within one commit that is the first path `git ls-tree -r`
 * would print.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err-t.h"
#include "core/base/limits.h"
#include "core/base/membudget.h"
#include "core/pack/attrib.h"
#include "core/pack/oidmap-int.h"

struct tree_rec {
	uint8_t *data;		/* owned tree content */
	size_t len;		/* its length */
	bool walked;		/* visited by resolve() */
};

struct commit_rec {
	int64_t time;		/* committer time (0 when unreadable) */
	uint32_t index;		/* position in the pack */
	uint32_t parents;	/* first parent id in poids */
	uint32_t nparents;	/* parent ids kept */
	bool has_tree;		/* ctree holds its tree id */
};

struct blob_rec {
	uint32_t commit;	/* first commit it was met in */
	uint32_t path;		/* offset of its NUL-terminated path in paths */
};

struct pack_attrib {
	size_t oid_len;			/* 20 or 32 */
	size_t max_bytes;		/* bound on kept bytes */
	size_t kept;			/* tree, commit-in-flight and path bytes */
	struct membudget *memory;	/* kept bytes are reserved here too, or
					 * NULL; borrowed */
	bool memory_short;		/* err is ERR_LIMIT because memory was */
	int err;			/* first limit or syntax problem seen */
	bool resolved;			/* resolve() ran */

	bool collecting;		/* the current object is kept */
	enum pack_obj_type ctype;	/* its type */
	uint8_t *cbuf;			/* its content so far (commits: the head) */
	size_t clen, cbuf_cap;		/* bytes in cbuf / allocated */
	size_t cseen, csize;		/* bytes received / declared size */

	struct tree_rec *trees;		/* trees in arrival order */
	uint8_t *toids;			/* their ids */
	uint32_t ntrees, tcap;		/* used / allocated */
	struct oidmap tmap;		/* id -> tree */

	struct commit_rec *commits;	/* commits in arrival order */
	uint8_t *coids, *ctree;		/* their ids and tree ids */
	uint32_t ncommits, ccap;	/* used / allocated */
	struct oidmap cmap;		/* id -> commit */
	uint8_t *poids;			/* parent ids of all commits */
	uint32_t npar, pcap;		/* used / allocated */

	struct blob_rec *blobs;		/* attributed blobs */
	uint8_t *boids;			/* their ids */
	uint32_t nblobs, bcap;		/* used / allocated */
	struct oidmap bmap;		/* id -> blob */
	struct buf paths;		/* NUL-terminated paths */
};

static const uint8_t *tkey(const void *ctx, uint32_t v)
{
	const struct pack_attrib *a = ctx;

	return a->toids + (size_t)v * a->oid_len;
}

static const uint8_t *ckey(const void *ctx, uint32_t v)
{
	const struct pack_attrib *a = ctx;

	return a->coids + (size_t)v * a->oid_len;
}

static const uint8_t *bkey(const void *ctx, uint32_t v)
{
	const struct pack_attrib *a = ctx;

	return a->boids + (size_t)v * a->oid_len;
}

static void note(struct pack_attrib *a, int err)
{
	if (!a->err)
		a->err = err;
}

/* Grows *arr (elements of size sz) and, if ids, *ids to hold need items. */
static int grow(void **arr, size_t sz, uint8_t **ids, size_t idlen, uint32_t *cap, uint32_t need)
{
	uint32_t nc;
	void *na;

	if (need <= *cap)
		return 0;
	if (need == UINT32_MAX)
		return ERR_LIMIT;
	nc = *cap ? *cap : 64;
	while (nc < need)
		nc = nc > UINT32_MAX / 2 ? UINT32_MAX - 1 : nc * 2;
	na = xrealloc(*arr, (size_t)nc * sz);
	if (!na)
		return ERR_NOMEM;
	*arr = na;
	if (ids) {
		uint8_t *ni = xrealloc(*ids, (size_t)nc * idlen);

		if (!ni)
			return ERR_NOMEM;
		*ids = ni;
	}
	*cap = nc;
	return 0;
}

/* Reserves n more kept bytes from the shared budget, if any. */
static bool kept_take(struct pack_attrib *a, size_t n)
{
	if (a->memory && !membudget_take(a->memory, n)) {
		a->memory_short = a->memory_short || a->err == 0;
		return false;
	}
	a->kept += n;
	return true;
}

static void kept_give(struct pack_attrib *a, size_t n)
{
	a->kept -= n;
	if (a->memory)
		membudget_give(a->memory, n);
}

void pack_attrib_set_memory(struct pack_attrib *a, struct membudget *memory)
{
	BUG_ON(a->kept != 0);
	a->memory = memory;
}

bool pack_attrib_memory_short(const struct pack_attrib *a)
{
	return a->memory_short;
}

int pack_attrib_new(enum pack_hash_algo algo, size_t max_bytes, struct pack_attrib **out)
{
	struct pack_attrib *a = xcalloc(1, sizeof(*a));

	*out = NULL;
	if (!a)
		return ERR_NOMEM;
	a->oid_len = pack_oid_len(algo);
	a->max_bytes = max_bytes;
	oidmap_init(&a->tmap, a->oid_len, tkey, a);
	oidmap_init(&a->cmap, a->oid_len, ckey, a);
	oidmap_init(&a->bmap, a->oid_len, bkey, a);
	buf_init(&a->paths, max_bytes);
	*out = a;
	return 0;
}

void pack_attrib_free(struct pack_attrib *a)
{
	uint32_t k;

	if (!a)
		return;
	if (a->memory && a->kept)
		membudget_give(a->memory, a->kept);
	for (k = 0; k < a->ntrees; k++)
		xfree(a->trees[k].data);
	xfree(a->trees);
	xfree(a->toids);
	xfree(a->commits);
	xfree(a->coids);
	xfree(a->ctree);
	xfree(a->poids);
	xfree(a->blobs);
	xfree(a->boids);
	xfree(a->cbuf);
	oidmap_release(&a->tmap);
	oidmap_release(&a->cmap);
	oidmap_release(&a->bmap);
	buf_release(&a->paths);
	xfree(a);
}

/* Commit bytes kept: the header lines we read (tree, parents, author,
 * committer) come first, so a huge message or signature is not kept. */
#define COMMIT_HEAD_BYTES (128u * 1024)

int pack_attrib_object_begin(void *ctx, const struct pack_object_info *info)
{
	struct pack_attrib *a = ctx;
	uint64_t keep;

	a->collecting = false;
	if (info->type != PACK_OBJ_COMMIT && info->type != PACK_OBJ_TREE)
		return 0;
	keep = info->type == PACK_OBJ_COMMIT ? MIN(info->size, (uint64_t)COMMIT_HEAD_BYTES)
					     : info->size;
	if (a->resolved || keep > a->max_bytes - a->kept || info->size > SIZE_MAX ||
	    !kept_take(a, (size_t)keep)) {
		note(a, ERR_LIMIT);
		return 0;
	}
	xfree(a->cbuf);
	a->cbuf = xmalloc((size_t)keep);
	if (!a->cbuf) {
		kept_give(a, (size_t)keep);
		note(a, ERR_NOMEM);
		return 0;
	}
	a->cbuf_cap = (size_t)keep;
	a->csize = (size_t)info->size;
	a->clen = 0;
	a->cseen = 0;
	a->ctype = info->type;
	a->collecting = true;
	return 0;
}

int pack_attrib_object_data(void *ctx, const struct pack_object_info *info,
			    const uint8_t *p, size_t n)
{
	struct pack_attrib *a = ctx;

	size_t k;

	UNUSED(info);
	if (!a->collecting)
		return 0;
	if (n > a->csize - a->cseen) {
		/* the parser never does this; stay bounded anyway */
		note(a, ERR_SYNTAX);
		a->collecting = false;
		return 0;
	}
	a->cseen += n;
	k = MIN(n, a->cbuf_cap - a->clen);
	memcpy(a->cbuf + a->clen, p, k);
	a->clen += k;
	return 0;
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* "<prefix><hex id>\n" at p; returns bytes used or 0. */
static size_t parse_id_line(const uint8_t *p, const uint8_t *end, const char *prefix,
			    size_t oid_len, uint8_t *out)
{
	size_t pl = strlen(prefix), k;

	if ((size_t)(end - p) < pl + 2 * oid_len + 1 || memcmp(p, prefix, pl) != 0 ||
	    p[pl + 2 * oid_len] != '\n')
		return 0;
	for (k = 0; k < oid_len; k++) {
		int hi = hexval(p[pl + 2 * k]), lo = hexval(p[pl + 2 * k + 1]);

		if (hi < 0 || lo < 0)
			return 0;
		out[k] = (uint8_t)(hi << 4 | lo);
	}
	return pl + 2 * oid_len + 1;
}

/* "committer Name <mail> 1700000000 +0000": the number after the last '>'. */
static int64_t committer_time(const uint8_t *p, const uint8_t *end)
{
	const uint8_t *gt = NULL, *q;
	int64_t t = 0;

	for (q = p; q < end && *q != '\n'; q++)
		if (*q == '>')
			gt = q;
	if (!gt)
		return 0;
	for (q = gt + 1; q < end && *q == ' '; q++)
		;
	for (; q < end && *q >= '0' && *q <= '9'; q++) {
		if (t > (INT64_MAX - 9) / 10)
			return 0;
		t = t * 10 + (*q - '0');
	}
	return t;
}

static int add_commit(struct pack_attrib *a, const struct pack_object_info *info)
{
	const uint8_t *p = a->cbuf, *end = a->cbuf + a->clen;
	struct commit_rec *c;
	uint32_t idx, stored, old_cap = a->ccap;
	size_t used;
	int err;

	if ((err = grow((void **)&a->commits, sizeof(*a->commits), &a->coids, a->oid_len,
			&a->ccap, a->ncommits + 1)))
		return err;
	if (a->ccap != old_cap) {
		uint8_t *nt = xrealloc(a->ctree, (size_t)a->ccap * a->oid_len);

		if (!nt) {
			a->ccap = old_cap;	/* ctree still has the old size */
			return ERR_NOMEM;
		}
		a->ctree = nt;
	}
	idx = a->ncommits;
	c = &a->commits[idx];
	memset(c, 0, sizeof(*c));
	c->index = info->index;
	c->parents = a->npar;
	memcpy(a->coids + (size_t)idx * a->oid_len, info->oid.id, a->oid_len);
	used = parse_id_line(p, end, "tree ", a->oid_len, a->ctree + (size_t)idx * a->oid_len);
	if (!used) {
		note(a, ERR_SYNTAX);
	} else {
		c->has_tree = true;
		p += used;
	}
	while (used) {
		if ((err = grow((void **)&a->poids, a->oid_len, NULL, 0, &a->pcap, a->npar + 1)))
			return err;
		used = parse_id_line(p, end, "parent ", a->oid_len,
				     a->poids + (size_t)a->npar * a->oid_len);
		if (!used)
			break;
		p += used;
		if (c->nparents < LIMIT_COMMIT_PARENTS) {
			c->nparents++;
			a->npar++;
		} else {
			note(a, ERR_LIMIT);
		}
	}
	/* header lines up to the first empty line */
	while (p < end && *p != '\n') {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));

		if ((size_t)(end - p) > 10 && memcmp(p, "committer ", 10) == 0)
			c->time = committer_time(p, nl ? nl : end);
		p = nl ? nl + 1 : end;
	}
	if ((err = oidmap_put(&a->cmap, idx, &stored)))
		return err;
	if (stored == idx)
		a->ncommits++;
	else
		a->npar = c->parents;	/* duplicate commit: drop it */
	return 0;
}

static int add_tree(struct pack_attrib *a, const struct pack_object_info *info)
{
	uint32_t idx = a->ntrees, stored;
	int err;

	if ((err = grow((void **)&a->trees, sizeof(*a->trees), &a->toids, a->oid_len,
			&a->tcap, a->ntrees + 1)))
		return err;
	memcpy(a->toids + (size_t)idx * a->oid_len, info->oid.id, a->oid_len);
	if ((err = oidmap_put(&a->tmap, idx, &stored)))
		return err;
	if (stored != idx) {
		kept_give(a, a->clen);
		return 0;	/* duplicate: the first copy is kept */
	}
	a->trees[idx].data = a->cbuf;
	a->trees[idx].len = a->clen;
	a->trees[idx].walked = false;
	a->cbuf = NULL;
	a->ntrees++;
	return 0;
}

int pack_attrib_object_end(void *ctx, const struct pack_object_info *info)
{
	struct pack_attrib *a = ctx;
	int err = 0;

	if (!a->collecting)
		return 0;
	a->collecting = false;
	if (a->cseen != a->csize) {
		note(a, ERR_SYNTAX);
		kept_give(a, a->cbuf_cap);
	} else if (a->ctype == PACK_OBJ_TREE) {
		err = add_tree(a, info);
		if (err)
			kept_give(a, a->cbuf_cap);
	} else {
		err = add_commit(a, info);
		kept_give(a, a->cbuf_cap);	/* only the small record stays */
	}
	xfree(a->cbuf);
	a->cbuf = NULL;
	if (err)
		note(a, err);
	return 0;
}

/* --- resolve ------------------------------------------------------------- */

/* Ready commits: oldest time first, then the later pack position. */
static bool older(const struct pack_attrib *a, uint32_t x, uint32_t y)
{
	const struct commit_rec *cx = &a->commits[x], *cy = &a->commits[y];

	if (cx->time != cy->time)
		return cx->time < cy->time;
	return cx->index > cy->index;
}

static void heap_push(const struct pack_attrib *a, uint32_t *h, uint32_t *n, uint32_t v)
{
	uint32_t i = (*n)++;

	while (i) {
		uint32_t up = (i - 1) / 2;

		if (!older(a, v, h[up]))
			break;
		h[i] = h[up];
		i = up;
	}
	h[i] = v;
}

static uint32_t heap_pop(const struct pack_attrib *a, uint32_t *h, uint32_t *n)
{
	uint32_t top = h[0], v = h[--(*n)], i = 0;

	for (;;) {
		uint32_t l = 2 * i + 1, m = i;

		if (l >= *n)
			break;
		m = l;
		if (l + 1 < *n && older(a, h[l + 1], h[l]))
			m = l + 1;
		if (!older(a, h[m], v))
			break;
		h[i] = h[m];
		i = m;
	}
	if (*n)
		h[i] = v;
	return top;
}

/* Commit order: parents (that are in the pack) before children. */
static int commit_order(struct pack_attrib *a, uint32_t *order)
{
	uint32_t n = a->ncommits, k, j, nh = 0, done = 0;
	uint32_t *indeg = xcalloc(n + 1, sizeof(*indeg));
	uint32_t *start = xcalloc(n + 2, sizeof(*start));
	uint32_t *kids = xcalloc(a->npar + 1, sizeof(*kids));
	uint32_t *heap = xcalloc(n + 1, sizeof(*heap));
	uint8_t *placed = xcalloc(n + 1, 1);
	int err = 0;

	if (!indeg || !start || !kids || !heap || !placed) {
		err = ERR_NOMEM;
		goto out;
	}
	/* children lists in CSR form: start[p]..start[p+1] */
	for (k = 0; k < n; k++) {
		const struct commit_rec *c = &a->commits[k];

		for (j = 0; j < c->nparents; j++) {
			uint32_t par;

			if (oidmap_get(&a->cmap, a->poids + (size_t)(c->parents + j) * a->oid_len, &par)) {
				start[par + 1]++;
				indeg[k]++;
			}
		}
	}
	for (k = 0; k < n; k++)
		start[k + 1] += start[k];
	for (k = 0; k < n; k++) {
		const struct commit_rec *c = &a->commits[k];

		for (j = 0; j < c->nparents; j++) {
			uint32_t par;

			if (oidmap_get(&a->cmap, a->poids + (size_t)(c->parents + j) * a->oid_len, &par))
				kids[start[par]++] = k;
		}
	}
	/* undo the fill shifts: start[p] now points at the end of p's list */
	for (k = n; k > 0; k--)
		start[k] = start[k - 1];
	start[0] = 0;
	for (k = 0; k < n; k++)
		if (!indeg[k])
			heap_push(a, heap, &nh, k);
	while (nh) {
		uint32_t c = heap_pop(a, heap, &nh);

		order[done++] = c;
		placed[c] = 1;
		for (j = start[c]; j < start[c + 1]; j++)
			if (--indeg[kids[j]] == 0)
				heap_push(a, heap, &nh, kids[j]);
	}
	/* a parent cycle needs a hash collision; keep such commits anyway */
	for (k = 0; k < n && done < n; k++)
		if (!placed[k])
			order[done++] = k;
out:
	xfree(indeg);
	xfree(start);
	xfree(kids);
	xfree(heap);
	xfree(placed);
	return err;
}

struct frame {
	const uint8_t *p, *end;	/* entries of the tree left to read */
	size_t plen;		/* path length of the tree's prefix ("a/b/") */
};

static int add_blob(struct pack_attrib *a, const uint8_t *oid, uint32_t commit,
		    const struct buf *path)
{
	uint32_t idx = a->nblobs, stored, dummy;
	int err;

	if (oidmap_get(&a->bmap, oid, &dummy))
		return 0;
	if (path->len + 1 > a->max_bytes - a->kept || !kept_take(a, path->len + 1))
		return ERR_LIMIT;
	if ((err = grow((void **)&a->blobs, sizeof(*a->blobs), &a->boids, a->oid_len, &a->bcap,
			a->nblobs + 1)))
		return err;
	if (a->paths.len > UINT32_MAX - path->len - 1) {
		kept_give(a, path->len + 1);
		return ERR_LIMIT;
	}
	a->blobs[idx].commit = commit;
	a->blobs[idx].path = (uint32_t)a->paths.len;
	memcpy(a->boids + (size_t)idx * a->oid_len, oid, a->oid_len);
	if ((err = buf_append(&a->paths, path->data, path->len)) ||
	    (err = buf_append(&a->paths, "", 1)))
		return err;	/* the reservation stays with kept until free */
	if ((err = oidmap_put(&a->bmap, idx, &stored)))
		return err;
	a->nblobs++;
	return 0;
}

/* Walks one commit's tree depth-first with an explicit stack. */
static int walk_commit(struct pack_attrib *a, uint32_t commit, struct frame *stack,
		       struct buf *path)
{
	uint32_t t, depth = 0;
	int err;

	if (!a->commits[commit].has_tree ||
	    !oidmap_get(&a->tmap, a->ctree + (size_t)commit * a->oid_len, &t) ||
	    a->trees[t].walked)
		return 0;
	a->trees[t].walked = true;
	stack[depth++] = (struct frame){ a->trees[t].data, a->trees[t].data + a->trees[t].len, 0 };
	while (depth) {
		struct frame *f = &stack[depth - 1];
		const uint8_t *p = f->p, *name, *nul;
		uint32_t mode = 0;

		if (p >= f->end) {
			depth--;
			continue;
		}
		while (p < f->end && *p >= '0' && *p <= '7' && mode < 01000000)
			mode = mode * 8 + (uint32_t)(*p++ - '0');
		name = p + 1;
		nul = p < f->end && *p == ' ' ? memchr(name, '\0', (size_t)(f->end - name)) : NULL;
		if (!nul || nul == name || (size_t)(f->end - nul - 1) < a->oid_len) {
			note(a, ERR_SYNTAX);
			depth--;	/* skip the rest of a malformed tree */
			continue;
		}
		f->p = nul + 1 + a->oid_len;
		path->len = f->plen;
		if (buf_append(path, name, (size_t)(nul - name))) {
			note(a, ERR_LIMIT);
			continue;
		}
		if ((mode & 0170000) == 0040000) {
			uint32_t sub;

			if (!oidmap_get(&a->tmap, nul + 1, &sub) || a->trees[sub].walked)
				continue;
			if (depth == LIMIT_TREE_DEPTH_DEFAULT || buf_append(path, "/", 1)) {
				note(a, ERR_LIMIT);
				continue;
			}
			a->trees[sub].walked = true;
			stack[depth++] = (struct frame){ a->trees[sub].data,
							 a->trees[sub].data + a->trees[sub].len,
							 path->len };
		} else if ((mode & 0170000) != 0160000) {
			/* regular files and symlinks are blobs; gitlinks are not */
			if ((err = add_blob(a, nul + 1, commit, path))) {
				if (err != ERR_LIMIT)
					return err;
				note(a, err);
			}
		}
	}
	return 0;
}

int pack_attrib_resolve(struct pack_attrib *a)
{
	uint32_t *order = NULL, k;
	struct frame *stack = NULL;
	struct buf path;
	int err;

	if (a->resolved)
		return ERR_STATE;
	a->resolved = true;
	buf_init(&path, LIMIT_PATH_BYTES_DEFAULT);
	order = xcalloc(a->ncommits + 1, sizeof(*order));
	stack = xcalloc(LIMIT_TREE_DEPTH_DEFAULT, sizeof(*stack));
	if (!order || !stack) {
		err = ERR_NOMEM;
		goto out;
	}
	if ((err = commit_order(a, order)))
		goto out;
	for (k = 0; k < a->ncommits; k++)
		if ((err = walk_commit(a, order[k], stack, &path)))
			goto out;
	/* the trees are no longer needed: the paths hold the answer */
	for (k = 0; k < a->ntrees; k++) {
		kept_give(a, a->trees[k].len);
		xfree(a->trees[k].data);
		a->trees[k].data = NULL;
		a->trees[k].len = 0;
	}
	err = a->err;
out:
	xfree(order);
	xfree(stack);
	buf_release(&path);
	return err;
}

bool pack_attrib_lookup(const struct pack_attrib *a, const struct pack_oid *blob,
			const char **path, struct pack_oid *commit)
{
	uint32_t b;

	if (!a->resolved || !oidmap_get(&a->bmap, blob->id, &b))
		return false;
	*path = (const char *)a->paths.data + a->blobs[b].path;
	memset(commit, 0, sizeof(*commit));
	memcpy(commit->id, a->coids + (size_t)a->blobs[b].commit * a->oid_len, a->oid_len);
	return true;
}
