#!/usr/bin/python3
"""CGI status: ?code=N[&body=TEXT][&type=MEDIA/TYPE]. Answers with Status N and
the given body (none when body is absent) in the given type (text/plain)."""
import os
import sys
from urllib.parse import parse_qs

q = parse_qs(os.environ.get("QUERY_STRING", ""), keep_blank_values=True)
code = q.get("code", ["200"])[0]
body = q.get("body", [None])[0]
ctype = q.get("type", ["text/plain"])[0]
out = sys.stdout.buffer
out.write(("Status: %s\r\n" % code).encode())
out.write(("Content-Type: %s\r\n" % ctype).encode())
out.write(b"X-Status-Script: 1\r\n\r\n")
if body is not None:
    out.write(body.encode("utf-8"))
