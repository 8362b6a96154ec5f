"""STYLE §4.3 and §4.6: the docs keep up with the code. Every directive in
batch_config.c has a section in docs/directives.md and a row in the README
directive table, and every BATCH_LOGNO(nnnn) in the C sources is used only
once and is listed in docs/log-messages.md.

This file reads source files and never starts a server: the two autouse
fixtures of conftest.py (which need the `env` server) are replaced by the
no-ops of harness/noserver.py."""
import configparser
import os
import re
from collections import Counter
from pathlib import Path

from harness.noserver import _class_conf, _test_env  # noqa: F401


def _srcdir():
    """srcdir from tests/config.ini (written by configure), else the parent
    of this file's directory."""
    here = Path(__file__).resolve().parent
    for ini in (os.environ.get("BATCH_TEST_CONFIG"),
                os.path.join(os.getcwd(), "tests", "config.ini"),
                here / "config.ini"):
        if ini and os.path.isfile(ini):
            cp = configparser.ConfigParser(interpolation=None)
            cp.read(ini)
            src = cp.get("global", "srcdir", fallback="")
            if src and not src.startswith("@") and os.path.isdir(src):
                return Path(src)
    return here.parent


SRC = _srcdir()


def _read(rel):
    return (SRC / rel).read_text(encoding="utf-8")


def _c_sources():
    """Every *.c under the source tree, hidden directories left out."""
    out = []
    for root, dirs, files in os.walk(SRC):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        out += [Path(root) / f for f in sorted(files) if f.endswith(".c")]
    return out


def _directives():
    """Names of AP_INIT_*("Batch...") in batch_config.c, in table order."""
    text = _read("batch_config.c")
    return re.findall(r'AP_INIT_[A-Z0-9_]+\s*\(\s*"(Batch\w+)"', text)


def _lognos():
    """(number, file) for every BATCH_LOGNO(n) use; the macro may be split
    over lines by the formatter. The definition BATCH_LOGNO(n) in a header
    is not a use (and headers are not scanned)."""
    uses = []
    for path in _c_sources():
        text = path.read_text(encoding="utf-8", errors="replace")
        for m in re.finditer(r"\bBATCH_LOGNO\s*\(\s*([0-9]+)\s*\)", text):
            uses.append((m.group(1), str(path.relative_to(SRC))))
    return uses


class TestDocs:

    def test_batch_120_01(self):
        # the guard itself sees what it guards
        assert len(_directives()) >= 6, _directives()
        assert len(_lognos()) >= 10, _lognos()

    def test_batch_120_02(self):
        # STYLE §4.3: every directive has a "## Name" section in docs/directives.md
        doc = _read("docs/directives.md")
        sections = re.findall(r"^##\s+(Batch\w+)\s*$", doc, re.M)
        missing = [d for d in _directives() if d not in sections]
        assert not missing, "no '## Name' section in docs/directives.md for: %s" % missing

    def test_batch_120_03(self):
        # STYLE §4.8: the sections follow the order of batch_cmds[]
        doc = _read("docs/directives.md")
        sections = re.findall(r"^##\s+(Batch\w+)\s*$", doc, re.M)
        known = [s for s in sections if s in _directives()]
        assert known == _directives(), "sections %s, batch_cmds[] %s" % (known, _directives())

    def test_batch_120_04(self):
        # STYLE §4.8: the README directive table has a row for every directive
        readme = _read("README.md")
        rows = [line for line in readme.splitlines() if line.lstrip().startswith("|")]
        missing = [d for d in _directives()
                   if not any(re.search(r"`%s(?=[\s`])" % d, row) for row in rows)]
        assert not missing, "no row in the README directive table for: %s" % missing

    def test_batch_120_05(self):
        # STYLE §4.6: a log number is used once
        counts = Counter(n for n, _ in _lognos())
        dups = {n: [f for m, f in _lognos() if m == n] for n, c in counts.items() if c > 1}
        assert not dups, "BATCH numbers used more than once: %s" % dups

    def test_batch_120_06(self):
        # STYLE §4.6: every log number is documented in docs/log-messages.md
        # (in a heading or a table row, as build/lognos.sh reads it)
        doc = _read("docs/log-messages.md")
        documented = set()
        for line in doc.splitlines():
            if re.match(r"\s*[#|]", line):
                documented.update(re.findall(r"BATCH([0-9]{4})", line))
        bad = sorted({(n, f) for n, f in _lognos() if len(n) != 4})
        assert not bad, "BATCH_LOGNO numbers must have 4 digits: %s" % bad
        missing = sorted({(n, f) for n, f in _lognos() if n not in documented})
        assert not missing, "not documented in docs/log-messages.md: %s" % missing
