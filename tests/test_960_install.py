"""Installing mod_batch as an httpd module (CONTRACT §1): `make install`
(apxs -i, honouring DESTDIR) with batch.load and batch.conf for a2enmod,
and the Debian package libapache2-mod-batch.

test_batch_960_03 builds the .deb from a scratch clone of the sources
(`dpkg-buildpackage -us -uc -b`), installs it on this machine with
`dpkg -i`, runs `a2enmod batch` and `apache2ctl -t`, starts a separate
apache2 from a private server root that includes the enabled batch.load and
batch.conf, sends one batch, then `a2dismod batch` and `dpkg --purge`. It
needs root and the packaging tools (build/deps.sh installs them), and
skips, saying why, without them. It never replaces or removes a mod_batch
that was installed before it ran.
"""
import contextlib
import errno
import fcntl
import glob
import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest
import requests

from harness.env import free_port
from harness.log import ErrorLog

PKG = "libapache2-mod-batch"
SYS_CONF = "/etc/apache2"
LOCK_PATH = "/run/lock/mod_batch-test-960.lock" if os.path.isdir("/run/lock") \
    else "/tmp/mod_batch-test-960.lock"

# A commented configuration line in batch.conf: "#" directly followed by a
# directive or section ("#<Location", "#BatchThreads") or by indentation
# ("#    SetHandler"). Prose comments are "# text".
CONF_LINE_RE = re.compile(r"^#(?=[^\s#]|\s{4})")

# Build outputs left by an in-tree build; not copied when there is no git.
COPY_IGNORE = shutil.ignore_patterns(
    ".git", "Makefile", "Makefile.in", "aclocal.m4", "autom4te.cache", "config.log",
    "config.status", "configure", "configure~", "libtool", "mod_batch-*", "*.o", "*.lo",
    "*.la", ".libs", ".deps", ".dirstamp", "*.log", "*.trs", "__pycache__", "*.pyc",
    ".pytest_cache", "node_modules", "config.ini", "batch_version.h", "batch.load",
    "unit_tests")


def clean_env():
    """The environment for make, dpkg and apache2: no make jobserver or
    flags from an outer `make check`, no APACHE_* from the caller."""
    drop = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "DESTDIR")
    e = {k: v for k, v in os.environ.items()
         if k not in drop and not k.startswith("APACHE_")}
    e["LANG"] = "C"
    e["LC_ALL"] = "C"
    e["DEBIAN_FRONTEND"] = "noninteractive"
    path = e.get("PATH", "/usr/bin:/bin")
    for d in ("/usr/sbin", "/sbin"):
        if d not in path.split(":"):
            path += ":" + d
    e["PATH"] = path
    return e


def run(cmd, cwd=None, timeout=300, check=True):
    p = subprocess.run(cmd, cwd=cwd, env=clean_env(), capture_output=True, text=True,
                       timeout=timeout)
    out = p.stdout + p.stderr
    if check:
        assert p.returncode == 0, "%s failed (%d):\n%s" % (" ".join(cmd), p.returncode,
                                                         out[-6000:])
    return p.returncode, out


def uncomment_examples(text):
    return "".join(CONF_LINE_RE.sub("", ln) for ln in text.splitlines(True))


def implemented_directives(srcdir):
    with open(os.path.join(srcdir, "batch_config.c")) as f:
        src = f.read()
    return sorted(set(re.findall(r'AP_INIT_\w+\(\s*"(Batch\w+)"', src)))


def which(cmd):
    return shutil.which(cmd, path=clean_env()["PATH"])


def dpkg_status(pkg):
    p = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], env=clean_env(),
                       capture_output=True, text=True)
    return p.stdout.strip() if p.returncode == 0 else ""


def dpkg(args, timeout=180):
    """dpkg with the lock waited for: another apt/dpkg (build/deps.sh of a
    parallel run) may hold it for a while."""
    end = time.time() + timeout
    while True:
        rc, out = run(["dpkg"] + args, timeout=timeout, check=False)
        if rc == 0 or "lock" not in out or time.time() > end:
            assert rc == 0, "dpkg %s failed (%d):\n%s" % (" ".join(args), rc, out)
            return out
        time.sleep(2)


@contextlib.contextmanager
def machine_lock(timeout=600):
    """Serialise the package test between test runs on one machine: each
    installs and purges the same package."""
    with open(LOCK_PATH, "w") as f:
        end = time.time() + timeout
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as x:
                if x.errno not in (errno.EAGAIN, errno.EACCES) or time.time() > end:
                    raise
                time.sleep(1)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def scratch_source(srcdir, dest):
    """What CI sees: a clone of the committed sources (a copy without
    build outputs when srcdir is not a git checkout)."""
    git = which("git")
    top = subprocess.run([git, "-C", srcdir, "rev-parse", "--show-toplevel"],
                         capture_output=True, text=True) if git else None
    # srcdir must be the top of its own checkout: a copy inside another
    # checkout (build/sanitize.sh's build-asan/src) is not one
    if top is not None and top.returncode == 0 \
            and os.path.realpath(top.stdout.strip()) == os.path.realpath(srcdir):
        run([git, "clone", "-q", srcdir, dest])
    else:
        shutil.copytree(srcdir, dest, ignore=COPY_IGNORE, symlinks=True)
    return dest


class PackagedServer:
    """apache2 from a private server root that loads mod_batch only through
    the system's /etc/apache2/mods-enabled/batch.load (the package's)."""

    def __init__(self, httpd, libexecdir):
        self.httpd = httpd
        self.libexecdir = libexecdir
        self.root = tempfile.mkdtemp(prefix="mod_batch-960-", dir="/tmp")
        os.chmod(self.root, 0o755)
        self.port = free_port()
        self.conf = os.path.join(self.root, "conf", "httpd.conf")
        self.pid = os.path.join(self.root, "run", "httpd.pid")
        self.error_log = ErrorLog(os.path.join(self.root, "logs", "error.log"))

    def path(self, *p):
        return os.path.join(self.root, *p)

    def setup(self, examples):
        for d in ("conf", "logs", "run", "htdocs/v1.0"):
            os.makedirs(self.path(d), mode=0o755, exist_ok=True)
            os.chmod(self.path(d), 0o755)
        with open(self.path("htdocs", "a.txt"), "w") as f:
            f.write("hello from the package\n")
        with open(self.path("htdocs", "v1.0", "me.json"), "w") as f:
            f.write('{"displayName": "pkg"}\n')
        with open(self.path("conf", "examples.conf"), "w") as f:
            f.write(examples)
        mods = self.libexecdir
        user = "User www-data\nGroup www-data\n" if os.geteuid() == 0 else ""
        with open(self.conf, "w") as f:
            f.write(f"""ServerRoot "{self.root}"
DefaultRuntimeDir "{self.root}/run"
PidFile "{self.pid}"
Mutex file:{self.root}/run default
ErrorLog "{self.root}/logs/error.log"
LogLevel warn
ServerName 127.0.0.1:{self.port}
Listen 127.0.0.1:{self.port}
{user}LoadModule mpm_event_module {mods}/mod_mpm_event.so
LoadModule authz_core_module {mods}/mod_authz_core.so
LoadModule mime_module {mods}/mod_mime.so
TypesConfig /etc/mime.types
DocumentRoot "{self.root}/htdocs"
<Directory "{self.root}/htdocs">
    Require all granted
</Directory>
# what a2enmod enabled: the package's batch.load and batch.conf
Include {SYS_CONF}/mods-enabled/batch.load
Include {SYS_CONF}/mods-enabled/batch.conf
# the examples of the installed batch.conf, uncommented
Include "{self.root}/conf/examples.conf"
""")

    def ctl(self, *args, check=True):
        return run([self.httpd, "-d", self.root, "-f", self.conf] + list(args),
                   timeout=60, check=check)

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def start(self):
        self.ctl("-k", "start")
        end = time.time() + 15
        while time.time() < end:
            try:
                if requests.get(self.url("/a.txt"), timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise AssertionError("the packaged server did not answer:\n"
                             + self.error_log.tail())

    def stop(self):
        if not os.path.exists(self.pid):
            return
        self.ctl("-k", "stop", check=False)
        end = time.time() + 15
        while os.path.exists(self.pid) and time.time() < end:
            time.sleep(0.1)

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)


class TestInstall:

    def test_batch_960_01(self, env, tmp_path):
        # CONTRACT §1: make install (apxs -i, DESTDIR) installs mod_batch.so and a2enmod files
        if not os.path.isfile(os.path.join(env.builddir, "Makefile")):
            pytest.skip("no configured build directory at %s" % env.builddir)
        dest = str(tmp_path / "dest")
        run(["make", "-C", env.builddir, "install", "DESTDIR=" + dest], timeout=300)
        so = dest + env.libexecdir + "/mod_batch.so"
        assert os.path.isfile(so), sorted(glob.glob(dest + "/**", recursive=True))
        assert not os.path.exists(dest + env.libexecdir + "/mod_batch.la")
        with open(so, "rb") as f:
            assert f.read(4) == b"\x7fELF"
        if not os.path.isdir(os.path.join(SYS_CONF, "mods-available")):
            pytest.skip("no %s/mods-available here: batch.load/batch.conf are "
                        "installed on Debian layouts only" % SYS_CONF)
        avail = dest + SYS_CONF + "/mods-available"
        with open(os.path.join(avail, "batch.load")) as f:
            load = f.read()
        # the path httpd will load, without the DESTDIR
        assert re.search(r"^LoadModule batch_module %s/mod_batch\.so$"
                         % re.escape(env.libexecdir), load, re.M), load
        assert dest not in load
        with open(os.path.join(avail, "batch.conf")) as f, \
                open(os.path.join(env.srcdir, "conf", "batch.conf")) as g:
            assert f.read() == g.read()
        # and make uninstall takes them away again
        run(["make", "-C", env.builddir, "uninstall", "DESTDIR=" + dest], timeout=120)
        left = [p for p in glob.glob(dest + "/**", recursive=True) if os.path.isfile(p)]
        assert left == []

    def test_batch_960_02(self, env):
        # CONTRACT §1/§2: batch.conf shows every directive commented; its examples are valid
        with open(os.path.join(env.srcdir, "conf", "batch.conf")) as f:
            text = f.read()
        active = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
        assert active == [], "batch.conf must change nothing until edited: %r" % active
        examples = uncomment_examples(text)
        assert '<Location "/batch">' in examples
        assert '<Location "/v1.0/$batch">' in examples
        assert re.search(r"^\s+BatchBase /v1\.0$", examples, re.M)
        for name in implemented_directives(env.srcdir):
            assert re.search(r"^\s*%s\s" % name, examples, re.M), \
                "batch.conf does not show %s" % name
        # each shown at the default that docs/directives.md gives
        docs = os.path.join(env.srcdir, "docs", "directives.md")
        if os.path.isfile(docs):
            with open(docs) as f:
                defaults = re.findall(r"^\| Default: \| `(Batch[^`]*)` \|$", f.read(), re.M)
            for d in defaults:
                assert re.search(r"^\s*%s$" % re.escape(d), examples, re.M), \
                    "batch.conf does not show the default %r" % d
        rc, out = env.config_test(examples)
        assert rc == 0, out

    def test_batch_960_03(self, env, tmp_path):
        # CONTRACT §1: the Debian package installs the module; a2enmod batch + apache2ctl work
        tools = ["dpkg-buildpackage", "dh", "dh_apache2", "dpkg", "dpkg-deb", "dpkg-query",
                 "a2enmod", "a2dismod", "apache2ctl"]
        missing = [t for t in tools if not which(t)]
        if missing:
            pytest.skip("Debian packaging tools missing (%s): bash build/deps.sh "
                        "installs them" % " ".join(missing))
        if os.geteuid() != 0:
            pytest.skip("installing the package with dpkg -i needs root")
        if not os.path.isfile(os.path.join(env.srcdir, "debian", "control")):
            pytest.skip("no debian/ in %s" % env.srcdir)
        with machine_lock():
            self._package_flow(env, tmp_path)

    def _package_flow(self, env, tmp_path):
        so = os.path.join(env.libexecdir, "mod_batch.so")
        avail = os.path.join(SYS_CONF, "mods-available")
        enabled = os.path.join(SYS_CONF, "mods-enabled")
        if dpkg_status(PKG):
            pytest.skip("%s is already known to dpkg here (%s): the test does not "
                        "replace it; dpkg --purge %s to run it"
                        % (PKG, dpkg_status(PKG), PKG))
        for p in (so, os.path.join(avail, "batch.load"), os.path.join(avail, "batch.conf")):
            if os.path.lexists(p):
                pytest.skip("%s exists (make install?): the test does not replace it" % p)

        # build the .deb from a scratch clone, as `dpkg-buildpackage` in CI would
        src = scratch_source(env.srcdir, str(tmp_path / "src"))
        run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src, timeout=600)
        debs = glob.glob(str(tmp_path / (PKG + "_*.deb")))
        assert len(debs) == 1, os.listdir(tmp_path)
        deb = debs[0]
        _, contents = run(["dpkg-deb", "-c", deb])
        for f in ("." + so, "./etc/apache2/mods-available/batch.load",
                  "./etc/apache2/mods-available/batch.conf"):
            assert " %s" % f in contents, contents
        _, depends = run(["dpkg-deb", "-f", deb, "Depends"])
        assert "apache2-api-" in depends, depends

        sys_ok_before = run(["apache2ctl", "-t"], check=False)[0] == 0
        server = None
        try:
            dpkg(["-i", deb])
            assert dpkg_status(PKG) == "install ok installed"
            assert os.path.isfile(so)
            with open(os.path.join(avail, "batch.load")) as f:
                assert "LoadModule batch_module %s" % so in f.read()
            with open(os.path.join(avail, "batch.conf")) as f:
                installed_conf = f.read()

            # the sysadmin's flow: a2enmod batch, then apache2ctl -t / graceful
            run(["a2enmod", "batch"])
            for f in ("batch.load", "batch.conf"):
                assert os.path.realpath(os.path.join(enabled, f)) == os.path.join(avail, f)
            if sys_ok_before:
                _, out = run(["apache2ctl", "-t"])
                assert "Syntax OK" in out, out
                _, out = run(["apache2ctl", "-M"])
                assert "batch_module (shared)" in out, out

            # a separate apache2 with the enabled files and the examples on
            server = PackagedServer(env.httpd, env.libexecdir)
            server.setup(uncomment_examples(installed_conf))
            _, out = server.ctl("-t")
            server.start()
            r = requests.post(server.url("/batch"), timeout=30, json={"requests": [
                {"id": "1", "method": "GET", "url": "/a.txt"}]})
            assert r.status_code == 200, r.text
            item = r.json()["responses"][0]
            assert (item["id"], item["status"]) == ("1", 200), item
            assert item["body"] == "hello from the package\n"
            r = requests.post(server.url("/v1.0/$batch"), timeout=30, json={"requests": [
                {"id": "me", "method": "GET", "url": "/me.json"}]})
            assert r.status_code == 200, r.text
            item = r.json()["responses"][0]
            assert (item["id"], item["status"]) == ("me", 200), item
            assert item["body"] == {"displayName": "pkg"}
            server.stop()
            bad = server.error_log.unexpected(offset=0)
            assert bad == [], "\n".join(bad)
        finally:
            if server:
                server.stop()
                server.cleanup()
            if dpkg_status(PKG):
                run(["a2dismod", "-q", "batch"], check=False)
                dpkg(["--purge", PKG])

        assert dpkg_status(PKG) in ("", "unknown ok not-installed")
        for p in (so, os.path.join(avail, "batch.load"), os.path.join(avail, "batch.conf"),
                  os.path.join(enabled, "batch.load"), os.path.join(enabled, "batch.conf")):
            assert not os.path.lexists(p), p
