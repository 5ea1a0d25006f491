/*
** ws_output.c: what the live source writes to its socket - the upgrade
** request, frames (masked, as a client must), our close - through TLS
** when the URL is wss://. Bytes collect in s->out and lws writes them
** when the socket is writable.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "ws/ws_source_int.h"

/* Queues bytes for the socket as they are (ciphertext or plain ws://). */
static int ws_out_raw(struct ws_source *s, const void *data, size_t len)
{
    if (s->out_len + len > s->out_cap) {
        size_t cap = s->out_cap ? s->out_cap * 2 : 4096;
        unsigned char *nb;
        while (cap < s->out_len + len)
            cap *= 2;
        nb = realloc(s->out, LWS_PRE + cap);
        if (!nb)
            return -1;
        s->out = nb;
        s->out_cap = cap;
    }
    memcpy(s->out + LWS_PRE + s->out_len, data, len);
    s->out_len += len;
    return 0;
}

/* Moves what TLS has to send into the output and asks to write it. */
int ws_flush_tls(struct ws_source *s)
{
    unsigned char buf[16384];
    size_t n;

    if (!s->tls)
        return 0;
    while ((n = ws_tls_take_out(s->tls, buf, sizeof buf)))
        if (ws_out_raw(s, buf, n))
            return -1;
    if (s->out_len && s->wsi)
        lws_callback_on_writable(s->wsi);
    return 0;
}

/* Sends bytes of the WebSocket stream (encrypted for wss://). */
static int ws_send_bytes(struct ws_source *s, const void *data, size_t len)
{
    if (s->tls) {
        char err[200];
        if (ws_tls_write(s->tls, data, len, err, sizeof err))
            return ws_conn_fail(s, "TLS failure (%s)", err);
        return ws_flush_tls(s) ? ws_conn_fail(s, "out of memory") : 0;
    }
    if (ws_out_raw(s, data, len))
        return ws_conn_fail(s, "out of memory");
    if (s->wsi)
        lws_callback_on_writable(s->wsi);
    return 0;
}

/* Sends one masked client frame. */
int ws_send_frame(struct ws_source *s, unsigned opcode, const void *payload,
               size_t len)
{
    unsigned char frame[125 + WS_FRAME_MAX_HEADER], mask[4];
    size_t n;

    if (RAND_bytes(mask, sizeof mask) != 1)
        return ws_conn_fail(s, "no random bytes for a frame mask");
    n = ws_frame_write(frame, sizeof frame, opcode, payload, len, mask);
    return n ? ws_send_bytes(s, frame, n) : -1;
}

/* Sends the HTTP upgrade request. */
int ws_send_upgrade(struct ws_source *s)
{
    const struct ws_url *u = &s->urls[s->cur];
    unsigned char raw[16];
    char key[WS_KEY_LEN + 1], host_hdr[300], req[2048];
    size_t n;

    if (RAND_bytes(raw, sizeof raw) != 1)
        return ws_conn_fail(s, "no random bytes for the handshake key");
    ws_handshake_key(raw, key);
    ws_handshake_init(&s->hs, key);
    ws_url_host_header(u, host_hdr, sizeof host_hdr);
    n = ws_handshake_request(req, sizeof req, host_hdr, u->path, key);
    if (!n)
        return ws_conn_fail(s, "URL too long for the upgrade request");
    s->phase = PH_HTTP;
    return ws_send_bytes(s, req, n);
}

/* Our close frame: 1000 and why. */
int ws_send_close(struct ws_source *s)
{
    static const char body[] = "\x03\xe8" "certmon stopping";

    if (s->close_sent)
        return 0;
    s->close_sent = 1;
    return ws_send_frame(s, WS_OP_CLOSE, body, sizeof body - 1);
}
