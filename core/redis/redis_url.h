/*
** redis_url.h: redis://[user:pass@]host:port[/db]?stream=NAME&... URLs.
**
** The one way certmon names a Redis stream: --publish, --alert-redis
** (and, later, the consumer source). Parsing only; no connection. Percent-escapes (%XX) in
** the user, password and query values are decoded, so a password may hold
** '@' or ':'.
*/
#ifndef CERTMON_REDIS_URL_H
#define CERTMON_REDIS_URL_H

#include <stddef.h>

struct redis_url {
    char host[256];
    int port;               /* default 6379 */
    int db;                 /* /N, default 0 */
    char user[128];         /* "" = none (AUTH with the password only) */
    char pass[256];         /* "" = no AUTH */
    char stream[256];       /* ?stream=, required */
    char group[128];        /* ?group=, "" = none */
    char consumer[128];     /* ?consumer=, "" = none */
};

/* Parses text into u. Returns 0, or -1 with the reason in err (which
** never contains the password). */
int redis_url_parse(const char *text, struct redis_url *u, char *err,
                    size_t errlen);

#endif
