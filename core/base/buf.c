/*
 * buf.c - bounded growable buffers and the allocation wrappers.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void *xmalloc(size_t n) { return malloc(n ? n : 1); }
void *xcalloc(size_t n, size_t size) { return calloc(n ? n : 1, size ? size : 1); }
void *xrealloc(void *p, size_t n) { return realloc(p, n ? n : 1); }
void xfree(void *p) { free(p); }

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *d = xmalloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

void buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void buf_release(struct buf *b)
{
	xfree(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

int buf_reserve(struct buf *b, size_t n)
{
	size_t need, cap;
	uint8_t *p;

	if (!size_add(b->len, n, &need) || need > b->max)
		return ERR_LIMIT;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (cap > b->max)
		cap = b->max;
	p = xrealloc(b->data, cap);
	if (!p)
		return ERR_NOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	int err;

	if (n == 0)
		return 0;
	err = buf_reserve(b, n);
	if (err)
		return err;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int buf_append_str(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, err;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return ERR_SYNTAX;
	err = buf_reserve(b, (size_t)n + 1);
	if (err)
		return err;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int array_reserve(void *arr, size_t *cap, size_t n, size_t elem, size_t first)
{
	void **p = arr;
	size_t nc, bytes;
	void *np;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap : first;
	if (*cap && !size_mul(*cap, 2, &nc))
		return ERR_OVERFLOW;
	if (!size_mul(nc, elem, &bytes))
		return ERR_OVERFLOW;
	np = xrealloc(*p, bytes);
	if (!np)
		return ERR_NOMEM;
	*p = np;
	*cap = nc;
	return 0;
}

int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *q = p;

	while (n > 0) {
		ssize_t w = write(fd, q, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return ERR_IO;
		q += w;
		n -= (size_t)w;
	}
	return 0;
}

int buf_read_file(struct buf *b, const char *path)
{
	uint8_t tmp[65536];
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((n = read(fd, tmp, sizeof(tmp))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if ((err = buf_append(b, tmp, (size_t)n)) != 0)
			break;
	}
	close(fd);
	return err;
}

void buf_consume(struct buf *b, size_t n)
{
	BUG_ON(n > b->len);
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}
