"""Items through mod_proxy_http (CONTRACT §4/§5/§6, DESIGN §2 and traps 5, 9,
21): methods, headers, BATCH_ITEM_ID via RequestHeader, bodies, backend
statuses, a backend that is down or breaks off, a backend body over
BatchMaxResponseSize, header injection, and backend connection reuse."""
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from harness.helpers import hget, marker, pyb_request
from harness.client import item
from harness.conf import BatchConf
from harness.env import free_port


class _ConnHandler(BaseHTTPRequestHandler):
    """A keep-alive backend that records the client port of every request."""
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        with self.server.lock:
            self.server.ports.append(self.client_address[1])
        body = json.dumps({"port": self.client_address[1]}).encode()
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(body), body))


class TestProxy:

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        self.__class__.down_port = free_port()       # nothing listens there
        srv = ThreadingHTTPServer(("127.0.0.1", free_port()), _ConnHandler)
        srv.daemon_threads = True
        srv.lock = threading.Lock()
        srv.ports = []
        t = threading.Thread(target=srv.serve_forever, daemon=True)
        t.start()
        self.__class__.conn_srv = srv
        (BatchConf(env)
         .add('ProxyPass "/down800/" "http://127.0.0.1:%d/" retry=0' % self.down_port)
         .add('ProxyPass "/conn800/" "http://127.0.0.1:%d/"' % srv.server_address[1])
         .add_location("/pyb/", ['RequestHeader set X-Item-Id "%{BATCH_ITEM_ID}e" '
                                 'env=BATCH_ITEM_ID'])
         .install())
        yield
        srv.shutdown()
        srv.server_close()

    @pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
    def test_batch_800_01(self, client, pyb, method):
        # CONTRACT §4/§5: method, item headers, BATCH_ITEM_ID (RequestHeader) and body reach
        # the backend through mod_proxy_http
        m = marker()
        kw = {"body": {"m": m, "method": method}} if method != "GET" else {}
        resps = client.batch_ok([
            item("first", "/static/small.json"),
            item("it-" + method, "/pyb/echo?mark=" + m, method,
                 headers={"X-Custom": "v-" + method, "Accept": "application/json"}, **kw)])
        r = resps[1]
        assert r["status"] == 200, r
        got = pyb_request(pyb, m)
        assert got["method"] == method
        assert hget(got["headers"], "X-Custom") == "v-" + method
        assert hget(got["headers"], "Accept") == "application/json"
        assert hget(got["headers"], "X-Item-Id") == "it-" + method
        if method == "GET":
            assert got["body"] == b""
        else:
            assert json.loads(got["body"]) == {"m": m, "method": method}
            assert hget(got["headers"], "Content-Length") == str(len(got["body"]))
        # the backend's answer comes back as JSON with its own headers
        assert r["body"]["method"] == method
        assert r["headers"].get("X-Echo") == "pyb"

    def test_batch_800_02(self, client, pyb):
        # CONTRACT §4: every item of a batch carries its own id to the backend
        m = marker()
        ids = ["a", "B-2", "third item"]
        client.batch_ok([item(i, "/pyb/echo?mark=%s-%d" % (m, n))
                         for n, i in enumerate(ids)])
        for n, i in enumerate(ids):
            assert hget(pyb_request(pyb, "%s-%d" % (m, n))["headers"], "X-Item-Id") == i

    def test_batch_800_03(self, client):
        # CONTRACT §4: BATCH_ITEM_ID reaches the /api/ backend vhost via RequestHeader
        resps = client.batch_ok([item("api-1", "/api/cgi/echo.py"),
                                 item("api-2", "/api/lua/echo.lua", "POST", body="x")])
        assert resps[0]["body"]["headers"]["X-Item-Id"] == "api-1"
        assert resps[1]["body"]["headers"]["X-Item-Id"] == "api-2"
        assert resps[1]["body"]["body"] == "x"

    def test_batch_800_04(self, client, pyb):
        # CONTRACT §4: an item header overrides the inherited batch header at the backend;
        # body-describing and hop-by-hop batch headers are not inherited
        m = marker()
        client.batch_ok([item("o", "/pyb/echo?mark=" + m, headers={"X-Over": "item"})],
                        headers={"X-Over": "batch", "X-Batch-Only": "yes",
                                 "Accept-Encoding": "gzip", "Expect": "100-continue"})
        h = pyb_request(pyb, m)["headers"]
        assert hget(h, "X-Over") == "item"
        assert hget(h, "X-Batch-Only") == "yes"
        assert hget(h, "Accept-Encoding") in (None, "identity")
        assert hget(h, "Expect") is None
        assert hget(h, "Content-Type") is None

    @pytest.mark.parametrize("status", [200, 201, 202, 204, 400, 404, 409, 500, 503])
    def test_batch_800_05(self, client, status):
        # CONTRACT §6: backend statuses pass through; bodies kept, none for 204
        resps = client.batch_ok([item("s", "/pyb/status?status=%d" % status),
                                 item("next", "/static/a.txt")])
        r = resps[0]
        assert r["status"] == status, r
        if status == 204:
            assert "body" not in r
        else:
            assert r["body"] == "status %d\n" % status
            assert r["headers"]["Content-Type"].startswith("text/plain")
        assert resps[1]["status"] == 200

    def test_batch_800_06(self, client):
        # CONTRACT §6: a proxied JSON answer with a non-200 status keeps its parsed body
        r = client.batch_ok([item("c", "/pyb/echo?status=201", "POST", body={"a": 1})])[0]
        assert r["status"] == 201
        assert r["body"]["method"] == "POST" and json.loads(r["body"]["body"]) == {"a": 1}

    def test_batch_800_07(self, client, pyb):
        # DESIGN §1: HEAD reaches the backend as HEAD; no body key
        m = marker()
        r = client.batch_ok([item("h", "/pyb/echo?mark=" + m, "HEAD")])[0]
        assert r["status"] == 200
        assert "body" not in r
        assert pyb_request(pyb, m)["method"] == "HEAD"

    def test_batch_800_10(self, client, env):
        # CONTRACT §4/§7: backend down -> the item gets 502/503 (an error body), the batch goes on
        env.expect_log(["AH00957", "AH00959", "AH01114", "AH00940", "AH00898",
                        "AH01102", "AH10230"])
        resps = client.batch_ok([item("before", "/static/a.txt"),
                                 item("down", "/down800/x"),
                                 item("down2", "/down800/y", "POST", body={"a": 1}),
                                 item("after", "/static/small.json")])
        assert [r["id"] for r in resps] == ["before", "down", "down2", "after"]
        for r in resps[1:3]:
            assert r["status"] in (502, 503), r
            assert r["body"]["error"]["code"] in ("BadGateway", "ServiceUnavailable"), r
            assert r["body"]["error"]["message"].startswith(str(r["status"]))
        assert resps[0]["status"] == 200
        assert resps[3]["status"] == 200 and resps[3]["body"] == {"hello": "world"}

    def test_batch_800_11(self, client, env):
        # CONTRACT §4/§7: a backend that breaks off mid-body -> the item fails with a 5xx,
        # the batch JSON stays valid and goes on
        env.expect_log(["AH01110", "AH01102", "AH01104", "AH01105", "AH10230", "AH01097",
                        "AH00898", re.compile(r"proxy", re.I)])
        resps = client.batch_ok([item("t", "/pyb/truncate?bytes=4000"),
                                 item("after", "/static/small.json")])
        # mod_proxy_http reports the broken body with an error bucket (DESIGN §1): 502
        assert resps[0]["status"] == 502, {k: v for k, v in resps[0].items() if k != "body"}
        assert len(resps[0].get("body", "")) < 4000, "a truncated body passed off as complete"
        assert resps[1]["status"] == 200 and resps[1]["body"] == {"hello": "world"}

    @pytest.mark.parametrize("url", ["/pyb/chunked?bytes=3145728", "/pyb/bytes?bytes=3145728"])
    def test_batch_800_12(self, client, url):
        # CONTRACT §4: a huge backend body over BatchMaxResponseSize -> 500 ResponseTooLarge,
        # the batch goes on
        resps = client.batch_ok([item("big", url), item("after", "/pyb/echo")])
        assert resps[0]["status"] == 500, {k: v for k, v in resps[0].items() if k != "body"}
        assert resps[0]["body"]["error"]["code"] == "ResponseTooLarge"
        assert resps[1]["status"] == 200 and resps[1]["body"]["method"] == "GET"

    @pytest.mark.parametrize("value", ["a\r\nX-Injected: 1", "a\nX-Injected: 1",
                                       "a\rX-Injected: 1", "a\r\n\r\nGET /pyb/hit HTTP/1.1",
                                       "nul\x00byte", "esc\x1b[0m", "del\x7f"],
                             ids=["crlf", "lf", "cr", "smuggle", "nul", "esc", "del"])
    def test_batch_800_13(self, client, pyb, value):
        # DESIGN trap 9: a header value with CR/LF/CTL never reaches the backend: batch 400
        n = pyb.count()
        r = client.post_batch([item("ok", "/pyb/hit?inj"),
                               item("bad", "/pyb/echo", headers={"X-Evil": value})])
        assert r.status_code == 400, r.text[:500]
        assert r.json()["error"]["code"] == "BadRequest"
        assert "bad" in r.json()["error"]["message"]
        assert pyb.count() == n
        assert not [q for q in list(pyb.requests) if hget(q["headers"], "X-Injected")]

    @pytest.mark.parametrize("name", ["X Evil", "X-Evil:", "X-Evil\r\nX-Injected", "",
                                      "X(Evil)", "X-\u00e9"],
                             ids=["space", "colon", "crlf", "empty", "parens", "non-ascii"])
    def test_batch_800_14(self, client, pyb, name):
        # DESIGN trap 9: a header name that is not a token -> batch 400, nothing run
        n = pyb.count()
        r = client.post_batch([item("ok", "/pyb/hit?inj"),
                               item("bad", "/pyb/echo", headers={name: "v"})])
        assert r.status_code == 400, r.text[:500]
        assert r.json()["error"]["code"] == "BadRequest"
        assert pyb.count() == n

    def test_batch_800_15(self, client, pyb):
        # DESIGN trap 9: a tab inside a header value is allowed and arrives as sent
        m = marker()
        client.batch_ok([item("t", "/pyb/echo?mark=" + m, headers={"X-Tab": "a\tb"})])
        assert hget(pyb_request(pyb, m)["headers"], "X-Tab") == "a\tb"

    def test_batch_800_20(self, client, pyb):
        # DESIGN §2 extra finding: 20 GET items to the backend all succeed
        m = marker()
        resps = client.batch_ok([item(str(i), "/pyb/hit?c20=%s-%02d" % (m, i))
                                 for i in range(20)])
        assert [r["status"] for r in resps] == [200] * 20
        for i in range(20):
            got = pyb_request(pyb, "%s-%02d" % (m, i))
            assert (hget(got["headers"], "Connection") or "").lower() != "close", got["headers"]

    @pytest.mark.sequential
    def test_batch_800_21(self, client):
        # DESIGN §2 extra finding: sequential proxied GET items reuse backend connections
        srv = self.conn_srv
        with srv.lock:
            srv.ports.clear()
        resps = client.batch_ok([item(str(i), "/conn800/c?i=%d" % i) for i in range(20)])
        assert [r["status"] for r in resps] == [200] * 20
        with srv.lock:
            ports = list(srv.ports)
        assert len(ports) == 20
        assert len(set(ports)) <= 3, "20 items used %d backend connections" % len(set(ports))

    def test_batch_800_22(self, client, pyb):
        # CONTRACT §6: proxied response headers: Set-Cookie joined, no hop-by-hop, no CL
        r = client.batch_ok([item("c", "/pyb/cookies"), item("k", "/pyb/chunked?bytes=10")])
        assert r[0]["headers"]["Set-Cookie"] == "a=1; Path=/, b=2; Path=/"
        for x in r:
            keys = [k.lower() for k in x["headers"]]
            assert "content-length" not in keys and "transfer-encoding" not in keys
            assert "connection" not in keys and "keep-alive" not in keys
        assert r[1]["body"] == "c" * 10

