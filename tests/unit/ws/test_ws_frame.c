/*
** test_ws_frame.c: the WebSocket handshake, frame parser and frame writer
** (core/ws/ws_frame.c), with the RFC 6455 examples. Every parser input is fed
** whole, split in two at every byte position, and one byte at a time; all
** three must report the same events.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ws/ws_frame.h"

/* ------------------------------------------------------------ recorder */

struct rec {
    char log[4096];
    size_t n;
};

static void add(struct rec *r, const char *fmt, const char *s, size_t len,
                unsigned long long num)
{
    char tmp[512];
    int k;

    if (s)
        k = snprintf(tmp, sizeof tmp, fmt, (int)len, s);
    else
        k = snprintf(tmp, sizeof tmp, fmt, num);
    if (k > 0 && r->n + (size_t)k < sizeof r->log) {
        memcpy(r->log + r->n, tmp, (size_t)k + 1);
        r->n += (size_t)k;
    }
}

static void on_message(void *arg, const struct ws_message *m)
{
    struct rec *r = arg;

    switch (m->kind) {
    case WS_MSG_TEXT:
        if (m->len > 200) {     /* long ones by size and ends */
            add(r, "TL:%llu", NULL, 0, m->len);
            add(r, ":%.*s", m->data, 1, 0);
            add(r, "%.*s|", m->data + m->len - 1, 1, 0);
        } else {
            add(r, "T:%.*s|", m->data, m->len, 0);
        }
        break;
    case WS_MSG_BINARY:
        add(r, m->data ? "B:%llu|" : "B-:%llu|", NULL, 0, m->total);
        break;
    case WS_MSG_OVERSIZE:
        add(r, "O:%llu|", NULL, 0, m->total);
        break;
    case WS_MSG_NOMEM:
        add(r, "M:%llu|", NULL, 0, m->total);
        break;
    }
}

static void on_ping(void *arg, const unsigned char *d, size_t len)
{
    add(arg, "PING:%.*s|", (const char *)d, len, 0);
}

static void on_pong(void *arg, const unsigned char *d, size_t len)
{
    add(arg, "PONG:%.*s|", (const char *)d, len, 0);
}

static void on_close(void *arg, unsigned code, const char *reason, size_t len)
{
    add(arg, "CLOSE:%llu:", NULL, 0, code);
    add(arg, "%.*s|", reason, len, 0);
}

/* Feeds in[0..len) in pieces that start at the given cut positions (sorted,
** ending with len); appends "ERR" to the log on a protocol error. */
static void feed_cuts(struct rec *r, size_t max, const unsigned char *in,
                      size_t len, const size_t *cuts, size_t n_cuts,
                      size_t *cap_seen)
{
    struct ws_frame_events ev = { r, on_message, on_ping, on_pong, on_close };
    struct ws_frame_parser p;
    char err[128];
    size_t from = 0, i;

    memset(r, 0, sizeof *r);
    ws_parser_init(&p, &ev, max);
    for (i = 0; i < n_cuts; i++) {
        /* a private copy, so reading past a piece is caught by ASan */
        size_t n = cuts[i] - from;
        unsigned char *piece = malloc(n ? n : 1);
        int rc;
        memcpy(piece, in + from, n);
        rc = ws_parser_feed(&p, piece, n, err, sizeof err);
        free(piece);
        from = cuts[i];
        if (rc) {
            add(r, "ERR|", NULL, 0, 0);
            break;
        }
    }
    if (cap_seen)
        *cap_seen = p.cap;
    ws_parser_free(&p);
}

/* Checks that in gives want whole, split at every position, and byte by
** byte. */
static void expect(const char *name, size_t max, const unsigned char *in,
                   size_t len, const char *want)
{
    struct rec r;
    size_t cuts[2], *bytes = malloc((len + 1) * sizeof *bytes), i;
    int ok = 1;

    cuts[0] = len;
    feed_cuts(&r, max, in, len, cuts, 1, NULL);
    if (strcmp(r.log, want)) {
        printf("# %s whole:\n#   got:  %s\n#   want: %s\n", name, r.log, want);
        ok = 0;
    }
    for (i = 0; i <= len && ok; i++) {
        cuts[0] = i;
        cuts[1] = len;
        feed_cuts(&r, max, in, len, cuts, 2, NULL);
        if (strcmp(r.log, want)) {
            printf("# %s split at %zu:\n#   got:  %s\n#   want: %s\n", name,
                   i, r.log, want);
            ok = 0;
        }
    }
    for (i = 0; i < len; i++)
        bytes[i] = i + 1;
    feed_cuts(&r, max, in, len, bytes, len, NULL);
    if (ok && strcmp(r.log, want)) {
        printf("# %s byte by byte:\n#   got:  %s\n#   want: %s\n", name,
               r.log, want);
        ok = 0;
    }
    free(bytes);
    check_report(ok, __FILE__, __LINE__, name);
}

#define EXPECT(name, max, want, ...) do { \
    static const unsigned char in_[] = { __VA_ARGS__ }; \
    expect(name, max, in_, sizeof in_, want); \
} while (0)

/* ------------------------------------------------------------- parser */

static void test_rfc_examples(void)
{
    /* RFC 6455 5.7 */
    EXPECT("5.7 single-frame unmasked text", 1000, "T:Hello|",
           0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f);
    EXPECT("5.7 single-frame masked text (from a server: error)", 1000,
           "ERR|", 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d,
           0x51, 0x58);
    EXPECT("5.7 fragmented unmasked text", 1000, "T:Hello|",
           0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f);
    EXPECT("5.7 unmasked ping", 1000, "PING:Hello|",
           0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f);
    EXPECT("5.7 unmasked pong", 1000, "PONG:Hello|",
           0x8a, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f);
}

static void test_lengths(void)
{
    unsigned char *in = malloc(10 + 70000);
    char want[64];
    size_t i;

    /* 256 bytes, 16-bit length (RFC 6455 5.7) */
    in[0] = 0x82; in[1] = 0x7e; in[2] = 0x01; in[3] = 0x00;
    for (i = 0; i < 256; i++)
        in[4 + i] = (unsigned char)i;
    expect("5.7 256-byte binary, 16-bit length", 1000, in, 4 + 256,
           "B:256|");

    /* 64 KiB text, 64-bit length */
    in[0] = 0x81; in[1] = 0x7f;
    memset(in + 2, 0, 8);
    in[7] = 0x01;                       /* 0x10000 */
    memset(in + 10, 'a', 65536);
    expect("5.7 64 KiB text, 64-bit length", 1 << 20, in, 10 + 65536,
           "TL:65536:aa|");
    {
        struct rec r;
        size_t cuts[3] = { 5, 40000, 10 + 65536 }, cap = 0;
        feed_cuts(&r, 1 << 20, in, 10 + 65536, cuts, 3, &cap);
        CHECK_STR(r.log, "TL:65536:aa|");
    }

    /* a text message over the cap: counted, not stored past it */
    in[0] = 0x01; in[1] = 20;
    memset(in + 2, 'x', 20);
    in[22] = 0x80; in[23] = 30;
    memset(in + 24, 'y', 30);
    in[54] = 0x81; in[55] = 2; in[56] = 'o'; in[57] = 'k';
    expect("oversize text counted, the next message intact", 40, in, 58,
           "O:50|T:ok|");
    {
        struct rec r;
        size_t cuts[2] = { 10, 58 }, cap = 0;
        feed_cuts(&r, 40, in, 58, cuts, 2, &cap);
        CHECK(cap <= 40);
    }
    /* a single-frame oversize message and a binary one over the cap */
    in[0] = 0x81; in[1] = 50;
    memset(in + 2, 'z', 50);
    in[52] = 0x82; in[53] = 45;
    memset(in + 54, 1, 45);
    expect("single-frame oversize and binary over the cap", 40, in, 99,
           "O:50|B-:45|");
    /* exactly at the cap is fine */
    snprintf(want, sizeof want, "T:%.*s|", 40,
             "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz");
    in[1] = 40;
    expect("a message of exactly the cap", 40, in, 42, want);
    free(in);

    EXPECT("empty text message", 100, "T:|", 0x81, 0x00);
    EXPECT("empty fragments", 100, "T:ab|", 0x01, 0x00, 0x00, 0x02, 'a', 'b',
           0x80, 0x00);
    EXPECT("16-bit length below 126 is refused", 1000, "ERR|",
           0x81, 0x7e, 0x00, 0x05, 'a', 'b', 'c', 'd', 'e');
    EXPECT("64-bit length that fits 16 bits is refused", 1000, "ERR|",
           0x81, 0x7f, 0, 0, 0, 0, 0, 0, 0, 5, 'a', 'b', 'c', 'd', 'e');
    EXPECT("64-bit length with the top bit set is refused", 1000, "ERR|",
           0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0);
}

static void test_control(void)
{
    EXPECT("ping inside a fragmented message", 1000,
           "PING:p|T:Hello|PONG:|",
           0x01, 0x03, 'H', 'e', 'l', 0x89, 0x01, 'p', 0x80, 0x02, 'l', 'o',
           0x8a, 0x00);
    EXPECT("close with code and reason; the rest ignored", 1000,
           "T:a|CLOSE:1011:overloaded|",
           0x81, 0x01, 'a', 0x88, 12, 0x03, 0xf3, 'o', 'v', 'e', 'r', 'l',
           'o', 'a', 'd', 'e', 'd', 0x81, 0x01, 'b');
    EXPECT("close without a code", 1000, "CLOSE:1005:|", 0x88, 0x00);
    EXPECT("close with a 1-byte payload is refused", 1000, "ERR|",
           0x88, 0x01, 0x03);
    EXPECT("ping over 125 bytes is refused", 1000, "ERR|",
           0x89, 0x7e, 0x00, 0x7e);
    EXPECT("fragmented ping is refused", 1000, "ERR|", 0x09, 0x00);
}

static void test_errors(void)
{
    EXPECT("reserved bits", 1000, "ERR|", 0xc1, 0x01, 'a');
    EXPECT("reserved opcode 3", 1000, "ERR|", 0x83, 0x01, 'a');
    EXPECT("reserved opcode 0xb", 1000, "ERR|", 0x8b, 0x00);
    EXPECT("continuation without a message", 1000, "ERR|", 0x80, 0x01, 'a');
    EXPECT("new message inside a fragmented one", 1000, "ERR|",
           0x01, 0x01, 'a', 0x81, 0x01, 'b');
    EXPECT("text then masked frame", 1000, "T:a|ERR|",
           0x81, 0x01, 'a', 0x81, 0x81, 1, 2, 3, 4, 'b');
}

/* Regression (hostile-server issue, item 15): RFC 6455 8.1 and 7.4 were
** not enforced; invalid UTF-8 reached the rules and close codes 999, 5000
** and an explicit 1005 were taken. */
static void test_strict(void)
{
    EXPECT("text with invalid UTF-8 fails the connection", 1000, "ERR|",
           0x81, 0x04, 0xff, 0xfe, 'a', 'b');
    EXPECT("fragmented text whose bytes are not UTF-8 fails", 1000, "ERR|",
           0x01, 0x01, 0xc3, 0x80, 0x01, 0x41);
    EXPECT("a sequence split across fragments is fine", 1000,
           "T:\xc3\xa9|", 0x01, 0x01, 0xc3, 0x80, 0x01, 0xa9);
    EXPECT("overlong encoding fails", 1000, "ERR|", 0x81, 0x02, 0xc0, 0xaf);
    EXPECT("UTF-16 surrogate fails", 1000, "ERR|",
           0x81, 0x03, 0xed, 0xa0, 0x80);
    EXPECT("past U+10FFFF fails", 1000, "ERR|",
           0x81, 0x04, 0xf4, 0x90, 0x80, 0x80);
    EXPECT("truncated sequence fails", 1000, "ERR|", 0x81, 0x02, 'a', 0xe2);
    EXPECT("4-byte sequence and ASCII run are fine", 1000,
           "T:abcdefghij\xf0\x9f\x94\x92|",
           0x81, 14, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j',
           0xf0, 0x9f, 0x94, 0x92);
    EXPECT("binary is not checked", 1000, "B:2|", 0x82, 0x02, 0xff, 0xfe);
    EXPECT("text after a good one, then bad", 1000, "T:ok|ERR|",
           0x81, 0x02, 'o', 'k', 0x81, 0x01, 0x80);
    EXPECT("close code 999 is refused", 1000, "ERR|", 0x88, 0x02, 0x03, 0xe7);
    EXPECT("close code 5000 is refused", 1000, "ERR|",
           0x88, 0x02, 0x13, 0x88);
    EXPECT("explicit close code 1005 is refused", 1000, "ERR|",
           0x88, 0x02, 0x03, 0xed);
    EXPECT("close code 1006 is refused", 1000, "ERR|", 0x88, 0x02, 0x03, 0xee);
    EXPECT("close code 1015 is refused", 1000, "ERR|", 0x88, 0x02, 0x03, 0xf7);
    EXPECT("close code 2999 is refused", 1000, "ERR|", 0x88, 0x02, 0x0b, 0xb7);
    EXPECT("close code 3000 is taken", 1000, "CLOSE:3000:|",
           0x88, 0x02, 0x0b, 0xb8);
    EXPECT("close code 4999 is taken", 1000, "CLOSE:4999:|",
           0x88, 0x02, 0x13, 0x87);
    EXPECT("close reason not UTF-8 is refused", 1000, "ERR|",
           0x88, 0x04, 0x03, 0xe8, 0xff, 0xfe);
}

/* The counters a source uses for liveness: frames received whole and
** messages begun, never reset by a message in progress. */
static void test_liveness_counters(void)
{
    static const unsigned char in[] = {
        0x01, 0x01, 'a',            /* first fragment */
        0x00, 0x01, 'b',            /* more */
        0x89, 0x00,                 /* ping inside */
        0x80, 0x01, 'c',            /* last */
        0x81, 0x7e, 0x03, 0xe8, ' ', ' ' /* 1000 bytes announced, 2 sent */
    };
    struct ws_frame_events ev = { NULL, NULL, NULL, NULL, NULL };
    struct ws_frame_parser p;
    char err[128];

    ws_parser_init(&p, &ev, 4096);
    CHECK(ws_parser_feed(&p, in, 11, err, sizeof err) == 0);
    CHECK(p.frames_done == 4);
    CHECK(p.messages_begun == 1);
    CHECK(!p.in_message);
    CHECK(ws_parser_feed(&p, in + 11, sizeof in - 11, err, sizeof err) == 0);
    CHECK(p.frames_done == 4);      /* a frame in progress is not liveness */
    CHECK(p.messages_begun == 2);
    CHECK(p.in_message);
    CHECK(ws_parser_partial(&p) == 0 || ws_parser_partial(&p) == 2);
    ws_parser_free(&p);
}

/* a string literal and its length, for the handshake reader */
#define S_(lit) lit, sizeof(lit) - 1

/* --------------------------------------------------------------- writer */

static void test_writer(void)
{
    static const unsigned char mask[4] = { 0x37, 0xfa, 0x21, 0x3d };
    static const unsigned char hello[] = {
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
    unsigned char out[70100], *big = calloc(1, 70000);
    size_t n;

    n = ws_frame_write(out, sizeof out, WS_OP_TEXT, "Hello", 5, mask);
    CHECK(n == sizeof hello && !memcmp(out, hello, n));
    n = ws_frame_write(out, sizeof out, WS_OP_PONG, "Hello", 5, mask);
    CHECK(n == sizeof hello && out[0] == 0x8a && !memcmp(out + 1, hello + 1,
                                                         n - 1));
    n = ws_frame_write(out, sizeof out, WS_OP_CLOSE, "\x03\xe8", 2, mask);
    CHECK(n == 8 && out[0] == 0x88 && out[1] == 0x82 &&
          (out[6] ^ mask[0]) == 0x03 && (out[7] ^ mask[1]) == 0xe8);
    n = ws_frame_write(out, sizeof out, WS_OP_BINARY, big, 300, mask);
    CHECK(n == 300 + 8 && out[1] == (0x80 | 126) && out[2] == 1 &&
          out[3] == 44);
    n = ws_frame_write(out, sizeof out, WS_OP_BINARY, big, 70000, mask);
    CHECK(n == 70000 + 14 && out[1] == (0x80 | 127) && out[7] == 1 &&
          out[8] == 0x11 && out[9] == 0x70 && out[14] == mask[0]);
    CHECK(ws_frame_write(out, 10, WS_OP_TEXT, "Hello", 5, mask) == 0);
    CHECK(ws_frame_write(out, 11, WS_OP_TEXT, "Hello", 5, mask) == 11);
    free(big);
}

/* ------------------------------------------------------------ handshake */

static void test_handshake(void)
{
    char key[WS_KEY_LEN + 1], accept[29], req[512], err[160];
    static const char resp[] =
        "HTTP/1.1 101 Switching Protocols\r\n"
        "upgrade: WebSocket\r\n"
        "Connection: keep-alive, Upgrade\r\n"
        "Sec-WebSocket-Accept:  s3pPLMBiTxaQ9kYGzzhZRbK+xOo= \r\n"
        "\r\n"
        "\x81\x02hi";
    size_t head_len = sizeof resp - 1 - 4, i, n, used;
    struct ws_handshake *h = malloc(sizeof *h);
    enum ws_hs_result r;
    int ok = 1;

    ws_handshake_key((const unsigned char *)"the sample nonce", key);
    CHECK_STR(key, "dGhlIHNhbXBsZSBub25jZQ==");
    ws_handshake_accept(key, accept);
    CHECK_STR(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");

    n = ws_handshake_request(req, sizeof req, "h:8443", "/full-stream?x=1",
                             key);
    CHECK(n == strlen(req));
    CHECK(!strncmp(req, "GET /full-stream?x=1 HTTP/1.1\r\n", 31));
    CHECK(strstr(req, "\r\nHost: h:8443\r\n") != NULL);
    CHECK(strstr(req, "\r\nUpgrade: websocket\r\n") != NULL);
    CHECK(strstr(req, "\r\nConnection: Upgrade\r\n") != NULL);
    CHECK(strstr(req, "\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"));
    CHECK(strstr(req, "\r\nSec-WebSocket-Version: 13\r\n") != NULL);
    CHECK(n > 4 && !strcmp(req + n - 4, "\r\n\r\n"));
    CHECK(ws_handshake_request(req, 40, "h", "/", key) == 0);

    /* the good answer, split at every position; frames may follow */
    for (i = 0; i <= sizeof resp - 1 && ok; i++) {
        size_t total_used = 0;
        ws_handshake_init(h, key);
        r = ws_handshake_feed(h, resp, i, &used, err, sizeof err);
        if (r == WS_HS_MORE) {
            total_used = used;
            r = ws_handshake_feed(h, resp + i, sizeof resp - 1 - i, &used,
                                  err, sizeof err);
            total_used += used;
        } else {
            total_used = used;
        }
        if (r != WS_HS_DONE || total_used != head_len || h->status != 101) {
            printf("# split at %zu: r=%d used=%zu\n", i, (int)r, total_used);
            ok = 0;
        }
    }
    check_report(ok, __FILE__, __LINE__, "101 accepted at every split");

    ws_handshake_init(h, key);
    r = ws_handshake_feed(h, S_("HTTP/1.1 503 Service Unavailable\r\n"
                          "content-length: 0\r\n\r\n"), &used, err,
                          sizeof err);
    CHECK(r == WS_HS_FAIL);
    CHECK_STR(err, "server refused the upgrade: HTTP 503");

    ws_handshake_init(h, key);
    r = ws_handshake_feed(h, S_("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\n"
                          "Connection: upgrade\r\nSec-WebSocket-Accept: "
                          "AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n"), &used,
                          err, sizeof err);
    CHECK(r == WS_HS_FAIL && strstr(err, "wrong Sec-WebSocket-Accept"));

    ws_handshake_init(h, key);
    r = ws_handshake_feed(h, S_("HTTP/1.1 101 OK\r\nConnection: upgrade\r\n"
                          "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+"
                          "xOo=\r\n\r\n"), &used, err, sizeof err);
    CHECK(r == WS_HS_FAIL && strstr(err, "Upgrade: websocket"));

    ws_handshake_init(h, key);
    r = ws_handshake_feed(h, S_("SSH-2.0-OpenSSH\r\n\r\n"), &used, err,
                          sizeof err);
    CHECK(r == WS_HS_FAIL && strstr(err, "not an HTTP response"));

    /* a head that never ends is refused, not buffered forever */
    {
        char *junk = malloc(20000);
        memset(junk, 'a', 20000);
        ws_handshake_init(h, key);
        r = ws_handshake_feed(h, S_("HTTP/1.1 101 OK\r\n"), &used, err,
                              sizeof err);
        CHECK(r == WS_HS_MORE && used == 17);
        r = ws_handshake_feed(h, junk, 20000, &used, err, sizeof err);
        CHECK(r == WS_HS_FAIL && strstr(err, "over 8192 bytes"));
        free(junk);
    }
    free(h);
}

int main(void)
{
    test_rfc_examples();
    test_lengths();
    test_control();
    test_errors();
    test_strict();
    test_liveness_counters();
    test_writer();
    test_handshake();
    return check_done();
}
