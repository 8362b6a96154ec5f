"""CONTRACT §5 and §7 against hostile targets (issue 12, items 1 and 4):
whatever a target answers, the batch response is strict JSON and costs
memory linear in what the target sent.

The target is the Python backend (tests/harness/backend.py) behind
mod_proxy_http (/pyb/). mod_proxy_http reads any number of response header
lines from a backend; each line is bounded only by the worker's
`responsefieldsize` (ProxyPass parameter, default 8192 bytes, not
LimitRequestFieldSize, which is for requests) and the whole head by the
proxy Timeout. So 8,000 headers of 100 bytes need no configuration change.

Peak memory is read from /proc/PID/status (VmHWM) of the worker children
after writing 5 to /proc/PID/clear_refs (harness.helpers.PeakRss), which
the tests may do because they run httpd as root.
"""
import base64
import json
import time

from harness.client import item
from harness.helpers import PeakRss

HEADERS = 8000
HEADER_BYTES = 100


def b64(data):
    return base64.urlsafe_b64encode(data).decode("ascii")


def raw_url(body, ctype=b"application/json", headers=b"", status=200):
    """A /pyb/raw url answering exactly these bytes."""
    return "/pyb/raw?status=%d&b64=%s&t=%s&h=%s" % (status, b64(body), b64(ctype),
                                                     b64(headers))


def strict_json(resp):
    """The batch response as Python data, read the strictest way there is:
    bytes that must be UTF-8, no control characters in strings, and no lone
    surrogate (the one thing json.loads lets through: a UTF-8 re-encode of
    what it read refuses it)."""
    text = resp.content.decode("utf-8", errors="strict")
    data = json.loads(text, strict=True)
    json.dumps(data, ensure_ascii=False).encode("utf-8", errors="strict")
    return data


class TestHostileTargets:

    def test_batch_910_01(self, env, client):
        # issue 12.1: 8,000 repeated headers of 100 bytes on one item. The
        # values are joined in one pass (it was one copy of the growing
        # value per header: seconds and gigabytes); every value arrives, in
        # order, and the child's peak RSS grows by well under 32 MB
        url = "/pyb/repeat?n=%d&bytes=%d" % (HEADERS, HEADER_BYTES)
        start = time.time()
        with PeakRss(env) as peak:
            resp = client.post_batch([item("1", url)], timeout=120)
        took = time.time() - start
        print("\n%d headers: %.3f s, peak RSS growth %d kB"
              % (HEADERS, took, peak.growth_kb))
        assert resp.status_code == 200, resp.text[:300]
        r = strict_json(resp)["responses"][0]
        assert r["status"] == 200, r
        assert r["body"] == {"repeat": True}
        values = r["headers"]["X-Same"].split(", ")
        assert len(values) == HEADERS
        assert values == [("v%05d-" % k).ljust(HEADER_BYTES, "x") for k in range(HEADERS)]
        assert peak.growth_kb < 32 * 1024, peak.growth_kb

    def test_batch_910_02(self, env, client):
        # issue 12.4: JSON bodies with lone surrogate escapes do not parse
        # under the module's strict reader, so they go in as strings
        # (CONTRACT §5), never verbatim: the whole batch response stays
        # strict JSON and the other items' answers readable
        bodies = [b'{"a":"\\ud800"}', b'"\\udc00x"', b'["\\ud800\\u0041"]', b'"\\ud83d"',
                  b'{"k\\udfff":1}']
        items = [item("s%d" % i, raw_url(b)) for i, b in enumerate(bodies)]
        items.append(item("pair", raw_url(b'["\\ud83d\\ude00"]')))
        items.append(item("n", "/static/small.json"))
        resp = client.post_batch(items)
        assert resp.status_code == 200, resp.text[:300]
        rs = {r["id"]: r for r in strict_json(resp)["responses"]}
        for i, b in enumerate(bodies):
            r = rs["s%d" % i]
            assert r["status"] == 200, r
            assert r["headers"]["Content-Type"] == "application/json", r
            assert r["body"] == b.decode("ascii"), r
        # a surrogate pair is a character: the value itself
        assert rs["pair"]["body"] == ["\U0001F600"]
        assert rs["n"]["body"] == {"hello": "world"}

    def test_batch_910_03(self, env, client):
        # issue 12.4: header names and values with any bytes (not UTF-8,
        # controls, quotes), a content type that is not UTF-8 and an odd
        # status: still strict JSON; bytes that are not UTF-8 become U+FFFD
        head = (b"X-Bytes: a\xff\xfeb\x01c\x7f\"\\\n"
                b"X-Bytes: \xed\xa0\x80\xf4\x90\x80\x80\n"
                b"X-\xe9t\xe9: caf\xc3\xa9\n"
                b"X-Tab: a\tb")
        items = [
            item("h", raw_url(b"{}", headers=head)),
            item("t", raw_url(b"\xff\xfe text", ctype=b"text/pl\xe4in")),
            item("j", raw_url(b'[1,"\\ud800"]', ctype=b"application/json; x=\xff",
                              status=599)),
            item("e", raw_url(b"", status=599)),
        ]
        resp = client.post_batch(items)
        assert resp.status_code == 200, resp.text[:300]
        data = strict_json(resp)
        assert [r["id"] for r in data["responses"]] == ["h", "t", "j", "e"]
        rs = {r["id"]: r for r in data["responses"]}
        h = rs["h"]["headers"]
        assert h["X-Bytes"].startswith("a\ufffd\ufffdb"), h
        assert "\ufffd" * 4 in h["X-Bytes"].split(", ")[1], h
        assert h["X-\ufffdt\ufffd"] == "caf\u00e9", h
        assert h["X-Tab"] == "a\tb", h
        assert rs["t"]["headers"]["Content-Type"] == "text/pl\ufffdin"
        assert rs["j"]["status"] == 599
        assert rs["j"]["body"] == '[1,"\\ud800"]'
        # no body from the target, status >= 400: a generated error, from
        # the status line the target sent
        assert rs["e"]["status"] == 599
        assert rs["e"]["body"]["error"]["message"].startswith("599"), rs["e"]
