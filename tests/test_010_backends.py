"""Harness self-test: the backends every later test relies on answer as
documented in conftest.py, directly (no batch involved). These run even
without mod_batch (BATCH_TEST_NO_MODULE=1)."""
import base64

import pytest

from harness.conf import BatchConf


class TestBackends:

    def test_batch_010_01(self, client):
        # harness: /static/ fixtures (CONTRACT §5 inputs)
        r = client.get("/static/small.json")
        assert r.status_code == 200 and r.json() == {"hello": "world"}
        r = client.get("/static/data.bin")
        assert r.status_code == 200 and r.content == bytes(range(256)) * 4
        assert r.headers["Content-Type"] == "application/octet-stream"
        for name, size in (("1k.txt", 1024), ("100k.txt", 102400), ("1m.txt", 1 << 20),
                           ("1m1.txt", (1 << 20) + 1)):
            r = client.get("/static/" + name, headers={"Accept-Encoding": "identity"})
            assert r.status_code == 200 and len(r.content) == size
        assert "ETag" in client.get("/static/etag.txt").headers
        assert client.get("/static/dir/").status_code == 200

    def test_batch_010_02(self, client):
        # harness: the CGI echo sees method, query, body and headers
        r = client.post("/cgi/echo.py?x=1", data=b"hello", headers={
            "Content-Type": "text/plain", "X-Probe": "p"})
        assert r.status_code == 200
        j = r.json()
        assert j["method"] == "POST" and j["query"] == "x=1" and j["body"] == "hello"
        assert j["headers"]["X-Probe"] == "p" and j["content_type"] == "text/plain"
        r = client.get("/cgi/status.py?code=418&body=tea")
        assert r.status_code == 418 and r.text == "tea"
        assert len(client.get("/cgi/bytes.py?n=1000").content) == 1000
        assert client.get("/cgi/redirect.py").text == "hello from a.txt\n"
        r = client.get("/cgi/redirect.py?to=external")
        assert r.status_code == 302 and r.headers["Location"] == "http://example.org/elsewhere"

    def test_batch_010_03(self, client):
        # harness: the lua echo and the sample products API (CONTRACT §3 example)
        r = client.post("/lua/echo.lua", data=b"abc", headers={"X-Probe": "l"})
        j = r.json()
        assert j["method"] == "POST" and j["body"] == "abc" and j["headers"]["X-Probe"] == "l"
        r = client.get("/products?skip=0&limit=1")
        assert r.status_code == 200
        assert r.json() == {"products": [{"id": 1, "title": "Pen", "price": 1.5}],
                            "total": 10, "skip": 0, "limit": 1}
        assert client.get("/products/1").json() == {"id": 1, "title": "Pen", "price": 1.5}
        r = client.get("/products/99")
        assert r.status_code == 404 and r.json()["error"]["code"] == "NotFound"
        r = client.post("/products", json={"title": "Test Product"})
        assert r.status_code == 201 and r.json()["id"] == 11
        assert r.headers["Location"].endswith("/products/11")
        assert client.post("/products", data=b"{nope").status_code == 400
        assert client.request("DELETE", "/products").status_code == 405
        assert client.get("/v1.0/products/2").json()["title"] == "Pencil"
        assert client.get("/v1.0/me").json()["id"] == "alice"

    def test_batch_010_04(self, client, env):
        # harness: the proxied backend vhost (/api/) and the Python backend (/pyb/)
        assert client.get("/api/products/3").json()["title"] == "Notebook"
        assert client.get("/api/lua/echo.lua").json()["method"] == "GET"
        assert client.get("/api/cgi/echo.py").json()["method"] == "GET"
        n = env.pyb.count()
        r = client.post("/pyb/echo?a=b", data=b"\xff\x00", headers={"X-Probe": "y"})
        j = r.json()
        assert j["method"] == "POST" and j["query"] == "a=b" and j["body_base64"]
        assert base64.b64decode(j["body"]) == b"\xff\x00"
        assert env.pyb.count() == n + 1
        r = client.get("/pyb/cookies")
        assert r.raw.headers.getlist("Set-Cookie") == ["a=1; Path=/", "b=2; Path=/"]
        assert client.get("/pyb/status?status=204").status_code == 204
        assert len(client.get("/pyb/chunked?bytes=100000").content) == 100000

    def test_batch_010_05(self, client, env):
        # harness: auth, Require and rewrite locations answer as a direct request
        env.expect_log(["AH01630", "AH01618", "AH01617"])
        assert client.get("/private/secret.json").status_code == 401
        assert client.get("/private/secret.json", auth=("alice", "secret")).status_code == 200
        assert client.get("/private/secret.json", auth=("alice", "wrong")).status_code == 401
        r = client.get("/private/echo.lua", auth=("alice", "secret"))
        assert r.json()["user"] == "alice"
        assert client.get("/denied/a.txt").status_code == 403
        assert client.get("/iponly/a.txt").status_code == 403
        assert client.get("/rwforbidden").status_code == 403
        assert client.get("/static/ns-guarded.txt").status_code == 403
        assert client.get("/rw/static").text == "hello from a.txt\n"
        assert client.get("/rw/missing").status_code == 404
        r = client.get("/old")
        assert r.status_code == 302
        assert r.headers["Location"] == "http://127.0.0.1:%d/static/a.txt" % env.port

    def test_batch_010_06(self, env):
        # harness: config_test() reports syntax errors without touching the server
        rc, out = env.config_test("NoSuchDirective 1\n")
        assert rc != 0 and "NoSuchDirective" in out
        rc, out = env.config_test("# nothing\n")
        assert rc == 0, out


class TestBackendsRestart:

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        BatchConf(env).add_location("/restart-probe", [
            'Redirect 307 "/restart-probe" "http://probe.invalid/"']).install()

    def test_batch_010_07(self, client, env):
        # harness: BatchConf.install() restarts and the new config is live
        r = client.get("/restart-probe")
        assert r.status_code == 307 and r.headers["Location"] == "http://probe.invalid/"
        gen = env.gen
        env.restart()
        assert env.gen == gen + 1
        assert client.get("/restart-probe").status_code == 307


class TestBackendsReset:

    def test_batch_010_08(self, client):
        # harness: a class without its own conf runs with the default config
        assert client.get("/restart-probe").status_code == 404
