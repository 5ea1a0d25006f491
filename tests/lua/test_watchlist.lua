-- certmon.watchlist: the project's certspotter semantics, all items returned.
local T = require "tap"
local watchlist = require "certmon.watchlist"

local wl = watchlist.new{ "example.com", ".corp.example", "www.shop.test",
                          "Bücher.DE.", "sub.example.com" }
T.eq(wl:match("example.com"), { "example.com" }, "plain item: the domain itself")
T.eq(wl:match("a.b.example.com"), { "example.com" }, "plain item: any subdomain")
T.eq(wl:match("sub.example.com"), { "sub.example.com", "example.com" },
     "every matching item, most specific first")
T.eq(wl:match("notexample.com"), {}, "no match on a label suffix that is not a label")
T.eq(wl:match("corp.example"), {}, ".item: not the domain itself")
T.eq(wl:match("x.corp.example"), { ".corp.example" }, ".item: subdomains")
T.eq(wl:match("WWW.Example.COM."), { "example.com" }, "case and trailing dot")
T.eq(wl:match("xn--bcher-kva.de"), { "xn--bcher-kva.de" }, "IDN item converted to A-label")
T.eq(wl:match("*.shop.test"), { "www.shop.test" }, "wildcard name matches a deeper item")
T.eq(wl:match("*.example.com"), { "example.com", "sub.example.com" }, "wildcard name: all items")
T.eq(wl:match("*.corp.example"), { ".corp.example" }, "wildcard name and .item")
T.eq(wl:match("w*.shop.test"), { "www.shop.test" }, "partial-label wildcard")
T.eq(wl:match("x*.shop.test"), {}, "partial-label wildcard that does not fit")
T.eq(wl:match("?.example.com"), { "example.com", "sub.example.com" }, "redacted label is fail-safe")
T.eq(wl:first("a.example.com"), "example.com", "first")
T.eq(wl:first("other.org"), nil, "first: none")
T.eq(wl.count, 5, "count")
do -- first is match()[1] for every kind of name, without building the list
  local same = true
  for _, name in ipairs{ "example.com", "a.b.example.com", "sub.example.com",
      "x.sub.example.com", "notexample.com", "corp.example", "x.corp.example",
      "a.x.corp.example", "WWW.Example.COM.", "xn--bcher-kva.de",
      "www.xn--bcher-kva.de", "*.shop.test", "*.example.com", "w*.shop.test",
      "x*.shop.test", "?.example.com", "other.org", "com", "", "..",
      "www.shop.test", "a.www.shop.test", "shop.test" } do
    if wl:first(name) ~= wl:match(name)[1] then
      same = false
      print("#   first differs for " .. name)
    end
  end
  T.ok(same, "first(name) == match(name)[1]")
end

local all = watchlist.new{ "." }
T.eq(all:match("anything.org"), { "." }, "'.' matches everything")
T.ok(not pcall(watchlist.new, { "bad..item" }), "bad item raises")
T.ok(not pcall(watchlist.new, { "*.example.com" }), "wildcard item raises")
