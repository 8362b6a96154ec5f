"""Small helpers shared by the test files."""
import time
import uuid

from .procs import children, status_kb


def marker():
    """A unique token to find one test's requests at the Python backend."""
    return uuid.uuid4().hex[:12]


def pyb_request(pyb, mark):
    """The one request the backend saw whose path carries mark."""
    reqs = [q for q in list(pyb.requests) if mark in q["path"]]
    assert len(reqs) == 1, "backend saw %d requests for %s" % (len(reqs), mark)
    return reqs[0]


def hget(headers, name):
    """Case-insensitive header lookup in a dict; None when absent."""
    for k, v in headers.items():
        if k.lower() == name.lower():
            return v
    return None


def check_ids(items, responses):
    """CONTRACT §6: one response per item, in request order, ids matching."""
    assert [r["id"] for r in responses] == [i["id"] for i in items], responses


def run(client, items, **kw):
    """POST items (asserting 200 and ids in order); responses by id."""
    rs = client.batch_ok(items, **kw)
    check_ids(items, rs)
    return {r["id"]: r for r in rs}


def log_fields(env, log, name, want, timeout=5):
    """The lines of logs/<log> (a CustomLog whose format starts with
    %{X-Test-Name}i and separates fields with '|') that test `name` wrote,
    each split at '|'; waits up to timeout seconds for `want` of them
    (httpd writes the access log after the response)."""
    end = time.time() + timeout
    got = []
    while time.time() < end:
        try:
            with open(env.path("logs", log), errors="replace") as f:
                got = [ln.split("|") for ln in f.read().splitlines()
                       if ln.startswith(name + "|")]
        except OSError:
            got = []
        if len(got) >= want:
            break
        time.sleep(0.1)
    return got


def child_pids(env):
    """Worker processes of the running server (children of the parent that
    run threads; the mod_cgid daemon is single-threaded)."""
    try:
        with open(env.pid_path) as f:
            ppid = int(f.read().strip())
    except (OSError, ValueError):
        return []
    pids = []
    for p in children(ppid):
        try:
            if status_field(p, "Threads") > 1:
                pids.append(p)
        except OSError:
            continue
    return pids


def status_field(pid, name):
    """A kB field of /proc/PID/status (VmRSS, VmHWM, Threads...); 0 when
    the process has no such line."""
    try:
        return status_kb(pid, name)
    except KeyError:
        return 0


def rss_kb(pids):
    """VmRSS in kB of each of pids that still exists."""
    out = {}
    for p in pids:
        try:
            out[p] = status_field(p, "VmRSS")
        except OSError:
            pass
    return out


class PeakRss:
    """Peak RSS growth of the server's worker children over a block:

        with PeakRss(env) as peak:
            ...
        assert peak.growth_kb < 32 * 1024

    Writing 5 to /proc/PID/clear_refs resets VmHWM to the current RSS
    (Linux >= 4.0; needs the rights over the process the tests have when
    they run httpd as root). growth_kb is the largest VmHWM - baseline over
    the children that existed before and after."""

    def __init__(self, env):
        self.env = env
        self.base = {}
        self.growth_kb = None

    def __enter__(self):
        for p in child_pids(self.env):
            try:
                with open("/proc/%d/clear_refs" % p, "w") as f:
                    f.write("5")
                self.base[p] = status_field(p, "VmHWM")
            except OSError:
                continue
        assert self.base, "no worker child whose peak RSS can be reset"
        return self

    def __exit__(self, *exc):
        peak = {}
        for p, kb in self.base.items():
            try:
                peak[p] = status_field(p, "VmHWM") - kb
            except OSError:
                continue
        self.growth_kb = max(peak.values()) if peak else None
        return False
