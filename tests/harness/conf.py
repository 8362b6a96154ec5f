"""BatchConf: per-class server configuration, written to conf/test.conf
(included last by conf/httpd.conf), then a graceful restart that waits until
the new config answers. Pattern, as in httpd's pyhttpd:

    class TestLimits:
        @pytest.fixture(autouse=True, scope="class")
        def _conf(self, env):
            BatchConf(env).add_location("/batch", ["SetHandler batch",
                                                   "BatchMaxRequests 3"]).install()

A class that installs nothing runs with the default config (conftest resets
it if an earlier class changed it). std=False drops the standard batch
locations (/batch and /v1.0/$batch, see conf/batch.conf) for this class.
Sections given to add_location() for /batch merge with the standard one
(later wins), which is usually what a test wants.
"""
import os


def _lines(lines):
    if lines is None:
        return []
    if isinstance(lines, str):
        return lines.splitlines()
    return list(lines)


class BatchConf:
    def __init__(self, env, std=True):
        self.env = env
        self.std = std
        self._parts = []

    def add(self, lines):
        """Raw configuration lines (a str or a list of str)."""
        self._parts.extend(_lines(lines))
        return self

    def _section(self, tag, arg, lines):
        self._parts.append('<%s "%s">' % (tag, arg))
        self._parts.extend("    " + ln for ln in _lines(lines))
        self._parts.append("</%s>" % tag)
        return self

    def add_location(self, path, lines):
        return self._section("Location", path, lines)

    def add_location_match(self, regex, lines):
        return self._section("LocationMatch", regex, lines)

    def add_directory(self, path, lines):
        """path relative to the server root (e.g. "htdocs/static") or absolute."""
        if not os.path.isabs(path):
            path = self.env.path(path)
        return self._section("Directory", path, lines)

    def add_batch(self, path="/batch", directives=()):
        """A batch location: SetHandler batch plus the given directives."""
        return self.add_location(path, ["SetHandler batch"] + _lines(directives))

    def add_vhost(self, port, lines):
        """A name-less <VirtualHost 127.0.0.1:port> (add a Listen with add())."""
        self._parts.append("<VirtualHost 127.0.0.1:%d>" % port)
        self._parts.extend("    " + ln for ln in _lines(lines))
        self._parts.append("</VirtualHost>")
        return self

    def text(self):
        head = "# written by tests/harness/conf.py for %s\n" % self.env.test_name
        return head + "\n".join(self._parts) + ("\n" if self._parts else "")

    def install(self, graceful=True):
        """Write conf/test.conf (and conf/batch.conf), restart, wait live."""
        env = self.env
        body = "\n".join(self._parts)
        key = (self.std, body)
        env.class_installed = True
        if key == env.installed_text:
            return self
        env.write_batch_conf(self.std)
        with open(env.path("conf", "test.conf"), "w") as f:
            f.write(self.text())
        env.installed_text = None
        env.conf_dirty = True
        env.restart(graceful=graceful)
        env.installed_text = key
        env.conf_dirty = key != (True, "")
        return self
