"""CONTRACT §3/§6: every batch-level refusal has the JSON error body, also
when httpd itself finds the body broken (bad chunked framing) or over its
own LimitRequestBody while reading it; an item status that is not an HTTP
status (a hook returning DONE) becomes 500; a huge item over
BatchMaxResponseSize ends as ResponseTooLarge and the batch goes on."""
import json
import os

import pytest

from harness.client import item
from harness.conf import BatchConf


def json_error(resp, status, code):
    assert resp.status == status, resp.raw[:400]
    assert (resp.header("Content-Type") or "").startswith("application/json"), resp.raw[:400]
    doc = resp.json()
    assert doc["error"]["code"] == code, doc
    return doc["error"]["message"]


class TestReadGuard:

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        os.makedirs(env.path("htdocs", "donehook"), exist_ok=True)
        with open(env.path("htdocs", "donehook", "a.txt"), "w") as f:
            f.write("never served\n")
        with open(env.path("lua", "done.lua"), "w") as f:
            f.write("function fixup(r)\n  return apache2.DONE\nend\n")
        BatchConf(env).add_batch("/smallbody", ["LimitRequestBody 100"]).add_directory(
            env.path("htdocs", "donehook"),
            ['LuaHookFixups "%s" fixup' % env.path("lua", "done.lua")]).install()

    def test_batch_610_01(self, client):
        # CONTRACT §3/§6: a broken chunked body gets the JSON 400, not httpd's HTML page
        data = (b"POST /batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n")
        resp = client.raw(data)
        msg = json_error(resp, 400, "BadRequest")
        assert "could not be read" in msg, msg

    def test_batch_610_02(self, client):
        # CONTRACT §3: a chunked body over the server's LimitRequestBody -> JSON 413 naming it
        body = json.dumps({"requests": [item("1", "/static/a.txt", headers={"X-Pad": "p" * 300})]})
        resp = client.raw_request("POST", "/smallbody", body=body, chunked=True, chunk_size=64,
                                  headers={"Content-Type": "application/json"})
        msg = json_error(resp, 413, "RequestTooLarge")
        assert "LimitRequestBody" in msg, msg

    def test_batch_610_03(self, client):
        # CONTRACT §3: the same by Content-Length names LimitRequestBody, not BatchMaxRequestSize
        body = json.dumps({"requests": [item("1", "/static/a.txt", headers={"X-Pad": "p" * 300})]})
        resp = client.raw_request("POST", "/smallbody", body=body,
                                  headers={"Content-Type": "application/json"})
        msg = json_error(resp, 413, "RequestTooLarge")
        assert "LimitRequestBody" in msg, msg
        # and a small batch still runs there
        r = client.post_batch([item("1", "/static/a.txt")], path="/smallbody")
        assert r.status_code == 200 and r.json()["responses"][0]["status"] == 200

    def test_batch_610_04(self, client):
        # CONTRACT §6: an item whose lookup ends with DONE (not an HTTP status) is a 500, never -2
        r = client.post_batch([item("1", "/donehook/a.txt"), item("2", "/static/a.txt")])
        assert r.status_code == 200
        rs = r.json()["responses"]
        assert rs[0]["status"] == 500, rs[0]
        assert rs[0]["body"]["error"]["code"] == "InternalServerError"
        assert rs[1]["status"] == 200

    def test_batch_610_05(self, client, env):
        # CONTRACT §4/§7: over BatchMaxResponseSize (the capture stops the target): a CGI
        # that would write 1.5 GB ends with the item's 500 and the next item runs
        r = client.post_batch([item("1", "/cgi/bytes.py?n=1572864000"),
                               item("2", "/static/a.txt")], timeout=60)
        assert r.status_code == 200
        rs = r.json()["responses"]
        assert rs[0]["status"] == 500 and rs[0]["body"]["error"]["code"] == "ResponseTooLarge"
        assert rs[1]["status"] == 200
