"""Self-test of tests/harness/multipart.py, the strict parser that checks
every multipart answer in test_1000/test_1010 (CONTRACT §8 response
framing): it must accept a well-framed answer and refuse each way of
breaking the framing, or those tests could pass on a broken writer.

Never starts a server: the conftest autouse fixtures are replaced by the
no-ops of harness/noserver.py."""
import pytest

from harness import multipart as mp
from harness.noserver import _class_conf, _test_env  # noqa: F401


CT = "multipart/mixed; boundary=tok_1001"
INNER = (b"--cs1\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
         b"Content-ID: 2\r\n\r\nHTTP/1.1 424 Failed Dependency\r\nContent-Type: application/json"
         b"\r\nContent-Length: 51\r\n\r\n"
         b'{"error":{"code":"FailedDependency","message":"m"}}\r\n--cs1--')
GOOD = (b"--tok_1001\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
        b"Content-ID: <response-a + 1>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
        b"Content-Length: 7\r\n\r\nhello\r\n\r\n"
        b"--tok_1001\r\nContent-Type: multipart/mixed; boundary=cs1\r\n\r\n" + INNER + b"\r\n"
        b"--tok_1001\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
        b"\r\nHTTP/1.1 204 No Content\r\nDate: x\r\n\r\n\r\n--tok_1001--\r\n")


def test_batch_1001_01():
    # harness: a well-framed answer parses into items and a change set, bytes exact
    parts = mp.parse_body(CT, GOOD)
    assert len(parts) == 3 and isinstance(parts[1], mp.ChangeSet)
    a, cs, c = parts
    assert (a.status, a.reason, a.content_id, a.body) == (200, "OK", "<response-a + 1>",
                                                           b"hello\r\n")
    assert cs.boundary == "cs1"
    assert cs.items[0].error() == {"code": "FailedDependency", "message": "m"}
    assert cs.items[0].status == 424 and cs.items[0].content_id == "2"
    assert (c.status, c.body, c.content_id) == (204, b"", None)
    assert [i.status for i in mp.flatten(parts)] == [200, 424, 204]
    assert mp.parse_body(CT, GOOD[:-2])  # no CRLF after the close delimiter is fine


@pytest.mark.parametrize("ct", ['multipart/mixed; boundary="tok_1001"',
                                "multipart/mixed;boundary=tok_1001",
                                "multipart/mixed; boundary=tok_1001; charset=x",
                                "multipart/related; boundary=tok_1001",
                                "multipart/mixed; boundary=tok=1001", None])
def test_batch_1001_02(ct):
    # harness: anything but exactly `multipart/mixed; boundary=TOKEN` is refused
    with pytest.raises(mp.MultipartError):
        mp.parse_body(ct, GOOD)


@pytest.mark.parametrize("old,new", [
    (b"Content-Length: 7", b"Content-Length: 6"),                 # length not exact
    (b"Content-Length: 7\r\n", b""),                              # body without length
    (b"HTTP/1.1 200 OK", b"HTTP/1.1 200"),                        # no reason phrase
    (b"HTTP/1.1 200 OK", b"HTTP/1.0 200 OK"),
    (b"Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID",
     b"Content-Type: application/http; msgtype=response\r\nContent-Transfer-Encoding: "
     b"binary\r\nContent-ID"),                                    # parameters on the type
    (b"binary\r\nContent-ID: <resp", b"8bit\r\nContent-ID: <resp"),
    (b"Content-Type: text/plain\r\nContent-Length: 7", b"content-type: text/plain\r\n"
     b"Transfer-Encoding: chunked\r\nContent-Length: 7"),          # hop-by-hop
    (b"\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type", b"\n\nHTTP/1.1 200 OK\r\nContent-Type"),
    (b"Content-Type: text/plain\r\n", b"Content-Type: text/plain\n"),  # bare LF in a head
    (b"hello\r\n\r\n--tok_1001", b"hello tok_1001\r\n--tok_1001"),  # boundary in a body
    (b"--tok_1001--\r\n", b"--tok_1001--\r\nepilogue"),
    (b"--tok_1001--\r\n", b""),                                   # never closed
    (b"--cs1--", b"--cs1-"),                                      # change set not closed
])
def test_batch_1001_03(old, new):
    # harness: every break of the CONTRACT §8 framing is refused
    assert old in GOOD
    with pytest.raises(mp.MultipartError):
        mp.parse_body(CT, GOOD.replace(old, new, 1))


def test_batch_1001_04():
    # harness: a preamble, or a change set inside a change set, is refused
    with pytest.raises(mp.MultipartError):
        mp.parse_body(CT, b"preamble\r\n" + GOOD)
    nested = INNER.replace(b"--cs1--", b"--cs1\r\nContent-Type: multipart/mixed; boundary=cs2"
                           b"\r\n\r\n--cs2--\r\n--cs1--")
    with pytest.raises(mp.MultipartError):
        mp.parse_body(CT, GOOD.replace(INNER, nested))


def test_batch_1001_05():
    # harness: the builder writes what it is told: LF or CRLF framing, quoted boundary
    body = mp.build([mp.http("GET", "/x", cid="<a>"),
                     mp.changeset([mp.http("POST", "/y", body=b"b")], "cs", eol="\n")],
                    "B=1", eol="\n", preamble=b"pre\n", epilogue=b"epi")
    assert body.startswith(b"pre\n--B=1\nContent-Type: application/http\n")
    assert b"Content-ID: <a>\n\nGET /x HTTP/1.1\r\n\r\n\n--B=1\n" in body
    assert b"Content-Type: multipart/mixed; boundary=cs\n\n--cs\n" in body
    assert body.endswith(b"--cs--\n\n--B=1--\nepi")
    assert mp.ctype("B=1", quoted=True) == 'multipart/mixed; boundary="B=1"'
    p = mp.http("PUT", "/z", headers=[("X-A", "1")], body=b"12", content_length=True)
    assert p.content == b"PUT /z HTTP/1.1\r\nX-A: 1\r\nContent-Length: 2\r\n\r\n12"
