/*
 * pack.c - push-fed git pack parser: header, object headers, inflation,
 * delta resolution with a bounded base cache and a spool, object ids and
 * the trailer checksum (gitformat-pack; git-gate.md §5).
 *
 * Objects are reported in pack order as their content becomes known.
 * Whole objects stream to the sink while they inflate; small ones inflate
 * straight into a buffer that then joins the base cache, so no byte is
 * copied twice.  Deltas inflate into a scratch buffer and are applied to
 * their base at once when the base is known, else deferred to the end of
 * the pack (REF_DELTA to a later object, or any delta whose base is itself
 * deferred).  A base missing from the cache is rebuilt from the raw pack
 * bytes (caller's file or our spool) by walking its chain iteratively.
 *
 * Error positions are a function of the input bytes alone (never of how
 * they were split): every check fires at a fixed byte, and zlib's own
 * consumption is exact at stream end and on corrupt data.  That is what
 * lets splitfeed compare `consumed` across splits.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err-t.h"
#include "core/base/limits.h"
#include "core/base/membudget.h"
#include "core/pack/delta.h"
#include "core/pack/oidmap-int.h"
#include "core/pack/pack.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#define NO_ENTRY UINT32_MAX
#define PACK_HDR_BYTES 12u
/* Output chunk for objects too large for the cache: big enough that zlib
 * and SHA-1 run in long stretches, small enough to stay in L2. */
#define INFLATE_CHUNK (128u * 1024)
/* Spool writes are batched: one write(2) per this many bytes. */
#define SPOOL_WBUF (256u * 1024)
/* Raw bytes read per pread when re-inflating a base. */
#define READ_CHUNK (64u * 1024)
/* Largest input slice handed to zlib at once (its counters are 32-bit). */
#define ZLIB_SLICE ((size_t)1 << 30)
/* Largest output handed to zlib, the delta applier, the hash or the sink
 * at once.  The cancel flag is read between slices, so this is also how
 * much work may follow a cancellation. */
#define WORK_SLICE ((size_t)1 << 20)
/* Deflate's largest expansion: a length/distance pair of two 1-bit codes
 * copies 258 bytes (RFC 1951 §3.2.5), so a stream of n bytes inflates to
 * at most about 1032 * n. */
#define DEFLATE_MAX_RATIO 1032u
/* One inflate stream's own memory (state and 32 KiB window), counted in
 * the fixed reservation. */
#define ZLIB_STREAM_BYTES (48u * 1024)
/* Delta data buffers above this are freed after use instead of kept for
 * the next delta, so one large delta does not hold the shared budget. */
#define HELD_KEEP ((size_t)1 << 20)

/* --- hashing ------------------------------------------------------------ */

/* Object ids cost one hash pass over every inflated byte (git-gate.md §5),
 * a third of the pack path's CPU with mbedTLS's portable SHA-1 (about
 * 0.7 GB/s here).  OpenSSL's libcrypto uses the CPU's SHA instructions
 * where present (about 2 GB/s on x86-64 with SHA-NI, ARMv8 crypto
 * extensions on arm64).  Its low-level SHA1_/SHA256_ calls keep the state
 * in a plain struct (no allocation per object, nothing to leak on an
 * error path); OpenSSL 3 marks them deprecated, not removed. */
struct hash_ctx {
	enum pack_hash_algo algo;		/* which member is live */
	union {
		SHA_CTX s1;			/* PACK_HASH_SHA1 */
		SHA256_CTX s256;		/* PACK_HASH_SHA256 */
	} u;
};

static void hash_begin(struct hash_ctx *h, enum pack_hash_algo algo)
{
	h->algo = algo;
	if (algo == PACK_HASH_SHA256)
		SHA256_Init(&h->u.s256);
	else
		SHA1_Init(&h->u.s1);
}

static void hash_update(struct hash_ctx *h, const uint8_t *p, size_t n)
{
	if (!n)
		return;
	if (h->algo == PACK_HASH_SHA256)
		SHA256_Update(&h->u.s256, p, n);
	else
		SHA1_Update(&h->u.s1, p, n);
}

static void hash_end(struct hash_ctx *h, uint8_t *out)
{
	if (h->algo == PACK_HASH_SHA256)
		SHA256_Final(out, &h->u.s256);
	else
		SHA1_Final(out, &h->u.s1);
}

static const char *const type_name[] = {
	[PACK_OBJ_COMMIT] = "commit", [PACK_OBJ_TREE] = "tree",
	[PACK_OBJ_BLOB] = "blob", [PACK_OBJ_TAG] = "tag",
};

/* Starts an object id: hash of "<type> <decimal size>\0". */
static void hash_object_begin(struct hash_ctx *h, enum pack_hash_algo algo,
			      enum pack_obj_type type, uint64_t size)
{
	char hdr[32], digits[24];
	size_t n = strlen(type_name[type]), d = 0;

	memcpy(hdr, type_name[type], n);
	hdr[n++] = ' ';
	do {
		digits[d++] = (char)('0' + size % 10);
		size /= 10;
	} while (size);
	while (d)
		hdr[n++] = digits[--d];
	hdr[n++] = '\0';
	hash_begin(h, algo);
	hash_update(h, (const uint8_t *)hdr, n);
}

/* --- types ---------------------------------------------------------------- */

/* A growable buffer whose capacity is reserved from the memory budget. */
struct held_buf {
	uint8_t *data;		/* owned; NULL while cap is 0 */
	size_t len;		/* bytes in use */
	size_t cap;		/* bytes allocated, all reserved */
};

enum pack_state {
	PS_HEADER,	/* collecting the 12-byte "PACK" header */
	PS_OBJ_HDR,	/* reading the type/size varint of the next object */
	PS_OFS,		/* reading an OFS_DELTA negative offset */
	PS_REF,		/* reading a REF_DELTA base id */
	PS_DATA,	/* inflating the object's zlib stream */
	PS_TRAILER,	/* reading the pack checksum */
	PS_DONE,	/* trailer verified and every object reported */
	PS_FAILED,	/* an error was returned; nothing more is accepted */
};

enum inflate_mode {
	INF_DIRECT,	/* whole object, inflated into obuf (cacheable size) */
	INF_STREAM,	/* whole object, inflated through scratch to the sink */
	INF_DELTA,	/* delta data, collected in dbuf */
};

enum entry_flag {
	EF_RESOLVED = 1,	/* content known, id in oids, reported */
	EF_DEFERRED = 2,	/* delta whose base was unknown when parsed */
};

/* One object of the pack.  States: parsed (flags 0, only for the object
 * being inflated), resolved, or deferred until the pack ends. */
struct pack_entry {
	uint64_t offset;	/* of the object header in the pack */
	uint64_t size;		/* inflated size of the zlib stream (delta data
				 * for deltas) */
	uint32_t base;		/* base entry of a delta once known, else
				 * NO_ENTRY */
	uint32_t cache;		/* cache node + 1; 0 when not cached */
	uint32_t depth;		/* delta chain length once resolved */
	uint32_t link;		/* next deferred entry on the same waiter chain */
	uint32_t children;	/* first deferred OFS delta waiting on this one */
	uint8_t hdr_len;	/* bytes from offset to the zlib stream (<= 52) */
	uint8_t raw_type;	/* type field in the pack: 1-4, 6 or 7 */
	uint8_t type;		/* resolved type; 0 until resolved */
	uint8_t flags;		/* enum entry_flag */
};

struct cache_node {
	uint8_t *data;		/* owned content */
	size_t len;		/* content bytes */
	uint32_t entry;		/* entry it belongs to */
	uint32_t prev, next;	/* LRU list (prev = more recent); NO_ENTRY ends */
};

/* LRU of inflated objects keyed by entry (hence by pack offset). */
struct base_cache {
	struct cache_node *nodes;	/* node pool; indexes are stable */
	uint32_t nnodes, cap;		/* used / allocated nodes */
	uint32_t free_head;		/* free node list through next */
	uint32_t head, tail;		/* most / least recently used */
	size_t bytes;			/* content bytes held */
	size_t max_bytes;		/* limits.base_cache_bytes */
	size_t max_obj;			/* larger objects are never kept */
};

/* Content of a resolved object, borrowed from the cache or owned. */
struct content {
	uint8_t *data;		/* content bytes */
	size_t len;		/* content length */
	uint32_t entry;		/* whose content */
	bool owned;		/* true: free or cache it with content_put() */
};

struct pack_parser {
	struct pack_params prm;		/* copy of the caller's params */
	size_t oid_len;			/* 20 or 32 */
	enum pack_state state;		/* see enum pack_state */
	int err;			/* the error once FAILED */

	uint8_t hdr[PACK_HDR_BYTES];	/* pack header being collected */
	unsigned hdr_have;		/* bytes of hdr filled */
	uint32_t count;			/* objects declared */

	/* the object being parsed */
	uint32_t cur;			/* its entry */
	uint64_t obj_off;		/* its offset */
	unsigned obj_hdr_bytes;		/* header bytes read so far */
	uint8_t vtype;			/* type from the first header byte */
	uint64_t vsize;			/* size being accumulated */
	unsigned vshift;		/* next size group shift */
	uint64_t ofs;			/* OFS_DELTA offset being accumulated */
	unsigned ofs_bytes;		/* bytes of the offset read so far */
	uint8_t ref[PACK_OID_MAX];	/* REF_DELTA base id */
	unsigned ref_have;		/* bytes of ref filled */
	enum inflate_mode mode;		/* where inflated bytes go */
	uint64_t produced;		/* bytes inflated so far */
	uint8_t *obuf;			/* INF_DIRECT destination (owned,
					 * reserved: the entry's size) */
	struct hash_ctx oh;		/* id of a whole object being streamed */
	struct pack_object_info info;	/* what the sink sees for it */

	uint8_t trailer[PACK_OID_MAX];	/* checksum being collected */
	unsigned trailer_have;		/* bytes of trailer filled */
	struct hash_ctx ph;		/* checksum over the pack so far */
	bool hashing;			/* ph still takes bytes (before trailer) */
	uint64_t data_end;		/* offset of the trailer once known */

	z_stream z;			/* inflates the incoming stream */
	bool z_live;			/* z needs inflateEnd */
	z_stream rz;			/* re-inflates bases from the spool */
	bool rz_live;			/* rz needs inflateEnd */
	bool fixed_ready;		/* scratch, rbuf, wbuf allocated and the
					 * fixed reservation taken */
	uint8_t *scratch;		/* INFLATE_CHUNK bytes for INF_STREAM */
	uint8_t *rbuf;			/* READ_CHUNK bytes for spool reads */
	struct held_buf dbuf;		/* delta data of the delta being resolved */
	struct held_buf dbuf2;		/* delta data while rebuilding a base */
	size_t held;			/* bytes reserved (from limits.memory when
					 * set), all returned at release */
	uint32_t pin;			/* cache node being read as a base, never
					 * evicted; NO_ENTRY when none */
	uint32_t *stack;		/* rebuild chain / deferred work stack */
	size_t stack_len, stack_cap;	/* entries used / allocated */

	struct pack_entry *ents;	/* every object so far, in pack order */
	uint32_t nents, ents_cap;	/* used / allocated */
	uint8_t *oids;			/* ents_cap ids of oid_len bytes */
	struct oidmap byoid;		/* id -> resolved entry */

	uint32_t ndeferred;		/* deferred entries */
	uint32_t *pend_heads;		/* per awaited REF base id: chain head */
	uint8_t *pend_oids;		/* the awaited ids */
	uint32_t npend, pend_cap;	/* used / allocated */
	struct oidmap pendmap;		/* awaited id -> pend index */

	struct base_cache cache;	/* see struct base_cache */

	int spool_fd;			/* our spool file, -1 until first flush */
	uint8_t *wbuf;			/* SPOOL_WBUF pending spool bytes */
	size_t wlen;			/* bytes in wbuf */
	uint64_t flushed;		/* bytes written to spool_fd */

	const uint8_t *cur_in;		/* input of the running feed */
	size_t cur_pos;			/* bytes of cur_in consumed */
	size_t cur_spooled;		/* bytes of cur_in already spooled */
	size_t cur_hashed;		/* bytes of cur_in already in ph */
	uint64_t call_start;		/* pack offset of cur_in[0] */

	struct pack_stats st;		/* see struct pack_stats */
};

static uint8_t *oid_at(const struct pack_parser *p, uint32_t e)
{
	return p->oids + (size_t)e * p->oid_len;
}

static const uint8_t *byoid_key(const void *ctx, uint32_t v)
{
	return oid_at(ctx, v);
}

static const uint8_t *pend_key(const void *ctx, uint32_t v)
{
	const struct pack_parser *p = ctx;

	return p->pend_oids + (size_t)v * p->oid_len;
}

static int limit(struct pack_parser *p, enum pack_limit which)
{
	p->st.limit_hit = which;
	return ERR_LIMIT;
}

static int check_cancel(const struct pack_parser *p)
{
	if (p->prm.cancel && atomic_load_explicit(p->prm.cancel, memory_order_relaxed))
		return ERR_CANCELED;
	return 0;
}

/* Raw pack bytes consumed up to the current position: a function of the
 * input alone, however it was split, because every state sets cur_pos
 * before it charges. */
static uint64_t bytes_seen(const struct pack_parser *p)
{
	return p->cur_in ? p->call_start + p->cur_pos : p->st.bytes_in;
}

/* What the amplification budget allows after `raw` raw bytes. */
static uint64_t amp_allowed(const struct pack_parser *p, uint64_t raw)
{
	const struct pack_limits *l = &p->prm.limits;
	uint64_t a;

	if (__builtin_mul_overflow(raw, (uint64_t)l->amplification_ratio, &a) ||
	    __builtin_add_overflow(a, l->amplification_slack, &a))
		return UINT64_MAX;
	return a;
}

/* Charges n bytes that are about to be inflated or reconstructed, before
 * any of them is allocated or produced.  credit: raw bytes that must still
 * arrive to produce them (a whole stream's own compressed bytes, at
 * deflate's best), 0 for work on bytes already received. */
static int charge_check(struct pack_parser *p, uint64_t n, uint64_t credit, uint64_t *want)
{
	const struct pack_limits *l = &p->prm.limits;

	if (__builtin_add_overflow(p->st.bytes_inflated, n, want) || *want > l->inflate_total) {
		p->st.limit_wanted = *want < n ? UINT64_MAX : *want;
		return limit(p, PACK_LIMIT_INFLATE_TOTAL);
	}
	if (*want > amp_allowed(p, bytes_seen(p) + credit)) {
		p->st.limit_wanted = *want;
		return limit(p, PACK_LIMIT_AMPLIFICATION);
	}
	return 0;
}

static int charge(struct pack_parser *p, uint64_t n, uint64_t credit)
{
	uint64_t want;
	int err = charge_check(p, n, credit, &want);

	if (!err)
		p->st.bytes_inflated = want;
	return err;
}

static int stack_push(struct pack_parser *p, uint32_t v)
{
	if (p->stack_len == p->stack_cap) {
		size_t nc = p->stack_cap ? p->stack_cap * 2 : 256;
		uint32_t *ns = xrealloc(p->stack, nc * sizeof(*ns));

		if (!ns)
			return ERR_NOMEM;
		p->stack = ns;
		p->stack_cap = nc;
	}
	p->stack[p->stack_len++] = v;
	return 0;
}

/* --- base cache ------------------------------------------------------------ */

static void lru_unlink(struct base_cache *c, uint32_t n)
{
	struct cache_node *x = &c->nodes[n];

	if (x->prev != NO_ENTRY)
		c->nodes[x->prev].next = x->next;
	else
		c->head = x->next;
	if (x->next != NO_ENTRY)
		c->nodes[x->next].prev = x->prev;
	else
		c->tail = x->prev;
}

static void lru_push_front(struct base_cache *c, uint32_t n)
{
	struct cache_node *x = &c->nodes[n];

	x->prev = NO_ENTRY;
	x->next = c->head;
	if (c->head != NO_ENTRY)
		c->nodes[c->head].prev = n;
	c->head = n;
	if (c->tail == NO_ENTRY)
		c->tail = n;
}

/* --- memory budget ------------------------------------------------------- */

static void mem_give(struct pack_parser *p, size_t n)
{
	BUG_ON(n > p->held);
	p->held -= n;
	if (p->prm.limits.memory && n)
		membudget_give(p->prm.limits.memory, n);
}

static void mem_held(struct pack_parser *p, size_t n)
{
	p->held += n;
	if (p->held > p->st.memory_peak)
		p->st.memory_peak = p->held;
}

static void cache_evict(struct pack_parser *p, uint32_t n)
{
	struct base_cache *c = &p->cache;
	struct cache_node *x = &c->nodes[n];

	lru_unlink(c, n);
	p->ents[x->entry].cache = 0;
	c->bytes -= x->len;
	xfree(x->data);
	mem_give(p, x->len);
	x->data = NULL;
	x->next = c->free_head;
	c->free_head = n;
}

/* Evicts the least recently used base nobody is reading; false when
 * there is none. */
static bool cache_evict_one(struct pack_parser *p)
{
	struct base_cache *c = &p->cache;
	uint32_t n = c->tail;

	if (n != NO_ENTRY && n == p->pin)
		n = c->nodes[n].prev;
	if (n == NO_ENTRY)
		return false;
	cache_evict(p, n);
	return true;
}

/* Reserves n bytes before they are allocated.  When the shared budget is
 * short our own least recently used bases go first (each only costs a
 * re-inflation later); when none is left the object at hand does not fit
 * and the push cannot be judged now: PACK_LIMIT_MEMORY. */
static int mem_take(struct pack_parser *p, size_t n)
{
	struct membudget *b = p->prm.limits.memory;

	while (b && !membudget_take(b, n)) {
		if (!cache_evict_one(p)) {
			p->st.limit_wanted = n;
			return limit(p, PACK_LIMIT_MEMORY);
		}
	}
	mem_held(p, n);
	return 0;
}

/* Reserves n bytes only if the budget has them now, evicting nothing. */
static bool mem_try(struct pack_parser *p, size_t n)
{
	struct membudget *b = p->prm.limits.memory;

	if (b && !membudget_take(b, n))
		return false;
	mem_held(p, n);
	return true;
}

/* Grows h to exactly cap bytes (no-op when it holds that many). */
static int held_reserve(struct pack_parser *p, struct held_buf *h, size_t cap)
{
	uint8_t *nd;
	int err;

	if (cap <= h->cap)
		return 0;
	if ((err = mem_take(p, cap - h->cap)))
		return err;
	nd = xrealloc(h->data, cap);
	if (!nd) {
		mem_give(p, cap - h->cap);
		return ERR_NOMEM;
	}
	h->data = nd;
	h->cap = cap;
	return 0;
}

/* Frees h when it grew large, giving its bytes back to the budget. */
static void held_trim(struct pack_parser *p, struct held_buf *h)
{
	if (h->cap <= HELD_KEEP)
		return;
	xfree(h->data);
	mem_give(p, h->cap);
	h->data = NULL;
	h->len = h->cap = 0;
}

/* How many bytes the cache may hold now, counting `pending` reserved
 * bytes about to join it: base_cache_bytes, less what would leave under a
 * quarter of the shared budget free for the working buffers of other
 * pushes, but never less than a small floor.  A push alone still gets its
 * whole cache from a budget a third larger than base_cache_bytes. */
static size_t cache_room(const struct pack_parser *p, size_t pending)
{
	const struct membudget *b = p->prm.limits.memory;
	size_t cap, free_now, keep_free, room;

	if (!b)
		return p->cache.max_bytes;
	cap = membudget_cap(b);
	free_now = cap - MIN(membudget_used(b), cap);
	keep_free = cap / 4;
	/* what the cache holds (and is about to) plus the free bytes above
	 * the quarter, or minus the shortfall below it */
	room = p->cache.bytes + pending;
	if (free_now >= keep_free)
		room += MIN(free_now - keep_free, SIZE_MAX - room);
	else
		room -= MIN(keep_free - free_now, room);
	return MIN(p->cache.max_bytes, MAX(room, (size_t)LIMIT_BASE_CACHE_SHARED_FLOOR));
}

/* Takes ownership of data and of its reservation (len bytes): keeps it as
 * entry e's content or frees it and gives the bytes back.
 * Objects above max_obj are kept only when `proven` (just rebuilt because
 * a delta needed it), and then up to half the cache: a large base with many
 * deltas must not be re-inflated for each of them. */
static void cache_insert(struct pack_parser *p, uint32_t e, uint8_t *data, size_t len,
			 bool proven)
{
	struct base_cache *c = &p->cache;
	uint32_t n;
	size_t room;

	if (len > (proven ? c->max_bytes / 2 : c->max_obj) || !c->max_bytes || p->ents[e].cache) {
		xfree(data);
		mem_give(p, len);
		return;
	}
	room = cache_room(p, len);
	while (c->bytes + len > room && cache_evict_one(p))
		room = cache_room(p, len);
	if (c->bytes + len > room) {
		xfree(data);
		mem_give(p, len);
		return;
	}
	if (c->free_head != NO_ENTRY) {
		n = c->free_head;
		c->free_head = c->nodes[n].next;
	} else {
		if (c->nnodes == c->cap) {
			uint32_t nc = c->cap ? c->cap * 2 : 1024;
			struct cache_node *nn = xrealloc(c->nodes, (size_t)nc * sizeof(*nn));

			if (!nn) {
				/* losing a cache slot only costs a re-inflation */
				xfree(data);
				mem_give(p, len);
				return;
			}
			c->nodes = nn;
			c->cap = nc;
		}
		n = c->nnodes++;
	}
	c->nodes[n].data = data;
	c->nodes[n].len = len;
	c->nodes[n].entry = e;
	lru_push_front(c, n);
	c->bytes += len;
	p->ents[e].cache = n + 1;
}

static void cache_release(struct base_cache *c)
{
	uint32_t n;

	for (n = c->head; n != NO_ENTRY; n = c->nodes[n].next)
		xfree(c->nodes[n].data);
	xfree(c->nodes);
	c->nodes = NULL;
}

/* --- spool ------------------------------------------------------------------ */

/* A spool write or create that failed for lack of room is a capacity limit
 * of the gate, not a corrupt pack: the pusher learns the gate's disk is
 * full, and the audit does not call the push malformed. */
static int spool_error(struct pack_parser *p, int e)
{
	if (e == ENOSPC || e == EDQUOT)
		return limit(p, PACK_LIMIT_SPOOL_DISK);
	return ERR_IO;
}

static int spool_open(struct pack_parser *p)
{
	const char *dir = p->prm.spool_dir;
	char path[4096];
	int fd;

	if (!dir)
		dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 && (errno == ENOSPC || errno == EDQUOT))
		return spool_error(p, errno);
	if (fd < 0) {
		/* filesystems without O_TMPFILE: create and unlink at once */
		if ((size_t)snprintf(path, sizeof(path), "%s/sluice-spool-XXXXXX", dir) >= sizeof(path))
			return ERR_IO;
		fd = mkostemp(path, O_CLOEXEC);
		if (fd < 0)
			return spool_error(p, errno);
		unlink(path);
	}
	p->spool_fd = fd;
	return 0;
}

static int spool_flush(struct pack_parser *p)
{
	size_t done = 0;
	int err;

	if (!p->wlen)
		return 0;
	if (p->spool_fd < 0 && (err = spool_open(p)))
		return err;
	while (done < p->wlen) {
		ssize_t n = pwrite(p->spool_fd, p->wbuf + done, p->wlen - done,
				   (off_t)(p->flushed + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return spool_error(p, errno);
		if (n == 0)
			return ERR_IO;
		done += (size_t)n;
	}
	p->flushed += p->wlen;
	p->wlen = 0;
	return 0;
}

static int spool_append(struct pack_parser *p, const uint8_t *d, size_t n)
{
	while (n) {
		size_t k = MIN(n, SPOOL_WBUF - p->wlen);
		int err;

		memcpy(p->wbuf + p->wlen, d, k);
		p->wlen += k;
		d += k;
		n -= k;
		if (p->wlen == SPOOL_WBUF && (err = spool_flush(p)))
			return err;
	}
	return 0;
}

/* Spools the consumed part of the running feed's input. */
static int spool_sync(struct pack_parser *p)
{
	int err;

	if (p->prm.pack_fd >= 0 || !p->cur_in || p->cur_pos == p->cur_spooled)
		return 0;
	err = spool_append(p, p->cur_in + p->cur_spooled, p->cur_pos - p->cur_spooled);
	p->cur_spooled = p->cur_pos;
	return err;
}

static int spool_read(struct pack_parser *p, uint64_t off, uint8_t *dst, size_t n)
{
	int fd = p->prm.pack_fd >= 0 ? p->prm.pack_fd : p->spool_fd;

	if (p->prm.pack_fd < 0) {
		int err = spool_sync(p);

		if (err)
			return err;
		if (off + n > p->flushed + p->wlen)
			return ERR_IO;
		if (off + n > p->flushed) {
			size_t k = off >= p->flushed ? n : (size_t)(off + n - p->flushed);
			uint64_t woff = off >= p->flushed ? off - p->flushed : 0;

			memcpy(dst + (n - k), p->wbuf + woff, k);
			n -= k;
		}
	}
	while (n) {
		ssize_t r = pread(fd, dst, n, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return ERR_IO;
		dst += r;
		off += (uint64_t)r;
		n -= (size_t)r;
	}
	return 0;
}

/* Re-inflates the zlib stream of entry e (whose inflated size is known)
 * into dst (size bytes) from the raw pack bytes. */
static int reinflate(struct pack_parser *p, uint32_t e, uint8_t *dst, uint64_t size)
{
	const struct pack_entry *x = &p->ents[e];
	uint64_t off = x->offset + x->hdr_len;
	uint64_t end = e + 1 < p->nents ? p->ents[e + 1].offset : p->data_end;
	uint64_t left = size;
	int err, ret;

	if ((err = charge(p, size, 0)))
		return err;
	p->st.base_cache_misses++;
	if (inflateReset(&p->rz) != Z_OK)
		return ERR_INFLATE;
	p->rz.avail_in = 0;
	for (;;) {
		size_t room = (size_t)MIN(left, (uint64_t)WORK_SLICE);
		uInt in_before, out_before;

		if ((err = check_cancel(p)))
			return err;
		if (p->rz.avail_in == 0) {
			size_t n = (size_t)MIN((uint64_t)READ_CHUNK, end > off ? end - off : 0);

			if (!n)
				return ERR_INFLATE;
			if ((err = spool_read(p, off, p->rbuf, n)))
				return err;
			off += n;
			p->rz.next_in = p->rbuf;
			p->rz.avail_in = (uInt)n;
		}
		p->rz.next_out = room ? dst : p->rbuf;
		p->rz.avail_out = (uInt)room;
		in_before = p->rz.avail_in;
		out_before = p->rz.avail_out;
		ret = inflate(&p->rz, Z_NO_FLUSH);
		dst += out_before - p->rz.avail_out;
		left -= out_before - p->rz.avail_out;
		if (ret == Z_STREAM_END)
			return left ? ERR_INFLATE : 0;
		if (ret != Z_OK && ret != Z_BUF_ERROR)
			return ret == Z_MEM_ERROR ? ERR_NOMEM : ERR_INFLATE;
		if (p->rz.avail_in && in_before == p->rz.avail_in && out_before == p->rz.avail_out)
			return ERR_INFLATE;	/* longer than its header said */
	}
}

/* --- reconstruction ---------------------------------------------------------- */

/* Ends a use of c: owned content goes to the cache (with its reservation),
 * borrowed content is unpinned. */
static void content_put(struct pack_parser *p, struct content *c)
{
	if (c->owned)
		cache_insert(p, c->entry, c->data, c->len, true);
	else
		p->pin = NO_ENTRY;
	c->data = NULL;
	c->owned = false;
}

static bool is_delta(const struct pack_entry *x)
{
	return x->raw_type == PACK_OBJ_OFS_DELTA || x->raw_type == PACK_OBJ_REF_DELTA;
}

/* The limits a delta's declared result would break, read from its header
 * before its base is fetched (which may itself cost a rebuild).  Charges
 * nothing; apply_new() does. */
static int delta_precheck(struct pack_parser *p, const uint8_t *delta, size_t dlen)
{
	uint64_t bsz, rsz, want;
	size_t hl;

	if (pack_delta_header(delta, dlen, &bsz, &rsz, &hl))
		return ERR_DELTA;
	if (rsz > p->prm.limits.max_object_bytes || rsz > SIZE_MAX)
		return limit(p, PACK_LIMIT_OBJECT_BYTES);
	return charge_check(p, rsz, 0, &want);
}

/* Applies delta (dlen bytes) to base into a new buffer, owned with its
 * reservation by the caller.  The declared result size is checked against
 * every limit before a byte of it is allocated. */
static int apply_new(struct pack_parser *p, const struct content *base, const uint8_t *delta,
		     size_t dlen, uint8_t **out, size_t *out_len)
{
	uint64_t bsz, rsz;
	size_t hl;
	uint8_t *res;
	int err;

	if (pack_delta_header(delta, dlen, &bsz, &rsz, &hl))
		return ERR_DELTA;
	if (bsz != base->len)
		return ERR_DELTA;
	if (rsz > p->prm.limits.max_object_bytes || rsz > SIZE_MAX)
		return limit(p, PACK_LIMIT_OBJECT_BYTES);
	if ((err = charge(p, rsz, 0)))
		return err;
	if ((err = mem_take(p, (size_t)rsz)))
		return err;
	res = xmalloc((size_t)rsz);
	if (!res) {
		mem_give(p, (size_t)rsz);
		return ERR_NOMEM;
	}
	err = pack_delta_apply_cancelable(base->data, base->len, delta, dlen, res, (size_t)rsz,
					  p->prm.cancel);
	if (err) {
		xfree(res);
		mem_give(p, (size_t)rsz);
		return err;
	}
	*out = res;
	*out_len = (size_t)rsz;
	return 0;
}

static int delta_data_load(struct pack_parser *p, uint32_t e, struct held_buf *b)
{
	uint64_t n = p->ents[e].size;
	int err;

	b->len = 0;
	if (n > SIZE_MAX)
		return ERR_NOMEM;
	if ((err = held_reserve(p, b, (size_t)n)))
		return err;
	if ((err = reinflate(p, e, b->data, n)))
		return err;
	b->len = (size_t)n;
	return 0;
}

/* Content of resolved entry e: borrowed from the cache, or rebuilt from
 * the raw pack bytes along its delta chain (iteratively, no recursion). */
static int content_get(struct pack_parser *p, uint32_t e, struct content *out)
{
	struct content cur = { NULL, 0, 0, false };
	size_t base_of_stack = p->stack_len;
	uint32_t i = e, steps = 0;
	int err = 0;

	while (is_delta(&p->ents[i]) && !p->ents[i].cache) {
		if (++steps > p->prm.limits.max_delta_depth + 1u || p->ents[i].base == NO_ENTRY) {
			err = ERR_DELTA;	/* cannot happen: depths were checked */
			goto fail;
		}
		if ((err = stack_push(p, i)))
			goto fail;
		i = p->ents[i].base;
	}
	if (p->ents[i].cache) {
		struct cache_node *n = &p->cache.nodes[p->ents[i].cache - 1];

		lru_unlink(&p->cache, p->ents[i].cache - 1);
		lru_push_front(&p->cache, p->ents[i].cache - 1);
		cur.data = n->data;
		cur.len = n->len;
		cur.entry = i;
		p->pin = p->ents[i].cache - 1;
	} else {
		uint64_t sz = p->ents[i].size;

		if (sz > SIZE_MAX) {
			err = ERR_NOMEM;
			goto fail;
		}
		/* charged again by reinflate(), reserved here first */
		if ((err = mem_take(p, (size_t)sz)))
			goto fail;
		cur.data = xmalloc((size_t)sz);
		cur.len = (size_t)sz;
		cur.entry = i;
		cur.owned = true;
		if (!cur.data) {
			err = ERR_NOMEM;
			goto fail;
		}
		if ((err = reinflate(p, i, cur.data, sz)))
			goto fail;
	}
	while (p->stack_len > base_of_stack) {
		uint32_t j = p->stack[--p->stack_len];
		struct content next = { NULL, 0, j, true };

		if ((err = delta_data_load(p, j, &p->dbuf2)))
			goto fail;
		if ((err = apply_new(p, &cur, p->dbuf2.data, p->dbuf2.len, &next.data, &next.len)))
			goto fail;
		content_put(p, &cur);
		cur = next;
	}
	held_trim(p, &p->dbuf2);
	*out = cur;
	return 0;
fail:
	p->stack_len = base_of_stack;
	if (cur.owned) {
		xfree(cur.data);
		mem_give(p, cur.len);
	} else if (cur.data) {
		p->pin = NO_ENTRY;
	}
	return err;
}

/* --- reporting ------------------------------------------------------------- */

static int index_oid(struct pack_parser *p, uint32_t e)
{
	uint32_t stored;

	return oidmap_put(&p->byoid, e, &stored);
}

/* Applies the delta data of entry e to its (resolved) base and reports the
 * result.  The base entry is ents[e].base. */
static int resolve_delta(struct pack_parser *p, uint32_t e, const uint8_t *delta, size_t dlen)
{
	struct pack_entry *x = &p->ents[e];
	const struct pack_entry *b = &p->ents[x->base];
	const struct pack_object_sink *s = &p->prm.sink;
	struct pack_object_info info;
	struct content base;
	struct hash_ctx h;
	uint8_t *res = NULL;
	size_t rlen = 0, k;
	int err;

	if (b->depth + 1u > p->prm.limits.max_delta_depth)
		return limit(p, PACK_LIMIT_DELTA_DEPTH);
	if ((err = delta_precheck(p, delta, dlen)))
		return err;
	if ((err = content_get(p, x->base, &base)))
		return err;
	err = apply_new(p, &base, delta, dlen, &res, &rlen);
	content_put(p, &base);
	if (err)
		return err;
	x = &p->ents[e];
	b = &p->ents[x->base];
	x->type = b->type;
	x->depth = b->depth + 1;
	memset(&info, 0, sizeof(info));
	info.type = (enum pack_obj_type)x->type;
	info.size = rlen;
	info.offset = x->offset;
	info.index = e;
	info.delta_depth = x->depth;
	/* hashed and handed over in slices, so a cancellation is seen within
	 * one slice of work however large the result */
	hash_object_begin(&h, p->prm.hash_algo, info.type, rlen);
	for (k = 0; k < rlen; k += WORK_SLICE) {
		if ((err = check_cancel(p)))
			goto out;	/* h holds no resources */
		hash_update(&h, res + k, MIN(WORK_SLICE, rlen - k));
	}
	hash_end(&h, oid_at(p, e));
	if (s->object_begin && (err = s->object_begin(s->ctx, &info)) < 0)
		goto out;
	for (k = 0; s->object_data && k < rlen; k += WORK_SLICE) {
		if ((err = check_cancel(p)))
			goto out;
		if ((err = s->object_data(s->ctx, &info, res + k, MIN(WORK_SLICE, rlen - k))) < 0)
			goto out;
	}
	info.oid_valid = true;
	memcpy(info.oid.id, oid_at(p, e), p->oid_len);
	if (s->object_end && (err = s->object_end(s->ctx, &info)) < 0)
		goto out;
	x->flags = (uint8_t)((x->flags & ~EF_DEFERRED) | EF_RESOLVED);
	if ((err = index_oid(p, e)))
		goto out;
	p->st.objects_done++;
	p->st.deltas++;
	if (x->depth > p->st.max_depth_seen)
		p->st.max_depth_seen = x->depth;
	cache_insert(p, e, res, rlen, false);
	return 0;
out:
	xfree(res);
	mem_give(p, rlen);
	return err;
}

/* A delta whose base is not known yet waits for the end of the pack. */
static int defer(struct pack_parser *p, uint32_t e)
{
	struct pack_entry *x = &p->ents[e];
	uint32_t stored;
	int err;

	x->flags |= EF_DEFERRED;
	p->ndeferred++;
	if (x->raw_type == PACK_OBJ_OFS_DELTA) {
		x->link = p->ents[x->base].children;
		p->ents[x->base].children = e;
		return 0;
	}
	if (p->npend == p->pend_cap) {
		uint32_t nc = p->pend_cap ? p->pend_cap * 2 : 64;
		uint32_t *nh = xrealloc(p->pend_heads, (size_t)nc * sizeof(*nh));
		uint8_t *no;

		if (!nh)
			return ERR_NOMEM;
		p->pend_heads = nh;
		no = xrealloc(p->pend_oids, (size_t)nc * p->oid_len);
		if (!no)
			return ERR_NOMEM;
		p->pend_oids = no;
		p->pend_cap = nc;
	}
	memcpy(p->pend_oids + (size_t)p->npend * p->oid_len, p->ref, p->oid_len);
	if ((err = oidmap_put(&p->pendmap, p->npend, &stored)))
		return err;
	if (stored == p->npend)
		p->pend_heads[p->npend++] = NO_ENTRY;
	x->link = p->pend_heads[stored];
	p->pend_heads[stored] = e;
	return 0;
}

static int push_chain(struct pack_parser *p, uint32_t head, uint32_t base)
{
	int err;

	for (; head != NO_ENTRY; head = p->ents[head].link) {
		if (base != NO_ENTRY)
			p->ents[head].base = base;
		if ((err = stack_push(p, head)))
			return err;
	}
	return 0;
}

/* After the trailer: resolve deferred deltas whose bases are now known,
 * each resolution releasing the deltas that wait on it. */
static int resolve_deferred(struct pack_parser *p)
{
	uint32_t k, b, done = 0;
	int err;

	if (!p->ndeferred)
		return 0;
	p->stack_len = 0;
	for (k = 0; k < p->npend; k++) {
		if (oidmap_get(&p->byoid, p->pend_oids + (size_t)k * p->oid_len, &b)) {
			if ((err = push_chain(p, p->pend_heads[k], b)))
				return err;
			p->pend_heads[k] = NO_ENTRY;
		}
	}
	while (p->stack_len) {
		uint32_t e = p->stack[--p->stack_len];
		size_t keep = p->stack_len;

		if ((err = delta_data_load(p, e, &p->dbuf)))
			return err;
		if ((err = resolve_delta(p, e, p->dbuf.data, p->dbuf.len)))
			return err;
		held_trim(p, &p->dbuf);
		BUG_ON(p->stack_len != keep);
		done++;
		if ((err = push_chain(p, p->ents[e].children, NO_ENTRY)))
			return err;
		p->ents[e].children = NO_ENTRY;
		if (oidmap_get(&p->pendmap, oid_at(p, e), &k) && p->pend_heads[k] != NO_ENTRY) {
			if ((err = push_chain(p, p->pend_heads[k], e)))
				return err;
			p->pend_heads[k] = NO_ENTRY;
		}
	}
	return done == p->ndeferred ? 0 : ERR_BASE_MISSING;
}

/* --- states ------------------------------------------------------------------ */

static int st_header(struct pack_parser *p, const uint8_t *in, size_t len, size_t *pos)
{
	size_t k = MIN(len - *pos, (size_t)(PACK_HDR_BYTES - p->hdr_have));
	uint32_t version;

	memcpy(p->hdr + p->hdr_have, in + *pos, k);
	p->hdr_have += (unsigned)k;
	*pos += k;
	if (p->hdr_have < PACK_HDR_BYTES)
		return 0;
	if (memcmp(p->hdr, "PACK", 4) != 0)
		return ERR_SYNTAX;
	version = (uint32_t)p->hdr[4] << 24 | (uint32_t)p->hdr[5] << 16 |
		  (uint32_t)p->hdr[6] << 8 | p->hdr[7];
	if (version != 2 && version != 3)
		return ERR_UNSUPPORTED;
	p->count = (uint32_t)p->hdr[8] << 24 | (uint32_t)p->hdr[9] << 16 |
		   (uint32_t)p->hdr[10] << 8 | p->hdr[11];
	p->st.objects_declared = p->count;
	if (p->count > p->prm.limits.max_objects)
		return limit(p, PACK_LIMIT_OBJECTS);
	p->state = p->count ? PS_OBJ_HDR : PS_TRAILER;
	p->obj_hdr_bytes = 0;
	return 0;
}

static int entry_add(struct pack_parser *p)
{
	struct pack_entry *x;
	int err;

	if (p->nents == p->ents_cap) {
		uint32_t nc = p->ents_cap ? p->ents_cap * 2 : 256;
		struct pack_entry *ne;
		uint8_t *no;

		if (nc > p->count)
			nc = p->count;
		/* the table is attacker-sized (max_objects), so it is reserved */
		if ((err = mem_take(p, (size_t)(nc - p->ents_cap) * (sizeof(*ne) + p->oid_len))))
			return err;
		ne = xrealloc(p->ents, (size_t)nc * sizeof(*ne));
		if (!ne)
			return ERR_NOMEM;
		p->ents = ne;
		no = xrealloc(p->oids, (size_t)nc * p->oid_len);
		if (!no)
			return ERR_NOMEM;
		p->oids = no;
		p->ents_cap = nc;
	}
	p->cur = p->nents++;
	x = &p->ents[p->cur];
	memset(x, 0, sizeof(*x));
	x->offset = p->obj_off;
	x->size = p->vsize;
	x->base = NO_ENTRY;
	x->link = NO_ENTRY;
	x->children = NO_ENTRY;
	x->raw_type = p->vtype;
	return 0;
}

static int start_data(struct pack_parser *p)
{
	struct pack_entry *x = &p->ents[p->cur];
	const struct pack_object_sink *s = &p->prm.sink;
	int err;

	x->hdr_len = (uint8_t)p->obj_hdr_bytes;
	p->produced = 0;
	if (inflateReset(&p->z) != Z_OK)
		return ERR_INFLATE;
	if (is_delta(x)) {
		p->mode = INF_DELTA;
		p->dbuf.len = 0;
	} else {
		/* One piece (cacheable) only when the budget already covers
		 * it without the stream's credit: bytes that may never come
		 * are not allocated ahead of them. */
		if (x->size <= p->cache.max_obj &&
		    p->st.bytes_inflated <= amp_allowed(p, bytes_seen(p)) &&
		    mem_try(p, (size_t)x->size)) {
			p->mode = INF_DIRECT;
			p->obuf = xmalloc((size_t)x->size);
			if (!p->obuf) {
				mem_give(p, (size_t)x->size);
				return ERR_NOMEM;
			}
		} else {
			p->mode = INF_STREAM;
		}
		memset(&p->info, 0, sizeof(p->info));
		p->info.type = (enum pack_obj_type)x->raw_type;
		p->info.size = x->size;
		p->info.offset = x->offset;
		p->info.index = p->cur;
		hash_object_begin(&p->oh, p->prm.hash_algo, p->info.type, x->size);
		if (s->object_begin && (err = s->object_begin(s->ctx, &p->info)) < 0)
			return err;
	}
	p->state = PS_DATA;
	return 0;
}

/* A delta's base is known: check the depth it would reach. */
static int base_known(struct pack_parser *p, uint32_t b)
{
	struct pack_entry *x = &p->ents[p->cur];

	x->base = b;
	if ((p->ents[b].flags & EF_RESOLVED) &&
	    p->ents[b].depth + 1u > p->prm.limits.max_delta_depth)
		return limit(p, PACK_LIMIT_DELTA_DEPTH);
	return 0;
}

static int obj_header_done(struct pack_parser *p)
{
	int err;

	if (p->vsize > p->prm.limits.max_object_bytes || p->vsize > SIZE_MAX)
		return limit(p, PACK_LIMIT_OBJECT_BYTES);
	/* charged before a byte is inflated; the stream that must follow is
	 * credited at deflate's best ratio and checked exactly at its end */
	if ((err = charge(p, p->vsize, p->vsize / DEFLATE_MAX_RATIO)))
		return err;
	if ((err = entry_add(p)))
		return err;
	if (p->vtype == PACK_OBJ_OFS_DELTA) {
		p->state = PS_OFS;
		p->ofs = 0;
		p->ofs_bytes = 0;
		return 0;
	}
	if (p->vtype == PACK_OBJ_REF_DELTA) {
		p->state = PS_REF;
		p->ref_have = 0;
		return 0;
	}
	return start_data(p);
}

static int st_obj_hdr(struct pack_parser *p, const uint8_t *in, size_t len, size_t *pos)
{
	while (*pos < len) {
		uint8_t c = in[(*pos)++];

		if (p->obj_hdr_bytes++ == 0) {
			int err = check_cancel(p);

			if (err)
				return err;
			p->obj_off = p->call_start + *pos - 1;
			p->vtype = (c >> 4) & 7;
			p->vsize = c & 15;
			p->vshift = 4;
			/* 0 is invalid and 5 reserved (gitformat-pack) */
			if (p->vtype == 0 || p->vtype == 5)
				return ERR_SYNTAX;
		} else {
			uint64_t g = c & 0x7f;

			/* the group must fit in the bits left above vshift */
			if (p->vshift >= 64 || (g << p->vshift) >> p->vshift != g)
				return ERR_OVERFLOW;
			p->vsize |= g << p->vshift;
			p->vshift += 7;
		}
		if (!(c & 0x80)) {
			p->cur_pos = *pos;
			return obj_header_done(p);
		}
	}
	return 0;
}

/* Binary search: entries are in offset order. */
static uint32_t entry_at_offset(const struct pack_parser *p, uint64_t off)
{
	uint32_t lo = 0, hi = p->nents;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (p->ents[mid].offset < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < p->nents && p->ents[lo].offset == off ? lo : NO_ENTRY;
}

static int st_ofs(struct pack_parser *p, const uint8_t *in, size_t len, size_t *pos)
{
	while (*pos < len) {
		uint8_t c = in[(*pos)++];
		uint32_t b;
		int err;

		p->obj_hdr_bytes++;
		if (p->ofs_bytes++ == 0) {
			p->ofs = c & 0x7f;
		} else {
			/* each continuation adds one before shifting (packfile.c),
			 * so every offset has exactly one encoding */
			if (p->ofs >= (UINT64_MAX >> 7))
				return ERR_OVERFLOW;
			p->ofs = ((p->ofs + 1) << 7) | (c & 0x7f);
		}
		if (c & 0x80)
			continue;
		/* the base must start before this object, inside the pack */
		if (p->ofs == 0 || p->ofs >= p->obj_off)
			return ERR_SYNTAX;
		b = entry_at_offset(p, p->obj_off - p->ofs);
		if (b == NO_ENTRY || b == p->cur)
			return ERR_SYNTAX;
		if ((err = base_known(p, b)))
			return err;
		p->cur_pos = *pos;
		return start_data(p);
	}
	return 0;
}

static int st_ref(struct pack_parser *p, const uint8_t *in, size_t len, size_t *pos)
{
	size_t k = MIN(len - *pos, p->oid_len - p->ref_have);
	uint32_t b;
	int err;

	memcpy(p->ref + p->ref_have, in + *pos, k);
	p->ref_have += (unsigned)k;
	p->obj_hdr_bytes += (unsigned)k;
	*pos += k;
	if (p->ref_have < p->oid_len)
		return 0;
	if (oidmap_get(&p->byoid, p->ref, &b) && (err = base_known(p, b)))
		return err;
	p->cur_pos = *pos;
	return start_data(p);
}

/* The object's zlib stream ended with exactly the declared size. */
static int object_done(struct pack_parser *p)
{
	struct pack_entry *x = &p->ents[p->cur];
	const struct pack_object_sink *s = &p->prm.sink;
	int err;

	/* the exact check of the credit given at the header */
	if (p->st.bytes_inflated > amp_allowed(p, bytes_seen(p))) {
		p->st.limit_wanted = p->st.bytes_inflated;
		return limit(p, PACK_LIMIT_AMPLIFICATION);
	}
	if (p->mode == INF_DELTA) {
		if (x->base != NO_ENTRY && (p->ents[x->base].flags & EF_RESOLVED)) {
			err = resolve_delta(p, p->cur, p->dbuf.data, p->dbuf.len);
			held_trim(p, &p->dbuf);
		} else {
			err = defer(p, p->cur);
		}
		if (err)
			return err;
	} else {
		hash_end(&p->oh, oid_at(p, p->cur));
		x->type = x->raw_type;
		x->flags |= EF_RESOLVED;
		p->info.oid_valid = true;
		memcpy(p->info.oid.id, oid_at(p, p->cur), p->oid_len);
		if (s->object_end && (err = s->object_end(s->ctx, &p->info)) < 0)
			return err;
		if ((err = index_oid(p, p->cur)))
			return err;
		p->st.objects_done++;
		if (p->mode == INF_DIRECT) {
			uint8_t *o = p->obuf;

			p->obuf = NULL;
			cache_insert(p, p->cur, o, (size_t)x->size, false);
		}
	}
	if (p->nents == p->count) {
		p->state = PS_TRAILER;
		p->trailer_have = 0;
	} else {
		p->state = PS_OBJ_HDR;
		p->obj_hdr_bytes = 0;
		p->ref_have = 0;
	}
	return 0;
}

static int data_out(struct pack_parser *p, const uint8_t *out, size_t n)
{
	const struct pack_object_sink *s = &p->prm.sink;
	int err;

	if (p->mode == INF_DELTA) {
		p->dbuf.len += n;
		return 0;
	}
	hash_update(&p->oh, out, n);
	if (s->object_data && (err = s->object_data(s->ctx, &p->info, out, n)) < 0)
		return err;
	return 0;
}

static int st_data(struct pack_parser *p, const uint8_t *in, size_t len, size_t *pos)
{
	const uint64_t size = p->ents[p->cur].size;
	uint8_t dummy;
	int err, ret;

	for (;;) {
		uint64_t left = size - p->produced;
		size_t room, in_n = MIN(len - *pos, ZLIB_SLICE), used, got;
		uint8_t *out;

		if ((err = check_cancel(p)))
			return err;
		switch (p->mode) {
		case INF_DIRECT:
			out = p->obuf + p->produced;
			room = (size_t)MIN(left, (uint64_t)WORK_SLICE);
			break;
		case INF_STREAM:
			out = p->scratch;
			room = (size_t)MIN(left, (uint64_t)INFLATE_CHUNK);
			break;
		default:
			if (left && p->dbuf.cap == p->dbuf.len) {
				/* grow towards the declared size, never beyond */
				size_t want = (size_t)MIN(left, (uint64_t)MAX(p->dbuf.cap, (size_t)65536));

				if ((err = held_reserve(p, &p->dbuf, p->dbuf.len + want)))
					return err;
			}
			out = p->dbuf.data ? p->dbuf.data + p->dbuf.len : NULL;
			room = (size_t)MIN(left, (uint64_t)MIN(p->dbuf.cap - p->dbuf.len, WORK_SLICE));
			break;
		}
		p->z.next_in = (uint8_t *)(uintptr_t)(in + *pos);
		p->z.avail_in = (uInt)in_n;
		/* a full buffer still lets zlib reach the end of the stream */
		p->z.next_out = room ? out : &dummy;
		p->z.avail_out = (uInt)room;
		ret = inflate(&p->z, Z_NO_FLUSH);
		used = in_n - p->z.avail_in;
		got = room - p->z.avail_out;
		*pos += used;
		p->produced += got;
		if (got && (err = data_out(p, out, got)))
			return err;
		if (ret == Z_STREAM_END) {
			p->cur_pos = *pos;
			return p->produced == size ? object_done(p) : ERR_SYNTAX;
		}
		if (ret == Z_MEM_ERROR)
			return ERR_NOMEM;
		if (ret != Z_OK && ret != Z_BUF_ERROR)
			return ERR_INFLATE;
		if (*pos == len)
			return 0;
		if (!used && !got)
			/* stuck with input left: the output is full, so the
			 * stream holds more than the header's size */
			return p->produced == size ? ERR_SYNTAX : ERR_INFLATE;
	}
}

static int st_trailer(struct pack_parser *p, const uint8_t *in, size_t len, size_t *pos)
{
	size_t k = MIN(len - *pos, p->oid_len - p->trailer_have);
	uint8_t sum[PACK_OID_MAX];
	int err;

	memcpy(p->trailer + p->trailer_have, in + *pos, k);
	p->trailer_have += (unsigned)k;
	*pos += k;
	if (p->trailer_have < p->oid_len)
		return 0;
	hash_end(&p->ph, sum);
	if (memcmp(sum, p->trailer, p->oid_len) != 0)
		return ERR_CHECKSUM;
	p->cur_pos = *pos;
	if ((err = resolve_deferred(p)))
		return err;
	p->state = PS_DONE;
	return 0;
}

/* --- decoder interface -------------------------------------------------------- */

static void parser_fail(struct pack_parser *p, int err)
{
	if (p->hashing) {
		hash_end(&p->ph, p->trailer);
		p->hashing = false;
	}
	if (p->state == PS_DATA && p->mode != INF_DELTA) {
		uint8_t tmp[PACK_OID_MAX];

		hash_end(&p->oh, tmp);
	}
	p->state = PS_FAILED;
	p->err = err;
}

/* The buffers every pack needs, reserved and allocated at the first feed
 * (not at init) so that a spent budget is reported like any other limit. */
static int fixed_buffers(struct pack_parser *p)
{
	bool spool = p->prm.pack_fd < 0;
	int err;

	if (p->fixed_ready)
		return 0;
	if ((err = mem_take(p, INFLATE_CHUNK + READ_CHUNK + 2 * ZLIB_STREAM_BYTES +
			    (spool ? SPOOL_WBUF : 0))))
		return err;
	p->fixed_ready = true;	/* the reservation is returned at release */
	p->scratch = xmalloc(INFLATE_CHUNK);
	p->rbuf = xmalloc(READ_CHUNK);
	if (spool)
		p->wbuf = xmalloc(SPOOL_WBUF);
	if (!p->scratch || !p->rbuf || (spool && !p->wbuf))
		return ERR_NOMEM;
	return 0;
}

static struct dec_result parser_feed(struct pack_parser *p, const uint8_t *in, size_t len)
{
	size_t pos = 0, avail = len;
	struct dec_result r;
	int err = 0;

	if (p->state == PS_DONE || p->state == PS_FAILED)
		return dec_err(ERR_STATE, 0);
	if ((err = check_cancel(p)) || (err = fixed_buffers(p))) {
		parser_fail(p, err);
		return dec_err(err, 0);
	}
	if (p->prm.pack_fd < 0) {
		uint64_t room = p->prm.limits.spool_bytes > p->st.bytes_in ?
				p->prm.limits.spool_bytes - p->st.bytes_in : 0;

		if ((uint64_t)len > room)
			avail = (size_t)room;
	}
	p->cur_in = in;
	p->cur_pos = 0;
	p->cur_spooled = 0;
	p->cur_hashed = 0;
	p->call_start = p->st.bytes_in;
	while (pos < avail && !err && p->state != PS_DONE) {
		switch (p->state) {
		case PS_HEADER:
			err = st_header(p, in, avail, &pos);
			break;
		case PS_OBJ_HDR:
			err = st_obj_hdr(p, in, avail, &pos);
			break;
		case PS_OFS:
			err = st_ofs(p, in, avail, &pos);
			break;
		case PS_REF:
			err = st_ref(p, in, avail, &pos);
			break;
		case PS_DATA:
			p->cur_pos = pos;
			err = st_data(p, in, avail, &pos);
			break;
		case PS_TRAILER:
			err = st_trailer(p, in, avail, &pos);
			break;
		default:
			BUG_ON(1);
		}
		p->cur_pos = pos;
		if (p->hashing && p->state == PS_TRAILER) {
			/* the checksum covers everything before the trailer */
			hash_update(&p->ph, in + p->cur_hashed, pos - p->cur_hashed);
			p->cur_hashed = pos;
			p->hashing = false;
			p->data_end = p->call_start + pos;
		}
	}
	p->cur_pos = pos;
	if (p->hashing) {
		hash_update(&p->ph, in + p->cur_hashed, pos - p->cur_hashed);
		p->cur_hashed = pos;
	}
	if (!err)
		err = spool_sync(p);
	p->st.bytes_in += pos;
	p->cur_in = NULL;
	if (!err && p->state != PS_DONE && avail < len)
		err = limit(p, PACK_LIMIT_SPOOL_BYTES);
	if (err) {
		parser_fail(p, err);
		return dec_err(err, pos);
	}
	if (p->state == PS_DONE)
		return dec_ok(DEC_STOP, pos);
	r = dec_ok(DEC_MORE, pos);
	if (p->state == PS_HEADER)
		r.needed = PACK_HDR_BYTES - p->hdr_have;
	else if (p->state == PS_TRAILER)
		r.needed = p->oid_len - p->trailer_have;
	return r;
}

static struct dec_result parser_finish(struct pack_parser *p)
{
	if (p->state == PS_DONE)
		return dec_ok(DEC_STOP, 0);
	if (p->state == PS_FAILED)
		return dec_err(p->err, 0);
	parser_fail(p, ERR_TRUNCATED);
	return dec_err(ERR_TRUNCATED, 0);
}

static void parser_release(struct pack_parser *p)
{
	if (p->hashing) {
		uint8_t tmp[PACK_OID_MAX];

		hash_end(&p->ph, tmp);
		p->hashing = false;
	}
	if (p->z_live)
		inflateEnd(&p->z);
	if (p->rz_live)
		inflateEnd(&p->rz);
	p->z_live = p->rz_live = false;
	xfree(p->obuf);
	xfree(p->scratch);
	xfree(p->rbuf);
	xfree(p->wbuf);
	xfree(p->dbuf.data);
	xfree(p->dbuf2.data);
	memset(&p->dbuf, 0, sizeof(p->dbuf));
	memset(&p->dbuf2, 0, sizeof(p->dbuf2));
	xfree(p->stack);
	xfree(p->ents);
	xfree(p->oids);
	xfree(p->pend_heads);
	xfree(p->pend_oids);
	oidmap_release(&p->byoid);
	oidmap_release(&p->pendmap);
	cache_release(&p->cache);
	if (p->spool_fd >= 0)
		close(p->spool_fd);
	/* every reservation at once: each buffer above held its share */
	if (p->prm.limits.memory && p->held)
		membudget_give(p->prm.limits.memory, p->held);
	p->held = 0;
	p->fixed_ready = false;
	p->obuf = p->scratch = p->rbuf = p->wbuf = p->oids = p->pend_oids = NULL;
	p->stack = NULL;
	p->ents = NULL;
	p->pend_heads = NULL;
	p->spool_fd = -1;
}

static int parser_init(struct pack_parser *p, const struct pack_params *prm)
{
	memset(p, 0, sizeof(*p));
	p->spool_fd = -1;
	if (!prm)
		return ERR_USAGE;
	p->prm = *prm;
	p->oid_len = pack_oid_len(prm->hash_algo);
	p->state = PS_HEADER;
	p->pin = NO_ENTRY;
	oidmap_init(&p->byoid, p->oid_len, byoid_key, p);
	oidmap_init(&p->pendmap, p->oid_len, pend_key, p);
	p->cache.head = p->cache.tail = p->cache.free_head = NO_ENTRY;
	p->cache.max_bytes = prm->limits.base_cache_bytes;
	/* one object may take a quarter of the cache, so a large blob
	 * cannot flush every base of the chains around it */
	p->cache.max_obj = prm->limits.base_cache_bytes / 4;
	if (inflateInit(&p->z) != Z_OK)
		goto nomem;
	p->z_live = true;
	if (inflateInit(&p->rz) != Z_OK)
		goto nomem;
	p->rz_live = true;
	hash_begin(&p->ph, prm->hash_algo);
	p->hashing = true;
	return 0;
nomem:
	parser_release(p);
	return ERR_NOMEM;
}

static int dec_init(void *ctx, const void *params)
{
	return parser_init(ctx, params);
}

static struct dec_result dec_feed(void *ctx, const uint8_t *in, size_t len,
				  const struct dec_sink *sink)
{
	UNUSED(sink);
	return parser_feed(ctx, in, len);
}

static struct dec_result dec_finish(void *ctx, const struct dec_sink *sink)
{
	UNUSED(sink);
	return parser_finish(ctx);
}

static void dec_release(void *ctx)
{
	parser_release(ctx);
}

const struct decoder_type pack_decoder = {
	.name = "pack",
	.phase = DEC_PHASE_OBJECT,
	.flags = DEC_FLAG_BLOWUP,
	.ctx_size = sizeof(struct pack_parser),
	.init = dec_init,
	.feed = dec_feed,
	.finish = dec_finish,
	.release = dec_release,
};

int pack_parser_new(const struct pack_params *params, struct pack_parser **out)
{
	struct pack_parser *p = xmalloc(sizeof(*p));
	int err;

	*out = NULL;
	if (!p)
		return ERR_NOMEM;
	if ((err = parser_init(p, params))) {
		xfree(p);
		return err;
	}
	*out = p;
	return 0;
}

struct dec_result pack_parser_feed(struct pack_parser *p, const uint8_t *in, size_t len)
{
	return parser_feed(p, in, len);
}

struct dec_result pack_parser_finish(struct pack_parser *p)
{
	return parser_finish(p);
}

void pack_parser_stats(const struct pack_parser *p, struct pack_stats *out)
{
	*out = p->st;
}

void pack_parser_free(struct pack_parser *p)
{
	if (!p)
		return;
	parser_release(p);
	xfree(p);
}

void pack_limits_default(struct pack_limits *l)
{
	l->max_objects = LIMIT_PACK_OBJECTS_DEFAULT;
	l->max_object_bytes = LIMIT_OBJECT_BYTES_DEFAULT;
	l->max_delta_depth = LIMIT_DELTA_DEPTH_DEFAULT;
	l->base_cache_bytes = LIMIT_BASE_CACHE_BYTES;
	l->spool_bytes = LIMIT_SPOOL_BYTES_DEFAULT;
	l->inflate_total = LIMIT_INFLATE_TOTAL_DEFAULT;
	l->amplification_ratio = LIMIT_AMPLIFICATION_RATIO;
	l->amplification_slack = LIMIT_AMPLIFICATION_SLACK;
	l->memory = NULL;
}

size_t pack_oid_len(enum pack_hash_algo algo)
{
	return algo == PACK_HASH_SHA256 ? 32 : 20;
}

void pack_oid_hex(const struct pack_oid *oid, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[oid->id[i] >> 4];
		out[2 * i + 1] = hex[oid->id[i] & 15];
	}
	out[2 * len] = '\0';
}
