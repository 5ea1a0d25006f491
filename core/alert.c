/*
** alert.c: encoding rule alerts as JSON lines and writing them.
**
** The encoder is ours rather than cjson.encode because alerts must be
** valid JSON whatever a rule puts in them (cjson passes invalid UTF-8
** through), deterministic (sorted keys, so tests can compare lines), and
** [] for empty tables (alert fields such as reasons are lists far more
** often than objects). The text goes through json_buf.h, the writer of
** the CT messages: the same buffer, commas and string escaping.
*/
#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alert.h"
#include "json_buf.h"
#include "log.h"
#include "stats.h"
#include "utf8.h"

#define ALERT_MAX_DEPTH 32

/* the alert's own object is one level more than its deepest field */
_Static_assert(ALERT_MAX_DEPTH < JB_MAX_DEPTH,
               "json_buf must nest deeper than an alert may");

/* The -o writer. output_path is kept for reopening on SIGHUP (log
** rotation): the handler only sets reopen_wanted, the next flush reopens
** under the lock, so no write ever goes to a half-switched descriptor. */
static pthread_mutex_t output_lock = PTHREAD_MUTEX_INITIALIZER;
static int output_fd = STDOUT_FILENO;
static char *output_path;
static int output_failed;
static void (*output_tap)(void *arg, const char *lines, size_t len);
static void *output_tap_arg;

void alert_set_tap(void (*fn)(void *arg, const char *lines, size_t len),
                   void *arg)
{
    pthread_mutex_lock(&output_lock);
    output_tap = fn;
    output_tap_arg = arg;
    pthread_mutex_unlock(&output_lock);
}

static atomic_int reopen_wanted;

static int open_output(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

    if (fd < 0)
        snprintf(err, errlen, "cannot open output %s: %s", path,
                 strerror(errno));
    return fd;
}

int alert_output_open(const char *path, char *err, size_t errlen)
{
    int fd;

    if (!path || strcmp(path, "-") == 0) {
        output_fd = STDOUT_FILENO;
        return 0;
    }
    fd = open_output(path, err, errlen);
    if (fd < 0)
        return -1;
    output_path = strdup(path);
    if (!output_path) {
        close(fd);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    output_fd = fd;
    return 0;
}

void alert_output_close(void)
{
    if (output_fd != STDOUT_FILENO)
        close(output_fd);
    output_fd = STDOUT_FILENO;
    free(output_path);
    output_path = NULL;
}

void alert_output_request_reopen(void)
{
    atomic_store(&reopen_wanted, 1);
}

/* With output_lock held: switches to a fresh descriptor for output_path.
** On failure the old file stays in use (an alert in the rotated file is
** better than a lost one) and the reason is logged. */
static void reopen_locked(void)
{
    char err[256];
    int fd;

    if (!atomic_exchange(&reopen_wanted, 0) || !output_path)
        return;
    fd = open_output(output_path, err, sizeof(err));
    if (fd < 0) {
        log_error("reopening alerts: %s; still writing to the old file",
                  err);
        return;
    }
    close(output_fd);
    output_fd = fd;
    log_info("alerts: reopened %s", output_path);
}

/* ===== Lua value → JSON ===== */

/*
** The encoder runs as a protected call (enc_protected): converting a
** number key to a string, growing the key array or the stack allocates Lua
** memory, and under the rule's memory cap any of those may raise. Its only
** allocation outside Lua is the output buffer (malloc), which is rewound
** on any failure (jb_rewind), so a failed alert leaves no half line and
** nothing leaks. The key arrays are Lua userdata for the same reason.
** The buffer's errors are sticky: each write is checked at once, so that
** the reason names the field being written.
*/

struct enc {
    lua_State *L;
    struct json_buf *b;
    char *err;
    size_t errlen;
    const char *rule;
    double time_s;
    int rc;                 /* result of the protected body */
};

static int enc_value(struct enc *e, int idx, int depth, const char *field);

static int fail(struct enc *e, const char *field, const char *what)
{
    snprintf(e->err, e->errlen, "alert field '%s': %s",
             field ? field : "?", what);
    return -1;
}

static int enc_number(struct enc *e, int idx, const char *field)
{
    if (lua_isinteger(e->L, idx)) {
        jb_int(e->b, (int64_t)lua_tointeger(e->L, idx));
    } else {
        double d = lua_tonumber(e->L, idx);
        /* JSON has no NaN or infinity; null would pass for "no value" */
        if (!isfinite(d))
            return fail(e, field, "NaN or infinity has no JSON form");
        jb_double(e->b, d);     /* shortest of %.15g / %.17g */
    }
    return jb_failed(e->b) ? fail(e, field, "out of memory") : 0;
}

/* Is the table at idx a sequence 1..n (n >= 0)? Sets *n. */
static int is_array(lua_State *L, int idx, lua_Integer *n)
{
    lua_Integer count = 0, max = 0;

    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1) {
            lua_pop(L, 1);
            return 0;
        }
        if (lua_tointeger(L, -1) > max)
            max = lua_tointeger(L, -1);
        count++;
    }
    *n = count;
    return count == max;
}

struct key_ref {
    const char *s;
    size_t len;
    int slot;   /* stack slot of the value */
};

static int key_cmp(const void *a, const void *b)
{
    const struct key_ref *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->s, y->s, n);

    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Encodes the object at idx: pushes key-string/value pairs for every entry,
** sorts the keys, writes them. Two keys with the same text (1 and "1")
** and keys that are not valid UTF-8 (distinct ones would all read
** "\ufffd") are errors: an object must not carry a key twice. May raise
** (memory); the stack is restored on a normal return. */
static int enc_object(struct enc *e, int idx, int depth, int skip_core)
{
    lua_State *L = e->L;
    int base = lua_gettop(L), rc = 0, keys_slot;
    size_t n = 0, cap = 16;
    struct key_ref *keys;

    keys = lua_newuserdatauv(L, cap * sizeof(*keys), 0);
    keys_slot = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        /* stack: ... key value → keep a string copy of key and value */
        if (!lua_checkstack(L, 4)) {
            rc = fail(e, NULL, "out of memory (or too many fields)");
            goto done;
        }
        int kt = lua_type(L, -2);
        if (kt != LUA_TSTRING && kt != LUA_TNUMBER) {
            rc = fail(e, NULL, "keys must be strings or numbers");
            goto done;
        }
        lua_pushvalue(L, -2);
        if (kt == LUA_TNUMBER)   /* a copy: converting the key itself */
            lua_tolstring(L, -1, NULL);   /* would break lua_next */
        lua_insert(L, -2);                 /* ... key kstr value */
        lua_rotate(L, -3, -1);             /* ... kstr value key */
        if (n == cap) {
            struct key_ref *k = lua_newuserdatauv(L, 2 * cap * sizeof(*k), 0);
            memcpy(k, keys, n * sizeof(*k));
            lua_replace(L, keys_slot);      /* the old array is garbage */
            keys = k;
            cap *= 2;
        }
        keys[n].s = lua_tolstring(L, -3, &keys[n].len);
        keys[n].slot = lua_gettop(L) - 1;
        if (!utf8_valid(keys[n].s, keys[n].len)) {
            rc = fail(e, NULL, "key is not valid UTF-8");
            goto done;
        }
        n++;
    }
    if (n > 1)
        qsort(keys, n, sizeof(*keys), key_cmp);
    for (size_t i = 1; i < n; i++)
        if (key_cmp(&keys[i - 1], &keys[i]) == 0) {
            rc = fail(e, keys[i].s, "duplicate key (a number key and a "
                      "string key with the same text)");
            goto done;
        }
    for (size_t i = 0; i < n; i++) {
        if (skip_core && ((keys[i].len == 4 && !memcmp(keys[i].s, "rule", 4))
                       || (keys[i].len == 4 && !memcmp(keys[i].s, "time", 4))))
            continue;
        jb_keyn(e->b, keys[i].s, keys[i].len);     /* with its comma */
        if (jb_failed(e->b))
            goto oom;
        rc = enc_value(e, keys[i].slot, depth + 1, keys[i].s);
        if (rc < 0)
            goto done;
    }
    goto done;
oom:
    rc = fail(e, NULL, "out of memory");
done:
    lua_settop(L, base);
    return rc;
}

static int enc_table(struct enc *e, int idx, int depth, const char *field)
{
    lua_State *L = e->L;
    lua_Integer n;

    if (depth > ALERT_MAX_DEPTH)
        return fail(e, field, "nested too deep (a cycle?)");
    if (!lua_checkstack(L, 6))
        return fail(e, field, "out of memory (or nested too deep)");
    if (is_array(L, idx, &n)) {
        jb_arr_begin(e->b);
        if (jb_failed(e->b))
            return fail(e, field, "out of memory");
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, idx, i);     /* enc_value writes the comma */
            int rc = enc_value(e, lua_gettop(L), depth + 1, field);
            lua_pop(L, 1);
            if (rc < 0)
                return rc;
        }
        jb_arr_end(e->b);
        return jb_failed(e->b) ? fail(e, field, "out of memory") : 0;
    }
    jb_obj_begin(e->b);
    if (jb_failed(e->b))
        return fail(e, field, "out of memory");
    if (enc_object(e, idx, depth, 0) < 0)
        return -1;
    jb_obj_end(e->b);
    return jb_failed(e->b) ? fail(e, field, "out of memory") : 0;
}

static int enc_value(struct enc *e, int idx, int depth, const char *field)
{
    lua_State *L = e->L;
    size_t len;
    const char *s;

    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        jb_null(e->b);
        break;
    case LUA_TBOOLEAN:
        jb_bool(e->b, lua_toboolean(L, idx));
        break;
    case LUA_TNUMBER:
        return enc_number(e, idx, field);
    case LUA_TSTRING:
        s = lua_tolstring(L, idx, &len);
        jb_str(e->b, s, len);
        break;
    case LUA_TTABLE:
        return enc_table(e, idx, depth, field);
    default:
        return fail(e, field, lua_pushfstring(L, "cannot encode a %s value",
                                              luaL_typename(L, idx)));
    }
    return jb_failed(e->b) ? fail(e, field, "out of memory") : 0;
}

/* The body of alert_encode, run protected. Stack: 1 = the struct enc as
** a light userdata, 2 = the table. Sets e->rc. [-0, +0, m] */
static int enc_protected(lua_State *L)
{
    struct enc *e = lua_touserdata(L, 1);
    char tmp[64];
    int n = snprintf(tmp, sizeof(tmp), "%.3f", e->time_s);

    e->L = L;
    e->rc = -1;
    jb_obj_begin(e->b);
    jb_key(e->b, "rule");
    jb_str(e->b, e->rule, strlen(e->rule));
    jb_key(e->b, "time");
    jb_value_raw(e->b, tmp, (size_t)n);
    if (jb_failed(e->b))
        return fail(e, "rule", "out of memory"), 0;
    if (enc_object(e, 2, 0, 1) < 0)
        return 0;
    jb_obj_end(e->b);
    jb_raw(e->b, "\n", 1);
    if (jb_failed(e->b))
        return fail(e, NULL, "out of memory"), 0;
    e->rc = 0;
    return 0;
}

int alert_encode(lua_State *L, int idx, const char *rule, double time_s,
                 struct json_buf *b, char *err, size_t errlen)
{
    struct enc e = { .L = L, .b = b, .err = err, .errlen = errlen,
                     .rule = rule, .time_s = time_s, .rc = -1 };
    size_t start = b->len;
    int base = lua_gettop(L), status;

    jb_rewind(b, start);        /* a line of its own: no comma before it */
    idx = lua_absindex(L, idx);
    if (!lua_istable(L, idx)) {
        snprintf(err, errlen, "alert needs a table, got %s",
                 luaL_typename(L, idx));
        return -1;
    }
    if (!lua_checkstack(L, 3)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* pushing a light C function and a light userdata allocates nothing */
    lua_pushcfunction(L, enc_protected);
    lua_pushlightuserdata(L, &e);
    lua_pushvalue(L, idx);
    status = lua_pcall(L, 2, 0, 0);
    if (status != LUA_OK) {
        snprintf(err, errlen, "%s", status == LUA_ERRMEM ? "out of memory"
                 : lua_isstring(L, -1) ? lua_tostring(L, -1) : "error");
        e.rc = -1;
    }
    if (e.rc < 0)
        jb_rewind(b, start);    /* no half line */
    lua_settop(L, base);
    return e.rc;
}

/* Number of '\n' in s[0..len): whole alerts. */
static uint64_t count_lines(const char *s, size_t len)
{
    uint64_t n = 0;
    const char *end = s + len;

    while (s < end && (s = memchr(s, '\n', (size_t)(end - s))) != NULL) {
        n++;
        s++;
    }
    return n;
}

int alert_flush(struct json_buf *b)
{
    size_t off = 0;
    int rc = 0, err_no = 0;

    if (b->len == 0)
        return 0;
    pthread_mutex_lock(&output_lock);
    if (atomic_load_explicit(&reopen_wanted, memory_order_relaxed))
        reopen_locked();
    if (output_tap)
        output_tap(output_tap_arg, b->data, b->len);
    while (off < b->len) {
        ssize_t w = write(output_fd, b->data + off, b->len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            err_no = w < 0 ? errno : ENOSPC;
            rc = -1;
            break;
        }
        off += (size_t)w;
    }
    /* a line cut short is counted when its end is written */
    stats_add(&stats.alerts_written, count_lines(b->data, off));
    if (rc < 0) {
        if (!output_failed)
            log_error("writing alerts to %s: %s", output_path ? output_path
                      : "stdout", strerror(err_no));
        output_failed = 1;
    } else if (output_failed) {
        log_info("writing alerts works again");
        output_failed = 0;
    }
    pthread_mutex_unlock(&output_lock);
    /* on failure keep what was not written, for a caller that retries */
    jb_consume(b, off);
    return rc;
}

void alert_buf_drop(struct json_buf *b)
{
    static atomic_int logged;
    uint64_t n = count_lines(b->data, b->len);

    /* a partial line's start went out; its end, and so the alert, did not */
    if (b->len && b->data[b->len - 1] != '\n')
        n++;
    if (n) {
        stats_add(&stats.alerts_lost, n);
        if (!atomic_exchange(&logged, 1))
            log_error("alerts are being lost (counted as alerts_lost)");
    }
    jb_reset(b);
}
