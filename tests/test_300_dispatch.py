"""CONTRACT §4 (running the items as subrequests) and the DESIGN traps of
httpd's subrequest machinery: which targets items reach, header inheritance
and overlay, authn/authz with the item's own credentials, BATCH_ITEM_ID,
the item's request line, error pages, keep-alive, internal redirects,
nesting, HEAD/204/304, BatchBase resolution, deflate, Range, [NS] rules and
the access log."""
import base64
import http.client
import json
import os
import re
import time

import pytest

from harness.client import item
from harness.conf import BatchConf
from harness.env import gen_text
from harness.helpers import check_ids, run

A_TXT = "hello from a.txt\n"
ME = {"displayName": "Alice Example", "id": "alice", "mail": "alice@example.org"}
V1 = "/v1.0/$batch"


def basic(user, pw):
    return "Basic " + base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()


def assert_item_error(res, status, code, message=None):
    assert res["status"] == status, res
    assert res["headers"].get("Content-Type", "").startswith("application/json"), res
    err = res["body"]["error"]
    assert err["code"] == code, res
    assert isinstance(err["message"], str) and err["message"]
    if message is not None:
        assert err["message"] == message, res
    return err


def lower_keys(d):
    return {k.lower(): v for k, v in d.items()}


class TestDispatch:
    """Default configuration (tests/conf/httpd.conf.in)."""

    def test_batch_300_01(self, client, env):
        # CONTRACT §4: items reach static, CGI, mod_lua and proxied (/api, /pyb) targets
        n = env.pyb.count()
        items = [item("static", "/static/a.txt"),
                 item("cgi", "/cgi/echo.py?x=1"),
                 item("lua", "/lua/echo.lua?y=2"),
                 item("api", "/api/products/3"),
                 item("api-cgi", "/api/cgi/echo.py"),
                 item("pyb", "/pyb/echo?z=3")]
        rs = run(client, items)
        assert rs["static"]["status"] == 200 and rs["static"]["body"] == A_TXT
        assert rs["static"]["headers"]["Content-Type"].startswith("text/plain")
        cgi = rs["cgi"]
        assert cgi["status"] == 200 and cgi["headers"]["X-Echo"] == "cgi"
        assert cgi["body"]["method"] == "GET" and cgi["body"]["query"] == "x=1"
        lua = rs["lua"]
        assert lua["status"] == 200 and lua["headers"]["X-Echo"] == "lua"
        assert lua["body"]["uri"] == "/lua/echo.lua" and lua["body"]["args"] == "y=2"
        assert lua["body"]["is_initial_req"] is False   # it really ran as a subrequest
        assert rs["api"]["status"] == 200
        assert rs["api"]["body"] == {"id": 3, "title": "Notebook", "price": 3.2}
        assert rs["api-cgi"]["status"] == 200 and rs["api-cgi"]["body"]["method"] == "GET"
        pyb = rs["pyb"]
        assert pyb["status"] == 200 and pyb["headers"]["X-Echo"] == "pyb"
        assert pyb["body"]["path"] == "/echo" and pyb["body"]["query"] == "z=3"
        assert env.pyb.count() == n + 1

    def test_batch_300_02(self, client):
        # CONTRACT §3/§4: the sample products API works through a batch (the §3 example)
        items = [item("1", "/products?skip=0&limit=1"),
                 item("2", "/products/1"),
                 item("3", "/products", "POST", headers={"Content-Type": "application/json"},
                      body={"title": "Test Product"}, depends_on=["2"]),
                 item("4", "/products/99"),
                 item("5", "/api/products?skip=1&limit=2")]
        rs = run(client, items)
        assert rs["1"]["status"] == 200
        assert rs["1"]["body"] == {"products": [{"id": 1, "title": "Pen", "price": 1.5}],
                                   "total": 10, "skip": 0, "limit": 1}
        assert rs["2"]["body"] == {"id": 1, "title": "Pen", "price": 1.5}
        assert rs["3"]["status"] == 201, rs["3"]
        assert rs["3"]["body"]["id"] == 11 and rs["3"]["body"]["title"] == "Test Product"
        assert rs["3"]["headers"]["Location"].endswith("/products/11")
        assert rs["4"]["status"] == 404 and rs["4"]["body"]["error"]["code"] == "NotFound"
        assert [p["id"] for p in rs["5"]["body"]["products"]] == [2, 3]

    def test_batch_300_03(self, client):
        # CONTRACT §4: batch request headers (X-Main, Cookie, Authorization) reach the item target
        hdrs = {"X-Main": "1", "Cookie": "session=abc", "Authorization": basic("alice", "secret")}
        items = [item("cgi", "/cgi/echo.py"), item("lua", "/lua/echo.lua"),
                 item("pyb", "/pyb/echo"), item("api", "/api/cgi/echo.py")]
        rs = run(client, items, headers=hdrs)
        for i in ("cgi", "lua", "pyb", "api"):
            h = lower_keys(rs[i]["body"]["headers"])
            assert h.get("x-main") == "1", (i, h)
            assert h.get("cookie") == "session=abc", (i, h)
        # CGI hides Authorization from scripts; lua and the proxied backend see it
        for i in ("lua", "pyb"):
            h = lower_keys(rs[i]["body"]["headers"])
            assert h.get("authorization") == hdrs["Authorization"], (i, h)

    def test_batch_300_04(self, client, env):
        # CONTRACT §4: Content-*, Accept-Encoding, If-*, Range, Expect and hop-by-hop headers of the batch are not inherited
        n = env.pyb.count()
        hdrs = {"Content-Encoding": "identity", "Content-Language": "de",
                "Accept-Encoding": "gzip, deflate",
                "If-Match": "*", "If-None-Match": '"nope"',
                "If-Modified-Since": "Wed, 21 Oct 2015 07:28:00 GMT",
                "If-Unmodified-Since": "Wed, 21 Oct 2037 07:28:00 GMT",
                "If-Range": '"x"', "Range": "bytes=0-3", "Expect": "100-continue",
                "Keep-Alive": "timeout=5", "TE": "trailers", "Trailer": "X-T",
                "Upgrade": "foo/1", "Proxy-Connection": "keep-alive",
                "Connection": "keep-alive, TE",
                "X-Kept": "yes"}
        items = [item("cgi", "/cgi/echo.py"), item("lua", "/lua/echo.lua"),
                 item("pyb", "/pyb/echo")]
        rs = run(client, items, headers=hdrs)
        strip = [k.lower() for k in hdrs if k != "X-Kept"] + ["content-type"]
        for i in ("cgi", "lua", "pyb"):
            h = lower_keys(rs[i]["body"]["headers"])
            assert h.get("x-kept") == "yes", (i, h)   # the probe proves headers do arrive
            leaked = [k for k in strip if k in h and not (i == "pyb" and k == "connection")]
            assert not leaked, (i, leaked, h)
        # pyb's Connection is mod_proxy's own to the backend, never the client's "TE" list
        assert "te" not in rs["pyb"]["body"]["headers"].get("Connection", "").lower()
        # Content-Type / Content-Length of the batch (JSON, its length) are not the item's
        assert rs["cgi"]["body"]["content_type"] is None
        assert rs["cgi"]["body"]["content_length"] in (None, "", "0")
        assert lower_keys(rs["pyb"]["body"]["headers"]).get("content-length", "0") == "0"
        assert rs["lua"]["body"]["content_type"] is None
        # If-* stripped: the If-Match/If-Unmodified-Since did not turn items into 412s
        assert all(rs[i]["status"] == 200 for i in rs)
        assert env.pyb.count() == n + 1

    def test_batch_300_05(self, client):
        # CONTRACT §4: headers named in the batch request's Connection header are hop-by-hop: not inherited
        hdrs = {"Connection": "keep-alive, X-Hop", "X-Hop": "hop", "X-Kept": "yes"}
        items = [item("cgi", "/cgi/echo.py"), item("pyb", "/pyb/echo")]
        rs = run(client, items, headers=hdrs)
        for i in ("cgi", "pyb"):
            h = lower_keys(rs[i]["body"]["headers"])
            assert h.get("x-kept") == "yes", (i, h)
            assert "x-hop" not in h, (i, "a Connection-named header of the batch reached the item", h)

    def test_batch_300_06(self, client, env):
        # CONTRACT §4: Transfer-Encoding (a chunked batch body) and the batch Content-Length are not inherited
        body = json.dumps({"requests": [item("cgi", "/cgi/echo.py"),
                                        item("pyb", "/pyb/echo")]}).encode()
        r = client.raw_request("POST", "/batch", body=body, chunked=True, chunk_size=16,
                               headers={"Content-Type": "application/json"})
        assert r.status == 200, r.raw[:500]
        rs = {x["id"]: x for x in r.json()["responses"]}
        for i in ("cgi", "pyb"):
            h = lower_keys(rs[i]["body"]["headers"])
            assert "transfer-encoding" not in h, (i, h)
            assert "content-type" not in h, (i, h)
        assert lower_keys(rs["pyb"]["body"]["headers"]).get("content-length", "0") == "0"
        assert rs["cgi"]["body"]["body"] == ""   # the batch JSON never reaches an item's stdin

    def test_batch_300_07(self, client):
        # CONTRACT §4: the item's own headers are laid over the inherited ones (replace, not append)
        hdrs = {"X-Main": "batch", "X-Only-Batch": "b", "Cookie": "c=batch"}
        items = [item("over", "/cgi/echo.py", headers={"X-Main": "item", "Cookie": "c=item",
                                                       "X-Only-Item": "i"}),
                 item("plain", "/cgi/echo.py"),
                 item("pyb", "/pyb/echo", headers={"x-main": "item-lc"})]
        rs = run(client, items, headers=hdrs)
        h = rs["over"]["body"]["headers"]
        assert h["X-Main"] == "item" and h["Cookie"] == "c=item", h
        assert h["X-Only-Batch"] == "b" and h["X-Only-Item"] == "i", h
        h = rs["plain"]["body"]["headers"]          # a later item sees the batch values again
        assert h["X-Main"] == "batch" and h["Cookie"] == "c=batch" and "X-Only-Item" not in h
        h = lower_keys(rs["pyb"]["body"]["headers"])  # header names compare case-insensitively
        assert h["x-main"] == "item-lc", h

    def test_batch_300_08(self, client, env):
        # DESIGN trap 8: item headers are applied BEFORE the lookup: item Authorization passes Basic auth
        env.expect_log(["AH01617", "AH01618"])
        items = [item("ok", "/private/secret.json",
                      headers={"Authorization": basic("alice", "secret")}),
                 item("lua", "/private/echo.lua",
                      headers={"Authorization": basic("bob", "builder")}),
                 item("none", "/private/secret.json"),
                 item("wrong", "/private/echo.lua",
                      headers={"Authorization": basic("alice", "wrong")})]
        rs = run(client, items)            # the batch itself carries no credentials
        assert rs["ok"]["status"] == 200 and rs["ok"]["body"] == {"secret": "alice only"}
        assert rs["lua"]["status"] == 200 and rs["lua"]["body"]["user"] == "bob"
        for i in ("none", "wrong"):
            res = rs[i]
            assert_item_error(res, 401, "Unauthorized", "401 Unauthorized")
            assert res["body"] == {"error": {"code": "Unauthorized", "message": "401 Unauthorized"}}
            assert res["headers"].get("WWW-Authenticate") == 'Basic realm="mod_batch test"', res

    def test_batch_300_09(self, client, env):
        # CONTRACT §4: batch-level Authorization authenticates items; an item Authorization overrides it
        env.expect_log(["AH01617", "AH01618"])
        items = [item("a", "/private/echo.lua"), item("s", "/private/secret.json"),
                 item("b", "/private/echo.lua",
                      headers={"Authorization": basic("bob", "builder")}),
                 item("w", "/private/echo.lua",
                      headers={"Authorization": basic("bob", "nope")})]
        rs = run(client, items, headers={"Authorization": basic("alice", "secret")})
        assert rs["a"]["status"] == 200 and rs["a"]["body"]["user"] == "alice"
        assert rs["s"]["status"] == 200
        assert rs["b"]["status"] == 200 and rs["b"]["body"]["user"] == "bob"
        assert rs["w"]["status"] == 401   # the item's wrong credentials win over the batch's good ones

    def test_batch_300_10(self, client, env):
        # CONTRACT §4: Require all denied / Require ip / rewrite [F] refuse items with 403, as httpd does
        env.expect_log(["AH01630", "AH01797"])
        n = env.pyb.count()
        items = [item("denied", "/denied/a.txt"), item("ip", "/iponly/a.txt"),
                 item("rwf", "/rwforbidden"), item("rwdf", "/rw/forbidden"),
                 item("after", "/pyb/hit?after-403")]
        rs = run(client, items)
        for i in ("denied", "ip", "rwf", "rwdf"):
            assert_item_error(rs[i], 403, "Forbidden", "403 Forbidden")
        assert rs["after"]["status"] == 200 and env.pyb.count() == n + 1
        # httpd's authz logged the refusals as for direct requests
        lines = env.log.lines()
        assert any(re.search(r"AH01630.*denied/a\.txt", ln) for ln in lines), lines
        assert any(re.search(r"AH01630.*iponly/a\.txt", ln) for ln in lines), lines

    def test_batch_300_11(self, client):
        # DESIGN trap 21 / CONTRACT §4: BATCH_ITEM_ID is visible to CGI, lua and mod_headers on the proxy, per item
        items = [item("c-1", "/cgi/echo.py"), item("c-2", "/cgi/echo.py"),
                 item("l-1", "/lua/echo.lua"), item("l-2", "/lua/echo.lua"),
                 item("a-1", "/api/cgi/echo.py"), item("a-2", "/api/lua/echo.lua"),
                 item("s-1", "/cgi/sleep.py?s=0")]
        rs = run(client, items)
        for i in ("c-1", "c-2", "l-1", "l-2"):
            assert rs[i]["body"]["item_id"] == i, rs[i]
        for i in ("a-1", "a-2"):   # RequestHeader set X-Item-Id "%{BATCH_ITEM_ID}e" on /api/
            assert lower_keys(rs[i]["body"]["headers"]).get("x-item-id") == i, rs[i]
        assert rs["s-1"]["body"]["item_id"] == "s-1"

    def test_batch_300_12(self, client):
        # DESIGN trap 10: the item's request line, not the batch's: CGI REQUEST_URI is the item url
        items = [item("1", "/cgi/echo.py?a=1&b=two"), item("2", "/cgi/echo.py/extra/path"),
                 item("3", "/cgi/echo.py", "POST", body="x")]
        rs = run(client, items)
        assert rs["1"]["body"]["uri"] == "/cgi/echo.py?a=1&b=two"
        assert rs["2"]["body"]["uri"] == "/cgi/echo.py/extra/path"
        assert rs["2"]["body"]["path_info"] == "/extra/path"
        assert rs["3"]["body"]["uri"] == "/cgi/echo.py"
        assert rs["3"]["body"]["method"] == "POST"

    @pytest.mark.parametrize("url", ["/rw/missing", "/cgi/redirect.py?to=missing"])
    def test_batch_300_13(self, client, url):
        # DESIGN trap 3: an ap_die error page inside an item never leaks into the batch response
        items = [item("before", "/static/a.txt"), item("die", url),
                 item("after", "/static/small.json")]
        r = client.post_batch(items)
        assert r.status_code == 200, r.text[:1000]
        assert r.headers["Content-Type"].split(";")[0].strip() == "application/json"
        assert not r.text.lstrip().startswith("<"), r.text[:300]
        rs = r.json()["responses"]           # the whole body is one valid JSON document
        check_ids(items, rs)
        assert rs[0]["status"] == 200 and rs[0]["body"] == A_TXT
        assert rs[1]["status"] == 404, rs[1]
        assert rs[2]["status"] == 200 and rs[2]["body"] == {"hello": "world"}

    @pytest.mark.parametrize("url", ["/rw/missing", "/cgi/redirect.py?to=missing"])
    def test_batch_300_14(self, client, url):
        # CONTRACT §6: a 404 from a missing static file reached by internal redirect gets the generated JSON error body
        rs = run(client, [item("1", url)])
        assert rs["1"]["status"] == 404
        assert rs["1"]["body"] == {"error": {"code": "NotFound", "message": "404 Not Found"}}, \
            rs["1"]
        assert rs["1"]["headers"]["Content-Type"] == "application/json", rs["1"]

    def test_batch_300_15(self, client, env):
        # DESIGN trap 4: 400/500 items do not make the batch response Connection: close; keep-alive goes on
        env.expect_log(["AH01630"])
        items = [item("c400", "/cgi/status.py?code=400&body=bad"),
                 item("c500", "/cgi/status.py?code=500"),
                 item("p500", "/pyb/status?status=500"),
                 item("p400", "/pyb/status?status=400"),
                 item("nest", "/batch"), item("rwnest", "/rw/nest"),
                 item("die", "/rw/missing"), item("cgidie", "/cgi/redirect.py?to=missing"),
                 item("denied", "/denied/a.txt"), item("r501", "/cgi/status.py?code=501")]
        body = json.dumps({"requests": items})
        conn = http.client.HTTPConnection("127.0.0.1", env.port, timeout=30)
        try:
            hdrs = {"Content-Type": "application/json", "X-Test-Name": env.test_name}
            conn.request("POST", "/batch", body=body, headers=hdrs)
            r1 = conn.getresponse()
            data = r1.read()
            assert r1.status == 200, data[:500]
            assert "close" not in (r1.getheader("Connection") or "").lower(), r1.getheaders()
            rs = json.loads(data)["responses"]
            check_ids(items, rs)
            assert [x["status"] for x in rs] == [400, 500, 500, 400, 400, 400, 404, 404, 403, 501]
            sock1 = conn.sock
            assert sock1 is not None, "the client connection was closed after the first batch"
            local1 = sock1.getsockname()
            # a second request on the same keep-alive connection works
            conn.request("POST", "/batch", body=json.dumps(
                {"requests": [item("again", "/static/a.txt")]}), headers=hdrs)
            r2 = conn.getresponse()
            data2 = r2.read()
            assert r2.status == 200, data2[:500]
            assert conn.sock is sock1 and conn.sock.getsockname() == local1, \
                "the server closed the connection: a second TCP connection was needed"
            assert json.loads(data2)["responses"][0]["body"] == A_TXT
        finally:
            conn.close()

    def test_batch_300_16(self, client):
        # CONTRACT §6: an item with status >= 400 and no body gets {"error":...} made from httpd's status line
        rs = run(client, [item("500", "/cgi/status.py?code=500"),
                          item("418", "/cgi/status.py?code=418"),
                          item("own", "/cgi/status.py?code=500&body=own")])
        assert rs["500"]["status"] == 500
        assert rs["500"]["body"] == {"error": {"code": "InternalServerError",
                                               "message": "500 Internal Server Error"}}, rs["500"]
        assert rs["418"]["status"] == 418
        # httpd has no reason phrase for 418 (ap_get_status_line), and
        # mod_batch keeps no table of its own: the bare number
        assert rs["418"]["body"] == {"error": {"code": "Error", "message": "418"}}, rs["418"]
        assert rs["own"]["body"] == "own"     # a body of its own is kept as it is

    def test_batch_300_17(self, client, env):
        # DESIGN §1 redirects: CGI local Location and DirectoryIndex are followed; 301/302 keep Location with the port
        items = [item("cgi", "/cgi/redirect.py"), item("dir", "/static/dir/"),
                 item("noslash", "/static/dir"), item("old", "/old"),
                 item("rw", "/rw/static"), item("ext", "/cgi/redirect.py?to=external")]
        rs = run(client, items)
        assert rs["cgi"]["status"] == 200 and rs["cgi"]["body"] == A_TXT
        assert rs["cgi"]["headers"]["Content-Type"].startswith("text/plain")
        assert rs["dir"]["status"] == 200 and "index.html of /static/dir/" in rs["dir"]["body"]
        assert rs["dir"]["headers"]["Content-Type"].startswith("text/html")
        base = "http://127.0.0.1:%d" % env.port
        assert rs["noslash"]["status"] == 301
        assert rs["noslash"]["headers"]["Location"] == base + "/static/dir/"
        assert rs["old"]["status"] == 302
        assert rs["old"]["headers"]["Location"] == base + "/static/a.txt"
        assert rs["rw"]["status"] == 200 and rs["rw"]["body"] == A_TXT
        assert rs["ext"]["status"] == 302
        assert rs["ext"]["headers"]["Location"] == "http://example.org/elsewhere"

    @pytest.mark.parametrize("url,method", [("/batch", "GET"), ("/batch/", "GET"),
                                            ("/static/../batch", "GET"), ("/tobatch", "GET"),
                                            ("/rw/nest", "GET"), ("/batch", "POST"),
                                            ("/tobatch", "POST")])
    def test_batch_300_18(self, client, env, url, method):
        # CONTRACT §4 / DESIGN §4 nesting: a batch target -> item 400 NestedBatch; the rest still runs
        n = env.pyb.count()
        kw = {"body": {"requests": [item("inner", "/pyb/hit?inner")]}} if method == "POST" else {}
        items = [item("pre", "/pyb/hit?pre"), item("nest", url, method, **kw),
                 item("post", "/pyb/hit?post")]
        rs = run(client, items)
        assert_item_error(rs["nest"], 400, "NestedBatch")
        assert rs["pre"]["status"] == 200 and rs["post"]["status"] == 200
        assert env.pyb.count() == n + 2     # the inner batch's item never ran
        paths = [q["path"] for q in env.pyb.requests[-2:]]
        assert paths == ["/hit?pre", "/hit?post"], paths

    def test_batch_300_19(self, client, env):
        # CONTRACT §5: a HEAD item has status and headers but never a body key, whatever its status
        env.expect_log(["AH01618"])
        n = env.pyb.count()
        items = [item("s", "/static/a.txt", "HEAD"), item("miss", "/static/nope.txt", "HEAD"),
                 item("p", "/pyb/echo?head", "HEAD"),
                 item("c404", "/cgi/status.py?code=404&body=x", "HEAD"),
                 item("auth", "/private/secret.json", "HEAD"),
                 item("cgi", "/cgi/echo.py", "HEAD")]
        rs = run(client, items)
        for i in rs:
            assert "body" not in rs[i], rs[i]
        assert rs["s"]["status"] == 200
        assert rs["s"]["headers"]["Content-Type"].startswith("text/plain")
        assert "ETag" in rs["s"]["headers"]
        assert rs["miss"]["status"] == 404
        assert rs["p"]["status"] == 200 and rs["p"]["headers"].get("X-Echo") == "pyb"
        assert env.pyb.count() == n + 1 and env.pyb.requests[-1]["method"] == "HEAD"
        assert rs["c404"]["status"] == 404
        assert rs["auth"]["status"] == 401 and "WWW-Authenticate" in rs["auth"]["headers"]
        assert rs["cgi"]["status"] == 200 and rs["cgi"]["headers"].get("X-Echo") == "cgi"

    def test_batch_300_20(self, client):
        # CONTRACT §5: 204 and 304 item responses have no body key (CGI, proxy, static If-None-Match)
        etag = run(client, [item("e", "/static/etag.txt")])["e"]["headers"]["ETag"]
        items = [item("c204", "/cgi/status.py?code=204"),
                 item("p204", "/pyb/status?status=204"),
                 item("p304", "/pyb/status?status=304"),
                 item("s304", "/static/etag.txt", headers={"If-None-Match": etag})]
        rs = run(client, items)
        assert [rs[i]["status"] for i in ("c204", "p204", "p304", "s304")] == [204, 204, 304, 304]
        for i in rs:
            assert "body" not in rs[i], rs[i]
        assert rs["s304"]["headers"].get("ETag") == etag

    def test_batch_300_21(self, client):
        # CONTRACT §3: under BatchBase /v1.0, /me, me and /v1.0/me all reach /v1.0/me
        items = [item("abs", "/me"), item("rel", "me"), item("full", "/v1.0/me"),
                 item("q", "/me?select=id"), item("prod", "products/2"),
                 item("prodfull", "/v1.0/products/2")]
        rs = run(client, items, path=V1)
        for i in ("abs", "rel", "full", "q"):
            assert rs[i]["status"] == 200 and rs[i]["body"] == ME, rs[i]
        for i in ("prod", "prodfull"):
            assert rs[i]["body"]["title"] == "Pencil", rs[i]

    def test_batch_300_22(self, client):
        # CONTRACT §3: /v1.0beta/x is not under /v1.0: it resolves to /v1.0/v1.0beta/x (404), not /v1.0beta/x
        rs = run(client, [item("beta", "/v1.0beta/me"), item("v1me", "/v1.0me"),
                          item("ok", "/me")], path=V1)
        assert rs["beta"]["status"] == 404 and rs["v1me"]["status"] == 404
        assert rs["ok"]["status"] == 200

    @pytest.mark.parametrize("url", ["../admin", "/../static/a.txt", "/v1.0/../static/a.txt",
                                     "/%2e%2e/static/a.txt", "/%2E%2E/static/a.txt",
                                     "/.%2e/static/a.txt", "/v1.0/%2e%2e/static/a.txt",
                                     "//static/../../x", "/me/../../static/a.txt",
                                     "a/../../static/a.txt", "/..", "..",
                                     "/products/%2e%2e/%2e%2e/static/a.txt"])
    def test_batch_300_23(self, client, env, url):
        # CONTRACT §3: a url whose dot segments leave BatchBase is refused (400) or never escapes /v1.0
        n = env.pyb.count()
        r = client.post_batch([item("probe", "/pyb/hit?escape"), item("x", url)], path=V1)
        if r.status_code == 400:
            assert r.json()["error"]["code"] == "BadRequest"
            assert env.pyb.count() == n      # nothing ran
            return
        assert r.status_code == 200, r.text[:500]
        res = r.json()["responses"][1]
        assert res["status"] >= 400, res
        assert res.get("body") != A_TXT, res

    def test_batch_300_24(self, client):
        # CONTRACT §3: percent-encoding, double slashes and dot segments that stay under BatchBase are fine
        items = [item("pct", "/products/%31"), item("pctme", "/%6De"),
                 item("dbl", "/products//2"), item("dblbase", "/v1.0//me"),
                 item("dot", "/./products/./3"), item("dotdot", "/v1.0/products/../me"),
                 item("reldot", "products/x/../4"), item("qdot", "/me?x=../../a")]
        rs = run(client, items, path=V1)
        assert rs["pct"]["body"]["id"] == 1
        assert rs["pctme"]["body"] == ME and rs["dblbase"]["body"] == ME
        assert rs["dbl"]["body"]["id"] == 2
        assert rs["dot"]["body"]["id"] == 3
        assert rs["dotdot"]["body"] == ME
        assert rs["reldot"]["body"]["id"] == 4
        assert rs["qdot"]["status"] == 200 and rs["qdot"]["body"] == ME

    def test_batch_300_25(self, client):
        # CONTRACT §4 / DESIGN §3: Accept-Encoding is not inherited: mod_deflate never gzips an item body
        r = client.get("/static/1k.txt", headers={"Accept-Encoding": "gzip"})
        assert r.headers.get("Content-Encoding") == "gzip"   # DEFLATE is on for direct clients
        items = [item("1k", "/static/1k.txt"), item("json", "/static/small.json"),
                 item("pyb", "/pyb/echo")]
        rs = run(client, items, headers={"Accept-Encoding": "gzip, deflate"})
        assert rs["1k"]["status"] == 200
        assert rs["1k"]["body"] == gen_text(1024).decode()
        assert "Content-Encoding" not in rs["1k"]["headers"], rs["1k"]["headers"]
        assert rs["json"]["body"] == {"hello": "world"}
        assert "accept-encoding" not in lower_keys(rs["pyb"]["body"]["headers"])

    def test_batch_300_26(self, client):
        # CONTRACT §4 / DESIGN trap 1: Range on the batch request is ignored: full JSON back, 200 not 206
        items = [item("1", "/static/1k.txt"), item("2", "/static/a.txt")]
        r = client.post_batch(items, headers={"Range": "bytes=0-3"})
        assert r.status_code == 200, r.status_code
        assert "Content-Range" not in r.headers
        rs = r.json()["responses"]
        assert rs[0]["body"] == gen_text(1024).decode() and rs[1]["body"] == A_TXT
        assert "content-range" not in lower_keys(rs[0]["headers"])

    def test_batch_300_27(self, client, env):
        # CONTRACT §4: an item's own Range header is handled as httpd does for subrequests.
        # Observed (httpd 2.4.71): the BYTERANGE filter is a protocol filter of the main
        # request only, so a static item with "Range: bytes=0-4" gets 200 and the FULL body
        # (no 206, no Content-Range); a proxied item forwards the Range header to the backend.
        items = [item("s", "/static/a.txt", headers={"Range": "bytes=0-4"}),
                 item("p", "/pyb/echo", headers={"Range": "bytes=0-4"})]
        rs = run(client, items)
        assert rs["s"]["status"] == 200 and rs["s"]["body"] == A_TXT, rs["s"]
        assert "Content-Range" not in rs["s"]["headers"]
        assert lower_keys(rs["p"]["body"]["headers"]).get("range") == "bytes=0-4"

    def test_batch_300_28(self, client, env):
        # CONTRACT §4 / DESIGN trap 24: [NS] rewrite rules are skipped for items (documented in README)
        assert client.get("/static/ns-guarded.txt").status_code == 403
        assert client.get("/rw/ns").text == A_TXT
        rs = run(client, [item("ns", "/static/ns-guarded.txt"), item("rwns", "/rw/ns")])
        assert rs["ns"]["status"] == 200
        assert rs["ns"]["body"].startswith("guarded by a [F,NS] rewrite rule")
        assert rs["rwns"]["status"] == 404     # the per-dir [NS,PT] rule did not apply either
        with open(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                               "README.md")) as f:
            readme = f.read()
        assert re.search(r"\[NS\].{0,200}(subrequest|items)", readme, re.S), \
            "the docs must say that [NS] rules do not apply to items"

    def test_batch_300_29(self, client, env):
        # CONTRACT §7: one access-log line for the batch with %{batch-items}n and %{batch-failed}n
        items = [item("1", "/static/a.txt"), item("2", "/static/nope.txt"),
                 item("3", "/cgi/echo.py"), item("4", "/cgi/status.py?code=500"),
                 item("5", "/pyb/status?status=204")]
        rs = run(client, items)
        assert [rs[str(i)]["status"] for i in range(1, 6)] == [200, 404, 200, 500, 204]
        mine = []
        for _ in range(40):
            mine = [ln for ln in env.access_log_lines() if (" %s " % env.test_name) in ln]
            if mine:
                break
            time.sleep(0.05)
        time.sleep(0.2)
        mine = [ln for ln in env.access_log_lines() if (" %s " % env.test_name) in ln]
        assert len(mine) == 1, mine          # items are not logged (BatchLogItems Off)
        assert '"POST /batch HTTP/1.1" 200' in mine[0]
        assert mine[0].endswith(" 5 2"), mine[0]


class TestDispatchConf:
    """Extra probes in the class config: X-Item-Id on /pyb/, rewrite rules that
    read %{ENV:BATCH_ITEM_ID} and %{THE_REQUEST}, and a batch location with
    BatchBase /pyb whose items the Python backend records exactly."""

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        BatchConf(env).add_location("/pyb/", [
            'RequestHeader set X-Item-Id "%{BATCH_ITEM_ID}e" env=BATCH_ITEM_ID',
        ]).add([
            'RewriteCond "%{ENV:BATCH_ITEM_ID}" "^(.+)$"',
            'RewriteRule "^/itemenv$" "/cgi/echo.py?rwid=%1" [PT]',
            'RewriteCond "%{THE_REQUEST}" "^([A-Za-z]+) ([^ ?]+)"',
            'RewriteRule "^/thereq$" "/cgi/echo.py?m=%1&u=%2" [PT]',
        ]).add_batch("/pybatch", ["BatchBase /pyb"]).install()

    def test_batch_300_30(self, client, env):
        # DESIGN trap 21: BATCH_ITEM_ID reaches mod_headers (RequestHeader) on the /pyb/ proxy, per item
        items = [item("first", "/pyb/echo?1"), item("second", "/pyb/echo?2"),
                 item("Third-3", "/pyb/echo?3")]
        rs = run(client, items)
        for i in rs:
            assert lower_keys(rs[i]["body"]["headers"]).get("x-item-id") == i, rs[i]
        # a direct request has no BATCH_ITEM_ID, so no header
        assert "X-Item-Id" not in client.get("/pyb/echo").json()["headers"]

    def test_batch_300_31(self, client):
        # DESIGN trap 21: BATCH_ITEM_ID is set from the first phase on: server-context mod_rewrite sees it
        rs = run(client, [item("rw-a", "/itemenv"), item("rw-b", "/itemenv")])
        assert rs["rw-a"]["status"] == 200, rs["rw-a"]
        assert rs["rw-a"]["body"]["query"] == "rwid=rw-a"
        assert rs["rw-b"]["body"]["query"] == "rwid=rw-b"

    def test_batch_300_32(self, client):
        # DESIGN trap 10: %{THE_REQUEST} of an item is the item's method and url, not "POST /batch"
        rs = run(client, [item("g", "/thereq"), item("p", "/thereq", "PUT", body="x")])
        assert rs["g"]["body"]["query"] == "m=GET&u=/thereq", rs["g"]["body"]
        assert rs["p"]["body"]["query"] == "m=PUT&u=/thereq", rs["p"]["body"]

    def test_batch_300_33(self, client, env):
        # CONTRACT §3: BatchBase resolution, observed at the backend: /pyb/x, /x and x reach /pyb/x
        items = [item("abs", "/echo"), item("rel", "echo?r=1"), item("full", "/pyb/echo?f=1"),
                 item("notbase", "/pybx/echo"), item("dots", "a/./b/../echo"),
                 item("pct", "/%65cho%20x")]
        before = len(env.pyb.requests)
        rs = run(client, items, path="/pybatch")
        assert all(rs[i]["status"] == 200 for i in rs), rs
        paths = [(q["path"]) for q in env.pyb.requests[before:]]
        assert paths == ["/echo", "/echo?r=1", "/echo?f=1", "/pybx/echo", "/a/echo",
                         "/echo%20x"], paths
