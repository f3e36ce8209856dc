/*
 * serve.h - `sluice serve`: the appliance.
 */
#ifndef SLUICE_NETPROXY_SERVE_H
#define SLUICE_NETPROXY_SERVE_H

/* argv[0] is "serve".  Runs until SIGTERM/SIGINT; exit status 0 after a
 * clean stop, 2 when it could not start. */
int cmd_serve_main(int argc, char **argv);

#endif
