/*
 * profiles.c - the table of boards sluice knows, and building a profile
 * from it (issue 3 §4; style.md layout "board/ profiles").
 *
 * A board is recognised by the device tree "model" property, a
 * NUL-terminated string the firmware fills in (Devicetree Specification
 * §2.3.2); machines without a device tree (PCs, most servers, VMs) are
 * generic-<arch>.
 */
#include "core/base/api.h"
#include "core/base/err-t.h"
#include "board/board.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

struct known_board {
	const char *name;		/* profile name */
	const char *models[3];		/* device-tree model prefixes, NULL-ended */
	bool fixed_cpu;			/* forced: use cpu, not detection */
	unsigned cpu;			/* what the SoC is known to have */
};

static const struct known_board boards[] = {
	/* Generic profiles describe no hardware of their own: the CPU is
	 * asked even when forced. */
	{ "generic-x86_64", { NULL }, false, 0 },
	{ "generic-arm64", { NULL }, false, 0 },
	/* BCM2711: Cortex-A72 built without the ARMv8 crypto extensions, so
	 * AES runs in software; ChaCha20 wins.  Also Pi 400 and CM4(S). */
	{ "rpi4", { "Raspberry Pi 4", "Raspberry Pi Compute Module 4", NULL }, true, 0 },
	/* BCM2712: Cortex-A76 with AES, PMULL, SHA1 and SHA2.  Also Pi 500
	 * and CM5. */
	{ "rpi5", { "Raspberry Pi 5", "Raspberry Pi Compute Module 5", NULL }, true,
	  BOARD_CPU_AES | BOARD_CPU_CLMUL | BOARD_CPU_SHA1 | BOARD_CPU_SHA256 },
};

const char *board_known_name(size_t i)
{
	return i < ARRAY_SIZE(boards) ? boards[i].name : NULL;
}

static const struct known_board *find_board(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(boards); i++)
		if (strcmp(boards[i].name, name) == 0)
			return &boards[i];
	return NULL;
}

const char *board_match_model(const char *model)
{
	size_t i, j;

	for (i = 0; model && i < ARRAY_SIZE(boards); i++)
		for (j = 0; boards[i].models[j]; j++)
			if (strncmp(model, boards[i].models[j], strlen(boards[i].models[j])) == 0)
				return boards[i].name;
	return NULL;
}

/* Reads the model string into out ("" when there is none).  The property
 * is NUL-terminated and may carry padding; only printable text is kept so
 * that a log line built from it stays one line. */
static void read_model(const char *path, char *out, size_t size)
{
	ssize_t n;
	size_t i;
	int fd;

	out[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	do
		n = read(fd, out, size - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n <= 0) {
		out[0] = '\0';
		return;
	}
	out[n] = '\0';
	for (i = 0; out[i]; i++)
		if (out[i] < 0x20 || out[i] > 0x7e) {
			out[i] = '\0';
			break;
		}
}

static const char *generic_name(void)
{
	const char *arch = board_cpu_arch();

	if (strcmp(arch, "x86_64") == 0)
		return "generic-x86_64";
	if (strcmp(arch, "aarch64") == 0)
		return "generic-arm64";
	return "generic";
}

int board_profile_init(struct board_profile *p, const char *force_name,
		       const char *dt_model_path)
{
	const struct known_board *kb = NULL;
	const char *name;
	int err = 0;

	memset(p, 0, sizeof(*p));
	p->arch = board_cpu_arch();
	read_model(dt_model_path ? dt_model_path : BOARD_DT_MODEL_PATH, p->model,
		   sizeof(p->model));
	p->cpu = board_cpu_detect();

	if (force_name && *force_name) {
		kb = find_board(force_name);
		if (!kb)
			err = ERR_NOTFOUND;
	}
	if (kb) {
		p->forced = true;
		name = kb->name;
		if (kb->fixed_cpu)
			p->cpu = kb->cpu;
	} else {
		name = board_match_model(p->model);
		if (!name)
			name = generic_name();
	}
	snprintf(p->name, sizeof(p->name), "%s", name);

	p->aes_fast = board_aes_fast(p->cpu);
	p->cores = board_cores();
	p->workers = board_workers_for(p->cores);
	/* Cannot fail: BOARD_SUITES_MAX is checked at compile time. */
	board_ciphersuites(p->aes_fast, p->ciphersuites, ARRAY_SIZE(p->ciphersuites));
	return err;
}
