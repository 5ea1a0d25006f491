/*
** redis_url.h: redis://[user:pass@]host:port[/db]?stream=NAME&... URLs.
**
** The one way certmon names a Redis stream: --publish, --redis,
** --alert-redis; and, without a stream, the server of --store
** redis://[user:pass@]host:port[/db][?prefix=P]. Parsing only; no
** connection. Cut by url_split (url.h), with '#' an ordinary byte; a raw
** space or control byte and an IPv6 host are refused. Percent-escapes (%XX) in
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
    char prefix[256];       /* ?prefix= (store URLs only), "" = none */
};

/* Parses text into u. Returns 0, or -1 with the reason in err (which
** never contains the password). */
int redis_url_parse(const char *text, struct redis_url *u, char *err,
                    size_t errlen);

/* Parses a server URL with no stream (--store): the query may hold only
** prefix=. Returns as redis_url_parse. */
int redis_url_parse_server(const char *text, struct redis_url *u, char *err,
                           size_t errlen);

#endif
