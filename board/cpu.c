/*
 * cpu.c - CPU feature detection, TLS cipher suite order and worker count
 * (issue 3 §4 "board/ detects the CPU"; git-gate.md §10 cipher order).
 *
 * x86-64: Intel SDM vol. 2A CPUID leaf 1 ECX (AES bit 25, PCLMULQDQ bit 1,
 * OSXSAVE bit 27, AVX bit 28), leaf 7 subleaf 0 EBX (AVX2 bit 5, SHA bit
 * 29), and XCR0 bits 1-2 (XMM and YMM state enabled by the OS: without
 * them AVX2 instructions fault even when CPUID lists them).
 * arm64: Linux arch/arm64 uapi hwcap.h AT_HWCAP bits AES 3, PMULL 4,
 * SHA1 5, SHA2 6.
 */
#include "core/base/api.h"
#include "core/base/err-t.h"
#include "core/base/limits.h"
#include "board/board.h"

#include <sched.h>
#include <stdio.h>
#include <unistd.h>

#include <mbedtls/ssl_ciphersuites.h>
#include <mbedtls/version.h>

#if defined(__x86_64__)
#include <cpuid.h>
#elif defined(__aarch64__)
#include <sys/auxv.h>
#include <asm/hwcap.h>
#endif

/* CPUID.1:ECX */
#define X86_ECX_PCLMUL   (1u << 1)
#define X86_ECX_AES      (1u << 25)
#define X86_ECX_OSXSAVE  (1u << 27)
#define X86_ECX_AVX      (1u << 28)
/* CPUID.(7,0):EBX */
#define X86_EBX7_AVX2    (1u << 5)
#define X86_EBX7_SHA     (1u << 29)
/* XCR0: SSE (XMM) and AVX (YMM upper halves) state saved by the OS. */
#define X86_XCR0_YMM     ((uint64_t)0x6)

/* AT_HWCAP bits, stable Linux ABI; checked against the kernel header
 * where it exists so a typo cannot go unnoticed. */
#define ARM64_HWCAP_AES   (1ul << 3)
#define ARM64_HWCAP_PMULL (1ul << 4)
#define ARM64_HWCAP_SHA1  (1ul << 5)
#define ARM64_HWCAP_SHA2  (1ul << 6)
#if defined(__aarch64__)
_Static_assert(ARM64_HWCAP_AES == HWCAP_AES && ARM64_HWCAP_PMULL == HWCAP_PMULL &&
	       ARM64_HWCAP_SHA1 == HWCAP_SHA1 && ARM64_HWCAP_SHA2 == HWCAP_SHA2,
	       "arm64 hwcap bits disagree with <asm/hwcap.h>");
#endif

unsigned board_cpu_from_x86(uint32_t leaf1_ecx, uint32_t leaf7_ebx, uint64_t xcr0)
{
	unsigned f = 0;

	if (leaf1_ecx & X86_ECX_AES)
		f |= BOARD_CPU_AES;
	if (leaf1_ecx & X86_ECX_PCLMUL)
		f |= BOARD_CPU_CLMUL;
	if ((leaf1_ecx & X86_ECX_OSXSAVE) && (leaf1_ecx & X86_ECX_AVX) &&
	    (xcr0 & X86_XCR0_YMM) == X86_XCR0_YMM && (leaf7_ebx & X86_EBX7_AVX2))
		f |= BOARD_CPU_AVX2;
	/* One SHA extension covers SHA-1 and SHA-256 on x86. */
	if (leaf7_ebx & X86_EBX7_SHA)
		f |= BOARD_CPU_SHA1 | BOARD_CPU_SHA256;
	return f;
}

unsigned board_cpu_from_arm64_hwcap(unsigned long hwcap)
{
	unsigned f = 0;

	if (hwcap & ARM64_HWCAP_AES)
		f |= BOARD_CPU_AES;
	if (hwcap & ARM64_HWCAP_PMULL)
		f |= BOARD_CPU_CLMUL;
	if (hwcap & ARM64_HWCAP_SHA1)
		f |= BOARD_CPU_SHA1;
	if (hwcap & ARM64_HWCAP_SHA2)
		f |= BOARD_CPU_SHA256;
	return f;
}

#if defined(__x86_64__)
static unsigned detect_x86(void)
{
	unsigned eax, ebx, ecx, edx;
	uint32_t ecx1 = 0, ebx7 = 0;
	uint64_t xcr0 = 0;

	if (__get_cpuid(1, &eax, &ebx, &ecx, &edx))
		ecx1 = ecx;
	if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx))
		ebx7 = ebx;
	/* XGETBV faults unless the OS set CR4.OSXSAVE. */
	if (ecx1 & X86_ECX_OSXSAVE) {
		uint32_t lo, hi;

		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		xcr0 = ((uint64_t)hi << 32) | lo;
	}
	return board_cpu_from_x86(ecx1, ebx7, xcr0);
}
#endif

unsigned board_cpu_detect(void)
{
#if defined(__x86_64__)
	return detect_x86();
#elif defined(__aarch64__)
	return board_cpu_from_arm64_hwcap(getauxval(AT_HWCAP));
#else
	return 0;
#endif
}

const char *board_cpu_arch(void)
{
#if defined(__x86_64__)
	return "x86_64";
#elif defined(__aarch64__)
	return "aarch64";
#else
	return "unknown";
#endif
}

const char *board_cpu_names(unsigned features, char *out, size_t size)
{
	static const struct { unsigned bit; const char *name; } names[] = {
		{ BOARD_CPU_AES, "aes" }, { BOARD_CPU_CLMUL, "clmul" },
		{ BOARD_CPU_AVX2, "avx2" }, { BOARD_CPU_SHA1, "sha1" },
		{ BOARD_CPU_SHA256, "sha256" },
	};
	size_t i, len = 0;

	if (!size)
		return out;
	out[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		int n;

		if (!(features & names[i].bit))
			continue;
		n = snprintf(out + len, size - len, "%s%s", len ? " " : "", names[i].name);
		if (n < 0 || (size_t)n >= size - len) {
			/* Whole names only: drop the part that was cut. */
			out[len] = '\0';
			return out;
		}
		len += (size_t)n;
	}
	if (!len)
		snprintf(out, size, "none");
	return out;
}

bool board_aes_fast(unsigned features)
{
	const unsigned need = BOARD_CPU_AES | BOARD_CPU_CLMUL;

	if ((features & need) != need)
		return false;
	/* mbedTLS uses the instructions only where it has code for them. */
#if defined(__x86_64__) && defined(MBEDTLS_AESNI_C)
	return true;
#elif defined(__aarch64__) && defined(MBEDTLS_AESCE_C)
	return true;
#else
	/* No accelerated AES in the linked mbedTLS for this architecture
	 * (arm64 before mbedTLS 3.x with MBEDTLS_AESCE_C): the instructions
	 * would sit unused and AES runs from tables. */
	return false;
#endif
}

/* Suites per family, in preference order when AES is fast.  ECDHE only:
 * every session has forward secrecy; GCM and ChaCha20-Poly1305 only: no
 * CBC padding oracles. */
static const int suites_aes_first[] = {
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
	MBEDTLS_TLS1_3_AES_128_GCM_SHA256,
	MBEDTLS_TLS1_3_AES_256_GCM_SHA384,
	MBEDTLS_TLS1_3_CHACHA20_POLY1305_SHA256,
#endif
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
};

static const int suites_chacha_first[] = {
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
	MBEDTLS_TLS1_3_CHACHA20_POLY1305_SHA256,
	MBEDTLS_TLS1_3_AES_128_GCM_SHA256,
	MBEDTLS_TLS1_3_AES_256_GCM_SHA384,
#endif
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
};

_Static_assert(ARRAY_SIZE(suites_aes_first) < BOARD_SUITES_MAX, "BOARD_SUITES_MAX too small");
_Static_assert(ARRAY_SIZE(suites_chacha_first) == ARRAY_SIZE(suites_aes_first),
	       "both orders list the same suites");

int board_ciphersuites(bool aes_fast, int *out, size_t cap)
{
	const int *src = aes_fast ? suites_aes_first : suites_chacha_first;
	size_t n = ARRAY_SIZE(suites_aes_first);

	if (cap < n + 1) {
		if (cap)
			out[0] = 0;
		return ERR_LIMIT;
	}
	memcpy(out, src, n * sizeof(*out));
	out[n] = 0;
	return (int)n;
}

unsigned board_workers_for(unsigned cores)
{
	if (cores < 1)
		return 1;
	return MIN(cores, LIMIT_BOARD_WORKERS_MAX);
}

unsigned board_cores(void)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned n = online > 0 ? (unsigned)MIN(online, 4096L) : 1;
	cpu_set_t set;

	/* A service pinned with CPUAffinity= should not run more event loops
	 * than it has CPUs. */
	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		int allowed = CPU_COUNT(&set);

		if (allowed > 0 && (unsigned)allowed < n)
			n = (unsigned)allowed;
	}
	return n ? n : 1;
}
