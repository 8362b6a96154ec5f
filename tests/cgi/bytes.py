#!/usr/bin/python3
"""CGI bytes: ?n=N[&type=MEDIA/TYPE]. N bytes of ASCII text ('0123456789' repeated,
a newline every 64 bytes); text/plain unless type is given."""
import os
import sys
from urllib.parse import parse_qs

q = parse_qs(os.environ.get("QUERY_STRING", ""))
n = int(q.get("n", ["0"])[0])
ctype = q.get("type", ["text/plain"])[0]
line = (b"0123456789" * 7)[:63] + b"\n"
data = (line * (n // 64 + 1))[:n]
out = sys.stdout.buffer
out.write(("Content-Type: %s\r\n\r\n" % ctype).encode())
out.write(data)
