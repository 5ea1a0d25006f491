/*
** fuzz_ws_frame.c: the server's side of a WebSocket connection as
** certmon reads it (core/ws/ws_frame.c): the answer to the upgrade request,
** then frames.
**
** Input: byte 0 steers (bit 0: start with the handshake reader; bits
** 1-3: the message size cap, 16 << n bytes), byte 1 seeds the chunk
** sizes, the rest is what the server sent. The same bytes are parsed
** twice, once in one piece and once cut into chunks of 1..64 bytes: the
** parser promises the same events whatever the chunking, so both runs
** must report the same sequence (a digest over every event and its
** bytes) and end in the same state. Every message handed over is within
** the cap, and a control frame's payload within 125 bytes.
*/
#include "fuzz_util.h"
#include "ws/ws_frame.h"

struct trace {
    uint64_t digest;
    unsigned events;
    size_t cap;
};

static void mix(struct trace *t, unsigned tag, const void *p, size_t n)
{
    const unsigned char *b = p;

    t->digest = (t->digest ^ tag) * 1099511628211ull;
    t->digest = (t->digest ^ n) * 1099511628211ull;
    for (size_t i = 0; i < n; i++)
        t->digest = (t->digest ^ b[i]) * 1099511628211ull;
    t->events++;
}

static void on_message(void *arg, const struct ws_message *m)
{
    struct trace *t = arg;

    if (m->kind == WS_MSG_TEXT || (m->kind == WS_MSG_BINARY && m->data)) {
        FUZZ_ASSERT(m->len <= t->cap && m->total == m->len);
    } else {
        FUZZ_ASSERT(m->data == NULL);
        if (m->kind == WS_MSG_OVERSIZE)
            FUZZ_ASSERT(m->total > t->cap);
    }
    mix(t, 1 + m->kind, m->data, m->data ? m->len : 0);
    mix(t, 9, &m->total, sizeof m->total);
}

static void on_ping(void *arg, const unsigned char *d, size_t n)
{
    FUZZ_ASSERT(n <= 125);
    mix(arg, 10, d, n);
}

static void on_pong(void *arg, const unsigned char *d, size_t n)
{
    FUZZ_ASSERT(n <= 125);
    mix(arg, 11, d, n);
}

static void on_close(void *arg, unsigned code, const char *r, size_t n)
{
    FUZZ_ASSERT(n <= 123);
    mix(arg, 12, &code, sizeof code);
    mix(arg, 13, r, n);
}

/* Parses data[0..len) in chunks whose sizes come from seed (0: one
** piece); returns the trace and the last feed result. */
static int parse(const uint8_t *data, size_t len, size_t cap, unsigned seed,
                 struct trace *t, enum ws_parse_state *state)
{
    struct ws_frame_events ev = { t, on_message, on_ping, on_pong, on_close };
    struct ws_frame_parser p;
    char err[256];
    int rc = 0;
    size_t at = 0;
    uint32_t r = seed * 2654435761u + 1;

    memset(t, 0, sizeof *t);
    t->cap = cap;
    ws_parser_init(&p, &ev, cap);
    while (at < len && rc == 0) {
        size_t n = len - at;
        uint8_t *piece;
        if (seed) {
            r ^= r << 13, r ^= r >> 17, r ^= r << 5;
            if (n > 1 + r % 64)
                n = 1 + r % 64;
        }
        /* each chunk in its own allocation: ASan sees reads past it */
        piece = malloc(n);
        FUZZ_ASSERT(piece != NULL);
        memcpy(piece, data + at, n);
        rc = ws_parser_feed(&p, piece, n, err, sizeof err);
        free(piece);
        if (rc)
            FUZZ_ASSERT(err[0] != '\0');
        at += n;
    }
    *state = p.state;
    ws_parser_free(&p);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    unsigned flags = fuzz_byte(&in), seed = fuzz_byte(&in) | 1;
    size_t cap = (size_t)16 << (flags >> 1 & 7), len;
    uint8_t *rest = fuzz_take(&in, in.left, &len);
    const uint8_t *frames = rest;
    size_t n_frames = len;
    struct trace whole, chunked;
    enum ws_parse_state s1, s2;
    int rc1, rc2;

    if (flags & 1) {
        static struct ws_handshake h;
        char err[256] = "";
        size_t used = 0, at = 0, n1 = (seed * 7u) % (len + 1);
        enum ws_hs_result r;

        ws_handshake_init(&h, "dGhlIHNhbXBsZSBub25jZQ==");
        /* the head arrives in two pieces, split where seed says */
        r = ws_handshake_feed(&h, (const char *)rest, n1, &used, err,
                              sizeof err);
        FUZZ_ASSERT(used <= n1 && (r != WS_HS_MORE || used == n1));
        at = used;
        if (r == WS_HS_MORE) {
            r = ws_handshake_feed(&h, (const char *)rest + at, len - at,
                                  &used, err, sizeof err);
            FUZZ_ASSERT(used <= len - at);
            at += used;
        }
        if (r != WS_HS_DONE) {
            FUZZ_ASSERT(r != WS_HS_FAIL || err[0] != '\0');
            free(rest);
            return 0;
        }
        frames = rest + at;
        n_frames = len - at;
    }
    rc1 = parse(frames, n_frames, cap, 0, &whole, &s1);
    rc2 = parse(frames, n_frames, cap, seed, &chunked, &s2);
    FUZZ_ASSERT(rc1 == rc2 && s1 == s2);
    FUZZ_ASSERT(whole.events == chunked.events);
    FUZZ_ASSERT(whole.digest == chunked.digest);
    free(rest);
    return 0;
}
