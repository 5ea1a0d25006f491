#!/usr/bin/env python3
"""webhook_receiver.py: a real HTTP webhook receiver for certmon's tests.

    webhook_receiver.py serve --port-file F --dir D [--expect-header 'N: v']
                              [--format json|slack] [--port P]
                              [--tls-cert PEM --tls-key PEM]
                              [--keep-alive] [--idle-close S]
    webhook_receiver.py control PORT PLAN [DEFAULT]

serve listens on 127.0.0.1 (a free port, written to F) and checks every
request: POST, Content-Type application/json, a Content-Length that matches
the body, a body that is one JSON object (json: with "rule" and "time";
slack: with a string "text"), and each --expect-header present with its
exact value. With --tls-cert/--tls-key it speaks HTTPS. Connections are
logged in D/connections.txt ("MONO_TIME open|closed CLIENT_PORT"; closed
once the receiver is done with it, just before the socket is closed).

Answers carry "Connection: close" unless --keep-alive, which keeps
connections open between requests (HTTP/1.1 keep-alive); --idle-close S
then closes a connection that waits S seconds for its next request, as
nginx or Node.js do. A request that fails a check is answered 400 and described in
D/bad.txt, so a test asserts that file is empty.

How it answers is scripted: PLAN is a comma-separated list of behaviours
used by the next requests in turn, then DEFAULT (initially "ok") for all
later ones:
    ok          200, and the body is appended to D/accepted.jsonl
    500         500 with a short body
    429:S       429 with Retry-After: S
    400         400 with the body "bad alert: rejected by test"
    slow:S      wait S seconds, then as ok
    drop        read the request, close the connection without an answer
    okclose     as ok, but with "Connection: close" even with --keep-alive
    chunked500  500 with a chunked body, the connection kept open
Every request is logged in D/requests.txt as "MONO_TIME BEHAVIOUR STATUS".
control sets PLAN and DEFAULT over the same port (GET /_control).
"""
import argparse
import json
import os
import socket
import ssl
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
state = {"plan": [], "default": "ok"}


def next_behaviour():
    with lock:
        if state["plan"]:
            return state["plan"].pop(0)
        return state["default"]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):   # quiet
        pass

    def setup(self):
        if self.server.idle_close:
            self.timeout = self.server.idle_close
        super().setup()
        self.conn_note("open")

    def finish(self):
        super().finish()
        self.conn_note("closed")

    def conn_note(self, what):
        with lock, open(os.path.join(self.server.dir, "connections.txt"),
                        "a") as f:
            f.write("%.3f %s %d\n" % (time.monotonic(), what,
                                      self.client_address[1]))

    def note(self, behaviour, status):
        with lock, open(os.path.join(self.server.dir, "requests.txt"),
                        "a") as f:
            f.write("%.3f %s %s\n" % (time.monotonic(), behaviour, status))

    def bad(self, why):
        with lock, open(os.path.join(self.server.dir, "bad.txt"), "a") as f:
            f.write(why + "\n")
        self.answer(400, "bad request: " + why)

    def answer(self, status, body, headers=(), close=False):
        data = body.encode()
        close = close or not self.server.keep_alive
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        if close:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = close

    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        if u.path != "/_control":
            return self.answer(404, "no")
        q = urllib.parse.parse_qs(u.query)
        with lock:
            plan = q.get("plan", [""])[0]
            state["plan"] = [p for p in plan.split(",") if p]
            if "default" in q:
                state["default"] = q["default"][0]
        self.answer(200, "ok")

    def do_POST(self):
        behaviour = next_behaviour()
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            return self.bad("no valid Content-Length")
        body = self.rfile.read(int(length))
        if len(body) != int(length):
            return self.bad("body shorter than Content-Length")
        if self.headers.get("Content-Type") != "application/json":
            return self.bad("Content-Type %r" % self.headers.get(
                "Content-Type"))
        for h in self.server.expect_headers:
            name, _, value = h.partition(":")
            if self.headers.get(name.strip()) != value.strip():
                return self.bad("header %s missing or wrong" % name)
        try:
            doc = json.loads(body)
        except ValueError as e:
            return self.bad("body is not JSON: %s" % e)
        if not isinstance(doc, dict):
            return self.bad("body is not an object")
        if self.server.format == "slack":
            if not isinstance(doc.get("text"), str) or len(doc) != 1:
                return self.bad("slack body needs exactly a string text")
        elif "rule" not in doc or "time" not in doc:
            return self.bad("alert without rule or time")
        if b"\n" in body:
            return self.bad("newline in the body")
        if behaviour.startswith("slow:"):
            time.sleep(float(behaviour[5:]))
            behaviour_status = "ok"
        else:
            behaviour_status = behaviour
        if behaviour_status in ("ok", "okclose"):
            with lock, open(os.path.join(self.server.dir, "accepted.jsonl"),
                            "ab") as f:
                f.write(body + b"\n")
            self.note(behaviour, 200)
            return self.answer(200, "thanks",
                               close=behaviour_status == "okclose")
        if behaviour_status == "500":
            self.note(behaviour, 500)
            return self.answer(500, "receiver broken (test)")
        if behaviour_status.startswith("429:"):
            self.note(behaviour, 429)
            return self.answer(429, "slow down",
                               [("Retry-After", behaviour_status[4:])])
        if behaviour_status == "chunked500":
            self.note(behaviour, 500)
            data = b"receiver broken (chunked)"
            self.send_response(500)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(data), data))
            self.close_connection = not self.server.keep_alive
            return
        if behaviour_status == "400":
            self.note(behaviour, 400)
            return self.answer(400, "bad alert: rejected by test")
        if behaviour_status == "drop":
            self.note(behaviour, "drop")
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.note(behaviour, "unknown")
        return self.bad("unknown behaviour %r" % behaviour)


def serve(args):
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    srv.dir = args.dir
    srv.expect_headers = args.expect_header or []
    srv.format = args.format
    srv.keep_alive = args.keep_alive
    srv.idle_close = args.idle_close
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    os.makedirs(args.dir, exist_ok=True)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    srv.serve_forever()


def control(args):
    q = urllib.parse.urlencode({"plan": args.plan,
                                **({"default": args.default}
                                   if args.default else {})})
    with urllib.request.urlopen("http://127.0.0.1:%d/_control?%s" %
                                (args.port, q), timeout=30) as r:
        sys.exit(0 if r.status == 200 else 1)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port-file", required=True)
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--dir", required=True)
    s.add_argument("--expect-header", action="append")
    s.add_argument("--format", default="json")
    s.add_argument("--tls-cert")
    s.add_argument("--tls-key")
    s.add_argument("--keep-alive", action="store_true")
    s.add_argument("--idle-close", type=float, default=0)
    c = sub.add_parser("control")
    c.add_argument("port", type=int)
    c.add_argument("plan")
    c.add_argument("default", nargs="?")
    args = ap.parse_args()
    serve(args) if args.cmd == "serve" else control(args)


if __name__ == "__main__":
    main()
