/*
 * auth.c - HTTP Basic credentials (RFC 7617) against DATA/users:
 * PBKDF2-HMAC-SHA256 (RFC 8018 §5.2), a verified-credential cache, a
 * per-client failure limiter and a process-wide hash rate.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/base/limits.h"
#include "netproxy/auth.h"
#include "netproxy/pwhash.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/base64.h>

#define AUTH_SCHEME "$pbkdf2-sha256$"
/* PBKDF2 output and cache tag: one SHA-256 output. */
#define AUTH_KEY_BYTES PWHASH_BYTES
/* base64 of LIMIT_AUTH_SALT_BYTES_MAX bytes, with padding, plus NUL. */
#define AUTH_B64_CAP (((LIMIT_AUTH_SALT_BYTES_MAX + 2) / 3) * 4 + 1)

struct auth_user {
	char name[AUTH_NAME_CAP];		/* valid per auth_name_valid() */
	unsigned iterations;			/* within the LIMIT_AUTH_PBKDF2_ITER_* range */
	uint8_t salt[LIMIT_AUTH_SALT_BYTES_MAX];
	size_t salt_len;			/* LIMIT_AUTH_SALT_BYTES_MIN..MAX */
	uint8_t key[AUTH_KEY_BYTES];		/* PBKDF2 output */
};

struct user_table {
	struct auth_user *v;			/* owned */
	size_t n, cap;
};

/* What identifies one version of DATA/users; absent when it is missing. */
struct file_id {
	bool present;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct cache_entry {
	uint8_t tag[AUTH_KEY_BYTES];		/* HMAC of the Authorization value */
	char user[AUTH_NAME_CAP];
	uint64_t expires;			/* 0: slot unused */
};

struct fail_entry {
	uint8_t client[16];			/* IPv6, IPv4-mapped, or the /64 */
	uint64_t window_start;			/* first failure of the window */
	unsigned count;				/* failures in the window; 0: unused */
};

struct auth {
	pthread_mutex_t lock;			/* guards everything below */
	char path[1100];			/* DATA/users */
	enum auth_mode mode;
	struct user_table users;		/* last good table */
	struct file_id loaded;			/* the file the table came from */
	struct file_id rejected;		/* a bad version already reported */
	uint64_t generation;			/* bumped at every table change */
	struct auth_user dummy;			/* hashed for unknown names (AUTH_GATE) */
	uint8_t cache_key[AUTH_KEY_BYTES];	/* random per process */
	struct cache_entry cache[LIMIT_AUTH_CACHE_ENTRIES];
	struct fail_entry fails[LIMIT_AUTH_FAILURE_CLIENTS];
	uint64_t rate_second;			/* second rate_used counts in */
	unsigned rate_used;			/* slow hashes begun in that second */
	uint64_t (*now)(void);			/* monotonic seconds */
};

static uint64_t monotonic_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

static int random_bytes(void *out, size_t n)
{
	uint8_t *p = out;

	while (n) {
		ssize_t got = getrandom(p, n, 0);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

static bool derive(const char *password, size_t len, const struct auth_user *u,
		   uint8_t out[AUTH_KEY_BYTES])
{
	return pwhash_pbkdf2_sha256(password, len, u->salt, u->salt_len, u->iterations, out);
}

/* --- names, base64, one line ------------------------------------------------ */

bool auth_name_valid(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > LIMIT_AUTH_NAME_BYTES)
		return false;
	for (i = 0; i < n; i++) {
		char ch = name[i];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			     (ch >= '0' && ch <= '9');

		if (!alnum && (i == 0 || (ch != '.' && ch != '_' && ch != '-')))
			return false;
	}
	return true;
}

/* Strict base64 with padding: only the alphabet, a length that is a
 * multiple of four, and a result of lo..hi bytes. */
static bool b64_decode(const char *s, size_t n, uint8_t *out, size_t lo, size_t hi, size_t *len)
{
	size_t i;

	if (n == 0 || n % 4 != 0)
		return false;
	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		      ch == '+' || ch == '/' || (ch == '=' && i >= n - 2)))
			return false;
	}
	if (mbedtls_base64_decode(out, hi, len, (const unsigned char *)s, n) != 0)
		return false;
	return *len >= lo && *len <= hi;
}

/* Parses `name:$pbkdf2-sha256$iter$salt$key`; NULL or what is wrong. */
static const char *parse_line(const char *line, size_t n, struct auth_user *u)
{
	const char *colon = memchr(line, ':', n), *p, *end = line + n, *dollar;
	char name[AUTH_NAME_CAP];
	unsigned long iter = 0;
	size_t klen;

	memset(u, 0, sizeof(*u));
	if (!colon)
		return "expected name:hash";
	if ((size_t)(colon - line) > LIMIT_AUTH_NAME_BYTES)
		return "user name too long";
	snprintf(name, sizeof(name), "%.*s", (int)(colon - line), line);
	if (!auth_name_valid(name))
		return "invalid user name (letters, digits, '.', '_', '-'; a letter or digit first)";
	memcpy(u->name, name, sizeof(name));
	p = colon + 1;
	if ((size_t)(end - p) < strlen(AUTH_SCHEME) || memcmp(p, AUTH_SCHEME, strlen(AUTH_SCHEME)) != 0)
		return "hash is not $pbkdf2-sha256$";
	p += strlen(AUTH_SCHEME);
	for (dollar = p; dollar < end && *dollar >= '0' && *dollar <= '9' && dollar - p < 8; dollar++)
		iter = iter * 10 + (unsigned long)(*dollar - '0');
	if (dollar == p || dollar >= end || *dollar != '$')
		return "iteration count is not a number";
	if (iter < LIMIT_AUTH_PBKDF2_ITER_MIN || iter > LIMIT_AUTH_PBKDF2_ITER_MAX)
		return "iteration count out of range";
	u->iterations = (unsigned)iter;
	p = dollar + 1;
	dollar = memchr(p, '$', (size_t)(end - p));
	if (!dollar || !b64_decode(p, (size_t)(dollar - p), u->salt, LIMIT_AUTH_SALT_BYTES_MIN,
				   LIMIT_AUTH_SALT_BYTES_MAX, &u->salt_len))
		return "salt is not base64 of 8 to 64 bytes";
	p = dollar + 1;
	if (!b64_decode(p, (size_t)(end - p), u->key, AUTH_KEY_BYTES, AUTH_KEY_BYTES, &klen))
		return "key is not base64 of 32 bytes";
	return NULL;
}

/* Calls fn for every line of text (without its LF and a CR before it),
 * with its 1-based number; stops at the first non-zero result. */
static int each_line(const uint8_t *text, size_t len,
		     int (*fn)(void *arg, const char *line, size_t n, unsigned no), void *arg)
{
	size_t off = 0;
	unsigned no = 0;
	int err = 0;

	while (off < len && !err) {
		const uint8_t *lf = memchr(text + off, '\n', len - off);
		size_t n = lf ? (size_t)(lf - (text + off)) : len - off;
		size_t m = n;

		if (m && text[off + m - 1] == '\r')
			m--;
		err = fn(arg, (const char *)text + off, m, ++no);
		off += n + (lf ? 1 : 0);
	}
	return err;
}

static bool is_blank_or_comment(const char *line, size_t n)
{
	return n == 0 || line[0] == '#';
}

struct parse_ctx {
	const char *path;
	struct user_table *t;
	struct buf *msg;
};

static int parse_one(void *arg, const char *line, size_t n, unsigned no)
{
	struct parse_ctx *pc = arg;
	struct auth_user u;
	const char *why;
	size_t i;

	if (n > LIMIT_AUTH_LINE_BYTES) {
		buf_printf(pc->msg, "%s:%u: line longer than %u bytes", pc->path, no,
			   LIMIT_AUTH_LINE_BYTES);
		return ERR_LIMIT;
	}
	if (is_blank_or_comment(line, n))
		return 0;
	why = parse_line(line, n, &u);
	if (why) {
		buf_printf(pc->msg, "%s:%u: %s", pc->path, no, why);
		return ERR_SYNTAX;
	}
	for (i = 0; i < pc->t->n; i++)
		if (strcmp(pc->t->v[i].name, u.name) == 0) {
			buf_printf(pc->msg, "%s:%u: user '%s' appears twice", pc->path, no, u.name);
			return ERR_SYNTAX;
		}
	if (pc->t->n >= LIMIT_AUTH_USERS) {
		buf_printf(pc->msg, "%s:%u: more than %u users", pc->path, no, LIMIT_AUTH_USERS);
		return ERR_LIMIT;
	}
	if (array_reserve(&pc->t->v, &pc->t->cap, pc->t->n, sizeof(u), 16) != 0)
		return ERR_NOMEM;
	pc->t->v[pc->t->n++] = u;
	return 0;
}

static void table_release(struct user_table *t)
{
	if (t->v)
		explicit_bzero(t->v, t->cap * sizeof(*t->v));
	xfree(t->v);
	memset(t, 0, sizeof(*t));
}

static const struct auth_user *table_find(const struct user_table *t, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strlen(t->v[i].name) == n && memcmp(t->v[i].name, name, n) == 0)
			return &t->v[i];
	return NULL;
}

static void file_id_of(const struct stat *st, struct file_id *id)
{
	memset(id, 0, sizeof(*id));
	id->present = true;
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->mtime = st->st_mtim;
}

static bool file_id_same(const struct file_id *a, const struct file_id *b)
{
	if (a->present != b->present)
		return false;
	return !a->present || (a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
			       a->mtime.tv_sec == b->mtime.tv_sec &&
			       a->mtime.tv_nsec == b->mtime.tv_nsec);
}

/* Reads and parses path.  A missing file is an empty table with
 * id->present false.  text (optional) receives the raw bytes. */
static int load_file(const char *path, struct user_table *t, struct file_id *id, struct buf *text,
		     struct buf *msg)
{
	struct buf raw;
	struct stat st;
	struct parse_ctx pc = { path, t, msg };
	int fd, err = 0;

	memset(t, 0, sizeof(*t));
	memset(id, 0, sizeof(*id));
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		err = -errno;
		buf_printf(msg, "%s: %s", path, strerror(errno));
		return err;
	}
	if (fstat(fd, &st) != 0) {
		err = -errno;
		buf_printf(msg, "%s: %s", path, strerror(errno));
		close(fd);
		return err;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		buf_printf(msg, "%s: must be a regular file writable only by its owner (chmod 600)",
			   path);
		close(fd);
		return ERR_UNSUPPORTED;
	}
	if (st.st_size > (off_t)LIMIT_AUTH_FILE_BYTES) {
		buf_printf(msg, "%s: larger than %u bytes", path, LIMIT_AUTH_FILE_BYTES);
		close(fd);
		return ERR_LIMIT;
	}
	/* Room for one more read than the limit, so a file that grew after
	 * fstat() is noticed rather than cut. */
	buf_init(&raw, LIMIT_AUTH_FILE_BYTES + 4096);
	for (;;) {
		ssize_t got;

		if ((err = buf_reserve(&raw, 4096)) != 0)
			break;
		got = read(fd, raw.data + raw.len, raw.cap - raw.len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			err = -errno;
			break;
		}
		if (got == 0)
			break;
		raw.len += (size_t)got;
	}
	close(fd);
	if (!err && raw.len > LIMIT_AUTH_FILE_BYTES)
		err = ERR_LIMIT;
	if (err == ERR_LIMIT)
		buf_printf(msg, "%s: larger than %u bytes", path, LIMIT_AUTH_FILE_BYTES);
	else if (err)
		buf_printf(msg, "%s: %s", path, err_str(err));
	if (!err)
		err = each_line(raw.data, raw.len, parse_one, &pc);
	if (!err) {
		file_id_of(&st, id);
		if (text) {
			err = buf_append(text, raw.data ? raw.data : (const uint8_t *)"", raw.len);
			if (err)
				buf_printf(msg, "%s: %s", path, err_str(err));
		}
	}
	if (raw.data)
		explicit_bzero(raw.data, raw.cap);
	buf_release(&raw);
	if (err)
		table_release(t);
	return err;
}

/* --- the server side ------------------------------------------------------ */

int auth_new(const char *users_path, enum auth_mode mode, struct auth **out, struct buf *msg)
{
	struct auth *a;
	int err;

	*out = NULL;
	a = xcalloc(1, sizeof(*a));
	if (!a)
		return ERR_NOMEM;
	if (strlen(users_path) >= sizeof(a->path)) {
		xfree(a);
		buf_printf(msg, "%s: path too long", users_path);
		return ERR_LIMIT;
	}
	snprintf(a->path, sizeof(a->path), "%s", users_path);
	a->mode = mode;
	a->now = monotonic_sec;
	a->dummy.iterations = LIMIT_AUTH_PBKDF2_ITER_DEFAULT;
	a->dummy.salt_len = LIMIT_AUTH_SALT_BYTES;
	if ((err = random_bytes(a->cache_key, sizeof(a->cache_key))) != 0 ||
	    (err = random_bytes(a->dummy.salt, a->dummy.salt_len)) != 0 ||
	    (err = random_bytes(a->dummy.key, sizeof(a->dummy.key))) != 0) {
		buf_printf(msg, "getrandom: %s", err_str(err));
		xfree(a);
		return err;
	}
	err = load_file(a->path, &a->users, &a->loaded, NULL, msg);
	if (err) {
		xfree(a);
		return err;
	}
	pthread_mutex_init(&a->lock, NULL);
	*out = a;
	return 0;
}

void auth_free(struct auth *a)
{
	if (!a)
		return;
	table_release(&a->users);
	pthread_mutex_destroy(&a->lock);
	explicit_bzero(a, sizeof(*a));
	xfree(a);
}

void auth_clock_set(struct auth *a, uint64_t (*now_sec)(void))
{
	a->now = now_sec ? now_sec : monotonic_sec;
}

/* Under a->lock: re-reads DATA/users when it changed.  The caller holds
 * the lock, so the event loops wait for one small file read; that only
 * happens once per change. */
static void refresh_locked(struct auth *a)
{
	struct file_id now_id;
	struct user_table t;
	struct stat st;
	struct buf msg;
	int err;

	memset(&now_id, 0, sizeof(now_id));
	if (lstat(a->path, &st) == 0)
		file_id_of(&st, &now_id);
	if (file_id_same(&now_id, &a->loaded) || (now_id.present && file_id_same(&now_id, &a->rejected)))
		return;
	buf_init(&msg, 4096);
	err = load_file(a->path, &t, &now_id, NULL, &msg);
	if (err) {
		fprintf(stderr, "sluice: %.*s; keeping the previous users\n", (int)msg.len, msg.data);
		a->rejected = now_id;
		if (lstat(a->path, &st) == 0)
			file_id_of(&st, &a->rejected);
	} else {
		table_release(&a->users);
		a->users = t;
		a->loaded = now_id;
		a->generation++;
		memset(a->cache, 0, sizeof(a->cache));
		fprintf(stderr, "sluice: %s: %zu user%s loaded\n", a->path, t.n, t.n == 1 ? "" : "s");
	}
	buf_release(&msg);
}

size_t auth_user_count(struct auth *a)
{
	size_t n;

	pthread_mutex_lock(&a->lock);
	refresh_locked(a);
	n = a->users.n;
	pthread_mutex_unlock(&a->lock);
	return n;
}

static bool cache_find_locked(struct auth *a, const uint8_t tag[AUTH_KEY_BYTES], uint64_t now,
			      char *user_out, size_t cap)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(a->cache); i++) {
		struct cache_entry *e = &a->cache[i];

		if (e->expires == 0)
			continue;
		if (e->expires <= now) {
			memset(e, 0, sizeof(*e));
			continue;
		}
		if (pwhash_equal(e->tag, tag, AUTH_KEY_BYTES)) {
			snprintf(user_out, cap, "%s", e->user);
			return true;
		}
	}
	return false;
}

/* Takes a free slot, else the one that expires first. */
static void cache_put_locked(struct auth *a, const uint8_t tag[AUTH_KEY_BYTES], const char *user,
			     uint64_t now)
{
	struct cache_entry *slot = &a->cache[0];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(a->cache); i++) {
		if (a->cache[i].expires <= now) {
			slot = &a->cache[i];
			break;
		}
		if (a->cache[i].expires < slot->expires)
			slot = &a->cache[i];
	}
	memcpy(slot->tag, tag, AUTH_KEY_BYTES);
	snprintf(slot->user, sizeof(slot->user), "%s", user);
	slot->expires = now + LIMIT_AUTH_CACHE_TTL_SEC;
}

/* The limiter's key: an IPv6 address counts per /64 (one host usually
 * holds a whole /64), IPv4 per address. */
static void client_key(const char *client, uint8_t key[16])
{
	struct in_addr v4;

	memset(key, 0, 16);
	if (client && inet_pton(AF_INET6, client, key) == 1) {
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

		if (memcmp(key, mapped, sizeof(mapped)) != 0)
			memset(key + 8, 0, 8);
	} else if (client && inet_pton(AF_INET, client, &v4) == 1) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &v4, 4);
	} else if (client) {
		memcpy(key, client, MIN(strlen(client), (size_t)16));
	}
}

static struct fail_entry *fail_find_locked(struct auth *a, const uint8_t key[16], uint64_t now)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(a->fails); i++) {
		struct fail_entry *f = &a->fails[i];

		if (f->count && now - f->window_start >= LIMIT_AUTH_FAILURE_WINDOW_SEC)
			memset(f, 0, sizeof(*f));
		if (f->count && memcmp(f->client, key, 16) == 0)
			return f;
	}
	return NULL;
}

static bool throttled_locked(struct auth *a, const uint8_t key[16], uint64_t now)
{
	const struct fail_entry *f = fail_find_locked(a, key, now);

	return f && f->count >= LIMIT_AUTH_FAILURES;
}

/* Counts one failure; a full table gives up its oldest window. */
static void fail_note_locked(struct auth *a, const uint8_t key[16], uint64_t now)
{
	struct fail_entry *f = fail_find_locked(a, key, now);
	size_t i;

	if (!f) {
		f = &a->fails[0];
		for (i = 0; i < ARRAY_SIZE(a->fails); i++) {
			if (a->fails[i].count == 0) {
				f = &a->fails[i];
				break;
			}
			if (a->fails[i].window_start < f->window_start)
				f = &a->fails[i];
		}
		memcpy(f->client, key, 16);
		f->window_start = now;
		f->count = 0;
	}
	if (f->count < UINT32_MAX)
		f->count++;
}

/* "Basic" SP+ token (RFC 7617 §2; the scheme is case-insensitive). */
static bool basic_token(const char *value, size_t len, const char **tok, size_t *tok_len)
{
	size_t i = 5;

	if (len < 6 || strncasecmp(value, "Basic", 5) != 0 || (value[5] != ' ' && value[5] != '\t'))
		return false;
	while (i < len && (value[i] == ' ' || value[i] == '\t'))
		i++;
	while (len > i && (value[len - 1] == ' ' || value[len - 1] == '\t'))
		len--;
	*tok = value + i;
	*tok_len = len - i;
	return *tok_len > 0;
}

enum auth_result auth_verify_basic(struct auth *a, const char *client, const char *value,
				   size_t len, char *user_out, size_t cap)
{
	uint8_t tag[AUTH_KEY_BYTES], key[16], derived[AUTH_KEY_BYTES];
	uint8_t cred[LIMIT_AUTH_HEADER_BYTES];
	const struct auth_user *found;
	struct auth_user u;
	const char *tok, *colon;
	size_t tok_len, n = 0, name_len, pw_len;
	enum auth_result res;
	uint64_t now, generation;
	bool match, counts = a->mode == AUTH_GATE;

	if (cap)
		user_out[0] = '\0';
	if (!value || !basic_token(value, len, &tok, &tok_len))
		return AUTH_NO_CREDENTIAL;
	client_key(client, key);
	if (len > LIMIT_AUTH_HEADER_BYTES || cap < AUTH_NAME_CAP ||
	    !pwhash_hmac_sha256(a->cache_key, sizeof(a->cache_key), value, len, tag)) {
		res = AUTH_REFUSED;
		goto fail;
	}
	pthread_mutex_lock(&a->lock);
	refresh_locked(a);
	now = a->now();
	if (cache_find_locked(a, tag, now, user_out, cap)) {
		pthread_mutex_unlock(&a->lock);
		return AUTH_VERIFIED;
	}
	pthread_mutex_unlock(&a->lock);

	res = AUTH_REFUSED;
	if (mbedtls_base64_decode(cred, sizeof(cred), &n, (const uint8_t *)tok, tok_len) != 0)
		goto fail;
	colon = memchr(cred, ':', n);
	if (!colon)
		goto fail;
	name_len = (size_t)(colon - (const char *)cred);
	pw_len = n - name_len - 1;
	if (name_len == 0 || name_len > LIMIT_AUTH_NAME_BYTES || pw_len == 0 ||
	    pw_len > LIMIT_AUTH_PASSWORD_BYTES)
		goto fail;

	pthread_mutex_lock(&a->lock);
	now = a->now();
	if (throttled_locked(a, key, now)) {
		pthread_mutex_unlock(&a->lock);
		res = AUTH_THROTTLED;
		goto out;
	}
	found = table_find(&a->users, (const char *)cred, name_len);
	if (!found && a->mode == AUTH_ADVISORY) {
		pthread_mutex_unlock(&a->lock);
		goto out;
	}
	counts = true;
	if (a->rate_second != now) {
		a->rate_second = now;
		a->rate_used = 0;
	}
	if (a->rate_used >= LIMIT_AUTH_HASHES_PER_SEC) {
		pthread_mutex_unlock(&a->lock);
		res = AUTH_BUSY;
		goto out;
	}
	a->rate_used++;
	u = found ? *found : a->dummy;
	generation = a->generation;
	pthread_mutex_unlock(&a->lock);

	match = derive(colon + 1, pw_len, &u, derived) &&
		pwhash_equal(derived, u.key, AUTH_KEY_BYTES) && found;
	explicit_bzero(derived, sizeof(derived));
	explicit_bzero(&u, sizeof(u));
	if (match) {
		snprintf(user_out, cap, "%.*s", (int)name_len, (const char *)cred);
		pthread_mutex_lock(&a->lock);
		/* A table changed during the hash may have dropped the user:
		 * the answer stands for this request, but is not cached. */
		if (generation == a->generation)
			cache_put_locked(a, tag, user_out, now);
		pthread_mutex_unlock(&a->lock);
		res = AUTH_VERIFIED;
		goto out;
	}
fail:
	if (counts) {
		pthread_mutex_lock(&a->lock);
		fail_note_locked(a, key, a->now());
		pthread_mutex_unlock(&a->lock);
	}
out:
	explicit_bzero(cred, sizeof(cred));
	return res;
}

/* --- DATA/users management -------------------------------------------------- */

int auth_password_generate(char *out, size_t cap)
{
	static const char alphabet[] =
		"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	uint8_t r[64];
	size_t n = 0, i;
	int err;

	if (cap <= LIMIT_AUTH_GENERATED_CHARS)
		return ERR_USAGE;
	while (n < LIMIT_AUTH_GENERATED_CHARS) {
		if ((err = random_bytes(r, sizeof(r))) != 0)
			return err;
		/* 248 = 4 * 62: bytes above it are dropped so that every
		 * character is equally likely. */
		for (i = 0; i < sizeof(r) && n < LIMIT_AUTH_GENERATED_CHARS; i++)
			if (r[i] < 248)
				out[n++] = alphabet[r[i] % 62];
	}
	out[n] = '\0';
	explicit_bzero(r, sizeof(r));
	return 0;
}

int auth_hash_line(const char *name, const char *password, unsigned iterations,
		   struct buf *line)
{
	struct auth_user u;
	char salt[AUTH_B64_CAP], key[AUTH_B64_CAP];
	size_t pw_len = strlen(password), n;
	int err;

	if (iterations == 0)
		iterations = LIMIT_AUTH_PBKDF2_ITER_DEFAULT;
	if (!auth_name_valid(name) || pw_len == 0 || pw_len > LIMIT_AUTH_PASSWORD_BYTES ||
	    iterations < LIMIT_AUTH_PBKDF2_ITER_MIN || iterations > LIMIT_AUTH_PBKDF2_ITER_MAX)
		return ERR_USAGE;
	memset(&u, 0, sizeof(u));
	u.iterations = iterations;
	u.salt_len = LIMIT_AUTH_SALT_BYTES;
	if ((err = random_bytes(u.salt, u.salt_len)) != 0)
		return err;
	if (!derive(password, pw_len, &u, u.key))
		return ERR_NOMEM;
	if (mbedtls_base64_encode((unsigned char *)salt, sizeof(salt), &n, u.salt, u.salt_len) != 0 ||
	    mbedtls_base64_encode((unsigned char *)key, sizeof(key), &n, u.key, AUTH_KEY_BYTES) != 0)
		return ERR_LIMIT;
	err = buf_printf(line, "%s:" AUTH_SCHEME "%u$%s$%s", name, iterations, salt, key);
	explicit_bzero(&u, sizeof(u));
	return err;
}

/* Holds DATA/users.lock for one change: concurrent `sluice user`
 * commands (and a first start) take turns. */
static int lock_users(const char *path, int *fd_out, struct buf *msg)
{
	char lock[1200];
	int fd;

	snprintf(lock, sizeof(lock), "%s.lock", path);
	fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) != 0) {
		int err = -errno;

		buf_printf(msg, "%s: %s", lock, strerror(errno));
		if (fd >= 0)
			close(fd);
		return err;
	}
	*fd_out = fd;
	return 0;
}

static void unlock_users(int fd)
{
	flock(fd, LOCK_UN);
	close(fd);
}

/* Replaces path by text: a 0600 temporary file, synced, renamed over it,
 * and the directory synced, so a crash leaves the old or the new file. */
static int replace_file(const char *path, const struct buf *text, struct buf *msg)
{
	char tmp[1200], dir[1200];
	int fd, dfd, err;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		buf_printf(msg, "%s: %s", tmp, strerror(errno));
		return err;
	}
	err = fchmod(fd, 0600) != 0 ? -errno : 0;
	if (!err)
		err = write_all(fd, text->data ? text->data : (const uint8_t *)"", text->len);
	if (!err && fsync(fd) != 0)
		err = -errno;
	if (close(fd) != 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) != 0)
		err = -errno;
	if (err) {
		buf_printf(msg, "%s: %s", path, err_str(err));
		unlink(tmp);
		return err;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

struct rewrite_ctx {
	const char *name;
	const struct buf *replacement;	/* NULL: drop the user's line */
	struct buf *out;
	bool seen;
};

static int rewrite_one(void *arg, const char *line, size_t n, unsigned no)
{
	struct rewrite_ctx *rc = arg;
	size_t nl = strlen(rc->name);

	UNUSED(no);
	if (!is_blank_or_comment(line, n) && n > nl && line[nl] == ':' &&
	    memcmp(line, rc->name, nl) == 0) {
		rc->seen = true;
		if (!rc->replacement)
			return 0;
		return buf_append(rc->out, rc->replacement->data, rc->replacement->len) ||
		       buf_append(rc->out, "\n", 1) ? ERR_LIMIT : 0;
	}
	return buf_append(rc->out, line, n) || buf_append(rc->out, "\n", 1) ? ERR_LIMIT : 0;
}

int auth_file_change(const char *users_path, enum auth_change change, const char *name,
		     const char *password, struct buf *msg)
{
	struct user_table t;
	struct file_id id;
	struct buf text, line, out;
	struct rewrite_ctx rc;
	bool exists;
	int lock_fd, err;

	if (!auth_name_valid(name)) {
		buf_printf(msg, "invalid user name '%.80s' (1 to %u letters, digits, '.', '_', '-'; "
			   "a letter or digit first)", name, LIMIT_AUTH_NAME_BYTES);
		return ERR_USAGE;
	}
	if ((err = lock_users(users_path, &lock_fd, msg)) != 0)
		return err;
	buf_init(&text, LIMIT_AUTH_FILE_BYTES);
	buf_init(&line, LIMIT_AUTH_LINE_BYTES);
	buf_init(&out, LIMIT_AUTH_FILE_BYTES);
	err = load_file(users_path, &t, &id, &text, msg);
	if (err)
		goto out;
	exists = table_find(&t, name, strlen(name)) != NULL;
	if (change == AUTH_ADD && exists) {
		buf_printf(msg, "user '%s' exists (change the password with `sluice user passwd`)",
			   name);
		err = ERR_USAGE;
		goto out;
	}
	if (change != AUTH_ADD && !exists) {
		buf_printf(msg, "no user '%s' in %s", name, users_path);
		err = ERR_NOTFOUND;
		goto out;
	}
	if (change != AUTH_DEL && (err = auth_hash_line(name, password, 0, &line)) != 0) {
		buf_printf(msg, "cannot hash the password: %s", err_str(err));
		goto out;
	}
	memset(&rc, 0, sizeof(rc));
	rc.name = name;
	rc.replacement = change == AUTH_DEL ? NULL : &line;
	rc.out = &out;
	err = each_line(text.data ? text.data : (const uint8_t *)"", text.len, rewrite_one, &rc);
	if (!err && change == AUTH_ADD)
		err = buf_append(&out, line.data, line.len) || buf_append(&out, "\n", 1) ? ERR_LIMIT : 0;
	if (err) {
		buf_printf(msg, "%s: the new file would exceed %u bytes", users_path,
			   LIMIT_AUTH_FILE_BYTES);
		goto out;
	}
	err = replace_file(users_path, &out, msg);
out:
	table_release(&t);
	if (text.data)
		explicit_bzero(text.data, text.cap);
	buf_release(&text);
	buf_release(&line);
	buf_release(&out);
	unlock_users(lock_fd);
	return err;
}

int auth_file_list(const char *users_path, struct buf *out, struct buf *msg)
{
	struct user_table t;
	struct file_id id;
	size_t i;
	int err = load_file(users_path, &t, &id, NULL, msg);

	for (i = 0; !err && i < t.n; i++)
		err = buf_printf(out, "%s\n", t.v[i].name);
	table_release(&t);
	return err;
}

int auth_first_start(const char *users_path, char *password_out, size_t cap, struct buf *msg)
{
	struct buf text;
	struct stat st;
	int lock_fd, err;

	if (cap)
		password_out[0] = '\0';
	if (lstat(users_path, &st) == 0)
		return 0;
	if (errno != ENOENT) {
		err = -errno;
		buf_printf(msg, "%s: %s", users_path, strerror(errno));
		return err;
	}
	if ((err = lock_users(users_path, &lock_fd, msg)) != 0)
		return err;
	buf_init(&text, LIMIT_AUTH_LINE_BYTES + 1);
	if (lstat(users_path, &st) == 0) {
		err = 0;	/* another process created it meanwhile */
	} else if ((err = auth_password_generate(password_out, cap)) == 0 &&
		   (err = auth_hash_line("admin", password_out, 0, &text)) == 0 &&
		   (err = buf_append(&text, "\n", 1)) == 0 &&
		   (err = replace_file(users_path, &text, msg)) == 0) {
		err = 1;
	}
	if (err != 1 && cap)
		explicit_bzero(password_out, cap);
	if (err < 0 && msg->len == 0)
		buf_printf(msg, "%s: %s", users_path, err_str(err));
	buf_release(&text);
	unlock_users(lock_fd);
	return err;
}
