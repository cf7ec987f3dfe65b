#!/usr/bin/env python3
"""fakeca.py - a tiny HTTPS server on 127.0.0.1 that misbehaves as an ACME CA.

Usage: fakeca.py --mode MODE --cert PEM --key PEM [--port N] [--port-file F]
                 [--lifetime SECONDS] [--ciphers LIST]

Modes:
  500           every request gets HTTP 500 with a text body
  garbage       every request gets HTTP 200 with a body that is not JSON
  problem       a valid directory; newNonce works; every POST gets an ACME
                problem document (403 unauthorized, detail "fakeca refuses
                every request")
  escape        like problem, but the detail holds a newline and terminal
                escape sequences (the client must not print them raw)
  badnonce      a valid directory; every POST gets a badNonce problem with a
                fresh Replay-Nonce, forever (the client must give up)
  hang          accepts connections and never answers

The port (0 = any free one) is written to --port-file once listening. The
server exits by itself after --lifetime seconds whatever happens. --ciphers
(an OpenSSL cipher list) limits the server to those TLS 1.2 suites.
"""
import argparse
import http.server
import json
import os
import socketserver
import ssl
import sys
import threading
import time

DETAIL = {
    "problem": "fakeca refuses every request",
    "escape": "fakeca refuses\nsecond line \x1b[31mred\x1b[0m \x07bell",
}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fakeca/1"
    nonce = 0

    def log_message(self, fmt, *args):
        sys.stderr.write("fakeca: %s\n" % (fmt % args))

    def base(self):
        return "https://localhost:%d" % self.server.server_address[1]

    def send(self, code, body, ctype="application/json", extra=()):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        Handler.nonce += 1
        self.send_header("Replay-Nonce", "fakeNonce%08d" % Handler.nonce)
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def directory(self):
        b = self.base()
        return json.dumps({
            "newNonce": b + "/acme/new-nonce",
            "newAccount": b + "/acme/new-account",
            "newOrder": b + "/acme/new-order",
            "revokeCert": b + "/acme/revoke-cert",
            "keyChange": b + "/acme/key-change",
            "meta": {"termsOfService": b + "/terms"},
        })

    def problem(self, code, kind, detail):
        self.send(code, json.dumps({
            "type": "urn:ietf:params:acme:error:" + kind,
            "detail": detail,
            "status": code,
        }), "application/problem+json")

    def handle_any(self):
        mode = self.server.mode
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(min(n, 1 << 20))
        if mode == "hang":
            time.sleep(self.server.lifetime + 5)
            return
        if mode == "500":
            self.send(500, "internal server error\n", "text/plain")
            return
        if mode == "garbage":
            self.send(200, b"<html>\x00\xff\xfe not json {{{ ]]\n",
                      "text/html")
            return
        if self.path == "/dir":
            self.send(200, self.directory())
        elif self.path == "/acme/new-nonce":
            self.send(200 if self.command == "HEAD" else 204, b"",
                      "text/plain", [("Cache-Control", "no-store")])
        elif self.command == "POST" and mode == "badnonce":
            self.problem(400, "badNonce", "JWS has an invalid anti-replay nonce")
        elif self.command == "POST":
            self.problem(403, "unauthorized", DETAIL.get(mode, "no"))
        else:
            self.problem(404, "malformed", "no such resource")

    do_GET = do_HEAD = do_POST = handle_any


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", required=True,
                    choices=["500", "garbage", "problem", "escape",
                             "badnonce", "hang"])
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--lifetime", type=float, default=120)
    ap.add_argument("--ciphers")
    a = ap.parse_args()

    # Whatever happens, go away after the lifetime.
    t = threading.Timer(a.lifetime, lambda: os._exit(0))
    t.daemon = True
    t.start()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if a.ciphers:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(a.ciphers)
    ctx.load_cert_chain(a.cert, a.key)
    srv = Server(("127.0.0.1", a.port), Handler)
    srv.mode = a.mode
    srv.lifetime = a.lifetime
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % srv.server_address[1])
        os.rename(tmp, a.port_file)
    sys.stderr.write("fakeca: mode %s on 127.0.0.1:%d\n"
                     % (a.mode, srv.server_address[1]))
    srv.serve_forever()


if __name__ == "__main__":
    main()
