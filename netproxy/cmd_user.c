/*
 * cmd_user.c - `sluice user add|passwd|del|list`: manage DATA/users.
 *
 * A running `sluice serve` notices the changed file at its next push
 * request; no restart is needed.
 */
#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/err.h"
#include "core/base/limits.h"
#include "netproxy/auth.h"
#include "netproxy/cmd_user.h"
#include "rules/rulectl.h"

#include <getopt.h>
#include <stdio.h>
#include <termios.h>
#include <unistd.h>

static int usage(void)
{
	fprintf(stderr,
		"usage: sluice user add NAME [--generate] [--data DIR]\n"
		"       sluice user passwd NAME [--generate] [--data DIR]\n"
		"       sluice user del NAME [--data DIR]\n"
		"       sluice user list [--data DIR]\n"
		"Push users of the embedded default (and users who may bypass in upstream\n"
		"mode), stored hashed in DATA/users.  add and passwd read the password as one\n"
		"line from standard input; --generate makes a random one and prints it.\n"
		"Default data directory: %s\n", rulectl_default_data_dir());
	return 2;
}

/* One line from stdin, without echo on a terminal.  0, ERR_LIMIT (too
 * long), ERR_USAGE (empty or too short), ERR_TRUNCATED (no input). */
static int read_password(char *out, size_t cap)
{
	struct termios old, quiet;
	bool tty = isatty(0) && tcgetattr(0, &old) == 0;
	size_t n;
	int err = 0;

	if (tty) {
		fprintf(stderr, "password: ");
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(0, TCSAFLUSH, &quiet);
	}
	if (!fgets(out, (int)cap, stdin))
		err = ERR_TRUNCATED;
	if (tty) {
		tcsetattr(0, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (err)
		return err;
	n = strlen(out);
	if (n && out[n - 1] != '\n' && !feof(stdin))
		return ERR_LIMIT;
	while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	return n < LIMIT_AUTH_PASSWORD_MIN ? ERR_USAGE : 0;
}

int cmd_user_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "generate", no_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = rulectl_default_data_dir(), *verb, *name = NULL;
	char path[4200], password[LIMIT_AUTH_PASSWORD_BYTES + 2];
	enum auth_change change;
	bool generate = false;
	struct buf msg, out;
	int c, err;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:gh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': data = optarg; break;
		case 'g': generate = true; break;
		default: return usage();
		}
	}
	if (optind >= argc)
		return usage();
	verb = argv[optind++];
	if (optind < argc)
		name = argv[optind++];
	if (optind != argc)
		return usage();
	snprintf(path, sizeof(path), "%s/users", data);
	buf_init(&msg, 4096);
	if (strcmp(verb, "list") == 0) {
		if (name || generate)
			return usage();
		buf_init(&out, LIMIT_AUTH_FILE_BYTES);
		err = auth_file_list(path, &out, &msg);
		if (!err)
			fwrite(out.data, 1, out.len, stdout);
		else
			fprintf(stderr, "sluice user: %.*s\n", (int)msg.len, msg.data);
		buf_release(&out);
		buf_release(&msg);
		return err ? 1 : 0;
	}
	if (strcmp(verb, "add") == 0)
		change = AUTH_ADD;
	else if (strcmp(verb, "passwd") == 0)
		change = AUTH_PASSWD;
	else if (strcmp(verb, "del") == 0)
		change = AUTH_DEL;
	else
		return usage();
	if (!name || (change == AUTH_DEL && generate))
		return usage();
	password[0] = '\0';
	if (change != AUTH_DEL) {
		err = generate ? auth_password_generate(password, sizeof(password))
			       : read_password(password, sizeof(password));
		if (err) {
			if (err == ERR_USAGE)
				fprintf(stderr, "sluice user: the password must have at least %u "
					"characters\n", LIMIT_AUTH_PASSWORD_MIN);
			else if (err == ERR_LIMIT)
				fprintf(stderr, "sluice user: the password is longer than %u bytes\n",
					LIMIT_AUTH_PASSWORD_BYTES);
			else
				fprintf(stderr, "sluice user: %s\n", err == ERR_TRUNCATED ?
					"no password on standard input" : err_str(err));
			explicit_bzero(password, sizeof(password));
			buf_release(&msg);
			return 1;
		}
	}
	err = auth_file_change(path, change, name, password, &msg);
	if (err)
		fprintf(stderr, "sluice user: %.*s\n", (int)msg.len, msg.data);
	else if (generate)
		printf("user '%s' password '%s'\n", name, password);
	else
		fprintf(stderr, "sluice user: %s %s\n", change == AUTH_ADD ? "added" :
			change == AUTH_PASSWD ? "changed the password of" : "removed", name);
	explicit_bzero(password, sizeof(password));
	buf_release(&msg);
	return err == ERR_USAGE && !auth_name_valid(name) ? 2 : err ? 1 : 0;
}
