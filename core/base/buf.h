/*
 * buf.h - a bounded growable byte buffer.
 *
 * Every growable buffer in sluice carries a maximum set at init; growing
 * past it fails with ERR_LIMIT, so a caller can turn it into a verdict
 * reason instead of exhausting memory (style.md rule 6).
 *
 * Caveats: not thread-safe; the data pointer moves when the buffer grows,
 * so never keep it across buf_append()/buf_reserve().
 */
#ifndef SLUICE_BASE_BUF_H
#define SLUICE_BASE_BUF_H

#include "core/base/api.h"

struct buf {
	uint8_t *data;		/* owned; NULL until the first growth */
	size_t len;		/* bytes in use */
	size_t cap;		/* bytes allocated */
	size_t max;		/* growth limit; len never exceeds it */
};

/* Sets up an empty buffer that may grow to max bytes.  Allocates nothing. */
void buf_init(struct buf *b, size_t max);
/* Frees the data; the buffer is empty and reusable with the same max. */
void buf_release(struct buf *b);
/* Ensures room for n more bytes.  0, ERR_LIMIT (len + n > max) or
 * ERR_NOMEM. */
int buf_reserve(struct buf *b, size_t n);
/* Appends n bytes.  Same errors as buf_reserve(); on error nothing is
 * appended. */
int buf_append(struct buf *b, const void *p, size_t n);
/* Appends a NUL-terminated string without its NUL. */
int buf_append_str(struct buf *b, const char *s);
/* printf-style append; ERR_LIMIT when the result would exceed max. */
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends the whole file at path (up to b->max bytes in all).  0,
 * -errno when it cannot be opened or read, ERR_LIMIT when it is larger
 * than the room left. */
int buf_read_file(struct buf *b, const char *path);
/* Writes all n bytes of p to fd, resuming after short writes and EINTR.
 * 0, -errno, or ERR_IO when the kernel accepts nothing and gives no
 * reason. */
int write_all(int fd, const void *p, size_t n);
/* Drops the first n bytes (n <= len). */
void buf_consume(struct buf *b, size_t n);
/* Empties the buffer without freeing. */
static inline void buf_reset(struct buf *b) { b->len = 0; }

/* Makes room for one more element in a growable array: when n == *cap,
 * doubles *cap (or sets it to first) and reallocates *arr.  arr is the
 * address of the array pointer.  0 or ERR_NOMEM (ERR_OVERFLOW when the
 * size would not fit); on error *arr and *cap are unchanged. */
int array_reserve(void *arr, size_t *cap, size_t n, size_t elem, size_t first);

/* Overflow-checked size arithmetic: return false on overflow. */
static inline bool size_add(size_t a, size_t b, size_t *out)
{
	return !__builtin_add_overflow(a, b, out);
}
static inline bool size_mul(size_t a, size_t b, size_t *out)
{
	return !__builtin_mul_overflow(a, b, out);
}

/* Allocation wrappers: the only places raw malloc/free are called.  They
 * return NULL on failure and never exit. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void xfree(void *p);

#endif
