/*
** ws_frame.h: the client side of the WebSocket protocol (RFC 6455), pure:
** no sockets, no clock, no globals. ws_source.c moves the bytes.
**
** Three parts:
**   - the opening handshake: the GET request the client sends, and an
**     incremental reader of the server's answer that requires
**     "101 Switching Protocols" and checks Sec-WebSocket-Accept;
**   - an incremental frame parser, fed the server's bytes in chunks of any
**     size: it reassembles fragmented messages (payload copied in bulk,
**     never past the size cap) and reports messages, pings, pongs and the
**     close frame through callbacks; a message that arrives whole inside
**     one chunk is handed over as a slice of that chunk, without a copy;
**   - a frame writer for the client's own frames, which RFC 6455 requires
**     to be masked.
*/
#ifndef CERTMON_WS_FRAME_H
#define CERTMON_WS_FRAME_H

#include <stddef.h>
#include <stdint.h>

enum ws_opcode {
    WS_OP_CONT = 0x0,
    WS_OP_TEXT = 0x1,
    WS_OP_BINARY = 0x2,
    WS_OP_CLOSE = 0x8,
    WS_OP_PING = 0x9,
    WS_OP_PONG = 0xa,
};

/* ------------------------------------------------------------ handshake */

#define WS_KEY_LEN 24              /* base64 of 16 bytes, without the NUL */

/* The Sec-WebSocket-Key for 16 random bytes: base64, NUL-terminated. */
void ws_handshake_key(const unsigned char raw[16], char key[WS_KEY_LEN + 1]);

/* The Sec-WebSocket-Accept a server must answer to key (28 characters and
** a NUL). */
void ws_handshake_accept(const char *key, char accept[29]);

/* Writes the upgrade request for path (starting with '/') on the server
** host_hdr ("host[:port]") into out. Returns its length, or 0 when it does
** not fit in outlen. */
size_t ws_handshake_request(char *out, size_t outlen, const char *host_hdr,
                            const char *path, const char *key);

#define WS_HS_MAX_BYTES 8192       /* a longer response head is refused */

/* The server's response head, collected across chunks. */
struct ws_handshake {
    char key[WS_KEY_LEN + 1];
    char head[WS_HS_MAX_BYTES];
    size_t len;
    unsigned status;               /* the HTTP status once the head is in */
};

enum ws_hs_result { WS_HS_MORE, WS_HS_DONE, WS_HS_FAIL };

/* Starts reading the response to a request that carried key. */
void ws_handshake_init(struct ws_handshake *h, const char *key);

/* Feeds len bytes of the server's response. WS_HS_MORE: all consumed, the
** head is not complete. WS_HS_DONE: the upgrade succeeded; *used bytes of
** data belonged to the head, the rest are WebSocket frames. WS_HS_FAIL:
** the reason in err ("server refused the upgrade: HTTP 503", ...). */
enum ws_hs_result ws_handshake_feed(struct ws_handshake *h, const char *data,
                                    size_t len, size_t *used, char *err,
                                    size_t errlen);

/* --------------------------------------------------------------- parser */

enum ws_msg_kind {
    WS_MSG_TEXT,                   /* data/len: the whole message */
    WS_MSG_BINARY,                 /* data NULL when over the cap */
    WS_MSG_OVERSIZE,               /* text over the cap; data NULL */
    WS_MSG_NOMEM,                  /* could not grow the buffer; data NULL */
};

struct ws_message {
    enum ws_msg_kind kind;
    const char *data;              /* valid during the callback only */
    size_t len;
    uint64_t total;                /* payload bytes seen, also past the cap */
};

struct ws_frame_events {
    void *arg;
    void (*message)(void *arg, const struct ws_message *m);
    /* a ping: the caller answers with a pong carrying the same payload */
    void (*ping)(void *arg, const unsigned char *data, size_t len);
    void (*pong)(void *arg, const unsigned char *data, size_t len);
    /* code 1005 when the frame had no code; reason not NUL-terminated */
    void (*close)(void *arg, unsigned code, const char *reason, size_t len);
};

enum ws_parse_state { WS_P_HEADER, WS_P_PAYLOAD, WS_P_CLOSED, WS_P_ERROR };

struct ws_frame_parser {
    struct ws_frame_events ev;
    size_t max_message_bytes;

    enum ws_parse_state state;
    unsigned char hdr[14];         /* a header split across chunks */
    size_t hdr_len;
    unsigned opcode;               /* of the frame in progress */
    int fin;
    uint64_t remaining;            /* payload bytes of it still to come */

    unsigned char ctl[125];        /* control frame payload */
    size_t ctl_len;

    int in_message;                /* a message (frame or fragments) is open */
    uint64_t messages_begun;       /* first frames of messages seen */
    uint64_t frames_done;          /* frames received whole: the liveness
                                      the source may count on */
    int msg_binary;
    uint64_t total;
    int nomem;
    char *buf;                     /* reassembly, up to max_message_bytes */
    size_t len, cap;
};

/* Sets up p; ev is copied. Messages over max_message_bytes are counted
** but not stored. */
void ws_parser_init(struct ws_frame_parser *p, const struct ws_frame_events *ev,
                    size_t max_message_bytes);

/* Forgets any frame or message in progress (a new connection). */
void ws_parser_reset(struct ws_frame_parser *p);

void ws_parser_free(struct ws_frame_parser *p);

/* Bytes of the message in progress seen so far; 0 when none is open. */
uint64_t ws_parser_partial(const struct ws_frame_parser *p);

/* Parses len bytes, calling the events in order. 0 when all was consumed
** (bytes after a close frame are ignored); -1 on a protocol error (masked
** server frame, reserved bits or opcode, bad length, control frame too
** long or fragmented, continuation out of place, a text message that is
** not UTF-8, a close code or reason RFC 6455 7.4 forbids) with the reason
** in err: the connection must then be failed. */
int ws_parser_feed(struct ws_frame_parser *p, const unsigned char *data,
                   size_t len, char *err, size_t errlen);

/* --------------------------------------------------------------- writer */

#define WS_FRAME_MAX_HEADER 14

/* Writes one final, masked client frame with opcode and payload into out,
** masking with mask_key (4 bytes, random per frame). Returns its length,
** or 0 when it does not fit in outlen (needs len + WS_FRAME_MAX_HEADER). */
size_t ws_frame_write(unsigned char *out, size_t outlen, unsigned opcode,
                      const void *payload, size_t len,
                      const unsigned char mask_key[4]);

#endif
