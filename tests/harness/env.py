"""The test environment: paths, ports, the private server root, and the
lifecycle of Debian's apache2 started from it (never /etc/apache2).

    env = HttpdEnv(); env.setup(); env.start()
    ...  env.restart()  ...  env.config_test(extra_conf)  ...
    env.stop(); env.cleanup()

Configuration comes from tests/config.ini (written by configure), falling
back to Debian defaults when it is missing. Environment overrides:

  BATCH_MODULE=/path/mod_batch.so   the module to load (default: config.ini,
                                    then BUILDDIR/.libs/mod_batch.so)
  BATCH_TEST_PORT=N                 use ports N, N+1, N+2 instead of free ones
  BATCH_TEST_KEEP=1                 keep the server root after the session
  BATCH_TEST_LOGLEVEL=debug|trace4  LogLevel batch:LEVEL (as -v / -vv do)
  MPM=event|worker|prefork          the MPM (default event)
  BATCH_TEST_CONCURRENCY=N          BatchConcurrency N on the standard batch
                                    locations (/batch, /v1.0/$batch), so the
                                    whole suite runs its items concurrently
  BATCH_HTTPD_PRELOAD=lib.so        LD_PRELOAD for apache2 only (sanitizers);
                                    ASan/UBSan report files named by log_path=
                                    in ASAN_OPTIONS/UBSAN_OPTIONS fail the test
                                    during which they appear (build/sanitize.sh)
  BATCH_TEST_VALGRIND=1             run `apache2 -X` under valgrind memcheck
                                    (build/valgrind.sh); a restart is a stop
                                    and a start. BATCH_VALGRIND_LOG_DIR: where
                                    valgrind.PID.log go (default ROOT/logs),
                                    BATCH_VALGRIND_ARGS: extra valgrind options
  BATCH_TEST_NO_MODULE=1            harness self-test: run without mod_batch
"""
import configparser
import glob
import os
import shutil
import socket
import string
import subprocess
import tempfile
import time

import requests

from .log import ErrorLog
from .procs import free_port, gen_text  # noqa: F401 (tests import them from here)

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC_DIR = os.path.dirname(TESTS_DIR)

# Generated static fixtures: name -> size in bytes (text, a newline every 64).
GENERATED = {
    "1k.txt": 1024,
    "100k.txt": 100 * 1024,
    "1m.txt": 1024 * 1024,          # exactly the default BatchMaxResponseSize
    "1m1.txt": 1024 * 1024 + 1,     # one byte over it
    "2m.txt": 2 * 1024 * 1024,
}

HTPASSWD_USERS = {"alice": "secret", "bob": "builder"}


class HttpdError(Exception):
    pass


def _read_config():
    cp = configparser.ConfigParser(interpolation=None)
    candidates = [os.environ.get("BATCH_TEST_CONFIG"),
                  os.path.join(os.getcwd(), "tests", "config.ini"),
                  os.path.join(TESTS_DIR, "config.ini")]
    for path in candidates:
        if path and os.path.isfile(path):
            cp.read(path)
            return dict(cp["global"]) if cp.has_section("global") else {}, path
    return {}, None


class HttpdEnv:
    """One apache2 server from a private root under /tmp, for a whole session."""

    def __init__(self, verbosity=0):
        cfg, self.config_path = _read_config()
        self.httpd = cfg.get("httpd") or "/usr/sbin/apache2"
        self.apxs = cfg.get("apxs") or "/usr/bin/apxs"
        self.libexecdir = cfg.get("libexecdir") or "/usr/lib/apache2/modules"
        self.srcdir = cfg.get("srcdir") or SRC_DIR
        self.builddir = cfg.get("builddir") or (
            os.getcwd() if os.path.isdir(os.path.join(os.getcwd(), ".libs")) else SRC_DIR)
        self.python = cfg.get("python") or "/usr/bin/python3"
        self.module = (os.environ.get("BATCH_MODULE") or cfg.get("module")
                       or os.path.join(self.builddir, ".libs", "mod_batch.so"))
        self.no_module = os.environ.get("BATCH_TEST_NO_MODULE") == "1"
        self.mpm = os.environ.get("MPM", "event")
        self.std_concurrency = int(os.environ.get("BATCH_TEST_CONCURRENCY", "0") or 0)
        if self.mpm not in ("event", "worker", "prefork"):
            raise HttpdError("MPM must be event, worker or prefork, not %r" % self.mpm)
        level = os.environ.get("BATCH_TEST_LOGLEVEL")
        if not level and verbosity >= 2:
            level = "trace4"
        elif not level and verbosity >= 1:
            level = "debug"
        self.batch_loglevel = level or "info"
        self.keep = os.environ.get("BATCH_TEST_KEEP") == "1"
        base = os.environ.get("BATCH_TEST_PORT")
        if base:
            self.port, self.port2, self.port3 = int(base), int(base) + 1, int(base) + 2
        else:
            self.port, self.port2, self.port3 = free_port(), free_port(), free_port()
        self.root = None
        self.log = None
        self.gen = 0
        self.test_name = "-"
        self.conf_dirty = False       # test.conf differs from the default
        self.class_installed = False  # the current class installed its own conf
        self.installed_text = (True, "")  # (std, test.conf body) now live
        self.pyb = None               # the Python backend, set by conftest
        self._clients = []
        self.valgrind = os.environ.get("BATCH_TEST_VALGRIND") == "1"
        self._vg_proc = None          # the valgrind'ed apache2 -X
        self.valgrind_rc = None       # its exit status (99: memcheck errors)
        self._san_seen = set()        # sanitizer report files already reported

    # ------------------------------------------------------------------ paths

    @property
    def has_module(self):
        return not self.no_module and os.path.isfile(self.module)

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    @property
    def conf_path(self):
        return self.path("conf", "httpd.conf")

    @property
    def pid_path(self):
        return self.path("run", "httpd.pid")

    @property
    def error_log_path(self):
        return self.path("logs", "error.log")

    @property
    def access_log_path(self):
        return self.path("logs", "access.log")

    def url(self, path="/", port=None):
        return "http://127.0.0.1:%d%s" % (port or self.port, path)

    # ------------------------------------------------------------ server root

    def setup(self):
        """Create the server root with fixtures, htpasswd and configs."""
        if self.root:
            return
        self.root = tempfile.mkdtemp(prefix="mod_batch-", dir="/tmp")
        os.chmod(self.root, 0o755)
        for sub in ("conf", "logs", "run"):
            os.makedirs(self.path(sub), mode=0o755)
        for sub in ("htdocs", "cgi", "lua"):
            shutil.copytree(os.path.join(TESTS_DIR, sub), self.path(sub))
        for dirpath, dirnames, filenames in os.walk(self.root):
            os.chmod(dirpath, 0o755)
            for f in filenames:
                p = os.path.join(dirpath, f)
                os.chmod(p, 0o755 if dirpath == self.path("cgi") else 0o644)
        for name, size in GENERATED.items():
            with open(self.path("htdocs", "static", name), "wb") as f:
                f.write(gen_text(size))
        shutil.copy(self.path("lua", "echo.lua"), self.path("htdocs", "private", "echo.lua"))
        shutil.copy(self.path("lua", "json.lua"), self.path("htdocs", "private", "json.lua"))
        self._write_htpasswd()
        with open(self.path("conf", "test.conf"), "w") as f:
            f.write("# per-class configuration, written by BatchConf.install()\n")
        self.write_batch_conf(True)
        self._write_gen()
        with open(self.conf_path, "w") as f:
            f.write(self.render_conf(self.path("conf", "test.conf")))
        self.log = ErrorLog(self.error_log_path)

    def _write_htpasswd(self):
        path = self.path("conf", "htpasswd")
        htpasswd = shutil.which("htpasswd")
        first = True
        for user, pw in HTPASSWD_USERS.items():
            if htpasswd:
                subprocess.run([htpasswd, "-bB" + ("c" if first else ""), path, user, pw],
                               check=True, capture_output=True)
            else:  # apache accepts {SHA} entries everywhere
                import base64
                import hashlib
                digest = base64.b64encode(hashlib.sha1(pw.encode()).digest()).decode()
                with open(path, "a") as f:
                    f.write("%s:{SHA}%s\n" % (user, digest))
            first = False
        os.chmod(path, 0o644)

    def std_batch_conf(self):
        extra = ""
        if self.std_concurrency:
            extra = "    BatchConcurrency %d\n" % self.std_concurrency
        return ('<Location "/batch">\n'
                '    SetHandler batch\n' + extra +
                '</Location>\n'
                '<Location "/v1.0/$batch">\n'
                '    SetHandler batch\n'
                '    BatchBase /v1.0\n' + extra +
                '</Location>\n')

    def write_batch_conf(self, std=True):
        with open(self.path("conf", "batch.conf"), "w") as f:
            f.write("# the standard batch locations (BatchConf(env, std=False) empties this)\n")
            if std:
                f.write(self.std_batch_conf())

    def _write_gen(self):
        with open(self.path("conf", "gen.conf"), "w") as f:
            f.write('Redirect 307 "/__gen" "http://gen.invalid/%d"\n' % self.gen)

    def render_conf(self, test_conf):
        with open(os.path.join(TESTS_DIR, "conf", "httpd.conf.in")) as f:
            tpl = string.Template(f.read())
        load = ""
        level = "warn"
        if self.has_module:
            load = "LoadModule batch_module %s" % self.module
            level = "warn batch:%s" % self.batch_loglevel
        user_group = ""
        if os.geteuid() == 0:
            user_group = "User www-data\nGroup www-data"
        return tpl.substitute(root=self.root, port=self.port, port2=self.port2,
                              port3=self.port3, mpm=self.mpm, libexecdir=self.libexecdir,
                              load_batch=load, loglevel=level, user_group=user_group,
                              test_conf=test_conf)

    # --------------------------------------------------------------- commands

    def _env(self):
        e = {k: v for k, v in os.environ.items() if not k.startswith("APACHE_")}
        e["LANG"] = "C"
        pre = os.environ.get("BATCH_HTTPD_PRELOAD")
        if pre:
            e["LD_PRELOAD"] = pre
        return e

    def apachectl(self, *args, conf=None, timeout=60):
        cmd = [self.httpd, "-d", self.root, "-f", conf or self.conf_path] + list(args)
        p = subprocess.run(cmd, capture_output=True, text=True, env=self._env(),
                           timeout=timeout)
        return p.returncode, (p.stdout + p.stderr)

    def config_test(self, extra_conf):
        """Run `apache2 -t` on the base config with extra_conf in place of
        test.conf; the running server is not touched. Returns (rc, output)."""
        fd, extra = tempfile.mkstemp(prefix="cfgtest-", suffix=".conf",
                                     dir=self.path("conf"))
        with os.fdopen(fd, "w") as f:
            f.write(extra_conf if extra_conf.endswith("\n") else extra_conf + "\n")
        conf = extra[:-5] + "-httpd.conf"
        with open(conf, "w") as f:
            f.write(self.render_conf(extra))
        try:
            return self.apachectl("-t", conf=conf)
        finally:
            if not self.keep:
                os.unlink(extra)
                os.unlink(conf)

    def loaded_modules(self):
        rc, out = self.apachectl("-M")
        return out if rc == 0 else ""

    # -------------------------------------------------------------- lifecycle

    def _gen_live(self, timeout=0.5):
        try:
            r = requests.get(self.url("/__gen"), allow_redirects=False, timeout=timeout,
                             headers={"X-Test-Name": "harness-gen-check"})
        except requests.RequestException:
            return None
        loc = r.headers.get("Location", "")
        if r.status_code == 307 and loc.startswith("http://gen.invalid/"):
            return int(loc.rsplit("/", 1)[1])
        return None

    def _wait(self, pred, timeout, what):
        end = time.time() + timeout
        while time.time() < end:
            if pred():
                return
            time.sleep(0.05)
        raise HttpdError("timed out after %ss waiting for %s; error log tail:\n%s"
                         % (timeout, what, self.log.tail() if self.log else ""))

    def _pid(self):
        try:
            with open(self.pid_path) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def is_running(self):
        pid = self._pid()
        if not pid:
            return False
        try:
            os.kill(pid, 0)
            return True
        except OSError:
            return False

    def _start_valgrind(self, timeout):
        # apache2 -X under memcheck: one process that stays in the
        # foreground; it drops to www-data, so the pid file it cannot remove
        # is removed here after it exits.
        logdir = os.environ.get("BATCH_VALGRIND_LOG_DIR") or self.path("logs")
        os.makedirs(logdir, exist_ok=True)
        supp = os.path.join(TESTS_DIR, "valgrind.supp")
        cmd = ["valgrind", "--tool=memcheck", "--error-exitcode=99",
               "--track-origins=yes", "--num-callers=30",
               "--log-file=" + os.path.join(logdir, "valgrind.%p.log")]
        if os.path.isfile(supp):
            cmd.append("--suppressions=" + supp)
        cmd += os.environ.get("BATCH_VALGRIND_ARGS", "").split()
        cmd += [self.httpd, "-X", "-d", self.root, "-f", self.conf_path]
        with open(self.path("logs", "valgrind.out"), "ab") as out:
            self._vg_proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, env=self._env())
        self._wait(lambda: self._gen_live(timeout=2) == self.gen
                   or self._vg_proc.poll() is not None,
                   max(timeout, 120), "apache2 -X under valgrind to answer")
        if self._vg_proc.poll() is not None:
            raise HttpdError("apache2 -X under valgrind exited (%d):\n%s"
                             % (self._vg_proc.returncode, self.log.tail()))

    def _stop_valgrind(self, timeout):
        proc, self._vg_proc = self._vg_proc, None
        if proc.poll() is None:
            self.apachectl("-k", "stop")
            try:
                proc.wait(max(timeout, 120))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if os.path.exists(self.pid_path):
            os.unlink(self.pid_path)
        self.valgrind_rc = proc.returncode

    def start(self, timeout=15):
        before = self.log.size()
        if self.valgrind:
            self._start_valgrind(timeout)
            self._check_lifecycle_log(before, "start")
            return
        rc, out = self.apachectl("-k", "start")
        if rc != 0:
            raise HttpdError("apache2 -k start failed (%d):\n%s\n%s" % (rc, out, self.log.tail()))
        self._wait(lambda: self._gen_live() == self.gen, timeout, "the server to answer")
        self._check_lifecycle_log(before, "start")

    def stop(self, timeout=15):
        if self._vg_proc is not None:
            return self._stop_valgrind(timeout)
        if not self.root or not self.is_running():
            return
        rc, out = self.apachectl("-k", "stop")
        if rc != 0:
            raise HttpdError("apache2 -k stop failed (%d): %s" % (rc, out))
        self._wait(lambda: not os.path.exists(self.pid_path), timeout,
                   "the pid file to go")

        def refused():
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return False
            except OSError:
                return True
        self._wait(refused, timeout, "the port to close")

    def restart(self, graceful=True, timeout=15):
        """Reload the config (graceful by default) and wait until the new
        generation answers. A config error raises HttpdError and leaves the
        old server running."""
        self.gen += 1
        self._write_gen()
        before = self.log.size()
        if self._vg_proc is not None:
            # -X exits on a restart signal: stop and start a new one
            self._stop_valgrind(timeout)
        if not self.is_running():
            self.start(timeout)
            for c in self._clients:
                c.reset()
            return
        rc, out = self.apachectl("-k", "graceful" if graceful else "restart")
        if rc != 0:
            raise HttpdError("apache2 -k %s failed (%d):\n%s"
                             % ("graceful" if graceful else "restart", rc, out))
        self._wait(lambda: self._gen_live() == self.gen, timeout,
                   "generation %d to answer" % self.gen)
        for c in self._clients:
            c.reset()
        self._check_lifecycle_log(before, "restart")

    def _check_lifecycle_log(self, offset, what):
        bad = self.log.unexpected(offset=offset)
        if bad:
            raise HttpdError("error log after %s:\n%s" % (what, "\n".join(bad)))

    def cleanup(self):
        if self.root and not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)

    # ------------------------------------------------------------------ tests

    def expect_log(self, patterns):
        """Declare error-log lines the current test may produce: substrings
        or regular expressions (str or re.Pattern), e.g. ["AH01630"]."""
        self.log.expect(patterns)

    def sanitizer_reports(self):
        """ASan/UBSan report files that appeared since the last call, as
        (path, text): the log_path= prefixes of ASAN_OPTIONS and
        UBSAN_OPTIONS, plus any file named PREFIX.PID. Empty unless
        build/sanitize.sh (or the user) set a log_path."""
        found = []
        for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
            for opt in os.environ.get(var, "").split(":"):
                if not opt.startswith("log_path="):
                    continue
                prefix = opt[len("log_path="):]
                for path in sorted(glob.glob(glob.escape(prefix) + ".*")):
                    if path in self._san_seen:
                        continue
                    self._san_seen.add(path)
                    try:
                        with open(path, errors="replace") as f:
                            found.append((path, f.read()))
                    except OSError:
                        found.append((path, ""))
        return found

    def register_client(self, client):
        self._clients.append(client)

    def access_log_lines(self):
        try:
            with open(self.access_log_path, errors="replace") as f:
                return f.read().splitlines()
        except OSError:
            return []
