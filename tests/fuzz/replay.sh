#!/bin/sh
# Licensed under the Apache License, Version 2.0 (see LICENSE).
# Copyright 2026 the mod_batch authors.
#
# tests/fuzz/replay.sh: part of make check (automake TESTS, TAP output).
# Replays every seed corpus tests/fuzz/corpus/<target>/ through the
# standalone build of its fuzz target (tests/fuzz/fuzz_<target>, built by
# make check from the pure core and standalone.c, no libFuzzer needed).
# A broken invariant or a crash fails the test. Run from the build
# directory; automake sets $srcdir. By hand:
#   srcdir=/path/to/source sh tests/fuzz/replay.sh
srcdir=${srcdir:-.}
targets="parse encode encode_valid util refs multipart"

set -- $targets
echo "1..$#"
n=0
fail=0
for t in $targets; do
    n=$((n + 1))
    bin=./tests/fuzz/fuzz_$t
    corpus=$srcdir/tests/fuzz/corpus/$t
    if ! test -x "$bin"; then
        echo "not ok $n - $t: $bin is not built (make check builds it)"
        fail=1
        continue
    fi
    if ! test -d "$corpus"; then
        echo "not ok $n - $t: no corpus at $corpus"
        fail=1
        continue
    fi
    if out=$("$bin" "$corpus" 2>&1); then
        echo "ok $n - $t: $(echo "$out" | tail -n 1 | sed 's/^.*: //')"
    else
        echo "not ok $n - $t: a seed of $corpus failed"
        echo "$out" | sed 's/^/# /'
        fail=1
    fi
done
exit $fail
