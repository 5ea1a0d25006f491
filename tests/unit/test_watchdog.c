/*
** test_watchdog.c: the watchdog stops a call over the timeout (in Lua and
** inside the pattern matcher) and only that call, and gives up on a
** worker stuck in one call once a stop began, by watchdog_stopping or by
** the stop flag.
*/
#include <lauxlib.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "mono_clock.h"
#include "rules/sandbox.h"
#include "stats.h"
#include "watchdog.h"

static const char *const rule_dirs[] = { "tests/fixtures/rules" };
static const struct sandbox_config cfg = {
    .lua_dir = "lua",
    .rule_dirs = rule_dirs,
    .n_rule_dirs = 1,
    .budget_instructions = UINT64_MAX / 2,  /* never trips */
    .memory_bytes = 64u << 20,
};

static atomic_int gave_up;
static char last_error[1024];

static void give_up(void *arg)
{
    (void)arg;
    atomic_fetch_add(&gave_up, 1);
}

/* Runs code as one watched call in slot s; returns how it ended. */
static enum sandbox_failure watched_call(lua_State *L,
                                         struct watchdog_slot *s,
                                         const char *code)
{
    enum sandbox_failure kind;
    int status;

    last_error[0] = '\0';
    lua_pushcfunction(L, sandbox_traceback);
    if (luaL_loadstring(L, code) != LUA_OK) {
        snprintf(last_error, sizeof(last_error), "%s", lua_tostring(L, -1));
        lua_pop(L, 2);
        return SANDBOX_RUNTIME;
    }
    sandbox_begin_call(L);
    watchdog_enter(s, "test_rule", "on_cert", mono_ns());
    status = lua_pcall(L, 0, 0, -2);
    watchdog_leave(s);
    kind = sandbox_end_call(L, status);
    if (status != LUA_OK) {
        snprintf(last_error, sizeof(last_error), "%s", lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return kind;
}

static int wait_for_give_up(int want)
{
    for (int i = 0; i < 600 && atomic_load(&gave_up) < want; i++)
        usleep(50 * 1000);      /* up to 30 s: the machine may be busy */
    return atomic_load(&gave_up) >= want;
}

static void test_timeout(void)
{
    struct watchdog_config wc = {
        .rule_timeout_ms = 100,
        .stop_grace_ms = 100,
        .give_up = give_up,
    };
    char err[256];
    struct watchdog *wd = watchdog_start(&wc, 2, err, sizeof(err));
    struct watchdog_slot *s0 = watchdog_slot(wd, 0), *s1;
    lua_State *L = sandbox_new_state(&cfg, err, sizeof(err));
    uint64_t before = stats_get(&stats.rule_timeout_errors);
    int top;

    CHECK(wd && L && s0);
    if (!wd || !L)
        return;
    CHECK(watchdog_slot(wd, 2) == NULL && watchdog_slot(NULL, 0) == NULL);
    top = lua_gettop(L);
    sandbox_set_interrupt(L, &s0->intr);
    CHECK(watched_call(L, s0, "while true do end") == SANDBOX_TIMEOUT);
    CHECK(strstr(last_error, "call exceeded --rule-timeout") != NULL);
    CHECK(stats_get(&stats.rule_timeout_errors) == before + 1);
    /* pcall inside the call cannot swallow it */
    CHECK(watched_call(L, s0, "pcall(function() while true do end end) "
                              "while true do end") == SANDBOX_TIMEOUT);
    /* stopped inside one C call of the matcher */
    CHECK(watched_call(L, s0, "local r = ('a'):rep(40):find(('a*'):rep(12) "
                              ".. 'b')") == SANDBOX_TIMEOUT);
    CHECK(strstr(last_error, "in a pattern match") != NULL);
    CHECK(stats_get(&stats.rule_timeout_errors) == before + 3);
    CHECK(lua_gettop(L) == top);

    /* a worker stuck in one call (never leaves) past the grace period */
    s1 = watchdog_slot(wd, 1);
    CHECK(atomic_load(&gave_up) == 0);
    watchdog_enter(s1, "stuck_rule", "on_message", mono_ns());
    watchdog_stopping(wd);
    CHECK(wait_for_give_up(1));
    watchdog_leave(s1);
    watchdog_free(wd);
    sandbox_close(L);
}

/* The sandbox side, without a watchdog and so without timing: a stop
** request names one call, and no other call is stopped by it. */
static void test_interrupt_numbering(void)
{
    struct sandbox_interrupt intr;
    char err[256];
    lua_State *L = sandbox_new_state(&cfg, err, sizeof(err));

    CHECK(L != NULL);
    if (!L)
        return;
    atomic_init(&intr.call, 0);
    atomic_init(&intr.stop, 0);
    sandbox_set_interrupt(L, &intr);
    CHECK(watched_call(L, NULL, "local n = 0 for i = 1, 1e5 do n = n + i end")
          == SANDBOX_OK);                   /* stop = 0 names no call */
    atomic_store(&intr.stop, atomic_load(&intr.call) + 1);  /* the next */
    CHECK(watched_call(L, NULL, "while true do end") == SANDBOX_TIMEOUT);
    /* a late request for that call, which is over, stops nothing */
    CHECK(watched_call(L, NULL, "local n = 0 for i = 1, 1e5 do n = n + i end")
          == SANDBOX_OK);
    atomic_store(&intr.stop, atomic_load(&intr.call) + 1);
    CHECK(watched_call(L, NULL, "for w in (('a'):rep(30)):gmatch("
                                "('a*'):rep(10) .. 'b') do end")
          == SANDBOX_TIMEOUT);
    CHECK(strstr(last_error, "in a pattern match") != NULL);
    sandbox_set_interrupt(L, NULL);
    CHECK(watched_call(L, NULL, "local n = 0") == SANDBOX_OK);
    sandbox_close(L);
}

/* The stop flag alone starts the grace period (the main thread may be
** blocked and never call watchdog_stopping). */
static void test_stop_flag(void)
{
    static atomic_int stop;
    struct watchdog_config wc = {
        .rule_timeout_ms = 0,           /* no per-call timeout */
        .stop_grace_ms = 100,
        .stop_flag = &stop,
        .give_up = give_up,
    };
    char err[256];
    struct watchdog *wd = watchdog_start(&wc, 1, err, sizeof(err));
    struct watchdog_slot *s = watchdog_slot(wd, 0);
    int before = atomic_load(&gave_up);

    CHECK(wd != NULL);
    if (!wd)
        return;
    watchdog_enter(s, "stuck_rule", "on_cert", mono_ns());
    atomic_store(&stop, 1);
    CHECK(wait_for_give_up(before + 1));
    watchdog_leave(s);
    watchdog_free(wd);
}

int main(void)
{
    alarm(120);     /* a hang regression fails instead of stalling */
    test_interrupt_numbering();
    test_timeout();
    test_stop_flag();
    return check_done();
}
