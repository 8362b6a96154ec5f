"""Client helpers: a requests wrapper and a raw-socket helper. Every call
sends X-Test-Name (the access log records it, so log lines tie to tests).

    r = client.post_batch([{"id": "1", "method": "GET", "url": "/static/small.json"}])
    r.status_code, r.json()["responses"][0]["body"]
    client.post_batch(items, headers={...}, path="/v1.0/$batch")
    client.post_batch(body=b'{"requests": [', content_type="application/json")
    client.get("/static/a.txt"); client.request("PUT", "/batch", data=b"")
    resp = client.raw(b"POST /batch HTTP/1.1\\r\\nHost: x\\r\\n...")  # RawResponse
    resp = client.raw_request("POST", "/batch", body=..., chunked=True)
"""
import json
import socket
import time

import requests


def item(id, url, method="GET", **kw):
    """One batch item: item("1", "/static/a.txt", headers={...}, body=...)."""
    d = {"id": str(id), "method": method, "url": url}
    for k, v in kw.items():
        d["dependsOn" if k == "depends_on" else k] = v
    return d


class RawResponse:
    """A parsed HTTP/1.1 response read from a socket."""

    def __init__(self, data):
        self.raw = data
        self.status = None
        self.reason = ""
        self.headers = []
        self.body = b""
        self.complete = False
        self._parse()

    def _parse(self):
        head, sep, rest = self.raw.partition(b"\r\n\r\n")
        if not sep:
            return
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) >= 2 and parts[0].startswith("HTTP/"):
            self.status = int(parts[1])
            self.reason = parts[2] if len(parts) > 2 else ""
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            self.headers.append((k.strip(), v.strip()))
        te = (self.header("Transfer-Encoding") or "").lower()
        cl = self.header("Content-Length")
        if "chunked" in te:
            parts, pos = [], 0  # joined once, not re-copied per chunk
            while True:
                nl = rest.find(b"\r\n", pos)
                if nl < 0:
                    break
                size = int(rest[pos:nl].split(b";")[0] or b"0", 16)
                if size == 0:
                    self.complete = rest.find(b"\r\n", nl + 2) >= 0
                    break
                parts.append(rest[nl + 2:nl + 2 + size])
                pos = nl + 2 + size + 2
            self.body = b"".join(parts)
        elif cl is not None:
            self.body = rest[:int(cl)]
            self.complete = len(rest) >= int(cl)
        else:
            self.body = rest
        if self.status in (204, 304) or (self.status and self.status < 200):
            self.complete = True

    def header(self, name):
        vals = [v for k, v in self.headers if k.lower() == name.lower()]
        return ", ".join(vals) if vals else None

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "<RawResponse %s %d bytes>" % (self.status, len(self.body))


class Client:
    def __init__(self, env):
        self.env = env
        self.session = requests.Session()
        env.register_client(self)

    def reset(self):
        """Drop pooled connections (after a restart they point to old children)."""
        self.session.close()
        self.session = requests.Session()

    def _headers(self, headers):
        h = {"X-Test-Name": self.env.test_name}
        if headers:
            h.update(headers)
        return h

    def url(self, path, port=None):
        return self.env.url(path, port)

    def request(self, method, path, headers=None, port=None, timeout=60, **kw):
        kw.setdefault("allow_redirects", False)
        return self.session.request(method, self.url(path, port),
                                    headers=self._headers(headers), timeout=timeout, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def post_batch(self, items=None, headers=None, path="/batch", body=None,
                   content_type="application/json", port=None, timeout=60, **kw):
        """POST a batch. items: a list (wrapped as {"requests": items}) or a
        dict (sent as is); body: raw bytes/str instead. content_type=None
        sends no Content-Type."""
        if body is None:
            doc = items if isinstance(items, dict) else {"requests": items or []}
            body = json.dumps(doc).encode("utf-8")
        elif isinstance(body, str):
            body = body.encode("utf-8")
        h = {}
        if content_type is not None:
            h["Content-Type"] = content_type
        if headers:
            h.update(headers)
        return self.request("POST", path, headers=h, data=body, port=port,
                            timeout=timeout, **kw)

    def batch_ok(self, items, **kw):
        """post_batch, assert 200, return the list of responses."""
        r = self.post_batch(items, **kw)
        assert r.status_code == 200, (r.status_code, r.text[:2000])
        return r.json()["responses"]

    # ------------------------------------------------------------- raw socket

    def _inject_name(self, data):
        eol = data.find(b"\r\n")
        if eol > 0 and b" HTTP/" in data[:eol] and b"\nx-test-name:" not in data.lower():
            name = self.env.test_name.encode("latin-1", "replace")
            return data[:eol + 2] + b"X-Test-Name: " + name + b"\r\n" + data[eol + 2:]
        return data

    def raw(self, data, port=None, timeout=30, chunks=None, delay=0.0, inject_name=True,
            read=True):
        """Send bytes over a fresh socket and read the response until it is
        complete or the server closes. chunks: a list of byte strings sent one
        after another with `delay` seconds between them (trickle); data is
        sent first. Returns a RawResponse (status None if nothing came back)."""
        if inject_name and data:
            data = self._inject_name(data)
        s = socket.create_connection(("127.0.0.1", port or self.env.port), timeout=timeout)
        try:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                if data:
                    s.sendall(data)
                for c in chunks or []:
                    if delay:
                        time.sleep(delay)
                    s.sendall(c)
            except (BrokenPipeError, ConnectionResetError):
                pass
            if not read:
                return None
            buf = b""
            end = time.time() + timeout
            while time.time() < end:
                try:
                    got = s.recv(65536)
                except socket.timeout:
                    break
                except ConnectionResetError:
                    break
                if not got:
                    break
                buf += got
                resp = RawResponse(buf)
                if resp.complete:
                    return resp
            return RawResponse(buf)
        finally:
            s.close()

    def raw_request(self, method, path, headers=None, body=b"", chunked=False,
                    chunk_size=4096, close=True, **kw):
        """Build a request (Host, Content-Length or chunked framing) and raw() it."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        lines = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1:%d" % self.env.port]
        hdrs = dict(headers or {})
        if chunked:
            hdrs.setdefault("Transfer-Encoding", "chunked")
            payload = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + chunk_size]),
                                                   body[i:i + chunk_size])
                               for i in range(0, len(body), chunk_size)) + b"0\r\n\r\n"
        else:
            if body or method in ("POST", "PUT", "PATCH"):
                hdrs.setdefault("Content-Length", str(len(body)))
            payload = body
        if close:
            hdrs.setdefault("Connection", "close")
        for k, v in hdrs.items():
            lines.append("%s: %s" % (k, v))
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        return self.raw(head + payload, **kw)
