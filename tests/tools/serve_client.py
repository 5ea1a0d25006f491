#!/usr/bin/python3
"""serve_client.py: an independent CertStream client for the --serve tests.

Uses websocket-client (Debian's python3-websocket), not certmon's code, so
what it sees is what a certstream-python user would see. Each received
message becomes one line in the output file:

  cert INDEX URL chain=0|1 der=0|1 DOMAIN,DOMAIN...   certificate_update
  dns DOMAIN,DOMAIN...                                dns_entries
  heartbeat                                           heartbeat
  alert RULE INDEX                                    an /alerts message
  other TYPE
and at the end one of: "close CODE", "eof", "error TEXT".

Usage:
  serve_client.py URL OUT [--count N] [--slow-until FILE] [--rcvbuf B]
                  [--origin O] [--insecure] [--timeout S]

--count N opens N connections at once (threads); OUT is then a prefix and
connection i writes OUT.i. --slow-until FILE connects and reads nothing
until FILE exists (a slow client). "connected" is written to OUT.up (or
OUT.i.up) once the handshake is done, for the tests to wait on.
"""
import json
import os
import socket
import ssl
import sys
import threading
import time

import websocket


def describe(text):
    try:
        m = json.loads(text)
    except ValueError:
        return "other not-json"
    t = m.get("message_type")
    if t == "certificate_update":
        d = m["data"]
        leaf = d["leaf_cert"]
        return "cert %s %s chain=%d der=%d %s" % (
            d.get("cert_index"), d.get("source", {}).get("url"),
            1 if "chain" in d else 0, 1 if "as_der" in leaf else 0,
            ",".join(leaf.get("all_domains") or []))
    if t == "dns_entries":
        return "dns " + ",".join(m.get("data") or [])
    if t == "heartbeat":
        return "heartbeat"
    if t is None and "rule" in m:
        return "alert %s %s" % (m["rule"], m.get("index"))
    return "other %s" % t


def run(url, out, opts):
    sockopt = []
    if opts.get("rcvbuf"):
        sockopt.append((socket.SOL_SOCKET, socket.SO_RCVBUF,
                        int(opts["rcvbuf"])))
    sslopt = {"cert_reqs": ssl.CERT_NONE} if opts.get("insecure") else {}
    f = open(out, "w")
    try:
        ws = websocket.create_connection(
            url, timeout=float(opts.get("timeout", 60)), sockopt=sockopt,
            sslopt=sslopt, origin=opts.get("origin"))
    except Exception as e:  # refused, bad handshake
        f.write("error %s\n" % type(e).__name__)
        f.close()
        return
    with open(out + ".up", "w") as up:
        up.write("connected\n")
    slow = opts.get("slow_until")
    if slow:
        while not os.path.exists(slow):
            time.sleep(0.05)
    try:
        while True:
            op, data = ws.recv_data(control_frame=False)
            if op == websocket.ABNF.OPCODE_CLOSE:
                code = int.from_bytes(data[:2], "big") if len(data) >= 2 \
                    else 0
                f.write("close %d\n" % code)
                break
            f.write(describe(data.decode("utf-8")) + "\n")
            f.flush()
    except websocket.WebSocketConnectionClosedException:
        f.write("eof\n")
    except Exception as e:
        f.write("error %s\n" % type(e).__name__)
    f.close()
    try:
        ws.close()
    except Exception:
        pass


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    url, out = argv[1], argv[2]
    opts, count, i = {}, 0, 3
    while i < len(argv):
        a = argv[i]
        if a == "--insecure":
            opts["insecure"] = True
            i += 1
            continue
        if i + 1 >= len(argv):
            sys.exit("serve_client.py: %s needs a value" % a)
        v = argv[i + 1]
        if a == "--count":
            count = int(v)
        elif a in ("--slow-until", "--rcvbuf", "--origin", "--timeout"):
            opts[a[2:].replace("-", "_")] = v
        else:
            sys.exit("serve_client.py: unknown option " + a)
        i += 2
    if not count:
        run(url, out, opts)
        return
    threads = [threading.Thread(target=run, args=(url, "%s.%d" % (out, n),
                                                  opts))
               for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main(sys.argv)
