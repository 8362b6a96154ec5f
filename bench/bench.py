#!/usr/bin/python3
"""mod_batch benchmark: throughput, CPU per item, memory, an instruction
profile and the concurrency part (BatchConcurrency/BatchThreads, and an
optional before/after against a --baseline-module build), measured side by
side in one run.  Run it through bench/run.sh.

Stdlib only.  See bench/README.md for what each number means.
"""
import argparse
import datetime
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import time

import concurrency
import nginx as nginx_peer

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
SRC_DIR = os.path.dirname(BENCH_DIR)
# the process plumbing is the test harness's (stdlib only)
sys.path.insert(0, os.path.join(SRC_DIR, "tests"))
from harness.procs import (ForegroundHttpd, children, cpu_ticks, free_port,  # noqa: E402
                           gen_text, status_kb)
HTTPD = os.environ.get("BENCH_HTTPD", "/usr/sbin/apache2")
LIBEXECDIR = os.environ.get("BENCH_LIBEXECDIR", "/usr/lib/apache2/modules")
CLK_TCK = os.sysconf("SC_CLK_TCK")

# ~300 bytes of JSON: the small item (static file, lua handler, proxied).
ITEM_JSON = json.dumps({
    "id": "0f8fad5b-d9cb-469f-a165-70867728950e",
    "displayName": "Adele Vance",
    "givenName": "Adele", "surname": "Vance",
    "mail": "AdeleV@contoso.example",
    "jobTitle": "Retail Manager", "officeLocation": "18/2111",
    "businessPhones": ["+1 425 555 0109"], "mobilePhone": None,
    "preferredLanguage": "en-US",
    "userPrincipalName": "AdeleV@contoso.example",
}, separators=(",", ":")).encode() + b"\n"

TARGETS = [  # (key, label, url of the item)
    ("static", "static file", "/s/item.json"),
    ("lua", "mod_lua handler", "/lua/item"),
    ("proxy", "ProxyPass backend", "/px/s/item.json"),
]
BATCH_NS = (1, 5, 20)


def log(*a):
    print("[bench %s]" % time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


def batch_body(url, n):
    reqs = [{"id": str(i + 1), "method": "GET", "url": url} for i in range(n)]
    return json.dumps({"requests": reqs}, separators=(",", ":")).encode()


MP_BOUNDARY = "bench_mp_b"
MP_CTYPE = "multipart/mixed; boundary=" + MP_BOUNDARY


def multipart_body(url, n):
    """The same n GETs as batch_body(), as Google's clients send them
    (CONTRACT 8): one application/http part each, Content-ID <bench+i>."""
    parts = ["--%s\r\nContent-Type: application/http\r\n"
             "Content-Transfer-Encoding: binary\r\nContent-ID: <bench+%d>\r\n\r\n"
             "GET %s HTTP/1.1\r\n\r\n" % (MP_BOUNDARY, i + 1, url) for i in range(n)]
    return ("".join(parts) + "--%s--\r\n" % MP_BOUNDARY).encode()


# ---------------------------------------------------------------- processes

class Httpd(ForegroundHttpd):
    """One apache2 instance (tests/harness/procs.py runs it).  The default
    front and backend use the main config; the concurrency part starts
    more fronts, each from its own rendering of httpd.conf.in (name = pid
    file and error log)."""

    def __init__(self, bench, backend=False, name=None, conf=None, port=None, defines=()):
        self.b = bench
        self.backend = backend
        name = name or ("backend" if backend else "front")
        super().__init__(HTTPD, conf or bench.conf,
                         port or (bench.port2 if backend else bench.port),
                         os.path.join(bench.root, "run", name + ".pid"),
                         defines=list(defines) + (["BACKEND"] if backend else []),
                         name=name)

    def start(self):
        try:
            super().start()
        except RuntimeError as e:
            raise SystemExit("%s; see %s/logs" % (e, self.b.root))

    def worker_child(self):
        kids = self.child_pids()
        if len(kids) != 1:
            # ServerLimit 1: exactly one worker child once started
            time.sleep(0.3)
            kids = self.child_pids()
        return kids[0]


# ------------------------------------------------------------------- bench

class Bench:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        self.module = os.path.abspath(args.module)
        self.dur = args.duration or (3 if self.quick else 6)
        self.rounds = args.rounds or (1 if self.quick else 3)
        self.warm = 1
        self.cg_batches = args.callgrind_batches or (100 if self.quick else 200)
        self.mem_reps = 2 if self.quick else 3
        self.port, self.port2, self.port3 = free_port(), free_port(), free_port()
        self.clk_tck = CLK_TCK
        self.cpu_ticks = cpu_ticks
        self.children_of = children
        self.nommap = self.nginx = None
        self.nginx_skipped = nginx_peer.available()
        self.parts = parse_parts(args)
        self.root = tempfile.mkdtemp(prefix="mod_batch-bench-", dir="/tmp")
        self.conf = os.path.join(self.root, "conf", "httpd.conf")
        self.results = {"machine": {}, "params": {}, "cases": [], "memory": {},
                        "profile": {}, "ratios": {}, "checks": {}, "concurrency": {}}

    # -- setup
    def setup(self):
        r = self.root
        os.chmod(r, 0o755)
        for d in ("conf", "logs", "run", "htdocs/s", "lua", "bodies", "cg"):
            os.makedirs(os.path.join(r, d), exist_ok=True)
        for d in ("logs", "run", "cg"):
            os.chmod(os.path.join(r, d), 0o777)
        with open(os.path.join(r, "htdocs/s/item.json"), "wb") as f:
            f.write(ITEM_JSON)
        with open(os.path.join(r, "htdocs/s/1m.txt"), "wb") as f:
            f.write(gen_text(1024 * 1024))
        shutil.copy(os.path.join(BENCH_DIR, "lua", "item.lua"), os.path.join(r, "lua"))
        with open(os.path.join(r, "lua", "item.json"), "wb") as f:
            f.write(ITEM_JSON)
        self.render_conf(self.conf, [], test=False)
        for key, _, url in TARGETS:
            for n in BATCH_NS:
                with open(self.body_path(key, n), "wb") as f:
                    f.write(batch_body(url, n))
        with open(self.mp_body_path(), "wb") as f:
            f.write(multipart_body(TARGETS[0][2], 20))
        for n in (1, 20):
            with open(os.path.join(r, "bodies", "big-%d.json" % n), "wb") as f:
                f.write(batch_body("/s/1m.txt", n))
        for p, _, files in os.walk(r):
            for fn in files:
                os.chmod(os.path.join(p, fn), 0o644)
        self.config_test(self.conf, [])

    def render_conf(self, path, defines, test=True, **kw):
        """Write one instance's config from httpd.conf.in; kw overrides
        port, name, module, batch_threads, proxy_max."""
        with open(os.path.join(BENCH_DIR, "httpd.conf.in")) as f:
            tmpl = string.Template(f.read())
        vals = dict(root=self.root, port=self.port, port2=self.port2, port3=self.port3,
                    libexecdir=LIBEXECDIR, module=self.module, name="front",
                    batch_threads=32, proxy_max=64, mmap="On")
        vals.update(kw)
        user = ""
        if os.geteuid() == 0:
            user = "User www-data\nGroup www-data\n"
        with open(path, "w") as f:
            f.write(user + tmpl.substitute(vals))
        os.chmod(path, 0o644)
        if test:
            self.config_test(path, defines)

    def config_test(self, path, defines):
        t = subprocess.run([HTTPD, "-t", "-f", path] + ["-D" + d for d in defines],
                           capture_output=True, text=True)
        if t.returncode != 0:
            raise SystemExit("config test failed (%s):\n%s%s" % (path, t.stdout, t.stderr))

    def extra_front(self, name, module, defines, **kw):
        """A further front instance (own port, config, pid file, error log)."""
        port = free_port()
        conf = os.path.join(self.root, "conf", name + ".conf")
        self.render_conf(conf, defines, port=port, name=name, module=os.path.abspath(module), **kw)
        return Httpd(self, name=name, conf=conf, port=port, defines=defines)

    def body_path(self, key, n):
        return os.path.join(self.root, "bodies", "%s-%d.json" % (key, n))

    def mp_body_path(self):
        return os.path.join(self.root, "bodies", "static-20.multipart")

    def write_body(self, key, url, n):
        path = self.body_path(key, n)
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(batch_body(url, n))
            os.chmod(path, 0o644)
        return path

    def machine(self):
        m = self.results["machine"]
        m["nproc"] = os.cpu_count()
        try:
            with open("/proc/cpuinfo") as f:
                m["cpu"] = next((l.split(":", 1)[1].strip() for l in f
                                 if l.startswith("model name")), "?")
        except OSError:
            m["cpu"] = "?"
        m["kernel"] = os.uname().release
        v = subprocess.run([HTTPD, "-v"], capture_output=True, text=True).stdout
        m["httpd"] = (re.search(r"Server version:\s*(.*)", v) or [None, "?"])[1]
        m["date"] = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
        m["module"] = self.module
        try:
            m["loadavg"] = open("/proc/loadavg").read().split()[:3]
        except OSError:
            pass
        for tool, arg in (("wrk", "-v"), ("h2load", "--version"), ("valgrind", "--version")):
            try:
                out = subprocess.run([tool, arg], capture_output=True, text=True)
                m[tool] = ((out.stdout + out.stderr).strip().splitlines() or ["?"])[0]
            except OSError:
                m[tool] = "not installed"  # only the parts that use it need it
        try:
            m["git"] = subprocess.run(["git", "-C", SRC_DIR, "rev-parse", "--short", "HEAD"],
                                      capture_output=True, text=True).stdout.strip()
        except OSError:
            pass

    # -- correctness: every case must serve 200s before it is timed
    def check(self):
        ok = True
        for key, _, url in TARGETS:
            st, body, _ = self.http("GET", url)
            good = st == 200 and body == ITEM_JSON
            for n in BATCH_NS:
                st2, b2, hdr = self.http("POST", "/batch", open(self.body_path(key, n), "rb").read())
                try:
                    resp = json.loads(b2)["responses"]
                    statuses = [x["status"] for x in resp]
                    good = good and st2 == 200 and statuses == [200] * n
                except Exception:
                    statuses = None
                    good = False
                if n == 20:
                    self.results["checks"][key] = {"direct_status": st, "batch_status": st2,
                                                   "item_statuses": statuses,
                                                   "batch_bytes": len(b2)}
            if not good:
                log("CHECK FAILED for %s: %s" % (key, self.results["checks"].get(key)))
                ok = False
        for name, srv in (("nommap", self.nommap), ("nginx", self.nginx)):
            if srv is None:
                continue
            st, body, _ = self.http("GET", "/s/item.json", port=srv.port)
            good = st == 200 and body == ITEM_JSON
            if name == "nginx":
                st2, b2, _ = self.http("POST", "/batch", open(self.body_path("static", 20), "rb").read(),
                                       port=srv.port)
                try:
                    resp = json.loads(b2)["responses"]
                    good = good and st2 == 200 and [x["status"] for x in resp] == [200] * 20 \
                        and all(json.dumps(x["body"], separators=(",", ":")).encode() + b"\n" == ITEM_JSON
                                for x in resp)
                except Exception:
                    good = False
            self.results["checks"][name] = good
            if not good:
                log("CHECK FAILED for the %s instance" % name)
                ok = False
        self.results["checks"]["ok"] = ok
        return ok

    def http(self, method, url, body=None, port=None, ctype="application/json"):
        c = http.client.HTTPConnection("127.0.0.1", port or self.port, timeout=30)
        hdrs = {"Content-Type": ctype} if body is not None else {}
        c.request(method, url, body=body, headers=hdrs)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data, r.getheaders()

    def start_peers(self):
        """The comparison servers of the throughput part: a front with
        EnableMMAP Off (one by one), and nginx + Lua (when installed)."""
        self.nommap = self.extra_front("front-nommap", self.module, [], mmap="Off")
        self.nommap.start()
        if self.nginx_skipped:
            log("nginx peer skipped: %s" % self.nginx_skipped)
            return
        self.nginx = nginx_peer.Nginx(self, free_port(), os.cpu_count() or 1)
        self.nginx.start()

    def stop_peers(self):
        for srv in (self.nommap, self.nginx):
            if srv is not None:
                srv.stop()

    # -- load generators
    def run_wrk(self, url, body_file, dur, port=None, conns=4, ctype=None):
        env = dict(os.environ, BENCH_BODY=body_file or "", BENCH_CTYPE=ctype or "")
        cmd = ["wrk", "-t1", "-c%d" % conns, "-d%ds" % dur, "--timeout", "10s",
               "-s", os.path.join(BENCH_DIR, "wrk", "report.lua"),
               "http://127.0.0.1:%d%s" % (port or self.port, url)]
        out = subprocess.run(cmd, capture_output=True, text=True, env=env)
        m = re.search(r"BENCH_JSON (\{.*\})", out.stdout)
        if not m:
            raise SystemExit("wrk failed: %s\n%s" % (out.stdout, out.stderr))
        j = json.loads(m.group(1))
        errors = sum(j[k] for k in j if k.startswith("err_"))
        return {"requests": j["requests"], "seconds": j["duration_us"] / 1e6,
                "p50_ms": j["p50_us"] / 1000, "p99_ms": j["p99_us"] / 1000,
                "errors": errors, "bytes": j["bytes"]}

    def run_h2load(self, url, m, dur):
        logf = os.path.join(self.root, "h2load.log")
        if os.path.exists(logf):
            os.unlink(logf)
        cmd = ["h2load", "-c1", "-m%d" % m, "-D", str(dur), "--log-file=" + logf,
               "http://127.0.0.1:%d%s" % (self.port, url)]
        out = subprocess.run(cmd, capture_output=True, text=True)
        fin = re.search(r"finished in ([\d.]+)(m?s)", out.stdout)
        req = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                        r"(\d+) failed, (\d+) errored, (\d+) timeout", out.stdout)
        codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out.stdout)
        if not fin or not req:
            raise SystemExit("h2load failed: %s\n%s" % (out.stdout, out.stderr))
        secs = float(fin.group(1)) / (1000 if fin.group(2) == "ms" else 1)
        durs = []
        with open(logf) as f:
            for line in f:
                p = line.split()
                if len(p) >= 3:
                    durs.append(int(p[2]))
        durs.sort()
        pct = lambda q: durs[min(len(durs) - 1, int(q * len(durs)))] / 1000 if durs else 0
        ok2xx = int(codes.group(1)) if codes else int(req.group(4))
        return {"requests": ok2xx, "seconds": secs, "p50_ms": pct(0.50), "p99_ms": pct(0.99),
                "errors": int(req.group(5)) + int(req.group(6)) + int(req.group(7))
                + (int(req.group(3)) - ok2xx)}

    def measure(self, case, dur):
        srv = self.server_of(case)
        front, back = srv.all_pids(), self.backend.all_pids()
        c0, b0 = cpu_ticks(front), cpu_ticks(back)
        if case["client"] == "wrk":
            r = self.run_wrk(case["url"], case.get("body"), dur, port=srv.port,
                             ctype=case.get("ctype"))
        else:
            r = self.run_h2load(case["url"], case["m"], dur)
        c1, b1 = cpu_ticks(front), cpu_ticks(back)
        items = r["requests"] * case["n"]
        r["items"] = items
        r["items_per_s"] = items / r["seconds"] if r["seconds"] else 0
        r["req_per_s"] = r["requests"] / r["seconds"] if r["seconds"] else 0
        r["cpu_s"] = (c1 - c0) / CLK_TCK
        r["backend_cpu_s"] = (b1 - b0) / CLK_TCK
        r["cpu_us_per_item"] = r["cpu_s"] * 1e6 / items if items else None
        r["backend_cpu_us_per_item"] = r["backend_cpu_s"] * 1e6 / items if items else None
        return r

    def cases(self):
        out = []
        for key, label, url in TARGETS:
            for n in BATCH_NS:
                out.append({"id": "%s/batch%d" % (key, n), "target": key, "label": label,
                            "mode": "/batch, HTTP/1.1 keep-alive", "client": "wrk",
                            "url": "/batch", "body": self.body_path(key, n), "n": n})
            out.append({"id": "%s/h1" % key, "target": key, "label": label,
                        "mode": "one by one, HTTP/1.1 keep-alive", "client": "wrk",
                        "url": url, "n": 1})
            for m in (1, 20):
                out.append({"id": "%s/h2m%d" % (key, m), "target": key, "label": label,
                            "mode": "one by one, h2c %d stream%s" % (m, "s" if m > 1 else ""),
                            "client": "h2load", "url": url, "n": 1, "m": m})
            if key != "static":
                continue
            # the baseline nobody can call handicapped: one by one on a
            # second front instance with EnableMMAP Off
            out.append({"id": "static/h1-nommap", "target": key, "label": label,
                        "mode": "one by one, HTTP/1.1 keep-alive, EnableMMAP Off",
                        "client": "wrk", "url": url, "n": 1, "server": "nommap"})
            if self.nginx_skipped:
                continue
            # the moonshot peer: nginx + Lua ngx.location.capture_multi
            out.append({"id": "static/nginx-batch20", "target": key, "label": label,
                        "mode": "nginx + Lua capture_multi, /batch, HTTP/1.1 keep-alive",
                        "client": "wrk", "url": "/batch", "body": self.body_path(key, 20),
                        "n": 20, "server": "nginx"})
            out.append({"id": "static/nginx-h1", "target": key, "label": label,
                        "mode": "nginx, one by one, HTTP/1.1 keep-alive",
                        "client": "wrk", "url": url, "n": 1, "server": "nginx"})
        return out

    def server_of(self, case):
        """The instance a case is measured on (default: the front)."""
        return {"nommap": self.nommap, "nginx": self.nginx}.get(case.get("server"), self.front)

    def throughput(self):
        cases = self.cases()
        raw = {c["id"]: [] for c in cases}
        for rnd in range(self.rounds):
            log("throughput round %d/%d (%d cases x %ds)" % (rnd + 1, self.rounds, len(cases), self.dur))
            for c in cases:
                self.measure(c, self.warm)          # warm-up, discarded
                r = self.measure(c, self.dur)
                raw[c["id"]].append(r)
                log("  %-14s %9.0f items/s  p50 %.2f ms  p99 %.2f ms  cpu %.1f us/item%s"
                    % (c["id"], r["items_per_s"], r["p50_ms"], r["p99_ms"],
                       r["cpu_us_per_item"] or 0, "  ERRORS %d" % r["errors"] if r["errors"] else ""))
        for c in cases:
            rs = raw[c["id"]]
            med = lambda k: statistics.median([x[k] for x in rs if x[k] is not None]) \
                if any(x[k] is not None for x in rs) else None
            row = {k: c[k] for k in ("id", "target", "label", "mode", "client", "url", "n")}
            if "m" in c:
                row["m"] = c["m"]
            for k in ("items_per_s", "req_per_s", "p50_ms", "p99_ms", "cpu_us_per_item",
                      "backend_cpu_us_per_item"):
                row[k] = med(k)
            row["errors"] = sum(x["errors"] for x in rs)
            row["rounds"] = rs
            self.results["cases"].append(row)

    # -- multipart: the same 20 static items as JSON and as multipart/mixed
    def multipart(self):
        """CONTRACT 8 against 3: the same 20 GETs of the static item, as a
        JSON batch and as a Google-style multipart batch, interleaved
        round by round on the same server; every multipart item must be
        a 200 with the item's bytes before anything is timed."""
        url = TARGETS[0][2]
        st, body, hdr = self.http("POST", "/batch", open(self.mp_body_path(), "rb").read(),
                                  ctype=MP_CTYPE)
        ctype = dict((k.lower(), v) for k, v in hdr).get("content-type", "")
        ok = (st == 200 and ctype.startswith("multipart/mixed")
              and body.count(b"HTTP/1.1 200 OK\r\n") == 20
              and body.count(b"\r\n\r\n" + ITEM_JSON) == 20)
        self.results["checks"]["multipart"] = {"status": st, "content_type": ctype,
                                               "bytes": len(body), "ok": ok}
        if not ok:
            log("CHECK FAILED for the multipart batch: %d %s %r" % (st, ctype, body[:300]))
        cases = [{"id": "static/batch20", "label": "JSON", "client": "wrk", "url": "/batch",
                  "body": self.body_path("static", 20), "n": 20},
                 {"id": "static/mp20", "label": "multipart/mixed", "client": "wrk",
                  "url": "/batch", "body": self.mp_body_path(), "ctype": MP_CTYPE, "n": 20}]
        raw = {c["id"]: [] for c in cases}
        for rnd in range(self.rounds):
            log("multipart round %d/%d (%d cases x %ds)" % (rnd + 1, self.rounds, len(cases), self.dur))
            for c in cases:
                self.measure(c, self.warm)
                r = self.measure(c, self.dur)
                raw[c["id"]].append(r)
                log("  %-14s %9.0f items/s  p50 %.2f ms  cpu %.1f us/item%s"
                    % (c["id"], r["items_per_s"], r["p50_ms"], r["cpu_us_per_item"] or 0,
                       "  ERRORS %d" % r["errors"] if r["errors"] else ""))
        rows = []
        for c in cases:
            rs = raw[c["id"]]
            med = lambda k: statistics.median([x[k] for x in rs if x[k] is not None]) \
                if any(x[k] is not None for x in rs) else None
            rows.append({"id": c["id"], "format": c["label"], "n": 20, "url": url,
                         "items_per_s": med("items_per_s"), "p50_ms": med("p50_ms"),
                         "cpu_us_per_item": med("cpu_us_per_item"),
                         "errors": sum(x["errors"] for x in rs), "rounds": rs})
        j, m = rows
        self.results["multipart"] = {
            "rows": rows, "check_ok": ok, "profile": self.multipart_profile(),
            "items_s_mp_over_json": (m["items_per_s"] / j["items_per_s"]
                                     if m["items_per_s"] and j["items_per_s"] else None),
            "cpu_item_mp_over_json": (m["cpu_us_per_item"] / j["cpu_us_per_item"]
                                      if m["cpu_us_per_item"] and j["cpu_us_per_item"] else None)}

    def multipart_profile(self):
        """Instructions per item (callgrind, apache2 -X) of the two
        formats: the noise-free comparison on a shared machine."""
        if shutil.which("valgrind") is None:
            return None
        nb = self.cg_batches // 2
        out = {"batches": nb}
        self.front.stop()
        try:
            for tag, path, ctype, okay in (
                    ("json", self.body_path("static", 20), "application/json",
                     lambda d: d.count(b'"status":200') == 20),
                    ("multipart", self.mp_body_path(), MP_CTYPE,
                     lambda d: d.count(b"HTTP/1.1 200 OK\r\n") == 20)):
                body = open(path, "rb").read()

                def load(c):
                    bad = 0
                    for _ in range(nb):
                        c.request("POST", "/batch", body=body, headers={"Content-Type": ctype})
                        r = c.getresponse()
                        d = r.read()
                        bad += r.status != 200 or not okay(d)
                    return bad
                log("callgrind: %d %s batches of 20 static items" % (nb, tag))
                cg, bad, _ = self._callgrind("mp-" + tag, load)
                a = analyze_callgrind(cg, nb * 20)
                out[tag] = {"per_item": a["per_item"], "bad": bad,
                            "mod_batch_per_item": next((g["per_item"] for g in a["groups"]
                                                        if g["name"] == "mod_batch.so"), None)}
        finally:
            self.front.start()
        return out

    def markdown_multipart(self, L):
        mp = self.results["multipart"]
        f = lambda v, fmt: "–" if v is None else fmt % v
        L.append("## Multipart against JSON (20 static items, side by side)\n")
        L.append("The same 20 GETs of `%s` as a JSON batch and as a Google-style "
                 "`multipart/mixed` batch (one `application/http` part each), interleaved "
                 "round by round on one server (wrk -t1 -c4). Sanity check (20 × 200 with the "
                 "item's bytes): %s.\n" % (mp["rows"][0]["url"],
                                           "passed" if mp["check_ok"] else "**FAILED**"))
        L.append("| format | items/s | p50 ms | CPU µs/item | errors |\n|---|--:|--:|--:|--:|")
        for r in mp["rows"]:
            L.append("| %s | %s | %s | %s | %d |" % (r["format"], f(r["items_per_s"], "%.0f"),
                     f(r["p50_ms"], "%.2f"), f(r["cpu_us_per_item"], "%.1f"), r["errors"]))
        pr = mp.get("profile")
        if pr:
            L.append("\nInstructions per item (callgrind, `apache2 -X`, %d batches of each; "
                     "mod_batch.so's own share in brackets): JSON %.0f (%.0f), multipart %.0f "
                     "(%.0f): %.3f×. Batches with a wrong answer: %d, %d.\n"
                     % (pr["batches"], pr["json"]["per_item"], pr["json"]["mod_batch_per_item"] or 0,
                        pr["multipart"]["per_item"], pr["multipart"]["mod_batch_per_item"] or 0,
                        pr["multipart"]["per_item"] / pr["json"]["per_item"],
                        pr["json"]["bad"], pr["multipart"]["bad"]))
        c = mp["cpu_item_mp_over_json"]
        L.append("\nmultipart ÷ JSON: items/s %s, CPU/item %s (target: CPU/item ≤ 1.00×: %s).\n"
                 % (f(mp["items_s_mp_over_json"], "%.2f×"), f(c, "%.2f×"),
                    "–" if c is None else ("yes" if c <= 1.0 else "**no**")))

    # -- memory: fresh child per case, VmHWM growth over one batch
    def memory(self):
        mem = {"reps": []}
        for rep in range(self.mem_reps):
            for n in (1, 20):
                self.front.stop()
                self.front.start()
                # warm the child's code paths (and a worker thread) first
                for _ in range(3):
                    self.http("POST", "/batch", open(self.body_path("static", 20), "rb").read())
                    self.http("GET", "/s/1m.txt")
                child = self.front.worker_child()
                time.sleep(0.2)
                with open("/proc/%d/clear_refs" % child, "w") as f:
                    f.write("5")
                base = status_kb(child, "VmHWM")
                rss0 = status_kb(child, "VmRSS")
                body = open(os.path.join(self.root, "bodies", "big-%d.json" % n), "rb").read()
                t0 = time.time()
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                c.request("POST", "/batchbig", body=body,
                          headers={"Content-Type": "application/json"})
                resp = c.getresponse()
                first = resp.read(1)
                ttfb = time.time() - t0
                data = first + resp.read()
                c.close()
                try:
                    st = [x["status"] for x in json.loads(data)["responses"]]
                except Exception:
                    st = None
                hwm = status_kb(child, "VmHWM")
                r = {"n": n, "growth_kb": hwm - base, "hwm_kb": hwm, "base_kb": base,
                     "rss_before_kb": rss0, "status": resp.status, "out_bytes": len(data),
                     "ttfb_ms": ttfb * 1000, "item_statuses_ok": st == [200] * n}
                mem["reps"].append(r)
                log("  memory %2d x 1 MiB: VmHWM +%d KB (out %d bytes, TTFB %.1f ms, items ok %s)"
                    % (n, r["growth_kb"], len(data), r["ttfb_ms"], r["item_statuses_ok"]))
        for n in (1, 20):
            g = [r["growth_kb"] for r in mem["reps"] if r["n"] == n]
            mem["growth_kb_%d" % n] = statistics.median(g)
            mem["growth_kb_%d_all" % n] = g
            mem["ttfb_ms_%d" % n] = statistics.median(
                [r["ttfb_ms"] for r in mem["reps"] if r["n"] == n])
        mem["extra_kb"] = mem["growth_kb_20"] - mem["growth_kb_1"]
        self.results["memory"] = mem

    # -- callgrind
    def _callgrind(self, tag, load):
        """Run apache2 -X under callgrind, call load(conn) and return the
        path of the callgrind.out file (collected inside
        ap_run_process_connection only)."""
        out = os.path.join(self.root, "cg", "callgrind.%s.out" % tag)
        cmd = []
        if os.geteuid() == 0:
            # apache2 -X drops to www-data after start-up and callgrind
            # writes its output at exit: run the whole thing as www-data.
            import pwd
            pw = pwd.getpwnam("www-data")
            for p_, ds, fs in os.walk(self.root):
                for x in ds + fs:
                    os.lchown(os.path.join(p_, x), pw.pw_uid, pw.pw_gid)
            cmd = ["runuser", "-u", "www-data", "--"]
        cmd += ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                "--toggle-collect=ap_run_process_connection",
                HTTPD, "-X", "-f", self.conf]
        vlog = open(os.path.join(self.root, "logs", "valgrind.%s.log" % tag), "w")
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=vlog, stderr=vlog)
        deadline = time.time() + 120
        up = False
        while time.time() < deadline and p.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.5).close()
                up = True
                break
            except OSError:
                time.sleep(0.2)
        if not up:
            p.kill()
            raise SystemExit("apache2 -X under valgrind did not come up; see %s/logs" % self.root)
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        t0 = time.time()
        bad = load(c)
        c.close()
        elapsed = time.time() - t0
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(120)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        # runuser may return before valgrind has written its output
        pidf = os.path.join(self.root, "run", "front.pid")
        try:
            vpid = int(open(pidf).read().strip())
        except (OSError, ValueError):
            vpid = None
        deadline = time.time() + 120
        while vpid and time.time() < deadline and os.path.exists("/proc/%d" % vpid):
            time.sleep(0.2)
        if os.path.exists(pidf):
            os.unlink(pidf)
        vlog.close()
        if not os.path.exists(out) or os.path.getsize(out) == 0:
            raise SystemExit("no callgrind output; see %s/logs/valgrind.%s.log" % (self.root, tag))
        return out, bad, elapsed

    def profile(self):
        nb = self.cg_batches
        log("callgrind: apache2 -X under valgrind, %d batches of 20 static items" % nb)
        body = open(self.body_path("static", 20), "rb").read()

        def batches(c):
            bad = 0
            for _ in range(nb):
                c.request("POST", "/batch", body=body, headers={"Content-Type": "application/json"})
                r = c.getresponse()
                d = r.read()
                if r.status != 200 or d.count(b'"status":200') != 20:
                    bad += 1
            return bad

        def direct(c):
            bad = 0
            for _ in range(nb * 20):
                c.request("GET", "/s/item.json")
                r = c.getresponse()
                if r.status != 200 or r.read() != ITEM_JSON:
                    bad += 1
            return bad

        path, bad, elapsed = self._callgrind("batch", batches)
        prof = analyze_callgrind(path, nb * 20)
        prof["batches"] = nb
        prof["bad_batches"] = bad
        prof["wall_s_under_valgrind"] = elapsed
        prof["file"] = path
        for kind, extra in (("inclusive", ["--inclusive=yes"]), ("self", [])):
            ann = subprocess.run(["callgrind_annotate", "--threshold=99"] + extra + [path],
                                 capture_output=True, text=True).stdout
            with open(os.path.join(self.outdir, "callgrind-%s.txt" % kind), "w") as f:
                f.write(ann)
        log("callgrind: the same %d static items one by one (HTTP/1.1 keep-alive)" % (nb * 20))
        path, bad, elapsed = self._callgrind("direct", direct)
        d = analyze_callgrind(path, nb * 20)
        prof["direct"] = {"requests": nb * 20, "bad": bad, "total": d["total"],
                          "per_item": d["per_item"], "groups": d["groups"]}
        self.results["profile"] = prof

    # -- report
    def row(self, cid):
        return next(r for r in self.results["cases"] if r["id"] == cid)

    def ratios(self):
        R = self.results["ratios"]
        for key, _, _ in TARGETS:
            try:
                b, h1, h2 = self.row(key + "/batch20"), self.row(key + "/h1"), self.row(key + "/h2m20")
            except StopIteration:
                b = h1 = h2 = {"items_per_s": None, "cpu_us_per_item": None}
            R[key] = {
                "items_s_batch20_over_h1": b["items_per_s"] / h1["items_per_s"] if h1["items_per_s"] and b["items_per_s"] else None,
                "items_s_batch20_over_h2m20": b["items_per_s"] / h2["items_per_s"] if h2["items_per_s"] and b["items_per_s"] else None,
                "cpu_item_batch20_over_h2m20": (b["cpu_us_per_item"] / h2["cpu_us_per_item"]
                                                if b["cpu_us_per_item"] and h2["cpu_us_per_item"] else None),
                "cpu_item_batch20_over_h1": (b["cpu_us_per_item"] / h1["cpu_us_per_item"]
                                             if b["cpu_us_per_item"] and h1["cpu_us_per_item"] else None),
            }
        s = R["static"]

        def ratio(a, b, k):
            try:
                x, y = self.row(a)[k], self.row(b)[k]
            except StopIteration:
                return None
            return x / y if x and y else None
        s["items_s_batch20_over_h1_nommap"] = ratio("static/batch20", "static/h1-nommap", "items_per_s")
        s["cpu_item_batch20_over_h1_nommap"] = ratio("static/batch20", "static/h1-nommap", "cpu_us_per_item")
        s["items_s_h1_nommap_over_h1"] = ratio("static/h1-nommap", "static/h1", "items_per_s")
        s["items_s_nginx_batch20_over_batch20"] = ratio("static/nginx-batch20", "static/batch20", "items_per_s")
        s["cpu_item_nginx_batch20_over_batch20"] = ratio("static/nginx-batch20", "static/batch20", "cpu_us_per_item")
        s["items_s_nginx_batch20_over_nginx_h1"] = ratio("static/nginx-batch20", "static/nginx-h1", "items_per_s")
        prof = self.results.get("profile") or {}
        mem = self.results.get("memory") or {}
        R["targets"] = [
            {"name": "(a) items/s: /batch N=20 / one by one HTTP/1.1 (static)",
             "value": s["items_s_batch20_over_h1"], "target": ">= 3", "unit": "x",
             "pass": s["items_s_batch20_over_h1"] is not None and s["items_s_batch20_over_h1"] >= 3},
            {"name": "(b) CPU/item: /batch N=20 / one by one h2c 20 streams (static)",
             "value": s["cpu_item_batch20_over_h2m20"], "target": "<= 0.25", "unit": "x",
             "pass": s["cpu_item_batch20_over_h2m20"] is not None and s["cpu_item_batch20_over_h2m20"] <= 0.25},
            {"name": "(a') items/s: /batch N=20 / one by one HTTP/1.1 with EnableMMAP Off (static)",
             "value": s["items_s_batch20_over_h1_nommap"], "target": "report", "unit": "x", "pass": None},
            {"name": "(c) mod_batch + json-c share of instructions (callgrind, self cost)",
             "value": prof.get("share_module_jsonc_pct"), "target": "<= 15 %", "unit": "%",
             "pass": prof.get("share_module_jsonc_pct") is not None and prof["share_module_jsonc_pct"] <= 15},
            {"name": "(d) peak RSS growth: 20 x 1 MiB minus 1 x 1 MiB",
             "value": None if mem.get("extra_kb") is None else mem["extra_kb"] / 1024.0, "target": "< 2 MiB",
             "unit": "MiB", "pass": mem.get("extra_kb") is not None and mem["extra_kb"] < 2048},
            {"name": "(e) moonshot: items/s of nginx + Lua capture_multi (20 items) / mod_batch /batch N=20",
             "value": s["items_s_nginx_batch20_over_batch20"], "target": "report", "unit": "x", "pass": None},
            {"name": "(e) CPU/item: nginx + Lua capture_multi / mod_batch /batch N=20",
             "value": s["cpu_item_nginx_batch20_over_batch20"], "target": "report", "unit": "x", "pass": None},
        ]

    def markdown(self):
        m = self.results["machine"]
        L = []
        L.append("# mod_batch benchmark results\n")
        L.append("`bash bench/run.sh%s` — %s\n" % (" --quick" if self.quick else "", m["date"]))
        L.append("| machine | |\n|---|---|")
        for k in ("nproc", "cpu", "kernel", "httpd", "date", "loadavg", "wrk", "h2load", "valgrind", "git", "module"):
            if k in m:
                v = " ".join(m[k]) if isinstance(m[k], list) else m[k]
                L.append("| %s | %s |" % ("load avg (start)" if k == "loadavg" else k, v))
        L.append("")
        if self.args.only:
            L.append("Only: %s (`--only %s`).\n" % (", ".join(self.parts), self.args.only))
        if self.results["cases"] or self.results.get("memory") or self.results.get("profile"):
            self.markdown_main(L)
        conc = self.results.get("concurrency")
        if conc and conc.get("params", {}).get("skipped"):
            L.append("## Concurrency\n\nSkipped: %s.\n" % conc["params"]["skipped"])
        elif conc:
            L.extend(self.conc.markdown())
        if self.results.get("multipart"):
            self.markdown_multipart(L)
        return "\n".join(L) + "\n"

    def markdown_main(self, L):
        m = self.results["machine"]
        f = lambda v, fmt: "–" if v is None else fmt % v
        L.append("Client and server share the %s cores (wrk -t1 -c4; h2load -c1); one event-MPM "
                 "child (ServerLimit 1), access log off, LogLevel warn. %d round(s) of %d s per case "
                 "(+1 s warm-up), medians shown. CPU = utime+stime of the front apache2 processes "
                 "(parent + child) over the run, per item served; the proxy backend is a second "
                 "apache2 instance and its CPU is listed separately.\n"
                 % (m["nproc"], self.rounds, self.dur))
        if self.results["cases"]:
            L.append("## Throughput\n")
            L.append("| item target | mode | items/req | items/s | req/s | p50 ms | p99 ms | CPU µs/item | backend CPU µs/item | errors |")
            L.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|")
            for r in self.results["cases"]:
                L.append("| %s | %s | %d | %s | %s | %s | %s | %s | %s | %d |" % (
                    r["label"], r["mode"], r["n"], f(r["items_per_s"], "%.0f"), f(r["req_per_s"], "%.0f"),
                    f(r["p50_ms"], "%.2f"), f(r["p99_ms"], "%.2f"), f(r["cpu_us_per_item"], "%.1f"),
                    f(r["backend_cpu_us_per_item"], "%.1f") if r["target"] == "proxy" else "–",
                    r["errors"]))
            L.append("")
            L.append("Both servers run their defaults for file I/O: httpd `EnableMMAP On`, "
                     "`EnableSendfile Off` (as Debian ships it); the row \"EnableMMAP Off\" is a second "
                     "front instance, the same but for `EnableMMAP Off`, for the one-by-one baseline. "
                     "The nginx rows are nginx + lua-nginx-module (`bench/nginx.conf.in`, %s worker "
                     "processes, `sendfile off`, access log off) serving the same file, and its "
                     "`/batch` (`bench/lua/nginx_batch.lua`) running the same 20 items with "
                     "`ngx.location.capture_multi`; CPU is nginx's master + workers.%s\n"
                     % (os.cpu_count(), "" if not self.nginx_skipped
                        else " **nginx peer skipped: %s.**" % self.nginx_skipped))
        L.append("## Target ratios (N = 20, small static item)\n")
        L.append("| ratio | value | target | met |\n|---|--:|---|---|")
        for t in self.results["ratios"]["targets"]:
            v = t["value"]
            vs = "–" if v is None else ("%.2f %s" % (v, t["unit"]) if t["unit"] != "x" else "%.2f×" % v)
            met = "–" if t["pass"] is None else ("yes" if t["pass"] else "**no**")
            L.append("| %s | %s | %s | %s |" % (t["name"], vs, t["target"], met))
        L.append("")
        if self.results["cases"]:
            L.append("Same ratios for every item target:\n")
            L.append("| item target | items/s batch20 ÷ h1 | items/s batch20 ÷ h2c m20 | CPU/item batch20 ÷ h1 | CPU/item batch20 ÷ h2c m20 |")
            L.append("|---|--:|--:|--:|--:|")
            for key, label, _ in TARGETS:
                x = self.results["ratios"][key]
                L.append("| %s | %s | %s | %s | %s |" % (label, f(x["items_s_batch20_over_h1"], "%.2f"),
                         f(x["items_s_batch20_over_h2m20"], "%.2f"), f(x["cpu_item_batch20_over_h1"], "%.2f"),
                         f(x["cpu_item_batch20_over_h2m20"], "%.2f")))
            L.append("")
        mem = self.results.get("memory")
        if mem:
            L.append("## Memory (fresh worker child per case, VmHWM growth over one batch, `/batchbig` with BatchMaxResponseSize 2M)\n")
            L.append("| batch | output bytes | VmHWM growth (median) | all reps | TTFB ms |\n|---|--:|--:|---|--:|")
            for n in (1, 20):
                reps = [r for r in mem["reps"] if r["n"] == n]
                L.append("| %d × 1 MiB text file | %d | %.2f MiB | %s KB | %.1f |" % (
                    n, reps[0]["out_bytes"], mem["growth_kb_%d" % n] / 1024.0,
                    ", ".join(str(g) for g in mem["growth_kb_%d_all" % n]), mem["ttfb_ms_%d" % n]))
            L.append("\nExtra for 20 items: **%.2f MiB**.\n" % (mem["extra_kb"] / 1024.0))
        prof = self.results.get("profile")
        if prof:
            L.append("## Instruction profile (callgrind, `apache2 -X`, %d batches × 20 static items, collected inside `ap_run_process_connection`)\n" % prof["batches"])
            L.append("Total %.1f M instructions, **%.0f instructions per item**; the same %d items "
                     "requested one by one (HTTP/1.1 keep-alive, same server): %.0f per request "
                     "(batch ÷ one by one: %.2f).\n"
                     % (prof["total"] / 1e6, prof["per_item"], prof["direct"]["requests"],
                        prof["direct"]["per_item"], prof["per_item"] / prof["direct"]["per_item"]))
            L.append("| object | self instructions | share | per item | one by one: per request |\n|---|--:|--:|--:|--:|")
            dg = {g["name"]: g["per_item"] for g in prof["direct"]["groups"]}
            for g in prof["groups"]:
                L.append("| %s | %d | %.1f %% | %.0f | %s |" % (g["name"], g["ir"], g["pct"], g["per_item"],
                                                          "%.0f" % dg[g["name"]] if g["name"] in dg else "–"))
            L.append("")
            L.append("mod_batch.so + libjson-c self share: **%.1f %%**; including APR/libc/json-c work "
                     "called from mod_batch code (inclusive cost of those calls, approx.): %.1f %%.\n"
                     % (prof["share_module_jsonc_pct"], prof["share_module_attributable_pct"]))
            L.append("Top functions of mod_batch.so and libjson-c (% of all collected instructions):\n")
            L.append("| function | object | self % | inclusive % | self per item |\n|---|---|--:|--:|--:|")
            for fn in prof["module_top"]:
                L.append("| %s | %s | %.2f | %.2f | %.0f |" % (fn["fn"], fn["obj"], fn["self_pct"],
                                                           fn["incl_pct"], fn["self_per_item"]))
            L.append("")
            L.append("Calls from mod_batch.so and libjson-c into other objects (inclusive, % of all):\n")
            L.append("| caller → callee | callee object | calls | inclusive % |\n|---|---|--:|--:|")
            for e in prof["module_calls"][:25]:
                L.append("| %s → %s | %s | %d | %.2f |" % (e["caller"], e["callee"], e["obj"],
                                                          e["calls"], e["pct"]))
            L.append("")
            L.append("Top self-cost functions overall:\n")
            L.append("| function | object | self % |\n|---|---|--:|")
            for fn in prof["overall_top"]:
                L.append("| %s | %s | %.2f |" % (fn["fn"], fn["obj"], fn["self_pct"]))
            L.append("")
        ck = self.results["checks"]
        if "ok" in ck:
            L.append("Sanity checks (every item 200 before timing): %s\n" % ("passed" if ck.get("ok") else "**FAILED**"))

    def run(self):
        self.outdir = self.args.out
        os.makedirs(self.outdir, exist_ok=True)
        self.results["params"] = {"quick": self.quick, "duration_s": self.dur, "rounds": self.rounds,
                                  "warmup_s": self.warm, "wrk": "-t1 -c4", "h2load": "-c1 -m1|-m20",
                                  "callgrind_batches": self.cg_batches, "mem_reps": self.mem_reps,
                                  "port": self.port, "port2": self.port2, "root": self.root}
        self.results["params"]["parts"] = self.parts
        self.machine()
        self.setup()
        self.backend = Httpd(self, backend=True)
        self.front = Httpd(self)
        self.conc = concurrency.Conc(self)
        log("server root %s, front :%d, backend :%d, module %s, parts %s"
            % (self.root, self.port, self.port2, self.module, ",".join(self.parts)))
        try:
            if "throughput" in self.parts or "memory" in self.parts \
                    or "multipart" in self.parts:
                self.backend.start()
                self.front.start()
                if "throughput" in self.parts:
                    self.start_peers()
                if not self.check():
                    log("sanity check failed; numbers below are suspect")
                if "throughput" in self.parts:
                    self.throughput()
                    self.stop_peers()
                if "multipart" in self.parts:
                    self.multipart()
                if "memory" in self.parts:
                    log("memory: fresh child per case")
                    self.memory()
                self.front.stop()
                self.backend.stop()
            if "profile" in self.parts:
                self.profile()
            if "concurrency" in self.parts:
                self.conc.run()
        finally:
            self.front.stop()
            self.backend.stop()
            self.stop_peers()
            self.conc.stop_all()
        self.ratios()
        md = self.markdown()
        # a partial run (--only) does not overwrite the full results.md
        base = "results" if not self.args.only else "results-" + "-".join(self.parts)
        with open(os.path.join(self.outdir, base + ".json"), "w") as f:
            json.dump(self.results, f, indent=1, default=str)
        if md:
            with open(os.path.join(self.outdir, base + ".md"), "w") as f:
                f.write(md)
            print(md)
        if not self.args.keep:
            shutil.rmtree(self.root, ignore_errors=True)
        else:
            log("kept server root %s" % self.root)


# ---------------------------------------------------------------- callgrind

def analyze_callgrind(path, items):
    """Self and inclusive instruction counts per (object, function), plus the
    calls that leave mod_batch.so, from a callgrind.out file."""
    names = {"ob": {}, "fn": {}, "fl": {}}
    kinds = {"ob": "ob", "cob": "ob", "fn": "fn", "cfn": "fn", "cfl": "fl", "cfi": "fl",
             "fl": "fl", "fi": "fl", "fe": "fl"}

    def resolve(kind, val):
        m = re.match(r"\((\d+)\)(?:\s(.*))?$", val)
        if not m:
            return val
        if m.group(2) is not None:
            names[kind][m.group(1)] = m.group(2)
            return m.group(2)
        return names[kind].get(m.group(1), "?")

    self_cost, incl_calls, calls = {}, {}, {}
    ob = fn = cob = cfn = None
    pending_call = None
    total = 0
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            c = line[0]
            if c.isdigit() or c in "+-*":
                parts = line.split()
                cost = int(parts[1]) if len(parts) > 1 else 0
                if pending_call is not None:
                    key = (ob, fn)
                    incl_calls[key] = incl_calls.get(key, 0) + cost
                    ek = (ob, fn, cob or ob, cfn)
                    e = calls.setdefault(ek, [0, 0])
                    e[0] += pending_call
                    e[1] += cost
                    pending_call = None
                    cob = None
                else:
                    key = (ob, fn)
                    self_cost[key] = self_cost.get(key, 0) + cost
                    total += cost
                continue
            if "=" not in line:
                continue
            k, v = line.split("=", 1)
            if k == "ob":
                ob = resolve("ob", v)
            elif k == "fn":
                fn = resolve("fn", v)
                cob = None
            elif k == "cob":
                cob = resolve("ob", v)
            elif k == "cfn":
                cfn = resolve("fn", v)
            elif k == "calls":
                pending_call = int(v.split()[0])
            elif k in kinds:
                resolve(kinds[k], v)
    # "cob" applies to the next call only; we reset it at fn= which is close
    # enough (callgrind repeats cob= when it differs from ob).

    def group(obj):
        b = os.path.basename(obj or "?")
        if b.startswith("mod_batch"):
            return "mod_batch.so"
        if b.startswith("libjson-c"):
            return "libjson-c"
        if b == "apache2" or b == "httpd":
            return "apache2 (httpd core)"
        if b.startswith("mod_"):
            return "other httpd modules (" + b.split(".")[0] + ")"
        if b.startswith("libapr-1"):
            return "libapr"
        if b.startswith("libaprutil"):
            return "libaprutil"
        if b.startswith("libc.") or b.startswith("libc-"):
            return "libc"
        return "other (" + b + ")"

    groups = {}
    for (o, fnn), ir in self_cost.items():
        g = group(o)
        groups[g] = groups.get(g, 0) + ir
    total = total or 1
    glist = sorted(({"name": g, "ir": ir, "pct": 100.0 * ir / total, "per_item": ir / items}
                    for g, ir in groups.items()), key=lambda x: -x["ir"])
    # collapse small "other httpd modules" lines
    out_groups, rest = [], {"name": "rest (< 0.5 % each)", "ir": 0}
    for g in glist:
        if g["pct"] < 0.5:
            rest["ir"] += g["ir"]
        else:
            out_groups.append(g)
    if rest["ir"]:
        rest["pct"] = 100.0 * rest["ir"] / total
        rest["per_item"] = rest["ir"] / items
        out_groups.append(rest)

    def incl(key):
        return self_cost.get(key, 0) + incl_calls.get(key, 0)

    mod_keys = [k for k in set(self_cost) | set(incl_calls)
                if group(k[0]) in ("mod_batch.so", "libjson-c")]
    module_top = sorted(({"fn": k[1], "obj": group(k[0]), "self": self_cost.get(k, 0),
                          "self_pct": 100.0 * self_cost.get(k, 0) / total,
                          "incl_pct": 100.0 * incl(k) / total,
                          "self_per_item": self_cost.get(k, 0) / items}
                         for k in mod_keys), key=lambda x: (-x["self"], -x["incl_pct"]))
    # sort mod_batch by inclusive, json-c by self; keep the top 25 by either
    by_incl = sorted(module_top, key=lambda x: -x["incl_pct"])[:15]
    by_self = module_top[:15]
    seen, top = set(), []
    for x in by_incl + by_self:
        if (x["fn"], x["obj"]) not in seen:
            seen.add((x["fn"], x["obj"]))
            top.append(x)
    top.sort(key=lambda x: -x["incl_pct"])
    overall = sorted(self_cost.items(), key=lambda kv: -kv[1])[:25]
    mb_calls = []
    attributable = 0
    for (o, fnn, co, cf), (n, ir) in calls.items():
        if group(o) not in ("mod_batch.so", "libjson-c") or group(co) == group(o):
            continue
        mb_calls.append({"caller": fnn, "callee": cf, "obj": group(co), "calls": n, "ir": ir,
                         "pct": 100.0 * ir / total})
    for (o, fnn, co, cf), (n, ir) in calls.items():
        if group(o) in ("mod_batch.so", "libjson-c") and group(co) in ("libapr", "libaprutil", "libc"):
            attributable += ir
    mb_calls.sort(key=lambda x: -x["ir"])
    mb = groups.get("mod_batch.so", 0)
    jc = groups.get("libjson-c", 0)
    return {
        "total": total, "per_item": total / items, "items": items,
        "groups": out_groups,
        "share_mod_batch_pct": 100.0 * mb / total,
        "share_jsonc_pct": 100.0 * jc / total,
        "share_module_jsonc_pct": 100.0 * (mb + jc) / total,
        "share_module_attributable_pct": 100.0 * (mb + jc + attributable) / total,
        "module_top": top,
        "module_calls": mb_calls[:40],
        "overall_top": [{"fn": k[1], "obj": os.path.basename(k[0] or "?"), "self": v,
                         "self_pct": 100.0 * v / total} for k, v in overall],
    }


PARTS = ("throughput", "multipart", "memory", "profile", "concurrency")


def parse_parts(args):
    if args.only:
        parts = [p.strip() for p in args.only.split(",") if p.strip()]
        bad = [p for p in parts if p not in PARTS]
        if bad or not parts:
            raise SystemExit("--only: unknown part %s (parts: %s)" % (", ".join(bad), ", ".join(PARTS)))
        return [p for p in PARTS if p in parts]
    return [p for p in PARTS if not getattr(args, "skip_" + p)]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true",
                    help="~4 min: 1 round of 3 s per case (concurrency part: 2 rounds, ~2 min)")
    ap.add_argument("--module", default=os.environ.get("BATCH_MODULE")
                    or os.path.join(SRC_DIR, ".libs", "mod_batch.so"))
    ap.add_argument("--out", default=BENCH_DIR, help="where results.md/.json go")
    ap.add_argument("--duration", type=int, help="seconds per measured case")
    ap.add_argument("--rounds", type=int, help="interleaved rounds (median taken)")
    ap.add_argument("--callgrind-batches", type=int)
    ap.add_argument("--keep", action="store_true", help="keep the server root in /tmp")
    ap.add_argument("--skip-throughput", action="store_true")
    ap.add_argument("--skip-multipart", action="store_true")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--skip-profile", action="store_true")
    ap.add_argument("--skip-concurrency", action="store_true")
    ap.add_argument("--only", metavar="PARTS",
                    help="comma-separated parts to run: %s; writes results-PARTS.md/.json "
                         "instead of results.md/.json" % ",".join(PARTS))
    ap.add_argument("--baseline-module", metavar="PATH",
                    default=os.environ.get("BATCH_BASELINE_MODULE") or None,
                    help="a mod_batch.so of an earlier version: the concurrency part then "
                         "compares sequential /batch throughput and CPU/item with it, side by side")
    ap.add_argument("--conc-reps", type=int, help="concurrency part: latency samples per case (default 15, --quick 7)")
    args = ap.parse_args()
    if not os.path.isfile(args.module):
        raise SystemExit("module not found: %s (build it or set BATCH_MODULE)" % args.module)
    if args.baseline_module and not os.path.isfile(args.baseline_module):
        raise SystemExit("baseline module not found: %s (bench/build-module.sh COMMIT DIR builds one)"
                         % args.baseline_module)
    Bench(args).run()


if __name__ == "__main__":
    main()
