"""CONTRACT §2 BatchLogItems and §7 (everything a batch does is visible):
with BatchLogItems On every item gets its own access-log line through the
normal CustomLog/LogFormat machinery, tied to its batch; Off (the default)
leaves the single batch line. Also the per-item line at LogLevel
batch:debug (BATCH0108), with client strings escaped."""
import time

import pytest

from harness import multipart as mp
from harness.client import item
from harness.conf import BatchConf
from harness.helpers import log_fields

FMT = ('LogFormat "%{X-Test-Name}i|%r|%>s|%b|%{BATCH_ITEM_ID}e|%L|'
       '%{batch-items}n|%{batch-failed}n|%D" itemfmt')


class TestLogItems:

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        BatchConf(env).add([
            FMT,
            'CustomLog "%s" itemfmt' % env.path("logs", "items.log"),
            'ErrorLogFormat "[%{u}t] [%-m:%l] [pid %P] %7F: %E: [client %a] [%L] %M"',
        ]).add_batch("/logbatch", ["BatchLogItems On",
                                   "LogLevel batch:debug"]
        ).add_batch("/nologbatch", ["BatchLogItems Off"]).install()

    def test_batch_710_01(self, env, client):
        # CONTRACT §2 BatchLogItems On: one access-log line per item, then the batch line
        items = [item("a", "/static/a.txt"), item("b", "/static/missing.txt"),
                 item("c", "/products/1", method="get"),
                 item("d", "/static/a.txt", method="POST", depends_on=["b"])]
        r = client.post_batch(items, path="/logbatch")
        assert r.status_code == 200
        assert [x["status"] for x in r.json()["responses"]] == [200, 404, 200, 424]
        got = log_fields(env, "items.log", env.test_name, 5)
        assert len(got) == 5, got
        by_id = {ln[4]: ln for ln in got}
        assert by_id["a"][1] == "GET /static/a.txt HTTP/1.1"
        assert by_id["a"][2] == "200" and by_id["a"][3] == "17"
        assert by_id["b"][1] == "GET /static/missing.txt HTTP/1.1"
        assert by_id["b"][2] == "404"
        assert by_id["c"][1] == "GET /products/1 HTTP/1.1"
        # an item refused before it ran is logged too
        assert by_id["d"][1] == "POST /static/a.txt HTTP/1.1"
        assert by_id["d"][2] == "424" and by_id["d"][3] == "-"
        # item lines carry no batch notes; the batch line has them
        for k in "abcd":
            assert by_id[k][6] == "-" and by_id[k][7] == "-"
        batch = by_id["-"]
        assert batch[1] == "POST /logbatch HTTP/1.1"
        assert batch[6] == "4" and batch[7] == "2"
        # all lines are tied to the batch by its log id
        assert batch[5] not in ("", "-")
        assert {ln[5] for ln in got} == {batch[5]}
        # items come first, in request order, then the batch
        assert [ln[4] for ln in got] == ["a", "b", "c", "d", "-"]

    def test_batch_710_02(self, env, client):
        # CONTRACT §2 BatchLogItems Off (and the default): only the batch line
        for path in ("/nologbatch", "/batch"):
            r = client.post_batch([item("a", "/static/a.txt"),
                                   item("b", "/static/small.json")], path=path)
            assert r.status_code == 200
        got = log_fields(env, "items.log", env.test_name, 2)
        time.sleep(0.3)
        got = log_fields(env, "items.log", env.test_name, 2)
        assert [ln[1] for ln in got] == ["POST /nologbatch HTTP/1.1",
                                         "POST /batch HTTP/1.1"]
        assert all(ln[4] == "-" for ln in got)

    def test_batch_710_03(self, env, client):
        # STYLE 4.6: the BATCH0108 debug line per item escapes client strings
        evil = 'x"\\n\x01y'
        r = client.post_batch([item(evil, "/static/a.txt?q=%0d%0a")],
                              path="/logbatch")
        assert r.status_code == 400  # control character in the id
        r = client.post_batch([item('q"uote', "/static/a.txt?v=%0d%0aX")],
                              path="/logbatch")
        assert r.status_code == 200
        time.sleep(0.2)
        with open(env.error_log_path, errors="replace") as f:
            log = [ln for ln in f.read().splitlines() if "BATCH0108" in ln]
        assert log, "no BATCH0108 line at LogLevel batch:debug"
        last = log[-1]
        # the quote is escaped (httpd's error log may escape the escape again)
        assert 'uote (#0): GET /static/a.txt?v=%0d%0aX gave 200, 17 bytes' in last
        assert 'item q"uote' not in last

    def test_batch_710_05(self, env, client):
        # CONTRACT §8: a multipart batch logs as a JSON one: a line per item
        # (id = Content-ID as sent, or the part's position), then the batch
        # line with %{batch-items}n and %{batch-failed}n
        parts = [mp.http("GET", "/static/a.txt", cid="<abc+1>"),
                 mp.http("GET", "/static/missing.txt"),
                 mp.http("POST", "/static/a.txt", cid="three", body=b"x",
                         headers=[("Content-Type", "text/plain")])]
        r = client.post_batch(body=mp.build(parts, "lb"), content_type=mp.ctype("lb"),
                              path="/logbatch")
        assert r.status_code == 200, r.text[:500]
        got = [it.status for it in mp.flatten(mp.parse(r))]
        assert got[:2] == [200, 404], got
        lines = log_fields(env, "items.log", env.test_name, 4)
        assert [ln[4] for ln in lines] == ["<abc+1>", "2", "three", "-"], lines
        assert lines[0][1] == "GET /static/a.txt HTTP/1.1" and lines[0][2] == "200"
        assert lines[1][2] == "404"
        assert lines[2][1] == "POST /static/a.txt HTTP/1.1"
        batch = lines[3]
        assert batch[1] == "POST /logbatch HTTP/1.1"
        assert batch[6] == "3" and batch[7] == str(sum(s >= 400 for s in got))
        assert {ln[5] for ln in lines} == {batch[5]}

    def test_batch_710_04(self, env):
        # CONTRACT §2: a bad BatchLogItems value stops httpd naming directive and value
        rc, out = env.config_test('<Location "/x">\nBatchLogItems yes\n</Location>\n')
        assert rc != 0 and "BatchLogItems" in out and "yes" in out, out
        rc, out = env.config_test('<Location "/x">\nBatchLogItems on\n</Location>\n')
        assert rc == 0, out
