/*
 * fuzz_config.c - libFuzzer target for the serve configuration
 * (netproxy/config.h).
 *
 * The input is loaded as a configuration file (through a memfd, so no
 * disk is touched); when it loads, its --print-config dump must load
 * again and dump to the same text.  Then the input is split into
 * key=value lines handed to config_set() directly (values may hold what
 * a file cannot: '#', surrounding blanks), and config_policy_for() is
 * asked about every repository that was configured.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/verdict/policy.h"
#include "netproxy/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Loads bytes as a config file into c.  Returns config_load_file's code. */
static int load_bytes(struct sluice_config *c, const uint8_t *p, size_t n)
{
	char path[64];
	int fd = memfd_create("fuzz_config", MFD_CLOEXEC), err;
	size_t off = 0;

	if (fd < 0)
		abort();
	while (off < n) {
		ssize_t w = write(fd, p + off, n - off);

		if (w <= 0)
			abort();
		off += (size_t)w;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	err = config_load_file(c, path, NULL);
	close(fd);
	return err;
}

/* Same behaviour (the user list matters only when it is used). */
static bool policy_same(const struct policy *a, const struct policy *b)
{
	return a->secret_block == b->secret_block && a->secret_warn == b->secret_warn &&
	       memcmp(a->iac, b->iac, sizeof(a->iac)) == 0 && a->limits == b->limits &&
	       a->fail_open == b->fail_open && a->monitor == b->monitor && a->bypass == b->bypass &&
	       (a->bypass != BYPASS_USERS || strcmp(a->bypass_users, b->bypass_users) == 0);
}

static void round_trip(const struct sluice_config *a)
{
	struct sluice_config b;
	struct buf d1, d2;
	size_t i;

	buf_init(&d1, 1u << 26);
	buf_init(&d2, 1u << 26);
	if (config_dump(a, &d1))
		__builtin_trap();
	config_default(&b);
	if (load_bytes(&b, d1.data, d1.len) != 0 || config_dump(&b, &d2) ||
	    d1.len != d2.len || memcmp(d1.data, d2.data, d1.len) != 0 || a->n_repos != b.n_repos ||
	    !policy_same(&a->policy, &b.policy))
		__builtin_trap();
	for (i = 0; i < a->n_repos; i++) {
		const struct policy *pa = config_policy_for(a, a->repos[i].repo);
		const struct policy *pb = config_policy_for(&b, a->repos[i].repo);

		if (!policy_same(pa, pb))
			__builtin_trap();
	}
	config_release(&b);
	buf_release(&d1);
	buf_release(&d2);
}

static void set_lines(const uint8_t *data, size_t size)
{
	struct sluice_config c;
	struct buf line, msg;
	size_t i = 0;

	config_default(&c);
	buf_init(&line, 1u << 20);
	buf_init(&msg, 1u << 16);
	while (i < size) {
		const uint8_t *nl = memchr(data + i, '\n', size - i);
		size_t end = nl ? (size_t)(nl - data) : size;
		char *eq;

		buf_reset(&line);
		if (buf_append(&line, data + i, end - i) || buf_append(&line, "", 1))
			abort();
		i = end + 1;
		eq = strchr((char *)line.data, '=');
		if (!eq)
			continue;
		*eq = '\0';
		buf_reset(&msg);
		config_set(&c, (char *)line.data, eq + 1, &msg);
	}
	for (i = 0; i < c.n_repos; i++)
		if (config_policy_for(&c, c.repos[i].repo) != &c.repos[i].policy)
			__builtin_trap();
	buf_reset(&msg);
	if (config_dump(&c, &msg))
		__builtin_trap();
	config_release(&c);
	buf_release(&line);
	buf_release(&msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sluice_config c;

	config_default(&c);
	if (load_bytes(&c, data, size) == 0)
		round_trip(&c);
	config_release(&c);
	set_lines(data, size);
	return 0;
}
