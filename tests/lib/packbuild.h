/*
 * packbuild.h - build hand-crafted and malicious git packs and deltas for
 * tests (style.md rule 14: "a builder for hand-crafted and malicious packs").
 *
 * Every helper appends to b->out exactly what it says, without checking
 * that the result makes sense: that is the point.  Allocation failure
 * aborts the test (BUG_ON); nothing else fails.
 *
 * A typical valid pack:
 *	pb_init(&b, PACK_HASH_SHA1);
 *	pb_header(&b, 2, 2);
 *	off = pb_whole(&b, PACK_OBJ_BLOB, "hello\n", 6);
 *	pb_delta_new(&d, 6, 7); pb_delta_copy(&d, 0, 6); pb_delta_insert(&d, "!", 1);
 *	pb_ofs_delta(&b, off, d.data, d.len);
 *	pb_trailer(&b);
 */
#ifndef SLUICE_TESTS_PACKBUILD_H
#define SLUICE_TESTS_PACKBUILD_H

#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/pack/pack.h"

struct packbuild {
	struct buf out;			/* the pack so far */
	enum pack_hash_algo algo;	/* trailer and id hash */
};

void pb_init(struct packbuild *b, enum pack_hash_algo algo);
void pb_release(struct packbuild *b);

/* "PACK", version and object count, big-endian. */
void pb_header(struct packbuild *b, uint32_t version, uint32_t count);
/* Raw bytes. */
void pb_raw(struct packbuild *b, const void *p, size_t n);
/* The type/size varint header of an object (type is not checked). */
void pb_obj_header(struct packbuild *b, unsigned type, uint64_t size);
/* An OFS_DELTA offset encoding of rel (this offset - base offset). */
void pb_ofs_encode(struct packbuild *b, uint64_t rel);
/* n bytes compressed as one zlib stream. */
void pb_zlib(struct packbuild *b, const void *p, size_t n);
/* A whole object: header + zlib stream.  Returns its offset. */
uint64_t pb_whole(struct packbuild *b, unsigned type, const void *p, size_t n);
/* A whole object of n copies of one byte (type/size header + zlib stream
 * at level 9), deflated in pieces so that n may exceed memory.  Returns
 * its offset.  A bomb's raw material: 8 MiB of zeros deflate to 8 KiB. */
uint64_t pb_whole_fill(struct packbuild *b, unsigned type, uint8_t byte, uint64_t n);
/* An OFS_DELTA on the object at base_off.  Returns its offset. */
uint64_t pb_ofs_delta(struct packbuild *b, uint64_t base_off, const void *delta, size_t n);
/* A REF_DELTA on base id (pack_oid_len(algo) bytes).  Returns its offset. */
uint64_t pb_ref_delta(struct packbuild *b, const uint8_t *base, const void *delta, size_t n);
/* The checksum of everything so far. */
void pb_trailer(struct packbuild *b);

/* A whole SHA-1 pack (initialises b): a 64 KiB blob of zeros and n OFS
 * deltas on it, each declaring a `result`-byte object (a multiple of
 * 64 KiB) built of 64 KiB copies.  The delta bomb: 500 MiB declared in
 * a pack of about 200 bytes. */
void pb_delta_bomb(struct packbuild *b, unsigned n, uint64_t result);

/* The id of an object of that type and content. */
void pb_oid(enum pack_hash_algo algo, unsigned type, const void *p, size_t n, uint8_t *out);

/* Delta instructions, appended to d (a buf the caller initialised). */
void pb_delta_new(struct buf *d, uint64_t base_size, uint64_t result_size);
/* A copy op; size 0x10000 is written as "no size bytes". */
void pb_delta_copy(struct buf *d, uint32_t off, uint32_t size);
/* `times` identical copy ops: the delta bomb's body (each op is a byte or
 * a few, each may copy up to 16 MiB). */
void pb_delta_copy_repeat(struct buf *d, uint32_t off, uint32_t size, uint64_t times);
/* Insert ops of at most 127 bytes each. */
void pb_delta_insert(struct buf *d, const void *p, size_t n);

/* --- real git, for packs made by the git CLI ----------------------------- */

/* Runs a shell command built from fmt; returns its exit status (-1 when it
 * could not run). */
int pb_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same, appending its standard output to out (initialised by the caller). */
int pb_sh_out(struct buf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A fresh directory under $TMPDIR or /tmp (static buffer) and a git
 * environment that ignores the user's and system configuration. */
const char *pb_tmpdir(void);
/* rm -rf dir. */
void pb_rmtree(const char *dir);
/* Writes dir/rel, creating parent directories. */
void pb_write_file(const char *dir, const char *rel, const void *p, size_t n);

#endif
