/*
** ct_loglist_fetch.h: a current, verified CT log list for --ct.
**
** At start certmon fetches the log list (default Google's v3
** log_list.json) and its detached signature (the same URL with .sig for
** .json: RSA PKCS#1 v1.5 over SHA-256, as Google signs it), verifies it
** with a public key shipped in the tree, and keeps the verified pair in
** the state folder. When the fetch or the verification fails it falls
** back to the cached pair (verified again), then to the snapshot shipped
** in scripts/ct/, and says which once. A list that fails verification is
** never used.
**
** While --ct runs, the CT source fetches it again the same way from a
** thread of its own (ct_loglist_fetch_verified, cancellable), keeping the
** logs it reads when that fails.
*/
#ifndef CERTMON_CT_LOGLIST_FETCH_H
#define CERTMON_CT_LOGLIST_FETCH_H

#include <stdatomic.h>
#include <stddef.h>

struct ct_http_client;

#define CT_LOGLIST_DEFAULT_URL \
    "https://www.gstatic.com/ct/log_list/v3/log_list.json"

struct ct_loglist_fetch_config {
    const char *url;              /* NULL = CT_LOGLIST_DEFAULT_URL */
    const char *key_path;         /* PEM public key of the signer */
    const char *cache_dir;        /* where the verified pair is kept; NULL */
    const char *shipped_path;     /* the snapshot in the tree */
    const char *ca_file;          /* TLS trust, as for the logs */
    int insecure;
    unsigned timeout_ms;          /* each of the two requests */
    const atomic_int *cancel;     /* NULL, or set to end a request early
                                     (the refresh while running) */
    struct ct_http_client *http;  /* NULL: a client per request */
};

/* Picks the list to read and writes its path into path. Returns 0 (the
** fetched, the cached or the shipped list; a log line says which when it
** is not a fresh one), or -1 when not even the shipped list is there. */
int ct_loglist_current(const struct ct_loglist_fetch_config *c, char *path,
                       size_t pathlen, char *err, size_t errlen);

/* Fetches c->url (NULL: the default) and its signature, verifies them
** and keeps the pair in c->cache_dir, without any fallback: 0 with path =
** the kept list, -1 with the reason (nothing kept, the old pair stays). */
int ct_loglist_fetch_verified(const struct ct_loglist_fetch_config *c,
                              char *path, size_t pathlen, char *err,
                              size_t errlen);

/* 0 if sig[0..siglen) is key_path's RSA/SHA-256 (or ECDSA/SHA-256)
** signature of data[0..len), else -1 with the reason. */
int ct_loglist_verify(const char *data, size_t len, const unsigned char *sig,
                      size_t siglen, const char *key_path, char *err,
                      size_t errlen);

/* A plain HTTP(S) GET of url into a new buffer (*body, free() it; NUL
** appended). 0 with *status set (any status), -1 when there is no
** answer (connection, TLS, timeout, over max_bytes). */
int ct_http_get(const char *url, const char *ca_file, int insecure,
                unsigned timeout_ms, size_t max_bytes, char **body,
                size_t *len, int *status, char *err, size_t errlen);

/* The same with client (NULL: a client of its own, made and destroyed
** here), ended early ("cancelled") once *cancel is set. A client is
** used by one thread at a time, and only during these calls. */
int ct_http_get_cancel(struct ct_http_client *client, const char *url,
                       const char *ca_file, int insecure,
                       unsigned timeout_ms, size_t max_bytes,
                       const atomic_int *cancel, char **body, size_t *len,
                       int *status, char *err, size_t errlen);

/* A client kept for many ct_http_get_cancel calls, trusting ca_file
** (NULL: the system store); NULL on failure. Made before the CT source's
** own libwebsockets context, it may live as long as that one. */
struct ct_http_client *ct_http_client_new(const char *ca_file);
void ct_http_client_free(struct ct_http_client *c);

#endif
