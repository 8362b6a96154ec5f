#!/bin/bash
# The pure core's instructions per item, by function, under callgrind
# (bench/core.c: parse + encode of the bench's 20 static items). Seconds,
# not minutes; the figure that counts stays bench/run.sh's profile.
#
#   bash bench/core-profile.sh [ROUNDS] [--lines FILE.c]
#
# Needs a built tree (make) for .libs/libbatchcore.a, valgrind.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(dirname "$here")
rounds=${1:-100}
out=$(mktemp -d /tmp/mod_batch-core.XXXXXX)
lib=$src/.libs/libbatchcore.a
[ -f "$lib" ] || { echo "core-profile: no $lib; run make first" >&2; exit 1; }
# shellcheck disable=SC2046
cc -O2 -g -I"$src/include" $(apr-1-config --includes --cppflags) \
    $(apu-1-config --includes) "$here/core.c" "$lib" \
    $(apu-1-config --link-ld) $(apr-1-config --link-ld) -o "$out/core"
valgrind --tool=callgrind --callgrind-out-file="$out/cg.out" \
    "$out/core" "$rounds" >"$out/run.log" 2>&1
items=$((rounds * 20))
# self cost per item of each function of the core (inlined helpers are
# charged to the file they come from, as callgrind_annotate prints them)
# (lines without an object are code inlined from headers: batch_util.h,
# emmintrin.h; they are charged to the function they were inlined into)
callgrind_annotate --auto=no --threshold=100 "$out/cg.out" 2>/dev/null |
    awk -v n="$items" '
        /PROGRAM TOTALS/ { gsub(",", "", $1); printf "all code    %6.0f per item\n", $1 / n; next }
        !/^ *[0-9,]+ +\(/ { next }
        / \[[^]]*\]$/ && !/\/core\]$/ { next }
        {
            c = $1; gsub(",", "", c); f = $0; sub(/ \[.*/, "", f); sub(/.*:/, "", f)
            if (f == "main" || f == "static_result" || f == "request_body") next
            by[f] += c; core += c
        }
        END {
            for (f in by) if (by[f] >= n) printf "%6.0f  %s\n", by[f] / n, f | "sort -rn"
            close("sort -rn")
            printf "mod_batch core (self) %6.0f per item\n", core / n
        }'
if [ "${2:-}" = --lines ] && [ -n "${3:-}" ]; then
    # the sources are named as the tree's Makefile compiled them
    (cd "$src" && callgrind_annotate --auto=yes --threshold=100 "$out/cg.out" 2>/dev/null) |
        awk -v f="$3" '/Auto-annotated source:/ { on = ($NF == f || $NF == "./" f) } on'
fi
echo "callgrind output: $out/cg.out"
