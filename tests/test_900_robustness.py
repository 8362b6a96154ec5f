"""CONTRACT §7 (promises under stress) and §4 (a batch never grants what a
direct request would not): malformed, huge, deep, slow and concurrent
inputs. Every test ends with a normal batch that must still succeed, and the
per-test error-log check (no crash markers, nothing at [warn] or above that
the test did not declare) applies to all of them.

The load run (test_batch_900_90) takes a minute: it is marked slow and only
runs with BATCH_TEST_SLOW=1.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from harness.client import item
from harness.conf import BatchConf
from harness.helpers import child_pids, rss_kb

NORMAL = [item("n1", "/static/small.json"), item("n2", "/static/a.txt")]

# error-log lines that refusals of direct requests and of items produce
ACCESS_LOG_IDS = ["AH01630", "AH01797", "AH01617", "AH01618", "AH01614"]


def assert_alive(client):
    """The closing check of every test: a normal batch still works."""
    resps = client.batch_ok(NORMAL)
    assert [r["status"] for r in resps] == [200, 200], resps
    assert resps[0]["body"] == {"hello": "world"}, resps


def body_of(items):
    return json.dumps({"requests": items}).encode()


def refused_400(r, needle=None):
    assert r.status_code == 400, (r.status_code, r.text[:500])
    err = r.json()["error"]
    assert err["code"] == "BadRequest", err
    if needle:
        assert re.search(needle, err["message"]), err
    return err


class TestHostileInput:
    """Malformed, huge and deep batch documents; slow and vanishing clients."""

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        (BatchConf(env)
         .add("Timeout 3")
         .add_batch("/batch-huge", ["BatchMaxRequestSize 80M"])
         .install())
        yield

    # ------------------------------------------------------------- slow clients

    @pytest.mark.valgrind
    def test_batch_900_01(self, env, client):
        # CONTRACT §7: a batch body trickled byte by byte (each gap below
        # Timeout) is read whole and runs
        body = body_of(NORMAL)
        head = ("POST /batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                "Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)).encode()
        resp = client.raw(head, chunks=[body[i:i + 1] for i in range(len(body))], delay=0.005)
        assert resp.status == 200, resp.raw[:500]
        assert [r["status"] for r in resp.json()["responses"]] == [200, 200]
        assert_alive(client)

    def test_batch_900_02(self, env, client, pyb):
        # CONTRACT §7: a client that stalls mid-body longer than Timeout (3 s
        # here) gets the connection closed; nothing runs, the worker is free
        hits = pyb.count()
        body = body_of([item("1", "/pyb/hit")])
        head = ("POST /batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                "Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)).encode()
        t0 = time.time()
        resp = client.raw(head + body[:10], chunks=[body[10:]], delay=5, timeout=20)
        assert time.time() - t0 < 15
        assert resp.status in (None, 400, 408), resp.raw[:500]
        assert pyb.count() == hits
        assert_alive(client)

    @pytest.mark.sequential
    def test_batch_900_03(self, env, client, pyb):
        # CONTRACT §4/§6: a client that disconnects mid-response stops the
        # remaining items from starting (flushes every 100 ms notice it)
        n = 20
        items = [item(str(i), "/pyb/hit?sleep=300") for i in range(n)]
        body = body_of(items)
        hits = pyb.count()
        s = socket.create_connection(("127.0.0.1", env.port), timeout=30)
        s.sendall(("POST /batch HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Test-Name: %s\r\n"
                   "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                   % (env.test_name, len(body))).encode() + body)
        got = s.recv(100)
        assert got.startswith(b"HTTP/1.1 200"), got
        time.sleep(0.4)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()  # RST
        closed = pyb.count() - hits
        time.sleep(3)
        ran = pyb.count() - hits
        assert ran < n, "all %d items ran after the client had gone" % ran
        assert ran <= closed + 3, (closed, ran)
        assert_alive(client)

    # --------------------------------------------------------------- big input

    def test_batch_900_10(self, env, client):
        # CONTRACT §3: 100k items -> 400 (BatchMaxRequests), nothing run
        items = [{"id": str(i), "method": "GET", "url": "/static/a.txt"} for i in range(100000)]
        r = client.post_batch(items, path="/batch-huge")
        refused_400(r, r"holds more than the 20 items allowed")
        assert_alive(client)

    def test_batch_900_11(self, env, client):
        # CONTRACT §3/§7: a 64 MiB body -> 413 by Content-Length and while
        # reading a chunked one; the worker's memory does not grow with it
        big = b'{"requests":[{"id":"1","method":"GET","url":"/x","body":"' \
            + b"x" * (64 * 1024 * 1024) + b'"}]}'
        pids = child_pids(env)
        before = rss_kb(pids)
        resp = client.raw_request("POST", "/batch", body=big,
                                  headers={"Content-Type": "application/json"}, timeout=60)
        assert resp.status == 413, resp.raw[:300]
        assert resp.json()["error"]["code"] == "RequestTooLarge"
        resp = client.raw_request("POST", "/batch", body=big, chunked=True, chunk_size=1 << 20,
                                  headers={"Content-Type": "application/json"}, timeout=60)
        assert resp.status in (413, None), resp.raw[:300]
        after = rss_kb(pids)
        for p in before:
            if p in after:
                assert after[p] - before[p] < 32 * 1024, (p, before[p], after[p])
        assert_alive(client)

    def test_batch_900_12(self, env, client):
        # CONTRACT §3: 10k headers in one item -> 400 (LimitRequestFields)
        hdrs = {"X-H-%d" % i: "v" for i in range(10000)}
        r = client.post_batch([item("1", "/static/a.txt", headers=hdrs)])
        refused_400(r, r"headers.*more than the server allows \(100\)")
        assert_alive(client)

    def test_batch_900_13(self, env, client):
        # CONTRACT §3: a 1 MiB header value -> 400 (LimitRequestFieldSize)
        r = client.post_batch([item("1", "/static/a.txt", headers={"X-Big": "v" * (1 << 20)})],
                              path="/batch-huge")
        refused_400(r, r"longer than the server allows \(8190 bytes\)")
        assert_alive(client)

    def test_batch_900_14(self, env, client):
        # CONTRACT §7 + STYLE 4.6 (a hostile client cannot fill the error
        # log): a 1 MiB url is refused like the direct request (414 from
        # LimitRequestLine): a batch-level 400 or the item's 414, without an
        # [error] line carrying the url
        env.expect_log(["AH00127"])  # checked below, not by the teardown
        url = "/static/" + "a" * (1 << 20)
        direct = client.raw_request("GET", url)
        assert direct.status == 414
        r = client.post_batch([item("1", url), item("2", "/static/a.txt")], path="/batch-huge")
        assert r.status_code in (200, 400), r.text[:300]
        if r.status_code == 400:
            refused_400(r)
        else:
            resps = r.json()["responses"]
            assert resps[1]["status"] == 200
            assert resps[0]["status"] == 414, resps[0]["status"]
        long_lines = [ln[:200] for ln in env.log.lines() if len(ln) > 64 * 1024]
        assert not long_lines, long_lines
        assert_alive(client)

    @pytest.mark.valgrind
    def test_batch_900_15(self, env, client):
        # CONTRACT §3/§7: 10k levels of nesting -> 400 (64 at most), no crash,
        # also inside an item body and with objects
        for doc in [b"[" * 10000 + b"]" * 10000,
                    b'{"requests":[{"id":"1","method":"POST","url":"/x","body":'
                    + b"[" * 10000 + b"]" * 10000 + b"}]}",
                    b'{"requests":[{"id":"1","method":"POST","url":"/x","body":'
                    + b'{"a":' * 10000 + b"1" + b"}" * 10000 + b"}]}",
                    b"[" * 10000]:
            r = client.post_batch(body=doc)
            refused_400(r, r"nested deeper than 64 levels|not valid JSON")
        assert_alive(client)

    # ------------------------------------------------------------ bad encoding

    @pytest.mark.valgrind
    def test_batch_900_20(self, env, client):
        # CONTRACT §3: NUL bytes, raw or escaped, where they could cut a
        # string short -> 400
        for doc in [b'{"requests":[{"id":"1","method":"GET","url":"/static/a.txt"}]}\x00',
                    b'{"requests":[{"id":"1\x00","method":"GET","url":"/static/a.txt"}]}',
                    b'{"requests":[{"id":"1\\u0000","method":"GET","url":"/static/a.txt"}]}',
                    b'{"requests":[{"id":"1","method":"GET\\u0000X","url":"/static/a.txt"}]}',
                    b'{"requests":[{"id":"1","method":"GET","url":"/static/a.txt\\u0000.php"}]}',
                    b'{"requests":[{"id":"1","method":"GET","url":"/static/a.txt",'
                    b'"headers":{"X-A":"a\\u0000b"}}]}',
                    b'{"requests":[{"id":"1","method":"GET","url":"/static/a.txt",'
                    b'"headers":{"X-A\\u0000":"b"}}]}',
                    b'{"requests":[{"id":"1","method":"GET","url":"/static/a.txt",'
                    b'"url\\u0000":"/private/secret.json"}]}']:
            refused_400(client.post_batch(body=doc))
        assert_alive(client)

    @pytest.mark.valgrind
    def test_batch_900_21(self, env, client):
        # CONTRACT §3: invalid UTF-8, overlong encodings, surrogates and
        # code points above U+10FFFF -> 400 "not valid UTF-8"
        for bad in [b"\xff", b"\xc0\xaf", b"\xc1\x81", b"\xe0\x80\xaf", b"\xf0\x80\x80\xaf",
                    b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80", b"\xe2\x82", b"\xf8\x88\x80\x80\x80"]:
            for where in [b'{"requests":[{"id":"%s","method":"GET","url":"/static/a.txt"}]}',
                          b'{"requests":[{"id":"1","method":"GET","url":"/static/%s"}]}',
                          b'{"requests":[{"id":"1","method":"GET","url":"/static/a.txt",'
                          b'"headers":{"X-A":"%s"}}]}']:
                refused_400(client.post_batch(body=where % bad), "not valid UTF-8")
        assert_alive(client)

    def test_batch_900_22(self, env, client):
        # CONTRACT §3/§7: a lone surrogate escape (\ud800) is not a character:
        # refused, or replaced; never a crash or invalid UTF-8 in the output
        doc = b'{"requests":[{"id":"a\\ud800b","method":"GET","url":"/static/a.txt"}]}'
        r = client.post_batch(body=doc)
        assert r.status_code in (200, 400), r.text[:300]
        r.content.decode("utf-8")  # strict
        assert_alive(client)

    def test_batch_900_23(self, env, client):
        # CONTRACT §3: duplicate keys. json-c keeps the last one; whichever
        # value wins, it is the one that was validated and run (a url
        # swapped after the checks would be a bypass)
        doc = (b'{"requests":[{"id":"1","method":"GET","url":"/static/a.txt",'
               b'"url":"/private/secret.json"}]}')
        r = client.post_batch(body=doc)
        env.expect_log(["AH01614", "AH01617", "AH01618"])
        if r.status_code == 200:
            resp = r.json()["responses"][0]
            assert resp["status"] in (200, 401), resp
            if resp["status"] == 200:
                assert resp["body"] == "hello from a.txt\n", resp
        else:
            refused_400(r)
        doc = b'{"requests":[{"id":"1","method":"GET","url":"/static/a.txt"}],"requests":[]}'
        r = client.post_batch(body=doc)
        assert r.status_code in (200, 400), r.text[:300]
        # ids that differ only in case are duplicates (CONTRACT §3)
        refused_400(client.post_batch([item("a", "/static/a.txt"), item("A", "/static/a.txt")]),
                    "duplicates")
        assert_alive(client)

    @pytest.mark.valgrind
    def test_batch_900_24(self, env, client):
        # CONTRACT §3: numbers (and other types) where strings belong -> 400
        cases = [
            ({"id": 1, "method": "GET", "url": "/static/a.txt"}, "id"),
            ({"id": "1", "method": 1, "url": "/static/a.txt"}, "method"),
            ({"id": "1", "method": "GET", "url": 1}, "url"),
            ({"id": "1", "method": "GET", "url": 1e308}, "url"),
            ({"id": "1", "method": "GET", "url": "/static/a.txt", "headers": {"X-A": 1}}, "X-A"),
            ({"id": "1", "method": "GET", "url": "/static/a.txt", "headers": ["X-A: 1"]}, "headers"),
            ({"id": "1", "method": "GET", "url": "/static/a.txt", "dependsOn": [1]}, "dependsOn"),
            ({"id": "1", "method": "GET", "url": "/static/a.txt", "dependsOn": "x"}, "dependsOn"),
            ({"id": None, "method": "GET", "url": "/static/a.txt"}, "id"),
            ({"id": ["1"], "method": "GET", "url": "/static/a.txt"}, "id"),
        ]
        for it, field in cases:
            err = refused_400(client.post_batch([it]))
            assert field in err["message"], (it, err)
        refused_400(client.post_batch({"requests": 5}))
        refused_400(client.post_batch(body=b'{"requests":[1,2,3]}'))
        assert_alive(client)

    def test_batch_900_25(self, env, client):
        # CONTRACT §3: numbers with leading zeros are not JSON (RFC 8259);
        # json-c alone would read [00] as [0] (found by fuzz_util)
        for num in (b"00", b"-01", b"[00]", b"{\"a\":-00.5}"):
            doc = (b'{"requests":[{"id":"1","method":"POST","url":"/cgi/echo.py","body":'
                   + num + b"}]}")
            refused_400(client.post_batch(body=doc), "leading zero")
        assert_alive(client)


class TestAccessParity:
    """CONTRACT §4: an item is refused exactly when the same direct request
    is, however its url is spelled. The refusal of a direct request is
    401/403; for an item it is the item's 401/403, or a 400 for the whole
    batch when the parser refuses the spelling itself (for "//private//x"
    even with credentials: CONTRACT §3 refuses an authority)."""

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        for d, f in (("dirdenied", "x.txt"), ("static", "files-denied.txt")):
            os.makedirs(env.path("htdocs", d), exist_ok=True)
            with open(env.path("htdocs", d, f), "w") as fh:
                fh.write("secret\n")
            os.chmod(env.path("htdocs", d), 0o755)
            os.chmod(env.path("htdocs", d, f), 0o644)
        (BatchConf(env)
         .add_directory("htdocs/dirdenied", ["Require all denied"])
         .add('<Files "files-denied.txt">\n    Require all denied\n</Files>')
         .install())
        yield
        shutil.rmtree(env.path("htdocs", "dirdenied"), ignore_errors=True)
        os.unlink(env.path("htdocs", "static", "files-denied.txt"))

    TARGETS = ["/private/secret.json", "/iponly/a.txt", "/denied/a.txt",
               "/dirdenied/x.txt", "/static/files-denied.txt", "/rwforbidden"]

    @staticmethod
    def spellings(path):
        first, rest = path[1:].split("/", 1) if path.count("/") > 1 else (path[1:], "")
        sep = "/" if rest else ""
        out = [path,
               "/%%%02x%s%s%s" % (ord(first[0]), first[1:], sep, rest),     # %70rivate
               "/static/../%s%s%s" % (first, sep, rest),
               "/static/%%2e%%2e/%s%s%s" % (first, sep, rest),
               "/static/.%%2E/%s%s%s" % (first, sep, rest),
               "//%s//%s" % (first, rest) if rest else "//" + first,
               "/%s//%s" % (first, rest) if rest else "/" + first + "/",
               "/%s/./%s" % (first, rest) if rest else "/" + first + "/.",
               "/" + first.upper() + sep + rest,
               path + "/pathinfo",
               path + "?q=1",
               path + "%3Fq=1",
               "/%s%%2f%s" % (first, rest) if rest else path]
        if rest:
            out.append("/%s/%%%02x%s" % (first, ord(rest[0]), rest[1:]))
        return out

    def test_batch_900_30(self, env, client):
        # CONTRACT §4: parity for every target and url spelling, without
        # credentials and with alice's for /private/
        env.expect_log(ACCESS_LOG_IDS)
        for creds in (None, "Basic YWxpY2U6c2VjcmV0"):
            hdr = {"Authorization": creds} if creds else {}
            mismatches = []
            for target in self.TARGETS:
                for url in self.spellings(target):
                    direct = client.raw_request("GET", url, headers=hdr)
                    r = client.post_batch([item("1", url)], headers=hdr)
                    if r.status_code == 400:
                        item_status, item_refused = "batch-400", True
                    else:
                        assert r.status_code == 200, (url, r.status_code, r.text[:300])
                        item_status = r.json()["responses"][0]["status"]
                        item_refused = item_status in (401, 403)
                    direct_refused = direct.status in (401, 403)
                    # a refusal of the direct request must be one for the item
                    # too; the other way round only access refusals count (the
                    # parser's 400 for "//x", CONTRACT §3, is not about access)
                    if (direct_refused and not item_refused) or (
                            not direct_refused and item_status in (401, 403)):
                        mismatches.append("%s %s: direct %s, item %s"
                                          % ("alice" if creds else "anon", url,
                                             direct.status, item_status))
            assert not mismatches, "\n".join(mismatches)
        assert_alive(client)

    def test_batch_900_31(self, env, client):
        # CONTRACT §4: the case-changed spelling /PRIVATE/ gives the same
        # status as the direct request (404 on a case-sensitive file system)
        direct = client.raw_request("GET", "/PRIVATE/secret.json")
        resp = client.batch_ok([item("1", "/PRIVATE/secret.json")])[0]
        assert resp["status"] == direct.status, (resp["status"], direct.status)
        assert_alive(client)

    def test_batch_900_32(self, env, client):
        # CONTRACT §3: items never leave BatchBase (/v1.0/$batch) whatever the
        # spelling; a "/private/..." url lands under /v1.0 (404, not 401)
        for url in ["../private/secret.json", "/v1.0/../private/secret.json",
                    "/v1.0/%2e%2e/private/secret.json", "%2E%2E/private/secret.json",
                    "/v1.0/./../private/secret.json", "/v1.0/me/../../private/secret.json",
                    "./.%2e/private/secret.json"]:
            refused_400(client.post_batch([item("1", url)], path="/v1.0/$batch"),
                        "outside the batch base|above the root")
        resps = client.batch_ok([item("1", "/private/secret.json"),
                                 item("2", "/v1.0%2f..%2fprivate/secret.json"),
                                 item("3", "/v1.0/..%2fprivate/secret.json")],
                                path="/v1.0/$batch")
        for r in resps:
            assert r["status"] == 404, resps
        assert_alive(client)

    def test_batch_900_33(self, env, client):
        # CONTRACT §3/§4: items run on the batch's own virtual host: no
        # scheme, no authority, no Host header
        for it in [item("1", "http://127.0.0.1:%d/static/a.txt" % env.port2),
                   item("1", "//127.0.0.1:%d/static/a.txt" % env.port2),
                   item("1", "/static/a.txt", headers={"Host": "127.0.0.1:%d" % env.port2}),
                   item("1", "/static/a.txt", headers={"host": "other.example"})]:
            refused_400(client.post_batch([it]))
        resp = client.batch_ok([item("1", "/cgi/echo.py")])[0]
        assert resp["status"] == 200
        assert_alive(client)

    def test_batch_900_34(self, env, client):
        # CONTRACT §4 (documented exception): mod_rewrite rules flagged [NS]
        # do not apply to items: /static/ns-guarded.txt is 403 directly and
        # 200 as an item; /rwforbidden ([F] without NS) is 403 both ways
        env.expect_log(ACCESS_LOG_IDS)
        assert client.raw_request("GET", "/static/ns-guarded.txt").status == 403
        assert client.raw_request("GET", "/rwforbidden").status == 403
        resps = client.batch_ok([item("1", "/static/ns-guarded.txt"), item("2", "/rwforbidden")])
        assert [r["status"] for r in resps] == [200, 403], resps
        assert_alive(client)


WRK_LUA = r"""
-- mixes valid and hostile batches; one connection per thread, so the
-- response that comes back belongs to the last request sent
local bodies = {}
local kinds = {}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local f = io.open(args[1], "r")
  for line in f:lines() do
    local kind, body = line:match("^(%w+) (.*)$")
    table.insert(kinds, kind)
    table.insert(bodies, body)
  end
  f:close()
  n = 0
  last = 1
  bad_valid = 0
  bad_hostile = 0
  valid = 0
  hostile = 0
end

function request()
  n = n + 1
  last = (n % #bodies) + 1
  local ctype = "application/json"
  if kinds[last] == "ctype" then ctype = "text/plain" end
  return wrk.format("POST", "/batch", {["Content-Type"] = ctype,
                    ["X-Test-Name"] = "wrk-load"}, bodies[last])
end

function response(status, headers, body)
  if kinds[last] == "valid" then
    valid = valid + 1
    if status ~= 200 or body:find('"status":[^2]') then
      bad_valid = bad_valid + 1
    end
  else
    hostile = hostile + 1
    if status ~= 400 and status ~= 415 and status ~= 413 then
      bad_hostile = bad_hostile + 1
    end
  end
end

function done(summary, latency, requests)
  local t = {valid = 0, hostile = 0, bad_valid = 0, bad_hostile = 0}
  for _, th in ipairs(threads) do
    for k, _ in pairs(t) do t[k] = t[k] + (th:get(k) or 0) end
  end
  io.write(string.format('WRKRESULT {"valid": %d, "hostile": %d, "bad_valid": %d, '
           .. '"bad_hostile": %d, "requests": %d, "errors_read": %d, "errors_status": %d}\n',
           t.valid, t.hostile, t.bad_valid, t.bad_hostile, summary.requests,
           summary.errors.read, summary.errors.status))
end
"""


class TestLoad:

    @pytest.mark.slow
    def test_batch_900_90(self, env, client):
        # CONTRACT §7: 60 s of concurrent load mixing valid and hostile
        # batches: no crash, every valid batch answered in full, hostile ones
        # refused, worker memory flat after warm-up
        wrk = shutil.which("wrk")
        if not wrk:
            pytest.skip("wrk not installed (bash build/deps.sh)")
        valid = [
            json.dumps({"requests": [item("1", "/static/small.json"), item("2", "/static/a.txt"),
                                     item("3", "/products/1", depends_on=["1"]),
                                     item("4", "/static/100k.txt"),
                                     item("5", "/static/data.bin", "HEAD")]}),
            json.dumps({"requests": [item(str(i), "/static/1k.txt") for i in range(20)]}),
            json.dumps({"requests": [item("p", "/products", "POST",
                                          body={"title": "x" * 1000})]}),
        ]
        hostile = [
            ("hostile", "[" * 5000 + "]" * 5000),
            ("hostile", json.dumps({"requests": [item(str(i), "/x") for i in range(21)]})),
            ("hostile", '{"requests":[{"id":"\\u0000","method":"GET","url":"/x"}]}'),
            ("hostile", json.dumps({"requests": [item("1", "/x", headers={
                "X-%d" % i: "v" for i in range(500)})]})),
            ("hostile", json.dumps({"requests": [item("1", "../../etc/passwd")]})),
            ("hostile", '{"requests":[{"id":"1","method":"GET","url":"/x"},'),
            ("ctype", json.dumps({"requests": [item("1", "/static/a.txt")]})),
        ]
        lines = []
        for i in range(max(len(valid), len(hostile))):
            lines.append("valid " + valid[i % len(valid)])
            lines.append("%s %s" % hostile[i % len(hostile)])
        tmp = tempfile.mkdtemp(prefix="wrk-")
        try:
            data = os.path.join(tmp, "bodies.txt")
            script = os.path.join(tmp, "mix.lua")
            with open(data, "w") as f:
                f.write("\n".join(lines) + "\n")
            with open(script, "w") as f:
                f.write(WRK_LUA)
            cmd = [wrk, "-t4", "-c4", "-d%ds" % 60, "--timeout", "20s", "-s", script,
                   env.url("/batch"), "--", data]
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True)
            time.sleep(15)
            warm = rss_kb(child_pids(env))
            out, _ = proc.communicate(timeout=120)
            end = rss_kb(child_pids(env))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        m = re.search(r"WRKRESULT (\{.*\})", out)
        assert m, out
        res = json.loads(m.group(1))
        print("\nwrk: %s; worker VmRSS kB after warm-up %s, at the end %s" % (res, warm, end))
        assert res["valid"] > 100 and res["hostile"] > 100, (res, out)
        assert res["bad_valid"] == 0, (res, out)
        assert res["bad_hostile"] == 0, (res, out)
        lines = env.log.lines()
        assert not [ln for ln in lines if "exit signal" in ln], lines[-20:]
        for pid, kb in warm.items():
            if pid in end:
                assert end[pid] - kb < 16 * 1024, ("RSS grew", pid, kb, end[pid], res)
        assert_alive(client)
