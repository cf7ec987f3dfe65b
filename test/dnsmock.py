#!/usr/bin/env python3
"""dnsmock.py - a DNS provider's API in miniature, for acme's --dns-api tests.

Usage: dnsmock.py --cert PEM --key PEM --secret TEXT --challtestsrv URL
                  --state FILE [--port-file F] [--lifetime SECONDS]

An HTTPS server on 127.0.0.1 (any free port, written to --port-file) that
accepts a request only when it is signed as a cloud API signs its
requests, which a dnsapi script can only do with acme's _hmac, _digest,
_hex_dump and _url_encode:

  X-Mac-Date       the client's Unix time (any number)
  X-Mac-Content    base64 of the SHA-256 of the body (_digest sha256)
  X-Mac-Signature  lowercase hex HMAC-SHA256, keyed with the secret, of
                   "METHOD\\nPATH\\nDATE\\nCONTENT" (_hmac sha256 KEY hex)

Its API (JSON answers):
  GET    /zones                   [{"id": "z1", "name": ZONE}] for any ZONE
                                  asked with ?name=ZONE (url-encoded)
  GET    /records?name=NAME       [{"id", "name", "value_b64"}]
  POST   /records                 body name=NAME&value=VALUE&value_b64=B64
                                  (B64 must be the base64 of VALUE:
                                  _base64), answers {"id": ...} with 201
  DELETE /records/ID              204

Each record it holds is published through pebble-challtestsrv's management
API (set-txt, clear-txt), so Pebble's VA sees it. After every request the
state file holds {"records": [...], "good": N, "bad": N}: the records left
and how many signed requests passed and failed. A request that fails the
check gets 401. The server exits by itself after --lifetime seconds.
"""
import argparse
import base64
import hashlib
import hmac
import http.server
import json
import os
import socketserver
import ssl
import sys
import threading
import urllib.parse
import urllib.request


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "dnsmock/1"

    def log_message(self, fmt, *args):
        sys.stderr.write("dnsmock: %s\n" % (fmt % args))

    def answer(self, code, obj=None):
        body = b"" if obj is None else json.dumps(obj).encode()
        self.send_response(code)
        if obj is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def signed(self, body):
        srv = self.server
        date = self.headers.get("X-Mac-Date", "")
        content = self.headers.get("X-Mac-Content", "")
        sig = self.headers.get("X-Mac-Signature", "")
        want_content = base64.b64encode(hashlib.sha256(body).digest()).decode()
        msg = "%s\n%s\n%s\n%s" % (self.command, self.path, date, content)
        want_sig = hmac.new(srv.secret, msg.encode(), hashlib.sha256).hexdigest()
        ok = date.isdigit() and content == want_content and \
            hmac.compare_digest(sig, want_sig)
        with srv.lock:
            if ok:
                srv.good += 1
            else:
                srv.bad += 1
                sys.stderr.write("dnsmock: bad signature: %r content %r/%r "
                                 "sig %r/%r\n" % (msg, content, want_content,
                                                  sig, want_sig))
        return ok

    def handle_one(self):
        try:
            self.handle_signed()
        finally:
            with self.server.lock:
                self.server.save()

    def handle_signed(self):
        n = int(self.headers.get("Content-Length", "0") or 0)
        body = self.rfile.read(n) if n else b""
        if not self.signed(body):
            self.answer(401, {"error": "bad signature"})
            return
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query)
        srv = self.server
        with srv.lock:
            if self.command == "GET" and url.path == "/zones":
                self.answer(200, [{"id": "z1", "name": n}
                                  for n in q.get("name", [])])
            elif self.command == "GET" and url.path == "/records":
                name = q.get("name", [""])[0]
                self.answer(200, [
                    {"id": i, "name": r["name"],
                     "value_b64": base64.b64encode(r["value"].encode()).decode()}
                    for i, r in sorted(srv.records.items())
                    if r["name"] == name])
            elif self.command == "POST" and url.path == "/records":
                f = urllib.parse.parse_qs(body.decode())
                name, value = f["name"][0], f["value"][0]
                if base64.b64decode(f["value_b64"][0]).decode() != value:
                    self.answer(400, {"error": "value_b64 is not value"})
                    return
                srv.serial += 1
                rid = "r%d" % srv.serial
                srv.records[rid] = {"name": name, "value": value}
                srv.publish(name)
                self.answer(201, {"id": rid})
            elif self.command == "DELETE" and url.path.startswith("/records/"):
                r = srv.records.pop(url.path[len("/records/"):], None)
                if r is None:
                    self.answer(404, {"error": "no such record"})
                    return
                srv.publish(r["name"])
                self.answer(204)
            else:
                self.answer(404, {"error": "no such call"})

    do_GET = do_POST = do_DELETE = handle_one


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def cts(self, call, obj):
        req = urllib.request.Request(self.challtestsrv + "/" + call,
                                     data=json.dumps(obj).encode())
        urllib.request.urlopen(req, timeout=10).read()

    def publish(self, name):
        """challtestsrv's TXT records for name: exactly ours."""
        host = name.rstrip(".") + "."
        self.cts("clear-txt", {"host": host})
        for r in self.records.values():
            if r["name"] == name:
                self.cts("set-txt", {"host": host, "value": r["value"]})

    def save(self):
        tmp = self.state + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"records": list(self.records.values()),
                       "good": self.good, "bad": self.bad}, f)
        os.rename(tmp, self.state)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--challtestsrv", required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--port-file")
    ap.add_argument("--lifetime", type=float, default=600)
    a = ap.parse_args()

    t = threading.Timer(a.lifetime, lambda: os._exit(0))
    t.daemon = True
    t.start()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(a.cert, a.key)
    srv = Server(("127.0.0.1", 0), Handler)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.secret = a.secret.encode()
    srv.challtestsrv = a.challtestsrv.rstrip("/")
    srv.state = a.state
    srv.records, srv.serial, srv.good, srv.bad = {}, 0, 0, 0
    srv.lock = threading.RLock()
    srv.save()
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % srv.server_address[1])
        os.rename(tmp, a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
