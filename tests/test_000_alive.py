"""The server is up, mod_batch is loaded, and the batch handler answers."""


class TestAlive:

    def test_batch_000_01(self, client):
        # harness: the server answers a static file
        r = client.get("/static/small.json")
        assert r.status_code == 200
        assert r.json() == {"hello": "world"}

    def test_batch_000_02(self, env):
        # CONTRACT §1: LoadModule batch_module loads the built module
        mods = env.loaded_modules()
        assert "batch_module" in mods, mods

    def test_batch_000_03(self, client):
        # CONTRACT §6: a 1-item batch answers 200 with the item's JSON body inline
        r = client.post_batch([{"id": "1", "method": "GET", "url": "/static/small.json"}])
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"].startswith("application/json")
        doc = r.json()
        assert list(doc.keys()) == ["responses"]
        assert len(doc["responses"]) == 1
        item = doc["responses"][0]
        assert item["id"] == "1"
        assert item["status"] == 200
        assert item["headers"]["Content-Type"].startswith("application/json")
        assert item["body"] == {"hello": "world"}

    def test_batch_000_04(self, client):
        # CONTRACT §3/§6: the CONTRACT §3 example runs against the sample API
        r = client.post_batch([
            {"id": "1", "method": "GET", "url": "/products?skip=0&limit=1"},
            {"id": "2", "method": "GET", "url": "/products/1"},
            {"id": "3", "method": "POST", "url": "/products",
             "headers": {"Content-Type": "application/json"},
             "body": {"title": "Test Product"}, "dependsOn": ["2"]}])
        assert r.status_code == 200, r.text
        res = r.json()["responses"]
        assert [x["id"] for x in res] == ["1", "2", "3"]
        assert [x["status"] for x in res] == [200, 200, 201]
        assert res[0]["body"]["products"] == [{"id": 1, "title": "Pen", "price": 1.5}]
        assert res[1]["body"] == {"id": 1, "title": "Pen", "price": 1.5}
        assert res[2]["body"]["title"] == "Test Product"
        assert res[2]["headers"]["Location"].endswith("/products/11")
