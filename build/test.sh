#!/bin/bash
# Licensed under the Apache License, Version 2.0 (see LICENSE).
# Copyright 2026 the mod_batch authors.
#
# build/test.sh: the README's test command and CI's (.ci/run). From a clean
# clone: install dependencies, autoreconf, configure --enable-werror, build,
# check formatting, run the unit tests and the pytest suite. Safe to run
# again in the same tree. Extra configure options: CONFIGURE_ARGS="...";
# extra pytest options: PYTEST_ARGS="..."; the ASan/UBSan rerun of the
# suite (build/sanitize.sh) at the end is on by default (CI runs it too);
# BATCH_CI_SANITIZE=0 skips it.
set -eu

cd "$(dirname "$0")/.."

step() {
    echo
    echo "=== mod_batch: $* ==="
}

step "dependencies (build/deps.sh)"
bash build/deps.sh

step "autoreconf -fi"
autoreconf -fi

step "./configure --enable-werror ${CONFIGURE_ARGS:-}"
# shellcheck disable=SC2086 # CONFIGURE_ARGS is a list of words
./configure --enable-werror ${CONFIGURE_ARGS:-}

step "make -j2"
make -j2

step "make format-check"
make format-check

# the 60 s load test (tests marked slow) runs here and in CI;
# BATCH_TEST_SLOW=0 skips it for a quick local run
export BATCH_TEST_SLOW="${BATCH_TEST_SLOW:-1}"

step "make check"
make -k check VERBOSE=1 PYTEST_ARGS="${PYTEST_ARGS:-}"

# the concurrency tests again under the other MPMs (make check ran event),
# with the python and config.ini that make check uses
python3=$(sed -n 's/^python *= *//p' tests/config.ini)
for mpm in worker prefork; do
    step "MPM=$mpm pytest tests/test_850_concurrency.py tests/test_860_https.py"
    MPM=$mpm BATCH_TEST_CONFIG="$PWD/tests/config.ini" PYTHONDONTWRITEBYTECODE=1 \
        "${python3:-/usr/bin/python3}" -m pytest -ra -p no:cacheprovider \
        tests/test_850_concurrency.py tests/test_860_https.py
done

# the whole suite again with BatchConcurrency 8 on the standard batch
# locations: every test must give the same answers when items run
# concurrently (tests marked "sequential" assert one-after-another timing
# or order and are skipped; the package test and the slow load test ran
# above)
step "BATCH_TEST_CONCURRENCY=8 pytest tests/ (items run concurrently)"
BATCH_TEST_CONCURRENCY=8 BATCH_TEST_SLOW=0 BATCH_TEST_CONFIG="$PWD/tests/config.ini" \
    PYTHONDONTWRITEBYTECODE=1 "${python3:-/usr/bin/python3}" -m pytest -ra \
    -p no:cacheprovider --ignore=tests/test_960_install.py tests/

# ASan/UBSan rerun of the whole pytest suite (1 to 4 minutes on 2 cores);
# BATCH_CI_SANITIZE=0 bash build/test.sh skips it
if [ "${BATCH_CI_SANITIZE:-1}" = 1 ]; then
    step "build/sanitize.sh (ASan+UBSan; BATCH_CI_SANITIZE=0 skips it)"
    bash build/sanitize.sh
    step "BATCH_TEST_CONCURRENCY=8 build/sanitize.sh (ASan+UBSan, items run concurrently)"
    BATCH_TEST_CONCURRENCY=8 bash build/sanitize.sh --ignore=tests/test_960_install.py
fi

step "all tests passed"
