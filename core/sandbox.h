/*
** sandbox.h: building the Lua states rules run in.
**
** Every state that runs rules (worker states, the --check state) is made
** by sandbox_new_state, so they all see the same environment: the standard
** libraries, the certmon module, the C modules compiled in, require
** limited to Lua files in the project's lua/ folder and the rule folders,
** and a private lua-cjson decoder for messages.
*/
#ifndef CERTMON_SANDBOX_H
#define CERTMON_SANDBOX_H

#include <lua.h>
#include <stddef.h>

struct sandbox_config {
    const char *lua_dir;            /* the project's lua/ folder */
    const char *const *rule_dirs;   /* folders of the rule files */
    size_t n_rule_dirs;
};

/* A new state ready for rules. NULL with a reason in err. */
lua_State *sandbox_new_state(const struct sandbox_config *cfg,
                             char *err, size_t errlen);

/* Pushes a fresh environment table for one rule chunk: its globals are
** its own, reads fall back to the shared globals. [-0, +1, m] */
void sandbox_push_rule_env(lua_State *L);

/* The message handler every certmon lua_pcall uses: turns the error into
** a string (honouring __tostring) and appends a traceback. [-1, +1, m] */
int sandbox_traceback(lua_State *L);

#endif
