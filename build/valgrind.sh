#!/bin/bash
# Licensed under the Apache License, Version 2.0 (see LICENSE).
# Copyright 2026 the mod_batch authors.
#
# build/valgrind.sh: run the pytest subset marked @pytest.mark.valgrind
# against one `apache2 -X` process under valgrind memcheck
# (--track-origins=yes, tests/valgrind.supp), started by the harness
# (BATCH_TEST_VALGRIND=1; every class restart is a stop and a start, as -X
# exits on a restart signal). Fails when pytest fails or when memcheck
# reports an error with a mod_batch frame (mod_batch.so or one of our
# sources) in any valgrind.PID.log; errors elsewhere (httpd, APR, libc
# noise) are counted and listed, not failed on.
#
#   bash build/valgrind.sh [PYTEST ARGS...]
#
# Runs from a configured build directory (make valgrind), or with
# BATCH_MODULE=/path/mod_batch.so. VALGRIND_DIR: where the logs go
# (default: a new directory under /tmp, printed at the end).
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v valgrind >/dev/null 2>&1; then
    echo "valgrind: not installed (apt-get install valgrind)" >&2
    exit 2
fi
logs=${VALGRIND_DIR:-$(mktemp -d /tmp/mod_batch-valgrind.XXXXXX)}
mkdir -p "$logs"
chmod 0777 "$logs"   # apache2 -X drops to www-data; its forks log here too
start=$(date +%s)

set +e
BATCH_TEST_VALGRIND=1 BATCH_VALGRIND_LOG_DIR="$logs" PYTHONDONTWRITEBYTECODE=1 \
    /usr/bin/python3 -m pytest -ra -p no:cacheprovider -m valgrind "$@" "$src/tests"
rc=$?
set -e

# One error block per "==PID== <kind>" paragraph; ours when a frame names
# mod_batch.so or a batch_*.c/mod_batch.c source line.
ours=0
other=0
for f in "$logs"/valgrind.*.log; do
    [ -e "$f" ] || continue
    counts=$(awk '
        /^==[0-9]+== *$/ { if (blk != "") flush(); next }
        /^==[0-9]+== / { blk = blk "\n" $0; next }
        function flush() {
            if (blk ~ /(Invalid|uninitialised|Uninitialised|Mismatched|overlap|Syscall param|Source and destination|definitely lost)/ \
                && blk !~ /HEAP SUMMARY|LEAK SUMMARY|ERROR SUMMARY/) {
                if (blk ~ /mod_batch\.so|batch_[a-z]+\.c|mod_batch\.c/) { o++; print blk > "/dev/stderr" }
                else n++
            }
            blk = ""
        }
        END { if (blk != "") flush(); printf "%d %d\n", o, n }
    ' "$f" 2>>"$logs/ours.txt")
    ours=$((ours + ${counts% *}))
    other=$((other + ${counts#* }))
done
if [ "$ours" -gt 0 ]; then
    echo "valgrind: $ours memcheck error(s) in mod_batch frames:"
    cat "$logs/ours.txt"
    rc=1
fi
echo "valgrind: pytest exit $rc; memcheck errors: $ours in mod_batch, $other elsewhere;" \
     "$(( $(date +%s) - start )) s; logs in $logs"
grep -h "ERROR SUMMARY" "$logs"/valgrind.*.log 2>/dev/null | sort | uniq -c || true
exit $rc
