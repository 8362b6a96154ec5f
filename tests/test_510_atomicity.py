"""CONTRACT §9: atomicity groups in the JSON format (`atomicityGroup`) and
`BatchAtomicity Refuse|Ordered` (§2). Refuse (the default) answers 400
naming the directive and runs nothing; Ordered runs a group's items one
after another in request order, stops the group at its first failure (the
rest 424, never run: checked on the Python backend), lets dependsOn name a
group, echoes atomicityGroup as sent, and gives every item of a group
BATCH_ATOMICITY_GROUP (also after an internal redirect). Every Ordered test
runs on a sequential location and on one with BatchConcurrency 8, where
only the group chain keeps the order (a later item of a group sleeps less
than an earlier one)."""
import os

import pytest

from harness.client import item
from harness.conf import BatchConf
from harness.helpers import marker

PATHS = ["/batch-ord", "/batch-ord8"]


def pyb_since(pyb, before):
    with pyb.lock:
        return {q["path"]: q for q in pyb.requests[before:]}


def refused(client, env, reqs, words, path="/batch"):
    """400 BadRequest naming every word, and nothing ran."""
    n = env.pyb.count()
    r = client.post_batch(reqs, path=path)
    assert r.status_code == 400, (r.status_code, r.text[:1000])
    err = r.json()["error"]
    assert err["code"] == "BadRequest", err
    for w in words:
        assert w in err["message"], (w, err)
    assert env.pyb.count() == n
    return err


class TestRefuse:
    """The default, BatchAtomicity Refuse."""

    def test_batch_510_01(self, client, env):
        # CONTRACT §9: a group under the default Refuse -> 400 naming BatchAtomicity, the item
        # and atomicityGroup; nothing ran
        m = marker()
        refused(client, env, [item("a", "/pyb/hit?r1=" + m, "POST", body={"x": 1}),
                              item("b", "/pyb/hit?r2=" + m, atomicityGroup="g1"),
                              item("c", "/pyb/hit?r3=" + m, atomicityGroup="g1")],
                ["BatchAtomicity", "requests[1]", '"b"', "atomicityGroup"])

    def test_batch_510_02(self, client, env):
        # CONTRACT §3: without a group the same batch runs (the refusal is the group's)
        rs = client.batch_ok([item("a", "/static/a.txt"), item("b", "/static/a.txt")])
        assert [x["status"] for x in rs] == [200, 200]
        assert all("atomicityGroup" not in x for x in rs)


class TestOrdered:
    """BatchAtomicity Ordered, sequential and with BatchConcurrency 8."""

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        os.makedirs(env.path("htdocs", "rwgrp"), exist_ok=True)
        (BatchConf(env)
         .add_batch("/batch-ord", ["BatchAtomicity Ordered"])
         .add_batch("/batch-ord8", ["BatchAtomicity ordered", "BatchConcurrency 8"])
         .add_location("/outer", ["BatchAtomicity Ordered"])
         .add_batch("/outer/batch")
         .add_batch("/outer/refuse", ["BatchAtomicity Refuse"])
         .add_directory(env.path("htdocs", "rwgrp"), [
             "Options +FollowSymLinks",
             "RewriteEngine On",
             'RewriteBase "/rwgrp/"',
             'RewriteRule "^echo$" "/cgi/echo.py" [PT]',
         ])
         .install())

    @pytest.mark.parametrize("path", PATHS)
    def test_batch_510_10(self, client, env, path):
        # CONTRACT §9: the items of a group must be adjacent -> 400 naming the stray item and
        # atomicityGroup; nothing ran
        m = marker()
        refused(client, env, [item("a", "/pyb/hit?j1=" + m, atomicityGroup="g1"),
                              item("b", "/pyb/hit?j2=" + m, atomicityGroup="g1"),
                              item("c", "/pyb/hit?j3=" + m),
                              item("d", "/pyb/hit?j4=" + m, atomicityGroup="G1")],
                ["requests[3]", '"d"', "atomicityGroup", "adjacent"], path=path)

    @pytest.mark.parametrize("group,words", [
        ("A", ["is also the id of requests[0]"]),          # one namespace, any case
        ("", ["must not be empty"]),
        ("x" * 257, ["longer than 256"]),
        ("bad\u0085", ["control characters"]),
    ])
    def test_batch_510_11(self, client, env, group, words):
        # CONTRACT §9/§3: a group name follows the id rules and may not be an item id
        m = marker()
        refused(client, env, [item("a", "/pyb/hit?n1=" + m),
                              item("b", "/pyb/hit?n2=" + m, atomicityGroup=group)],
                ["requests[1]", "atomicityGroup"] + words, path="/batch-ord")

    def test_batch_510_12(self, client, env):
        # CONTRACT §3: atomicityGroup must be a string
        refused(client, env, [item("a", "/static/a.txt", atomicityGroup=1)],
                ["atomicityGroup", "must be a string"], path="/batch-ord")

    @pytest.mark.parametrize("path", PATHS)
    def test_batch_510_13(self, client, env, path):
        # CONTRACT §9: a group runs in request order (an earlier item sleeps longer) and stops
        # at its first failure: the rest 424 saying so, never run; items outside it run
        m = marker()
        before = len(env.pyb.requests)
        reqs = [item("o", "/pyb/hit?o=%s&sleep=50" % m),
                item("a", "/pyb/hit?a=%s&sleep=200" % m, "POST", body={"n": 1},
                     atomicityGroup="g"),
                item("b", "/pyb/hit?b=%s&sleep=20" % m, "PUT", body={"n": 2},
                     atomicityGroup="g"),
                item("c", "/pyb/hit?c=%s&status=500" % m, "PATCH", body={"n": 3},
                     atomicityGroup="g"),
                item("d", "/pyb/hit?d=" + m, "DELETE", atomicityGroup="g"),
                item("e", "/pyb/hit?e=" + m, "POST", body={"n": 5}, atomicityGroup="g"),
                item("z", "/pyb/hit?z=" + m)]
        rs = client.batch_ok(reqs, path=path)
        assert [x["id"] for x in rs] == ["o", "a", "b", "c", "d", "e", "z"]
        assert [x["status"] for x in rs] == [200, 200, 200, 500, 424, 424, 200]
        for x in rs[4:6]:
            err = x["body"]["error"]
            assert err["code"] == "FailedDependency", x
            assert "atomicity group" in err["message"], x
        seen = pyb_since(env.pyb, before)
        assert "/hit?d=" + m not in seen and "/hit?e=" + m not in seen
        a, b, c = (seen["/hit?a=%s&sleep=200" % m], seen["/hit?b=%s&sleep=20" % m],
                   seen["/hit?c=%s&status=500" % m])
        assert b["time"] >= a["end"] - 0.005 and c["time"] >= b["end"] - 0.005, (a, b, c)
        assert "/hit?o=%s&sleep=50" % m in seen and "/hit?z=" + m in seen

    @pytest.mark.parametrize("path", PATHS)
    def test_batch_510_14(self, client, env, path):
        # CONTRACT §9: a failing first item: nothing else of the group runs
        m = marker()
        before = len(env.pyb.requests)
        rs = client.batch_ok([item("a", "/pyb/hit?f1=%s&status=409" % m, "POST",
                                   body={"n": 1}, atomicityGroup="g"),
                              item("b", "/pyb/hit?f2=" + m, "POST", body={"n": 2},
                                   atomicityGroup="g")], path=path)
        assert [x["status"] for x in rs] == [409, 424]
        seen = pyb_since(env.pyb, before)
        assert "/hit?f2=" + m not in seen and "/hit?f1=%s&status=409" % m in seen

    @pytest.mark.parametrize("path", PATHS)
    def test_batch_510_15(self, client, env, path):
        # CONTRACT §9: dependsOn naming a group (any case) waits for every item of it and is
        # 424 when one of them failed; a failed group's dependent never runs
        m = marker()
        before = len(env.pyb.requests)
        reqs = [item("a", "/pyb/hit?ga=%s&sleep=150" % m, atomicityGroup="Ok"),
                item("b", "/pyb/hit?gb=%s&sleep=50" % m, atomicityGroup="ok"),
                item("x", "/pyb/hit?x=" + m, depends_on=["OK"]),
                item("c", "/pyb/hit?gc=%s&status=409" % m, atomicityGroup="bad"),
                item("d", "/pyb/hit?gd=" + m, atomicityGroup="bad"),
                item("y", "/pyb/hit?y=" + m, depends_on=["bad"]),
                item("w", "/pyb/hit?w=" + m, depends_on=["x", "ok"])]
        rs = {x["id"]: x for x in client.batch_ok(reqs, path=path)}
        assert [rs[k]["status"] for k in "abxcdyw"] == [200, 200, 200, 409, 424, 424, 200]
        assert rs["y"]["body"]["error"]["code"] == "FailedDependency"
        seen = pyb_since(env.pyb, before)
        assert "/hit?y=" + m not in seen and "/hit?gd=" + m not in seen
        x = seen["/hit?x=" + m]
        assert x["time"] >= seen["/hit?ga=%s&sleep=150" % m]["end"] - 0.005
        assert x["time"] >= seen["/hit?gb=%s&sleep=50" % m]["end"] - 0.005

    def test_batch_510_16(self, client, env):
        # CONTRACT §9/§3: dependsOn may name only a group wholly before the item
        m = marker()
        refused(client, env, [item("a", "/pyb/hit?k1=" + m, atomicityGroup="g"),
                              item("b", "/pyb/hit?k2=" + m, atomicityGroup="g",
                                   depends_on=["g"])],
                ["requests[1]", "dependsOn", "own atomicity group"], path="/batch-ord")
        refused(client, env, [item("a", "/pyb/hit?k3=" + m, depends_on=["g"]),
                              item("b", "/pyb/hit?k4=" + m, atomicityGroup="g")],
                ["requests[0]", "dependsOn", "later item"], path="/batch-ord")

    @pytest.mark.parametrize("path", PATHS)
    def test_batch_510_17(self, client, path):
        # CONTRACT §9: the response item carries atomicityGroup exactly as sent (case, escapes,
        # non-ASCII); items outside a group carry none
        g1, g2 = 'Grp "1" \u00e9/\\', 'grp "1" \u00e9/\\'
        rs = client.batch_ok([item("1", "/static/a.txt", atomicityGroup=g1),
                              item("2", "/static/a.txt", atomicityGroup=g2),
                              item("3", "/static/a.txt")], path=path)
        assert [x.get("atomicityGroup") for x in rs] == [g1, g2, None]
        assert "atomicityGroup" not in rs[2]

    @pytest.mark.parametrize("path", PATHS)
    def test_batch_510_18(self, client, path):
        # CONTRACT §9: every item of a group sees BATCH_ATOMICITY_GROUP (as sent), also after a
        # per-dir internal redirect; items outside a group do not
        rs = client.batch_ok([item("1", "/cgi/echo.py", atomicityGroup="grp-\u00e9"),
                              item("2", "/rwgrp/echo", atomicityGroup="GRP-\u00e9"),
                              item("3", "/rwgrp/echo"),
                              item("4", "/cgi/echo.py", atomicityGroup="other")], path=path)
        assert [x["status"] for x in rs] == [200] * 4, rs
        assert [x["body"]["atomicity_group"] for x in rs] == [
            "grp-\u00e9", "GRP-\u00e9", None, "other"]
        assert [x["body"]["item_id"] for x in rs] == ["1", "2", "3", "4"]

    def test_batch_510_19(self, client, env):
        # CONTRACT §2: BatchAtomicity merges like the others: inherited from an outer
        # <Location>, overridden by an inner one
        rs = client.batch_ok([item("a", "/static/a.txt", atomicityGroup="g"),
                              item("b", "/static/a.txt", atomicityGroup="g")],
                             path="/outer/batch")
        assert [x["status"] for x in rs] == [200, 200]
        refused(client, env, [item("a", "/static/a.txt", atomicityGroup="g")],
                ["BatchAtomicity"], path="/outer/refuse")
