"""CONTRACT §2/§3/§4 limits: BatchMaxResponseSize (per item, counted before
encoding, exact boundary, the batch goes on), BatchMaxRequests and
BatchMaxRequestSize (batch-level refusals with nothing run)."""
import base64
import json
import os

import pytest

from harness.client import item
from harness.conf import BatchConf
from harness.env import gen_text

def pyb_bytes(n):
    return (b"x" * 63 + b"\n") * (n // 64) + b"y" * (n % 64)


def assert_too_large(r):
    assert r["status"] == 500, r
    assert r["body"]["error"]["code"] == "ResponseTooLarge", r
    assert isinstance(r["body"]["error"]["message"], str) and r["body"]["error"]["message"]
    assert r["headers"]["Content-Type"].split(";")[0] == "application/json"


def padded_body(items, size):
    """A batch document of exactly `size` bytes (an @pad annotation fills it)."""
    base = json.dumps({"requests": items, "@pad": ""}).encode()
    assert len(base) <= size
    doc = json.dumps({"requests": items, "@pad": "x" * (size - len(base))}).encode()
    assert len(doc) == size
    return doc


class TestLimits:
    """Three batch locations with one small limit each."""

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        with open(env.path("htdocs", "static", "1k1.txt"), "wb") as f:
            f.write(gen_text(1025))
        (BatchConf(env)
         .add_batch("/batch-resp1k", ["BatchMaxResponseSize 1K"])
         .add_batch("/batch-max3", ["BatchMaxRequests 3"])
         .add_batch("/batch-req1k", ["BatchMaxRequestSize 1K"])
         .install())
        yield
        os.unlink(env.path("htdocs", "static", "1k1.txt"))

    # ---------------------------------------------------- BatchMaxResponseSize

    def test_batch_600_01(self, client):
        # CONTRACT §2/§4: a static body of exactly BatchMaxResponseSize (1K) is fine;
        # one byte more -> 500 ResponseTooLarge, and the batch goes on
        resps = client.batch_ok([item("1", "/static/1k.txt"), item("2", "/static/1k1.txt"),
                                 item("3", "/static/small.json")], path="/batch-resp1k")
        assert [r["id"] for r in resps] == ["1", "2", "3"]
        assert resps[0]["status"] == 200
        assert resps[0]["body"].encode() == gen_text(1024)
        assert_too_large(resps[1])
        assert resps[2]["status"] == 200 and resps[2]["body"] == {"hello": "world"}

    @pytest.mark.parametrize("kind", ["cgi", "pyb-length", "pyb-chunked"])
    def test_batch_600_02(self, client, kind):
        # CONTRACT §4: the exact boundary holds for CGI (pipe) and proxied (length, chunked) bodies
        def url(n):
            return {"cgi": "/cgi/bytes.py?n=%d" % n,
                    "pyb-length": "/pyb/bytes?bytes=%d" % n,
                    "pyb-chunked": "/pyb/chunked?bytes=%d" % n}[kind]
        resps = client.batch_ok([item("ok", url(1024)), item("big", url(1025)),
                                 item("after", "/static/a.txt")], path="/batch-resp1k")
        assert resps[0]["status"] == 200, resps[0]
        assert len(resps[0]["body"].encode()) == 1024
        assert_too_large(resps[1])
        assert resps[2]["status"] == 200 and resps[2]["body"] == "hello from a.txt\n"

    def test_batch_600_03(self, client):
        # CONTRACT §2: the size is counted before encoding: 1024 binary bytes (1368 in base64) fit
        resps = client.batch_ok([item("b", "/static/data.bin"),
                                 item("b2", "/pyb/bytes?bytes=1025&type=application/octet-stream")],
                                path="/batch-resp1k")
        assert resps[0]["status"] == 200, resps[0]
        assert base64.b64decode(resps[0]["body"]) == bytes(range(256)) * 4
        assert_too_large(resps[1])

    def test_batch_600_04(self, client):
        # CONTRACT §2 merging: the limit is read from the batch location; /batch keeps 1M
        resps = client.batch_ok([item("1", "/static/1k1.txt")])
        assert resps[0]["status"] == 200 and len(resps[0]["body"]) == 1025

    def test_batch_600_05(self, client):
        # CONTRACT §4/§5: a HEAD item has no body, so a large target is not ResponseTooLarge
        resps = client.batch_ok([item("h", "/static/1k1.txt", "HEAD"),
                                 item("h2", "/static/2m.txt", "HEAD")], path="/batch-resp1k")
        for r in resps:
            assert r["status"] == 200, r
            assert "body" not in r

    def test_batch_600_06(self, client):
        # CONTRACT §4: several too-large items in a row each fail alone; the rest still run
        items = []
        for i in range(4):
            items.append(item("big%d" % i, "/static/2m.txt"))
            items.append(item("ok%d" % i, "/static/small.json"))
        resps = client.batch_ok(items, path="/batch-resp1k")
        assert [r["id"] for r in resps] == [i["id"] for i in items]
        for i in range(4):
            assert_too_large(resps[2 * i])
            assert resps[2 * i + 1]["status"] == 200
            assert resps[2 * i + 1]["body"] == {"hello": "world"}

    # -------------------------------------------------------- BatchMaxRequests

    def test_batch_600_10(self, client, pyb):
        # CONTRACT §2: BatchMaxRequests 3: three items are accepted and all run
        n = pyb.count()
        resps = client.batch_ok([item(str(i), "/pyb/hit?max3=%d" % i) for i in range(3)],
                                path="/batch-max3")
        assert [r["status"] for r in resps] == [200, 200, 200]
        assert pyb.count() == n + 3

    def test_batch_600_11(self, client, pyb):
        # CONTRACT §3: four items under BatchMaxRequests 3 -> 400 BadRequest, nothing run
        n = pyb.count()
        r = client.post_batch([item(str(i), "/pyb/hit?max3=%d" % i, "POST", body="x")
                               for i in range(4)], path="/batch-max3")
        assert r.status_code == 400, r.text[:500]
        assert r.json()["error"]["code"] == "BadRequest"
        assert pyb.count() == n

    def test_batch_600_12(self, client, pyb):
        # CONTRACT §2: the default BatchMaxRequests is 20: 20 accepted, 21 refused
        n = pyb.count()
        resps = client.batch_ok([item(str(i), "/static/a.txt") for i in range(20)])
        assert len(resps) == 20 and all(r["status"] == 200 for r in resps)
        r = client.post_batch([item(str(i), "/pyb/hit?d21") for i in range(21)])
        assert r.status_code == 400 and r.json()["error"]["code"] == "BadRequest"
        assert pyb.count() == n

    # ------------------------------------------------------ BatchMaxRequestSize

    def test_batch_600_20(self, client, pyb):
        # CONTRACT §2: a batch body of exactly BatchMaxRequestSize (1024 bytes) is accepted
        n = pyb.count()
        body = padded_body([item("p", "/pyb/hit?req1k", "POST", body="x")], 1024)
        r = client.post_batch(body=body, path="/batch-req1k")
        assert r.status_code == 200, r.text[:500]
        assert r.json()["responses"][0]["status"] == 200
        assert pyb.count() == n + 1

    def test_batch_600_21(self, client, pyb):
        # CONTRACT §3: 1025 bytes by Content-Length -> 413 RequestTooLarge, nothing run
        n = pyb.count()
        body = padded_body([item("p", "/pyb/hit?req1k", "POST", body="x")], 1025)
        r = client.post_batch(body=body, path="/batch-req1k")
        assert r.status_code == 413, r.text[:500]
        assert r.json()["error"]["code"] == "RequestTooLarge"
        assert pyb.count() == n

    def test_batch_600_22(self, client, pyb):
        # CONTRACT §2: a chunked body of exactly 1024 bytes is accepted
        n = pyb.count()
        body = padded_body([item("p", "/pyb/hit?req1k", "POST", body="x")], 1024)
        r = client.raw_request("POST", "/batch-req1k", body=body, chunked=True, chunk_size=100,
                               headers={"Content-Type": "application/json"})
        assert r.status == 200, r.raw[:500]
        assert r.json()["responses"][0]["status"] == 200
        assert pyb.count() == n + 1

    @pytest.mark.parametrize("chunk_size", [1025, 512, 100])
    def test_batch_600_23(self, client, pyb, chunk_size):
        # CONTRACT §3: a chunked body of 1025 bytes -> 413 RequestTooLarge, nothing run
        n = pyb.count()
        body = padded_body([item("p", "/pyb/hit?req1k", "POST", body="x")], 1025)
        r = client.raw_request("POST", "/batch-req1k", body=body, chunked=True,
                               chunk_size=chunk_size, headers={"Content-Type": "application/json"})
        assert r.status == 413, r.raw[:500]
        assert r.json()["error"]["code"] == "RequestTooLarge"
        assert pyb.count() == n


class TestLimitsDefault:
    """The default BatchMaxResponseSize of 1M on /batch."""

    def test_batch_600_30(self, client):
        # CONTRACT §2: default 1M: /static/1m.txt (exactly 1 MiB) is returned whole
        resps = client.batch_ok([item("1", "/static/1m.txt")])
        assert resps[0]["status"] == 200, {k: v for k, v in resps[0].items() if k != "body"}
        assert len(resps[0]["body"]) == 1 << 20
        assert resps[0]["body"].encode() == gen_text(1 << 20)

    def test_batch_600_31(self, client):
        # CONTRACT §2/§4: default 1M: /static/1m1.txt (1 MiB + 1) -> 500 ResponseTooLarge, batch goes on
        resps = client.batch_ok([item("1", "/static/1m1.txt"), item("2", "/static/a.txt"),
                                 item("3", "/static/2m.txt"), item("4", "/static/1m.txt")])
        assert_too_large(resps[0])
        assert resps[1]["status"] == 200 and resps[1]["body"] == "hello from a.txt\n"
        assert_too_large(resps[2])
        assert resps[3]["status"] == 200 and len(resps[3]["body"]) == 1 << 20

    def test_batch_600_32(self, client):
        # CONTRACT §2/§4: default 1M through the proxy: exactly 1 MiB ok, one byte more refused
        resps = client.batch_ok([item("1", "/pyb/bytes?bytes=%d" % (1 << 20)),
                                 item("2", "/pyb/chunked?bytes=%d" % ((1 << 20) + 1))])
        assert resps[0]["status"] == 200
        assert resps[0]["body"].encode() == pyb_bytes(1 << 20)
        assert_too_large(resps[1])
