-- certmon.lists: list files, and dedup with and without the core's store.
local T = require "tap"
local lists = require "certmon.lists"

local path = os.tmpname()
local f = assert(io.open(path, "w"))
f:write("# comment\n\n  paypal.com  \napple.com # trailing comment\n\t\n")
f:close()
T.eq(lists.load(path), { "paypal.com", "apple.com" }, "load: comments and blanks skipped, trimmed")
os.remove(path)
local ok, err = pcall(lists.load, "/nonexistent/list.txt")
T.ok(not ok and err:find("/nonexistent/list.txt", 1, true), "load: missing file names the path")

T.eq(lists.env_path("CERTMON_SURELY_UNSET_VAR", "dflt"), "dflt", "env_path default")

-- fallback store: same semantics as certmon.store.seen
local now = 1000
lists._set_clock(function() return now end)
lists._reset()
T.eq(lists.seen("k", 60), false, "seen: first time false")
T.eq(lists.seen("k", 60), true, "seen: second time true")
now = 1061
T.eq(lists.seen("k", 60), false, "seen: false after the ttl")
T.eq(lists.seen("k", 60), true, "seen: marked again")
-- bounded: many keys do not grow without limit, recent keys survive
lists.max_keys = 100
for i = 1, 1000 do lists.seen("x" .. i, 60) end
T.eq(lists.seen("x1000", 60), true, "seen: recent key kept when bounded")
T.eq(lists.seen("x1", 60), false, "seen: old key evicted when bounded")
lists.max_keys = 100000
lists._set_clock(nil)

local msg = { data = { update_type = "PrecertLogEntry", leaf_cert = {
  serial_number = "0A", issuer = { aggregated = "/C=US/O=Let's Encrypt/CN=R3" } } } }
local final = { data = { update_type = "X509LogEntry", leaf_cert = {
  serial_number = "0A", issuer = { aggregated = "/C=US/O=Let's Encrypt/CN=R3" } } } }
T.eq(lists.cert_key(msg), lists.cert_key(final), "cert_key: precert and final certificate share a key")

-- from_env / env_number: errors name the rule and the variable. Lua
-- cannot set the environment, so PATH (set, not a file, not a number)
-- and a variable that is surely unset stand in.
local top = CERTMON_TOP or "."
local unset = "CERTMON_TEST_SURELY_UNSET_VARIABLE"
local l, path = lists.from_env(unset, top .. "/scripts/watch.txt", "r.lua")
T.ok(#l > 0 and path == top .. "/scripts/watch.txt", "from_env: unset variable, the default file")
local ok, err = pcall(lists.from_env, unset, "/nonexistent/x.txt", "r.lua")
T.ok(not ok and err:find("^r%.lua: /nonexistent/x%.txt %(the default; set " .. unset) ~= nil,
     "from_env: a missing default says it was the default and names the variable")
ok, err = pcall(lists.from_env, "PATH", "/unused", "r.lua")
T.ok(not ok and err:find("^r%.lua: PATH=") ~= nil,
     "from_env: a file that cannot be read names the rule, the variable and its value")
T.eq(lists.env_number(unset, 60, 0, 100, "r.lua"), 60, "env_number: unset gives the default")
ok, err = pcall(lists.env_number, "PATH", 60, 0, 100, "r.lua")
T.ok(not ok and err:find("^r%.lua: PATH=.*: must be a number from 0 to 100 %(unset it for the default, 60%)") ~= nil,
     "env_number: not a number raises, naming the variable and the range")
