"""Concurrency part of the mod_batch benchmark (BatchConcurrency,
BatchThreads), driven by bench.py.  Stdlib only; see bench/README.md,
"Concurrency".

Four measurements, side by side in one run:

1. latency: a batch of 20 GET items proxied to a backend that sleeps 50 ms,
   BatchConcurrency 1 / 4 / 20, against one item alone and the same 20
   requests over h2c (fresh and warm connection);
2. CPU of fast items: 20 static items per batch, /batch (sequential) vs
   /batchc20, server CPU per item from /proc, interleaved rounds;
3. throughput with 4 concurrent clients of 20 x 50 ms items: BatchThreads
   sized by the advice (4 x 20 = 80, ProxyPass max = ThreadsPerChild +
   BatchThreads) vs an undersized BatchThreads 20;
4. sequential mode before/after: the static N = 20 /batch case on a
   --baseline-module build and on the module under test, two front servers
   with the same configuration, interleaved rounds.
"""
import hashlib
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
SLOW_MS = 50            # backend sleep per request
N = 20                  # items per batch
THREADS_PER_CHILD = 32  # httpd.conf.in
CLIENTS = 4             # part 3
THREADS_SIZED = CLIENTS * N                 # the advice: sum of BatchConcurrency
THREADS_SMALL = 20                          # deliberately undersized
PROXY_MAX = THREADS_PER_CHILD + THREADS_SIZED   # ThreadsPerChild + BatchThreads
SLOW_URL = "/slow/item"


def _log(*a):
    print("[bench %s]" % time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


def _sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for blk in iter(lambda: f.read(1 << 16), b""):
            h.update(blk)
    return h.hexdigest()[:16]


def _med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def _wrk_row(rounds, **label):
    """One table row from the interleaved rounds of a wrk case: the label,
    the error total, the rounds, and the median of every measured figure."""
    row = dict(label, errors=sum(x["errors"] for x in rounds), rounds=rounds)
    for k in ("items_per_s", "batches_per_s", "p50_ms", "p99_ms", "cpu_us_per_item",
              "ctxsw_per_batch"):
        row[k] = _med([x[k] for x in rounds])
    return row


def _loadavg():
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"


def _ms(v, unit):
    v = float(v)
    return {"us": v / 1000, "ms": v, "s": v * 1000}[unit]


def ctx_switches(pids):
    """Voluntary + involuntary context switches of every thread of pids
    (from /proc/PID/task/*/status; a thread that has exited drops out, the
    batch threads and MPM workers stay for the life of the child)."""
    t = 0
    for p in pids:
        try:
            tasks = os.listdir("/proc/%d/task" % p)
        except OSError:
            continue
        for tid in tasks:
            try:
                with open("/proc/%d/task/%s/status" % (p, tid)) as f:
                    for line in f:
                        if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                            t += int(line.split()[1])
            except OSError:
                pass
    return t


def batch_statuses(data, n):
    """Item statuses of a batch response, or None when it does not parse."""
    try:
        st = [x["status"] for x in json.loads(data)["responses"]]
    except Exception:
        return None
    return st if len(st) == n else None


class Conc:
    def __init__(self, bench):
        self.b = bench
        a = bench.args
        q = bench.quick
        self.reps = a.conc_reps or (7 if q else 15)
        self.dur = a.duration or (3 if q else 6)
        self.rounds = a.rounds or (2 if q else 3)
        self.load_dur = a.duration or (4 if q else 8)
        self.warm = 1
        self.baseline = a.baseline_module
        self.res = {"params": {}, "latency": {}, "fast": {}, "load": {}, "baseline": {},
                    "targets": [], "checks": {}}
        self.slow = None
        self.servers = []

    # ---------------------------------------------------------- servers
    def start_slow_backend(self):
        port = self.b.port3
        self.slow = subprocess.Popen([sys.executable, os.path.join(BENCH_DIR, "slow_backend.py"),
                                      "--port", str(port), "--delay-ms", str(SLOW_MS)],
                                     stdin=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.slow.poll() is not None:
                raise SystemExit("slow backend exited with %s" % self.slow.returncode)
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("slow backend did not come up")

    def slow_stats(self, reset=False):
        c = http.client.HTTPConnection("127.0.0.1", self.b.port3, timeout=10)
        c.request("GET", "/__stats" + ("?reset=1" if reset else ""))
        d = json.loads(c.getresponse().read())
        c.close()
        return d

    def server(self, name, module, threads=None, conc=True):
        """Render a config for one more front instance and start it."""
        h = self.b.extra_front(name, module, ["CONC"] if conc else [],
                               batch_threads=threads or 32, proxy_max=PROXY_MAX)
        h.start()
        self.servers.append(h)
        return h

    def stop(self, h):
        if h.proc is not None and h.proc.poll() is not None:
            self.res["checks"].setdefault("died", []).append(h.name)
        h.stop()
        self.scan_log(h)
        if h in self.servers:
            self.servers.remove(h)

    def scan_log(self, h):
        """Count child crashes ("exit signal") and errors in the instance's log."""
        path = os.path.join(self.b.root, "logs", h.name + "-error.log")
        crashes = errors = 0
        try:
            with open(path, errors="replace") as f:
                for line in f:
                    if "exit signal" in line:
                        crashes += 1
                    if ":error]" in line or ":crit]" in line or ":emerg]" in line or ":alert]" in line:
                        errors += 1
        except OSError:
            crashes = errors = None
        self.res["checks"].setdefault("logs", {})[h.name] = {"exit_signal": crashes, "error_lines": errors}

    def stop_all(self):
        for h in list(self.servers):
            self.stop(h)
        if self.slow and self.slow.poll() is None:
            self.slow.terminate()
            try:
                self.slow.wait(10)
            except subprocess.TimeoutExpired:
                self.slow.kill()
        self.slow = None

    # ----------------------------------------------------------- helpers
    def post(self, conn, path, body, n):
        t0 = time.perf_counter()
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        d = r.read()
        el = time.perf_counter() - t0
        st = batch_statuses(d, n)
        return el, (r.status == 200 and st == [200] * n), d

    def get(self, conn, path):
        t0 = time.perf_counter()
        conn.request("GET", path)
        r = conn.getresponse()
        d = r.read()
        return time.perf_counter() - t0, r.status == 200, d

    def h2load(self, port, n, m, url):
        cmd = ["h2load", "-n%d" % n, "-c1", "-m%d" % m, "http://127.0.0.1:%d%s" % (port, url)]
        out = subprocess.run(cmd, capture_output=True, text=True).stdout
        fin = re.search(r"finished in ([\d.]+)(us|ms|s),", out)
        codes = re.search(r"status codes: (\d+) 2xx", out)
        tfr = re.search(r"time for request:\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)", out)
        if not fin:
            raise SystemExit("h2load failed: %s" % out)
        return {"ms": _ms(fin.group(1), fin.group(2)), "ok2xx": int(codes.group(1)) if codes else 0,
                "req_min_ms": _ms(tfr.group(1), tfr.group(2)) if tfr else None,
                "req_max_ms": _ms(tfr.group(3), tfr.group(4)) if tfr else None,
                "req_mean_ms": _ms(tfr.group(5), tfr.group(6)) if tfr else None}

    def wrk_cpu(self, srv, path, body_file, dur, conns):
        pids = srv.all_pids()
        c0, x0 = self.b.cpu_ticks(pids), ctx_switches(pids)
        r = self.b.run_wrk(path, body_file, dur, port=srv.port, conns=conns)
        c1, x1 = self.b.cpu_ticks(pids), ctx_switches(pids)
        r["ctxsw_per_batch"] = (x1 - x0) / r["requests"] if r["requests"] else None
        items = r["requests"] * N
        r["items"] = items
        r["items_per_s"] = items / r["seconds"] if r["seconds"] else 0
        r["batches_per_s"] = r["requests"] / r["seconds"] if r["seconds"] else 0
        r["cpu_s"] = (c1 - c0) / self.b.clk_tck
        r["cpu_us_per_item"] = r["cpu_s"] * 1e6 / items if items else None
        return r

    # ------------------------------------------------- 1. latency, 50 ms
    def latency(self, srv):
        body20 = self.b.write_body("slow-20", SLOW_URL, N)
        body1 = self.b.write_body("slow-1", SLOW_URL, 1)
        b20, b1 = open(body20, "rb").read(), open(body1, "rb").read()
        cases = [
            ("direct1", "one item: direct GET through ProxyPass, HTTP/1.1 keep-alive", None, 1),
            ("batch1_c20", "one item: batch of 1, `/batchc20`", "/batchc20", 1),
            ("seq", "20 items: `/batch` (BatchConcurrency 1, sequential)", "/batch", N),
            ("c4", "20 items: `/batchc4` (BatchConcurrency 4)", "/batchc4", N),
            ("c20", "20 items: `/batchc20` (BatchConcurrency 20)", "/batchc20", N),
        ]
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
        # warm-up: batch threads started, proxy pool connections opened
        for _ in range(2):
            for cid, _, path, n in cases:
                if path:
                    self.post(conn, path, b20 if n == N else b1, n)
                else:
                    self.get(conn, SLOW_URL)
        samples = {c[0]: [] for c in cases}
        inflight = {c[0]: [] for c in cases}
        bad = {c[0]: 0 for c in cases}
        _log("concurrency 1/4: latency, %d x 50 ms proxied items, %d reps" % (N, self.reps))
        for rep in range(self.reps):
            order = cases if rep % 2 == 0 else cases[::-1]
            for cid, _, path, n in order:
                self.slow_stats(reset=True)
                if path:
                    el, ok, _ = self.post(conn, path, b20 if n == N else b1, n)
                else:
                    el, ok, _ = self.get(conn, SLOW_URL)
                inflight[cid].append(self.slow_stats()["max_inflight"])
                samples[cid].append(el * 1000)
                bad[cid] += 0 if ok else 1
        conn.close()
        rows = []
        for cid, label, path, n in cases:
            xs = samples[cid]
            rows.append({"id": cid, "label": label, "client": "Python http.client, one connection",
                         "median_ms": statistics.median(xs), "min_ms": min(xs), "max_ms": max(xs),
                         "samples_ms": xs, "backend_max_inflight": max(inflight[cid]),
                         "bad": bad[cid]})
            _log("  %-10s median %7.1f ms  (min %.1f, max %.1f)  backend max in flight %d%s"
                 % (cid, rows[-1]["median_ms"], min(xs), max(xs), max(inflight[cid]),
                    "  BAD %d" % bad[cid] if bad[cid] else ""))
        # 20 direct GETs one after another over one keep-alive connection
        reps_d = min(3, self.reps)
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
        xs, nbad = [], 0
        for _ in range(reps_d):
            t0 = time.perf_counter()
            for _ in range(N):
                _, ok, _ = self.get(conn, SLOW_URL)
                nbad += 0 if ok else 1
            xs.append((time.perf_counter() - t0) * 1000)
        conn.close()
        rows.append({"id": "direct20", "label": "20 direct GETs one after another, HTTP/1.1 keep-alive",
                     "client": "Python http.client, one connection", "median_ms": statistics.median(xs),
                     "min_ms": min(xs), "max_ms": max(xs), "samples_ms": xs, "backend_max_inflight": 1,
                     "bad": nbad})
        # h2c: a fresh connection per run, prior knowledge
        xs, inf, nbad, means = [], [], 0, []
        for _ in range(self.reps):
            self.slow_stats(reset=True)
            h = self.h2load(srv.port, N, N, SLOW_URL)
            inf.append(self.slow_stats()["max_inflight"])
            xs.append(h["ms"])
            means.append(h["req_mean_ms"])
            nbad += N - h["ok2xx"]
        rows.append({"id": "h2fresh", "label": "20 requests over a fresh h2c connection",
                     "client": "`h2load -n20 -c1 -m20` (incl. connect)", "median_ms": statistics.median(xs),
                     "min_ms": min(xs), "max_ms": max(xs), "samples_ms": xs,
                     "backend_max_inflight": max(inf), "bad": nbad, "req_mean_ms": _med(means)})
        _log("  h2fresh    median %7.1f ms  (min %.1f, max %.1f)  backend max in flight %d"
             % (rows[-1]["median_ms"], min(xs), max(xs), max(inf)))
        # h2c warm: one connection, 20 waves of 20; wall time per 20 requests
        waves = 20
        xs, nbad, means = [], 0, []
        for _ in range(1 if self.b.quick else 3):
            self.slow_stats(reset=True)
            h = self.h2load(srv.port, N * waves, N, SLOW_URL)
            xs.append(h["ms"] / waves)
            means.append(h["req_mean_ms"])
            nbad += N * waves - h["ok2xx"]
        rows.append({"id": "h2warm", "label": "20 requests over a warm h2c connection (wall ÷ %d)" % waves,
                     "client": "`h2load -n%d -c1 -m20`" % (N * waves), "median_ms": statistics.median(xs),
                     "min_ms": min(xs), "max_ms": max(xs), "samples_ms": xs,
                     "backend_max_inflight": self.slow_stats()["max_inflight"], "bad": nbad,
                     "req_mean_ms": _med(means)})
        _log("  h2warm     median %7.1f ms per 20 (request mean %.1f ms)"
             % (rows[-1]["median_ms"], _med(means) or 0))
        self.res["latency"] = {"reps": self.reps, "rows": rows, "delay_ms": SLOW_MS, "h2_waves": waves}

    # ----------------------------------------------- 2. CPU, fast items
    def fast(self, srv):
        body = self.b.body_path("static", N)
        cases = [(c, path) for c in (1, 4) for path in ("/batch", "/batchc20")]
        raw = {c: [] for c in cases}
        _log("concurrency 2/4: CPU of 20 static items, /batch vs /batchc20, %d round(s) x %d s"
             % (self.rounds, self.dur))
        for rnd in range(self.rounds):
            order = cases if rnd % 2 == 0 else cases[::-1]
            for c in order:
                self.wrk_cpu(srv, c[1], body, self.warm, c[0])
                r = self.wrk_cpu(srv, c[1], body, self.dur, c[0])
                raw[c].append(r)
                _log("  c=%d %-10s %8.0f items/s  p50 %.2f ms  cpu %.1f us/item  %.1f ctxsw/batch%s"
                     % (c[0], c[1], r["items_per_s"], r["p50_ms"], r["cpu_us_per_item"] or 0,
                        r["ctxsw_per_batch"] or 0,
                        "  ERRORS %d" % r["errors"] if r["errors"] else ""))
        rows = []
        for c in cases:
            rs = raw[c]
            rows.append(_wrk_row(rs, clients=c[0], path=c[1],
                                 mode="sequential (BatchConcurrency 1)" if c[1] == "/batch"
                                 else "20 at a time (BatchConcurrency 20)"))
        ratios = {}
        for cl in (1, 4):
            s = next(r for r in rows if r["clients"] == cl and r["path"] == "/batch")
            p = next(r for r in rows if r["clients"] == cl and r["path"] == "/batchc20")
            ratios["c%d" % cl] = {
                "cpu_item_c20_over_seq": p["cpu_us_per_item"] / s["cpu_us_per_item"]
                if p["cpu_us_per_item"] and s["cpu_us_per_item"] else None,
                "items_s_c20_over_seq": p["items_per_s"] / s["items_per_s"] if s["items_per_s"] else None,
                # ratio of the per-round ratios (rounds are side by side)
                "cpu_item_ratio_per_round": [a["cpu_us_per_item"] / b_["cpu_us_per_item"]
                                             for a, b_ in zip(raw[(cl, "/batchc20")], raw[(cl, "/batch")])
                                             if a["cpu_us_per_item"] and b_["cpu_us_per_item"]],
            }
        self.res["fast"] = {"rows": rows, "ratios": ratios, "rounds": self.rounds, "duration_s": self.dur}

    # ------------------------------------ 3. throughput, 4 slow clients
    def clients(self, port, path, body, n, nclients, dur):
        out, lock = [], threading.Lock()
        start = time.perf_counter()
        end = start + dur

        def worker():
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            while time.perf_counter() < end:
                t0 = time.perf_counter()
                try:
                    el, ok, _ = self.post(c, path, body, n)
                except (OSError, http.client.HTTPException):
                    el, ok = time.perf_counter() - t0, False
                    c.close()
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                    time.sleep(0.05)
                with lock:
                    out.append((t0, t0 + el, ok))
            c.close()

        ts = [threading.Thread(target=worker) for _ in range(nclients)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        if not out:
            return {"batches": 0, "seconds": 0, "batches_per_s": 0, "p50_ms": None, "p99_ms": None,
                    "bad": 0}
        # only good batches count; a failed one is listed under "bad"
        good = [x for x in out if x[2]]
        secs = max(x[1] for x in out) - start
        lat = sorted((x[1] - x[0]) * 1000 for x in good)
        pct = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else None
        return {"batches": len(good), "seconds": secs, "batches_per_s": len(good) / secs,
                "items_per_s": len(good) * n / secs, "p50_ms": pct(0.5), "p99_ms": pct(0.99),
                "bad": len(out) - len(good)}

    def load(self, sized, small):
        body = open(self.b.write_body("slow-20", SLOW_URL, N), "rb").read()
        cases = [
            ("c20_sized", "20 at a time, BatchThreads %d (= %d clients × 20)" % (THREADS_SIZED, CLIENTS),
             sized, "/batchc20", THREADS_SIZED),
            ("c20_small", "20 at a time, BatchThreads %d (undersized: %d items want to run)"
             % (THREADS_SMALL, CLIENTS * N), small, "/batchc20", THREADS_SMALL),
            ("c4_sized", "4 at a time, BatchThreads %d" % THREADS_SIZED, sized, "/batchc4", THREADS_SIZED),
            ("seq", "sequential (BatchConcurrency 1)", sized, "/batch", THREADS_SIZED),
        ]
        if self.b.quick:
            cases = [c for c in cases if c[0] not in ("c4_sized",)]
        raw = {c[0]: [] for c in cases}
        _log("concurrency 3/4: %d clients x batches of 20 x 50 ms items, %d round(s) x %d s"
             % (CLIENTS, self.rounds, self.load_dur))
        for rnd in range(self.rounds):
            order = cases if rnd % 2 == 0 else cases[::-1]
            for cid, label, srv, path, thr in order:
                self.clients(srv.port, path, body, N, CLIENTS, self.warm)   # warm-up
                pids = srv.all_pids()
                c0 = self.b.cpu_ticks(pids)
                self.slow_stats(reset=True)
                r = self.clients(srv.port, path, body, N, CLIENTS, self.load_dur)
                r["backend_max_inflight"] = self.slow_stats()["max_inflight"]
                c1 = self.b.cpu_ticks(pids)
                items = r["batches"] * N
                r["cpu_us_per_item"] = (c1 - c0) / self.b.clk_tck * 1e6 / items if items else None
                raw[cid].append(r)
                _log("  %-10s %6.1f batches/s  p50 %7.1f ms  p99 %7.1f ms  backend max in flight %d%s"
                     % (cid, r["batches_per_s"], r["p50_ms"] or 0, r["p99_ms"] or 0,
                        r["backend_max_inflight"], "  BAD %d" % r["bad"] if r["bad"] else ""))
        rows = []
        for cid, label, srv, path, thr in cases:
            rs = raw[cid]
            row = {"id": cid, "label": label, "path": path, "batch_threads": thr,
                   "proxy_max": PROXY_MAX, "bad": sum(x["bad"] for x in rs),
                   "batches": sum(x["batches"] for x in rs), "rounds": rs,
                   "backend_max_inflight": max(x["backend_max_inflight"] for x in rs)}
            for k in ("batches_per_s", "items_per_s", "p50_ms", "p99_ms", "cpu_us_per_item"):
                row[k] = _med([x.get(k) for x in rs])
            rows.append(row)
        self.res["load"] = {"rows": rows, "clients": CLIENTS, "duration_s": self.load_dur,
                            "rounds": self.rounds}

    # --------------------------------- 4. sequential, before and after
    def before_after(self):
        base = self.server("seq-base", self.baseline, conc=False)
        cur = self.server("seq-cur", self.b.module, conc=False)
        body = self.b.body_path("static", N)
        ok = {}
        for name, srv in (("baseline", base), ("current", cur)):
            c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
            _, good, d = self.post(c, "/batch", open(body, "rb").read(), N)
            c.close()
            ok[name] = good
        self.res["checks"]["before_after"] = ok
        cases = [(cl, name, srv) for cl in (1, 4) for name, srv in (("baseline", base), ("current", cur))]
        raw = {(c[0], c[1]): [] for c in cases}
        _log("concurrency 4/4: sequential /batch, 20 static items, baseline vs current, %d round(s) x %d s"
             % (self.rounds, self.dur))
        for rnd in range(self.rounds):
            order = cases if rnd % 2 == 0 else cases[::-1]
            for cl, name, srv in order:
                self.wrk_cpu(srv, "/batch", body, self.warm, cl)
                r = self.wrk_cpu(srv, "/batch", body, self.dur, cl)
                raw[(cl, name)].append(r)
                _log("  c=%d %-9s %8.0f items/s  p50 %.2f ms  cpu %.1f us/item  %.1f ctxsw/batch%s"
                     % (cl, name, r["items_per_s"], r["p50_ms"], r["cpu_us_per_item"] or 0,
                        r["ctxsw_per_batch"] or 0,
                        "  ERRORS %d" % r["errors"] if r["errors"] else ""))
        self.stop(base)
        self.stop(cur)
        rows = []
        for cl, name, srv in cases:
            rs = raw[(cl, name)]
            rows.append(_wrk_row(rs, clients=cl, module=name))
        ratios = {}
        for cl in (1, 4):
            b_ = next(r for r in rows if r["clients"] == cl and r["module"] == "baseline")
            c_ = next(r for r in rows if r["clients"] == cl and r["module"] == "current")
            ratios["c%d" % cl] = {
                "items_s_current_over_baseline": c_["items_per_s"] / b_["items_per_s"] if b_["items_per_s"] else None,
                "cpu_item_current_over_baseline": c_["cpu_us_per_item"] / b_["cpu_us_per_item"]
                if c_["cpu_us_per_item"] and b_["cpu_us_per_item"] else None,
            }
        self.res["baseline"] = {"module": os.path.abspath(self.baseline), "sha256_16": _sha(self.baseline),
                                "current_module": self.b.module, "current_sha256_16": _sha(self.b.module),
                                "rows": rows, "ratios": ratios, "rounds": self.rounds, "duration_s": self.dur}

    # --------------------------------------------------------------- run
    def check_static(self, srv):
        body = open(self.b.body_path("static", N), "rb").read()
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
        out = {}
        for path in ("/batch", "/batchc20"):
            _, ok, d = self.post(c, path, body, N)
            out[path] = {"ok": ok, "bytes": len(d)}
        c.close()
        return out

    def run(self):
        p = self.res["params"]
        p.update({"delay_ms": SLOW_MS, "items": N, "latency_reps": self.reps, "rounds": self.rounds,
                  "duration_s": self.dur, "load_duration_s": self.load_dur, "warmup_s": self.warm,
                  "threads_per_child": THREADS_PER_CHILD, "batch_threads_sized": THREADS_SIZED,
                  "batch_threads_small": THREADS_SMALL, "proxy_max": PROXY_MAX, "clients": CLIENTS,
                  "baseline_module": self.baseline})
        t0 = time.time()
        p["loadavg_start"] = _loadavg()
        try:
            self.start_slow_backend()
            try:
                sized = self.server("conc%d" % THREADS_SIZED, self.b.module, threads=THREADS_SIZED)
            except SystemExit as e:
                if "Invalid command 'Batch" not in str(e):
                    raise
                p["skipped"] = "the module does not know BatchConcurrency/BatchThreads"
                _log("concurrency: skipped, %s" % p["skipped"])
                self.b.results["concurrency"] = self.res
                return
            self.res["checks"]["static"] = self.check_static(sized)
            self.latency(sized)
            self.fast(sized)
            small = self.server("conc%d" % THREADS_SMALL, self.b.module, threads=THREADS_SMALL)
            self.load(sized, small)
            self.stop(small)
            self.stop(sized)
            if self.baseline:
                self.before_after()
            else:
                _log("concurrency 4/4: skipped (no --baseline-module)")
        finally:
            self.stop_all()
        p["wall_s"] = time.time() - t0
        p["loadavg_end"] = _loadavg()
        self.targets()
        self.b.results["concurrency"] = self.res

    def targets(self):
        T = self.res["targets"]
        lat = {r["id"]: r for r in self.res["latency"].get("rows", [])}
        if lat:
            c20, one, h2 = lat["c20"]["median_ms"], lat["direct1"]["median_ms"], lat["h2fresh"]["median_ms"]
            T.append({"name": "20 × 50 ms at a time (`/batchc20`) ÷ one item alone (direct GET)",
                      "value": "%.2f× (%.1f ÷ %.1f ms)" % (c20 / one, c20, one), "target": "≤ 1.5×",
                      "pass": c20 / one <= 1.5})
            T.append({"name": "20 × 50 ms at a time, wall time", "value": "%.1f ms" % c20,
                      "target": "≤ 75 ms", "pass": c20 <= 75})
            T.append({"name": "20 × 50 ms at a time vs the same 20 over a fresh h2c connection",
                      "value": "%.1f vs %.1f ms (%.2f×)" % (c20, h2, c20 / h2), "target": "below",
                      "pass": c20 < h2})
        f = self.res["fast"].get("ratios")
        if f:
            rows = self.res["fast"]["rows"]
            for cl in (1, 4):
                v = f["c%d" % cl]["cpu_item_c20_over_seq"]
                us = [next(r["cpu_us_per_item"] for r in rows if r["clients"] == cl and r["path"] == p_)
                      for p_ in ("/batchc20", "/batch")]
                T.append({"name": "CPU/item, 20 static items: 20 at a time ÷ sequential, wrk -c%d" % cl,
                          "value": "–" if v is None else "%.3f× (%.1f ÷ %.1f µs)" % (v, us[0], us[1]),
                          "target": "≤ 1.5×", "pass": v is not None and v <= 1.5})

    # ------------------------------------------------------------ report
    def markdown(self):
        R = self.res
        L = []
        p = R["params"]
        f = lambda v, fmt: "–" if v is None else fmt % v
        L.append("## Concurrency (BatchConcurrency, BatchThreads)\n")
        L.append("Separate front instances from the same template with `-DCONC` (event MPM, one child, "
                 "ThreadsPerChild %d): `/batch` sequential, `/batchc4` and `/batchc20` "
                 "(BatchConcurrency 4 and 20), `ProxyPass /slow/ … keepalive=On max=%d` to "
                 "`bench/slow_backend.py` (asyncio, sleeps %d ms per request). Part 3 compares "
                 "two instances, BatchThreads %d and %d. Wall time of this part: %.0f s; load average "
                 "at its start %s, at its end %s.\n"
                 % (p["threads_per_child"], p["proxy_max"], p["delay_ms"], p["batch_threads_sized"],
                    p["batch_threads_small"], p.get("wall_s", 0), p.get("loadavg_start"),
                    p.get("loadavg_end")))
        lat = R.get("latency")
        if lat and lat.get("rows"):
            L.append("### Latency: %d proxied items, backend sleeps %d ms (BatchThreads %d; median of %d, "
                     "interleaved, one keep-alive connection)\n" % (N, SLOW_MS, p["batch_threads_sized"], lat["reps"]))
            L.append("| case | client | median ms | min | max | backend max in flight | bad |")
            L.append("|---|---|--:|--:|--:|--:|--:|")
            for r in lat["rows"]:
                L.append("| %s | %s | **%.1f** | %.1f | %.1f | %d | %d |" % (
                    r["label"], r["client"], r["median_ms"], r["min_ms"], r["max_ms"],
                    r["backend_max_inflight"], r["bad"]))
            L.append("")
            rows = {r["id"]: r for r in lat["rows"]}
            L.append("`backend max in flight`: the most requests the slow backend held at once during "
                     "a sample (how many items really overlapped). Samples: %d per row, except 20 direct "
                     "GETs (%d) and warm h2c (%d runs of %d waves of 20 streams; the first waves "
                     "of a connection are the slow ones, see the fresh row).\n"
                     % (lat["reps"], len(rows["direct20"]["samples_ms"]), len(rows["h2warm"]["samples_ms"]),
                        lat["h2_waves"]))
        fa = R.get("fast")
        if fa and fa.get("rows"):
            L.append("### CPU of fast items: %d static items per batch (wrk -t1 `bench/wrk/report.lua`, "
                     "%d round(s) of %d s, interleaved, medians)\n" % (N, fa["rounds"], fa["duration_s"]))
            L.append("| mode | wrk connections | items/s | batches/s | p50 ms | p99 ms | CPU µs/item | context switches/batch | errors |")
            L.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
            for r in fa["rows"]:
                L.append("| %s `%s` | %d | %s | %s | %s | %s | **%s** | %s | %d |" % (
                    r["mode"], r["path"], r["clients"], f(r["items_per_s"], "%.0f"),
                    f(r["batches_per_s"], "%.0f"), f(r["p50_ms"], "%.2f"), f(r["p99_ms"], "%.2f"),
                    f(r["cpu_us_per_item"], "%.1f"), f(r.get("ctxsw_per_batch"), "%.1f"), r["errors"]))
            L.append("")
            L.append("| ratio, 20 at a time ÷ sequential | wrk -c1 | wrk -c4 |\n|---|--:|--:|")
            x1, x4 = fa["ratios"]["c1"], fa["ratios"]["c4"]
            L.append("| CPU µs/item | %s | %s |" % (f(x1["cpu_item_c20_over_seq"], "%.2f"),
                                                 f(x4["cpu_item_c20_over_seq"], "%.2f")))
            L.append("| items/s | %s | %s |" % (f(x1["items_s_c20_over_seq"], "%.2f"),
                                              f(x4["items_s_c20_over_seq"], "%.2f")))
            L.append("| CPU ratio per round | %s | %s |" % (
                ", ".join("%.2f" % v for v in x1["cpu_item_ratio_per_round"]) or "–",
                ", ".join("%.2f" % v for v in x4["cpu_item_ratio_per_round"]) or "–"))
            L.append("")
            L.append("Context switches: voluntary + involuntary of all threads of the instance "
                     "(`/proc/PID/task/*/status`), per batch.\n")
        ld = R.get("load")
        if ld and ld.get("rows"):
            L.append("### Throughput: %d concurrent clients, batches of %d × %d ms proxied items "
                     "(Python client, %d round(s) of %d s, interleaved, medians; ProxyPass max=%d)\n"
                     % (ld["clients"], N, SLOW_MS, ld["rounds"], ld["duration_s"], p["proxy_max"]))
            L.append("| config | batches/s | items/s | p50 ms | p99 ms | backend max in flight | "
                     "front CPU µs/item | batches | bad |")
            L.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
            for r in ld["rows"]:
                L.append("| %s | **%s** | %s | **%s** | %s | %d | %s | %d | %d |" % (
                    r["label"], f(r["batches_per_s"], "%.1f"), f(r["items_per_s"], "%.0f"),
                    f(r["p50_ms"], "%.0f"), f(r["p99_ms"], "%.0f"), r["backend_max_inflight"],
                    f(r["cpu_us_per_item"], "%.1f"), r["batches"], r["bad"]))
            L.append("")
            L.append("`bad`: batches whose response was not 200 with %d item statuses of 200 "
                     "(every response is parsed).\n" % N)
        ba = R.get("baseline")
        if ba and ba.get("rows"):
            L.append("### Sequential mode before/after: `/batch`, %d static items (wrk -t1, %d round(s) of %d s, "
                     "interleaved, medians; two front instances, same configuration)\n"
                     % (N, ba["rounds"], ba["duration_s"]))
            L.append("baseline `%s` (sha256 %s…), current `%s` (sha256 %s…).\n"
                     % (ba["module"], ba["sha256_16"], ba["current_module"], ba["current_sha256_16"]))
            L.append("| module | wrk connections | items/s | batches/s | p50 ms | p99 ms | CPU µs/item | context switches/batch | errors |")
            L.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
            for r in ba["rows"]:
                L.append("| %s | %d | %s | %s | %s | %s | %s | %s | %d |" % (
                    r["module"], r["clients"], f(r["items_per_s"], "%.0f"), f(r["batches_per_s"], "%.0f"),
                    f(r["p50_ms"], "%.2f"), f(r["p99_ms"], "%.2f"), f(r["cpu_us_per_item"], "%.1f"),
                    f(r.get("ctxsw_per_batch"), "%.1f"), r["errors"]))
            L.append("")
            L.append("| ratio, current ÷ baseline | wrk -c1 | wrk -c4 |\n|---|--:|--:|")
            x1, x4 = ba["ratios"]["c1"], ba["ratios"]["c4"]
            L.append("| items/s | %s | %s |" % (f(x1["items_s_current_over_baseline"], "%.2f"),
                                              f(x4["items_s_current_over_baseline"], "%.2f")))
            L.append("| CPU µs/item | %s | %s |" % (f(x1["cpu_item_current_over_baseline"], "%.2f"),
                                                 f(x4["cpu_item_current_over_baseline"], "%.2f")))
            L.append("")
        elif "baseline_module" in p and not p["baseline_module"]:
            L.append("Sequential mode before/after: not run (no `--baseline-module`).\n")
        if R["targets"]:
            L.append("### Concurrency targets\n")
            L.append("| | measured | target | met |\n|---|--:|---|---|")
            for t in R["targets"]:
                L.append("| %s | %s | %s | %s |" % (t["name"], t["value"], t["target"],
                                                   "yes" if t["pass"] else "**no**"))
            L.append("")
        ck = R.get("checks", {})
        logs = ck.get("logs", {})
        if logs:
            L.append("Error logs of the concurrency instances: %s.%s\n" % (", ".join(
                "%s: %s child crashes (`exit signal`), %s error lines" % (k, v["exit_signal"], v["error_lines"])
                for k, v in sorted(logs.items())),
                " **Died during the run: %s.**" % ", ".join(ck["died"]) if ck.get("died") else ""))
        st = ck.get("static", {})
        L.append("Concurrency sanity checks: 20 static items 200 via `/batch` and `/batchc20`: %s%s\n" % (
            "passed" if st and all(v["ok"] for v in st.values()) else "**FAILED**",
            "" if "before_after" not in ck else "; baseline and current module: %s" % (
                "passed" if all(ck["before_after"].values()) else "**FAILED** %s" % ck["before_after"])))
        return L
