/*
** rule_test.c: the --test runner.
**
** The bookkeeping (building messages, comparing alerts, printing) is a
** small Lua harness run with the state's real globals: it is certmon's
** own code, not a rule's. The C side gives it what only C can do: call a
** handler inside the sandbox with its alerts captured, decode JSON the
** way the pipeline does, and load a test file in a rule environment.
*/
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "rules/lua_api.h"
#include "rules/msg_table.h"
#include "rules/rule_test.h"
#include "store.h"

/* call(fn, msg, rule_name) -> {alert lines}, error or nil.
** [-3, +2, e] */
static int t_call(lua_State *L)
{
    struct json_buf b = { 0 };
    struct certmon_ctx ctx = { .rule = luaL_checkstring(L, 3),
                               .alerts = &b };
    struct certmon_ctx *saved = lua_api_get_ctx(L);
    int top = lua_gettop(L), status;
    lua_Integer n = 0;
    size_t start = 0;

    lua_pushcfunction(L, sandbox_traceback);
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    lua_api_set_ctx(L, &ctx);
    sandbox_begin_call(L);
    status = lua_pcall(L, 1, 0, top + 1);
    sandbox_end_call(L, status);
    lua_api_set_ctx(L, saved);
    lua_newtable(L);
    for (size_t i = 0; i < b.len; i++)
        if (b.data[i] == '\n') {
            lua_pushlstring(L, b.data + start, i - start);
            lua_rawseti(L, -2, ++n);
            start = i + 1;
        }
    jb_free(&b);
    if (status != LUA_OK)
        lua_pushvalue(L, top + 2);
    else
        lua_pushnil(L);
    return 2;
}

/* decode(json) -> table | nil, err [-1, +(1|2), e] */
static int t_decode(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);

    sandbox_enforce_memory(L, 0);
    if (msg_table_push(L, s, len) < 0) {
        sandbox_enforce_memory(L, 1);
        lua_pushnil(L);
        lua_insert(L, -2);
        return 2;
    }
    sandbox_enforce_memory(L, 1);
    return 1;
}

/* load_cases(path) -> table | nil, err: runs a NAME_test.lua in a rule
** environment under the limits. [-1, +(1|2), e] */
static int t_load_cases(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    int status;

    lua_settop(L, 1);
    lua_pushcfunction(L, sandbox_traceback);
    if (luaL_loadfilex(L, path, "t") != LUA_OK) {
        lua_pushnil(L);
        lua_insert(L, -2);
        return 2;
    }
    sandbox_push_rule_env(L);
    lua_setupvalue(L, -2, 1);
    sandbox_begin_call(L);
    status = lua_pcall(L, 0, 1, 2);
    sandbox_end_call(L, status);
    if (status != LUA_OK) {
        lua_pushnil(L);
        lua_insert(L, -2);
        return 2;
    }
    return 1;
}

/* store_reset(): each case starts with an empty store. [-0, +0, -] */
static int t_store_reset(lua_State *L)
{
    (void)L;
    store_reset();
    return 0;
}

static const luaL_Reg harness_funcs[] = {
    { "call", t_call },
    { "decode", t_decode },
    { "load_cases", t_load_cases },
    { "store_reset", t_store_reset },
    { NULL, NULL }
};

static const char harness[] =
"local T, rules, out = ...\n"
"local passed, failed, cases_total = 0, 0, 0\n"
"local function say(...) out(table.concat({...})) end\n"
"local function show(v)\n"
"  if type(v) == 'string' then return string.format('%q', v) end\n"
"  if type(v) ~= 'table' then return tostring(v) end\n"
"  local parts, n = {}, #v\n"
"  if n > 0 then\n"
"    for i = 1, n do parts[#parts + 1] = show(v[i]) end\n"
"    return '[' .. table.concat(parts, ', ') .. ']'\n"
"  end\n"
"  local keys = {}\n"
"  for k in pairs(v) do keys[#keys + 1] = tostring(k) end\n"
"  table.sort(keys)\n"
"  for _, k in ipairs(keys) do parts[#parts + 1] = k .. ' = ' .. show(v[k]) end\n"
"  return '{' .. table.concat(parts, ', ') .. '}'\n"
"end\n"
"-- does actual contain what expected says? arrays must match in length\n"
"local function match(e, a, path, why)\n"
"  if type(e) ~= 'table' then\n"
"    if e ~= a then\n"
"      why[#why + 1] = path .. ': expected ' .. show(e) .. ', got ' .. show(a)\n"
"    end\n"
"    return\n"
"  end\n"
"  if type(a) ~= 'table' then\n"
"    why[#why + 1] = path .. ': expected ' .. show(e) .. ', got ' .. show(a)\n"
"    return\n"
"  end\n"
"  if #e > 0 and #e ~= #a then\n"
"    why[#why + 1] = path .. ': expected ' .. show(e) .. ', got ' .. show(a)\n"
"    return\n"
"  end\n"
"  for k, v in pairs(e) do match(v, a[k], path .. '.' .. tostring(k), why) end\n"
"end\n"
"local function cert_message(c)\n"
"  local d, now = c.domains, 1700000000\n"
"  return { message_type = 'certificate_update', data = {\n"
"    update_type = c.precert and 'PrecertLogEntry' or 'X509LogEntry',\n"
"    cert_index = 1, cert_link = '', seen = now,\n"
"    source = { name = 'certmon test log', url = 'https://ct.invalid/' },\n"
"    leaf_cert = { all_domains = d, subject = { CN = d[1] },\n"
"      issuer = { O = c.issuer or 'certmon Test CA', CN = 'certmon Test CA R1' },\n"
"      extensions = { subjectAltName = 'DNS:' .. table.concat(d, ', DNS:') },\n"
"      not_before = now, not_after = now + 90 * 86400,\n"
"      serial_number = c.serial or '0A1B2C3D',\n"
"      fingerprint = c.fingerprint or 'AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD',\n"
"      is_ca = false, signature_algorithm = 'sha256, rsa' } } }\n"
"end\n"
"local function messages_of(c, dir)\n"
"  local n = (c.message and 1 or 0) + (c.messages and 1 or 0) +\n"
"            (c.json and 1 or 0) + (c.fixture and 1 or 0) + (c.domains and 1 or 0)\n"
"  if n ~= 1 then\n"
"    return nil, 'a case needs exactly one of message, messages, json, fixture, domains'\n"
"  end\n"
"  if c.message then return { c.message } end\n"
"  if c.messages then return c.messages end\n"
"  if c.domains then return { cert_message(c) } end\n"
"  if c.json then\n"
"    local m, err = T.decode(c.json)\n"
"    if not m then return nil, 'json: ' .. err end\n"
"    return { m }\n"
"  end\n"
"  local path = c.fixture\n"
"  if path:sub(1, 1) ~= '/' then\n"
"    local f = io.open(dir .. '/' .. path)\n"
"    if f then f:close() path = dir .. '/' .. path end\n"
"  end\n"
"  local f, err = io.open(path)\n"
"  if not f then return nil, 'fixture: ' .. err end\n"
"  local list, line_no = {}, 0\n"
"  for line in f:lines() do\n"
"    line_no = line_no + 1\n"
"    if line:find('%S') then\n"
"      local m, derr = T.decode(line)\n"
"      if not m then f:close() return nil, path .. ':' .. line_no .. ': ' .. derr end\n"
"      list[#list + 1] = m\n"
"    end\n"
"  end\n"
"  f:close()\n"
"  return list\n"
"end\n"
"-- the rule's part of an error: its traceback up to where the harness\n"
"-- called it\n"
"local function rule_error(e)\n"
"  local keep = {}\n"
"  for line in (tostring(e) .. '\\n'):gmatch('(.-)\\n') do\n"
"    if line:find(\"[C]: in field 'call'\", 1, true) or\n"
"       line:find('test-harness', 1, true) then break end\n"
"    keep[#keep + 1] = line\n"
"  end\n"
"  return table.concat(keep, '\\n')\n"
"end\n"
"local function run_case(r, c, label)\n"
"  local why = {}\n"
"  local msgs, err = messages_of(c, r.dir)\n"
"  local lines, errors = {}, {}\n"
"  if not msgs then why[#why + 1] = err end\n"
"  if (c.expect == nil and not c.expect_error) or\n"
"     (c.expect ~= nil and type(c.expect) ~= 'table') then\n"
"    why[#why + 1] = 'a case needs expect = { alerts... } ({} for none) or expect_error'\n"
"  end\n"
"  if #why == 0 then\n"
"    T.store_reset()\n"
"    for _, m in ipairs(msgs) do\n"
"      local handlers = {}\n"
"      if m.message_type == 'certificate_update' and r.on_cert then\n"
"        handlers[#handlers + 1] = r.on_cert\n"
"      end\n"
"      if r.on_message then handlers[#handlers + 1] = r.on_message end\n"
"      for _, h in ipairs(handlers) do\n"
"        local got, herr = T.call(h, m, r.name)\n"
"        for _, l in ipairs(got) do lines[#lines + 1] = l end\n"
"        if herr then errors[#errors + 1] = rule_error(herr) end\n"
"      end\n"
"    end\n"
"    if #errors > 0 and not c.expect_error then\n"
"      why[#why + 1] = 'the rule raised: ' .. errors[1]\n"
"    elseif c.expect_error and not (errors[1] or ''):find(c.expect_error, 1, true) then\n"
"      why[#why + 1] = 'expected an error containing ' .. show(c.expect_error) ..\n"
"                      (errors[1] and ', got: ' .. errors[1] or ', got none')\n"
"    end\n"
"    -- with expect_error alone, the alerts written before it are not checked\n"
"    local expect = c.expect or {}\n"
"    if c.expect and #lines ~= #expect then\n"
"      why[#why + 1] = 'expected ' .. #expect .. ' alert(s), got ' .. #lines\n"
"    end\n"
"    for i, e in ipairs(expect) do\n"
"      if lines[i] then match(e, T.decode(lines[i]), 'alert ' .. i, why) end\n"
"    end\n"
"  end\n"
"  if #why == 0 then\n"
"    passed = passed + 1\n"
"    say('PASS ', label)\n"
"  else\n"
"    failed = failed + 1\n"
"    say('FAIL ', label)\n"
"    for _, w in ipairs(why) do say('    ', (w:gsub('\\n', '\\n    '))) end\n"
"    if #lines > 0 and #lines ~= (type(c.expect) == 'table' and #c.expect or -1) then\n"
"      say('    alerts the rule wrote:')\n"
"      for _, l in ipairs(lines) do say('      ', l) end\n"
"    end\n"
"  end\n"
"end\n"
"for _, r in ipairs(rules) do\n"
"  local cases = {}\n"
"  for _, c in ipairs(type(r.tbl.tests) == 'table' and r.tbl.tests or {}) do\n"
"    cases[#cases + 1] = c\n"
"  end\n"
"  local f = io.open(r.test_path)\n"
"  if f then\n"
"    f:close()\n"
"    local list, err = T.load_cases(r.test_path)\n"
"    if type(list) ~= 'table' then\n"
"      failed = failed + 1\n"
"      say('FAIL ', r.name, ': ', r.test_path, ' does not load: ',\n"
"          tostring(err or 'it must return a list of cases'))\n"
"    else\n"
"      for _, c in ipairs(list) do cases[#cases + 1] = c end\n"
"    end\n"
"  end\n"
"  if #cases == 0 then say('---- ', r.name, ': no test cases') end\n"
"  for i, c in ipairs(cases) do\n"
"    cases_total = cases_total + 1\n"
"    run_case(r, c, r.name .. ': ' .. tostring(c.name or ('case ' .. i)))\n"
"  end\n"
"end\n"
"return passed, failed, cases_total\n";

static FILE *report_out;

/* out(line): prints one line of the harness's report. [-1, +0, -] */
static int t_out(lua_State *L)
{
    fprintf(report_out, "%s\n", luaL_checkstring(L, 1));
    return 0;
}

static void load_failed(void *ud, size_t index, const char *problem)
{
    int *failed = ud;

    (*failed)++;
    fprintf(report_out, "FAIL %s (the rule does not load)\n", problem);
}

/* Pushes the harness's description of rule r. [-0, +1, m] */
static void push_rule(lua_State *L, const struct rule *r)
{
    const char *path = r->file->path;
    const char *slash = strrchr(path, '/');
    size_t plen = strlen(path);

    lua_createtable(L, 0, 6);
    lua_pushstring(L, r->name);
    lua_setfield(L, -2, "name");
    lua_rawgeti(L, LUA_REGISTRYINDEX, r->table_ref);
    lua_setfield(L, -2, "tbl");
    if (r->on_cert_ref != LUA_NOREF) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, r->on_cert_ref);
        lua_setfield(L, -2, "on_cert");
    }
    if (r->on_message_ref != LUA_NOREF) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, r->on_message_ref);
        lua_setfield(L, -2, "on_message");
    }
    if (slash)
        lua_pushlstring(L, path, (size_t)(slash - path));
    else
        lua_pushliteral(L, ".");
    lua_setfield(L, -2, "dir");
    /* NAME_test.lua beside NAME.lua */
    if (plen > 4 && strcmp(path + plen - 4, ".lua") == 0)
        plen -= 4;
    lua_pushlstring(L, path, plen);
    lua_pushliteral(L, "_test.lua");
    lua_concat(L, 2);
    lua_setfield(L, -2, "test_path");
}

int rule_test_run(const struct sandbox_config *sc, struct ruleset *rs,
                  FILE *out)
{
    char err[512];
    struct rule *rules = NULL;
    size_t n_rules = 0;
    int load_failures = 0, rc = 1;
    lua_Integer passed = 0, failed = 0, total = 0;
    lua_State *L = sandbox_new_state(sc, err, sizeof(err));

    report_out = out;
    if (!L) {
        fprintf(out, "certmon --test: %s\n", err);
        return 1;
    }
    rules_load(L, rs, &rules, &n_rules, load_failed, &load_failures);
    lua_pushcfunction(L, sandbox_traceback);
    if (luaL_loadbufferx(L, harness, sizeof(harness) - 1, "=test-harness",
                         "t") != LUA_OK) {
        fprintf(out, "certmon --test: %s\n", lua_tostring(L, -1));
        goto done;
    }
    luaL_newlib(L, harness_funcs);
    lua_createtable(L, (int)n_rules, 0);
    for (size_t i = 0; i < n_rules; i++) {
        push_rule(L, &rules[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_pushcfunction(L, t_out);
    sandbox_begin_call(L);
    if (lua_pcall(L, 3, 3, 1) != LUA_OK) {
        sandbox_end_call(L, LUA_ERRRUN);
        fprintf(out, "certmon --test: %s\n", lua_tostring(L, -1));
        goto done;
    }
    sandbox_end_call(L, LUA_OK);
    passed = lua_tointeger(L, -3);
    failed = lua_tointeger(L, -2) + load_failures;
    total = lua_tointeger(L, -1);
    fprintf(out, "certmon --test: %lld case%s passed, %lld failed "
            "(%zu rule%s)\n", (long long)passed, passed == 1 ? "" : "s",
            (long long)failed, rs->n_files, rs->n_files == 1 ? "" : "s");
    if (total == 0 && failed == 0)
        fprintf(out, "certmon --test: no test cases found: add a `tests` "
                "list to a rule or a NAME_test.lua beside it\n");
    rc = failed == 0 && total > 0 ? 0 : 1;
done:
    rules_free(rules, n_rules);
    sandbox_close(L);
    store_reset();
    return rc;
}
