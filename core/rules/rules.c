/*
** rules.c: rule files → rule tables in a state.
*/
#include <dirent.h>
#include <errno.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rules/lua_api.h"
#include "rules/rules.h"
#include "stats.h"
#include "rules/sandbox.h"

/* Files larger than this are surely not rules. */
#define RULE_MAX_BYTES (16u << 20)

static char *read_file(const char *path, size_t *len, char *err,
                       size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long size;

    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        goto done;
    }
    if ((unsigned long)size > RULE_MAX_BYTES) {
        snprintf(err, errlen, "%s: too large for a rule (%ld bytes)", path,
                 size);
        goto done;
    }
    buf = malloc((size_t)size + 1);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto done;
    }
    if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        snprintf(err, errlen, "%s: read error", path);
        free(buf);
        buf = NULL;
        goto done;
    }
    buf[size] = '\0';
    *len = (size_t)size;
done:
    fclose(f);
    return buf;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A growable array of owned strings. */
struct strv {
    char **v;
    size_t n, cap;
};

static int strv_push(struct strv *s, char *str)
{
    if (!str)
        return -1;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        char **v = realloc(s->v, cap * sizeof(*v));
        if (!v) {
            free(str);
            return -1;
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = str;
    return 0;
}

static void strv_free(struct strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
}

static int strv_has(const struct strv *s, const char *str)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], str) == 0)
            return 1;
    return 0;
}

/* Appends the rule files of one folder to files, sorted. */
static int expand_dir(const char *dir, struct strv *files, char *err,
                      size_t errlen)
{
    struct strv found = { 0 };
    struct dirent *de;
    DIR *d = opendir(dir);
    int rc = 0;

    if (!d) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    while ((de = readdir(d))) {
        char *path;
        if (de->d_name[0] == '.' || !ends_with(de->d_name, ".lua") ||
            ends_with(de->d_name, "_test.lua"))
            continue;
        if (asprintf(&path, "%s/%s", dir, de->d_name) < 0)
            path = NULL;
        if (strv_push(&found, path) < 0) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
            goto done;
        }
    }
    if (found.n > 1)
        qsort(found.v, found.n, sizeof(*found.v), cmp_str);
    for (size_t i = 0; i < found.n; i++) {
        if (strv_push(files, found.v[i]) < 0) {
            found.v[i] = NULL;
            snprintf(err, errlen, "out of memory");
            rc = -1;
            goto done;
        }
        found.v[i] = NULL;
    }
done:
    closedir(d);
    strv_free(&found);
    return rc;
}

/* Removes from files every path that names the same file as an earlier
** one (scripts/ and scripts/x.lua both give x.lua; so do a link and its
** target), keeping the first, so one file is never a duplicate of itself.
** A path realpath cannot resolve is kept: reading it reports why. */
static void drop_same_files(struct strv *files)
{
    char **real = calloc(files->n ? files->n : 1, sizeof(*real));
    size_t kept = 0;

    if (!real)
        return;
    for (size_t i = 0; i < files->n; i++) {
        int dup = 0;
        real[kept] = realpath(files->v[i], NULL);
        for (size_t j = 0; real[kept] && j < kept && !dup; j++)
            dup = real[j] && strcmp(real[j], real[kept]) == 0;
        if (dup) {
            free(real[kept]);
            free(files->v[i]);
            continue;
        }
        files->v[kept++] = files->v[i];
    }
    files->n = kept;
    for (size_t i = 0; i < kept; i++)
        free(real[i]);
    free(real);
}

static void ruleset_free(struct ruleset *rs);
static void init_fail_logs(struct rule_file *f);

/* The folder part of path ("." if none), newly allocated. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

int ruleset_read(const char *const *paths, size_t n_paths, int allow_empty,
                 struct ruleset **out, char *err, size_t errlen)
{
    struct strv files = { 0 }, dirs = { 0 };
    struct ruleset *rs = NULL;
    struct stat st;
    size_t i;

    for (i = 0; i < n_paths; i++) {
        size_t len = strlen(paths[i]);
        char *p = strdup(paths[i]);
        /* "scripts/" and "scripts" name the same folder */
        while (p && len > 1 && p[len - 1] == '/')
            p[--len] = '\0';
        if (!p || stat(p, &st) < 0) {
            snprintf(err, errlen, "%s: %s", paths[i],
                     p ? strerror(errno) : "out of memory");
            free(p);
            goto fail;
        }
        if (S_ISDIR(st.st_mode)) {
            int rc = expand_dir(p, &files, err, errlen);
            free(p);
            if (rc < 0)
                goto fail;
        } else if (strv_push(&files, p) < 0) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
    }
    drop_same_files(&files);
    if (files.n == 0 && !allow_empty) {
        snprintf(err, errlen, "no rule files (*.lua) in %s%s",
                 n_paths ? paths[0] : "(nothing)", n_paths > 1 ? ", ..." : "");
        goto fail;
    }
    rs = calloc(1, sizeof(*rs));
    if (!rs || !(rs->files = calloc(files.n ? files.n : 1,
                                    sizeof(*rs->files)))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (i = 0; i < files.n; i++) {
        struct rule_file *f = &rs->files[rs->n_files];
        char *dir;
        f->src = read_file(files.v[i], &f->src_len, err, errlen);
        if (!f->src)
            goto fail;
        f->path = files.v[i];
        files.v[i] = NULL;
        f->stats = stats_rule_for(f->path);
        init_fail_logs(f);
        rs->n_files++;
        dir = dir_of(f->path);
        if (dir && strv_has(&dirs, dir))
            free(dir);
        else if (strv_push(&dirs, dir) < 0) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
    }
    rs->dirs = dirs.v;
    rs->n_dirs = dirs.n;
    atomic_init(&rs->refs, 1);
    strv_free(&files);
    *out = rs;
    return 0;
fail:
    ruleset_free(rs);
    strv_free(&files);
    strv_free(&dirs);
    return -1;
}

/* Sets up f's failure log budgets once f->path is known. */
static void init_fail_logs(struct rule_file *f)
{
    static const char *const kinds[RULE_FAIL_KINDS] = {
        "runtime errors", "memory limit errors", "instruction budget errors",
        "--rule-timeout errors",
    };

    for (int k = 0; k < RULE_FAIL_KINDS; k++) {
        snprintf(f->fail_what[k], sizeof(f->fail_what[k]), "%s of %s",
                 kinds[k], f->path);
        f->fail_log[k] = (struct log_budget)LOG_BUDGET_INIT(1,
                                                            f->fail_what[k]);
    }
}

static void ruleset_free(struct ruleset *rs)
{
    if (!rs)
        return;
    for (size_t i = 0; i < rs->n_files; i++) {
        free(rs->files[i].path);
        free(rs->files[i].src);
    }
    free(rs->files);
    if (rs->dirs) {
        for (size_t i = 0; i < rs->n_dirs; i++)
            free(rs->dirs[i]);
        free(rs->dirs);
    }
    free(rs);
}

struct ruleset *ruleset_from(const struct rule_file *const *files, size_t n)
{
    struct ruleset *rs = calloc(1, sizeof(*rs));
    struct strv dirs = { 0 };

    if (!rs || !(rs->files = calloc(n ? n : 1, sizeof(*rs->files))))
        goto fail;
    for (size_t i = 0; i < n; i++) {
        struct rule_file *f = &rs->files[i];
        char *dir;
        f->path = strdup(files[i]->path);
        f->src = malloc(files[i]->src_len + 1);
        if (!f->path || !f->src) {
            free(f->path);
            free(f->src);
            goto fail;
        }
        memcpy(f->src, files[i]->src, files[i]->src_len + 1);
        f->src_len = files[i]->src_len;
        f->stats = files[i]->stats;
        init_fail_logs(f);
        rs->n_files++;
        dir = dir_of(f->path);
        if (dir && strv_has(&dirs, dir))
            free(dir);
        else if (strv_push(&dirs, dir) < 0)
            goto fail;
    }
    rs->dirs = dirs.v;
    rs->n_dirs = dirs.n;
    atomic_init(&rs->refs, 1);
    return rs;
fail:
    ruleset_free(rs);
    strv_free(&dirs);
    return NULL;
}

struct ruleset *ruleset_ref(struct ruleset *rs)
{
    atomic_fetch_add(&rs->refs, 1);
    return rs;
}

void ruleset_unref(struct ruleset *rs)
{
    if (rs && atomic_fetch_sub(&rs->refs, 1) == 1)
        ruleset_free(rs);
}

struct rule_file *ruleset_find(struct ruleset *rs, const char *path)
{
    for (size_t i = 0; i < rs->n_files; i++)
        if (strcmp(rs->files[i].path, path) == 0)
            return &rs->files[i];
    return NULL;
}

/* The line of the last top-level-looking "return" in src, where a rule's
** table comes from; the last line if there is none. Used to give
** validation errors a line an editor can jump to. */
static int return_line(const char *src)
{
    int line = 1, found = 0;
    const char *p = src;

    while (*p) {
        const char *s = p;
        while (*s == ' ' || *s == '\t')
            s++;
        if (strncmp(s, "return", 6) == 0)
            found = line;
        p = strchr(p, '\n');
        if (!p)
            break;
        p++;
        if (*p)
            line++;
    }
    return found ? found : line;
}

/* The file name without folder and ".lua": the default rule name. */
static char *default_name(const char *path)
{
    const char *base = strrchr(path, '/');
    size_t len;

    base = base ? base + 1 : path;
    len = strlen(base);
    if (ends_with(base, ".lua"))
        len -= 4;
    return strndup(base, len);
}

/* Takes the handler `field` from the rule table at idx into the registry.
** Returns 0 (ref set, or LUA_NOREF when absent) or -1 if it is not a
** function. */
static int take_handler(lua_State *L, int idx, const char *field, int *ref)
{
    *ref = LUA_NOREF;
    lua_getfield(L, idx, field);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return 0;
    }
    if (!lua_isfunction(L, -1)) {
        lua_pop(L, 1);
        return -1;
    }
    *ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

/* Reports "path:line: what" through report. */
static void reportf(rules_report_fn report, void *ud, size_t index,
                    const char *path, int line, const char *what)
{
    char msg[1024];

    if (line > 0)
        snprintf(msg, sizeof(msg), "%s:%d: %s", path, line, what);
    else
        snprintf(msg, sizeof(msg), "%s", what);
    report(ud, index, msg);
}

/* The first line of a Lua error message, which already starts with
** "path:line:" for compile and runtime errors (without the traceback);
** limit trips at load time get the file's name in front. */
static void report_lua_error(lua_State *L, rules_report_fn report, void *ud,
                             size_t index, const char *path,
                             enum sandbox_failure kind)
{
    const char *msg = lua_tostring(L, -1);
    char first[1024];
    size_t n;

    if (!msg)
        msg = "(error object is not a string)";
    n = strcspn(msg, "\n");
    if (n >= sizeof(first))
        n = sizeof(first) - 1;
    memcpy(first, msg, n);
    first[n] = '\0';
    if (kind == SANDBOX_BUDGET || kind == SANDBOX_MEMORY) {
        char full[1200];
        snprintf(full, sizeof(full), "%s: loading %s: %s", path,
                 kind == SANDBOX_BUDGET ? "exceeded the instruction budget"
                                        : "exceeded the memory limit",
                 first);
        report(ud, index, full);
        return;
    }
    report(ud, index, first);
}

/* Loads one file: on success pushes nothing and fills r; on failure
** reports and returns -1. Stack unchanged either way. */
static int load_one(lua_State *L, struct rule_file *f, size_t index,
                    struct rule *r, const struct rule *loaded,
                    size_t n_loaded, rules_report_fn report, void *ud)
{
    int base = lua_gettop(L), tbl, rline = return_line(f->src), status;
    char chunkname[1024];
    char *name = NULL;
    const char *why = NULL;
    struct certmon_ctx *saved = lua_api_get_ctx(L);
    struct certmon_ctx load_ctx = { 0 };
    enum sandbox_failure kind;

    memset(r, 0, sizeof(*r));
    r->on_cert_ref = r->on_message_ref = r->table_ref = LUA_NOREF;
    lua_pushcfunction(L, sandbox_traceback);
    snprintf(chunkname, sizeof(chunkname), "@%s", f->path);
    if (luaL_loadbufferx(L, f->src, f->src_len, chunkname, "t") != LUA_OK) {
        report_lua_error(L, report, ud, index, f->path, SANDBOX_RUNTIME);
        goto fail;
    }
    sandbox_push_rule_env(L);               /* base+3 */
    lua_pushvalue(L, -1);
    if (!lua_setupvalue(L, -3, 1))
        lua_pop(L, 1);      /* a chunk with no _ENV use: nothing to set */
    lua_insert(L, -2);      /* env below the chunk */
    name = default_name(f->path);
    lua_pushstring(L, name ? name : "");
    lua_pushstring(L, f->path);
    /* The chunk runs under the same limits as a handler call; store keys
    ** it uses belong to the rule's default name. */
    load_ctx.rule = name;
    lua_api_set_ctx(L, &load_ctx);
    sandbox_begin_call(L);
    status = lua_pcall(L, 2, 1, base + 1);
    kind = sandbox_end_call(L, status);
    lua_api_set_ctx(L, saved);
    if (status != LUA_OK) {
        report_lua_error(L, report, ud, index, f->path, kind);
        goto fail;
    }
    sandbox_lock_env(L, base + 2);
    tbl = lua_gettop(L);
    if (!lua_istable(L, tbl)) {
        why = lua_pushfstring(L, "a rule must return a table with on_cert "
                              "or on_message (got %s)",
                              luaL_typename(L, tbl));
        goto invalid;
    }
    lua_getfield(L, tbl, "name");
    if (!lua_isnil(L, -1)) {
        if (lua_type(L, -1) != LUA_TSTRING || lua_rawlen(L, -1) == 0) {
            why = "rule field 'name' must be a non-empty string";
            goto invalid;
        }
        free(name);
        name = strdup(lua_tostring(L, -1));
    }
    lua_pop(L, 1);
    if (!name) {
        why = "out of memory";
        goto invalid;
    }
    for (size_t i = 0; i < n_loaded; i++)
        if (strcmp(loaded[i].name, name) == 0) {
            why = lua_pushfstring(L, "duplicate rule name '%s' (also %s)",
                                  name, loaded[i].file->path);
            goto invalid;
        }
    if (take_handler(L, tbl, "on_cert", &r->on_cert_ref) < 0) {
        why = "rule field 'on_cert' must be a function";
        goto invalid;
    }
    if (take_handler(L, tbl, "on_message", &r->on_message_ref) < 0) {
        why = "rule field 'on_message' must be a function";
        goto invalid;
    }
    if (r->on_cert_ref == LUA_NOREF && r->on_message_ref == LUA_NOREF) {
        why = "a rule must return a table with on_cert or on_message";
        goto invalid;
    }
    lua_pushvalue(L, tbl);
    r->table_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    r->file = f;
    r->name = name;
    lua_settop(L, base);
    return 0;
invalid:
    reportf(report, ud, index, f->path, rline, why);
fail:
    luaL_unref(L, LUA_REGISTRYINDEX, r->on_cert_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, r->on_message_ref);
    free(name);
    lua_settop(L, base);
    return -1;
}

size_t rules_load(lua_State *L, struct ruleset *rs, struct rule **out,
                  size_t *n_out, rules_report_fn report, void *ud)
{
    struct rule *rules = calloc(rs->n_files ? rs->n_files : 1,
                                sizeof(*rules));
    size_t n = 0, failed = 0;

    if (!rules) {
        report(ud, 0, "out of memory loading rules");
        *out = NULL;
        *n_out = 0;
        return rs->n_files;
    }
    for (size_t i = 0; i < rs->n_files; i++) {
        if (load_one(L, &rs->files[i], i, &rules[n], rules, n, report,
                     ud) == 0)
            n++;
        else
            failed++;
    }
    *out = rules;
    *n_out = n;
    return failed;
}

void rules_free(struct rule *rules, size_t n)
{
    if (!rules)
        return;
    for (size_t i = 0; i < n; i++)
        free(rules[i].name);
    free(rules);
}

/* Keeps the first problem for the caller's error message. */
struct first_problem {
    rules_report_fn report;
    void *ud;
    char text[512];
};

static void note_problem(void *ud, size_t index, const char *problem)
{
    struct first_problem *fp = ud;

    if (!fp->text[0])
        snprintf(fp->text, sizeof(fp->text), "%s", problem);
    if (fp->report)
        fp->report(fp->ud, index, problem);
}

struct rules_instance *rules_instantiate(const struct sandbox_config *sc,
                                         struct ruleset *rs,
                                         rules_report_fn report, void *ud,
                                         char *err, size_t errlen)
{
    struct rules_instance *ri = calloc(1, sizeof(*ri));
    struct first_problem fp = { .report = report, .ud = ud };

    if (!ri) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ri->L = sandbox_new_state(sc, err, errlen);
    if (!ri->L) {
        free(ri);
        return NULL;
    }
    ri->rs = ruleset_ref(rs);
    if (rules_load(ri->L, rs, &ri->rules, &ri->n_rules, note_problem,
                   &fp) > 0) {
        snprintf(err, errlen, "%s", fp.text);
        rules_instance_free(ri);
        return NULL;
    }
    return ri;
}

void rules_instance_free(struct rules_instance *ri)
{
    if (!ri)
        return;
    rules_free(ri->rules, ri->n_rules);
    sandbox_close(ri->L);
    ruleset_unref(ri->rs);
    free(ri);
}
