/*
 * tree.c - the bounded arena and the position-annotated document tree that
 * every IaC parser produces (iac.md §1: "record (line, column) for every key
 * and value", "a parse tree is bounded by its input").
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err-t.h"
#include "core/iac/iac-int.h"

#include <stdarg.h>
#include <stdio.h>

#define CHUNK_BYTES (64u * 1024)

struct iac_chunk {
	struct iac_chunk *prev;		/* older chunk */
	size_t size;			/* usable bytes after the header */
	size_t used;			/* bytes handed out */
	max_align_t data[];		/* the memory */
};

void iac_arena_init(struct iac_arena *a, size_t max)
{
	a->head = NULL;
	a->used = 0;
	a->max = max;
}

void iac_arena_release(struct iac_arena *a)
{
	struct iac_chunk *c = a->head, *p;

	while (c) {
		p = c->prev;
		xfree(c);
		c = p;
	}
	a->head = NULL;
	a->used = 0;
}

void *iac_arena_alloc(struct iac_arena *a, size_t n)
{
	struct iac_chunk *c = a->head;
	size_t want, sz;
	void *p;

	if (n > a->max)
		return NULL;
	want = (n + 7u) & ~(size_t)7u;
	if (a->used + want > a->max)
		return NULL;
	if (!c || c->size - c->used < want) {
		sz = want > CHUNK_BYTES ? want : CHUNK_BYTES;
		c = xmalloc(sizeof(*c) + sz);
		if (!c)
			return NULL;
		c->prev = a->head;
		c->size = sz;
		c->used = 0;
		a->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += want;
	a->used += want;
	memset(p, 0, n);
	return p;
}

char *iac_arena_strndup(struct iac_arena *a, const char *s, size_t n)
{
	char *p = iac_arena_alloc(a, n + 1);

	if (!p)
		return NULL;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

struct iac_node *iac_node_new(struct iac_arena *a, enum iac_kind kind, uint32_t line, uint32_t col)
{
	struct iac_node *n = iac_arena_alloc(a, sizeof(*n));

	if (!n)
		return NULL;
	n->kind = (uint8_t)kind;
	n->line = line;
	n->col = col;
	n->end_line = line;
	n->weight = 1;
	return n;
}

void iac_node_append(struct iac_node *parent, struct iac_node **tail, struct iac_node *child)
{
	if (*tail)
		(*tail)->next = child;
	else
		parent->child = child;
	*tail = child;
	parent->n++;
	/* Saturating: only compared against caps, never used to size memory. */
	if (parent->weight > UINT32_MAX - child->weight)
		parent->weight = UINT32_MAX;
	else
		parent->weight += child->weight;
	if (child->end_line > parent->end_line)
		parent->end_line = child->end_line;
}

/* YAML merge keys ("<<: *base") are followed at lookup time, a few levels
 * deep, so merged members are found without copying them. */
static struct iac_node *map_getn(const struct iac_node *map, const char *key, size_t klen,
				 unsigned depth)
{
	struct iac_node *c, *merge = NULL, *m, *r;

	if (!map || map->kind != IAC_N_MAP)
		return NULL;
	for (c = map->child; c; c = c->next) {
		if (c->key_len == klen && memcmp(c->key, key, klen) == 0)
			return c;
		if (c->key_len == 2 && c->key[0] == '<' && c->key[1] == '<' && !merge)
			merge = c;
	}
	if (!merge || depth >= 4)
		return NULL;
	if (merge->kind == IAC_N_MAP)
		return map_getn(merge, key, klen, depth + 1);
	if (merge->kind == IAC_N_LIST)
		for (m = merge->child; m; m = m->next)
			if ((r = map_getn(m, key, klen, depth + 1)))
				return r;
	return NULL;
}

struct iac_node *iac_map_getn(const struct iac_node *map, const char *key, size_t klen)
{
	return map_getn(map, key, klen, 0);
}

struct iac_node *iac_map_get(const struct iac_node *map, const char *key)
{
	return iac_map_getn(map, key, strlen(key));
}

static inline unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

bool iac_mem_ieq(const char *a, size_t alen, const char *b)
{
	size_t i;

	for (i = 0; i < alen; i++)
		if (!b[i] || lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return false;
	return b[alen] == '\0';
}

struct iac_node *iac_map_geti(const struct iac_node *map, const char *key)
{
	struct iac_node *c;

	if (!map || map->kind != IAC_N_MAP)
		return NULL;
	for (c = map->child; c; c = c->next)
		if (iac_mem_ieq(c->key, c->key_len, key))
			return c;
	return NULL;
}

bool iac_str_eq(const struct iac_node *n, const char *s)
{
	size_t l = strlen(s);

	return n && n->kind == IAC_N_STR && !(n->flags & IAC_F_TEMPLATE) &&
	       n->len == l && memcmp(n->str, s, l) == 0;
}

bool iac_str_ieq(const struct iac_node *n, const char *s)
{
	return n && n->kind == IAC_N_STR && !(n->flags & IAC_F_TEMPLATE) &&
	       iac_mem_ieq(n->str, n->len, s);
}

int iac_diag_set(struct iac_diag *d, int err, uint32_t line, uint32_t col, const char *fmt, ...)
{
	va_list ap;
	size_t i;

	if (d->err)
		return d->err;
	d->err = err;
	d->line = line;
	d->col = col;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	for (i = 0; d->msg[i]; i++)
		if ((unsigned char)d->msg[i] < 0x20 || (unsigned char)d->msg[i] > 0x7e)
			d->msg[i] = '?';
	return err;
}

uint32_t iac_hash_lower(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= lower((unsigned char)s[i]);
		h *= 16777619u;
	}
	return h;
}
