"""CONTRACT §8 (multipart batches) and §9 (atomicity groups), through the
real server, written from the contract alone. Requests are built byte by
byte with tests/harness/multipart.py (CRLF or bare LF, quoted boundaries,
preamble, epilogue, change sets) and every answer goes through its STRICT
parser (CRLF framing, a token boundary found nowhere in the body, exact part
headers, `HTTP/1.1 NNN Reason`, exact Content-Length).

Side effects are observed on the Python backend (pyb.requests), so a test
proves that an item did not run; CGI echo (tests/cgi/echo.py) shows what an
item received: body bytes, headers, BATCH_ITEM_ID and BATCH_ATOMICITY_GROUP.
"""
import base64
import re
import time

import pytest

from harness import multipart as mp
from harness.client import item
from harness.conf import BatchConf
from harness.helpers import marker, pyb_request

B = "batch_1000_b"
BIN = bytes(range(256)) * 2 + b"\r\n--\r\n--not-it\r\n\r\n\n\r" + bytes(range(255, -1, -1))
DATA_BIN = bytes(range(256)) * 4          # htdocs/static/data.bin



# ------------------------------------------------------------------ helpers

def get(target, cid=None, headers=(), **kw):
    return mp.http("GET", target, headers=headers, cid=cid, **kw)


def post_part(target, body, ctype="application/octet-stream", cid=None, headers=(), **kw):
    return mp.http("POST", target, headers=[("Content-Type", ctype)] + list(headers),
                   body=body, cid=cid, **kw)


def send(client, parts, boundary=B, eol="\r\n", headers=None, path="/batch", quoted=False,
         preamble=b"", epilogue=b""):
    body = mp.build(parts, boundary, eol=eol, preamble=preamble, epilogue=epilogue)
    return client.post_batch(body=body, content_type=mp.ctype(boundary, quoted),
                             headers=headers, path=path)


def ok(client, parts, **kw):
    """POST, assert a strict 200 multipart answer; (top-level parts, response)."""
    r = send(client, parts, **kw)
    assert r.status_code == 200, (r.status_code, r.text[:1000])
    return mp.parse(r), r


def items(client, parts, **kw):
    return mp.flatten(ok(client, parts, **kw)[0])


def assert_err(it, status, code):
    assert it.status == status, it
    err = it.error()
    assert err["code"] == code, err
    assert it.header("Content-Type") == "application/json" or \
        it.header("Content-Type").startswith("application/json;"), it.headers
    return err


def echo(it):
    assert it.status == 200, (it, it.body[:300])
    return it.json()


def echo_bytes(j):
    return base64.b64decode(j["body"]) if j["body_base64"] else j["body"].encode("utf-8")


def pyb_paths_since(pyb, before):
    with pyb.lock:
        return [q["path"] for q in pyb.requests[before:]]


def names_part(msg, index):
    """The message names the part at 0-based index (as index or index + 1)."""
    return re.search(r"(?<![\d.])(%d|%d)(?![\d.])" % (index, index + 1), msg) is not None


def probes(m):
    return [mp.http("POST", "/pyb/hit?probe1=" + m, body=b"x"),
            get("/pyb/hit?probe2=" + m)]


def bad(client, env, parts=None, body=None, ctype=None, index=None, words=(), headers=None,
        status=400, code="BadRequest", path="/batch"):
    """The batch is refused (400 BadRequest, §6 JSON) before anything ran; the
    message names the part at index (0-based) and one of words."""
    n = env.pyb.count()
    if body is None:
        body = mp.build(parts, B)
    r = client.post_batch(body=body, content_type=ctype or mp.ctype(B), headers=headers,
                          path=path)
    assert r.status_code == status, (r.status_code, r.text[:1000])
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers
    err = r.json()["error"]
    assert err["code"] == code, err
    msg = err["message"]
    assert isinstance(msg, str) and msg
    if index is not None:
        assert names_part(msg, index), "message does not name part %d: %r" % (index + 1, msg)
    if words:
        assert any(w.lower() in msg.lower() for w in words), \
            "message names none of %s: %r" % (list(words), msg)
    assert env.pyb.count() == n, "an item ran before the batch was refused"
    return msg


# ------------------------------------------------------------ default config

class TestBodies:
    """Bodies are bytes both ways (no JSON, no base64): CONTRACT §8."""

    @pytest.mark.parametrize("eol", ["\r\n", "\n"])
    @pytest.mark.parametrize("with_cl", [False, True])
    def test_batch_1000_01(self, client, eol, with_cl):
        # CONTRACT §8: all 256 byte values reach a CGI exactly (CRLF or LF framing, with or
        # without Content-Length)
        parts = [post_part("/cgi/echo.py", BIN, eol=eol, content_length=with_cl),
                 mp.http("PUT", "/cgi/echo.py", body=b"\x00", eol=eol,
                         headers=[("Content-Type", "application/octet-stream")],
                         content_length=with_cl)]
        out = items(client, parts, eol=eol)
        j = echo(out[0])
        assert echo_bytes(j) == BIN
        assert j["content_length"] == str(len(BIN))
        assert j["content_type"] == "application/octet-stream"
        j = echo(out[1])
        assert j["method"] == "PUT" and echo_bytes(j) == b"\x00"

    @pytest.mark.parametrize("eol", ["\r\n", "\n"])
    def test_batch_1000_02(self, client, pyb, eol):
        # CONTRACT §8: all 256 byte values reach a proxied backend exactly, Content-Length exact
        m = marker()
        out = items(client, [post_part("/pyb/echo?" + m, BIN, eol=eol)], eol=eol)
        assert out[0].status == 200, out
        q = pyb_request(pyb, m)
        assert q["body"] == BIN
        assert q["headers"].get("Content-Length") == str(len(BIN))

    def test_batch_1000_03(self, client, env):
        # CONTRACT §8: response bodies are the exact bytes: all 256 byte values, CGI text, JSON
        out = items(client, [get("/static/data.bin"), get("/cgi/bytes.py?n=1000"),
                             get("/static/small.json"), get("/pyb/bytes?bytes=70000")])
        assert out[0].status == 200 and out[0].body == DATA_BIN
        assert out[0].header("Content-Length") == "1024"
        assert out[0].header("Content-Type") == "application/octet-stream"
        line = (b"0123456789" * 7)[:63] + b"\n"
        assert out[1].body == (line * 16)[:1000]
        with open(env.path("htdocs", "static", "small.json"), "rb") as f:
            assert out[2].body == f.read()
        assert out[2].header("Content-Type") == "application/json"
        assert len(out[3].body) == 70000 and out[3].body.startswith(b"x" * 63 + b"\n")

    @pytest.mark.parametrize("eol", ["\r\n", "\n"])
    def test_batch_1000_04(self, client, eol):
        # CONTRACT §8: without Content-Length the body ends at the line break before the
        # delimiter; earlier line breaks are body bytes; only line breaks = empty body
        parts = [post_part("/cgi/echo.py", "hello" + eol, "text/plain", eol=eol),
                 post_part("/cgi/echo.py", eol + "x" + eol + eol, "text/plain", eol=eol),
                 post_part("/cgi/echo.py", eol + eol, "text/plain", eol=eol),
                 post_part("/cgi/echo.py", "", "text/plain", eol=eol)]
        out = items(client, parts, eol=eol)
        got = [echo_bytes(echo(i)) for i in out]
        assert got == [("hello" + eol).encode(), (eol + "x" + eol + eol).encode(), b"", b""]
        assert [echo(i)["content_length"] in (None, "", "0") for i in out] == [
            False, False, True, True]

    @pytest.mark.parametrize("eol", ["\r\n", "\n"])
    def test_batch_1000_05(self, client, eol):
        # CONTRACT §8: an item Content-Length: exactly that many bytes, line breaks may follow
        p = mp.http("POST", "/cgi/echo.py", headers=[("Content-Type", "text/plain"),
                                                      ("Content-Length", "5")],
                    body="12345" + eol + eol, eol=eol)
        out = items(client, [p], eol=eol)
        assert echo_bytes(echo(out[0])) == b"12345"


class TestFraming:
    """Request framing variants and the strict response framing: CONTRACT §8."""

    @pytest.mark.parametrize("eol", ["\r\n", "\n"])
    def test_batch_1000_10(self, client, eol):
        # CONTRACT §8: CRLF and bare-LF requests give the same answers; the answer is CRLF-framed
        parts = [get("/static/a.txt", eol=eol), get("/products/1", eol=eol),
                 get("/static/nope.txt", eol=eol)]
        out = items(client, parts, eol=eol)
        assert [(i.status, i.reason) for i in out] == [(200, "OK"), (200, "OK"),
                                                       (404, "Not Found")]
        assert out[0].body == b"hello from a.txt\n"
        assert out[1].json()["id"] == 1

    @pytest.mark.parametrize("boundary,quoted", [
        ("===============7330845974216740156==", True),     # python3-googleapi
        ("gc0p4Jq0M2Yt08jU534c0p", False),
        ("a b'()+_,-./:=?", True),
        ("c3b5b1a2-9d0e-4f5b-8a6f-2f1d7c0e9b11", True),
    ])
    def test_batch_1000_11(self, client, boundary, quoted):
        # CONTRACT §8: the boundary parameter, quoted or not, with '=' and other bchars
        out = items(client, [get("/static/a.txt"), get("/static/small.json")],
                    boundary=boundary, quoted=quoted)
        assert [i.status for i in out] == [200, 200]
        assert out[0].body == b"hello from a.txt\n"

    @pytest.mark.parametrize("eol", ["\r\n", "\n"])
    def test_batch_1000_12(self, client, eol):
        # CONTRACT §8: preamble and epilogue are ignored
        pre = ("This is a preamble." + eol + "It has lines." + eol).encode()
        epi = ("This is an epilogue." + eol + "It is ignored" + eol).encode()
        out = items(client, [get("/static/a.txt", eol=eol)], eol=eol, preamble=pre,
                    epilogue=epi)
        assert len(out) == 1 and out[0].status == 200, out

    def test_batch_1000_13(self, client):
        # CONTRACT §8: the answer: 200, exact multipart Content-Type with a token
        # boundary, no-store, item parts exactly application/http + binary, status line
        # with reason, Content-Length exact, no hop-by-hop headers (strict parser)
        parts, r = ok(client, [get("/static/a.txt", cid="<q + 1>"), get("/old"),
                               mp.http("HEAD", "/static/a.txt"),
                               get("/pyb/status?status=204")])
        assert "OData-Version" not in r.headers        # not an OData request
        a, old, head, nc = parts
        assert sorted(a.part_headers) == sorted([("Content-Type", "application/http"),
                                                 ("Content-Transfer-Encoding", "binary"),
                                                 ("Content-ID", "<response-q + 1>")])
        assert a.header("Content-Length") == "17" and a.header("Content-Type") == "text/plain"
        assert (old.status, old.reason) == (302, "Found")
        assert old.header("Location").endswith("/static/a.txt")
        assert head.status == 200 and head.body == b""
        assert head.header("Content-Length") in (None, "0")     # never the GET's 17
        assert nc.status == 204 and nc.body == b"" and nc.header("Content-Length") is None

    def test_batch_1000_14(self, client):
        # CONTRACT §8: the response boundary occurs nowhere in the body, even when an
        # item echoes the boundary of an earlier answer
        _, r1 = ok(client, [get("/static/a.txt")])
        t1 = mp.boundary_of(r1.headers["Content-Type"])
        trap = ("--%s\r\n--%s--\r\n%s" % (t1, t1, t1)).encode()
        parts, r2 = ok(client, [post_part("/cgi/echo.py", trap, "text/plain"),
                                post_part("/pyb/echo", trap, "text/plain")])
        t2 = mp.boundary_of(r2.headers["Content-Type"])
        assert t2.encode() not in trap
        assert echo_bytes(parts[0].json()) == trap
        assert echo_bytes(parts[1].json()) == trap

    def test_batch_1000_15(self, client, env):
        # CONTRACT §8/§6: module-made errors are application/json of the §6 shape with
        # Content-Length: NestedBatch, ResponseTooLarge, a body-less 404
        out = items(client, [get("/batch"), get("/tobatch"), get("/static/1m1.txt"),
                             get("/static/nope.txt"), get("/static/a.txt")])
        assert_err(out[0], 400, "NestedBatch")
        assert_err(out[1], 400, "NestedBatch")
        assert_err(out[2], 500, "ResponseTooLarge")
        err = assert_err(out[3], 404, "NotFound")
        assert err["message"] == "404 Not Found"
        assert out[4].status == 200

    def test_batch_1000_16(self, client):
        # CONTRACT §8: HTTP/1.0 request lines are accepted
        out = items(client, [get("/static/a.txt", version="HTTP/1.0")])
        assert out[0].status == 200 and out[0].body == b"hello from a.txt\n"


class TestIds:
    """Content-ID and item ids: CONTRACT §8."""

    def test_batch_1000_20(self, client):
        # CONTRACT §8: <X> -> <response-X> (Google), other ids as sent (OData), none -> none;
        # the item id is the Content-ID as sent, or the 1-based position
        cids = ["<abc + 1>", None, "odata-1", "<x>", None, "<uuid+7>"]
        out = items(client, [get("/cgi/echo.py", cid=c) for c in cids])
        assert [i.content_id for i in out] == ["<response-abc + 1>", None, "odata-1",
                                               "<response-x>", None, "<response-uuid+7>"]
        assert [echo(i)["item_id"] for i in out] == ["<abc + 1>", "2", "odata-1", "<x>", "5",
                                                    "<uuid+7>"]
        for i in out:
            if i.content_id is None:
                assert "Content-ID" not in [k for k, _ in i.part_headers], i.part_headers

    def test_batch_1000_21(self, client, env):
        # CONTRACT §8/§3: ids are unique, compared case-insensitively -> 400, nothing ran
        m = marker()
        bad(client, env, probes(m) + [get("/static/a.txt", cid="<Item-A>"),
                                      get("/static/a.txt", cid="<item-a>")])

    def test_batch_1000_22(self, client, env):
        # docs/behaviour.md (lead's decision 1): a generated id (the position) is not
        # checked against the ids the client sent: part 1 without Content-ID and part 2
        # with "Content-ID: 1" both run; two client-sent "1" are still a 400
        out = items(client, [get("/cgi/echo.py"), get("/cgi/echo.py", cid="1")])
        assert [echo(i)["item_id"] for i in out] == ["1", "1"]
        assert [i.content_id for i in out] == [None, "1"]
        m = marker()
        bad(client, env, probes(m) + [get("/static/a.txt", cid="1"),
                                      get("/static/a.txt", cid="1")], index=3)


class TestLeadChoices:
    """What docs/behaviour.md "Multipart batches" chose where CONTRACT §8 is silent."""

    def test_batch_1000_23(self, client):
        # decision 2: a body without Content-Type reaches the target without one (and with
        # its exact Content-Length); a JSON item's body still gets the §5 default
        out = items(client, [mp.http("POST", "/cgi/echo.py", body=b"raw \x00 bytes")])
        j = echo(out[0])
        assert j["content_type"] is None, j
        assert j["content_length"] == "11" and echo_bytes(j) == b"raw \x00 bytes"
        r = client.post_batch([item("1", "/cgi/echo.py", method="POST", body="text")])
        assert r.status_code == 200
        j = r.json()["responses"][0]["body"]
        assert j["content_type"] == "text/plain; charset=utf-8", j

    def test_batch_1000_24(self, client, env):
        # decision 3: "*" as a request target is a 400 naming the part and the target
        m = marker()
        bad(client, env, probes(m) + [mp.http("OPTIONS", "*")], index=2,
            words=["target"])


class TestTargets:
    """Request targets, Host and the §3/§4 protections for multipart items."""

    @pytest.mark.parametrize("host", ["127.0.0.1:{port}", "127.0.0.1"])
    def test_batch_1000_30(self, client, env, host):
        # CONTRACT §8: Host naming this server (with its port or none) is accepted and dropped
        h = host.format(port=env.port)
        out = items(client, [get("/cgi/echo.py", headers=[("Host", h)])])
        assert echo(out[0])["headers"]["Host"] == "127.0.0.1:%d" % env.port

    @pytest.mark.parametrize("host", ["127.0.0.1:{port2}", "example.org",
                                      "example.org:{port}", "127.0.0.2:{port}"])
    def test_batch_1000_31(self, client, env, host):
        # CONTRACT §8: Host naming another server -> 400, nothing ran
        m = marker()
        h = host.format(port=env.port, port2=env.port2)
        bad(client, env, probes(m) + [get("/static/a.txt", headers=[("Host", h)])], index=2)

    def test_batch_1000_32(self, client, env):
        # CONTRACT §8: an absolute URL of this server's scheme, host and port is a path
        u = "http://127.0.0.1:%d" % env.port
        out = items(client, [get(u + "/static/a.txt"), get(u + "/cgi/echo.py?x=1")])
        assert out[0].status == 200 and out[0].body == b"hello from a.txt\n"
        assert echo(out[1])["query"] == "x=1"

    @pytest.mark.parametrize("target", ["http://127.0.0.1:{port2}/static/a.txt",
                                        "https://127.0.0.1:{port}/static/a.txt",
                                        "http://example.org/static/a.txt",
                                        "http://example.org:{port}/static/a.txt",
                                        "//127.0.0.1:{port}/static/a.txt",
                                        "ftp://127.0.0.1:{port}/static/a.txt",
                                        "/static/a.txt#frag"])
    def test_batch_1000_33(self, client, env, target):
        # CONTRACT §8/§3: absolute URLs of another server (or scheme), authority-only,
        # fragments -> 400 naming the part, nothing ran
        m = marker()
        t = target.format(port=env.port, port2=env.port2)
        bad(client, env, probes(m) + [get(t)], index=2)

    def test_batch_1000_34(self, client):
        # CONTRACT §8/§3: relative targets resolve against BatchBase; /v1.0/x and /x both reach
        # /v1.0/x
        out = items(client, [get("me"), get("products/1"), get("/v1.0/products/2"),
                             get("/products/3")], path="/v1.0/$batch")
        assert [i.status for i in out] == [200, 200, 200, 200], out
        assert [i.json()["id"] for i in out[1:]] == [1, 2, 3]
        out = items(client, [get("static/a.txt")])
        assert out[0].body == b"hello from a.txt\n"

    @pytest.mark.parametrize("target", ["../static/a.txt", "/v1.0/../static/a.txt",
                                        "me/../../static/a.txt", "./../cgi/echo.py"])
    def test_batch_1000_35(self, client, env, target):
        # CONTRACT §8/§3: a target escaping BatchBase -> 400 naming the part, nothing ran
        m = marker()
        bad(client, env, probes(m) + [get(target)], index=2, path="/v1.0/$batch")

    @pytest.mark.parametrize("name,value", [
        ("Transfer-Encoding", "chunked"), ("Connection", "close"), ("Keep-Alive", "300"),
        ("TE", "trailers"), ("Trailer", "X-T"), ("Upgrade", "h2c"),
        ("Expect", "100-continue"), ("Proxy-Connection", "keep-alive"),
        ("HTTP2-Settings", "AAMAAABkAARAAAAAAAIAAAAA")])
    def test_batch_1000_36(self, client, env, name, value):
        # CONTRACT §8/§4: forbidden item headers -> batch 400 naming the part, nothing ran
        m = marker()
        bad(client, env, probes(m) + [mp.http("POST", "/pyb/hit?bad=" + m, body=b"x",
                                              headers=[(name, value)])],
            index=2, words=[name, "header"])

    @pytest.mark.parametrize("line", ["Bad Header", "X-A: a\x01b", ": novalue",
                                      "X A: b"])
    def test_batch_1000_37(self, client, env, line):
        # CONTRACT §8/§3: an invalid item header line -> 400 naming the part, nothing ran
        m = marker()
        body = mp.build(probes(m) + [mp.Part(
            [("Content-Type", "application/http")],
            ("GET /static/a.txt HTTP/1.1\r\n%s\r\n\r\n" % line).encode("latin-1"))], B)
        bad(client, env, body=body, index=2)

    def test_batch_1000_38(self, client):
        # CONTRACT §8/§4: the item inherits the batch's headers, its own override them
        out = items(client, [get("/cgi/echo.py", headers=[("X-Own", "item"),
                                                          ("X-Both", "item")])],
                    headers={"X-Batch": "batch", "X-Both": "batch"})
        h = echo(out[0])["headers"]
        assert (h.get("X-Own"), h.get("X-Batch"), h.get("X-Both")) == ("item", "batch", "item")


class TestRefuse:
    """BatchAtomicity Refuse (the default): CONTRACT §9."""

    def test_batch_1000_40(self, client, env):
        # CONTRACT §9: a change set under the default BatchAtomicity Refuse -> 400 naming it,
        # nothing ran
        m = marker()
        msg = bad(client, env, probes(m) + [mp.changeset(
            [mp.http("POST", "/pyb/hit?cs=" + m, body=b"x")], "cs_1000")])
        assert "BatchAtomicity" in msg, msg

    def test_batch_1000_41(self, client, env):
        # CONTRACT §9: a JSON atomicityGroup under BatchAtomicity Refuse -> 400 naming it, nothing
        # ran
        n = env.pyb.count()
        r = client.post_batch([item("a", "/pyb/hit?refuse", "POST", body={"x": 1}),
                               item("b", "/pyb/hit?refuse2", atomicityGroup="g1")])
        assert r.status_code == 400, r.text
        err = r.json()["error"]
        assert err["code"] == "BadRequest" and "BatchAtomicity" in err["message"], err
        assert env.pyb.count() == n


class TestOData:
    """The OData order rule and the Google rule: CONTRACT §8."""

    @pytest.mark.parametrize("hdr", [{"OData-Version": "4.0"}, {"OData-MaxVersion": "4.0"},
                                     {"OData-Version": "4.0", "OData-MaxVersion": "4.01"}])
    def test_batch_1000_50(self, client, env, hdr):
        # CONTRACT §8: OData: top-level parts in order, the first failure stops the rest (424, not
        # run)
        m = marker()
        before = len(env.pyb.requests)
        parts = [get("/pyb/hit?a=%s&sleep=150" % m, cid="1"), get("/pyb/hit?b=" + m, cid="2"),
                 get("/static/nope.txt", cid="3"),
                 mp.http("POST", "/pyb/hit?c=" + m, body=b"x", cid="4"),
                 get("/static/a.txt", cid="5")]
        parts_out, r = ok(client, parts, headers=hdr)
        assert r.headers.get("OData-Version") == "4.0"
        out = mp.flatten(parts_out)
        assert [i.content_id for i in out] == ["1", "2", "3", "4", "5"]
        assert [i.status for i in out[:3]] == [200, 200, 404]
        assert_err(out[3], 424, "FailedDependency")
        assert_err(out[4], 424, "FailedDependency")
        assert pyb_paths_since(env.pyb, before) == ["/hit?a=%s&sleep=150" % m, "/hit?b=" + m]

    @pytest.mark.parametrize("pref", ["odata.continue-on-error", "continue-on-error"])
    def test_batch_1000_51(self, client, env, pref):
        # CONTRACT §8: Prefer: [odata.]continue-on-error -> every part runs, Preference-Applied
        # echoes it
        m = marker()
        n = env.pyb.count()
        parts = [get("/static/nope.txt", cid="1"), get("/pyb/hit?a=" + m, cid="2"),
                 get("/pyb/status?status=500&m=" + m, cid="3"),
                 mp.http("POST", "/pyb/hit?c=" + m, body=b"x", cid="4")]
        parts_out, r = ok(client, parts, headers={"OData-Version": "4.0", "Prefer": pref})
        out = mp.flatten(parts_out)
        assert [i.status for i in out] == [404, 200, 500, 200]
        assert r.headers.get("Preference-Applied") == pref
        assert r.headers.get("OData-Version") == "4.0"
        assert env.pyb.count() == n + 3

    def test_batch_1000_52(self, client, env):
        # CONTRACT §8: without OData headers (Google's rule) a failure stops nothing, no OData-
        # Version
        m = marker()
        n = env.pyb.count()
        parts_out, r = ok(client, [get("/static/nope.txt"), get("/pyb/hit?a=" + m),
                                   get("/pyb/status?status=500&m=" + m),
                                   get("/pyb/hit?b=" + m)])
        assert [i.status for i in mp.flatten(parts_out)] == [404, 200, 500, 200]
        assert "OData-Version" not in r.headers and "Preference-Applied" not in r.headers
        assert env.pyb.count() == n + 3

    def test_batch_1000_53(self, client, env):
        # CONTRACT §8: OData mode runs parts one after another even when later ones are faster
        m = marker()
        before = len(env.pyb.requests)
        parts = [get("/pyb/hit?n=%d&m=%s&sleep=%d" % (k, m, 200 - 50 * k), cid=str(k))
                 for k in range(4)]
        out = items(client, parts, headers={"OData-Version": "4.0"})
        assert [i.status for i in out] == [200] * 4
        assert pyb_paths_since(env.pyb, before) == [
            "/hit?n=%d&m=%s&sleep=%d" % (k, m, 200 - 50 * k) for k in range(4)]
        recs = [q for q in env.pyb.requests[before:]]
        for a, b in zip(recs, recs[1:]):
            assert b["time"] >= a["end"] - 0.005, "OData parts overlapped"

    def test_batch_1000_54(self, client, env):
        # CONTRACT §8: any status outside 2xx stops an OData batch, also one the target
        # made itself (products.lua answers DELETE with its own 405)
        m = marker()
        n = env.pyb.count()
        out = items(client, [mp.http("DELETE", "/products/1", cid="a"),
                             get("/pyb/hit?after=" + m, cid="b")],
                    headers={"OData-Version": "4.0"})
        assert out[0].status == 405
        assert_err(out[1], 424, "FailedDependency")
        assert env.pyb.count() == n


class TestMalformed:
    """Malformed framing: a clear 400 naming the part, nothing run, no hang."""

    def test_batch_1000_60(self, client, env):
        # issue 13: a boundary that never closes -> 400, nothing ran
        m = marker()
        body = mp.build(probes(m) + [get("/static/a.txt")], B, close=False)
        for b in (body, body + b"--" + B.encode() + b"-"):
            msg = bad(client, env, body=b)
            assert names_part(msg, 2) or any(w in msg.lower() for w in (
                "boundary", "delimiter", "close", "terminat", "end")), msg

    def test_batch_1000_61(self, client, env):
        # issue 13: a part without headers (an embedded request with no part headers) -> 400
        # naming it
        m = marker()
        body = mp.build(probes(m), B, close=False) + (
            "--%s\r\n\r\nGET /static/a.txt HTTP/1.1\r\n\r\n\r\n--%s--\r\n" % (B, B)).encode()
        bad(client, env, body=body, index=2)

    def test_batch_1000_62(self, client, env):
        # issue 13: a part with no blank line after its headers at all -> 400 naming it
        m = marker()
        body = mp.build(probes(m), B, close=False) + (
            "--%s\r\nContent-Type: application/http\r\nGET /static/a.txt HTTP/1.1\r\n"
            "--%s--\r\n" % (B, B)).encode()
        bad(client, env, body=body, index=2)

    def test_batch_1000_63(self, client, env):
        # issue 13: 10^5 empty parts -> 400, answered promptly (no hang, no crash)
        # a one-letter boundary, so that 10^5 parts stay under the 1 MiB
        # body limit (with B's 12 letters they would be a 413, not this test)
        body = b"--b\r\n\r\n" * 100000 + b"--b--\r\n"
        assert len(body) < 1024 * 1024
        t0 = time.time()
        bad(client, env, body=body, ctype=mp.ctype("b"))
        assert time.time() - t0 < 20
        assert client.get("/static/a.txt").status_code == 200

    def test_batch_1000_64(self, client, env):
        # issue 13: an item Content-Length larger than the part -> 400 naming the part
        m = marker()
        p = mp.http("POST", "/pyb/hit?cl=" + m, body=b"12345",
                    headers=[("Content-Type", "text/plain"), ("Content-Length", "500")])
        bad(client, env, probes(m) + [p], index=2)

    @pytest.mark.parametrize("cl,body", [("3", b"12345"), ("-1", b"x"), ("x", b"x"),
                                         ("", b"x")])
    def test_batch_1000_65(self, client, env, cl, body):
        # CONTRACT §8: a Content-Length shorter than the body (not only line breaks follow)
        # or invalid -> 400 naming the part
        m = marker()
        p = mp.http("POST", "/pyb/hit?cl=" + m, body=body,
                    headers=[("Content-Type", "text/plain"), ("Content-Length", cl)])
        bad(client, env, probes(m) + [p], index=2)

    @pytest.mark.parametrize("ctype", ["multipart/mixed", "multipart/mixed; boundary=",
                                       'multipart/mixed; boundary=""',
                                       "multipart/mixed; charset=utf-8"])
    def test_batch_1000_66(self, client, env, ctype):
        # issue 13: a missing or empty boundary parameter -> 400 (not 415) naming it
        m = marker()
        bad(client, env, body=mp.build(probes(m), B), ctype=ctype, words=["boundary"])

    @pytest.mark.parametrize("ptype", ["text/plain", "application/json",
                                       "application/octet-stream", None,
                                       "multipart/related; boundary=rel1"])
    def test_batch_1000_67(self, client, env, ptype):
        # CONTRACT §8: any part type other than application/http or a multipart/mixed change set
        # -> 400 naming the part
        m = marker()
        hs = [("Content-Transfer-Encoding", "binary")]
        if ptype:
            hs.insert(0, ("Content-Type", ptype))
        p = mp.Part(hs, b"GET /static/a.txt HTTP/1.1\r\n\r\n")
        bad(client, env, probes(m) + [p], index=2)

    @pytest.mark.parametrize("cte", ["base64", "quoted-printable", "gzip", "x-token"])
    def test_batch_1000_68(self, client, env, cte):
        # CONTRACT §8: a Content-Transfer-Encoding other than binary/8bit/7bit -> 400 naming the
        # part
        m = marker()
        p = mp.Part([("Content-Type", "application/http"), ("Content-Transfer-Encoding", cte)],
                    b"GET /static/a.txt HTTP/1.1\r\n\r\n")
        bad(client, env, probes(m) + [p], index=2)

    @pytest.mark.parametrize("cte", ["binary", "8bit", "7bit"])
    def test_batch_1000_69(self, client, cte):
        # CONTRACT §8: binary, 8bit and 7bit are accepted, as is none
        p = mp.Part([("Content-Type", "application/http; msgtype=request"),
                     ("Content-Transfer-Encoding", cte)], b"GET /static/a.txt HTTP/1.1\r\n\r\n")
        q = mp.Part([("Content-Type", "application/http")], b"GET /static/a.txt HTTP/1.1\r\n\r\n")
        out = items(client, [p, q])
        assert [i.status for i in out] == [200, 200]

    def test_batch_1000_70(self, client, env):
        # CONTRACT §8: no parts at all -> 400
        bad(client, env, body=("--%s--\r\n" % B).encode())
        bad(client, env, body=b"just a preamble\r\n")
        bad(client, env, body=b"")

    @pytest.mark.parametrize("line", ["GET /static/a.txt", "GET /static/a.txt HTTP/2.0",
                                      "GET  /static/a.txt HTTP/1.1", "GET HTTP/1.1",
                                      "/static/a.txt HTTP/1.1", "G@T /static/a.txt HTTP/1.1",
                                      "GET /static/a.txt HTTP/1.1 extra"])
    def test_batch_1000_71(self, client, env, line):
        # CONTRACT §8: a request line other than `METHOD SP target SP HTTP/1.x` -> 400 naming the
        # part
        m = marker()
        p = mp.Part([("Content-Type", "application/http")], (line + "\r\n\r\n").encode())
        bad(client, env, probes(m) + [p], index=2)

    def test_batch_1000_72(self, client, env):
        # CONTRACT §8: an empty part body (no request line) -> 400 naming the part
        m = marker()
        bad(client, env, probes(m) + [mp.Part([("Content-Type", "application/http")], b"")],
            index=2)

    def test_batch_1000_73(self, client, env):
        # CONTRACT §3/§8: a multipart batch that is not POST -> 405; multipart/form-data -> 415
        body = mp.build([get("/static/a.txt")], B)
        r = client.request("PUT", "/batch", data=body, headers={"Content-Type": mp.ctype(B)})
        assert r.status_code == 405 and r.json()["error"]["code"] == "MethodNotAllowed"
        r = client.post_batch(body=body, content_type="multipart/form-data; boundary=" + B)
        assert r.status_code == 415 and r.json()["error"]["code"] == "UnsupportedMediaType"


# -------------------------------------------------------- changed directives

class TestLimits:
    """BatchMethods GET HEAD, BatchMaxRequests 3, BatchMaxRequestSize 4K,
    BatchAtomicity Ordered on /batch."""

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        BatchConf(env).add_batch("/batch", ["BatchMethods GET HEAD", "BatchMaxRequests 3",
                                            "BatchMaxRequestSize 4K",
                                            "BatchAtomicity Ordered"]).install()

    def test_batch_1000_80(self, client, env):
        # CONTRACT §8/§4: a method outside BatchMethods -> item 405 MethodNotAllowed (JSON), not run
        m = marker()
        n = env.pyb.count()
        out = items(client, [mp.http("POST", "/pyb/hit?p=" + m, body=b"x"),
                             get("/pyb/hit?g=" + m), mp.http("DELETE", "/pyb/hit?d=" + m)])
        assert_err(out[0], 405, "MethodNotAllowed")
        assert out[1].status == 200
        assert_err(out[2], 405, "MethodNotAllowed")
        assert env.pyb.count() == n + 1

    def test_batch_1000_81(self, client, env):
        # CONTRACT §8/§3: BatchMaxRequests counts the items inside change sets
        m = marker()
        ok3 = items(client, [get("/static/a.txt"),
                             mp.changeset([get("/static/a.txt"), get("/static/a.txt")],
                                          "cs_81")])
        assert len(ok3) == 3
        bad(client, env, [get("/pyb/hit?" + m),
                          mp.changeset([get("/static/a.txt"), get("/static/a.txt")], "cs_81"),
                          get("/static/a.txt")])
        bad(client, env, [mp.changeset([get("/pyb/hit?" + m)] + [get("/static/a.txt")] * 3,
                                       "cs_81")])

    def test_batch_1000_82(self, client, env):
        # CONTRACT §8/§3: a multipart body over BatchMaxRequestSize -> 413 RequestTooLarge,
        # nothing ran
        m = marker()
        big = mp.http("POST", "/pyb/hit?big=" + m, body=b"z" * 5000)
        n = env.pyb.count()
        r = send(client, [get("/pyb/hit?" + m), big])
        assert r.status_code == 413, r.text[:300]
        assert r.json()["error"]["code"] == "RequestTooLarge"
        r = client.raw_request("POST", "/batch", headers={"Content-Type": mp.ctype(B)},
                               body=mp.build([get("/pyb/hit?" + m), big], B), chunked=True)
        assert r.status == 413, r
        assert env.pyb.count() == n


class TestOrdered:
    """BatchAtomicity Ordered on /batch: change sets and JSON atomicity groups (CONTRACT §9)."""

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        BatchConf(env).add_batch("/batch", ["BatchAtomicity Ordered"]).install()

    def changeset_fail(self, m):
        return [get("/pyb/hit?before=" + m, cid="1"),
                mp.changeset([mp.http("POST", "/pyb/hit?cs1=" + m, body=b"1", cid="2"),
                              mp.http("PATCH", "/pyb/hit?cs2=%s&status=409" % m, body=b"2",
                                      cid="3"),
                              mp.http("DELETE", "/pyb/hit?cs3=" + m, cid="4")], "cs_" + m),
                mp.http("POST", "/pyb/hit?after=" + m, body=b"a", cid="5")]

    def test_batch_1000_90(self, client, env):
        # CONTRACT §9: a change set with a failure in the middle: the rest of the set 424,
        # not run; parts outside the set run (Google rule); answer nested in a change set
        m = marker()
        before = len(env.pyb.requests)
        parts, r = ok(client, self.changeset_fail(m))
        assert len(parts) == 3 and isinstance(parts[1], mp.ChangeSet), parts
        cs = parts[1]
        t = mp.boundary_of(r.headers["Content-Type"])
        assert cs.boundary != t
        assert [i.content_id for i in cs.items] == ["2", "3", "4"]
        assert [i.status for i in cs.items[:2]] == [200, 409]
        assert_err(cs.items[2], 424, "FailedDependency")
        assert parts[0].status == 200 and parts[2].status == 200
        seen = pyb_paths_since(env.pyb, before)
        assert "/hit?cs3=" + m not in seen
        assert sorted(seen) == sorted(["/hit?before=" + m, "/hit?cs1=" + m,
                                       "/hit?cs2=%s&status=409" % m, "/hit?after=" + m])
        assert seen.index("/hit?cs1=" + m) < seen.index("/hit?cs2=%s&status=409" % m)

    def test_batch_1000_91(self, client, env):
        # CONTRACT §8/§9: OData: a failed change set stops the parts after it (424, not run)
        m = marker()
        before = len(env.pyb.requests)
        parts, r = ok(client, self.changeset_fail(m), headers={"OData-Version": "4.0"})
        assert r.headers.get("OData-Version") == "4.0"
        out = mp.flatten(parts)
        assert [i.status for i in out[:3]] == [200, 200, 409]
        assert_err(out[3], 424, "FailedDependency")
        assert_err(out[4], 424, "FailedDependency")
        assert pyb_paths_since(env.pyb, before) == [
            "/hit?before=" + m, "/hit?cs1=" + m, "/hit?cs2=%s&status=409" % m]

    def test_batch_1000_92(self, client, env):
        # CONTRACT §8/§9: OData + continue-on-error: the set still stops inside, later parts run
        m = marker()
        out = mp.flatten(ok(client, self.changeset_fail(m),
                            headers={"OData-Version": "4.0",
                                     "Prefer": "odata.continue-on-error"})[0])
        assert [i.status for i in out] == [200, 200, 409, 424, 200]
        assert "/hit?after=" + m in pyb_paths_since(env.pyb, 0)

    def test_batch_1000_93(self, client, env):
        # CONTRACT §9: a change set's items run one after another in order, even when
        # later ones are faster (also under BatchConcurrency)
        m = marker()
        before = len(env.pyb.requests)
        cs = mp.changeset([mp.http("POST", "/pyb/hit?k=%d&m=%s&sleep=%d" % (k, m, 200 - 60 * k),
                                   body=b"x") for k in range(4)], "cs_order")
        out = items(client, [cs])
        assert [i.status for i in out] == [200] * 4
        recs = env.pyb.requests[before:]
        assert [q["path"] for q in recs] == [
            "/hit?k=%d&m=%s&sleep=%d" % (k, m, 200 - 60 * k) for k in range(4)]
        for a, b in zip(recs, recs[1:]):
            assert b["time"] >= a["end"] - 0.005, "change set items overlapped"

    def test_batch_1000_94(self, client):
        # CONTRACT §9: BATCH_ATOMICITY_GROUP is the change set's boundary for its items, unset
        # outside
        cs = mp.changeset([get("/cgi/echo.py", cid="in1"), get("/cgi/echo.py", cid="in2")],
                          "cs_env_94")
        out = items(client, [get("/cgi/echo.py", cid="out"), cs])
        assert [echo(i)["atomicity_group"] for i in out] == [None, "cs_env_94", "cs_env_94"]
        assert [echo(i)["item_id"] for i in out] == ["out", "in1", "in2"]

    def test_batch_1000_98(self, client):
        # docs/behaviour.md (decision 1): what Olingo and SAP send: top-level GETs without
        # Content-ID, and "Content-ID: 1", "2" inside a change set, which are also the
        # positions of the GETs; it runs, and each part is answered as sent
        cs = mp.changeset([mp.http("POST", "/cgi/echo.py", body=b"{}", cid="1",
                                   headers=[("Content-Type", "application/json")]),
                           mp.http("POST", "/cgi/echo.py", body=b"{}", cid="2",
                                   headers=[("Content-Type", "application/json")])], "cs_olingo")
        parts, r = ok(client, [get("/cgi/echo.py"), get("/cgi/echo.py"), cs],
                      headers={"OData-Version": "4.0"})
        out = mp.flatten(parts)
        assert [echo(i)["item_id"] for i in out] == ["1", "2", "1", "2"]
        assert [i.content_id for i in out] == [None, None, "1", "2"]
        assert r.headers.get("OData-Version") == "4.0"

    def test_batch_1000_95(self, client):
        # CONTRACT §8: a part without Content-ID gets its 1-based position among all items, change
        # sets included
        cs = mp.changeset([get("/cgi/echo.py"), get("/cgi/echo.py", cid="x")], "cs_pos")
        out = items(client, [get("/cgi/echo.py"), cs, get("/cgi/echo.py")])
        assert [echo(i)["item_id"] for i in out] == ["1", "2", "x", "4"]
        assert [i.content_id for i in out] == [None, None, "x", None]

    def test_batch_1000_96(self, client, env):
        # CONTRACT §8: change sets do not nest -> 400 naming the part, nothing ran
        m = marker()
        inner = mp.changeset([get("/static/a.txt")], "cs_inner")
        outer = mp.changeset([get("/pyb/hit?x=" + m), inner], "cs_outer")
        bad(client, env, probes(m) + [outer], index=2)

    def test_batch_1000_97(self, client, env):
        # CONTRACT §8: a malformed change set (never closes, no boundary) -> 400 naming the part
        m = marker()
        broken = mp.Part([("Content-Type", "multipart/mixed; boundary=cs_x")],
                         mp.build([get("/static/a.txt")], "cs_x", close=False))
        bad(client, env, probes(m) + [broken], index=2)
        nob = mp.Part([("Content-Type", "multipart/mixed")],
                      mp.build([get("/static/a.txt")], "cs_y"))
        bad(client, env, probes(m) + [nob], index=2)

    # ---------------------------------------------------------- JSON groups

    def test_batch_1000_100(self, client, env):
        # CONTRACT §9: a JSON group's items must be adjacent -> 400 naming atomicityGroup, nothing
        # ran
        n = env.pyb.count()
        r = client.post_batch([item("a", "/pyb/hit?adj1", "POST", body={"x": 1},
                                    atomicityGroup="g1"),
                               item("b", "/pyb/hit?adj2"),
                               item("c", "/pyb/hit?adj3", atomicityGroup="g1")])
        assert r.status_code == 400, r.text
        err = r.json()["error"]
        assert err["code"] == "BadRequest" and "atomicityGroup" in err["message"], err
        assert env.pyb.count() == n

    def test_batch_1000_101(self, client, env):
        # CONTRACT §9: a JSON group runs in order and stops at its first failure (rest 424,
        # not run); atomicityGroup is echoed; items outside the group run
        m = marker()
        before = len(env.pyb.requests)
        reqs = [item("a", "/pyb/hit?a=%s&sleep=150" % m, "POST", body={"x": 1},
                     atomicityGroup="g1"),
                item("b", "/pyb/hit?b=%s&status=500" % m, "PATCH", body={"x": 2},
                     atomicityGroup="g1"),
                item("c", "/pyb/hit?c=" + m, "DELETE", atomicityGroup="g1"),
                item("d", "/pyb/hit?d=" + m)]
        rs = client.batch_ok(reqs)
        assert [x["id"] for x in rs] == ["a", "b", "c", "d"]
        assert [x["status"] for x in rs] == [200, 500, 424, 200]
        assert rs[2]["body"]["error"]["code"] == "FailedDependency"
        assert [x.get("atomicityGroup") for x in rs] == ["g1", "g1", "g1", None]
        seen = pyb_paths_since(env.pyb, before)
        assert "/hit?c=" + m not in seen and "/hit?d=" + m in seen
        assert seen.index("/hit?a=%s&sleep=150" % m) < seen.index("/hit?b=%s&status=500" % m)

    def test_batch_1000_102(self, client, env):
        # CONTRACT §9: dependsOn naming a group: after every item of it; 424 if any failed
        m = marker()
        before = len(env.pyb.requests)
        reqs = [item("a", "/pyb/hit?ga=%s&sleep=200" % m, atomicityGroup="ok"),
                item("b", "/pyb/hit?gb=%s&sleep=100" % m, atomicityGroup="ok"),
                item("x", "/pyb/hit?x=" + m, depends_on=["ok"]),
                item("c", "/pyb/hit?gc=%s&status=409" % m, atomicityGroup="bad"),
                item("y", "/pyb/hit?y=" + m, depends_on=["bad"]),
                item("z", "/pyb/hit?z=" + m, depends_on=["ok", "x"])]
        rs = {x["id"]: x for x in client.batch_ok(reqs)}
        assert [rs[k]["status"] for k in "abxcz"] == [200, 200, 200, 409, 200]
        assert rs["y"]["status"] == 424 and rs["y"]["body"]["error"]["code"] == "FailedDependency"
        recs = {q["path"]: q for q in env.pyb.requests[before:]}
        assert "/hit?y=" + m not in recs
        xa = recs["/hit?x=" + m]["time"]
        assert xa >= recs["/hit?ga=%s&sleep=200" % m]["end"] - 0.005
        assert xa >= recs["/hit?gb=%s&sleep=100" % m]["end"] - 0.005

    def test_batch_1000_103(self, client):
        # CONTRACT §9: every item of a JSON group sees BATCH_ATOMICITY_GROUP (the group id)
        rs = client.batch_ok([item("1", "/cgi/echo.py", atomicityGroup="grp-103"),
                              item("2", "/cgi/echo.py", atomicityGroup="grp-103"),
                              item("3", "/cgi/echo.py")])
        assert [x["body"]["atomicity_group"] for x in rs] == ["grp-103", "grp-103", None]
        assert [x["body"]["item_id"] for x in rs] == ["1", "2", "3"]


class TestGoogleConcurrent:
    """BatchConcurrency 4 with BatchAtomicity Ordered: Google-style items run
    concurrently, OData parts and change-set items do not (CONTRACT §8/§9)."""

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        BatchConf(env).add_batch("/batch", ["BatchConcurrency 4",
                                            "BatchAtomicity Ordered"]).install()

    @staticmethod
    def overlap(recs):
        most = 0
        for q in recs:
            most = max(most, sum(1 for o in recs if o["time"] < q["end"] and q["time"] < o["end"]))
        return most

    def batch(self, client, env, headers=None, changeset=False):
        m = marker()
        before = len(env.pyb.requests)
        parts = [get("/pyb/hit?k=%d&m=%s&sleep=300" % (k, m), cid=str(k)) for k in range(4)]
        if changeset:
            parts = [mp.changeset(parts, "cs_conc")]
        out = items(client, parts, headers=headers)
        assert [i.status for i in out] == [200] * 4
        assert [i.content_id for i in out] == ["0", "1", "2", "3"]
        return env.pyb.requests[before:]

    def test_batch_1000_110(self, client, env):
        # CONTRACT §8: Google rule: independent items run concurrently with BatchConcurrency
        recs = self.batch(client, env)
        if env.mpm == "prefork":
            assert self.overlap(recs) == 1
        else:
            assert self.overlap(recs) >= 2, recs

    def test_batch_1000_111(self, client, env):
        # CONTRACT §8/§9: OData parts and change-set items never overlap, whatever BatchConcurrency
        assert self.overlap(self.batch(client, env, headers={"OData-Version": "4.0"})) == 1
        assert self.overlap(self.batch(client, env, changeset=True)) == 1
