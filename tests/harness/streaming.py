"""Timed raw batch requests for the streaming tests (CONTRACT §6): when
each piece of the response arrived, so that tests can check the order of
arrival (with generous margins, never speed).

    t0, arrivals, buf = timed_read(env, batch_request(env, items))
    t = arrival_time(arrivals, buf, re.compile(rb'"id"\\s*:\\s*"2"'))
"""
import json
import socket
import time

from .client import RawResponse


def batch_request(env, items, path="/batch", extra_headers=()):
    """The bytes of one JSON batch POST to path (Connection: close), with
    X-Test-Name and any extra (name, value) headers."""
    body = json.dumps({"requests": items}).encode()
    head = ["POST %s HTTP/1.1" % path, "Host: 127.0.0.1:%d" % env.port,
            "Content-Type: application/json", "Content-Length: %d" % len(body),
            "X-Test-Name: %s" % env.test_name, "Connection: close"]
    head.extend("%s: %s" % kv for kv in extra_headers)
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def timed_read(env, data, timeout=30):
    """Send data on a fresh socket and read until the response is complete
    or closed; return (t_sent, [(t, bytes so far)], all bytes), times from
    time.monotonic()."""
    s = socket.create_connection(("127.0.0.1", env.port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    arrivals, buf = [], b""
    try:
        t0 = time.monotonic()
        s.sendall(data)
        end = t0 + timeout
        while time.monotonic() < end:
            got = s.recv(65536)
            if not got:
                break
            buf += got
            arrivals.append((time.monotonic(), len(buf)))
            if RawResponse(buf).complete:
                break
    finally:
        s.close()
    return t0, arrivals, buf


def arrival_time(arrivals, buf, pattern):
    """When the first match of pattern in buf had fully arrived (None:
    it is not in buf)."""
    m = pattern.search(buf)
    if not m:
        return None
    return next((t for t, n in arrivals if n >= m.end()), None)
