/*
 * board.h - what the hardware sluice runs on can do, and the choices that
 * follow from it: which TLS cipher suites come first and how many worker
 * event loops to run (issue 3 §4; git-gate.md §10 on cipher order).
 *
 * CPU features come from the CPU itself, never from /proc/cpuinfo text:
 * cpuid (and XGETBV for AVX state) on x86-64, getauxval(AT_HWCAP) on
 * arm64.  The board name comes from the device tree model string when
 * there is one (Raspberry Pi), else "generic-<arch>".
 *
 * Cipher order: AES-GCM is fast only when AES and carry-less multiply are
 * done in hardware AND the TLS library has code that uses them (mbedTLS
 * MBEDTLS_AESNI_C on x86-64, MBEDTLS_AESCE_C on arm64, which 2.28 lacks).
 * Otherwise table-based software AES is slow and leaks timing through the
 * cache, so ChaCha20-Poly1305 goes first.  The client still picks among
 * what both sides offer; the order only matters because the server's
 * preference wins in mbedTLS.
 *
 * Caveats:
 * - Everything here is read-only after board_profile_init(); a profile is
 *   a plain value that may be copied and shared between threads.
 * - A forced profile (for tests and for boards that lie) replaces the CPU
 *   features with what that board is known to have; cores are always the
 *   real ones.
 */
#ifndef SLUICE_BOARD_BOARD_H
#define SLUICE_BOARD_BOARD_H

#include "core/base/api.h"

/* CPU feature bits (enum board_cpu_feature), one per instruction group
 * the TLS and scan code can use. */
enum board_cpu_feature {
	BOARD_CPU_AES    = 1u << 0,	/* x86 AES-NI, arm64 AESE/AESD */
	BOARD_CPU_CLMUL  = 1u << 1,	/* x86 PCLMULQDQ, arm64 PMULL (GHASH) */
	BOARD_CPU_AVX2   = 1u << 2,	/* x86 AVX2 usable (CPU and OS state) */
	BOARD_CPU_SHA1   = 1u << 3,	/* x86 SHA-NI, arm64 SHA1 */
	BOARD_CPU_SHA256 = 1u << 4,	/* x86 SHA-NI, arm64 SHA2 */
};

#define BOARD_NAME_MAX   32	/* "generic-x86_64", "rpi4", ... */
#define BOARD_MODEL_MAX  128	/* device-tree model string, truncated */
#define BOARD_SUITES_MAX 16	/* cipher suite ids plus the 0 terminator */

struct board_profile {
	char name[BOARD_NAME_MAX];	/* profile name, see board_known_name() */
	char model[BOARD_MODEL_MAX];	/* device-tree model, "" when none */
	const char *arch;		/* "x86_64", "aarch64" or "unknown" (static) */
	bool forced;			/* name given by the caller, not detected */
	unsigned cpu;			/* enum board_cpu_feature bits in effect */
	bool aes_fast;			/* AES-GCM accelerated in the TLS library */
	unsigned cores;			/* usable online CPUs, >= 1 */
	unsigned workers;		/* 1 .. LIMIT_BOARD_WORKERS_MAX */
	int ciphersuites[BOARD_SUITES_MAX];	/* mbedTLS ids, 0-terminated,
						 * most preferred first */
};

/* --- cpu.c ----------------------------------------------------------- */

/* The features of the CPU this runs on (enum board_cpu_feature bits).
 * Never fails: an unknown architecture has no features. */
unsigned board_cpu_detect(void);
/* "x86_64", "aarch64" or "unknown": the architecture compiled for. */
const char *board_cpu_arch(void);
/* Pure decoders of the raw registers, exposed so that both can be tested
 * on any machine.  x86: CPUID.1:ECX, CPUID.(7,0):EBX and XCR0 (0 when the
 * OS has not enabled XSAVE, which makes AVX2 unusable).  arm64: the
 * AT_HWCAP word. */
unsigned board_cpu_from_x86(uint32_t leaf1_ecx, uint32_t leaf7_ebx, uint64_t xcr0);
unsigned board_cpu_from_arm64_hwcap(unsigned long hwcap);
/* Writes the feature names ("aes clmul avx2 sha1 sha256", in that order,
 * space-separated, "none" when there are none) into out, truncating to
 * size - 1 bytes.  Returns out. */
const char *board_cpu_names(unsigned features, char *out, size_t size);

/* Whether the linked TLS library accelerates AES-GCM on a CPU with these
 * features (needs both BOARD_CPU_AES and BOARD_CPU_CLMUL plus library
 * support for the architecture compiled for). */
bool board_aes_fast(unsigned features);
/* Writes the server's cipher suite preference into out (at most cap ids
 * including the 0 terminator; cap >= BOARD_SUITES_MAX always fits).
 * aes_fast: ECDHE-ECDSA/RSA with AES-128-GCM, AES-256-GCM, then
 * ChaCha20-Poly1305; otherwise ChaCha20-Poly1305 first.  With mbedTLS 3.x
 * the TLS 1.3 suites lead in the same order.  Returns the number of ids
 * written, not counting the terminator, or ERR_LIMIT when cap is too
 * small (out is then an empty list if cap > 0). */
int board_ciphersuites(bool aes_fast, int *out, size_t cap);
/* Workers for this many cores: cores, at least 1, at most
 * LIMIT_BOARD_WORKERS_MAX. */
unsigned board_workers_for(unsigned cores);
/* Online CPUs this process may run on: the smaller of
 * sysconf(_SC_NPROCESSORS_ONLN) and the affinity mask (systemd's
 * CPUAffinity=, taskset), at least 1. */
unsigned board_cores(void);

/* --- profiles.c ------------------------------------------------------ */

/* Where the device tree model is read from by default. */
#define BOARD_DT_MODEL_PATH "/proc/device-tree/model"

/* Fills p for the machine this runs on.
 * force_name: NULL or "" to detect; else a known profile name
 * (board_known_name()), whose CPU features replace the detected ones
 * (e.g. "rpi4" forces the no-AES cipher order on any machine).
 * dt_model_path: NULL for BOARD_DT_MODEL_PATH; a missing or unreadable
 * file means "no device tree" and is not an error.
 * Returns 0, or ERR_NOTFOUND for an unknown force_name (p is then filled
 * as if detected, so a caller may warn and carry on). */
int board_profile_init(struct board_profile *p, const char *force_name,
		       const char *dt_model_path);
/* The profile name a device-tree model string belongs to, or NULL. */
const char *board_match_model(const char *model);
/* The i-th known profile name, or NULL past the end. */
const char *board_known_name(size_t i);

#endif
