/*
 * cmd_scan.h - `sluice scan`: the engine offline, over files,
 * directories, git repositories and .pack files.
 */
#ifndef SLUICE_NETPROXY_CMD_SCAN_H
#define SLUICE_NETPROXY_CMD_SCAN_H

/* argv[0] is "scan".  Exit status: 0 clean, 1 block-tier findings,
 * 2 errors (an incomplete scan never looks clean). */
int cmd_scan_main(int argc, char **argv);

#endif
