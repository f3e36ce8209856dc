/*
 * entropy.c - getrandom(2) and /dev/hwrng as mbedTLS entropy sources
 * (mbedtls/entropy.h mbedtls_entropy_f_source_ptr contract: fill up to
 * len bytes, report how many in *olen, return 0 or
 * MBEDTLS_ERR_ENTROPY_SOURCE_FAILED).
 */
#include "core/base/api.h"
#include "board/entropy.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

int board_entropy_open(struct board_entropy *e, const char *hwrng_path)
{
	e->hwrng_fd = open(hwrng_path ? hwrng_path : BOARD_HWRNG_PATH,
			   O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (e->hwrng_fd < 0)
		e->hwrng_fd = -1;
	return 0;
}

void board_entropy_close(struct board_entropy *e)
{
	if (e->hwrng_fd >= 0)
		close(e->hwrng_fd);
	e->hwrng_fd = -1;
}

int board_entropy_getrandom(void *data, unsigned char *output, size_t len, size_t *olen)
{
	size_t got = 0;

	UNUSED(data);
	*olen = 0;
	/* getrandom() may return fewer bytes than asked when a signal
	 * arrives during a large request; keep going until len. */
	while (got < len) {
		ssize_t n = getrandom(output + got, len - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
		}
		got += (size_t)n;
	}
	*olen = got;
	return 0;
}

int board_entropy_hwrng(void *data, unsigned char *output, size_t len, size_t *olen)
{
	struct board_entropy *e = data;
	ssize_t n;

	*olen = 0;
	if (!e || e->hwrng_fd < 0 || len == 0)
		return 0;
	do
		n = read(e->hwrng_fd, output, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? 0 : MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
	*olen = (size_t)n;
	return 0;
}

int board_entropy_attach(struct board_entropy *e, mbedtls_entropy_context *ctx)
{
	int rc;

	rc = mbedtls_entropy_add_source(ctx, board_entropy_getrandom, NULL,
					BOARD_ENTROPY_THRESHOLD, MBEDTLS_ENTROPY_SOURCE_STRONG);
	if (rc == 0 && board_entropy_has_hwrng(e))
		rc = mbedtls_entropy_add_source(ctx, board_entropy_hwrng, e, 0,
						MBEDTLS_ENTROPY_SOURCE_WEAK);
	return rc;
}
