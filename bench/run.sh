#!/bin/bash
# mod_batch benchmark: one command, see bench/README.md.
#
#   bash bench/run.sh [--quick] [bench.py options]
#
#   --quick            about 4 minutes (default run: about 13-14 minutes)
#   BATCH_MODULE=path  benchmark that mod_batch.so instead of building
#   --out DIR          write results.md / results.json there (default bench/)
#   --keep             keep the private server root under /tmp
#   --only concurrency only the concurrency part (BatchConcurrency/BatchThreads;
#                      about 2 minutes with --quick, 5-6 without); writes
#                      results-concurrency.md/.json, results.md stays
#   --baseline-module PATH  (or BATCH_BASELINE_MODULE=PATH) a mod_batch.so of
#                      an earlier version: sequential /batch throughput and
#                      CPU/item side by side with it (bench/build-module.sh
#                      COMMIT DIR builds one from a git commit)
#
# Builds the module in the source tree (autoreconf -fi && ./configure &&
# make) when .libs/mod_batch.so is missing and BATCH_MODULE is not set, and
# installs wrk, h2load (nghttp2-client), valgrind and the nginx peer (nginx,
# libnginx-mod-http-lua, lua-cjson) with apt-get when they are missing and
# we are root. The bench never uses the system nginx: it starts its own on
# a free port from bench/nginx.conf.in.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(dirname "$here")

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v h2load >/dev/null || missing+=(nghttp2-client)
command -v valgrind >/dev/null || missing+=(valgrind)
command -v callgrind_annotate >/dev/null || missing+=(valgrind)
[ -x /usr/sbin/apache2 ] || missing+=(apache2)
# the nginx + Lua capture_multi peer (bench/nginx.py; left out when missing)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
[ -f /usr/share/nginx/modules/ngx_http_lua_module.so ] || missing+=(libnginx-mod-http-lua)
ls /usr/lib/*/lua/5.1/cjson.so >/dev/null 2>&1 || missing+=(lua-cjson)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "bench: installing ${missing[*]}" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y --no-install-recommends "${missing[@]}" >&2 ||
            { apt-get update >&2 && apt-get install -y --no-install-recommends "${missing[@]}" >&2; }
    else
        echo "bench: missing ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
fi

module=${BATCH_MODULE:-}
if [ -z "$module" ]; then
    module=$src/.libs/mod_batch.so
    if [ ! -f "$module" ]; then
        echo "bench: building mod_batch in $src" >&2
        (
            cd "$src"
            [ -x configure ] || autoreconf -fi
            [ -f Makefile ] || ./configure
            make
        ) >&2
    fi
fi
[ -f "$module" ] || { echo "bench: no module at $module" >&2; exit 1; }

exec /usr/bin/python3 "$here/bench.py" --module "$module" "$@"
