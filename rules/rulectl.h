/*
 * rulectl.h - `sluice rules ...` and the helpers other commands share:
 * the default data directory and the first-start import of the bundled
 * packs.
 */
#ifndef SLUICE_RULES_RULECTL_H
#define SLUICE_RULES_RULECTL_H

#include "core/base/api.h"
#include "core/base/buf.h"
#include "rules/store.h"

/* Directory of the bundled packs: $SLUICE_PACK_DIR, else the source
 * tree's rules/packs (build-time), else /usr/share/sluice/packs. */
const char *rulectl_pack_dir(void);

/* Default data directory: $SLUICE_DATA; root: /var/lib/sluice; others:
 * $XDG_DATA_HOME/sluice or ~/.local/share/sluice.  Static storage. */
const char *rulectl_default_data_dir(void);

/* Opens the store in dir and, when it holds no generation yet, imports
 * every *.yaml pack of rulectl_pack_dir().  Messages go to msg. */
int rulectl_open_store(const char *dir, struct rules_store **out, struct buf *msg);

/* `sluice rules SUBCOMMAND ...`; argv[0] is "rules".  Exit status. */
int rulectl_main(int argc, char **argv);

#endif
