#!/usr/bin/python3
"""list_server.py: a plain HTTP file server on 127.0.0.1 for the log list
tests. Serves the files of DIR; a missing file is a 404; any path under
/stall/ is accepted and never answered (a timeout). Writes the port to
PORT_FILE once listening. Each request is logged to stdout as
"GET PATH STATUS". With CERT and KEY (PEM) it serves HTTPS.

Usage: list_server.py DIR PORT_FILE [CERT KEY]
"""
import http.server
import os
import ssl
import sys
import threading
import time


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        print("GET %s" % self.path, flush=True)
        if self.path.startswith("/stall/"):
            time.sleep(3600)
            return
        path = os.path.join(sys.argv[1], self.path.lstrip("/"))
        if ".." in self.path or not os.path.isfile(path):
            self.send_error(404)
            return
        with open(path, "rb") as f:
            body = f.read()
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    if len(sys.argv) > 4:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[3], sys.argv[4])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = sys.argv[2] + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, sys.argv[2])
    srv.serve_forever()


if __name__ == "__main__":
    main()
