/*
** serve_shape.h: the three CertStream message shapes, derived from one
** full certificate_update message.
**
** certstream-server-go encodes each certificate once per shape: full
** (/full-stream), lite (/, no chain and no leaf as_der) and domains-only
** (/domains-only, {"message_type":"dns_entries","data":[all_domains]}).
** certmon's sources already hand over the full JSON text, so the other
** two shapes are cut out of that text instead of decoding and encoding a
** tree: every byte that is kept is the sender's byte, numbers and
** escapes included. Full and lite end in "\n" as the Go server sends them;
** domains-only does not.
*/
#ifndef CERTMON_SERVE_SHAPE_H
#define CERTMON_SERVE_SHAPE_H

#include <stddef.h>

#include "json_buf.h"

enum serve_shape {
    SERVE_LITE,        /* "/" */
    SERVE_FULL,        /* "/full-stream" */
    SERVE_DOMAINS,     /* "/domains-only" */
    SERVE_N_SHAPES
};

/* 1 if msg[0..len) is a JSON object whose top-level message_type is
** "certificate_update", 0 if it is another well-formed object, -1 if it
** is not a JSON object this scanner can follow. */
int serve_shape_is_cert(const char *msg, size_t len);

/* Appends the shape of the full message msg[0..len) to out (which the
** caller has reset). Returns 0, or -1 when the text is not a well-formed
** certificate_update object (out is then unspecified). */
int serve_shape_write(enum serve_shape shape, const char *msg, size_t len,
                      struct json_buf *out);

#endif
