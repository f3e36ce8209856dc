/*
 * cmd_user.h - `sluice user`: the push users in DATA/users (auth.h).
 */
#ifndef SLUICE_NETPROXY_CMD_USER_H
#define SLUICE_NETPROXY_CMD_USER_H

/* argv[0] is "user".  Exit status: 0 done, 1 the change was refused (a
 * user that exists or does not, a malformed DATA/users, an I/O error),
 * 2 bad arguments. */
int cmd_user_main(int argc, char **argv);

#endif
