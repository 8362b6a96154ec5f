"""Multipart batches (CONTRACT §8/§9): a request builder that can write
every variant a client may send (CRLF or bare LF, quoted boundaries,
preamble, epilogue, change sets, raw bytes) and a STRICT parser of the
batch response, which checks the framing the contract promises instead of
tolerating what a lenient client would:

  - Content-Type exactly `multipart/mixed; boundary=T`, T an unquoted token
    that occurs nowhere inside any part;
  - the body starts with the first delimiter (no preamble), every framing
    line ends in CRLF, the close delimiter ends the body (an optional CRLF
    after it);
  - every item part has exactly `Content-Type: application/http` and
    `Content-Transfer-Encoding: binary` (and `Content-ID` when the request
    part had one); a change set is a nested `multipart/mixed` part, checked
    the same way;
  - the embedded response is `HTTP/1.1 NNN Reason`, CRLF header lines, an
    empty line, then the body; a body is announced by an exact
    Content-Length, no hop-by-hop header is present.

Building a request:

    body = mp.build([mp.http("GET", "/static/a.txt", cid="<x + 1>"),
                     mp.changeset([mp.http("POST", "/pyb/hit", body=b"..")],
                                  boundary="cs1")],
                    boundary="b1", eol="\\n")
    r = client.post_batch(body=body, content_type=mp.ctype("b1"))
    parts = mp.parse(r)             # [Item, ChangeSet(items=[Item, ...]), ...]
    items = mp.flatten(parts)       # every Item in request order
"""
import json
import re


# RFC 7230 tchar: an unquoted token (the contract's "unquoted token boundary")
TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,70}$")
STATUS_LINE = re.compile(r"^HTTP/1\.1 ([1-5][0-9][0-9]) ([^\r\n]+)$")
HOP_BY_HOP = ("connection", "keep-alive", "proxy-connection", "te", "trailer", "trailers",
              "transfer-encoding", "upgrade")


class MultipartError(AssertionError):
    """The response breaks the framing CONTRACT §8 promises."""


# ------------------------------------------------------------------ building

class Part:
    """One request part: MIME headers (list of (name, value)) and raw content."""

    def __init__(self, headers, content):
        self.headers = list(headers)
        self.content = content


def _b(x):
    return x.encode("latin-1") if isinstance(x, str) else x


def http(method, target, headers=(), body=b"", cid=None, version="HTTP/1.1",
         part_headers=None, eol="\r\n", content_length=False):
    """An application/http part holding one request. headers: list of
    (name, value) of the embedded request; content_length=True adds an exact
    Content-Length; part_headers replaces the default MIME headers
    (Content-Type: application/http, Content-Transfer-Encoding: binary and
    Content-ID when cid is given)."""
    hs = list(headers)
    if content_length:
        hs.append(("Content-Length", str(len(_b(body)))))
    head = "%s %s %s%s" % (method, target, version, eol)
    head += "".join("%s: %s%s" % (k, v, eol) for k, v in hs)
    content = _b(head) + _b(eol) + _b(body)
    if part_headers is None:
        part_headers = [("Content-Type", "application/http"),
                        ("Content-Transfer-Encoding", "binary")]
        if cid is not None:
            part_headers.append(("Content-ID", cid))
    return Part(part_headers, content)


def changeset(parts, boundary, eol="\r\n", extra_headers=()):
    """A nested multipart/mixed part (an OData change set)."""
    return Part([("Content-Type", "multipart/mixed; boundary=%s" % boundary)]
                + list(extra_headers), _b(build(parts, boundary, eol=eol)))


def build(parts, boundary, eol="\r\n", preamble=b"", epilogue=b"", close=True):
    """The multipart body: preamble, `--B` + part per part, `--B--`, epilogue."""
    e = _b(eol)
    out = _b(preamble)
    for p in parts:
        out += b"--" + _b(boundary) + e
        out += b"".join(_b("%s: %s" % (k, v)) + e for k, v in p.headers)
        out += e + p.content + e
    if close:
        out += b"--" + _b(boundary) + b"--" + e
    return out + _b(epilogue)


def ctype(boundary, quoted=False):
    return 'multipart/mixed; boundary=%s' % ('"%s"' % boundary if quoted else boundary)


# ------------------------------------------------------------------- parsing

class Item:
    """One embedded response, with its part's MIME headers."""

    def __init__(self, part_headers, status, reason, headers, body):
        self.part_headers = part_headers      # list of (name, value), as sent
        self.status = status
        self.reason = reason
        self.headers = headers                # list of (name, value), as sent
        self.body = body                      # bytes

    @property
    def content_id(self):
        return _get(self.part_headers, "Content-ID")

    def header(self, name):
        return _get(self.headers, name)

    def json(self):
        return json.loads(self.body)

    def error(self):
        """The {"error": {code, message}} of a module-made answer (checked)."""
        ct = self.header("Content-Type") or ""
        if not ct.startswith("application/json"):
            raise MultipartError("error body is not application/json: %r" % self)
        doc = self.json()
        err = doc.get("error") if isinstance(doc, dict) else None
        if not (isinstance(err, dict) and isinstance(err.get("code"), str)
                and isinstance(err.get("message"), str) and err["message"]):
            raise MultipartError("not the §6 error shape: %r" % self.body[:300])
        return err

    def __repr__(self):
        return "<Item %s %s cid=%r %d bytes>" % (self.status, self.reason, self.content_id,
                                                 len(self.body))


class ChangeSet:
    def __init__(self, part_headers, boundary, items):
        self.part_headers = part_headers
        self.boundary = boundary
        self.items = items

    def __repr__(self):
        return "<ChangeSet %s %r>" % (self.boundary, self.items)


def _get(headers, name):
    vals = [v for k, v in headers if k.lower() == name.lower()]
    if len(vals) > 1:
        raise MultipartError("header %s repeated: %r" % (name, headers))
    return vals[0] if vals else None


def _fail(msg, *args):
    raise MultipartError(msg % args if args else msg)


def boundary_of(content_type):
    """T of `multipart/mixed; boundary=T` (exact form, T an unquoted token)."""
    m = re.match(r"^multipart/mixed; boundary=(.*)$", content_type or "")
    if not m:
        _fail("Content-Type is not exactly 'multipart/mixed; boundary=T': %r", content_type)
    t = m.group(1)
    if not TOKEN.match(t):
        _fail("boundary %r is not an unquoted token", t)
    return t


def _head_lines(block, what):
    """CRLF-terminated lines of a header block (bytes without the blank line)."""
    text = block.decode("latin-1")
    if not text:
        return []
    if not text.endswith("\r\n"):
        _fail("%s does not end in CRLF: %r", what, text[-40:])
    lines = text[:-2].split("\r\n")
    for ln in lines:
        if "\n" in ln or "\r" in ln:
            _fail("%s has a bare CR or LF: %r", what, ln)
    return lines


def _headers(lines, what):
    out = []
    for ln in lines:
        name, sep, value = ln.partition(":")
        if not sep or not name or name != name.strip() or not re.match(r"^[!-9;-~]+$", name):
            _fail("%s: bad header line %r", what, ln)
        if not value.startswith(" ") or value != " " + value.strip():
            _fail("%s: header %r not written as 'Name: value'", what, ln)
        out.append((name, value.strip()))
    return out


def _split(body, t):
    """The contents of the parts of a multipart body with boundary t (strict)."""
    first = b"--" + t + b"\r\n"
    if not body.startswith(first):
        _fail("body does not start with the delimiter --%s CRLF: %r", t.decode(), body[:80])
    end = body.find(b"\r\n--" + t + b"--")
    if end < 0:
        _fail("no close delimiter --%s--", t.decode())
    tail = body[end + len(t) + 6:]
    if tail not in (b"", b"\r\n"):
        _fail("bytes after the close delimiter: %r", tail[:80])
    contents = body[len(first):end].split(b"\r\n--" + t + b"\r\n")
    for c in contents:
        if t in c:
            _fail("the boundary %s occurs inside a part", t.decode())
    return contents


def _part(content, what):
    head, sep, rest = content.partition(b"\r\n\r\n")
    if not sep:
        _fail("%s: no blank line after the part headers", what)
    hs = _headers(_head_lines(head + b"\r\n", what + " headers"), what)
    return hs, rest


def _item(hs, content, what):
    if [v for k, v in hs if k == "Content-Type"] != ["application/http"]:
        _fail("%s: Content-Type is not exactly 'application/http': %r", what, hs)
    if [v for k, v in hs if k.lower() == "content-transfer-encoding"] != ["binary"]:
        _fail("%s: Content-Transfer-Encoding is not 'binary': %r", what, hs)
    for k, _ in hs:
        if k.lower() not in ("content-type", "content-transfer-encoding", "content-id"):
            _fail("%s: unexpected part header %s", what, k)
    head, sep, body = content.partition(b"\r\n\r\n")
    if not sep:
        _fail("%s: embedded response has no blank line after its head", what)
    lines = _head_lines(head + b"\r\n", what + " response head")
    m = STATUS_LINE.match(lines[0])
    if not m:
        _fail("%s: bad status line %r", what, lines[0])
    headers = _headers(lines[1:], what + " response")
    for k, _ in headers:
        if k.lower() in HOP_BY_HOP:
            _fail("%s: hop-by-hop header %s in the embedded response", what, k)
    cl = _get(headers, "Content-Length")
    if cl is not None and (not cl.isdigit() or int(cl) != len(body)):
        _fail("%s: Content-Length %s but %d body bytes", what, cl, len(body))
    if body and cl is None:
        _fail("%s: a %d-byte body without Content-Length", what, len(body))
    return Item(hs, int(m.group(1)), m.group(2), headers, body)


def parse_body(content_type, body, nested=False):
    """The parts of a multipart response body: Items and ChangeSets."""
    t = boundary_of(content_type)
    out = []
    for n, content in enumerate(_split(body, t.encode("latin-1")), 1):
        what = "part %d%s" % (n, " of change set %s" % t if nested else "")
        hs, rest = _part(content, what)
        ct = _get(hs, "Content-Type") or ""
        if ct.startswith("multipart/"):
            if nested:
                _fail("%s: a change set inside a change set", what)
            out.append(ChangeSet(hs, boundary_of(ct), parse_body(ct, rest, nested=True)))
        else:
            out.append(_item(hs, rest, what))
    return out


def parse(resp):
    """Check a requests.Response (200, no-store, strict body); its parts."""
    if resp.status_code != 200:
        _fail("batch status %d: %r", resp.status_code, resp.content[:500])
    if resp.headers.get("Cache-Control") != "no-store":
        _fail("Cache-Control is %r, not no-store", resp.headers.get("Cache-Control"))
    return parse_body(resp.headers.get("Content-Type"), resp.content)


def flatten(parts):
    out = []
    for p in parts:
        out.extend(p.items if isinstance(p, ChangeSet) else [p])
    return out
