#!/bin/bash
# Licensed under the Apache License, Version 2.0 (see LICENSE).
# Copyright 2026 the mod_batch authors.
#
# build/fuzz.sh [SECONDS] [TARGET]: build the fuzz targets of tests/fuzz
# with clang -fsanitize=fuzzer,address,undefined (libFuzzer, as
# mod_auth_openidc does) from the pure core, and run each one for SECONDS
# (default 60), one after another, starting from its seed corpus
# tests/fuzz/corpus/TARGET with the dictionary tests/fuzz/batch.dict.
# TARGET is parse, encode, encode_valid, util, refs or multipart (default: all six).
#
# Work happens in build-fuzz/ (FUZZ_DIR=...): the growing corpora
# (build-fuzz/corpus/TARGET, seeded from the repository's), crash
# artifacts (build-fuzz/artifacts/TARGET/) and logs. The seed corpus in
# the repository is never written to; copy a reproducer there by hand,
# after the fix, so that make check replays it for good.
#
# Environment: FUZZ_RUNS=N stops each target after N executions instead
# of SECONDS (-runs=N); FUZZ_ARGS="..." adds libFuzzer options; CC=clang-14
# picks the compiler. Exit status 1 when a target found a crash.
# Needs clang and libclang-rt-14-dev (Debian 12: apt-get install clang
# libclang-rt-14-dev); make check does not.
set -eu

secs=${1:-60}
only=${2:-}
here=$(cd "$(dirname "$0")/.." && pwd)
out=${FUZZ_DIR:-$here/build-fuzz}
cc=${CC:-}
if [ -z "$cc" ] || ! "$cc" --version 2>/dev/null | grep -q clang; then
    cc=$(command -v clang || command -v clang-14 || true)
fi
if [ -z "$cc" ]; then
    echo "fuzz: clang not found: apt-get install clang libclang-rt-14-dev" >&2
    exit 2
fi

targets="parse encode encode_valid util refs multipart"
if [ -n "$only" ]; then
    case " $targets " in
    *" $only "*) targets=$only ;;
    *) echo "fuzz: unknown target '$only' (parse, encode, encode_valid, util, refs, multipart)" >&2; exit 2 ;;
    esac
fi

mkdir -p "$out"
flags=(-g -O1 -fno-omit-frame-pointer
       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -I"$here/include" -I"$here/tests/oracle"
       $(pkg-config --cflags apr-1 apr-util-1 json-c))
libs=($(pkg-config --libs apr-1 apr-util-1 json-c))
core=("$here/batch_util.c" "$here/batch_json.c" "$here/batch_item.c"
      "$here/batch_parse.c" "$here/batch_format.c" "$here/batch_format_json.c"
      "$here/batch_sched.c" "$here/batch_encode.c" "$here/batch_refs.c"
      "$here/batch_multipart.c" "$here/batch_multipart_write.c"
      "$here/batch_format_multipart.c"
      "$here/tests/oracle/json_oracle.c" "$here/tests/oracle/encode_ref.c"
      "$here/tests/oracle/json_valid_ref.c")

rc=0
for t in $targets; do
    echo "=== fuzz: building fuzz_$t with $cc"
    "$cc" "${flags[@]}" -o "$out/fuzz_$t" "$here/tests/fuzz/fuzz_$t.c" \
        "${core[@]}" "${libs[@]}"
done
for t in $targets; do
    mkdir -p "$out/corpus/$t" "$out/artifacts/$t"
    cp -n "$here/tests/fuzz/corpus/$t"/* "$out/corpus/$t/" 2>/dev/null || true
    limit=(-max_total_time="$secs")
    if [ -n "${FUZZ_RUNS:-}" ]; then
        limit=(-runs="$FUZZ_RUNS")
    fi
    echo "=== fuzz: fuzz_$t ${limit[*]}"
    start=$(date +%s)
    # shellcheck disable=SC2086 # FUZZ_ARGS is a list of options
    if ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
       UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
       "$out/fuzz_$t" "${limit[@]}" -max_len=65536 -timeout=10 \
           -rss_limit_mb=2048 -print_final_stats=1 \
           -dict="$here/tests/fuzz/batch.dict" \
           -artifact_prefix="$out/artifacts/$t/" ${FUZZ_ARGS:-} \
           "$out/corpus/$t" >"$out/fuzz_$t.log" 2>&1; then
        status=ok
    else
        status=FAILED
        rc=1
    fi
    end=$(date +%s)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/fuzz_$t.log" | tail -n 1)
    echo "fuzz_$t: $status, ${execs:-?} executions in $((end - start)) s" \
         "(log: $out/fuzz_$t.log)"
    if [ "$status" = FAILED ]; then
        tail -n 40 "$out/fuzz_$t.log"
        ls -l "$out/artifacts/$t/"
    fi
done
exit $rc
