#!/bin/bash
# Licensed under the Apache License, Version 2.0 (see LICENSE).
# Copyright 2026 the mod_batch authors.
#
# build/sanitize.sh: build mod_batch with ASan+UBSan (configure
# --enable-sanitizers) in a separate tree and run the whole pytest suite
# against Debian's apache2 with the sanitizer runtimes preloaded (apache2
# itself is not instrumented, so libasan must come first: LD_PRELOAD, for
# apache2 only, through BATCH_HTTPD_PRELOAD). Reports go to files
# (log_path=); the harness fails the test during which one appears, and
# this script fails if any asan.* or ubsan.* file exists at the end.
# Leak detection is off: pools are freed at teardown, not per request.
#
#   bash build/sanitize.sh [PYTEST ARGS...]      e.g. -k test_batch_300 -x
#
# SANITIZE_DIR=dir   where to build (default: build-asan/ in the source
#                    tree); the sources are copied there first (tracked and
#                    untracked files, not build outputs), so an in-tree
#                    build of the source tree does not get in the way.
# CONFIGURE_ARGS=... extra configure options.
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
out=${SANITIZE_DIR:-$src/build-asan}
step() {
    echo
    echo "=== mod_batch sanitize: $* ==="
}
start=$(date +%s)

step "copy the sources to $out/src"
rm -rf "$out/src" "$out/san"
mkdir -p "$out/src" "$out/san"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$src" && git ls-files -z --cached --others --exclude-standard \
        | xargs -0 -I{} sh -c 'test -e "{}" && echo "{}"' \
        | tar -cf - -T -) | tar -xf - -C "$out/src"
else
    (cd "$src" && tar -cf - --exclude=./build-asan --exclude=./build-fuzz .) \
        | tar -xf - -C "$out/src"
    if [ -f "$out/src/Makefile" ]; then
        make -C "$out/src" distclean >/dev/null
    fi
fi

step "autoreconf, configure --enable-sanitizers, make"
cd "$out/src"
autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
# shellcheck disable=SC2086 # CONFIGURE_ARGS is a list of words
./configure --enable-sanitizers --enable-werror ${CONFIGURE_ARGS:-} >configure.out \
    || { cat configure.out; exit 1; }
make -j2 >make.out 2>&1 || { cat make.out; exit 1; }
if ! readelf -d .libs/mod_batch.so | grep -q libasan; then
    echo "sanitize: .libs/mod_batch.so is not linked with libasan" >&2
    exit 1
fi

asan=$(gcc -print-file-name=libasan.so)
ubsan=$(gcc -print-file-name=libubsan.so)
for lib in "$asan" "$ubsan"; do
    if [ ! -e "$lib" ]; then
        echo "sanitize: $lib not found (install gcc's libasan/libubsan)" >&2
        exit 1
    fi
done

step "pytest with apache2 under LD_PRELOAD=$asan $ubsan"
set +e
# quarantine_size_mb: freed memory ASan holds back to catch use after free.
# At the default 256 MB it fills slowly under load, so a worker's RSS keeps
# rising for minutes whatever the module does, and test_batch_900_90's
# "memory flat after warm-up" measured ASan instead of mod_batch; 64 MB
# fills during the warm-up.
BATCH_TEST_CONFIG="$out/src/tests/config.ini" \
BATCH_HTTPD_PRELOAD="$asan $ubsan" \
ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:quarantine_size_mb=64:log_path=$out/san/asan" \
UBSAN_OPTIONS="print_stacktrace=1:log_path=$out/san/ubsan" \
PYTHONDONTWRITEBYTECODE=1 \
    /usr/bin/python3 -m pytest -ra -p no:cacheprovider "$@" "$out/src/tests"
rc=$?
set -e

step "reports"
reports=$(find "$out/san" -type f \( -name 'asan.*' -o -name 'ubsan.*' \) | sort)
if [ -n "$reports" ]; then
    for f in $reports; do
        echo "--- $f"
        head -n 60 "$f"
    done
    rc=1
fi
echo "sanitize: pytest exit $rc, $(echo "$reports" | grep -c . || true) report file(s)," \
     "$(( $(date +%s) - start )) s"
exit $rc
