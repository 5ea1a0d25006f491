#!/usr/bin/python3
"""prom_scrape.py: fetch a certmon /metrics page and parse it with the
Prometheus text-format parser (python3-prometheus-client), for the tests.

Usage:
  prom_scrape.py URL                    every sample, one a line:
                                        name{k="v",...} value (labels sorted)
  prom_scrape.py URL --get HTTP_PATH    status and body of any path
  prom_scrape.py URL --raw REQUEST      send REQUEST bytes as they are
                                        (\\r\\n escapes), print the status line

A page the parser rejects, or a family without HELP/TYPE, exits 1 with the
reason; that is part of what the tests check.
"""
import socket
import sys
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


def samples(url):
    status, ctype, body = fetch(url)
    if status != 200:
        sys.exit("status %d" % status)
    if not ctype.startswith("text/plain; version=0.0.4"):
        sys.exit("content type %r" % ctype)
    text = body.decode("utf-8")
    helped = {l.split()[2] for l in text.splitlines() if l.startswith("# HELP ")}
    typed = {l.split()[2] for l in text.splitlines() if l.startswith("# TYPE ")}
    out = []
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            base = s.name
            for suffix in ("_bucket", "_sum", "_count"):
                if fam.type == "histogram" and base.endswith(suffix):
                    base = base[: -len(suffix)]
            if base not in helped or base not in typed:
                sys.exit("no HELP/TYPE for %s" % s.name)
            labels = ",".join('%s="%s"' % (k, s.labels[k])
                              for k in sorted(s.labels))
            value = s.value
            if value == int(value) and abs(value) < 2**53:
                value = int(value)
            out.append("%s%s %s" % (s.name, "{%s}" % labels if labels else "",
                                    value))
    for line in out:
        print(line)


def raw(url, request):
    hostport = url.split("//", 1)[1].split("/", 1)[0]
    host, port = hostport.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=10)
    s.sendall(request.encode().decode("unicode_escape").encode("latin-1"))
    data = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
    print(data.split(b"\r\n", 1)[0].decode("latin-1"))


def main():
    if len(sys.argv) == 2:
        samples(sys.argv[1])
    elif len(sys.argv) == 4 and sys.argv[2] == "--get":
        status, _, body = fetch(sys.argv[1].rstrip("/") + sys.argv[3])
        print(status)
        sys.stdout.write(body.decode("utf-8", "replace"))
    elif len(sys.argv) == 4 and sys.argv[2] == "--raw":
        raw(sys.argv[1], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    try:
        main()
        sys.stdout.flush()
    except BrokenPipeError:         # "| head -n 1" is enough for a test
        sys.stdout = None
