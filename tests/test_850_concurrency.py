"""CONTRACT §2/§4/§6/§7 and docs/concurrency.md: BatchConcurrency N runs
items whose dependencies have finished up to N at a time, holds at most N
items at once (running, or finished and waiting to be written), lists the
responses in request order and gives the same bytes as sequential mode.
BatchThreads is the per-child pool (server config only; 0 turns concurrency
off). Under prefork, or with BatchThreads 0, every batch runs sequentially
and httpd says so once at start-up (a notice naming BatchConcurrency and
"sequential").

The file runs under every MPM (build/test.sh re-runs it with MPM=worker and
MPM=prefork); where the behaviour differs (overlap, timing) the tests ask
env.mpm. Overlap is measured at the Python backend: every request records
its arrival and the moment just before its response is written
(tests/harness/backend.py), so a dependent item's request arriving after
its dependency's `end` proves the order, and counting intervals that
overlap gives how many items ran at once. Timing is a pass/fail criterion
only where concurrency is the point, and then with wide margins (2 noisy
cores).

The load test (test_batch_850_30) sends 6,000 batches over 6 keep-alive
connections and compares each answer byte for byte with the sequential one.
"""
import base64
import json
import os
import re
import socket
import threading
import time

import pytest
import requests

from harness.client import item
from harness.conf import BatchConf
from harness.env import GENERATED
from harness.helpers import marker

THREADED_MPMS = ("event", "worker")

# error-log lines that the refused items of the mixed set produce (Require
# refusal of /denied/, wrong password for /private/)
REFUSAL_LOG_IDS = ["AH01630", "AH01617", "AH01618", "AH01614", "AH01797"]


def b64(text):
    return base64.b64encode(text.encode()).decode()


ALICE = {"Authorization": "Basic " + b64("alice:secret")}

# volatile parts of an otherwise deterministic batch answer: the Date of
# every item, and the Python backend's request counter in its echo body
VOLATILE = [(re.compile(rb'"Date":\s*"[^"]*"'), b'"Date":"-"'),
            (re.compile(rb'"hits":\s*\d+'), b'"hits":0')]


def normalise(raw):
    for rx, repl in VOLATILE:
        raw = rx.sub(repl, raw)
    return raw


def threaded(env):
    return env.mpm in THREADED_MPMS


def settle_fixtures(env):
    """httpd gives a file changed within the last second a weak ETag: wait
    until the static files generated at setup are older than that, so
    that one answer does not differ from the next by a W/."""
    newest = max(os.path.getmtime(env.path("htdocs", "static", f)) for f in GENERATED)
    wait = newest + 1.5 - time.time()
    if wait > 0:
        time.sleep(wait)


def conc_conf(env):
    """The class configuration shared by most classes of this file (one
    restart for all of them): batch locations with BatchConcurrency 1, 2, 8
    and 20, one with BatchTimeout 2, and /self/ proxied to this server."""
    more = "BatchMaxRequests 40"
    settle_fixtures(env)
    return (BatchConf(env)
            .add('ProxyPass "/self/" "http://127.0.0.1:%d/"' % env.port)
            .add_batch("/batch-c1", ["BatchConcurrency 1", more])
            .add_batch("/batch-c2", ["BatchConcurrency 2", more])
            .add_batch("/batch-c8", ["BatchConcurrency 8", more])
            .add_batch("/batch-c20", ["BatchConcurrency 20", more])
            .add_batch("/batch-t2", ["BatchConcurrency 8", "BatchTimeout 2", more]))


def post(session, env, path, items, headers=None, timeout=60):
    """POST a batch with a requests.Session of its own (for threads)."""
    h = {"Content-Type": "application/json", "X-Test-Name": env.test_name}
    h.update(headers or {})
    return session.post(env.url(path), data=json.dumps({"requests": items}).encode(),
                        headers=h, timeout=timeout, allow_redirects=False)


def ok_batch(client, items, path, headers=None):
    """post_batch, assert 200 with the JSON batch type and ids in request
    order; return the response."""
    r = client.post_batch(items, path=path, headers=headers)
    assert r.status_code == 200, (path, r.status_code, r.text[:2000])
    assert r.headers["Content-Type"].startswith("application/json"), r.headers
    ids = [x["id"] for x in r.json()["responses"]]
    assert ids == [i["id"] for i in items], (path, ids)
    return r


def by_id(r):
    return {x["id"]: x for x in r.json()["responses"]}


def diff(a, b, la="a", lb="b"):
    """Readable differences between two normalised batch answers."""
    try:
        ra, rb = json.loads(a)["responses"], json.loads(b)["responses"]
    except ValueError as x:
        return ["not JSON (%s): %r / %r" % (x, a[:300], b[:300])]
    out = []
    for x, y in zip(ra, rb):
        if x != y:
            out.append("item %s:\n  %s: %s\n  %s: %s" % (x.get("id"), la, json.dumps(x)[:800],
                                                         lb, json.dumps(y)[:800]))
    if len(ra) != len(rb):
        out.append("%d responses vs %d" % (len(ra), len(rb)))
    if not out:
        pos = next((i for i, (p, q) in enumerate(zip(a, b)) if p != q), min(len(a), len(b)))
        out.append("same JSON, different bytes at %d: %r / %r"
                   % (pos, a[max(0, pos - 60):pos + 60], b[max(0, pos - 60):pos + 60]))
    return out


def assert_same(ref, out, la, lb):
    """Fail with a readable item diff when two normalised answers differ
    (never through pytest's own diff of long byte strings: it takes
    minutes)."""
    if out != ref:
        pytest.fail("%s differs from %s:\n%s" % (lb, la, "\n".join(diff(ref, out, la, lb))),
                    pytrace=False)


def backend_reqs(pyb, mark):
    """The backend's records whose path carries mark, in arrival order."""
    with pyb.lock:
        return [q for q in pyb.requests if mark in q["path"]]


def rec_of(pyb, mark, name):
    """The one backend record of the item whose url carries &m=MARK-name."""
    tag = "m=%s-%s" % (mark, name)
    got = [q for q in backend_reqs(pyb, mark) if q["path"].endswith(tag)]
    assert len(got) == 1, "backend saw %d requests for %s" % (len(got), tag)
    return got[0]


def max_overlap(recs):
    """Most backend requests in progress at one moment ([time, end])."""
    events = []
    for q in recs:
        assert q["end"] is not None, q["path"]
        events.append((q["time"], 1))
        events.append((q["end"], -1))
    events.sort(key=lambda e: (e[0], e[1]))  # an end before a start at the same instant
    cur = best = 0
    for _, d in events:
        cur += d
        best = max(best, cur)
    return best


def child_threads(env):
    """{pid: number of threads} of the server's child processes (/proc)."""
    with open(env.pid_path) as f:
        parent = int(f.read().split()[0])
    threads = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            threads[pid] = int(fields[17])  # num_threads
    return threads


def wait_for(pred, timeout, step=0.02):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


def pyb_item(mark, name, sleep=0, path="hit", method="GET", **kw):
    q = "sleep=%d&m=%s-%s" % (sleep, mark, name) if sleep else "m=%s-%s" % (mark, name)
    return item(name, "/pyb/%s?%s" % (path, q), method, **kw)


# The mixed item set: every kind of target the
# equivalence is claimed for. Sent with alice's credentials on the batch.
MIXED = [
    item("s-json", "/static/small.json"),
    item("s-txt", "/static/a.txt"),
    item("s-bin", "/static/data.bin"),
    item("s-latin1", "/static/latin1.txt"),
    item("s-100k", "/static/100k.txt"),
    item("head", "/static/a.txt", "HEAD"),
    item("p-get", "/pyb/echo?x=1", headers={"X-Item": "get", "Accept": "application/json"}),
    item("p-post", "/pyb/echo", "POST", body={"a": [1, 2, 3], "b": "zwei", "c": None}),
    item("p-put", "/pyb/echo?put=1", "PUT", headers={"Content-Type": "text/plain"},
         body="put body\n"),
    item("p-patch", "/pyb/echo", "PATCH", headers={"Content-Type": "application/octet-stream"},
         body=base64.b64encode(bytes(range(256))).decode()),
    item("p-404", "/pyb/status?status=404"),
    item("p-head", "/pyb/echo", "HEAD"),
    item("auth", "/private/secret.json"),
    item("auth-bad", "/private/secret.json",
         headers={"Authorization": "Basic " + b64("alice:wrong")}),
    item("auth-lua", "/private/echo.lua"),
    item("lua-post", "/lua/echo.lua", "POST", body={"lua": True}),
    item("lua-get", "/lua/echo.lua?q=1&r=two"),
    item("cgi-post", "/cgi/echo.py", "POST", body="cgi body"),
    item("cgi-418", "/cgi/status.py?code=418"),
    item("rw-static", "/rw/static"),
    item("rw-missing", "/rw/missing"),
    item("rw-forbidden", "/rw/forbidden"),
    item("rw-nest", "/rw/nest"),
    item("missing", "/static/nope.txt"),
    item("denied", "/denied/a.txt"),
    item("nested", "/batch"),
    item("old", "/old"),
    item("products", "/products/1", depends_on=["s-json"]),
    item("products-post", "/products", "POST", body={"title": "T"}, depends_on=["products"]),
    item("dep-424", "/static/a.txt", depends_on=["missing"]),
    item("dep-424-2", "/lua/echo.lua", depends_on=["dep-424", "s-txt"]),
]

MIXED_STATUS = {"s-json": 200, "s-txt": 200, "s-bin": 200, "s-latin1": 200, "s-100k": 200,
                "head": 200, "p-get": 200, "p-post": 200, "p-put": 200, "p-patch": 200,
                "p-404": 404, "p-head": 200, "auth": 200, "auth-bad": 401, "auth-lua": 200,
                "lua-post": 200, "lua-get": 200, "cgi-post": 200, "cgi-418": 418,
                "rw-static": 200, "rw-missing": 404, "rw-forbidden": 403, "rw-nest": 400,
                "missing": 404, "denied": 403, "nested": 400, "old": 302, "products": 200,
                "products-post": 201, "dep-424": 424, "dep-424-2": 424}


class TestEquivalence:
    """CONTRACT §4: "an item's response is the same whichever mode ran it";
    byte-for-byte comparison with sequential mode."""

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        conc_conf(env).install()

    @pytest.mark.valgrind
    @pytest.mark.parametrize("path", ["/batch-c2", "/batch-c8", "/batch-c20"])
    def test_batch_850_01(self, env, client, path):
        # CONTRACT §4/§6: the mixed set (static, proxied GET/POST/PUT/PATCH/HEAD,
        # Basic auth, lua, CGI, rewrites, errors, nested batch, 302,
        # dependsOn) gives the same bytes with BatchConcurrency N as with 1
        # (under prefork: the sequential fallback)
        env.expect_log(REFUSAL_LOG_IDS)
        seq = ok_batch(client, MIXED, "/batch-c1", headers=ALICE)
        got = {x["id"]: x for x in seq.json()["responses"]}
        # the reference itself is what the item kinds promise
        assert {k: v["status"] for k, v in got.items()} == MIXED_STATUS, got
        assert got["s-json"]["body"] == {"hello": "world"}
        assert got["s-bin"]["body"] == base64.b64encode(bytes(range(256)) * 4).decode()
        assert "body" not in got["head"] and "body" not in got["p-head"]
        patch = got["p-patch"]["body"]
        assert patch["body_base64"] and base64.b64decode(patch["body"]) == bytes(range(256))
        assert got["cgi-post"]["body"]["body"] == "cgi body"
        assert got["old"]["headers"]["Location"].endswith("/static/a.txt")
        for i in ("nested", "rw-nest"):
            assert got[i]["body"]["error"]["code"] == "NestedBatch", got[i]
        for i in ("dep-424", "dep-424-2"):
            assert got[i]["body"]["error"]["code"] == "FailedDependency", got[i]
        ref = normalise(seq.content)
        assert_same(ref, normalise(ok_batch(client, MIXED, "/batch-c1", headers=ALICE).content),
                    "/batch-c1", "/batch-c1 again (the normalisation misses a volatile field)")
        for n in range(3):
            r = ok_batch(client, MIXED, path, headers=ALICE)
            assert r.headers.get("Cache-Control") == "no-store"
            assert_same(ref, normalise(r.content), "/batch-c1", "%s (run %d)" % (path, n))

    def test_batch_850_02(self, env, client, pyb):
        # CONTRACT §4: BatchConcurrency 20: 20 items that each sleep 300 ms at
        # the backend overlap (about 0.3-0.6 s instead of 6 s sequentially);
        # under prefork they run one after another
        m = marker()
        items = [pyb_item(m, "i%02d" % n, sleep=300) for n in range(20)]
        t0 = time.time()
        r = ok_batch(client, items, "/batch-c20")
        elapsed = time.time() - t0
        assert [x["status"] for x in r.json()["responses"]] == [200] * 20
        recs = backend_reqs(pyb, m)
        assert len(recs) == 20
        if threaded(env):
            assert elapsed < 3.0, "20 x 300 ms with BatchConcurrency 20 took %.2f s" % elapsed
            assert max_overlap(recs) > 4, max_overlap(recs)
        else:
            assert max_overlap(recs) == 1
            assert elapsed >= 5.5, elapsed

    def test_batch_850_03(self, env, client):
        # CONTRACT §2: under prefork httpd says once per start that the
        # configured BatchConcurrency runs sequentially (BATCH0003); a
        # threaded MPM with the default BatchThreads says nothing of the kind
        off = env.log.size()
        env.restart()
        new = [ln for ln in env.log.lines(off) if "BatchConcurrency" in ln and "sequential" in ln]
        if threaded(env):
            assert new == [], new
        else:
            assert len(new) == 1, new
            assert "BATCH0003" in new[0] and ":notice]" in new[0], new
        # the batch locations still work after the restart
        assert by_id(ok_batch(client, MIXED[:3], "/batch-c8"))["s-json"]["status"] == 200


class TestDepends:
    """CONTRACT §4: dependsOn under BatchConcurrency 8: every item runs after
    all items it depends on; failures propagate as 424, transitively;
    responses in request order. The order is read from the backend's
    arrival and end times."""

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        conc_conf(env).install()

    def test_batch_850_10(self, env, client, pyb):
        # CONTRACT §4: a chain a -> b -> c next to independent items: each
        # link starts after its dependency's response; the independent
        # items overlap the chain (threaded MPMs)
        m = marker()
        items = [pyb_item(m, "a", 400),
                 pyb_item(m, "x", 400),
                 pyb_item(m, "b", 300, depends_on=["a"]),
                 pyb_item(m, "y", 400),
                 pyb_item(m, "c", 100, "echo", "POST", body={"c": 1}, depends_on=["b"]),
                 item("d", "/static/a.txt", depends_on=["c"]),
                 pyb_item(m, "e", 0, depends_on=["d", "x"])]
        rs = by_id(ok_batch(client, items, "/batch-c8"))
        assert all(v["status"] == 200 for v in rs.values()), rs
        rec = {n: rec_of(pyb, m, n) for n in "abcxye"}
        assert rec["b"]["time"] >= rec["a"]["end"], (rec["a"], rec["b"])
        assert rec["c"]["time"] >= rec["b"]["end"]
        assert rec["e"]["time"] >= max(rec["c"]["end"], rec["x"]["end"])
        assert json.loads(rs["c"]["body"]["body"]) == {"c": 1}
        if threaded(env):
            # x and y did not wait for the chain
            assert rec["x"]["time"] < rec["a"]["end"] and rec["y"]["time"] < rec["a"]["end"], rec
        else:
            assert max_overlap(list(rec.values())) == 1

    def test_batch_850_11(self, env, client, pyb):
        # CONTRACT §4: a diamond a -> (b, c) -> d: b and c start after a and
        # (threaded) overlap each other; d starts after both
        m = marker()
        items = [pyb_item(m, "a", 200),
                 pyb_item(m, "b", 400, depends_on=["a"]),
                 pyb_item(m, "c", 400, "echo", "PUT", body="c", depends_on=["a"]),
                 pyb_item(m, "d", 0, depends_on=["c", "b"])]
        rs = by_id(ok_batch(client, items, "/batch-c8"))
        assert [rs[i]["status"] for i in "abcd"] == [200] * 4, rs
        rec = {n: rec_of(pyb, m, n) for n in "abcd"}
        assert rec["b"]["time"] >= rec["a"]["end"] and rec["c"]["time"] >= rec["a"]["end"]
        assert rec["d"]["time"] >= max(rec["b"]["end"], rec["c"]["end"])
        if threaded(env):
            assert max_overlap([rec["b"], rec["c"]]) == 2, (rec["b"], rec["c"])

    def test_batch_850_12(self, env, client, pyb):
        # CONTRACT §4: a failed dependency (500 after 200 ms) gives 424 to
        # its dependents, transitively, and they never reach the backend;
        # independent items and their dependents run
        m = marker()
        items = [item("bad", "/pyb/status?status=500&sleep=200&m=%s-bad" % m),
                 pyb_item(m, "d1", 0, depends_on=["bad"]),
                 pyb_item(m, "ok", 300),
                 pyb_item(m, "d2", 0, "echo", "POST", body={"x": 1}, depends_on=["d1"]),
                 pyb_item(m, "d3", 0, depends_on=["ok", "d2"]),
                 pyb_item(m, "d4", 100, depends_on=["ok"]),
                 item("miss", "/static/nope.txt"),
                 pyb_item(m, "d5", 0, depends_on=["miss", "ok"]),
                 pyb_item(m, "d6", 0, depends_on=["d4"])]
        rs = by_id(ok_batch(client, items, "/batch-c8"))
        assert rs["bad"]["status"] == 500 and rs["miss"]["status"] == 404
        for i in ("d1", "d2", "d3", "d5"):
            assert rs[i]["status"] == 424, rs[i]
            assert rs[i]["body"]["error"]["code"] == "FailedDependency", rs[i]
        for i in ("ok", "d4", "d6"):
            assert rs[i]["status"] == 200, rs[i]
        seen = sorted(q["path"].rsplit("-", 1)[1] for q in backend_reqs(pyb, m))
        assert seen == ["bad", "d4", "d6", "ok"], seen
        assert rec_of(pyb, m, "d6")["time"] >= rec_of(pyb, m, "d4")["end"]

    def test_batch_850_13(self, env, client, pyb):
        # CONTRACT §4: BatchConcurrency 2 with a slow first item, its
        # dependents and independent items between them: no deadlock
        # between "held" items and dependencies, everything runs, in order
        m = marker()
        items = [pyb_item(m, "slow", 500),
                 pyb_item(m, "f1", 0),
                 pyb_item(m, "s1", 0, depends_on=["slow"]),
                 pyb_item(m, "f2", 0),
                 pyb_item(m, "s2", 0, depends_on=["s1", "f2"]),
                 item("st", "/static/a.txt", depends_on=["f1"]),
                 pyb_item(m, "f3", 100),
                 pyb_item(m, "s3", 0, depends_on=["slow", "f3"])]
        rs = by_id(ok_batch(client, items, "/batch-c2"))
        assert all(v["status"] == 200 for v in rs.values()), rs
        rec = {n: rec_of(pyb, m, n) for n in ("slow", "f1", "s1", "f2", "s2", "f3", "s3")}
        assert rec["s1"]["time"] >= rec["slow"]["end"]
        assert rec["s2"]["time"] >= max(rec["s1"]["end"], rec["f2"]["end"])
        assert rec["s3"]["time"] >= max(rec["slow"]["end"], rec["f3"]["end"])
        assert max_overlap(list(rec.values())) <= 2


class TestHeld:
    """CONTRACT §4: "at most N items are held at once, running or finished
    and waiting for their turn to be written"."""

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        conc_conf(env).install()

    @pytest.mark.parametrize("path,n", [("/batch-c2", 2), ("/batch-c8", 8)])
    def test_batch_850_20(self, env, client, pyb, path, n):
        # CONTRACT §4: never more than N items run at once; on a threaded MPM
        # exactly N do while enough are ready; under prefork one
        m = marker()
        items = [pyb_item(m, "i%02d" % k, 500) for k in range(n + 4)]
        r = ok_batch(client, items, path)
        assert [x["status"] for x in r.json()["responses"]] == [200] * len(items)
        ov = max_overlap(backend_reqs(pyb, m))
        if threaded(env):
            assert ov == n, "BatchConcurrency %d, %d items ran at once" % (n, ov)
        else:
            assert ov == 1, ov

    @pytest.mark.parametrize("path,n", [("/batch-c2", 2), ("/batch-c8", 8)])
    def test_batch_850_21(self, env, client, pyb, path, n):
        # CONTRACT §4: finished items waiting for their turn count too: with
        # a slow first item, items 1..N-1 run and finish, and item N starts
        # only after the first item's response (N held: 1 running + N-1
        # waiting to be written)
        m = marker()
        items = [pyb_item(m, "slow", 1000)] + [pyb_item(m, "f%02d" % k, 0)
                                               for k in range(1, n + 3)]
        r = ok_batch(client, items, path)
        assert [x["status"] for x in r.json()["responses"]] == [200] * len(items)
        slow = rec_of(pyb, m, "slow")
        early = [rec_of(pyb, m, "f%02d" % k) for k in range(1, n)]
        late = [rec_of(pyb, m, "f%02d" % k) for k in range(n, n + 3)]
        for q in late:
            assert q["time"] >= slow["end"], (
                "%s started %.3f s before the slow first item ended: more than %d held"
                % (q["path"], slow["end"] - q["time"], n))
        if threaded(env):
            for q in early:
                assert q["time"] < slow["end"], "%s waited for the slow item" % q["path"]


class TestLoad:
    """CONTRACT §7: 6,000 batches over 6 keep-alive
    connections against BatchConcurrency 8, each compared byte for byte
    (after normalising Date and the backend's counter) with the sequential
    answer of the same batch."""

    SETS = {
        "static": [item("a", "/static/small.json"), item("b", "/static/a.txt"),
                   item("c", "/static/data.bin"), item("d", "/static/1k.txt", "HEAD"),
                   item("e", "/static/1k.txt"), item("f", "/static/latin1.txt"),
                   item("g", "/static/me.json"), item("h", "/static/etag.txt")],
        "mixed": [item("a", "/static/small.json"), item("l", "/lua/echo.lua?x=1"),
                  item("p", "/pyb/echo?p=1"), item("s", "/static/a.txt"),
                  item("lp", "/lua/echo.lua", "POST", body={"n": [1, 2]}),
                  item("pp", "/pyb/echo", "PUT", body="put",
                       headers={"Content-Type": "text/plain"}),
                  item("pr", "/products/2"), item("au", "/private/secret.json")],
        "deps": [item("a", "/products/1"), item("b", "/pyb/echo?b", depends_on=["a"]),
                 item("c", "/lua/echo.lua", depends_on=["a"]),
                 item("d", "/static/a.txt", depends_on=["b", "c"]),
                 item("m", "/static/nope.txt"), item("x", "/pyb/echo?x", depends_on=["m"]),
                 item("y", "/static/small.json", depends_on=["x"]),
                 item("z", "/pyb/status?status=201")],
        "rw": [item("a", "/rw/static"), item("b", "/rw/missing"), item("c", "/old"),
               item("d", "/rw/nest"), item("e", "/batch"), item("f", "/static/a.txt", "HEAD"),
               item("g", "/pyb/echo", "PATCH", body={"p": 1}), item("h", "/tobatch")],
        "cgi": [item("a", "/cgi/echo.py", "POST", body="c"), item("b", "/static/a.txt"),
                item("c", "/pyb/echo"), item("d", "/lua/echo.lua")],
    }
    TOTAL = 6000
    CONNS = 6

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        conc_conf(env).install()

    @classmethod
    def plan(cls, i):
        if i % 25 == 0:       # CGI forks are slow: 4 % of the batches
            return "cgi"
        return ("static", "mixed", "deps", "rw")[i % 4]

    def test_batch_850_30(self, env, client):
        # CONTRACT §4/§7: no mismatch, no error, no crash under concurrent load
        ref = {}
        for name, items in self.SETS.items():
            a = normalise(ok_batch(client, items, "/batch-c1", headers=ALICE).content)
            b = normalise(ok_batch(client, items, "/batch-c1", headers=ALICE).content)
            assert_same(a, b, "/batch-c1", "/batch-c1 again (set %r)" % name)
            ref[name] = a
        statuses = by_id(client.post_batch(self.SETS["rw"], path="/batch-c1"))
        assert statuses["d"]["status"] == 400 and statuses["a"]["status"] == 200
        lock = threading.Lock()
        counter = {"next": 0, "done": 0}
        mismatches, errors = [], []
        deadline = time.time() + 240

        def worker():
            s = requests.Session()
            while time.time() < deadline:
                with lock:
                    i = counter["next"]
                    if i >= self.TOTAL:
                        break
                    counter["next"] += 1
                name = self.plan(i)
                try:
                    r = post(s, env, "/batch-c8", self.SETS[name], headers=ALICE)
                except requests.RequestException as x:
                    with lock:
                        errors.append("%d %s: %r" % (i, name, x))
                    s = requests.Session()
                    continue
                out = normalise(r.content)
                with lock:
                    counter["done"] += 1
                    if r.status_code != 200:
                        errors.append("%d %s: HTTP %d %r" % (i, name, r.status_code,
                                                             r.content[:300]))
                    elif out != ref[name]:
                        mismatches.append("%d %s:\n%s" % (i, name,
                                                          "\n".join(diff(ref[name], out,
                                                                         "seq", "c8"))))
            s.close()

        t0 = time.time()
        threads = [threading.Thread(target=worker) for _ in range(self.CONNS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        elapsed = time.time() - t0
        assert not errors, "%d errors, first: %s" % (len(errors), errors[:5])
        assert not mismatches, "%d of %d batches differ from sequential; first:\n%s" % (
            len(mismatches), counter["done"], "\n".join(mismatches[:3]))
        assert counter["done"] == self.TOTAL, (counter, "%.1f s" % elapsed)
        assert env.log.crashes(0) == []
        print("\n%d batches over %d connections in %.1f s (%s)"
              % (self.TOTAL, self.CONNS, elapsed, env.mpm))


class TestSelfProxy:
    """CONTRACT §7: items proxied back to the same server complete, and a
    batch never waits forever for itself: BatchTimeout ends it."""

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        conc_conf(env).install()

    def test_batch_850_50(self, env, client):
        # CONTRACT §7: 12 items proxied to this server's /static/, /lua/ and
        # products API with BatchConcurrency 8 all answer 200, with the same
        # bytes as sequential mode
        items = ([item("st%d" % k, "/self/static/a.txt") for k in range(4)]
                 + [item("lu%d" % k, "/self/lua/echo.lua?k=%d" % k) for k in range(4)]
                 + [item("js", "/self/static/small.json"), item("pr", "/self/products/1"),
                    item("pp", "/self/pyb/echo?via=self"),
                    item("lp", "/self/lua/echo.lua", "POST", body={"self": 1})])
        t0 = time.time()
        r = ok_batch(client, items, "/batch-c8")
        elapsed = time.time() - t0
        rs = by_id(r)
        assert all(v["status"] == 200 for v in rs.values()), \
            {k: v["status"] for k, v in rs.items()}
        assert rs["st0"]["body"] == "hello from a.txt\n"
        assert rs["js"]["body"] == {"hello": "world"}
        assert rs["lp"]["body"]["method"] == "POST"
        assert elapsed < 20, elapsed
        seq = normalise(ok_batch(client, items, "/batch-c1").content)
        assert_same(seq, normalise(r.content), "/batch-c1", "/batch-c8")

    def test_batch_850_51(self, env, client, pyb):
        # CONTRACT §4/§7: BatchTimeout 2 with BatchConcurrency 8: eight slow
        # items (some proxied to this server itself) hold every slot past the
        # timeout; what has not started by then gets 504 BatchTimeout (or 424
        # behind one), and the whole answer comes within about the timeout
        # plus the slowest item
        m = marker()
        items = ([item("slow1", "/self/cgi/sleep.py?s=3"),
                  pyb_item(m, "slow2", 3000),
                  pyb_item(m, "dep1", 0, depends_on=["slow1"]),
                  item("dep2", "/self/static/a.txt", depends_on=["slow2"]),
                  pyb_item(m, "dep3", 0, depends_on=["dep1"])]
                 + [item("fill%d" % k, "/self/pyb/hit?sleep=2500&m=%s-fill%d" % (m, k))
                    for k in range(6)]
                 + [item("late%d" % k, "/static/a.txt") for k in range(4)]
                 + [item("self-late", "/self/static/a.txt")])
        t0 = time.time()
        rs = by_id(ok_batch(client, items, "/batch-t2"))
        elapsed = time.time() - t0
        assert rs["slow1"]["status"] == 200 and rs["slow1"]["body"]["slept"] == 3
        timed_out = ["dep1"] + ["late%d" % k for k in range(4)] + ["self-late"]
        failed_dep = ["dep3"]
        if threaded(env):
            assert rs["slow2"]["status"] == 200
            for k in range(6):
                assert rs["fill%d" % k]["status"] == 200, rs["fill%d" % k]
            ran = {"slow2"} | {"fill%d" % k for k in range(6)}
            timed_out.append("dep2")
        else:
            # sequential: the first item alone outlasts the timeout
            timed_out += ["slow2"] + ["fill%d" % k for k in range(6)]
            failed_dep.append("dep2")
            ran = set()
        for i in timed_out:
            assert rs[i]["status"] == 504, rs[i]
            assert rs[i]["body"]["error"]["code"] == "BatchTimeout", rs[i]
        for i in failed_dep:
            assert rs[i]["status"] == 424, rs[i]
            assert rs[i]["body"]["error"]["code"] == "FailedDependency", rs[i]
        seen = {q["path"].rsplit("-", 1)[1] for q in backend_reqs(pyb, m)}
        assert seen == ran, seen
        assert elapsed < 10, "the batch took %.1f s (BatchTimeout 2, slowest item 3 s)" % elapsed


class TestDisconnect:
    """CONTRACT §4: "A client that disconnects stops new items from
    starting; items already running finish on their own timeouts"."""

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        conc_conf(env).install()

    def test_batch_850_60(self, env, client, pyb):
        # CONTRACT §4/§6: BatchConcurrency 2, 20 items of 200 ms; the client
        # resets the connection after 300 ms: clearly fewer than 20 items
        # reach the backend, and none start later on
        m = marker()
        items = [pyb_item(m, "i%02d" % k, 200) for k in range(20)]
        body = json.dumps({"requests": items}).encode()
        s = socket.create_connection(("127.0.0.1", env.port), timeout=30)
        s.sendall(("POST /batch-c2 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Test-Name: %s\r\n"
                   "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                   % (env.test_name, len(body))).encode() + body)
        time.sleep(0.3)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()  # RST
        at_close = len(backend_reqs(pyb, m))
        time.sleep(3)
        ran = len(backend_reqs(pyb, m))
        time.sleep(1)
        assert len(backend_reqs(pyb, m)) == ran, "items still starting 3 s after the client left"
        print("\n%d of 20 items ran, %d had started at the reset (%s)" % (ran, at_close, env.mpm))
        assert ran <= 10, "%d of 20 items ran after the client had gone (%d at close)" % (
            ran, at_close)
        assert ran <= at_close + 6, (at_close, ran)
        # the server is fine
        rs = by_id(ok_batch(client, MIXED[:6], "/batch-c2", headers=ALICE))
        assert rs["s-json"]["body"] == {"hello": "world"}


class TestConfig:
    """CONTRACT §2: BatchConcurrency 1-64 (per directory), BatchThreads
    0-1024 (server config only); a bad value stops httpd (apache2 -t) with a
    message naming the directive and the value."""

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        conc_conf(env).install()

    @pytest.mark.parametrize("text,value", [
        ('<Location "/cfg">\n    SetHandler batch\n    BatchConcurrency 0\n</Location>', "0"),
        ('<Location "/cfg">\n    SetHandler batch\n    BatchConcurrency 65\n</Location>', "65"),
        ('<Location "/cfg">\n    SetHandler batch\n    BatchConcurrency abc\n</Location>', "abc"),
        ('<Location "/cfg">\n    SetHandler batch\n    BatchConcurrency -1\n</Location>', "-1"),
        ("BatchConcurrency 8x", "8x"),
        ("BatchThreads 1025", "1025"),
        ("BatchThreads -1", "-1"),
        ("BatchThreads many", "many"),
    ], ids=["conc-0", "conc-65", "conc-abc", "conc-neg", "conc-suffix",
            "threads-1025", "threads-neg", "threads-word"])
    def test_batch_850_70(self, env, text, value):
        # CONTRACT §2: an out-of-range or non-numeric value is a start-up error
        name = "BatchThreads" if "BatchThreads" in text else "BatchConcurrency"
        rc, out = env.config_test(text)
        assert rc != 0, out
        assert name in out and value in out, out

    @pytest.mark.parametrize("text", [
        '<VirtualHost 127.0.0.1:%(port2)d>\n    BatchThreads 8\n</VirtualHost>',
        '<Location "/cfg">\n    BatchThreads 8\n</Location>',
        '<Directory "/tmp">\n    BatchThreads 8\n</Directory>',
    ], ids=["vhost", "location", "directory"])
    def test_batch_850_71(self, env, text):
        # CONTRACT §2: BatchThreads is server config only
        rc, out = env.config_test(text % {"port2": env.port2})
        assert rc != 0, out
        assert "BatchThreads" in out, out

    @pytest.mark.parametrize("text", [
        '<Location "/cfg">\n    SetHandler batch\n    BatchConcurrency 1\n</Location>',
        '<Location "/cfg">\n    SetHandler batch\n    BatchConcurrency 64\n</Location>',
        '<Directory "/tmp">\n    BatchConcurrency 4\n</Directory>',
        '<VirtualHost 127.0.0.1:%(port2)d>\n    BatchConcurrency 16\n</VirtualHost>',
        "BatchConcurrency 2",
        "BatchThreads 0",
        "BatchThreads 1024\nBatchConcurrency 64",
    ], ids=["location-1", "location-64", "directory", "vhost", "server", "threads-0",
            "threads-1024"])
    def test_batch_850_72(self, env, text):
        # CONTRACT §2: the limits themselves, in every allowed context, are fine
        rc, out = env.config_test(text % {"port2": env.port2})
        assert rc == 0, out

    def test_batch_850_73(self, env, client):
        # CONTRACT §2: BatchConcurrency merges like httpd's own directives:
        # the class config sets it per <Location>; a plain /batch (no
        # BatchConcurrency) stays sequential and answers the same bytes
        env.expect_log(REFUSAL_LOG_IDS)
        items = MIXED[:20]  # /batch keeps the default BatchMaxRequests 20
        a = normalise(ok_batch(client, items, "/batch-c8", headers=ALICE).content)
        b = normalise(ok_batch(client, items, "/batch", headers=ALICE).content)
        assert_same(b, a, "/batch", "/batch-c8")


class TestRestart:
    """A graceful restart lets a running concurrent batch
    finish with correct items; a hard restart may cut it, and afterwards the
    server answers correctly; no crash either way."""

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        conc_conf(env).install()

    @staticmethod
    def start(env, items, path="/batch-c8"):
        result = {}

        def run():
            s = requests.Session()
            try:
                r = post(s, env, path, items, timeout=60)
                result["status"] = r.status_code
                result["content"] = r.content
            except requests.RequestException as x:
                result["error"] = x
            finally:
                s.close()

        t = threading.Thread(target=run)
        t.start()
        return t, result

    def test_batch_850_40(self, env, client, pyb):
        # Graceful restart while 6 proxied 1 s items run:
        # the batch completes with every item correct
        m = marker()
        items = [item("r%d" % k, "/pyb/echo?sleep=1000&m=%s-r%d" % (m, k)) for k in range(6)]
        off = env.log.size()
        t, result = self.start(env, items)
        assert wait_for(lambda: len(backend_reqs(pyb, m)) >= 1, 10)
        env.restart(graceful=True, timeout=30)
        t.join(60)
        assert not t.is_alive()
        assert "error" not in result, result.get("error")
        assert result["status"] == 200, result
        rs = json.loads(result["content"])["responses"]
        assert [x["id"] for x in rs] == [i["id"] for i in items]
        for k, x in enumerate(rs):
            assert x["status"] == 200, x
            assert x["body"]["path"] == "/echo" and x["body"]["query"].endswith("m=%s-r%d" % (m, k))
        assert env.log.crashes(off) == []
        rs = by_id(ok_batch(client, MIXED[:6], "/batch-c8", headers=ALICE))
        assert rs["s-txt"]["status"] == 200

    def test_batch_850_41(self, env, client, pyb):
        # Hard restart while 6 proxied 2 s items run: the
        # client may see its connection cut (or, if the child drains, a
        # complete answer); afterwards a new batch gives the sequential bytes
        # and the error log has no crash marker
        env.expect_log(REFUSAL_LOG_IDS + [
            "AH00274", "AH00275", "AH00276", "AH00277",   # reclaiming children
            "AH01102", "AH00898", "AH01097", "AH01110", "AH10230"])  # proxy cut off
        m = marker()
        items = [item("h%d" % k, "/pyb/echo?sleep=2000&m=%s-h%d" % (m, k)) for k in range(6)]
        off = env.log.size()
        t, result = self.start(env, items)
        assert wait_for(lambda: len(backend_reqs(pyb, m)) >= 1, 10)
        time.sleep(0.2)
        env.restart(graceful=False, timeout=30)
        t.join(60)
        assert not t.is_alive()
        print("\nhard restart mid-batch (%s): %s" % (
            env.mpm, result.get("error") or "HTTP %s, %d bytes" % (result.get("status"),
                                                                  len(result.get("content", b"")))))
        if "error" not in result and result.get("status") == 200:
            try:
                rs = json.loads(result["content"])["responses"]
            except ValueError:
                rs = None  # cut mid-body: allowed
            if rs is not None:
                assert [x["id"] for x in rs] == [i["id"] for i in items]
                for x in rs:
                    assert x["status"] == 200, x
        seq = normalise(ok_batch(client, MIXED, "/batch-c1", headers=ALICE).content)
        conc = normalise(ok_batch(client, MIXED, "/batch-c8", headers=ALICE).content)
        assert_same(seq, conc, "/batch-c1", "/batch-c8")
        assert env.log.crashes(off) == []


class TestThreadsOff:
    """CONTRACT §2: BatchThreads 0 turns concurrency off: BatchConcurrency 8
    runs sequentially, with the same answers, and httpd says so once at
    start-up (BATCH0004; BATCH0003 under prefork, which has no threads
    anyway)."""

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        self.__class__.log_offset = env.log.size()
        conc_conf(env).add("BatchThreads 0").install()

    def test_batch_850_80(self, env, client, pyb):
        # CONTRACT §2: one notice naming BatchConcurrency and "sequential"
        new = [ln for ln in env.log.lines(self.log_offset)
               if "BatchConcurrency" in ln and "sequential" in ln]
        assert len(new) == 1, new
        assert ("BATCH0004" if threaded(env) else "BATCH0003") in new[0], new
        assert ":notice]" in new[0], new

    def test_batch_850_81(self, env, client, pyb):
        # CONTRACT §2/§4: with BatchThreads 0 the BatchConcurrency 8 location
        # runs one item at a time, in request order
        m = marker()
        items = [pyb_item(m, "i%d" % k, 150) for k in range(5)]
        ok_batch(client, items, "/batch-c8")
        recs = backend_reqs(pyb, m)
        assert [q["path"].rsplit("-", 1)[1] for q in recs] == ["i%d" % k for k in range(5)]
        assert max_overlap(recs) == 1

    def test_batch_850_82(self, env, client):
        # CONTRACT §4: the answers are still those of BatchConcurrency 1
        env.expect_log(REFUSAL_LOG_IDS)
        a = normalise(ok_batch(client, MIXED, "/batch-c1", headers=ALICE).content)
        b = normalise(ok_batch(client, MIXED, "/batch-c8", headers=ALICE).content)
        assert_same(a, b, "/batch-c1", "/batch-c8")


class TestSharedThreads:
    """docs/concurrency.md: the batch threads of a child
    are shared first come first served. A batch whose own items are done
    must not wait for batch threads that other batches hold: runners it
    queued for the ramp-up, and that never got a thread, are taken back."""

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        conc_conf(env).add("BatchThreads 3").install()

    def test_batch_850_91(self, env, client, pyb):
        # A batch starts about one runner per queued item, not
        # BatchConcurrency of them: 5 slow items at BatchConcurrency 64 start at most
        # 5 batch threads (of BatchThreads 32)
        if not threaded(env):
            pytest.skip("prefork has no batch threads")
        BatchConf(env).add("BatchThreads 32").add_batch(
            "/batch-c64", ["BatchConcurrency 64"]).install()
        before = child_threads(env)
        m = marker()
        r = ok_batch(client, [pyb_item(m, "s%d" % k, 400) for k in range(5)], "/batch-c64")
        assert [x["status"] for x in r.json()["responses"]] == [200] * 5
        assert max_overlap(backend_reqs(pyb, m)) >= 3
        after = child_threads(env)
        # children the MPM starts meanwhile (spare threads) do not count
        started = sum(after[p] - n for p, n in before.items() if p in after)
        assert 1 <= started <= 7, "%d batch threads started for 5 items" % started
        conc_conf(env).add("BatchThreads 3").install()

    def test_batch_850_90(self, env, client, pyb):
        # CONTRACT §4: batch B (10 x 20 ms) finishes in its own time while batch A
        # holds 2 of the 3 batch threads with two 3 s items
        if not threaded(env):
            pytest.skip("prefork runs items on the batch's own worker")
        m = marker()
        slow = [pyb_item(m, "a1", 3000), pyb_item(m, "a2", 3000)]
        result = {}

        def send_a():
            with requests.Session() as s:
                result["a"] = post(s, env, "/batch-c8", slow, timeout=30)

        t = threading.Thread(target=send_a)
        t.start()
        try:
            assert wait_for(lambda: len(backend_reqs(pyb, m)) >= 2, 10), \
                "batch A's two items did not start"
            fast = [pyb_item(m, "b%d" % k, 20) for k in range(10)]
            t0 = time.time()
            r = ok_batch(client, fast, "/batch-c8")
            elapsed = time.time() - t0
            assert [x["status"] for x in r.json()["responses"]] == [200] * 10
            # A's items were still running all along
            assert rec_of(pyb, m, "a1")["end"] is None or rec_of(pyb, m, "a1")["end"] > t0 + elapsed
            assert elapsed < 2.0, "batch B took %.2f s: it waited for A's threads" % elapsed
        finally:
            t.join(30)
        assert result["a"].status_code == 200
