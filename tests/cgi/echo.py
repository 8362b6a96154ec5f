#!/usr/bin/python3
"""CGI echo: the request as mod_cgid hands it to a script, as JSON.

Keys: method, uri (REQUEST_URI), query, content_type, content_length,
body (text, or base64 when not UTF-8, see body_base64), headers (all HTTP_*
variables, as HTTP header names), item_id (BATCH_ITEM_ID or null),
atomicity_group (BATCH_ATOMICITY_GROUP or null), path_info, script_name,
remote_user.
"""
import base64
import json
import os
import sys


def main():
    env = os.environ
    n = env.get("CONTENT_LENGTH")
    raw = sys.stdin.buffer.read(int(n)) if n and n.isdigit() else sys.stdin.buffer.read()
    try:
        body, b64 = raw.decode("utf-8"), False
    except UnicodeDecodeError:
        body, b64 = base64.b64encode(raw).decode("ascii"), True
    headers = {}
    for k, v in env.items():
        if k.startswith("HTTP_"):
            headers["-".join(p.capitalize() for p in k[5:].split("_"))] = v
    out = {
        "method": env.get("REQUEST_METHOD"),
        "uri": env.get("REQUEST_URI"),
        "query": env.get("QUERY_STRING", ""),
        "content_type": env.get("CONTENT_TYPE"),
        "content_length": env.get("CONTENT_LENGTH"),
        "body": body,
        "body_base64": b64,
        "headers": headers,
        "item_id": env.get("BATCH_ITEM_ID"),
        "atomicity_group": env.get("BATCH_ATOMICITY_GROUP"),
        "path_info": env.get("PATH_INFO"),
        "script_name": env.get("SCRIPT_NAME"),
        "remote_user": env.get("REMOTE_USER"),
    }
    data = json.dumps(out, sort_keys=True).encode("utf-8")
    sys.stdout.buffer.write(b"Content-Type: application/json\r\n")
    sys.stdout.buffer.write(b"X-Echo: cgi\r\n\r\n")
    sys.stdout.buffer.write(data)


main()
