/*
 * test_board.c - board/: CPU feature detection checked against the
 * kernel's own view (/proc/cpuinfo), register decoders, board profiles
 * and the cipher order they give, worker bounds, sd_notify against a
 * datagram socket the test binds itself, the watchdog interval, the
 * entropy sources, and the firmware default config through the real
 * config parser.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err-t.h"
#include "core/base/limits.h"
#include "board/board.h"
#include "board/entropy.h"
#include "board/watchdog.h"
#include "netproxy/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <mbedtls/entropy.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ciphersuites.h>
#include <mbedtls/version.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

/* --- helpers ----------------------------------------------------------- */

/* Whether the first /proc/cpuinfo line starting with `field` lists
 * `flag` as a whole word. */
static bool cpuinfo_has(const char *field, const char *flag)
{
	char line[8192];
	size_t fl = strlen(flag);
	bool found = false;
	FILE *f = fopen("/proc/cpuinfo", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		const char *p;

		if (strncmp(line, field, strlen(field)) != 0)
			continue;
		p = strchr(line, ':');
		assert_non_null(p);
		for (p++; *p; ) {
			size_t n;

			while (*p == ' ' || *p == '\t')
				p++;
			n = strcspn(p, " \t\n");
			if (n == fl && strncmp(p, flag, fl) == 0)
				found = true;
			p += n;
			if (*p == '\n')
				break;
		}
		break;
	}
	fclose(f);
	return found;
}

static bool suite_is(int id, const char *cipher)
{
	const char *name = mbedtls_ssl_get_ciphersuite_name(id);

	return name && strstr(name, cipher) != NULL;
}

/* Index of the first suite whose name contains cipher, or -1. */
static int first_with(const int *suites, const char *cipher)
{
	int i;

	for (i = 0; suites[i]; i++)
		if (suite_is(suites[i], cipher))
			return i;
	return -1;
}

static char *mktemp_path(const char *tag)
{
	char *p = xmalloc(256);

	assert_non_null(p);
	snprintf(p, 256, "/tmp/sluice-test-board-%s-%ld", tag, (long)getpid());
	return p;
}

/* --- cpu ------------------------------------------------------------- */

static void test_cpu_matches_cpuinfo(void **state)
{
	unsigned f = board_cpu_detect();

	UNUSED(state);
	assert_int_equal(f, board_cpu_detect());
#if defined(__x86_64__)
	assert_string_equal(board_cpu_arch(), "x86_64");
	assert_int_equal(!!(f & BOARD_CPU_AES), cpuinfo_has("flags", "aes"));
	assert_int_equal(!!(f & BOARD_CPU_CLMUL), cpuinfo_has("flags", "pclmulqdq"));
	assert_int_equal(!!(f & BOARD_CPU_AVX2), cpuinfo_has("flags", "avx2"));
	assert_int_equal(!!(f & BOARD_CPU_SHA256), cpuinfo_has("flags", "sha_ni"));
	assert_int_equal(!!(f & BOARD_CPU_SHA1), cpuinfo_has("flags", "sha_ni"));
#elif defined(__aarch64__)
	assert_string_equal(board_cpu_arch(), "aarch64");
	assert_int_equal(!!(f & BOARD_CPU_AES), cpuinfo_has("Features", "aes"));
	assert_int_equal(!!(f & BOARD_CPU_CLMUL), cpuinfo_has("Features", "pmull"));
	assert_int_equal(!!(f & BOARD_CPU_SHA1), cpuinfo_has("Features", "sha1"));
	assert_int_equal(!!(f & BOARD_CPU_SHA256), cpuinfo_has("Features", "sha2"));
	assert_int_equal(f & BOARD_CPU_AVX2, 0);
#else
	assert_int_equal(f, 0);
#endif
}

static void test_cpu_x86_decode(void **state)
{
	const uint32_t aes = 1u << 25, clmul = 1u << 1, osxsave = 1u << 27, avx = 1u << 28;
	const uint32_t avx2 = 1u << 5, sha = 1u << 29;
	static const struct {
		uint32_t ecx, ebx;
		uint64_t xcr0;
		unsigned want;
	} cases[] = {
		{ 0, 0, 0, 0 },
		{ 1u << 25, 0, 0, BOARD_CPU_AES },
		{ 1u << 1, 0, 0, BOARD_CPU_CLMUL },
		/* AVX2 listed, but the OS has not enabled XSAVE: unusable. */
		{ 1u << 28, 1u << 5, 0x7, 0 },
		/* XSAVE on but YMM state not enabled in XCR0. */
		{ (1u << 27) | (1u << 28), 1u << 5, 0x3, 0 },
		{ (1u << 27) | (1u << 28), 1u << 5, 0x7, BOARD_CPU_AVX2 },
		/* AVX2 bit without AVX. */
		{ 1u << 27, 1u << 5, 0x7, 0 },
		{ 0, 1u << 29, 0, BOARD_CPU_SHA1 | BOARD_CPU_SHA256 },
	};
	size_t i;

	UNUSED(state);
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		assert_int_equal(board_cpu_from_x86(cases[i].ecx, cases[i].ebx, cases[i].xcr0),
				 cases[i].want);
	assert_int_equal(board_cpu_from_x86(aes | clmul | osxsave | avx, avx2 | sha, 0xe7),
			 BOARD_CPU_AES | BOARD_CPU_CLMUL | BOARD_CPU_AVX2 | BOARD_CPU_SHA1 |
			 BOARD_CPU_SHA256);
}

static void test_cpu_arm64_decode(void **state)
{
	UNUSED(state);
	/* FP and ASIMD only (bits 0, 1): a Cortex-A72 as in the Pi 4. */
	assert_int_equal(board_cpu_from_arm64_hwcap(0x3), 0);
	assert_int_equal(board_cpu_from_arm64_hwcap(1ul << 3), BOARD_CPU_AES);
	assert_int_equal(board_cpu_from_arm64_hwcap(1ul << 4), BOARD_CPU_CLMUL);
	assert_int_equal(board_cpu_from_arm64_hwcap(1ul << 5), BOARD_CPU_SHA1);
	assert_int_equal(board_cpu_from_arm64_hwcap(1ul << 6), BOARD_CPU_SHA256);
	/* Cortex-A76 as in the Pi 5: fp asimd evtstrm aes pmull sha1 sha2
	 * crc32 atomics ... */
	assert_int_equal(board_cpu_from_arm64_hwcap(0xfffful),
			 BOARD_CPU_AES | BOARD_CPU_CLMUL | BOARD_CPU_SHA1 | BOARD_CPU_SHA256);
}

static void test_cpu_names(void **state)
{
	char out[64], small[8];

	UNUSED(state);
	assert_string_equal(board_cpu_names(0, out, sizeof(out)), "none");
	assert_string_equal(board_cpu_names(BOARD_CPU_AES | BOARD_CPU_SHA256, out, sizeof(out)),
			    "aes sha256");
	assert_string_equal(board_cpu_names(BOARD_CPU_AES | BOARD_CPU_CLMUL | BOARD_CPU_AVX2 |
					    BOARD_CPU_SHA1 | BOARD_CPU_SHA256, out, sizeof(out)),
			    "aes clmul avx2 sha1 sha256");
	/* Truncation keeps whole names and stays terminated. */
	board_cpu_names(BOARD_CPU_AES | BOARD_CPU_CLMUL | BOARD_CPU_AVX2, small, sizeof(small));
	assert_true(strlen(small) < sizeof(small));
	assert_string_equal(small, "aes");
}

/* --- cipher order ------------------------------------------------------ */

static void check_suite_list(const int *s, bool aes_first)
{
	int aes128 = first_with(s, "AES-128-GCM"), aes256 = first_with(s, "AES-256-GCM");
	int chacha = first_with(s, "CHACHA20-POLY1305");
	int i;

	assert_true(aes128 >= 0 && aes256 >= 0 && chacha >= 0);
	for (i = 0; s[i]; i++) {
		const char *name = mbedtls_ssl_get_ciphersuite_name(s[i]);

		/* Every id is known to the linked mbedTLS, and is an AEAD
		 * suite with forward secrecy (TLS 1.3 suites are always). */
		assert_non_null(name);
		assert_null(strstr(name, "unknown"));
		assert_true(strstr(name, "ECDHE") || strncmp(name, "TLS1-3", 6) == 0);
		assert_true(strstr(name, "GCM") || strstr(name, "CHACHA20"));
	}
	if (aes_first) {
		assert_true(suite_is(s[0], "AES-128-GCM"));
		assert_true(aes128 < aes256 && aes256 < chacha);
	} else {
		assert_true(suite_is(s[0], "CHACHA20-POLY1305"));
		assert_true(chacha < aes128 && aes128 < aes256);
	}
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
	assert_int_equal(strncmp(mbedtls_ssl_get_ciphersuite_name(s[0]), "TLS1-3", 6), 0);
#endif
}

static void test_ciphersuites_order(void **state)
{
	int a[BOARD_SUITES_MAX], c[BOARD_SUITES_MAX], tiny[3] = { 7, 7, 7 };
	int na, nc, i, j;

	UNUSED(state);
	na = board_ciphersuites(true, a, ARRAY_SIZE(a));
	nc = board_ciphersuites(false, c, ARRAY_SIZE(c));
	assert_true(na > 0);
	assert_int_equal(na, nc);
	assert_int_equal(a[na], 0);
	assert_int_equal(c[nc], 0);
	check_suite_list(a, true);
	check_suite_list(c, false);
	/* Same set, only the order differs. */
	for (i = 0; i < na; i++) {
		bool found = false;

		for (j = 0; j < nc; j++)
			found |= a[i] == c[j];
		assert_true(found);
	}
	/* Too small: refused, and left an empty list rather than an
	 * unterminated one. */
	assert_int_equal(board_ciphersuites(true, tiny, ARRAY_SIZE(tiny)), ERR_LIMIT);
	assert_int_equal(tiny[0], 0);
}

/* --- profiles ---------------------------------------------------------- */

static void test_profile_forced_rpi4(void **state)
{
	struct board_profile p;

	UNUSED(state);
	assert_int_equal(board_profile_init(&p, "rpi4", "/nonexistent/model"), 0);
	assert_string_equal(p.name, "rpi4");
	assert_true(p.forced);
	assert_int_equal(p.cpu, 0);
	assert_false(p.aes_fast);
	check_suite_list(p.ciphersuites, false);
}

static void test_profile_forced_rpi5(void **state)
{
	struct board_profile p;

	UNUSED(state);
	assert_int_equal(board_profile_init(&p, "rpi5", "/nonexistent/model"), 0);
	assert_string_equal(p.name, "rpi5");
	assert_int_equal(p.cpu & (BOARD_CPU_AES | BOARD_CPU_CLMUL), BOARD_CPU_AES | BOARD_CPU_CLMUL);
#if (defined(__x86_64__) && defined(MBEDTLS_AESNI_C)) || \
	(defined(__aarch64__) && defined(MBEDTLS_AESCE_C))
	assert_true(p.aes_fast);
	check_suite_list(p.ciphersuites, true);
#else
	/* The library has no accelerated AES here: ChaCha20 stays first
	 * whatever the CPU can do. */
	assert_false(p.aes_fast);
	check_suite_list(p.ciphersuites, false);
#endif
}

static void test_profile_detected(void **state)
{
	struct board_profile p;
	unsigned cpu = board_cpu_detect();
	long conf = sysconf(_SC_NPROCESSORS_CONF);

	UNUSED(state);
	/* No device tree model at this path: a generic profile with the
	 * CPU's own features. */
	assert_int_equal(board_profile_init(&p, NULL, "/nonexistent/model"), 0);
	assert_false(p.forced);
	assert_string_equal(p.model, "");
	assert_int_equal(p.cpu, cpu);
#if defined(__x86_64__)
	assert_string_equal(p.name, "generic-x86_64");
#ifdef MBEDTLS_AESNI_C
	/* AES-NI with PCLMULQDQ, per the kernel: AES-GCM first. */
	assert_int_equal(p.aes_fast, cpuinfo_has("flags", "aes") && cpuinfo_has("flags", "pclmulqdq"));
#endif
#elif defined(__aarch64__)
	assert_string_equal(p.name, "generic-arm64");
#endif
	check_suite_list(p.ciphersuites, p.aes_fast);
	assert_true(p.cores >= 1);
	assert_true(conf < 1 || p.cores <= (unsigned)conf);
	assert_int_equal(p.workers, board_workers_for(p.cores));
	assert_true(p.workers >= 1 && p.workers <= LIMIT_BOARD_WORKERS_MAX);
}

static void test_profile_unknown_name(void **state)
{
	struct board_profile p;

	UNUSED(state);
	assert_int_equal(board_profile_init(&p, "rpi99", "/nonexistent/model"), ERR_NOTFOUND);
	/* Still usable, as if detected. */
	assert_false(p.forced);
	assert_true(strncmp(p.name, "generic", 7) == 0);
	assert_int_equal(p.cpu, board_cpu_detect());
	assert_int_not_equal(p.ciphersuites[0], 0);
}

static void test_profile_model_match(void **state)
{
	static const struct { const char *model, *want; } cases[] = {
		{ "Raspberry Pi 4 Model B Rev 1.4", "rpi4" },
		{ "Raspberry Pi 400 Rev 1.0", "rpi4" },
		{ "Raspberry Pi Compute Module 4 Rev 1.0", "rpi4" },
		{ "Raspberry Pi 5 Model B Rev 1.0", "rpi5" },
		{ "Raspberry Pi Compute Module 5 Rev 1.0", "rpi5" },
		{ "Raspberry Pi 3 Model B Plus Rev 1.3", NULL },
		{ "Pine64 RockPro64 v2.1", NULL },
		{ "", NULL },
	};
	size_t i;

	UNUSED(state);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *got = board_match_model(cases[i].model);

		if (cases[i].want)
			assert_string_equal(got, cases[i].want);
		else
			assert_null(got);
	}
	for (i = 0; board_known_name(i); i++)
		;
	assert_int_equal(i, 4);
	assert_string_equal(board_known_name(2), "rpi4");
}

static void test_profile_from_dt_file(void **state)
{
	/* The property as the kernel exposes it: NUL-terminated. */
	static const char model[] = "Raspberry Pi 4 Model B Rev 1.4";
	char *path = mktemp_path("model");
	struct board_profile p;
	int fd;

	UNUSED(state);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, model, sizeof(model)), (ssize_t)sizeof(model));
	close(fd);
	assert_int_equal(board_profile_init(&p, NULL, path), 0);
	unlink(path);
	xfree(path);
	assert_string_equal(p.model, model);
	assert_string_equal(p.name, "rpi4");
	assert_false(p.forced);
	/* Detected, not forced: the CPU's answer stands. */
	assert_int_equal(p.cpu, board_cpu_detect());
}

static void test_workers_bounds(void **state)
{
	static const unsigned cores[] = { 0, 1, 2, 3, 4, 7, 8, 9, 64, 4096, ~0u };
	static const unsigned want[] = { 1, 1, 2, 3, 4, 7, 8, 8, 8, 8, 8 };
	size_t i;

	UNUSED(state);
	assert_int_equal(LIMIT_BOARD_WORKERS_MAX, 8);
	for (i = 0; i < ARRAY_SIZE(cores); i++)
		assert_int_equal(board_workers_for(cores[i]), want[i]);
	assert_true(board_cores() >= 1);
}

/* --- watchdog ---------------------------------------------------------- */

struct notify_sock {
	int fd;
	char name[108];		/* as put in NOTIFY_SOCKET */
};

static void notify_bind(struct notify_sock *s, bool abstract)
{
	struct sockaddr_un sa;
	socklen_t len;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (abstract) {
		snprintf(s->name, sizeof(s->name), "@sluice-test-notify-%ld", (long)getpid());
		memcpy(sa.sun_path, s->name, strlen(s->name));
		sa.sun_path[0] = '\0';
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(s->name));
	} else {
		snprintf(s->name, sizeof(s->name), "/tmp/sluice-test-notify-%ld", (long)getpid());
		unlink(s->name);
		memcpy(sa.sun_path, s->name, strlen(s->name) + 1);
		len = sizeof(sa);
	}
	s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(s->fd >= 0);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&sa, len), 0);
}

static void notify_close(struct notify_sock *s)
{
	close(s->fd);
	if (s->name[0] == '/')
		unlink(s->name);
}

/* Receives one datagram (waiting at most 2 s) and compares it. */
static void expect_msg(struct notify_sock *s, const char *want)
{
	char got[2048];
	struct timeval tv = { 2, 0 };
	ssize_t n;

	assert_int_equal(setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	n = recv(s->fd, got, sizeof(got) - 1, 0);
	assert_true(n >= 0);
	got[n] = '\0';
	assert_string_equal(got, want);
}

static void expect_nothing(struct notify_sock *s)
{
	char got[16];

	assert_int_equal(recv(s->fd, got, sizeof(got), MSG_DONTWAIT), -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
}

static void test_notify_path_socket(void **state)
{
	struct notify_sock s;
	char big[LIMIT_NOTIFY_BYTES + 16];

	UNUSED(state);
	notify_bind(&s, false);
	assert_int_equal(setenv("NOTIFY_SOCKET", s.name, 1), 0);

	assert_int_equal(watchdog_ready(NULL), 0);
	expect_msg(&s, "READY=1");
	assert_int_equal(watchdog_ready("listening on 0.0.0.0:8443"), 0);
	expect_msg(&s, "READY=1\nSTATUS=listening on 0.0.0.0:8443");
	assert_int_equal(watchdog_status("3 pushes in flight"), 0);
	expect_msg(&s, "STATUS=3 pushes in flight");
	assert_int_equal(watchdog_ping(), 0);
	expect_msg(&s, "WATCHDOG=1");
	assert_int_equal(watchdog_stopping(), 0);
	expect_msg(&s, "STOPPING=1");

	/* A status must not smuggle in another assignment. */
	assert_int_equal(watchdog_status("ok\nWATCHDOG=trigger"), ERR_SYNTAX);
	assert_int_equal(watchdog_ready("x\n"), ERR_SYNTAX);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(watchdog_status(big), ERR_LIMIT);
	assert_int_equal(watchdog_notify(big), ERR_LIMIT);
	expect_nothing(&s);

	/* The built-in implementation, whichever one watchdog_notify uses. */
	assert_int_equal(watchdog_notify_socket(s.name, "READY=1"), 0);
	expect_msg(&s, "READY=1");

	notify_close(&s);
	/* Nobody listening any more. */
	assert_true(watchdog_notify_socket(s.name, "WATCHDOG=1") < 0);
	assert_true(watchdog_ping() < 0);
	assert_int_equal(unsetenv("NOTIFY_SOCKET"), 0);
}

static void test_notify_abstract_socket(void **state)
{
	struct notify_sock s;

	UNUSED(state);
	notify_bind(&s, true);
	assert_int_equal(watchdog_notify_socket(s.name, "READY=1\nSTATUS=abstract"), 0);
	expect_msg(&s, "READY=1\nSTATUS=abstract");
	assert_int_equal(setenv("NOTIFY_SOCKET", s.name, 1), 0);
	assert_int_equal(watchdog_ping(), 0);
	expect_msg(&s, "WATCHDOG=1");
	assert_int_equal(unsetenv("NOTIFY_SOCKET"), 0);
	notify_close(&s);
}

static void test_notify_unsupervised(void **state)
{
	char longname[200];

	UNUSED(state);
	assert_int_equal(unsetenv("NOTIFY_SOCKET"), 0);
	assert_int_equal(watchdog_ready("x"), ERR_NOTFOUND);
	assert_int_equal(watchdog_ping(), ERR_NOTFOUND);
	assert_int_equal(watchdog_notify_socket(NULL, "READY=1"), ERR_NOTFOUND);
	assert_int_equal(watchdog_notify_socket("", "READY=1"), ERR_NOTFOUND);
	assert_int_equal(watchdog_notify_socket("relative/path", "READY=1"), -EAFNOSUPPORT);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[0] = '/';
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(watchdog_notify_socket(longname, "READY=1"), -ENAMETOOLONG);
}

static void test_watchdog_interval(void **state)
{
	char pid[32];

	UNUSED(state);
	unsetenv("WATCHDOG_PID");
	unsetenv("WATCHDOG_USEC");
	assert_int_equal(watchdog_interval_usec(), 0);

	setenv("WATCHDOG_USEC", "30000000", 1);
	assert_int_equal(watchdog_interval_usec(), 30000000);

	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(watchdog_interval_usec(), 30000000);

	/* Meant for another process (a parent that forked us). */
	snprintf(pid, sizeof(pid), "%ld", (long)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(watchdog_interval_usec(), 0);
	unsetenv("WATCHDOG_PID");

	setenv("WATCHDOG_USEC", "0", 1);
	assert_int_equal(watchdog_interval_usec(), 0);
	setenv("WATCHDOG_USEC", "thirty", 1);
	assert_int_equal(watchdog_interval_usec(), 0);
	setenv("WATCHDOG_USEC", "30000000x", 1);
	assert_int_equal(watchdog_interval_usec(), 0);
	unsetenv("WATCHDOG_USEC");
}

/* --- entropy ----------------------------------------------------------- */

static void test_entropy_getrandom(void **state)
{
	unsigned char a[1000], b[1000], zero[1000];
	size_t olen = 12345;

	UNUSED(state);
	memset(zero, 0, sizeof(zero));
	assert_int_equal(board_entropy_getrandom(NULL, a, sizeof(a), &olen), 0);
	assert_int_equal(olen, sizeof(a));
	assert_int_equal(board_entropy_getrandom(NULL, b, sizeof(b), &olen), 0);
	assert_int_equal(olen, sizeof(b));
	assert_memory_not_equal(a, zero, sizeof(a));
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(board_entropy_getrandom(NULL, a, 0, &olen), 0);
	assert_int_equal(olen, 0);
}

/* A regular file stands in for the device: the callback's bookkeeping
 * (bytes, order, end of data) is checked exactly. */
static void test_entropy_hwrng_file(void **state)
{
	char *path = mktemp_path("hwrng");
	unsigned char data[48], out[32];
	struct board_entropy e;
	size_t olen, i;
	int fd;

	UNUSED(state);
	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 37 + 11);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, sizeof(data)), (ssize_t)sizeof(data));
	close(fd);

	assert_int_equal(board_entropy_open(&e, path), 0);
	assert_true(board_entropy_has_hwrng(&e));
	assert_int_equal(board_entropy_hwrng(&e, out, sizeof(out), &olen), 0);
	assert_int_equal(olen, 32);
	assert_memory_equal(out, data, 32);
	assert_int_equal(board_entropy_hwrng(&e, out, sizeof(out), &olen), 0);
	assert_int_equal(olen, 16);
	assert_memory_equal(out, data + 32, 16);
	assert_int_equal(board_entropy_hwrng(&e, out, sizeof(out), &olen), 0);
	assert_int_equal(olen, 0);
	board_entropy_close(&e);
	assert_false(board_entropy_has_hwrng(&e));
	board_entropy_close(&e);
	unlink(path);
	xfree(path);

	/* No device: not an error, never any bytes. */
	assert_int_equal(board_entropy_open(&e, "/nonexistent/hwrng"), 0);
	assert_false(board_entropy_has_hwrng(&e));
	olen = 99;
	assert_int_equal(board_entropy_hwrng(&e, out, sizeof(out), &olen), 0);
	assert_int_equal(olen, 0);
	board_entropy_close(&e);
}

/* The real device, when this machine has one and we may read it: never
 * blocks, never reports more than asked. */
static void test_entropy_hwrng_device(void **state)
{
	struct board_entropy e;
	unsigned char out[64];
	size_t olen = 999;
	int i;

	UNUSED(state);
	assert_int_equal(board_entropy_open(&e, NULL), 0);
	assert_int_equal(board_entropy_has_hwrng(&e), access(BOARD_HWRNG_PATH, R_OK) == 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(board_entropy_hwrng(&e, out, sizeof(out), &olen), 0);
		assert_true(olen <= sizeof(out));
		if (!board_entropy_has_hwrng(&e))
			assert_int_equal(olen, 0);
	}
	board_entropy_close(&e);
}

static void test_entropy_attach(void **state)
{
	char *path = mktemp_path("hwrng-attach");
	unsigned char seed[4096], out[64];
	mbedtls_entropy_context ctx;
	struct board_entropy e;
	int fd;

	UNUSED(state);
	memset(seed, 0x5a, sizeof(seed));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, seed, sizeof(seed)), (ssize_t)sizeof(seed));
	close(fd);

	assert_int_equal(board_entropy_open(&e, path), 0);
	mbedtls_entropy_init(&ctx);
	assert_int_equal(board_entropy_attach(&e, &ctx), 0);
	assert_int_equal(mbedtls_entropy_func(&ctx, out, sizeof(out)), 0);
	/* The weak source was polled: the stand-in file was read from. */
	assert_true(lseek(e.hwrng_fd, 0, SEEK_CUR) > 0);
	mbedtls_entropy_free(&ctx);
	board_entropy_close(&e);
	unlink(path);
	xfree(path);
}

/* --- firmware default config -------------------------------------------- */

/* firmware/sluice.conf goes through the parser `sluice serve` uses, and
 * holds the values the issue and the unit depend on. */
static void test_firmware_default_config(void **state)
{
	const char *src = getenv("SLUICE_SOURCE_DIR");
	struct sluice_config c, d;
	struct buf msg, path;

	UNUSED(state);
	assert_non_null(src);
	buf_init(&msg, 4096);
	buf_init(&path, 4096);
	assert_int_equal(buf_printf(&path, "%s/firmware/sluice.conf%c", src, '\0'), 0);
	config_default(&c);
	if (config_load_file(&c, (const char *)path.data, &msg) != 0) {
		assert_int_equal(buf_append(&msg, "", 1), 0);
		fail_msg("%s", (const char *)msg.data);
	}
	assert_string_equal(c.listen, "0.0.0.0:8443");
	assert_string_equal(c.data, "/var/lib/sluice");
	assert_string_equal(c.upstream, "");
	assert_string_equal(c.cert, "");
	assert_string_equal(c.key, "");
	assert_string_equal(c.log_level, "info");
	assert_int_equal(c.verdict_deadline_ms, 4000);
	assert_int_equal(c.hold_whole_max, 1048576);
	assert_int_equal(c.workers, 0);
	assert_false(c.policy.fail_open);
	assert_false(c.policy.monitor);
	assert_int_equal(c.policy.bypass, BYPASS_ANYONE);
	assert_int_equal(c.n_repos, 0);
	/* The file states the built-in defaults, as its header says. */
	config_default(&d);
	assert_string_equal(c.listen, d.listen);
	assert_string_equal(c.server_name, d.server_name);
	assert_int_equal(c.max_connections, d.max_connections);
	assert_int_equal(c.idle_timeout_ms, d.idle_timeout_ms);
	assert_int_equal(c.max_findings_shown, d.max_findings_shown);
	assert_memory_equal(&c.policy, &d.policy, sizeof(c.policy));
	config_release(&c);
	config_release(&d);
	buf_release(&msg);
	buf_release(&path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_matches_cpuinfo),
		cmocka_unit_test(test_cpu_x86_decode),
		cmocka_unit_test(test_cpu_arm64_decode),
		cmocka_unit_test(test_cpu_names),
		cmocka_unit_test(test_ciphersuites_order),
		cmocka_unit_test(test_profile_forced_rpi4),
		cmocka_unit_test(test_profile_forced_rpi5),
		cmocka_unit_test(test_profile_detected),
		cmocka_unit_test(test_profile_unknown_name),
		cmocka_unit_test(test_profile_model_match),
		cmocka_unit_test(test_profile_from_dt_file),
		cmocka_unit_test(test_workers_bounds),
		cmocka_unit_test(test_notify_path_socket),
		cmocka_unit_test(test_notify_abstract_socket),
		cmocka_unit_test(test_notify_unsupervised),
		cmocka_unit_test(test_watchdog_interval),
		cmocka_unit_test(test_entropy_getrandom),
		cmocka_unit_test(test_entropy_hwrng_file),
		cmocka_unit_test(test_entropy_hwrng_device),
		cmocka_unit_test(test_entropy_attach),
		cmocka_unit_test(test_firmware_default_config),
	};

	return cmocka_run_group_tests_name("board/", tests, NULL, NULL);
}
