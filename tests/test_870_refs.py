"""CONTRACT §10: references between items (BatchReferences On): "$ID" url
prefixes (the Location of an earlier item) and "@{ID.path}" values (from its
JSON body) in urls, header values and JSON bodies, against the mod_lua
products API (POST /products answers 201, Location /products/11 and
{"id":11,...}) and the CGI echo; every 400 (malformed, not in dependsOn)
and 424 (cannot be resolved) case; Off changes nothing."""
import base64
import json
from urllib.parse import parse_qs, quote

import pytest

from harness.client import item
from harness.conf import BatchConf
from harness.helpers import run
from harness import multipart as mp


def create(id="1", title="chair", price=12.5):
    return item(id, "/products", "POST", body={"title": title, "price": price})


def assert_424(res, *want):
    assert res["status"] == 424, res
    err = res["body"]["error"]
    assert err["code"] == "FailedDependency", res
    for w in want:
        assert w in err["message"], err["message"]
    return err["message"]


def b64(text):
    return base64.b64encode(text.encode()).decode("ascii")


def echoed(res):
    assert res["status"] == 200, res
    return res["body"]


class TestReferences:

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        # BATCH_TEST_CONCURRENCY=N runs these locations concurrently too
        on = ["BatchReferences On"]
        if env.std_concurrency > 1:
            on.append("BatchConcurrency %d" % env.std_concurrency)
        (BatchConf(env)
         .add_batch("/batch-refs", on)
         .add_batch("/batch-refs-c", ["BatchReferences On", "BatchConcurrency 4"])
         .add_batch("/batch-refs-base", on + ["BatchBase /v1.0"])
         .add_batch("/batch-refs-pyb", on + ["BatchBase /pyb"])
         .add_batch("/batch-norefs", on[1:])
         .install())

    @pytest.mark.parametrize("path", ["/batch-refs", "/batch-refs-c"])
    def test_batch_870_01(self, client, path):
        # CONTRACT §10: "$1" is the path of item 1's Location; "@{1.id}" its id
        rs = run(client, [create(),
                          item("2", "$1", depends_on=["1"]),
                          item("3", "/cgi/echo.py/@{1.id}?t=@{1.title}", depends_on=["1"])],
                 path=path)
        assert rs["1"]["status"] == 201
        # the products API knows ids 1..10: the GET reached /products/11
        assert rs["2"]["status"] == 404
        assert "product 11 not found" in rs["2"]["body"]["error"]["message"]
        e = echoed(rs["3"])
        assert e["uri"] == "/cgi/echo.py/11?t=chair"

    def test_batch_870_02(self, client):
        # CONTRACT §10: a body string that is one reference becomes the typed value; longer text gets it spliced
        body = {"productId": "@{1.id}", "price": "@{1.price}", "note": "chair #@{1.id}",
                "whole": "@{1.title}", "keep": "no refs"}
        rs = run(client, [create(),
                          item("2", "/cgi/echo.py", "POST", depends_on=["1"], body=body,
                               headers={"X-Product": "p-@{1.id}"})],
                 path="/batch-refs")
        e = echoed(rs["2"])
        assert json.loads(e["body"]) == {"productId": 11, "price": 12.5,
                                         "note": "chair #11", "whole": "chair",
                                         "keep": "no refs"}
        assert e["headers"]["X-Product"] == "p-11"

    def test_batch_870_03(self, client):
        # CONTRACT §10: a list's first element
        rs = run(client, [item("list", "/products?limit=2"),
                          item("first", "/cgi/echo.py?name=@{list.products[0].title}",
                               depends_on=["list"],
                               body={"p": "@{list.products[1]}"},
                               method="POST")],
                 path="/batch-refs")
        e = echoed(rs["first"])
        assert e["query"] == "name=Pen"
        assert json.loads(e["body"]) == {"p": {"id": 2, "title": "Pencil", "price": 0.75}}

    @pytest.mark.parametrize("url,ref,want", [
        ("/cgi/echo.py/@{1.nope}", "@{1.nope}", "no member \"nope\""),
        ("/cgi/echo.py/@{1.id[0]}", "@{1.id[0]}", "is not an array"),
        ("/cgi/echo.py/@{1.title.x}", "@{1.title.x}", "is not an object"),
        ("/cgi/echo.py/@{list.products[5].id}", "@{list.products[5].id}",
         "has 2 elements, no [5]"),
        ("/cgi/echo.py/@{txt.a}", "@{txt.a}", "returned no JSON body"),
        ("$txt/x", "$txt", "without a Location header"),
    ])
    def test_batch_870_04(self, client, url, ref, want):
        # CONTRACT §10: an unresolvable reference is the item's 424 naming it; its dependents get 424
        rs = run(client, [create(), item("list", "/products?limit=2"),
                          item("txt", "/static/a.txt"),
                          item("x", url, depends_on=["1", "list", "txt"]),
                          item("y", "/static/small.json", depends_on=["x"])],
                 path="/batch-refs")
        assert_424(rs["x"], ref, want)
        assert_424(rs["y"])

    def test_batch_870_05(self, client):
        # CONTRACT §10: object spliced into text, control characters into a header: 424
        rs = run(client, [item("list", "/products?limit=1"),
                          item("a", "/cgi/echo.py", "POST", depends_on=["list"],
                               body={"t": "x @{list.products[0]}"}),
                          item("b", "/cgi/echo.py", depends_on=["list"],
                               headers={"X-N": "@{list.products}"})],
                 path="/batch-refs")
        assert_424(rs["a"], "@{list.products[0]}", "an object")
        assert_424(rs["b"], "@{list.products}", "an array")

    @pytest.mark.parametrize("items,want", [
        ([create(), item("2", "$1")], "not in \"dependsOn\""),
        ([create(), item("2", "/x/@{1.id}")], "not in \"dependsOn\""),
        ([create(), item("2", "/x", headers={"X-A": "@{1.id}"})], "not in \"dependsOn\""),
        ([create(), item("2", "/x", "POST", body={"a": "@{1.id}"})], "not in \"dependsOn\""),
        ([create(), item("2", "/x/@{1.id", depends_on=["1"])], "malformed reference"),
        ([create(), item("2", "/x/@{.id}", depends_on=["1"])], "an empty id"),
        ([create(), item("2", "/x/@{1}", depends_on=["1"])], "no path"),
        ([create(), item("2", "$/x", depends_on=["1"])], "an empty id"),
        ([create(), item("2", "/x", "POST", body=["@{1.}"], depends_on=["1"])],
         "an empty member name"),
    ])
    def test_batch_870_06(self, client, items, want):
        # CONTRACT §10: a malformed reference, or one outside dependsOn, is a 400 for the batch
        r = client.post_batch(items, path="/batch-refs")
        assert r.status_code == 400, r.text
        assert want in r.json()["error"]["message"], r.text

    def test_batch_870_07(self, client):
        # CONTRACT §10: hostile values never add segments; "$1" stays under BatchBase
        rs = run(client, [item("h", "/cgi/echo.py?q=a/b%3Fc%23d&r=../admin"),
                          item("1", "/cgi/echo.py?x=@{h.query}", depends_on=["h"]),
                          item("2", "/cgi/echo.py/@{h.query}", depends_on=["h"])],
                 path="/batch-refs")
        e = echoed(rs["1"])
        assert e["query"] == "x=q%3Da%2Fb%253Fc%2523d%26r%3D..%2Fadmin"
        assert_424(rs["2"], "@{h.query}", "holds '/'")

    @pytest.mark.parametrize("loc,status,want", [
        # ProxyPassReverse makes the backend's own URL one of this server
        ("http://127.0.0.1:{port3}/echo/9", 200, "/pyb/echo/9"),
        ("/pyb/echo/8?x=1#f", 200, "/pyb/echo/8"),
        ("http://evil.example/pyb/x", 424, "is not a path or a URL of this server"),
        ("http://127.0.0.1:1/pyb/x", 424, "is not a path or a URL of this server"),
        ("/admin", 424, "lies outside the batch base \"/pyb\""),
        ("/pyb/../admin", 424, "lies outside the batch base"),
        ("/pyb/%2e%2e/admin", 424, "lies outside the batch base"),
        ("/pyb/echo/%2E./%2e%2E/../../x", 424, "climbs above the root"),
        ("/pyb/%2E./x", 424, "lies outside the batch base"),
        (None, 424, "without a Location header"),
    ])
    def test_batch_870_09(self, client, env, loc, status, want):
        # CONTRACT §10: "$1" takes a path or an absolute URL of this server, confined to BatchBase
        url = "/created?x=1"
        if loc is not None:
            url += "&location=" + quote(loc.format(port3=env.port3), safe="")
        rs = run(client, [item("1", url, "POST"),
                          item("2", "$1/sub", depends_on=["1"])],
                 path="/batch-refs-pyb")
        assert rs["1"]["status"] == 201, rs["1"]
        if status == 200:
            assert rs["2"]["status"] == 200, rs["2"]
            assert rs["2"]["body"]["path"] == want[len("/pyb"):] + "/sub"
        else:
            assert_424(rs["2"], "$1", want)

    def test_batch_870_10(self, client):
        # CONTRACT §10: hostile values returned by an app server: CR/LF, NUL, 64 KiB, unicode
        big = "a" * 65536
        body = json.dumps({"crlf": "a\r\nX-Evil: 1", "nul": "a\u0000b", "big": big,
                           "uni": "caf\u00e9", "dots": ".."})
        rs = run(client, [item("1", "/created", "POST", body=json.loads(body)),
                          item("h", "/echo", headers={"X-A": "@{1.crlf}"}, depends_on=["1"]),
                          item("n", "/echo", headers={"X-A": "@{1.nul}"}, depends_on=["1"]),
                          item("u", "/echo/@{1.uni}?b=@{1.crlf}", depends_on=["1"]),
                          item("d", "/echo/@{1.dots}/admin", depends_on=["1"]),
                          item("g", "/echo/@{1.big}", depends_on=["1"]),
                          item("b", "/echo", "POST", body={"v": "@{1.big}", "c": "@{1.crlf}"},
                               depends_on=["1"])],
                 path="/batch-refs-pyb")
        assert_424(rs["h"], "@{1.crlf}", "control character")
        assert_424(rs["n"], "@{1.nul}", "control character")
        assert rs["u"]["body"]["path"] == "/echo/caf%C3%A9"
        assert rs["u"]["body"]["query"] == "b=a%0D%0AX-Evil%3A%201"
        assert_424(rs["d"], "@{1.dots}", "would make a path segment empty")
        assert_424(rs["g"], "@{1.big}", "longer than")
        sent = json.loads(rs["b"]["body"]["body"])
        assert sent == {"v": big, "c": "a\r\nX-Evil: 1"}

    def test_batch_870_08(self, client):
        # CONTRACT §10: with BatchReferences Off nothing is interpreted
        rs = run(client, [create(),
                          item("2", "/cgi/echo.py", "POST", depends_on=["1"],
                               body={"a": "@{1.id}"}, headers={"X-A": "@{1.id}"})],
                 path="/batch-norefs")
        e = echoed(rs["2"])
        assert json.loads(e["body"]) == {"a": "@{1.id}"}
        assert e["headers"]["X-A"] == "@{1.id}"
        r = client.post_batch([item("2", "/x/@{1")], path="/batch-norefs")
        assert r.status_code == 200
        # "$1" is a relative url like any other: /$1 under the root
        rs = run(client, [create(), item("2", "$1/x?y=@{1.id", depends_on=["1"])],
                 path="/batch-norefs")
        assert rs["2"]["status"] == 404, rs["2"]

    def test_batch_870_11(self, client):
        # CONTRACT §10: a whole-string reference is the JSON value itself, of every type, as the backend wrote it
        made = ('{"n":null,"t":true,"f":false,"a":[1,"x"],"o":{"k":"v"},'
                '"big":123456789012345678901234567890,"e":1.5e3,"s":"\\u00e9\\n"}')
        body = {k: "@{1.%s}" % k for k in ("n", "t", "f", "a", "o", "big", "e", "s")}
        body["text"] = "@{1.t}/@{1.big}/@{1.e}/@{1.s}"
        # sent as bytes, so that the backend answers exactly these
        rs = run(client, [item("1", "/created", "POST", body=b64(made),
                               headers={"Content-Type": "application/octet-stream"}),
                          item("2", "/echo", "POST", body=body, depends_on=["1"])],
                 path="/batch-refs-pyb")
        sent = rs["2"]["body"]["body"]
        # the big number and the exponent reach the backend as written
        assert '"big":123456789012345678901234567890' in sent.replace(" ", ""), sent
        assert '"e":1.5e3' in sent.replace(" ", ""), sent
        assert json.loads(sent) == {"n": None, "t": True, "f": False, "a": [1, "x"],
                                    "o": {"k": "v"}, "big": 123456789012345678901234567890,
                                    "e": 1500.0, "s": "\u00e9\n",
                                    "text": "true/123456789012345678901234567890/1.5e3/\u00e9\n"}

    @pytest.mark.parametrize("value", ["../admin", "..", ".", "%2e%2e", "%2E.", "a/b?c#d",
                                       "/admin", "", "a\r\nb", "a\u0000b", "\u0085"])
    def test_batch_870_12(self, client, env, value):
        # CONTRACT §10: hostile values returned by a backend never change a url's shape
        pyb = env.pyb
        seen = len(pyb.requests)
        rs = run(client, [item("1", "/created", "POST", body={"v": value}),
                          item("p", "/echo/@{1.v}/x", depends_on=["1"]),
                          item("q", "/echo/x?v=@{1.v}&w=1", depends_on=["1"]),
                          item("w", "/echo/x@{1.v}y", depends_on=["1"])],
                 path="/batch-refs-pyb")
        # as a query value: always encoded, never a new parameter or a fragment
        q = rs["q"]
        assert q["status"] == 200, q
        assert q["body"]["path"] == "/echo/x"
        assert parse_qs(q["body"]["query"], keep_blank_values=True) == {"v": [value],
                                                                       "w": ["1"]}
        # a NUL reaches httpd as %00, which it refuses in a path (404)
        in_path = 404 if "\u0000" in value else 200
        enc = quote(value, safe="-._~")
        # inside a segment: one segment, whatever the value
        w = rs["w"]
        if "/" in value:
            assert_424(w, "@{1.v}", "holds '/'")
        else:
            assert w["status"] == in_path, w
            if in_path == 200:
                assert w["body"]["path"] == "/echo/x%sy" % enc, w
        # a whole segment: refused when it would vanish or climb
        p = rs["p"]
        if "/" in value:
            assert_424(p, "@{1.v}", "holds '/'")
        elif value in ("..", ".", ""):
            assert_424(p, "@{1.v}", "would make a path segment empty")
        else:
            # "%2e%2e": its '%' is encoded, a file name, not ".."
            assert p["status"] == in_path, p
            if in_path == 200:
                assert p["body"]["path"] == "/echo/%s/x" % enc, p
        # nothing ever reached anything but /echo and /created
        for r in pyb.requests[seen:]:
            assert r["path"].startswith(("/echo", "/created")), r

    def test_batch_870_13(self, client):
        # CONTRACT §10: a 64 KiB value is too long for a url or a header (424), not for a body
        big = "b" * 65536
        rs = run(client, [item("1", "/created", "POST", body={"big": big}),
                          item("u", "/echo/x?v=@{1.big}", depends_on=["1"]),
                          item("h", "/echo", headers={"X-Big": "@{1.big}"}, depends_on=["1"]),
                          item("b", "/echo", "POST", body={"v": "@{1.big}", "w": "<@{1.big}>"},
                               depends_on=["1"])],
                 path="/batch-refs-pyb")
        assert_424(rs["u"], "@{1.big}", "longer than")
        assert_424(rs["h"], "@{1.big}", "longer than")
        assert json.loads(rs["b"]["body"]["body"]) == {"v": big, "w": "<%s>" % big}

    def test_batch_870_14(self, client):
        # CONTRACT §10: CR/LF and NUL from a backend are escaped in a JSON body, refused in a header
        rs = run(client, [item("1", "/pyb/created", "POST",
                               body={"crlf": "a\r\nX-Evil: 1", "nul": "a\u0000b"}),
                          item("b", "/cgi/echo.py", "POST", depends_on=["1"],
                               body={"c": "@{1.crlf}", "n": "<@{1.nul}>"}),
                          item("h", "/cgi/echo.py", depends_on=["1"],
                               headers={"X-A": "x @{1.nul}"})],
                 path="/batch-refs")
        e = echoed(rs["b"])
        assert "X-Evil" not in e["headers"]
        assert json.loads(e["body"]) == {"c": "a\r\nX-Evil: 1", "n": "<a\u0000b>"}
        assert_424(rs["h"], "@{1.nul}", "control character")

    @pytest.mark.parametrize("items,field,want", [
        ([create(), item("2", "/x", headers={"X-A": "@{1.id"}, depends_on=["1"])],
         "headers", "malformed reference"),
        ([create(), item("2", "/x", headers={"X-A": "@{1.id}"}, depends_on=["1"]),
          item("3", "/x", headers={"X-B": "@{2.id}"}, depends_on=["1"])],
         "headers", "refers to \"2\", which is not in \"dependsOn\""),
        ([create(), item("2", "/x/@{9.id}", depends_on=["1"])],
         "url", "refers to \"9\""),
        ([create(), item("2", "$2/x", depends_on=["1"])],
         "url", "refers to \"2\""),
        ([create(), item("2", "/x/@{1.a[01]}", depends_on=["1"])],
         "url", "array index"),
        ([create(), item("2", "/x", "POST", body={"a": {"b": ["@{1.x"]}}, depends_on=["1"])],
         "body", "no closing"),
        ([create(), item("2", "/x", "POST", body={"a": "@{3.id}"}, depends_on=["1"]),
          item("3", "/x")], "body", "refers to \"3\""),
    ])
    def test_batch_870_15(self, client, items, field, want):
        # CONTRACT §10: 400 for the batch, naming the field, for headers, urls and bodies
        r = client.post_batch(items, path="/batch-refs")
        assert r.status_code == 400, r.text
        msg = r.json()["error"]["message"]
        assert want in msg, msg
        assert ('"%s"' % field) in msg, msg

    def test_batch_870_16(self, client):
        # CONTRACT §10: a referenced item that failed fails its referrer by dependsOn (424), unsent
        rs = run(client, [item("1", "/created?status=404", "POST"),
                          item("2", "/echo/@{1.id}", depends_on=["1"])],
                 path="/batch-refs-pyb")
        assert rs["1"]["status"] == 404
        assert_424(rs["2"], "dependsOn")

    @pytest.mark.parametrize("path", ["/batch-refs", "/batch-refs-c"])
    def test_batch_870_17(self, client, path):
        # CONTRACT §10: many referrers of one result, and a chain, each sees the right value
        n = 18
        items = [item("1", "/cgi/echo.py?v=first")]
        for k in range(2, n + 1):
            items.append(item(str(k), "/cgi/echo.py?v=@{%d.query}&k=%d" % (1 if k % 2 else k - 1, k),
                              depends_on=["1", str(k - 1)]))
        rs = run(client, items, path=path)
        assert echoed(rs["1"])["query"] == "v=first"
        want = {1: "v=first"}
        for k in range(2, n + 1):
            src = 1 if k % 2 else k - 1
            want[k] = "v=%s&k=%d" % (quote(want[src], safe=""), k)
            assert echoed(rs[str(k)])["query"] == want[k], k

    def test_batch_870_18(self, client):
        # CONTRACT §10: "$1" of a mod_lua 201 under BatchBase, and "@{...}" in a Content-Type header
        rs = run(client, [item("1", "/products", "POST", body={"title": "lamp"}),
                          item("2", "$1", depends_on=["1"])],
                 path="/batch-refs-base")
        assert rs["1"]["status"] == 201, rs["1"]
        assert rs["1"]["headers"]["Location"] == "/v1.0/products/11"
        assert rs["2"]["status"] == 404
        assert "product 11 not found" in rs["2"]["body"]["error"]["message"]
        rs = run(client, [item("1", "/products", "POST", body={"title": "lamp"}),
                          item("3", "/cgi/echo.py", "POST", depends_on=["1"],
                               headers={"Content-Type": "application/x-@{1.title}"},
                               body="cmF3")],
                 path="/batch-refs")
        e = echoed(rs["3"])
        assert e["content_type"] == "application/x-lamp"
        assert e["body"] == "raw"


class TestMultipartReferences:
    """CONTRACT §10 in a multipart batch (§8): in an OData batch every
    earlier item counts as a dependency, so "$1" in a request target and
    "@{1.id}" in a target or header name the part whose Content-ID is 1;
    the items of a Google-style batch are independent, so a reference
    there is a 400; a generated id (a part without Content-ID) cannot be
    named."""

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        on = ["BatchReferences On"]
        if env.std_concurrency > 1:
            on.append("BatchConcurrency %d" % env.std_concurrency)
        (BatchConf(env)
         .add_batch("/mp-refs", on)
         .add_batch("/mp-norefs", on[1:])
         .install())

    ODATA = {"OData-Version": "4.0"}

    def _post(self, client, parts, path, headers=None):
        return client.post_batch(body=mp.build(parts, "b1"), content_type=mp.ctype("b1"),
                                 path=path, headers=headers)

    def _create(self, cid="1"):
        return mp.http("POST", "/products", cid=cid,
                       headers=[("Content-Type", "application/json")],
                       body=json.dumps({"title": "chair", "price": 12.5}))

    def test_batch_870_70(self, client):
        # CONTRACT §10/§8: OData's "$1" target and "@{1.id}" in a target and a header
        parts = [self._create(),
                 mp.http("GET", "$1", cid="2"),
                 mp.http("GET", "/cgi/echo.py/@{1.id}?t=@{1.title}", cid="3",
                         headers=[("X-Product", "p-@{1.id}")])]
        # part 2 fails (the products API keeps nothing): go on after it
        r = self._post(client, parts, "/mp-refs",
                       headers=dict(self.ODATA, Prefer="odata.continue-on-error"))
        got = mp.flatten(mp.parse(r))
        assert [it.status for it in got] == [201, 404, 200], got
        assert b"product 11 not found" in got[1].body
        e = json.loads(got[2].body)
        assert e["uri"] == "/cgi/echo.py/11?t=chair"
        assert e["headers"]["X-Product"] == "p-11"

    def test_batch_870_71(self, client):
        # CONTRACT §10: a failed referenced part makes the referring one 424, naming it
        parts = [mp.http("POST", "/products", cid="1",
                         headers=[("Content-Type", "application/json")], body="{"),
                 mp.http("GET", "$1", cid="2")]
        r = self._post(client, parts, "/mp-refs",
                       headers=dict(self.ODATA, Prefer="odata.continue-on-error"))
        got = mp.flatten(mp.parse(r))
        assert got[0].status >= 400 and got[1].status == 424, got
        assert b"FailedDependency" in got[1].body

    @pytest.mark.parametrize("parts,headers,want", [
        # Google style: independent items, nothing to refer to
        ([("POST", "/products", "1"), ("GET", "$1", "2")], {}, "independent"),
        # a generated id (no Content-ID) cannot be named
        ([("GET", "/products/1", None), ("GET", "$1", "2")], ODATA, "\"1\""),
        # a later part cannot be named
        ([("GET", "$2", "1"), ("GET", "/products/1", "2")], ODATA, "\"2\""),
    ])
    def test_batch_870_72(self, client, parts, headers, want):
        # CONTRACT §10: a reference to a part that may not be referred to is a 400
        built = [mp.http(m, t, cid=c) for m, t, c in parts]
        r = self._post(client, built, "/mp-refs", headers=headers)
        assert r.status_code == 400, r.text
        assert r.headers["Content-Type"].startswith("application/json")
        assert want in r.json()["error"]["message"], r.text

    def test_batch_870_73(self, client):
        # CONTRACT §10: BatchReferences Off: "$1" is a relative target, not a reference
        parts = [self._create(), mp.http("GET", "$1", cid="2")]
        r = self._post(client, parts, "/mp-norefs", headers=self.ODATA)
        got = mp.flatten(mp.parse(r))
        assert got[0].status == 201 and got[1].status == 404, got
