-- Test cases of lookalike.lua: certmon --test scripts/lookalike.lua
-- (each case starts with an empty store; brands, allowlist and guard list
-- are the shipped ones next to the rule).

-- cert(names, serial, type): a certificate_update message for names.
local function cert(names, serial, update_type)
  return { message_type = "certificate_update",
           data = { update_type = update_type or "X509LogEntry",
                    leaf_cert = { all_domains = names,
                                  serial_number = serial or "01",
                                  issuer = { O = "certmon Test CA" } } } }
end

-- one certificate per name, one alert expected per name and brand
local function each(names, brands, technique)
  local msgs, want = {}, {}
  for i, n in ipairs(names) do
    msgs[i] = cert({ n }, ("%02X"):format(i))
    want[i] = { domain = n, brand = brands[i] or brands[1], technique = technique }
  end
  return msgs, want
end

local first_letter = { "4pple.com", "4mazon.com", "raypal.com", "qaypal.com",
  "aypal.com", "pple.com", "upple.com", "letflix.com", "shase.com",
  "dhase.com", "gutlook.com", "zdobe.com", "fropbox.com" }
local first_brand = { "apple.com", "amazon.com", "paypal.com", "paypal.com",
  "paypal.com", "apple.com", "apple.com", "netflix.com", "chase.com",
  "chase.com", "outlook.com", "adobe.com", "dropbox.com" }
local fl_msgs, fl_want = each(first_letter, first_brand)

local guarded = { "finance.com", "hoogle.com", "email.com", "phase.com",
                  "chose.com", "black.com", "looking.com", "cloud.com" }
local g_msgs = each(guarded, {})

return {
  { name = "brand-in-subdomain: three brands on one operator domain, three alerts",
    messages = { cert({ "paypal.com.verify-account.xyz" }, "B1"),
                 cert({ "apple.verify-account.xyz" }, "B2"),
                 cert({ "google.verify-account.xyz" }, "B3") },
    expect = {
      { domain = "paypal.com.verify-account.xyz", brand = "paypal.com",
        technique = "brand-in-subdomain", registrable = "verify-account.xyz" },
      { domain = "apple.verify-account.xyz", brand = "apple.com",
        technique = "brand-in-subdomain", registrable = "verify-account.xyz" },
      { domain = "google.verify-account.xyz", brand = "google.com",
        technique = "brand-in-subdomain", registrable = "verify-account.xyz" } } },

  { name = "one certificate imitating two brands: both reported",
    messages = { cert({ "paypal.com.verify-account.xyz", "apple.verify-account.xyz",
                        "www.apple.verify-account.xyz" }, "B4") },
    expect = {
      { brand = "paypal.com", names = { "paypal.com.verify-account.xyz" } },
      { brand = "apple.com", names = { "apple.verify-account.xyz",
                                       "www.apple.verify-account.xyz" } } } },

  { name = "one name imitating two brands: both reported",
    domains = { "paypal-apple-login.com" },
    expect = { { brand = "paypal.com", technique = "combosquat" },
               { brand = "apple.com", technique = "combosquat" } } },

  { name = "a brand inside a longer brand counts once (office365, not office)",
    domains = { "office365-login.com" },
    expect = { { brand = "office365.com", technique = "combosquat" } } },

  { name = "a precertificate and its certificate count once, per brand",
    messages = { cert({ "paypal.com.verify-account.xyz", "apple.verify-account.xyz" },
                      "B5", "PrecertLogEntry"),
                 cert({ "paypal.com.verify-account.xyz", "apple.verify-account.xyz" },
                      "B5", "X509LogEntry") },
    expect = { { brand = "paypal.com", update_type = "PrecertLogEntry" },
               { brand = "apple.com", update_type = "PrecertLogEntry" } } },

  { name = "the same brand on the same operator domain again: silent for a day",
    messages = { cert({ "apple.verify-account.xyz" }, "B6"),
                 cert({ "login.apple.verify-account.xyz" }, "B7") },
    expect = { { domain = "apple.verify-account.xyz", brand = "apple.com" } } },

  { name = "first-letter changes of brands of five or more letters alert",
    messages = fl_msgs, expect = fl_want },

  { name = "a digit for a letter is said so",
    domains = { "4pple.com" },
    expect = { { brand = "apple.com",
                 reasons = { "4pple is replacement of apple (distance 1, a digit for a letter)" } } } },

  { name = "listed words and sites one letter from a brand stay silent",
    messages = g_msgs, expect = {} },

  { name = "the brands' own domains stay silent",
    domains = { "www.paypal.com", "accounts.google.com", "apple.com", "mail.google.com" },
    expect = {} },

  { name = "real traffic stays quiet",
    fixture = "../tests/fixtures/certstream/all.jsonl",
    expect = {} },
}
