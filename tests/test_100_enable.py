"""CONTRACT §1 and §3: enabling the handler, methods, media types, body size,
Range, and the headers of the batch response."""
import json

import pytest

from harness.client import item
from harness.conf import BatchConf

SMALL = [item("1", "/static/small.json")]


def assert_error(r, status, code):
    assert r.status_code == status, (r.status_code, r.text[:500])
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers
    err = r.json()["error"]
    assert err["code"] == code, err
    assert isinstance(err["message"], str) and err["message"]
    return err


class TestEnable:

    @pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
    def test_batch_100_01(self, client, method):
        # CONTRACT §3: a method other than POST or OPTIONS -> 405 MethodNotAllowed + Allow
        r = client.request(method, "/batch", data=b"" if method != "GET" else None)
        assert_error(r, 405, "MethodNotAllowed")
        assert r.headers.get("Allow") == "POST, OPTIONS"

    def test_batch_100_02(self, client):
        # CONTRACT §3: HEAD is not allowed either (no body on a HEAD answer)
        r = client.request("HEAD", "/batch")
        assert r.status_code == 405
        assert r.headers.get("Allow") == "POST, OPTIONS"
        assert r.content == b""

    def test_batch_100_03(self, client):
        # CONTRACT §3: OPTIONS -> 204 with Allow: POST, OPTIONS
        r = client.request("OPTIONS", "/batch")
        assert r.status_code == 204, r.text
        assert r.headers.get("Allow") == "POST, OPTIONS"
        assert r.content == b""

    @pytest.mark.parametrize("ctype", [None, "text/plain", "application/x-www-form-urlencoded",
                                       "multipart/form-data; boundary=batch_1",
                                       "application/octet-stream", "application/jsonx",
                                       "text/json-ish"])
    def test_batch_100_04(self, client, env, ctype):
        # CONTRACT §3, §8: content type neither JSON nor multipart/mixed -> 415, nothing run
        n = env.pyb.count()
        r = client.post_batch([item("p", "/pyb/hit", "POST")], content_type=ctype)
        assert_error(r, 415, "UnsupportedMediaType")
        assert env.pyb.count() == n

    @pytest.mark.parametrize("ctype", ["application/json", "application/json; charset=utf-8",
                                       "application/json;charset=UTF-8",
                                       "Application/JSON; Charset=utf-8"])
    def test_batch_100_05(self, client, ctype):
        # CONTRACT §3: application/json with parameters such as charset is accepted
        r = client.post_batch(SMALL, content_type=ctype)
        assert r.status_code == 200, r.text
        assert r.json()["responses"][0]["body"] == {"hello": "world"}

    def test_batch_100_06(self, client):
        # CONTRACT §6: 200, Content-Type application/json, Cache-Control no-store
        r = client.post_batch(SMALL)
        assert r.status_code == 200
        assert r.headers["Content-Type"].split(";")[0].strip() == "application/json"
        assert "no-store" in r.headers.get("Cache-Control", "")

    @pytest.mark.parametrize("hdrs", [{"Range": "bytes=0-3"},
                                      {"Range": "bytes=0-3", "If-Range": '"x"'},
                                      {"Range": "bytes=5-"}])
    def test_batch_100_07(self, client, hdrs):
        # CONTRACT §3/§6: Range/If-Range on the batch request are ignored: full 200 JSON
        r = client.post_batch(SMALL, headers=hdrs)
        assert r.status_code == 200, r.text
        assert "Content-Range" not in r.headers
        assert r.json()["responses"][0]["body"] == {"hello": "world"}

    def test_batch_100_08(self, client):
        # CONTRACT §1: the handler also answers on a second location (/v1.0/$batch)
        r = client.post_batch([item("me", "/me")], path="/v1.0/$batch")
        assert r.status_code == 200, r.text
        assert r.json()["responses"][0]["body"]["id"] == "alice"

    def test_batch_100_09(self, client):
        # CONTRACT §3: a chunked batch body (no Content-Length) is read whole
        body = json.dumps({"requests": SMALL}).encode()
        r = client.raw_request("POST", "/batch", body=body, chunked=True, chunk_size=7,
                               headers={"Content-Type": "application/json"})
        assert r.status == 200, r.raw[:500]
        assert r.json()["responses"][0]["body"] == {"hello": "world"}


class TestEnableSize:
    """BatchMaxRequestSize 1K on /batch."""

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        BatchConf(env).add_batch("/batch", ["BatchMaxRequestSize 1K"]).install()

    @staticmethod
    def big_body(size):
        items = [item("p", "/pyb/hit?big", "POST")]
        doc = {"requests": items, "@pad": "x" * size}
        return json.dumps(doc).encode()

    def test_batch_100_10(self, client, env):
        # CONTRACT §3: Content-Length over BatchMaxRequestSize -> 413 RequestTooLarge, nothing run
        n = env.pyb.count()
        body = self.big_body(2048)
        r = client.post_batch(body=body)
        assert_error(r, 413, "RequestTooLarge")
        assert env.pyb.count() == n

    def test_batch_100_11(self, client, env):
        # CONTRACT §3: a chunked body that grows over the limit -> 413, nothing run
        n = env.pyb.count()
        r = client.raw_request("POST", "/batch", body=self.big_body(4096), chunked=True,
                               chunk_size=512, headers={"Content-Type": "application/json"})
        assert r.status == 413, r.raw[:500]
        assert r.json()["error"]["code"] == "RequestTooLarge"
        assert env.pyb.count() == n

    def test_batch_100_12(self, client, env):
        # CONTRACT §3/§7: a huge announced Content-Length is refused at once (no read, no hang)
        n = env.pyb.count()
        head = (b"POST /batch HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: 104857600\r\n\r\n")
        r = client.raw(head + b'{"requests": [', timeout=10)
        assert r.status == 413, r.raw[:500]
        assert r.json()["error"]["code"] == "RequestTooLarge"
        assert env.pyb.count() == n

    def test_batch_100_13(self, client):
        # CONTRACT §2: a body just under the limit is accepted
        body = json.dumps({"requests": SMALL}).encode()
        body = body[:-1] + b', "@pad": "' + b"x" * (1024 - len(body) - 12) + b'"}'
        assert len(body) <= 1024
        r = client.post_batch(body=body)
        assert r.status_code == 200, r.text
