/*
** ws_tls.h: a TLS client that owns no socket.
**
** OpenSSL runs over two memory BIOs: the caller feeds it the ciphertext it
** read from the network (ws_tls_feed), takes out the ciphertext to send
** (ws_tls_take_out), and exchanges plaintext with ws_tls_read and
** ws_tls_write. This lets an event loop that only moves raw bytes (a
** libwebsockets RAW connection) carry wss://.
**
** The server is checked like a browser would: the chain against the
** system CA store or --ca-file, the name against the URL's host (an IP
** literal against the certificate's IP addresses), with SNI for names.
** With insecure nothing is checked.
*/
#ifndef CERTMON_WS_TLS_H
#define CERTMON_WS_TLS_H

#include <stddef.h>
#include <sys/types.h>

struct ws_tls_ctx;                /* settings shared by all connections */
struct ws_tls;                    /* one connection */

/* ca_file NULL: the system CA store. NULL with the reason in err. */
struct ws_tls_ctx *ws_tls_ctx_new(const char *ca_file, int insecure,
                                  char *err, size_t errlen);
void ws_tls_ctx_free(struct ws_tls_ctx *c);

/* A client connection to host (a name or an IP literal, no brackets).
** NULL with the reason in err. */
struct ws_tls *ws_tls_new(struct ws_tls_ctx *c, const char *host,
                          char *err, size_t errlen);
void ws_tls_free(struct ws_tls *t);

/* Hands over ciphertext from the server. 0, or -1 on OOM. */
int ws_tls_feed(struct ws_tls *t, const void *data, size_t len);

enum ws_tls_result { WS_TLS_DONE, WS_TLS_AGAIN, WS_TLS_FAIL };

/* Advances the handshake with what was fed. WS_TLS_AGAIN: it needs more
** from the server (send what ws_tls_take_out gives first). WS_TLS_FAIL:
** err says why, e.g. "server certificate rejected (self-signed
** certificate)". */
enum ws_tls_result ws_tls_handshake(struct ws_tls *t, char *err,
                                    size_t errlen);

/* Reads decrypted bytes into buf. >0: that many; 0: nothing more until
** more is fed; -1: the connection is over, err says why ("closed by the
** server (TLS close_notify)" or the TLS error). */
ssize_t ws_tls_read(struct ws_tls *t, void *buf, size_t cap, char *err,
                    size_t errlen);

/* Encrypts all of data into the outgoing ciphertext. 0, or -1 with err. */
int ws_tls_write(struct ws_tls *t, const void *data, size_t len, char *err,
                 size_t errlen);

/* Ciphertext waiting to go to the server, in bytes. */
size_t ws_tls_pending_out(const struct ws_tls *t);

/* Moves up to cap bytes of it into buf; returns how many. */
size_t ws_tls_take_out(struct ws_tls *t, void *buf, size_t cap);

#endif
