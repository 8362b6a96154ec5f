-- wrk script for the mod_batch benchmark.
--   BENCH_BODY=file  POST that file as application/json (a batch), else GET.
--   BENCH_CTYPE=type its Content-Type instead (multipart/mixed; boundary=...).
-- done() prints one line "BENCH_JSON {...}" with the counts and latency
-- percentiles (microseconds) that bench.py parses.
local path = os.getenv("BENCH_BODY")
if path and path ~= "" then
    local f = assert(io.open(path, "rb"))
    wrk.method = "POST"
    wrk.body = f:read("*a")
    f:close()
    local ctype = os.getenv("BENCH_CTYPE")
    if ctype == nil or ctype == "" then
        ctype = "application/json"
    end
    wrk.headers["Content-Type"] = ctype
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
        '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,' ..
        '"err_timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
        '"mean_us":%.1f,"max_us":%d}\n',
        summary.requests, summary.duration, summary.bytes,
        e.connect, e.read, e.write, e.status, e.timeout,
        latency:percentile(50), latency:percentile(90),
        latency:percentile(99), latency.mean, latency.max))
end
