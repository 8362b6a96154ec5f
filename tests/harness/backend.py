"""The Python proxy backend (ThreadingHTTPServer), reached as /pyb/ through
mod_proxy_http, or directly on env.port3.

Every request is recorded (backend.requests, backend.hits) before it is
answered, so a test can prove that nothing ran: take `n = pyb.hits` before the
batch and compare afterwards. A record holds method, path, headers, body,
time (arrival, before any ?sleep) and end (just before the response is
written; None until then), so tests can see which requests overlapped.
Paths (all also honour ?sleep=MS and ?status=N):

  /echo[...]           200 JSON {method, path, query, headers, body, body_base64}
  /hit[...]            200 JSON {"hits": N} (a side-effect probe)
  /status?status=N     N with a small text body (204/304: no body)
  /cookies             200 with two Set-Cookie headers
  /chunked?bytes=N     200, N bytes of text, Transfer-Encoding: chunked
  /bytes?bytes=N       200, N bytes with Content-Length (&type=MEDIA/TYPE)
  /truncate?bytes=N    announces N bytes, sends N/2 and closes
  /gzip                200 gzip-encoded JSON with Content-Encoding: gzip
  /repeat?n=N&bytes=B  200 with N `X-Same:` headers, values of B bytes, the
                       k-th starting "vK-" (K zero-padded to 5 digits)
  /raw?b64=BODY&t=TYPE&h=HEADERS  base64url-decoded, all three: the BODY,
                       its Content-Type (default application/json) and
                       raw "name: value" lines joined by "\n" (any bytes
                       but CR, LF and NUL)
anything else         like /echo.
"""
import base64
import gzip
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "pyb/1.0"

    def log_message(self, fmt, *args):  # keep pytest output clean
        pass

    def _body(self):
        n = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts = []  # joined once: += would copy the growing body per chunk
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(n)) if n else b""

    def _send(self, status, body=b"", ctype="application/json", headers=()):
        head = ["HTTP/1.1 %d %s" % (status, self.responses.get(status, ("X",))[0]),
                "Server: pyb/1.0", "Date: " + self.date_time_string()]
        nobody = status in (204, 304) or 100 <= status < 200
        if not nobody:
            head.append("Content-Type: " + ctype)
            head.append("Content-Length: %d" % len(body))
        for k, v in headers:
            head.append("%s: %s" % (k, v))
        data = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        if not nobody and self.command != "HEAD":
            data += body
        self._done()
        self.wfile.write(data)  # one write per response (no Nagle stalls)

    def _done(self):
        rec = getattr(self, "_rec", None)
        if rec is not None and rec["end"] is None:
            rec["end"] = time.time()

    def _handle(self):
        srv = self.server.backend
        url = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        body = self._body()
        with srv.lock:
            srv.hits += 1
            hits = srv.hits
            self._rec = {"method": self.command, "path": self.path,
                         "headers": dict(self.headers.items()), "body": body,
                         "time": time.time(), "end": None}
            srv.requests.append(self._rec)
        if "sleep" in q:
            time.sleep(int(q["sleep"]) / 1000.0)
        status = int(q.get("status", "200"))
        path = url.path
        if path.startswith("/hit"):
            return self._send(status, json.dumps({"hits": hits}).encode())
        if path.startswith("/status"):
            return self._send(status, ("status %d\n" % status).encode(), "text/plain")
        if path.startswith("/cookies"):
            return self._send(status, b'{"cookies":2}', headers=[
                ("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2; Path=/")])
        if path.startswith("/bytes"):
            n = int(q.get("bytes", "0"))
            return self._send(status, (b"x" * 63 + b"\n") * (n // 64) + b"y" * (n % 64),
                              q.get("type", "text/plain"))
        if path.startswith("/chunked"):
            n = int(q.get("bytes", "0"))
            self._done()
            self.wfile.write(("HTTP/1.1 %d OK\r\nContent-Type: text/plain\r\n"
                              "Transfer-Encoding: chunked\r\n\r\n" % status).encode())
            chunk = (b"c" * 8191 + b"\n")
            left = n
            while left > 0:
                part = chunk[:min(left, len(chunk))]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                left -= len(part)
            self.wfile.write(b"0\r\n\r\n")
            return None
        if path.startswith("/truncate"):
            n = int(q.get("bytes", "1000"))
            self._done()
            self.wfile.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                              "Content-Length: %d\r\n\r\n" % n).encode() + b"t" * (n // 2))
            self.close_connection = True
            return None
        if path.startswith("/repeat"):
            n, size = int(q.get("n", "1")), int(q.get("bytes", "10"))
            return self._send(status, b'{"repeat":true}', headers=[
                ("X-Same", ("v%05d-" % k).ljust(size, "x")) for k in range(n)])
        if path.startswith("/raw"):
            raw = base64.urlsafe_b64decode(q.get("h", "")).decode("latin-1")
            hdrs = [ln.split(":", 1) for ln in raw.split("\n") if ":" in ln]
            ctype = base64.urlsafe_b64decode(q.get("t", "")).decode("latin-1")
            return self._send(status, base64.urlsafe_b64decode(q.get("b64", "")),
                              ctype or "application/json",
                              headers=[(k, v.strip()) for k, v in hdrs])
        if path.startswith("/created"):
            # an app server that created something (CONTRACT 10 tests):
            # 201 (or ?status=), Location ?location= (none when absent),
            # the request body as its body (default {"id":7}), of ?type=
            hdrs = [("Location", q["location"])] if "location" in q else []
            return self._send(int(q.get("status", "201")), body or b'{"id":7}',
                              q.get("type", "application/json"), headers=hdrs)
        if path.startswith("/gzip"):
            return self._send(status, gzip.compress(b'{"gzipped":true}'),
                              headers=[("Content-Encoding", "gzip")])
        try:
            text, b64 = body.decode("utf-8"), False
        except UnicodeDecodeError:
            text, b64 = base64.b64encode(body).decode("ascii"), True
        out = {"method": self.command, "path": url.path, "query": url.query,
               "headers": dict(self.headers.items()), "body": text, "body_base64": b64,
               "hits": hits}
        return self._send(status, json.dumps(out, sort_keys=True).encode(),
                          headers=[("X-Echo", "pyb")])

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle


class _Server(ThreadingHTTPServer):
    # concurrent batch items open many connections at once: a backlog of 5
    # would drop SYNs (a 1 s retransmit) and distort overlap and timing
    request_queue_size = 128


class Backend:
    """A ThreadingHTTPServer on 127.0.0.1:port, run in a daemon thread."""

    def __init__(self, port):
        self.port = port
        self.lock = threading.Lock()
        self.hits = 0
        self.requests = []
        self._server = None
        self._thread = None

    def start(self):
        _Server.allow_reuse_address = True
        self._server = _Server(("127.0.0.1", self.port), _Handler)
        self._server.daemon_threads = True
        self._server.backend = self
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="pyb", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def reset(self):
        with self.lock:
            self.requests = []

    def count(self):
        with self.lock:
            return self.hits
