"""Process plumbing shared by the test harness (env.py) and the benchmark
(bench/bench.py): loopback ports, generated bodies, /proc accounting, and
an apache2 run in the foreground from a config file until it answers.

Standard library only, so that bench/ stays runnable without pytest or
requests (it puts tests/ on sys.path and imports harness.procs).
"""
import os
import signal
import socket
import subprocess
import time


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gen_text(n):
    """n bytes of 64-byte ASCII lines: the generated static bodies."""
    line = (b"abcdefghijklmnopqrstuvwxyz0123456789" * 2)[:63] + b"\n"
    return (line * (n // 64 + 1))[:n]


def port_open(port, timeout=0.5):
    try:
        socket.create_connection(("127.0.0.1", port), timeout).close()
        return True
    except OSError:
        return False


def proc_stat(pid):
    """ppid, utime and stime (clock ticks) of pid, from /proc/PID/stat."""
    with open("/proc/%d/stat" % pid) as f:
        s = f.read()
    rest = s[s.rindex(")") + 2:].split()
    # rest[0] is field 3 (state); utime=14, stime=15, ppid=4
    return {"ppid": int(rest[1]), "utime": int(rest[11]), "stime": int(rest[12])}


def children(ppid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if proc_stat(int(d))["ppid"] == ppid:
                    out.append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    return sorted(out)


def cpu_ticks(pids):
    """utime + stime of pids (processes that have gone count 0)."""
    t = 0
    for p in pids:
        try:
            st = proc_stat(p)
            t += st["utime"] + st["stime"]
        except OSError:
            pass
    return t


def status_kb(pid, key):
    """A kB field of /proc/PID/status, e.g. VmRSS."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


class ForegroundHttpd:
    """apache2 -DFOREGROUND -f conf, started and stopped by this process:
    its pid is the parent's, so its CPU and children can be read."""

    def __init__(self, httpd, conf, port, pidfile, defines=(), name="httpd",
                 env=None):
        self.httpd, self.conf, self.port = httpd, conf, port
        self.pidfile, self.defines, self.name = pidfile, list(defines), name
        self.env = env
        self.proc = None

    def start(self, timeout=20):
        """Start and wait until the pid file, a child and the port are
        there; raise RuntimeError when apache2 exits or does not come up."""
        args = [self.httpd, "-f", self.conf, "-DFOREGROUND"] + ["-D" + d for d in self.defines]
        if os.path.exists(self.pidfile):
            os.unlink(self.pidfile)
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, env=self.env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("apache2 (%s) exited with %s"
                                   % (self.name, self.proc.returncode))
            if os.path.exists(self.pidfile) and self.child_pids() and port_open(self.port):
                return
            time.sleep(0.05)
        raise RuntimeError("apache2 (%s) did not come up" % self.name)

    @property
    def pid(self):
        return self.proc.pid

    def child_pids(self):
        return children(self.proc.pid)

    def all_pids(self):
        return [self.proc.pid] + self.child_pids()

    def stop(self, timeout=15):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
