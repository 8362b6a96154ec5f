"""The npm side of the interop tests (tests/interop/): one `npm ci` per
package-lock.json, shared by every test file that runs a Node client.

    d, node = npm_install(tmp_path_factory, who="the Graph SDK test")
    d, node = npm_install(tmp_path_factory, who="...", missing=pytest.skip)

npm ci runs into tests/interop/node_modules (git-ignored); a marker there
holds the hash of package.json + package-lock.json, so reruns do not touch
the network, and a file lock makes concurrent sessions install once. When
the source tree is not writable, the install goes to a copy in a temp dir.
`missing` is what happens when node/npm are absent or npm ci fails:
pytest.fail (the default: the Graph SDK test must not skip) or pytest.skip.
"""
import fcntl
import glob
import hashlib
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from .env import TESTS_DIR

INTEROP_SRC = os.path.join(TESTS_DIR, "interop")
MARKER = ".mod_batch-lock.sha256"
NPM_TIMEOUT = 600


def _lock_hash(d):
    h = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        with open(os.path.join(d, name), "rb") as f:
            h.update(name.encode() + b"\0" + f.read() + b"\0")
    return h.hexdigest()


def _copy_sources(d):
    for path in glob.glob(os.path.join(INTEROP_SRC, "*")):
        if os.path.isfile(path):
            shutil.copy(path, d)


def npm_install(tmp_path_factory, who, missing=pytest.fail):
    """tests/interop with node_modules installed: (dir, node)."""
    tools = {}
    for name in ("node", "npm"):
        tools[name] = shutil.which(name)
        if not tools[name]:
            missing("%s not found on PATH: %s needs node (>= 18) and npm (CI installs "
                    "them with build/deps.sh)" % (name, who))
    node, npm = tools["node"], tools["npm"]
    out = subprocess.run([node, "--version"], capture_output=True, text=True)
    major = int(out.stdout.strip().lstrip("v").split(".")[0] or 0)
    assert major >= 18, "node %s is too old (global fetch/Request need >= 18)" % out.stdout
    d = INTEROP_SRC
    if not os.access(d, os.W_OK):
        d = str(tmp_path_factory.mktemp("interop"))
        _copy_sources(d)
    want = _lock_hash(d)
    marker = os.path.join(d, "node_modules", MARKER)
    lock = os.path.join(tempfile.gettempdir(), "mod_batch-npm-%s.lock"
                        % hashlib.sha256(d.encode()).hexdigest()[:16])
    with open(lock, "w") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)   # concurrent sessions install once
        try:
            with open(marker) as f:
                have = f.read().strip()
        except OSError:
            have = None
        if have != want:
            t0 = time.time()
            r = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts",
                                "--loglevel=error"], cwd=d, capture_output=True, text=True,
                               timeout=NPM_TIMEOUT)
            if r.returncode != 0:
                missing("npm ci failed in %s (rc %d), so %s cannot run:\n%s\n%s" % (
                    d, r.returncode, who, r.stdout[-3000:], r.stderr[-3000:]))
            with open(marker, "w") as f:
                f.write(want + "\n")
            print("\nnpm ci in %s: %.1fs" % (d, time.time() - t0))
    return d, node
