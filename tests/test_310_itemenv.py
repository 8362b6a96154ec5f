"""CONTRACT §4: the subrequest sees BATCH_ITEM_ID from its first phase on,
also when a per-directory RewriteRule internally redirects the item (httpd
renames variables to REDIRECT_* there; mod_batch gives the name back)."""
import os

import pytest

from harness.client import item
from harness.conf import BatchConf


class TestItemEnv:

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        os.makedirs(env.path("htdocs", "rwenv"), exist_ok=True)
        BatchConf(env).add_directory(env.path("htdocs", "rwenv"), [
            "Options +FollowSymLinks",
            "RewriteEngine On",
            'RewriteBase "/rwenv/"',
            'RewriteRule "^echo$" "/cgi/echo.py" [PT]',
            'RewriteRule "^lua$" "/lua/echo.lua" [PT]',
        ]).install()

    def test_batch_310_01(self, client):
        # CONTRACT §4 BATCH_ITEM_ID: visible after a per-dir internal redirect (CGI and lua)
        r = client.post_batch([item("first", "/rwenv/echo"),
                               item("second", "/rwenv/lua"),
                               item("third", "/cgi/echo.py")])
        assert r.status_code == 200
        rs = {x["id"]: x for x in r.json()["responses"]}
        for k in ("first", "second", "third"):
            assert rs[k]["status"] == 200, rs[k]
            assert rs[k]["body"]["item_id"] == k, rs[k]["body"]
