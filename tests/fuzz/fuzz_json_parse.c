/*
** fuzz_json_parse.c: the strict JSON reader (core/json_parse.c), which
** reads log lists, get-sth and get-entries bodies.
**
** Checks beyond "no crash, no leak": a document that parses has a tree
** whose every string is NUL-terminated at its len, whose objects have a
** key for every member, and whose depth stays within JSON_MAX_DEPTH; an
** integer's int64/uint64 and double agree; the lookup helpers answer for
** every member; a parse failure always says why.
*/
#include "fuzz_util.h"
#include "json_parse.h"

/* Walks v, checking the invariants above; returns the depth. */
static int walk(const struct json_value *v, int depth)
{
    int max = depth;

    FUZZ_ASSERT(depth <= JSON_MAX_DEPTH);
    switch (v->type) {
    case JSON_STRING:
        FUZZ_ASSERT(v->u.str.s != NULL && v->u.str.s[v->u.str.len] == '\0');
        FUZZ_ASSERT(json_str(v, NULL) == v->u.str.s);
        break;
    case JSON_NUMBER:
        /* both are the exact value rounded to nearest */
        if (v->u.num.is_int)
            FUZZ_ASSERT((double)v->u.num.i == v->u.num.d);
        if (v->u.num.is_uint)
            FUZZ_ASSERT((double)v->u.num.u == v->u.num.d);
        break;
    case JSON_ARRAY:
    case JSON_OBJECT:
        FUZZ_ASSERT(json_count(v) == v->u.c.n);
        for (size_t i = 0; i < v->u.c.n; i++) {
            int d;
            FUZZ_ASSERT(json_at(v, i) == &v->u.c.items[i]);
            if (v->type == JSON_OBJECT) {
                const char *k = json_key_at(v, i);
                FUZZ_ASSERT(k != NULL && k[v->u.c.key_lens[i]] == '\0');
                /* the first member with a key is what json_get finds */
                if (strlen(k) == v->u.c.key_lens[i])
                    FUZZ_ASSERT(json_get(v, k) != NULL);
            }
            d = walk(&v->u.c.items[i], depth + 1);
            if (d > max)
                max = d;
        }
        break;
    default:
        break;
    }
    return max;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256] = "";
    struct json_value *v = json_parse((const char *)data, size, err,
                                      sizeof err);

    if (!v) {
        FUZZ_ASSERT(err[0] != '\0');
        return 0;
    }
    walk(v, 1);
    json_free(v);
    return 0;
}
