/*
** json_buf.h: writing JSON text into a growable buffer.
**
** The writer keeps track of commas itself: call jb_key before each member
** of an object and a value function for each value; nesting is tracked up
** to JB_MAX_DEPTH levels. Errors are sticky: after an allocation failure or
** a misuse every call is a no-op and jb_failed() is true, so a builder can
** write a whole message and check once at the end.
**
** Strings are written byte-exact where they are valid UTF-8; control bytes
** are escaped and every byte that is not part of a valid UTF-8 sequence
** becomes U+FFFD, so the output is always valid JSON whatever the input.
**
** One buffer can hold many top-level values (alert lines): jb_rewind
** starts the next one afresh and undoes one that failed halfway;
** jb_consume drops what a writer has sent.
*/
#ifndef CERTMON_JSON_BUF_H
#define CERTMON_JSON_BUF_H

#include <stddef.h>
#include <stdint.h>

#define JB_MAX_DEPTH 64

struct json_buf {
    char *data;         /* NUL-terminated text so far; NULL until written */
    size_t len;
    size_t cap;
    int failed;         /* sticky: out of memory or misuse */
    unsigned depth;
    /* per level: a value was already written (a comma goes first) */
    unsigned char has_item[JB_MAX_DEPTH + 1];
    int after_key;      /* the next value completes a key: no comma */
};

void jb_init(struct json_buf *b);
void jb_free(struct json_buf *b);

/* Forgets the text but keeps the memory, for building the next message. */
void jb_reset(struct json_buf *b);

/* Hands the text to the caller (free() it) and resets b. NULL if the
** buffer failed or is empty; *len_out gets the length when non-NULL. */
char *jb_steal(struct json_buf *b, size_t *len_out);

static inline int jb_failed(const struct json_buf *b) { return b->failed; }

/* Cuts the text back to its first len bytes (len <= b->len) and starts
** afresh at the top level: no failure, nothing open, no comma due. Undoes
** a value that failed halfway (the text before it is kept), or begins a
** new top-level value after others or after jb_raw text. */
void jb_rewind(struct json_buf *b, size_t len);

/* Removes the first n bytes of the text (n <= b->len), those a writer
** has sent; the rest moves to the front. The nesting state is kept. */
void jb_consume(struct json_buf *b, size_t n);

/* Appends bytes as they are (no separator logic): for pre-built JSON. */
void jb_raw(struct json_buf *b, const char *s, size_t n);

/* Appends one complete pre-built JSON value (an object written by another
** json_buf, say) where a value goes: with the separator logic. */
void jb_value_raw(struct json_buf *b, const char *s, size_t n);

void jb_obj_begin(struct json_buf *b);
void jb_obj_end(struct json_buf *b);
void jb_arr_begin(struct json_buf *b);
void jb_arr_end(struct json_buf *b);

/* The key of the next object member (a NUL-terminated string). */
void jb_key(struct json_buf *b, const char *key);
/* The same for key[0..n), which may hold any bytes (escaped as jb_str). */
void jb_keyn(struct json_buf *b, const char *key, size_t n);

void jb_str(struct json_buf *b, const char *s, size_t n);
void jb_cstr(struct json_buf *b, const char *s);   /* NULL writes null */
void jb_int(struct json_buf *b, int64_t v);
void jb_uint(struct json_buf *b, uint64_t v);
/* The shortest of %.15g and %.17g that reads back as d exactly. JSON has
** no NaN or infinity: one fails b (a misuse; check isfinite first). */
void jb_double(struct json_buf *b, double d);
void jb_bool(struct json_buf *b, int v);
void jb_null(struct json_buf *b);

/* A count of milliseconds as seconds, exact decimal without a float:
** 1746292399101 -> 1746292399.101, 1000 -> 1. */
void jb_ms_as_seconds(struct json_buf *b, int64_t ms);

/* Appends the escaped body of a JSON string (no quotes) for s[0..n). Also
** usable on its own by modules that build strings piecewise. */
void jb_escape(struct json_buf *b, const char *s, size_t n);

#endif
