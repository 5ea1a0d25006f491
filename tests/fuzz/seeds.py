#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets, tests/fuzz/corpus/<target>/,
from the project's fixtures (tests/fixtures/, whose SOURCES.md files give
their provenance) in each target's input layout (see the comment at the top
of tests/fuzz/fuzz_<target>.c).

Run from the top of the tree: python3 tests/fuzz/seeds.py. The output is
kept in the tree; rerun it only when a layout or a fixture changes. Seeds
are cut to a few KiB where the fixture is larger (a log list's first logs,
a data tile's first entries), so that libFuzzer's mutations stay fast.
"""
import base64, gzip, json, os, re, shutil, struct

FIX = "tests/fixtures"
OUT = "tests/fuzz/corpus"


def fixture(path, mode="rb"):
    with open(os.path.join(FIX, path), mode) as f:
        return f.read()


def pem_certs(path):
    text = fixture(path, "r")
    return [base64.b64decode("".join(m.split()))
            for m in re.findall(r"-----BEGIN CERTIFICATE-----(.*?)-----END",
                                text, re.S)]


def u16(b):
    return struct.pack(">H", len(b)) + b


corpus = {}


def seed(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    corpus.setdefault(target, {})[name] = data


def cut_loglist(doc, n_logs):
    """The list with only the first n_logs RFC 6962 logs of each operator
    and the tiled ones (states, intervals and shapes kept)."""
    doc = json.loads(json.dumps(doc))
    for op in doc["operators"]:
        op["logs"] = op.get("logs", [])[:n_logs]
    doc["operators"] = [o for o in doc["operators"]
                        if o["logs"] or o.get("tiled_logs")][:3]
    return json.dumps(doc, indent=1)


def tile_leaves(tile):
    """Splits a data tile into its TileLeaf records (static-ct-api)."""
    out, i = [], 0
    while i < len(tile):
        start = i
        i += 8                                      # timestamp
        (etype,) = struct.unpack(">H", tile[i:i + 2]); i += 2
        if etype == 0:
            n = int.from_bytes(tile[i:i + 3], "big"); i += 3 + n
        else:
            i += 32
            n = int.from_bytes(tile[i:i + 3], "big"); i += 3 + n
        (n,) = struct.unpack(">H", tile[i:i + 2]); i += 2 + n   # extensions
        if etype == 1:
            n = int.from_bytes(tile[i:i + 3], "big"); i += 3 + n
        (n,) = struct.unpack(">H", tile[i:i + 2]); i += 2 + n   # chain
        out.append(tile[start:i])
    return out


def main():
    # --- json_parse: every JSON document certmon reads with it
    for f in ["rfc6962/ctgo-scanner-FourEntrySTH.get-sth.json",
              "rfc6962/ctgo-logclient-TestGetSTH.get-sth.json",
              "rfc6962/calidog-certstream-server-standard_entry.get-entries.json",
              "rfc6962/ctgo-logclient-TestGetEntries.get-entries.json",
              "loglist/ctgo-testdata-loglist3.json",
              "static-ct/sunlight-skylight-synthetic/log.v3.json",
              "static-ct/tile-index-vectors.json"]:
        seed("json_parse", os.path.basename(f), fixture("ct/" + f))
    seed("json_parse", "escapes.json",
         '{"s":"\\u00e9\\ud83d\\ude00\\n\\"\\\\\\/\\b\\f\\r\\t\\u0000",'
         '"n":[0,-0,1.5e-3,-12E+2,9223372036854775807,'
         '18446744073709551615,1e400],"t":true,"f":false,"z":null}')

    # --- msg_table: CertStream messages of every server and era
    lines = fixture("certstream/all.jsonl").splitlines()
    for k, line in enumerate(lines):
        seed("msg_table", "all.jsonl-line%02d" % (k + 1), line)
    for f in sorted(os.listdir(os.path.join(FIX, "ct/expected/certstream-server-go"))):
        first = fixture("ct/expected/certstream-server-go/" + f).splitlines()[0]
        seed("msg_table", f + "-line1", first)
    seed("msg_table", "numbers.json",
         '{"a":[1,1.0,-0,1e2,1.5,12345678901234567890,null,[],{}],'
         '"b":{"c":null,"d":"\\u0000x"},"a":2}')

    # --- ws_frame: flags, chunk seed, then what a server sends
    accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="   # RFC 6455's example key
    head = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n" % accept)

    def frame(op, payload, fin=True, length=None):
        b0 = (0x80 if fin else 0) | op
        n = len(payload) if length is None else length
        if n < 126:
            h = bytes([b0, n])
        elif n < 65536:
            h = bytes([b0, 126]) + struct.pack(">H", n)
        else:
            h = bytes([b0, 127]) + struct.pack(">Q", n)
        return h + payload

    msg = lines[0][:300]
    frames = (frame(1, msg) + frame(1, msg[:100], fin=False) +
              frame(9, b"ping") + frame(0, msg[100:200], fin=False) +
              frame(0, msg[200:]) + frame(10, b"") + frame(2, b"\x00\x01") +
              frame(1, b"x" * 200) + frame(8, struct.pack(">H", 1000) + b"bye"))
    seed("ws_frame", "handshake-and-frames", bytes([0x01 | 4 << 1, 7]) +
         head.encode() + frames)
    seed("ws_frame", "frames-cap-256", bytes([4 << 1, 3]) + frames)
    seed("ws_frame", "oversize-cap-16", bytes([0, 5]) +
         frame(1, b"y" * 300, fin=False) + frame(0, b"z" * 20) +
         frame(1, b"", length=70000) + b"w" * 100)
    seed("ws_frame", "handshake-503",
         b"\x01\x09HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n")
    seed("ws_frame", "close-no-code", b"\x00\x01" + frame(8, b""))

    # --- url
    for k, u in enumerate(["wss://certstream.calidog.io/", "ws://127.0.0.1:8080/",
                           "ws://[::1]:4000/full-stream?x=1", "wss://h",
                           "ws://host:443/domains-only", "wss://[fe80::1%25eth0]/",
                           "https://ct.googleapis.com/logs/us1/argon2026h2",
                           "HTTP://Oak.CT.Letsencrypt.org/2025h2/",
                           "redis://alice:p%40ss%3Aw@h:1/3?stream=a%20b&group=g1&consumer=c-2",
                           "redis://:pa#ss@127.0.0.1:6379?stream=ct#1",
                           "redis://h:7001/2?prefix=team%3Aa%3A",
                           "https://hooks.example.org:8443/a/b?c=d#frag"]):
        seed("url", "url%d" % k, u)

    # --- ct_entry: form 0 bodies, form 1 decoded leaf/extra, form 2 tiles
    for f in ["ctgo-logclient-TestGetEntries.get-entries.json",
              "calidog-certstream-server-standard_entry.get-entries.json"]:
        body = fixture("ct/rfc6962/" + f)
        seed("ct_entry", "json-" + f, b"\x00" + body)
        for k, e in enumerate(json.loads(body)["entries"]):
            leaf = base64.b64decode(e["leaf_input"])
            extra = base64.b64decode(e["extra_data"])
            seed("ct_entry", "raw-%s-%d" % (f, k), b"\x01" + u16(leaf) + extra)
    tile = fixture("ct/static-ct/navigli2025h2/tile/data/000")
    leaves = tile_leaves(tile)
    assert len(leaves) == 256 and b"".join(leaves) == tile
    for n in (1, 3):
        seed("ct_entry", "tile-navigli2025h2-000-first%d" % n,
             bytes([2, n - 1, 0]) + b"".join(leaves[:n]))

    # --- ct_tiles: cap byte, then a body (gzip or not)
    seed("ct_tiles", "gzip-tile-first2", bytes([10]) +
         gzip.compress(b"".join(leaves[:2]), mtime=0))
    seed("ct_tiles", "gzip-json", bytes([6]) + gzip.compress(
        fixture("ct/rfc6962/ctgo-logclient-TestGetSTH.get-sth.json"), mtime=0))
    seed("ct_tiles", "gzip-empty", bytes([0]) + gzip.compress(b"", mtime=0))
    seed("ct_tiles", "plain", bytes([3]) + b"tile/data/x001/234")
    # a bomb: 16 MiB of zeros in ~16 KiB, refused at the 256 KiB cap
    seed("ct_tiles", "gzip-bomb-16MiB", bytes([12]) +
         gzip.compress(bytes(16 << 20), compresslevel=9, mtime=0))

    # --- ct_sth: flag byte, then get-sth JSON or a checkpoint
    for f in ["ctgo-logclient-TestGetSTH.get-sth.json",
              "ctgo-scanner-FourEntrySTH.get-sth.json"]:
        seed("ct_sth", f, b"\x00" + fixture("ct/rfc6962/" + f))
    cp = fixture("ct/static-ct/sunlight-skylight-synthetic/checkpoint")
    for flags in (1, 3, 7):
        seed("ct_sth", "checkpoint-flags%d" % flags, bytes([flags]) + cp)

    # --- ct_loglist
    seed("ct_loglist", "ctgo-testdata-loglist3.json",
         fixture("ct/loglist/ctgo-testdata-loglist3.json"))
    big = json.loads(fixture("ct/loglist/x-stp-rxtls-all_logs_list-v53.34-2025-05-05.json"))
    seed("ct_loglist", "x-stp-rxtls-cut-2-per-operator.json", cut_loglist(big, 2))
    le = [o for o in big["operators"] if o.get("tiled_logs")]
    doc = {"version": big["version"], "log_list_timestamp": big["log_list_timestamp"],
           "operators": [{"name": le[0]["name"], "email": le[0].get("email", []),
                          "logs": le[0]["logs"][-2:], "tiled_logs": le[0]["tiled_logs"][:3]}]}
    seed("ct_loglist", "x-stp-rxtls-letsencrypt-tiled.json", json.dumps(doc, indent=1))
    v3 = json.loads(fixture("ct/static-ct/sunlight-skylight-synthetic/log.v3.json"))
    seed("ct_loglist", "sunlight-log-wrapped.json", json.dumps(
        {"version": "1", "operators": [{"name": "synthetic", "tiled_logs": [v3]}]}))

    # --- x509_message: flags, u16 + DER, chain certificates u16 + DER
    certs = {
        "google_cert": fixture("ct/certs/google-ct-python-testdata/google_cert.der"),
        "acaline": fixture("ct/certs/easyssl/acaline.com.der"),
        "github": pem_certs("ct/certs/easyssl/github.com.crt")[0],
        "email-test": pem_certs("ct/certs/easyssl/email-test.crt")[0],
    }
    ca = pem_certs("ct/certs/google-ct-precert-testdata/ca-cert.pem")[0]
    for name, der in certs.items():
        seed("x509_message", name, b"\x02" + u16(der))
    seed("x509_message", "test-cert-with-ca", b"\x02" +
         u16(pem_certs("ct/certs/google-ct-precert-testdata/test-cert.pem")[0]) + u16(ca))
    seed("x509_message", "test-embedded-pre-cert", b"\x03" +
         u16(pem_certs("ct/certs/google-ct-precert-testdata/test-embedded-pre-cert.pem")[0])
         + u16(ca))

    # --- x509_der: flags, then one certificate's DER (the DER reader
    # against the OpenSSL reader): the same certificates, and the CA, a
    # precertificate, a negative serial
    for name, der in certs.items():
        seed("x509_der", name, b"\x00" + der)
    seed("x509_der", "ca-cert", b"\x00" + ca)
    seed("x509_der", "test-embedded-pre-cert", b"\x01" +
         pem_certs("ct/certs/google-ct-precert-testdata/test-embedded-pre-cert.pem")[0])
    seed("x509_der", "negative-serial", b"\x00" +
         fixture("ct/certs/negative-serial/negative_serial_ff_padded.der"))

    # --- alert: a program building the rule's table (fuzz_alert.c: build)
    def s(text):
        text = text.encode() if isinstance(text, str) else text
        return bytes([0, len(text)]) + text

    def i(v):
        return bytes([1 | 7 << 4]) + struct.pack(">Q", v)

    def f(v):
        return bytes([2]) + struct.pack(">d", v)

    def table(*kv):
        return bytes([4, len(kv) // 2]) + b"".join(kv)

    def array(*vs):
        return bytes([5, len(vs)]) + b"".join(vs)

    seed("alert", "typical", table(s("domain"), s("paypal-login.example"),
                                   s("score"), f(0.75), s("count"), i(3),
                                   s("names"), array(s("a.example"), s("b.example")),
                                   s("new"), bytes([3 | 0x10])))
    seed("alert", "core-keys", table(s("rule"), s("mine"), s("time"), i(1),
                                     s("x"), s("\xff\xfe\x00\x1f\u00e9")))
    seed("alert", "cycle", table(s("self"), bytes([6, 0]), s("f"), bytes([7])))
    seed("alert", "floats", array(f(float("nan")), f(float("inf")), f(-0.0),
                                  f(1e300), f(5e-324), f(0.1)))

    # --- ct_policy: Retry-After values (RFC 9110's examples), and numbers
    seed("ct_policy", "delta-seconds", b"\x00120")
    seed("ct_policy", "imf-fixdate", b"\x00Wed, 21 Oct 2015 07:28:00 GMT")
    seed("ct_policy", "range", b"\x01" + struct.pack(">QQHHQ", 1000, 3721782,
                                                     256, 100, 1000))

    for target, files in corpus.items():
        d = os.path.join(OUT, target)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for name, data in files.items():
            with open(os.path.join(d, name), "wb") as fh:
                fh.write(data)
    print("\n".join("%s: %d seeds" % (t, len(f)) for t, f in sorted(corpus.items())))


main()
