#!/usr/bin/python3
"""Slow loopback backend for the concurrency part of the mod_batch benchmark.

    python3 slow_backend.py --port P [--delay-ms 50]

Answers every request after sleeping --delay-ms (or ?ms=N in the query)
with a small fixed JSON document, HTTP/1.1 keep-alive.  asyncio, stdlib
only: one event loop, no thread per connection, so a hundred concurrent
proxy connections cost next to no CPU and the sleeps overlap freely.

GET /__stats returns {"requests": n, "inflight": k, "max_inflight": m} and
GET /__stats?reset=1 also resets the counters afterwards; bench.py uses it
to show how many items really overlapped at the backend.
"""
import argparse
import asyncio
import json
import signal
import sys

STATS = {"requests": 0, "inflight": 0, "max_inflight": 0}


def query_ms(target, default):
    q = target.partition(b"?")[2]
    for kv in q.split(b"&"):
        k, _, v = kv.partition(b"=")
        if k == b"ms":
            try:
                return max(0, int(v))
            except ValueError:
                pass
    return default


async def handle(reader, writer, delay_ms):
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                break
            lines = head.split(b"\r\n")
            parts = lines[0].split()
            if len(parts) != 3:
                writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
                             b"Connection: close\r\n\r\n")
                break
            method, target, version = parts
            clen, close = 0, version == b"HTTP/1.0"
            for line in lines[1:]:
                k, _, v = line.partition(b":")
                k = k.strip().lower()
                if k == b"content-length":
                    clen = int(v.strip() or 0)
                elif k == b"connection":
                    vl = v.strip().lower()
                    if b"close" in vl:
                        close = True
                    elif b"keep-alive" in vl:
                        close = False
            if clen:
                await reader.readexactly(clen)
            if target.startswith(b"/__stats"):
                body = json.dumps(STATS).encode() + b"\n"
                if b"reset=1" in target:
                    STATS["requests"] = 0
                    STATS["max_inflight"] = STATS["inflight"]
            else:
                ms = query_ms(target, delay_ms)
                STATS["requests"] += 1
                STATS["inflight"] += 1
                if STATS["inflight"] > STATS["max_inflight"]:
                    STATS["max_inflight"] = STATS["inflight"]
                try:
                    if ms:
                        await asyncio.sleep(ms / 1000.0)
                finally:
                    STATS["inflight"] -= 1
                body = b'{"slept_ms":%d,"method":"%s"}\n' % (ms, method)
            hdr = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                   b"Content-Length: %d\r\n%s\r\n"
                   % (len(body), b"Connection: close\r\n" if close else b""))
            writer.write(hdr + (b"" if method == b"HEAD" else body))
            await writer.drain()
            if close:
                break
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--delay-ms", type=int, default=50)
    a = ap.parse_args()
    srv = await asyncio.start_server(lambda r, w: handle(r, w, a.delay_ms),
                                     "127.0.0.1", a.port, backlog=1024)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    print("slow backend on 127.0.0.1:%d, %d ms" % (a.port, a.delay_ms), file=sys.stderr, flush=True)
    async with srv:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
