"""CONTRACT §7 (memory bounded by the limits, not by what a client sends),
issue 12 item 2: reading a hostile 1 MiB batch document costs the child at
most a small multiple of the document, whatever its shape. Each shape is a
document of about 1 MiB that is refused with 400; the child's peak RSS
growth (VmHWM after writing 5 to /proc/PID/clear_refs) stays under 16 MB.
Before the fix the tree of the whole document cost up to ~100x the text
(107 MB for {"requests":[1,1,...]}).

Each test restarts the server first (graceful: a new child), so that memory
one shape freed cannot hide the next shape's growth.
"""
import json
import os

import pytest

from harness.conf import BatchConf

MIB = 1 << 20
LIMIT_KB = 16 * 1024
OK_ITEM = '{"id":"1","method":"GET","url":"/static/a.txt"}'
# a second item with the same id: the batch is refused once parsed
DUP_ITEM = ',{"id":"1","method":"GET","url":"/static/a.txt"}'


def fill(head, unit, tail, size=MIB):
    """head + unit repeated (joined by ',') + tail, about size bytes."""
    n = max(1, (size - len(head) - len(tail)) // (len(unit) + 1))
    return (head + ",".join([unit] * n) + tail).encode()


def members(head, tail, size=MIB):
    """head + an object of distinct members + tail, about size bytes."""
    parts, total, k = [], len(head) + len(tail) + 2, 0
    while total < size:
        m = '"m%d":0' % k
        parts.append(m)
        total += len(m) + 1
        k += 1
    return (head + "{" + ",".join(parts) + "}" + tail).encode()


def item_with(member, value):
    """A document whose first item has member: value, then a duplicate id."""
    return ('{"requests":[{"id":"1","method":"POST","url":"/static/a.txt",'
            '"%s":' % member, value, '}' + DUP_ITEM + ']}')


NESTED = "[" * 59 + "]" * 59


def shapes():
    """name -> (document, needle in the 400 message)."""
    h, t = item_with("body", "")[0], item_with("body", "")[2]
    return {
        # the five shapes of issue 12
        "requests_of_numbers": (fill('{"requests":[', "1", "]}"), "must be an object"),
        "body_of_numbers": (fill(h + "[", "1", "]" + t), "duplicates"),
        "array_of_empty_strings": (fill("[", '""', "]"), "must be a JSON object"),
        "object_of_members": (members("", ""), "unknown member"),
        "nested_arrays": (fill(h + "[", NESTED, "]" + t), "duplicates"),
        # the same in other places
        "body_of_empty_strings": (fill(h + "[", '""', "]" + t), "duplicates"),
        "body_object_of_members": (members(h, t), "duplicates"),
        "requests_of_nested_arrays": (fill('{"requests":[', NESTED, "]}"),
                                      "must be an object"),
        "annotation_of_numbers": (fill('{"@a":[', "1", '],"requests":[' + OK_ITEM + DUP_ITEM
                                       + "]}"), "duplicates"),
        "item_of_duplicate_urls": (fill('{"requests":[{"id":"1","method":"GET",',
                                        '"url":"/static/a.txt"', "}" + DUP_ITEM + "]}"),
                                   "duplicates"),
        "headers_of_one_name": (fill(h.replace('"body":', '"headers":') + "{",
                                     '"X-A":"1"', "}" + t), "duplicates"),
        "depends_on_one_id": (fill('{"requests":[{"id":"0","method":"GET","url":"/static/a.txt"},'
                                   '{"id":"1","method":"GET","url":"/static/a.txt",'
                                   '"dependsOn":[', '"0"', "]}" + DUP_ITEM + "]}"),
                              "duplicates"),
        "depends_on_unknown_ids": (fill('{"requests":[' + OK_ITEM[:-1] + ',"dependsOn":[',
                                        '"x"', "]}]}"), "unknown id"),
        "depends_on_escaped_ids": (fill('{"requests":[{"id":"0","method":"GET",'
                                        '"url":"/static/a.txt"},{"id":"1","method":"GET",'
                                        '"url":"/static/a.txt","dependsOn":[', '"\\u0030"',
                                        "]}" + DUP_ITEM + "]}"), "duplicates"),
        "requests_repeated": (fill("{", '"requests":[' + OK_ITEM + "]",
                                   ',"requests":[' + OK_ITEM + DUP_ITEM + "]}"), "duplicates"),
        "headers_repeated": (fill('{"requests":[{"id":"1","method":"GET",'
                                  '"url":"/static/a.txt",', '"headers":{"X-A":"1"}',
                                  "}" + DUP_ITEM + "]}"), "duplicates"),
        "headers_of_wrong_types": (fill(h.replace('"body":', '"headers":') + "{",
                                        '"X-A":[1,1,1,1]', "}" + t), "must be a string"),
    }


SHAPES = shapes()


def worker_pids(env):
    """The threaded children of the running server."""
    with open(env.pid_path) as f:
        ppid = int(f.read().strip())
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
            if int(stat.rsplit(")", 1)[1].split()[1]) != ppid:
                continue
            if (status_kb(int(d), "Threads") or 0) > 1 \
                    and status_kb(int(d), "VmHWM") is not None:
                pids.append(int(d))
        except (OSError, ValueError, IndexError):
            continue
    return pids


def status_kb(pid, key):
    """A kB field of /proc/PID/status; None when the process is gone (an
    exiting child of the old generation has no memory fields)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for ln in f:
                if ln.startswith(key + ":"):
                    return int(ln.split()[1])
    except OSError:
        pass
    return None


class TestParseMemory:

    @pytest.fixture(autouse=True, scope="class")
    def _conf(self, env):
        (BatchConf(env)
         .add_batch("/batch-1m", ["BatchMaxRequestSize 2M"])
         .install())
        yield

    @pytest.mark.parametrize("shape", sorted(SHAPES))
    def test_batch_920_01(self, env, client, shape):
        # CONTRACT §7: a hostile 1 MiB document is refused (400) at a
        # bounded cost: peak RSS growth of the child under 16 MB
        doc, needle = SHAPES[shape]
        assert MIB - 256 <= len(doc) <= MIB + 256, len(doc)
        env.restart()
        warm = client.post_batch(body='{"requests":[' + OK_ITEM + ']}', path="/batch-1m")
        assert warm.status_code == 200, warm.text[:300]
        pids = worker_pids(env)
        assert pids
        base = {}
        for p in pids:
            try:
                with open("/proc/%d/clear_refs" % p, "w") as f:
                    f.write("5")
            except OSError:
                continue
            base[p] = status_kb(p, "VmHWM")
        r = client.post_batch(body=doc, path="/batch-1m", timeout=120)
        after = {p: status_kb(p, "VmHWM") for p in base}
        growth = {p: after[p] - base[p] for p in base
                  if base[p] is not None and after[p] is not None}
        print("\n%s: %d bytes, peak RSS growth kB %s" % (shape, len(doc), growth))
        assert r.status_code == 400, (r.status_code, r.text[:300])
        err = r.json()["error"]
        assert err["code"] == "BadRequest", err
        assert needle in err["message"], err
        assert growth and max(growth.values()) < LIMIT_KB, (shape, growth)
        # the server is fine afterwards
        ok = client.post_batch(body='{"requests":[' + OK_ITEM + ']}', path="/batch-1m")
        assert ok.status_code == 200, ok.text[:300]
        assert json.loads(ok.text)["responses"][0]["status"] == 200
