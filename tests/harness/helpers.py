"""Small helpers shared by the test files."""
import uuid


def marker():
    """A unique token to find one test's requests at the Python backend."""
    return uuid.uuid4().hex[:12]


def pyb_request(pyb, mark):
    """The one request the backend saw whose path carries mark."""
    reqs = [q for q in list(pyb.requests) if mark in q["path"]]
    assert len(reqs) == 1, "backend saw %d requests for %s" % (len(reqs), mark)
    return reqs[0]


def hget(headers, name):
    """Case-insensitive header lookup in a dict; None when absent."""
    for k, v in headers.items():
        if k.lower() == name.lower():
            return v
    return None


def check_ids(items, responses):
    """CONTRACT §6: one response per item, in request order, ids matching."""
    assert [r["id"] for r in responses] == [i["id"] for i in items], responses


def run(client, items, **kw):
    """POST items (asserting 200 and ids in order); responses by id."""
    rs = client.batch_ok(items, **kw)
    check_ids(items, rs)
    return {r["id"]: r for r in rs}
