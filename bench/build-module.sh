#!/bin/bash
# Build mod_batch.so from one git commit, for bench.py --baseline-module.
#
#   bash bench/build-module.sh COMMIT DIR     # -> DIR/.libs/mod_batch.so
#
# Exports the commit's sources with `git archive` (no worktree, the repo is
# not touched) into DIR and compiles them with apxs -c, the way the module
# under test is built for the benchmark (-O2; json-c from pkg-config for
# commits before the module stopped linking it).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 COMMIT DIR" >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(dirname "$here")
commit=$1 dir=$2
mkdir -p "$dir"
git -C "$src" archive "$commit" -- '*.c' include | tar -x -C "$dir"
cd "$dir"
# shellcheck disable=SC2046
apxs -c -I include $(pkg-config --cflags json-c) -Wc,-O2 \
    mod_batch.c $(ls batch_*.c) $(pkg-config --libs json-c) >build.log 2>&1 ||
    { cat build.log >&2; exit 1; }
echo "$dir/.libs/mod_batch.so"
