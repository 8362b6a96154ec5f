"""DESIGN §20 / CONTRACT §4 "No item can make a worker hang": over HTTPS with
TLS 1.3 and a client that does not offer post-handshake auth (curl, Python's
ssl), an item aimed at a location with per-directory `SSLVerifyClient require`
once made the worker spin at 100% CPU inside mod_ssl's access hook, forever.
Items run on a secondary connection (c->master set), where mod_ssl refuses
per-directory renegotiation at once with 403, in every mode: the item gets
403, the batch answers, the server goes idle. SSL variables still reach the
items (through c->master), the same in both modes and as for a direct
request (docs/concurrency.md, "HTTPS").

The class loads mod_ssl and listens on one more port: BATCH_TEST_PORT+3 when
BATCH_TEST_PORT is set, else a free one. The certificate is made at run time
with the `openssl` command (build/deps.sh installs it; Debian's apache2 ships
mod_ssl.so); the class is skipped only when one of the two is missing.

The client is http.client with an explicit SSLContext: TLS 1.3 only and
post_handshake_auth False. (requests/urllib3 and http.client's default
context both turn post-handshake auth ON, which is not the trap.)
"""
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import time

import pytest

from harness.conf import BatchConf
from harness.env import free_port

SEQ = "/tls/seq"     # BatchConcurrency 1
CONC = "/tls/conc"   # BatchConcurrency 4 (sequential under prefork)
MODES = [pytest.param(SEQ, id="seq"), pytest.param(CONC, id="conc")]

TIMEOUT = 10         # seconds a batch may take; a spinning worker never answers
CPU_WINDOW = 2.0     # seconds of idle server sampled
CPU_MAX = 0.3        # CPU seconds the whole server may use in that window

# SSL variables that must be the same for a direct request and for an item in
# either mode (same client context, so the same protocol and cipher)
SSL_KEYS = ("HTTPS", "SSL_PROTOCOL", "SSL_CIPHER", "SSL_CIPHER_USEKEYSIZE",
            "SSL_CLIENT_VERIFY", "SSL_SERVER_S_DN_CN", "SSL_VERSION_LIBRARY")

SSLVARS_LUA = """\
-- sslvars.lua (written by tests/test_860_https.py): the request's TLS view
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local json = dofile(dir .. "json.lua")

function handle(r)
    local env = r.subprocess_env
    local out = json.object(
        {"is_https", r.is_https and true or false},
        {"lookup_protocol", r:ssl_var_lookup("SSL_PROTOCOL") or json.null},
        {"lookup_cipher", r:ssl_var_lookup("SSL_CIPHER") or json.null},
        {"item_id", env["BATCH_ITEM_ID"] or json.null}%s)
    r.content_type = "application/json"
    r:puts(json.encode(out))
    return apache2.OK
end
""" % "".join(',\n        {"%s", env["%s"] or json.null}' % (k, k) for k in SSL_KEYS)

SSLENV_CGI = """\
#!%s
# sslenv.py (written by tests/test_860_https.py): SSL CGI variables as JSON
import json
import os
import sys

keys = %r
out = {k: os.environ.get(k) for k in keys}
out["item_id"] = os.environ.get("BATCH_ITEM_ID")
sys.stdout.write("Content-Type: application/json\\r\\n\\r\\n" + json.dumps(out))
"""

# what mod_ssl logs when it refuses a direct request without a client
# certificate: no PHA offered (AH10158 and OpenSSL's reason), or PHA offered
# and no certificate sent (AH02263). An item refused on its secondary
# connection logs nothing at [warn] or above.
DIRECT_REFUSAL_LOG = ["AH10158", "AH02263", "SSL Library Error: error:0A000117"]

_PORT = []


def tls_port():
    if not _PORT:
        base = os.environ.get("BATCH_TEST_PORT")
        _PORT.append(int(base) + 3 if base else free_port())
    return _PORT[0]


def make_cert(env):
    """A self-signed certificate for CN=127.0.0.1 in ROOT/conf/tls."""
    d = env.path("conf", "tls")
    os.makedirs(d, exist_ok=True)
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    if not os.path.isfile(cert):
        p = subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=127.0.0.1",
             "-addext", "subjectAltName=IP:127.0.0.1",
             # not a CA: mod_ssl warns (AH01906) about a CA server certificate
             "-addext", "basicConstraints=critical,CA:FALSE",
             "-keyout", key, "-out", cert],
            capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, "openssl req failed:\n" + p.stderr
    return cert, key


def knows_directive(env, directive):
    rc, _ = env.config_test('<Location "/__probe">\n    SetHandler batch\n    %s\n</Location>'
                            % directive)
    return rc == 0


def context(cafile, pha=False):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile)
    ctx.check_hostname = True              # the SAN carries IP:127.0.0.1
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.post_handshake_auth = pha          # the trap needs a client without PHA
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


class Reply:
    def __init__(self, status, headers, body, version, elapsed):
        self.status, self.headers, self.body = status, headers, body
        self.version, self.elapsed = version, elapsed

    def json(self):
        return json.loads(self.body)


def https(env, method, path, body=None, headers=None, pha=False, timeout=TIMEOUT):
    """One request on a fresh TLS 1.3 connection. Raises socket.timeout when
    nothing comes back in time, ssl.SSLError / OSError on TLS trouble."""
    conn = http.client.HTTPSConnection("127.0.0.1", TestHttps.port, timeout=timeout,
                                       context=context(TestHttps.cert, pha))
    h = {"X-Test-Name": env.test_name}
    h.update(headers or {})
    t0 = time.monotonic()
    try:
        conn.connect()
        version = conn.sock.version()
        conn.request(method, path, body=body, headers=h)
        resp = conn.getresponse()
        data = resp.read()
        return Reply(resp.status, dict(resp.getheaders()), data, version,
                     time.monotonic() - t0)
    finally:
        conn.close()


def wait_logged(env, n=1, timeout=3.0):
    """Wait until the access log holds n lines of the current test: with a
    client offering PHA, mod_ssl sends its alert before it logs the refusal,
    and the line must land inside this test's window."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if sum(1 for ln in env.access_log_lines() if env.test_name in ln.split()) >= n:
            return
        time.sleep(0.05)


def post_batch(env, path, urls, **kw):
    doc = {"requests": [{"id": str(i + 1), "method": "GET", "url": u}
                        for i, u in enumerate(urls)]}
    return https(env, "POST", path, body=json.dumps(doc).encode(),
                 headers={"Content-Type": "application/json"}, **kw)


# ------------------------------------------------------------ CPU accounting

def _stat(pid):
    """(ppid, utime + stime in seconds) of pid, or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rindex(")") + 2:].split()
    # fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_pids(env):
    """The parent (pid file) and its children: every apache2 of this root."""
    with open(env.pid_path) as f:
        parent = int(f.read().strip())
    pids = [parent]
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = _stat(int(name))
            if st and st[0] == parent:
                pids.append(int(name))
    return pids


def server_cpu(env, window):
    """CPU seconds used by the server's processes during `window` seconds,
    and the per-pid detail."""
    pids = server_pids(env)
    before = {p: _stat(p) for p in pids}
    time.sleep(window)
    used = {}
    for p in pids:
        a, b = before[p], _stat(p)
        if a and b:
            used[p] = round(b[1] - a[1], 2)
    return sum(used.values()), used


# ------------------------------------------------------------------- tests

class TestHttps:
    port = None
    cert = None
    concurrency = False   # the module knows BatchConcurrency

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        mod_ssl = os.path.join(env.libexecdir, "mod_ssl.so")
        if not os.path.isfile(mod_ssl):
            pytest.skip("mod_ssl.so not found at %s" % mod_ssl)
        if not shutil.which("openssl"):
            pytest.skip("the openssl command is missing (build/deps.sh installs it)")
        cert, key = make_cert(env)
        cls = type(self)
        cls.port, cls.cert = tls_port(), cert
        # a module without BatchConcurrency (the old one) still loads: both
        # locations then run items one after another
        cls.concurrency = knows_directive(env, "BatchConcurrency 4")
        with open(env.path("lua", "sslvars.lua"), "w") as f:
            f.write(SSLVARS_LUA)
        cgi = env.path("cgi", "sslenv.py")
        with open(cgi, "w") as f:
            f.write(SSLENV_CGI % (env.python, SSL_KEYS))
        os.chmod(cgi, 0o755)
        root = env.root
        # an apache2-bin built against a newer libssl3 than the installed one
        # warns at each start (harmless within OpenSSL 3.0.x); this only
        # covers the restart below, each test starts with a clean slate
        env.log.expect(["AH01882"])
        BatchConf(env).add([
            "<IfModule !socache_shmcb_module>",
            "  LoadModule socache_shmcb_module %s/mod_socache_shmcb.so" % env.libexecdir,
            "</IfModule>",
            "<IfModule !ssl_module>",
            "  LoadModule ssl_module %s" % mod_ssl,
            "</IfModule>",
            'SSLSessionCache "shmcb:%s/run/ssl_scache(512000)"' % root,
            "Listen 127.0.0.1:%d" % cls.port,
        ]).add_vhost(cls.port, [
            "ServerName 127.0.0.1",
            'DocumentRoot "%s/htdocs"' % root,
            "SSLEngine on",
            'SSLCertificateFile "%s"' % cert,
            'SSLCertificateKeyFile "%s"' % key,
            'SSLCACertificateFile "%s"' % cert,
            "SSLOptions +StdEnvVars",
            'Alias "/needcert/" "%s/htdocs/static/"' % root,
            '<Location "/needcert/">',
            "    SSLVerifyClient require",
            "    SSLVerifyDepth 1",
            "</Location>",
            '<Location "%s">' % SEQ,
            "    SetHandler batch",
        ] + (["    BatchConcurrency 1"] if cls.concurrency else []) + [
            "</Location>",
            '<Location "%s">' % CONC,
            "    SetHandler batch",
        ] + (["    BatchConcurrency 4"] if cls.concurrency else []) + [
            "</Location>",
        ]).install()

    def test_batch_860_01(self, env):
        # CONTRACT §4: the HTTPS vhost answers over TLS 1.3 (the setup the trap needs)
        r = https(env, "GET", "/static/a.txt")
        assert r.version == "TLSv1.3", r.version
        assert r.status == 200 and r.body == b"hello from a.txt\n"

    @pytest.mark.parametrize("path", MODES)
    def test_batch_860_02(self, env, path):
        # CONTRACT §4 "No item can make a worker hang": per-dir SSLVerifyClient item -> 403, batch answers
        try:
            r = post_batch(env, path, ["/needcert/a.txt", "/static/a.txt"])
        except socket.timeout:
            pytest.fail("no answer to the batch within %ds: the worker is stuck in "
                        "mod_ssl's access hook (DESIGN §20)" % TIMEOUT)
        assert r.status == 200, (r.status, r.body[:2000])
        rs = r.json()["responses"]
        assert [(x["id"], x["status"]) for x in rs] == [("1", 403), ("2", 200)], rs
        assert rs[1]["body"] == "hello from a.txt\n", rs[1]
        assert r.elapsed < TIMEOUT

    @pytest.mark.parametrize("path", MODES)
    def test_batch_860_03(self, env, path):
        # CONTRACT §4 "No item can make a worker hang": after the refused item the server is idle
        outcome = "no answer within %ds" % TIMEOUT
        try:
            r = post_batch(env, path, ["/needcert/a.txt", "/static/a.txt"])
            outcome = "%d %s" % (r.status, r.body[:300])
        except socket.timeout:
            pass
        time.sleep(0.3)
        used, detail = server_cpu(env, CPU_WINDOW)
        print("apache2 CPU in %.1f s idle: %.2f s %s; batch: %s"
              % (CPU_WINDOW, used, detail, outcome[:40]))
        assert used < CPU_MAX, ("apache2 used %.2f CPU seconds in %.1f s of idle time "
                                "(per pid: %s); batch: %s"
                                % (used, CPU_WINDOW, detail, outcome))

    @pytest.mark.parametrize("pha", [False, True], ids=["nopha", "pha"])
    def test_batch_860_04(self, env, pha):
        # CONTRACT §4: a direct request without a client certificate fails (mod_ssl's own behaviour)
        env.expect_log(DIRECT_REFUSAL_LOG)
        try:
            r = https(env, "GET", "/needcert/a.txt", pha=pha)
        except socket.timeout:
            pytest.fail("no answer to a direct request within %ds" % TIMEOUT)
        except (ssl.SSLError, ConnectionError, http.client.HTTPException):
            # e.g. TLS 1.3 with PHA: the server asks for a certificate and
            # ends the connection with an alert when none comes
            wait_logged(env)
            return
        wait_logged(env)
        assert r.status == 403, (r.status, r.body[:300])

    @pytest.mark.parametrize("path", MODES)
    def test_batch_860_05(self, env, path):
        # CONTRACT §4: a client offering PHA gets the same refusal, and the batch answers
        try:
            r = post_batch(env, path, ["/needcert/a.txt", "/static/a.txt"], pha=True)
        except socket.timeout:
            pytest.fail("no answer to the batch within %ds (client with PHA)" % TIMEOUT)
        finally:
            wait_logged(env)
        assert r.status == 200, (r.status, r.body[:2000])
        rs = r.json()["responses"]
        assert [(x["id"], x["status"]) for x in rs] == [("1", 403), ("2", 200)], rs

    def test_batch_860_06(self, env):
        # CONCURRENCY §6 mod_ssl: SSL variables reach items identically in both modes and as direct requests
        direct = {}
        for p in ("/lua/sslvars.lua", "/cgi/sslenv.py"):
            r = https(env, "GET", p)
            assert r.status == 200, (p, r.status, r.body[:500])
            direct[p] = r.json()
        lua, cgi = direct["/lua/sslvars.lua"], direct["/cgi/sslenv.py"]
        assert lua["is_https"] is True and lua["lookup_protocol"] == "TLSv1.3", lua
        assert lua["HTTPS"] == "on" and lua["SSL_PROTOCOL"] == "TLSv1.3", lua
        assert lua["SSL_CLIENT_VERIFY"] == "NONE" and lua["SSL_SERVER_S_DN_CN"] == "127.0.0.1"
        assert cgi["HTTPS"] == "on" and cgi["SSL_PROTOCOL"] == "TLSv1.3", cgi
        for path in (SEQ, CONC):
            r = post_batch(env, path, ["/lua/sslvars.lua", "/cgi/sslenv.py"])
            assert r.status == 200, (path, r.status, r.body[:2000])
            rs = r.json()["responses"]
            assert [x["status"] for x in rs] == [200, 200], (path, rs)
            for x, want in zip(rs, (lua, cgi)):
                got = x["body"]
                assert got["item_id"] == x["id"], (path, got)
                for k in want:
                    if k != "item_id":
                        assert got.get(k) == want[k], (path, x["id"], k, got.get(k), want[k])
