/*
** rule_sample.c: --check --sample, every handler run on real messages.
*/
#include <errno.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "rules/lua_api.h"
#include "rules/msg_table.h"
#include "rules/rule_sample.h"

/* Calls handler ref of rule r on the message at msg_idx, alerts thrown
** away. Returns 0, or -1 with the error message pushed. */
static int call_handler(lua_State *L, const struct rule *r, int ref,
                        int msg_idx)
{
    struct json_buf b = { 0 };
    struct certmon_ctx ctx = { .rule = r->name, .alerts = &b };
    int base = lua_gettop(L), status;

    lua_pushcfunction(L, sandbox_traceback);
    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    lua_pushvalue(L, msg_idx);
    lua_api_set_ctx(L, &ctx);
    sandbox_begin_call(L);
    status = lua_pcall(L, 1, 0, base + 1);
    sandbox_end_call(L, status);
    lua_api_set_ctx(L, NULL);
    jb_free(&b);
    if (status == LUA_OK) {
        lua_settop(L, base);
        return 0;
    }
    lua_remove(L, base + 1);            /* the traceback handler */
    return -1;
}

/* The first line of the error at the top of the stack (the traceback
** follows it), into out. */
static void first_line(lua_State *L, char *out, size_t outlen)
{
    const char *e = lua_tostring(L, -1);
    size_t n;

    if (!e)
        e = "(error object is not a string)";
    n = strcspn(e, "\n");
    snprintf(out, outlen, "%.*s", (int)n, e);
}

int rule_sample_run(const struct sandbox_config *sc, struct ruleset *rs,
                    const char *path, rules_report_fn report, void *ud,
                    char *err, size_t errlen)
{
    struct rules_instance *ri = NULL;
    unsigned char *failed = NULL;
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, line_no = 0;
    ssize_t len;
    int n_failed = -1;

    if (!f) {
        snprintf(err, errlen, "sample %s: %s", path, strerror(errno));
        return -1;
    }
    ri = rules_instantiate(sc, rs, NULL, NULL, err, errlen);
    failed = calloc(rs->n_files ? rs->n_files : 1, 1);
    if (!ri || !failed) {
        if (ri && !failed)
            snprintf(err, errlen, "out of memory");
        goto done;
    }
    n_failed = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lua_State *L = ri->L;
        int top = lua_gettop(L), msg_idx, is_cert;
        line_no++;
        if (strspn(line, " \t\r\n") == (size_t)len)
            continue;
        sandbox_enforce_memory(L, 0);
        if (msg_table_push(L, line, (size_t)len) < 0) {
            sandbox_enforce_memory(L, 1);
            snprintf(err, errlen, "sample %s line %zu: %s", path, line_no,
                     lua_tostring(L, -1));
            n_failed = -1;
            goto done;
        }
        sandbox_enforce_memory(L, 1);
        msg_idx = lua_gettop(L);
        lua_getfield(L, msg_idx, "message_type");
        is_cert = lua_isstring(L, -1) &&
                  strcmp(lua_tostring(L, -1), "certificate_update") == 0;
        lua_pop(L, 1);
        for (size_t i = 0; i < ri->n_rules; i++) {
            const struct rule *r = &ri->rules[i];
            size_t fi = (size_t)(r->file - rs->files);
            const char *handler = NULL;
            if (failed[fi])
                continue;
            if (is_cert && r->on_cert_ref != LUA_NOREF &&
                call_handler(L, r, r->on_cert_ref, msg_idx) < 0)
                handler = "on_cert";
            if (!handler && r->on_message_ref != LUA_NOREF &&
                call_handler(L, r, r->on_message_ref, msg_idx) < 0)
                handler = "on_message";
            if (handler) {
                char first[512], problem[1024];
                int named;
                first_line(L, first, sizeof(first));
                lua_pop(L, 1);
                /* Lua's message starts "file:line:" when the rule raised
                ** it; otherwise say which file */
                named = strncmp(first, r->file->path,
                                strlen(r->file->path)) == 0;
                snprintf(problem, sizeof(problem), "%s%s%s (%s on %s line "
                         "%zu)", named ? "" : r->file->path,
                         named ? "" : ": ", first, handler, path, line_no);
                report(ud, fi, problem);
                failed[fi] = 1;
                n_failed++;
            }
        }
        lua_settop(L, top);
    }
    if (ferror(f)) {
        snprintf(err, errlen, "sample %s: read error", path);
        n_failed = -1;
    }
done:
    free(line);
    free(failed);
    rules_instance_free(ri);
    fclose(f);
    return n_failed;
}
