"""docs/scale-out.md (issue 15): items reach backend pools through httpd's
own mod_proxy_balancer, nothing of mod_batch's own. The items of one
concurrent batch are spread over a balancer:// of two loopback backends
(both see items), and a batch whose pool has a dead member is still
answered: its items fail over to the live member (or answer 503), the
batch never hangs.

The two members are the session's Python backend (env.pyb, PORT3) and a
second instance of it on a free port started by this file; the dead member
is a free port nobody listens on. Every backend request is recorded with
the item's id (the X-Item-Id request header set from BATCH_ITEM_ID), so the
test can say which member served which item."""
import json
import time

import pytest
import requests

from harness.backend import Backend
from harness.client import item
from harness.conf import BatchConf
from harness.env import free_port

N = 8
SLEEP_MS = 300


def members_conf(name, ports, extra=()):
    lines = ['<Proxy "balancer://%s">' % name]
    lines += ["    BalancerMember http://127.0.0.1:%d retry=30" % p for p in ports]
    lines += ["    ProxySet lbmethod=byrequests"] + ["    " + x for x in extra]
    lines += ["</Proxy>",
              'ProxyPass "/%s/" "balancer://%s/"' % (name, name),
              '<Location "/%s/">' % name,
              '    RequestHeader set X-Item-Id "%{BATCH_ITEM_ID}e" env=BATCH_ITEM_ID',
              "</Location>"]
    return lines


def post(env, path, items, timeout=60):
    t0 = time.monotonic()
    r = requests.post(env.url(path), data=json.dumps({"requests": items}).encode(),
                      headers={"Content-Type": "application/json",
                               "X-Test-Name": env.test_name}, timeout=timeout)
    return r, time.monotonic() - t0


def seen(backend, mark):
    """The item ids of the requests this backend got for batch `mark`."""
    with backend.lock:
        return [q["headers"].get("X-Item-Id") for q in backend.requests if mark in q["path"]]


@pytest.fixture(scope="module")
def second(env):
    b = Backend(free_port()).start()
    yield b
    b.stop()


class TestBalancer:

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env, second):
        self.__class__.dead = free_port()
        (BatchConf(env)
         .add(members_conf("pool", [env.port3, second.port]))
         .add(members_conf("halfdead", [self.dead, second.port]))
         .add_batch("/batch-c8", ["BatchConcurrency 8"])
         .install())

    def test_batch_810_01(self, env, pyb, second):
        # scale-out: the items of one concurrent batch are spread over both members of a
        # balancer:// pool (lbmethod=byrequests) and run side by side
        if env.mpm == "prefork":
            pytest.skip("prefork: batches run sequentially")
        mark = "m810a%d" % time.time_ns()
        items = [item("i%d" % i, "/pool/hit?sleep=%d&%s" % (SLEEP_MS, mark)) for i in range(N)]
        r, took = post(env, "/batch-c8", items)
        assert r.status_code == 200, r.text[:500]
        resp = r.json()["responses"]
        assert [x["id"] for x in resp] == ["i%d" % i for i in range(N)]
        assert [x["status"] for x in resp] == [200] * N, resp
        a, b = seen(pyb, mark), seen(second, mark)
        assert len(a) + len(b) == N, (a, b)
        assert a and b, "one member got every item: %s / %s" % (a, b)
        assert sorted(a + b) == sorted("i%d" % i for i in range(N))
        # 8 x 300 ms one after another would be 2.4 s
        assert took < N * SLEEP_MS / 1000.0 * 0.75, "items did not overlap (%.2f s)" % took

    def test_batch_810_02(self, env, second):
        # scale-out: with one member of the pool down, the batch is answered, never hangs:
        # every item is 200 (failed over to the live member) or 503
        env.expect_log(["AH00957", "AH00959", "AH01114", "AH00940", "AH00898", "AH01144",
                        "AH00942", "AH10203"])
        mark = "m810b%d" % time.time_ns()
        items = [item("d%d" % i, "/halfdead/hit?%s" % mark) for i in range(N)]
        r, took = post(env, "/batch-c8", items, timeout=30)
        assert r.status_code == 200, r.text[:500]
        resp = r.json()["responses"]
        assert [x["id"] for x in resp] == ["d%d" % i for i in range(N)]
        statuses = [x["status"] for x in resp]
        assert set(statuses) <= {200, 503}, resp
        ok = [x["id"] for x in resp if x["status"] == 200]
        assert sorted(seen(second, mark)) == sorted(ok)
        # failover: the live member serves what the dead one could not
        assert len(ok) == N, statuses
        assert took < 10, "the batch took %.1f s" % took
        # ... and the dead member was really tried (and taken out of the pool)
        with open(env.error_log_path, errors="replace") as f:
            log = f.read()
        assert "AH00957" in log and "127.0.0.1:%d" % self.dead in log, \
            "the dead member was never tried"
