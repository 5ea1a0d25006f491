/*
** paths.h: where certmon's own files are (lua/ and scripts/).
**
** certmon runs from its source tree (./certmon, build/san/certmon), from an
** install (PREFIX/bin/certmon with PREFIX/share/certmon/{lua,scripts}), or
** as a copied binary told where its files are by CERTMON_HOME. The home is
** the first folder that holds lua/certmon/, tried in this order:
**   1. relative to the binary: its folder and up to two above it (source
**      tree), then <bin>/../share/certmon (an install, wherever it was
**      moved);
**   2. $CERTMON_HOME;
**   3. the install prefix compiled in (PATHS_PREFIX "/share/certmon").
*/
#ifndef CERTMON_PATHS_H
#define CERTMON_PATHS_H

#include <stddef.h>

#ifndef PATHS_PREFIX
#define PATHS_PREFIX "/usr/local"
#endif

/* Finds the home as above. Returns 0 with the folder in out, or -1 with
** err naming every place that was tried. exe is the binary's path
** (NULL = /proc/self/exe); env_home the value of CERTMON_HOME (NULL =
** unset); prefix the install prefix (NULL = PATHS_PREFIX). */
int paths_find_home(const char *exe, const char *env_home, const char *prefix,
                    char *out, size_t outlen, char *err, size_t errlen);

#endif
