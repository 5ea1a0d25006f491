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
