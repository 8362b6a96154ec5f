"""pytest fixtures for mod_batch: one real apache2 (Debian's) per session,
started from a private server root under /tmp with the freshly built
.libs/mod_batch.so (never the installed copy).

Run from the build directory:  /usr/bin/python3 -m pytest -ra tests/
  -v / -vv                     LogLevel batch:debug / batch:trace4
  BATCH_TEST_KEEP=1            keep the server root (path printed at the end)
  MPM=worker|prefork           another MPM (default event)
  BATCH_MODULE=/x/mod_batch.so another module build
  BATCH_TEST_PORT=N            ports N (front), N+1 (backend vhost), N+2 (pyb)

Fixtures
  env      HttpdEnv (tests/harness/env.py): env.port/port2/port3, env.root,
           env.path(...), env.restart(), env.config_test(text) -> (rc, output),
           env.expect_log([...]), env.pyb (the Python backend), env.log
  client   Client (tests/harness/client.py): post_batch(items, headers=None,
           path="/batch"), batch_ok(items), get/post/request, raw(bytes),
           raw_request(method, path, headers, body, chunked=...)
  pyb      the Python backend: pyb.count() / pyb.hits, pyb.requests
  Per class: BatchConf(env).add_location(...).add(...).install() in a
  class-scoped autouse fixture (tests/harness/conf.py).
  Per test: X-Test-Name is set; afterwards new error-log lines at [warn] or
  above, or crash markers, fail the test unless declared with env.expect_log;
  so do new ASan/UBSan report files (log_path= in ASAN_OPTIONS/UBSAN_OPTIONS,
  build/sanitize.sh).

Markers
  valgrind   the subset build/valgrind.sh runs (pytest -m valgrind) against
             apache2 -X under memcheck (BATCH_TEST_VALGRIND=1)
  slow       long runs (load tests); skipped unless BATCH_TEST_SLOW=1
  sequential asserts the timing or order of items run one after another;
             skipped when BATCH_TEST_CONCURRENCY=N (N > 1) runs the whole
             suite with BatchConcurrency N on the standard batch locations

Backends of the front server (http://127.0.0.1:PORT), stable paths that
every test file may rely on:

  /batch                   SetHandler batch (defaults)           conf/batch.conf
  /v1.0/$batch             SetHandler batch, BatchBase /v1.0     conf/batch.conf
  /static/                 htdocs/static: small.json {"hello":"world"}, a.txt
                           ("hello from a.txt\\n"), data.bin (1024 bytes 0..255),
                           latin1.txt (not UTF-8, text/plain), etag.txt,
                           me.json, dir/ (index.html), ns-guarded.txt, and
                           generated 1k.txt 100k.txt 1m.txt (=1 MiB) 1m1.txt
                           (1 MiB + 1) 2m.txt; DEFLATE for text/plain and
                           application/json (direct clients only)
  /old                     Redirect 302 -> /static/a.txt
  /cgi/echo.py             mod_cgid: JSON of method, uri, query, content_type,
                           content_length, body, headers (HTTP_*), item_id,
                           atomicity_group (BATCH_ATOMICITY_GROUP)
  /cgi/status.py?code=N[&body=T][&type=M]   status N
  /cgi/bytes.py?n=N[&type=M]                N bytes of text
  /cgi/sleep.py?s=S                         sleeps S seconds
  /cgi/redirect.py[?to=local|external|missing]  Location: /static/a.txt
                           (internal redirect), 302 to example.org, or a
                           local Location to a missing file
  /lua/echo.lua            mod_lua: JSON of method, uri, args, headers, body
                           (POST/PUT), item_id, user, is_initial_req
  /products, /products/{id}, POST /products    the sample products API
                           (tests/lua/products.lua; nothing is stored,
                           POST always answers id 11)
  /v1.0/products..., /v1.0/me   the same API Graph-style, me.json
  /private/                Basic auth alice/secret (also bob/builder),
                           Require valid-user: secret.json, echo.lua
  /denied/a.txt            Require all denied (logs AH01630 at [error])
  /iponly/a.txt            Require ip 10.255.255.1 (logs AH01630)
  /tobatch                 RewriteRule ^/tobatch$ /batch [PT] (server)
  /rwforbidden             RewriteRule - [F] (server)
  /static/ns-guarded.txt   RewriteRule - [F,NS]: 403 directly, not for items
  /rw/static /rw/missing /rw/nest /rw/forbidden /rw/ns   per-dir rules:
                           -> /static/a.txt [PT], -> missing file, -> /batch,
                           [F], [NS,PT] -> /static/a.txt
  /api/...                 ProxyPass to the backend vhost http://127.0.0.1:PORT2/
                           (products API at /api/products, /api/lua/echo.lua,
                           /api/cgi/echo.py); RequestHeader X-Item-Id from
                           BATCH_ITEM_ID
  /pyb/...                 ProxyPass to the Python backend on PORT3
                           (tests/harness/backend.py: echo, hit, status,
                           cookies, bytes, chunked, truncate, gzip, ?sleep=ms)
  /__gen                   restart generation marker (harness only)
"""
import os

import pytest

from harness.backend import Backend
from harness.client import Client
from harness.conf import BatchConf
from harness.env import HttpdEnv, HttpdError


def pytest_configure(config):
    config.addinivalue_line("markers", "valgrind: part of the build/valgrind.sh subset")
    config.addinivalue_line("markers", "slow: long run, skipped unless BATCH_TEST_SLOW=1")
    config.addinivalue_line("markers", "sequential: asserts the timing or order of "
                            "sequential items; skipped under BATCH_TEST_CONCURRENCY")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("BATCH_TEST_CONCURRENCY", "0") not in ("", "0", "1"):
        skip_seq = pytest.mark.skip(reason="sequential: asserts one-after-another "
                                    "timing or order (BATCH_TEST_CONCURRENCY is set)")
        for it in items:
            if "sequential" in it.keywords:
                it.add_marker(skip_seq)
    if os.environ.get("BATCH_TEST_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow: set BATCH_TEST_SLOW=1 to run")
    for it in items:
        if "slow" in it.keywords:
            it.add_marker(skip)


def _sanitizer_failures(env):
    return ["%s:\n%s" % (path, text[:4000]) for path, text in env.sanitizer_reports()]


def pytest_report_header(config):
    e = HttpdEnv()
    return ["mod_batch: httpd=%s module=%s (%s) mpm=%s config=%s"
            % (e.httpd, e.module, "present" if e.has_module else "MISSING", e.mpm,
               e.config_path or "defaults")]


@pytest.fixture(scope="session")
def env(request):
    e = HttpdEnv(verbosity=request.config.getoption("verbose"))
    if not e.has_module and not e.no_module:
        pytest.exit("mod_batch.so not found at %s: build it first (make), or set "
                    "BATCH_MODULE=/path/mod_batch.so" % e.module, returncode=1)
    e.setup()
    e.pyb = Backend(e.port3).start()
    try:
        e.start()
    except HttpdError as x:
        e.pyb.stop()
        pytest.exit("cannot start apache2 from %s: %s" % (e.root, x), returncode=1)
    yield e
    crash_offset = 0
    try:
        e.stop()
    finally:
        e.pyb.stop()
    crashes = e.log.crashes(crash_offset) + _sanitizer_failures(e)
    if e.keep:
        print("\nmod_batch: server root kept at %s" % e.root)
    else:
        e.cleanup()
    if crashes:
        pytest.fail("crash markers in the error log:\n" + "\n".join(crashes))


@pytest.fixture(scope="session")
def client(env):
    return Client(env)


@pytest.fixture(scope="session")
def pyb(env):
    return env.pyb


@pytest.fixture(autouse=True, scope="class")
def _class_conf(env):
    # A class's own BatchConf(...).install() (class-scoped, set up after this)
    # sets env.class_installed; _test_env resets to the default config when
    # the class installed nothing and an earlier class left its own.
    env.class_installed = False
    yield


@pytest.fixture(autouse=True)
def _test_env(request, env):
    if env.conf_dirty and not env.class_installed:
        BatchConf(env).install()
    env.class_installed = True
    name = request.node.nodeid.split("::", 1)[-1]
    env.test_name = name.replace(" ", "_")
    env.log.mark()
    yield
    bad = env.log.unexpected()
    san = _sanitizer_failures(env)
    env.test_name = "-"
    if san:
        pytest.fail("sanitizer reports:\n" + "\n".join(san), pytrace=False)
    if bad:
        pytest.fail("unexpected error-log lines (declare them with env.expect_log):\n"
                    + "\n".join(bad), pytrace=False)
