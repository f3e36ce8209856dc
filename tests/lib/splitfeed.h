/*
 * splitfeed.h - feed a decoder whole, at every split point and one byte at
 * a time, and check that every way of cutting the input gives the same
 * output and the same final status (style.md rule 14).
 *
 * The decoder's output is everything written to the dec_sink plus, for
 * decoders that report through their params (the pack parser), whatever
 * the params factory arranges to append to the same buffer.  After the
 * last feed, finish is called unless a feed returned STOP or ERR.
 */
#ifndef SLUICE_TESTS_SPLITFEED_H
#define SLUICE_TESTS_SPLITFEED_H

#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/decode/decoder-t.h"

struct splitfeed_outcome {
	struct buf out;			/* all output of the run */
	enum dec_status status;		/* last status: OK/MORE after finish
					 * means success; STOP; or ERR */
	int err;			/* with ERR */
	size_t consumed;		/* total input bytes consumed */
};

/* Returns the params for one run.  out is the run's output buffer, which
 * the factory may hand to the decoder's own callbacks.  NULL params are
 * allowed. */
typedef const void *(*splitfeed_params_fn)(void *arg, struct buf *out);

/* One run with the input cut at the given piece size (0 = whole).  The
 * caller releases o->out. */
void splitfeed_run(const struct decoder_type *dt, splitfeed_params_fn params, void *arg,
		   const uint8_t *in, size_t len, size_t piece, struct splitfeed_outcome *o);

/* One run with the input cut into two pieces at `split`. */
void splitfeed_run_split(const struct decoder_type *dt, splitfeed_params_fn params, void *arg,
			 const uint8_t *in, size_t len, size_t split,
			 struct splitfeed_outcome *o);

/* Whole, every split point (skipped above max_splits points, sampled
 * evenly instead, for large inputs), and one byte at a time; fails the
 * current cmocka test on any difference.  Fills *whole with the whole-run
 * outcome (caller releases whole->out). */
void splitfeed_check(const struct decoder_type *dt, splitfeed_params_fn params, void *arg,
		     const uint8_t *in, size_t len, struct splitfeed_outcome *whole);

/* Reads a whole file (for fixtures) into *out; returns 0 or -errno. */
int test_read_file(const char *path, struct buf *out);
/* $SLUICE_SOURCE_DIR/tests/fixtures/<rel>, in a static buffer. */
const char *test_fixture_path(const char *rel);

#endif
