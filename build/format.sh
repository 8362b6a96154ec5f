#!/bin/bash
# Licensed under the Apache License, Version 2.0 (see LICENSE).
# Copyright 2026 the mod_batch authors.
#
# build/format.sh [--check] [SRCDIR]: clang-format 14 (STYLE 3.4) over our
# own C files only: *.c, include/*.h, tests/unit/*.[ch], tests/fuzz/*.[ch],
# tests/mod_batchtest/*.c and bench/*.c. Generated files (include/batch_version.h)
# are never touched. With --check nothing is changed and the script fails
# listing the files that need formatting ("make format" fixes them).
set -eu

check=no
if [ "${1:-}" = "--check" ]; then
    check=yes
    shift
fi
srcdir=${1:-$(dirname "$0")/..}
cd "$srcdir"

cf=${CLANG_FORMAT:-}
if [ -z "$cf" ]; then
    for c in clang-format-14 clang-format; do
        if command -v "$c" >/dev/null 2>&1; then
            cf=$c
            break
        fi
    done
fi
if [ -z "$cf" ]; then
    echo "format: clang-format not found: install clang-format (bash build/deps.sh)" >&2
    exit 1
fi
ver=$("$cf" --version | sed -n 's/.*version \([0-9][0-9]*\)\..*/\1/p' | head -n 1)
if [ "$ver" != "14" ]; then
    echo "format: warning: $cf is version ${ver:-unknown}, the style is set for clang-format 14" >&2
fi

files=()
for f in ./*.c include/*.h tests/unit/*.c tests/unit/*.h \
    tests/fuzz/*.c tests/fuzz/*.h tests/mod_batchtest/*.c bench/*.c; do
    [ -f "$f" ] || continue
    case $f in
    include/batch_version.h) continue ;;
    esac
    files+=("${f#./}")
done
if [ ${#files[@]} -eq 0 ]; then
    echo "format: no C files found under $(pwd)" >&2
    exit 1
fi

if [ "$check" = no ]; then
    "$cf" -i --style=file "${files[@]}"
    echo "format: formatted ${#files[@]} files"
    exit 0
fi

bad=()
for f in "${files[@]}"; do
    if ! "$cf" --style=file --dry-run --Werror "$f" >/dev/null 2>&1; then
        bad+=("$f")
    fi
done
if [ ${#bad[@]} -ne 0 ]; then
    echo "format-check: these files need clang-format (run 'make format'):" >&2
    for f in "${bad[@]}"; do
        echo "  $f" >&2
        "$cf" --style=file "$f" | diff -u "$f" - | head -n 40 >&2 || true
    done
    exit 1
fi
echo "format-check: ${#files[@]} files OK"
