#!/bin/bash
# Licensed under the Apache License, Version 2.0 (see LICENSE).
# Copyright 2026 the mod_batch authors.
#
# build/deps.sh: install every Debian package needed to build and test
# mod_batch (debhelper, dpkg-dev and fakeroot are for the Debian package
# and its test, tests/test_960_install.py; python3-googleapi, ruby and
# ruby-google-api-client are the real multipart clients of
# tests/test_1010_multipart_clients.py). Idempotent: asks dpkg first and
# runs apt-get (update, then install) only when something is missing. Runs
# as root, or through sudo.
set -eu

pkgs=(
    apache2 apache2-bin apache2-dev apache2-utils
    libapr1-dev libaprutil1-dev libjson-c-dev
    pkg-config autoconf automake libtool autoconf-archive make gcc
    check wrk
    python3 python3-pytest python3-requests
    python3-googleapi python3-httplib2 ruby ruby-google-api-client
    clang-format
    curl ca-certificates openssl
    debhelper dpkg-dev fakeroot
)
# node/npm may come from outside Debian (nodesource, nvm, ...): take
# Debian's only when there is no node at all.
if ! command -v node >/dev/null 2>&1; then
    pkgs+=(nodejs npm)
fi

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    echo "deps: not a Debian system (no dpkg-query/apt-get); install these yourself:" >&2
    echo "  ${pkgs[*]}" >&2
    exit 0
fi

missing=()
for p in "${pkgs[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    if [ "$status" != "install ok installed" ]; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all ${#pkgs[@]} packages installed"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=(env)
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "deps: missing ${missing[*]}; run as root or install sudo" >&2
    exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" DEBIAN_FRONTEND=noninteractive apt-get update
"${as_root[@]}" DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
