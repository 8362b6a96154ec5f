"""The error-log watcher: after each test, new lines at [warn] or above, and
crash markers at any level, fail the test unless it declared them.

    env.expect_log(["AH01630", re.compile(r"BATCH01\\d\\d")])

Each pattern is a substring, or a regular expression (a str that is not a
substring of the line is also tried as a regex; re.Pattern objects are
searched). Typical declarations: AH01630/AH01797 (Require refusals, logged
at [error] by authz_core), AH01618/AH01617 (Basic auth: no such user / wrong
password).
"""
import os
import re

LEVEL_RE = re.compile(r":(warn|error|crit|alert|emerg)\] ")
CRASH_MARKERS = ("exit signal", "Segmentation fault", "AddressSanitizer",
                 "runtime error:", "LeakSanitizer", "double free", "stack smashing")


def _matches(pattern, line):
    if isinstance(pattern, re.Pattern):
        return pattern.search(line) is not None
    if pattern in line:
        return True
    try:
        return re.search(pattern, line) is not None
    except re.error:
        return False


class ErrorLog:
    def __init__(self, path):
        self.path = path
        self.offset = 0
        self.expected = []

    def size(self):
        try:
            return os.path.getsize(self.path)
        except OSError:
            return 0

    def mark(self):
        """Start a new test window: remember the offset, forget expectations."""
        self.offset = self.size()
        self.expected = []

    def expect(self, patterns):
        if isinstance(patterns, (str, re.Pattern)):
            patterns = [patterns]
        self.expected.extend(patterns)

    def lines(self, offset=None):
        """Lines written since offset (default: the current test's mark)."""
        off = self.offset if offset is None else offset
        try:
            with open(self.path, "rb") as f:
                f.seek(off)
                data = f.read()
        except OSError:
            return []
        return data.decode("utf-8", "replace").splitlines()

    @staticmethod
    def is_bad(line):
        return LEVEL_RE.search(line) is not None or any(m in line for m in CRASH_MARKERS)

    def unexpected(self, offset=None, expected=None):
        exp = self.expected if expected is None else expected
        return [ln for ln in self.lines(offset)
                if self.is_bad(ln) and not any(_matches(p, ln) for p in exp)]

    def crashes(self, offset=0):
        return [ln for ln in self.lines(offset) if any(m in ln for m in CRASH_MARKERS)]

    def tail(self, n=30):
        return "\n".join(self.lines(0)[-n:])
