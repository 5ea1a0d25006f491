/*
** lua_pattern.h: Lua's string.find, match, gmatch and gsub with bounded
** work.
**
** The standard matcher backtracks inside one C call, so a pattern such
** as ("a*"):rep(12) .. "b" against ("a"):rep(40) runs for hours without
** executing a single Lua instruction: no count hook, budget or timeout
** ever sees it. These are the same functions (same results, same errors:
** a private copy of Lua 5.4's matcher) that report the work they do, in
** steps, to a charge function which may raise an error to stop them.
** One step is one entry into the matcher or one character a repetition
** or %b scans. The plain find (no specials, or plain = true) is linear
** (memmem) and not charged.
*/
#ifndef CERTMON_LUA_PATTERN_H
#define CERTMON_LUA_PATTERN_H

#include <lua.h>
#include <stdint.h>

struct lua_pattern_limits {
    unsigned charge_steps;      /* steps between two calls of charge */
    /* Told that steps more were done in the current call; raises a Lua
    ** error (does not return) when the work must stop. */
    void (*charge)(lua_State *L, uint64_t steps);
};

/* Replaces find, match, gmatch and gsub in the string library table at
** idx with bounded copies reporting to lim, which must outlive the state.
** [-0, +0, m] */
void lua_pattern_install(lua_State *L, int idx,
                         const struct lua_pattern_limits *lim);

#endif
