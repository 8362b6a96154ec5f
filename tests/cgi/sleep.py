#!/usr/bin/python3
"""CGI sleep: ?s=SECONDS (float). Sleeps, then answers JSON {"slept": S, "item_id": ...}."""
import json
import os
import sys
import time
from urllib.parse import parse_qs

q = parse_qs(os.environ.get("QUERY_STRING", ""))
s = float(q.get("s", ["1"])[0])
t0 = time.time()
time.sleep(s)
sys.stdout.write("Content-Type: application/json\r\n\r\n")
sys.stdout.write(json.dumps({"slept": s, "item_id": os.environ.get("BATCH_ITEM_ID"),
                             "start": t0, "end": time.time()}))
