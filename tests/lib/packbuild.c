/*
 * packbuild.c - hand-crafted pack and delta builder for tests
 * (gitformat-pack layouts, written independently of core/pack).
 */
#include "core/base/api.h"
#include "tests/lib/packbuild.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <mbedtls/sha1.h>
#include <mbedtls/sha256.h>

static void put(struct buf *o, const void *p, size_t n)
{
	BUG_ON(buf_append(o, p, n) != 0);
}

static void put_byte(struct buf *o, uint8_t c)
{
	put(o, &c, 1);
}

void pb_init(struct packbuild *b, enum pack_hash_algo algo)
{
	buf_init(&b->out, (size_t)1 << 31);
	b->algo = algo;
}

void pb_release(struct packbuild *b)
{
	buf_release(&b->out);
}

void pb_header(struct packbuild *b, uint32_t version, uint32_t count)
{
	uint8_t h[12] = { 'P', 'A', 'C', 'K',
			  (uint8_t)(version >> 24), (uint8_t)(version >> 16),
			  (uint8_t)(version >> 8), (uint8_t)version,
			  (uint8_t)(count >> 24), (uint8_t)(count >> 16),
			  (uint8_t)(count >> 8), (uint8_t)count };

	put(&b->out, h, sizeof(h));
}

void pb_raw(struct packbuild *b, const void *p, size_t n)
{
	put(&b->out, p, n);
}

void pb_obj_header(struct packbuild *b, unsigned type, uint64_t size)
{
	uint8_t c = (uint8_t)(((type & 7) << 4) | (size & 15));

	size >>= 4;
	while (size) {
		put_byte(&b->out, c | 0x80);
		c = size & 0x7f;
		size >>= 7;
	}
	put_byte(&b->out, c);
}

void pb_ofs_encode(struct packbuild *b, uint64_t rel)
{
	uint8_t tmp[16];
	unsigned i = sizeof(tmp) - 1;

	tmp[i] = rel & 0x7f;
	while (rel >>= 7)
		tmp[--i] = 0x80 | (--rel & 0x7f);
	put(&b->out, tmp + i, sizeof(tmp) - i);
}

void pb_zlib(struct packbuild *b, const void *p, size_t n)
{
	uLongf cap = compressBound((uLong)n);
	uint8_t *tmp = xmalloc(cap);

	BUG_ON(!tmp);
	BUG_ON(compress2(tmp, &cap, p, (uLong)n, 6) != Z_OK);
	put(&b->out, tmp, cap);
	xfree(tmp);
}

uint64_t pb_whole(struct packbuild *b, unsigned type, const void *p, size_t n)
{
	uint64_t off = b->out.len;

	pb_obj_header(b, type, n);
	pb_zlib(b, p, n);
	return off;
}

uint64_t pb_whole_fill(struct packbuild *b, unsigned type, uint8_t byte, uint64_t n)
{
	uint64_t off = b->out.len, left = n;
	uint8_t in[64 * 1024], out[64 * 1024];
	z_stream z;
	int ret;

	memset(in, byte, sizeof(in));
	memset(&z, 0, sizeof(z));
	pb_obj_header(b, type, n);
	BUG_ON(deflateInit(&z, 9) != Z_OK);
	do {
		size_t k = (size_t)MIN(left, (uint64_t)sizeof(in));

		left -= k;
		z.next_in = in;
		z.avail_in = (uInt)k;
		do {
			z.next_out = out;
			z.avail_out = sizeof(out);
			ret = deflate(&z, left ? Z_NO_FLUSH : Z_FINISH);
			BUG_ON(ret == Z_STREAM_ERROR);
			put(&b->out, out, sizeof(out) - z.avail_out);
		} while (z.avail_out == 0);
	} while (left);
	BUG_ON(ret != Z_STREAM_END);
	deflateEnd(&z);
	return off;
}

uint64_t pb_ofs_delta(struct packbuild *b, uint64_t base_off, const void *delta, size_t n)
{
	uint64_t off = b->out.len;

	pb_obj_header(b, PACK_OBJ_OFS_DELTA, n);
	pb_ofs_encode(b, off - base_off);
	pb_zlib(b, delta, n);
	return off;
}

uint64_t pb_ref_delta(struct packbuild *b, const uint8_t *base, const void *delta, size_t n)
{
	uint64_t off = b->out.len;

	pb_obj_header(b, PACK_OBJ_REF_DELTA, n);
	put(&b->out, base, pack_oid_len(b->algo));
	pb_zlib(b, delta, n);
	return off;
}

static void digest(enum pack_hash_algo algo, const void *a, size_t an, const void *p,
		   size_t n, uint8_t *out)
{
	if (algo == PACK_HASH_SHA256) {
		mbedtls_sha256_context c;

		mbedtls_sha256_init(&c);
		mbedtls_sha256_starts_ret(&c, 0);
		mbedtls_sha256_update_ret(&c, a, an);
		mbedtls_sha256_update_ret(&c, p, n);
		mbedtls_sha256_finish_ret(&c, out);
		mbedtls_sha256_free(&c);
	} else {
		mbedtls_sha1_context c;

		mbedtls_sha1_init(&c);
		mbedtls_sha1_starts_ret(&c);
		mbedtls_sha1_update_ret(&c, a, an);
		mbedtls_sha1_update_ret(&c, p, n);
		mbedtls_sha1_finish_ret(&c, out);
		mbedtls_sha1_free(&c);
	}
}

void pb_delta_bomb(struct packbuild *b, unsigned n, uint64_t result)
{
	uint64_t base;
	struct buf d;
	unsigned k;

	pb_init(b, PACK_HASH_SHA1);
	pb_header(b, 2, 1 + n);
	base = pb_whole_fill(b, PACK_OBJ_BLOB, 0, 65536);
	buf_init(&d, (size_t)1 << 28);
	pb_delta_new(&d, 65536, result);
	pb_delta_copy_repeat(&d, 0, 0x10000, result / 0x10000);
	for (k = 0; k < n; k++)
		pb_ofs_delta(b, base, d.data, d.len);
	pb_trailer(b);
	buf_release(&d);
}

void pb_trailer(struct packbuild *b)
{
	uint8_t sum[32];

	digest(b->algo, "", 0, b->out.data, b->out.len, sum);
	put(&b->out, sum, pack_oid_len(b->algo));
}

void pb_oid(enum pack_hash_algo algo, unsigned type, const void *p, size_t n, uint8_t *out)
{
	static const char *const names[] = { "?", "commit", "tree", "blob", "tag" };
	char hdr[64];
	int k = snprintf(hdr, sizeof(hdr), "%s %zu", names[type < 5 ? type : 0], n);

	digest(algo, hdr, (size_t)k + 1, p, n, out);
}

static void put_varint(struct buf *d, uint64_t v)
{
	while (v >= 0x80) {
		put_byte(d, (uint8_t)(0x80 | (v & 0x7f)));
		v >>= 7;
	}
	put_byte(d, (uint8_t)v);
}

void pb_delta_new(struct buf *d, uint64_t base_size, uint64_t result_size)
{
	put_varint(d, base_size);
	put_varint(d, result_size);
}

void pb_delta_copy(struct buf *d, uint32_t off, uint32_t size)
{
	uint8_t op = 0x80, args[7];
	unsigned n = 0, i;

	for (i = 0; i < 4; i++) {
		uint8_t c = (uint8_t)(off >> (8 * i));

		if (c) {
			op |= (uint8_t)(1u << i);
			args[n++] = c;
		}
	}
	if (size != 0x10000) {
		for (i = 0; i < 3; i++) {
			uint8_t c = (uint8_t)(size >> (8 * i));

			if (c) {
				op |= (uint8_t)(0x10u << i);
				args[n++] = c;
			}
		}
	}
	put_byte(d, op);
	put(d, args, n);
}

void pb_delta_copy_repeat(struct buf *d, uint32_t off, uint32_t size, uint64_t times)
{
	uint64_t k;

	for (k = 0; k < times; k++)
		pb_delta_copy(d, off, size);
}

void pb_delta_insert(struct buf *d, const void *p, size_t n)
{
	const uint8_t *s = p;

	while (n) {
		size_t k = MIN(n, (size_t)127);

		put_byte(d, (uint8_t)k);
		put(d, s, k);
		s += k;
		n -= k;
	}
}

static char *vfmt(const char *fmt, va_list ap)
{
	va_list cp;
	char *s;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	BUG_ON(n < 0);
	s = xmalloc((size_t)n + 1);
	BUG_ON(!s);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

static int exit_status(int st)
{
	if (st == -1)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int pb_sh(const char *fmt, ...)
{
	va_list ap;
	char *cmd;
	int st;

	va_start(ap, fmt);
	cmd = vfmt(fmt, ap);
	va_end(ap);
	st = system(cmd);
	xfree(cmd);
	return exit_status(st);
}

int pb_sh_out(struct buf *out, const char *fmt, ...)
{
	uint8_t tmp[65536];
	va_list ap;
	char *cmd;
	FILE *f;
	size_t n;

	va_start(ap, fmt);
	cmd = vfmt(fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	xfree(cmd);
	if (!f)
		return -1;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		BUG_ON(buf_append(out, tmp, n) != 0);
	return exit_status(pclose(f));
}

const char *pb_tmpdir(void)
{
	static char dir[4096];
	const char *t = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/sluice-test-XXXXXX", t && *t ? t : "/tmp");
	BUG_ON(!mkdtemp(dir));
	setenv("HOME", dir, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
	setenv("GIT_AUTHOR_NAME", "Test Author", 1);
	setenv("GIT_AUTHOR_EMAIL", "author@example.com", 1);
	setenv("GIT_COMMITTER_NAME", "Test Committer", 1);
	setenv("GIT_COMMITTER_EMAIL", "committer@example.com", 1);
	return dir;
}

void pb_rmtree(const char *dir)
{
	BUG_ON(!dir || !*dir || strcmp(dir, "/") == 0);
	pb_sh("rm -rf '%s'", dir);
}

void pb_write_file(const char *dir, const char *rel, const void *p, size_t n)
{
	char path[4096];
	size_t i, dl = strlen(dir);
	FILE *f;

	BUG_ON((size_t)snprintf(path, sizeof(path), "%s/%s", dir, rel) >= sizeof(path));
	for (i = dl + 1; path[i]; i++) {
		if (path[i] == '/') {
			path[i] = '\0';
			mkdir(path, 0755);
			path[i] = '/';
		}
	}
	f = fopen(path, "wb");
	BUG_ON(!f);
	BUG_ON(n && fwrite(p, 1, n, f) != n);
	BUG_ON(fclose(f) != 0);
}
