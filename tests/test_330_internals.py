"""Guards for entries of docs/internals.md that no other test covers: the
httpd behaviour each relies on shows here first when httpd changes it.

- §6: ap_set_last_modified() does nothing for subrequests, so mod_batch adds
  Last-Modified itself;
- §12: mod_logio's connection slot: the item log lines (BatchLogItems On)
  must not reset the byte counters of the batch request's own line;
- §1: the secondary connection's current_thread: mod_lua's LuaScope thread
  keeps one VM per thread, and batch threads must not share the worker's."""
import pytest

from harness.client import item
from harness.conf import BatchConf
from harness.helpers import log_fields


class TestInternals:

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        BatchConf(env).add([
            'LogFormat "%{X-Test-Name}i|%r|%{BATCH_ITEM_ID}e|%O" bytesfmt',
            'CustomLog "%s" bytesfmt' % env.path("logs", "bytes.log"),
            'Alias /luathread/ "%s/"' % env.path("lua"),
        ]).add_directory(env.path("lua"), [
            "AddHandler lua-script .lua",
            "Require all granted",
        ]).add_location("/luathread/", [
            "LuaScope thread",
        ]).add_batch("/logbatch", ["BatchLogItems On"]
        ).add_batch("/cbatch", ["BatchConcurrency 8"]).install()

    def test_batch_330_01(self, client):
        # internals §6: an item gets the Last-Modified a direct request gets
        direct = client.get("/static/a.txt").headers["Last-Modified"]
        rs = client.batch_ok([item("1", "/static/a.txt")])
        assert rs[0]["headers"].get("Last-Modified") == direct, rs[0]["headers"]

    def test_batch_330_02(self, client, env):
        # internals §12: with BatchLogItems On the batch line's %O still counts
        # the whole response (the item lines do not reset mod_logio's counters)
        items = [item(str(i), "/static/a.txt") for i in range(4)]
        r = client.post_batch(items, path="/logbatch")
        assert r.status_code == 200
        got = log_fields(env, "bytes.log", env.test_name, 5)
        batch = [ln for ln in got if ln[2] == "-"]
        assert len(batch) == 1, got
        assert int(batch[0][3]) >= len(r.content), (batch, len(r.content))

    def test_batch_330_03(self, client):
        # internals §1: LuaScope thread with concurrent items: every item gets
        # its own answer (one VM per batch thread, not one shared VM)
        for n in range(40):
            items = [item(str(i), "/luathread/echo.lua?n=%d&i=%d" % (n, i))
                     for i in range(8)]
            rs = client.batch_ok(items, path="/cbatch")
            for i, x in enumerate(rs):
                assert x["status"] == 200, x
                assert x["body"]["args"] == "n=%d&i=%d" % (n, i), x["body"]
                assert x["body"]["item_id"] == str(i)
