#!/usr/bin/python3
"""CGI redirect: ?to=local (default) answers a bare local 'Location: /static/a.txt',
which mod_cgid turns into an internal redirect; ?to=external answers 302 with
Location http://example.org/elsewhere; ?to=missing a local Location to a file that
does not exist."""
import os
import sys
from urllib.parse import parse_qs

q = parse_qs(os.environ.get("QUERY_STRING", ""))
to = q.get("to", ["local"])[0]
if to == "external":
    sys.stdout.write("Status: 302 Found\r\nLocation: http://example.org/elsewhere\r\n"
                     "Content-Type: text/plain\r\n\r\nmoved\n")
elif to == "missing":
    sys.stdout.write("Location: /static/does-not-exist.txt\r\n\r\n")
else:
    sys.stdout.write("Location: /static/a.txt\r\n\r\n")
