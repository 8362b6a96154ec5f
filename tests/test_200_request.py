"""CONTRACT §3: every batch-level 400 through the real server. Each answer is
400 BadRequest with a message naming the item (id or index) and the field,
and nothing ran: the first items are side-effect probes on the Python
backend, whose request count must not change."""
import json
import re

import pytest

from harness.client import item
from harness.conf import BatchConf

BAD_ID = "item-bad"
BAD_INDEX = 3   # 0-based position of the offending item (1-based: 4)


def probes():
    return [item("probe-1", "/pyb/hit?probe=1", "POST", body={"n": 1}),
            item("probe-2", "/cgi/echo.py"),
            item("probe-3", "/pyb/hit?probe=3", "DELETE")]


def with_bad(bad):
    """Three probes, then the offending item (at BAD_INDEX)."""
    return probes() + [bad]


def names_item(msg, id=None, index=None):
    if id and id in msg:
        return True
    if index is not None:
        return re.search(r"(?<![\d.])(%d|%d)(?![\d.])" % (index, index + 1), msg) is not None
    return False


class Checker:
    def __init__(self, client, env):
        self.client = client
        self.env = env

    def bad(self, doc=None, body=None, id=BAD_ID, index=BAD_INDEX, field=None,
            path="/batch", **kw):
        """POST doc (a list of items or a dict) or raw body; assert 400
        BadRequest naming the item and field, and that nothing ran."""
        n = self.env.pyb.count()
        r = self.client.post_batch(doc, body=body, path=path, **kw)
        assert r.status_code == 400, (r.status_code, r.text[:1000])
        assert r.headers.get("Content-Type", "").startswith("application/json")
        err = r.json()["error"]
        assert err["code"] == "BadRequest", err
        msg = err["message"]
        assert isinstance(msg, str) and msg
        if id is not None or index is not None:
            assert names_item(msg, id, index), "message does not name the item: %r" % msg
        if field is not None:
            fields = field if isinstance(field, (list, tuple)) else [field]
            assert any(f.lower() in msg.lower() for f in fields), \
                "message does not name %s: %r" % (fields, msg)
        assert self.env.pyb.count() == n, "an item ran before the batch was refused"
        return msg


@pytest.fixture
def check(client, env):
    return Checker(client, env)


class TestRequestDocument:

    def test_batch_200_01(self, check):
        # CONTRACT §3: not valid JSON -> 400
        for body in [b'{"requests": [', b"{requests: []}", b"", b"null x",
                     b'{"requests": []} trailing', b"\xef\xbb\xbf{}"[3:] + b"]"]:
            check.bad(body=body, id=None, index=None)

    def test_batch_200_02(self, check):
        # CONTRACT §3: not UTF-8 -> 400
        doc = json.dumps({"requests": probes() + [item(BAD_ID, "/static/a.txt",
                                                        "POST", body="XX")]}).encode()
        check.bad(body=doc.replace(b'"XX"', b'"\xff\xfe"'), id=None, index=None)
        check.bad(body=doc.replace(b'"XX"', b'"\xc3"'), id=None, index=None)
        check.bad(body=doc.replace(b'"XX"', b'"\xed\xa0\x80"'), id=None, index=None)

    @staticmethod
    def nested(levels):
        # the whole document nests `levels` containers: object, requests array,
        # item object, then the body's arrays (innermost empty)
        inner = levels - 3
        body = "[" * inner + "]" * inner
        return ('{"requests": [{"id": "deep", "method": "POST", "url": "/pyb/echo",'
                ' "body": %s}]}' % body).encode()

    def test_batch_200_03(self, check, client):
        # CONTRACT §3: nested deeper than 64 levels -> 400; 64 levels are fine
        r = client.post_batch(body=self.nested(64))
        assert r.status_code == 200, r.text[:500]
        check.bad(body=self.nested(65), id=None, index=None)
        check.bad(body=self.nested(1000), id=None, index=None)

    @pytest.mark.parametrize("doc", [{}, {"@odata.context": "x"}, {"requests": {}},
                                     {"requests": "x"}, {"requests": None},
                                     {"requests": 3}, {"requests": []}, [], "requests"])
    def test_batch_200_04(self, check, doc):
        # CONTRACT §3: requests missing, not an array, or empty -> 400 naming "requests"
        check.bad(body=json.dumps(doc), id=None, index=None,
                  field=None if not isinstance(doc, dict) else "requests")

    def test_batch_200_05(self, check):
        # CONTRACT §3: more items than BatchMaxRequests (default 20) -> 400, nothing run
        items = probes() + [item("x%d" % i, "/static/a.txt") for i in range(18)]
        assert len(items) == 21
        check.bad(items, id=None, index=None, field="requests")

    def test_batch_200_06(self, check):
        # CONTRACT §3: unknown top-level members are refused
        check.bad({"requests": probes(), "extra": 1}, id=None, index=None, field="extra")
        check.bad({"requests": probes(), "Requests": []}, id=None, index=None,
                  field="Requests")

    def test_batch_200_07(self, client):
        # CONTRACT §3: top-level annotations (names beginning with @) are allowed
        r = client.post_batch({"@odata.context": "x", "requests": [item("1", "/static/a.txt")],
                               "@x": {"deep": [1, 2]}})
        assert r.status_code == 200, r.text


class TestRequestItems:

    @pytest.mark.parametrize("bad", [None, 1, "x", [], True])
    def test_batch_200_10(self, check, bad):
        # CONTRACT §3: an item that is not an object -> 400 naming its index
        check.bad(with_bad(bad), id=None)

    @pytest.mark.parametrize("field,value", [
        ("method", 1), ("method", None), ("method", ["GET"]),
        ("url", 5), ("url", None), ("url", {"path": "/"}),
        ("headers", ["X-A: b"]), ("headers", "X-A: b"), ("headers", 1),
        ("dependsOn", "probe-1"), ("dependsOn", [1]), ("dependsOn", {"0": "probe-1"}),
    ])
    def test_batch_200_11(self, check, field, value):
        # CONTRACT §3: a field of the wrong type -> 400 naming item and field
        bad = item(BAD_ID, "/static/a.txt")
        bad[field] = value
        check.bad(with_bad(bad), field=field)

    @pytest.mark.parametrize("value", [1, True, None, ["x"]])
    def test_batch_200_12(self, check, value):
        # CONTRACT §3: a header value that is not a string -> 400 naming the header
        bad = item(BAD_ID, "/static/a.txt", headers={"X-Num": value})
        check.bad(with_bad(bad), field=["headers", "X-Num"])

    @pytest.mark.parametrize("field", ["id", "method", "url"])
    def test_batch_200_13(self, check, field):
        # CONTRACT §3: id, method and url are required
        bad = item(BAD_ID, "/static/a.txt")
        del bad[field]
        check.bad(with_bad(bad), id=None if field == "id" else BAD_ID, field=field)

    @pytest.mark.parametrize("value", [7, "", "x" * 257, "a\x01b", "tab\there", "nl\n",
                                       "del\x7f"])
    def test_batch_200_14(self, check, value):
        # CONTRACT §3: id must be a string of 1-256 characters without control characters
        bad = item(BAD_ID, "/static/a.txt")
        bad["id"] = value
        check.bad(with_bad(bad), id=None, field="id")

    def test_batch_200_15(self, client):
        # CONTRACT §3: an id of exactly 256 characters (and non-ASCII ones) is fine
        ids = ["y" * 256, "\u00fcber-\u4e2d"]
        r = client.post_batch([item(i, "/static/a.txt") for i in ids])
        assert r.status_code == 200, r.text[:500]
        assert [x["id"] for x in r.json()["responses"]] == ids

    @pytest.mark.parametrize("dup", ["probe-1", "PROBE-1", "Probe-1"])
    def test_batch_200_16(self, check, dup):
        # CONTRACT §3: ids are unique, compared case-insensitively -> 400 duplicate id
        check.bad(with_bad(item(dup, "/static/a.txt")), id=dup, field="id")

    @pytest.mark.parametrize("method", ["GE T", "GET\r\n", "", "G(ET", "GÉT"])
    def test_batch_200_17(self, check, method):
        # CONTRACT §3: method must be an HTTP token
        check.bad(with_bad(item(BAD_ID, "/static/a.txt", method)), field="method")

    @pytest.mark.parametrize("url", [
        "http://example.org/static/a.txt", "https://127.0.0.1/static/a.txt",
        "mailto:x@example.org", "//example.org/static/a.txt", "//static/a.txt",
        "/static/a.txt#frag", "/static/a b", "/static/a\tb", "/static\\a.txt",
        "/static/a\x01.txt", "/static/a\x7f.txt", "/static/a\n.txt",
        "/../etc/passwd", "/static/../../etc/passwd", "../static/a.txt",
        "/static/%2e%2e/%2e%2e/etc/passwd",
    ])
    def test_batch_200_18(self, check, url):
        # CONTRACT §3: url: no scheme, authority, fragment, whitespace, control, \, or escape
        check.bad(with_bad(item(BAD_ID, url)), field="url")

    @pytest.mark.parametrize("url", ["../admin", "/../admin", "/v1.0/../admin",
                                     "/v1.0/products/../../admin", "products/../../x",
                                     "%2e%2e/static/a.txt", "/v1.0/%2E%2E/static/a.txt",
                                     "/v1.0/.%2e/static/a.txt"])
    def test_batch_200_19(self, check, url):
        # CONTRACT §3: after dot segments are removed the url must lie under BatchBase
        check.bad(with_bad(item(BAD_ID, url)), field="url", path="/v1.0/$batch")

    @pytest.mark.parametrize("member", ["depends_on", "atomicityGroup", "Headers",
                                        "body64", "ID"])
    def test_batch_200_20(self, check, member):
        # CONTRACT §3: any other member in an item is refused, naming it
        bad = item(BAD_ID, "/static/a.txt")
        bad[member] = ["probe-1"]
        check.bad(with_bad(bad), field=member)

    @pytest.mark.parametrize("name", ["Bad Name", "X:Y", "", "X-\u00e9", "X(y)", "X\r\nY"])
    def test_batch_200_21(self, check, name):
        # CONTRACT §3: header names are HTTP tokens
        check.bad(with_bad(item(BAD_ID, "/pyb/echo", headers={name: "v"})),
                  field="headers")

    @pytest.mark.parametrize("value", ["a\r\nX-Injected: 1", "a\nb", "a\rb", "a\x00b",
                                       "a\x1bb", "a\x7fb"])
    def test_batch_200_22(self, check, value):
        # CONTRACT §3: header values have no control characters other than tab
        check.bad(with_bad(item(BAD_ID, "/pyb/echo", headers={"X-V": value})),
                  field=["headers", "X-V"])

    @pytest.mark.parametrize("value", ["a\u0085b", "\u0080", "x\u009f", "a\u008db"])
    def test_batch_200_28(self, check, value):
        # CONTRACT §3 (issue 12.5): C1 controls (U+0080-U+009F, NEL among them,
        # which some HTTP stacks take for a line break) are control characters
        # in header values too, as in ids and urls: 400 naming item and header
        msg = check.bad(with_bad(item(BAD_ID, "/pyb/echo", headers={"X-V": value})),
                        field="headers")
        assert "X-V" in msg and "control character" in msg, msg

    @pytest.mark.parametrize("field", ["id", "url"])
    def test_batch_200_29(self, check, field):
        # the same rule for ids and urls: NEL refused there as well
        bad = item(BAD_ID, "/static/a\u0085.txt" if field == "url" else "/static/a.txt")
        if field == "id":
            bad["id"] = "a\u0085b"
        check.bad(with_bad(bad), id=None if field == "id" else BAD_ID, field=field)

    def test_batch_200_23(self, client, env):
        # CONTRACT §3: a tab inside a header value is allowed
        r = client.post_batch([item("t", "/pyb/echo", headers={"X-Tab": "a\tb"})])
        assert r.status_code == 200, r.text[:500]
        assert r.json()["responses"][0]["body"]["headers"]["X-Tab"] == "a\tb"

    @pytest.mark.parametrize("name", ["Host", "Content-Length", "Transfer-Encoding",
                                      "Connection", "Keep-Alive", "TE", "Trailer",
                                      "Upgrade", "Expect", "Proxy-Connection",
                                      "HTTP2-Settings", "host", "content-length"])
    def test_batch_200_24(self, check, name):
        # CONTRACT §4: an item may not set framing/hop-by-hop headers -> batch-level 400
        check.bad(with_bad(item(BAD_ID, "/pyb/echo", headers={name: "1"})),
                  field=["headers", name])

    @pytest.mark.parametrize("deps", [["nope"], [BAD_ID], ["later"], ["probe-1", "nope"]])
    def test_batch_200_25(self, check, deps):
        # CONTRACT §3: dependsOn naming an unknown id, the item itself, or a later item -> 400
        items = with_bad(item(BAD_ID, "/static/a.txt", dependsOn=deps))
        items.append(item("later", "/static/a.txt"))
        check.bad(items, field="dependsOn")

    @pytest.mark.parametrize("ctype,body", [
        ("text/plain", {"a": 1}), ("text/plain", 5), ("text/plain; charset=utf-8", ["x"]),
        ("application/xml", True), ("application/x-www-form-urlencoded", {"a": "b"}),
    ])
    def test_batch_200_26(self, check, ctype, body):
        # CONTRACT §5: a text-typed body must be a string
        bad = item(BAD_ID, "/pyb/echo", "POST", headers={"Content-Type": ctype}, body=body)
        check.bad(with_bad(bad), field="body")

    @pytest.mark.parametrize("ctype,body", [
        ("application/octet-stream", "not base64!"), ("application/octet-stream", {"a": 1}),
        ("image/png", 12), ("application/octet-stream", "QUJD=RA"),
        ("application/pdf", "QUJ\u00e9"),
    ])
    def test_batch_200_27(self, check, ctype, body):
        # CONTRACT §5: a binary-typed body must be a base64 string
        bad = item(BAD_ID, "/pyb/echo", "POST", headers={"Content-Type": ctype}, body=body)
        check.bad(with_bad(bad), field="body")


class TestRequestHeaderLimits:
    """Small LimitRequestFields / LimitRequestFieldSize: an item's own
    headers count against them (CONTRACT §3)."""

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        BatchConf(env).add(["LimitRequestFields 20", "LimitRequestFieldSize 200"]).install()

    def test_batch_200_30(self, check):
        # CONTRACT §3: more item headers than LimitRequestFields -> 400
        hdrs = {"X-H%02d" % i: "v" for i in range(25)}
        check.bad(with_bad(item(BAD_ID, "/pyb/echo", headers=hdrs)), field="headers")

    def test_batch_200_31(self, check):
        # CONTRACT §3: an item header longer than LimitRequestFieldSize -> 400
        check.bad(with_bad(item(BAD_ID, "/pyb/echo", headers={"X-Long": "v" * 300})),
                  field=["headers", "X-Long"])

    def test_batch_200_32(self, client):
        # CONTRACT §3: within the limits the item runs
        r = client.post_batch([item("ok", "/pyb/echo", headers={"X-H%d" % i: "v" * 50
                                                                   for i in range(5)})])
        assert r.status_code == 200, r.text[:500]
        assert r.json()["responses"][0]["status"] == 200
