/*
** json_parse.h: a small strict JSON parser into a tree, for the C side.
**
** The network side (log lists, get-sth, get-entries) must not use Lua, so
** this is the C reader. It follows RFC 8259 strictly (no comments, no
** trailing commas, one value and only whitespace after it), limits nesting
** to JSON_MAX_DEPTH, decodes strings (\uXXXX and surrogate pairs to UTF-8;
** a string may contain NUL bytes, so use its len), and keeps numbers both
** as double and, when they are integers that fit, as int64.
**
** One json_parse call owns the whole tree; json_free frees it. The lookup
** helpers accept NULL and wrong types and then return NULL/0, so a caller
** can chain them and check once.
*/
#ifndef CERTMON_JSON_PARSE_H
#define CERTMON_JSON_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 64

enum json_type {
    JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING,
    JSON_ARRAY, JSON_OBJECT,
};

struct json_value {
    enum json_type type;
    union {
        struct {
            double d;
            int64_t i;
            uint64_t u;
            int is_int;         /* no fraction/exponent and fits int64 */
            int is_uint;        /* no sign/fraction/exponent, fits uint64 */
        } num;
        struct {
            char *s;            /* NUL-terminated, may contain NULs */
            size_t len;
        } str;
        struct {
            struct json_value *items;   /* array elements / member values */
            char **keys;                /* objects: NUL-terminated keys */
            size_t *key_lens;
            size_t n;
        } c;
    } u;
};

/* Parses text[0..len). Returns the root (free with json_free) or NULL with
** a message naming the byte offset in err. */
struct json_value *json_parse(const char *text, size_t len,
                              char *err, size_t errlen);
void json_free(struct json_value *v);

/* Object member by key (first match), or NULL. */
const struct json_value *json_get(const struct json_value *obj,
                                  const char *key);
/* Array element / member value by position, or NULL. */
const struct json_value *json_at(const struct json_value *v, size_t i);
/* Elements of an array or members of an object; 0 for anything else. */
size_t json_count(const struct json_value *v);
/* Key of the i-th member of an object, or NULL. */
const char *json_key_at(const struct json_value *obj, size_t i);

/* String value (NULL if v is not a string); *len may be NULL. */
const char *json_str(const struct json_value *v, size_t *len);
/* 1 with *out set if v is an integer number in range, else 0. */
int json_int(const struct json_value *v, int64_t *out);
int json_uint(const struct json_value *v, uint64_t *out);
/* 1 and *out = 0/1 if v is true/false, else 0. */
int json_bool(const struct json_value *v, int *out);

#endif
