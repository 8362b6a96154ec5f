"""CONTRACT §5 (bodies, both directions) and §4 (item conditionals), with the
DESIGN traps that apply to bodies: 5 (kept_body for mod_proxy), 6
(read_length for mod_lua), 7 (inherited KeptBodySize), 13 (HEAD body) and 14
(no 304 in subrequests).

Request bodies are checked where they land: the Python backend records every
request (pyb.requests: raw body bytes and headers), the CGI and lua echoes
answer with what they read. Each pyb request carries a unique marker in its
query so a test finds exactly its own request."""
import base64
import json
import os
import re
import time
from email.utils import formatdate

import pytest

from harness.helpers import hget, marker, pyb_request
from harness.client import item
from harness.conf import BatchConf

HOP_BY_HOP = ("connection", "keep-alive", "proxy-connection", "te", "trailer", "trailers",
              "transfer-encoding", "upgrade")
B64_STD = re.compile(r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$")
# bytes whose base64 uses '+' and '/' (and '-' / '_' in the URL-safe alphabet)
BIN = bytes([0xfb, 0xff, 0xbf, 0x00, 0x3e, 0x3f, 0xfe, 0x0d, 0x0a, 0x80]) + bytes(range(256))
UTF8_TEXT = "h\u00e9llo w\u00f6rld \u20ac \U0001f600\nline 2\r\n"


def ctype_norm(v):
    return (v or "").replace(" ", "").lower()


def echo_body(j):
    """Bytes of a CGI/pyb echo body (text or base64)."""
    if j.get("body_base64"):
        return base64.b64decode(j["body"])
    return j["body"].encode("utf-8")


def one(client, it, **kw):
    resps = client.batch_ok([it], **kw)
    assert len(resps) == 1 and resps[0]["id"] == it["id"], resps
    return resps[0]


def assert_bad_request(client, env, items):
    n = env.pyb.count()
    r = client.post_batch(items)
    assert r.status_code == 400, (r.status_code, r.text[:500])
    assert r.json()["error"]["code"] == "BadRequest", r.text[:500]
    assert env.pyb.count() == n, "an item ran before the batch was refused"
    return r.json()["error"]["message"]


class TestBodiesRequest:
    """Item request bodies reach every kind of handler."""

    @pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
    def test_batch_400_01(self, client, method):
        # CONTRACT §5 / DESIGN §2: POST/PUT/PATCH bodies reach a CGI (mod_cgid) with exact bytes, CL, CT
        body = "name=" + UTF8_TEXT
        r = one(client, item("c", "/cgi/echo.py?m=1", method, body=body,
                             headers={"Content-Type": "text/plain; charset=utf-8"}))
        assert r["status"] == 200, r
        j = r["body"]
        assert j["method"] == method
        assert echo_body(j) == body.encode("utf-8")
        assert j["content_length"] == str(len(body.encode("utf-8")))
        assert ctype_norm(j["content_type"]) == "text/plain;charset=utf-8"

    @pytest.mark.parametrize("method", ["POST", "PUT"])
    def test_batch_400_02(self, client, method):
        # DESIGN trap 6: mod_lua r:requestbody() sees the item body (read_length reset), POST and PUT
        doc = {"a": [1, 2, {"b": "\u00e9"}], "n": None}
        r = one(client, item("l", "/lua/echo.lua", method, body=doc))
        assert r["status"] == 200, r
        j = r["body"]
        assert j["method"] == method and j["is_initial_req"] is False
        assert j["body"] != "", "mod_lua read an empty body (read_length inherited?)"
        assert json.loads(j["body"]) == doc
        assert hget(j["headers"], "Content-Length") == str(len(j["body"].encode("utf-8")))
        assert ctype_norm(j["content_type"]) == "application/json"

    def test_batch_400_03(self, client):
        # DESIGN §2 / trap 18: mod_lua's r:requestbody ignores PATCH, but the item still
        # carries its Content-Type/Content-Length and the method
        r = one(client, item("l", "/lua/echo.lua", "PATCH", body="patched",
                             headers={"Content-Type": "text/plain"}))
        assert r["status"] == 200, r
        j = r["body"]
        assert j["method"] == "PATCH"
        assert hget(j["headers"], "Content-Length") == "7"
        assert ctype_norm(j["content_type"]) == "text/plain"

    @pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
    @pytest.mark.parametrize("url", ["/api/cgi/echo.py", "/api/lua/echo.lua"])
    def test_batch_400_04(self, client, method, url):
        # DESIGN trap 5: a body survives mod_proxy (kept_body) to the backend vhost's CGI / lua
        if url.endswith(".lua") and method == "PATCH":
            pytest.skip("mod_lua's r:requestbody() ignores PATCH (DESIGN §2)")
        body = "proxied " + UTF8_TEXT
        r = one(client, item("p", url, method, body=body,
                             headers={"Content-Type": "text/plain; charset=utf-8"}))
        assert r["status"] == 200, r
        j = r["body"]
        assert j["method"] == method
        raw = body.encode("utf-8")
        if url.endswith(".py"):
            assert echo_body(j) == raw
            assert j["content_length"] == str(len(raw))
        else:
            assert j["body"].encode("utf-8") == raw
            assert hget(j["headers"], "Content-Length") == str(len(raw))
        assert ctype_norm(j["content_type"]) == "text/plain;charset=utf-8"

    @pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
    def test_batch_400_05(self, client, pyb, method):
        # DESIGN trap 5: a body reaches the Python backend through mod_proxy_http, exact bytes, CL, CT
        m = marker()
        body = {"m": m, "text": UTF8_TEXT, "list": list(range(50))}
        r = one(client, item("p", "/pyb/echo?mark=" + m, method, body=body,
                             headers={"Content-Type": "application/json"}))
        assert r["status"] == 200, r
        got = pyb_request(pyb, m)
        assert got["method"] == method
        assert json.loads(got["body"]) == body
        assert hget(got["headers"], "Content-Length") == str(len(got["body"]))
        assert hget(got["headers"], "Transfer-Encoding") is None
        assert ctype_norm(hget(got["headers"], "Content-Type")) == "application/json"

    def test_batch_400_06(self, client, pyb):
        # DESIGN trap 5: a 200 KB body arrives whole at the backend with the exact Content-Length
        m = marker()
        data = os.urandom(200 * 1024)
        r = one(client, item("p", "/pyb/echo?mark=" + m, "POST",
                             body=base64.b64encode(data).decode(),
                             headers={"Content-Type": "application/octet-stream"}))
        assert r["status"] == 200, r
        got = pyb_request(pyb, m)
        assert got["body"] == data
        assert hget(got["headers"], "Content-Length") == str(len(data))

    def test_batch_400_07(self, client, pyb):
        # CONTRACT §5: no Content-Type + string body -> text/plain; charset=utf-8, UTF-8 bytes
        m = marker()
        r = one(client, item("p", "/pyb/echo?mark=" + m, "POST", body=UTF8_TEXT))
        assert r["status"] == 200, r
        got = pyb_request(pyb, m)
        assert got["body"] == UTF8_TEXT.encode("utf-8")
        assert ctype_norm(hget(got["headers"], "Content-Type")) == "text/plain;charset=utf-8"
        assert hget(got["headers"], "Content-Length") == str(len(UTF8_TEXT.encode("utf-8")))

    @pytest.mark.parametrize("value", [{"a": 1, "b": [True, None]}, [1, "two", 3.5], 42, 2.5,
                                       True, False, None, {}, []],
                             ids=["object", "array", "int", "float", "true", "false", "null",
                                  "empty-object", "empty-array"])
    def test_batch_400_08(self, client, pyb, value):
        # CONTRACT §5: no Content-Type + non-string body -> application/json, serialized
        m = marker()
        r = one(client, item("p", "/pyb/echo?mark=" + m, "POST", body=value))
        assert r["status"] == 200, r
        got = pyb_request(pyb, m)
        assert ctype_norm(hget(got["headers"], "Content-Type")) == "application/json"
        assert json.loads(got["body"]) == value
        assert type(json.loads(got["body"])) is type(value)
        assert hget(got["headers"], "Content-Length") == str(len(got["body"]))

    @pytest.mark.parametrize("ctype", ["application/json", "application/json; charset=utf-8",
                                       "application/vnd.x+json", "application/problem+json"])
    @pytest.mark.parametrize("value", [{"k": ["v", 1]}, "a string", 7, None],
                             ids=["object", "string", "number", "null"])
    def test_batch_400_09(self, client, pyb, ctype, value):
        # CONTRACT §5: JSON media type -> the value serialized as JSON (a string becomes "...")
        m = marker()
        r = one(client, item("p", "/pyb/echo?mark=" + m, "PUT", body=value,
                             headers={"Content-Type": ctype}))
        assert r["status"] == 200, r
        got = pyb_request(pyb, m)
        assert hget(got["headers"], "Content-Type") == ctype
        assert json.loads(got["body"]) == value
        if isinstance(value, str):
            assert got["body"].strip().startswith(b'"'), got["body"]

    @pytest.mark.parametrize("ctype,text", [
        ("text/csv", "a,b,c\r\n1,2,\u00e9\r\n"),
        ("text/plain; charset=utf-8", UTF8_TEXT),
        ("application/xml", '<?xml version="1.0"?><a b="\u00e9">{"not":"json"}</a>'),
        ("application/atom+xml", "<feed/>"),
        ("application/x-www-form-urlencoded", "a=1&b=%C3%A9+x&c="),
        ("application/javascript", "var x = {\"a\": 1};"),
        ("text/html", "[1, 2]"),
    ])
    def test_batch_400_10(self, client, pyb, ctype, text):
        # CONTRACT §5: text media type -> the string's UTF-8 bytes, as is (no JSON quoting)
        m = marker()
        r = one(client, item("p", "/pyb/echo?mark=" + m, "POST", body=text,
                             headers={"Content-Type": ctype}))
        assert r["status"] == 200, r
        got = pyb_request(pyb, m)
        assert got["body"] == text.encode("utf-8")
        assert hget(got["headers"], "Content-Type") == ctype
        assert hget(got["headers"], "Content-Length") == str(len(text.encode("utf-8")))

    @pytest.mark.parametrize("ctype", ["text/csv", "application/xml",
                                       "application/x-www-form-urlencoded"])
    @pytest.mark.parametrize("value", [{"a": 1}, [1], 3, True, None],
                             ids=["object", "array", "number", "bool", "null"])
    def test_batch_400_11(self, client, env, ctype, value):
        # CONTRACT §3/§5: a text media type with a non-string body -> batch 400, nothing run
        assert_bad_request(client, env, [
            item("probe", "/pyb/hit?probe", "POST", body="x"),
            item("bad", "/pyb/echo", "POST", body=value, headers={"Content-Type": ctype})])

    @pytest.mark.parametrize("variant", ["std-padded", "std-unpadded", "url-padded",
                                         "url-unpadded"])
    @pytest.mark.parametrize("ctype", ["application/octet-stream", "image/png"])
    def test_batch_400_12(self, client, pyb, variant, ctype):
        # CONTRACT §5: binary media type -> base64 (standard/URL-safe, padding optional) decoded
        for n in (len(BIN), len(BIN) - 1, len(BIN) - 2):   # all three padding lengths
            data = BIN[:n]
            enc = (base64.urlsafe_b64encode(data) if variant.startswith("url")
                   else base64.b64encode(data)).decode()
            if variant.endswith("unpadded"):
                enc = enc.rstrip("=")
            m = marker()
            r = one(client, item("p", "/pyb/echo?mark=" + m, "POST", body=enc,
                                 headers={"Content-Type": ctype}))
            assert r["status"] == 200, r
            got = pyb_request(pyb, m)
            assert got["body"] == data, (variant, n)
            assert hget(got["headers"], "Content-Length") == str(n)
            assert hget(got["headers"], "Content-Type") == ctype
            assert r["body"]["body_base64"] is True

    def test_batch_400_13(self, client):
        # CONTRACT §5: binary bodies reach a CGI exactly too (NUL, CR, LF, high bytes)
        r = one(client, item("c", "/cgi/echo.py", "POST", body=base64.b64encode(BIN).decode(),
                             headers={"Content-Type": "application/octet-stream"}))
        assert r["status"] == 200, r
        assert echo_body(r["body"]) == BIN
        assert r["body"]["content_length"] == str(len(BIN))

    @pytest.mark.parametrize("bad", ["not base64!", "QUJD$A==", "Q", "QUJDR", "QQ=x",
                                     "QU=JD", 12, {"a": 1}, ["QQ=="], True, None],
                             ids=["punct", "dollar", "one-char", "len5", "pad-then-data",
                                  "inner-pad", "number", "object", "array", "bool", "null"])
    def test_batch_400_14(self, client, env, bad):
        # CONTRACT §3/§5: a binary body that is not a valid base64 string -> batch 400, nothing run
        assert_bad_request(client, env, [
            item("probe", "/pyb/hit?probe", "POST", body="x"),
            item("bad", "/pyb/echo", "POST", body=bad,
                 headers={"Content-Type": "application/octet-stream"})])

    def test_batch_400_15(self, client, pyb):
        # DESIGN §2 extra finding: a GET item sends no body, and the proxied backend is not
        # forced to Connection: close (every item has a kept_body)
        m = marker()
        r = one(client, item("g", "/pyb/echo?mark=" + m))
        assert r["status"] == 200, r
        got = pyb_request(pyb, m)
        assert got["method"] == "GET"
        assert got["body"] == b""
        assert hget(got["headers"], "Content-Length") in (None, "0")
        assert hget(got["headers"], "Transfer-Encoding") is None
        assert (hget(got["headers"], "Connection") or "").lower() != "close", got["headers"]

    @pytest.mark.parametrize("method", ["GET", "DELETE", "HEAD"])
    def test_batch_400_16(self, client, method):
        # DESIGN §2: a bodyless item never reads the batch body: the CGI gets an empty stdin
        r = one(client, item("c", "/cgi/echo.py", method))
        assert r["status"] == 200, r
        if method == "HEAD":
            assert "body" not in r
            return
        assert r["body"]["body"] == "", r["body"]
        assert r["body"]["content_length"] in (None, "", "0")
        assert r["body"]["content_type"] in (None, "")

    def test_batch_400_17(self, client, pyb):
        # CONTRACT §4/§5: the batch's own Content-Type/Content-Length never reach an item
        m = marker()
        resps = client.batch_ok([item("g", "/pyb/echo?mark=" + m),
                                 item("c", "/cgi/echo.py"),
                                 item("p", "/cgi/echo.py", "POST", body="abc")])
        got = pyb_request(pyb, m)
        assert hget(got["headers"], "Content-Type") is None
        assert resps[1]["body"]["content_type"] in (None, "")
        assert resps[2]["body"]["content_length"] == "3"
        assert resps[2]["body"]["body"] == "abc"

    def test_batch_400_18(self, client, pyb):
        # CONTRACT §5: consecutive items each get their own body (no bleed between items)
        m = marker()
        items = [item(str(i), "/pyb/echo?mark=%s-%d" % (m, i), "POST", body="body-%d" % i * i)
                 for i in range(1, 6)]
        items.insert(2, item("get", "/pyb/echo?mark=%s-get" % m))
        client.batch_ok(items)
        for i in range(1, 6):
            assert pyb_request(pyb, "%s-%d" % (m, i))["body"] == ("body-%d" % i * i).encode()
        assert pyb_request(pyb, m + "-get")["body"] == b""


class TestBodiesKeptBody:
    """DESIGN trap 7: KeptBodySize 1048576 (1M) on the batch location (mod_request)."""

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        BatchConf(env).add_batch("/batch", ["KeptBodySize 1048576"]).install()

    def test_batch_400_19(self, client, env):
        # DESIGN trap 7: with KeptBodySize on /batch a GET item to CGI gets an EMPTY body
        assert "request_module" in env.loaded_modules()
        r = one(client, item("c", "/cgi/echo.py?kept=1"))
        assert r["status"] == 200, r
        j = r["body"]
        assert j["body"] == "", "the batch JSON leaked into the item: %r" % j["body"][:200]
        assert "requests" not in j["body"]
        assert j["content_length"] in (None, "", "0")

    def test_batch_400_20(self, client, pyb):
        # DESIGN trap 7: with KeptBodySize, a proxied GET gets no body and a POST only its own
        m = marker()
        resps = client.batch_ok([item("g", "/pyb/echo?mark=%s-g" % m),
                                 item("p", "/pyb/echo?mark=%s-p" % m, "POST", body="mine"),
                                 item("c", "/cgi/echo.py", "POST", body="cgi-own"),
                                 item("l", "/lua/echo.lua", "POST", body="lua-own")])
        assert [x["status"] for x in resps] == [200] * 4, resps
        assert pyb_request(pyb, m + "-g")["body"] == b""
        got = pyb_request(pyb, m + "-p")
        assert got["body"] == b"mine"
        assert hget(got["headers"], "Content-Length") == "4"
        assert resps[2]["body"]["body"] == "cgi-own"
        assert resps[3]["body"]["body"] == "lua-own"


class TestBodiesResponse:
    """CONTRACT §5/§6: item response bodies and headers in the batch JSON."""

    @pytest.fixture(autouse=True, scope="class")
    def _cgi(self, env):
        # a CGI with lower-case header names and hop-by-hop headers of its own
        path = env.path("cgi", "hop400.py")
        with open(path, "w") as f:
            f.write("#!/usr/bin/python3\n"
                    "import sys\n"
                    "o = sys.stdout.buffer\n"
                    "o.write(b'content-type: text/plain; charset=utf-8\\r\\n')\n"
                    "o.write(b'Connection: close\\r\\n')\n"
                    "o.write(b'Keep-Alive: timeout=1\\r\\n')\n"
                    "o.write(b'Upgrade: h2c\\r\\n')\n"
                    "o.write(b'Trailer: X-T\\r\\n')\n"
                    "o.write(b'Proxy-Connection: keep-alive\\r\\n')\n"
                    "o.write(b'TE: trailers\\r\\n')\n"
                    "o.write(b'Content-Length: 5\\r\\n')\n"
                    "o.write(b'x-lower: kept\\r\\n\\r\\n')\n"
                    "o.write(b'hello')\n")
        os.chmod(path, 0o755)
        yield
        os.unlink(path)

    def test_batch_400_30(self, client):
        # CONTRACT §5: JSON media type -> the parsed value inline
        r = one(client, item("1", "/static/small.json"))
        assert r["status"] == 200
        assert r["body"] == {"hello": "world"}
        assert r["headers"]["Content-Type"].split(";")[0] == "application/json"

    @pytest.mark.parametrize("ctype", ["application/problem+json", "application/vnd.x+json",
                                       "application/json; charset=utf-8"])
    def test_batch_400_31(self, client, ctype):
        # CONTRACT §5: +json media types are parsed too (a number, an object)
        for text, want in (('{"a":[1,2,{"b":null}]}', {"a": [1, 2, {"b": None}]}),
                           ("3.5", 3.5), ('"s"', "s"), ("[]", [])):
            r = one(client, item("j", "/cgi/status.py?" + _qs(code="200", body=text, type=ctype)))
            assert r["status"] == 200, r
            assert r["headers"]["Content-Type"] == ctype
            assert r["body"] == want and type(r["body"]) is type(want), (text, r["body"])

    @pytest.mark.parametrize("text", ["not json {", '{"a":1', "", "{} trailing"],
                             ids=["garbage", "truncated", "empty", "trailing"])
    def test_batch_400_32(self, client, text):
        # CONTRACT §5: a JSON media type whose body does not parse -> a string
        r = one(client, item("j", "/cgi/status.py?" + _qs(code="200", body=text,
                                                          type="application/json")))
        assert r["status"] == 200, r
        if text == "":
            # an empty body: no value to parse; either no body key or the empty string
            assert r.get("body", "") == ""
            return
        assert r["body"] == text

    def test_batch_400_33(self, client, pyb):
        # CONTRACT §5: a proxied application/json body that does not parse -> a string
        r = one(client, item("j", "/pyb/bytes?bytes=100&type=application/json"))
        assert r["status"] == 200
        assert isinstance(r["body"], str) and len(r["body"]) == 100

    def test_batch_400_34(self, client):
        # CONTRACT §5: text -> a string
        r = one(client, item("t", "/static/a.txt"))
        assert r["status"] == 200
        assert r["body"] == "hello from a.txt\n"
        assert r["headers"]["Content-Type"].startswith("text/plain")

    def test_batch_400_35(self, client, env):
        # CONTRACT §5: text that is not valid UTF-8 -> a base64 string of the exact bytes
        with open(env.path("htdocs", "static", "latin1.txt"), "rb") as f:
            raw = f.read()
        r = one(client, item("t", "/static/latin1.txt"))
        assert r["status"] == 200
        assert isinstance(r["body"], str)
        assert base64.b64decode(r["body"], validate=True) == raw

    def test_batch_400_36(self, client):
        # CONTRACT §5: binary -> standard base64 with padding, decoding to the exact bytes
        r = one(client, item("b", "/static/data.bin"))
        assert r["status"] == 200
        b = r["body"]
        assert isinstance(b, str) and B64_STD.match(b), b[:80]
        assert len(b) % 4 == 0 and b.endswith("==")        # 1024 bytes: two pad characters
        assert base64.b64decode(b, validate=True) == bytes(range(256)) * 4

    @pytest.mark.parametrize("n", [1, 2, 3, 1000, 4097])
    def test_batch_400_37(self, client, n):
        # CONTRACT §5: binary from a proxied backend -> padded standard base64, exact length
        r = one(client, item("b", "/pyb/bytes?bytes=%d&type=application/octet-stream" % n))
        assert r["status"] == 200
        assert B64_STD.match(r["body"]) and len(r["body"]) % 4 == 0
        assert base64.b64decode(r["body"]) == (b"x" * 63 + b"\n") * (n // 64) + b"y" * (n % 64)

    def test_batch_400_38(self, client):
        # CONTRACT §5: binary bytes that need '+' and '/' come back in the standard alphabet
        r = one(client, item("s", "/static/data.bin"))
        assert "+" in r["body"] and "/" in r["body"]
        assert "-" not in r["body"] and "_" not in r["body"]

    def test_batch_400_39(self, client):
        # CONTRACT §6: Content-Type under the exact key, no Content-Length, no hop-by-hop
        resps = client.batch_ok([item("s", "/static/a.txt"), item("c", "/cgi/hop400.py"),
                                 item("p", "/pyb/chunked?bytes=100"), item("e", "/pyb/echo")])
        for r in resps:
            assert r["status"] == 200, r
            keys = list(r["headers"])
            assert "Content-Type" in keys, (r["id"], keys)
            assert [k for k in keys if k.lower() == "content-type"] == ["Content-Type"], keys
            assert not [k for k in keys if k.lower() == "content-length"], (r["id"], keys)
            bad = [k for k in keys if k.lower() in HOP_BY_HOP]
            assert not bad, (r["id"], bad)
        c = resps[1]
        assert c["headers"]["Content-Type"] == "text/plain; charset=utf-8"
        assert c["body"] == "hello"
        assert hget(c["headers"], "x-lower") == "kept"
        assert len(resps[2]["body"]) == 100

    def test_batch_400_40(self, client):
        # CONTRACT §6: repeated headers are joined with ", " (pyb sends Set-Cookie twice)
        r = one(client, item("c", "/pyb/cookies"))
        assert r["status"] == 200
        cookie_keys = [k for k in r["headers"] if k.lower() == "set-cookie"]
        assert len(cookie_keys) == 1, r["headers"]
        assert r["headers"][cookie_keys[0]] == "a=1; Path=/, b=2; Path=/"

    @pytest.mark.parametrize("url", ["/static/a.txt", "/static/data.bin", "/static/small.json",
                                     "/pyb/echo", "/cgi/echo.py", "/static/nope.txt",
                                     "/pyb/status?status=500", "/denied/a.txt"])
    def test_batch_400_41(self, client, env, url):
        # CONTRACT §5 / DESIGN trap 13: no body key for a HEAD item, whatever its status
        env.expect_log(["AH01630"])
        r = one(client, item("h", url, "HEAD"))
        assert "body" not in r, r

    @pytest.mark.parametrize("url,status", [("/pyb/status?status=204", 204),
                                            ("/pyb/status?status=304", 304),
                                            ("/cgi/status.py?code=204", 204),
                                            ("/cgi/status.py?code=204&body=ignored", 204)])
    def test_batch_400_42(self, client, url, status):
        # CONTRACT §5: no body key for 204 and 304 item responses
        r = one(client, item("n", url))
        assert r["status"] == status, r
        assert "body" not in r, r

    @pytest.mark.parametrize("url,status,code,message", [
        ("/static/nope.txt", 404, "NotFound", "404 Not Found"),
        ("/denied/a.txt", 403, "Forbidden", "403 Forbidden"),
        # a CGI "Status: N" without a reason phrase: the status line a direct client gets
        ("/cgi/status.py?code=404", 404, "NotFound", "404 Not Found"),
        ("/cgi/status.py?code=500", 500, "InternalServerError", "500 Internal Server Error"),
    ])
    def test_batch_400_43(self, client, env, url, status, code, message):
        # CONTRACT §6: a bodiless error gets {"error":{"code","message"}} from its status line
        env.expect_log(["AH01630"])
        r = one(client, item("e", url))
        assert r["status"] == status, r
        assert r["body"] == {"error": {"code": code, "message": message}}, r["body"]
        assert r["headers"]["Content-Type"].split(";")[0] == "application/json"

    def test_batch_400_44(self, client):
        # CONTRACT §6: an error item with a body of its own keeps it (CGI Status: 418, pyb 500)
        resps = client.batch_ok([item("t", "/cgi/status.py?code=418&body=tea"),
                                 item("p", "/pyb/status?status=500"),
                                 item("n", "/products/99")])
        assert resps[0]["status"] == 418 and resps[0]["body"] == "tea"
        assert resps[0]["headers"]["Content-Type"].startswith("text/plain")
        assert resps[1]["status"] == 500 and resps[1]["body"] == "status 500\n"
        assert resps[2]["status"] == 404
        assert resps[2]["body"]["error"]["code"] == "NotFound"   # the API's own JSON

    def test_batch_400_45(self, client):
        # CONTRACT §5: a 1 MiB static text body arrives whole and exact
        r = one(client, item("big", "/static/100k.txt"))
        assert r["status"] == 200
        line = (b"abcdefghijklmnopqrstuvwxyz0123456789" * 2)[:63] + b"\n"
        assert r["body"].encode() == (line * 1600)[:100 * 1024]


def _qs(**kw):
    from urllib.parse import urlencode
    return urlencode(kw)


class TestBodiesConditional:
    """CONTRACT §4: an item's own conditional headers; DESIGN trap 14 / 23."""

    def etag(self, client):
        r = one(client, item("e", "/static/etag.txt"))
        assert r["status"] == 200 and r["headers"].get("ETag"), r
        return r["headers"]["ETag"]

    def test_batch_400_50(self, client):
        # CONTRACT §4 / DESIGN trap 14: item If-None-Match with the current ETag -> 304, no body
        et = self.etag(client)
        r = one(client, item("c", "/static/etag.txt", headers={"If-None-Match": et}))
        assert r["status"] == 304, r
        assert "body" not in r
        r = one(client, item("c", "/static/etag.txt", headers={"If-None-Match": '"other"'}))
        assert r["status"] == 200 and r["body"].startswith("etag fixture")

    def test_batch_400_51(self, client):
        # CONTRACT §4: item If-Match that does not match -> 412; a matching one -> 200
        r = one(client, item("c", "/static/etag.txt", headers={"If-Match": '"nope"'}))
        assert r["status"] == 412, r
        assert r["body"]["error"]["message"].startswith("412")
        r = one(client, item("c", "/static/etag.txt", headers={"If-Match": self.etag(client)}))
        assert r["status"] == 200, r

    def test_batch_400_52(self, client):
        # CONTRACT §4: If-Modified-Since at/after the mtime -> 304; before it -> 200
        now = formatdate(time.time(), usegmt=True)
        r = one(client, item("c", "/static/etag.txt", headers={"If-Modified-Since": now}))
        assert r["status"] == 304, r
        assert "body" not in r
        old = formatdate(86400 * 365, usegmt=True)
        r = one(client, item("c", "/static/etag.txt", headers={"If-Modified-Since": old}))
        assert r["status"] == 200, r

    def test_batch_400_53(self, client):
        # CONTRACT §4: If-Modified-Since in the future: the item answers as a direct request does
        # (httpd ignores an IMS date later than the request time, RFC 9110 13.1.3)
        fut = formatdate(time.time() + 86400, usegmt=True)
        direct = client.get("/static/etag.txt", headers={"If-Modified-Since": fut,
                                                         "Accept-Encoding": "identity"})
        r = one(client, item("c", "/static/etag.txt", headers={"If-Modified-Since": fut}))
        assert r["status"] == direct.status_code, (r, direct.status_code)
        assert ("body" in r) == (direct.status_code == 200)

    def test_batch_400_54(self, client):
        # CONTRACT §4: If-Unmodified-Since before the mtime -> 412
        old = formatdate(86400 * 365, usegmt=True)
        r = one(client, item("c", "/static/etag.txt", headers={"If-Unmodified-Since": old}))
        assert r["status"] == 412, r

    @pytest.mark.parametrize("hdr", ["If-None-Match", "If-Match", "If-Modified-Since",
                                     "If-Unmodified-Since"])
    def test_batch_400_55(self, client, hdr):
        # CONTRACT §4: the batch request's own conditional headers are NOT inherited
        et = self.etag(client)
        val = et if hdr.endswith("Match") else formatdate(time.time(), usegmt=True)
        if hdr in ("If-Match", "If-Unmodified-Since"):
            val = '"nope"' if hdr == "If-Match" else formatdate(86400, usegmt=True)
        resps = client.batch_ok([item("c", "/static/etag.txt")], headers={hdr: val})
        assert resps[0]["status"] == 200, resps
        assert resps[0]["body"].startswith("etag fixture")

    @pytest.mark.parametrize("url", ["/pyb/echo", "/pyb/hit", "/api/products/1"])
    @pytest.mark.parametrize("method,hdr,val", [
        ("GET", "If-None-Match", '"x"'), ("PUT", "If-Match", '"x"'),
        ("GET", "If-Modified-Since", "Sat, 01 Jan 2000 00:00:00 GMT"),
        ("DELETE", "If-Unmodified-Since", "Sat, 01 Jan 2000 00:00:00 GMT")])
    def test_batch_400_56(self, client, pyb, url, method, hdr, val):
        # CONTRACT §4 / DESIGN trap 23: a conditional item to a proxied target -> 501
        # ConditionalNotForwarded, and the backend never saw it; the batch goes on
        n = pyb.count()
        resps = client.batch_ok([
            item("c", url, method, headers={hdr: val},
                 **({"body": "x"} if method == "PUT" else {})),
            item("next", "/static/small.json")])
        assert resps[0]["status"] == 501, resps[0]
        assert resps[0]["body"]["error"]["code"] == "ConditionalNotForwarded"
        assert resps[1]["status"] == 200 and resps[1]["body"] == {"hello": "world"}
        assert pyb.count() == n, "the backend saw the conditional item"

    def test_batch_400_57(self, client, pyb):
        # CONTRACT §4: the batch's own If-None-Match does not make a proxied item a 501
        n = pyb.count()
        resps = client.batch_ok([item("p", "/pyb/hit")], headers={"If-None-Match": '"x"'})
        assert resps[0]["status"] == 200, resps
        assert pyb.count() == n + 1
