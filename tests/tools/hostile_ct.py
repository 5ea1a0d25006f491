#!/usr/bin/env python3
"""hostile_ct.py MODE PORT_FILE: a hostile CT log on 127.0.0.1.

Serves both read APIs under any prefix (RFC 6962 get-sth/get-entries, and
static-ct-api checkpoint/tile/issuer) with the fault MODE, built from the
real fixtures in tests/fixtures/ct. Listens on a free port and writes it to
PORT_FILE; prints "GET PATH" per request on stdout. Writing a mode into
PORT_FILE.mode switches to it (the same log, so the same state file).
Runs until killed.

Adapted from the adversarial reproducer of the project's hardening issue
(modes sth_shrink, too_many, chain_10000, tile_many_fps, tile_gzip_bomb...).
"""
import base64, gzip, hashlib, json, os, struct, sys, threading, time, zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs

MODE, PORT_FILE = sys.argv[1], sys.argv[2]
FX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "ct")
ENTRIES = json.load(open(FX + "/rfc6962/ctgo-scanner-FourEntries.get-entries.json"))["entries"]
STH = json.load(open(FX + "/rfc6962/ctgo-scanner-FourEntrySTH.get-sth.json"))
TILE = open(FX + "/static-ct/navigli2025h2/tile/data/000", "rb").read()
if TILE[:2] == b"\x1f\x8b": TILE = gzip.decompress(TILE)
CKPT = open(FX + "/static-ct/sunlight-skylight-synthetic/checkpoint", "rb").read()
hits = {}
lock = threading.Lock()

def leaf_cert(e):
    leaf = base64.b64decode(e["leaf_input"])
    return leaf

def sth(tree_size):
    d = dict(STH); d["tree_size"] = tree_size
    return json.dumps(d).encode()

def checkpoint(tree_size, origin=b"example.com/hostile"):
    root = base64.b64encode(b"\0" * 32)
    return origin + b"\n" + str(tree_size).encode() + b"\n" + root + b"\n\n"

def x509_entry_leaf(der, ts=1700000000000):
    te = struct.pack(">Q", ts) + b"\x00\x00" + len(der).to_bytes(3, "big") + der + b"\x00\x00"
    return b"\x00\x00" + te

def a_cert():
    # the first X509 entry's certificate of the fixture
    for e in ENTRIES:
        leaf = base64.b64decode(e["leaf_input"])
        if leaf[10:12] == b"\x00\x00":
            l = int.from_bytes(leaf[12:15], "big"); return leaf[15:15 + l]
CERT = a_cert()

GZ_BOMB = None
def gzip_bomb():
    global GZ_BOMB
    if GZ_BOMB is None:
        c = zlib.compressobj(9, zlib.DEFLATED, 31)
        chunk = b"\0" * (1 << 24)
        parts = [c.compress(chunk) for _ in range(5)]    # 80 MiB of zeros:
                                                         # past the 64 MiB cap
        parts.append(c.flush())
        GZ_BOMB = b"".join(parts)
    return GZ_BOMB

def tile_many_fps(n_entries=256, n_fps=2047):
    out = bytearray()
    for i in range(n_entries):
        te = struct.pack(">Q", 1700000000000) + b"\x00\x00" + len(CERT).to_bytes(3, "big") + CERT
        ext = b"\x00" + struct.pack(">H", 5) + i.to_bytes(5, "big")
        te += struct.pack(">H", len(ext)) + ext
        fps = b"".join(hashlib.sha256(b"%d-%d" % (i, k)).digest() for k in range(n_fps))
        out += te + struct.pack(">H", len(fps)) + fps
    return bytes(out)

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def send(self, body, code=200, ctype="application/json", headers=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers: self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        global MODE
        try:                        # PORT_FILE.mode switches the mode live
            with open(PORT_FILE + ".mode") as f: MODE = f.read().strip()
        except OSError: pass
        u = urlparse(self.path); p = u.path; q = parse_qs(u.query)
        with lock:
            hits[p.split("?")[0].rsplit("/", 1)[-1] if "tile" not in p else "tile"] = hits.get(p, 0) + 1
        print(f"[{time.monotonic():.1f}] GET {self.path[:120]}", flush=True)
        static = MODE in ("tile_gzip_bomb", "ckpt_garbage", "ckpt_huge", "tile_many_fps", "tile_wrong_count", "ckpt_no_newline")
        if p.endswith("/ct/v1/get-sth"):
            if static: return self.send(b"not found", 404, "text/plain")
            if MODE == "sth_huge": return self.send(sth(2**64 - 1))
            if MODE == "sth_lie":      # a plausible lie, then the truth, growing
                with lock:
                    n = hits.setdefault("sth_n", 0); hits["sth_n"] = n + 1
                return self.send(sth(10**9 if n == 0 else min(4 + 2 * (n - 1), 1000)))
            if MODE == "sth_shrink":
                with lock:
                    n = hits.setdefault("sth_n", 0); hits["sth_n"] = n + 1
                return self.send(sth(2**64 - 1 if n == 0 else 4))
            return self.send(sth(1000))
        if p.endswith("/checkpoint"):
            if not static: return self.send(b"not found", 404, "text/plain")
            if MODE == "ckpt_garbage": return self.send(os.urandom(300) + b"\n\n\n", ctype="text/plain")
            if MODE == "ckpt_huge": return self.send(checkpoint(2**64 - 1), ctype="text/plain")
            if MODE == "ckpt_no_newline": return self.send(b"example.com/x\n12\n" + b"A" * 100000, ctype="text/plain")
            return self.send(checkpoint(256), ctype="text/plain")
        if "/tile/" in p:
            if MODE == "tile_gzip_bomb":
                return self.send(gzip_bomb(), ctype="application/octet-stream")
            if MODE == "tile_many_fps":
                return self.send(gzip.compress(tile_many_fps(), 1), ctype="application/octet-stream")
            if MODE == "tile_wrong_count":
                return self.send(TILE[: len(TILE) // 2], ctype="application/octet-stream")
            return self.send(TILE, ctype="application/octet-stream")
        if "/issuer/" in p:
            return self.send(b"nope", 404, "text/plain")
        if p.endswith("/ct/v1/get-entries"):
            start, end = int(q["start"][0]), int(q["end"][0])
            n = end - start + 1
            if MODE == "too_many":
                ents = [ENTRIES[i % 4] for i in range(n + 5)]
            elif MODE == "zero":
                ents = []
            elif MODE == "bad_b64":
                ents = [{"leaf_input": "!!!not base64***", "extra_data": "AAAA"}]
            elif MODE == "leaf_lie":
                der = CERT
                leaf = b"\x00\x00" + struct.pack(">Q", 1) + b"\x00\x00" + (len(der) + 1000).to_bytes(3, "big") + der + b"\x00\x00"
                ents = [{"leaf_input": base64.b64encode(leaf).decode(), "extra_data": base64.b64encode(b"\0\0\0").decode()}]
            elif MODE == "chain_10000":
                one = len(CERT).to_bytes(3, "big") + CERT
                chain = one * 10000
                extra = len(chain).to_bytes(3, "big") + chain
                ents = [{"leaf_input": base64.b64encode(x509_entry_leaf(CERT)).decode(),
                         "extra_data": base64.b64encode(extra).decode()}]
            elif MODE == "huge_body":   # 100 MB of JSON whitespace then a valid answer
                body = b" " * (100 << 20) + json.dumps({"entries": [ENTRIES[0]]}).encode()
                return self.send(body)
            elif MODE == "slow_body":   # headers, then a byte a second
                self.send_response(200); self.send_header("Content-Length", "1000000"); self.end_headers()
                for _ in range(60):
                    try: self.wfile.write(b" "); self.wfile.flush()
                    except Exception: return
                    time.sleep(1)
                return
            elif MODE == "deep_json":
                return self.send(b'{"entries":' + b"[" * 100000 + b"]" * 100000 + b"}")
            else:
                ents = [ENTRIES[i % 4] for i in range(min(n, 4))]
            return self.send(json.dumps({"entries": ents}).encode())
        self.send(b"?", 404, "text/plain")

if MODE == "tile_gzip_bomb":
    gzip_bomb(); print("bomb ready", len(GZ_BOMB), flush=True)
srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(PORT_FILE + ".tmp", PORT_FILE)
srv.serve_forever()
