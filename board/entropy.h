/*
 * entropy.h - entropy sources for mbedTLS: the kernel CSPRNG through
 * getrandom(2), and the board's hardware RNG (/dev/hwrng) when there is
 * one (style.md layout "entropy.c (hw RNG -> mbedTLS)").
 *
 * Both callbacks have the mbedtls_entropy_f_source_ptr signature and are
 * meant for mbedtls_entropy_add_source():
 *
 *   struct board_entropy be;
 *   board_entropy_open(&be, NULL);
 *   mbedtls_entropy_init(&ent);
 *   board_entropy_attach(&be, &ent);   then seed the CTR-DRBG from &ent
 *   ...
 *   mbedtls_entropy_free(&ent);        before
 *   board_entropy_close(&be);
 *
 * Why two sources:
 * - getrandom() is the strong source.  It blocks only until the kernel
 *   pool is first initialised early in boot, then never again; handing
 *   out bytes before that point would be worse than waiting.  (mbedTLS's
 *   own platform source also reads getrandom; adding ours too costs one
 *   syscall per reseed and keeps builds with MBEDTLS_NO_PLATFORM_ENTROPY
 *   seeded.)
 * - /dev/hwrng is added as a WEAK source: its bytes are mixed into the
 *   pool but never counted on, because a hardware RNG can fail silently
 *   (stuck bits) and cannot be audited.  It is opened O_NONBLOCK, so a
 *   slow or drained device yields 0 bytes and never stalls a handshake.
 *   The kernel's hwrng core already feeds the same device into the
 *   getrandom pool, so losing it (absent, or hidden by systemd's
 *   PrivateDevices=yes, see firmware/systemd/sluice.service) costs
 *   nothing essential.
 *
 * Caveats: a struct board_entropy must outlive every entropy context it
 * was attached to (the context keeps its address).  mbedTLS serialises
 * calls to the sources of one context with its own mutex
 * (MBEDTLS_THREADING_C), so the callbacks need no locking.
 */
#ifndef SLUICE_BOARD_ENTROPY_H
#define SLUICE_BOARD_ENTROPY_H

#include "core/base/api.h"

#include <mbedtls/entropy.h>

#define BOARD_HWRNG_PATH "/dev/hwrng"
/* Bytes the getrandom source must deliver before the accumulator may be
 * used: one 256-bit seed. */
#define BOARD_ENTROPY_THRESHOLD 32

struct board_entropy {
	int hwrng_fd;		/* O_RDONLY|O_NONBLOCK, owned; -1 when absent */
};

/* Opens the hardware RNG at path (NULL: BOARD_HWRNG_PATH).  A missing or
 * unreadable device is not an error: hwrng_fd is then -1.  Returns 0. */
int board_entropy_open(struct board_entropy *e, const char *hwrng_path);
/* Closes the device; e may be opened again.  Safe on a closed e. */
void board_entropy_close(struct board_entropy *e);
/* Whether a hardware RNG was opened. */
static inline bool board_entropy_has_hwrng(const struct board_entropy *e)
{
	return e->hwrng_fd >= 0;
}

/* mbedTLS source: fills output with len bytes from getrandom(), *olen =
 * len.  data is unused (may be NULL).  Returns 0, or
 * MBEDTLS_ERR_ENTROPY_SOURCE_FAILED (with *olen = 0) when the syscall
 * fails for a reason other than EINTR. */
int board_entropy_getrandom(void *data, unsigned char *output, size_t len, size_t *olen);
/* mbedTLS source: data is a struct board_entropy *.  Reads up to len
 * bytes without blocking; *olen may be anything from 0 to len (0 when no
 * device, or the device has nothing ready).  Returns 0, or
 * MBEDTLS_ERR_ENTROPY_SOURCE_FAILED on a read error other than
 * EAGAIN/EINTR. */
int board_entropy_hwrng(void *data, unsigned char *output, size_t len, size_t *olen);

/* Adds getrandom (strong, threshold BOARD_ENTROPY_THRESHOLD) and, when
 * open, the hardware RNG (weak) to ctx.  Returns 0 or the mbedTLS error
 * of mbedtls_entropy_add_source() (MBEDTLS_ERR_ENTROPY_MAX_SOURCES). */
int board_entropy_attach(struct board_entropy *e, mbedtls_entropy_context *ctx);

#endif
