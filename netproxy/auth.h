/*
 * auth.h - who is pushing: HTTP Basic credentials (RFC 7617) verified
 * against DATA/users, the appliance's own user file.
 *
 * DATA/users is one user per line, `name:hash`, mode 0600:
 *
 *     admin:$pbkdf2-sha256$100000$<salt, base64>$<32-byte key, base64>
 *
 * The hash is PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) with a random salt per
 * user and the iteration count in the line, so a count raised later
 * applies to new and changed passwords while old lines keep working.
 * Blank lines and lines starting with '#' are ignored; any other line
 * that is not exactly this form makes the whole file invalid (the error
 * names file:line).  Names are 1..LIMIT_AUTH_NAME_BYTES characters of
 * [A-Za-z0-9._-] starting with a letter or digit: they become
 * REMOTE_USER for git http-backend and a field of the audit record.
 *
 * What each mode trusts:
 * - Embedded default (AUTH_GATE): sluice is the only authority.  A push
 *   (the receive-pack advertisement and the receive-pack POST) needs a
 *   credential verified here; REMOTE_USER is set only for such a user,
 *   and git http-backend enables receive-pack only when REMOTE_USER is
 *   set, unless the repository says `http.receivepack false`.
 * - Upstream mode (AUTH_ADVISORY): the upstream authenticates every push
 *   itself and sluice forwards the Authorization field unchanged.  The
 *   user name sluice records and matches against `bypass = users:...` is
 *   only one verified here, against DATA/users: the same credential must
 *   then be valid both here and upstream.  Without DATA/users, or for a
 *   name it does not list, the pusher counts as unverified and a users:
 *   bypass is refused.  The Basic user name alone is never trusted.
 *
 * Cost: verification runs PBKDF2 on the calling event loop (about 25 ms
 * at the default count).  Three bounds keep that from becoming a way to
 * burn the CPU: a cache of recently verified credentials (keyed by an
 * HMAC, with a random per-process key, of the whole Authorization value,
 * so the cache holds no password), a failure limiter per client address
 * (an IPv6 client counts per /64), and a process-wide cap on hashes per
 * second.  A throttled request is answered without hashing.
 *
 * Caveats:
 * - Thread-safe: one struct auth is shared by all workers; a mutex guards
 *   the user table, cache and limiter, and is never held while hashing.
 * - DATA/users is re-read when its identity (inode, size, mtime) changes,
 *   checked at each verification; a file that no longer parses is
 *   reported on stderr once and the last good table stays in force.  A
 *   deleted file means no users.  Any change empties the cache, so a
 *   removed user or a changed password takes effect at the next request.
 * - The file functions (auth_file_*) serialize writers with flock(2) on
 *   DATA/users.lock and replace the file by rename(2), so the server
 *   never reads half a file.
 */
#ifndef SLUICE_NETPROXY_AUTH_H
#define SLUICE_NETPROXY_AUTH_H

#include "core/base/api.h"
#include "core/base/buf.h"
#include "core/base/limits.h"

#include <stdint.h>

struct auth;

enum auth_mode {
	AUTH_GATE,	/* embedded default: every push authenticates here */
	AUTH_ADVISORY,	/* upstream mode: only names in DATA/users are checked */
};

enum auth_result {
	AUTH_VERIFIED,		/* the name and password match DATA/users */
	AUTH_NO_CREDENTIAL,	/* no Authorization field, or not Basic */
	AUTH_REFUSED,		/* malformed, unknown name, or wrong password */
	AUTH_THROTTLED,		/* too many failures from this client: not checked */
	AUTH_BUSY,		/* the process-wide hash rate is spent: not checked */
};

/* Room for a verified name and its NUL. */
#define AUTH_NAME_CAP (LIMIT_AUTH_NAME_BYTES + 1)

/* Loads users_path (normally DATA/users) if it exists; a missing file is
 * an empty table (every credential is refused until one is added).  *out
 * is owned by the caller until auth_free().  0; ERR_SYNTAX with
 * "path:line: what" in msg for a malformed file; ERR_LIMIT (file, line
 * or user count over its limit); ERR_UNSUPPORTED when the file is not a
 * regular file or is writable by group or others (anyone who can write
 * it can make themselves a user); -errno when it cannot be read;
 * ERR_NOMEM. */
int auth_new(const char *users_path, enum auth_mode mode, struct auth **out, struct buf *msg);
/* Frees everything; NULL is accepted. */
void auth_free(struct auth *a);

/* Verifies the value of an Authorization field (value, len: not
 * NUL-terminated, borrowed for the call) sent by client (a numeric
 * address as inet_ntop writes it; used only to count failures).
 *
 * AUTH_VERIFIED copies the user name into user_out (cap bytes, at least
 * AUTH_NAME_CAP).  value NULL or not "Basic <base64>" is
 * AUTH_NO_CREDENTIAL and costs nothing.  A malformed Basic value, an
 * unknown name or a wrong password is AUTH_REFUSED and counts as one
 * failure of the client; in AUTH_GATE mode an unknown name costs a hash
 * like a known one, so timing does not tell which names exist; in
 * AUTH_ADVISORY mode an unknown name is refused without hashing and not
 * counted (the credential is probably the upstream's, not a guess).
 * AUTH_THROTTLED and AUTH_BUSY: not checked at all (see above). */
enum auth_result auth_verify_basic(struct auth *a, const char *client, const char *value,
				   size_t len, char *user_out, size_t cap);

/* Users in the table now (after re-reading a changed file). */
size_t auth_user_count(struct auth *a);

/* Replaces the monotonic clock (seconds) used for the cache lifetime,
 * the failure window and the hash rate: for tests. */
void auth_clock_set(struct auth *a, uint64_t (*now_sec)(void));

/* --- DATA/users management (the `sluice user` command, first start) ------ */

/* Whether name is a valid user name (see above). */
bool auth_name_valid(const char *name);

/* A random password of LIMIT_AUTH_GENERATED_CHARS base62 characters
 * from the OS random generator, into out (cap > that length).  0 or
 * -errno of getrandom(2). */
int auth_password_generate(char *out, size_t cap);

/* Hashes password (NUL-terminated, 1..LIMIT_AUTH_PASSWORD_BYTES bytes)
 * for name into one `name:$pbkdf2-sha256$...` line without newline,
 * appended to line.  iterations 0 means LIMIT_AUTH_PBKDF2_ITER_DEFAULT.
 * 0, ERR_USAGE (bad name, password or count), ERR_LIMIT, -errno of
 * getrandom(2), ERR_NOMEM. */
int auth_hash_line(const char *name, const char *password, unsigned iterations,
		   struct buf *line);

enum auth_change {
	AUTH_ADD,	/* a new user: ERR_USAGE with a message when it exists */
	AUTH_PASSWD,	/* a new password: ERR_NOTFOUND when the user does not exist */
	AUTH_DEL,	/* remove: ERR_NOTFOUND when the user does not exist */
};

/* Applies one change to users_path (created, mode 0600, when missing and
 * the change is AUTH_ADD).  password is ignored for AUTH_DEL.  The
 * existing file must parse (its error, with file:line, is in msg).
 * 0 or the errors of auth_new() and auth_hash_line(), ERR_NOTFOUND,
 * ERR_USAGE, ERR_IO, -errno; msg says what went wrong. */
int auth_file_change(const char *users_path, enum auth_change change, const char *name,
		     const char *password, struct buf *msg);

/* Appends the user names of users_path, one per line, to out (a missing
 * file lists nothing).  0, ERR_LIMIT when out is full, or the errors of
 * auth_new() with the message in msg. */
int auth_file_list(const char *users_path, struct buf *out, struct buf *msg);

/* First start of the embedded default: when users_path does not exist,
 * creates it (mode 0600) with the user `admin` and a generated password,
 * which is copied to password_out (cap > LIMIT_AUTH_GENERATED_CHARS) for
 * the caller to show once.  Returns 1 when it created the file, 0 when
 * the file already existed (nothing changed, password_out empty), or a
 * negative error of auth_hash_line() or the file system. */
int auth_first_start(const char *users_path, char *password_out, size_t cap, struct buf *msg);

#endif
