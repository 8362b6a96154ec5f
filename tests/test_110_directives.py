"""CONTRACT §2: every directive's value is checked at start-up (apache2 -t
fails naming the directive and the value); defaults; inner-wins merging."""
import pytest

from harness.client import item
from harness.conf import BatchConf


def refused(rc, out, directive, value=None):
    """apache2 -t failed because of the value (not an unknown directive)."""
    assert rc != 0, out
    assert "Invalid command" not in out, out
    assert directive in out, out
    if value is not None:
        assert value in out, out


def in_location(line, path="/cfgtest"):
    return '<Location "%s">\n    SetHandler batch\n    %s\n</Location>\n' % (path, line)


BAD = [
    ("BatchMaxRequests", "0"), ("BatchMaxRequests", "1001"), ("BatchMaxRequests", "-1"),
    ("BatchMaxRequests", "abc"), ("BatchMaxRequests", "1.5"), ("BatchMaxRequests", "10x"),
    ("BatchMaxRequests", "99999999999999999999"),
    ("BatchMaxRequestSize", "0"), ("BatchMaxRequestSize", "-1"),
    ("BatchMaxRequestSize", "abc"), ("BatchMaxRequestSize", "1.5K"),
    ("BatchMaxRequestSize", "1KB"), ("BatchMaxRequestSize", "1T"),
    ("BatchMaxRequestSize", "0K"), ("BatchMaxRequestSize", "99999999999999999999G"),
    ("BatchMaxResponseSize", "0"), ("BatchMaxResponseSize", "-1"),
    ("BatchMaxResponseSize", "abc"), ("BatchMaxResponseSize", "1.5K"),
    ("BatchMaxResponseSize", "1KB"), ("BatchMaxResponseSize", "K"),
    ("BatchMethods", "TRACE"), ("BatchMethods", "CONNECT"), ("BatchMethods", "trace"),
    ("BatchMethods", "G(ET"),
    ("BatchBase", "relative"), ("BatchBase", "/a/../b"), ("BatchBase", "/a/./b"),
    ("BatchBase", "http://example.org/a"), ("BatchBase", "/a?x=1"), ("BatchBase", "/a#f"),
    ("BatchTimeout", "0"), ("BatchTimeout", "86401"), ("BatchTimeout", "-1"),
    ("BatchTimeout", "abc"), ("BatchTimeout", "1.5"),
    ("BatchReferences", "yes"), ("BatchReferences", "1"), ("BatchReferences", "Onn"),
    ("BatchAtomicity", "On"), ("BatchAtomicity", "1"), ("BatchAtomicity", "Order"),
    ("BatchAtomicity", "Atomic"),
]

GOOD = [
    "BatchMaxRequests 1", "BatchMaxRequests 1000", "BatchMaxRequests 20",
    "BatchMaxRequestSize 1", "BatchMaxRequestSize 1K", "BatchMaxRequestSize 1M",
    "BatchMaxRequestSize 1G", "BatchMaxRequestSize 65536",
    "BatchMaxResponseSize 1", "BatchMaxResponseSize 512K", "BatchMaxResponseSize 2G",
    "BatchMethods GET", "BatchMethods GET HEAD POST PUT PATCH DELETE",
    "BatchMethods get post", "BatchMethods PROPFIND",
    "BatchBase /", "BatchBase /v1.0", "BatchBase /v1.0/", "BatchBase /a/b",
    "BatchTimeout 1", "BatchTimeout 86400", "BatchTimeout 60",
    "BatchReferences On", "BatchReferences off", "BatchReferences OFF",
    "BatchAtomicity Refuse", "BatchAtomicity Ordered", "BatchAtomicity ordered",
    "BatchAtomicity REFUSE",
]


class TestDirectives:

    @pytest.mark.parametrize("directive,value", BAD,
                             ids=["%s-%s" % dv for dv in BAD])
    def test_batch_110_01(self, env, directive, value):
        # CONTRACT §2: a bad value stops apache2 -t with a message naming directive and value
        rc, out = env.config_test(in_location("%s %s" % (directive, value)))
        refused(rc, out, directive, value)

    def test_batch_110_02(self, env):
        # CONTRACT §2: BatchMethods refuses TRACE also inside a longer list
        rc, out = env.config_test(in_location("BatchMethods GET POST TRACE"))
        refused(rc, out, "BatchMethods", "TRACE")

    @pytest.mark.parametrize("line", GOOD)
    def test_batch_110_03(self, env, line):
        # CONTRACT §2: good values pass apache2 -t
        rc, out = env.config_test(in_location(line))
        assert rc == 0, out

    @pytest.mark.parametrize("line", ["BatchMaxRequests 5", "BatchMaxRequestSize 2M",
                                      "BatchMethods GET", "BatchBase /v1.0",
                                      "BatchTimeout 5", "BatchMaxResponseSize 1K",
                                      "BatchReferences On", "BatchAtomicity Ordered"])
    def test_batch_110_04(self, env, line):
        # CONTRACT §2: context server config and virtual host are accepted too
        rc, out = env.config_test(line + "\n")
        assert rc == 0, out
        rc, out = env.config_test("<VirtualHost 127.0.0.1:%d>\n    %s\n</VirtualHost>\n"
                                  % (env.port3 + 1, line))
        assert rc == 0, out

    def test_batch_110_05(self, env):
        # CONTRACT §2: a directive without its value is refused naming the directive
        rc, out = env.config_test(in_location("BatchMaxRequests"))
        refused(rc, out, "BatchMaxRequests")


def statuses(r):
    assert r.status_code == 200, r.text[:1000]
    return [x["status"] for x in r.json()["responses"]]


def n_items(n, url="/static/small.json", method="GET"):
    return [item(str(i), url, method) for i in range(n)]


class TestDirectivesDefaults:

    def test_batch_110_20(self, client):
        # CONTRACT §2: BatchMaxRequests defaults to 20
        assert statuses(client.post_batch(n_items(20))) == [200] * 20
        r = client.post_batch(n_items(21))
        assert r.status_code == 400 and r.json()["error"]["code"] == "BadRequest"

    def test_batch_110_21(self, client):
        # CONTRACT §2: BatchMaxResponseSize defaults to 1M (1M ok, 1M+1 -> 500 ResponseTooLarge)
        r = client.post_batch([item("a", "/static/1m.txt"), item("b", "/static/1m1.txt"),
                               item("c", "/static/small.json")])
        res = r.json()["responses"]
        assert [x["status"] for x in res] == [200, 500, 200]
        assert len(res[0]["body"]) == 1 << 20
        assert res[1]["body"]["error"]["code"] == "ResponseTooLarge"

    def test_batch_110_22(self, client):
        # CONTRACT §2: default BatchMethods are GET HEAD POST PUT PATCH DELETE
        methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND"]
        r = client.post_batch([item(m, "/pyb/echo", m) for m in methods])
        res = r.json()["responses"]
        assert [x["status"] for x in res[:6]] == [200] * 6
        for x in res[6:]:
            assert x["status"] == 405, x
            assert x["body"]["error"]["code"] == "MethodNotAllowed"

    def test_batch_110_23(self, client):
        # CONTRACT §2: BatchMaxRequestSize defaults to 1M
        pad = "x" * (1024 * 1024)
        r = client.post_batch({"requests": n_items(1), "@pad": pad})
        assert r.status_code == 413 and r.json()["error"]["code"] == "RequestTooLarge"
        r = client.post_batch({"requests": n_items(1), "@pad": pad[:1000 * 1000]})
        assert r.status_code == 200, r.text[:300]


class TestDirectivesMerge:
    """Outer <Location /m> and inner <Location /m/inner>: the inner setting
    wins, an inner BatchMethods list replaces the outer one."""

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        (BatchConf(env)
         .add_batch("/m", ["BatchMaxRequests 2", "BatchMethods GET POST"])
         .add_location("/m/inner", ["BatchMaxRequests 3", "BatchMethods DELETE"])
         .add_location("/m/keep", ["BatchTimeout 30"])
         .install())

    def test_batch_110_30(self, client):
        # CONTRACT §2: the outer BatchMaxRequests applies at /m
        assert statuses(client.post_batch(n_items(2), path="/m")) == [200, 200]
        r = client.post_batch(n_items(3), path="/m")
        assert r.status_code == 400 and r.json()["error"]["code"] == "BadRequest"

    def test_batch_110_31(self, client):
        # CONTRACT §2: the inner BatchMaxRequests wins at /m/inner
        items = n_items(3, "/pyb/echo", "DELETE")
        assert statuses(client.post_batch(items, path="/m/inner")) == [200] * 3
        r = client.post_batch(n_items(4, "/pyb/echo", "DELETE"), path="/m/inner")
        assert r.status_code == 400 and r.json()["error"]["code"] == "BadRequest"

    def test_batch_110_32(self, client):
        # CONTRACT §2: unset inner values inherit the outer ones (/m/keep has only BatchTimeout)
        assert statuses(client.post_batch(n_items(2), path="/m/keep")) == [200, 200]
        r = client.post_batch(n_items(3), path="/m/keep")
        assert r.status_code == 400

    def test_batch_110_33(self, client):
        # CONTRACT §2: the inner BatchMethods list replaces the outer one
        items = [item("d", "/pyb/echo", "DELETE"), item("g", "/pyb/echo", "GET"),
                 item("p", "/pyb/echo", "POST")]
        assert statuses(client.post_batch(items, path="/m/inner")) == [200, 405, 405]
        assert statuses(client.post_batch(items[:2], path="/m")) == [405, 200]


class TestDirectivesServerLevel:
    """A directive in server context applies to batch locations that do not set it."""

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        (BatchConf(env).add("BatchMaxRequests 2")
         .add_batch("/batch5", ["BatchMaxRequests 5"]).install())

    def test_batch_110_40(self, client):
        # CONTRACT §2: server-level BatchMaxRequests reaches /batch; a location overrides it
        assert client.post_batch(n_items(3)).status_code == 400
        assert statuses(client.post_batch(n_items(5), path="/batch5")) == [200] * 5


class TestDirectivesLive:

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        (BatchConf(env)
         .add_batch("/batch-small", ["BatchMaxResponseSize 1K"])
         .add_batch("/batch-t", ["BatchTimeout 1"])
         .add_batch("/batch-base", ["BatchBase /v1.0/"])
         .install())

    def test_batch_110_50(self, client):
        # CONTRACT §2/§4: BatchMaxResponseSize 1K: 1024 bytes pass, more -> 500, the batch goes on
        r = client.post_batch([item("a", "/static/1k.txt"), item("b", "/static/100k.txt"),
                               item("c", "/static/small.json")], path="/batch-small")
        res = r.json()["responses"]
        assert [x["status"] for x in res] == [200, 500, 200]
        assert res[1]["body"]["error"]["code"] == "ResponseTooLarge"
        assert res[2]["body"] == {"hello": "world"}

    def test_batch_110_51(self, client):
        # CONTRACT §2/§4: after BatchTimeout, items not yet started get 504 BatchTimeout
        r = client.post_batch([item("slow", "/cgi/sleep.py?s=1.5"),
                               item("late", "/static/small.json")], path="/batch-t")
        res = r.json()["responses"]
        assert res[0]["status"] == 200
        assert res[1]["status"] == 504
        assert res[1]["body"]["error"]["code"] == "BatchTimeout"

    @pytest.mark.parametrize("path", ["/v1.0/$batch", "/batch-base"])
    def test_batch_110_52(self, client, path):
        # CONTRACT §2/§3: BatchBase /v1.0 (trailing / ignored): /x, x and /v1.0/x all reach /v1.0/x
        r = client.post_batch([item("1", "/products/1"), item("2", "products/2"),
                               item("3", "/v1.0/products/3"), item("4", "/me"),
                               item("5", "/v1.0beta/x")], path=path)
        res = r.json()["responses"]
        assert [x["status"] for x in res] == [200, 200, 200, 200, 404]
        assert [x["body"].get("id") for x in res[:4]] == [1, 2, 3, "alice"]
