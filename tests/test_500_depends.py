"""CONTRACT §4: order of the items, dependsOn, and the checks made before an
item runs, in their order: method not in BatchMethods (405), a failed or
not-run dependency (424, transitively), BatchTimeout passed (504), target is
a batch (400 NestedBatch). Responses are always listed in request order with
matching ids. Side effects are observed on the Python backend (pyb.requests,
pyb.count()) and with the CGI sleep script's start/end times."""
import time

import pytest

from harness.client import item
from harness.conf import BatchConf
from harness.helpers import run


def assert_item_error(res, status, code):
    assert res["status"] == status, res
    assert res["headers"].get("Content-Type", "").startswith("application/json"), res
    err = res["body"]["error"]
    assert err["code"] == code, res
    assert isinstance(err["message"], str) and err["message"]
    return err


def pyb_paths_since(pyb, before):
    with pyb.lock:
        return [q["path"] for q in pyb.requests[before:]]


class TestOrder:
    """Default configuration: BatchConcurrency 1, default BatchMethods."""

    @pytest.mark.sequential
    def test_batch_500_01(self, client, env):
        # CONTRACT §4: with BatchConcurrency 1 items run one after another in request order
        before = len(env.pyb.requests)
        items = [item("i%d" % n, "/pyb/hit?seq=%d&sleep=%d" % (n, 60 - 10 * n),
                      "POST" if n % 2 else "GET", body={"n": n} if n % 2 else None)
                 for n in range(6)]
        for it in items:
            if it.get("body") is None:
                it.pop("body", None)
        rs = run(client, items)
        assert all(r["status"] == 200 for r in rs.values()), rs
        # earlier items sleep longer: only sequential execution keeps this order
        assert pyb_paths_since(env.pyb, before) == [
            "/hit?seq=%d&sleep=%d" % (n, 60 - 10 * n) for n in range(6)]
        hits = [rs["i%d" % n]["body"]["hits"] for n in range(6)]
        assert hits == sorted(hits) and len(set(hits)) == 6

    @pytest.mark.sequential
    def test_batch_500_02(self, client):
        # CONTRACT §4: sequential: each CGI item starts after the previous one ended
        items = [item(str(n), "/cgi/sleep.py?s=0.3") for n in range(3)]
        rs = run(client, items)
        spans = [(rs[str(n)]["body"]["start"], rs[str(n)]["body"]["end"]) for n in range(3)]
        for (s0, e0), (s1, e1) in zip(spans, spans[1:]):
            assert s1 >= e0 - 0.01, spans
        assert [rs[str(n)]["body"]["item_id"] for n in range(3)] == ["0", "1", "2"]

    def test_batch_500_03(self, client, env):
        # CONTRACT §4: dependsOn success path: dependents run after their dependencies, all 200
        before = len(env.pyb.requests)
        items = [item("a", "/pyb/hit?a"),
                 item("b", "/pyb/hit?b", depends_on=["a"]),
                 item("c", "/pyb/hit?c", depends_on=["a", "b"]),
                 item("d", "/static/a.txt", depends_on=["c"]),
                 item("e", "/pyb/hit?e", depends_on=["d"])]
        rs = run(client, items)
        assert [rs[i]["status"] for i in "abcde"] == [200] * 5, rs
        assert pyb_paths_since(env.pyb, before) == ["/hit?a", "/hit?b", "/hit?c", "/hit?e"]

    def test_batch_500_04(self, client, env):
        # CONTRACT §4: a failed (404) dependency -> 424 FailedDependency, transitively; the rest runs
        n = env.pyb.count()
        before = len(env.pyb.requests)
        items = [item("miss", "/static/nope.txt"),
                 item("dep1", "/pyb/hit?dep1", "POST", body={"x": 1}, depends_on=["miss"]),
                 item("dep2", "/pyb/hit?dep2", depends_on=["dep1"]),
                 item("ok", "/pyb/hit?ok"),
                 item("dep3", "/pyb/hit?dep3", "DELETE", depends_on=["ok", "dep2"]),
                 item("dep4", "/pyb/hit?dep4", depends_on=["ok"])]
        rs = run(client, items)
        assert rs["miss"]["status"] == 404
        for i in ("dep1", "dep2", "dep3"):
            assert_item_error(rs[i], 424, "FailedDependency")
        assert rs["ok"]["status"] == 200 and rs["dep4"]["status"] == 200
        assert env.pyb.count() == n + 2       # dep1..dep3 never ran
        assert pyb_paths_since(env.pyb, before) == ["/hit?ok", "/hit?dep4"]

    @pytest.mark.parametrize("url,status", [("/old", 302), ("/static/dir", 301),
                                            ("/cgi/status.py?code=500", 500),
                                            ("/pyb/status?status=409", 409),
                                            ("/pyb/status?status=304", 304),
                                            ("/batch", 400)])
    def test_batch_500_05(self, client, env, url, status):
        # CONTRACT §4: a dependency ending outside 2xx (3xx, 4xx, 5xx, NestedBatch) -> 424 for its dependent
        n = env.pyb.count()
        items = [item("dep", url), item("x", "/pyb/hit?x", depends_on=["dep"])]
        rs = run(client, items)
        assert rs["dep"]["status"] == status, rs["dep"]
        assert_item_error(rs["x"], 424, "FailedDependency")
        expect = n + (1 if url.startswith("/pyb/") else 0)
        assert env.pyb.count() == expect       # the dependent did not run

    @pytest.mark.parametrize("url,status", [("/pyb/status?status=204", 204),
                                            ("/cgi/status.py?code=201&body=c", 201),
                                            ("/pyb/status?status=202", 202)])
    def test_batch_500_06(self, client, env, url, status):
        # CONTRACT §4: any 2xx dependency (not only 200) lets its dependent run
        items = [item("dep", url), item("x", "/pyb/hit?x2xx", depends_on=["dep"])]
        n = env.pyb.count()
        rs = run(client, items)
        assert rs["dep"]["status"] == status
        assert rs["x"]["status"] == 200
        assert env.pyb.requests[-1]["path"] == "/hit?x2xx"
        assert env.pyb.count() == n + (2 if url.startswith("/pyb/") else 1)

    def test_batch_500_07(self, client, env):
        # CONTRACT §4: a dependency refused by method (405, not in BatchMethods) -> 424 for the dependent
        n = env.pyb.count()
        items = [item("opt", "/pyb/hit?opt", "OPTIONS"),
                 item("trace", "/pyb/hit?trace", "TRACE"),
                 item("d1", "/pyb/hit?d1", depends_on=["opt"]),
                 item("d2", "/pyb/hit?d2", depends_on=["trace"]),
                 item("d3", "/pyb/hit?d3", depends_on=["d1"])]
        rs = run(client, items)
        assert_item_error(rs["opt"], 405, "MethodNotAllowed")
        assert_item_error(rs["trace"], 405, "MethodNotAllowed")
        for i in ("d1", "d2", "d3"):
            assert_item_error(rs[i], 424, "FailedDependency")
        assert env.pyb.count() == n

    def test_batch_500_08(self, client):
        # CONTRACT §3: the item method is case-insensitive and is sent upper-cased
        items = [item("g", "/cgi/echo.py", "get"), item("p", "/cgi/echo.py", "pOsT", body="hi"),
                 item("l", "/lua/echo.lua", "Put", body="x"),
                 item("d", "/pyb/echo", "delete")]
        rs = run(client, items)
        assert rs["g"]["status"] == 200 and rs["g"]["body"]["method"] == "GET"
        assert rs["p"]["body"]["method"] == "POST" and rs["p"]["body"]["body"] == "hi"
        assert rs["l"]["body"]["method"] == "PUT"
        assert rs["d"]["body"]["method"] == "DELETE"

    def test_batch_500_09(self, client, env):
        # CONTRACT §4: a dependency on an item that itself got 424 propagates; dependents of a NestedBatch too
        n = env.pyb.count()
        items = [item("nest", "/tobatch"),
                 item("a", "/pyb/hit?a", depends_on=["nest"]),
                 item("b", "/pyb/hit?b", depends_on=["a"]),
                 item("c", "/pyb/hit?c", depends_on=["b"]),
                 item("free", "/pyb/hit?free")]
        rs = run(client, items)
        assert_item_error(rs["nest"], 400, "NestedBatch")
        for i in "abc":
            assert_item_error(rs[i], 424, "FailedDependency")
        assert rs["free"]["status"] == 200 and env.pyb.count() == n + 1


class TestMethods:
    """BatchMethods GET on /batch."""

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        BatchConf(env).add_batch("/batch", ["BatchMethods GET"]).install()

    @pytest.mark.sequential
    def test_batch_500_10(self, client, env):
        # CONTRACT §4: a method outside BatchMethods -> item 405 MethodNotAllowed without running; GET items run
        n = env.pyb.count()
        before = len(env.pyb.requests)
        items = [item("g1", "/pyb/hit?g1"),
                 item("post", "/pyb/hit?post", "POST", body={"x": 1}),
                 item("put", "/pyb/hit?put", "PUT", body={"x": 1}),
                 item("del", "/pyb/hit?del", "DELETE"),
                 item("g2", "/pyb/hit?g2"),
                 item("lc", "/pyb/hit?lc", "get")]
        rs = run(client, items)
        for i in ("post", "put", "del"):
            assert_item_error(rs[i], 405, "MethodNotAllowed")
        for i in ("g1", "g2", "lc"):
            assert rs[i]["status"] == 200, rs[i]
        assert env.pyb.count() == n + 3
        assert pyb_paths_since(env.pyb, before) == ["/hit?g1", "/hit?g2", "/hit?lc"]

    def test_batch_500_11(self, client, env):
        # CONTRACT §4 check order: a disallowed method AND a failed dependency -> 405 (method first)
        n = env.pyb.count()
        items = [item("miss", "/static/nope.txt"),
                 item("both", "/pyb/hit?both", "POST", body={"x": 1}, depends_on=["miss"]),
                 item("dep", "/pyb/hit?dep", depends_on=["both"]),
                 item("bad-and-405", "/pyb/hit?b405", "PATCH", body={"x": 1},
                      depends_on=["dep"])]
        rs = run(client, items)
        assert rs["miss"]["status"] == 404
        assert_item_error(rs["both"], 405, "MethodNotAllowed")
        assert_item_error(rs["dep"], 424, "FailedDependency")
        assert_item_error(rs["bad-and-405"], 405, "MethodNotAllowed")
        assert env.pyb.count() == n

    def test_batch_500_12(self, client, env):
        # CONTRACT §4: a dependency refused by BatchMethods (405) -> its GET dependent gets 424 and does not run
        n = env.pyb.count()
        items = [item("post", "/products", "POST", body={"title": "T"}),
                 item("get", "/pyb/hit?after-post", depends_on=["post"]),
                 item("free", "/products/1")]
        rs = run(client, items)
        assert_item_error(rs["post"], 405, "MethodNotAllowed")
        assert_item_error(rs["get"], 424, "FailedDependency")
        assert rs["free"]["status"] == 200
        assert env.pyb.count() == n


class TestTimeout:
    """BatchTimeout 1 and BatchMethods GET POST on /batch."""

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        BatchConf(env).add_batch("/batch", ["BatchTimeout 1",
                                            "BatchMethods GET POST"]).install()

    @pytest.mark.sequential
    def test_batch_500_13(self, client, env):
        # CONTRACT §4: once BatchTimeout has passed, items not yet started get 504 BatchTimeout and do not run
        n = env.pyb.count()
        items = [item("slow", "/cgi/sleep.py?s=2"),
                 item("p1", "/pyb/hit?late1"),
                 item("p2", "/pyb/hit?late2", "POST", body={"x": 1}),
                 item("s", "/static/a.txt")]
        t0 = time.time()
        rs = run(client, items)
        elapsed = time.time() - t0
        assert rs["slow"]["status"] == 200 and rs["slow"]["body"]["slept"] == 2  # it finished
        for i in ("p1", "p2", "s"):
            assert_item_error(rs[i], 504, "BatchTimeout")
        assert env.pyb.count() == n
        assert elapsed < 10, elapsed

    @pytest.mark.sequential
    def test_batch_500_14(self, client, env):
        # CONTRACT §4 check order: 405 before 424 before 504 before NestedBatch, once the timeout has passed
        n = env.pyb.count()
        items = [item("miss", "/static/nope.txt"),
                 item("slow", "/pyb/hit?sleep=2000"),
                 item("m405", "/pyb/hit?m405", "DELETE", depends_on=["miss"]),
                 item("d424", "/pyb/hit?d424", depends_on=["miss"]),
                 item("t504", "/pyb/hit?t504"),
                 item("after504", "/pyb/hit?after504", depends_on=["t504"]),
                 item("nest", "/batch")]
        rs = run(client, items)
        assert rs["miss"]["status"] == 404
        assert rs["slow"]["status"] == 200
        assert_item_error(rs["m405"], 405, "MethodNotAllowed")
        assert_item_error(rs["d424"], 424, "FailedDependency")
        assert_item_error(rs["t504"], 504, "BatchTimeout")
        # its dependency was not run: 424 (checked before the timeout)
        assert_item_error(rs["after504"], 424, "FailedDependency")
        assert_item_error(rs["nest"], 504, "BatchTimeout")
        assert env.pyb.count() == n + 1       # only the slow item reached the backend

    def test_batch_500_15(self, client, env):
        # CONTRACT §4: a batch that finishes within BatchTimeout runs every item
        n = env.pyb.count()
        items = [item("a", "/cgi/sleep.py?s=0.2"), item("b", "/pyb/hit?within"),
                 item("c", "/pyb/hit?within2", "POST", body={"x": 1}, depends_on=["b"])]
        rs = run(client, items)
        assert [rs[i]["status"] for i in "abc"] == [200, 200, 200]
        assert env.pyb.count() == n + 2
