#!/bin/bash
# Licensed under the Apache License, Version 2.0 (see LICENSE).
# Copyright 2026 the mod_batch authors.
#
# build/lognos.sh [SRCDIR]: every BATCH_LOGNO(nnnn) in our C sources is
# used once and documented in docs/log-messages.md (in a heading or a table
# row that contains BATCHnnnn). Prints the next free number. A missing docs
# file counts as "nothing documented". Exit 1 on a duplicate or an
# undocumented number.
set -eu

srcdir=${1:-$(dirname "$0")/..}
cd "$srcdir"
doc=docs/log-messages.md

sources=()
for f in ./*.c tests/mod_batchtest/*.c; do
    [ -f "$f" ] && sources+=("${f#./}")
done

# "file:line:nnnn" for every use.
uses=""
if [ ${#sources[@]} -ne 0 ]; then
    # whole files, so that a use clang-format split after "BATCH_LOGNO("
    # still counts
    uses=$(perl -0777 -ne 'while (/BATCH_LOGNO\(\s*([0-9]+)\s*\)/g) {
            my $l = (substr($_, 0, $-[0]) =~ tr/\n//) + 1;
            print "$ARGV:$l:$1\n";
        }' "${sources[@]}" || true)
fi

documented=""
if [ -f "$doc" ]; then
    documented=$(grep -E '^[[:space:]]*(#|\|)' "$doc" \
        | grep -oE 'BATCH[0-9]{4}' | sed 's/^BATCH//' | sort -u || true)
else
    echo "lognos: $doc not found: every number counts as undocumented" >&2
fi

status=0
max=0
if [ -n "$uses" ]; then
    while IFS=: read -r file line num; do
        if [ ${#num} -ne 4 ]; then
            echo "lognos: $file:$line: BATCH_LOGNO($num) must have 4 digits" >&2
            status=1
        fi
        n=$((10#$num))
        if [ "$n" -gt "$max" ]; then max=$n; fi
    done <<<"$uses"

    dups=$(printf '%s\n' "$uses" | cut -d: -f3 | sort | uniq -d)
    for num in $dups; do
        echo "lognos: BATCH$num is used more than once:" >&2
        printf '%s\n' "$uses" | grep -E ":$num\$" | sed 's/^/  /; s/:[0-9]*$//' >&2
        status=1
    done

    for num in $(printf '%s\n' "$uses" | cut -d: -f3 | sort -u); do
        if ! printf '%s\n' "$documented" | grep -qx "$num"; then
            where=$(printf '%s\n' "$uses" | grep -E ":$num\$" | head -n 1 | sed 's/:[0-9]*$//')
            echo "lognos: BATCH$num ($where) is not documented in $doc" >&2
            status=1
        fi
    done
fi

# Documented numbers count as taken too, so a retired number is never reused.
for num in $documented; do
    n=$((10#$num))
    if [ "$n" -gt "$max" ]; then max=$n; fi
    if ! printf '%s\n' "$uses" | grep -qE ":$num\$"; then
        echo "lognos: note: BATCH$num is documented but not used" >&2
    fi
done

count=0
if [ -n "$uses" ]; then count=$(printf '%s\n' "$uses" | wc -l); fi
echo "lognos: $count uses checked; next free number: BATCH$(printf '%04d' $((max + 1)))"
# Numbers come in blocks of 100 per source file (01xx, 02xx, ...): the next
# free number in each block in use.
taken=$( { printf '%s\n' "$uses" | cut -d: -f3; printf '%s\n' "$documented"; } \
    | grep -E '^[0-9]+$' | sort -u || true)
if [ -n "$taken" ]; then
    printf '%s\n' "$taken" | awk '{ n = $1 + 0; b = int(n / 100); if (n > m[b]) m[b] = n }
        END { for (b in m) printf("%02dxx %04d\n", b, m[b] + 1) }' | sort \
        | while read -r block next; do
            echo "lognos:   next free in block ${block}: BATCH$next"
        done
fi
exit $status
