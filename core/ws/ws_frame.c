/*
** ws_frame.c: the client side of RFC 6455 without I/O. See ws_frame.h.
*/
#include "utf8.h"
#include "ws/ws_frame.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/* ------------------------------------------------------------ handshake */

void ws_handshake_key(const unsigned char raw[16], char key[WS_KEY_LEN + 1])
{
    EVP_EncodeBlock((unsigned char *)key, raw, 16);
}

void ws_handshake_accept(const char *key, char accept[29])
{
    unsigned char md[SHA_DIGEST_LENGTH];
    char in[WS_KEY_LEN + sizeof ws_guid];
    int n = snprintf(in, sizeof in, "%.*s%s", WS_KEY_LEN, key, ws_guid);

    EVP_Digest(in, (size_t)n, md, NULL, EVP_sha1(), NULL);
    EVP_EncodeBlock((unsigned char *)accept, md, sizeof md);
}

size_t ws_handshake_request(char *out, size_t outlen, const char *host_hdr,
                            const char *path, const char *key)
{
    int n = snprintf(out, outlen,
                     "GET %s HTTP/1.1\r\n"
                     "Host: %s\r\n"
                     "Upgrade: websocket\r\n"
                     "Connection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\n"
                     "Sec-WebSocket-Version: 13\r\n"
                     "User-Agent: certmon\r\n"
                     "\r\n", path, host_hdr, key);

    return n < 0 || (size_t)n >= outlen ? 0 : (size_t)n;
}

void ws_handshake_init(struct ws_handshake *h, const char *key)
{
    snprintf(h->key, sizeof h->key, "%s", key);
    h->len = 0;
    h->status = 0;
}

/* The value of header name in the head (lines after the status line), its
** length in *vlen, surrounding blanks trimmed; NULL when absent. */
static const char *header_value(const char *head, size_t len,
                                const char *name, size_t *vlen)
{
    size_t nlen = strlen(name);
    const char *p = memchr(head, '\n', len), *end = head + len;

    while (p && p + 1 < end) {
        const char *line = p + 1, *eol = memchr(line, '\n', end - line);
        if (!eol)
            eol = end;
        if ((size_t)(eol - line) > nlen && line[nlen] == ':' &&
            !strncasecmp(line, name, nlen)) {
            const char *v = line + nlen + 1, *ve = eol;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            while (ve > v && isspace((unsigned char)ve[-1]))
                ve--;
            *vlen = (size_t)(ve - v);
            return v;
        }
        p = eol < end ? eol : NULL;
    }
    return NULL;
}

/* Whether the comma-separated list v[0..vlen) holds token, any case. */
static int has_token(const char *v, size_t vlen, const char *token)
{
    size_t tlen = strlen(token), i = 0;

    while (i < vlen) {
        size_t j;
        while (i < vlen && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        j = i;
        while (j < vlen && v[j] != ',')
            j++;
        {
            size_t e = j;
            while (e > i && (v[e - 1] == ' ' || v[e - 1] == '\t'))
                e--;
            if (e - i == tlen && !strncasecmp(v + i, token, tlen))
                return 1;
        }
        i = j;
    }
    return 0;
}

/* Checks a complete response head of len bytes. */
static enum ws_hs_result check_head(struct ws_handshake *h, size_t len,
                                    char *err, size_t errlen)
{
    char want[29];
    const char *v;
    size_t vlen;
    unsigned status = 0;
    int minor;

    if (sscanf(h->head, "HTTP/1.%d %3u", &minor, &status) != 2 ||
        status < 100) {
        snprintf(err, errlen, "server refused the upgrade (not an HTTP "
                 "response)");
        return WS_HS_FAIL;
    }
    h->status = status;
    if (status != 101) {
        snprintf(err, errlen, "server refused the upgrade: HTTP %u", status);
        return WS_HS_FAIL;
    }
    v = header_value(h->head, len, "Upgrade", &vlen);
    if (!v || !has_token(v, vlen, "websocket")) {
        snprintf(err, errlen, "server refused the upgrade (no "
                 "\"Upgrade: websocket\" in the 101 response)");
        return WS_HS_FAIL;
    }
    v = header_value(h->head, len, "Connection", &vlen);
    if (!v || !has_token(v, vlen, "upgrade")) {
        snprintf(err, errlen, "server refused the upgrade (no "
                 "\"Connection: Upgrade\" in the 101 response)");
        return WS_HS_FAIL;
    }
    ws_handshake_accept(h->key, want);
    v = header_value(h->head, len, "Sec-WebSocket-Accept", &vlen);
    if (!v || vlen != 28 || memcmp(v, want, 28)) {
        snprintf(err, errlen, "server refused the upgrade (%s "
                 "Sec-WebSocket-Accept)", v ? "wrong" : "no");
        return WS_HS_FAIL;
    }
    if (header_value(h->head, len, "Sec-WebSocket-Extensions", &vlen) &&
        vlen) {
        snprintf(err, errlen, "server refused the upgrade (it chose an "
                 "extension we did not offer)");
        return WS_HS_FAIL;
    }
    return WS_HS_DONE;
}

enum ws_hs_result ws_handshake_feed(struct ws_handshake *h, const char *data,
                                    size_t len, size_t *used, char *err,
                                    size_t errlen)
{
    size_t old = h->len, room = sizeof h->head - 1 - h->len;
    size_t take = len < room ? len : room, from, i;

    *used = 0;
    memcpy(h->head + h->len, data, take);
    h->len += take;
    h->head[h->len] = '\0';
    /* the blank line may straddle the previous chunk */
    from = old > 3 ? old - 3 : 0;
    for (i = from; i + 4 <= h->len; i++) {
        if (!memcmp(h->head + i, "\r\n\r\n", 4)) {
            size_t head_len = i + 4;
            *used = head_len - old;
            h->head[i + 2] = '\0';
            return check_head(h, i + 2, err, errlen);
        }
    }
    if (h->len == sizeof h->head - 1) {
        snprintf(err, errlen, "server refused the upgrade (response head "
                 "over %d bytes)", WS_HS_MAX_BYTES);
        return WS_HS_FAIL;
    }
    *used = len;
    return WS_HS_MORE;
}

/* --------------------------------------------------------------- parser */

void ws_parser_init(struct ws_frame_parser *p, const struct ws_frame_events *ev,
                    size_t max_message_bytes)
{
    memset(p, 0, sizeof *p);
    p->ev = *ev;
    p->max_message_bytes = max_message_bytes;
    ws_parser_reset(p);
}

void ws_parser_reset(struct ws_frame_parser *p)
{
    p->state = WS_P_HEADER;
    p->hdr_len = 0;
    p->remaining = 0;
    p->ctl_len = 0;
    p->in_message = 0;
    p->msg_binary = 0;
    p->total = 0;
    p->nomem = 0;
    p->len = 0;
}

void ws_parser_free(struct ws_frame_parser *p)
{
    free(p->buf);
    p->buf = NULL;
    p->cap = p->len = 0;
}

uint64_t ws_parser_partial(const struct ws_frame_parser *p)
{
    return p->in_message ? p->total : 0;
}

static int fail(struct ws_frame_parser *p, char *err, size_t errlen,
                const char *why)
{
    p->state = WS_P_ERROR;
    snprintf(err, errlen, "protocol error: %s", why);
    return -1;
}

/* The header length that the first two bytes announce. */
static size_t header_len(const unsigned char *h)
{
    unsigned l7 = h[1] & 0x7f;

    return 2 + (l7 == 126 ? 2 : l7 == 127 ? 8 : 0) + (h[1] & 0x80 ? 4 : 0);
}

/* Takes a complete header: checks it and sets up the frame. */
static int begin_frame(struct ws_frame_parser *p, const unsigned char *h,
                       char *err, size_t errlen)
{
    unsigned op = h[0] & 0x0f, l7 = h[1] & 0x7f;
    uint64_t plen = l7;

    if (h[0] & 0x70)
        return fail(p, err, errlen, "reserved bits set");
    if (h[1] & 0x80)
        return fail(p, err, errlen, "masked frame from the server");
    if (l7 == 126) {
        plen = (uint64_t)h[2] << 8 | h[3];
        if (plen < 126)
            return fail(p, err, errlen, "length not in its shortest form");
    } else if (l7 == 127) {
        int i;
        plen = 0;
        for (i = 0; i < 8; i++)
            plen = plen << 8 | h[2 + i];
        if (plen >> 63)
            return fail(p, err, errlen, "length over 2^63");
        if (plen <= 0xffff)
            return fail(p, err, errlen, "length not in its shortest form");
    }
    p->opcode = op;
    p->fin = (h[0] & 0x80) != 0;
    p->remaining = plen;
    switch (op) {
    case WS_OP_CONT:
        if (!p->in_message)
            return fail(p, err, errlen, "continuation without a message");
        break;
    case WS_OP_TEXT:
    case WS_OP_BINARY:
        if (p->in_message)
            return fail(p, err, errlen, "new message inside a fragmented one");
        p->in_message = 1;
        p->messages_begun++;
        p->msg_binary = op == WS_OP_BINARY;
        p->total = 0;
        p->len = 0;
        p->nomem = 0;
        break;
    case WS_OP_CLOSE:
    case WS_OP_PING:
    case WS_OP_PONG:
        if (!p->fin)
            return fail(p, err, errlen, "fragmented control frame");
        if (plen > 125)
            return fail(p, err, errlen, "control frame over 125 bytes");
        if (op == WS_OP_CLOSE && plen == 1)
            return fail(p, err, errlen, "close frame with a 1-byte code");
        p->ctl_len = 0;
        break;
    default:
        return fail(p, err, errlen, "reserved opcode");
    }
    p->state = WS_P_PAYLOAD;
    return 0;
}

/* Whether a close frame may carry code (RFC 6455 7.4: 1004-1006 and 1015
** are reserved for the endpoints' own reports, below 1000 and 1016-2999
** are unassigned or for extensions, 5000 and up do not exist). */
static int close_code_valid(unsigned code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

/* The message is complete: hands it over. -1 (a protocol error, with the
** reason in err) when a text message is not UTF-8: RFC 6455 8.1 says the
** connection must then be failed, so it never reaches the rules. */
static int emit_message(struct ws_frame_parser *p, const char *data,
                        size_t len, char *err, size_t errlen)
{
    struct ws_message m;

    m.total = p->total;
    m.data = NULL;
    m.len = 0;
    if (p->nomem) {
        m.kind = WS_MSG_NOMEM;
    } else if (p->total > p->max_message_bytes) {
        m.kind = p->msg_binary ? WS_MSG_BINARY : WS_MSG_OVERSIZE;
    } else {
        m.kind = p->msg_binary ? WS_MSG_BINARY : WS_MSG_TEXT;
        m.data = data ? data : p->buf;
        m.len = data ? len : p->len;
        if (!m.data)
            m.data = "";
        if (m.kind == WS_MSG_TEXT &&
            !utf8_valid((const unsigned char *)m.data, m.len))
            return fail(p, err, errlen, "invalid UTF-8 in a text message");
    }
    p->in_message = 0;
    p->total = 0;
    p->len = 0;
    p->frames_done++;
    if (p->ev.message)
        p->ev.message(p->ev.arg, &m);
    return 0;
}

/* Appends message payload; past the cap it only counts. */
static void append(struct ws_frame_parser *p, const unsigned char *data,
                   size_t n)
{
    p->total += n;
    if (!n || p->nomem || p->total > p->max_message_bytes)
        return;
    if (p->len + n > p->cap) {
        size_t cap = p->cap ? p->cap : 4096;
        char *nb;
        while (cap < p->len + n)
            cap *= 2;
        if (cap > p->max_message_bytes)
            cap = p->max_message_bytes;
        nb = realloc(p->buf, cap);
        if (!nb) {
            p->nomem = 1;
            return;
        }
        p->buf = nb;
        p->cap = cap;
    }
    memcpy(p->buf + p->len, data, n);
    p->len += n;
}

/* The control frame's payload is complete. -1 on a close frame with a
** code or reason RFC 6455 forbids (a code 1005 sent explicitly, 999,
** 5000, a reason that is not UTF-8). */
static int end_control(struct ws_frame_parser *p, char *err, size_t errlen)
{
    unsigned code;

    p->frames_done++;
    switch (p->opcode) {
    case WS_OP_PING:
        if (p->ev.ping)
            p->ev.ping(p->ev.arg, p->ctl, p->ctl_len);
        break;
    case WS_OP_PONG:
        if (p->ev.pong)
            p->ev.pong(p->ev.arg, p->ctl, p->ctl_len);
        break;
    default:                      /* close */
        if (p->ctl_len >= 2) {
            char why[64];
            code = (unsigned)p->ctl[0] << 8 | p->ctl[1];
            if (!close_code_valid(code)) {
                snprintf(why, sizeof why, "close code %u not allowed", code);
                return fail(p, err, errlen, why);
            }
            if (!utf8_valid(p->ctl + 2, p->ctl_len - 2))
                return fail(p, err, errlen, "close reason not UTF-8");
        }
        p->state = WS_P_CLOSED;
        if (p->ev.close) {
            if (p->ctl_len >= 2)
                p->ev.close(p->ev.arg, (unsigned)p->ctl[0] << 8 | p->ctl[1],
                            (const char *)p->ctl + 2, p->ctl_len - 2);
            else
                p->ev.close(p->ev.arg, 1005, "", 0);
        }
        break;
    }
    return 0;
}

int ws_parser_feed(struct ws_frame_parser *p, const unsigned char *data,
                   size_t len, char *err, size_t errlen)
{
    size_t i = 0;

    while (i < len) {
        if (p->state == WS_P_CLOSED)
            return 0;
        if (p->state == WS_P_ERROR)
            return fail(p, err, errlen, "input after an error");
        if (p->state == WS_P_HEADER) {
            size_t need;
            if (p->hdr_len == 0 && len - i >= 2 &&
                len - i >= header_len(data + i)) {
                /* the whole header is here: parse it in place */
                need = header_len(data + i);
                if (begin_frame(p, data + i, err, errlen))
                    return -1;
                i += need;
            } else {
                p->hdr[p->hdr_len++] = data[i++];
                if (p->hdr_len < 2 || p->hdr_len < header_len(p->hdr))
                    continue;
                p->hdr_len = 0;
                if (begin_frame(p, p->hdr, err, errlen))
                    return -1;
            }
            if (p->remaining)
                continue;
            /* an empty payload ends the frame at once, below */
        }
        {
            size_t n = len - i < p->remaining ? len - i
                                              : (size_t)p->remaining;
            if (p->opcode >= WS_OP_CLOSE) {
                memcpy(p->ctl + p->ctl_len, data + i, n);
                p->ctl_len += n;
            } else if (p->fin && n == p->remaining && p->total == 0 &&
                       p->len == 0 && p->opcode != WS_OP_CONT) {
                /* a whole single-frame message inside this chunk */
                p->total = n;
                p->remaining = 0;
                p->state = WS_P_HEADER;
                i += n;
                if (emit_message(p, (const char *)data + i - n, n, err,
                                 errlen))
                    return -1;
                continue;
            } else {
                append(p, data + i, n);
            }
            i += n;
            p->remaining -= n;
            if (p->remaining)
                continue;
            p->state = WS_P_HEADER;
            if (p->opcode >= WS_OP_CLOSE) {
                if (end_control(p, err, errlen))
                    return -1;
            } else if (p->fin) {
                if (emit_message(p, NULL, 0, err, errlen))
                    return -1;
            } else {
                p->frames_done++;
            }
        }
    }
    return 0;
}

/* --------------------------------------------------------------- writer */

size_t ws_frame_write(unsigned char *out, size_t outlen, unsigned opcode,
                      const void *payload, size_t len,
                      const unsigned char mask_key[4])
{
    const unsigned char *src = payload;
    size_t h = 2, i;

    if (len > 0xffff)
        h += 8;
    else if (len >= 126)
        h += 2;
    h += 4;
    if (outlen < h || outlen - h < len)
        return 0;
    out[0] = (unsigned char)(0x80 | (opcode & 0x0f));
    if (len > 0xffff) {
        out[1] = 0x80 | 127;
        for (i = 0; i < 8; i++)
            out[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
    } else if (len >= 126) {
        out[1] = 0x80 | 126;
        out[2] = (unsigned char)(len >> 8);
        out[3] = (unsigned char)len;
    } else {
        out[1] = (unsigned char)(0x80 | len);
    }
    memcpy(out + h - 4, mask_key, 4);
    for (i = 0; i < len; i++)
        out[h + i] = src[i] ^ mask_key[i & 3];
    return h + len;
}
