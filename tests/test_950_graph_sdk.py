"""Interop with the real Microsoft Graph JS SDK (npm @microsoft/microsoft-graph-client
3.0.x, pinned in tests/interop/package-lock.json): CONTRACT §3, §5, §6 as a Graph
client sees them.

tests/interop/graph_batch.mjs builds batches with the SDK's BatchRequestContent,
posts `await batch.getContent()` through the SDK's Client to /v1.0/$batch (and
/batch for the body round trips), reads the answer with BatchResponseContent and
checks every item; it prints a JSON summary and exits non-zero on a mismatch.

node and npm are required (CI installs them with build/deps.sh): without them
these tests FAIL, they do not skip. `npm ci` runs once into
tests/interop/node_modules (git-ignored); a marker there holds the hash of
package.json + package-lock.json, so reruns do not touch the network. When the
source tree is not writable, the install goes to a copy in a temp dir.
"""
import base64
import json
import subprocess

import pytest

from harness.conf import BatchConf
from harness.interop import npm_install

NODE_TIMEOUT = 180


@pytest.fixture(scope="session")
def interop(tmp_path_factory):
    """The tests/interop directory with node_modules installed: (dir, node)."""
    return npm_install(tmp_path_factory, who="the Graph SDK interop test")


@pytest.fixture(scope="class")
def class_conf(env, request):
    # The standard locations (/batch, /v1.0/$batch) plus the class's CONF lines
    # in both, whatever an earlier class left: this class-scoped fixture runs
    # before conftest's per-test reset.
    conf = BatchConf(env)
    lines = getattr(request.cls, "CONF", [])
    if lines:
        conf.add_location("/batch", lines).add_location("/v1.0/$batch", lines)
        rc, out = env.config_test(conf.text())
        if rc != 0 and "Invalid command" in out:
            # a directive this version does not have yet (test_110 owns that)
            pytest.skip("not in this build: %s" % out.strip().splitlines()[-1])
    conf.install()


@pytest.fixture(scope="class")
def summary(env, interop, class_conf):
    """Runs graph_batch.mjs once per class; its error-log lines are kept in
    summary["_log"] (conftest's per-test window opens only after this)."""
    d, node = interop
    offset = env.log.size()
    r = subprocess.run([node, "graph_batch.mjs", str(env.port), "test_950_graph_sdk"],
                       cwd=d, capture_output=True, text=True, timeout=NODE_TIMEOUT)
    try:
        s = json.loads(r.stdout)
    except ValueError:
        pytest.fail("graph_batch.mjs (rc %d) printed no JSON summary:\nstdout: %s\nstderr: %s"
                    % (r.returncode, r.stdout[-3000:], r.stderr[-3000:]), pytrace=False)
    s["_rc"], s["_stderr"] = r.returncode, r.stderr
    s["_log"] = env.log.unexpected(offset=offset, expected=[])
    return s


def batch(summary, name):
    assert "exception" not in summary, summary["exception"]
    b = {b["name"]: b for b in summary["batches"]}[name]
    assert not b["failures"], "%s batch: %d mismatch(es):\n%s\n(payload %s)" % (
        name, len(b["failures"]), "\n".join(b["failures"]), json.dumps(b["payload"]))
    return b


def header(echo, name):
    """A header the echo backend received, by name in any case (exactly one)."""
    vals = [v for k, v in echo["headers"].items() if k.lower() == name.lower()]
    assert len(vals) == 1, (name, echo["headers"])
    return vals[0]


def statuses(b):
    return [(r["id"], r["status"]) for r in b["responses"]]


class TestGraphSdk:
    CONF = []

    def test_batch_950_01(self, summary):
        # CONTRACT §3/§6: the SDK's script ran clean (exit 0, no mismatch in any batch)
        fails = ["%s: %s" % (b["name"], f) for b in summary.get("batches", ())
                 for f in b["failures"]]
        assert summary["_rc"] == 0 and summary.get("ok") is True, (
            "graph_batch.mjs rc %d:\n%s\n%s" % (summary["_rc"], "\n".join(fails),
                                                 summary.get("exception", summary["_stderr"])))
        assert summary["sdk"].startswith("3.0."), summary["sdk"]
        assert not summary["_log"], "error-log lines at [warn] or above during the run:\n" + \
            "\n".join(summary["_log"])

    def test_batch_950_02(self, summary):
        # CONTRACT §3: what the SDK sends is accepted as is: urls stripped of
        # scheme/host, with or without /v1.0, lower-cased header names, inline JSON
        b = batch(summary, "parallel")
        reqs = b["payload"]["requests"]
        assert [r["url"] for r in reqs][:3] == ["/v1.0/me", "/v1.0/products/1",
                                                "/products?skip=0&limit=2"]
        post = reqs[3]
        assert post["headers"] == {"content-type": "application/json"}
        assert post["body"] == {"title": "Test Product"}
        assert b["http_status"] == 200
        assert b["http_content_type"].split(";")[0] == "application/json"
        assert statuses(b) == [("1", 200), ("2", 200), ("3", 200), ("4", 201), ("5", 404),
                               ("6", 404), ("7", 405), ("8", 200)]

    def test_batch_950_03(self, summary):
        # CONTRACT §4: a dependsOn chain ("serial" in the SDK): 404 -> 424 transitively
        b = batch(summary, "serial")
        assert [r.get("dependsOn") for r in b["payload"]["requests"]] == [
            None, ["a"], ["b"], ["c"], ["d"]]
        assert statuses(b) == [("a", 201), ("b", 200), ("c", 404), ("d", 424), ("e", 424)]
        for r in b["responses"][3:]:
            assert r["body"]["error"]["code"] == "FailedDependency"

    def test_batch_950_04(self, summary):
        # CONTRACT §4: every item depending on the first ("same" in the SDK)
        b = batch(summary, "same")
        assert statuses(b) == [("first", 200), ("second", 200), ("third", 200)]

    def test_batch_950_05(self, summary):
        # CONTRACT §5: bodies: the SDK sends a binary body as base64 (decoded to the
        # 256 bytes on the wire) and gets binary responses back as base64; text
        # responses as strings; no body for 304 and 204
        b = batch(summary, "bodies")
        reqs = {r["id"]: r for r in b["payload"]["requests"]}
        assert reqs["bin"]["headers"] == {"content-type": "application/octet-stream"}
        assert reqs["bin"]["body"] == base64.b64encode(bytes(range(256))).decode()
        assert statuses(b) == [("bin", 200), ("text", 200), ("bin-out", 200),
                               ("text-out", 200), ("not-modified", 304), ("no-content", 204)]
        echo = b["responses"][0]["body"]
        assert echo["body_base64"] and header(echo, "Content-Type") == "application/octet-stream"

    def test_batch_950_06(self, summary):
        # CONTRACT §5 vs Graph: the SDK base64-encodes EVERY non-JSON request body,
        # text/plain included (Graph decodes them all); CONTRACT §5 sends a text
        # body's string as its UTF-8 bytes, so the target receives the base64 text.
        # This pins the contract's behaviour; if §5 adopts Graph's rule, flip it.
        b = batch(summary, "bodies")
        sent = {r["id"]: r for r in b["payload"]["requests"]}["text"]
        got = b["responses"][1]["body"]
        assert got["body"] == sent["body"], (got, sent)
        assert header(got, "Content-Type") == "text/plain; charset=utf-8"


class TestGraphSdkConcurrent(TestGraphSdk):
    # CONTRACT §4: an item's response is the same whichever mode ran it: all of
    # the above again with BatchConcurrency 4 (always 1 under prefork)
    CONF = ["BatchConcurrency 4"]
