"""CONTRACT §4 (issue 12 item 3): a batch never grants what a direct request
would not. The server's post_read_request hooks (RequestHeader ... early,
server-level SetEnvIf) apply to an item's own headers exactly as to a direct
request's, although httpd never runs them for subrequests; the non-early
RequestHeader forms (fixups, which httpd does run for subrequests) give the
item what they give a direct request. Every target is the CGI echo, which
answers with the headers it received. mod_log_forensic writes no line of its
own for items (they are not requests it could close with a "-" line)."""
import time

import pytest

from harness.client import item
from harness.conf import BatchConf

ECHO = "/cgi/echo.py"
ECHO_LOC = "/cgi/echo.py"


def _direct(client, headers):
    r = client.get(ECHO, headers=headers)
    assert r.status_code == 200, r.text[:500]
    return r.json()["headers"]


def _item(client, headers, batch_headers=None):
    rs = client.batch_ok([item("1", ECHO, headers=headers)],
                         headers=batch_headers)
    assert rs[0]["status"] == 200, rs[0]
    return rs[0]["body"]["headers"]


class TestEarlyHooks:

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        c = BatchConf(env)
        c.add([
            "LoadModule setenvif_module %s/mod_setenvif.so" % env.libexecdir,
            "LoadModule log_forensic_module %s/mod_log_forensic.so"
            % env.libexecdir,
            'ForensicLog "%s"' % env.path("logs", "forensic.log"),
            "RequestHeader unset X-Remote-User early",
            "RequestHeader set X-Trust yes early",
            "RequestHeader append X-Added early-value early",
            'RequestHeader edit X-Big "^(.*)$" "$1$1$1$1$1$1$1$1$1$1" early',
            'SetEnvIf X-Role "^admin$" role_admin',
            'SetEnvIf X-Role "^(?!admin$)" !role_admin',
            'SetEnvIf Request_URI "^/cgi/echo\\.py$" uri_echo',
            "LoadModule remoteip_module %s/mod_remoteip.so" % env.libexecdir,
            "RemoteIPHeader X-Client-IP",
            "RemoteIPInternalProxy 127.0.0.1",
        ])
        c.add_location(ECHO_LOC, [
            "RequestHeader unset X-Late-Drop",
            "RequestHeader set X-Late-Set late",
            'RequestHeader set X-Role-Seen yes env=role_admin',
            'RequestHeader set X-Uri-Seen yes env=uri_echo',
            'RequestHeader set X-Seen-Addr "expr=%{REMOTE_ADDR}"',
            "Header set X-Resp-Late yes",
        ])
        c.install()

    def test_batch_320_01(self, client):
        # §4: "RequestHeader unset X-Remote-User early" strips the item's own header
        assert "X-Remote-User" not in _direct(client, {"X-Remote-User": "admin"})
        h = _item(client, {"X-Remote-User": "admin"})
        assert "X-Remote-User" not in h, h
        # also when the batch request sends it and the item repeats it
        h = _item(client, {"x-remote-user": "admin"},
                  batch_headers={"X-Remote-User": "root"})
        assert "X-Remote-User" not in h, h

    def test_batch_320_02(self, client):
        # §4: "RequestHeader set X-Trust yes early": the item's own value never wins
        assert _direct(client, {"X-Trust": "no"})["X-Trust"] == "yes"
        h = _item(client, {"X-Trust": "no"})
        assert h["X-Trust"] == "yes", h
        assert _item(client, {})["X-Trust"] == "yes"

    def test_batch_320_03(self, client):
        # §4: an early "append" applies once to an item, as to a direct request
        assert _direct(client, {})["X-Added"] == "early-value"
        assert _item(client, {})["X-Added"] == "early-value"
        # the item's own X-Added is edited like a direct request's
        d = _direct(client, {"X-Added": "mine"})["X-Added"]
        assert _item(client, {"X-Added": "mine"})["X-Added"] == d

    def test_batch_320_04(self, client):
        # §4: non-early RequestHeader (fixups) on the target: item == direct request
        hdrs = {"X-Late-Drop": "1", "X-Late-Set": "mine"}
        d = _direct(client, hdrs)
        h = _item(client, hdrs)
        assert "X-Late-Drop" not in d and "X-Late-Drop" not in h, (d, h)
        assert d["X-Late-Set"] == "late" and h["X-Late-Set"] == "late", (d, h)
        # and "Header set" (not early) reaches the item's response headers
        assert client.get(ECHO).headers.get("X-Resp-Late") == "yes"
        rs = client.batch_ok([item("1", ECHO)])
        assert rs[0]["headers"].get("X-Resp-Late") == "yes", rs[0]["headers"]

    def test_batch_320_05(self, client):
        # §4: a server-level SetEnvIf on a request header sees the item's header
        assert _direct(client, {"X-Role": "admin"}).get("X-Role-Seen") == "yes"
        assert _item(client, {"X-Role": "admin"}).get("X-Role-Seen") == "yes"
        assert "X-Role-Seen" not in _item(client, {"X-Role": "guest"})
        assert "X-Role-Seen" not in _direct(client, {"X-Role": "guest"})
        # a variable the batch's own header set is cleared by the paired
        # negative rule when the item sends another value
        assert "X-Role-Seen" not in _item(client, {"X-Role": "guest"},
                                          batch_headers={"X-Role": "admin"})
        assert _item(client, {}, batch_headers={"X-Role": "admin"}
                     ).get("X-Role-Seen") == "yes"

    def test_batch_320_06(self, client):
        # §4: a server-level SetEnvIf Request_URI sees the item's url, not /batch
        assert _direct(client, {}).get("X-Uri-Seen") == "yes"
        assert _item(client, {}).get("X-Uri-Seen") == "yes"

    def test_batch_320_07(self, client, env):
        # mod_log_forensic: one "+" and one "-" line for the batch, none per item
        rs = client.batch_ok([item(str(i), ECHO) for i in range(3)],
                             headers={"X-Mark": "forensic-320-07"})
        assert [x["status"] for x in rs] == [200, 200, 200]
        plus, minus = [], []
        for _ in range(50):  # the "-" line is written after the response
            with open(env.path("logs", "forensic.log"), "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            plus = [x for x in lines
                    if x.startswith("+") and "forensic-320-07" in x]
            ids = {x[1:].split("|", 1)[0] for x in plus}
            minus = [x for x in lines if x.startswith("-") and x[1:] in ids]
            if plus and len(minus) >= len(plus):
                break
            time.sleep(0.05)
        assert len(plus) == 1 and "|POST /batch " in plus[0], plus
        assert len(minus) == 1, (plus, minus)

    def test_batch_320_08(self, client):
        # §4: mod_remoteip reads an item's own client header as a direct request's
        # (the peer 127.0.0.1 is a trusted proxy here)
        assert _direct(client, {})["X-Seen-Addr"] == "127.0.0.1"
        assert _direct(client, {"X-Client-IP": "192.0.2.7"})["X-Seen-Addr"] \
            == "192.0.2.7"
        assert _item(client, {})["X-Seen-Addr"] == "127.0.0.1"
        assert _item(client, {"X-Client-IP": "192.0.2.7"})["X-Seen-Addr"] \
            == "192.0.2.7"
        # once the batch request's client is known (not a trusted proxy), an
        # item's header cannot replace it: no item claims another address
        h = _item(client, {"X-Client-IP": "192.0.2.7"},
                  batch_headers={"X-Client-IP": "198.51.100.9"})
        assert h["X-Seen-Addr"] == "198.51.100.9", h

    def test_batch_320_09(self, client, env):
        # §4: an early hook that refuses a direct request refuses the item with
        # the same status (mod_headers: the edit's result is over 64 KB -> 500);
        # the other items run
        env.expect_log(["AH01504"])
        big = "b" * 8000
        assert client.get(ECHO, headers={"X-Big": big}).status_code == 500
        rs = client.batch_ok([item("big", ECHO, headers={"X-Big": big}),
                              item("ok", ECHO)])
        assert rs[0]["status"] == 500, rs[0]
        assert "body" not in rs[0] or "X-Big" not in str(rs[0]["body"])
        assert rs[1]["status"] == 200, rs[1]
