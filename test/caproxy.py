#!/usr/bin/env python3
"""caproxy.py - a fault-injecting HTTPS reverse proxy in front of Pebble.

Pebble 2.4.0 has no ARI, no profiles, no Retry-After and no rate limits;
this proxy adds them so acme can be tested against them. It listens on
127.0.0.1 only, forwards every request it does not answer itself to the
upstream ACME server (Pebble) and exits by itself after --lifetime seconds.

Usage: caproxy.py --upstream URL --upstream-ca PEM --cert PEM --key PEM
                  [--port N] [--port-file F] [--log F] [--control F]
                  [--lifetime SECONDS] [BEHAVIOUR...]

BEHAVIOUR options (also read from --control F, one option per line, whenever
that file changes; the file's options replace the command line's, and the
--fail counters start again):
  --ari                   the directory offers "renewalInfo"; GET
                          renewalInfo/CERTID answers a suggestedWindow
  --ari-window START,END  the window; each an RFC 3339 time or seconds
                          relative to the proxy's clock (+N, -N)
                          (default +86400,+172800; write
                          --ari-window=-N,-M when it starts with '-')
  --ari-retry-after N     Retry-After on renewalInfo answers (default 21600)
  --profiles              meta.profiles {"classic", "shortlived"}
  --fail KIND:ANSWER[:COUNT]
                          answer the next COUNT (default: every) request of
                          KIND with ANSWER: 429 (rateLimited problem), 503
                          (serverInternal problem), 500, ratelimited (HTTP
                          403 + rateLimited problem), badnonce, drop (the
                          upstream gets and acts on the request, then the
                          connection is closed without an answer, as a lost
                          response would be). KIND is a
                          directory key (newNonce newAccount newOrder
                          revokeCert keyChange renewalInfo), directory,
                          authz, challenge, finalize, order, cert, account,
                          replaces (a newOrder whose payload carries
                          "replaces", as Pebble 2.10 refuses some with 500),
                          or any. Repeatable.
  --retry-after VALUE     Retry-After sent with --fail answers: N seconds,
                          or date+N for an HTTP-date N seconds from now
  --swallow KIND[:COUNT]  forward the next COUNT (default: every) request
                          of KIND to the server, then never answer: the
                          connection stays open until the client gives up
  --drop KIND[:COUNT]     forward them, then close the connection without
                          an answer (the server acted, the answer is lost)
  --delay KIND:MS         wait MS milliseconds before forwarding a request
                          of KIND (repeatable)
  --date-offset N         the proxy's clock, the CA's clock as acme sees it,
                          runs N seconds ahead of the real one: every Date
                          header, ARI window and HTTP-date Retry-After.
                          This is how tests move the CA's time (a
                          certificate becomes due, a backup expires)
                          instead of sleeping. Upstream Date headers are
                          always replaced by the proxy's.
  --date KIND=SPEC        the Date header of answers to KIND (as --fail;
                          "any" for all): SPEC is an HTTP-date ("Fri, 31 Dec
                          9999 23:59:59 GMT") or +N / -N seconds from now.
                          Repeatable; the first matching KIND wins.
  --no-caa-identities     drop meta.caaIdentities from the directory

Every request is logged to --log as one JSON object per line:
  {"n": 1, "method": "POST", "path": "/order-plz", "kind": "newOrder",
   "status": 201, "injected": null, "payload": {...}, "certid": null,
   "answer": "valid", "t": 1796035899.68,
   "date": "Mon, 30 Nov 2026 10:51:39 GMT", "retry_after": "3",
   "conn": 1, "problem": null}
payload is the decoded JWS payload (null for GET and POST-as-GET); t the
time the request arrived; date and retry_after the Date and Retry-After
headers of the answer (null when absent); conn numbers the client's TCP
connections in the order the proxy accepted them; problem the type of an
application/problem+json answer; "answer" is the "status" member of a
JSON answer, or the problem type of a problem document, or null;
"injected" names a --fail, swallow or drop. A server's own renewalInfo
(Pebble 2.10) is forwarded unless --ari replaces it.
"""
import argparse
import base64
import email.utils
import http.client
import http.server
import json
import os
import shlex
import socket
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse

KINDS_BY_PREFIX = [
    ("/authZ/", "authz"),
    ("/chalZ/", "challenge"),
    ("/finalize-order/", "finalize"),
    ("/my-order/", "order"),
    ("/certZ/", "cert"),
    ("/my-account/", "account"),
    ("/renewal-info/", "renewalInfo"),
]
ANSWERS = ("429", "503", "500", "ratelimited", "badnonce", "drop")
HOP = {"connection", "keep-alive", "transfer-encoding", "content-length",
       "date", "server", "proxy-connection", "upgrade"}


def behaviour_parser():
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--ari", action="store_true")
    ap.add_argument("--ari-window", default="+86400,+172800")
    ap.add_argument("--ari-retry-after", type=int, default=21600)
    ap.add_argument("--profiles", action="store_true")
    ap.add_argument("--fail", action="append", default=[])
    ap.add_argument("--retry-after", default=None)
    ap.add_argument("--date-offset", type=int, default=0)
    ap.add_argument("--swallow", action="append", default=[])
    ap.add_argument("--drop", action="append", default=[])
    ap.add_argument("--delay", action="append", default=[])
    ap.add_argument("--date", action="append", default=[])
    ap.add_argument("--no-caa-identities", action="store_true")
    return ap


def parse_fail(spec):
    parts = spec.split(":")
    if len(parts) not in (2, 3) or parts[1] not in ANSWERS:
        raise ValueError("bad --fail %r" % spec)
    return {"kind": parts[0], "answer": parts[1],
            "left": int(parts[2]) if len(parts) == 3 else -1}


def parse_lose(spec, how):
    parts = spec.split(":")
    if len(parts) not in (1, 2):
        raise ValueError("bad --%s %r" % (how, spec))
    return {"kind": parts[0], "answer": how,
            "left": int(parts[1]) if len(parts) == 2 else -1}


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def when(spec, now):
    if spec[:1] in "+-":
        return rfc3339(now + int(spec))
    return spec


class State:
    """Behaviour and request log, shared by the handler threads."""

    def __init__(self, args, control, log):
        self.lock = threading.Lock()
        self.base_args = args
        self.control = control
        self.control_mtime = None
        self.log = log
        self.n = 0
        self.conns = 0
        self.apply(args)

    def now(self):
        """The proxy's clock: real time plus --date-offset."""
        return time.time() + self.b.date_offset

    def apply(self, argv):
        b = behaviour_parser().parse_args(argv)
        self.b = b
        self.fails = [parse_fail(f) for f in b.fail]
        self.loses = ([parse_lose(f, "swallow") for f in b.swallow] +
                      [parse_lose(f, "drop") for f in b.drop])
        self.delays = dict((k, int(v) / 1000.0) for k, v in
                           (d.split(":") for d in b.delay))

    def refresh(self):
        if not self.control:
            return
        try:
            st = os.stat(self.control)
        except OSError:
            return
        key = (st.st_mtime_ns, st.st_size, st.st_ino)
        if key == self.control_mtime:
            return
        self.control_mtime = key
        try:
            with open(self.control) as f:
                argv = [a for line in f for a in shlex.split(line)]
            self.apply(argv)
        except (OSError, ValueError, SystemExit) as e:
            sys.stderr.write("caproxy: control file ignored: %s\n" % e)

    def take_fail(self, kind, fails=None, payload=None):
        """The injected answer for this request, or None."""
        kinds = (kind, "any")
        if (kind == "newOrder" and isinstance(payload, dict) and
                "replaces" in payload):
            kinds += ("replaces",)
        for f in self.fails if fails is None else fails:
            if f["kind"] in kinds and f["left"] != 0:
                if f["left"] > 0:
                    f["left"] -= 1
                return f["answer"]
        return None

    def give_back(self, kind, how):
        """Undo take_fail of a swallow or drop of kind."""
        with self.lock:
            for f in self.loses:
                if f["kind"] in (kind, "any") and f["answer"] == how:
                    if f["left"] >= 0:
                        f["left"] += 1
                    return

    def new_conn(self):
        with self.lock:
            self.conns += 1
            return self.conns

    def record(self, entry):
        with self.lock:
            self.n += 1
            entry["n"] = self.n
            if self.log:
                with open(self.log, "a") as f:
                    f.write(json.dumps(entry, sort_keys=True) + "\n")


def answer_of(data):
    """The status member of a JSON answer, or a problem's type."""
    try:
        d = json.loads(data)
    except (ValueError, TypeError):
        return None
    if not isinstance(d, dict):
        return None
    if isinstance(d.get("status"), str):
        return d["status"]
    t = d.get("type")
    return t.rsplit(":", 1)[-1] if isinstance(t, str) else None


def b64url_json(s):
    try:
        raw = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
        return json.loads(raw) if raw else None
    except (ValueError, TypeError):
        return "<undecodable>"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "caproxy/1"

    def log_message(self, fmt, *args):
        sys.stderr.write("caproxy: %s\n" % (fmt % args))

    def setup(self):
        super().setup()
        self.conn = self.server.state.new_conn()

    def now_date(self):
        st = self.server.state
        entry = getattr(self, "entry", None)
        kind = entry["kind"] if entry else None
        for spec in st.b.date:
            k, _, v = spec.partition("=")
            if k not in (kind, "any"):
                continue
            if v[:1] in "+-":
                return email.utils.formatdate(st.now() + int(v),
                                              usegmt=True)
            return v
        return email.utils.formatdate(st.now(),
                                      usegmt=True)

    def date_time_string(self, timestamp=None):
        # the Date send() logged for this answer, else now
        d, self.date = getattr(self, "date", None), None
        return d or self.now_date()

    # ---- helpers ---------------------------------------------------
    def mine(self):
        return "https://localhost:%d" % self.server.server_address[1]

    def theirs(self):
        return self.server.up_base

    def rewrite(self, data):
        return data.replace(self.theirs().encode(), self.mine().encode())

    def kind_of(self, path):
        if path == self.server.up_dir_path:
            return "directory"
        for k, v in self.server.dir_paths.items():
            if path == v:
                return k
        for prefix, k in KINDS_BY_PREFIX:
            if path.startswith(prefix):
                return k
        if self.upstream_ari(path):
            return "renewalInfo"
        return "other"

    def upstream_ari(self, path):
        ri = self.server.dir_paths.get("renewalInfo")
        return ri is not None and path.startswith(ri + "/")

    def send(self, code, body, ctype="application/json", headers=()):
        if isinstance(body, str):
            body = body.encode()
        # log before answering, so a test reading the log after the
        # client finished sees every request
        entry = getattr(self, "entry", None)
        if entry is not None and entry.get("status") is None:
            entry["status"] = code
            for k, v in headers:
                if k.lower() == "retry-after":
                    entry["retry_after"] = v
            if ctype.startswith("application/problem+json"):
                try:
                    entry["problem"] = json.loads(body).get("type")
                except (ValueError, AttributeError):
                    entry["problem"] = "<not json>"
            # the Date this answer will carry, logged before answering
            self.date = entry["date"] = self.now_date()
            self.server.state.record(entry)
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def retry_after(self):
        v = self.server.state.b.retry_after
        if v is None:
            return []
        if v.startswith("date+"):
            t = self.server.state.now() + int(v[5:])
            return [("Retry-After", email.utils.formatdate(t, usegmt=True))]
        return [("Retry-After", v)]

    # ---- upstream ----------------------------------------------------
    def upstream(self, method, path, body):
        c = http.client.HTTPSConnection(
            self.server.up_host, self.server.up_port,
            context=self.server.up_ctx, timeout=30)
        try:
            hdrs = {"Host": "localhost:%d" % self.server.server_address[1],
                    "User-Agent": self.headers.get("User-Agent", "caproxy"),
                    "Accept": self.headers.get("Accept", "*/*")}
            if body is not None:
                hdrs["Content-Type"] = self.headers.get(
                    "Content-Type", "application/jose+json")
            c.request(method, path, body=body, headers=hdrs)
            r = c.getresponse()
            data = r.read()
            return r.status, r.getheaders(), data
        finally:
            c.close()

    def lose(self, body, how):
        """Forward, then lose the answer: swallow (never answer, keep the
        connection until the client closes it) or drop (close now). A
        badNonce refusal is passed on instead (the server did not act),
        and the loss saved for the client's next try."""
        up = self.upstream(self.command, self.path, body)
        status, data = up[0], up[2]
        if answer_of(data) == "badNonce":
            self.server.state.give_back(self.entry["kind"], how)
            self.entry["injected"] = None
            return self.forward(body, up)
        self.entry["status"] = status
        self.entry["answer"] = answer_of(data)
        self.server.state.record(self.entry)
        if how == "swallow":
            try:
                self.connection.settimeout(None)
                while self.connection.recv(4096):
                    pass
            except OSError:
                pass
        self.close_connection = True

    def forward(self, body, up=None):
        status, headers, data = up or self.upstream(self.command, self.path,
                                                    body)
        self.entry["answer"] = answer_of(data)
        out = []
        ctype = "application/octet-stream"
        for k, v in headers:
            lk = k.lower()
            if lk in HOP:
                continue
            if lk == "content-type":
                ctype = v
                continue
            out.append((k, self.rewrite(v.encode()).decode()))
        data = self.rewrite(data)
        if "problem" in ctype and self.entry is not None:
            try:
                self.entry["problem"] = json.loads(data).get("type")
            except (ValueError, AttributeError):
                self.entry["problem"] = "<not json>"
        if self.kind_of(self.path) == "directory" and status == 200:
            data = self.edit_directory(data)
        self.send(status, data, ctype, out)
        return status

    def edit_directory(self, data):
        d = json.loads(data)
        b = self.server.state.b
        if b.ari:
            d["renewalInfo"] = self.mine() + "/renewal-info"
        if b.no_caa_identities:
            d.get("meta", {}).pop("caaIdentities", None)
        if b.profiles:
            d.setdefault("meta", {})["profiles"] = {
                "classic": "the usual 90-day certificate",
                "shortlived": "a six-day certificate",
            }
        return json.dumps(d, indent=2).encode()

    # ---- answers of our own -----------------------------------------
    def problem(self, code, kind, detail, extra=()):
        self.send(code, json.dumps({
            "type": "urn:ietf:params:acme:error:" + kind,
            "detail": detail, "status": code}),
            "application/problem+json", list(extra))

    def inject(self, answer):
        nonce = [("Replay-Nonce", "caproxy%d%d" % (os.getpid(),
                                                    time.monotonic_ns()))]
        if answer == "429":
            self.problem(429, "rateLimited", "caproxy: too many requests",
                         nonce + self.retry_after())
            return 429
        if answer == "503":
            self.problem(503, "serverInternal", "caproxy: unavailable",
                         nonce + self.retry_after())
            return 503
        if answer == "ratelimited":
            self.problem(403, "rateLimited", "caproxy: rate limited",
                         nonce + self.retry_after())
            return 403
        if answer == "badnonce":
            self.problem(400, "badNonce", "caproxy: bad nonce", nonce)
            return 400
        self.send(500, "caproxy: internal server error\n", "text/plain")
        return 500

    def drop(self, body):
        """Let the upstream act on the request, then lose its answer."""
        status, _headers, _data = self.upstream(self.command, self.path,
                                                body)
        self.entry["status"] = status
        self.entry["dropped"] = True
        self.server.state.record(self.entry)
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def renewal_info(self):
        b = self.server.state.b
        if not b.ari:
            self.problem(404, "malformed", "no renewalInfo here")
            return 404
        now = self.server.state.now()
        start, end = b.ari_window.split(",")
        self.send(200, json.dumps({"suggestedWindow": {
            "start": when(start, now), "end": when(end, now)}}),
            headers=[("Retry-After", str(b.ari_retry_after))])
        return 200

    # ---- dispatch ----------------------------------------------------
    def handle_any(self):
        st = self.server.state
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        path = urllib.parse.urlsplit(self.path).path
        entry = {"method": self.command, "path": path, "kind": None,
                 "injected": None, "payload": None,
                 "certid": None, "status": None, "answer": None,
                 "t": time.time(), "date": None, "retry_after": None,
                 "conn": self.conn, "problem": None}
        if body:
            try:
                jws = json.loads(body)
                entry["payload"] = b64url_json(jws.get("payload", ""))
                prot = b64url_json(jws.get("protected", ""))
                entry["url"] = prot.get("url") if isinstance(prot, dict) else None
            except ValueError:
                entry["payload"] = "<not json>"
        with st.lock:
            st.refresh()
            kind = entry["kind"] = self.kind_of(path)
            injected = st.take_fail(kind, payload=entry["payload"])
            lose = None if injected else st.take_fail(kind, st.loses)
            delay = st.delays.get(kind, 0)
        entry["injected"] = injected or lose
        self.entry = entry
        if kind == "renewalInfo":
            entry["certid"] = path.rsplit("/", 1)[1]
        time.sleep(delay)
        try:
            if injected == "drop":
                self.drop(body)
            elif injected:
                self.inject(injected)
            elif kind == "renewalInfo" and not self.upstream_ari(path):
                self.renewal_info()
            elif lose:
                self.lose(body, lose)
            else:
                self.forward(body)
        except (OSError, http.client.HTTPException) as e:
            entry["error"] = str(e)
            self.send(502, "caproxy: upstream: %s\n" % e, "text/plain")
        self.entry = None

    do_GET = do_HEAD = do_POST = handle_any


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def upstream_directory(srv, path):
    c = http.client.HTTPSConnection(srv.up_host, srv.up_port,
                                    context=srv.up_ctx, timeout=10)
    c.request("GET", path, headers={"User-Agent": "caproxy"})  # Pebble 2.10
    d = json.loads(c.getresponse().read())
    c.close()
    return {k: urllib.parse.urlsplit(v).path for k, v in d.items()
            if isinstance(v, str) and v.startswith("https://")}


def main():
    ap = argparse.ArgumentParser(parents=[behaviour_parser()])
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--upstream-ca", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    ap.add_argument("--control")
    ap.add_argument("--lifetime", type=float, default=120)
    a, _ = ap.parse_known_args()
    behaviour = [x for x in sys.argv[1:]]
    for f in a.fail:
        parse_fail(f)
    for f in a.swallow:
        parse_lose(f, "swallow")
    for f in a.drop:
        parse_lose(f, "drop")

    # Whatever happens, go away after the lifetime.
    t = threading.Timer(a.lifetime, lambda: os._exit(0))
    t.daemon = True
    t.start()

    up = urllib.parse.urlsplit(a.upstream)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(a.cert, a.key)
    srv = Server(("127.0.0.1", a.port), Handler)
    srv.up_host, srv.up_port = up.hostname, up.port or 443
    srv.up_base = "https://%s" % up.netloc
    srv.up_dir_path = up.path
    srv.up_ctx = ssl.create_default_context(cafile=a.upstream_ca)
    srv.dir_paths = upstream_directory(srv, up.path)
    srv.state = State(behaviour_args(behaviour), a.control, a.log)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % srv.server_address[1])
        os.rename(tmp, a.port_file)
    sys.stderr.write("caproxy: 127.0.0.1:%d -> %s\n"
                     % (srv.server_address[1], a.upstream))
    srv.serve_forever()


def behaviour_args(argv):
    """The behaviour options among argv (the others take one value)."""
    own = {"--upstream", "--upstream-ca", "--cert", "--key", "--port",
           "--port-file", "--log", "--control", "--lifetime"}
    out, i = [], 0
    while i < len(argv):
        if argv[i] in own:
            i += 2
            continue
        out.append(argv[i])
        i += 1
    return out


if __name__ == "__main__":
    main()
