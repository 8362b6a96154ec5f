"""Real multipart batch clients, run unmodified against the test server
(CONTRACT §8/§9, issue 13):

- Debian's python3-googleapi: googleapiclient.http.BatchHttpRequest with
  HttpRequest objects (JsonModel) over an httplib2.Http, batch_uri= the test
  server's /batch. It sends a quoted boundary with '=', bare-LF lines,
  MIME-Version, Content-Transfer-Encoding: binary and Content-ID
  `<uuid + id>`; it matches answers by the text after " + " of
  `<response-…>`, splits each embedded response on CRLF CRLF and raises on
  a batch status >= 300.
- Debian's ruby-google-api-client (gem google-api-client 0.50):
  tests/interop/google_ruby_batch.rb, Google::Apis::Core::BaseService#batch
  as every generated service uses it (see the script for why no discovery
  document is needed).
- npm @odata/client (pinned in tests/interop/package-lock.json):
  tests/interop/odata_batch.mjs, execBatchRequests() against /odata/$batch
  (BatchAtomicity Ordered: the client puts every write in a change set).

A client that is not installed is skipped with the reason; a client the
module cannot serve fails. The captured request bodies of the three clients
are the seeds in tests/fuzz/corpus/multipart/ (each body as sent; its first
line is `--BOUNDARY`).
"""
import json
import os
import re
import shutil
import subprocess

import pytest

from harness import multipart as mp
from harness.conf import BatchConf
from harness.interop import INTEROP_SRC, npm_install

RUN_TIMEOUT = 180



def install_conf(env, lines):
    conf = BatchConf(env)
    if lines:
        conf.add_batch("/batch", lines)
    conf.install()


# ------------------------------------------------------------ python3-googleapi

@pytest.fixture(scope="module")
def googleapi():
    try:
        import httplib2
        from googleapiclient import errors, http, model
    except ImportError as e:
        pytest.skip("python3-googleapi is not installed (apt-get install python3-googleapi; "
                    "build/deps.sh): %s" % e)
    return httplib2, http, model, errors


def recording_http(httplib2):
    class RecordingHttp(httplib2.Http):
        """httplib2.Http that keeps what it sent; the client is not touched."""

        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            self.sent = []

        def request(self, uri, method="GET", body=None, headers=None, *a, **kw):
            self.sent.append({"uri": uri, "method": method, "body": body,
                              "headers": dict(headers or {})})
            return super().request(uri, method, body=body, headers=headers, *a, **kw)
    return RecordingHttp()


class GoogleBatch:
    """A BatchHttpRequest with per-request callbacks that record their calls."""

    def __init__(self, env, googleapi, path="/batch"):
        httplib2, self.gh, gm, self.errors = googleapi
        self.env = env
        self.http = recording_http(httplib2)
        self.model = gm.JsonModel(data_wrapper=False)
        self.batch = self.gh.BatchHttpRequest(batch_uri=env.url(path))
        self.got = {}

    def add(self, rid, method, path, body=None):
        headers = {"accept": "application/json"}
        if body is not None:
            headers["content-type"] = "application/json"
            body = json.dumps(body)
        req = self.gh.HttpRequest(self.http, self.model.response, self.env.url(path),
                                  method=method, body=body, headers=headers)

        def callback(request_id, response, exception):
            assert request_id not in self.got, "callback %s called twice" % request_id
            self.got[request_id] = (response, exception)
        self.batch.add(req, callback=callback, request_id=rid)

    def execute(self):
        self.batch.execute(http=self.http)
        return self.got


class TestGoogleApiPython:
    CONF = []

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        install_conf(env, self.CONF)

    def test_batch_1010_01(self, env, googleapi):
        # issue 13: python3-googleapi BatchHttpRequest: every callback gets its own
        # deserialized body, a 404 arrives as HttpError, ids survive quoting
        b = GoogleBatch(env, googleapi)
        b.add("p1", "GET", "/products/1")
        b.add("new one", "POST", "/products", {"title": "From googleapi \u00e9"})
        b.add("missing", "GET", "/static/nope.json")
        b.add("echo", "POST", "/cgi/echo.py?from=googleapi", {"x": "\u00fc", "n": [1, 2]})
        b.add("me", "GET", "/v1.0/me")
        b.add("gone", "DELETE", "/pyb/status?status=204")
        got = b.execute()
        assert sorted(got) == sorted(["p1", "new one", "missing", "echo", "me", "gone"])
        resp, exc = got["p1"]
        assert exc is None and resp["id"] == 1 and resp["title"] == "Pen", got["p1"]
        resp, exc = got["new one"]
        assert exc is None and resp["id"] == 11 and resp["title"] == "From googleapi \u00e9"
        resp, exc = got["missing"]
        assert resp is None and isinstance(exc, b.errors.HttpError), got["missing"]
        assert exc.resp.status == 404
        assert json.loads(exc.content)["error"]["code"] == "NotFound"
        resp, exc = got["echo"]
        assert exc is None, exc
        assert resp["method"] == "POST" and resp["query"] == "from=googleapi"
        assert json.loads(resp["body"]) == {"x": "\u00fc", "n": [1, 2]}
        assert resp["content_type"] == "application/json"
        assert re.match(r"^<[0-9a-f-]{36} \+ echo>$", resp["item_id"]), resp["item_id"]
        with open(env.path("htdocs", "static", "me.json")) as f:
            assert got["me"] == (json.load(f), None)
        assert got["gone"][1] is None

    def test_batch_1010_02(self, env, googleapi):
        # issue 13: what python3-googleapi sends (so the tests above exercise it): a
        # quoted boundary with '=', bare LF, MIME-Version, binary, <uuid + id>, Host
        b = GoogleBatch(env, googleapi)
        b.add("a", "GET", "/static/small.json")
        b.add("b", "POST", "/cgi/echo.py", {"k": 1})
        got = b.execute()
        assert got["a"] == ({"hello": "world"}, None)
        sent = b.http.sent[0]
        m = re.match(r'^multipart/mixed; boundary="(=+\d+==)"$', sent["headers"]["content-type"])
        assert m, sent["headers"]
        body = sent["body"]
        assert "\r\n" not in body and body.startswith("--" + m.group(1) + "\n")
        assert body.count("MIME-Version: 1.0") >= 2
        assert body.count("Content-Transfer-Encoding: binary") == 2
        assert re.search(r"Content-ID: <[0-9a-f-]{36} \+ b>\n", body)
        assert "Host: 127.0.0.1:%d\n" % env.port in body

    def test_batch_1010_03(self, env, googleapi):
        # CONTRACT §2/§8: 20 requests (the default BatchMaxRequests): every callback matched
        b = GoogleBatch(env, googleapi)
        for n in range(20):
            b.add("r%02d" % n, "GET", "/cgi/echo.py?n=%d" % n)
        got = b.execute()
        assert len(got) == 20
        for n in range(20):
            resp, exc = got["r%02d" % n]
            assert exc is None and resp["query"] == "n=%d" % n, (n, resp, exc)

    def test_batch_1010_04(self, env, googleapi):
        # issue 13: the client raises on a batch status >= 300: a batch refused as a whole
        # (over BatchMaxRequests) reaches the app as HttpError 400 with the JSON error
        b = GoogleBatch(env, googleapi)
        for n in range(21):
            b.add(str(n), "GET", "/static/a.txt")
        with pytest.raises(b.errors.HttpError) as ei:
            b.execute()
        assert ei.value.resp.status == 400
        assert json.loads(ei.value.content)["error"]["code"] == "BadRequest"


class TestGoogleApiPythonConcurrent(TestGoogleApiPython):
    # CONTRACT §4/§8: the same answers when the items run concurrently
    CONF = ["BatchConcurrency 4"]


# ------------------------------------------------------- ruby-google-api-client

@pytest.fixture(scope="module")
def ruby():
    exe = shutil.which("ruby")
    if not exe:
        pytest.skip("ruby is not installed (apt-get install ruby ruby-google-api-client; "
                    "build/deps.sh)")
    r = subprocess.run([exe, "-e", "require 'google/apis/core/batch'"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("ruby-google-api-client is not installed (apt-get install "
                    "ruby-google-api-client; build/deps.sh): %s" % r.stderr.strip()[-300:])
    return exe


def run_ruby(ruby, env, *args):
    # text, but without universal newlines: the capture test checks the
    # gem's CRLFs, which text=True would turn into LFs
    r = subprocess.run([ruby, "google_ruby_batch.rb", str(env.port)] + list(args),
                       cwd=INTEROP_SRC, capture_output=True, timeout=RUN_TIMEOUT)
    r.stdout = r.stdout.decode("utf-8", "replace")
    r.stderr = r.stderr.decode("utf-8", "replace")
    return r


class TestGoogleApiRuby:
    CONF = []

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        install_conf(env, self.CONF)

    def test_batch_1010_10(self, env, ruby):
        # issue 13: ruby-google-api-client's BatchCommand: callbacks matched through
        # <response-uuid+N>, a 404 as ClientError, bodies and POSTs through
        r = run_ruby(ruby, env)
        try:
            s = json.loads(r.stdout)
        except ValueError:
            pytest.fail("google_ruby_batch.rb (rc %d) printed no JSON:\n%s\n%s"
                        % (r.returncode, r.stdout[-3000:], r.stderr[-3000:]), pytrace=False)
        assert r.returncode == 0 and s["ok"], json.dumps(s, indent=1)[:4000]
        assert s["gem"].startswith("0.")

    def test_batch_1010_11(self, env, ruby):
        # issue 13: what the gem sends: unquoted boundary, CRLF, Content-Id <uuid+N>,
        # a part-level Content-Length, Host 127.0.0.1 without the port
        r = run_ruby(ruby, env, "capture")
        assert r.returncode == 0, r.stderr
        head, _, body = r.stdout.partition("\n\n")
        m = re.match(r"^Content-Type: multipart/mixed; boundary=([0-9a-f]+)$", head)
        assert m, head
        assert body.startswith("--%s\r\n" % m.group(1))
        assert re.search(r"Content-Id: <[0-9a-f-]{36}\+4>\r\n", body)
        assert re.search(r"\r\nContent-Length: \d+\r\n", body)
        assert "\r\nHost: 127.0.0.1\r\n" in body


class TestGoogleApiRubyConcurrent(TestGoogleApiRuby):
    CONF = ["BatchConcurrency 4"]


# ------------------------------------------------------------- npm @odata/client

@pytest.fixture(scope="module")
def odata_node(tmp_path_factory):
    return npm_install(tmp_path_factory, who="the @odata/client interop test",
                       missing=pytest.skip)


class TestODataClient:
    CONF = ["BatchAtomicity Ordered"]

    @pytest.fixture(scope="class")
    def summary(self, env, odata_node):
        BatchConf(env).add_batch("/odata/$batch", self.CONF).install()
        d, node = odata_node
        offset = env.log.size()
        r = subprocess.run([node, "odata_batch.mjs", str(env.port), "/odata/"], cwd=d,
                           capture_output=True, text=True, timeout=RUN_TIMEOUT)
        try:
            s = json.loads(r.stdout)
        except ValueError:
            pytest.fail("odata_batch.mjs (rc %d) printed no JSON summary:\n%s\n%s"
                        % (r.returncode, r.stdout[-3000:], r.stderr[-3000:]), pytrace=False)
        s["_rc"], s["_stderr"] = r.returncode, r.stderr
        s["_log"] = env.log.unexpected(offset=offset, expected=[])
        return s

    @staticmethod
    def batch(s, name):
        assert "exception" not in s, s["exception"]
        b = {b["name"]: b for b in s["batches"]}[name]
        assert not b["failures"], "%s: %s\nresponses: %s" % (
            name, "\n".join(b["failures"]), json.dumps(b["responses"])[:3000])
        return b

    def test_batch_1010_20(self, summary):
        # issue 13: @odata/client execBatchRequests ran clean against the module
        fails = ["%s: %s" % (b["name"], f) for b in summary.get("batches", ())
                 for f in b["failures"]]
        assert summary["_rc"] == 0 and summary.get("ok") is True, (
            "odata_batch.mjs rc %d:\n%s\n%s" % (summary["_rc"], "\n".join(fails),
                                                 summary.get("exception", summary["_stderr"])))
        assert not summary["_log"], "\n".join(summary["_log"])

    def test_batch_1010_21(self, summary):
        # CONTRACT §8/§9: Google rule: GETs and change sets (writes) all answered in
        # order, ids are positions, change-set items see BATCH_ATOMICITY_GROUP
        b = self.batch(summary, "google-rule")
        assert [r["status"] for r in b["responses"]] == [200, 200, 404, 201, 200]
        sent = b["wire"][0]["body"]
        assert sent.count("Content-Type: multipart/mixed; boundary=") == 2   # two change sets
        assert "Content-ID" not in sent and "\r\n" in sent
        assert b["responses"][4]["body"]["atomicity_group"] in sent

    def test_batch_1010_22(self, summary):
        # CONTRACT §8: OData-Version: the first failure stops the rest (424), OData-Version 4.0 back
        b = self.batch(summary, "odata-stop")
        assert [r["status"] for r in b["responses"]] == [200, 200, 404, 424, 424]
        assert b["wire"][0]["responseHeaders"]["odata-version"] == "4.0"

    def test_batch_1010_23(self, summary):
        # CONTRACT §8: Prefer: odata.continue-on-error: every part runs, Preference-Applied
        b = self.batch(summary, "odata-continue")
        assert [r["status"] for r in b["responses"]] == [200, 200, 404, 201, 200]
        assert b["wire"][0]["responseHeaders"]["preference-applied"] == \
            "odata.continue-on-error"


class TestODataClientConcurrent(TestODataClient):
    CONF = ["BatchAtomicity Ordered", "BatchConcurrency 4"]


def test_batch_1010_30():
    # issue 13: a seed from each real client is in the multipart fuzz corpus
    d = os.path.join(os.path.dirname(INTEROP_SRC), "fuzz", "corpus", "multipart")
    names = sorted(os.listdir(d))
    for want in ("client-googleapi-python", "client-google-ruby", "client-odata-npm"):
        assert want in names, names
        with open(os.path.join(d, want), "rb") as f:
            assert f.read(2) == b"--"
