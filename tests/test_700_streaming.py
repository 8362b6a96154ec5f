"""CONTRACT §6 (the batch response is streamed item by item, flushed once
100 ms have passed since the last flush), §4 (a client that disconnects
stops new items), §3/§6 (Range on the batch is ignored) and §7 (the request
notes batch-items / batch-failed in the access log).

Timing tests measure order of arrival with generous margins, never speed."""
import json
import re
import socket
import time
import uuid

import pytest

from harness.client import RawResponse, item
from harness.streaming import arrival_time, batch_request, timed_read

HELLO = re.compile(rb'"hello"\s*:\s*"world"')


def access_line(env, name, timeout=5, nth=1):
    """The access-log line of the nth batch request sent by test `name`
    (waits until that many are written: httpd logs after the response)."""
    end = time.time() + timeout
    while time.time() < end:
        lines = [ln for ln in env.access_log_lines()
                 if '"POST /batch' in ln and (" %s " % name) in ln]
        if len(lines) >= nth:
            return lines[nth - 1]
        time.sleep(0.05)
    raise AssertionError("no access-log line for %s" % name)


def notes_of(line):
    fields = line.split()
    return fields[-2], fields[-1]


class TestStreaming:

    def test_batch_700_01(self, client, env):
        # CONTRACT §6: HTTP/1.1 response is streamed: chunked, no Content-Length, no-store
        r = client.raw(batch_request(env, [item("1", "/static/small.json"),
                                           item("2", "/static/a.txt")]))
        assert r.status == 200, r.raw[:300]
        assert r.complete
        assert (r.header("Transfer-Encoding") or "").lower() == "chunked"
        assert r.header("Content-Length") is None
        assert "no-store" in (r.header("Cache-Control") or "")
        assert (r.header("Content-Type") or "").split(";")[0] == "application/json"
        doc = r.json()
        assert [x["id"] for x in doc["responses"]] == ["1", "2"]

    def test_batch_700_02(self, client):
        # CONTRACT §6: a large batch (20 x 1 MiB) is streamed too, never given a Content-Length
        r = client.post_batch([item(str(i), "/static/1m.txt") for i in range(20)], stream=True)
        try:
            assert r.status_code == 200
            assert "Content-Length" not in r.headers
            assert r.headers.get("Transfer-Encoding", "").lower() == "chunked"
            doc = json.loads(r.content)
        finally:
            r.close()
        assert len(doc["responses"]) == 20
        assert all(len(x["body"]) == 1 << 20 for x in doc["responses"])

    def test_batch_700_03(self, env):
        # CONTRACT §6: the first item's bytes reach the client before a later slow item
        # finishes (flushed once 100 ms passed since the last flush: item 2 takes 1.5 s)
        t0, arrivals, buf = timed_read(env, batch_request(env, [
            item("1", "/static/small.json"), item("2", "/pyb/hit?sleep=1500")]))
        r = RawResponse(buf)
        assert r.status == 200 and r.complete, buf[:300]
        t_first = arrival_time(arrivals, buf, HELLO)
        t_end = arrivals[-1][0]
        assert t_end - t0 >= 1.4, "the slow item did not take its 1.5 s"
        assert t_first is not None
        assert t_first - t0 < 1.0, ("item 1 arrived only %.2f s after the request, with the "
                                    "slow item (end at %.2f s)" % (t_first - t0, t_end - t0))

    @pytest.mark.sequential
    def test_batch_700_04(self, env):
        # CONTRACT §6: once 100 ms have passed, the items written so far are flushed before a
        # later slow item runs (static, 300 ms, then 1.5 s)
        t0, arrivals, buf = timed_read(env, batch_request(env, [
            item("1", "/static/small.json"), item("2", "/pyb/hit?sleep=300&x=2"),
            item("3", "/pyb/hit?sleep=1500&x=3")]))
        r = RawResponse(buf)
        assert r.status == 200 and r.complete, buf[:300]
        t_first = arrival_time(arrivals, buf, HELLO)
        t_second = arrival_time(arrivals, buf, re.compile(rb'"id"\s*:\s*"2"[^}]*"status"'))
        t_end = arrivals[-1][0]
        assert t_end - t0 >= 1.7
        assert t_first is not None and t_second is not None
        assert t_first - t0 < 1.2 and t_second - t0 < 1.2, (t_first - t0, t_second - t0)
        assert t_end - t_second > 0.8

    @pytest.mark.sequential
    def test_batch_700_05(self, env, pyb):
        # CONTRACT §4/§6: a client that disconnects after the first part stops new items
        mark = uuid.uuid4().hex[:10]
        items = [item(str(i), "/pyb/hit?sleep=300&gone=%s&i=%d" % (mark, i)) for i in range(10)]
        s = socket.create_connection(("127.0.0.1", env.port), timeout=10)
        s.sendall(batch_request(env, items))
        time.sleep(0.5)
        s.close()
        time.sleep(4.0)
        started = [q for q in list(pyb.requests) if mark in q["path"]]
        assert len(started) >= 1, "the batch never started"
        assert len(started) <= 5, "%d of 10 items ran after the client had gone" % len(started)

    def test_batch_700_06(self, env, pyb):
        # CONTRACT §4: after a disconnect the server is healthy and the next batch runs fully
        mark = uuid.uuid4().hex[:10]
        s = socket.create_connection(("127.0.0.1", env.port), timeout=10)
        s.sendall(batch_request(env, [item(str(i), "/pyb/hit?sleep=200&g=%s" % mark)
                                      for i in range(6)]))
        time.sleep(0.3)
        s.close()
        time.sleep(2.0)
        t0, arrivals, buf = timed_read(env, batch_request(env, [
            item("a", "/static/small.json"), item("b", "/pyb/hit?after=%s" % mark)]))
        r = RawResponse(buf)
        assert r.status == 200 and r.complete
        assert [x["status"] for x in r.json()["responses"]] == [200, 200]

    def test_batch_700_07(self, client, env):
        # CONTRACT §3/§6 / DESIGN trap 1: Range: bytes=0-3 on the batch -> the full 200 JSON
        r = client.raw(batch_request(env, [item("1", "/static/small.json"),
                                           item("2", "/pyb/echo")],
                                     extra_headers=[("Range", "bytes=0-3")]))
        assert r.status == 200, r.raw[:300]
        assert r.header("Content-Range") is None
        doc = r.json()
        assert doc["responses"][0]["body"] == {"hello": "world"}
        assert doc["responses"][1]["status"] == 200
        # and the Range never reached the proxied item either
        assert "Range" not in doc["responses"][1]["body"]["headers"]

    def test_batch_700_10(self, client, env):
        # CONTRACT §7: access log notes: 3 items with one 404 -> batch-items 3, batch-failed 1
        resps = client.batch_ok([item("1", "/static/a.txt"), item("2", "/static/nope.txt"),
                                 item("3", "/static/small.json")])
        assert [r["status"] for r in resps] == [200, 404, 200]
        line = access_line(env, env.test_name)
        assert notes_of(line) == ("3", "1"), line
        assert " 200 " in line

    def test_batch_700_11(self, client, env):
        # CONTRACT §7: all items 2xx (200, 201, 204) -> batch-failed 0
        resps = client.batch_ok([item("1", "/static/a.txt"),
                                 item("2", "/pyb/status?status=201"),
                                 item("3", "/pyb/status?status=204"),
                                 item("4", "/products", "POST", body={"title": "t"})])
        assert [r["status"] for r in resps] == [200, 201, 204, 201]
        assert notes_of(access_line(env, env.test_name)) == ("4", "0")

    def test_batch_700_12(self, client, env):
        # CONTRACT §7: every item outside 2xx counts: 304, 404, 424 (dependency), 501
        # (ConditionalNotForwarded), 500 (ResponseTooLarge)
        r0 = client.batch_ok([item("e", "/static/etag.txt")])[0]
        resps = client.batch_ok([
            item("ok", "/static/a.txt"),
            item("nm", "/static/etag.txt", headers={"If-None-Match": r0["headers"]["ETag"]}),
            item("nf", "/static/nope.txt"),
            item("dep", "/static/a.txt", depends_on=["nf"]),
            item("cond", "/pyb/echo", headers={"If-Match": '"x"'}),
            item("big", "/static/1m1.txt")])
        assert [r["status"] for r in resps] == [200, 304, 404, 424, 501, 500]
        assert notes_of(access_line(env, env.test_name, nth=2)) == ("6", "5")

    def test_batch_700_13(self, client, env):
        # CONTRACT §7: batch-items counts the items of a batch of one
        client.batch_ok([item("only", "/static/small.json")])
        assert notes_of(access_line(env, env.test_name)) == ("1", "0")
