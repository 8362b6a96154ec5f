"""DESIGN §0 / CONTRACT §6: a batch sent over HTTP/2 (h2c, prior knowledge)
works unchanged: one JSON document, items in request order, nothing of
HTTP/1's hop-by-hop or upgrade headers leaking into the items."""
import json
import shutil
import subprocess

import pytest

from harness.conf import BatchConf


class TestHttp2:

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        BatchConf(env).add([
            "<IfModule !http2_module>",
            "  LoadModule http2_module %s/mod_http2.so" % env.libexecdir,
            "</IfModule>",
            "Protocols h2c http/1.1",
        ]).add_batch("/batchc", ["BatchConcurrency 8"]).install()

    def _curl(self, env, args):
        curl = shutil.which("curl")
        assert curl, "curl is needed (build/deps.sh installs it)"
        p = subprocess.run([curl, "-sS", "--max-time", "20"] + args,
                           capture_output=True, timeout=30)
        assert p.returncode == 0, p.stderr.decode(errors="replace")
        return p.stdout.decode()

    def test_batch_720_01(self, env):
        # CONTRACT §6: a batch over h2c prior knowledge answers like over HTTP/1.1
        body = json.dumps({"requests": [
            {"id": "1", "method": "GET", "url": "/static/small.json"},
            {"id": "2", "method": "GET", "url": "/products/1"},
            {"id": "3", "method": "POST", "url": "/products",
             "body": {"title": "Test Product"}, "dependsOn": ["2"]},
            {"id": "4", "method": "GET", "url": "/static/missing.txt"},
        ]})
        out = self._curl(env, [
            "--http2-prior-knowledge", "-D", "-",
            "-H", "Content-Type: application/json",
            "-H", "X-Test-Name: %s" % env.test_name,
            "--data-binary", body, env.url("/batch")])
        head, _, payload = out.partition("\r\n\r\n")
        assert head.startswith("HTTP/2 200"), head
        assert "content-type: application/json" in head.lower()
        rs = json.loads(payload)["responses"]
        assert [x["id"] for x in rs] == ["1", "2", "3", "4"]
        assert [x["status"] for x in rs] == [200, 200, 201, 404]
        assert rs[0]["body"] == {"hello": "world"}
        assert rs[2]["body"]["title"] == "Test Product"
        for x in rs:
            keys = {k.lower() for k in x["headers"]}
            assert not keys & {"upgrade", "connection", "transfer-encoding",
                               "content-length"}, x["headers"]

    def test_batch_720_02(self, env):
        # CONTRACT §6: over HTTP/1.1 with h2c advertised, no Upgrade header leaks into items
        out = self._curl(env, [
            "-H", "Content-Type: application/json",
            "-H", "X-Test-Name: %s" % env.test_name,
            "--data-binary", json.dumps({"requests": [
                {"id": "1", "method": "GET", "url": "/static/a.txt"}]}),
            env.url("/batch")])
        x = json.loads(out)["responses"][0]
        assert x["status"] == 200
        assert not {k.lower() for k in x["headers"]} & {"upgrade", "connection"}

    def test_batch_720_03(self, env):
        # CONTRACT §4: over h2c, concurrent items (BatchConcurrency 8) answer exactly as sequential ones
        items = [
            {"id": "s", "method": "GET", "url": "/static/small.json"},
            {"id": "p", "method": "GET", "url": "/products/1"},
            {"id": "x", "method": "POST", "url": "/products",
             "body": {"title": "T"}, "dependsOn": ["p"]},
            {"id": "c", "method": "POST", "url": "/cgi/echo.py",
             "headers": {"Content-Type": "text/plain"}, "body": "hello"},
            {"id": "r", "method": "GET", "url": "/rw/static"},
            {"id": "m", "method": "GET", "url": "/static/missing.txt"},
            {"id": "n", "method": "GET", "url": "/batch"},
            {"id": "h", "method": "HEAD", "url": "/static/a.txt"},
        ]
        body = json.dumps({"requests": items})
        outs = []
        for path in ("/batch", "/batchc"):
            out = self._curl(env, [
                "--http2-prior-knowledge",
                "-H", "Content-Type: application/json",
                "-H", "X-Test-Name: %s" % env.test_name,
                "--data-binary", body, env.url(path)])
            rs = json.loads(out)["responses"]
            for x in rs:
                x["headers"].pop("Date", None)
            outs.append(rs)
        assert [x["status"] for x in outs[0]] == [200, 200, 201, 200, 200, 404, 400, 200]
        assert outs[1] == outs[0]

