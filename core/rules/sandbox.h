/*
** sandbox.h: building the Lua states rules run in, and their limits.
**
** Every state that runs rules (worker states, --check, --test, reload
** validation) is made by sandbox_new_state, so they all see the same
** environment:
**   - an allow-list of the standard library: base (without dofile and
**     loadfile; load of text only), string (without dump), table, math,
**     utf8, os.time/date/clock/getenv; no io, debug, package, C modules;
**   - require serving only Lua files from the project's lua/ folder and
**     the rule folders, and the C modules compiled into certmon;
**   - one environment per rule in which reading an unknown global or
**     creating a global after load raises an error naming it;
**   - a per-call instruction budget and a per-state memory cap, which a
**     pcall inside the rule cannot swallow; string.find, match, gmatch
**     and gsub count their matching steps against the same budget
**     (lua_pattern.h), so a backtracking pattern is stopped as a loop is;
**   - no finalizers: setmetatable refuses a metatable with __gc (Lua runs
**     finalizers with hooks off, at any moment, under any rule), and
**     getmetatable gives nil for userdata, whose metatables belong to C.
**     __close handlers run with hooks on, so the budget covers them.
** With unsafe set, rules get the full standard library instead (limits
** still apply).
*/
#ifndef CERTMON_SANDBOX_H
#define CERTMON_SANDBOX_H

#include <lua.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct sandbox_config {
    const char *lua_dir;            /* the project's lua/ folder */
    const char *const *rule_dirs;   /* folders of the rule files */
    size_t n_rule_dirs;
    int unsafe;                     /* --unsafe: full standard library */
    uint64_t budget_instructions;   /* per handler call; 0 = none */
    size_t memory_bytes;            /* per state; 0 = none */
};

/* Why a protected call failed. */
enum sandbox_failure {
    SANDBOX_OK = 0,
    SANDBOX_RUNTIME,                /* an error raised by the rule */
    SANDBOX_MEMORY,                 /* the memory cap (or real OOM) */
    SANDBOX_BUDGET,                 /* the instruction budget */
    SANDBOX_TIMEOUT,                /* stopped by another thread */
};

/* How another thread (the watchdog) stops the call running in a state:
** sandbox_begin_call numbers each call in call; storing a call's number
** in stop makes that call fail with SANDBOX_TIMEOUT at its next count
** hook (every 1000 instructions) or pattern-matching step. A call inside
** some other C function sees it only when that function returns. */
struct sandbox_interrupt {
    atomic_uint_fast64_t call;      /* the state's current call */
    atomic_uint_fast64_t stop;      /* the call to stop; 0 = none */
};

/* A new state ready for rules; limits are in force from here on. NULL
** with a reason in err. */
lua_State *sandbox_new_state(const struct sandbox_config *cfg,
                             char *err, size_t errlen);

/* Closes a state made by sandbox_new_state. */
void sandbox_close(lua_State *L);

/* Pushes a fresh environment for one rule chunk, ready to be its _ENV.
** [-0, +1, m] */
void sandbox_push_rule_env(lua_State *L);

/* After the chunk ran: from now on creating a new global in the
** environment at idx raises an error. [-0, +0, m] */
void sandbox_lock_env(lua_State *L, int idx);

/* Bracket every call into rule code: begin resets the instruction count
** and arms the limits; end classifies the status of the call and disarms
** the trip so the next call starts clean. */
void sandbox_begin_call(lua_State *L);
enum sandbox_failure sandbox_end_call(lua_State *L, int status);

/* Makes calls in L stoppable through intr (NULL: not stoppable). The
** struct must outlive the calls. */
void sandbox_set_interrupt(lua_State *L, struct sandbox_interrupt *intr);

/* Lifts or restores the memory cap around work done for rules but not by
** them (decoding a message), so a near-full state still gets its input. */
void sandbox_enforce_memory(lua_State *L, int on);

/* Bytes the state holds now. */
size_t sandbox_memory_used(lua_State *L);

/* The message handler every certmon lua_pcall uses: turns the error into
** a string (honouring __tostring) and appends a traceback. [-1, +1, m] */
int sandbox_traceback(lua_State *L);

#endif
